//! The built browser assets (stylesheet, JS glue, WebAssembly) and the `<head>` tags that load
//! them.
//!
//! `scripts/build-site.sh` writes content-hashed files into `<site_root>/pkg/` and a
//! `manifest.json` naming them, so they can be cached forever. Without a manifest (e.g. a
//! `cargo leptos build` layout) the plain `ferry.css` / `ferry.js` / `ferry.wasm` names are used.
//!
//! The bundle is split at the lazy routes: the manifest also names the split modules' loader
//! and, for each lazy view, the modules it needs, which the server preloads for the routes a
//! page renders (Leptos's `WasmSplitManifest`, read by `leptos_axum` once the page is
//! rendered), so hydration never waits for a module it could have fetched at once.

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
    let SiteAssets {
        css,
        js,
        wasm,
        split,
        preloads,
        ..
    } = assets;
    if let Some(split) = split {
        provide_context(leptos::WasmSplitManifest(
            leptos::reactive::owner::ArcStoredValue::new((
                "/pkg".to_string(),
                preloads.into_iter().collect(),
                split,
            )),
        ));
    }
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
