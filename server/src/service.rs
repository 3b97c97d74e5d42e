//! The asset service: the one implementation behind the REST API and the server functions.
//! Handlers parse and format; rules (limits, TTLs, which state may download) live here.

use crate::{
    error::StoreError,
    objects::{ObjectStore, MAX_PRESIGN_TTL},
    store::{AssetStore, ListQuery, NewAsset},
};
use app::{
    api::{
        AssetBackend, AssetList, DownloadLink, FerryError, ListParams, NewUpload, UploadLimits,
        UploadTicket,
    },
    domain::{Asset, AssetId, ObjectMetadata},
};
use std::{sync::Arc, time::Duration};

/// Limits on uploads and links, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `FERRY_MAX_UPLOAD_BYTES` (default 5 GiB, S3's single-PUT maximum).
    pub max_upload_bytes: u64,
    /// `FERRY_ALLOWED_TYPES`: comma-separated `type/subtype` patterns (default `*/*`).
    pub allowed_types: Vec<String>,
    /// `FERRY_UPLOAD_TTL_SECS` (default 900).
    pub upload_ttl: Duration,
    /// `FERRY_DOWNLOAD_TTL_SECS` (default 60, the seed's).
    pub download_ttl: Duration,
    /// `FERRY_MAX_DOWNLOAD_TTL_SECS` (default and at most 7 days).
    pub max_download_ttl: Duration,
    /// `FERRY_MAX_FILES_PER_BATCH` (default 100): how many files the UI takes in one drop.
    pub max_files_per_batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_upload_bytes: 5 * 1024 * 1024 * 1024,
            allowed_types: vec!["*/*".into()],
            upload_ttl: Duration::from_secs(900),
            download_ttl: Duration::from_secs(60),
            max_download_ttl: MAX_PRESIGN_TTL,
            max_files_per_batch: 100,
        }
    }
}

impl Limits {
    pub fn from_env() -> Result<Limits, String> {
        let d = Limits::default();
        let num = |name: &str, default: u64| -> Result<u64, String> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{name}={v:?} is not a whole number")),
                _ => Ok(default),
            }
        };
        let secs = |name: &str, default: Duration| -> Result<Duration, String> {
            let s = num(name, default.as_secs())?;
            if s == 0 || s > MAX_PRESIGN_TTL.as_secs() {
                return Err(format!(
                    "{name} must be between 1 and {}",
                    MAX_PRESIGN_TTL.as_secs()
                ));
            }
            Ok(Duration::from_secs(s))
        };
        let allowed_types = match std::env::var("FERRY_ALLOWED_TYPES") {
            Ok(v) if !v.trim().is_empty() => {
                let list: Vec<String> = v
                    .split(',')
                    .map(|t| t.trim().to_ascii_lowercase())
                    .filter(|t| !t.is_empty())
                    .collect();
                if let Some(bad) = list.iter().find(|t| t.split('/').count() != 2) {
                    return Err(format!("FERRY_ALLOWED_TYPES: `{bad}` is not type/subtype"));
                }
                list
            }
            _ => d.allowed_types.clone(),
        };
        Ok(Limits {
            max_upload_bytes: num("FERRY_MAX_UPLOAD_BYTES", d.max_upload_bytes)?,
            allowed_types,
            upload_ttl: secs("FERRY_UPLOAD_TTL_SECS", d.upload_ttl)?,
            download_ttl: secs("FERRY_DOWNLOAD_TTL_SECS", d.download_ttl)?,
            max_download_ttl: secs("FERRY_MAX_DOWNLOAD_TTL_SECS", d.max_download_ttl)?,
            max_files_per_batch: match num(
                "FERRY_MAX_FILES_PER_BATCH",
                d.max_files_per_batch as u64,
            )? {
                0 => return Err("FERRY_MAX_FILES_PER_BATCH must be at least 1".into()),
                n => n as usize,
            },
        })
    }

    /// Whether `content_type` (parameters ignored) matches an allowed pattern.
    pub fn allows_type(&self, content_type: &str) -> bool {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let Some((ty, sub)) = essence.split_once('/') else {
            return false;
        };
        self.allowed_types.iter().any(|pattern| {
            let (pty, psub) = pattern.split_once('/').unwrap_or(("", ""));
            (pty == "*" || pty == ty) && (psub == "*" || psub == sub)
        })
    }
}

pub struct AssetService {
    store: Arc<AssetStore>,
    objects: Arc<ObjectStore>,
    bucket: String,
    limits: Limits,
}

impl AssetService {
    pub fn new(
        store: Arc<AssetStore>,
        objects: Arc<ObjectStore>,
        bucket: impl Into<String>,
        limits: Limits,
    ) -> AssetService {
        AssetService {
            store,
            objects,
            bucket: bucket.into(),
            limits,
        }
    }

    pub fn store(&self) -> &AssetStore {
        &self.store
    }
}

impl From<StoreError> for FerryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => FerryError::NotFound("Asset not found".into()),
            StoreError::InvalidTransition { .. } => FerryError::PreconditionFailed(e.to_string()),
            StoreError::InvalidFilename(_)
            | StoreError::InvalidContentType
            | StoreError::InvalidLimit
            | StoreError::InvalidCursor
            | StoreError::CursorMismatch => FerryError::BadRequest(e.to_string()),
            StoreError::Contention => FerryError::Unavailable(e.to_string()),
            StoreError::Corrupt(_) | StoreError::Backend(_) => {
                tracing::error!(error = %e, "storage failure");
                FerryError::Internal("storage failure; see the server log".into())
            }
        }
    }
}

#[async_trait::async_trait]
impl AssetBackend for AssetService {
    fn limits(&self) -> UploadLimits {
        UploadLimits {
            max_upload_bytes: self.limits.max_upload_bytes,
            allowed_types: self.limits.allowed_types.clone(),
            upload_url_ttl_secs: self.limits.upload_ttl.as_secs(),
            max_files_per_batch: self.limits.max_files_per_batch,
        }
    }

    async fn create_upload(&self, upload: NewUpload) -> Result<UploadTicket, FerryError> {
        if let Some(size) = upload.size {
            if size > self.limits.max_upload_bytes {
                return Err(FerryError::PayloadTooLarge(format!(
                    "{size} bytes is more than the {} bytes allowed",
                    self.limits.max_upload_bytes
                )));
            }
        }
        // Without a declared type nothing is signed (seed behaviour) and the record says
        // octet-stream; a declared type must be allowed and is signed.
        let declared_type = upload.content_type.map(|t| t.trim().to_string());
        if let Some(ct) = &declared_type {
            crate::store::validate_content_type(ct)?;
            if !self.limits.allows_type(ct) {
                return Err(FerryError::UnsupportedMediaType(format!(
                    "`{ct}` is not an allowed type (allowed: {})",
                    self.limits.allowed_types.join(", ")
                )));
            }
        } else if !self.limits.allows_type("application/octet-stream") {
            return Err(FerryError::UnsupportedMediaType(
                "a content_type is required by this server's allowed types".into(),
            ));
        }
        let asset = self
            .store
            .create(NewAsset {
                bucket: self.bucket.clone(),
                filename: upload.filename,
                content_type: declared_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".into()),
                size: upload.size,
            })
            .await?;
        let put = self
            .objects
            .presign_put(
                &asset.bucket,
                &asset.object_key,
                declared_type.as_deref(),
                upload.size,
                self.limits.upload_ttl,
            )
            .await?;
        Ok(UploadTicket {
            id: asset.id,
            upload_url: put.url,
            expires_at: put.expires_at,
            method: put.method,
            headers: put.headers,
            bucket: asset.bucket,
            object_key: asset.object_key,
        })
    }

    async fn list(&self, params: ListParams) -> Result<AssetList, FerryError> {
        let page = self
            .store
            .list(ListQuery {
                status: params.status,
                limit: params.limit,
                cursor: params.cursor,
            })
            .await?;
        Ok(AssetList {
            items: page.items,
            next_cursor: page.next_cursor,
        })
    }

    async fn get(&self, id: AssetId) -> Result<Asset, FerryError> {
        Ok(self.store.get(id).await?)
    }

    async fn download_link(
        &self,
        id: AssetId,
        ttl_secs: Option<u64>,
    ) -> Result<DownloadLink, FerryError> {
        let ttl = match ttl_secs {
            None => self.limits.download_ttl,
            Some(0) => {
                return Err(FerryError::BadRequest(
                    "timeout must be at least 1 second".into(),
                ))
            }
            Some(s) => Duration::from_secs(s).min(self.limits.max_download_ttl),
        };
        let asset = self.store.get(id).await?;
        if !asset.status.is_downloadable() {
            return Err(FerryError::Forbidden(format!(
                "the asset is {}: only RECEIVED or UPLOADED assets can be downloaded",
                asset.status
            )));
        }
        let get = self
            .objects
            .presign_get(&asset.bucket, &asset.object_key, Some(&asset.filename), ttl)
            .await?;
        Ok(DownloadLink {
            download_url: get.url,
            expires_at: get.expires_at,
        })
    }

    async fn mark_uploaded(&self, id: AssetId) -> Result<Asset, FerryError> {
        Ok(self.store.mark_uploaded(id).await?)
    }

    async fn delete(&self, id: AssetId) -> Result<Asset, FerryError> {
        Ok(self.store.soft_delete(id).await?)
    }

    async fn restore(&self, id: AssetId) -> Result<Asset, FerryError> {
        Ok(self.store.restore(id).await?)
    }

    async fn metadata(&self, bucket: &str, key: &str) -> Result<ObjectMetadata, FerryError> {
        self.store
            .object_metadata(bucket, key)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => FerryError::NotFound("Metadata not found".into()),
                other => other.into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Limits;

    #[test]
    fn type_patterns_match_essence_only() {
        let l = Limits {
            allowed_types: vec!["image/*".into(), "application/pdf".into()],
            ..Limits::default()
        };
        assert!(l.allows_type("image/png"));
        assert!(l.allows_type("IMAGE/JPEG; q=1"));
        assert!(l.allows_type("application/pdf"));
        assert!(!l.allows_type("application/zip"));
        assert!(!l.allows_type("text/plain"));
        assert!(!l.allows_type("garbage"));
        assert!(Limits::default().allows_type("anything/goes"));
    }
}
