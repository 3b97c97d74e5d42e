//! The upload page's view: the drop zone and pickers, the queue's summary and its rows. What
//! happens to the files is the [`Uploader`]'s business.

use super::{
    controller::Uploader,
    queue::{percent, totals, Item, ItemState},
};
use crate::{
    api::{get_folder, get_upload_limits, FerryError, UploadLimits},
    components::StatusBadge,
    domain::{AssetStatus, FolderId},
    format::human_bytes,
    platform,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

type Limits = Resource<Result<UploadLimits, FerryError>>;

#[component]
pub fn UploadPage() -> impl IntoView {
    let limits: Limits = Resource::new(|| (), |_| get_upload_limits());
    // `?folder=<id>`: the folder the browse page sent the person from.
    let folder = use_query_map().with_untracked(|m| m.get("folder"));
    let uploader = Uploader::new(limits, folder.as_deref().and_then(|f| f.parse().ok()));
    let items = uploader.items();

    // Files pasted anywhere on the page join the queue (effects run only in the browser,
    // once the page is interactive: the time to fetch the sending code too).
    Effect::new(move |_| {
        uploader.prefetch();
        let handle = window_event_listener(leptos::ev::paste, move |ev| uploader.pasted(ev));
        on_cleanup(move || handle.remove());
    });

    view! {
        <Title text="Upload" />
        <section class="page-head">
            <h1>"Upload files"</h1>
            <p class="lede">
                "Files go from your browser straight to S3 through short-lived signed URLs. "
                "Ferry records each object's size, ETag and S3 event details as it arrives."
            </p>
        </section>
        {folder.map(|f| view! { <Destination folder=f /> })}
        <DropZone uploader limits />
        <FileInputs uploader />
        <div class="notice" role="alert">
            {move || uploader.notice().get().map(|n| view! { <p>{n}</p> })}
        </div>
        <div class="visually-hidden" aria-live="polite" data-testid="announcer">
            {move || uploader.announcement().get()}
        </div>
        <Show when=move || !items.with(|i| i.is_empty())>
            <Summary uploader />
            <ul class="queue" aria-label="Uploads">
                <For
                    each=move || items.get()
                    key=Item::row_key
                    children=move |item| view! { <Row item uploader /> }
                />
            </ul>
        </Show>
    }
}

/// The folder the files go to, with its breadcrumbs (linking back to it).
#[component]
fn Destination(folder: String) -> impl IntoView {
    let id = folder.parse::<FolderId>();
    let place = Resource::new(
        move || id.clone(),
        |id| async move {
            match id {
                Ok(id) => get_folder(id).await,
                Err(e) => Err(FerryError::BadRequest(e.to_string())),
            }
        },
    );
    let line = move || {
        place.get().map(|r| match r {
            Ok(v) => {
                let path = v
                    .trail
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" / ");
                let href = format!("/assets?folder={}", v.folder.id);
                view! {
                    "Files go to "
                    <a href=href data-testid="destination">{format!("Home / {path}")}</a>
                }
                .into_any()
            }
            Err(e) => view! {
                <span class="form-error" role="alert">
                    {format!("This page was opened for a folder that cannot be used ({e}): files dropped here go to Home.")}
                </span>
            }
            .into_any(),
        })
    };
    view! {
        <p class="destination">
            <Transition fallback=|| "Finding the folder…">{line}</Transition>
        </p>
    }
}

/// Where files are dropped: a labelled region (not a control itself, so the two picker
/// buttons inside are what the keyboard reaches; a click anywhere else on it opens the file
/// picker too).
#[component]
fn DropZone(uploader: Uploader, limits: Limits) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let limits_line = move || {
        limits.get().map(|l| match l {
            Ok(l) => describe_limits(&l),
            Err(e) => format!("Upload limits unavailable: {e}"),
        })
    };
    view! {
        <div
            class="dropzone"
            class:dragging=move || dragging.get()
            role="region"
            aria-labelledby="dropzone-title"
            aria-describedby="upload-limits"
            data-testid="dropzone"
            on:dragover=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                dragging.set(false);
                uploader.dropped(ev);
            }
            on:click=move |ev: leptos::ev::MouseEvent| {
                // Clicks on the buttons inside open their own pickers.
                if !platform::from_button(&ev) {
                    platform::click("file-input");
                }
            }
        >
            <svg class="dropzone-icon" viewBox="0 0 24 24" aria-hidden="true">
                <path d="M12 16V4m0 0-5 5m5-5 5 5M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" />
            </svg>
            <p id="dropzone-title" class="dropzone-title">"Drop files or folders here"</p>
            <p class="dropzone-hint">"or paste them (Ctrl/⌘+V), or"</p>
            <div class="dropzone-actions">
                <button type="button" class="btn" on:click=move |_| platform::click("file-input")>
                    "Choose files"
                </button>
                <button type="button" class="btn" on:click=move |_| platform::click("folder-input")>
                    "Choose a folder"
                </button>
            </div>
            <p id="upload-limits" class="dropzone-limits">
                <Transition fallback=|| "Loading upload limits…">{limits_line}</Transition>
            </p>
        </div>
    }
}

/// The hidden file inputs behind the pickers.
#[component]
fn FileInputs(uploader: Uploader) -> impl IntoView {
    // The folder picker: `webkitdirectory` has no typed attribute; it only matters once the
    // page is interactive.
    let folder_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = folder_input.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });
    view! {
        <input
            id="file-input"
            class="visually-hidden"
            type="file"
            multiple
            tabindex="-1"
            aria-label="Choose files to upload"
            on:change=move |ev| uploader.picked(ev)
        />
        <input
            id="folder-input"
            class="visually-hidden"
            type="file"
            multiple
            node_ref=folder_input
            tabindex="-1"
            aria-label="Choose a folder to upload"
            on:change=move |ev| uploader.picked(ev)
        />
    }
}

fn describe_limits(l: &UploadLimits) -> String {
    let types = if l.allowed_types.iter().any(|t| t == "*/*") {
        "any type".to_string()
    } else {
        l.allowed_types.join(", ")
    };
    format!(
        "Up to {} per file · {} · {} files at a time",
        human_bytes(l.max_upload_bytes),
        types,
        l.max_files_per_batch
    )
}

/// Progress over the whole queue, its speed, and Cancel all.
#[component]
fn Summary(uploader: Uploader) -> impl IntoView {
    let items = uploader.items();
    let stats = move || items.with(|i| totals(i));
    let active = move || items.with(|i| i.iter().any(|i| !i.state.is_finished()));
    view! {
        <div class="summary" data-testid="summary">
            <div class="summary-line">
                <strong>
                    {move || {
                        let (done, total) = stats();
                        format!("{}%", percent(done, total))
                    }}
                </strong>
                <span>
                    {move || {
                        let (done, total) = stats();
                        format!("{} of {}", human_bytes(done), human_bytes(total))
                    }}
                </span>
                <span class="muted">{move || uploader.speed_text()}</span>
                <span class="spacer"></span>
                <Show when=active>
                    <button type="button" class="btn btn-quiet" on:click=move |_| uploader.cancel_all()>
                        "Cancel all"
                    </button>
                </Show>
            </div>
            <progress
                max="100"
                value=move || {
                    let (done, total) = stats();
                    percent(done, total).to_string()
                }
                aria-label="Total upload progress"
            ></progress>
        </div>
    }
}

/// What a row says about its file (and the class that colours it).
fn row_state(item: &Item, pct: u32) -> (String, &'static str) {
    match &item.state {
        ItemState::Queued => ("Waiting".to_string(), "queued"),
        ItemState::Uploading => (format!("Uploading {pct}%"), "uploading"),
        ItemState::RetryWaiting { attempt } => {
            (format!("Retrying (attempt {})", attempt + 1), "retrying")
        }
        ItemState::Paced => ("Waiting: upload limit reached".to_string(), "retrying"),
        ItemState::Confirming => (
            match item.asset_status {
                Some(AssetStatus::Received) => "Received, confirming…".to_string(),
                _ => "Sent, waiting for S3…".to_string(),
            },
            "confirming",
        ),
        ItemState::Done => ("Uploaded".to_string(), "done"),
        ItemState::Failed { .. } => ("Failed".to_string(), "failed"),
        ItemState::Cancelled => ("Cancelled".to_string(), "cancelled"),
    }
}

/// One file in the queue: name, state, asset status, progress, and its actions.
#[component]
fn Row(item: Item, uploader: Uploader) -> impl IntoView {
    let sent = match item.state {
        ItemState::Confirming | ItemState::Done => item.size,
        _ => item.sent.min(item.size),
    };
    let pct = match item.state {
        ItemState::Confirming | ItemState::Done => 100,
        _ => percent(item.sent, item.size),
    };
    let (label, class) = row_state(&item, pct);
    let error = match &item.state {
        ItemState::Failed { message, .. } => Some(message.clone()),
        _ => None,
    };
    let bytes = format!("{} of {}", human_bytes(sent), human_bytes(item.size));
    let name = item.name.clone();
    view! {
        <li class=format!("row row-{class}") data-testid="upload-row" data-name=name.clone()>
            <div class="row-main">
                {item.preview.clone().map(|src| view! {
                    <img class="row-thumb" src=src alt="" width="40" height="40" data-testid="local-thumbnail" />
                })}
                <span class="row-name" title=name.clone()>{name.clone()}</span>
                <span class="row-state" data-testid="row-state">{label}</span>
                {item.asset_status.map(|status| view! { <StatusBadge status test_id="asset-status" /> })}
            </div>
            <progress max="100" value=pct.to_string() aria-label=format!("{name} upload progress")></progress>
            <div class="row-meta">
                <span data-testid="row-bytes">{bytes}</span>
                {move || uploader.row_speed(item.id)}
                {error.map(|e| view! { <span class="row-error" data-testid="row-error">{e}</span> })}
                <span class="spacer"></span>
                <RowActions item uploader />
            </div>
        </li>
    }
}

/// A row's link to its asset, Retry and Cancel.
#[component]
fn RowActions(item: Item, uploader: Uploader) -> impl IntoView {
    let id = item.id;
    let can_cancel = !item.state.is_finished();
    let can_retry = matches!(
        item.state,
        ItemState::Failed {
            retryable: true,
            ..
        } | ItemState::Cancelled
    );
    let detail = item.asset_id.map(|a| format!("/assets/{a}"));
    let cancel_label = format!("Cancel {}", item.name);
    view! {
        {detail.map(|href| view! { <a href=href>"View asset"</a> })}
        <Show when=move || can_retry>
            <button type="button" class="btn btn-quiet" on:click=move |_| uploader.retry(id)>
                "Retry"
            </button>
        </Show>
        <Show when=move || can_cancel>
            <button
                type="button"
                class="btn btn-quiet"
                aria-label=cancel_label.clone()
                on:click=move |_| uploader.cancel(id)
            >
                "Cancel"
            </button>
        </Show>
    }
}
