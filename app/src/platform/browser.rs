//! The browser side of the seam (feature `hydrate`): `web-sys` calls behind the API of
//! [`crate::platform`]. Requests, files and checksums live in submodules.

mod digest;
mod files;
mod xhr;

pub use digest::{can_hash, sha256_base64};
pub use files::{dropped_files, pasted_files, picked_files, Blob, File};
pub use xhr::{fetch_range, put, Abort};

use js_sys::Promise;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The browser is single-threaded, and its handles (files, requests) are not `Send`: values
/// holding them are kept in local storage.
pub type HostStorage = LocalStorage;

/// The browser hydrates pages; it never renders one to send.
pub const RENDERS_PAGES: bool = false;

/// Milliseconds since the Unix epoch, from the browser's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let promise = Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
    });
    let _ = JsFuture::from(promise).await;
}

/// Whether the tab is in the background.
pub fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Sets an attribute of `<html>`.
pub fn set_root_attribute(name: &str, value: &str) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute(name, value);
    }
}

/// Removes an attribute of `<html>`.
pub fn remove_root_attribute(name: &str) {
    if let Some(root) = document().document_element() {
        let _ = root.remove_attribute(name);
    }
}

/// The browser renders no response: nothing to set.
pub fn set_response_status(_status: http::StatusCode) {}

/// `https://host[:port]` of the page.
pub fn page_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Downloads what `url` answers (a link that ends at an attachment), leaving the page where
/// it is.
pub fn download(url: &str) {
    let doc = document();
    let Ok(a) = doc
        .create_element("a")
        .map(|e| e.unchecked_into::<web_sys::HtmlAnchorElement>())
    else {
        return;
    };
    a.set_href(url);
    a.set_download("");
    a.click();
}

/// A preference this browser keeps for its person (a cookie of this site, a year long, which
/// the server reads too, so pages render as chosen).
pub fn preference_get(name: &str) -> Option<String> {
    let cookies = document()
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()?
        .cookie()
        .ok()?;
    super::types::cookie_value(&cookies, name)
}

pub fn preference_set(name: &str, value: &str) {
    if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
        let _ = doc.set_cookie(&format!(
            "{name}={value}; Path=/; Max-Age=31536000; SameSite=Lax"
        ));
    }
}

/// A value from `localStorage`.
pub fn storage_get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

pub fn storage_set(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

pub fn storage_remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

fn element<T: JsCast>(id: &str) -> Option<T> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into::<T>()
        .ok()
}

/// Opens the `<dialog>` with this id as a modal (focus moves into it; Escape closes it).
pub fn show_dialog(id: &str) {
    if let Some(dialog) = element::<web_sys::HtmlDialogElement>(id) {
        if !dialog.open() {
            let _ = dialog.show_modal();
        }
    }
}

/// Closes the `<dialog>` with this id.
pub fn close_dialog(id: &str) {
    if let Some(dialog) = element::<web_sys::HtmlDialogElement>(id) {
        dialog.close();
    }
}

/// Moves keyboard focus to the element with this id.
pub fn focus(id: &str) {
    if let Some(el) = element::<web_sys::HtmlElement>(id) {
        let _ = el.focus();
    }
}

/// Selects the whole text of the input with this id.
pub fn select_text(id: &str) {
    if let Some(input) = element::<web_sys::HtmlInputElement>(id) {
        input.select();
    }
}

/// Clicks the element with this id (e.g. a hidden file input, to open its picker).
pub fn click(id: &str) {
    if let Some(el) = element::<web_sys::HtmlElement>(id) {
        el.click();
    }
}

/// Whether a click landed on a `<button>` (or inside one).
pub fn from_button(ev: &leptos::ev::MouseEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| el.closest("button").ok().flatten().is_some())
}

/// Copies `text` to the clipboard; `false` if the browser refused.
pub async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    JsFuture::from(promise).await.is_ok()
}

/// A `<Transition>` around `rows` that reports in `pending` whether it is waiting for newer
/// data (for `aria-busy` while a page of results reloads).
pub fn pending_transition<R, V>(
    fallback: fn() -> AnyView,
    pending: RwSignal<bool>,
    rows: R,
) -> impl IntoView
where
    R: Fn() -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback set_pending=pending.write_only()>
            {rows}
        </Transition>
    }
}
