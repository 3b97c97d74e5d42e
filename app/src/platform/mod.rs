//! The one seam between the browser and the server.
//!
//! Everything the app needs from its host — the clock, timers, page visibility, local
//! storage, preferences (cookies the server reads too), dialogs and focus, the clipboard, the
//! page's origin, HTTP requests the browser makes itself, checksums
//! of what it sends, the files people pick, drop or paste, attributes of `<html>`, whether it
//! renders pages, and the status of the response being rendered — is one small API with two
//! implementations of the same signatures:
//!
//! - `browser` (feature `hydrate`): the real thing, through `web-sys`;
//! - `server` (otherwise: server-side rendering and native tests): honest twins. What cannot
//!   happen on a server does nothing or answers "not in a browser", [`sleep`] never ends,
//!   the clock is the system's, and the file types have no values at all.
//!
//! This is the only module that chooses by feature; the rest of the app calls these
//! functions and compiles the same on both sides. Browser-only work starts from
//! `Effect::new` or from event handlers, neither of which runs while the server renders.

use chrono::{DateTime, Utc};

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
compile_error!("build `app` with `ssr` (inside the server) or `hydrate` (the browser bundle)");

mod types;

#[cfg(feature = "hydrate")]
mod browser;
#[cfg(feature = "hydrate")]
use browser as host;

#[cfg(not(feature = "hydrate"))]
mod server;
#[cfg(not(feature = "hydrate"))]
use server as host;

pub use host::{
    can_hash, click, close_dialog, copy_text, download, dropped_files, fetch_range, focus,
    from_button, now_ms, page_hidden, page_origin, pasted_files, pending_transition, picked_files,
    preference_get, preference_set, put, remove_root_attribute, select_text, set_response_status,
    set_root_attribute, sha256_base64, show_dialog, sleep, storage_get, storage_remove,
    storage_set, Abort, Blob, File, HostStorage, RENDERS_PAGES,
};
pub use types::{PutOutcome, NOT_IN_A_BROWSER};

/// A file someone picked, dropped or pasted, with the path to show and store for it.
pub type Picked = types::Picked<File>;

/// The current time: the browser's clock in the browser, the system clock on the server.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(now_ms() as i64).unwrap_or_default()
}
