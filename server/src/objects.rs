//! The S3 boundary: presigned URLs and bucket checks through `aws-sdk-s3`. File bytes never
//! pass through Ferry: browsers PUT and GET the presigned URLs directly.

use crate::error::StoreError;
use aws_sdk_s3::presigning::PresigningConfig;
use chrono::{DateTime, Utc};
use std::{collections::BTreeMap, time::Duration};

/// Longest lifetime S3 allows for a SigV4 presigned URL.
pub const MAX_PRESIGN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// A request the browser can make on its own.
#[derive(Debug, Clone)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Headers the request must carry exactly as signed (e.g. `content-type`).
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
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
    pub async fn ensure_bucket(&self, bucket: &str) -> Result<(), StoreError> {
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
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    /// A presigned PUT. Content-Type and Content-Length, when given, are signed: the upload
    /// must send exactly these or S3 answers 403.
    pub async fn presign_put(
        &self,
        bucket: &str,
        key: &str,
        content_type: Option<&str>,
        content_length: Option<u64>,
        ttl: Duration,
    ) -> Result<PresignedRequest, StoreError> {
        let mut request = self.s3.put_object().bucket(bucket).key(key);
        if let Some(ct) = content_type {
            request = request.content_type(ct);
        }
        if let Some(len) = content_length {
            request = request.content_length(len as i64);
        }
        let presigned = request
            .presigned(presigning(ttl)?)
            .await
            .map_err(StoreError::backend)?;
        Ok(to_request(presigned, ttl))
    }

    /// A presigned GET that downloads under the asset's file name.
    pub async fn presign_get(
        &self,
        bucket: &str,
        key: &str,
        filename: Option<&str>,
        ttl: Duration,
    ) -> Result<PresignedRequest, StoreError> {
        let mut request = self.s3.get_object().bucket(bucket).key(key);
        if let Some(name) = filename {
            request = request.response_content_disposition(content_disposition(name));
        }
        let presigned = request
            .presigned(presigning(ttl)?)
            .await
            .map_err(StoreError::backend)?;
        Ok(to_request(presigned, ttl))
    }
}

fn presigning(ttl: Duration) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::expires_in(ttl).map_err(StoreError::backend)
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
