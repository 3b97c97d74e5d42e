//! Ferry's server: pages rendered on the server, the UI's server functions, the REST API and
//! static files, as one axum [`Router`] ([`app`]) that runs the same under `ferry serve` and
//! inside AWS Lambda. See ARCHITECTURE.md for the map of its modules.

pub mod api;
pub mod auth;
pub mod aws;
pub mod config;
pub mod data_dir;
pub mod fair_use;
pub mod headers;
pub mod keys;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod listener;
#[cfg(feature = "local")]
pub mod local;
pub mod metrics;
pub mod notifications;
pub mod objects;
pub mod reconcile;
pub mod service;
pub mod services;
pub mod shares;
pub mod site;
pub mod state;
pub mod storage;
pub mod thumbnails;

use app::{api::SharedBackend, shell, App};
use axum::{
    extract::Request,
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    Router,
};
use leptos::prelude::{provide_context, use_context, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
pub use state::AppState;
use tower_http::trace::TraceLayer;

/// Builds the whole HTTP application: pages, server functions, REST API and static files,
/// behind [`auth::authenticate`], which checks every request and establishes its [`Caller`](app::domain::Caller)
/// (the local owner without sign-in), and [`headers::security_headers`] on every response.
pub fn app(site: site::Site, services: &services::Services) -> Router {
    let options = &site.options;
    let sources = headers::Sources {
        s3: services.s3_origin.clone(),
        // `<AutoReload>` renders its script only then.
        reload_port: std::env::var_os("LEPTOS_WATCH")
            .map(|_| options.reload_external_port.unwrap_or(options.reload_port)),
    };
    routes(site, services)
        .layer(middleware::from_fn_with_state(
            fair_use::FairUse::new(
                services.store.clone(),
                services.settings.limits.upload_rate_limit,
                services.access.signs_in(),
            ),
            fair_use::limit,
        ))
        .layer(middleware::from_fn_with_state(
            services.access.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn(canonical_path))
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::new(sources),
            headers::security_headers,
        ))
        .layer(compression())
        .layer(TraceLayer::new_for_http())
}

/// Pages, server-function and REST answers compressed as the client accepts (brotli, else
/// gzip; `Vary: accept-encoding`). The bundle's files are served precompressed
/// (`site::pkg_service`), and an answer that already has a `Content-Encoding` is left as it
/// is. No page carries a secret an attacker could guess byte by byte through its compressed
/// size (BREACH): requests that change something are checked by origin, not by a token in
/// the page.
fn compression() -> tower_http::compression::CompressionLayer {
    // Only brotli and gzip are built in (tower-http's features), at its levels for dynamic
    // content (brotli 4).
    tower_http::compression::CompressionLayer::new()
}

/// The application without [`auth::authenticate`]: whoever serves it must insert a
/// [`Caller`](app::domain::Caller) into every request's extensions (the tests use it to act as any caller); a
/// request without one fails (500).
pub fn routes(site: site::Site, services: &services::Services) -> Router {
    let site::Site { options, assets } = site;
    let backend: SharedBackend = services.assets.clone();
    let state = AppState {
        leptos_options: options.clone(),
        assets: assets.clone(),
        backend: backend.clone(),
    };
    let context = {
        let assets = assets.clone();
        move || {
            provide_context(backend.clone());
            // The lazy routes preload their modules from it (`app::site::preload_lazy_view`).
            provide_context(assets.clone());
            use_csp_nonce();
        }
    };
    let routes = route_list();
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
        .merge(auth::router(services.access.clone()))
        .nest_service("/pkg", site::pkg_service(&options, &assets))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, render_shell))
        .layer(middleware::from_fn(api::server_fn_bodies))
        .layer(axum::extract::DefaultBodyLimit::max(api::MAX_BODY_BYTES))
        .layer(middleware::from_fn(api::errors_layer))
        .with_state(state)
}

/// Renders this response's inline scripts with the nonce its Content-Security-Policy names
/// ([`headers::CspNonce`], put into the request by [`headers::security_headers`]). Without
/// one (a router served without that layer) Leptos' own random nonce stays.
fn use_csp_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<headers::CspNonce>().cloned());
    if let Some(headers::CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// The app's page routes, generated once per process. Generating them raises leptos'
/// process-wide "suppress resource loads" flag for a moment, and a page rendering at that
/// moment on another thread waits for its data forever (leptos-rs/leptos#4773): a second
/// router built while a first one serves (as tests do) must not generate them again.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// `/assets/` → 308 `/assets`: one URL per page, whatever the trailing slash.
/// Paths starting with `//` are left alone: redirecting them would point at another host.
/// A path with `.` or `..` segments is a 404.
async fn canonical_path(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // Browsers resolve `.` and `..` before they ask; a path that still has them names
    // nothing here (it would otherwise match a route it only looks like).
    if path
        .split('/')
        .any(|segment| matches!(segment, "." | "..") || segment.eq_ignore_ascii_case("%2e%2e"))
    {
        return api::ApiError(app::api::FerryError::NotFound(
            "a path with `.` or `..` segments names nothing".into(),
        ))
        .into_response();
    }
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
