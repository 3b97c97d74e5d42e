//! Ferry's server: server-side rendering, static files and (soon) the asset API, as one axum
//! [`Router`] that runs the same under `ferry serve` and inside AWS Lambda.

pub mod aws;
pub mod cli;
pub mod error;
pub mod events;
#[cfg(feature = "local")]
pub mod local;
pub mod objects;
pub mod services;
pub mod site;
pub mod store;

use app::{shell, App, SiteAssets};
use axum::{
    extract::{FromRef, Request},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    Router,
};
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

/// Shared state handed to every handler.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub assets: SiteAssets,
}

/// Builds the whole HTTP application for a built site.
pub fn app(site: site::Site) -> Router {
    let site::Site { options, assets } = site;
    let state = AppState {
        leptos_options: options.clone(),
        assets: assets.clone(),
    };
    let routes = generate_route_list(App);
    let render_shell = {
        let assets = assets.clone();
        move |options: LeptosOptions| shell(options, assets.clone())
    };

    Router::new()
        .leptos_routes(&state, routes, {
            let render_shell = render_shell.clone();
            let options = options.clone();
            move || render_shell(options.clone())
        })
        .nest_service("/pkg", site::pkg_service(&options, &assets))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            render_shell,
        ))
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
