//! The server side of the seam (server-side rendering and native tests): the same API as the
//! browser's, for a host with no page, no person and no files. Calls that only make sense in
//! a browser do nothing or answer [`NOT_IN_A_BROWSER`]; [`sleep`] never ends; the clock is
//! the system's; the response status goes to the response being rendered.

use super::types::{PutOutcome, NOT_IN_A_BROWSER};
use leptos::prelude::*;
use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

type Picked = super::types::Picked<File>;

/// Server rendering may move between threads: values are kept in thread-safe storage (the
/// twins here are `Send + Sync`).
pub type HostStorage = SyncStorage;

/// The server renders the pages it sends.
pub const RENDERS_PAGES: bool = true;

/// Milliseconds since the Unix epoch, from the system clock.
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

/// Never ends: there is nothing to wait for while a page is rendered once.
pub async fn sleep(_ms: u32) {
    std::future::pending::<()>().await
}

/// No page is shown on the server.
pub fn page_hidden() -> bool {
    true
}

/// The server's `<html>` is written by the shell, not changed afterwards.
pub fn set_root_attribute(_name: &str, _value: &str) {}

pub fn remove_root_attribute(_name: &str) {}

/// Sets the status code of the response being rendered.
pub fn set_response_status(status: http::StatusCode) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

/// No page, no origin: links are made whole in the browser.
pub fn page_origin() -> String {
    String::new()
}

/// Downloads happen in a browser.
pub fn download(_url: &str) {}

/// A preference the browser sent with the request being rendered (its cookie).
pub fn preference_get(name: &str) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|cookies| super::types::cookie_value(cookies, name))
}

/// Preferences are set by the browser.
pub fn preference_set(_name: &str, _value: &str) {}

/// No browser storage on the server: nothing is remembered.
pub fn storage_get(_key: &str) -> Option<String> {
    None
}

pub fn storage_set(_key: &str, _value: &str) {}

pub fn storage_remove(_key: &str) {}

/// Dialogs, focus, selection and clicks happen in a browser; here they do nothing.
pub fn show_dialog(_id: &str) {}

pub fn close_dialog(_id: &str) {}

pub fn focus(_id: &str) {}

pub fn select_text(_id: &str) {}

pub fn click(_id: &str) {}

/// No clicks reach the server.
pub fn from_button(_ev: &leptos::ev::MouseEvent) -> bool {
    false
}

/// No clipboard: nothing is copied.
pub async fn copy_text(_text: &str) -> bool {
    false
}

/// The server renders once: nothing is pending afterwards (and a pending tracker would
/// outlive the request's reactive owner), so this is a plain `<Transition>`.
pub fn pending_transition<R, V>(
    fallback: fn() -> AnyView,
    _pending: RwSignal<bool>,
    rows: R,
) -> impl IntoView
where
    R: Fn() -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! { <Transition fallback>{rows}</Transition> }
}

/// No file ever exists on the server: this type has no values (its field has none).
#[derive(Clone)]
pub struct File {
    never: Never,
}

/// Bytes of a [`File`]: no values either.
#[derive(Clone)]
pub struct Blob {
    never: Never,
}

/// A type without values. Private, so code elsewhere is still compiled as reachable (it is:
/// in the browser).
#[derive(Clone)]
enum Never {}

impl File {
    pub fn size(&self) -> u64 {
        match self.never {}
    }

    pub fn content_type(&self) -> String {
        match self.never {}
    }

    pub fn last_modified(&self) -> f64 {
        match self.never {}
    }

    pub fn slice(&self, _start: u64, _end: u64) -> Option<Blob> {
        match self.never {}
    }

    pub fn blob(&self) -> Blob {
        match self.never {}
    }

    pub fn preview_url(&self) -> Option<String> {
        match self.never {}
    }
}

/// No drops reach the server.
pub fn dropped_files(_ev: &leptos::ev::DragEvent) -> impl Future<Output = Vec<Picked>> + 'static {
    std::future::ready(vec![])
}

pub fn picked_files(_ev: &leptos::ev::Event) -> Vec<Picked> {
    vec![]
}

pub fn pasted_files(_ev: &leptos::ev::ClipboardEvent) -> Vec<Picked> {
    vec![]
}

/// Marks one file's requests as cancelled (there are no requests to stop here).
#[derive(Clone, Default)]
pub struct Abort(Arc<AtomicBool>);

impl Abort {
    pub fn abort(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_aborted(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub fn reset(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// Cannot be called: there is no [`Blob`] to send.
pub async fn put(
    _url: &str,
    _headers: &[(String, String)],
    body: &Blob,
    _abort: &Abort,
    _on_progress: impl Fn(f64) + 'static,
) -> PutOutcome {
    match body.never {}
}

/// The server hashes nothing for the page.
pub fn can_hash() -> bool {
    false
}

/// Cannot be called: there is no [`Blob`] to hash.
pub async fn sha256_base64(blob: &Blob) -> Result<String, String> {
    match blob.never {}
}

/// The server does not fetch previews.
pub async fn fetch_range(_url: &str, _bytes: u64) -> Result<Vec<u8>, String> {
    Err(NOT_IN_A_BROWSER.to_string())
}
