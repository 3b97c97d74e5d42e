//! Ferry's server: server-side rendering, static files and (soon) the asset API, as one axum
//! [`Router`] that runs the same under `ferry serve` and inside AWS Lambda.

pub mod api;
pub mod aws;
pub mod cli;
pub mod error;
pub mod events;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "local")]
pub mod local;
pub mod objects;
pub mod service;
pub mod services;
pub mod site;
pub mod store;

use app::{api::SharedBackend, shell, App, SiteAssets};
use axum::{
    extract::{FromRef, Request},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    Router,
};
use leptos::prelude::{provide_context, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

/// Shared state handed to every handler.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub assets: SiteAssets,
    /// The asset service, for REST handlers; server functions get it through context.
    pub backend: SharedBackend,
}

/// Builds the whole HTTP application: pages, server functions, REST API and static files.
pub fn app(site: site::Site, services: &services::Services) -> Router {
    let site::Site { options, assets } = site;
    let backend: SharedBackend = services.assets.clone();
    let state = AppState {
        leptos_options: options.clone(),
        assets: assets.clone(),
        backend: backend.clone(),
    };
    let context = move || provide_context(backend.clone());
    let routes = generate_route_list(App);
    let render_shell = {
        let assets = assets.clone();
        move |options: LeptosOptions| shell(options, assets.clone())
    };

    Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let render_shell = render_shell.clone();
            let options = options.clone();
            move || render_shell(options.clone())
        })
        .merge(api::router())
        .nest_service("/pkg", site::pkg_service(&options, &assets))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, render_shell))
        .layer(middleware::from_fn(server_fn_error_status))
        .layer(middleware::from_fn(canonical_path))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `/assets/` → 308 `/assets`: one URL per page, whatever the trailing slash.
/// Paths starting with `//` are left alone: redirecting them would point at another host.
async fn canonical_path(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') && !path.starts_with("//") {
        let mut target = path.trim_end_matches('/').to_string();
        if target.is_empty() {
            target.push('/');
        }
        if let Some(query) = req.uri().query() {
            target.push('?');
            target.push_str(query);
        }
        return Redirect::permanent(&target).into_response();
    }
    next.run(req).await
}

/// Server functions answer every error with 500; give them the status their [`FerryError`]
/// maps to, as REST does (the same `FerryError::status`).
///
/// [`FerryError`]: app::api::FerryError
async fn server_fn_error_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != http::StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(err) = serde_json::from_slice::<app::api::FerryError>(&bytes) {
        parts.status = err.status();
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
