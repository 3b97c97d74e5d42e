//! Domain types shared by the server and the browser.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// An asset's identifier: a ULID, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AssetId(ulid::Ulid);

impl AssetId {
    pub fn from_ulid(ulid: ulid::Ulid) -> Self {
        Self(ulid)
    }

    pub fn ulid(&self) -> ulid::Ulid {
        self.0
    }
}

/// Why a string is not an asset id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid asset id (expected 26 characters of Crockford base32)")]
pub struct InvalidAssetId {
    pub input: String,
}

impl FromStr for AssetId {
    type Err = InvalidAssetId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidAssetId {
            // Echo at most a short prefix back: the input is user-controlled.
            input: s.chars().take(40).collect(),
        };
        // 26 Crockford base32 characters hold 130 bits; a ULID is 128, so the first character
        // is at most '7'. The `ulid` crate wraps larger values silently: refuse them here.
        if !matches!(s.as_bytes().first(), Some(b'0'..=b'7')) {
            return Err(invalid());
        }
        // Crockford decoding is case-insensitive; ULID only defines 26-character strings.
        ulid::Ulid::from_string(s)
            .map(AssetId)
            .map_err(|_| invalid())
    }
}

impl TryFrom<String> for AssetId {
    type Error = InvalidAssetId;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<AssetId> for String {
    fn from(id: AssetId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where an asset is in its life.
///
/// ```text
/// CREATED --(S3 ObjectCreated event)--> RECEIVED --(client confirms)--> UPLOADED
///    any state --(soft delete)--> DELETED --(restore)--> the state it was deleted from
/// ```
/// An `ObjectRemoved` event removes the record altogether (hard delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssetStatus {
    Created,
    Received,
    Uploaded,
    Deleted,
}

impl AssetStatus {
    pub const ALL: [AssetStatus; 4] = [
        AssetStatus::Created,
        AssetStatus::Received,
        AssetStatus::Uploaded,
        AssetStatus::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetStatus::Created => "CREATED",
            AssetStatus::Received => "RECEIVED",
            AssetStatus::Uploaded => "UPLOADED",
            AssetStatus::Deleted => "DELETED",
        }
    }

    /// States from which the client may confirm an upload (seed: 412 otherwise).
    pub const CONFIRMABLE: [AssetStatus; 2] = [AssetStatus::Received, AssetStatus::Uploaded];

    /// States an asset leaves on its own (its object is on the way or being recorded).
    pub fn is_pending(self) -> bool {
        matches!(self, AssetStatus::Created | AssetStatus::Received)
    }

    /// States in which the object can be downloaded.
    pub fn is_downloadable(self) -> bool {
        matches!(self, AssetStatus::Received | AssetStatus::Uploaded)
    }
}

impl fmt::Display for AssetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an asset status (CREATED, RECEIVED, UPLOADED or DELETED)")]
pub struct InvalidStatus(pub String);

impl FromStr for AssetStatus {
    type Err = InvalidStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AssetStatus::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| InvalidStatus(s.chars().take(40).collect()))
    }
}

/// One asset: an object in S3 and what Ferry knows about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub id: AssetId,
    pub bucket: String,
    pub object_key: String,
    /// Name shown to people; may contain `/` for files dropped inside folders.
    pub filename: String,
    pub content_type: String,
    /// Declared at creation, then the size S3 reports.
    pub size: Option<u64>,
    pub etag: Option<String>,
    pub status: AssetStatus,
    /// The state a soft-deleted asset returns to when restored.
    pub deleted_from: Option<AssetStatus>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Facts of the newest S3 event applied to this asset.
    pub event_time: Option<chrono::DateTime<chrono::Utc>>,
    pub event_name: Option<String>,
    pub sequencer: Option<String>,
}

/// The metadata S3 events record for one object (the seed lesson's `upload_metadata` item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMetadata {
    pub bucket: String,
    pub object_key: String,
    pub size: u64,
    pub etag: String,
    pub event_time: chrono::DateTime<chrono::Utc>,
    pub event_name: String,
    pub sequencer: String,
}

/// Limits on a file name (a relative path when a folder was dropped).
pub const MAX_FILENAME_BYTES: usize = 1024 - 64; // room for `uploads/<id>/` within S3's 1024
pub const MAX_SEGMENT_BYTES: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFilename {
    #[error("the file name is empty")]
    Empty,
    #[error("the file name is longer than {MAX_FILENAME_BYTES} bytes")]
    TooLong,
    #[error("a part of the file name is longer than {MAX_SEGMENT_BYTES} bytes")]
    SegmentTooLong,
    #[error("the file name contains an empty, `.` or `..` path segment")]
    BadSegment,
    #[error("the file name contains a control character or a backslash")]
    BadCharacter,
}

/// Checks a file name or relative path (`photos/2024/a.jpg`) and returns it normalised
/// (surrounding whitespace trimmed). Never lets a name climb out of its folder.
pub fn validate_filename(name: &str) -> Result<String, InvalidFilename> {
    let name = name.trim();
    if name.is_empty() {
        return Err(InvalidFilename::Empty);
    }
    if name.len() > MAX_FILENAME_BYTES {
        return Err(InvalidFilename::TooLong);
    }
    if name.chars().any(|c| c.is_control() || c == '\\') {
        return Err(InvalidFilename::BadCharacter);
    }
    for segment in name.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(InvalidFilename::BadSegment);
        }
        if segment.len() > MAX_SEGMENT_BYTES {
            return Err(InvalidFilename::SegmentTooLong);
        }
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_canonical_ulids() {
        let id: AssetId = "01JDQ7ZK3M5X9V2B8N4C6T1R0W".parse().unwrap();
        assert_eq!(id.to_string(), "01JDQ7ZK3M5X9V2B8N4C6T1R0W");
        // Lower case is accepted and normalised.
        let lower: AssetId = "01jdq7zk3m5x9v2b8n4c6t1r0w".parse().unwrap();
        assert_eq!(lower, id);
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "abc",
            "01JDQ7ZK3M5X9V2B8N4C6T1R0",   // 25 chars
            "01JDQ7ZK3M5X9V2B8N4C6T1R0WX", // 27 chars
            "01JDQ7ZK3M5X9V2B8N4C6T1R0U",  // U is not Crockford base32
            "../../etc/passwd",
            "8ZZZZZZZZZZZZZZZZZZZZZZZZZ", // overflows 128 bits
        ] {
            assert!(
                bad.parse::<AssetId>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn error_echo_is_bounded() {
        let long = "x".repeat(10_000);
        let err = long.parse::<AssetId>().unwrap_err();
        assert_eq!(err.input.len(), 40);
    }

    #[test]
    fn statuses_parse_print_and_serialise_in_capitals() {
        for st in AssetStatus::ALL {
            assert_eq!(st.as_str().parse::<AssetStatus>().unwrap(), st);
            assert_eq!(
                serde_json::to_string(&st).unwrap(),
                format!("\"{}\"", st.as_str())
            );
        }
        assert_eq!(
            "uploaded".parse::<AssetStatus>().unwrap(),
            AssetStatus::Uploaded
        );
        assert!("GONE".parse::<AssetStatus>().is_err());
        assert!(AssetStatus::Received.is_downloadable());
        assert!(!AssetStatus::Created.is_downloadable());
        assert!(!AssetStatus::Deleted.is_downloadable());
    }

    #[test]
    fn filenames_are_checked_and_trimmed() {
        assert_eq!(validate_filename("  report.pdf ").unwrap(), "report.pdf");
        assert_eq!(
            validate_filename("photos/2024/été 1.jpg").unwrap(),
            "photos/2024/été 1.jpg"
        );
        assert_eq!(validate_filename(""), Err(InvalidFilename::Empty));
        assert_eq!(validate_filename("   "), Err(InvalidFilename::Empty));
        for bad in ["../etc/passwd", "a/../b", "./a", "a//b", "/abs", "dir/"] {
            assert_eq!(
                validate_filename(bad),
                Err(InvalidFilename::BadSegment),
                "{bad}"
            );
        }
        assert_eq!(
            validate_filename("a\\b"),
            Err(InvalidFilename::BadCharacter)
        );
        assert_eq!(
            validate_filename("a\nb"),
            Err(InvalidFilename::BadCharacter)
        );
        assert_eq!(
            validate_filename("a\u{0}b"),
            Err(InvalidFilename::BadCharacter)
        );
        assert_eq!(
            validate_filename(&"x".repeat(256)),
            Err(InvalidFilename::SegmentTooLong)
        );
        assert_eq!(
            validate_filename(&"abcd/".repeat(300)),
            Err(InvalidFilename::TooLong)
        );
    }

    #[test]
    fn serde_round_trip_validates() {
        let id: AssetId = serde_json::from_str("\"01JDQ7ZK3M5X9V2B8N4C6T1R0W\"").unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"01JDQ7ZK3M5X9V2B8N4C6T1R0W\""
        );
        assert!(serde_json::from_str::<AssetId>("\"nope\"").is_err());
    }
}
