//! An S3-compatible endpoint on loopback: `s3s` (real SigV4 checks, presigned URLs, expiry,
//! multipart) over `s3s-fs` (objects as files under the data dir), with CORS for the app's
//! origin, and S3-format event records sent to the same handler Lambda uses.

mod checksums;
mod long_keys;

use super::Credentials;
use crate::notifications::encode_key;
use aws_lambda_events::s3::{S3Event, S3EventRecord};
use axum::{error_handling::HandleError, Router};
use checksums::PartETag;
use futures::future::BoxFuture;
use http::{header, HeaderValue, Method, StatusCode};
use s3s::{
    auth::SimpleAuth, dto::*, service::S3ServiceBuilder, S3Request, S3Response, S3Result, S3,
};
use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{SystemTime, UNIX_EPOCH},
};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// Receives each event notification (one record each), like an S3 → Lambda trigger.
pub type EventSink = Arc<dyn Fn(S3Event) -> BoxFuture<'static, ()> + Send + Sync>;

/// The running endpoint; stops when [`EmbeddedS3::shutdown`] is called or it is dropped.
pub struct EmbeddedS3 {
    pub endpoint: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl EmbeddedS3 {
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmbeddedS3 {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What failed inside s3s, for [`log_failures`] to report.
#[derive(Clone)]
struct Failure(String);

/// One log line per failed request, at the level its status deserves: a server error at
/// ERROR; a client's (an expired or altered URL, a missing key, a refused checksum, a body
/// the client stopped sending, which s3s answers 500) at DEBUG, since nothing is wrong with
/// Ferry. (s3s itself logs every error at ERROR, so it is quiet unless named:
/// `config::log_filter`.)
async fn log_failures(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use http_body_util::BodyExt;
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // Whether reading the body failed (the client went away or stalled). `map_err` keeps the
    // body's size hint, which s3s needs.
    let cut_off = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let req = req.map(|body| {
        let cut_off = cut_off.clone();
        axum::body::Body::new(body.map_err(move |e| {
            cut_off.store(true, Ordering::Relaxed);
            e
        }))
    });
    let response = next.run(req).await;
    let status = response.status();
    if status.is_server_error() && !cut_off.load(Ordering::Relaxed) {
        let error = response.extensions().get::<Failure>().map(|f| f.0.as_str());
        tracing::error!(%method, %path, %status, error, "embedded S3 request failed");
    } else if status.is_client_error() || status.is_server_error() {
        tracing::debug!(%method, %path, %status, "embedded S3 refused a request");
    }
    response
}

/// Starts the endpoint on 127.0.0.1 (a free port) serving objects under `root`.
pub async fn start(
    root: &Path,
    credentials: &Credentials,
    region: &str,
    allowed_origins: &[String],
    sink: EventSink,
    listen: &crate::config::ListenLimits,
) -> std::io::Result<EmbeddedS3> {
    std::fs::create_dir_all(root)?;
    let fs = s3s_fs::FileSystem::new(root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let root = root.canonicalize()?;
    let notifying = Notifying {
        inner: fs,
        sums: checksums::Sidecars::new(&root),
        names: long_keys::LongKeys::new(&root),
        root,
        region: region.to_string(),
        clock: SequencerClock::default(),
        sink,
    };
    let mut builder = S3ServiceBuilder::new(notifying);
    builder.set_auth(SimpleAuth::from_single(
        credentials.access_key.clone(),
        credentials.secret_key.clone(),
    ));
    // Logged once, by `log_failures`, with what went wrong.
    let service = HandleError::new(builder.build(), |e: s3s::HttpError| async move {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Extension(Failure(format!("{e:?}"))),
        )
    });

    let origins: Vec<HeaderValue> = allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    // The browser PUTs/GETs presigned URLs from the app's origin; multipart needs ETag.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::PUT,
            Method::POST,
            Method::DELETE,
            Method::HEAD,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([header::ETAG])
        .max_age(std::time::Duration::from_secs(3600));
    // At the root (not nested): a path prefix would be stripped before SigV4 verification.
    let app = Router::new()
        .fallback_service(service)
        .layer(cors)
        .layer(axum::middleware::from_fn(log_failures));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listen = listen.clone();
    let task = tokio::spawn(async move {
        crate::listener::serve(listener, app, &listen, async move {
            let _ = stopped.await;
        })
        .await;
    });
    Ok(EmbeddedS3 {
        endpoint: format!("http://{addr}"),
        stop: Some(stop),
        task: Some(task),
    })
}

/// Sequencers that grow across restarts: nanoseconds since the epoch, bumped when two events
/// land in the same nanosecond, as fixed-width upper-case hex.
#[derive(Default)]
struct SequencerClock {
    last: AtomicU64,
}

impl SequencerClock {
    fn next(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let mut prev = self.last.load(Ordering::SeqCst);
        loop {
            let next = now.max(prev + 1);
            match self
                .last
                .compare_exchange(prev, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return format!("{next:016X}"),
                Err(actual) => prev = actual,
            }
        }
    }
}

/// `s3s-fs` plus event notifications after every successful write or delete.
struct Notifying {
    inner: s3s_fs::FileSystem,
    /// Checksums s3s-fs does not keep: parts' and completed uploads'.
    sums: checksums::Sidecars,
    /// The keys of objects stored under digest names, for listings.
    names: long_keys::LongKeys,
    root: PathBuf,
    region: String,
    clock: SequencerClock,
    sink: EventSink,
}

impl Notifying {
    /// Whether s3s-fs holds an open multipart upload with this id.
    async fn upload_known(&self, upload_id: &str) -> bool {
        uuid_like(upload_id)
            && tokio::fs::try_exists(self.root.join(format!(".upload-{upload_id}.json")))
                .await
                .unwrap_or(false)
    }

    /// A key short enough for s3s-fs's object metadata but not for an upload's was stored
    /// under itself before [`stored_key`] existed; such an object is read where it is.
    async fn read_key(&self, bucket: &str, key: &str) -> String {
        let stored = stored_key(bucket, key);
        if stored != key
            && plain_path(key)
            && metadata_name_len(bucket, key, false) <= NAME_MAX
            && tokio::fs::try_exists(self.root.join(bucket).join(key))
                .await
                .unwrap_or(false)
        {
            return key.to_string();
        }
        stored
    }

    /// After a write under a [`stored_key`], an older copy under the key itself is stale.
    async fn forget_legacy(&self, bucket: &str, key: &str) {
        if stored_key(bucket, key) != key && self.read_key(bucket, key).await == key {
            let _ = tokio::fs::remove_file(self.root.join(bucket).join(key)).await;
        }
    }

    /// Refuses (400) to store `stored` where the file system cannot: s3s-fs keeps each object
    /// as a file, so a key cannot be an object and a "folder" of other objects at once
    /// (`a` and `a/b`). AWS S3 would store both; this says so instead of failing with a 500.
    async fn refuse_folder_clash(&self, bucket: &str, key: &str, stored: &str) -> S3Result<()> {
        let mut path = self.root.join(bucket);
        let segments: Vec<&str> = stored.split('/').collect();
        for (i, segment) in segments.iter().enumerate() {
            path.push(segment);
            let Ok(meta) = tokio::fs::metadata(&path).await else {
                return Ok(());
            };
            let last = i + 1 == segments.len();
            if (!last && meta.is_file()) || (last && meta.is_dir()) {
                return Err(s3s::s3_error!(
                    InvalidArgument,
                    "the embedded S3 keeps objects as files: `{}` cannot be stored because                      an object and a folder of objects would share a name (AWS S3 would                      store both)",
                    key.chars().take(200).collect::<String>()
                ));
            }
        }
        Ok(())
    }

    /// After `key` was written or deleted, a completed upload's checksums for it are stale.
    /// After a write of `key`: a key stored under a digest name is remembered for listings.
    async fn name_long_key(&self, bucket: &str, key: &str) {
        let stored = stored_key(bucket, key);
        if stored != key {
            self.names.remember(bucket, key, &stored).await;
        }
    }

    /// HeadObject of what s3s-fs keeps as `stored` (`None` if it is gone).
    async fn head_stored(&self, bucket: &str, stored: &str) -> Option<HeadObjectOutput> {
        let mut input = HeadObjectInput::builder();
        input
            .set_bucket(bucket.to_string())
            .set_key(stored.to_string());
        let input = input.build().ok()?;
        let resp = self.inner.head_object(internal_request(input)).await.ok()?;
        Some(resp.output)
    }

    async fn forget_sums(&self, bucket: &str, key: &str) {
        let stored = stored_key(bucket, key);
        self.sums.forget_object(bucket, &stored).await;
        if stored != key {
            self.sums.forget_object(bucket, key).await;
        }
    }

    /// Before a completion is handed to s3s-fs (which starts by ending the upload): each
    /// listed part must exist and carry the checksums it was stored with, else InvalidPart
    /// with the upload intact. Returns the object's composite SHA-256 when every part has
    /// one.
    async fn check_parts(
        &self,
        upload_id: &str,
        upload: Option<&CompletedMultipartUpload>,
    ) -> S3Result<Option<String>> {
        let Some(parts) = upload.and_then(|u| u.parts.as_ref()) else {
            return Ok(None);
        };
        let mut digests = vec![];
        for part in parts {
            // s3s-fs refuses a part without a number.
            let Some(n) = part.part_number else {
                return Ok(None);
            };
            let path = self.part_file(upload_id, n);
            let stored = self.sums.part(upload_id, n).await;
            if !tokio::fs::try_exists(&path).await.unwrap_or(false)
                || !checksums::agree(&checksums::checksums_of!(part), &stored)
            {
                return Err(s3s::s3_error!(
                    InvalidPart,
                    "One or more of the specified parts could not be found. The part may not \
                     have been uploaded, or the specified checksum may not have matched the \
                     part's checksum."
                ));
            }
            digests.extend(stored.checksum_sha256);
        }
        Ok(if !parts.is_empty() && digests.len() == parts.len() {
            checksums::composite_sha256(&digests)
        } else {
            None
        })
    }

    /// The ETag s3s-fs answered for the part it just stored, with that file's identity.
    async fn part_e_tag(&self, upload_id: &str, n: i32, e_tag: Option<&ETag>) -> Option<PartETag> {
        PartETag::of(&self.part_file(upload_id, n), e_tag?.value().to_string()).await
    }

    /// Where s3s-fs keeps part `n` of an upload.
    fn part_file(&self, upload_id: &str, n: i32) -> PathBuf {
        self.root.join(format!(".upload_id-{upload_id}.part-{n}"))
    }

    async fn size_of(&self, bucket: &str, key: &str, fallback: Option<i64>) -> i64 {
        let stored = self.read_key(bucket, key).await;
        match tokio::fs::metadata(self.root.join(bucket).join(stored)).await {
            Ok(m) => m.len() as i64,
            Err(_) => fallback.unwrap_or(0),
        }
    }

    async fn notify(&self, name: &str, bucket: &str, key: &str, created: Option<(i64, String)>) {
        let mut record = S3EventRecord::default();
        record.event_version = Some("2.1".into());
        record.event_source = Some("aws:s3".into());
        record.aws_region = Some(self.region.clone());
        record.event_time = chrono::Utc::now();
        record.event_name = Some(name.into());
        record.s3.schema_version = Some("1.0".into());
        record.s3.configuration_id = Some("ferry-embedded".into());
        record.s3.bucket.name = Some(bucket.into());
        record.s3.bucket.arn = Some(format!("arn:aws:s3:::{bucket}"));
        record.s3.object.key = Some(encode_key(key));
        record.s3.object.sequencer = Some(self.clock.next());
        if let Some((size, etag)) = created {
            record.s3.object.size = Some(size);
            record.s3.object.e_tag = Some(etag);
        }
        let mut event = S3Event::default();
        event.records = vec![record];
        (self.sink)(event).await;
    }
}

/// Every file under a bucket's directory as its key (`/`-separated, relative to it), but
/// Ferry's own (`.ferry-…` at the top) and names that are no UTF-8.
fn walk_bucket(dir: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, key_prefix)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if key_prefix.is_empty() && name.starts_with(".ferry-") {
                continue;
            }
            let key = format!("{key_prefix}{name}");
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push((entry.path(), format!("{key}/"))),
                Ok(t) if t.is_file() => keys.push(key),
                _ => {}
            }
        }
    }
    keys
}

/// A request Ferry makes of s3s-fs itself (it was authenticated as the client's).
fn internal_request<T>(input: T) -> S3Request<T> {
    S3Request {
        input,
        method: Method::GET,
        uri: http::Uri::from_static("/"),
        headers: Default::default(),
        extensions: Default::default(),
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

/// Where long keys' objects are kept in s3s-fs: see [`stored_key`].
const LONG_KEYS: &str = ".ferry-long-keys";

/// The longest file name s3s-fs may make (Linux `NAME_MAX`).
const NAME_MAX: usize = 255;

/// The key s3s-fs stores an object under. s3s-fs keeps an object as the file
/// `<root>/<bucket>/<key>` and names its metadata files after the unpadded base64 of its
/// bucket and key (`.bucket-<b64>.object-<b64>.upload-<uuid>.metadata.json` is the longest).
/// S3 keys are opaque, so some are no path (`a/../../x` would resolve outside the bucket,
/// `dir/` would be a directory, `a//b` and 300-byte segments are no file names), and with
/// Ferry's bucket a key over about 130 bytes would overflow a metadata file name. Such a key
/// is stored under `.ferry-long-keys/<SHA-256 of the key, hex>` instead ([`plain_path`]).
/// The S3 API still speaks the key itself (requests, responses, event records); only a
/// listing shows the stored name. Objects an older Ferry stored under a long key itself are
/// still read there ([`Notifying::read_key`]).
fn stored_key(bucket: &str, key: &str) -> String {
    if plain_path(key) && metadata_name_len(bucket, key, true) <= NAME_MAX {
        return key.to_string();
    }
    use sha2::{Digest, Sha256};
    format!(
        "{LONG_KEYS}/{}",
        checksums::hex(&Sha256::digest(key.as_bytes()))
    )
}

/// Whether a key can be the path of a file under the bucket's directory as it is: every
/// `/`-separated segment a file name (not empty, `.` or `..`, at most [`NAME_MAX`] bytes, no
/// NUL), so no trailing or doubled `/`, and not under the names Ferry keeps (`.ferry-…`).
fn plain_path(key: &str) -> bool {
    !key.starts_with(".ferry-")
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment.len() <= NAME_MAX
                && !segment.contains('\0')
        })
}

/// The length of s3s-fs's metadata file name for `bucket`/`key`, for an open multipart upload
/// (`.upload-<uuid>` included) or for the object.
fn metadata_name_len(bucket: &str, key: &str, upload: bool) -> usize {
    let b64 = |n: usize| (4 * n).div_ceil(3);
    let upload = if upload { ".upload-".len() + 36 } else { 0 };
    ".bucket-".len()
        + b64(bucket.len())
        + ".object-".len()
        + b64(key.len())
        + upload
        + ".metadata.json".len()
}

/// A presigned request (signed in its query) that carries `x-amz-*` headers its signature
/// does not cover: AWS S3 refuses it (`403 AccessDenied`, "There were headers present in the
/// request which were not signed"), so a URL signed for one upload cannot add metadata, an
/// ACL or anything else its signer did not allow. s3s checks only the signed headers.
fn refuse_unsigned_amz_headers(uri: &http::Uri, headers: &http::HeaderMap) -> S3Result<()> {
    let Some(query) = uri.query() else {
        return Ok(());
    };
    let Some((_, signed)) = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-SignedHeaders"))
    else {
        return Ok(());
    };
    let signed: Vec<String> = signed.split(';').map(str::to_ascii_lowercase).collect();
    let unsigned: Vec<&str> = headers
        .keys()
        .map(http::HeaderName::as_str)
        .filter(|name| name.starts_with("x-amz-") && !signed.iter().any(|s| s == name))
        .collect();
    if unsigned.is_empty() {
        return Ok(());
    }
    Err(s3s::s3_error!(
        AccessDenied,
        "There were headers present in the request which were not signed: {}",
        unsigned.join(", ")
    ))
}

/// Upload ids s3s-fs issues are UUIDs; anything else names no upload (and no file).
fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// The MD5 of a file's bytes, hex (a part's ETag); `None` if it cannot be read.
async fn md5_of_file(path: &Path) -> Option<String> {
    use md5::{Digest, Md5};
    let bytes = tokio::fs::read(path).await.ok()?;
    Some(checksums::hex(&Md5::digest(&bytes)))
}

fn etag_value(etag: &Option<ETag>) -> String {
    etag.as_ref()
        .map(|e| e.value().to_string())
        .unwrap_or_default()
}

#[async_trait::async_trait]
impl S3 for Notifying {
    async fn put_object(
        &self,
        mut req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        refuse_unsigned_amz_headers(&req.uri, &req.headers)?;
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        req.input.key = stored_key(&bucket, &key);
        self.refuse_folder_clash(&bucket, &key, &req.input.key)
            .await?;
        let declared = req.input.content_length;
        // Browser form uploads (PostObject) arrive here through the trait's default.
        let name = if req.method == Method::POST {
            "ObjectCreated:Post"
        } else {
            "ObjectCreated:Put"
        };
        // Verified while s3s-fs reads it, so that a mismatch never reaches its rename.
        let verdict = checksums::verify_body(&mut req.input.body, checksums::declared_of!(req))?
            .unwrap_or_default();
        let resp = self
            .inner
            .put_object(req)
            .await
            .map_err(|e| verdict.explain(e))?;
        self.forget_legacy(&bucket, &key).await;
        self.forget_sums(&bucket, &key).await;
        self.name_long_key(&bucket, &key).await;
        let size = self.size_of(&bucket, &key, declared).await;
        self.notify(
            name,
            &bucket,
            &key,
            Some((size, etag_value(&resp.output.e_tag))),
        )
        .await;
        Ok(resp)
    }

    async fn copy_object(
        &self,
        mut req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        req.input.key = stored_key(&bucket, &key);
        self.refuse_folder_clash(&bucket, &key, &req.input.key)
            .await?;
        if let CopySource::Bucket {
            bucket: from,
            key: from_key,
            ..
        } = &mut req.input.copy_source
        {
            *from_key = self.read_key(from, from_key).await.into();
        }
        let source = match &req.input.copy_source {
            CopySource::Bucket {
                bucket: from,
                key: from_key,
                ..
            } => Some((from.to_string(), from_key.to_string())),
            _ => None,
        };
        let resp = self.inner.copy_object(req).await?;
        self.forget_legacy(&bucket, &key).await;
        self.name_long_key(&bucket, &key).await;
        // The copy has the source's bytes: a completed upload's checksum goes with them.
        let stored = stored_key(&bucket, &key);
        if source.as_ref() != Some(&(bucket.clone(), stored.clone())) {
            let copied = match &source {
                Some((from, from_key)) => self.sums.object(from, from_key).await,
                None => None,
            };
            self.forget_sums(&bucket, &key).await;
            if let Some(sums) = copied {
                self.sums.save_object(&bucket, &stored, sums).await;
            }
        }
        let etag = resp
            .output
            .copy_object_result
            .as_ref()
            .map(|r| etag_value(&r.e_tag))
            .unwrap_or_default();
        let size = self.size_of(&bucket, &key, None).await;
        self.notify("ObjectCreated:Copy", &bucket, &key, Some((size, etag)))
            .await;
        Ok(resp)
    }

    async fn complete_multipart_upload(
        &self,
        mut req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        req.input.key = stored_key(&bucket, &key);
        let upload_id = req.input.upload_id.clone();
        let known = self.upload_known(&upload_id).await;
        let composite = if known {
            self.check_parts(&upload_id, req.input.multipart_upload.as_ref())
                .await?
        } else {
            None
        };
        let result: S3Result<S3Response<CompleteMultipartUploadOutput>> = async {
            let mut resp = self.inner.complete_multipart_upload(req).await?;
            // s3s-fs finishes the upload in a future (keep-alive style); finish it here so
            // the event is sent only once the object really exists.
            if let Some(finish) = resp.output.future.take() {
                resp.output = finish.await?;
            }
            Ok(resp)
        }
        .await;
        // s3s-fs ends the upload before it writes the object: a failure may have ended it.
        if known && !self.upload_known(&upload_id).await {
            self.sums.forget_upload(&upload_id).await;
        }
        let mut resp = result?;
        resp.output.key = Some(key.clone());
        self.forget_legacy(&bucket, &key).await;
        self.name_long_key(&bucket, &key).await;
        // Kept even without a checksum: s3s-fs's own record may be an older object's.
        let sums = Checksum {
            checksum_type: composite
                .is_some()
                .then(|| ChecksumType::from_static(ChecksumType::COMPOSITE)),
            checksum_sha256: composite,
            ..Default::default()
        };
        self.forget_sums(&bucket, &key).await;
        self.sums
            .save_object(&bucket, &stored_key(&bucket, &key), sums.clone())
            .await;
        checksums::set_checksums!(resp.output, sums);
        let size = self.size_of(&bucket, &key, None).await;
        let etag = etag_value(&resp.output.e_tag);
        self.notify(
            "ObjectCreated:CompleteMultipartUpload",
            &bucket,
            &key,
            Some((size, etag)),
        )
        .await;
        Ok(resp)
    }

    async fn delete_object(
        &self,
        mut req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        req.input.key = self.read_key(&bucket, &key).await;
        let stored = req.input.key.clone();
        let resp = self.inner.delete_object(req).await?;
        self.forget_sums(&bucket, &key).await;
        self.names.forget(&bucket, &stored).await;
        self.notify("ObjectRemoved:Delete", &bucket, &key, None)
            .await;
        Ok(resp)
    }

    async fn delete_objects(
        &self,
        mut req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = req.input.bucket.clone();
        let mut original = std::collections::HashMap::new();
        for object in &mut req.input.delete.objects {
            let stored = self.read_key(&bucket, &object.key).await;
            if stored != object.key {
                original.insert(stored.clone(), std::mem::replace(&mut object.key, stored));
            }
        }
        let mut resp = self.inner.delete_objects(req).await?;
        let results = resp.output.deleted.iter_mut().flatten().map(|d| &mut d.key);
        let errors = resp.output.errors.iter_mut().flatten().map(|e| &mut e.key);
        for key in results.chain(errors).flatten() {
            if let Some(k) = original.get(key.as_str()) {
                *key = k.clone();
            }
        }
        let keys: Vec<String> = resp
            .output
            .deleted
            .iter()
            .flatten()
            .filter_map(|d| d.key.clone())
            .collect();
        for key in keys {
            self.forget_sums(&bucket, &key).await;
            self.names.forget(&bucket, &stored_key(&bucket, &key)).await;
            self.notify("ObjectRemoved:Delete", &bucket, &key, None)
                .await;
        }
        Ok(resp)
    }

    /// s3s-fs lists any upload id (even unknown ones) and omits part ETags and checksums;
    /// AWS answers NoSuchUpload and gives each part's ETag (which resuming an upload depends
    /// on) and the checksums it was uploaded with.
    async fn list_parts(
        &self,
        mut req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let upload_id = req.input.upload_id.clone();
        if !self.upload_known(&upload_id).await {
            return Err(s3s::s3_error!(NoSuchUpload));
        }
        let key = std::mem::take(&mut req.input.key);
        req.input.key = stored_key(&req.input.bucket, &key);
        let mut resp = self.inner.list_parts(req).await?;
        resp.output.key = Some(key);
        if let Some(parts) = resp.output.parts.as_mut() {
            parts.sort_by_key(|p| p.part_number);
            for part in parts {
                let Some(n) = part.part_number else { continue };
                let path = self.part_file(&upload_id, n);
                let (sums, recorded) = self.sums.part_record(&upload_id, n).await;
                let known = match &recorded {
                    Some(r) => r.for_file(&path).await.map(str::to_string),
                    None => None,
                };
                // Read again only if the part was stored without its ETag or changed since.
                let e_tag = match known {
                    Some(e_tag) => Some(e_tag),
                    None => md5_of_file(&path).await,
                };
                part.e_tag = e_tag.map(ETag::Strong);
                part.checksum_crc32 = sums.checksum_crc32;
                part.checksum_crc32c = sums.checksum_crc32c;
                part.checksum_sha1 = sums.checksum_sha1;
                part.checksum_sha256 = sums.checksum_sha256;
                part.checksum_crc64nvme = sums.checksum_crc64nvme;
            }
        }
        Ok(resp)
    }

    /// Like AWS: an unknown (or finished) upload is NoSuchUpload, not AccessDenied.
    async fn abort_multipart_upload(
        &self,
        mut req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        if !self.upload_known(&req.input.upload_id).await {
            return Err(s3s::s3_error!(NoSuchUpload));
        }
        req.input.key = stored_key(&req.input.bucket, &req.input.key);
        let upload_id = req.input.upload_id.clone();
        let resp = self.inner.abort_multipart_upload(req).await?;
        self.sums.forget_upload(&upload_id).await;
        Ok(resp)
    }

    // Everything else s3s-fs implements, unchanged but for the stored key.
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.inner.create_bucket(req).await
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.inner.delete_bucket(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.inner.get_bucket_location(req).await
    }

    async fn get_object(
        &self,
        mut req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        req.input.key = self.read_key(&req.input.bucket, &req.input.key).await;
        let (bucket, stored) = (req.input.bucket.clone(), req.input.key.clone());
        let ranged = req.input.range.is_some();
        let mut resp = self.inner.get_object(req).await?;
        // A completed upload's checksum (none for a range, as AWS).
        if let Some(sums) = self.sums.object(&bucket, &stored).await {
            checksums::set_checksums!(resp.output, if ranged { Checksum::default() } else { sums });
        }
        Ok(resp)
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.inner.head_bucket(req).await
    }

    async fn head_object(
        &self,
        mut req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        req.input.key = self.read_key(&req.input.bucket, &req.input.key).await;
        let (bucket, stored) = (req.input.bucket.clone(), req.input.key.clone());
        let mut resp = self.inner.head_object(req).await?;
        if let Some(sums) = self.sums.object(&bucket, &stored).await {
            checksums::set_checksums!(resp.output, sums);
        }
        Ok(resp)
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.inner.list_buckets(req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.inner.list_objects(req).await
    }

    /// s3s-fs lists the files under the bucket's directory, without ETags, walking the whole
    /// directory once per page through a blocking-pool hop per file; objects kept under
    /// digest names ([`stored_key`]) appear under those, outside any prefix asked for. Here
    /// (without a delimiter) the bucket is walked in one blocking task, every object is listed
    /// under its key, in key order and with its ETag, as AWS does, and Ferry's own files never
    /// appear. With a delimiter s3s-fs answers, Ferry's files hidden and long keys left out.
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        if req.input.delimiter.is_some() {
            let mut resp = self.inner.list_objects_v2(req).await?;
            let out = &mut resp.output;
            // s3s-fs echoes `EncodingType: url` without encoding the keys, and boto3 then
            // decodes them (`a+b` became `a b`): the keys are sent as they are, and said so.
            out.encoding_type = None;
            if let Some(contents) = out.contents.as_mut() {
                contents.retain(|o| !o.key.as_deref().unwrap_or("").starts_with(".ferry-"));
            }
            if let Some(prefixes) = out.common_prefixes.as_mut() {
                prefixes.retain(|p| !p.prefix.as_deref().unwrap_or("").starts_with(".ferry-"));
            }
            return Ok(resp);
        }
        let input = req.input;
        let bucket = input.bucket.clone();
        let dir = self.root.join(&bucket);
        if !tokio::fs::try_exists(&dir).await.unwrap_or(false) {
            return Err(s3s::s3_error!(NoSuchBucket));
        }
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = match (&input.continuation_token, &input.start_after) {
            (Some(a), Some(b)) => Some(a.max(b).clone()),
            (a, b) => a.clone().or(b.clone()),
        };
        let max_keys = input.max_keys.unwrap_or(1000).clamp(0, 1000) as usize;
        let files = tokio::task::spawn_blocking(move || walk_bucket(&dir))
            .await
            .map_err(|e| s3s::s3_error!(InternalError, "{e}"))?;
        // (stored key, key)
        let mut keys: Vec<(String, String)> = files.into_iter().map(|k| (k.clone(), k)).collect();
        keys.extend(self.names.all(&bucket, LONG_KEYS).await);
        keys.retain(|(_, key)| key.starts_with(&prefix) && after.as_ref().is_none_or(|a| key > a));
        keys.sort_by(|a, b| a.1.cmp(&b.1));
        let cut = keys.len() > max_keys;
        keys.truncate(max_keys);
        let mut contents = Vec::with_capacity(keys.len());
        for (stored, key) in keys {
            // Gone since it was listed (or a name left by a crash): not listed.
            let Some(head) = self.head_stored(&bucket, &stored).await else {
                continue;
            };
            contents.push(Object {
                key: Some(key),
                e_tag: head.e_tag,
                size: head.content_length,
                last_modified: head.last_modified,
                ..Default::default()
            });
        }
        let output = ListObjectsV2Output {
            name: Some(bucket),
            prefix: input.prefix,
            max_keys: Some(max_keys as i32),
            key_count: Some(contents.len() as i32),
            is_truncated: Some(cut),
            next_continuation_token: if cut {
                contents.last().and_then(|o| o.key.clone())
            } else {
                None
            },
            continuation_token: input.continuation_token,
            start_after: input.start_after,
            contents: Some(contents),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn create_multipart_upload(
        &self,
        mut req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let key = std::mem::take(&mut req.input.key);
        req.input.key = stored_key(&req.input.bucket, &key);
        self.refuse_folder_clash(&req.input.bucket, &key, &req.input.key)
            .await?;
        let mut resp = self.inner.create_multipart_upload(req).await?;
        resp.output.key = Some(key);
        Ok(resp)
    }

    async fn upload_part(
        &self,
        mut req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        refuse_unsigned_amz_headers(&req.uri, &req.headers)?;
        req.input.key = stored_key(&req.input.bucket, &req.input.key);
        let (upload_id, part) = (req.input.upload_id.clone(), req.input.part_number);
        // Verified as PutObject's body is; a mismatching part is not stored.
        let verdict = checksums::verify_body(&mut req.input.body, checksums::declared_of!(req))?
            .unwrap_or_default();
        let mut resp = self
            .inner
            .upload_part(req)
            .await
            .map_err(|e| verdict.explain(e))?;
        let sums = verdict.verified().unwrap_or_default();
        let e_tag = self
            .part_e_tag(&upload_id, part, resp.output.e_tag.as_ref())
            .await;
        self.sums
            .save_part(&upload_id, part, sums.clone(), e_tag)
            .await;
        resp.output.checksum_crc32 = sums.checksum_crc32;
        resp.output.checksum_crc32c = sums.checksum_crc32c;
        resp.output.checksum_sha1 = sums.checksum_sha1;
        resp.output.checksum_sha256 = sums.checksum_sha256;
        resp.output.checksum_crc64nvme = sums.checksum_crc64nvme;
        Ok(resp)
    }

    async fn upload_part_copy(
        &self,
        mut req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        req.input.key = stored_key(&req.input.bucket, &req.input.key);
        if let CopySource::Bucket {
            bucket: from,
            key: from_key,
            ..
        } = &mut req.input.copy_source
        {
            *from_key = self.read_key(from, from_key).await.into();
        }
        let (upload_id, part) = (req.input.upload_id.clone(), req.input.part_number);
        let resp = self.inner.upload_part_copy(req).await?;
        let copied = resp.output.copy_part_result.as_ref();
        let e_tag = self
            .part_e_tag(&upload_id, part, copied.and_then(|r| r.e_tag.as_ref()))
            .await;
        self.sums
            .save_part(&upload_id, part, Default::default(), e_tag)
            .await;
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};

    /// The endpoint over a fresh directory, events dropped, and an SDK client for it.
    async fn endpoint(dir: &Path) -> (EmbeddedS3, aws_sdk_s3::Client) {
        let credentials = Credentials {
            access_key: "test-access-key".into(),
            secret_key: "test-secret-key".into(),
        };
        let sink: EventSink = Arc::new(|_| Box::pin(async {}));
        let s3 = start(
            dir,
            &credentials,
            "us-east-1",
            &[],
            sink,
            &Default::default(),
        )
        .await
        .unwrap();
        let config = crate::aws::config_for_endpoint(
            &s3.endpoint,
            "us-east-1",
            &credentials.access_key,
            &credentials.secret_key,
        );
        let client = crate::aws::s3_client(&config, true);
        client
            .create_bucket()
            .bucket("bucket")
            .send()
            .await
            .unwrap();
        (s3, client)
    }

    /// A new multipart upload of `bucket`/`k`: its id.
    async fn start_upload(client: &aws_sdk_s3::Client) -> String {
        client
            .create_multipart_upload()
            .bucket("bucket")
            .key("k")
            .send()
            .await
            .unwrap()
            .upload_id
            .unwrap()
    }

    /// A presigned PUT of part `n` of upload `id`, with its SHA-256 when given.
    async fn part_put(
        client: &aws_sdk_s3::Client,
        id: &str,
        n: i32,
        sha256: Option<&str>,
    ) -> PresignedRequest {
        client
            .upload_part()
            .bucket("bucket")
            .key("k")
            .upload_id(id)
            .part_number(n)
            .set_checksum_sha256(sha256.map(str::to_string))
            .presigned(ttl())
            .await
            .unwrap()
    }

    fn ttl() -> PresigningConfig {
        PresigningConfig::expires_in(std::time::Duration::from_secs(60)).unwrap()
    }

    /// Sends `body` to a presigned URL with the headers it lists, as a browser does;
    /// returns the status.
    async fn send(presigned: PresignedRequest, body: &[u8]) -> u16 {
        let mut put = reqwest::Client::new().put(presigned.uri());
        for (name, value) in presigned.headers() {
            put = put.header(name, value);
        }
        let res = put.body(body.to_vec()).send().await.unwrap();
        res.status().as_u16()
    }

    /// Every file under `dir`, with its bytes.
    fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut found = vec![];
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                } else {
                    let bytes = std::fs::read(&path).unwrap();
                    found.push((path.strip_prefix(dir).unwrap().to_path_buf(), bytes));
                }
            }
        }
        found.sort();
        found
    }

    #[tokio::test]
    async fn a_put_failing_its_checksum_leaves_every_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let (_s3, client) = endpoint(dir.path()).await;
        let long = "k".repeat(300);
        for key in ["a.txt", long.as_str()] {
            let put = client
                .put_object()
                .bucket("bucket")
                .key(key)
                .content_type("text/plain")
                .presigned(ttl())
                .await
                .unwrap();
            assert_eq!(send(put, b"first").await, 200);
        }
        let before = files(dir.path());
        for key in ["a.txt", long.as_str(), "absent.txt"] {
            let wrong_sha256 = client
                .put_object()
                .checksum_sha256("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=");
            let wrong_md5 = client.put_object().content_md5("XUFAKrxLKna5cZ2REBfFkg==");
            for put in [wrong_sha256, wrong_md5] {
                let put = put
                    .bucket("bucket")
                    .key(key)
                    .content_type("image/png")
                    .presigned(ttl())
                    .await
                    .unwrap();
                assert_eq!(send(put, b"second").await, 400, "{key}");
            }
        }
        // No temporary file left, no object replaced or created, no metadata changed.
        assert_eq!(files(dir.path()), before);
    }

    #[tokio::test]
    async fn part_checksums_are_kept_beside_the_upload_and_removed_with_it() {
        use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
        let dir = tempfile::tempdir().unwrap();
        let (_s3, client) = endpoint(dir.path()).await;
        let root = dir.path().canonicalize().unwrap();
        // SHA-256 of "part", base64.
        let sum = "N6aAEzvQk0L5NK+43Sx9nhtiTaXzXjo4rbED43wFXtE=";
        let names = |sub: &str| -> Vec<String> {
            std::fs::read_dir(root.join(sub))
                .map(|d| {
                    d.map(|e| e.unwrap().file_name().into_string().unwrap())
                        .collect()
                })
                .unwrap_or_default()
        };
        for finish in ["abort", "complete"] {
            let id = start_upload(&client).await;
            let part = part_put(&client, &id, 1, Some(sum)).await;
            assert_eq!(send(part.clone(), b"part").await, 200);
            assert_eq!(names(&format!(".ferry-part-checksums/{id}")), ["1"]);
            // A mismatching part changes no file at all.
            let before = files(dir.path());
            assert_eq!(send(part, b"other").await, 400);
            assert_eq!(files(dir.path()), before);
            if finish == "abort" {
                client
                    .abort_multipart_upload()
                    .bucket("bucket")
                    .key("k")
                    .upload_id(&id)
                    .send()
                    .await
                    .unwrap();
            } else {
                let part = CompletedPart::builder().part_number(1).build();
                client
                    .complete_multipart_upload()
                    .bucket("bucket")
                    .key("k")
                    .upload_id(&id)
                    .multipart_upload(CompletedMultipartUpload::builder().parts(part).build())
                    .send()
                    .await
                    .unwrap();
            }
            assert!(names(".ferry-part-checksums").is_empty(), "{finish}");
        }
        // The completed object's checksum, until the object is deleted.
        assert_eq!(names(".ferry-object-checksums").len(), 1);
        client
            .delete_object()
            .bucket("bucket")
            .key("k")
            .send()
            .await
            .unwrap();
        assert!(names(".ferry-object-checksums").is_empty());
        // None of it is a bucket.
        let buckets = client.list_buckets().send().await.unwrap();
        let buckets: Vec<_> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
        assert_eq!(buckets, ["bucket"]);
    }

    #[tokio::test]
    async fn list_parts_reports_each_parts_md5_read_again_only_if_the_file_changed() {
        use md5::{Digest, Md5};
        let dir = tempfile::tempdir().unwrap();
        let (_s3, client) = endpoint(dir.path()).await;
        let root = dir.path().canonicalize().unwrap();
        let md5 =
            |b: &[u8]| -> String { Md5::digest(b).iter().map(|b| format!("{b:02x}")).collect() };
        let id = start_upload(&client).await;
        for (n, body) in [(1, &b"first"[..]), (2, b"second")] {
            let put = part_put(&client, &id, n, None).await;
            assert_eq!(send(put, body).await, 200);
        }
        let listed = || async {
            let parts = client
                .list_parts()
                .bucket("bucket")
                .key("k")
                .upload_id(&id)
                .send()
                .await
                .unwrap();
            parts
                .parts()
                .iter()
                .map(|p| p.e_tag().unwrap().trim_matches('"').to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(listed().await, [md5(b"first"), md5(b"second")]);
        // The record is the ETag s3s-fs answered, kept with the part's checksums.
        let record = std::fs::read_to_string(root.join(format!(".ferry-part-checksums/{id}/1")));
        assert!(record.unwrap().contains(&md5(b"first")));
        // A file the record still matches (size and modification time) is not read again:
        // bytes swapped behind its back, keeping both, go unnoticed.
        let part1 = root.join(format!(".upload_id-{id}.part-1"));
        let modified = std::fs::metadata(&part1).unwrap().modified().unwrap();
        std::fs::write(&part1, b"FIRST").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&part1)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        assert_eq!(listed().await, [md5(b"first"), md5(b"second")]);
        // A part file that changed behind the record (a crash between the two writes, a hand
        // edit) is read again; so is one without a record (stored by an older Ferry).
        std::fs::write(&part1, b"changed").unwrap();
        std::fs::remove_dir_all(root.join(format!(".ferry-part-checksums/{id}"))).unwrap();
        assert_eq!(listed().await, [md5(b"changed"), md5(b"second")]);
    }

    #[test]
    fn the_composite_checksum_is_the_sha256_of_the_part_digests() {
        // Parts "a" and "b": the SHA-256 of their two raw digests, then the count.
        let a = "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=";
        let b = "PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0=";
        assert_eq!(
            checksums::composite_sha256(&[a.into(), b.into()]).as_deref(),
            Some("5aAf7hTg7VxIcU8iGA8lrYNltT+XefedxKPX6Tlj+Uo=-2")
        );
        assert_eq!(checksums::composite_sha256(&["not base64".into()]), None);
    }

    #[test]
    fn keys_that_are_no_path_are_stored_hashed() {
        for key in [
            "a/b.txt",
            "uploads/local/01JDQ7ZK3M5X9V2B8N4C6T1R0W/a b.txt",
            ".hidden/x",
            "a..b",
        ] {
            assert!(plain_path(key), "{key}");
            assert_eq!(stored_key("ferry", key), key);
        }
        let long_segment = format!("a/{}", "s".repeat(256));
        for key in [
            "../x",
            "a/../../x",
            "a/./b",
            "dir/",
            "/abs",
            "a//b",
            ".ferry-long-keys/x",
            "a\0b",
            &long_segment,
        ] {
            assert!(!plain_path(key), "{key}");
            assert!(
                stored_key("ferry", key).starts_with(".ferry-long-keys/"),
                "{key}"
            );
        }
    }

    #[test]
    fn keys_too_long_for_s3s_fs_metadata_names_are_stored_hashed() {
        let short = "uploads/local/01JDQ7ZK3M5X9V2B8N4C6T1R0W/a.txt";
        assert_eq!(stored_key("ferry", short), short);
        // The longest key kept as it is, and the next one.
        let fits = |n: usize| stored_key("ferry", &"k".repeat(n)) == "k".repeat(n);
        let longest = (1..1024).take_while(|&n| fits(n)).last().unwrap();
        assert!(!fits(longest + 1) && longest > 100, "{longest}");
        let b64 = |n: usize| (4 * n).div_ceil(3);
        assert!(8 + b64(5) + 8 + b64(longest) + 44 + 14 <= NAME_MAX);
        // A 1024-byte key (the longest S3 allows) gets a short stored name, one per key.
        let a = stored_key("ferry", &"a".repeat(1024));
        let b = stored_key("ferry", &format!("{}b", "a".repeat(1023)));
        assert!(
            a.starts_with(".ferry-long-keys/") && a.len() == 17 + 64,
            "{a}"
        );
        assert_ne!(a, b);
        assert_eq!(a, stored_key("ferry", &"a".repeat(1024)));
    }
}
