//! `/assets/:id`: one asset — every metadata field, a preview, download links with a chosen
//! lifetime, and the actions its state allows.

use crate::{
    api::{create_download_link, get_asset, DownloadLink, FerryError},
    components::{
        delete_with_undo, AssetActions, ConfirmDelete, FileIcon, StatusBadge, Time, Toaster,
    },
    domain::{media::FileKind, Asset, AssetId, AssetStatus},
    error::error_page,
    format::{
        exact_time, human_bytes, text_preview, time_left, LINK_LIFETIMES, TEXT_PREVIEW_BYTES,
    },
    platform,
    poll::{poll_while_mounted, Poll},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

const DELETE_DIALOG: &str = "confirm-delete-asset";
/// Lifetime of the link a preview loads from.
const PREVIEW_LINK_SECS: u64 = 300;
/// The lifetime preselected for download links (1 hour).
const DEFAULT_LINK_SECS: u64 = 3600;

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
    let current = move || -> Option<Asset> {
        let base = loaded.get_untracked()?.ok()?;
        Some(
            fresh
                .get_untracked()
                .filter(|f| f.id == base.id)
                .unwrap_or(base),
        )
    };

    // CREATED and RECEIVED assets change on their own: follow them until they settle.
    // Polling is the browser's: effects never run while the server renders.
    Effect::new(move |_| {
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
        })
    });

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
    }
}

#[component]
fn Metadata(asset: Asset) -> impl IntoView {
    let unknown = || {
        view! { <span class="muted">"not yet known (arrives with the S3 event)"</span> }.into_any()
    };
    let text = |v: String| view! { <span class="mono">{v}</span> }.into_any();
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| match t {
        Some(t) => view! {
            <span>{exact_time(t)}</span>
            " "
            <span class="muted">"(" <Time time=t /> ")"</span>
        }
        .into_any(),
        None => unknown(),
    };
    let size = match asset.size {
        Some(n) => view! {
            <span>{human_bytes(n)}</span>
            " "
            <span class="muted">{format!("({n} bytes)")}</span>
        }
        .into_any(),
        None => unknown(),
    };
    let rows: Vec<(&str, AnyView)> = vec![
        ("Asset id", text(asset.id.to_string())),
        ("File name", text(asset.filename.clone())),
        ("Content type", text(asset.content_type.clone())),
        ("Size", size),
        (
            "Status",
            view! { <StatusBadge status=asset.status /> }.into_any(),
        ),
        ("Bucket", text(asset.bucket.clone())),
        ("Object key", text(asset.object_key.clone())),
        ("ETag", asset.etag.clone().map(text).unwrap_or_else(unknown)),
        (
            "Event name",
            asset.event_name.clone().map(text).unwrap_or_else(unknown),
        ),
        ("Event time", when(asset.event_time)),
        (
            "Sequencer",
            asset.sequencer.clone().map(text).unwrap_or_else(unknown),
        ),
        ("Created", when(Some(asset.created_at))),
        ("Updated", when(Some(asset.updated_at))),
    ];
    let deleted_from = asset.deleted_from.map(|s| {
        view! {
            <div class="meta-row">
                <dt>"Deleted from"</dt>
                <dd>{s.as_str()}</dd>
            </div>
        }
    });
    view! {
        <dl class="meta" data-testid="metadata">
            {rows
                .into_iter()
                .map(|(label, value)| {
                    view! {
                        <div class="meta-row">
                            <dt>{label}</dt>
                            <dd>{value}</dd>
                        </div>
                    }
                })
                .collect_view()}
            {deleted_from}
        </dl>
    }
}

/// Images as a thumbnail, text files as their first kilobyte, both fetched by the browser
/// from a short-lived presigned GET (the server never carries the bytes).
#[component]
fn Preview(live: Signal<Asset>, kind: FileKind) -> impl IntoView {
    let downloadable = Memo::new(move |_| live.get().status.is_downloadable());
    let image = RwSignal::new(None::<Result<String, String>>);
    let text = RwSignal::new(None::<Result<(String, bool), String>>);
    let id = live.get_untracked().id;
    let name = live.get_untracked().filename;
    let size = live.get_untracked().size;

    Effect::new(move |_| {
        if !downloadable.get() || !matches!(kind, FileKind::Image | FileKind::Text) {
            return;
        }
        leptos::task::spawn_local(async move {
            let link = create_download_link(id, Some(PREVIEW_LINK_SECS))
                .await
                .map_err(|e| e.to_string());
            match kind {
                FileKind::Image => {
                    let _ = image.try_set(Some(link.map(|l| l.download_url)));
                }
                _ => {
                    let head = match link {
                        Ok(l) => platform::fetch_range(&l.download_url, TEXT_PREVIEW_BYTES)
                            .await
                            .map(|body| text_preview(body, TEXT_PREVIEW_BYTES)),
                        Err(e) => Err(e),
                    };
                    // Longer than shown: from the recorded size (reading Content-Range
                    // would need the bucket's CORS rule to expose it).
                    let longer = size.is_some_and(|s| s > TEXT_PREVIEW_BYTES);
                    let _ = text.try_set(Some(head.map(|(t, more)| (t, more || longer))));
                }
            }
        });
    });

    move || {
        if !downloadable.get() {
            let why = if live.get().status == AssetStatus::Deleted {
                "Deleted assets cannot be previewed."
            } else {
                "The preview appears once the file is in the bucket."
            };
            return view! { <p class="muted">{why}</p> }.into_any();
        }
        match kind {
            FileKind::Image => match image.get() {
                None => view! { <div class="preview-loading" role="status">"Loading preview…"</div> }
                    .into_any(),
                Some(Ok(url)) => view! {
                    <img
                        class="preview-image"
                        src=url
                        alt=format!("Preview of {name}")
                        data-testid="preview-image"
                    />
                }
                .into_any(),
                Some(Err(e)) => view! { <p class="error-text">{format!("No preview: {e}")}</p> }
                    .into_any(),
            },
            FileKind::Text => match text.get() {
                None => view! { <div class="preview-loading" role="status">"Loading preview…"</div> }
                    .into_any(),
                Some(Ok((body, more))) => view! {
                    <pre class="preview-text" data-testid="preview-text" tabindex="0">{body}</pre>
                    {more.then(|| view! { <p class="muted small">"Showing the first kilobyte."</p> })}
                }
                .into_any(),
                Some(Err(e)) => view! { <p class="error-text">{format!("No preview: {e}")}</p> }
                    .into_any(),
            },
            other => view! {
                <p class="muted">{format!("No preview for {} files.", other.label().to_lowercase())}</p>
            }
            .into_any(),
        }
    }
}

/// A download link with a chosen lifetime, to open or copy.
#[component]
fn DownloadPanel(live: Signal<Asset>) -> impl IntoView {
    let toaster = Toaster::get();
    let id = live.get_untracked().id;
    let lifetime = RwSignal::new(DEFAULT_LINK_SECS);
    let link = RwSignal::new(None::<(u64, DownloadLink)>);
    let busy = RwSignal::new(false);
    let downloadable = Memo::new(move |_| live.get().status.is_downloadable());

    let create = move |_| {
        busy.set(true);
        let secs = lifetime.get_untracked();
        leptos::task::spawn_local(async move {
            match create_download_link(id, Some(secs)).await {
                Ok(l) => {
                    let _ = link.try_set(Some((secs, l)));
                }
                Err(e) => toaster.error(format!("No download link: {e}")),
            }
            let _ = busy.try_set(false);
        });
    };
    let copy = move |_| {
        let Some((_, l)) = link.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            if platform::copy_text(&l.download_url).await {
                toaster.info("Link copied");
            } else {
                toaster.error("The browser did not allow copying; select the link and copy it");
                platform::focus("download-url");
            }
        });
    };

    move || {
        if !downloadable.get() {
            let why = if live.get().status == AssetStatus::Deleted {
                "Deleted assets cannot be downloaded: restore it first."
            } else {
                "Download links are available once the file is in the bucket."
            };
            return view! { <p class="muted" data-testid="download-unavailable">{why}</p> }
                .into_any();
        }
        view! {
            <p>
                <a class="btn" href=format!("/assets/{id}/download") data-testid="download-now">
                    "Download now"
                </a>
            </p>
            <div class="link-form">
                <label for="link-lifetime">"Share a link valid for"</label>
                <select
                    id="link-lifetime"
                    on:change=move |ev| {
                        if let Ok(secs) = event_target_value(&ev).parse() {
                            lifetime.set(secs);
                        }
                    }
                >
                    {LINK_LIFETIMES
                        .map(|(secs, label)| {
                            view! {
                                <option
                                    value=secs.to_string()
                                    selected=move || lifetime.get() == secs
                                >
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <button
                    type="button"
                    class="btn btn-quiet"
                    on:click=create
                    disabled=move || busy.get()
                >
                    "Create link"
                </button>
            </div>
            {move || {
                link.get()
                    .map(|(secs, l)| {
                        let asked = chrono::Duration::seconds(secs as i64);
                        let capped = l.expires_at
                            < platform::now() + asked - chrono::Duration::seconds(30);
                        view! {
                            <div class="link-box" data-testid="download-link">
                                <label for="download-url">"Download link"</label>
                                <div class="link-row">
                                    <input
                                        id="download-url"
                                        class="mono"
                                        readonly
                                        prop:value=l.download_url.clone()
                                        on:focus=move |_| platform::select_text("download-url")
                                    />
                                    <button type="button" class="btn" on:click=copy>
                                        "Copy link"
                                    </button>
                                </div>
                                <p class="muted small">
                                    {format!(
                                        "Expires {} ({}).",
                                        time_left(platform::now(), l.expires_at),
                                        exact_time(l.expires_at),
                                    )}
                                    {capped
                                        .then_some(" Shortened to this server's longest link lifetime.")}
                                </p>
                            </div>
                        }
                    })
            }}
        }
        .into_any()
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
