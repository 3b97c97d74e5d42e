//! Files from drops, pastes and pickers (folders walked with their relative paths), as
//! [`File`]s the upload page can measure and cut into parts.

use super::super::types;
use js_sys::{Promise, Reflect};
use std::future::Future;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DataTransfer, FileSystemDirectoryEntry, FileSystemDirectoryReader, FileSystemEntry,
    FileSystemFileEntry,
};

type Picked = types::Picked<File>;

/// A file on the person's machine.
#[derive(Clone)]
pub struct File(web_sys::File);

/// Bytes to send: a whole file or a slice of one.
#[derive(Clone)]
pub struct Blob(pub(super) web_sys::Blob);

impl File {
    pub fn size(&self) -> u64 {
        self.0.size() as u64
    }

    /// The media type the browser guessed (empty when it has no idea).
    pub fn content_type(&self) -> String {
        self.0.type_()
    }

    /// Last modification, in milliseconds since the epoch.
    pub fn last_modified(&self) -> f64 {
        self.0.last_modified()
    }

    /// Bytes `start..end`; `None` if the file cannot be read.
    pub fn slice(&self, start: u64, end: u64) -> Option<Blob> {
        self.0
            .slice_with_f64_and_f64(start as f64, end as f64)
            .ok()
            .map(Blob)
    }

    /// The whole file as a body to send.
    pub fn blob(&self) -> Blob {
        Blob(self.0.clone().into())
    }

    /// A `blob:` URL of the file, for a picture of it before a byte is sent, when it is an
    /// image the page can show (`domain::media::previewable`).
    pub fn preview_url(&self) -> Option<String> {
        crate::domain::media::previewable(&self.content_type(), self.size())
            .then(|| web_sys::Url::create_object_url_with_blob(&self.0).ok())
            .flatten()
    }
}

/// Every file of a drop, folders walked recursively, sorted by path. The entries are taken
/// now, while the event is being handled; the folders are walked when the future runs.
pub fn dropped_files(ev: &leptos::ev::DragEvent) -> impl Future<Output = Vec<Picked>> + 'static {
    let contents = ev.data_transfer().map(|dt| take_drop(&dt));
    async move {
        match contents {
            Some(contents) => walk(contents).await,
            None => vec![],
        }
    }
}

/// Files chosen in the file input that fired `ev` (folder pickers give
/// `webkitRelativePath`); the input is cleared, so choosing the same file again is noticed.
pub fn picked_files(ev: &leptos::ev::Event) -> Vec<Picked> {
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return vec![];
    };
    let files = from_list(input.files());
    input.set_value("");
    files
}

/// Files pasted onto the page.
pub fn pasted_files(ev: &leptos::ev::ClipboardEvent) -> Vec<Picked> {
    ev.clipboard_data()
        .map(|dt| from_list(dt.files()))
        .unwrap_or_default()
}

/// What a drop carries.
struct DropContents {
    entries: Vec<FileSystemEntry>,
    loose: Vec<web_sys::File>,
}

fn take_drop(dt: &DataTransfer) -> DropContents {
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

async fn walk(contents: DropContents) -> Vec<Picked> {
    let mut out: Vec<Picked> = contents.loose.into_iter().map(named).collect();
    let mut stack = contents.entries;
    while let Some(entry) = stack.pop() {
        if entry.is_file() {
            let entry: FileSystemFileEntry = entry.unchecked_into();
            if let Ok(file) = file_of_entry(&entry).await {
                let full = entry.full_path();
                let path = full.trim_start_matches('/').to_string();
                out.push(Picked {
                    path: if path.is_empty() { file.name() } else { path },
                    file: File(file),
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

fn named(file: web_sys::File) -> Picked {
    Picked {
        path: file.name(),
        file: File(file),
    }
}

fn from_list(list: Option<web_sys::FileList>) -> Vec<Picked> {
    files_of(list)
        .into_iter()
        .map(|file| {
            let rel = Reflect::get(&file, &JsValue::from_str("webkitRelativePath"))
                .ok()
                .and_then(|v| v.as_string())
                .filter(|p| !p.is_empty());
            match rel {
                Some(path) => Picked {
                    path,
                    file: File(file),
                },
                None => named(file),
            }
        })
        .collect()
}

fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return vec![] };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

async fn file_of_entry(entry: &FileSystemFileEntry) -> Result<web_sys::File, JsValue> {
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
