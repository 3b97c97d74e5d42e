//! Large files in parts: resumes a remembered upload of the same file (asking S3 which parts
//! it already has), signs each part just before sending it, keeps [`PARALLEL`] parts in
//! flight, and completes the upload with the parts' ETags. Cancelling aborts it.
//!
//! The parts' arithmetic is [`PartProgress`]'s; the senders share it, with the reason they
//! stopped, in one [`Shared`] state.

use super::{
    controller::{Job, SignedPut, Stop, Uploader, PARALLEL},
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
    futures::future::join_all((0..PARALLEL).map(|_| send_parts(up, job, &ticket, &shared))).await;
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
    let started = start_multipart_upload(NewUpload {
        filename: Some(job.name.clone()),
        content_type: job.content_type.clone(),
        size: Some(job.size),
        checksum_sha256: None,
        // Each part then carries its SHA-256, signed into its URL.
        checksum_algorithm: platform::can_hash().then_some(ChecksumAlgorithm::Sha256),
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
/// cancelled.
async fn send_parts(up: Uploader, job: &Job, ticket: &MultipartTicket, shared: &SharedRef) {
    loop {
        if shared.borrow().stop.is_some() || job.abort.is_aborted() {
            return;
        }
        let Some((n, range)) = shared.borrow_mut().parts.next_part() else {
            return;
        };
        let sent = send_part(up, job, ticket, shared, n, range).await;
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
    }
}

/// Part `n`, signed just in time (and again for each retry). Returns its ETag.
async fn send_part(
    up: Uploader,
    job: &Job,
    ticket: &MultipartTicket,
    shared: &SharedRef,
    n: u32,
    range: Range<u64>,
) -> Result<Option<String>, Stop> {
    let Some(blob) = job.file.slice(range.start, range.end) else {
        return Err(Stop::Failed {
            message: "the file could not be read".into(),
            retryable: true,
        });
    };
    // Hashed once, just before the part is first sent; its retries send the same bytes.
    let checksum = match ticket.checksum_algorithm {
        Some(ChecksumAlgorithm::Sha256) => Some(platform::sha256_base64(&blob).await.map_err(
            |e| Stop::Failed {
                message: format!("the file could not be read: {e}"),
                retryable: true,
            },
        )?),
        None => None,
    };
    let (asset_id, upload_id, len) = (ticket.id, ticket.upload_id.clone(), range.end - range.start);
    let sign = move || {
        let (upload_id, checksum) = (upload_id.clone(), checksum.clone());
        Box::pin(async move {
            sign_upload_part(asset_id, upload_id, n, len, checksum)
                .await
                .map(|p| (p.url, p.headers.into_iter().collect::<Vec<_>>()))
        }) as SignedPut
    };
    let (id, size, shared) = (job.id, job.size, shared.clone());
    let on_progress = move |bytes: f64| {
        let sent = shared.borrow_mut().parts.sending(n, bytes as u64);
        up.progress(id, sent, size);
    };
    up.send_with_retries(id, &sign, &blob, &job.abort, on_progress)
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
        Ok(_) => {
            platform::storage_remove(resume_key);
            up.after_sent(id, name, job.size, ticket.id).await;
        }
        Err(e) => up.fail(id, name, e.to_string(), e.status().is_server_error()),
    }
}
