//! Browser glue for uploads (hydrate only): files from drops, pastes and pickers (folders
//! walked with their relative paths), XMLHttpRequest PUTs with upload progress, timers.

use js_sys::{Function, Promise, Reflect};
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DataTransfer, File, FileSystemDirectoryEntry, FileSystemDirectoryReader, FileSystemEntry,
    FileSystemFileEntry, XmlHttpRequest,
};

/// A file and the path to show and store (relative path inside a dropped folder).
pub struct Picked {
    pub file: File,
    pub path: String,
}

/// What a drop carries. Entries must be taken while the event is being handled; walking the
/// folders can happen afterwards.
pub struct DropContents {
    entries: Vec<FileSystemEntry>,
    loose: Vec<File>,
}

pub fn take_drop(dt: &DataTransfer) -> DropContents {
    let mut entries = vec![];
    let mut loose = vec![];
    let items = dt.items();
    for i in 0..items.length() {
        let Some(item) = items.get(i) else { continue };
        if item.kind() != "file" {
            continue;
        }
        match item.webkit_get_as_entry() {
            Ok(Some(entry)) => entries.push(entry),
            _ => {
                if let Ok(Some(f)) = item.get_as_file() {
                    loose.push(f);
                }
            }
        }
    }
    if entries.is_empty() && loose.is_empty() {
        loose = files_of(dt.files());
    }
    DropContents { entries, loose }
}

/// Every file of a drop, folders walked recursively.
pub async fn walk(contents: DropContents) -> Vec<Picked> {
    let mut out: Vec<Picked> = contents
        .loose
        .into_iter()
        .map(|file| Picked {
            path: file.name(),
            file,
        })
        .collect();
    let mut stack = contents.entries;
    while let Some(entry) = stack.pop() {
        if entry.is_file() {
            let entry: FileSystemFileEntry = entry.unchecked_into();
            if let Ok(file) = file_of_entry(&entry).await {
                let full = entry.full_path();
                let path = full.trim_start_matches('/').to_string();
                out.push(Picked {
                    path: if path.is_empty() { file.name() } else { path },
                    file,
                });
            }
        } else if entry.is_directory() {
            let dir: FileSystemDirectoryEntry = entry.unchecked_into();
            let reader = dir.create_reader();
            // readEntries returns batches until an empty one.
            loop {
                let batch = read_entries(&reader).await.unwrap_or_default();
                if batch.is_empty() {
                    break;
                }
                stack.extend(batch);
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Files from a picker or a paste; folder pickers give `webkitRelativePath`.
pub fn picked_from_list(list: Option<web_sys::FileList>) -> Vec<Picked> {
    files_of(list)
        .into_iter()
        .map(|file| {
            let rel = Reflect::get(&file, &JsValue::from_str("webkitRelativePath"))
                .ok()
                .and_then(|v| v.as_string())
                .filter(|p| !p.is_empty());
            Picked {
                path: rel.unwrap_or_else(|| file.name()),
                file,
            }
        })
        .collect()
}

fn files_of(list: Option<web_sys::FileList>) -> Vec<File> {
    let Some(list) = list else { return vec![] };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

async fn file_of_entry(entry: &FileSystemFileEntry) -> Result<File, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        entry.file_with_callback_and_callback(&resolve, &reject);
    });
    Ok(JsFuture::from(promise).await?.unchecked_into())
}

async fn read_entries(reader: &FileSystemDirectoryReader) -> Result<Vec<FileSystemEntry>, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        if let Err(e) = reader.read_entries_with_callback_and_callback(&resolve, &reject) {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
    });
    let array: js_sys::Array = JsFuture::from(promise).await?.unchecked_into();
    Ok(array.iter().map(|v| v.unchecked_into()).collect())
}

/// How a PUT ended.
pub enum PutOutcome {
    /// Stored; S3's ETag for the bytes (needed to complete a multipart upload).
    Ok {
        etag: Option<String>,
    },
    /// HTTP status (0 for a network error) and the response text.
    Failed {
        status: u16,
        body: String,
    },
    Aborted,
}

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

/// `localStorage`, where unfinished multipart uploads are remembered.
pub fn storage_get(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

pub fn storage_set(key: &str, value: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(key, value);
    }
}

pub fn storage_remove(key: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.remove_item(key);
    }
}

/// PUTs `body` to a presigned URL with XMLHttpRequest (fetch has no upload progress),
/// reporting bytes sent through `on_progress`.
pub async fn put(
    url: &str,
    headers: &[(String, String)],
    body: &web_sys::Blob,
    abort: &Abort,
    on_progress: impl Fn(f64) + 'static,
) -> PutOutcome {
    if abort.is_aborted() {
        return PutOutcome::Aborted;
    }
    let xhr = match XmlHttpRequest::new() {
        Ok(x) => x,
        Err(_) => {
            return PutOutcome::Failed {
                status: 0,
                body: "XMLHttpRequest unavailable".into(),
            }
        }
    };
    if xhr.open("PUT", url).is_err() {
        return PutOutcome::Failed {
            status: 0,
            body: "bad upload URL".into(),
        };
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
    if xhr.send_with_opt_blob(Some(body)).is_err() {
        abort.untrack(&xhr);
        return PutOutcome::Failed {
            status: 0,
            body: "the request could not be sent".into(),
        };
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
