//! Browser glue shared by the pages (hydrate only): timers, page visibility, the clipboard,
//! modal dialogs, a ranged GET, and polling with backoff.

use js_sys::{Function, Promise};
use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;

/// Waits `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let promise = Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
    });
    let _ = JsFuture::from(promise).await;
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Whether the tab is in the background (then nothing polls).
pub fn document_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Copies `text` to the clipboard; `false` if the browser refused.
pub async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    JsFuture::from(promise).await.is_ok()
}

/// Opens the `<dialog>` with this id as a modal (focus moves into it; Escape closes it).
pub fn show_dialog(id: &str) {
    if let Some(dialog) = element(id).and_then(|e| e.dyn_into::<web_sys::HtmlDialogElement>().ok())
    {
        if !dialog.open() {
            let _ = dialog.show_modal();
        }
    }
}

pub fn close_dialog(id: &str) {
    if let Some(dialog) = element(id).and_then(|e| e.dyn_into::<web_sys::HtmlDialogElement>().ok())
    {
        dialog.close();
    }
}

/// Moves keyboard focus to the element with this id.
pub fn focus(id: &str) {
    if let Some(el) = element(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

fn element(id: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// The first `bytes` bytes of `url` as text (a `Range` request, so a large file is not
/// fetched whole), and whether more came back than that.
pub async fn fetch_head(url: &str, bytes: u64) -> Result<(String, bool), String> {
    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| "no XMLHttpRequest".to_string())?;
    xhr.open("GET", url).map_err(|_| "bad URL".to_string())?;
    xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);
    let _ = xhr.set_request_header("Range", &format!("bytes=0-{}", bytes.saturating_sub(1)));
    let done = Promise::new(&mut |resolve: Function, _| {
        let on_end = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        xhr.set_onloadend(Some(on_end.unchecked_ref()));
    });
    xhr.send()
        .map_err(|_| "the request could not be sent".to_string())?;
    let _ = JsFuture::from(done).await;
    let status = xhr.status().unwrap_or(0);
    if !(200..300).contains(&status) {
        return Err(if status == 0 {
            "network error".to_string()
        } else {
            format!("storage answered {status}")
        });
    }
    let body = xhr
        .response()
        .ok()
        .map(|r| js_sys::Uint8Array::new(&r).to_vec())
        .unwrap_or_default();
    // A server that ignores Range sends the whole file.
    let more = body.len() as u64 > bytes;
    let mut body = body;
    body.truncate(bytes as usize);
    Ok((crate::format::utf8_prefix(&body), more))
}

/// Shortest and longest pause between polls; after [`POLL_QUIET_MS`] without a change the
/// pause grows to [`POLL_SETTLED_MS`].
pub const POLL_MIN_MS: u32 = 1000;
pub const POLL_MAX_MS: u32 = 5000;
pub const POLL_QUIET_MS: f64 = 120_000.0;
pub const POLL_SETTLED_MS: u32 = 15_000;

/// What one poll found.
pub enum Poll {
    /// Nothing to watch right now (settled); ask again later without a request.
    Idle,
    /// Polled; whether anything changed.
    Polled {
        changed: bool,
    },
    Failed,
}

/// Calls `tick` repeatedly while the current component lives: soon after a change, then
/// backing off to [`POLL_MAX_MS`] while nothing changes, then to [`POLL_SETTLED_MS`] once
/// nothing has changed for a while (and further after failures). Nothing runs while the tab
/// is hidden; coming back polls at once.
pub fn poll_while_mounted<F, Fut>(mut tick: F)
where
    F: FnMut() -> Fut + 'static,
    Fut: Future<Output = Poll> + 'static,
{
    let alive = Arc::new(AtomicBool::new(true));
    {
        let alive = alive.clone();
        leptos::prelude::on_cleanup(move || alive.store(false, Ordering::Relaxed));
    }
    leptos::task::spawn_local(async move {
        let mut delay = POLL_MIN_MS;
        let mut was_hidden = false;
        let mut last_change = now_ms();
        loop {
            // Short sleeps while waiting, so hiding and showing the tab are noticed quickly.
            let mut waited = 0;
            while waited < delay {
                sleep(250).await;
                waited += 250;
                if !alive.load(Ordering::Relaxed) {
                    return;
                }
                if document_hidden() {
                    was_hidden = true;
                    waited = 0;
                } else if was_hidden {
                    was_hidden = false;
                    break;
                }
            }
            let cap = if now_ms() - last_change < POLL_QUIET_MS {
                POLL_MAX_MS
            } else {
                POLL_SETTLED_MS
            };
            delay = match tick().await {
                _ if !alive.load(Ordering::Relaxed) => return,
                Poll::Idle => POLL_MIN_MS,
                Poll::Polled { changed: true } => {
                    last_change = now_ms();
                    POLL_MIN_MS
                }
                Poll::Polled { changed: false } => (delay * 3 / 2).min(cap),
                Poll::Failed => (delay * 2).min(30_000),
            };
        }
    });
}
