//! Request checksums as AWS S3 checks them: `Content-MD5` and `x-amz-checksum-*` (sent as
//! headers, or as trailers of an `aws-chunked` body) are verified while the body streams.
//!
//! s3s-fs compares them only after it has renamed the new file into place, so a request
//! answered `BadDigest` has already replaced the object. [`verify_body`] wraps the body so
//! that, at its end, a mismatch is an error item instead of the end of the stream: s3s-fs's
//! copy fails before its rename, its temporary file is removed when its writer is dropped,
//! and [`Verdict::explain`] turns that failure back into `BadDigest`.

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
use std::{
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
