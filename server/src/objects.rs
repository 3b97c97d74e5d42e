//! The S3 boundary: presigned URLs, multipart bookkeeping and bucket checks through
//! `aws-sdk-s3`. File bytes never pass through Ferry: browsers PUT and GET the presigned URLs
//! directly. The only object requests Ferry sends itself carry no body: `HeadObject` (what an
//! arrived object is stored as) and `DeleteObject` (an object refused on arrival).

use crate::aws::error_chain;
use aws_sdk_s3::presigning::PresigningConfig;
use chrono::{DateTime, Utc};
use std::{collections::BTreeMap, time::Duration};

/// Longest lifetime S3 allows for a SigV4 presigned URL.
pub const MAX_PRESIGN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// S3's smallest part (all but the last), its largest, and the most parts in one upload.
pub const MIN_PART: u64 = 5 * MIB;
pub const MAX_PART: u64 = 5 * 1024 * MIB;
pub const MAX_PARTS: u32 = 10_000;
/// The longest object key S3 holds, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// Whether S3 could hold an object under `key`: 1 to [`MAX_KEY_BYTES`] bytes.
pub fn is_s3_key(key: &str) -> bool {
    (1..=MAX_KEY_BYTES).contains(&key.len())
}
const MIB: u64 = 1024 * 1024;

/// Parts of at least 8 MiB, larger when needed to stay within 10,000 parts.
pub fn part_size_for(size: u64) -> u64 {
    let needed = size.div_ceil(MAX_PARTS as u64).div_ceil(MIB) * MIB;
    needed.max(8 * MIB)
}

/// A request the browser can make on its own.
#[derive(Debug, Clone)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Headers the request must carry exactly as signed (e.g. `content-type`).
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// Errors of the object store.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("no such multipart upload (completed, aborted or never started)")]
    NoSuchUpload,
    #[error("the multipart upload was refused: {0}")]
    InvalidMultipart(String),
    /// A conditional write found an object already stored under the key.
    #[error("an object is already stored under this key")]
    AlreadyStored,
    #[error("object store error: {0}")]
    Backend(String),
}

impl ObjectError {
    /// Wraps an SDK error with its full chain of causes.
    pub fn backend(e: impl std::error::Error) -> ObjectError {
        ObjectError::Backend(error_chain(&e))
    }
}

pub struct ObjectStore {
    s3: aws_sdk_s3::Client,
}

impl ObjectStore {
    pub fn new(s3: aws_sdk_s3::Client) -> ObjectStore {
        ObjectStore { s3 }
    }

    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }

    /// Creates the bucket if it does not exist (embedded backend, first start).
    pub async fn ensure_bucket(&self, bucket: &str) -> Result<(), ObjectError> {
        if self.s3.head_bucket().bucket(bucket).send().await.is_ok() {
            return Ok(());
        }
        match self.s3.create_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error().is_some_and(|se| {
                    se.is_bucket_already_owned_by_you() || se.is_bucket_already_exists()
                }) =>
            {
                Ok(())
            }
            Err(e) => Err(ObjectError::backend(e)),
        }
    }

    /// A presigned PUT. Content-Type and Content-Length, when given, are signed: the upload
    /// must send exactly these or S3 answers 403.
    pub async fn presign_put(
        &self,
        bucket: &str,
        key: &str,
        signed: PutConditions<'_>,
        ttl: Duration,
    ) -> Result<PresignedRequest, ObjectError> {
        let mut request = self.s3.put_object().bucket(bucket).key(key);
        if let Some(ct) = signed.content_type {
            request = request.content_type(ct);
        }
        if let Some(len) = signed.content_length {
            request = request.content_length(len as i64);
        }
        if let Some(sum) = signed.checksum_sha256 {
            // S3 computes the body's SHA-256 and refuses (400 BadDigest) any other bytes.
            request = request.checksum_sha256(sum);
        }
        if signed.only_if_absent {
            // S3 conditional write: a second PUT with this URL gets 412 and changes nothing.
            request = request.if_none_match("*");
        }
        let presigned = request
            .presigned(presigning(ttl)?)
            .await
            .map_err(ObjectError::backend)?;
        Ok(to_request(presigned, ttl))
    }

    /// The origin (`scheme://host[:port]`) browsers reach this bucket at through presigned
    /// URLs: what the page's Content-Security-Policy must allow. Read off a presigned GET, so
    /// it is whatever the client's endpoint resolution makes it (virtual-hosted or path
    /// style, region, custom endpoint); presigning sends nothing.
    pub async fn browser_origin(&self, bucket: &str) -> Result<String, ObjectError> {
        let probe = self
            .presign_get(bucket, "origin-probe", None, Duration::from_secs(60))
            .await?;
        let url = url::Url::parse(&probe.url).map_err(ObjectError::backend)?;
        crate::headers::origin_of(&url).ok_or_else(|| {
            ObjectError::Backend(format!("presigned URLs have no origin: {}", url.scheme()))
        })
    }

    /// A presigned GET to show an image in a page: signed as of the start of the current
    /// `window` (so the same object gets the same URL, which the browser caches, until the
    /// window turns) and valid for two windows (at least one from now).
    pub async fn presign_image(
        &self,
        bucket: &str,
        key: &str,
        window: Duration,
    ) -> Result<String, ObjectError> {
        let now = std::time::SystemTime::now();
        let since_epoch = now
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let window_secs = window.as_secs().max(1);
        let start =
            std::time::UNIX_EPOCH + Duration::from_secs(since_epoch - since_epoch % window_secs);
        let config = PresigningConfig::builder()
            .start_time(start)
            .expires_in(Duration::from_secs(2 * window_secs))
            .build()
            .map_err(ObjectError::backend)?;
        let presigned = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(ObjectError::backend)?;
        Ok(presigned.uri().to_string())
    }

    /// A presigned GET that downloads under the asset's file name.
    pub async fn presign_get(
        &self,
        bucket: &str,
        key: &str,
        filename: Option<&str>,
        ttl: Duration,
    ) -> Result<PresignedRequest, ObjectError> {
        let mut request = self.s3.get_object().bucket(bucket).key(key);
        if let Some(name) = filename {
            request = request.response_content_disposition(content_disposition(name));
        }
        let presigned = request
            .presigned(presigning(ttl)?)
            .await
            .map_err(ObjectError::backend)?;
        Ok(to_request(presigned, ttl))
    }
}

impl ObjectStore {
    /// What S3 stores for an object (one version of it, if given): its type and SHA-256
    /// checksum. `None` when there is no such object (any more).
    pub async fn head(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<app::domain::StoredFacts>, ObjectError> {
        match self
            .s3
            .head_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
            .send()
            .await
        {
            Ok(out) => Ok(Some(app::domain::StoredFacts {
                content_type: out.content_type().map(str::to_string),
                checksum_sha256: out.checksum_sha256().map(str::to_string),
            })),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_not_found()) => Ok(None),
            Err(e) => Err(ObjectError::backend(e)),
        }
    }

    /// Every object in `bucket` (ListObjectsV2, a page of up to 1,000 at a time), in key
    /// order.
    pub async fn list_all(&self, bucket: &str) -> Result<Vec<ListedObject>, ObjectError> {
        let mut out = Vec::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(ObjectError::backend)?;
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                out.push(ListedObject {
                    key: key.to_string(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    etag: o.e_tag().unwrap_or_default().to_string(),
                    last_modified: o
                        .last_modified()
                        .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
                        .unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }

    /// Deletes an object (that version of it, in a versioned bucket, so nothing of it
    /// stays). Deleting what is already gone is not an error.
    pub async fn delete(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(), ObjectError> {
        self.s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .send()
            .await
            .map_err(ObjectError::backend)?;
        Ok(())
    }
}

/// One object as a bucket listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

/// What a presigned PUT signs besides the key: the client must send exactly these headers
/// (the ticket lists them), or S3 refuses the request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PutConditions<'a> {
    pub content_type: Option<&'a str>,
    pub content_length: Option<u64>,
    /// `If-None-Match: *`: the URL only creates the object, never replaces it.
    pub only_if_absent: bool,
    /// `x-amz-checksum-sha256` (base64): S3 stores exactly these bytes or nothing.
    pub checksum_sha256: Option<&'a str>,
}

/// One part already stored in a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    pub part_number: u32,
    pub etag: String,
    pub size: u64,
    /// The part's SHA-256 as S3 verified it (base64), if it was sent with one.
    pub checksum_sha256: Option<String>,
}

impl ObjectStore {
    /// Starts a multipart upload; returns its upload id. With `part_checksums`, every part
    /// must carry its SHA-256 and the object gets S3's composite checksum of them.
    pub async fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        content_type: Option<&str>,
        part_checksums: bool,
    ) -> Result<String, ObjectError> {
        use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumType};
        let mut request = self
            .s3
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .set_content_type(content_type.map(str::to_string));
        if part_checksums {
            request = request
                .checksum_algorithm(ChecksumAlgorithm::Sha256)
                .checksum_type(ChecksumType::Composite);
        }
        let out = request.send().await.map_err(ObjectError::backend)?;
        out.upload_id()
            .map(str::to_string)
            .ok_or_else(|| ObjectError::Backend("S3 returned no upload id".into()))
    }

    /// A presigned PUT for one part, signed just before it is sent (its length is signed,
    /// and its SHA-256 when given: S3 refuses other bytes).
    #[allow(clippy::too_many_arguments)]
    pub async fn presign_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        content_length: u64,
        checksum_sha256: Option<&str>,
        ttl: Duration,
    ) -> Result<PresignedRequest, ObjectError> {
        let presigned = self
            .s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(part_number as i32)
            .content_length(content_length as i64)
            .set_checksum_sha256(checksum_sha256.map(str::to_string))
            .presigned(presigning(ttl)?)
            .await
            .map_err(ObjectError::backend)?;
        Ok(to_request(presigned, ttl))
    }

    /// The parts S3 holds for an upload (what a resumed upload can skip).
    pub async fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<StoredPart>, ObjectError> {
        let mut parts = vec![];
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .s3
                .list_parts()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.clone())
                .send()
                .await
                .map_err(|e| {
                    use aws_sdk_s3::error::ProvideErrorMetadata;
                    if e.code() == Some("NoSuchUpload") {
                        ObjectError::NoSuchUpload
                    } else {
                        ObjectError::backend(e)
                    }
                })?;
            for p in out.parts() {
                parts.push(StoredPart {
                    part_number: p.part_number().unwrap_or_default().max(0) as u32,
                    etag: p.e_tag().unwrap_or_default().to_string(),
                    size: p.size().unwrap_or_default().max(0) as u64,
                    checksum_sha256: p.checksum_sha256().map(str::to_string),
                });
            }
            match (out.is_truncated(), out.next_part_number_marker()) {
                (Some(true), Some(next)) => marker = Some(next.to_string()),
                _ => return Ok(parts),
            }
        }
    }

    /// Completes an upload from its parts (number, ETag and checksum as S3 stored them), in
    /// order.
    pub async fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[StoredPart],
    ) -> Result<(), ObjectError> {
        use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
        let parts = parts
            .iter()
            .map(|p| {
                CompletedPart::builder()
                    .part_number(p.part_number as i32)
                    .e_tag(&p.etag)
                    .set_checksum_sha256(p.checksum_sha256.clone())
                    .build()
            })
            .collect();
        self.s3
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            // Never replaces an object already stored under the key (412 from S3).
            .if_none_match("*")
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                use aws_sdk_s3::error::ProvideErrorMetadata;
                match e.as_service_error().and_then(|se| se.code()) {
                    Some("NoSuchUpload") => ObjectError::NoSuchUpload,
                    Some("PreconditionFailed") => ObjectError::AlreadyStored,
                    Some(code @ ("InvalidPart" | "InvalidPartOrder" | "EntityTooSmall")) => {
                        ObjectError::InvalidMultipart(code.to_string())
                    }
                    _ => ObjectError::backend(e),
                }
            })?;
        Ok(())
    }

    /// Aborts an upload, dropping its parts. Aborting twice is not an error.
    pub async fn abort_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), ObjectError> {
        match self
            .s3
            .abort_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_no_such_upload()) =>
            {
                Ok(())
            }
            Err(e) => Err(ObjectError::backend(e)),
        }
    }
}

fn presigning(ttl: Duration) -> Result<PresigningConfig, ObjectError> {
    PresigningConfig::expires_in(ttl).map_err(ObjectError::backend)
}

fn to_request(p: aws_sdk_s3::presigning::PresignedRequest, ttl: Duration) -> PresignedRequest {
    PresignedRequest {
        method: p.method().to_string(),
        url: p.uri().to_string(),
        headers: p
            .headers()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect(),
        expires_at: Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default(),
    }
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266), with the last path segment.
fn content_disposition(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    let ascii: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(base, percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn part_sizes_stay_within_s3_limits() {
        use super::{part_size_for, MIB};
        assert_eq!(part_size_for(100 * MIB), 8 * MIB);
        assert_eq!(part_size_for(0), 8 * MIB);
        // 200 GiB needs parts over 8 MiB to fit in 10,000.
        let big = 200 * 1024 * MIB;
        let p = part_size_for(big);
        assert!(big.div_ceil(p) <= 10_000 && p.is_multiple_of(MIB), "{p}");
    }

    #[test]
    fn content_disposition_is_safe_for_any_name() {
        assert_eq!(
            super::content_disposition("dir/a b.txt"),
            "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b%2Etxt"
        );
        let d = super::content_disposition("été\"\r\n.txt");
        assert!(!d.contains('\r') && !d.contains('\n'));
        assert!(d.starts_with("attachment; filename=\"_t__"));
    }
}
