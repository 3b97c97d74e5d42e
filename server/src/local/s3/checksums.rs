//! Request checksums as AWS S3 checks them: `Content-MD5` and `x-amz-checksum-*` (sent as
//! headers, or as trailers of an `aws-chunked` body) are verified while the body streams.
//!
//! s3s-fs compares them only after it has renamed the new file into place, so a request
//! answered `BadDigest` has already replaced the object. [`verify_body`] wraps the body so
//! that, at its end, a mismatch is an error item instead of the end of the stream: s3s-fs's
//! copy fails before its rename, its temporary file is removed when its writer is dropped,
//! and [`Verdict::explain`] turns that failure back into `BadDigest`.
//!
//! s3s-fs keeps no checksum for a multipart upload's parts nor computes one on completion:
//! [`Sidecars`] remembers them in files of our own under its root, for ListParts and for
//! the object's composite checksum (see [`composite_sha256`]), and each part's ETag with the
//! size and modification time its file had (see [`PartETag`]): ListParts reports it
//! without reading the part again while the file is unchanged.

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use bytes::Bytes;
use futures::Stream;
use http::HeaderMap;
use s3s::{
    checksum::ChecksumHasher,
    crypto::{Checksum as _, Md5},
    dto::{Checksum, ChecksumAlgorithm, ContentMD5, StreamingBlob},
    s3_error, S3Error, S3Result, StdError, TrailingHeaders,
};
use serde::{Deserialize, Serialize};
use std::{
    path::{Path, PathBuf},
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

/// The checksum algorithms S3 knows, each with its header.
const ALGORITHMS: [(&str, &str); 5] = [
    (ChecksumAlgorithm::CRC32, "x-amz-checksum-crc32"),
    (ChecksumAlgorithm::CRC32C, "x-amz-checksum-crc32c"),
    (ChecksumAlgorithm::SHA1, "x-amz-checksum-sha1"),
    (ChecksumAlgorithm::SHA256, "x-amz-checksum-sha256"),
    (ChecksumAlgorithm::CRC64NVME, "x-amz-checksum-crc64nvme"),
];

/// The value of one algorithm's field in `sums`.
pub(super) fn field<'a>(sums: &'a mut Checksum, algorithm: &str) -> &'a mut Option<String> {
    match algorithm {
        ChecksumAlgorithm::CRC32 => &mut sums.checksum_crc32,
        ChecksumAlgorithm::CRC32C => &mut sums.checksum_crc32c,
        ChecksumAlgorithm::SHA1 => &mut sums.checksum_sha1,
        ChecksumAlgorithm::SHA256 => &mut sums.checksum_sha256,
        _ => &mut sums.checksum_crc64nvme,
    }
}

/// What a request declares about its body.
pub(super) struct Declared<'a> {
    pub content_md5: Option<&'a ContentMD5>,
    /// The `x-amz-checksum-*` headers.
    pub checksums: Checksum,
    /// `x-amz-sdk-checksum-algorithm`.
    pub algorithm: Option<&'a ChecksumAlgorithm>,
    pub headers: &'a HeaderMap,
    pub trailers: Option<TrailingHeaders>,
}

/// The outcome of one body's verification, known once s3s-fs has read the body to its end.
#[derive(Clone, Default)]
pub(super) struct Verdict(Arc<Mutex<Option<Result<Checksum, String>>>>);

impl Verdict {
    fn set(&self, outcome: Result<Checksum, String>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(outcome);
        }
    }

    /// The body's checksums (those the request asked for), when it was read and matched.
    pub fn verified(&self) -> Option<Checksum> {
        self.0.lock().ok()?.as_ref()?.as_ref().ok().cloned()
    }

    /// The error to answer for a failed call: `BadDigest` when the body did not match what
    /// the request declared (s3s-fs saw only a failed body stream), else the call's own.
    pub fn explain(&self, e: S3Error) -> S3Error {
        match self.0.lock().ok().and_then(|slot| slot.clone()) {
            Some(Err(message)) => s3_error!(BadDigest, "{message}"),
            _ => e,
        }
    }
}

/// Wraps `body` so that it is verified against `declared` as it is read; `Ok(None)` when the
/// request declares nothing to verify. Refuses before any byte is read, as AWS does, a
/// malformed `Content-MD5` (`InvalidDigest`) and an algorithm named without its checksum
/// (`InvalidRequest`).
pub(super) fn verify_body(
    body: &mut Option<StreamingBlob>,
    declared: Declared<'_>,
) -> S3Result<Option<Verdict>> {
    let md5 = match declared.content_md5 {
        None => None,
        Some(b64) => match B64.decode(b64.trim()) {
            Ok(digest) if digest.len() == 16 => Some(digest),
            _ => {
                return Err(s3_error!(
                    InvalidDigest,
                    "The Content-MD5 you specified was invalid."
                ))
            }
        },
    };
    // The trailers this request announces (`x-amz-trailer`), by algorithm.
    let announced: Vec<&str> = declared
        .headers
        .get_all("x-amz-trailer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| {
            let name = name.trim().to_ascii_lowercase();
            ALGORITHMS
                .iter()
                .find(|(_, header)| *header == name)
                .map(|(a, _)| *a)
        })
        .collect();
    let mut expected = declared.checksums;
    let mut hasher = ChecksumHasher::default();
    let mut enabled: Vec<&str> = ALGORITHMS
        .iter()
        .map(|(a, _)| *a)
        .filter(|a| field(&mut expected, a).is_some())
        .chain(announced.iter().copied())
        .collect();
    if let Some(algorithm) = declared.algorithm {
        let Some((a, _)) = ALGORITHMS
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(algorithm.as_str()))
        else {
            return Err(s3_error!(
                InvalidRequest,
                "Value for x-amz-sdk-checksum-algorithm header is invalid."
            ));
        };
        if field(&mut expected, a).is_none() && !announced.contains(a) {
            return Err(s3_error!(
                InvalidRequest,
                "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* \
                 or x-amz-trailer headers were found."
            ));
        }
        enabled.push(a);
    }
    if md5.is_none() && enabled.is_empty() && declared.trailers.is_none() {
        return Ok(None);
    }
    for a in &enabled {
        match *a {
            ChecksumAlgorithm::CRC32 => hasher.crc32 = Some(Default::default()),
            ChecksumAlgorithm::CRC32C => hasher.crc32c = Some(Default::default()),
            ChecksumAlgorithm::SHA1 => hasher.sha1 = Some(Default::default()),
            ChecksumAlgorithm::SHA256 => hasher.sha256 = Some(Default::default()),
            _ => hasher.crc64nvme = Some(Default::default()),
        }
    }
    let Some(inner) = body.take() else {
        return Ok(None);
    };
    let verdict = Verdict::default();
    let stream = Verifying {
        inner,
        running: Some(Running {
            md5: md5.map(|d| (Md5::new(), d)),
            hasher,
            expected,
            trailers: declared.trailers,
        }),
        verdict: verdict.clone(),
    };
    *body = Some(StreamingBlob::wrap(stream));
    Ok(Some(verdict))
}

/// A body being verified: the bytes pass through unchanged; at the end, a mismatch is an
/// error item (s3s-fs's copy fails before it renames its file into place).
struct Verifying {
    inner: StreamingBlob,
    /// `None` once the end has been reached and judged.
    running: Option<Running>,
    verdict: Verdict,
}

struct Running {
    md5: Option<(Md5, Vec<u8>)>,
    hasher: ChecksumHasher,
    /// The declared checksums (headers; trailers are read at the end).
    expected: Checksum,
    trailers: Option<TrailingHeaders>,
}

impl Running {
    fn update(&mut self, bytes: &[u8]) {
        if let Some((md5, _)) = &mut self.md5 {
            md5.update(bytes);
        }
        self.hasher.update(bytes);
    }

    /// The checksums computed, if they are exactly those declared (as s3s-fs compares them:
    /// each algorithm hashed is declared, and each declared one hashed and equal).
    fn finish(self) -> Result<Checksum, String> {
        if let Some((md5, declared)) = self.md5 {
            if md5.finalize().as_ref() != declared.as_slice() {
                return Err("The Content-MD5 you specified did not match what we received.".into());
            }
        }
        let mut expected = self.expected;
        if let Some(trailers) = &self.trailers {
            let found = trailers.read(|map| {
                ALGORITHMS
                    .iter()
                    .filter_map(|(a, header)| {
                        map.get(*header)
                            .map(|v| (*a, v.to_str().map(str::to_string)))
                    })
                    .collect::<Vec<_>>()
            });
            for (a, value) in found.into_iter().flatten() {
                let value = value.map_err(|_| format!("The {a} trailer is not valid."))?;
                *field(&mut expected, a) = Some(value);
            }
        }
        let mut computed = self.hasher.finalize();
        for (a, _) in ALGORITHMS {
            if field(&mut computed, a) != field(&mut expected, a) {
                return Err(format!(
                    "The {a} you specified did not match the calculated checksum."
                ));
            }
        }
        Ok(computed)
    }
}

/// A body's error item: the request's own (it could not be read), or the one ending a
/// body that did not match its checksums.
#[derive(Debug)]
enum BodyError {
    Read(StdError),
    Mismatch,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Read(e) => e.fmt(f),
            BodyError::Mismatch => f.write_str("the body does not match its declared checksum"),
        }
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BodyError::Read(e) => Some(&**e),
            BodyError::Mismatch => None,
        }
    }
}

impl Stream for Verifying {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let item = match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        Poll::Ready(match item {
            Some(Ok(bytes)) => {
                if let Some(running) = &mut this.running {
                    running.update(&bytes);
                }
                Some(Ok(bytes))
            }
            Some(Err(e)) => Some(Err(BodyError::Read(e))),
            None => match this.running.take().map(Running::finish) {
                None => None,
                Some(Ok(sums)) => {
                    this.verdict.set(Ok(sums));
                    None
                }
                Some(Err(message)) => {
                    this.verdict.set(Err(message));
                    Some(Err(BodyError::Mismatch))
                }
            },
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (lower, upper) = self.inner.size_hint();
        (lower, upper.map(|u| u + 1))
    }
}

/// Checksums as a sidecar file keeps them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Sums {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32c: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc64nvme: Option<String>,
    /// `COMPOSITE` for a completed upload's checksum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<String>,
    /// A part's ETag, for the file it was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<PartETag>,
}

/// A stored part's ETag (the MD5 of its bytes, hex, as s3s-fs computed it while writing
/// them) and the size and modification time (ns since the epoch) its file had just after:
/// a file that differs since is not the one the ETag belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PartETag {
    pub e_tag: String,
    pub size: u64,
    pub modified_ns: u64,
}

impl PartETag {
    /// `e_tag` for the part file at `path` as it is now; `None` if it cannot be read.
    pub async fn of(path: &Path, e_tag: String) -> Option<PartETag> {
        let (size, modified_ns) = file_identity(path).await?;
        Some(PartETag {
            e_tag,
            size,
            modified_ns,
        })
    }

    /// The ETag, if the file at `path` is still the one it was computed from.
    pub async fn for_file(&self, path: &Path) -> Option<&str> {
        (file_identity(path).await? == (self.size, self.modified_ns)).then_some(&self.e_tag)
    }
}

/// Bytes as lower-case hex: digests in file names and ETags (here and in the S3 wrapper).
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file's size and modification time (ns since the epoch).
async fn file_identity(path: &Path) -> Option<(u64, u64)> {
    let meta = tokio::fs::metadata(path).await.ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some((meta.len(), u64::try_from(modified.as_nanos()).ok()?))
}

impl From<Checksum> for Sums {
    fn from(c: Checksum) -> Sums {
        Sums {
            crc32: c.checksum_crc32,
            crc32c: c.checksum_crc32c,
            sha1: c.checksum_sha1,
            sha256: c.checksum_sha256,
            crc64nvme: c.checksum_crc64nvme,
            checksum_type: c.checksum_type.map(|t| t.as_str().to_string()),
            part: None,
        }
    }
}

impl From<Sums> for Checksum {
    fn from(s: Sums) -> Checksum {
        Checksum {
            checksum_crc32: s.crc32,
            checksum_crc32c: s.crc32c,
            checksum_sha1: s.sha1,
            checksum_sha256: s.sha256,
            checksum_crc64nvme: s.crc64nvme,
            checksum_type: s.checksum_type.map(Into::into),
        }
    }
}

/// Sets an output's checksum fields (`checksum_crc32` … `checksum_type`) to `$sums`'s.
macro_rules! set_checksums {
    ($output:expr, $sums:expr) => {{
        let sums: s3s::dto::Checksum = $sums;
        let output = &mut $output;
        output.checksum_crc32 = sums.checksum_crc32;
        output.checksum_crc32c = sums.checksum_crc32c;
        output.checksum_sha1 = sums.checksum_sha1;
        output.checksum_sha256 = sums.checksum_sha256;
        output.checksum_crc64nvme = sums.checksum_crc64nvme;
        output.checksum_type = sums.checksum_type;
    }};
}
pub(super) use set_checksums;

/// The checksums of what a request lists (a completed part), by algorithm.
macro_rules! checksums_of {
    ($input:expr) => {
        s3s::dto::Checksum {
            checksum_crc32: $input.checksum_crc32.clone(),
            checksum_crc32c: $input.checksum_crc32c.clone(),
            checksum_sha1: $input.checksum_sha1.clone(),
            checksum_sha256: $input.checksum_sha256.clone(),
            checksum_crc64nvme: $input.checksum_crc64nvme.clone(),
            checksum_type: None,
        }
    };
}
pub(super) use checksums_of;

/// What a PutObject or UploadPart request declares about its body (the two inputs have the
/// same fields but no common type): its `Content-MD5`, `x-amz-checksum-*` headers, algorithm,
/// headers and trailers, for [`verify_body`].
macro_rules! declared_of {
    ($req:expr) => {
        $crate::local::s3::checksums::Declared {
            content_md5: $req.input.content_md5.as_ref(),
            checksums: $crate::local::s3::checksums::checksums_of!($req.input),
            algorithm: $req.input.checksum_algorithm.as_ref(),
            headers: &$req.headers,
            trailers: $req.trailing_headers.clone(),
        }
    };
}
pub(super) use declared_of;

/// Whether every checksum `listed` names is the one `stored` has.
pub(super) fn agree(listed: &Checksum, stored: &Checksum) -> bool {
    let (mut listed, mut stored) = (listed.clone(), stored.clone());
    ALGORITHMS.iter().all(|(a, _)| {
        let l = field(&mut listed, a).clone();
        l.is_none() || l == *field(&mut stored, a)
    })
}

/// The checksum AWS gives a multipart object whose parts all have a SHA-256: the base64
/// SHA-256 of the parts' raw digests, in part order, then `-<number of parts>`. `None` if
/// a digest is not base64 of 32 bytes.
pub(super) fn composite_sha256(parts: &[String]) -> Option<String> {
    let mut hash = s3s::crypto::Sha256::new();
    for b64 in parts {
        let digest = B64.decode(b64).ok().filter(|d| d.len() == 32)?;
        hash.update(&digest);
    }
    Some(format!(
        "{}-{}",
        B64.encode(hash.finalize().as_ref()),
        parts.len()
    ))
}

/// Where parts' and completed uploads' checksums live, under s3s-fs's root (hidden
/// names, which s3s-fs never lists as buckets):
/// `.ferry-part-checksums/<upload id>/<part number>` and
/// `.ferry-object-checksums/<SHA-256 of "bucket/stored key", hex>` (keys can be far longer
/// than a file name). An object's file, when present, is the authority on its checksums
/// over what s3s-fs recorded (which a completion leaves stale).
pub(super) struct Sidecars {
    root: PathBuf,
}

const PARTS: &str = ".ferry-part-checksums";
const OBJECTS: &str = ".ferry-object-checksums";

impl Sidecars {
    pub fn new(root: &Path) -> Sidecars {
        Sidecars {
            root: root.to_path_buf(),
        }
    }

    fn upload_dir(&self, upload_id: &str) -> PathBuf {
        self.root.join(PARTS).join(upload_id)
    }

    fn part_path(&self, upload_id: &str, part: i32) -> PathBuf {
        self.upload_dir(upload_id).join(part.to_string())
    }

    fn object_path(&self, bucket: &str, stored_key: &str) -> PathBuf {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{bucket}/{stored_key}").as_bytes());
        self.root.join(OBJECTS).join(hex(&digest))
    }

    /// Remembers a stored part's checksums and ETag (forgets them if it has neither).
    pub async fn save_part(
        &self,
        upload_id: &str,
        part: i32,
        sums: Checksum,
        e_tag: Option<PartETag>,
    ) {
        let path = self.part_path(upload_id, part);
        forget(&path).await;
        let sums = Sums {
            part: e_tag,
            ..Sums::from(sums)
        };
        if sums != Sums::default() {
            save(&path, &sums).await;
        }
    }

    pub async fn part(&self, upload_id: &str, part: i32) -> Checksum {
        self.part_record(upload_id, part).await.0
    }

    /// A part's checksums and its ETag as recorded (see [`PartETag::for_file`]).
    pub async fn part_record(&self, upload_id: &str, part: i32) -> (Checksum, Option<PartETag>) {
        let mut sums = load(&self.part_path(upload_id, part))
            .await
            .unwrap_or_default();
        let e_tag = sums.part.take();
        (sums.into(), e_tag)
    }

    pub async fn forget_upload(&self, upload_id: &str) {
        let _ = tokio::fs::remove_dir_all(self.upload_dir(upload_id)).await;
    }

    pub async fn save_object(&self, bucket: &str, stored_key: &str, sums: Checksum) {
        save(&self.object_path(bucket, stored_key), &Sums::from(sums)).await;
    }

    /// A completed upload's checksums; `None` for other objects (s3s-fs's own record).
    pub async fn object(&self, bucket: &str, stored_key: &str) -> Option<Checksum> {
        load(&self.object_path(bucket, stored_key))
            .await
            .map(Into::into)
    }

    pub async fn forget_object(&self, bucket: &str, stored_key: &str) {
        forget(&self.object_path(bucket, stored_key)).await;
    }
}

async fn load(path: &Path) -> Option<Sums> {
    let bytes = tokio::fs::read(path).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes `sums` to `path` whole (a temporary file renamed into place).
async fn save(path: &Path, sums: &Sums) {
    let result = async {
        let dir = path.parent().unwrap_or(path);
        tokio::fs::create_dir_all(dir).await?;
        let tmp = dir.join(format!(".{}.tmp", ulid::Ulid::generate()));
        tokio::fs::write(&tmp, serde_json::to_vec(sums)?).await?;
        if let Err(e) = tokio::fs::rename(&tmp, path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        Ok::<_, std::io::Error>(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(path = %path.display(), error = %e, "could not keep checksums");
    }
}

async fn forget(path: &Path) {
    match tokio::fs::remove_file(path).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(path = %path.display(), error = %e, "could not forget checksums"),
    }
}
