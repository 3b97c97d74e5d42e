//! The built browser assets (stylesheet, JS glue, WebAssembly) and the `<head>` tags that load
//! them.
//!
//! A page paints from its first response, before any script: the stylesheet the server has
//! read is inlined (no request stands between the HTML and the first paint), and the script
//! that hydrates the page (`site/boot.js`) starts fetching the WebAssembly only once the page
//! has been painted, all of its modules side by side. A cargo-leptos layout (the server has
//! not read the stylesheet) links the stylesheet instead.
//!
//! `scripts/build-site.sh` writes content-hashed files into `<site_root>/pkg/` and a
//! `manifest.json` naming them, so they can be cached forever. Without a manifest (e.g. a
//! `cargo leptos build` layout) the plain `ferry.css` / `ferry.js` / `ferry.wasm` names are used.
//!
//! The bundle is split at the lazy routes: the manifest also names the split modules' loader
//! and, for each lazy view, the modules it needs, which the server names in the page for the
//! route it renders ([`preload_lazy_view`]), so hydration never waits for a module it could
//! have fetched at once. (Leptos's own `WasmSplitManifest` mechanism misses the lazy routes of
//! every `SsrMode::Async` page after the first: `leptos_axum` provides its record of them
//! only after rendering has begun.)

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, sync::Arc};

/// The `<meta name>` of the tags naming the modules a page's route needs (read by `boot.js`).
const MODULE_META: &str = "ferry-module";

/// Hydrates the page once it is painted; the server puts `js` and `wasm` before it. Sent
/// without its comment lines.
static BOOT_SCRIPT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    include_str!("site/boot.js")
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
});

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
    /// The stylesheet's text, inlined into every page when the server has read it (not part
    /// of the manifest: the server reads the file the manifest names).
    #[serde(skip)]
    pub inline_css: Option<Arc<str>>,
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
            inline_css: None,
        }
    }
}

/// The stylesheet (inline when the server has read it) and the script that hydrates the page
/// once it is painted, both with the response's CSP nonce.
#[component]
pub fn HeadAssets(assets: SiteAssets) -> impl IntoView {
    let script = format!(
        "const js = {js:?}, wasm = {wasm:?};\n{boot}",
        js = format!("/pkg/{}", assets.js),
        wasm = format!("/pkg/{}", assets.wasm),
        boot = BOOT_SCRIPT.as_str(),
    );
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    view! {
        <Stylesheet assets nonce=nonce.clone() />
        <script type="module" nonce=nonce inner_html=script></script>
    }
}

/// The stylesheet: inline with `nonce` when the server has read it, else linked. Every page
/// the server sends has it this way (those without the bundle too).
#[component]
pub fn Stylesheet(assets: SiteAssets, nonce: Option<String>) -> impl IntoView {
    match assets.inline_css {
        Some(text) => view! { <style nonce=nonce inner_html=text.to_string()></style> }.into_any(),
        None => view! { <link rel="stylesheet" href=format!("/pkg/{}", assets.css) /> }.into_any(),
    }
}

/// Names the split modules of the lazy view `view` (`upload_route` for `UploadRoute`'s), and
/// their loader, in the `<head>` of the page the server is rendering, for `boot.js` to fetch
/// with the main module: the lazy routes call it as they are matched. In the browser it does
/// nothing, and is compiled out: the loader fetches what a lazy route needs as it is matched.
pub fn preload_lazy_view(view: &str) {
    use leptos_meta::Meta;
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
    let hrefs = modules
        .map(|module| format!("/pkg/{module}.wasm"))
        .chain([format!("/pkg/{split}")]);
    for href in hrefs {
        _ = view! { <Meta name=MODULE_META content=href /> }.to_html();
    }
}
