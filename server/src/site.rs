//! The built site on disk: `<site_root>/pkg/` (CSS, JS, wasm) and the public files.

use app::SiteAssets;
use axum::http::{header, HeaderValue};
use leptos::prelude::LeptosOptions;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};
use tower::ServiceBuilder;
use tower_http::{
    services::ServeDir,
    set_header::{SetResponseHeader, SetResponseHeaderLayer},
};

/// Name the build gives the bundle (`ferry.js`, `ferry.wasm`, `ferry.css`).
pub const OUTPUT_NAME: &str = "ferry";
const PKG_DIR: &str = "pkg";
const MANIFEST: &str = "manifest.json";

/// Cache policy for `/pkg`: forever when names are content-hashed, otherwise revalidate.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

#[derive(Debug, Clone)]
pub struct Site {
    pub options: LeptosOptions,
    pub assets: SiteAssets,
}

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid site manifest: {source}")]
    Manifest {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path} cannot be inlined into a page: it is not UTF-8 or it closes a <style>")]
    Stylesheet { path: PathBuf },
}

impl Site {
    /// Loads the site built under `site_root`. A missing manifest is not an error (the page
    /// still renders; hydration needs the unhashed bundle files), a corrupt one is. The
    /// stylesheet a manifest names is read, to be inlined into every page.
    pub fn load(site_root: &Path) -> Result<Site, SiteError> {
        let pkg = site_root.join(PKG_DIR);
        let manifest = pkg.join(MANIFEST);
        let assets = match std::fs::read(&manifest) {
            Ok(bytes) => {
                let mut assets: SiteAssets =
                    serde_json::from_slice(&bytes).map_err(|source| SiteError::Manifest {
                        path: manifest.clone(),
                        source,
                    })?;
                assets.inline_css = Some(inline_stylesheet(&pkg.join(&assets.css))?);
                assets
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(
                    path = %manifest.display(),
                    "no site manifest: serving the unhashed ferry.css/js/wasm of a cargo-leptos build \
                     (scripts/build-site.sh writes hashed ones and a manifest)"
                );
                SiteAssets::unhashed(OUTPUT_NAME)
            }
            Err(source) => {
                return Err(SiteError::Read {
                    path: manifest,
                    source,
                })
            }
        };
        let options = LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(site_root.to_string_lossy().into_owned())
            .site_pkg_dir(PKG_DIR)
            .build();
        Ok(Site { options, assets })
    }
}

/// The text of the stylesheet at `path`, if it can stand inside a `<style>` element.
fn inline_stylesheet(path: &Path) -> Result<Arc<str>, SiteError> {
    let bytes = std::fs::read(path).map_err(|source| SiteError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let unfit = || SiteError::Stylesheet {
        path: path.to_path_buf(),
    };
    let text = String::from_utf8(bytes).map_err(|_| unfit())?;
    if text.to_ascii_lowercase().contains("</style") {
        return Err(unfit());
    }
    Ok(text.into())
}

/// Serves `/pkg/*` with precompressed `.gz` variants and the right cache policy.
pub fn pkg_service(
    options: &LeptosOptions,
    assets: &SiteAssets,
) -> SetResponseHeader<SetResponseHeader<ServeDir, HeaderValue>, HeaderValue> {
    let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let policy = if assets.hashed { IMMUTABLE } else { REVALIDATE };
    ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(policy),
        ))
        // The body depends on Accept-Encoding (precompressed variants): caches must know.
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        .service(ServeDir::new(dir).precompressed_gzip())
}
