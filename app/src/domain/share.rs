//! Share links: an asset handed to someone without an account, that can be taken back.
//!
//! A link is `/s/<token>`. Whoever holds it may download the asset while the link is
//! [`ShareState::Active`]: each use checks the link, counts it, and redirects to a fresh
//! short-lived presigned GET. The link's owner sees its uses and may revoke it; the server
//! keeps only a hash of the token (`server::shares`), so the link itself is shown once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

use super::id::AssetId;

/// A share link's identifier (a ULID: links list newest first). Public: it names the link
/// to its owner (to revoke it), it does not open it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShareId(ulid::Ulid);

impl ShareId {
    pub fn from_ulid(ulid: ulid::Ulid) -> Self {
        Self(ulid)
    }
}

/// Why a string is not a share link id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid share link id (expected 26 characters of Crockford base32)")]
pub struct InvalidShareId {
    pub input: String,
}

impl FromStr for ShareId {
    type Err = InvalidShareId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Same form as an asset id: one parser for both.
        s.parse::<AssetId>()
            .map(|id| ShareId(id.ulid()))
            .map_err(|e| InvalidShareId { input: e.input })
    }
}

impl TryFrom<String> for ShareId {
    type Error = InvalidShareId;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<ShareId> for String {
    fn from(id: ShareId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One share link as its owner sees it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLink {
    pub id: ShareId,
    pub asset_id: AssetId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Downloads the link allows; `None`: any number until it expires.
    pub max_uses: Option<u32>,
    /// Downloads it gave.
    pub uses: u32,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Whether a link opens, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareState {
    Active,
    Revoked,
    Expired,
    UsedUp,
}

impl ShareLink {
    /// The link's state at `now`. A revoked link is revoked whatever else holds; an expired
    /// one is expired even if it also ran out of uses.
    pub fn state(&self, now: DateTime<Utc>) -> ShareState {
        if self.revoked_at.is_some() {
            ShareState::Revoked
        } else if now >= self.expires_at {
            ShareState::Expired
        } else if self.max_uses.is_some_and(|max| self.uses >= max) {
            ShareState::UsedUp
        } else {
            ShareState::Active
        }
    }
}

impl ShareState {
    /// What a person opening a link in this state is told (`None`: it opens).
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            ShareState::Active => None,
            ShareState::Revoked => Some("This share link was revoked by the person who made it."),
            ShareState::Expired => Some("This share link has expired."),
            ShareState::UsedUp => Some("This share link has been used as many times as it allows."),
        }
    }

    /// How the owner's list names the state.
    pub fn label(self) -> &'static str {
        match self {
            ShareState::Active => "active",
            ShareState::Revoked => "revoked",
            ShareState::Expired => "expired",
            ShareState::UsedUp => "used up",
        }
    }
}

/// What makes a link: how long it is valid and, optionally, how many downloads it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    /// Seconds from now; at least 60, at most the server's cap
    /// (`FERRY_MAX_SHARE_TTL_SECS`).
    pub expires_in_secs: u64,
    #[serde(default)]
    pub max_uses: Option<u32>,
}

/// The rules a new link must keep (checked by the server, shown by the page).
pub struct ShareRules;

impl ShareRules {
    /// Shortest validity: a link must outlive the moment it takes to send it.
    pub const MIN_TTL_SECS: u64 = 60;
    /// Most downloads one link may allow.
    pub const MAX_USES: u32 = 10_000;
    /// Links one asset may have that can still open (revoke or let some expire first).
    pub const MAX_ACTIVE_PER_ASSET: usize = 50;
    /// Validities the detail page offers (seconds, label); the server's cap trims the list.
    pub const CHOICES: [(u64, &'static str); 5] = [
        (3_600, "1 hour"),
        (86_400, "1 day"),
        (7 * 86_400, "7 days"),
        (30 * 86_400, "30 days"),
        (90 * 86_400, "90 days"),
    ];

    /// `share` as asked, if it keeps the rules under a cap of `max_ttl_secs`; otherwise
    /// the message of the 400 that says which rule it breaks.
    pub fn check(share: &NewShare, max_ttl_secs: u64) -> Result<(), String> {
        if share.expires_in_secs < Self::MIN_TTL_SECS || share.expires_in_secs > max_ttl_secs {
            return Err(format!(
                "expires_in_secs must be between {} and {max_ttl_secs} (this server's cap)",
                Self::MIN_TTL_SECS
            ));
        }
        match share.max_uses {
            Some(n) if n == 0 || n > Self::MAX_USES => Err(format!(
                "max_uses must be between 1 and {} (or absent: any number)",
                Self::MAX_USES
            )),
            _ => Ok(()),
        }
    }
}

/// A link just made: the only time its address is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedShare {
    pub link: ShareLink,
    /// `/s/<token>`, on this server.
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn link(max_uses: Option<u32>, uses: u32) -> ShareLink {
        let created = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        ShareLink {
            id: "01JDQ7ZK3M5X9V2B8N4C6T1R0W".parse().unwrap(),
            asset_id: "01JDQ7ZK3M5X9V2B8N4C6T1R0X".parse().unwrap(),
            created_at: created,
            expires_at: created + Duration::hours(1),
            max_uses,
            uses,
            revoked_at: None,
        }
    }

    #[test]
    fn a_link_opens_until_it_expires_runs_out_or_is_revoked() {
        let l = link(Some(2), 1);
        let at = |minutes| l.created_at + Duration::minutes(minutes);
        assert_eq!(l.state(at(59)), ShareState::Active);
        // The expiry instant itself is past.
        assert_eq!(l.state(at(60)), ShareState::Expired);
        assert_eq!(link(Some(2), 2).state(at(1)), ShareState::UsedUp);
        assert_eq!(link(None, 1_000_000).state(at(1)), ShareState::Active);
        // Expired wins over used up; revoked over everything.
        assert_eq!(link(Some(2), 2).state(at(61)), ShareState::Expired);
        let revoked = ShareLink {
            revoked_at: Some(at(1)),
            ..link(Some(2), 2)
        };
        assert_eq!(revoked.state(at(61)), ShareState::Revoked);
        for s in [ShareState::Revoked, ShareState::Expired, ShareState::UsedUp] {
            assert!(s.refusal().is_some(), "{s:?}");
        }
        assert_eq!(ShareState::Active.refusal(), None);
    }

    #[test]
    fn new_links_keep_the_rules() {
        let ask = |expires_in_secs, max_uses| NewShare {
            expires_in_secs,
            max_uses,
        };
        let cap = 7 * 86_400;
        assert!(ShareRules::check(&ask(3_600, None), cap).is_ok());
        assert!(ShareRules::check(&ask(60, Some(1)), cap).is_ok());
        assert!(ShareRules::check(&ask(cap, Some(ShareRules::MAX_USES)), cap).is_ok());
        for (bad, why) in [
            (ask(59, None), "expires_in_secs"),
            (ask(0, None), "expires_in_secs"),
            (ask(cap + 1, None), "expires_in_secs"),
            (ask(3_600, Some(0)), "max_uses"),
            (ask(3_600, Some(ShareRules::MAX_USES + 1)), "max_uses"),
        ] {
            let err = ShareRules::check(&bad, cap).unwrap_err();
            assert!(err.starts_with(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn ids_parse_like_asset_ids() {
        let id: ShareId = "01jdq7zk3m5x9v2b8n4c6t1r0w".parse().unwrap();
        assert_eq!(id.to_string(), "01JDQ7ZK3M5X9V2B8N4C6T1R0W");
        assert!("nope".parse::<ShareId>().is_err());
        assert!(serde_json::from_str::<ShareId>("\"../x\"").is_err());
    }
}
