//! Page cursors: opaque to callers and tamper-evident (a small JSON document sealed with the
//! server's [`CursorKey`]: a cursor the server did not make, or changed by one bit, is
//! refused). A cursor names the listing it belongs to (whose assets, status filter, order,
//! search prefix) and refuses to continue any other, so one owner's cursor is refused in
//! another owner's listing; it holds the index position of the row it is next to.

use super::{
    codec::{asset_pk, folder_item_pk, Row, NAME_KEY_SEPARATOR},
    error::TableError,
};
use crate::keys::CursorKey;
use app::{
    api::SortOrder,
    domain::{AssetId, AssetStatus, FolderId, Owner},
};
use serde::{Deserialize, Serialize};

const CURSOR_VERSION: u8 = 3;
/// Longest cursor accepted (a name key is at most 255 characters, 4 bytes each, and
/// base64 makes four characters of three bytes).
const MAX_CURSOR_LEN: usize = 6144;

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
    /// One of an owner's folders (`None`: their top level): its assets and folders, in
    /// its partition of the folder indexes.
    Folder(Owner, Option<FolderId>),
}

/// What a listing shows, normalised: the part of a query a cursor must agree with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Listing {
    pub scope: Scope,
    pub status: Option<AssetStatus>,
    pub sort: SortOrder,
    pub prefix: Option<String>,
    /// A search of an owner's assets narrowed to those under this folder (at any depth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<FolderId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Cursor {
    v: u8,
    #[serde(flatten)]
    listing: Listing,
    /// `true`: the page before `id`; `false`: the page after it.
    pub back: bool,
    /// The row's id: an asset's, or a folder's when `folder` (the two have one form).
    pub id: AssetId,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub folder: bool,
    /// The row's `name_key` when the listing is in name order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_key: Option<String>,
}

impl Cursor {
    /// The position of `row` in `listing`, to read on from (`back`: towards the start).
    pub fn at(listing: &Listing, row: &Row, back: bool) -> Cursor {
        Cursor {
            v: CURSOR_VERSION,
            listing: listing.clone(),
            back,
            id: row.id(),
            folder: row.is_folder(),
            name_key: listing.sort.by_name().then(|| row.name_key()),
        }
    }

    /// The table key (`pk`) of the row it names.
    pub fn pk(&self) -> String {
        if self.folder {
            folder_item_pk(FolderId::from_ulid(self.id.ulid()))
        } else {
            asset_pk(self.id)
        }
    }

    /// The same position, read the other way.
    pub fn turned(&self, back: bool) -> Cursor {
        Cursor {
            back,
            ..self.clone()
        }
    }

    pub fn encode(&self, key: &CursorKey) -> String {
        key.seal(&serde_json::to_vec(self).expect("cursor serialises"))
    }

    pub fn decode(s: &str, listing: &Listing, key: &CursorKey) -> Result<Cursor, TableError> {
        let bad = || TableError::InvalidCursor;
        if s.len() > MAX_CURSOR_LEN {
            return Err(bad());
        }
        let raw = key.open(s).ok_or_else(bad)?;
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
    use super::super::codec::name_key;
    use super::*;
    use crate::keys::ServerKey;
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

    fn key() -> CursorKey {
        ServerKey::from_secret(&[7; 32]).cursors()
    }

    fn listing(status: Option<AssetStatus>, sort: SortOrder, prefix: Option<&str>) -> Listing {
        Listing {
            scope: Scope::Owner(Owner::local()),
            status,
            sort,
            prefix: prefix.map(str::to_string),
            within: None,
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let key = key();
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
                    folder: false,
                    name_key: None,
                };
                assert_eq!(Cursor::decode(&c.encode(&key), &l, &key).unwrap(), c);
                let other = listing(Some(AssetStatus::Created), l.sort, None);
                assert!(matches!(
                    Cursor::decode(&c.encode(&key), &other, &key),
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
                        Cursor::decode(&c.encode(&key), &theirs, &key),
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
            folder: false,
            name_key: Some(name_key("Report.pdf", id)),
        };
        assert_eq!(Cursor::decode(&c.encode(&key), &named, &key).unwrap(), c);
        // A name-order cursor must carry the name key of its own row.
        for row_key in [
            None,
            Some(name_key(
                "Report.pdf",
                AssetId::from_ulid(ulid::Ulid::from_parts(1, 2)),
            )),
        ] {
            let forged = Cursor {
                name_key: row_key,
                ..c.clone()
            };
            assert!(matches!(
                Cursor::decode(&forged.encode(&key), &named, &key),
                Err(TableError::InvalidCursor)
            ));
        }
        let old_format = URL_SAFE_NO_PAD.encode(format!("v1:*:{id}"));
        // A well-formed cursor the server did not seal (the format before cursors were
        // signed), or sealed under another server's key, is refused.
        let unsigned = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        let foreign = c.encode(&ServerKey::from_secret(&[8; 32]).cursors());
        // One character changed anywhere in a genuine cursor.
        let genuine = c.encode(&key);
        let flipped: Vec<String> = (0..genuine.len())
            .map(|i| {
                let mut b = genuine.clone().into_bytes();
                b[i] = if b[i] == b'x' { b'y' } else { b'x' };
                String::from_utf8(b).unwrap()
            })
            .filter(|f| *f != genuine)
            .collect();
        let fixed = ["", "!!!", "djE6Kjpub3Bl", &old_format, &"A".repeat(7000)];
        let bad = fixed
            .iter()
            .map(|s| s.to_string())
            .chain([unsigned, foreign])
            .chain(flipped);
        for bad in bad {
            assert!(
                matches!(
                    Cursor::decode(&bad, &named, &key),
                    Err(TableError::InvalidCursor)
                ),
                "{bad}"
            );
        }
    }
}
