// Leptos view types nest deeply; the upload page needs more than the default limit.
#![recursion_limit = "256"]

//! Ferry's user interface: routes, pages and the types shared by the server and the browser.
//!
//! Built twice: with `ssr` into the server (rendering HTML), and with `hydrate` into the
//! WebAssembly bundle that takes over the server-rendered page in the browser. The two
//! builds differ in one place only, [`platform`]: everything else compiles the same on both
//! sides, and browser-only work starts from effects or event handlers.
//!
//! - [`account`]: who is signed in (header, sign-in page);
//! - [`api`]: shared request/response types, the error type, the server functions;
//! - [`domain`]: ids, states, the asset record, file names and media types;
//! - [`platform`]: the browser/server seam (clock, timers, storage, dialogs, requests, files);
//! - [`poll`]: polling with backoff while a page is shown;
//! - [`format`]: how times, sizes and previews are shown;
//! - [`components`]: badges, icons, times, toasts, the delete dialog, asset actions;
//! - `pages` (browse, asset detail, not found) and [`upload`] (the upload page);
//! - `layout`, [`theme`], [`site`], [`error`]: the frame, the colour theme, the bundle's
//!   `<head>` tags, error pages.

pub mod account;
pub mod api;
pub mod components;
pub mod domain;
pub mod error;
pub mod format;
mod layout;
mod pages;
pub mod platform;
pub mod poll;
pub mod site;
pub mod theme;
pub mod upload;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Meta, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    lazy_route, path, Lazy, LazyRoute, SsrMode,
};

pub use site::SiteAssets;

/// The whole HTML document rendered by the server. Only `<body>` is hydrated. Under
/// `cargo leptos watch` (`LEPTOS_WATCH` set) the page also reloads itself after a rebuild.
pub fn shell(options: LeptosOptions, assets: SiteAssets) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                {theme::early_theme_script()}
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="icon" href="/favicon.ico" sizes="32x32" />
                <site::HeadAssets assets />
                <AutoReload options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout around the routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::Toaster::provide();
    components::Clock::provide();

    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Ferry".to_string() } else { format!("{page} · Ferry") }
        } />
        <Meta
            name="description"
            content="Ferry: drop files, they go straight to S3; browse every asset's status and metadata."
        />
        <Router>
            <layout::Layout>
                <Routes fallback=|| {
                    mark_hydrated();
                    view! { <pages::NotFound /> }
                }>
                    <Route path=path!("") view={Lazy::<UploadRoute>::new()} />
                    // Async: the server waits for the data, so the page is complete without
                    // JavaScript and an error sets the response status.
                    <Route path=path!("/assets") view={Lazy::<BrowseRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/assets/:id") view={Lazy::<AssetRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/sign-in")
                        view=|| {
                            mark_hydrated();
                            view! { <account::SignInPage /> }
                        }
                    />
                </Routes>
            </layout::Layout>
        </Router>
    }
}

/// A lazy route: its page is split into a module of its own (with the chunks pages share),
/// fetched when the route is first shown; the server preloads the modules of the page it
/// renders (`site::preload_lazy_view`, by the name the lazy view gets: the route type's in
/// snake case, which scripts/site-sizes.py uses too, to measure each route's first page).
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident, $view:literal, $page:path) => {
        $(#[$doc])*
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                site::preload_lazy_view($view);
                $route
            }
            fn view(_this: Self) -> AnyView {
                mark_hydrated();
                view! { <$page /> }.into_any()
            }
        }
    };
}

lazy_page!(
    /// `/`: the upload page.
    UploadRoute,
    "upload_route",
    upload::UploadPage
);
lazy_page!(
    /// `/assets`: the browse page.
    BrowseRoute,
    "browse_route",
    pages::BrowsePage
);
lazy_page!(
    /// `/assets/:id`: one asset's page.
    AssetRoute,
    "asset_route",
    pages::AssetPage
);

/// Sets `data-hydrated="true"` on `<html>` once the WebAssembly side has taken over the
/// route's view: every route's view calls it, so a lazy route (whose module arrives after the
/// main one) marks the page only once its own controls are live. Effects never run during
/// server rendering, so the attribute is a reliable signal for people (and tests) that
/// interactive controls now work.
fn mark_hydrated() {
    Effect::new(move |_| platform::set_root_attribute("data-hydrated", "true"));
}

/// Entry point called by the hydration script in the browser.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes hydrate once their modules are in (hydrate_body would refuse them).
    leptos::mount::hydrate_lazy(App);
}
