//! `/`: drop files or folders, paste, or pick them; each goes straight to S3 through its own
//! presigned URL with real progress, then follows its asset to UPLOADED.

pub mod parts;
pub mod queue;

#[cfg(feature = "hydrate")]
mod browser;

use crate::{
    api::{get_upload_limits, UploadLimits},
    components::StatusBadge,
    domain::AssetStatus,
    format::human_bytes,
};
use leptos::prelude::*;
use leptos_meta::Title;
use queue::{percent, totals, Item, ItemId, ItemState};

/// Files uploading at once.
pub const PARALLEL: usize = 4;

#[component]
pub fn UploadPage() -> impl IntoView {
    let limits = Resource::new(|| (), |_| get_upload_limits());
    let items = RwSignal::new(Vec::<Item>::new());
    let notice = RwSignal::new(None::<String>);
    let announcement = RwSignal::new(String::new());
    let dragging = RwSignal::new(false);
    let uploader = Uploader::new(items, notice, announcement, limits);

    // The folder picker: `webkitdirectory` has no typed attribute; it only matters once the
    // page is interactive.
    let folder_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = folder_input.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });

    // Files pasted anywhere on the page join the queue (effects run only in the browser).
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::paste, move |ev| uploader.pasted(ev));
        on_cleanup(move || handle.remove());
    });

    let limits_line = move || {
        limits.get().map(|l| match l {
            Ok(l) => describe_limits(&l),
            Err(e) => format!("Upload limits unavailable: {e}"),
        })
    };

    view! {
        <Title text="Upload" />
        <section class="page-head">
            <h1>"Upload files"</h1>
            <p class="lede">
                "Files go from your browser straight to S3 through short-lived signed URLs. "
                "Ferry records each object's size, ETag and S3 event details as it arrives."
            </p>
        </section>

        <div
            class="dropzone"
            class:dragging=move || dragging.get()
            role="button"
            tabindex="0"
            aria-label="Add files: drop files or folders here, paste them, or press Enter to choose files"
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
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Enter" || ev.key() == " " {
                    ev.prevent_default();
                    click_input("file-input");
                }
            }
            on:click=move |ev: leptos::ev::MouseEvent| {
                // Clicks on the buttons inside open their own pickers.
                let from_button = {
                    #[cfg(feature = "hydrate")]
                    {
                        use wasm_bindgen::JsCast;
                        ev.target()
                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .is_some_and(|el| el.closest("button").ok().flatten().is_some())
                    }
                    #[cfg(not(feature = "hydrate"))]
                    {
                        let _ = &ev;
                        false
                    }
                };
                if !from_button {
                    click_input("file-input");
                }
            }
        >
            <svg class="dropzone-icon" viewBox="0 0 24 24" aria-hidden="true">
                <path d="M12 16V4m0 0-5 5m5-5 5 5M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" />
            </svg>
            <p class="dropzone-title">"Drop files or folders here"</p>
            <p class="dropzone-hint">"or paste them (Ctrl/⌘+V), or"</p>
            <div class="dropzone-actions">
                <button type="button" class="btn" on:click=move |_| click_input("file-input")>
                    "Choose files"
                </button>
                <button type="button" class="btn" on:click=move |_| click_input("folder-input")>
                    "Choose a folder"
                </button>
            </div>
            <p id="upload-limits" class="dropzone-limits">
                <Transition fallback=|| "Loading upload limits…">{limits_line}</Transition>
            </p>
        </div>
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
        <div class="notice" role="alert">
            {move || notice.get().map(|n| view! { <p>{n}</p> })}
        </div>
        <div class="visually-hidden" aria-live="polite" data-testid="announcer">
            {move || announcement.get()}
        </div>

        <Show when=move || !items.with(|i| i.is_empty())>
            <Summary items uploader />
            <ul class="queue" aria-label="Uploads">
                <For
                    each=move || items.get()
                    key=|item| (item.id, item_key(item))
                    children=move |item| view! { <Row item uploader /> }
                />
            </ul>
        </Show>
    }
}

/// Re-render a row when anything shown in it changes.
fn item_key(item: &Item) -> String {
    format!(
        "{:?}|{}|{:?}|{:?}",
        item.state, item.sent, item.asset_id, item.asset_status
    )
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

fn click_input(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(input) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            input.click();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[component]
fn Summary(items: RwSignal<Vec<Item>>, uploader: Uploader) -> impl IntoView {
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

#[component]
fn Row(item: Item, uploader: Uploader) -> impl IntoView {
    let id = item.id;
    let pct = match item.state {
        ItemState::Confirming | ItemState::Done => 100,
        _ => percent(item.sent, item.size),
    };
    let (label, class) = match &item.state {
        ItemState::Queued => ("Waiting".to_string(), "queued"),
        ItemState::Uploading => (format!("Uploading {pct}%"), "uploading"),
        ItemState::RetryWaiting { attempt } => {
            (format!("Retrying (attempt {})", attempt + 1), "retrying")
        }
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
    };
    let error = match &item.state {
        ItemState::Failed { message, .. } => Some(message.clone()),
        _ => None,
    };
    let can_cancel = !item.state.is_finished();
    let can_retry = matches!(
        item.state,
        ItemState::Failed {
            retryable: true,
            ..
        } | ItemState::Cancelled
    );
    let status = item.asset_status;
    let detail = item.asset_id.map(|a| format!("/assets/{a}"));
    let bytes = format!(
        "{} of {}",
        human_bytes(match item.state {
            ItemState::Confirming | ItemState::Done => item.size,
            _ => item.sent.min(item.size),
        }),
        human_bytes(item.size)
    );
    let name = item.name.clone();
    let cancel_label = format!("Cancel {}", item.name);
    view! {
        <li class=format!("row row-{class}") data-testid="upload-row" data-name=name.clone()>
            <div class="row-main">
                <span class="row-name" title=name.clone()>{name.clone()}</span>
                <span class="row-state" data-testid="row-state">{label}</span>
                {status.map(|status| view! { <StatusBadge status test_id="asset-status" /> })}
            </div>
            <progress max="100" value=pct.to_string() aria-label=format!("{name} upload progress")></progress>
            <div class="row-meta">
                <span data-testid="row-bytes">{bytes}</span>
                {move || uploader.row_speed(id)}
                {error.map(|e| view! { <span class="row-error" data-testid="row-error">{e}</span> })}
                <span class="spacer"></span>
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
            </div>
        </li>
    }
}

/// The queue's driver: signals for what is shown, browser handles (files, requests) kept
/// beside them on the client.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct Uploader {
    items: RwSignal<Vec<Item>>,
    notice: RwSignal<Option<String>>,
    announcement: RwSignal<String>,
    limits: Resource<Result<UploadLimits, crate::api::FerryError>>,
    speeds: RwSignal<std::collections::HashMap<ItemId, (f64, u64)>>,
    #[cfg(feature = "hydrate")]
    handles: StoredValue<std::collections::HashMap<ItemId, Handles>, LocalStorage>,
    next_id: StoredValue<ItemId>,
}

/// A URL (and the headers it was signed with) for one PUT, fetched when needed.
#[cfg(feature = "hydrate")]
type SignedPut = futures::future::LocalBoxFuture<
    'static,
    Result<(String, Vec<(String, String)>), crate::api::FerryError>,
>;

/// Why sending stopped.
#[cfg(feature = "hydrate")]
enum Stop {
    Aborted,
    Failed { message: String, retryable: bool },
}

#[cfg(feature = "hydrate")]
struct Handles {
    file: web_sys::File,
    abort: browser::Abort,
    meter: queue::SpeedMeter,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Uploader {
    fn new(
        items: RwSignal<Vec<Item>>,
        notice: RwSignal<Option<String>>,
        announcement: RwSignal<String>,
        limits: Resource<Result<UploadLimits, crate::api::FerryError>>,
    ) -> Uploader {
        Uploader {
            items,
            notice,
            announcement,
            limits,
            speeds: RwSignal::new(Default::default()),
            #[cfg(feature = "hydrate")]
            handles: StoredValue::new_local(Default::default()),
            next_id: StoredValue::new(1),
        }
    }

    fn speed_text(&self) -> String {
        let (rate, remaining) = self.speeds.with(|s| {
            s.values()
                .fold((0.0, 0u64), |(r, rem), (rate, left)| (r + rate, rem + left))
        });
        queue::rate_text(rate, remaining).unwrap_or_default()
    }

    fn row_speed(&self, id: ItemId) -> Option<String> {
        self.speeds.with(|s| {
            s.get(&id)
                .and_then(|&(rate, left)| queue::rate_text(rate, left))
        })
    }

    fn update(&self, id: ItemId, f: impl FnOnce(&mut Item)) {
        self.items.update(|items| {
            if let Some(item) = items.iter_mut().find(|i| i.id == id) {
                f(item);
            }
        });
    }

    /// Tells screen readers (the aria-live region); repeats are dropped.
    fn announce(&self, text: String) {
        if self.announcement.get_untracked() != text {
            self.announcement.set(text);
        }
    }

    #[allow(unused_variables)]
    fn dropped(&self, ev: leptos::ev::DragEvent) {
        #[cfg(feature = "hydrate")]
        if let Some(dt) = ev.data_transfer() {
            let contents = browser::take_drop(&dt);
            let this = *self;
            leptos::task::spawn_local(async move {
                let files = browser::walk(contents).await;
                this.add(files);
            });
        }
    }

    #[allow(unused_variables)]
    fn picked(&self, ev: leptos::ev::Event) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                let files = browser::picked_from_list(input.files());
                input.set_value("");
                self.add(files);
            }
        }
    }

    #[allow(unused_variables)]
    fn pasted(&self, ev: leptos::ev::ClipboardEvent) {
        #[cfg(feature = "hydrate")]
        if let Some(dt) = ev.clipboard_data() {
            let files = browser::picked_from_list(dt.files());
            if !files.is_empty() {
                ev.prevent_default();
                self.add(files);
            }
        }
    }

    #[cfg(feature = "hydrate")]
    fn add(&self, files: Vec<browser::Picked>) {
        if files.is_empty() {
            return;
        }
        let limits = self.limits.get_untracked().and_then(Result::ok);
        if let Some(l) = &limits {
            if let Err(msg) = queue::batch_allowed(files.len(), l.max_files_per_batch) {
                self.notice.set(Some(msg));
                return;
            }
        }
        self.notice.set(None);
        let mut added = 0;
        for picked in files {
            let id = self.next_id.get_value();
            self.next_id.set_value(id + 1);
            let size = picked.file.size() as u64;
            let content_type = picked.file.type_();
            // Refused here, before any request, when the server's limits say so.
            let state = match limits
                .as_ref()
                .map(|l| queue::check_restrictions(&picked.path, size, &content_type, l))
            {
                Some(Err(message)) => ItemState::Failed {
                    message,
                    retryable: false,
                },
                _ => {
                    added += 1;
                    ItemState::Queued
                }
            };
            self.handles.update_value(|h| {
                h.insert(
                    id,
                    Handles {
                        file: picked.file,
                        abort: browser::Abort::default(),
                        meter: queue::SpeedMeter::default(),
                    },
                );
            });
            self.items.update(|items| {
                items.push(Item {
                    id,
                    name: picked.path,
                    size,
                    content_type,
                    state,
                    sent: 0,
                    asset_id: None,
                    asset_status: None,
                })
            });
        }
        self.announce(format!("{added} file(s) added to the upload queue"));
        self.pump();
    }

    /// Starts queued files while fewer than [`PARALLEL`] are uploading.
    fn pump(&self) {
        #[cfg(feature = "hydrate")]
        for id in self
            .items
            .with_untracked(|i| queue::next_to_start(i, PARALLEL))
        {
            self.update(id, |i| i.state = ItemState::Uploading);
            let this = *self;
            leptos::task::spawn_local(async move { this.run(id).await });
        }
    }

    fn cancel(&self, id: ItemId) {
        let name = self
            .items
            .with_untracked(|i| i.iter().find(|i| i.id == id).map(|i| i.name.clone()));
        self.update(id, |i| {
            if !i.state.is_finished() {
                i.state = ItemState::Cancelled;
            }
        });
        #[cfg(feature = "hydrate")]
        self.handles.with_value(|h| {
            if let Some(handle) = h.get(&id) {
                handle.abort.abort();
            }
        });
        self.speeds.update(|s| {
            s.remove(&id);
        });
        if let Some(name) = name {
            self.announce(format!("{name}: upload cancelled"));
        }
        self.pump();
    }

    fn cancel_all(&self) {
        let ids: Vec<ItemId> = self.items.with_untracked(|i| {
            i.iter()
                .filter(|i| !i.state.is_finished())
                .map(|i| i.id)
                .collect()
        });
        for id in ids {
            self.cancel(id);
        }
    }

    fn retry(&self, id: ItemId) {
        self.update(id, |i| {
            i.state = ItemState::Queued;
            i.sent = 0;
            i.asset_status = None;
        });
        self.pump();
    }

    /// One file from ticket to UPLOADED: one PUT, or parts from the multipart threshold on.
    #[cfg(feature = "hydrate")]
    async fn run(self, id: ItemId) {
        use crate::api::{create_upload, NewUpload};

        let Some((name, size, content_type)) = self.items.with_untracked(|i| {
            i.iter()
                .find(|i| i.id == id)
                .map(|i| (i.name.clone(), i.size, i.content_type.clone()))
        }) else {
            return;
        };
        let Some((file, abort)) = self
            .handles
            .with_value(|h| h.get(&id).map(|h| (h.file.clone(), h.abort.clone())))
        else {
            return;
        };
        abort.reset();
        self.announce(format!("{name}: uploading"));
        let threshold = self
            .limits
            .get_untracked()
            .and_then(Result::ok)
            .map(|l| l.multipart_threshold_bytes)
            .unwrap_or(64 * 1024 * 1024);
        let declared_type = (!content_type.is_empty()).then(|| content_type.clone());
        if size >= threshold {
            return self
                .run_multipart(id, &name, size, declared_type, &file, &abort)
                .await;
        }

        let ticket = match create_upload(NewUpload {
            filename: Some(name.clone()),
            content_type: declared_type,
            size: Some(size),
        })
        .await
        {
            Ok(t) => t,
            Err(e) => return self.fail(id, &name, e.to_string(), e.status().is_server_error()),
        };
        let asset_id = ticket.id;
        self.created(id, asset_id);
        let headers: Vec<(String, String)> = ticket.headers.clone().into_iter().collect();
        let url = ticket.upload_url.clone();
        let sign = move || {
            let (url, headers) = (url.clone(), headers.clone());
            Box::pin(async move { Ok((url, headers)) })
                as futures::future::LocalBoxFuture<'static, _>
        };
        let this = self;
        let outcome = self
            .send_with_retries(id, &sign, &file, &abort, move |loaded| {
                this.progress(id, loaded as u64, size)
            })
            .await;
        match outcome {
            Ok(_) => self.after_sent(id, &name, size, asset_id).await,
            Err(Stop::Aborted) => self.withdraw(id, asset_id).await,
            Err(Stop::Failed { message, retryable }) => self.fail(id, &name, message, retryable),
        }
    }

    /// A large file in parts: resumes a remembered upload of the same file, signs each part
    /// just before sending it, keeps 4 parts in flight, completes with the parts' ETags.
    #[cfg(feature = "hydrate")]
    async fn run_multipart(
        self,
        id: ItemId,
        name: &str,
        size: u64,
        content_type: Option<String>,
        file: &web_sys::File,
        abort: &browser::Abort,
    ) {
        use crate::api::{
            abort_multipart_upload, complete_multipart_upload, list_upload_parts, sign_upload_part,
            start_multipart_upload, MultipartTicket, NewUpload, UploadedPart,
        };
        use parts::{PartPlan, PartProgress};
        use std::{cell::RefCell, rc::Rc};

        let resume_key = format!("ferry-upload:v1:{name}:{size}:{}", file.last_modified());
        let remembered: Option<MultipartTicket> =
            browser::storage_get(&resume_key).and_then(|v| serde_json::from_str(&v).ok());
        let mut stored: Vec<UploadedPart> = vec![];
        let mut ticket = None;
        if let Some(t) = remembered {
            // Resume only what S3 still holds.
            match list_upload_parts(t.id, t.upload_id.clone()).await {
                Ok(parts) => {
                    stored = parts;
                    ticket = Some(t);
                }
                Err(_) => browser::storage_remove(&resume_key),
            }
        }
        let ticket = match ticket {
            Some(t) => {
                self.announce(format!(
                    "{name}: resuming ({} parts already stored)",
                    stored.len()
                ));
                t
            }
            None => match start_multipart_upload(NewUpload {
                filename: Some(name.to_string()),
                content_type,
                size: Some(size),
            })
            .await
            {
                Ok(t) => {
                    if let Ok(json) = serde_json::to_string(&t) {
                        browser::storage_set(&resume_key, &json);
                    }
                    t
                }
                Err(e) => return self.fail(id, name, e.to_string(), e.status().is_server_error()),
            },
        };
        let asset_id = ticket.id;
        self.created(id, asset_id);

        /// What the part senders share: the parts' progress and why sending stopped.
        struct Shared {
            parts: PartProgress,
            stop: Option<Stop>,
        }
        // Parts already stored count as sent; a part whose size is wrong is sent again.
        let shared = Rc::new(RefCell::new(Shared {
            parts: PartProgress::resume(PartPlan::new(size, ticket.part_size), stored),
            stop: None,
        }));
        let sent = shared.borrow().parts.sent();
        self.progress(id, sent, size);

        let worker = || {
            let shared = shared.clone();
            let ticket = ticket.clone();
            async move {
                loop {
                    if shared.borrow().stop.is_some() || abort.is_aborted() {
                        return;
                    }
                    let Some((n, range)) = shared.borrow_mut().parts.next_part() else {
                        return;
                    };
                    let (start, end) = (range.start, range.end);
                    let Ok(blob) = file.slice_with_f64_and_f64(start as f64, end as f64) else {
                        shared.borrow_mut().stop = Some(Stop::Failed {
                            message: "the file could not be read".into(),
                            retryable: true,
                        });
                        return;
                    };
                    let (aid, upload_id) = (ticket.id, ticket.upload_id.clone());
                    // Signed just in time, and again for each retry.
                    let sign = move || {
                        let upload_id = upload_id.clone();
                        Box::pin(async move {
                            sign_upload_part(aid, upload_id, n, end - start)
                                .await
                                .map(|p| (p.url, p.headers.into_iter().collect::<Vec<_>>()))
                        }) as SignedPut
                    };
                    let this = self;
                    let here = shared.clone();
                    let result = self
                        .send_with_retries(id, &sign, &blob, abort, move |bytes| {
                            let sent = here.borrow_mut().parts.sending(n, bytes as u64);
                            this.progress(id, sent, size);
                        })
                        .await;
                    let mut shared = shared.borrow_mut();
                    match result {
                        Ok(Some(etag)) => {
                            shared.parts.stored(n, etag);
                        }
                        Ok(None) => {
                            shared.stop = Some(Stop::Failed {
                                message: "S3 did not expose the part's ETag (check the bucket's CORS rule)".into(),
                                retryable: false,
                            });
                        }
                        Err(e) => shared.stop = Some(e),
                    }
                }
            }
        };
        futures::future::join_all((0..PARALLEL).map(|_| worker())).await;

        if abort.is_aborted() {
            let _ = abort_multipart_upload(asset_id, ticket.upload_id.clone()).await;
            browser::storage_remove(&resume_key);
            self.update(id, |i| i.asset_status = Some(AssetStatus::Deleted));
            return;
        }
        let (stop, parts) = {
            let mut shared = shared.borrow_mut();
            (shared.stop.take(), shared.parts.stored_parts())
        };
        if let Some(Stop::Failed { message, retryable }) = stop {
            // The upload stays resumable: Retry (or dropping the file again) continues it.
            return self.fail(id, name, message, retryable);
        }
        match complete_multipart_upload(asset_id, ticket.upload_id.clone(), parts).await {
            Ok(_) => {
                browser::storage_remove(&resume_key);
                self.after_sent(id, name, size, asset_id).await;
            }
            Err(e) => self.fail(id, name, e.to_string(), e.status().is_server_error()),
        }
    }

    /// PUTs `body` to a freshly signed URL, retrying network errors and 5xx with backoff.
    /// Returns the ETag S3 gave the bytes.
    #[cfg(feature = "hydrate")]
    async fn send_with_retries(
        self,
        id: ItemId,
        sign: &dyn Fn() -> SignedPut,
        body: &web_sys::Blob,
        abort: &browser::Abort,
        on_progress: impl Fn(f64) + Clone + 'static,
    ) -> Result<Option<String>, Stop> {
        use queue::{after_failure, Verdict};
        let mut attempt = 0;
        loop {
            let (url, headers) = sign().await.map_err(|e| Stop::Failed {
                message: e.to_string(),
                retryable: e.status().is_server_error(),
            })?;
            self.update(id, |i| {
                if matches!(i.state, ItemState::RetryWaiting { .. }) {
                    i.state = ItemState::Uploading;
                }
            });
            match browser::put(&url, &headers, body, abort, on_progress.clone()).await {
                browser::PutOutcome::Ok { etag } => return Ok(etag),
                browser::PutOutcome::Aborted => return Err(Stop::Aborted),
                browser::PutOutcome::Failed { status, body } => {
                    match after_failure(status, &body, attempt) {
                        Verdict::RetryAfter(ms) => {
                            self.set_state(id, ItemState::RetryWaiting { attempt });
                            crate::dom::sleep(ms).await;
                            if abort.is_aborted() {
                                return Err(Stop::Aborted);
                            }
                            attempt += 1;
                        }
                        Verdict::GiveUp(message) => {
                            return Err(Stop::Failed {
                                message,
                                retryable: status == 0 || status >= 500,
                            })
                        }
                    }
                }
            }
        }
    }

    #[cfg(feature = "hydrate")]
    fn created(&self, id: ItemId, asset_id: crate::domain::AssetId) {
        self.update(id, |i| {
            i.asset_id = Some(asset_id);
            i.asset_status = Some(AssetStatus::Created);
        });
    }

    /// All bytes are in S3: the slot frees up for the next file, which then follows its
    /// asset to UPLOADED — unless it was cancelled meanwhile, when the record is withdrawn.
    #[cfg(feature = "hydrate")]
    async fn after_sent(self, id: ItemId, name: &str, size: u64, asset_id: crate::domain::AssetId) {
        self.speeds.update(|s| {
            s.remove(&id);
        });
        if self.cancelled(id) {
            return self.withdraw(id, asset_id).await;
        }
        self.set_state(id, ItemState::Confirming);
        self.update(id, |i| i.sent = size);
        self.announce(format!("{name}: sent, waiting for storage to confirm"));
        self.pump();
        self.confirm(id, name, asset_id).await;
    }

    /// A cancelled file's record is soft-deleted, whatever stage the cancel caught it in.
    #[cfg(feature = "hydrate")]
    async fn withdraw(self, id: ItemId, asset_id: crate::domain::AssetId) {
        let _ = crate::api::delete_asset(asset_id).await;
        self.update(id, |i| i.asset_status = Some(AssetStatus::Deleted));
    }

    fn cancelled(&self, id: ItemId) -> bool {
        self.items.with_untracked(|items| {
            items
                .iter()
                .any(|i| i.id == id && i.state == ItemState::Cancelled)
        })
    }

    /// Moves a file on, except out of Cancelled: a cancel is final until Retry.
    fn set_state(&self, id: ItemId, state: ItemState) {
        self.update(id, |i| {
            if i.state != ItemState::Cancelled {
                i.state = state;
            }
        });
    }

    /// Follows the asset: RECEIVED (S3's event) then UPLOADED (this client's confirmation).
    #[cfg(feature = "hydrate")]
    async fn confirm(self, id: ItemId, name: &str, asset_id: crate::domain::AssetId) {
        use crate::api::{get_asset, mark_uploaded};
        let mut wait = 200;
        for _ in 0..40 {
            if self.cancelled(id) {
                return self.withdraw(id, asset_id).await;
            }
            match get_asset(asset_id).await {
                Ok(asset) => {
                    self.update(id, |i| i.asset_status = Some(asset.status));
                    match asset.status {
                        AssetStatus::Received | AssetStatus::Uploaded => {
                            match mark_uploaded(asset_id).await {
                                Ok(_) if self.cancelled(id) => self.withdraw(id, asset_id).await,
                                Ok(done) => {
                                    self.set_state(id, ItemState::Done);
                                    self.update(id, |i| i.asset_status = Some(done.status));
                                    self.announce(format!("{name}: uploaded"));
                                }
                                Err(e) => self.fail(id, name, e.to_string(), true),
                            }
                            return;
                        }
                        AssetStatus::Deleted => {
                            self.fail(id, name, "the asset was deleted meanwhile".into(), false);
                            return;
                        }
                        AssetStatus::Created => {}
                    }
                }
                Err(e) if !e.status().is_server_error() => {
                    self.fail(id, name, e.to_string(), false);
                    return;
                }
                Err(_) => {}
            }
            crate::dom::sleep(wait).await;
            wait = (wait * 3 / 2).min(2_000);
        }
        self.fail(
            id,
            name,
            "S3 did not report the object in time".into(),
            true,
        );
    }

    #[cfg(feature = "hydrate")]
    fn progress(&self, id: ItemId, sent: u64, size: u64) {
        self.update(id, |i| {
            if i.state == ItemState::Uploading {
                i.sent = sent;
            }
        });
        let now = crate::dom::now_ms();
        let rate = self.handles.try_update_value(|h| {
            h.get_mut(&id).and_then(|handle| {
                handle.meter.sample(now, sent);
                handle.meter.rate()
            })
        });
        if let Some(Some(rate)) = rate {
            self.speeds.update(|s| {
                s.insert(id, (rate, size.saturating_sub(sent)));
            });
        }
        // Announce quarters only; the name is looked up just for those.
        let pct = percent(sent, size);
        if pct > 0 && pct.is_multiple_of(25) {
            let name = self
                .items
                .with_untracked(|i| i.iter().find(|i| i.id == id).map(|i| i.name.clone()));
            if let Some(name) = name {
                self.announce(format!("{name}: {pct}%"));
            }
        }
    }

    #[cfg(feature = "hydrate")]
    fn fail(&self, id: ItemId, name: &str, message: String, retryable: bool) {
        self.speeds.update(|s| {
            s.remove(&id);
        });
        self.set_state(
            id,
            ItemState::Failed {
                message: message.clone(),
                retryable,
            },
        );
        self.announce(format!("{name}: failed — {message}"));
        self.pump();
    }
}
