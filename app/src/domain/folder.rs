//! Folders: catalogue metadata that places an owner's assets. A folder is a record with an
//! id, a name and its ancestors; an asset names the folders it is in. Neither is part of an
//! object's key, so moving an asset or renaming a folder never copies an object.

use super::{
    filename::{validate_filename, InvalidFilename, MAX_SEGMENT_BYTES},
    id::AssetId,
    owner::Owner,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A folder's identifier: a ULID, like an asset's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FolderId(ulid::Ulid);

impl FolderId {
    pub fn from_ulid(ulid: ulid::Ulid) -> Self {
        Self(ulid)
    }

    pub fn ulid(&self) -> ulid::Ulid {
        self.0
    }
}

/// Why a string names no folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a folder (expected `root` or a folder id of 26 characters of Crockford base32)")]
pub struct InvalidFolderRef {
    pub input: String,
}

impl FromStr for FolderId {
    type Err = InvalidFolderRef;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Same form as an asset id: one parser for both.
        s.parse::<AssetId>()
            .map(|id| FolderId(id.ulid()))
            .map_err(|e| InvalidFolderRef { input: e.input })
    }
}

impl TryFrom<String> for FolderId {
    type Error = InvalidFolderRef;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<FolderId> for String {
    fn from(id: FolderId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for FolderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A place assets can be: an owner's top level (`root`), or one of their folders (its id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum FolderRef {
    #[default]
    Root,
    Folder(FolderId),
}

impl FolderRef {
    pub const ROOT: &'static str = "root";

    pub fn id(self) -> Option<FolderId> {
        match self {
            FolderRef::Root => None,
            FolderRef::Folder(id) => Some(id),
        }
    }
}

impl From<Option<FolderId>> for FolderRef {
    fn from(id: Option<FolderId>) -> Self {
        id.map_or(FolderRef::Root, FolderRef::Folder)
    }
}

impl FromStr for FolderRef {
    type Err = InvalidFolderRef;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == FolderRef::ROOT {
            Ok(FolderRef::Root)
        } else {
            s.parse().map(FolderRef::Folder)
        }
    }
}

impl TryFrom<String> for FolderRef {
    type Error = InvalidFolderRef;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<FolderRef> for String {
    fn from(f: FolderRef) -> Self {
        f.to_string()
    }
}

impl fmt::Display for FolderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FolderRef::Root => f.write_str(FolderRef::ROOT),
            FolderRef::Folder(id) => write!(f, "{id}"),
        }
    }
}

/// One folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    pub id: FolderId,
    /// Whose it is: only their assets go in it.
    pub owner: Owner,
    pub name: String,
    /// The folders it is in, outermost first (empty: at the top level).
    pub ancestors: Vec<FolderId>,
    pub created_at: DateTime<Utc>,
}

impl Folder {
    /// The folder it is in (`None`: the top level).
    pub fn parent(&self) -> Option<FolderId> {
        self.ancestors.last().copied()
    }

    /// Its ancestors and itself, outermost first: what an asset placed in it records.
    pub fn path(&self) -> Vec<FolderId> {
        let mut path = self.ancestors.clone();
        path.push(self.id);
        path
    }
}

/// One step of a folder's breadcrumbs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crumb {
    pub id: FolderId,
    pub name: String,
}

/// A folder with the names of the folders it is in: what its page shows above its listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderView {
    pub folder: Folder,
    /// Its ancestors (outermost first), then itself.
    pub trail: Vec<Crumb>,
}

/// How deep folders nest: an asset records every folder it is in, and a folder drop makes
/// a folder for each directory of a path.
pub const MAX_FOLDER_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFolderName {
    #[error("a folder name cannot contain `/`")]
    Slash,
    #[error("the folder name is longer than {MAX_SEGMENT_BYTES} bytes")]
    TooLong,
    #[error("{}", folder_words(.0))]
    Name(InvalidFilename),
}

/// A file-name error worded for a folder name.
fn folder_words(e: &InvalidFilename) -> String {
    e.to_string().replace("the file name", "the folder name")
}

/// Checks a folder name and returns it as stored (trimmed, NFC): one segment of a file
/// name, under the same rules.
pub fn validate_folder_name(name: &str) -> Result<String, InvalidFolderName> {
    if name.contains('/') {
        return Err(InvalidFolderName::Slash);
    }
    validate_filename(name).map_err(|e| match e {
        InvalidFilename::SegmentTooLong | InvalidFilename::TooLong => InvalidFolderName::TooLong,
        e => InvalidFolderName::Name(e),
    })
}

/// A checked relative path (`photos/2024/a.jpg`) split into its folders and its file name.
pub fn split_path(path: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().unwrap_or_default();
    (parts, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_refs_are_root_or_an_id() {
        assert_eq!("root".parse::<FolderRef>().unwrap(), FolderRef::Root);
        let id = "01JDQ7ZK3M5X9V2B8N4C6T1R0W";
        let f: FolderRef = id.parse().unwrap();
        assert_eq!(f.to_string(), id);
        assert_eq!(f.id().unwrap().to_string(), id);
        for bad in ["", "Root", "ROOT ", "x", "81JDQ7ZK3M5X9V2B8N4C6T1R0W"] {
            let e = bad.parse::<FolderRef>().unwrap_err();
            assert!(e.to_string().contains("is not a folder"), "{bad}");
        }
        assert_eq!(serde_json::to_string(&FolderRef::Root).unwrap(), "\"root\"");
    }

    #[test]
    fn folder_names_are_one_segment() {
        assert_eq!(validate_folder_name(" Photos ").unwrap(), "Photos");
        assert_eq!(
            validate_folder_name("e\u{301}t\u{e9}").unwrap(),
            "\u{e9}t\u{e9}"
        );
        assert_eq!(validate_folder_name("a/b"), Err(InvalidFolderName::Slash));
        for bad in ["", "..", ".", "a\nb", "x\u{202E}y"] {
            assert!(validate_folder_name(bad).is_err(), "{bad:?}");
        }
        let e = validate_folder_name(&"x".repeat(256)).unwrap_err();
        assert_eq!(e.to_string(), "the folder name is longer than 255 bytes");
        assert_eq!(
            validate_folder_name("").unwrap_err().to_string(),
            "the folder name is empty"
        );
    }

    #[test]
    fn paths_split_into_folders_and_a_name() {
        assert_eq!(split_path("a.jpg"), (vec![], "a.jpg"));
        assert_eq!(
            split_path("photos/2024/a.jpg"),
            (vec!["photos", "2024"], "a.jpg")
        );
    }
}
