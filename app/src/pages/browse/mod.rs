//! `/assets`: every asset with its status and metadata, one index-backed page at a time.
//!
//! The URL holds the whole view (`owner`, `status`, `sort`, `q`, `limit`, `cursor`), so a view
//! can be shared and reloaded; the server renders it complete (readable without JavaScript), then
//! the page keeps pending rows and the first page fresh by polling.
//!
//! - `query`: the view a URL describes ([`BrowseQuery`]);
//! - `toolbar`: search, filter, order and page size;
//! - `table`: the rows (with an owner column for administrators) or the grid of cards with
//!   thumbnails, the pager, the empty states, and the administrators' owner filter;
//! - `display`: list or grid, each person's choice (a cookie the server reads);
//! - `selection`: rows selected (Shift for a range, all of the page), and the bar that acts
//!   on them in one bulk request;
//! - `folders`: the breadcrumbs and the folder's actions, folder rows and cards, and the
//!   picker that moves the selection.

mod display;
mod folders;
mod query;
mod selection;
mod table;
mod toolbar;

use crate::{
    api::{list_assets, AssetList, FerryError},
    components::{delete_with_undo, ConfirmDelete},
    domain::Asset,
    platform::{self, set_response_status},
    poll::{poll_while_mounted, Poll},
};
use display::{Display, DisplayToggle};
use folders::{FolderBar, MovePicker};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use query::BrowseQuery;
use selection::{BulkBar, Selection};
use table::{AssetTable, OwnerChoice, Skeleton, DELETE_DIALOG};
use toolbar::Toolbar;

#[component]
pub fn BrowsePage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| BrowseQuery::parse(&query_map.read()));
    let listing = Listing {
        query,
        list: Resource::new(
            move || query.get(),
            |q| async move { list_assets(q?.params()).await },
        ),
        fresh: RwSignal::new(None),
    };
    // Another view: what polling found for the last one must not stand in for it if that
    // view comes back (the resource loads it afresh).
    let selection = Selection::new();
    Effect::watch(
        move || query.get(),
        move |_, _, _| {
            listing.fresh.set(None);
            // A selection is of the rows shown: another view starts with none.
            selection.clear();
        },
        false,
    );
    // An asset changed by an action: patch it into the rows shown.
    let changed = Callback::new(move |asset: Asset| listing.patch(asset));
    // Polling is the browser's: effects never run while the server renders.
    Effect::new(move |_| listing.poll());

    let delete_target = RwSignal::new(None::<Asset>);
    let pending = RwSignal::new(false);
    let display = RwSignal::new(Display::chosen());
    let reload = Callback::new(move |_: ()| listing.reload());
    let rows = move || listing.rows(delete_target, changed, reload, display.get(), selection);
    let shown_assets = Signal::derive(move || listing.items());
    let in_folders = Signal::derive(move || query.get().is_ok_and(|q| q.in_folders()));
    let moving = RwSignal::new(false);
    let skeleton = || view! { <Skeleton /> }.into_any();

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
        <DisplayToggle display />
        <BulkBar selection rows=shown_assets changed folders=in_folders moving />
        <MovePicker selection rows=shown_assets open=moving done=reload />
        <div class="listing" aria-busy=move || pending.get().to_string()>
            {platform::pending_transition(skeleton, pending, rows)}
        </div>
        <ConfirmDelete
            id=DELETE_DIALOG
            target=delete_target
            on_confirm=Callback::new(move |asset| delete_with_undo(asset, changed))
        />
    }
}

/// The rows of the page: as loaded for the URL's view, or newer.
#[derive(Clone, Copy)]
struct Listing {
    query: Memo<Result<BrowseQuery, FerryError>>,
    list: Resource<Result<AssetList, FerryError>>,
    /// Newer data than the resource's, from polling and from actions on rows.
    fresh: RwSignal<Option<(BrowseQuery, AssetList)>>,
}

impl Listing {
    /// What is shown now (untracked).
    fn current(&self) -> Option<AssetList> {
        let q = self.query.get_untracked().ok()?;
        shown(&q, self.fresh.get_untracked(), self.list.get_untracked()?).ok()
    }

    /// The assets shown now (tracked).
    fn items(&self) -> Vec<Asset> {
        let (Ok(q), Some(loaded)) = (self.query.get(), self.list.get()) else {
            return vec![];
        };
        shown(&q, self.fresh.get(), loaded)
            .map(|page| page.items)
            .unwrap_or_default()
    }

    /// Shows `asset`'s new state in its row.
    fn patch(&self, asset: Asset) {
        let (Ok(q), Some(mut shown)) = (self.query.get_untracked(), self.current()) else {
            return;
        };
        if let Some(row) = shown.items.iter_mut().find(|a| a.id == asset.id) {
            *row = asset;
        }
        self.fresh.set(Some((q, shown)));
    }

    /// Loads the view again (after a change that moves rows in or out of it).
    fn reload(&self) {
        self.fresh.set(None);
        self.list.refetch();
    }

    /// Keeps the first page (new uploads appear there) and pending rows fresh.
    fn poll(self) {
        poll_while_mounted(move || async move {
            let (Some(Ok(q)), Some(shown)) = (self.query.try_get_untracked(), self.current())
            else {
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
                    if changed && self.query.try_get_untracked() == Some(Ok(q.clone())) {
                        self.fresh.set(Some((q, list)));
                    }
                    Poll::Polled { changed }
                }
                Err(_) => Poll::Failed,
            }
        });
    }

    /// The table for the view, or why it could not be listed (with the response status).
    fn rows(
        &self,
        delete_target: RwSignal<Option<Asset>>,
        changed: Callback<Asset>,
        reload: Callback<()>,
        display: Display,
        selection: Selection,
    ) -> Option<AnyView> {
        let loaded = self.list.get()?;
        let result = self
            .query
            .get()
            .and_then(|q| shown(&q, self.fresh.get(), loaded).map(|page| (q, page)));
        if let Err(e) = &result {
            set_response_status(e.status());
        }
        let list = self.list;
        Some(match result {
            Ok((q, page)) => view! {
                {page.viewer_is_admin.then(|| view! { <OwnerChoice q=q.clone() /> })}
                {q.in_folders().then(|| view! { <FolderBar q=q.clone() view=page.folder.clone() reload /> })}
                <AssetTable q page delete_target changed grid=display == Display::Grid selection />
            }
            .into_any(),
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
