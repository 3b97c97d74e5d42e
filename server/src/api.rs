//! The REST API, seed-compatible: `/asset`, `/asset/{id}`, `/metadata`. Handlers only parse
//! and format; [`AssetService`](crate::service::AssetService) does the work.
//!
//! Every error is a [`FerryError`] turned into a response in one place ([`ApiError`]): status
//! from [`FerryError::status`], body `{"error": "...", "error_message": "..."}` (the second
//! for the seed's readers).

use crate::{store::timestamp as time, AppState};
use app::{
    api::{FerryError, ListParams, NewUpload, SortOrder},
    domain::{Asset, AssetId, AssetStatus, ObjectMetadata},
};
use axum::{
    body::Bytes,
    extract::{
        rejection::BytesRejection, DefaultBodyLimit, FromRequest, Path, RawQuery, Request, State,
    },
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{any, get, post},
    Json, Router,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::json;

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/asset", post(create_asset).get(list_assets))
        .route(
            "/asset/{id}",
            get(download_asset).put(confirm_asset).delete(delete_asset),
        )
        .route("/asset/{id}/restore", post(restore_asset))
        .route("/assets/{id}/download", get(download_redirect))
        .route("/asset/{id}/{*rest}", any(not_found))
        .route("/metadata", get(get_metadata))
        .route("/metadata/{*rest}", any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// A [`FerryError`] as an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub FerryError);

impl From<FerryError> for ApiError {
    fn from(e: FerryError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let message = self.0.to_string();
        (
            status,
            Json(json!({ "error": message, "error_message": message })),
        )
            .into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn bad_request(msg: impl Into<String>) -> ApiError {
    ApiError(FerryError::BadRequest(msg.into()))
}

async fn not_found() -> ApiError {
    ApiError(FerryError::NotFound("No such API route".into()))
}

async fn method_not_allowed() -> ApiError {
    ApiError(FerryError::MethodNotAllowed(
        "Method not allowed on this route".into(),
    ))
}

fn parse_id(raw: &str) -> ApiResult<AssetId> {
    raw.parse()
        .map_err(|e: app::domain::InvalidAssetId| bad_request(e.to_string()))
}

/// An optional JSON body: empty means `None`; otherwise it must be JSON (by Content-Type, when
/// one is sent), at most [`MAX_BODY_BYTES`], and of the expected shape.
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(_)
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ApiError(FerryError::PayloadTooLarge(format!(
                    "request body is larger than {MAX_BODY_BYTES} bytes"
                )))
            }
            other => bad_request(format!("cannot read the request body: {other}")),
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        if let Some(ct) = content_type {
            if ct != "application/json" && !ct.ends_with("+json") {
                return Err(ApiError(FerryError::UnsupportedMediaType(format!(
                    "expected Content-Type application/json, got `{ct}`"
                ))));
            }
        }
        serde_json::from_slice(&bytes)
            .map(|v| OptionalJson(Some(v)))
            .map_err(|e| bad_request(format!("malformed JSON body: {e}")))
    }
}

/// Query parameters, with our own error for malformed ones.
fn query<T: DeserializeOwned + Default>(raw: Option<String>) -> ApiResult<T> {
    match raw {
        None => Ok(T::default()),
        Some(q) => serde_urlencoded::from_str(&q)
            .map_err(|e| bad_request(format!("bad query string: {e}"))),
    }
}

// ---- response shapes --------------------------------------------------------------------

/// An asset as the REST API shows it: the seed's field names (`asset_id`, `state`,
/// `createdAt`, `updatedAt`) plus Ferry's.
#[derive(Debug, Serialize)]
pub struct AssetJson<'a> {
    pub asset_id: String,
    pub filename: &'a str,
    pub state: AssetStatus,
    pub size: Option<u64>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
    pub content_type: &'a str,
    pub bucket: &'a str,
    pub object_key: &'a str,
    pub etag: Option<&'a str>,
    pub event_time: Option<String>,
    pub event_name: Option<&'a str>,
    pub sequencer: Option<&'a str>,
    pub deleted_from: Option<AssetStatus>,
}

impl<'a> From<&'a Asset> for AssetJson<'a> {
    fn from(a: &'a Asset) -> Self {
        AssetJson {
            asset_id: a.id.to_string(),
            filename: &a.filename,
            state: a.status,
            size: a.size,
            created_at: time(a.created_at),
            updated_at: time(a.updated_at),
            content_type: &a.content_type,
            bucket: &a.bucket,
            object_key: &a.object_key,
            etag: a.etag.as_deref(),
            event_time: a.event_time.map(time),
            event_name: a.event_name.as_deref(),
            sequencer: a.sequencer.as_deref(),
            deleted_from: a.deleted_from,
        }
    }
}

fn metadata_json(m: &ObjectMetadata) -> serde_json::Value {
    json!({
        "bucket": m.bucket,
        "object_key": m.object_key,
        "size": m.size,
        "etag": m.etag,
        "event_time": time(m.event_time),
        "event_name": m.event_name,
        "sequencer": m.sequencer,
    })
}

// ---- handlers ---------------------------------------------------------------------------

/// `POST /asset` → 201 with a presigned upload.
async fn create_asset(
    State(state): State<AppState>,
    OptionalJson(body): OptionalJson<NewUpload>,
) -> ApiResult<Response> {
    let ticket = state
        .backend
        .create_upload(body.unwrap_or_default())
        .await?;
    let location = format!("/asset/{}", ticket.id);
    let body = json!({
        "id": ticket.id.to_string(),
        "asset_id": ticket.id.to_string(),
        "upload_url": ticket.upload_url,
        "expires_at": time(ticket.expires_at),
        "method": ticket.method,
        "headers": ticket.headers,
        "bucket": ticket.bucket,
        "object_key": ticket.object_key,
    });
    let mut headers = HeaderMap::new();
    if let Ok(v) = location.parse() {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::CREATED, headers, Json(body)).into_response())
}

/// Unknown parameters are ignored (cache-busters and the like).
#[derive(Debug, Default, serde::Deserialize)]
struct ListQueryParams {
    limit: Option<String>,
    cursor: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    prefix: Option<String>,
}

/// `GET /asset?status=&sort=newest|oldest|name|name_desc&prefix=&limit=&cursor=` → 200
/// `{items, next_cursor, prev_cursor}`; newest first by default, by name when searching.
async fn list_assets(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: ListQueryParams = query(raw)?;
    let limit = q
        .limit
        .map(|l| {
            l.parse::<usize>()
                .ok()
                .filter(|&n| n >= 1)
                .map(|n| n.min(crate::store::MAX_PAGE_SIZE))
                .ok_or_else(|| {
                    bad_request(format!("limit must be a whole number from 1 (got `{l}`)"))
                })
        })
        .transpose()?;
    let status = q
        .status
        .map(|s| {
            s.parse::<AssetStatus>()
                .map_err(|e| bad_request(e.to_string()))
        })
        .transpose()?;
    let sort = q
        .sort
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<SortOrder>().map_err(bad_request))
        .transpose()?;
    let page = state
        .backend
        .list(ListParams {
            status,
            limit,
            cursor: q.cursor.filter(|c| !c.is_empty()),
            sort,
            prefix: q.prefix.filter(|p| !p.is_empty()),
        })
        .await?;
    let items: Vec<AssetJson> = page.items.iter().map(AssetJson::from).collect();
    Ok(Json(json!({
        "items": items,
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
    }))
    .into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
struct DownloadQuery {
    timeout: Option<String>,
}

/// `GET /asset/{id}?timeout=SECONDS` → 202 with a presigned download.
async fn download_asset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let link = fresh_link(&state, &id, raw).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "download_url": link.download_url, "expires_at": time(link.expires_at) })),
    )
        .into_response())
}

/// `GET /assets/{id}/download?timeout=SECONDS` → 303 to a fresh presigned download: a plain
/// link that downloads (the browser follows it to S3; the server never carries the bytes).
async fn download_redirect(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let link = fresh_link(&state, &id, raw).await?;
    let mut headers = HeaderMap::new();
    let location = link
        .download_url
        .parse()
        .map_err(|_| ApiError(FerryError::Internal("unusable download URL".into())))?;
    headers.insert(header::LOCATION, location);
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok((StatusCode::SEE_OTHER, headers).into_response())
}

/// A presigned download of asset `id` for `?timeout=SECONDS` (or the default).
async fn fresh_link(
    state: &AppState,
    id: &str,
    raw: Option<String>,
) -> ApiResult<app::api::DownloadLink> {
    let id = parse_id(id)?;
    let q: DownloadQuery = query(raw)?;
    let ttl = q
        .timeout
        .map(|t| {
            t.trim()
                .parse::<u64>()
                .ok()
                .filter(|&s| s >= 1)
                .ok_or_else(|| {
                    bad_request(format!(
                        "timeout must be a whole number of seconds from 1 (got `{t}`)"
                    ))
                })
        })
        .transpose()?;
    Ok(state.backend.download_link(id, ttl).await?)
}

/// `PUT /asset/{id}` → 202 `{"status":"UPLOADED"}`.
async fn confirm_asset(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let asset = state.backend.mark_uploaded(parse_id(&id)?).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "status": asset.status })),
    )
        .into_response())
}

/// `DELETE /asset/{id}` → 204, soft delete (idempotent).
async fn delete_asset(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.backend.delete(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /asset/{id}/restore` → 200 `{"status": <restored state>}`.
async fn restore_asset(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let asset = state.backend.restore(parse_id(&id)?).await?;
    Ok(Json(json!({ "status": asset.status })).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
struct MetadataQuery {
    bucket: Option<String>,
    key: Option<String>,
}

/// `GET /metadata?bucket=B&key=K` → the object's metadata item (one GetItem).
async fn get_metadata(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: MetadataQuery = query(raw)?;
    let (Some(bucket), Some(key)) = (
        q.bucket.filter(|b| !b.is_empty()),
        q.key.filter(|k| !k.is_empty()),
    ) else {
        return Err(bad_request(
            "Missing required query parameters: bucket and key",
        ));
    };
    let meta = state.backend.metadata(&bucket, &key).await?;
    Ok(Json(metadata_json(&meta)).into_response())
}
