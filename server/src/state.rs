//! The state every handler is given: the site's options and bundle, and the asset service.

use app::{api::SharedBackend, SiteAssets};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

/// Shared state handed to every handler.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub assets: SiteAssets,
    /// The asset service, for REST handlers; server functions get it through context.
    pub backend: SharedBackend,
}
