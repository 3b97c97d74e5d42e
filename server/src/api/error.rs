//! How errors leave the server: one [`FerryError`] → status mapping (`FerryError::status`),
//! one JSON body for REST ([`ErrorBody`]), and one layer ([`errors_layer`]) that logs every
//! internal error once, with its detail, and shows the client only that something failed.
//!
//! Internal errors carry their cause in `FerryError::Internal` up to the HTTP boundary: REST
//! handlers put it in a response extension, server functions in their serialised error. The
//! layer logs it and replaces it with [`INTERNAL_MESSAGE`], so no path leaks a backend
//! message, and nothing below the boundary logs the same failure again.

use app::api::FerryError;
use axum::{
    body::Body,
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

/// What a client is told about an internal error.
pub const INTERNAL_MESSAGE: &str = "internal error; see the server log";

/// Every REST error body: the message twice, as `error` (Ferry's) and `error_message` (the
/// seed API's field name).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    #[schema(example = "Asset not found")]
    pub error: String,
    #[schema(example = "Asset not found")]
    pub error_message: String,
}

/// A [`FerryError`] as an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub FerryError);

impl From<FerryError> for ApiError {
    fn from(e: FerryError) -> Self {
        ApiError(e)
    }
}

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> ApiError {
        ApiError(FerryError::BadRequest(msg.into()))
    }
}

/// The cause of an internal error, for [`errors_layer`] to log.
#[derive(Debug, Clone)]
struct InternalCause(String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let retry_after = self.0.retry_after();
        let (message, cause) = match self.0 {
            FerryError::Internal(cause) => (INTERNAL_MESSAGE.to_string(), Some(cause)),
            other => (other.to_string(), None),
        };
        let body = ErrorBody {
            error: message.clone(),
            error_message: message,
        };
        let mut res = (status, Json(body)).into_response();
        if let Some(cause) = cause {
            res.extensions_mut().insert(InternalCause(cause));
        }
        set_retry_after(res.headers_mut(), retry_after);
        res
    }
}

/// `res` (a page, say) marked as the answer to an internal error whose `cause` the
/// [`errors_layer`] logs.
pub fn with_internal_cause(mut res: Response, cause: String) -> Response {
    res.extensions_mut().insert(InternalCause(cause));
    res
}

/// A [`FerryError`] as a server function's response: the error itself as JSON (which the
/// server function's client decodes), with its status.
#[derive(Debug)]
pub struct ServerFnError(pub FerryError);

impl IntoResponse for ServerFnError {
    fn into_response(self) -> Response {
        let mut res = (self.0.status(), Json(&self.0)).into_response();
        set_retry_after(res.headers_mut(), self.0.retry_after());
        res
    }
}

/// `Retry-After: <seconds>` (RFC 9110 §10.2.3) when the error says when to ask again.
fn set_retry_after(headers: &mut http::HeaderMap, after: Option<std::time::Duration>) {
    if let Some(after) = after {
        headers.insert(http::header::RETRY_AFTER, after.as_secs().max(1).into());
    }
}

/// Logs each internal error once and keeps its detail from the client; gives server
/// functions' errors the status their [`FerryError`] maps to (server functions answer every
/// error with 500), as REST does.
pub async fn errors_layer(req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let mut res = next.run(req).await;
    if let Some(InternalCause(cause)) = res.extensions_mut().remove::<InternalCause>() {
        tracing::error!(%method, %path, error = %cause, "internal error");
        return res;
    }
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(err) = serde_json::from_slice::<FerryError>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.status = err.status();
    set_retry_after(&mut parts.headers, err.retry_after());
    let err = match err {
        FerryError::Internal(cause) => {
            tracing::error!(%method, %path, error = %cause, "internal error");
            FerryError::Internal(INTERNAL_MESSAGE.into())
        }
        other => other,
    };
    parts.headers.remove(http::header::CONTENT_LENGTH);
    let body = serde_json::to_vec(&err).expect("errors serialise");
    Response::from_parts(parts, Body::from(body))
}
