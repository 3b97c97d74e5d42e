//! `GET /s/{token}`: a share link opened, by whoever holds it (no sign-in: the token is the
//! permission). The use is counted and the answer is a `303` to a fresh short-lived
//! presigned GET, so the file comes from S3; a link that does not open gets a small page of
//! its own that says why, with the status: 404 for an unknown link, 410 for one revoked,
//! expired, used up or whose file is gone. The page is the server's alone (no script, no
//! hydration), so sharing adds nothing to the browser bundle.

use super::error::{with_internal_cause, INTERNAL_MESSAGE};
use crate::{headers::CspNonce, state::AppState};
use app::{api::FerryError, site::Stylesheet, SiteAssets};
use axum::{
    extract::{rejection::PathRejection, Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
    Extension,
};
use leptos::prelude::*;

/// Opens the link: `303` to the file, or the page that says why not.
#[utoipa::path(
    get,
    path = "/s/{token}",
    params(("token" = String, Path, description = "The link's secret (43 characters)")),
    security(()),
    responses(
        (status = 303, description = "Redirect to a presigned GET of the file; the use is counted",
            headers(("location" = String, description = "The presigned URL"))),
        (status = 404, description = "No link has this address (an HTML page)", content_type = "text/html"),
        (status = 410, description = "The link was revoked, has expired, was used up, or its file is gone (an HTML page that says which)", content_type = "text/html"),
        (status = 500, description = "Storage failure (an HTML page)", content_type = "text/html"),
    )
)]
pub async fn open_share(
    State(state): State<AppState>,
    nonce: Option<Extension<CspNonce>>,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    // A path that is no token (undecodable, say) names no link either.
    let token = token.map(|Path(t)| t).unwrap_or_default();
    let nonce = nonce.map(|Extension(CspNonce(n))| n);
    match state.backend.open_share(&token).await {
        Ok(link) => match HeaderValue::from_str(&link.download_url) {
            Ok(location) => (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, location),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
            )
                .into_response(),
            Err(_) => refused(
                FerryError::Internal("unusable download URL".into()),
                &state.assets,
                nonce,
            ),
        },
        Err(e) => refused(e, &state.assets, nonce),
    }
}

/// The page for a link that did not open, with `e`'s status (an internal error's cause goes
/// to the errors layer's log, not to the page).
fn refused(e: FerryError, assets: &SiteAssets, nonce: Option<String>) -> Response {
    let status = e.status();
    let (message, cause) = match e {
        FerryError::Internal(cause) => (INTERNAL_MESSAGE.to_string(), Some(cause)),
        other => (other.to_string(), None),
    };
    let heading = match status {
        StatusCode::GONE => "This link no longer works",
        StatusCode::NOT_FOUND => "Link not found",
        _ => "Something went wrong",
    };
    let mut res = (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Html(document(heading, &message, assets, nonce)),
    )
        .into_response();
    if let Some(cause) = cause {
        res = with_internal_cause(res, cause);
    }
    res
}

/// A whole page in Ferry's style: the stylesheet (inline with the response's nonce when
/// the server has read it) and the message, as text.
fn document(heading: &str, message: &str, assets: &SiteAssets, nonce: Option<String>) -> String {
    let page = view! {
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                // The address itself is the secret: nothing here is for search engines.
                <meta name="robots" content="noindex" />
                <title>{format!("{heading} · Ferry")}</title>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <Stylesheet assets=assets.clone() nonce />
            </head>
            <body>
                <header class="site-header">
                    <span class="brand">"Ferry"</span>
                </header>
                <main id="main">
                    <section class="panel panel-error" role="alert" data-testid="share-refused">
                        <h1>{heading.to_string()}</h1>
                        <p>{message.to_string()}</p>
                        <p class="muted">"Ask the person who shared it for a new link."</p>
                    </section>
                </main>
            </body>
        </html>
    };
    format!("<!DOCTYPE html>{}", page.to_html())
}
