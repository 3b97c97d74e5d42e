//! Listing assets: one page is one Query, whatever the table size, filter, order or search.
//!
//! The index and direction follow from the listing: `by_created`/`by_status` (time order,
//! ULID ids) or `by_name`/`by_status_name` (name order, also what a prefix search reads).
//! A cursor with `back` reads the same index the other way from its row and reverses the
//! result, which is how "previous page" stays one Query too. Which index, which way and
//! where the neighbouring pages start are pure functions, tested without a table.

use super::{
    assets::AssetStore,
    codec::{asset_from_item, asset_pk, s, Item, LIST_PK},
    cursor::{Cursor, Listing},
    error::TableError,
    indexes::{INDEX_BY_CREATED, INDEX_BY_NAME, INDEX_BY_STATUS, INDEX_BY_STATUS_NAME},
};
use app::{
    api::{ListParams, SortOrder},
    domain::{Asset, AssetStatus},
};
use std::collections::HashMap;

/// A page of assets in the listing's order.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Asset>,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<AssetStatus>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    /// `None`: newest first, or name order when searching.
    pub sort: Option<SortOrder>,
    /// Case-insensitive file name prefix; lists in name order.
    pub prefix: Option<String>,
}

impl ListQuery {
    fn limit(&self) -> Result<usize, TableError> {
        match self.limit.unwrap_or(ListParams::DEFAULT_LIMIT) {
            0 => Err(TableError::InvalidLimit),
            n if n > ListParams::MAX_LIMIT => Err(TableError::InvalidLimit),
            n => Ok(n),
        }
    }

    fn listing(&self) -> Result<Listing, TableError> {
        let prefix = match self.prefix.as_deref() {
            None | Some("") => None,
            Some(p)
                if p.chars().count() > ListParams::MAX_PREFIX_CHARS
                    || p.chars().any(char::is_control) =>
            {
                return Err(TableError::InvalidPrefix)
            }
            Some(p) => Some(p.to_lowercase()),
        };
        let sort = match (self.sort, &prefix) {
            (None, None) => SortOrder::Newest,
            (None, Some(_)) => SortOrder::Name,
            (Some(sort), Some(_)) if !sort.by_name() => {
                return Err(TableError::SearchNeedsNameOrder)
            }
            (Some(sort), _) => sort,
        };
        Ok(Listing {
            status: self.status,
            sort,
            prefix,
        })
    }
}

/// One Query: the index, its partition, the direction, and where to start.
#[derive(Debug, Clone, PartialEq)]
struct QueryPlan {
    index: &'static str,
    partition_attr: &'static str,
    partition: String,
    forward: bool,
    prefix: Option<String>,
    start: Option<Item>,
}

fn query_plan(listing: &Listing, cursor: Option<&Cursor>) -> QueryPlan {
    let back = cursor.is_some_and(|c| c.back);
    let ascending = matches!(listing.sort, SortOrder::Oldest | SortOrder::Name);
    let (index, partition_attr, partition) = match (listing.status, listing.sort.by_name()) {
        (Some(st), false) => (INDEX_BY_STATUS, "status", st.as_str()),
        (Some(st), true) => (INDEX_BY_STATUS_NAME, "status", st.as_str()),
        (None, false) => (INDEX_BY_CREATED, "list_pk", LIST_PK),
        (None, true) => (INDEX_BY_NAME, "list_pk", LIST_PK),
    };
    let start = cursor.map(|c| {
        let mut start = HashMap::from([
            ("pk".to_string(), s(asset_pk(c.id))),
            (partition_attr.to_string(), s(partition)),
        ]);
        match &c.name_key {
            Some(key) => start.insert("name_key".into(), s(key)),
            None => start.insert("id".into(), s(c.id.to_string())),
        };
        start
    });
    QueryPlan {
        index,
        partition_attr,
        partition: partition.to_string(),
        forward: ascending != back,
        prefix: listing.prefix.clone(),
        start,
    }
}

/// The cursors of the pages around `items` (in listing order), read from `cursor` (none:
/// the first page); `more`: the Query found rows beyond them.
fn page_links(
    listing: &Listing,
    cursor: Option<&Cursor>,
    items: &[Asset],
    more: bool,
) -> (Option<String>, Option<String>) {
    let at =
        |asset: Option<&Asset>, back: bool| asset.map(|a| Cursor::at(listing, a, back).encode());
    match cursor {
        None => (if more { at(items.last(), false) } else { None }, None),
        // Read backwards from a row: the rows after this page start at that row.
        Some(c) if c.back => (
            at(items.last(), false).or_else(|| Some(c.turned(false).encode())),
            if more { at(items.first(), true) } else { None },
        ),
        Some(c) => (
            if more { at(items.last(), false) } else { None },
            at(items.first(), true).or_else(|| Some(c.turned(true).encode())),
        ),
    }
}

impl AssetStore {
    /// One page of assets: a single Query whatever the table size (see the module docs).
    pub async fn list(&self, query: ListQuery) -> Result<Page, TableError> {
        let limit = query.limit()?;
        let listing = query.listing()?;
        let cursor = query
            .cursor
            .as_deref()
            .map(|c| Cursor::decode(c, &listing))
            .transpose()?;
        let plan = query_plan(&listing, cursor.as_ref());
        let mut items = self.query(plan, limit + 1).await?;
        // One more than asked tells whether another page exists without a second call.
        let more = items.len() > limit;
        items.truncate(limit);
        if cursor.as_ref().is_some_and(|c| c.back) {
            items.reverse();
        }
        let (next_cursor, prev_cursor) = page_links(&listing, cursor.as_ref(), &items, more);
        Ok(Page {
            items,
            next_cursor,
            prev_cursor,
        })
    }

    async fn query(&self, plan: QueryPlan, limit: usize) -> Result<Vec<Asset>, TableError> {
        let mut condition = "#p = :p".to_string();
        let mut request = self
            .db
            .query()
            .table_name(&self.table)
            .index_name(plan.index)
            .scan_index_forward(plan.forward)
            .limit(limit as i32)
            .expression_attribute_names("#p", plan.partition_attr)
            .expression_attribute_values(":p", s(plan.partition))
            .set_exclusive_start_key(plan.start);
        if let Some(prefix) = plan.prefix {
            condition.push_str(" AND begins_with(name_key, :prefix)");
            request = request.expression_attribute_values(":prefix", s(prefix));
        }
        let out = request
            .key_condition_expression(condition)
            .send()
            .await
            .map_err(TableError::backend)?;
        out.items
            .unwrap_or_default()
            .iter()
            .map(asset_from_item)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::AssetId;
    use chrono::Utc;

    fn listing(status: Option<AssetStatus>, sort: SortOrder) -> Listing {
        Listing {
            status,
            sort,
            prefix: None,
        }
    }

    fn asset(n: u64, name: &str) -> Asset {
        Asset {
            id: AssetId::from_ulid(ulid::Ulid::from_parts(n, n as u128)),
            bucket: "b".into(),
            object_key: format!("uploads/{n}"),
            filename: name.into(),
            content_type: "text/plain".into(),
            size: None,
            etag: None,
            status: AssetStatus::Created,
            deleted_from: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            event_time: None,
            event_name: None,
            sequencer: None,
        }
    }

    #[test]
    fn each_listing_is_one_index_read_one_way() {
        use AssetStatus::Uploaded;
        use SortOrder::*;
        // (status, sort) → index, partition, forward on the first page
        let table = [
            (None, Newest, INDEX_BY_CREATED, LIST_PK, false),
            (None, Oldest, INDEX_BY_CREATED, LIST_PK, true),
            (None, Name, INDEX_BY_NAME, LIST_PK, true),
            (None, NameDesc, INDEX_BY_NAME, LIST_PK, false),
            (Some(Uploaded), Newest, INDEX_BY_STATUS, "UPLOADED", false),
            (Some(Uploaded), Oldest, INDEX_BY_STATUS, "UPLOADED", true),
            (Some(Uploaded), Name, INDEX_BY_STATUS_NAME, "UPLOADED", true),
            (
                Some(Uploaded),
                NameDesc,
                INDEX_BY_STATUS_NAME,
                "UPLOADED",
                false,
            ),
        ];
        for (status, sort, index, partition, forward) in table {
            let l = listing(status, sort);
            let plan = query_plan(&l, None);
            assert_eq!(
                (plan.index, plan.partition.as_str(), plan.forward),
                (index, partition, forward),
                "{status:?} {sort:?}"
            );
            assert!(plan.start.is_none());
            // "Previous" reads the same index the other way, from the row it names.
            let a = asset(7, "Report.pdf");
            let back = Cursor::at(&l, &a, true);
            let plan = query_plan(&l, Some(&back));
            assert_eq!((plan.index, plan.forward), (index, !forward));
            let start = plan.start.unwrap();
            assert_eq!(start["pk"], s(asset_pk(a.id)));
            assert_eq!(start[plan.partition_attr], s(partition));
            let sort_key = if sort.by_name() { "name_key" } else { "id" };
            assert!(start.contains_key(sort_key), "{sort:?}");
        }
    }

    #[test]
    fn neighbouring_pages_start_at_the_edge_rows() {
        let l = listing(None, SortOrder::Newest);
        let rows = [asset(3, "c"), asset(2, "b")];
        let decode = |c: Option<String>| c.map(|c| Cursor::decode(&c, &l).unwrap());
        // First page: next only when more rows exist.
        let (next, prev) = page_links(&l, None, &rows, true);
        assert_eq!(decode(next), Some(Cursor::at(&l, &rows[1], false)));
        assert_eq!(prev, None);
        assert_eq!(page_links(&l, None, &rows, false), (None, None));
        // Forward from a row: previous always exists, next only with more.
        let from = Cursor::at(&l, &asset(4, "d"), false);
        let (next, prev) = page_links(&l, Some(&from), &rows, false);
        assert_eq!(next, None);
        assert_eq!(decode(prev), Some(Cursor::at(&l, &rows[0], true)));
        // Backward from a row: next always exists, previous only with more.
        let back = Cursor::at(&l, &asset(1, "a"), true);
        let (next, prev) = page_links(&l, Some(&back), &rows, false);
        assert_eq!(decode(next), Some(Cursor::at(&l, &rows[1], false)));
        assert_eq!(prev, None);
        // An empty page read from a row still links back to where it came from.
        let (next, prev) = page_links(&l, Some(&back), &[], false);
        assert_eq!(decode(next), Some(back.turned(false)));
        assert_eq!(prev, None);
        let (_, prev) = page_links(&l, Some(&from), &[], false);
        assert_eq!(decode(prev), Some(from.turned(true)));
    }

    #[test]
    fn queries_are_checked_before_any_read() {
        let q = |f: fn(&mut ListQuery)| {
            let mut q = ListQuery::default();
            f(&mut q);
            q
        };
        assert!(matches!(
            q(|q| q.limit = Some(0)).limit(),
            Err(TableError::InvalidLimit)
        ));
        assert!(matches!(
            q(|q| q.limit = Some(101)).limit(),
            Err(TableError::InvalidLimit)
        ));
        assert_eq!(q(|_| {}).limit().unwrap(), ListParams::DEFAULT_LIMIT);
        let searching = q(|q| q.prefix = Some("Rep".into())).listing().unwrap();
        assert_eq!(
            (searching.sort, searching.prefix.as_deref()),
            (SortOrder::Name, Some("rep"))
        );
        assert!(matches!(
            q(|q| {
                q.prefix = Some("a".into());
                q.sort = Some(SortOrder::Oldest)
            })
            .listing(),
            Err(TableError::SearchNeedsNameOrder)
        ));
        for bad in ["a\u{7}b".to_string(), "x".repeat(256)] {
            let query = ListQuery {
                prefix: Some(bad),
                ..ListQuery::default()
            };
            assert!(matches!(query.listing(), Err(TableError::InvalidPrefix)));
        }
    }
}
