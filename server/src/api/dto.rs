//! What the REST API sends: one typed body per answer, with the seed API's field names where
//! it had them (`asset_id`, `state`, `createdAt`, `updatedAt`, `download_url`,
//! `error_message`) and Ferry's beside them. Times are RFC 3339 UTC with milliseconds.

use crate::storage::timestamp as time;
use app::{
    api::{AssetList, BulkOutcome, DownloadLink, ShareList, SharedOutcome, UploadTicket},
    domain::{
        Asset, AssetStatus, CreatedShare, Folder, FolderView, ObjectMetadata, ShareLink, ShareState,
    },
};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::{
    openapi::{
        schema::{ObjectBuilder, Type},
        Object,
    },
    ToSchema,
};

/// The schema of an [`AssetStatus`]: its names, in capitals.
pub fn status_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(AssetStatus::ALL.map(AssetStatus::as_str)))
        .build()
}

/// An asset as the REST API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetJson {
    #[schema(example = "01JDQ7ZK3M5X9V2B8N4C6T1R0W")]
    pub asset_id: String,
    /// Who owns it (the `sub` of the identity that created it); `null` for an object another
    /// tool put in the bucket outside `uploads/<owner>/` (only administrators see those).
    pub owner: Option<String>,
    /// Shown to people: the file's name, without its folders.
    pub filename: String,
    /// The folder it is in (`null`: its owner's top level).
    pub folder_id: Option<String>,
    /// Every folder it is in, outermost first (empty at the top level).
    pub folder_path: Vec<String>,
    #[schema(schema_with = status_schema)]
    pub state: AssetStatus,
    /// Declared at creation, then the size S3 reports.
    pub size: Option<u64>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
    pub content_type: String,
    pub bucket: String,
    pub object_key: String,
    pub etag: Option<String>,
    /// Facts of the newest S3 event applied to the asset.
    pub event_time: Option<String>,
    pub event_name: Option<String>,
    pub sequencer: Option<String>,
    /// The state a DELETED asset returns to when restored.
    #[schema(schema_with = status_schema, nullable)]
    pub deleted_from: Option<AssetStatus>,
    /// Why a REJECTED asset's object was refused on arrival (and deleted).
    pub rejection: Option<RejectionJson>,
    /// The SHA-256 S3 verified when the object was uploaded with one (base64; a multipart
    /// object's is S3's composite `<base64>-<parts>`).
    pub checksum_sha256: Option<String>,
    /// A presigned GET of its thumbnail (at most 320 pixels a side, JPEG or PNG), for an
    /// image that has one and is not deleted; valid at least 10 minutes.
    pub thumbnail_url: Option<String>,
}

/// Why an object was refused on arrival.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectionJson {
    /// `too_large`, `size_mismatch` or `type_not_allowed`.
    #[schema(example = "too_large")]
    pub reason: String,
    #[schema(example = "the file is 2048 bytes, more than the 1024 bytes allowed")]
    pub message: String,
}

impl From<Asset> for AssetJson {
    fn from(a: Asset) -> Self {
        AssetJson {
            asset_id: a.id.to_string(),
            folder_id: a.folder().map(|f| f.to_string()),
            owner: a.owner.map(String::from),
            folder_path: a.folder_path.iter().map(ToString::to_string).collect(),
            filename: a.filename,
            state: a.status,
            size: a.size,
            created_at: time(a.created_at),
            updated_at: time(a.updated_at),
            content_type: a.content_type,
            bucket: a.bucket,
            object_key: a.object_key,
            etag: a.etag,
            event_time: a.event_time.map(time),
            event_name: a.event_name,
            sequencer: a.sequencer,
            deleted_from: a.deleted_from,
            rejection: a.rejection.map(|r| RejectionJson {
                reason: r.code().into(),
                message: r.to_string(),
            }),
            checksum_sha256: a.checksum_sha256,
            thumbnail_url: a.thumbnail_url,
        }
    }
}

/// A page of assets and the cursors of the pages around it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetListJson {
    pub items: Vec<AssetJson>,
    /// The page after this one (`cursor=`), if any.
    pub next_cursor: Option<String>,
    /// The page before this one, if any (never on the first page).
    pub prev_cursor: Option<String>,
    /// A folder's listing (`folder=`): the folders among this page's rows, in its order.
    pub folders: Vec<FolderJson>,
    /// A folder's listing, except the top level's: the folder and its breadcrumbs.
    pub folder: Option<FolderViewJson>,
}

/// One folder.
#[derive(Debug, Serialize, ToSchema)]
pub struct FolderJson {
    #[schema(example = "01JDQ7ZK3M5X9V2B8N4C6T1R0W")]
    pub folder_id: String,
    pub name: String,
    pub owner: String,
    /// The folder it is in (`null`: the top level).
    pub parent_id: Option<String>,
    /// The folders it is in, outermost first.
    pub ancestors: Vec<String>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
}

impl From<Folder> for FolderJson {
    fn from(f: Folder) -> Self {
        FolderJson {
            folder_id: f.id.to_string(),
            parent_id: f.parent().map(|p| p.to_string()),
            ancestors: f.ancestors.iter().map(ToString::to_string).collect(),
            name: f.name,
            owner: f.owner.into(),
            created_at: time(f.created_at),
        }
    }
}

/// One step of a folder's breadcrumbs.
#[derive(Debug, Serialize, ToSchema)]
pub struct CrumbJson {
    pub folder_id: String,
    pub name: String,
}

/// A folder and its breadcrumbs: its ancestors, outermost first, then itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct FolderViewJson {
    pub folder: FolderJson,
    pub trail: Vec<CrumbJson>,
}

impl From<FolderView> for FolderViewJson {
    fn from(v: FolderView) -> Self {
        FolderViewJson {
            folder: v.folder.into(),
            trail: v
                .trail
                .into_iter()
                .map(|c| CrumbJson {
                    folder_id: c.id.to_string(),
                    name: c.name,
                })
                .collect(),
        }
    }
}

impl From<AssetList> for AssetListJson {
    fn from(page: AssetList) -> Self {
        AssetListJson {
            folders: page.folders.into_iter().map(FolderJson::from).collect(),
            folder: page.folder.map(FolderViewJson::from),
            items: page.items.into_iter().map(AssetJson::from).collect(),
            next_cursor: page.next_cursor,
            prev_cursor: page.prev_cursor,
        }
    }
}

/// A new asset and where to PUT its bytes: `method` to `upload_url` with exactly `headers`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadTicketJson {
    pub id: String,
    /// The same id, under the seed API's name.
    pub asset_id: String,
    pub upload_url: String,
    pub expires_at: String,
    #[schema(example = "PUT")]
    pub method: String,
    /// Headers signed into the URL (`content-type`, `content-length` when declared).
    pub headers: BTreeMap<String, String>,
    pub bucket: String,
    pub object_key: String,
}

impl From<UploadTicket> for UploadTicketJson {
    fn from(t: UploadTicket) -> Self {
        UploadTicketJson {
            id: t.id.to_string(),
            asset_id: t.id.to_string(),
            upload_url: t.upload_url,
            expires_at: time(t.expires_at),
            method: t.method,
            headers: t.headers,
            bucket: t.bucket,
            object_key: t.object_key,
        }
    }
}

/// A presigned download.
#[derive(Debug, Serialize, ToSchema)]
pub struct DownloadJson {
    pub download_url: String,
    pub expires_at: String,
}

impl From<DownloadLink> for DownloadJson {
    fn from(l: DownloadLink) -> Self {
        DownloadJson {
            download_url: l.download_url,
            expires_at: time(l.expires_at),
        }
    }
}

/// What a bulk action did to one asset.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItemJson {
    pub asset_id: String,
    /// Whether the action was done (or the asset already was as asked).
    pub done: bool,
    /// Its state now, when done.
    #[schema(schema_with = status_schema, nullable)]
    pub state: Option<AssetStatus>,
    /// Why not, when not done (the HTTP status it would have had alone in `status`).
    pub error: Option<String>,
    pub status: u16,
}

/// The status and message one asset of a bulk request shows for `e`. An internal error's
/// cause is logged here (the request itself succeeded, so the errors layer never sees it)
/// and not shown.
fn refusal(e: app::api::FerryError) -> (u16, String) {
    let status = e.status().as_u16();
    let message = match e {
        app::api::FerryError::Internal(cause) => {
            tracing::error!(error = %cause, "internal error (one asset of a bulk request)");
            super::error::INTERNAL_MESSAGE.to_string()
        }
        other => other.to_string(),
    };
    (status, message)
}

/// Every asset a bulk action named, in the order named.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkJson {
    pub results: Vec<BulkItemJson>,
}

impl From<Vec<BulkOutcome>> for BulkJson {
    fn from(outcomes: Vec<BulkOutcome>) -> Self {
        let results = outcomes
            .into_iter()
            .map(|o| match o.result {
                Ok(asset) => BulkItemJson {
                    asset_id: o.id.to_string(),
                    done: true,
                    state: Some(asset.status),
                    error: None,
                    status: 200,
                },
                Err(e) => {
                    let (status, error) = refusal(e);
                    BulkItemJson {
                        asset_id: o.id.to_string(),
                        done: false,
                        state: None,
                        error: Some(error),
                        status,
                    }
                }
            })
            .collect();
        BulkJson { results }
    }
}

/// A share link made for one asset of a bulk request, or why not.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkShareItemJson {
    pub asset_id: String,
    pub done: bool,
    /// The link's address (shown this once), when made.
    pub path: Option<String>,
    pub expires_at: Option<String>,
    /// Why not, when not made (with the status it would have had alone).
    pub error: Option<String>,
    pub status: u16,
}

/// Every asset a bulk share named, in the order named.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkShareJson {
    pub results: Vec<BulkShareItemJson>,
}

impl From<Vec<SharedOutcome>> for BulkShareJson {
    fn from(outcomes: Vec<SharedOutcome>) -> Self {
        let results = outcomes
            .into_iter()
            .map(|o| match o.result {
                Ok(c) => BulkShareItemJson {
                    asset_id: o.id.to_string(),
                    done: true,
                    path: Some(c.path),
                    expires_at: Some(time(c.link.expires_at)),
                    error: None,
                    status: 201,
                },
                Err(e) => {
                    let (status, error) = refusal(e);
                    BulkShareItemJson {
                        asset_id: o.id.to_string(),
                        done: false,
                        path: None,
                        expires_at: None,
                        error: Some(error),
                        status,
                    }
                }
            })
            .collect();
        BulkShareJson { results }
    }
}

/// The state of a share link, in lower case: `active`, `revoked`, `expired`, `used_up`.
pub fn share_state_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["active", "revoked", "expired", "used_up"]))
        .build()
}

fn share_state_name(state: ShareState) -> &'static str {
    match state {
        ShareState::Active => "active",
        ShareState::Revoked => "revoked",
        ShareState::Expired => "expired",
        ShareState::UsedUp => "used_up",
    }
}

/// A share link as its owner sees it (never its token).
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareJson {
    #[schema(example = "01JDQ9R4T7W2B8N4C6T1R0X5YZ")]
    pub id: String,
    pub asset_id: String,
    pub created_at: String,
    pub expires_at: String,
    /// Downloads the link allows; `null`: any number until it expires.
    pub max_uses: Option<u32>,
    /// Downloads it gave.
    pub uses: u32,
    pub revoked_at: Option<String>,
    /// Whether it opens now, and if not, why.
    #[schema(schema_with = share_state_schema)]
    pub state: &'static str,
}

impl From<ShareLink> for ShareJson {
    fn from(l: ShareLink) -> Self {
        let state = share_state_name(l.state(chrono::Utc::now()));
        ShareJson {
            id: l.id.to_string(),
            asset_id: l.asset_id.to_string(),
            created_at: time(l.created_at),
            expires_at: time(l.expires_at),
            max_uses: l.max_uses,
            uses: l.uses,
            revoked_at: l.revoked_at.map(time),
            state,
        }
    }
}

/// A link just made: its address is shown this once (the server keeps only its hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedShareJson {
    /// `/s/<token>` on this server: whoever opens it gets a `303` to a fresh download URL.
    #[schema(example = "/s/q3Xb0t8ZbQ2m0mJb6l1o3fT2h5v6VfHcQm5b0WwqkYc")]
    pub path: String,
    #[serde(flatten)]
    pub link: ShareJson,
}

impl From<CreatedShare> for CreatedShareJson {
    fn from(c: CreatedShare) -> Self {
        CreatedShareJson {
            path: c.path,
            link: c.link.into(),
        }
    }
}

/// An asset's share links, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareListJson {
    pub links: Vec<ShareJson>,
    /// The longest validity a new link may have, in seconds.
    pub max_ttl_secs: u64,
}

impl From<ShareList> for ShareListJson {
    fn from(l: ShareList) -> Self {
        ShareListJson {
            links: l.links.into_iter().map(Into::into).collect(),
            max_ttl_secs: l.max_ttl_secs,
        }
    }
}

/// An asset's state after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusJson {
    #[schema(schema_with = status_schema)]
    pub status: AssetStatus,
}

/// The metadata S3 events recorded for one object (the seed lesson's item).
#[derive(Debug, Serialize, ToSchema)]
pub struct MetadataJson {
    pub bucket: String,
    pub object_key: String,
    pub size: u64,
    pub etag: String,
    pub event_time: String,
    pub event_name: String,
    pub sequencer: String,
    /// The type S3 stores the object with, if it was sent one.
    pub content_type: Option<String>,
    /// S3's SHA-256 of the object, if it was uploaded with one.
    pub checksum_sha256: Option<String>,
}

impl From<ObjectMetadata> for MetadataJson {
    fn from(m: ObjectMetadata) -> Self {
        MetadataJson {
            bucket: m.bucket,
            object_key: m.object_key,
            size: m.size,
            etag: m.etag,
            event_time: time(m.event_time),
            event_name: m.event_name,
            sequencer: m.sequencer,
            content_type: m.content_type,
            checksum_sha256: m.checksum_sha256,
        }
    }
}
