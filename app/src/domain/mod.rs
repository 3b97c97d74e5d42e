//! The domain shared by the server and the browser: asset ids and states, the asset record,
//! file names, media types and ownership. Each rule is defined once here and used on both sides.

mod arrival;
mod asset;
mod filename;
mod folder;
mod id;
pub mod media;
mod next;
mod owner;
mod parts;
mod share;
mod status;

pub use arrival::{stored_type, ArrivalRules, Rejection, StoredFacts};
pub use asset::{Asset, ObjectMetadata};
pub use filename::{
    is_invisible_control, nfc, validate_filename, InvalidFilename, MAX_FILENAME_BYTES,
    MAX_SEGMENT_BYTES,
};
pub use folder::{
    split_path, validate_folder_name, Crumb, Folder, FolderId, FolderRef, FolderView,
    InvalidFolderName, InvalidFolderRef, MAX_FOLDER_DEPTH,
};
pub use id::{AssetId, InvalidAssetId};
pub use next::safe_next;
pub use owner::{Caller, InvalidOwner, Owner};
pub use parts::{PartPlan, UploadPlan};
pub use share::{
    CreatedShare, InvalidShareId, NewShare, ShareId, ShareLink, ShareRules, ShareState,
};
pub use status::{AssetStatus, InvalidStatus};
