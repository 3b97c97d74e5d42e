//! Page cursors: opaque to callers (base64url of a small JSON document). A cursor names the
//! listing it belongs to (whose assets, status filter, order, search prefix) and refuses to
//! continue any other, so one owner's cursor is refused in another owner's listing; it holds
//! the index position of the row it is next to.

use super::{
    codec::{name_key, NAME_KEY_SEPARATOR},
    error::TableError,
};
use app::{
    api::SortOrder,
    domain::{Asset, AssetId, AssetStatus, Owner},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};

const CURSOR_VERSION: u8 = 3;
/// Longest cursor accepted (a name key is at most 255 characters, 4 bytes each).
const MAX_CURSOR_LEN: usize = 4096;

/// Whose assets a listing reads, as the service resolved it for the caller (a caller's
/// "mine" and an administrator naming that same owner are the same scope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One owner's assets: their partition of the owner indexes.
    Owner(Owner),
    /// The assets of no owner: the `UNOWNED` partition of the owner indexes.
    Unowned,
    /// Everyone's: every shard of the all-owners indexes.
    All,
}

/// What a listing shows, normalised: the part of a query a cursor must agree with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Listing {
    pub scope: Scope,
    pub status: Option<AssetStatus>,
    pub sort: SortOrder,
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Cursor {
    v: u8,
    #[serde(flatten)]
    listing: Listing,
    /// `true`: the page before `id`; `false`: the page after it.
    pub back: bool,
    pub id: AssetId,
    /// The row's `name_key` when the listing is in name order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_key: Option<String>,
}

impl Cursor {
    /// The position of `asset` in `listing`, to read on from (`back`: towards the start).
    pub fn at(listing: &Listing, asset: &Asset, back: bool) -> Cursor {
        Cursor {
            v: CURSOR_VERSION,
            listing: listing.clone(),
            back,
            id: asset.id,
            name_key: listing
                .sort
                .by_name()
                .then(|| name_key(&asset.filename, asset.id)),
        }
    }

    /// The same position, read the other way.
    pub fn turned(&self, back: bool) -> Cursor {
        Cursor {
            back,
            ..self.clone()
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("cursor serialises"))
    }

    pub fn decode(s: &str, listing: &Listing) -> Result<Cursor, TableError> {
        let bad = || TableError::InvalidCursor;
        if s.len() > MAX_CURSOR_LEN {
            return Err(bad());
        }
        let raw = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&raw).map_err(|_| bad())?;
        if cursor.v != CURSOR_VERSION {
            return Err(bad());
        }
        // The position must be a real index key of this kind of listing.
        let id = cursor.id.to_string();
        match (&cursor.name_key, cursor.listing.sort.by_name()) {
            (Some(key), true) if key.ends_with(&format!("{NAME_KEY_SEPARATOR}{id}")) => {}
            (None, false) => {}
            _ => return Err(bad()),
        }
        // A cursor only continues the listing it came from.
        if &cursor.listing != listing {
            return Err(TableError::CursorMismatch);
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(status: Option<AssetStatus>, sort: SortOrder, prefix: Option<&str>) -> Listing {
        Listing {
            scope: Scope::Owner(Owner::local()),
            status,
            sort,
            prefix: prefix.map(str::to_string),
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let id: AssetId = "01JDQ7ZK3M5X9V2B8N4C6T1R0W".parse().unwrap();
        let plain = listing(None, SortOrder::Newest, None);
        for l in [
            plain.clone(),
            listing(Some(AssetStatus::Uploaded), SortOrder::Oldest, None),
        ] {
            for back in [false, true] {
                let c = Cursor {
                    v: CURSOR_VERSION,
                    listing: l.clone(),
                    back,
                    id,
                    name_key: None,
                };
                assert_eq!(Cursor::decode(&c.encode(), &l).unwrap(), c);
                let other = listing(Some(AssetStatus::Created), l.sort, None);
                assert!(matches!(
                    Cursor::decode(&c.encode(), &other),
                    Err(TableError::CursorMismatch)
                ));
                // Another owner's listing, or another scope, refuses it too.
                for scope in [
                    Scope::Owner(Owner::parse("bob").unwrap()),
                    Scope::Unowned,
                    Scope::All,
                ] {
                    let theirs = Listing { scope, ..l.clone() };
                    assert!(matches!(
                        Cursor::decode(&c.encode(), &theirs),
                        Err(TableError::CursorMismatch)
                    ));
                }
            }
        }
        let named = listing(None, SortOrder::Name, Some("rep"));
        let c = Cursor {
            v: CURSOR_VERSION,
            listing: named.clone(),
            back: false,
            id,
            name_key: Some(name_key("Report.pdf", id)),
        };
        assert_eq!(Cursor::decode(&c.encode(), &named).unwrap(), c);
        // A name-order cursor must carry the name key of its own row.
        for key in [
            None,
            Some(name_key(
                "Report.pdf",
                AssetId::from_ulid(ulid::Ulid::from_parts(1, 2)),
            )),
        ] {
            let forged = Cursor {
                name_key: key,
                ..c.clone()
            };
            assert!(matches!(
                Cursor::decode(&forged.encode(), &named),
                Err(TableError::InvalidCursor)
            ));
        }
        let old_format = URL_SAFE_NO_PAD.encode(format!("v1:*:{id}"));
        for bad in ["", "!!!", "djE6Kjpub3Bl", &old_format, &"A".repeat(5000)] {
            assert!(
                matches!(Cursor::decode(bad, &plain), Err(TableError::InvalidCursor)),
                "{bad}"
            );
        }
    }
}
