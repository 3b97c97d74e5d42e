//! Errors of the asset table, typed once. Their HTTP meaning is decided by the service.

use app::{
    api::ListParams,
    domain::{media::InvalidContentType, AssetStatus, InvalidFilename},
};

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("asset not found")]
    NotFound,
    #[error("cannot {action} an asset that is {from}")]
    InvalidTransition {
        action: &'static str,
        from: AssetStatus,
    },
    #[error("invalid file name: {0}")]
    InvalidFilename(#[from] InvalidFilename),
    #[error(transparent)]
    InvalidContentType(#[from] InvalidContentType),
    #[error("page size must be between 1 and {}", ListParams::MAX_LIMIT)]
    InvalidLimit,
    #[error("the cursor is not one this server issued")]
    InvalidCursor,
    #[error(
        "the cursor belongs to another listing (different owner, status filter, sort or search)"
    )]
    CursorMismatch,
    #[error(
        "a file name prefix has at most {} characters and no control characters",
        ListParams::MAX_PREFIX_CHARS
    )]
    InvalidPrefix,
    #[error("a file name search lists by name: use sort `name` or `name_desc`")]
    SearchNeedsNameOrder,
    #[error("this asset's multipart upload has already started")]
    UploadAlreadyStarted,
    #[error("too many concurrent updates to the same object; try again")]
    Contention,
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    #[error("table error: {0}")]
    Backend(String),
}

impl TableError {
    /// Wraps an SDK error with its full chain of causes (the SDK's `Display` alone says
    /// little more than "service error").
    pub fn backend(e: impl std::error::Error) -> TableError {
        TableError::Backend(crate::aws::error_chain(&e))
    }
}

/// Whether a write was refused only because its condition did not hold.
pub(super) fn failed_condition<E, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(aws_sdk_dynamodb::error::ProvideErrorMetadata::code)
        == Some("ConditionalCheckFailedException")
}
