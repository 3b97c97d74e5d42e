//! The built browser assets (stylesheet, JS glue, WebAssembly) and the `<head>` tags that load
//! them.
//!
//! `scripts/build-site.sh` writes content-hashed files into `<site_root>/pkg/` and a
//! `manifest.json` naming them, so they can be cached forever. Without a manifest (e.g. a
//! `cargo leptos build` layout) the plain `ferry.css` / `ferry.js` / `ferry.wasm` names are used.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// File names (relative to `/pkg/`) of the stylesheet, the wasm-bindgen JS glue and the module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteAssets {
    pub css: String,
    pub js: String,
    pub wasm: String,
    /// True when the names carry a content hash (safe to cache immutably).
    #[serde(default)]
    pub hashed: bool,
}

impl SiteAssets {
    /// The unhashed names cargo-leptos produces for `output_name`.
    pub fn unhashed(output_name: &str) -> Self {
        Self {
            css: format!("{output_name}.css"),
            js: format!("{output_name}.js"),
            wasm: format!("{output_name}.wasm"),
            hashed: false,
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
