//! Extractors whose rejections are the API's own JSON errors: an asset id from the path, a
//! typed query string, an optional JSON body.

use super::error::ApiError;
use app::{
    api::FerryError,
    domain::{AssetId, FolderId, ShareId},
};
use axum::{
    body::Bytes,
    extract::{
        path::ErrorKind,
        rejection::{BytesRejection, PathRejection},
        FromRequest, FromRequestParts, Path, Request,
    },
    http::{header, request::Parts, StatusCode},
};
use serde::de::DeserializeOwned;

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The `{id}` of an asset route; a malformed id is a 400 naming what is wrong.
#[derive(Debug, Clone, Copy)]
pub struct AssetIdPath(pub AssetId);

impl<S: Send + Sync> FromRequestParts<S> for AssetIdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<AssetId>::from_request_parts(parts, state).await?;
        Ok(AssetIdPath(id))
    }
}

/// The `{id}` of a folder route; a malformed id is a 400 naming what is wrong.
#[derive(Debug, Clone, Copy)]
pub struct FolderIdPath(pub FolderId);

impl<S: Send + Sync> FromRequestParts<S> for FolderIdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<FolderId>::from_request_parts(parts, state).await?;
        Ok(FolderIdPath(id))
    }
}

/// The `{id}/shares/{share}` of a share link route; either malformed is a 400.
#[derive(Debug, Clone, Copy)]
pub struct SharePath(pub AssetId, pub ShareId);

impl<S: Send + Sync> FromRequestParts<S> for SharePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((id, share)) =
            Path::<(AssetId, ShareId)>::from_request_parts(parts, state).await?;
        Ok(SharePath(id, share))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        let message = match rejection {
            PathRejection::FailedToDeserializePathParams(e) => match e.into_kind() {
                ErrorKind::Message(m) => m,
                other => other.to_string(),
            },
            other => other.body_text(),
        };
        ApiError::bad_request(message)
    }
}

/// Query parameters deserialised into `T`; absent means `T::default()`, and malformed ones
/// are a 400 that says which. Unknown parameters are ignored (cache-busters and the like).
#[derive(Debug, Clone, Default)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.uri.query() {
            None => Ok(ApiQuery(T::default())),
            Some(q) => serde_urlencoded::from_str(q)
                .map(ApiQuery)
                .map_err(|e| ApiError::bad_request(format!("bad query string: {e}"))),
        }
    }
}

/// An optional JSON body: empty means `None`; otherwise it must be JSON (by Content-Type, when
/// one is sent), at most [`MAX_BODY_BYTES`], and of the expected shape.
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // A Content-Type that is no readable header value is not "none".
        let content_type = match req.headers().get(header::CONTENT_TYPE) {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .map(app::domain::media::media_type)
                    .map_err(|_| {
                        ApiError(FerryError::UnsupportedMediaType(
                            "the Content-Type header is not a readable value; expected \
                     application/json"
                                .into(),
                        ))
                    })?,
            ),
        };
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(_)
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ApiError(body_too_large())
            }
            other => ApiError(unreadable_body(other)),
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
            .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))
    }
}

/// What a body over [`MAX_BODY_BYTES`] gets, from REST and server functions alike.
fn body_too_large() -> FerryError {
    FerryError::PayloadTooLarge(format!(
        "request body is larger than {MAX_BODY_BYTES} bytes"
    ))
}

/// What a body that could not be read gets (the client stopped sending it, say).
fn unreadable_body(e: impl std::fmt::Display) -> FerryError {
    FerryError::BadRequest(format!("cannot read the request body: {e}"))
}

/// Server functions take bodies of at most [`MAX_BODY_BYTES`], as REST does, and a larger one
/// is a `413` there too (in the server functions' error shape): refused before it is read
/// when its length is declared, and cut off at the limit when it is sent in chunks. The
/// server function then reads the body held here.
pub async fn server_fn_bodies(
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::body::HttpBody as _;
    use axum::response::IntoResponse;
    use http_body_util::{BodyExt, LengthLimitError, Limited};
    let is_server_fn = req.method() == http::Method::POST && req.uri().path().starts_with("/api/");
    if !is_server_fn {
        return next.run(req).await;
    }
    let refuse = |error: FerryError| super::error::ServerFnError(error).into_response();
    // What the client declared, or what the body says of itself (in process).
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or_else(|| req.body().size_hint().lower());
    if declared > MAX_BODY_BYTES as u64 {
        return refuse(body_too_large());
    }
    let (parts, body) = req.into_parts();
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => {
            let body = axum::body::Body::from(collected.to_bytes());
            next.run(Request::from_parts(parts, body)).await
        }
        Err(e) if e.is::<LengthLimitError>() => refuse(body_too_large()),
        Err(e) => refuse(unreadable_body(e)),
    }
}

/// Serde helpers for query parameters: a value that does not parse is an error that names
/// it; an empty value is absent only where a helper says so.
pub mod param {
    use serde::{de::Error, Deserialize, Deserializer};
    use std::{fmt::Display, str::FromStr};

    /// `Option<T>` from `T: FromStr`: every value given must parse (`""` too).
    pub fn parsed<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: FromStr,
        T::Err: Display,
    {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(D::Error::custom),
        }
    }

    /// The same, with `""` meaning absent.
    pub fn parsed_or_empty<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: FromStr,
        T::Err: Display,
    {
        match Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(D::Error::custom),
        }
    }

    /// `Option<String>`; `""` is `None`.
    pub fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
    }

    /// `true` or `false` for the parameter `name` (`""` is absent).
    pub fn flag<'de, D: Deserializer<'de>>(d: D, name: &str) -> Result<Option<bool>, D::Error> {
        match Option::<String>::deserialize(d)?.as_deref() {
            None | Some("") => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(s) => Err(D::Error::custom(format!(
                "{name} must be `true` or `false` (got `{}`)",
                s.chars().take(40).collect::<String>()
            ))),
        }
    }

    /// A whole number from 1 for the parameter `name` (`""` is refused too).
    pub fn positive<'de, D: Deserializer<'de>>(d: D, name: &str) -> Result<Option<u64>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => match s.trim().parse::<u64>() {
                Ok(n) if n >= 1 => Ok(Some(n)),
                _ => Err(D::Error::custom(format!(
                    "{name} must be a whole number from 1 (got `{}`)",
                    s.chars().take(40).collect::<String>()
                ))),
            },
        }
    }
}
