//! Asset ids: ULIDs, so ids sort by creation time.

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
    fn serde_round_trip_validates() {
        let id: AssetId = serde_json::from_str("\"01JDQ7ZK3M5X9V2B8N4C6T1R0W\"").unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"01JDQ7ZK3M5X9V2B8N4C6T1R0W\""
        );
        assert!(serde_json::from_str::<AssetId>("\"nope\"").is_err());
    }
}
