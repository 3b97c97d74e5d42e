//! The asset record and the S3 metadata its events carry.

use super::{id::AssetId, owner::Owner, status::AssetStatus};
use serde::{Deserialize, Serialize};

/// One asset: an object in S3 and what Ferry knows about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub id: AssetId,
    /// Who created it (`None`: an object another tool put in the bucket outside
    /// `uploads/<owner>/`, which only administrators see).
    #[serde(default)]
    pub owner: Option<Owner>,
    pub bucket: String,
    pub object_key: String,
    /// Name shown to people; may contain `/` for files dropped inside folders.
    pub filename: String,
    pub content_type: String,
    /// Declared at creation, then the size S3 reports.
    pub size: Option<u64>,
    pub etag: Option<String>,
    pub status: AssetStatus,
    /// The state a soft-deleted asset returns to when restored.
    pub deleted_from: Option<AssetStatus>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Facts of the newest S3 event applied to this asset.
    pub event_time: Option<chrono::DateTime<chrono::Utc>>,
    pub event_name: Option<String>,
    pub sequencer: Option<String>,
}

/// The metadata S3 events record for one object (the seed lesson's `upload_metadata` item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMetadata {
    pub bucket: String,
    pub object_key: String,
    pub size: u64,
    pub etag: String,
    pub event_time: chrono::DateTime<chrono::Utc>,
    pub event_name: String,
    pub sequencer: String,
}
