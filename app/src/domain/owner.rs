//! Who owns an asset and who is asking: [`Owner`] (an identity's `sub`, usable as one S3 key
//! segment) and [`Caller`] (the owner behind a request, and whether they administer Ferry).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The owner of assets: the `sub` claim of the identity that created them, or [`Owner::local`]
/// when Ferry runs without sign-in. It is one segment of the upload key
/// `uploads/<owner>/<asset id>/<file name>`, so it is restricted to characters that are safe
/// there: ASCII letters, digits and `. _ ~ @ | : + = -`, 1 to [`Owner::MAX_BYTES`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Owner(String);

/// A string that cannot be an [`Owner`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an owner is 1 to {max} bytes of ASCII letters, digits and . _ ~ @ | : + = -", max = Owner::MAX_BYTES)]
pub struct InvalidOwner;

impl Owner {
    /// The longest owner accepted (Cognito's subs are 36 bytes, OIDC allows 255).
    pub const MAX_BYTES: usize = 128;
    /// The one owner of a Ferry that runs without sign-in (`FERRY_AUTH=none`).
    pub const LOCAL: &'static str = "local";

    pub fn parse(s: &str) -> Result<Owner, InvalidOwner> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._~@|:+=-".contains(c);
        if s.is_empty() || s.len() > Self::MAX_BYTES || !s.chars().all(allowed) {
            return Err(InvalidOwner);
        }
        Ok(Owner(s.to_owned()))
    }

    /// The owner of everything when Ferry runs without sign-in.
    pub fn local() -> Owner {
        Owner(Self::LOCAL.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Owner {
    type Err = InvalidOwner;
    fn from_str(s: &str) -> Result<Owner, InvalidOwner> {
        Owner::parse(s)
    }
}

impl TryFrom<String> for Owner {
    type Error = InvalidOwner;
    fn try_from(s: String) -> Result<Owner, InvalidOwner> {
        Owner::parse(&s)
    }
}

impl From<Owner> for String {
    fn from(o: Owner) -> String {
        o.0
    }
}

/// The identity behind one request, as the server established it (session cookie, bearer
/// token, or the local owner when sign-in is off). Every asset operation is scoped by it:
/// a caller sees and changes only assets it owns, unless it is an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub owner: Owner,
    /// Administrators see every owner's assets and the ones that belong to no owner.
    pub admin: bool,
}

impl Caller {
    /// The single user of a Ferry without sign-in: owner [`Owner::local`], and administrator,
    /// because nobody else can see the objects other tools put in the bucket.
    pub fn local() -> Caller {
        Caller {
            owner: Owner::local(),
            admin: true,
        }
    }

    /// Whether this caller may see and change an asset owned by `owner` (`None`: no owner).
    pub fn may_access(&self, owner: Option<&Owner>) -> bool {
        self.admin || owner == Some(&self.owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_safe_key_segments() {
        for ok in [
            "local",
            "0b7e4f5a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            "auth0|abc123",
            "google-oauth2|1234",
            "a.b_c~d@e:f+g=h",
        ] {
            assert_eq!(Owner::parse(ok).unwrap().as_str(), ok);
        }
        let long = "a".repeat(Owner::MAX_BYTES + 1);
        for bad in [
            "",
            "a/b",
            "a b",
            "..%2F",
            "é",
            "a\nb",
            "a\\b",
            long.as_str(),
        ] {
            assert_eq!(Owner::parse(bad), Err(InvalidOwner), "{bad:?}");
        }
        assert!(serde_json::from_str::<Owner>("\"a/b\"").is_err());
    }

    #[test]
    fn only_owners_and_admins_may_access() {
        let alice = Caller {
            owner: Owner::parse("alice").unwrap(),
            admin: false,
        };
        let bob = Owner::parse("bob").unwrap();
        assert!(alice.may_access(Some(&alice.owner)));
        assert!(!alice.may_access(Some(&bob)));
        assert!(!alice.may_access(None));
        let admin = Caller {
            admin: true,
            ..alice.clone()
        };
        assert!(admin.may_access(Some(&bob)) && admin.may_access(None));
        assert!(Caller::local().may_access(None));
    }
}
