//! The built browser assets (stylesheet, JS glue, WebAssembly) and the `<head>` tags that load
//! them.
//!
//! `scripts/build-site.sh` writes content-hashed files into `<site_root>/pkg/` and a
//! `manifest.json` naming them, so they can be cached forever. Without a manifest (e.g. a
//! `cargo leptos build` layout) the plain `ferry.css` / `ferry.js` / `ferry.wasm` names are used.
//!
//! The bundle is split at the lazy routes: the manifest also names the split modules' loader
//! and, for each lazy view, the modules it needs, which the server preloads for the route a
//! page renders ([`preload_lazy_view`]), so hydration never waits for a module it could have
//! fetched at once. (Leptos's own `WasmSplitManifest` mechanism misses the lazy routes of
//! every `SsrMode::Async` page after the first: `leptos_axum` provides its record of them
//! only after rendering has begun.)

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// File names (relative to `/pkg/`) of the stylesheet, the wasm-bindgen JS glue and the module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteAssets {
    pub css: String,
    pub js: String,
    pub wasm: String,
    /// True when the names carry a content hash (safe to cache immutably).
    #[serde(default)]
    pub hashed: bool,
    /// The split modules' loader (`__wasm_split.<hash>.js`), when the bundle is split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// For each lazy view or function, the split modules it needs (file stems under `/pkg/`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub preloads: BTreeMap<String, Vec<String>>,
}

impl SiteAssets {
    /// The unhashed names cargo-leptos produces for `output_name`.
    pub fn unhashed(output_name: &str) -> Self {
        Self {
            css: format!("{output_name}.css"),
            js: format!("{output_name}.js"),
            wasm: format!("{output_name}.wasm"),
            hashed: false,
            split: None,
            preloads: BTreeMap::new(),
        }
    }
}

/// Stylesheet plus the module preloads and the script that hydrates the page (with the
/// response's CSP nonce).
#[component]
pub fn HeadAssets(assets: SiteAssets) -> impl IntoView {
    let SiteAssets { css, js, wasm, .. } = assets;
    let js_href = format!("/pkg/{js}");
    let wasm_href = format!("/pkg/{wasm}");
    let script = format!(
        "import init, {{ hydrate }} from {js:?};\
         init({{ module_or_path: {wasm:?} }}).then(() => hydrate());",
        js = js_href,
        wasm = wasm_href
    );
    view! {
        <link rel="stylesheet" href=format!("/pkg/{css}") />
        <link rel="modulepreload" href=js_href />
        <link rel="preload" href=wasm_href r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script type="module" nonce=leptos::nonce::use_nonce() inner_html=script></script>
    }
}

/// Preloads the split modules of the lazy view `view` (`upload_route` for `UploadRoute`'s),
/// and their loader, in the `<head>` of the page the server is rendering: the lazy routes
/// call it as they are matched. In the browser it does nothing, and is compiled out: the
/// loader fetches what a lazy route needs as it is matched.
pub fn preload_lazy_view(view: &str) {
    use leptos_meta::Link;
    if !crate::platform::RENDERS_PAGES {
        return;
    }
    let Some(assets) = use_context::<SiteAssets>() else {
        return;
    };
    let Some(split) = assets.split else {
        return;
    };
    let prefix = format!("__{view}_view_");
    let modules = assets
        .preloads
        .iter()
        .filter(|(lazy, _)| lazy.starts_with(&prefix))
        .flat_map(|(_, modules)| modules);
    // `to_html` on a `leptos_meta` tag registers it for the page's `<head>`.
    for module in modules {
        let href = format!("/pkg/{module}.wasm");
        _ = view! {
            <Link rel="preload" href as_="fetch" type_="application/wasm" crossorigin="" />
        }
        .to_html();
    }
    _ = view! { <Link rel="modulepreload" href=format!("/pkg/{split}") /> }.to_html();
}
