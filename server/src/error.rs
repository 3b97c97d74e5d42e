//! Errors of the storage layer, typed once. (Their HTTP mapping lives with the API.)

use app::domain::{AssetStatus, InvalidFilename};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("asset not found")]
    NotFound,
    #[error("cannot {action} an asset that is {from}")]
    InvalidTransition {
        action: &'static str,
        from: AssetStatus,
    },
    #[error("invalid file name: {0}")]
    InvalidFilename(#[from] InvalidFilename),
    #[error("invalid content type: expected `type/subtype` in printable ASCII, at most 255 bytes")]
    InvalidContentType,
    #[error("page size must be between 1 and {}", crate::store::MAX_PAGE_SIZE)]
    InvalidLimit,
    #[error("the cursor is not one this server issued")]
    InvalidCursor,
    #[error("the cursor belongs to another listing (different status filter, sort or search)")]
    CursorMismatch,
    #[error(
        "a file name prefix has at most {} characters and no control characters",
        crate::store::MAX_PREFIX_CHARS
    )]
    InvalidPrefix,
    #[error("a file name search lists by name: use sort `name` or `name_desc`")]
    SearchNeedsNameOrder,
    #[error("no such multipart upload (completed, aborted or never started)")]
    NoSuchUpload,
    #[error("the multipart upload was refused: {0}")]
    InvalidMultipart(String),
    #[error("too many concurrent updates to the same object; try again")]
    Contention,
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    #[error("storage backend error: {0}")]
    Backend(String),
}

impl StoreError {
    /// Wraps an SDK error with its full chain of causes (the SDK's `Display` alone says
    /// little more than "service error").
    pub fn backend(e: impl std::error::Error) -> StoreError {
        let mut msg = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        StoreError::Backend(msg)
    }
}
