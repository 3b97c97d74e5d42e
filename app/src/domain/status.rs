//! An asset's place in its life, and the rules of moving between states.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Where an asset is in its life.
///
/// ```text
/// CREATED --(S3 ObjectCreated event)--> RECEIVED --(client confirms)--> UPLOADED
///    any state --(soft delete)--> DELETED --(restore)--> the state it was deleted from
///    any state --(an object arrives that breaks the limits)--> REJECTED
/// ```
/// An `ObjectRemoved` event removes the record altogether (hard delete), except a
/// `REJECTED` one's: it stays to say why its object was deleted.
/// Written in capitals; read in any case (as the REST API's `?status=` is), through
/// [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssetStatus {
    Created,
    Received,
    Uploaded,
    Deleted,
    /// Terminal: the object that arrived broke the limits (`Asset::rejection` says how) and
    /// was deleted.
    Rejected,
}

impl AssetStatus {
    pub const ALL: [AssetStatus; 5] = [
        AssetStatus::Created,
        AssetStatus::Received,
        AssetStatus::Uploaded,
        AssetStatus::Deleted,
        AssetStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetStatus::Created => "CREATED",
            AssetStatus::Received => "RECEIVED",
            AssetStatus::Uploaded => "UPLOADED",
            AssetStatus::Deleted => "DELETED",
            AssetStatus::Rejected => "REJECTED",
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
#[error("`{0}` is not an asset status (CREATED, RECEIVED, UPLOADED, DELETED or REJECTED)")]
pub struct InvalidStatus(pub String);

impl<'de> Deserialize<'de> for AssetStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl FromStr for AssetStatus {
    type Err = InvalidStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AssetStatus::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| InvalidStatus(s.chars().take(40).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // JSON reads any case too (server functions take what `?status=` takes).
        assert_eq!(
            serde_json::from_str::<AssetStatus>("\"rejected\"").unwrap(),
            AssetStatus::Rejected
        );
        assert!(serde_json::from_str::<AssetStatus>("\"GONE\"").is_err());
        assert!("GONE".parse::<AssetStatus>().is_err());
        assert!(AssetStatus::Received.is_downloadable());
        assert!(!AssetStatus::Created.is_downloadable());
        assert!(!AssetStatus::Deleted.is_downloadable());
        assert!(!AssetStatus::Rejected.is_downloadable() && !AssetStatus::Rejected.is_pending());
    }
}
