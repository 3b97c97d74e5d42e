//! The view a `/assets` URL describes, and the URL of a view: parsing (a value that names
//! nothing is a 400), defaults left out, search text percent-encoded.
//!
//! A view is a folder's (the top level without `folder=`), unless it filters by status or
//! names an owner other than oneself: those list every folder's assets at once.

use crate::{
    api::{FerryError, ListParams, OwnerFilter, SortOrder},
    domain::{AssetStatus, FolderId, FolderRef},
};
use leptos_router::params::ParamsMap;

/// Page sizes people can choose.
pub const PAGE_SIZES: [usize; 4] = [10, 25, 50, ListParams::MAX_LIMIT];
pub const DEFAULT_PAGE_SIZE: usize = 25;

/// The view a `/assets` URL describes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrowseQuery {
    /// Whose assets (administrators choose; `None`, left out of the URL, is one's own,
    /// administrators' too: everyone's is `owner=all`).
    pub owner: Option<OwnerFilter>,
    pub status: Option<AssetStatus>,
    /// `None`: the default order (newest first; by name when searching).
    pub sort: Option<SortOrder>,
    /// File name prefix searched for.
    pub q: String,
    pub limit: usize,
    pub cursor: Option<String>,
    /// The folder shown (`None`: the top level).
    pub folder: Option<FolderId>,
    /// A search of the folder's subfolders too.
    pub sub: bool,
}

impl BrowseQuery {
    /// Reads the query string; a value that names nothing is a 400, not a silent default.
    pub fn parse(map: &ParamsMap) -> Result<BrowseQuery, FerryError> {
        BrowseQuery::from_pairs(|k| map.get(k))
    }

    /// The same, from any lookup of query parameters (already percent-decoded).
    pub fn from_pairs(param: impl Fn(&str) -> Option<String>) -> Result<BrowseQuery, FerryError> {
        let get = |k: &str| param(k).filter(|v| !v.is_empty());
        let owner = get("owner")
            .map(|s| s.parse::<OwnerFilter>())
            .transpose()
            .map_err(FerryError::BadRequest)?;
        let status = get("status")
            .map(|s| s.parse::<AssetStatus>())
            .transpose()
            .map_err(|e| FerryError::BadRequest(e.to_string()))?;
        let sort = get("sort")
            .map(|s| s.parse::<SortOrder>())
            .transpose()
            .map_err(FerryError::BadRequest)?;
        let limit = match get("limit") {
            None => DEFAULT_PAGE_SIZE,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|n| PAGE_SIZES.contains(n))
                .ok_or_else(|| {
                    FerryError::BadRequest(format!(
                        "page size `{l}` is not one of {}",
                        PAGE_SIZES.map(|n| n.to_string()).join(", ")
                    ))
                })?,
        };
        let q = get("q").unwrap_or_default().trim().to_string();
        let folder = get("folder")
            .map(|f| f.parse::<FolderId>())
            .transpose()
            .map_err(|e| FerryError::BadRequest(e.to_string()))?;
        let sub = match get("sub").as_deref() {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => {
                return Err(FerryError::BadRequest(format!(
                    "`sub={}` is not 1 or 0",
                    other.chars().take(20).collect::<String>()
                )))
            }
        };
        // A search lists by name; a time order in the URL gives way to it.
        let sort = if !q.is_empty() && sort.is_some_and(|s| !s.by_name()) {
            None
        } else {
            sort
        };
        Ok(BrowseQuery {
            owner,
            status,
            sort,
            q,
            limit,
            cursor: get("cursor"),
            folder,
            sub,
        })
    }

    /// Whether the view is a folder's (else every folder's assets at once: a status filter,
    /// or another owner's or everyone's assets).
    pub fn in_folders(&self) -> bool {
        self.status.is_none() && matches!(self.owner, None | Some(OwnerFilter::Mine))
    }

    /// The same order and page size in `folder`, from its first page, not searching.
    pub fn in_folder(&self, folder: Option<FolderId>) -> BrowseQuery {
        BrowseQuery {
            folder,
            q: String::new(),
            sub: false,
            cursor: None,
            ..self.clone()
        }
    }

    /// The order the listing is actually in.
    pub fn effective_sort(&self) -> SortOrder {
        self.sort.unwrap_or(if self.q.is_empty() {
            SortOrder::Newest
        } else {
            SortOrder::Name
        })
    }

    /// The URL of this view (defaults left out, so URLs stay short and stable).
    pub fn href(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![];
        if let Some(folder) = self.folder {
            pairs.push(("folder", folder.to_string()));
        }
        if let Some(owner) = &self.owner {
            pairs.push(("owner", owner.to_param()));
        }
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if self.sub {
            pairs.push(("sub", "1".into()));
        }
        if let Some(st) = self.status {
            pairs.push(("status", st.as_str().to_ascii_lowercase()));
        }
        if let Some(sort) = self.sort {
            if sort != self.default_sort() {
                pairs.push(("sort", sort.as_str().to_string()));
            }
        }
        if self.limit != DEFAULT_PAGE_SIZE {
            pairs.push(("limit", self.limit.to_string()));
        }
        if let Some(c) = &self.cursor {
            pairs.push(("cursor", c.clone()));
        }
        if pairs.is_empty() {
            return "/assets".to_string();
        }
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        format!("/assets?{query}")
    }

    fn default_sort(&self) -> SortOrder {
        if self.q.is_empty() {
            SortOrder::Newest
        } else {
            SortOrder::Name
        }
    }

    /// The same view from its first page.
    pub fn first_page(&self) -> BrowseQuery {
        BrowseQuery {
            cursor: None,
            ..self.clone()
        }
    }

    /// This view searching for `text` from its first page (a time order gives way to name
    /// order, which a search lists in).
    pub fn searching(&self, text: &str) -> BrowseQuery {
        let q = text.trim().to_string();
        BrowseQuery {
            sort: self.sort.filter(|s| s.by_name() || q.is_empty()),
            q,
            cursor: None,
            ..self.clone()
        }
    }

    pub fn at(&self, cursor: Option<String>) -> BrowseQuery {
        BrowseQuery {
            cursor,
            ..self.clone()
        }
    }

    pub fn params(&self) -> ListParams {
        ListParams {
            owner: Some(self.owner.clone().unwrap_or(OwnerFilter::Mine)),
            status: self.status,
            limit: Some(self.limit),
            cursor: self.cursor.clone(),
            sort: Some(self.effective_sort()),
            prefix: (!self.q.is_empty()).then(|| self.q.clone()),
            folder: self.in_folders().then(|| FolderRef::from(self.folder)),
            subfolders: (self.in_folders() && self.sub && !self.q.is_empty()).then_some(true),
        }
    }

    pub fn is_filtered(&self) -> bool {
        self.status.is_some() || !self.q.is_empty() || self.owner.is_some()
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<BrowseQuery, FerryError> {
        let pairs = url_pairs(query);
        BrowseQuery::from_pairs(|k| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        })
    }

    fn url_pairs(query: &str) -> Vec<(String, String)> {
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    #[test]
    fn urls_round_trip() {
        let view = BrowseQuery {
            owner: None,
            status: Some(AssetStatus::Uploaded),
            sort: Some(SortOrder::NameDesc),
            q: "rep".into(),
            limit: 50,
            cursor: Some("abc_-".into()),
            folder: None,
            sub: false,
        };
        let href = view.href();
        assert_eq!(
            href,
            "/assets?q=rep&status=uploaded&sort=name_desc&limit=50&cursor=abc_-"
        );
        assert_eq!(parse(href.trim_start_matches("/assets?")).unwrap(), view);
        // Defaults are left out.
        let plain = parse("").unwrap();
        assert_eq!(plain.limit, DEFAULT_PAGE_SIZE);
        assert_eq!(plain.href(), "/assets");
        assert_eq!(plain.effective_sort(), SortOrder::Newest);
        assert_eq!(parse("sort=newest").unwrap().href(), "/assets");
        assert_eq!(parse("sort=oldest").unwrap().href(), "/assets?sort=oldest");
        // Search text is encoded.
        let spaced = BrowseQuery {
            q: "a b&c".into(),
            ..plain.clone()
        };
        assert_eq!(spaced.href(), "/assets?q=a%20b%26c");
    }

    #[test]
    fn the_owner_filter_is_part_of_the_url() {
        for (query, owner) in [
            ("owner=all", OwnerFilter::All),
            ("owner=mine", OwnerFilter::Mine),
            ("owner=unowned", OwnerFilter::Unowned),
            (
                "owner=user%3Aauth0%7Cx",
                OwnerFilter::Owner(crate::domain::Owner::parse("auth0|x").unwrap()),
            ),
        ] {
            let decoded = query.replace("%3A", ":").replace("%7C", "|");
            let view = parse(&decoded).unwrap();
            let owner = Some(owner);
            assert_eq!(view.owner, owner);
            assert_eq!(view.params().owner, owner);
            assert_eq!(view.in_folders(), view.owner == Some(OwnerFilter::Mine));
            assert_eq!(view.href(), format!("/assets?{query}"));
            assert_eq!(view.first_page().owner, owner, "kept across pages");
        }
        // No filter: one's own (administrators' too), and a URL without one.
        assert_eq!(parse("").unwrap().owner, None);
        assert_eq!(parse("").unwrap().params().owner, Some(OwnerFilter::Mine));
        assert_eq!(parse("owner=").unwrap().href(), "/assets");
        for bad in ["owner=bob", "owner=user:", "owner=user:a/b"] {
            assert_eq!(
                parse(bad).unwrap_err().status(),
                http::StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
    }

    #[test]
    fn the_folder_is_part_of_the_url_unless_every_folder_is_listed() {
        let id = "01JDQ7ZK3M5X9V2B8N4C6T1R0W";
        let view = parse(&format!("folder={id}&q=rep&sub=1")).unwrap();
        assert_eq!(view.folder.unwrap().to_string(), id);
        assert_eq!(view.href(), format!("/assets?folder={id}&q=rep&sub=1"));
        let params = view.params();
        assert_eq!(params.folder.unwrap().to_string(), id);
        assert_eq!(params.subfolders, Some(true));
        // Into another folder: same order, first page, no search.
        let inner = view.in_folder(None);
        assert_eq!(inner.href(), "/assets");
        assert_eq!(inner.params().folder, Some(FolderRef::Root));
        assert_eq!(inner.params().subfolders, None);
        // A status filter, or another owner, lists every folder.
        let filtered = parse(&format!("folder={id}&status=deleted")).unwrap();
        assert_eq!(filtered.params().folder, None);
        let theirs = parse("owner=all").unwrap();
        assert_eq!(theirs.params().folder, None);
        assert!(parse("owner=mine").unwrap().in_folders());
        // Without a search, `sub` is kept (the box stays ticked) and asks for nothing.
        let ticked = parse("sub=1").unwrap();
        assert_eq!(ticked.href(), "/assets?sub=1");
        assert_eq!(ticked.params().subfolders, None);
        for bad in ["folder=x", "folder=root", "sub=yes"] {
            assert_eq!(
                parse(bad).unwrap_err().status(),
                http::StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_search_lists_by_name() {
        let view = parse("q=rep&sort=oldest").unwrap();
        assert_eq!(view.sort, None);
        assert_eq!(view.effective_sort(), SortOrder::Name);
        assert_eq!(view.params().sort, Some(SortOrder::Name));
        assert_eq!(view.params().prefix.as_deref(), Some("rep"));
        assert_eq!(view.href(), "/assets?q=rep");
        // Searching from a time order switches to name order; clearing keeps the order.
        let oldest = parse("sort=oldest&cursor=x").unwrap();
        let found = oldest.searching(" rep ");
        assert_eq!(
            (found.q.as_str(), found.sort, found.cursor),
            ("rep", None, None)
        );
        let named = parse("sort=name_desc").unwrap().searching("a");
        assert_eq!(named.sort, Some(SortOrder::NameDesc));
        assert_eq!(oldest.searching("").sort, Some(SortOrder::Oldest));
        // Blank searches are no search.
        assert_eq!(parse("q=   ").unwrap().href(), "/assets");
        assert_eq!(parse("q=").unwrap().href(), "/assets");
    }

    #[test]
    fn bad_urls_are_400s() {
        for bad in ["status=gone", "sort=size", "limit=7", "limit=x"] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.status(), http::StatusCode::BAD_REQUEST, "{bad}");
        }
        assert_eq!(
            parse("status=RECEIVED").unwrap().status,
            Some(AssetStatus::Received)
        );
    }
}
