//! The asset record and the S3 metadata its events carry.

use super::{arrival::Rejection, folder::FolderId, id::AssetId, owner::Owner, status::AssetStatus};
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
    /// Name shown to people (a file dropped inside folders is named without them: its
    /// folders are `folder_path`).
    pub filename: String,
    /// The folders it is in, outermost first (empty: its owner's top level).
    #[serde(default)]
    pub folder_path: Vec<FolderId>,
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
    /// Why the object was refused, when the status is `REJECTED`.
    #[serde(default)]
    pub rejection: Option<Rejection>,
    /// The object's SHA-256 as S3 verified and stored it (base64; a multipart object's is
    /// S3's composite `<base64>-<parts>`), when the upload sent one.
    #[serde(default)]
    pub checksum_sha256: Option<String>,
    /// Where its thumbnail is stored in the bucket (`thumbnails/<id>.<jpg|png>`), once made
    /// (images only).
    #[serde(default)]
    pub thumbnail_key: Option<String>,
    /// A presigned GET of the thumbnail, added by the server to the records it sends (never
    /// stored).
    #[serde(default)]
    pub thumbnail_url: Option<String>,
}

impl Asset {
    /// The folder it is in (`None`: its owner's top level).
    pub fn folder(&self) -> Option<FolderId> {
        self.folder_path.last().copied()
    }
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
    /// The type S3 stores the object with (`None`: none was sent).
    #[serde(default)]
    pub content_type: Option<String>,
    /// S3's SHA-256 checksum of the object, if it was uploaded with one.
    #[serde(default)]
    pub checksum_sha256: Option<String>,
}
