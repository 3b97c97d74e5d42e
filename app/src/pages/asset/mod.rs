//! `/assets/:id`: one asset — every metadata field, a preview, download links with a chosen
//! lifetime, and the actions its state allows.
//!
//! - `metadata`: the fields, with what S3 has not reported yet said as such;
//! - `preview`: images as a thumbnail, text as its first kilobyte;
//! - `download`: download now, or a link of a chosen lifetime to copy;
//! - `share`: share links that can be taken back (made, counted, revoked).

mod download;
mod metadata;
mod preview;
mod share;

use crate::{
    api::{get_asset, FerryError},
    components::{delete_with_undo, AssetActions, ConfirmDelete, FileIcon, StatusBadge},
    domain::{media::FileKind, Asset, AssetId, AssetStatus},
    error::error_page,
    poll::{poll_while_mounted, Poll},
};
use download::DownloadPanel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use metadata::Metadata;
use preview::Preview;
use share::Sharing;

const DELETE_DIALOG: &str = "confirm-delete-asset";

/// A malformed id is a 404, like an unknown one.
#[component]
pub fn AssetPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| -> Result<AssetId, FerryError> {
        let raw = params.read().get("id").unwrap_or_default();
        raw.parse::<AssetId>()
            .map_err(|e| FerryError::NotFound(e.to_string()))
    });
    let loaded = Resource::new(move || id.get(), |id| async move { get_asset(id?).await });
    // Newer state than the resource's, from actions and polling.
    let fresh = RwSignal::new(None::<Asset>);
    let changed = Callback::new(move |a: Asset| fresh.set(Some(a)));
    // Another asset, or this one again later: the resource loads it afresh.
    Effect::watch(move || id.get(), move |_, _, _| fresh.set(None), false);
    // Polling is the browser's: effects never run while the server renders.
    Effect::new(move |_| follow(loaded, fresh));

    let delete_target = RwSignal::new(None::<Asset>);
    let page = move || {
        loaded.get().map(|result| match result {
            Ok(base) => {
                let live = Signal::derive(move || {
                    fresh
                        .get()
                        .filter(|f| f.id == base.id)
                        .unwrap_or_else(|| base.clone())
                });
                view! { <AssetDetail live changed delete_target /> }.into_any()
            }
            Err(e) => error_page(&e).into_any(),
        })
    };
    view! {
        <Transition fallback=|| view! { <DetailSkeleton /> }>{page}</Transition>
        <ConfirmDelete
            id=DELETE_DIALOG
            target=delete_target
            on_confirm=Callback::new(move |asset| delete_with_undo(asset, changed))
        />
    }
}

/// CREATED and RECEIVED assets change on their own: follows the one shown until it settles.
fn follow(loaded: Resource<Result<Asset, FerryError>>, fresh: RwSignal<Option<Asset>>) {
    let current = move || -> Option<Asset> {
        let base = loaded.get_untracked()?.ok()?;
        Some(
            fresh
                .get_untracked()
                .filter(|f| f.id == base.id)
                .unwrap_or(base),
        )
    };
    poll_while_mounted(move || async move {
        let Some(shown) = current() else {
            return Poll::Idle;
        };
        if !shown.status.is_pending() {
            return Poll::Idle;
        }
        match get_asset(shown.id).await {
            Ok(now) => {
                let changed = now != shown;
                if changed {
                    fresh.set(Some(now));
                }
                Poll::Polled { changed }
            }
            Err(_) => Poll::Failed,
        }
    });
}

#[component]
fn AssetDetail(
    live: Signal<Asset>,
    changed: Callback<Asset>,
    delete_target: RwSignal<Option<Asset>>,
) -> impl IntoView {
    let first = live.get_untracked();
    let name = first.filename.clone();
    let kind = FileKind::of(&first.content_type, &first.filename);
    let status = Memo::new(move |_| live.get().status);

    let actions = move || {
        view! {
            <AssetActions asset=live.get() dialog_id=DELETE_DIALOG delete_target changed />
        }
    };

    view! {
        <Title text=name.clone() />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/assets">"Assets"</a>
            " / "
            <span aria-current="page">{name.clone()}</span>
        </nav>
        <header class="detail-head">
            <FileIcon kind />
            <h1 class="detail-title">{name.clone()}</h1>
            {move || view! { <StatusBadge status=status.get() /> }}
        </header>
        <p class="status-line" aria-live="polite">
            {move || status_text(&live.get())}
        </p>
        <div class="detail-actions">{actions}</div>
        <div class="detail-grid">
            <section class="panel" aria-labelledby="preview-title">
                <h2 id="preview-title">"Preview"</h2>
                <Preview live kind />
            </section>
            <section class="panel" aria-labelledby="download-title">
                <h2 id="download-title">"Download"</h2>
                <DownloadPanel live />
            </section>
            <section class="panel" aria-labelledby="share-title">
                <h2 id="share-title">"Share links"</h2>
                <Sharing live />
            </section>
            <section class="panel panel-wide" aria-labelledby="meta-title">
                <h2 id="meta-title">"Metadata"</h2>
                {move || view! { <Metadata asset=live.get() /> }}
            </section>
        </div>
    }
}

fn status_text(a: &Asset) -> String {
    match a.status {
        AssetStatus::Created => {
            "Waiting for the file to arrive in the bucket. This page updates by itself.".into()
        }
        AssetStatus::Received => {
            "The file is in the bucket; its upload has not been confirmed yet.".into()
        }
        AssetStatus::Uploaded => "Uploaded and confirmed.".into(),
        AssetStatus::Deleted => format!(
            "Deleted: the file stays in the bucket but cannot be downloaded.{}",
            a.deleted_from
                .map(|s| format!(" Restoring returns it to {s}."))
                .unwrap_or_default()
        ),
        AssetStatus::Rejected => format!(
            "Rejected: {}. The file was deleted from the bucket.",
            a.rejection
                .as_ref()
                .map_or("the file broke this server's limits".into(), |r| r
                    .to_string())
        ),
    }
}

/// Placeholder while an asset loads (the shape of the page, no layout jump).
#[component]
fn DetailSkeleton() -> impl IntoView {
    view! {
        <div class="skeleton" role="status" aria-label="Loading the asset">
            <div class="skeleton-row skeleton-title"></div>
            <div class="skeleton-row"></div>
            <div class="skeleton-block"></div>
        </div>
    }
}
