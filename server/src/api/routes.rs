//! The REST handlers: each extracts typed input, calls the asset service, and answers with a
//! typed body. Their `#[utoipa::path]` annotations are the API reference (`/openapi.json`).

use super::{
    dto::{
        status_schema, AssetListJson, BulkJson, BulkShareJson, CreatedShareJson, DownloadJson,
        FolderJson, FolderViewJson, MetadataJson, ShareJson, ShareListJson, StatusJson,
        UploadTicketJson,
    },
    error::{ApiError, ErrorBody},
    extract::{param, ApiQuery, AssetIdPath, FolderIdPath, OptionalJson, SharePath},
};
use crate::state::AppState;
use app::{
    api::{BulkAction, FerryError, ListParams, NewUpload, OwnerFilter, SortOrder},
    domain::{AssetId, AssetStatus, Caller, FolderRef, NewShare},
};
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::{Deserialize, Deserializer};
use utoipa::{
    openapi::{
        schema::{ObjectBuilder, Type},
        Object,
    },
    IntoParams, ToSchema,
};

type ApiResult<T> = Result<T, ApiError>;

/// What `POST /asset` may declare (all optional; the seed sends no body).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // documents `NewUpload`, which is what is parsed
pub struct NewUploadJson {
    /// File name or relative path (`photos/2024/a.jpg`); without one the id is the name.
    filename: Option<String>,
    /// Signed into the URL: the upload must send exactly this type. One media type
    /// (`type/subtype`, optional `; name=value` parameters); a list, a wildcard or a control
    /// character is a 400, a type the server does not allow a 415.
    content_type: Option<String>,
    /// Bytes; signed into the URL, and refused above the server's maximum.
    size: Option<u64>,
    /// SHA-256 of the file, base64 (44 characters): signed into the URL as
    /// `x-amz-checksum-sha256` (listed in the ticket's `headers`), so S3 stores these bytes or
    /// refuses them (`400 BadDigest`); S3's checksum is then recorded with the object.
    #[schema(example = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")]
    checksum_sha256: Option<String>,
    /// Multipart uploads only (`/api/start_multipart`); here a 400.
    #[schema(example = "SHA256")]
    checksum_algorithm: Option<String>,
    /// Where the file goes: `root` (the default) or one of the caller's folder ids. The
    /// folders of a relative `filename` are made inside it as needed, and the asset is
    /// named without them.
    #[schema(example = "root")]
    folder: Option<String>,
}

/// `POST /asset`: a new asset (CREATED) and a presigned PUT for its bytes.
#[utoipa::path(
    post,
    path = "/asset",
    request_body(content = Option<NewUploadJson>, description = "What the file will be; may be empty"),
    responses(
        (status = 201, description = "Asset created; PUT the bytes to `upload_url`", body = UploadTicketJson,
            headers(("location" = String, description = "`/asset/{id}`"))),
        (status = 400, description = "Malformed body, file name, content type or folder, or a path nesting folders more than 16 deep", body = ErrorBody),
        (status = 404, description = "No such folder of the caller's", body = ErrorBody),
        (status = 413, description = "Declared size over the limit, or body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Content type not allowed, or the body is not JSON", body = ErrorBody),
        (status = 429, description = "This client asked for more upload tickets and part signatures this minute than `FERRY_UPLOAD_RATE_LIMIT` allows", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds until it may ask again"))),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn create_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    OptionalJson(body): OptionalJson<NewUpload>,
) -> ApiResult<Response> {
    let ticket = state
        .backend
        .create_upload(&caller, body.unwrap_or_default())
        .await?;
    let location = HeaderValue::from_str(&format!("/asset/{}", ticket.id))
        .map_err(|_| FerryError::Internal("unusable asset id in Location".into()))?;
    let body = UploadTicketJson::from(ticket);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

fn sort_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(SortOrder::ALL.map(SortOrder::as_str)))
        .build()
}

fn owner_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(
            r"^(mine|all|unowned|user:[A-Za-z0-9._~@|:+=-]{1,128})$",
        ))
        .build()
}

fn limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    param::positive(d, "limit")
}

fn subfolders<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    param::flag(d, "subfolders")
}

/// Which page of which listing. Unknown parameters are ignored; an empty `sort`, `prefix` or
/// `cursor` counts as absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAssetsQuery {
    /// Whose assets: `mine`, or for administrators `user:<owner>`, `unowned` (objects other
    /// tools put outside `uploads/<owner>/`) or `all`. Anyone else naming another owner gets
    /// a 400. Default: `all` for administrators, `mine` for everyone else.
    #[serde(default, deserialize_with = "param::parsed_or_empty")]
    #[param(schema_with = owner_schema)]
    owner: Option<OwnerFilter>,
    /// Only assets in this state.
    #[serde(default, deserialize_with = "param::parsed")]
    #[param(schema_with = status_schema)]
    status: Option<AssetStatus>,
    /// Order: `newest` (default), `oldest`, or by file name `name` / `name_desc` (the default
    /// when searching).
    #[serde(default, deserialize_with = "param::parsed_or_empty")]
    #[param(schema_with = sort_schema)]
    sort: Option<SortOrder>,
    /// Case-insensitive file name prefix (lists by name).
    #[serde(default, deserialize_with = "param::non_empty")]
    prefix: Option<String>,
    /// Rows per page, from 1 (default 50; more than 100 is capped at 100).
    #[serde(default, deserialize_with = "limit")]
    limit: Option<u64>,
    /// `next_cursor` or `prev_cursor` of a page of the same listing.
    #[serde(default, deserialize_with = "param::non_empty")]
    cursor: Option<String>,
    /// One folder's folders and assets instead of every asset: `root` (the top level) or a
    /// folder id. Not with `status` (a status filter lists every folder).
    #[serde(default, deserialize_with = "param::parsed_or_empty")]
    #[param(value_type = Option<String>, example = "root")]
    folder: Option<FolderRef>,
    /// With `folder` and `prefix`: search its subfolders too, at any depth.
    #[serde(default, deserialize_with = "subfolders")]
    #[param(value_type = Option<bool>)]
    subfolders: Option<bool>,
}

/// `GET /asset`: one page of the caller's assets, newest first by default (one index Query).
#[utoipa::path(
    get,
    path = "/asset",
    params(ListAssetsQuery),
    responses(
        (status = 200, description = "A page of assets", body = AssetListJson),
        (status = 400, description = "A parameter names nothing, the cursor is not this listing's (another owner's, filter, sort or search), or a non-administrator named another owner", body = ErrorBody),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn list_assets(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<ListAssetsQuery>,
) -> ApiResult<Json<AssetListJson>> {
    let page = state
        .backend
        .list(
            &caller,
            ListParams {
                owner: q.owner,
                status: q.status,
                limit: q.limit.map(|n| (n as usize).min(ListParams::MAX_LIMIT)),
                cursor: q.cursor,
                sort: q.sort,
                prefix: q.prefix,
                folder: q.folder,
                subfolders: q.subfolders,
            },
        )
        .await?;
    Ok(Json(page.into()))
}

fn timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    param::positive(d, "timeout")
}

/// How long a download link lives.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// Seconds, from 1 (default 60; capped at the server's maximum, 7 days at most).
    #[serde(default, deserialize_with = "timeout")]
    timeout: Option<u64>,
}

/// `GET /asset/{id}`: a presigned download of a RECEIVED or UPLOADED asset.
#[utoipa::path(
    get,
    path = "/asset/{id}",
    params(("id" = String, Path, description = "The asset's id (a ULID)"), DownloadQuery),
    responses(
        (status = 202, description = "A presigned GET", body = DownloadJson),
        (status = 400, description = "Malformed id or timeout", body = ErrorBody),
        (status = 403, description = "The asset is not RECEIVED or UPLOADED", body = ErrorBody),
        (status = 404, description = "No such asset, or another owner's", body = ErrorBody),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn download_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AssetIdPath(id): AssetIdPath,
    ApiQuery(q): ApiQuery<DownloadQuery>,
) -> ApiResult<(StatusCode, Json<DownloadJson>)> {
    let link = state.backend.download_link(&caller, id, q.timeout).await?;
    Ok((StatusCode::ACCEPTED, Json(link.into())))
}

/// `GET /assets/{id}/download`: a plain link that downloads (303 to a fresh presigned GET;
/// the browser follows it to S3, the server never carries the bytes).
#[utoipa::path(
    get,
    path = "/assets/{id}/download",
    params(("id" = String, Path, description = "The asset's id (a ULID)"), DownloadQuery),
    responses(
        (status = 303, description = "Redirect to a presigned GET",
            headers(("location" = String, description = "The presigned URL"))),
        (status = 400, description = "Malformed id or timeout", body = ErrorBody),
        (status = 403, description = "The asset is not RECEIVED or UPLOADED", body = ErrorBody),
        (status = 404, description = "No such asset, or another owner's", body = ErrorBody),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn download_redirect(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AssetIdPath(id): AssetIdPath,
    ApiQuery(q): ApiQuery<DownloadQuery>,
) -> ApiResult<Response> {
    let link = state.backend.download_link(&caller, id, q.timeout).await?;
    let location = HeaderValue::from_str(&link.download_url)
        .map_err(|_| FerryError::Internal("unusable download URL".into()))?;
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}

/// `PUT /asset/{id}`: the client confirms its upload (RECEIVED or UPLOADED → UPLOADED).
#[utoipa::path(
    put,
    path = "/asset/{id}",
    params(("id" = String, Path, description = "The asset's id (a ULID)")),
    responses(
        (status = 202, description = "The asset is UPLOADED", body = StatusJson),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such asset, or another owner's", body = ErrorBody),
        (status = 412, description = "The asset is not RECEIVED or UPLOADED", body = ErrorBody),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn confirm_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AssetIdPath(id): AssetIdPath,
) -> ApiResult<(StatusCode, Json<StatusJson>)> {
    let asset = state.backend.mark_uploaded(&caller, id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(StatusJson {
            status: asset.status,
        }),
    ))
}

/// `DELETE /asset/{id}`: soft delete (DELETED; the object stays). Deleting twice is fine.
#[utoipa::path(
    delete,
    path = "/asset/{id}",
    params(("id" = String, Path, description = "The asset's id (a ULID)")),
    responses(
        (status = 204, description = "The asset is DELETED"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such asset, or another owner's", body = ErrorBody),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn delete_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AssetIdPath(id): AssetIdPath,
) -> ApiResult<StatusCode> {
    state.backend.delete(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /asset/{id}/restore`: a DELETED asset back to the state it was deleted from.
#[utoipa::path(
    post,
    path = "/asset/{id}/restore",
    params(("id" = String, Path, description = "The asset's id (a ULID)")),
    responses(
        (status = 200, description = "The restored state", body = StatusJson),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such asset, or another owner's", body = ErrorBody),
        (status = 412, description = "The asset is not DELETED", body = ErrorBody),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn restore_asset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AssetIdPath(id): AssetIdPath,
) -> ApiResult<Json<StatusJson>> {
    let asset = state.backend.restore(&caller, id).await?;
    Ok(Json(StatusJson {
        status: asset.status,
    }))
}

/// What `POST /asset/bulk` takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequestJson {
    /// `mark_uploaded`, `delete` or `restore`.
    #[schema(value_type = String, example = "delete")]
    action: BulkAction,
    /// 1 to 100 asset ids, each once.
    #[schema(value_type = Vec<String>, example = json!(["01JDQ7ZK3M5X9V2B8N4C6T1R0W"]))]
    ids: Vec<AssetId>,
}

/// `POST /asset/bulk`: one action on many assets, each as its own change. The answer says
/// for each what was done and what could not be (another owner's asset is "not found", as
/// alone); a refusal for one leaves the others done.
#[utoipa::path(
    post,
    path = "/asset/bulk",
    request_body(content = BulkRequestJson, description = "The action and the assets"),
    responses(
        (status = 200, description = "What happened to each asset", body = BulkJson),
        (status = 400, description = "Malformed body, an unknown action, no ids, more than 100, or an id twice", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    )
)]
pub async fn bulk_assets(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    OptionalJson(body): OptionalJson<BulkRequestJson>,
) -> ApiResult<Json<BulkJson>> {
    let body = body.ok_or_else(|| {
        ApiError::bad_request("a body is required: {\"action\": …, \"ids\": […]}")
    })?;
    let outcomes = state.backend.bulk(&caller, body.action, body.ids).await?;
    Ok(Json(outcomes.into()))
}

/// What `POST /asset/bulk/move` takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkMoveRequestJson {
    /// 1 to 100 asset ids, each once.
    #[schema(value_type = Vec<String>, example = json!(["01JDQ7ZK3M5X9V2B8N4C6T1R0W"]))]
    ids: Vec<AssetId>,
    /// Where to: `root` or a folder id (the assets' owner's).
    #[schema(value_type = String, example = "root")]
    folder: FolderRef,
}

/// `POST /asset/bulk/move`: moves each asset named into a folder, each on its own. Only
/// the catalogue changes: no object is copied, its key and links stay the same.
#[utoipa::path(
    post,
    path = "/asset/bulk/move",
    request_body(content = BulkMoveRequestJson, description = "The assets and where to"),
    responses(
        (status = 200, description = "What happened to each asset (another owner's folder is \"not found\")", body = BulkJson),
        (status = 400, description = "Malformed body, no ids, more than 100, or an id twice", body = ErrorBody),
        (status = 404, description = "No such folder", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    )
)]
pub async fn bulk_move(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    OptionalJson(body): OptionalJson<BulkMoveRequestJson>,
) -> ApiResult<Json<BulkJson>> {
    let body = body.ok_or_else(|| {
        ApiError::bad_request("a body is required: {\"ids\": […], \"folder\": …}")
    })?;
    let outcomes = state
        .backend
        .move_assets(&caller, body.ids, body.folder)
        .await?;
    Ok(Json(outcomes.into()))
}

/// What `POST /folder` takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFolderJson {
    /// One path segment: no `/`, at most 255 bytes.
    #[schema(example = "Photos")]
    name: String,
    /// Where: `root` (the default) or one of the caller's folder ids.
    #[schema(value_type = Option<String>, example = "root")]
    #[serde(default)]
    parent: Option<FolderRef>,
}

/// `POST /folder`: a new folder of the caller's.
#[utoipa::path(
    post,
    path = "/folder",
    request_body(content = NewFolderJson, description = "Its name and where"),
    responses(
        (status = 201, description = "The folder", body = FolderJson,
            headers(("location" = String, description = "`/folder/{id}`"))),
        (status = 400, description = "Malformed body or name, or more than 16 deep", body = ErrorBody),
        (status = 404, description = "No such parent folder of the caller's", body = ErrorBody),
        (status = 409, description = "The parent has a folder of that name (whatever its case)", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    )
)]
pub async fn create_folder(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    OptionalJson(body): OptionalJson<NewFolderJson>,
) -> ApiResult<Response> {
    let body = body.ok_or_else(|| ApiError::bad_request("a body is required: {\"name\": …}"))?;
    let folder = state
        .backend
        .create_folder(&caller, body.parent.unwrap_or_default(), &body.name)
        .await?;
    let location = HeaderValue::from_str(&format!("/folder/{}", folder.id))
        .map_err(|_| FerryError::Internal("unusable folder id in Location".into()))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(FolderJson::from(folder)),
    )
        .into_response())
}

/// `GET /folder/{id}`: a folder and its breadcrumbs (list its contents with
/// `GET /asset?folder={id}`).
#[utoipa::path(
    get,
    path = "/folder/{id}",
    params(("id" = String, Path, description = "The folder's id (a ULID)")),
    responses(
        (status = 200, description = "The folder", body = FolderViewJson),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such folder, or another owner's", body = ErrorBody),
    )
)]
pub async fn get_folder(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    FolderIdPath(id): FolderIdPath,
) -> ApiResult<Json<FolderViewJson>> {
    Ok(Json(state.backend.folder(&caller, id).await?.into()))
}

/// What `PATCH /folder/{id}` takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameFolderJson {
    #[schema(example = "Holidays")]
    name: String,
}

/// `PATCH /folder/{id}`: renames a folder. What is in it, and every object, stays as it is.
#[utoipa::path(
    patch,
    path = "/folder/{id}",
    params(("id" = String, Path, description = "The folder's id (a ULID)")),
    request_body(content = RenameFolderJson, description = "Its new name"),
    responses(
        (status = 200, description = "The folder, renamed", body = FolderJson),
        (status = 400, description = "Malformed id, body or name", body = ErrorBody),
        (status = 404, description = "No such folder, or another owner's", body = ErrorBody),
        (status = 409, description = "Its parent has another folder of that name", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    )
)]
pub async fn rename_folder(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    FolderIdPath(id): FolderIdPath,
    OptionalJson(body): OptionalJson<RenameFolderJson>,
) -> ApiResult<Json<FolderJson>> {
    let body = body.ok_or_else(|| ApiError::bad_request("a body is required: {\"name\": …}"))?;
    let folder = state.backend.rename_folder(&caller, id, &body.name).await?;
    Ok(Json(folder.into()))
}

/// `DELETE /folder/{id}`: deletes an empty folder.
#[utoipa::path(
    delete,
    path = "/folder/{id}",
    params(("id" = String, Path, description = "The folder's id (a ULID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such folder, or another owner's", body = ErrorBody),
        (status = 409, description = "It holds files (deleted ones too) or folders, or something was put in it a moment ago", body = ErrorBody),
    )
)]
pub async fn delete_folder(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    FolderIdPath(id): FolderIdPath,
) -> ApiResult<StatusCode> {
    state.backend.delete_folder(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What `POST /asset/bulk/shares` takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkShareRequestJson {
    /// 1 to 100 asset ids, each once.
    #[schema(value_type = Vec<String>, example = json!(["01JDQ7ZK3M5X9V2B8N4C6T1R0W"]))]
    ids: Vec<AssetId>,
    /// How long each link opens, in seconds (60 to the server's cap).
    expires_in_secs: u64,
    /// Downloads each allows, 1 to 10000; absent: any number.
    max_uses: Option<u32>,
}

/// `POST /asset/bulk/shares`: a share link for each asset named, each made or refused on
/// its own (an asset without its file, or another owner's, is refused; the rest are made).
#[utoipa::path(
    post,
    path = "/asset/bulk/shares",
    request_body(content = BulkShareRequestJson, description = "The assets and the links' rules"),
    responses(
        (status = 200, description = "Each asset's link (its address shown this once), or why not", body = BulkShareJson),
        (status = 400, description = "Malformed body, no ids, more than 100, an id twice, or a validity or limit outside the rules", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    )
)]
pub async fn bulk_share(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    OptionalJson(body): OptionalJson<BulkShareRequestJson>,
) -> ApiResult<Json<BulkShareJson>> {
    let body = body.ok_or_else(|| {
        ApiError::bad_request("a body is required: {\"ids\": […], \"expires_in_secs\": …}")
    })?;
    let share = NewShare {
        expires_in_secs: body.expires_in_secs,
        max_uses: body.max_uses,
    };
    let outcomes = state.backend.bulk_share(&caller, body.ids, share).await?;
    Ok(Json(outcomes.into()))
}

/// What `POST /asset/{id}/shares` takes.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // documents `NewShare`, which is what is parsed
pub struct NewShareJson {
    /// How long the link opens, in seconds: at least 60, at most the server's cap
    /// (`max_ttl_secs` of the listing; `FERRY_MAX_SHARE_TTL_SECS`, 30 days by default).
    #[schema(example = 86400)]
    expires_in_secs: u64,
    /// Downloads it allows, 1 to 10000; absent: any number until it expires.
    max_uses: Option<u32>,
}

/// `POST /asset/{id}/shares`: a share link to a RECEIVED or UPLOADED asset. Its address
/// (`path`) is in this answer only: the server keeps a hash of it.
#[utoipa::path(
    post,
    path = "/asset/{id}/shares",
    params(("id" = String, Path, description = "The asset's id (a ULID)")),
    request_body(content = NewShareJson, description = "Validity and optional download limit"),
    responses(
        (status = 201, description = "The link, with its address", body = CreatedShareJson),
        (status = 400, description = "Malformed id or body, a validity outside 60 s to the cap, or a limit outside 1 to 10000", body = ErrorBody),
        (status = 403, description = "The asset is not RECEIVED or UPLOADED", body = ErrorBody),
        (status = 404, description = "No such asset, or another owner's", body = ErrorBody),
        (status = 412, description = "The asset already has 50 links that open", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn create_share(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AssetIdPath(id): AssetIdPath,
    OptionalJson(body): OptionalJson<NewShare>,
) -> ApiResult<(StatusCode, Json<CreatedShareJson>)> {
    let share = body.ok_or_else(|| {
        ApiError::bad_request("a body is required: {\"expires_in_secs\": <seconds>}")
    })?;
    let created = state.backend.create_share(&caller, id, share).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// `GET /asset/{id}/shares`: the asset's share links, newest first (one index Query).
#[utoipa::path(
    get,
    path = "/asset/{id}/shares",
    params(("id" = String, Path, description = "The asset's id (a ULID)")),
    responses(
        (status = 200, description = "Its links, with their uses and states", body = ShareListJson),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such asset, or another owner's", body = ErrorBody),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn list_shares(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AssetIdPath(id): AssetIdPath,
) -> ApiResult<Json<ShareListJson>> {
    Ok(Json(state.backend.shares(&caller, id).await?.into()))
}

/// `DELETE /asset/{id}/shares/{share}`: revokes a link; it never opens again. Revoking
/// twice is fine.
#[utoipa::path(
    delete,
    path = "/asset/{id}/shares/{share}",
    params(
        ("id" = String, Path, description = "The asset's id (a ULID)"),
        ("share" = String, Path, description = "The link's id (a ULID)"),
    ),
    responses(
        (status = 200, description = "The link, revoked", body = ShareJson),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such asset (or another owner's), or no such link of it", body = ErrorBody),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn revoke_share(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    SharePath(id, share): SharePath,
) -> ApiResult<Json<ShareJson>> {
    Ok(Json(
        state.backend.revoke_share(&caller, id, share).await?.into(),
    ))
}

/// Which object.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetadataQuery {
    /// The bucket name.
    #[serde(default, deserialize_with = "param::non_empty")]
    bucket: Option<String>,
    /// The object key, decoded (as S3 shows it, not as events encode it).
    #[serde(default, deserialize_with = "param::non_empty")]
    key: Option<String>,
}

/// `GET /metadata?bucket=B&key=K`: what S3's events recorded for one object (one GetItem).
#[utoipa::path(
    get,
    path = "/metadata",
    params(MetadataQuery),
    responses(
        (status = 200, description = "The object's metadata", body = MetadataJson),
        (status = 400, description = "bucket or key missing, a bucket S3 could not have (a `/`, upper case), or a key over 1024 bytes", body = ErrorBody),
        (status = 404, description = "No event recorded this object (or it was removed), or another owner's", body = ErrorBody),
        (status = 500, description = "Storage failure", body = ErrorBody),
    )
)]
pub async fn get_metadata(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<MetadataQuery>,
) -> ApiResult<Json<MetadataJson>> {
    let (Some(bucket), Some(key)) = (q.bucket, q.key) else {
        return Err(ApiError::bad_request(
            "Missing required query parameters: bucket and key",
        ));
    };
    let meta = state.backend.metadata(&caller, &bucket, &key).await?;
    Ok(Json(meta.into()))
}

/// Any other path under an API prefix.
pub async fn not_found() -> ApiError {
    ApiError(FerryError::NotFound("No such API route".into()))
}

/// Any path under `/api/` that is no server function: a 404 in the server functions' own
/// error shape (`{"NotFound": "…"}`), as their clients read it.
pub async fn no_such_server_fn() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(FerryError::NotFound("no such server function".into())),
    )
        .into_response()
}

pub async fn method_not_allowed() -> ApiError {
    ApiError(FerryError::MethodNotAllowed(
        "Method not allowed on this route".into(),
    ))
}
