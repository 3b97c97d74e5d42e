//! `/assets`: every asset with its status and metadata, one index-backed page at a time.
//!
//! The URL holds the whole view (`status`, `sort`, `q`, `limit`, `cursor`), so a view can be
//! shared and reloaded; the server renders it complete (readable without JavaScript), then
//! the page keeps pending rows and the first page fresh by polling.

use crate::{
    api::{list_assets, AssetList, FerryError, ListParams, SortOrder},
    components::{delete_with_undo, AssetActions, ConfirmDelete, FileIcon, StatusBadge, Time},
    domain::{media::FileKind, Asset, AssetStatus},
    format::human_bytes,
    platform::{self, set_response_status},
    poll::{poll_while_mounted, Poll},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    hooks::{use_navigate, use_query_map},
    params::ParamsMap,
    NavigateOptions,
};

/// Page sizes people can choose.
pub const PAGE_SIZES: [usize; 4] = [10, 25, 50, ListParams::MAX_LIMIT];
pub const DEFAULT_PAGE_SIZE: usize = 25;

/// The view a `/assets` URL describes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrowseQuery {
    pub status: Option<AssetStatus>,
    /// `None`: the default order (newest first; by name when searching).
    pub sort: Option<SortOrder>,
    /// File name prefix searched for.
    pub q: String,
    pub limit: usize,
    pub cursor: Option<String>,
}

impl BrowseQuery {
    /// Reads the query string; a value that names nothing is a 400, not a silent default.
    pub fn parse(map: &ParamsMap) -> Result<BrowseQuery, FerryError> {
        BrowseQuery::from_pairs(|k| map.get(k))
    }

    /// The same, from any lookup of query parameters (already percent-decoded).
    pub fn from_pairs(param: impl Fn(&str) -> Option<String>) -> Result<BrowseQuery, FerryError> {
        let get = |k: &str| param(k).filter(|v| !v.is_empty());
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
        // A search lists by name; a time order in the URL gives way to it.
        let sort = if !q.is_empty() && sort.is_some_and(|s| !s.by_name()) {
            None
        } else {
            sort
        };
        Ok(BrowseQuery {
            status,
            sort,
            q,
            limit,
            cursor: get("cursor"),
        })
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
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
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
            status: self.status,
            limit: Some(self.limit),
            cursor: self.cursor.clone(),
            sort: Some(self.effective_sort()),
            prefix: (!self.q.is_empty()).then(|| self.q.clone()),
        }
    }

    fn is_filtered(&self) -> bool {
        self.status.is_some() || !self.q.is_empty()
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

const DELETE_DIALOG: &str = "confirm-delete";

#[component]
pub fn BrowsePage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| BrowseQuery::parse(&query_map.read()));
    let list = Resource::new(
        move || query.get(),
        |q| async move { list_assets(q?.params()).await },
    );
    // Newer data than the resource's, from polling and from actions on rows.
    let fresh = RwSignal::new(None::<(BrowseQuery, AssetList)>);
    let current = move || -> Option<AssetList> {
        let q = query.get_untracked().ok()?;
        shown(&q, fresh.get_untracked(), list.get_untracked()?).ok()
    };
    // Another view: what polling found for the last one must not stand in for it if that
    // view comes back (the resource loads it afresh).
    Effect::watch(move || query.get(), move |_, _, _| fresh.set(None), false);
    // An asset changed by an action: patch it into the rows shown.
    let changed = Callback::new(move |asset: Asset| {
        let (Ok(q), Some(mut shown)) = (query.get_untracked(), current()) else {
            return;
        };
        if let Some(row) = shown.items.iter_mut().find(|a| a.id == asset.id) {
            *row = asset;
        }
        fresh.set(Some((q, shown)));
    });

    // Polling is the browser's: effects never run while the server renders.
    Effect::new(move |_| {
        poll_while_mounted(move || async move {
            let (Some(Ok(q)), Some(shown)) = (query.try_get_untracked(), current()) else {
                return Poll::Idle;
            };
            // Later pages only change through their pending rows; the first page also gains
            // new uploads.
            let pending = shown.items.iter().any(|a| a.status.is_pending());
            if q.cursor.is_some() && !pending {
                return Poll::Idle;
            }
            match list_assets(q.params()).await {
                Ok(list) => {
                    let changed = list != shown;
                    if changed && query.try_get_untracked() == Some(Ok(q.clone())) {
                        fresh.set(Some((q, list)));
                    }
                    Poll::Polled { changed }
                }
                Err(_) => Poll::Failed,
            }
        })
    });

    let delete_target = RwSignal::new(None::<Asset>);
    let pending = RwSignal::new(false);

    let rows = move || {
        let loaded = list.get()?;
        let result = query
            .get()
            .and_then(|q| shown(&q, fresh.get(), loaded).map(|page| (q, page)));
        if let Err(e) = &result {
            set_response_status(e.status());
        }
        Some(match result {
            Ok((q, page)) => view! { <AssetTable q page delete_target changed /> }.into_any(),
            Err(e) => view! {
                <div class="panel panel-error" role="alert">
                    <h2>"The assets could not be listed"</h2>
                    <p>{e.to_string()}</p>
                    <p class="actions">
                        <button type="button" class="btn" on:click=move |_| list.refetch()>
                            "Try again"
                        </button>
                        <a href="/assets">"Show all assets"</a>
                    </p>
                </div>
            }
            .into_any(),
        })
    };

    // Only the browser tracks loading (see `platform::pending_transition`).
    let listing = platform::pending_transition(|| view! { <Skeleton /> }.into_any(), pending, rows);

    view! {
        <Title text="Assets" />
        <section class="page-head">
            <h1>"Assets"</h1>
            <p class="lede">
                "Every upload and every object that arrives in the bucket, with its status: "
                "created, received, uploaded or deleted."
            </p>
        </section>
        <Toolbar query />
        <div class="listing" aria-busy=move || pending.get().to_string()>{listing}</div>
        <ConfirmDelete
            id=DELETE_DIALOG
            target=delete_target
            on_confirm=Callback::new(move |asset| delete_with_undo(asset, changed))
        />
    }
}

/// What view `q` shows: rows newer than the loaded ones (from polling or an action) when
/// they belong to this view, else what was loaded.
fn shown(
    q: &BrowseQuery,
    fresh: Option<(BrowseQuery, AssetList)>,
    loaded: Result<AssetList, FerryError>,
) -> Result<AssetList, FerryError> {
    match fresh {
        Some((fresh_q, page)) if &fresh_q == q => Ok(page),
        _ => loaded,
    }
}

/// Search, filter, order and page size. A plain GET form (works without JavaScript); once
/// hydrated, choices apply at once and typing searches as you go.
#[component]
fn Toolbar(query: Memo<Result<BrowseQuery, FerryError>>) -> impl IntoView {
    let navigate = use_navigate();
    let q = move || query.get().unwrap_or_default();
    let search = RwSignal::new(q().q);
    // Back/forward changes the URL under the search box.
    Effect::new(move |_| {
        let now = q().q;
        if search.get_untracked().trim() != now {
            search.set(now);
        }
    });
    let go = {
        let navigate = navigate.clone();
        move |view: BrowseQuery, replace: bool| {
            navigate(
                &view.href(),
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..Default::default()
                },
            )
        }
    };
    // Typing waits for a pause before searching.
    let typed = StoredValue::new(0u32);
    let on_input = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            search.set(event_target_value(&ev));
            typed.update_value(|n| *n += 1);
            let mine = typed.get_value();
            let go = go.clone();
            leptos::task::spawn_local(async move {
                platform::sleep(300).await;
                if typed.try_get_value() == Some(mine) {
                    go(q().searching(&search.get_untracked()), true);
                }
            });
        }
    };
    let on_submit = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            typed.update_value(|n| *n += 1);
            go(q().searching(&search.get_untracked()), false);
        }
    };
    let set_status = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            let mut view = q().first_page();
            view.status = value.parse().ok();
            go(view, false);
        }
    };
    let set_sort = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let mut view = q().first_page();
            view.sort = event_target_value(&ev).parse().ok();
            go(view, false);
        }
    };
    let set_limit = move |ev: leptos::ev::Event| {
        let mut view = q().first_page();
        view.limit = event_target_value(&ev).parse().unwrap_or(DEFAULT_PAGE_SIZE);
        go(view, false);
    };
    let searching = move || !q().q.is_empty();

    view! {
        <form class="toolbar" method="get" action="/assets" role="search" on:submit=on_submit>
            <div class="field field-search">
                <label for="asset-search">"Search by file name"</label>
                <input
                    id="asset-search"
                    type="search"
                    name="q"
                    placeholder="Name starts with…"
                    autocomplete="off"
                    spellcheck="false"
                    maxlength="255"
                    value=q().q
                    prop:value=move || search.get()
                    on:input=on_input
                />
            </div>
            <div class="field">
                <label for="asset-status">"Status"</label>
                <select id="asset-status" name="status" on:change=set_status>
                    <option value="" selected=move || q().status.is_none()>
                        "All"
                    </option>
                    {AssetStatus::ALL
                        .map(|st| {
                            view! {
                                <option
                                    value=st.as_str().to_ascii_lowercase()
                                    selected=move || q().status == Some(st)
                                >
                                    {title_case(st.as_str())}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="asset-sort">"Order"</label>
                <select
                    id="asset-sort"
                    name="sort"
                    on:change=set_sort
                    aria-describedby="sort-note"
                >
                    {SortOrder::ALL
                        .map(|o| {
                            view! {
                                <option
                                    value=o.as_str()
                                    selected=move || q().effective_sort() == o
                                    disabled=move || searching() && !o.by_name()
                                >
                                    {o.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="asset-limit">"Per page"</label>
                <select id="asset-limit" name="limit" on:change=set_limit>
                    {PAGE_SIZES
                        .map(|n| {
                            view! {
                                <option value=n.to_string() selected=move || q().limit == n>
                                    {n.to_string()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="btn">
                "Apply"
            </button>
            <p id="sort-note" class="toolbar-note muted">
                {move || {
                    if searching() {
                        "Search results are listed by name."
                    } else {
                        "Sizes are not sortable: ordering by size would need two more indexes."
                    }
                }}
            </p>
        </form>
    }
}

fn title_case(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The page of assets: a table (cards on narrow screens), then the pager.
#[component]
fn AssetTable(
    q: BrowseQuery,
    page: AssetList,
    delete_target: RwSignal<Option<Asset>>,
    changed: Callback<Asset>,
) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <Empty q /> }.into_any();
    }
    let count = page.items.len();
    let sort = q.effective_sort();
    let caption = format!(
        "{count} asset{}, {}{}",
        if count == 1 { "" } else { "s" },
        sort.label().to_lowercase(),
        if q.cursor.is_some() {
            ""
        } else {
            " (first page)"
        }
    );
    let prev = page.prev_cursor.clone().map(|c| q.at(Some(c)).href());
    let next = page.next_cursor.clone().map(|c| q.at(Some(c)).href());
    let first = q.cursor.is_some().then(|| q.first_page().href());
    let rows = page
        .items
        .into_iter()
        .map(|asset| view! { <AssetRow asset delete_target changed /> })
        .collect_view();
    view! {
        <table class="assets" data-testid="assets">
            <caption class="visually-hidden">{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col" class="num">"Size"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Updated"</th>
                    <th scope="col">
                        <span class="visually-hidden">"Actions"</span>
                    </th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            {pager_link(first, "« First", "first")}
            {pager_link(prev, "‹ Previous", "prev")}
            <span class="pager-count muted">
                {format!("{count} on this page")}
            </span>
            {pager_link(next, "Next ›", "next")}
        </nav>
    }
    .into_any()
}

fn pager_link(href: Option<String>, label: &'static str, rel: &'static str) -> impl IntoView {
    match href {
        Some(href) => view! {
            <a class="btn btn-quiet" href=href rel=rel>
                {label}
            </a>
        }
        .into_any(),
        None => view! {
            <span class="btn btn-quiet disabled" aria-disabled="true">
                {label}
            </span>
        }
        .into_any(),
    }
}

#[component]
fn AssetRow(
    asset: Asset,
    delete_target: RwSignal<Option<Asset>>,
    changed: Callback<Asset>,
) -> impl IntoView {
    let href = format!("/assets/{}", asset.id);
    let kind = FileKind::of(&asset.content_type, &asset.filename);
    let size = asset.size.map(human_bytes).unwrap_or_else(|| "—".into());
    let name = asset.filename.clone();
    let download = asset.status.is_downloadable().then(|| {
        view! {
            <a
                class="btn btn-quiet"
                href=format!("/assets/{}/download", asset.id)
                aria-label=format!("Download {name}")
            >
                "Download"
            </a>
        }
    });
    view! {
        <tr data-asset-id=asset.id.to_string() data-status=asset.status.as_str()>
            <td class="cell-name" data-label="Name">
                <FileIcon kind />
                <span class="name-block">
                    <a class="asset-link" href=href>
                        {asset.filename.clone()}
                    </a>
                    <span class="muted small">{asset.content_type.clone()}</span>
                </span>
            </td>
            <td class="num" data-label="Size">
                {size}
            </td>
            <td data-label="Status">
                <StatusBadge status=asset.status />
            </td>
            <td data-label="Created">
                <Time time=asset.created_at />
            </td>
            <td data-label="Updated">
                <Time time=asset.updated_at />
            </td>
            <td class="cell-actions" data-label="Actions">
                {download}
                <AssetActions
                    asset=asset.clone()
                    dialog_id=DELETE_DIALOG
                    delete_target
                    changed
                    compact=true
                />
            </td>
        </tr>
    }
}

#[component]
fn Empty(q: BrowseQuery) -> impl IntoView {
    let body = if q.cursor.is_some() {
        view! {
            <h2>"No more assets"</h2>
            <p>
                <a href=q.first_page().href()>"Back to the first page"</a>
            </p>
        }
        .into_any()
    } else if q.is_filtered() {
        let what = match (&q.status, q.q.as_str()) {
            (Some(st), "") => format!("No {} assets.", st.as_str().to_ascii_lowercase()),
            (None, prefix) => format!("No file names start with “{prefix}”."),
            (Some(st), prefix) => format!(
                "No {} assets have names starting with “{prefix}”.",
                st.as_str().to_ascii_lowercase()
            ),
        };
        view! {
            <h2>"Nothing matches"</h2>
            <p>{what}</p>
            <p>
                <a href="/assets">"Clear the search and filters"</a>
            </p>
        }
        .into_any()
    } else {
        view! {
            <h2>"No assets yet"</h2>
            <p>"Files you upload, and objects that arrive in the bucket, show up here."</p>
            <p>
                <a class="btn" href="/">
                    "Upload files"
                </a>
            </p>
        }
        .into_any()
    };
    view! {
        <div class="panel empty" data-testid="empty">
            {body}
        </div>
    }
}

/// Placeholder rows while the first page loads, the height of real ones (no layout jump).
#[component]
fn Skeleton() -> impl IntoView {
    view! {
        <div class="skeleton" aria-label="Loading assets" role="status">
            {(0..8).map(|_| view! { <div class="skeleton-row"></div> }).collect_view()}
        </div>
    }
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
            status: Some(AssetStatus::Uploaded),
            sort: Some(SortOrder::NameDesc),
            q: "rep".into(),
            limit: 50,
            cursor: Some("abc_-".into()),
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
