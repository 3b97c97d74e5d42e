//! Listing assets: a page of one owner's assets (or of the unowned ones) is one Query,
//! whatever the table size, filter, order or search; a page of every owner's assets
//! (administrators) is one Query per all-owners shard ([`ALL_SHARDS`]), merged. Each shard is
//! asked for twice its fair share of the page first, and only the shards whose unread rows
//! could still belong on the page are read further ([`unfinished`]): a page costs about
//! twice its rows whatever the table size, not a full page from every shard.
//!
//! The index and direction follow from the listing: `by_owner_created`/`by_owner_status`
//! (time order, ULID ids) or `by_owner_name`/`by_owner_status_name` (name order, also what a
//! prefix search reads), partitioned by owner; the `by_all_*` twins partitioned by shard.
//! A cursor with `back` reads the same index the other way from its row and reverses the
//! result, which is how "previous page" stays one Query (per shard) too. Which index, which
//! way and where the neighbouring pages start are pure functions, tested without a table.

use super::{
    assets::AssetStore,
    codec::{all_pk, folder_pk, owner_pk, path_needle, s, with_status, Item, Row, ALL_SHARDS},
    cursor::{Cursor, Listing, Scope},
    error::TableError,
    indexes::{
        INDEX_BY_ALL_CREATED, INDEX_BY_ALL_NAME, INDEX_BY_ALL_STATUS, INDEX_BY_ALL_STATUS_NAME,
        INDEX_BY_FOLDER_CREATED, INDEX_BY_FOLDER_NAME, INDEX_BY_OWNER_CREATED, INDEX_BY_OWNER_NAME,
        INDEX_BY_OWNER_STATUS, INDEX_BY_OWNER_STATUS_NAME,
    },
};
use crate::keys::CursorKey;
use app::{
    api::{ListParams, SortOrder},
    domain::{Asset, AssetStatus, Folder, FolderId},
};
use std::collections::HashMap;

/// A page of assets in the listing's order (and in a folder's listing, the folders among
/// its rows, in the same order).
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Asset>,
    pub folders: Vec<Folder>,
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
    /// Narrows a search of an owner's assets to those under this folder, at any depth.
    pub within: Option<FolderId>,
}

impl ListQuery {
    fn limit(&self) -> Result<usize, TableError> {
        match self.limit.unwrap_or(ListParams::DEFAULT_LIMIT) {
            0 => Err(TableError::InvalidLimit),
            n if n > ListParams::MAX_LIMIT => Err(TableError::InvalidLimit),
            n => Ok(n),
        }
    }

    fn listing(&self, scope: Scope) -> Result<Listing, TableError> {
        let prefix = match self.prefix.as_deref() {
            None | Some("") => None,
            Some(p)
                if p.chars().count() > ListParams::MAX_PREFIX_CHARS
                    || p.chars().any(char::is_control) =>
            {
                return Err(TableError::InvalidPrefix)
            }
            // Names are stored in NFC: a search typed decomposed finds them too.
            Some(p) => Some(app::domain::nfc(p).to_lowercase()),
        };
        let sort = match (self.sort, &prefix) {
            (None, None) => SortOrder::Newest,
            (None, Some(_)) => SortOrder::Name,
            (Some(sort), Some(_)) if !sort.by_name() => {
                return Err(TableError::SearchNeedsNameOrder)
            }
            (Some(sort), _) => sort,
        };
        if matches!(scope, Scope::Folder(..)) && self.status.is_some() {
            return Err(TableError::StatusInFolder);
        }
        if self.within.is_some() && (prefix.is_none() || !matches!(scope, Scope::Owner(_))) {
            return Err(TableError::SubfoldersNeedSearch);
        }
        Ok(Listing {
            scope,
            status: self.status,
            sort,
            prefix,
            within: self.within,
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
    /// Keeps only the rows whose `folder_path` holds this (`/<id>/`).
    within: Option<String>,
    start: Option<Item>,
}

/// The Queries of one page: one for an owner's (or the unowned, or a folder's) listing, one
/// per shard for every owner's.
fn query_plans(listing: &Listing, cursor: Option<&Cursor>) -> Vec<QueryPlan> {
    let by_name = listing.sort.by_name();
    if let Scope::Folder(owner, folder) = &listing.scope {
        let index = if by_name {
            INDEX_BY_FOLDER_NAME
        } else {
            INDEX_BY_FOLDER_CREATED
        };
        let partition = folder_pk(owner, *folder);
        return vec![one_plan(listing, cursor, index, "folder_pk", partition)];
    }
    let (owner_index, all_index) = match (listing.status.is_some(), by_name) {
        (false, false) => (INDEX_BY_OWNER_CREATED, INDEX_BY_ALL_CREATED),
        (true, false) => (INDEX_BY_OWNER_STATUS, INDEX_BY_ALL_STATUS),
        (false, true) => (INDEX_BY_OWNER_NAME, INDEX_BY_ALL_NAME),
        (true, true) => (INDEX_BY_OWNER_STATUS_NAME, INDEX_BY_ALL_STATUS_NAME),
    };
    // The partition and its attribute, narrowed to the status when one is asked for.
    let narrowed =
        |base: String, attr: &'static str, status_attr: &'static str| match listing.status {
            Some(st) => (status_attr, with_status(&base, st)),
            None => (attr, base),
        };
    match &listing.scope {
        Scope::Owner(o) => {
            let (attr, partition) = narrowed(owner_pk(Some(o)), "owner_pk", "owner_status");
            vec![one_plan(listing, cursor, owner_index, attr, partition)]
        }
        Scope::Unowned => {
            let (attr, partition) = narrowed(owner_pk(None), "owner_pk", "owner_status");
            vec![one_plan(listing, cursor, owner_index, attr, partition)]
        }
        Scope::All => (0..ALL_SHARDS)
            .map(|n| {
                let (attr, partition) = narrowed(all_pk(n), "all_pk", "all_status");
                one_plan(listing, cursor, all_index, attr, partition)
            })
            .collect(),
        Scope::Folder(..) => unreachable!("planned above"),
    }
}

fn one_plan(
    listing: &Listing,
    cursor: Option<&Cursor>,
    index: &'static str,
    partition_attr: &'static str,
    partition: String,
) -> QueryPlan {
    let back = cursor.is_some_and(|c| c.back);
    let ascending = matches!(listing.sort, SortOrder::Oldest | SortOrder::Name);
    // A start key names a position in the index: on a shard the cursor's row is not in, it
    // is where that row would be, which is what an exclusive start key means.
    let start = cursor.map(|c| {
        let mut start = HashMap::from([
            ("pk".to_string(), s(c.pk())),
            (partition_attr.to_string(), s(&partition)),
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
        partition,
        forward: ascending != back,
        prefix: listing.prefix.clone(),
        within: listing.within.map(path_needle),
        start,
    }
}

/// A row's position in the listing's index (its sort key there).
fn position(listing: &Listing, row: &Row) -> String {
    if listing.sort.by_name() {
        row.name_key()
    } else {
        row.id().to_string()
    }
}

/// The rows of several shards' reads as one read: merged in the order they were read
/// (`forward`: ascending positions), the first `limit` kept.
fn merge(listing: &Listing, reads: Vec<Vec<Row>>, forward: bool, limit: usize) -> Vec<Row> {
    let mut rows: Vec<(String, Row)> = reads
        .into_iter()
        .flatten()
        .map(|a| (position(listing, &a), a))
        .collect();
    rows.sort_by(|a, b| read_order(forward, &a.0, &b.0));
    rows.truncate(limit);
    rows.into_iter().map(|(_, a)| a).collect()
}

/// How two positions compare in the order rows were read (`forward`: ascending).
fn read_order(forward: bool, a: &str, b: &str) -> std::cmp::Ordering {
    if forward {
        a.cmp(b)
    } else {
        b.cmp(a)
    }
}

/// Rows asked of each of `shards` shards at a time: twice its share of `want`, so that ids
/// spread evenly over the shards seldom need a second read.
fn shard_batch(want: usize, shards: usize) -> usize {
    (want.div_ceil(shards.max(1)) * 2).min(want)
}

/// The shards (indexes into `reads`: each shard's rows in read order, and whether it has
/// more) whose unread rows could still be among the first `want` rows of the merged
/// listing: those with more to read whose last row read comes before the merged `want`-th
/// row (or all of them with more, while fewer than `want` rows are read). Positions are
/// unique, so a shard whose last row is that row has nothing unread that could make it.
fn unfinished(
    listing: &Listing,
    reads: &[(&[Row], bool)],
    forward: bool,
    want: usize,
) -> Vec<usize> {
    let mut positions: Vec<String> = reads
        .iter()
        .flat_map(|(rows, _)| rows.iter().map(|a| position(listing, a)))
        .collect();
    let cutoff = (positions.len() >= want).then(|| {
        positions.select_nth_unstable_by(want - 1, |a, b| read_order(forward, a, b));
        positions.swap_remove(want - 1)
    });
    reads
        .iter()
        .enumerate()
        .filter(|(_, (rows, more))| {
            *more
                && match (&cutoff, rows.last()) {
                    (Some(cutoff), Some(last)) => {
                        read_order(forward, &position(listing, last), cutoff).is_lt()
                    }
                    _ => true,
                }
        })
        .map(|(i, _)| i)
        .collect()
}

/// The cursors of the pages around `items` (in listing order), read from `cursor` (none:
/// the first page); `more`: the Query found rows beyond them.
fn page_links(
    listing: &Listing,
    cursor: Option<&Cursor>,
    items: &[Row],
    more: bool,
    key: &CursorKey,
) -> (Option<String>, Option<String>) {
    let at = |row: Option<&Row>, back: bool| row.map(|r| Cursor::at(listing, r, back).encode(key));
    match cursor {
        None => (if more { at(items.last(), false) } else { None }, None),
        // Read backwards from a row: the rows after this page start at that row.
        Some(c) if c.back => (
            at(items.last(), false).or_else(|| Some(c.turned(false).encode(key))),
            if more { at(items.first(), true) } else { None },
        ),
        Some(c) => (
            if more { at(items.last(), false) } else { None },
            at(items.first(), true).or_else(|| Some(c.turned(true).encode(key))),
        ),
    }
}

impl AssetStore {
    /// One page of the assets in `scope`: a single Query whatever the table size, or one per
    /// shard for every owner's (see the module docs).
    pub async fn list(&self, scope: Scope, query: ListQuery) -> Result<Page, TableError> {
        let limit = query.limit()?;
        let listing = query.listing(scope)?;
        let cursor = query
            .cursor
            .as_deref()
            .map(|c| Cursor::decode(c, &listing, &self.cursor_key))
            .transpose()?;
        let mut plans = query_plans(&listing, cursor.as_ref());
        let mut items = if plans.len() == 1 {
            self.query(plans.remove(0), limit + 1).await?.0
        } else {
            self.query_shards(&listing, plans, limit + 1).await?
        };
        // One more than asked tells whether another page exists without a second call.
        let more = items.len() > limit;
        items.truncate(limit);
        if cursor.as_ref().is_some_and(|c| c.back) {
            items.reverse();
        }
        let (next_cursor, prev_cursor) =
            page_links(&listing, cursor.as_ref(), &items, more, &self.cursor_key);
        let (mut assets, mut folders) = (vec![], vec![]);
        for row in items {
            match row {
                Row::Asset(a) => assets.push(a),
                Row::Folder(f) => folders.push(f),
            }
        }
        Ok(Page {
            items: assets,
            folders,
            next_cursor,
            prev_cursor,
        })
    }

    /// The first `want` rows of the shards' merged listing: a batch from each shard, then
    /// more only from the [`unfinished`] ones, until none is.
    async fn query_shards(
        &self,
        listing: &Listing,
        plans: Vec<QueryPlan>,
        want: usize,
    ) -> Result<Vec<Row>, TableError> {
        let forward = plans.first().is_some_and(|p| p.forward);
        let batch = shard_batch(want, plans.len());
        let mut shards: Vec<(QueryPlan, Vec<Row>)> =
            plans.into_iter().map(|p| (p, Vec::new())).collect();
        let mut reading: Vec<usize> = (0..shards.len()).collect();
        while !reading.is_empty() {
            let reads = futures::future::try_join_all(
                reading
                    .iter()
                    .map(|&i| self.query(shards[i].0.clone(), batch)),
            )
            .await?;
            for (&i, (rows, next)) in reading.iter().zip(reads) {
                let (plan, read) = &mut shards[i];
                read.extend(rows);
                plan.start = next;
            }
            let state: Vec<(&[Row], bool)> = shards
                .iter()
                .map(|(plan, rows)| (rows.as_slice(), plan.start.is_some()))
                .collect();
            reading = unfinished(listing, &state, forward, want);
        }
        let reads = shards.into_iter().map(|(_, rows)| rows).collect();
        Ok(merge(listing, reads, forward, want))
    }

    /// Up to `limit` rows of one Query, and where the next read of it starts (`None`: the
    /// partition has no more). A search within a folder keeps reading (the filter drops the
    /// rows of other folders after DynamoDB counted them) until it has `limit` rows or the
    /// partition ends.
    async fn query(
        &self,
        mut plan: QueryPlan,
        limit: usize,
    ) -> Result<(Vec<Row>, Option<Item>), TableError> {
        let mut rows = vec![];
        loop {
            let (read, next) = self.query_once(&plan, limit).await?;
            rows.extend(read);
            if plan.within.is_none() || rows.len() >= limit || next.is_none() {
                rows.truncate(limit);
                return Ok((rows, next));
            }
            plan.start = next;
        }
    }

    async fn query_once(
        &self,
        plan: &QueryPlan,
        limit: usize,
    ) -> Result<(Vec<Row>, Option<Item>), TableError> {
        let mut condition = "#p = :p".to_string();
        let mut request = self
            .db
            .query()
            .table_name(&self.table)
            .index_name(plan.index)
            .scan_index_forward(plan.forward)
            .limit(limit as i32)
            .expression_attribute_names("#p", plan.partition_attr)
            .expression_attribute_values(":p", s(&plan.partition))
            .set_exclusive_start_key(plan.start.clone());
        if let Some(prefix) = &plan.prefix {
            condition.push_str(" AND begins_with(name_key, :prefix)");
            request = request.expression_attribute_values(":prefix", s(prefix));
        }
        if let Some(needle) = &plan.within {
            request = request
                .filter_expression("contains(folder_path, :within)")
                .expression_attribute_values(":within", s(needle));
        }
        let out = request
            .key_condition_expression(condition)
            .send()
            .await
            .map_err(TableError::backend)?;
        let rows = out
            .items
            .unwrap_or_default()
            .iter()
            .map(Row::from_item)
            .collect::<Result<_, _>>()?;
        Ok((rows, out.last_evaluated_key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::{AssetId, Owner};
    use chrono::Utc;

    fn listing(status: Option<AssetStatus>, sort: SortOrder) -> Listing {
        Listing {
            scope: Scope::Owner(Owner::local()),
            status,
            sort,
            prefix: None,
            within: None,
        }
    }

    fn asset(n: u64, name: &str) -> Row {
        Row::Asset(Asset {
            id: AssetId::from_ulid(ulid::Ulid::from_parts(n, n as u128)),
            owner: Some(Owner::local()),
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
            rejection: None,
            checksum_sha256: None,
            thumbnail_key: None,
            thumbnail_url: None,
            folder_path: vec![],
        })
    }

    #[test]
    fn each_owner_listing_is_one_index_read_one_way() {
        use AssetStatus::Uploaded;
        use SortOrder::*;
        let mine = "OWNER#local";
        let mine_up = "OWNER#local#UPLOADED";
        // (status, sort) → index, partition, forward on the first page
        let table = [
            (None, Newest, INDEX_BY_OWNER_CREATED, mine, false),
            (None, Oldest, INDEX_BY_OWNER_CREATED, mine, true),
            (None, Name, INDEX_BY_OWNER_NAME, mine, true),
            (None, NameDesc, INDEX_BY_OWNER_NAME, mine, false),
            (
                Some(Uploaded),
                Newest,
                INDEX_BY_OWNER_STATUS,
                mine_up,
                false,
            ),
            (Some(Uploaded), Oldest, INDEX_BY_OWNER_STATUS, mine_up, true),
            (
                Some(Uploaded),
                Name,
                INDEX_BY_OWNER_STATUS_NAME,
                mine_up,
                true,
            ),
            (
                Some(Uploaded),
                NameDesc,
                INDEX_BY_OWNER_STATUS_NAME,
                mine_up,
                false,
            ),
        ];
        for (status, sort, index, partition, forward) in table {
            let l = listing(status, sort);
            let plans = query_plans(&l, None);
            assert_eq!(plans.len(), 1, "one Query per page");
            let plan = &plans[0];
            assert_eq!(
                (plan.index, plan.partition.as_str(), plan.forward),
                (index, partition, forward),
                "{status:?} {sort:?}"
            );
            assert!(plan.start.is_none());
            // "Previous" reads the same index the other way, from the row it names.
            let a = asset(7, "Report.pdf");
            let back = Cursor::at(&l, &a, true);
            let plan = query_plans(&l, Some(&back)).remove(0);
            assert_eq!((plan.index, plan.forward), (index, !forward));
            let start = plan.start.unwrap();
            assert_eq!(start["pk"], s(format!("ASSET#{}", a.id())));
            assert_eq!(start[plan.partition_attr], s(partition));
            let sort_key = if sort.by_name() { "name_key" } else { "id" };
            assert!(start.contains_key(sort_key), "{sort:?}");
        }
    }

    #[test]
    fn unowned_and_all_owner_listings_read_their_own_partitions() {
        let unowned = Listing {
            scope: Scope::Unowned,
            ..listing(Some(AssetStatus::Received), SortOrder::Name)
        };
        let plans = query_plans(&unowned, None);
        assert_eq!(plans.len(), 1);
        assert_eq!(
            (
                plans[0].index,
                plans[0].partition_attr,
                plans[0].partition.as_str()
            ),
            (
                INDEX_BY_OWNER_STATUS_NAME,
                "owner_status",
                "UNOWNED#RECEIVED"
            )
        );
        // Everyone's: one bounded Query per shard, never one partition of every asset.
        for (status, index, attr) in [
            (None, INDEX_BY_ALL_CREATED, "all_pk"),
            (
                Some(AssetStatus::Created),
                INDEX_BY_ALL_STATUS,
                "all_status",
            ),
        ] {
            let all = Listing {
                scope: Scope::All,
                ..listing(status, SortOrder::Newest)
            };
            let from = Cursor::at(&all, &asset(9, "x"), false);
            let plans = query_plans(&all, Some(&from));
            assert_eq!(plans.len(), ALL_SHARDS as usize);
            for (n, plan) in plans.iter().enumerate() {
                let want = match status {
                    Some(st) => with_status(&all_pk(n as u8), st),
                    None => all_pk(n as u8),
                };
                assert_eq!((plan.index, plan.partition_attr), (index, attr));
                assert_eq!(plan.partition, want);
                assert!(!plan.forward);
                // Each shard starts where the cursor's row is (or would be).
                let start = plan.start.as_ref().unwrap();
                assert_eq!(start["id"], s(from.id.to_string()));
                assert_eq!(start[attr], s(want));
            }
        }
    }

    #[test]
    fn shard_reads_merge_in_listing_order() {
        let l = Listing {
            scope: Scope::All,
            ..listing(None, SortOrder::Name)
        };
        let reads = vec![
            vec![asset(1, "b"), asset(2, "d")],
            vec![asset(3, "a"), asset(4, "c"), asset(5, "e")],
            vec![],
        ];
        let names = |rows: Vec<Row>| {
            rows.into_iter()
                .map(|r| match r {
                    Row::Asset(a) => a.filename,
                    Row::Folder(f) => f.name,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(merge(&l, reads.clone(), true, 4)),
            ["a", "b", "c", "d"]
        );
        let reversed: Vec<Vec<Row>> = reads
            .into_iter()
            .map(|r| r.into_iter().rev().collect())
            .collect();
        assert_eq!(names(merge(&l, reversed, false, 2)), ["e", "d"]);
        let by_time = listing(None, SortOrder::Newest);
        let rows = merge(
            &by_time,
            vec![vec![asset(5, "x")], vec![asset(7, "y")]],
            false,
            9,
        );
        assert_eq!(names(rows), ["y", "x"]);
    }

    #[test]
    fn only_shards_whose_unread_rows_could_make_the_page_are_read_further() {
        let l = Listing {
            scope: Scope::All,
            ..listing(None, SortOrder::Name)
        };
        let (a, b, c, d, e) = (
            [asset(1, "a"), asset(2, "b")],
            [asset(3, "c"), asset(4, "x")],
            [asset(5, "d")],
            [asset(6, "e"), asset(7, "f")],
            [asset(8, "g")],
        );
        // The first 4 by name are a, b, c, d: the cutoff is "d".
        let reads: [(&[Row], bool); 5] = [
            (&a, true),  // last "b" before the cutoff: its next rows may come before "d"
            (&b, true),  // last "x" after it: nothing unread of it can make the page
            (&c, false), // read to its end
            (&d, true),  // last "f" after the cutoff
            (&[], true), // nothing read yet, more to read: read it
        ];
        assert_eq!(unfinished(&l, &reads, true, 4), [0, 4]);
        // Backwards (name order read descending): the first 2 are x, g; the cutoff is "g",
        // the last row of the second shard, which therefore is done.
        let back: [(&[Row], bool); 3] = [(&b[1..], true), (&e, true), (&a[1..], true)];
        assert_eq!(unfinished(&l, &back, false, 2), [0]);
        // Fewer rows read than wanted: every shard with more is read further.
        assert_eq!(unfinished(&l, &reads, true, 20), [0, 1, 3, 4]);
        // Newest first: positions are ids, read descending. Ids 7, 6 and 2, 1 read; the
        // first 3 are 7, 6, 2: the first shard's next rows (below 6) may beat 2.
        let by_time = Listing {
            scope: Scope::All,
            ..listing(None, SortOrder::Newest)
        };
        let (hi, lo) = (
            [asset(7, "p"), asset(6, "q")],
            [asset(2, "r"), asset(1, "s")],
        );
        let newest: [(&[Row], bool); 2] = [(&hi, true), (&lo, true)];
        assert_eq!(unfinished(&by_time, &newest, false, 3), [0]);
        assert!(unfinished(&by_time, &newest, false, 2).is_empty());
    }

    #[test]
    fn a_shard_is_first_asked_for_twice_its_share() {
        assert_eq!(shard_batch(101, 8), 26);
        assert_eq!(shard_batch(26, 8), 8);
        assert_eq!(shard_batch(2, 8), 2);
        assert_eq!(shard_batch(1001, 1), 1001);
    }

    #[test]
    fn neighbouring_pages_start_at_the_edge_rows() {
        let l = listing(None, SortOrder::Newest);
        let rows = [asset(3, "c"), asset(2, "b")];
        let key = crate::keys::ServerKey::from_secret(&[7; 32]).cursors();
        let decode = |c: Option<String>| c.map(|c| Cursor::decode(&c, &l, &key).unwrap());
        // First page: next only when more rows exist.
        let (next, prev) = page_links(&l, None, &rows, true, &key);
        assert_eq!(decode(next), Some(Cursor::at(&l, &rows[1], false)));
        assert_eq!(prev, None);
        assert_eq!(page_links(&l, None, &rows, false, &key), (None, None));
        // Forward from a row: previous always exists, next only with more.
        let from = Cursor::at(&l, &asset(4, "d"), false);
        let (next, prev) = page_links(&l, Some(&from), &rows, false, &key);
        assert_eq!(next, None);
        assert_eq!(decode(prev), Some(Cursor::at(&l, &rows[0], true)));
        // Backward from a row: next always exists, previous only with more.
        let back = Cursor::at(&l, &asset(1, "a"), true);
        let (next, prev) = page_links(&l, Some(&back), &rows, false, &key);
        assert_eq!(decode(next), Some(Cursor::at(&l, &rows[1], false)));
        assert_eq!(prev, None);
        // An empty page read from a row still links back to where it came from.
        let (next, prev) = page_links(&l, Some(&back), &[], false, &key);
        assert_eq!(decode(next), Some(back.turned(false)));
        assert_eq!(prev, None);
        let (_, prev) = page_links(&l, Some(&from), &[], false, &key);
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
        let scope = || Scope::Owner(Owner::local());
        let searching = q(|q| q.prefix = Some("Rep".into()))
            .listing(scope())
            .unwrap();
        assert_eq!(
            (searching.sort, searching.prefix.as_deref()),
            (SortOrder::Name, Some("rep"))
        );
        assert!(matches!(
            q(|q| {
                q.prefix = Some("a".into());
                q.sort = Some(SortOrder::Oldest)
            })
            .listing(scope()),
            Err(TableError::SearchNeedsNameOrder)
        ));
        for bad in ["a\u{7}b".to_string(), "x".repeat(256)] {
            let query = ListQuery {
                prefix: Some(bad),
                ..ListQuery::default()
            };
            assert!(matches!(
                query.listing(scope()),
                Err(TableError::InvalidPrefix)
            ));
        }
    }
}
