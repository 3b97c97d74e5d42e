//! Download now (a plain link), or create a link valid for a chosen time and copy it.

use crate::{
    api::{create_download_link, DownloadLink},
    components::Toaster,
    domain::{Asset, AssetId, AssetStatus},
    format::{exact_time, time_left, LINK_LIFETIMES},
    platform,
};
use leptos::prelude::*;

/// The lifetime preselected for download links (1 hour).
const DEFAULT_LINK_SECS: u64 = 3600;

/// A download link with a chosen lifetime, to open or copy.
#[component]
pub fn DownloadPanel(live: Signal<Asset>) -> impl IntoView {
    let id = live.get_untracked().id;
    let downloadable = Memo::new(move |_| live.get().status.is_downloadable());
    let link = RwSignal::new(None::<(u64, DownloadLink)>);
    let lifetime = RwSignal::new(DEFAULT_LINK_SECS);

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
            <LinkForm id link lifetime />
            {move || link.get().map(|(secs, l)| view! { <LinkBox secs link=l /> })}
        }
        .into_any()
    }
}

/// The lifetime to ask for, and Create link.
#[component]
fn LinkForm(
    id: AssetId,
    link: RwSignal<Option<(u64, DownloadLink)>>,
    lifetime: RwSignal<u64>,
) -> impl IntoView {
    let toaster = Toaster::get();
    let busy = RwSignal::new(false);
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
    view! {
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
                            <option value=secs.to_string() selected=move || lifetime.get() == secs>
                                {label}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <button type="button" class="btn btn-quiet" on:click=create disabled=move || busy.get()>
                "Create link"
            </button>
        </div>
    }
}

/// A created link: selectable, copyable, with when it expires (and whether the server
/// shortened it).
#[component]
fn LinkBox(secs: u64, link: DownloadLink) -> impl IntoView {
    let toaster = Toaster::get();
    let now = platform::now();
    let asked = chrono::Duration::seconds(secs as i64);
    let capped = link.expires_at < now + asked - chrono::Duration::seconds(30);
    let url = link.download_url.clone();
    let copy = move |_| {
        let url = url.clone();
        leptos::task::spawn_local(async move {
            if platform::copy_text(&url).await {
                toaster.info("Link copied");
            } else {
                toaster.error("The browser did not allow copying; select the link and copy it");
                platform::focus("download-url");
            }
        });
    };
    view! {
        <div class="link-box" data-testid="download-link">
            <label for="download-url">"Download link"</label>
            <div class="link-row">
                <input
                    id="download-url"
                    class="mono"
                    readonly
                    prop:value=link.download_url.clone()
                    on:focus=move |_| platform::select_text("download-url")
                />
                <button type="button" class="btn" on:click=copy>
                    "Copy link"
                </button>
            </div>
            <p class="muted small">
                {format!(
                    "Expires {} ({}).",
                    time_left(now, link.expires_at),
                    exact_time(link.expires_at),
                )}
                {capped.then_some(" Shortened to this server's longest link lifetime.")}
            </p>
        </div>
    }
}
