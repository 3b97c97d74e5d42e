//! Checksums of the bytes the upload page sends, by the browser's WebCrypto: the hashing runs
//! off the main thread (the page stays responsive) and adds no code to the bundle.

use super::files::Blob;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

fn reason(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(&e, &"message".into())
                .ok()?
                .as_string()
        })
        .unwrap_or_else(|| "the file could not be read".into())
}

/// Whether this page can hash: WebCrypto exists only in secure contexts (HTTPS, localhost).
pub fn can_hash() -> bool {
    web_sys::window().is_some_and(|w| w.is_secure_context() && w.crypto().is_ok())
}

/// The SHA-256 of `blob`, base64 (as S3's `x-amz-checksum-sha256` wants it). Reads the
/// bytes from disk again each time: a file that changed since is hashed as it is now.
pub async fn sha256_base64(blob: &Blob) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let subtle = window.crypto().map_err(reason)?.subtle();
    let bytes = JsFuture::from(blob.0.array_buffer())
        .await
        .map_err(reason)?;
    let digest = subtle
        .digest_with_str_and_buffer_source("SHA-256", &bytes.into())
        .map_err(reason)?;
    let digest = JsFuture::from(digest).await.map_err(reason)?;
    let binary: String = js_sys::Uint8Array::new(&digest)
        .to_vec()
        .into_iter()
        .map(char::from)
        .collect();
    window.btoa(&binary).map_err(reason)
}
