//! The upload controller: the queue's signals (what the page shows) and the host handles
//! beside them (files, requests in flight), and each file's way from ticket to UPLOADED.
//! Large files go through `Uploader::run_multipart` (in `multipart`, which builds on this
//! module); the rules are [`super::queue`]'s.

use super::queue::{self, after_failure, percent, Item, ItemId, ItemState, SpeedMeter, Verdict};
use crate::{
    api::{
        create_upload, delete_asset, get_asset, mark_uploaded, FerryError, NewUpload, UploadLimits,
    },
    domain::{Asset, AssetId, AssetStatus, FolderId, FolderRef},
    platform::{self, Abort, Blob, File, HostStorage, Picked, PutOutcome},
};
use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use std::collections::HashMap;

/// Files uploading at once.
pub const PARALLEL: usize = 4;
/// Files from this size go up in parts when the server's limits are not known.
const DEFAULT_MULTIPART_THRESHOLD: u64 = 64 * 1024 * 1024;

/// Times one request waits when the server says it was asked too often (`429`), each time as
/// long as the server says, before the file fails.
const MAX_PACED_WAITS: u32 = 30;

/// The wait a `429` asks for, in milliseconds.
fn paced_wait(e: &FerryError) -> Option<u32> {
    e.retry_after()
        .map(|d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX))
}

/// A URL (and the headers it was signed with) for one PUT, fetched when needed.
pub(super) type SignedPut =
    LocalBoxFuture<'static, Result<(String, Vec<(String, String)>), FerryError>>;

/// Why sending stopped.
pub(super) enum Stop {
    Aborted,
    Failed { message: String, retryable: bool },
}

/// One file on its way: what the queue knows and the host's handles for it.
pub(super) struct Job {
    pub id: ItemId,
    pub name: String,
    pub size: u64,
    /// The declared media type (none when the browser did not know it).
    pub content_type: Option<String>,
    /// Where it goes (its own folders, from a folder drop, are made inside).
    pub folder: FolderRef,
    pub file: File,
    pub abort: Abort,
}

struct Handles {
    file: File,
    abort: Abort,
    meter: SpeedMeter,
}

/// The queue's driver. Cheap to copy into event handlers and tasks.
#[derive(Clone, Copy)]
pub struct Uploader {
    items: RwSignal<Vec<Item>>,
    notice: RwSignal<Option<String>>,
    announcement: RwSignal<String>,
    limits: Resource<Result<UploadLimits, FerryError>>,
    /// Rate (bytes/s) and bytes left of each file in flight.
    speeds: RwSignal<HashMap<ItemId, (f64, u64)>>,
    handles: StoredValue<HashMap<ItemId, Handles>, HostStorage>,
    /// The folder the page was opened for (`None`: the top level).
    folder: Option<FolderId>,
    next_id: StoredValue<ItemId>,
}

/// One file from ticket to UPLOADED. Everything it reaches (hashing, the single PUT, parts
/// and resume, confirming) is in a module of its own, which the browser fetches when the
/// first file starts or when [`Uploader::prefetch`] asks, whichever comes first.
#[leptos::lazy]
async fn send(up: Uploader, id: ItemId) {
    up.run(id).await
}

impl Uploader {
    pub fn new(
        limits: Resource<Result<UploadLimits, FerryError>>,
        folder: Option<FolderId>,
    ) -> Uploader {
        Uploader {
            items: RwSignal::new(vec![]),
            notice: RwSignal::new(None),
            announcement: RwSignal::new(String::new()),
            limits,
            speeds: RwSignal::new(Default::default()),
            handles: StoredValue::new_with_storage(Default::default()),
            next_id: StoredValue::new(1),
            folder,
        }
    }

    /// The files in the queue, oldest first.
    pub fn items(&self) -> ReadSignal<Vec<Item>> {
        self.items.read_only()
    }

    /// Why the last batch was refused, if it was.
    pub fn notice(&self) -> ReadSignal<Option<String>> {
        self.notice.read_only()
    }

    /// The latest news for screen readers.
    pub fn announcement(&self) -> ReadSignal<String> {
        self.announcement.read_only()
    }

    /// Speed and time left over every file in flight.
    pub fn speed_text(&self) -> String {
        let (rate, remaining) = self.speeds.with(|s| {
            s.values()
                .fold((0.0, 0u64), |(r, rem), (rate, left)| (r + rate, rem + left))
        });
        queue::rate_text(rate, remaining).unwrap_or_default()
    }

    /// Speed and time left of one file.
    pub fn row_speed(&self, id: ItemId) -> Option<String> {
        self.speeds.with(|s| {
            s.get(&id)
                .and_then(|&(rate, left)| queue::rate_text(rate, left))
        })
    }

    pub(super) fn update(&self, id: ItemId, f: impl FnOnce(&mut Item)) {
        self.items.update(|items| {
            if let Some(item) = items.iter_mut().find(|i| i.id == id) {
                f(item);
            }
        });
    }

    /// Tells screen readers (the aria-live region); repeats are dropped.
    pub(super) fn announce(&self, text: String) {
        if self.announcement.get_untracked() != text {
            self.announcement.set(text);
        }
    }

    /// Files dropped on the drop zone (folders are walked first).
    pub fn dropped(&self, ev: leptos::ev::DragEvent) {
        let files = platform::dropped_files(&ev);
        let this = *self;
        leptos::task::spawn_local(async move { this.add(files.await) });
    }

    /// Files chosen in a picker.
    pub fn picked(&self, ev: leptos::ev::Event) {
        self.add(platform::picked_files(&ev));
    }

    /// Files pasted anywhere on the page.
    pub fn pasted(&self, ev: leptos::ev::ClipboardEvent) {
        let files = platform::pasted_files(&ev);
        if !files.is_empty() {
            ev.prevent_default();
            self.add(files);
        }
    }

    fn add(&self, files: Vec<Picked>) {
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
        let added = files
            .into_iter()
            .map(|picked| self.enqueue(picked, limits.as_ref()))
            .filter(|queued| *queued)
            .count();
        self.announce(format!("{added} file(s) added to the upload queue"));
        self.pump();
    }

    /// Adds one file: queued, or failed at once when the server's limits refuse it (before
    /// any request). Returns whether it was queued.
    fn enqueue(&self, picked: Picked, limits: Option<&UploadLimits>) -> bool {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let size = picked.file.size();
        let content_type = picked.file.content_type();
        let preview = picked.file.preview_url();
        let state =
            match limits.map(|l| queue::check_restrictions(&picked.path, size, &content_type, l)) {
                Some(Err(message)) => ItemState::Failed {
                    message,
                    retryable: false,
                },
                _ => ItemState::Queued,
            };
        let queued = state == ItemState::Queued;
        self.handles.update_value(|h| {
            h.insert(
                id,
                Handles {
                    file: picked.file,
                    abort: Abort::default(),
                    meter: SpeedMeter::default(),
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
                preview,
            })
        });
        queued
    }

    /// Starts queued files while fewer than [`PARALLEL`] are uploading.
    pub(super) fn pump(&self) {
        for id in self
            .items
            .with_untracked(|i| queue::next_to_start(i, PARALLEL))
        {
            self.update(id, |i| i.state = ItemState::Uploading);
            let this = *self;
            leptos::task::spawn_local(send(this, id));
        }
    }

    /// Fetches the sending code ahead of its first use (the page calls this once it is
    /// interactive), so the first file never waits for it.
    pub fn prefetch(&self) {
        _ = leptos::lazy_preload!(send);
    }

    pub fn cancel(&self, id: ItemId) {
        let name = self
            .items
            .with_untracked(|i| i.iter().find(|i| i.id == id).map(|i| i.name.clone()));
        self.update(id, |i| {
            if !i.state.is_finished() {
                i.state = ItemState::Cancelled;
            }
        });
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

    pub fn cancel_all(&self) {
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

    pub fn retry(&self, id: ItemId) {
        self.update(id, |i| {
            i.state = ItemState::Queued;
            i.sent = 0;
            i.asset_status = None;
        });
        self.pump();
    }

    /// What the queue and the handles know of one file.
    fn job(&self, id: ItemId) -> Option<Job> {
        let (name, size, content_type) = self.items.with_untracked(|i| {
            i.iter()
                .find(|i| i.id == id)
                .map(|i| (i.name.clone(), i.size, i.content_type.clone()))
        })?;
        let (file, abort) = self
            .handles
            .with_value(|h| h.get(&id).map(|h| (h.file.clone(), h.abort.clone())))?;
        Some(Job {
            id,
            name,
            size,
            content_type: (!content_type.is_empty()).then_some(content_type),
            folder: FolderRef::from(self.folder),
            file,
            abort,
        })
    }

    /// One file from ticket to UPLOADED: one PUT, or parts from the multipart threshold on.
    async fn run(self, id: ItemId) {
        let Some(job) = self.job(id) else {
            return;
        };
        job.abort.reset();
        self.announce(format!("{}: uploading", job.name));
        let threshold = self
            .limits
            .get_untracked()
            .and_then(Result::ok)
            .map(|l| l.multipart_threshold_bytes)
            .unwrap_or(DEFAULT_MULTIPART_THRESHOLD);
        if job.size >= threshold {
            self.run_multipart(&job).await
        } else {
            self.run_single(&job).await
        }
    }

    /// A file in one PUT, with its SHA-256 signed into the URL (where the page can hash):
    /// S3 stores exactly the bytes that were hashed, or nothing.
    async fn run_single(self, job: &Job) {
        let (id, name, size) = (job.id, job.name.as_str(), job.size);
        let checksum_sha256 = if platform::can_hash() {
            match platform::sha256_base64(&job.file.blob()).await {
                Ok(sum) => Some(sum),
                Err(e) => {
                    return self.fail(id, name, format!("the file could not be read: {e}"), true)
                }
            }
        } else {
            None
        };
        if job.abort.is_aborted() {
            return;
        }
        let upload = NewUpload {
            filename: Some(name.to_string()),
            content_type: job.content_type.clone(),
            size: Some(size),
            checksum_sha256,
            checksum_algorithm: None,
            folder: Some(job.folder),
        };
        let ticket = self
            .when_allowed(id, &job.abort, || create_upload(upload.clone()))
            .await;
        let ticket = match ticket {
            Ok(t) => t,
            Err(e) => return self.fail(id, name, e.to_string(), e.status().is_server_error()),
        };
        let asset_id = ticket.id;
        self.created(id, asset_id);
        let headers: Vec<(String, String)> = ticket.headers.into_iter().collect();
        let url = ticket.upload_url;
        let sign = move || {
            let (url, headers) = (url.clone(), headers.clone());
            Box::pin(async move { Ok((url, headers)) }) as SignedPut
        };
        let this = self;
        let outcome = self
            .send_with_retries(id, &sign, &job.file.blob(), &job.abort, move |loaded| {
                this.progress(id, loaded as u64, size)
            })
            .await;
        match outcome {
            Ok(_) => self.after_sent(id, name, size, asset_id, None).await,
            Err(Stop::Aborted) => self.withdraw(id, asset_id).await,
            Err(Stop::Failed { message, retryable }) => self.fail(id, name, message, retryable),
        }
    }

    /// `call`, called again while the server answers that this client asks too often, after
    /// waiting as long as it says (the file shows [`ItemState::Paced`]; at most [`MAX_PACED_WAITS`]
    /// times). Any other answer is returned.
    pub(super) async fn when_allowed<T, F, Fut>(
        self,
        id: ItemId,
        abort: &Abort,
        call: F,
    ) -> Result<T, FerryError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, FerryError>>,
    {
        let mut waits = 0;
        loop {
            match call().await {
                Err(e) if !abort.is_aborted() && self.paced(id, &e, &mut waits).await => {}
                answer => return answer,
            }
        }
    }

    /// If `e` is the server's `429` and fewer than [`MAX_PACED_WAITS`] waits were made
    /// (`waits`, counted here), shows the file as [`ItemState::Paced`], waits as long as the
    /// server said and returns `true`: ask again.
    async fn paced(self, id: ItemId, e: &FerryError, waits: &mut u32) -> bool {
        match paced_wait(e) {
            Some(ms) if *waits < MAX_PACED_WAITS => {
                self.set_state(id, ItemState::Paced);
                platform::sleep(ms).await;
                *waits += 1;
                true
            }
            _ => false,
        }
    }

    /// PUTs `body` to a freshly signed URL, retrying network errors and 5xx with backoff.
    /// Returns the ETag the storage gave the bytes.
    pub(super) async fn send_with_retries(
        self,
        id: ItemId,
        sign: &dyn Fn() -> SignedPut,
        body: &Blob,
        abort: &Abort,
        on_progress: impl Fn(f64) + Clone + 'static,
    ) -> Result<Option<String>, Stop> {
        let mut attempt = 0;
        let mut paced = 0;
        loop {
            let (url, headers) = match sign().await {
                Ok(signed) => signed,
                Err(e) if self.paced(id, &e, &mut paced).await => {
                    if abort.is_aborted() {
                        return Err(Stop::Aborted);
                    }
                    continue;
                }
                Err(e) => {
                    return Err(Stop::Failed {
                        message: e.to_string(),
                        retryable: e.status().is_server_error(),
                    })
                }
            };
            self.update(id, |i| {
                if matches!(i.state, ItemState::RetryWaiting { .. } | ItemState::Paced) {
                    i.state = ItemState::Uploading;
                }
            });
            let (status, body_text) =
                match platform::put(&url, &headers, body, abort, on_progress.clone()).await {
                    PutOutcome::Ok { etag } => return Ok(etag),
                    PutOutcome::Aborted => return Err(Stop::Aborted),
                    PutOutcome::Failed { status, body } => (status, body),
                };
            match after_failure(status, &body_text, attempt) {
                Verdict::AlreadyStored => return Ok(None),
                Verdict::Corrupted(message) => {
                    return Err(Stop::Failed {
                        message,
                        retryable: true,
                    })
                }
                Verdict::RetryAfter(ms) => {
                    self.set_state(id, ItemState::RetryWaiting { attempt });
                    platform::sleep(ms).await;
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

    /// The server created the file's asset.
    pub(super) fn created(&self, id: ItemId, asset_id: AssetId) {
        self.update(id, |i| {
            i.asset_id = Some(asset_id);
            i.asset_status = Some(AssetStatus::Created);
        });
    }

    /// All bytes are in S3: the slot frees up for the next file, which then follows its
    /// asset to UPLOADED — unless it was cancelled meanwhile, when the record is withdrawn.
    /// `seen` is the asset as an answer already showed it (a completed multipart upload's).
    pub(super) async fn after_sent(
        self,
        id: ItemId,
        name: &str,
        size: u64,
        asset_id: AssetId,
        seen: Option<Asset>,
    ) {
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
        self.confirm(id, name, asset_id, seen).await;
    }

    /// A cancelled file's record is soft-deleted, whatever stage the cancel caught it in.
    async fn withdraw(self, id: ItemId, asset_id: AssetId) {
        let _ = delete_asset(asset_id).await;
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
    /// Starts from `seen` when given, without asking again.
    async fn confirm(self, id: ItemId, name: &str, asset_id: AssetId, mut seen: Option<Asset>) {
        let mut wait = 200;
        for _ in 0..40 {
            if self.cancelled(id) {
                return self.withdraw(id, asset_id).await;
            }
            let asset = match seen.take() {
                Some(asset) => Ok(asset),
                None => get_asset(asset_id).await,
            };
            match asset {
                Ok(asset) => {
                    self.update(id, |i| i.asset_status = Some(asset.status));
                    match asset.status {
                        AssetStatus::Received | AssetStatus::Uploaded => {
                            return self.mark_uploaded(id, name, asset_id).await
                        }
                        AssetStatus::Deleted => {
                            let message = "the asset was deleted meanwhile".into();
                            return self.fail(id, name, message, false);
                        }
                        AssetStatus::Rejected => {
                            let message = match &asset.rejection {
                                Some(r) => format!("refused on arrival: {r}"),
                                None => "refused on arrival".into(),
                            };
                            return self.fail(id, name, message, false);
                        }
                        AssetStatus::Created => {}
                    }
                }
                Err(e) if !e.status().is_server_error() => {
                    return self.fail(id, name, e.to_string(), false);
                }
                Err(_) => {}
            }
            platform::sleep(wait).await;
            wait = (wait * 3 / 2).min(2_000);
        }
        let message = "S3 did not report the object in time".into();
        self.fail(id, name, message, true);
    }

    /// RECEIVED → UPLOADED: this client confirms the upload.
    async fn mark_uploaded(self, id: ItemId, name: &str, asset_id: AssetId) {
        match mark_uploaded(asset_id).await {
            Ok(_) if self.cancelled(id) => self.withdraw(id, asset_id).await,
            Ok(done) => {
                self.set_state(id, ItemState::Done);
                self.update(id, |i| i.asset_status = Some(done.status));
                self.announce(format!("{name}: uploaded"));
            }
            Err(e) => self.fail(id, name, e.to_string(), true),
        }
    }

    /// `sent` of `size` bytes are on their way: progress, speed, and an announcement at
    /// each quarter. Each XHR reports every 50 ms or so, six at a time for a multipart
    /// upload: the row is redrawn only when its whole percent moves, the speed only when the
    /// meter takes a sample, so the page's thread stays free to start the next parts.
    pub(super) fn progress(&self, id: ItemId, sent: u64, size: u64) {
        let pct = percent(sent, size);
        let moved = self.items.with_untracked(|items| {
            items.iter().any(|i| {
                i.id == id && i.state == ItemState::Uploading && percent(i.sent, i.size) != pct
            })
        });
        if moved {
            self.update(id, |i| {
                if i.state == ItemState::Uploading {
                    i.sent = sent;
                }
            });
        }
        let now = platform::now_ms();
        let rate = self.handles.try_update_value(|h| {
            let meter = &mut h.get_mut(&id)?.meter;
            meter.sample(now, sent).then(|| meter.rate()).flatten()
        });
        if let Some(Some(rate)) = rate {
            self.speeds.update(|s| {
                s.insert(id, (rate, size.saturating_sub(sent)));
            });
        }
        // Announce quarters only; the name is looked up just for those.
        if moved && pct > 0 && pct.is_multiple_of(25) {
            let name = self
                .items
                .with_untracked(|i| i.iter().find(|i| i.id == id).map(|i| i.name.clone()));
            if let Some(name) = name {
                self.announce(format!("{name}: {pct}%"));
            }
        }
    }

    /// The file stopped for good (Retry starts it again when `retryable`).
    pub(super) fn fail(&self, id: ItemId, name: &str, message: String, retryable: bool) {
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
