//! The REST API, seed-compatible: `/asset`, `/asset/{id}`, `/metadata`, plus
//! `/asset/{id}/restore`, `/assets/{id}/download` and share links (`/asset/{id}/shares`,
//! `/asset/{id}/shares/{share}`, and `/s/{token}` where anyone holding a link opens it). Handlers only parse and format; the
//! [`AssetService`](crate::service::AssetService) does the work.
//!
//! - `routes`: the handlers, each annotated with its OpenAPI operation;
//! - `extract`: extractors whose rejections are the API's own JSON errors;
//! - `dto`: the typed response bodies;
//! - `share_page`: `/s/{token}`, a share link opened (a redirect, or a page saying why not);
//! - `error`: the error body, and the layer that logs internal errors once.
//!
//! The router and the OpenAPI 3.1 document (served at `/openapi.json`) are built from the
//! same list of handlers, so a route cannot exist undocumented.

mod dto;
mod error;
mod extract;
mod routes;
mod share_page;

pub use dto::{
    AssetJson, AssetListJson, CreatedShareJson, DownloadJson, MetadataJson, ShareJson,
    ShareListJson, StatusJson, UploadTicketJson,
};
pub use error::{errors_layer, ApiError, ErrorBody, ServerFnError, INTERNAL_MESSAGE};
pub use extract::{server_fn_bodies, MAX_BODY_BYTES};

use crate::state::AppState;
use axum::{
    extract::DefaultBodyLimit,
    routing::{any, get},
    Json, Router,
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ferry",
        description = "Direct-to-S3 uploads with a browsable asset catalogue. Files never pass \
                       through this API: it signs URLs the client uses with S3 directly.\n\n\
                       With sign-in on (`FERRY_AUTH=oidc`), every operation needs a token of \
                       the server's OpenID Connect issuer as `Authorization: Bearer <token>` \
                       (or a browser's session cookie), and answers `401` with \
                       `WWW-Authenticate: Bearer` without one; each caller sees only their \
                       own assets. Without sign-in (the loopback default) no credentials are \
                       needed."
    ),
    modifiers(&BearerAuth),
    security((), ("bearer" = []))
)]
struct ApiDoc;

/// The `bearer` security scheme: a JWT of the configured issuer.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An ID or access token of the issuer named by FERRY_OIDC_ISSUER, for \
                         the client FERRY_OIDC_CLIENT_ID",
                    ))
                    .build(),
            ),
        );
    }
}

/// The REST routes and their OpenAPI document.
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(routes::create_asset, routes::list_assets))
        .routes(routes!(
            routes::download_asset,
            routes::confirm_asset,
            routes::delete_asset
        ))
        .routes(routes!(routes::restore_asset))
        .routes(routes!(routes::download_redirect))
        .routes(routes!(routes::get_metadata))
        .routes(routes!(routes::bulk_assets))
        .routes(routes!(routes::bulk_share))
        .routes(routes!(routes::bulk_move))
        .routes(routes!(routes::create_folder))
        .routes(routes!(
            routes::get_folder,
            routes::rename_folder,
            routes::delete_folder
        ))
        .routes(routes!(routes::create_share, routes::list_shares))
        .routes(routes!(routes::revoke_share))
        .routes(routes!(share_page::open_share))
        .split_for_parts()
}

/// The OpenAPI 3.1 document of the REST API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().1
}

pub fn router() -> Router<AppState> {
    let (router, doc) = documented();
    let doc = std::sync::Arc::new(doc);
    router
        .route(
            "/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .route("/asset/{id}/{*rest}", any(routes::not_found))
        .route("/metadata/{*rest}", any(routes::not_found))
        .route("/folder/{id}/{*rest}", any(routes::not_found))
        // Server functions are routes of their own; any other `/api/` path is a JSON 404,
        // not the page a browser would get.
        .route("/api/{*rest}", any(routes::no_such_server_fn))
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}
