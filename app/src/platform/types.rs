//! The types both twins share: what a picked file and a PUT's outcome look like.

/// A file someone picked, dropped or pasted (the host's own file type), and the path to show
/// and store for it (its path inside a dropped or picked folder, else its name).
pub struct Picked<F> {
    pub file: F,
    pub path: String,
}

/// How a [`put`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored; the storage's ETag for the bytes (needed to complete a multipart upload).
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

/// What a host call answers where there is no browser.
pub const NOT_IN_A_BROWSER: &str = "not in a browser";
