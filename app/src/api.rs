//! What the UI asks of the server: shared request/response types, the one error type (with
//! its HTTP status), and the `#[server]` functions. REST handlers and server functions both
//! call the same [`AssetBackend`] on the server: there is no second implementation.

use crate::domain::{
    Asset, AssetId, AssetStatus, CreatedShare, Folder, FolderId, FolderRef, FolderView, Owner,
    ShareId, ShareLink,
};
use leptos::prelude::*;
use leptos::server_fn::{
    codec::{JsonEncoding, Post},
    error::{FromServerFnError, ServerFnErrorErr},
    Bytes, ContentType, Decodes, Encodes, Format, FormatType,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::BTreeMap;

/// The JSON server functions' input: a POSTed JSON object of their arguments, like
/// `Json`, except that a top-level field the function does not take is refused (`400`), as
/// the REST bodies refuse theirs: a misspelt optional argument is an error, not a default.
pub type StrictJson = Post<StrictJsonEncoding>;

/// The encoding of [`StrictJson`].
pub struct StrictJsonEncoding;

impl ContentType for StrictJsonEncoding {
    const CONTENT_TYPE: &'static str = JsonEncoding::CONTENT_TYPE;
}

impl FormatType for StrictJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for StrictJsonEncoding {
    type Error = serde_json::Error;

    fn encode(args: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(args).map(Bytes::from)
    }
}

impl<T: DeserializeOwned + Serialize> Decodes<T> for StrictJsonEncoding {
    type Error = serde_json::Error;

    /// The arguments, read as `Json` reads them; then every field sent must be one the
    /// arguments have (they serialise every field they take, so what they write back is
    /// the list of known names, however serde renames them).
    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        use serde::de::Error;
        let args: T = serde_json::from_slice(&bytes)?;
        let sent: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes)?;
        let known = serde_json::to_value(&args)?;
        match sent
            .keys()
            .find(|field| known.get(field.as_str()).is_none())
        {
            None => Ok(args),
            Some(field) => {
                let expected: Vec<String> = known
                    .as_object()
                    .map(|o| o.keys().map(|k| format!("`{k}`")).collect())
                    .unwrap_or_default();
                Err(serde_json::Error::custom(format!(
                    "unknown field `{field}`, expected {}",
                    match expected.len() {
                        0 => "none".to_owned(),
                        _ => format!("one of {}", expected.join(", ")),
                    }
                )))
            }
        }
    }
}

/// What a client declares about a file it is about to upload. Everything is optional (the
/// seed API takes no body); what is given is signed into the upload URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUpload {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<u64>,
    /// A single PUT's SHA-256 of the whole file, base64: signed into the URL, so S3 stores
    /// these bytes or nothing.
    #[serde(default)]
    pub checksum_sha256: Option<String>,
    /// A multipart upload's checksums: each part then carries its own SHA-256, signed into
    /// that part's URL (`sign_upload_part` requires it), and S3 combines them on completion.
    #[serde(default)]
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    /// Where the file goes (`root` or a folder id; absent: the top level). The folders of
    /// a relative `filename` (`photos/2024/a.jpg`) are made inside it as needed.
    #[serde(default)]
    pub folder: Option<FolderRef>,
}

/// The checksums Ferry asks S3 to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChecksumAlgorithm {
    #[serde(rename = "SHA256")]
    Sha256,
}

/// A presigned upload: PUT the bytes to `upload_url` with exactly `headers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadTicket {
    pub id: AssetId,
    pub upload_url: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub method: String,
    pub headers: BTreeMap<String, String>,
    pub bucket: String,
    pub object_key: String,
}

/// A started multipart upload: send parts of `part_size` bytes (the last may be shorter),
/// each through a URL from `sign_upload_part`, then complete it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultipartTicket {
    pub id: AssetId,
    pub upload_id: String,
    pub part_size: u64,
    /// `SHA256`: every part must be signed with its SHA-256 (the upload started with
    /// checksums). Absent from tickets an older page remembered: their uploads have none.
    #[serde(default)]
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    pub bucket: String,
    pub object_key: String,
}

/// The part a client is about to send: its number, its exact length and (for uploads
/// started with checksums) its SHA-256, base64; all signed into the part's URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRequest {
    pub part_number: u32,
    pub size: u64,
    pub checksum_sha256: Option<String>,
}

/// A presigned PUT for one part (its length is signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartUpload {
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A part S3 has stored (from its PUT's ETag, or from ListParts when resuming).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedPart {
    pub part_number: u32,
    pub etag: String,
    pub size: u64,
    /// The part's SHA-256 as S3 verified it (base64), for uploads that send checksums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_sha256: Option<String>,
}

/// A presigned download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadLink {
    pub download_url: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The orders a listing can come in. Each is one index read in one direction, so every page
/// is a single Query: time order from the ULID ids, name order from a lower-cased name key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    #[default]
    Newest,
    Oldest,
    /// File name A→Z (case-insensitive).
    Name,
    /// File name Z→A.
    NameDesc,
}

impl SortOrder {
    pub const ALL: [SortOrder; 4] = [
        SortOrder::Newest,
        SortOrder::Oldest,
        SortOrder::Name,
        SortOrder::NameDesc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Newest => "newest",
            SortOrder::Oldest => "oldest",
            SortOrder::Name => "name",
            SortOrder::NameDesc => "name_desc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortOrder::Newest => "Newest first",
            SortOrder::Oldest => "Oldest first",
            SortOrder::Name => "Name A→Z",
            SortOrder::NameDesc => "Name Z→A",
        }
    }

    /// Whether this order reads the name index (the only one a prefix search can use).
    pub fn by_name(self) -> bool {
        matches!(self, SortOrder::Name | SortOrder::NameDesc)
    }
}

impl std::str::FromStr for SortOrder {
    type Err = String;

    fn from_str(s: &str) -> Result<SortOrder, String> {
        SortOrder::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                format!("unknown sort `{s}` (expected newest, oldest, name or name_desc)")
            })
    }
}

/// Whose assets a listing shows. Everyone lists their own ([`OwnerFilter::Mine`], the
/// default); only administrators may ask for anything else (another owner, the objects that
/// belong to no owner, or everything) — anyone else asking gets a 400, naming the rule.
///
/// As text (URL and REST parameter `owner`): `mine`, `all`, `unowned`, or `user:<owner>`.
/// The `user:` prefix keeps an owner named like a keyword (`all`) reachable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum OwnerFilter {
    /// The caller's own assets.
    #[default]
    Mine,
    /// One owner's assets (administrators; anyone may name themselves).
    Owner(Owner),
    /// Objects other tools put in the bucket outside `uploads/<owner>/` (administrators).
    Unowned,
    /// Every owner's assets and the unowned ones (administrators).
    All,
}

impl OwnerFilter {
    /// Prefix of [`OwnerFilter::Owner`]'s text form.
    pub const USER_PREFIX: &'static str = "user:";
    /// The message of the 400 a non-administrator gets for another owner's listing.
    pub const ADMIN_ONLY: &'static str = "only administrators can filter by owner";

    pub fn to_param(&self) -> String {
        match self {
            OwnerFilter::Mine => "mine".into(),
            OwnerFilter::All => "all".into(),
            OwnerFilter::Unowned => "unowned".into(),
            OwnerFilter::Owner(o) => format!("{}{o}", Self::USER_PREFIX),
        }
    }
}

impl std::str::FromStr for OwnerFilter {
    type Err = String;

    fn from_str(s: &str) -> Result<OwnerFilter, String> {
        match s {
            "mine" => Ok(OwnerFilter::Mine),
            "all" => Ok(OwnerFilter::All),
            "unowned" => Ok(OwnerFilter::Unowned),
            _ => s
                .strip_prefix(Self::USER_PREFIX)
                .and_then(|o| Owner::parse(o).ok())
                .map(OwnerFilter::Owner)
                .ok_or_else(|| {
                    format!(
                        "unknown owner filter `{}` (expected mine, all, unowned or user:<owner>)",
                        s.chars().take(140).collect::<String>()
                    )
                }),
        }
    }
}

impl TryFrom<String> for OwnerFilter {
    type Error = String;
    fn try_from(s: String) -> Result<OwnerFilter, String> {
        s.parse()
    }
}

impl From<OwnerFilter> for String {
    fn from(f: OwnerFilter) -> String {
        f.to_param()
    }
}

/// Which page of which listing. `prefix` searches file names (case-insensitive) and lists
/// them by name; without `sort` a search is A→Z and a plain listing newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListParams {
    /// Whose assets; `None`: everything for administrators, one's own for everyone else.
    #[serde(default)]
    pub owner: Option<OwnerFilter>,
    pub status: Option<AssetStatus>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    #[serde(default)]
    pub sort: Option<SortOrder>,
    #[serde(default)]
    pub prefix: Option<String>,
    /// One folder's folders and assets (`root`: the top level) instead of every asset.
    #[serde(default)]
    pub folder: Option<FolderRef>,
    /// With `folder` and `prefix`: search the folder's subfolders too, at any depth.
    #[serde(default)]
    pub subfolders: Option<bool>,
}

impl ListParams {
    /// Largest page a caller may ask for.
    pub const MAX_LIMIT: usize = 100;
    /// The page size when none is asked for.
    pub const DEFAULT_LIMIT: usize = 50;
    /// Longest file name prefix a search accepts (a path segment is at most 255 bytes).
    pub const MAX_PREFIX_CHARS: usize = 255;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetList {
    pub items: Vec<Asset>,
    /// A folder's listing: the folders among its rows (in the listing's order).
    #[serde(default)]
    pub folders: Vec<Folder>,
    /// A folder's listing (not the top level's): the folder and its breadcrumbs.
    #[serde(default)]
    pub folder: Option<FolderView>,
    /// The page after this one, if any.
    pub next_cursor: Option<String>,
    /// The page before this one, if any (absent on the first page).
    #[serde(default)]
    pub prev_cursor: Option<String>,
    /// Whether the caller is an administrator (the browse page then offers the owner column
    /// and filter).
    #[serde(default)]
    pub viewer_is_admin: bool,
}

/// A change made to many assets at once (the browse page's selection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    MarkUploaded,
    Delete,
    Restore,
}

impl BulkAction {
    /// Most assets one request may change (a page's worth).
    pub const MAX_ASSETS: usize = ListParams::MAX_LIMIT;

    /// The past tense, for what a bulk action reports.
    pub fn done(self) -> &'static str {
        match self {
            BulkAction::MarkUploaded => "marked uploaded",
            BulkAction::Delete => "deleted",
            BulkAction::Restore => "restored",
        }
    }
}

/// What a bulk action did to one asset: its new state, or why not (the others are done
/// all the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub id: AssetId,
    pub result: Result<Asset, FerryError>,
}

/// A share link made for one asset of a bulk request, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedOutcome {
    pub id: AssetId,
    pub result: Result<CreatedShare, FerryError>,
}

/// An asset's share links, newest first, and the longest validity a new one may have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareList {
    pub links: Vec<ShareLink>,
    pub max_ttl_secs: u64,
}

/// Limits a client should know before it uploads (also enforced by the signature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadLimits {
    pub max_upload_bytes: u64,
    /// `type/subtype` patterns; `*` wildcards allowed (`image/*`, `*/*`).
    pub allowed_types: Vec<String>,
    pub upload_url_ttl_secs: u64,
    pub max_files_per_batch: usize,
    /// Files at least this large go up in parts (multipart upload), resumable.
    pub multipart_threshold_bytes: u64,
}

/// Every error Ferry reports, to REST clients and to the UI alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum FerryError {
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials: sign in, or send a bearer token.
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// It existed and no longer can be used (a revoked, expired or used-up share link).
    #[error("{0}")]
    Gone(String),
    /// It clashes with what is stored (a folder name taken, a folder not empty).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request names another host than this server's (DNS rebinding).
    #[error("{0}")]
    MisdirectedRequest(String),
    /// The client asked too often: it may ask again in `retry_after_secs` (the response's
    /// `Retry-After`).
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
    /// The call itself failed (network, serialisation) before reaching the service.
    #[error("request failed: {0}")]
    Transport(String),
}

impl FerryError {
    /// The one mapping from errors to HTTP status codes.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            FerryError::BadRequest(_) => S::BAD_REQUEST,
            FerryError::Unauthorized(_) => S::UNAUTHORIZED,
            FerryError::Forbidden(_) => S::FORBIDDEN,
            FerryError::NotFound(_) => S::NOT_FOUND,
            FerryError::MethodNotAllowed(_) => S::METHOD_NOT_ALLOWED,
            FerryError::Gone(_) => S::GONE,
            FerryError::Conflict(_) => S::CONFLICT,
            FerryError::PreconditionFailed(_) => S::PRECONDITION_FAILED,
            FerryError::PayloadTooLarge(_) => S::PAYLOAD_TOO_LARGE,
            FerryError::UnsupportedMediaType(_) => S::UNSUPPORTED_MEDIA_TYPE,
            FerryError::MisdirectedRequest(_) => S::MISDIRECTED_REQUEST,
            FerryError::TooManyRequests { .. } => S::TOO_MANY_REQUESTS,
            FerryError::Unavailable(_) => S::SERVICE_UNAVAILABLE,
            FerryError::Internal(_) | FerryError::Transport(_) => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// How long the client should wait before asking again, if the server said.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            FerryError::TooManyRequests {
                retry_after_secs, ..
            } => Some(std::time::Duration::from_secs(*retry_after_secs)),
            _ => None,
        }
    }
}

impl FromServerFnError for FerryError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                FerryError::BadRequest(m)
            }
            other => FerryError::Transport(other.to_string()),
        }
    }
}

/// The service behind both the REST API and the server functions (implemented in `server`).
/// Every operation is the [`Caller`]'s: it sees and changes only what it owns (administrators:
/// everything); someone else's asset is `NotFound`, never `Forbidden`.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait AssetBackend: Send + Sync + 'static {
    fn limits(&self) -> UploadLimits;
    async fn create_upload(
        &self,
        caller: &crate::domain::Caller,
        upload: NewUpload,
    ) -> Result<UploadTicket, FerryError>;
    async fn list(
        &self,
        caller: &crate::domain::Caller,
        params: ListParams,
    ) -> Result<AssetList, FerryError>;
    async fn get(&self, caller: &crate::domain::Caller, id: AssetId) -> Result<Asset, FerryError>;
    /// `ttl_secs`: `None` for the default; longer than the maximum is capped.
    async fn download_link(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
        ttl_secs: Option<u64>,
    ) -> Result<DownloadLink, FerryError>;
    async fn mark_uploaded(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
    ) -> Result<Asset, FerryError>;
    async fn delete(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
    ) -> Result<Asset, FerryError>;
    async fn restore(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
    ) -> Result<Asset, FerryError>;
    /// S3's metadata of an object the caller owns (administrators: any object).
    async fn metadata(
        &self,
        caller: &crate::domain::Caller,
        bucket: &str,
        key: &str,
    ) -> Result<crate::domain::ObjectMetadata, FerryError>;
    async fn start_multipart(
        &self,
        caller: &crate::domain::Caller,
        upload: NewUpload,
    ) -> Result<MultipartTicket, FerryError>;
    async fn sign_part(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
        upload_id: &str,
        part: PartRequest,
    ) -> Result<PartUpload, FerryError>;
    async fn list_parts(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
        upload_id: &str,
    ) -> Result<Vec<UploadedPart>, FerryError>;
    async fn complete_multipart(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
        upload_id: &str,
        parts: Vec<UploadedPart>,
    ) -> Result<Asset, FerryError>;
    async fn abort_multipart(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
        upload_id: &str,
    ) -> Result<Asset, FerryError>;
    /// `action` on each of `ids` (1 to [`BulkAction::MAX_ASSETS`], no repeats), each as its
    /// own change: a refusal for one leaves the others done.
    async fn bulk(
        &self,
        caller: &crate::domain::Caller,
        action: BulkAction,
        ids: Vec<AssetId>,
    ) -> Result<Vec<BulkOutcome>, FerryError>;
    /// A share link (`share`) for each of `ids` (as [`AssetBackend::bulk`] takes them), each
    /// made or refused on its own.
    async fn bulk_share(
        &self,
        caller: &crate::domain::Caller,
        ids: Vec<AssetId>,
        share: crate::domain::NewShare,
    ) -> Result<Vec<SharedOutcome>, FerryError>;
    /// A share link to an asset the caller owns and that can be downloaded now.
    async fn create_share(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
        share: crate::domain::NewShare,
    ) -> Result<CreatedShare, FerryError>;
    /// The asset's share links, newest first.
    async fn shares(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
    ) -> Result<ShareList, FerryError>;
    /// Takes a link back: it never opens again (revoking twice changes nothing).
    async fn revoke_share(
        &self,
        caller: &crate::domain::Caller,
        id: AssetId,
        share: ShareId,
    ) -> Result<ShareLink, FerryError>;
    /// Opens a share link for whoever holds it (no caller): counts the use and gives a fresh
    /// short-lived download URL. An unknown token is a 404; a link that no longer opens
    /// (revoked, expired, used up, its asset deleted) a 410 that says why.
    async fn open_share(&self, token: &str) -> Result<DownloadLink, FerryError>;
    /// A folder the caller may see, with its breadcrumbs.
    async fn folder(
        &self,
        caller: &crate::domain::Caller,
        id: FolderId,
    ) -> Result<FolderView, FerryError>;
    /// A new folder of the caller's in `parent`; a name taken there (whatever its case) is
    /// a `Conflict`.
    async fn create_folder(
        &self,
        caller: &crate::domain::Caller,
        parent: FolderRef,
        name: &str,
    ) -> Result<Folder, FerryError>;
    async fn rename_folder(
        &self,
        caller: &crate::domain::Caller,
        id: FolderId,
        name: &str,
    ) -> Result<Folder, FerryError>;
    /// Deletes an empty folder; one that holds anything (deleted files too) is a `Conflict`.
    async fn delete_folder(
        &self,
        caller: &crate::domain::Caller,
        id: FolderId,
    ) -> Result<(), FerryError>;
    /// Moves each of `ids` (as [`AssetBackend::bulk`] takes them) into `to`, each on its own.
    async fn move_assets(
        &self,
        caller: &crate::domain::Caller,
        ids: Vec<AssetId>,
        to: FolderRef,
    ) -> Result<Vec<BulkOutcome>, FerryError>;
}

/// The backend provided to server functions through context.
#[cfg(feature = "ssr")]
pub type SharedBackend = std::sync::Arc<dyn AssetBackend>;

/// The backend (from context) and who is asking: the [`Caller`](crate::domain::Caller) the
/// server's middleware put into the request's extensions (leptos_axum provides the request's
/// `Parts` to server functions and pages alike). Either missing is an internal error.
#[cfg(feature = "ssr")]
fn service() -> Result<(SharedBackend, crate::domain::Caller), FerryError> {
    let backend = use_context::<SharedBackend>()
        .ok_or_else(|| FerryError::Internal("no asset backend in context".into()))?;
    let caller = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<crate::domain::Caller>().cloned())
        .ok_or_else(|| FerryError::Internal("no caller in the request".into()))?;
    Ok((backend, caller))
}

#[server(prefix = "/api", endpoint = "upload_limits", input = StrictJson)]
pub async fn get_upload_limits() -> Result<UploadLimits, FerryError> {
    Ok(service()?.0.limits())
}

#[server(prefix = "/api", endpoint = "create_upload", input = StrictJson)]
pub async fn create_upload(upload: NewUpload) -> Result<UploadTicket, FerryError> {
    let (backend, caller) = service()?;
    backend.create_upload(&caller, upload).await
}

#[server(prefix = "/api", endpoint = "list_assets", input = StrictJson)]
pub async fn list_assets(params: ListParams) -> Result<AssetList, FerryError> {
    let (backend, caller) = service()?;
    backend.list(&caller, params).await
}

#[server(prefix = "/api", endpoint = "get_asset", input = StrictJson)]
pub async fn get_asset(id: AssetId) -> Result<Asset, FerryError> {
    let (backend, caller) = service()?;
    backend.get(&caller, id).await
}

#[server(prefix = "/api", endpoint = "download_link", input = StrictJson)]
pub async fn create_download_link(
    id: AssetId,
    ttl_secs: Option<u64>,
) -> Result<DownloadLink, FerryError> {
    let (backend, caller) = service()?;
    backend.download_link(&caller, id, ttl_secs).await
}

// The asset actions' server functions take server_fn's default form encoding (`id=<id>`), so
// the pages can post them from plain HTML forms that work without JavaScript.
/// The server functions plain HTML forms post (`id=<asset id>`, form-encoded); every other
/// server function takes JSON only.
pub const FORM_ENDPOINTS: [&str; 3] = [
    <MarkUploaded as leptos::server_fn::ServerFn>::PATH,
    <DeleteAsset as leptos::server_fn::ServerFn>::PATH,
    <RestoreAsset as leptos::server_fn::ServerFn>::PATH,
];

#[server(prefix = "/api", endpoint = "mark_uploaded")]
pub async fn mark_uploaded(id: AssetId) -> Result<Asset, FerryError> {
    let (backend, caller) = service()?;
    backend.mark_uploaded(&caller, id).await
}

#[server(prefix = "/api", endpoint = "delete_asset")]
pub async fn delete_asset(id: AssetId) -> Result<Asset, FerryError> {
    let (backend, caller) = service()?;
    backend.delete(&caller, id).await
}

#[server(prefix = "/api", endpoint = "restore_asset")]
pub async fn restore_asset(id: AssetId) -> Result<Asset, FerryError> {
    let (backend, caller) = service()?;
    backend.restore(&caller, id).await
}

#[server(prefix = "/api", endpoint = "bulk_assets", input = StrictJson)]
pub async fn bulk_assets(
    action: BulkAction,
    ids: Vec<AssetId>,
) -> Result<Vec<BulkOutcome>, FerryError> {
    let (backend, caller) = service()?;
    backend.bulk(&caller, action, ids).await
}

#[server(prefix = "/api", endpoint = "move_assets", input = StrictJson)]
pub async fn move_assets(ids: Vec<AssetId>, to: FolderRef) -> Result<Vec<BulkOutcome>, FerryError> {
    let (backend, caller) = service()?;
    backend.move_assets(&caller, ids, to).await
}

#[server(prefix = "/api", endpoint = "get_folder", input = StrictJson)]
pub async fn get_folder(id: FolderId) -> Result<FolderView, FerryError> {
    let (backend, caller) = service()?;
    backend.folder(&caller, id).await
}

#[server(prefix = "/api", endpoint = "create_folder", input = StrictJson)]
pub async fn create_folder(parent: FolderRef, name: String) -> Result<Folder, FerryError> {
    let (backend, caller) = service()?;
    backend.create_folder(&caller, parent, &name).await
}

#[server(prefix = "/api", endpoint = "rename_folder", input = StrictJson)]
pub async fn rename_folder(id: FolderId, name: String) -> Result<Folder, FerryError> {
    let (backend, caller) = service()?;
    backend.rename_folder(&caller, id, &name).await
}

#[server(prefix = "/api", endpoint = "delete_folder", input = StrictJson)]
pub async fn delete_folder(id: FolderId) -> Result<(), FerryError> {
    let (backend, caller) = service()?;
    backend.delete_folder(&caller, id).await
}

#[server(prefix = "/api", endpoint = "bulk_share", input = StrictJson)]
pub async fn bulk_share(
    ids: Vec<AssetId>,
    expires_in_secs: u64,
    #[server(default)] max_uses: Option<u32>,
) -> Result<Vec<SharedOutcome>, FerryError> {
    let (backend, caller) = service()?;
    let share = crate::domain::NewShare {
        expires_in_secs,
        max_uses,
    };
    backend.bulk_share(&caller, ids, share).await
}

#[server(prefix = "/api", endpoint = "create_share", input = StrictJson)]
pub async fn create_share(
    id: AssetId,
    expires_in_secs: u64,
    #[server(default)] max_uses: Option<u32>,
) -> Result<CreatedShare, FerryError> {
    let (backend, caller) = service()?;
    let share = crate::domain::NewShare {
        expires_in_secs,
        max_uses,
    };
    backend.create_share(&caller, id, share).await
}

#[server(prefix = "/api", endpoint = "list_shares", input = StrictJson)]
pub async fn list_shares(id: AssetId) -> Result<ShareList, FerryError> {
    let (backend, caller) = service()?;
    backend.shares(&caller, id).await
}

#[server(prefix = "/api", endpoint = "revoke_share", input = StrictJson)]
pub async fn revoke_share(id: AssetId, share: ShareId) -> Result<ShareLink, FerryError> {
    let (backend, caller) = service()?;
    backend.revoke_share(&caller, id, share).await
}

/// Opens a share link (anyone may: the token is the permission): the JSON twin of
/// `GET /s/<token>`, for programs that want the download URL rather than a redirect.
#[server(prefix = "/api", endpoint = "open_share", input = StrictJson)]
pub async fn open_share(token: String) -> Result<DownloadLink, FerryError> {
    let backend = use_context::<SharedBackend>()
        .ok_or_else(|| FerryError::Internal("no asset backend in context".into()))?;
    backend.open_share(&token).await
}

#[server(prefix = "/api", endpoint = "start_multipart", input = StrictJson)]
pub async fn start_multipart_upload(upload: NewUpload) -> Result<MultipartTicket, FerryError> {
    let (backend, caller) = service()?;
    backend.start_multipart(&caller, upload).await
}

#[server(prefix = "/api", endpoint = "sign_part", input = StrictJson)]
pub async fn sign_upload_part(
    id: AssetId,
    upload_id: String,
    part_number: u32,
    size: u64,
    #[server(default)] checksum_sha256: Option<String>,
) -> Result<PartUpload, FerryError> {
    let (backend, caller) = service()?;
    let part = PartRequest {
        part_number,
        size,
        checksum_sha256,
    };
    backend.sign_part(&caller, id, &upload_id, part).await
}

#[server(prefix = "/api", endpoint = "list_parts", input = StrictJson)]
pub async fn list_upload_parts(
    id: AssetId,
    upload_id: String,
) -> Result<Vec<UploadedPart>, FerryError> {
    let (backend, caller) = service()?;
    backend.list_parts(&caller, id, &upload_id).await
}

#[server(prefix = "/api", endpoint = "complete_multipart", input = StrictJson)]
pub async fn complete_multipart_upload(
    id: AssetId,
    upload_id: String,
    parts: Vec<UploadedPart>,
) -> Result<Asset, FerryError> {
    let (backend, caller) = service()?;
    backend
        .complete_multipart(&caller, id, &upload_id, parts)
        .await
}

#[server(prefix = "/api", endpoint = "abort_multipart", input = StrictJson)]
pub async fn abort_multipart_upload(id: AssetId, upload_id: String) -> Result<Asset, FerryError> {
    let (backend, caller) = service()?;
    backend.abort_multipart(&caller, id, &upload_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_filters_read_and_write_one_text_form() {
        let bob = OwnerFilter::Owner(Owner::parse("bob").unwrap());
        let all_named = OwnerFilter::Owner(Owner::parse("all").unwrap());
        for (text, filter) in [
            ("mine", OwnerFilter::Mine),
            ("all", OwnerFilter::All),
            ("unowned", OwnerFilter::Unowned),
            ("user:bob", bob),
            ("user:all", all_named),
        ] {
            assert_eq!(text.parse::<OwnerFilter>(), Ok(filter.clone()));
            assert_eq!(filter.to_param(), text);
            let json = serde_json::to_string(&filter).unwrap();
            assert_eq!(serde_json::from_str::<OwnerFilter>(&json).unwrap(), filter);
        }
        for bad in ["", "bob", "user:", "user:a/b", "Mine", "everyone"] {
            assert!(bad.parse::<OwnerFilter>().is_err(), "{bad}");
        }
        // Absent from older clients' parameters: the caller's default.
        let params: ListParams = serde_json::from_str("{}").unwrap();
        assert_eq!(params.owner, None);
    }
}
