//! Large files in parts: resumes a remembered upload of the same file (asking S3 which parts
//! it already has), keeps [`PARTS_IN_FLIGHT`] parts in flight, and completes the upload with
//! the parts' ETags. Cancelling aborts it. Each sender reads and hashes its next part while
//! the current one is on the wire, and signs each part just before sending it, so a sender's
//! connection waits for a signature, not for hashing.
//!
//! The parts' arithmetic is [`PartProgress`]'s; the senders share it, with the reason they
//! stopped, in one [`Shared`] state.

use super::{
    controller::{Job, SignedPut, Stop, Uploader},
    parts::{PartPlan, PartProgress},
};
use crate::{
    api::{
        abort_multipart_upload, complete_multipart_upload, list_upload_parts, sign_upload_part,
        start_multipart_upload, ChecksumAlgorithm, MultipartTicket, NewUpload, UploadedPart,
    },
    domain::AssetStatus,
    platform,
};
use std::{cell::RefCell, ops::Range, rc::Rc};

/// Parts of one file in flight at once: Chromium keeps at most six HTTP/1.1 connections per
/// host, and S3 is a host of its own (the signing calls go to the app's).
pub const PARTS_IN_FLIGHT: usize = 6;

/// What the part senders of one file share.
struct Shared {
    parts: PartProgress,
    /// Why sending stopped, once a part failed for good.
    stop: Option<Stop>,
}

type SharedRef = Rc<RefCell<Shared>>;

impl Uploader {
    /// Sends `job`'s file in parts (see the module docs). A method, so the controller reaches
    /// this module without importing it (this module builds on the controller).
    pub(super) async fn run_multipart(self, job: &Job) {
        run(self, job).await
    }
}

async fn run(up: Uploader, job: &Job) {
    let resume_key = format!(
        "ferry-upload:v1:{}:{}:{}",
        job.name,
        job.size,
        job.file.last_modified()
    );
    let Some((ticket, stored)) = ticket(up, job, &resume_key).await else {
        return;
    };
    up.created(job.id, ticket.id);
    let plan = PartPlan::new(job.size, ticket.part_size);
    let shared: SharedRef = Rc::new(RefCell::new(Shared {
        parts: PartProgress::resume(plan, stored),
        stop: None,
    }));
    let sent = shared.borrow().parts.sent();
    up.progress(job.id, sent, job.size);
    futures::future::join_all((0..PARTS_IN_FLIGHT).map(|_| send_parts(up, job, &ticket, &shared)))
        .await;
    finish(up, job, &ticket, &resume_key, &shared).await;
}

/// The remembered upload of this file if S3 still holds it (with the parts it has), else a
/// new one (remembered until it completes or is cancelled). `None` once the file failed.
async fn ticket(
    up: Uploader,
    job: &Job,
    resume_key: &str,
) -> Option<(MultipartTicket, Vec<UploadedPart>)> {
    let remembered: Option<MultipartTicket> =
        platform::storage_get(resume_key).and_then(|v| serde_json::from_str(&v).ok());
    if let Some(t) = remembered {
        match list_upload_parts(t.id, t.upload_id.clone()).await {
            Ok(parts) => {
                let name = &job.name;
                up.announce(format!(
                    "{name}: resuming ({} parts already stored)",
                    parts.len()
                ));
                return Some((t, parts));
            }
            Err(_) => platform::storage_remove(resume_key),
        }
    }
    let upload = NewUpload {
        filename: Some(job.name.clone()),
        content_type: job.content_type.clone(),
        size: Some(job.size),
        checksum_sha256: None,
        // Each part then carries its SHA-256, signed into its URL.
        checksum_algorithm: platform::can_hash().then_some(ChecksumAlgorithm::Sha256),
        folder: Some(job.folder),
    };
    let started = up
        .when_allowed(job.id, &job.abort, || {
            start_multipart_upload(upload.clone())
        })
        .await;
    match started {
        Ok(t) => {
            if let Ok(json) = serde_json::to_string(&t) {
                platform::storage_set(resume_key, &json);
            }
            Some((t, vec![]))
        }
        Err(e) => {
            up.fail(
                job.id,
                &job.name,
                e.to_string(),
                e.status().is_server_error(),
            );
            None
        }
    }
}

/// One sender: takes the next part until none is left, a part failed, or the file was
/// cancelled; reads and hashes the part after while sending one.
async fn send_parts(up: Uploader, job: &Job, ticket: &MultipartTicket, shared: &SharedRef) {
    let mut ready: Option<ReadPart> = None;
    loop {
        if shared.borrow().stop.is_some() || job.abort.is_aborted() {
            return;
        }
        let part = match ready.take() {
            Some(part) => part,
            None => {
                let Some((n, range)) = shared.borrow_mut().parts.next_part() else {
                    return;
                };
                match read_part(job, ticket, n, range).await {
                    Ok(part) => part,
                    Err(e) => return shared.borrow_mut().stop = Some(e),
                }
            }
        };
        let upcoming = shared.borrow_mut().parts.next_part();
        let ahead = async {
            match upcoming {
                Some((n, range)) => Some(read_part(job, ticket, n, range).await),
                None => None,
            }
        };
        let n = part.n;
        let (sent, ahead) = futures::join!(send_part(up, job, ticket, shared, part), ahead);
        let mut shared = shared.borrow_mut();
        match sent {
            Ok(Some(etag)) => {
                shared.parts.stored(n, etag);
            }
            Ok(None) => {
                shared.stop = Some(Stop::Failed {
                    message: "S3 did not expose the part's ETag (check the bucket's CORS rule)"
                        .into(),
                    retryable: false,
                });
            }
            Err(e) => shared.stop = Some(e),
        }
        match ahead {
            Some(Ok(part)) => ready = Some(part),
            Some(Err(e)) => shared.stop = shared.stop.take().or(Some(e)),
            None => {}
        }
    }
}

/// A part's bytes, their SHA-256 when the upload checks them, and its first signature.
struct ReadPart {
    n: u32,
    blob: platform::Blob,
    len: u64,
    checksum: Option<String>,
    signed: Option<Signed>,
}

type Signed = Result<(String, Vec<(String, String)>), crate::api::FerryError>;

/// Signs part `n` of `len` bytes (the URL carries its checksum).
fn sign(ticket: &MultipartTicket, n: u32, len: u64, checksum: Option<String>) -> SignedPut {
    let (asset_id, upload_id) = (ticket.id, ticket.upload_id.clone());
    Box::pin(async move {
        sign_upload_part(asset_id, upload_id, n, len, checksum)
            .await
            .map(|p| (p.url, p.headers.into_iter().collect::<Vec<_>>()))
    })
}

/// Part `n`'s bytes, hashed once (its retries send the same bytes), and signed.
async fn read_part(
    job: &Job,
    ticket: &MultipartTicket,
    n: u32,
    range: Range<u64>,
) -> Result<ReadPart, Stop> {
    let unreadable = |detail: String| Stop::Failed {
        message: format!("the file could not be read{detail}"),
        retryable: true,
    };
    let blob = job
        .file
        .slice(range.start, range.end)
        .ok_or_else(|| unreadable(String::new()))?;
    let checksum = match ticket.checksum_algorithm {
        Some(ChecksumAlgorithm::Sha256) => Some(
            platform::sha256_base64(&blob)
                .await
                .map_err(|e| unreadable(format!(": {e}")))?,
        ),
        None => None,
    };
    let len = range.end - range.start;
    let signed = Some(sign(ticket, n, len, checksum.clone()).await);
    Ok(ReadPart {
        n,
        blob,
        len,
        checksum,
        signed,
    })
}

/// Sends a read part with its signature (each retry is signed again). Returns its ETag.
async fn send_part(
    up: Uploader,
    job: &Job,
    ticket: &MultipartTicket,
    shared: &SharedRef,
    part: ReadPart,
) -> Result<Option<String>, Stop> {
    let ReadPart {
        n,
        blob,
        len,
        checksum,
        signed,
    } = part;
    let first = RefCell::new(signed);
    let signed_put = move || match first.borrow_mut().take() {
        Some(signed) => Box::pin(std::future::ready(signed)) as SignedPut,
        None => sign(ticket, n, len, checksum.clone()),
    };
    let (id, size, shared) = (job.id, job.size, shared.clone());
    let on_progress = move |bytes: f64| {
        let sent = shared.borrow_mut().parts.sending(n, bytes as u64);
        up.progress(id, sent, size);
    };
    up.send_with_retries(id, &signed_put, &blob, &job.abort, on_progress)
        .await
}

/// After the senders: abort a cancelled upload, report a failed one (it stays resumable:
/// Retry, or dropping the file again, continues it), or complete it.
async fn finish(
    up: Uploader,
    job: &Job,
    ticket: &MultipartTicket,
    resume_key: &str,
    shared: &SharedRef,
) {
    let (id, name) = (job.id, job.name.as_str());
    if job.abort.is_aborted() {
        let _ = abort_multipart_upload(ticket.id, ticket.upload_id.clone()).await;
        platform::storage_remove(resume_key);
        up.update(id, |i| i.asset_status = Some(AssetStatus::Deleted));
        return;
    }
    let (stop, parts) = {
        let mut shared = shared.borrow_mut();
        (shared.stop.take(), shared.parts.stored_parts())
    };
    if let Some(Stop::Failed { message, retryable }) = stop {
        return up.fail(id, name, message, retryable);
    }
    match complete_multipart_upload(ticket.id, ticket.upload_id.clone(), parts).await {
        Ok(asset) => {
            platform::storage_remove(resume_key);
            up.after_sent(id, name, job.size, ticket.id, Some(asset))
                .await;
        }
        Err(e) => up.fail(id, name, e.to_string(), e.status().is_server_error()),
    }
}
