//! Errors of the asset table, typed once. Their HTTP meaning is decided by the service.

use app::{
    api::ListParams,
    domain::{media::InvalidContentType, AssetStatus, InvalidFilename},
};
use aws_sdk_dynamodb::{
    operation::transact_write_items::TransactWriteItemsError, types::CancellationReason,
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
    #[error("a status filter lists every folder: leave out `folder`")]
    StatusInFolder,
    #[error("searching subfolders needs a file name search (`prefix`) in one owner's folder")]
    SubfoldersNeedSearch,
    #[error("folder not found")]
    FolderNotFound,
    #[error("there is already a folder named `{0}` here")]
    FolderExists(String),
    #[error("the folder is not empty: move or delete what is in it first")]
    FolderNotEmpty,
    #[error("something was just put in this folder; look at it again before deleting it")]
    FolderJustChanged,
    #[error("folders nest at most {} deep", app::domain::MAX_FOLDER_DEPTH)]
    FolderTooDeep,
    #[error(transparent)]
    InvalidFolderName(#[from] app::domain::InvalidFolderName),
    #[error("only an owner's files can be put in folders")]
    UnownedAsset,
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

type TransactError<R> = aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, R>;

/// Which items' conditions failed when a transaction was cancelled, item by item; a
/// cancellation by a concurrent transaction is `Contention`, anything else a backend error.
pub(super) fn failed_items<R: std::fmt::Debug>(
    e: TransactError<R>,
) -> Result<Vec<bool>, TableError> {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(tc)) => {
            let reasons: &[CancellationReason] = tc.cancellation_reasons();
            if reasons
                .iter()
                .any(|r| r.code() == Some("TransactionConflict"))
            {
                return Err(TableError::Contention);
            }
            Ok(reasons
                .iter()
                .map(|r| r.code() == Some("ConditionalCheckFailed"))
                .collect())
        }
        _ => Err(TableError::backend(e)),
    }
}
