//! What an object must be when it arrives, and why one is refused.
//!
//! A declared size and type are signed into the upload URL, so S3 itself refuses anything
//! else. An upload that declared neither (the seed's bare `curl -T`) can only be checked
//! once S3 reports the object: [`ArrivalRules::check`] is that check, and a [`Rejection`] is
//! what a refused object's asset records (its state becomes `REJECTED`, its object is deleted).

use super::media::{type_allowed, OCTET_STREAM};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an arrived object was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Rejection {
    /// Larger than the server's upload limit.
    TooLarge { size: u64, limit: u64 },
    /// Not the size the upload declared.
    SizeMismatch { size: u64, declared: u64 },
    /// Stored with a type the server does not allow.
    TypeNotAllowed { content_type: String },
}

impl Rejection {
    /// The reason as a stable code (the `reason` tag it serialises with).
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::TooLarge { .. } => "too_large",
            Rejection::SizeMismatch { .. } => "size_mismatch",
            Rejection::TypeNotAllowed { .. } => "type_not_allowed",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::TooLarge { size, limit } => write!(
                f,
                "the file is {size} bytes, more than the {limit} bytes allowed"
            ),
            Rejection::SizeMismatch { size, declared } => write!(
                f,
                "the file is {size} bytes, not the {declared} bytes its upload declared"
            ),
            Rejection::TypeNotAllowed { content_type } => {
                write!(f, "files of type `{content_type}` are not allowed here")
            }
        }
    }
}

/// The type an object is stored with, as the type rules read it: no type (a `PUT` without
/// `Content-Type`), an empty one and S3's own default `binary/octet-stream` all mean
/// unknown bytes, [`OCTET_STREAM`].
pub fn stored_type(content_type: Option<&str>) -> &str {
    match content_type.map(str::trim) {
        None | Some("") => OCTET_STREAM,
        Some(t) if t.eq_ignore_ascii_case("binary/octet-stream") => OCTET_STREAM,
        Some(t) => t,
    }
}

/// What S3 says of an arrived object beyond its event (a `HeadObject`): the type it is
/// stored with and its checksum. Either is `None` when S3 has none (or the object was gone
/// again before it could be asked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFacts {
    pub content_type: Option<String>,
    pub checksum_sha256: Option<String>,
}

/// The server's limits as they apply to an object that has arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivalRules {
    /// `FERRY_MAX_UPLOAD_BYTES`.
    pub max_bytes: u64,
    /// `FERRY_ALLOWED_TYPES` patterns.
    pub allowed_types: Vec<String>,
}

impl ArrivalRules {
    /// Whether an object of `size` bytes stored as `content_type` may stay, for an upload
    /// that declared `declared_size` (if it declared one). The first rule broken is the
    /// reason.
    pub fn check(
        &self,
        declared_size: Option<u64>,
        size: u64,
        content_type: Option<&str>,
    ) -> Result<(), Rejection> {
        if size > self.max_bytes {
            return Err(Rejection::TooLarge {
                size,
                limit: self.max_bytes,
            });
        }
        if let Some(declared) = declared_size.filter(|&d| d != size) {
            return Err(Rejection::SizeMismatch { size, declared });
        }
        let stored = stored_type(content_type);
        if !type_allowed(stored, &self.allowed_types) {
            return Err(Rejection::TypeNotAllowed {
                content_type: stored.chars().take(100).collect(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(max: u64, types: &[&str]) -> ArrivalRules {
        ArrivalRules {
            max_bytes: max,
            allowed_types: types.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn sizes_over_the_limit_or_off_the_declaration_are_refused() {
        let r = rules(1000, &["*/*"]);
        assert_eq!(r.check(None, 1000, None), Ok(()));
        assert_eq!(r.check(Some(10), 10, Some("text/plain")), Ok(()));
        assert_eq!(
            r.check(None, 1001, None),
            Err(Rejection::TooLarge {
                size: 1001,
                limit: 1000
            })
        );
        // Over the limit wins over a mismatch.
        assert!(matches!(
            r.check(Some(10), 5000, None),
            Err(Rejection::TooLarge { .. })
        ));
        assert_eq!(
            r.check(Some(10), 11, None),
            Err(Rejection::SizeMismatch {
                size: 11,
                declared: 10
            })
        );
    }

    #[test]
    fn stored_types_are_checked_and_unknown_bytes_are_octet_stream() {
        let r = rules(1000, &["image/*", "application/octet-stream"]);
        assert_eq!(r.check(None, 1, Some("image/png")), Ok(()));
        assert_eq!(r.check(None, 1, None), Ok(()));
        assert_eq!(r.check(None, 1, Some("binary/octet-stream")), Ok(()));
        assert_eq!(
            r.check(None, 1, Some("text/html")),
            Err(Rejection::TypeNotAllowed {
                content_type: "text/html".into()
            })
        );
        assert!(r.check(None, 1, Some("image/png, text/html")).is_err());
        let images = rules(1000, &["image/*"]);
        assert!(images.check(None, 1, None).is_err());
    }

    #[test]
    fn reasons_read_as_sentences_and_serialise_tagged() {
        let r = Rejection::TooLarge {
            size: 2048,
            limit: 1024,
        };
        assert_eq!(
            r.to_string(),
            "the file is 2048 bytes, more than the 1024 bytes allowed"
        );
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"reason": "too_large", "size": 2048, "limit": 1024})
        );
        for r in [
            r,
            Rejection::SizeMismatch {
                size: 1,
                declared: 2,
            },
            Rejection::TypeNotAllowed {
                content_type: "text/html".into(),
            },
        ] {
            assert_eq!(serde_json::to_value(&r).unwrap()["reason"], r.code());
        }
    }
}
