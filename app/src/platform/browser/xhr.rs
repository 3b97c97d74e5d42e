//! Requests the browser makes itself, with `XMLHttpRequest`: PUTs with upload progress
//! (fetch has none) that can be aborted, and the ranged GET of text previews.

use super::super::types::PutOutcome;
use super::files::Blob;
use js_sys::{Function, Promise, Reflect};
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::XmlHttpRequest;

/// Cancels every request of one file (a multipart upload has several in flight).
#[derive(Clone, Default)]
pub struct Abort(Rc<AbortInner>);

#[derive(Default)]
struct AbortInner {
    aborted: Cell<bool>,
    live: RefCell<Vec<XmlHttpRequest>>,
}

impl Abort {
    pub fn abort(&self) {
        self.0.aborted.set(true);
        for xhr in self.0.live.borrow_mut().drain(..) {
            let _ = xhr.abort();
        }
    }

    pub fn is_aborted(&self) -> bool {
        self.0.aborted.get()
    }

    /// Ready for another attempt (after a retry).
    pub fn reset(&self) {
        self.0.aborted.set(false);
    }

    fn track(&self, xhr: &XmlHttpRequest) {
        self.0.live.borrow_mut().push(xhr.clone());
    }

    fn untrack(&self, xhr: &XmlHttpRequest) {
        self.0
            .live
            .borrow_mut()
            .retain(|x| !js_sys::Object::is(x.as_ref(), xhr.as_ref()));
    }
}

fn failed(body: &str) -> PutOutcome {
    PutOutcome::Failed {
        status: 0,
        body: body.into(),
    }
}

/// PUTs `body` to a presigned URL, reporting bytes sent through `on_progress`.
pub async fn put(
    url: &str,
    headers: &[(String, String)],
    body: &Blob,
    abort: &Abort,
    on_progress: impl Fn(f64) + 'static,
) -> PutOutcome {
    if abort.is_aborted() {
        return PutOutcome::Aborted;
    }
    let Ok(xhr) = XmlHttpRequest::new() else {
        return failed("XMLHttpRequest unavailable");
    };
    if xhr.open("PUT", url).is_err() {
        return failed("bad upload URL");
    }
    for (name, value) in headers {
        // The browser sets these itself and refuses to be told.
        if matches!(name.as_str(), "content-length" | "host") {
            continue;
        }
        let _ = xhr.set_request_header(name, value);
    }
    let progress =
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            on_progress(e.loaded())
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    }
    let done = Promise::new(&mut |resolve: Function, _| {
        xhr.set_onloadend(Some(&resolve));
    });
    abort.track(&xhr);
    if xhr.send_with_opt_blob(Some(&body.0)).is_err() {
        abort.untrack(&xhr);
        return failed("the request could not be sent");
    }
    let event = JsFuture::from(done).await.ok();
    drop(progress);
    abort.untrack(&xhr);
    let event_type = event
        .and_then(|e| Reflect::get(&e, &JsValue::from_str("type")).ok())
        .and_then(|t| t.as_string());
    let status = xhr.status().unwrap_or(0);
    if abort.is_aborted() || (status == 0 && event_type.as_deref() == Some("abort")) {
        return PutOutcome::Aborted;
    }
    if (200..300).contains(&status) {
        PutOutcome::Ok {
            etag: xhr.get_response_header("etag").ok().flatten(),
        }
    } else {
        PutOutcome::Failed {
            status,
            body: xhr.response_text().ok().flatten().unwrap_or_default(),
        }
    }
}

/// The first `bytes` bytes of `url` (a `Range` request, so a large file is not fetched
/// whole). A server that ignores `Range` sends more: the caller cuts it.
pub async fn fetch_range(url: &str, bytes: u64) -> Result<Vec<u8>, String> {
    let xhr = XmlHttpRequest::new().map_err(|_| "no XMLHttpRequest".to_string())?;
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
    Ok(xhr
        .response()
        .ok()
        .map(|r| js_sys::Uint8Array::new(&r).to_vec())
        .unwrap_or_default())
}
