//! How records are stored: item keys, attribute values, and the asset and object items
//! to and from DynamoDB items. Pure functions; nothing here talks to the table.

use super::error::TableError;
use app::domain::{Asset, AssetId, AssetStatus, Folder, FolderId, ObjectMetadata, Owner};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::HashMap;

pub(super) type Item = HashMap<String, AttributeValue>;

/// The listing partition of the assets that belong to no owner.
pub(super) const UNOWNED_PK: &str = "UNOWNED";
/// The table's TTL attribute (epoch seconds): DynamoDB deletes an item some time after it.
/// Carried by fair-use counters and by uploads still waiting for their file (never by an
/// asset that has its bytes).
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// `at` as seconds since the epoch (DynamoDB's TTL format); before the epoch is 0.
pub(super) fn epoch_secs(at: chrono::DateTime<chrono::Utc>) -> u64 {
    at.timestamp().max(0) as u64
}

/// How many partitions the all-owners indexes spread assets over (`all_pk = "ALL#<n>"`), so
/// no single partition takes every write; an all-owners page reads each once.
pub(super) const ALL_SHARDS: u8 = 8;

/// The owner's listing partition (`owner_pk`): `OWNER#<owner>`, or `UNOWNED`. Owners cannot
/// contain `#`, so this and [`with_status`] are unambiguous.
pub(super) fn owner_pk(owner: Option<&Owner>) -> String {
    match owner {
        Some(o) => format!("OWNER#{o}"),
        None => UNOWNED_PK.to_string(),
    }
}

/// The all-owners shard of an asset: a stable function of its id (the ULID's low bits, which
/// are random).
pub(super) fn shard(id: AssetId) -> u8 {
    (id.ulid().0 % u128::from(ALL_SHARDS)) as u8
}

/// The all-owners listing partition (`all_pk`) of shard `n`.
pub(super) fn all_pk(n: u8) -> String {
    format!("ALL#{n}")
}

/// A listing partition narrowed to one status (`owner_status`, `all_status`).
pub(super) fn with_status(partition: &str, status: AssetStatus) -> String {
    format!("{partition}#{status}")
}

/// The index keys that depend on the status, for an asset of `owner` and `id` in `status`:
/// what every status change sets besides `status` itself.
pub(super) fn status_keys(
    owner: Option<&Owner>,
    id: AssetId,
    status: AssetStatus,
) -> [(&'static str, String); 2] {
    [
        ("owner_status", with_status(&owner_pk(owner), status)),
        ("all_status", with_status(&all_pk(shard(id)), status)),
    ]
}

/// Where an upload's bytes go: `uploads/<owner>/<id>/<file name>` (without a name,
/// `uploads/<owner>/<id>`). The events read the owner back from it (`events::owner_from_key`).
pub(super) fn upload_key(owner: &Owner, id: AssetId, filename: Option<&str>) -> String {
    match filename {
        Some(name) => format!("uploads/{owner}/{id}/{name}"),
        None => format!("uploads/{owner}/{id}"),
    }
}

/// Whether a key is one Ferry makes for uploads (under `uploads/`, as [`upload_key`]
/// builds them): the only objects Ferry asks S3 about or deletes itself.
pub fn is_upload_key(key: &str) -> bool {
    key.starts_with("uploads/")
}

pub(super) fn asset_pk(id: AssetId) -> String {
    format!("ASSET#{id}")
}

pub(super) fn object_pk(bucket: &str, key: &str) -> String {
    // Bucket names cannot contain `/`, so this is unambiguous.
    format!("OBJECT#{bucket}/{key}")
}

/// Separates the lower-cased file name from the id in `name_key`; sorts before every
/// printable character, so `a` lists before `a b` and `ab`.
pub(super) const NAME_KEY_SEPARATOR: char = '\u{1}';

/// The name-order sort key: lower-cased file name, then the id (unique, and newest-last among
/// equal names).
pub(super) fn name_key(filename: &str, id: AssetId) -> String {
    format!("{}{NAME_KEY_SEPARATOR}{id}", filename.to_lowercase())
}

/// Starts a folder's `name_key`, so a folder lists before every file in name order (file
/// names start with a printable character).
pub(super) const FOLDER_KEY_MARK: char = '\u{1}';

/// A folder's name-order sort key among the files of its parent: [`FOLDER_KEY_MARK`], then
/// what [`name_key`] makes of its name and id.
pub(super) fn folder_name_key(name: &str, id: FolderId) -> String {
    format!(
        "{FOLDER_KEY_MARK}{}{NAME_KEY_SEPARATOR}{id}",
        name.to_lowercase()
    )
}

/// The listing partition (`folder_pk`) of one of an owner's folders (`None`: their top
/// level): `IN#<owner>#<folder id>` or `IN#<owner>#ROOT`. Every owned asset and every folder
/// is in exactly one.
pub(super) fn folder_pk(owner: &Owner, folder: Option<FolderId>) -> String {
    match folder {
        Some(id) => format!("IN#{owner}#{id}"),
        None => format!("IN#{owner}#ROOT"),
    }
}

pub(super) fn folder_item_pk(id: FolderId) -> String {
    format!("FOLDER#{id}")
}

/// The item that reserves a name in a folder (case-insensitively), pointing at the folder
/// that has it: how two folders of one name in one place are refused, even when made at
/// the same moment.
pub(super) fn folder_name_pk(owner: &Owner, parent: Option<FolderId>, name: &str) -> String {
    format!(
        "FOLDERNAME#{}#{}",
        folder_pk(owner, parent),
        name.to_lowercase()
    )
}

/// A path of folder ids as stored (`folder_path`, `ancestors`): `/<id>/<id>/`, so that
/// `contains(folder_path, "/<id>/")` finds everything under a folder. `None` when empty.
pub(super) fn path_value(path: &[FolderId]) -> Option<String> {
    (!path.is_empty()).then(|| {
        let mut v = String::from("/");
        for id in path {
            v.push_str(&id.to_string());
            v.push('/');
        }
        v
    })
}

/// The needle of a subfolder search: `/<id>/`.
pub(super) fn path_needle(id: FolderId) -> String {
    format!("/{id}/")
}

fn parse_path(item: &Item, key: &str) -> Result<Vec<FolderId>, TableError> {
    opt_s(item, key)
        .unwrap_or_default()
        .split('/')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse()
                .map_err(|_| TableError::Corrupt(format!("`{key}` holds a bad folder id")))
        })
        .collect()
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The current time at the precision stored (milliseconds), so a record read back equals
/// the one written.
pub(super) fn now_millis() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// RFC 3339 in UTC with milliseconds: how Ferry stores and shows every time.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A conditional put inside a transaction.
pub(super) fn put(table: &str, item: Item, condition: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression(condition)
                .build()
                .expect("put"),
        )
        .build()
}

/// Sets the folder's `added_at` if the folder still exists: part of every transaction that
/// puts something in it.
pub(super) fn stamp_folder(table: &str, id: FolderId) -> TransactWriteItem {
    TransactWriteItem::builder()
        .update(
            Update::builder()
                .table_name(table)
                .key("pk", s(folder_item_pk(id)))
                .update_expression("SET added_at = :now")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":now", s(timestamp(now_millis())))
                .build()
                .expect("update"),
        )
        .build()
}

pub(super) fn asset_item(a: &Asset) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), s(asset_pk(a.id))),
        ("kind".to_string(), s("asset")),
        ("owner_pk".to_string(), s(owner_pk(a.owner.as_ref()))),
        ("all_pk".to_string(), s(all_pk(shard(a.id)))),
        ("id".to_string(), s(a.id.to_string())),
        ("bucket".to_string(), s(&a.bucket)),
        ("object_key".to_string(), s(&a.object_key)),
        ("filename".to_string(), s(&a.filename)),
        ("name_key".to_string(), s(name_key(&a.filename, a.id))),
        ("content_type".to_string(), s(&a.content_type)),
        ("status".to_string(), s(a.status.as_str())),
        ("created_at".to_string(), s(timestamp(a.created_at))),
        ("updated_at".to_string(), s(timestamp(a.updated_at))),
    ]);
    for (k, v) in status_keys(a.owner.as_ref(), a.id, a.status) {
        item.insert(k.to_string(), s(v));
    }
    if let Some(owner) = &a.owner {
        item.insert("folder_pk".into(), s(folder_pk(owner, a.folder())));
    }
    let mut opt = |k: &str, v: Option<AttributeValue>| {
        if let Some(v) = v {
            item.insert(k.to_string(), v);
        }
    };
    opt("owner", a.owner.as_ref().map(|o| s(o.as_str())));
    opt("size", a.size.map(n));
    opt("etag", a.etag.clone().map(s));
    opt("deleted_from", a.deleted_from.map(|st| s(st.as_str())));
    opt("event_time", a.event_time.map(|t| s(timestamp(t))));
    opt("event_name", a.event_name.clone().map(s));
    opt("sequencer", a.sequencer.clone().map(s));
    opt(
        "rejection",
        a.rejection
            .as_ref()
            .map(|r| s(serde_json::to_string(r).expect("a rejection serialises"))),
    );
    opt("checksum_sha256", a.checksum_sha256.clone().map(s));
    opt("thumbnail_key", a.thumbnail_key.clone().map(s));
    opt("folder_path", path_value(&a.folder_path).map(s));
    item
}

/// A folder's item: its record, and the keys that list it in its parent (`folder_pk`, `id`,
/// `name_key`).
pub(super) fn folder_item(f: &Folder) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), s(folder_item_pk(f.id))),
        ("kind".to_string(), s("folder")),
        ("id".to_string(), s(f.id.to_string())),
        ("owner".to_string(), s(f.owner.as_str())),
        ("name".to_string(), s(&f.name)),
        ("folder_pk".to_string(), s(folder_pk(&f.owner, f.parent()))),
        ("name_key".to_string(), s(folder_name_key(&f.name, f.id))),
        ("created_at".to_string(), s(timestamp(f.created_at))),
    ]);
    if let Some(path) = path_value(&f.ancestors) {
        item.insert("ancestors".into(), s(path));
    }
    item
}

/// The item that reserves `name` for `folder` in its parent ([`folder_name_pk`]).
pub(super) fn folder_name_item(folder: &Folder, name: &str) -> Item {
    HashMap::from([
        (
            "pk".to_string(),
            s(folder_name_pk(&folder.owner, folder.parent(), name)),
        ),
        ("kind".to_string(), s("folder_name")),
        ("folder".to_string(), s(folder.id.to_string())),
    ])
}

pub(super) fn folder_from_item(item: &Item) -> Result<Folder, TableError> {
    Ok(Folder {
        id: get_s(item, "id")?
            .parse()
            .map_err(|_| TableError::Corrupt("bad folder id".into()))?,
        owner: parse_owner(get_s(item, "owner")?)?,
        name: get_s(item, "name")?.to_string(),
        ancestors: parse_path(item, "ancestors")?,
        created_at: parse_time(get_s(item, "created_at")?)?,
    })
}

/// Whether an item read from a listing index is a folder's (else an asset's).
pub(super) fn is_folder_item(item: &Item) -> bool {
    opt_s(item, "kind") == Some("folder")
}

pub(super) fn get_s<'a>(item: &'a Item, key: &str) -> Result<&'a str, TableError> {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| TableError::Corrupt(format!("missing string attribute `{key}`")))
}

pub(super) fn opt_s<'a>(item: &'a Item, key: &str) -> Option<&'a str> {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub(super) fn opt_n(item: &Item, key: &str) -> Result<Option<u64>, TableError> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .map(|v| {
            v.parse()
                .map_err(|_| TableError::Corrupt(format!("`{key}` is not a size")))
        })
        .transpose()
}

pub(super) fn parse_time(v: &str) -> Result<DateTime<Utc>, TableError> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| TableError::Corrupt(format!("`{v}` is not a timestamp")))
}

fn parse_owner(v: &str) -> Result<Owner, TableError> {
    Owner::parse(v).map_err(|_| TableError::Corrupt(format!("`{v}` is not an owner")))
}

pub(super) fn opt_owner(item: &Item) -> Result<Option<Owner>, TableError> {
    opt_s(item, "owner").map(parse_owner).transpose()
}

fn parse_status(v: &str) -> Result<AssetStatus, TableError> {
    v.parse()
        .map_err(|_| TableError::Corrupt(format!("`{v}` is not a status")))
}

pub(super) fn asset_from_item(item: &Item) -> Result<Asset, TableError> {
    let corrupt = |what: &str| TableError::Corrupt(what.to_string());
    Ok(Asset {
        id: get_s(item, "id")?
            .parse()
            .map_err(|_| corrupt("bad asset id"))?,
        owner: opt_owner(item)?,
        bucket: get_s(item, "bucket")?.to_string(),
        object_key: get_s(item, "object_key")?.to_string(),
        filename: get_s(item, "filename")?.to_string(),
        content_type: get_s(item, "content_type")?.to_string(),
        size: opt_n(item, "size")?,
        etag: opt_s(item, "etag").map(str::to_string),
        status: parse_status(get_s(item, "status")?)?,
        deleted_from: opt_s(item, "deleted_from").map(parse_status).transpose()?,
        created_at: parse_time(get_s(item, "created_at")?)?,
        updated_at: parse_time(get_s(item, "updated_at")?)?,
        event_time: opt_s(item, "event_time").map(parse_time).transpose()?,
        event_name: opt_s(item, "event_name").map(str::to_string),
        sequencer: opt_s(item, "sequencer").map(str::to_string),
        rejection: opt_s(item, "rejection")
            .map(|r| serde_json::from_str(r).map_err(|_| corrupt("bad rejection")))
            .transpose()?,
        checksum_sha256: opt_s(item, "checksum_sha256").map(str::to_string),
        thumbnail_key: opt_s(item, "thumbnail_key").map(str::to_string),
        thumbnail_url: None,
        folder_path: parse_path(item, "folder_path")?,
    })
}

/// A row of a listing index: an asset, or (in a folder's listing) a folder. Rows live a
/// page at a time, so the asset is not boxed.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub(super) enum Row {
    Asset(Asset),
    Folder(Folder),
}

impl Row {
    pub fn from_item(item: &Item) -> Result<Row, TableError> {
        if is_folder_item(item) {
            folder_from_item(item).map(Row::Folder)
        } else {
            asset_from_item(item).map(Row::Asset)
        }
    }

    /// Its id as a ULID (asset and folder ids have one form).
    pub fn id(&self) -> AssetId {
        match self {
            Row::Asset(a) => a.id,
            Row::Folder(f) => AssetId::from_ulid(f.id.ulid()),
        }
    }

    /// Its `name_key`.
    pub fn name_key(&self) -> String {
        match self {
            Row::Asset(a) => name_key(&a.filename, a.id),
            Row::Folder(f) => folder_name_key(&f.name, f.id),
        }
    }

    pub fn is_folder(&self) -> bool {
        matches!(self, Row::Folder(_))
    }
}

/// The object item: per-object event state and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ObjectItem {
    pub bucket: String,
    pub key: String,
    /// Who owns the object (the owner of its asset; `None`: nobody, administrators only).
    pub owner: Option<Owner>,
    /// The asset this object belongs to (kept after a removal, so a re-upload of the same
    /// key finds its old record's id).
    pub asset_id: Option<AssetId>,
    /// The newest applied sequencer in its sortable form; empty before the first event.
    pub seq_key: String,
    /// Whether the object exists (its newest event is an `ObjectCreated`).
    pub present: bool,
    /// S3 metadata of the newest `ObjectCreated` event, while the object exists.
    pub meta: Option<ObjectMetadata>,
}

impl ObjectItem {
    pub fn to_item(&self) -> Item {
        let mut item = HashMap::from([
            ("pk".to_string(), s(object_pk(&self.bucket, &self.key))),
            ("kind".to_string(), s("object")),
            ("bucket".to_string(), s(&self.bucket)),
            ("object_key".to_string(), s(&self.key)),
            ("seq_key".to_string(), s(&self.seq_key)),
            ("present".to_string(), AttributeValue::Bool(self.present)),
        ]);
        if let Some(id) = self.asset_id {
            item.insert("asset_id".into(), s(id.to_string()));
        }
        if let Some(owner) = &self.owner {
            item.insert("owner".into(), s(owner.as_str()));
        }
        if let Some(m) = &self.meta {
            item.insert("size".into(), n(m.size));
            item.insert("etag".into(), s(&m.etag));
            item.insert("event_time".into(), s(timestamp(m.event_time)));
            item.insert("event_name".into(), s(&m.event_name));
            item.insert("sequencer".into(), s(&m.sequencer));
            if let Some(ct) = &m.content_type {
                item.insert("content_type".into(), s(ct));
            }
            if let Some(sum) = &m.checksum_sha256 {
                item.insert("checksum_sha256".into(), s(sum));
            }
        }
        item
    }

    pub fn from_item(item: &Item) -> Result<ObjectItem, TableError> {
        let bucket = get_s(item, "bucket")?.to_string();
        let key = get_s(item, "object_key")?.to_string();
        let meta = match opt_s(item, "sequencer") {
            Some(seq) => Some(ObjectMetadata {
                bucket: bucket.clone(),
                object_key: key.clone(),
                size: opt_n(item, "size")?.unwrap_or(0),
                etag: opt_s(item, "etag").unwrap_or_default().to_string(),
                event_time: parse_time(get_s(item, "event_time")?)?,
                event_name: get_s(item, "event_name")?.to_string(),
                sequencer: seq.to_string(),
                content_type: opt_s(item, "content_type").map(str::to_string),
                checksum_sha256: opt_s(item, "checksum_sha256").map(str::to_string),
            }),
            None => None,
        };
        Ok(ObjectItem {
            owner: opt_owner(item)?,
            asset_id: opt_s(item, "asset_id")
                .map(|v| {
                    v.parse()
                        .map_err(|_| TableError::Corrupt("bad asset_id".into()))
                })
                .transpose()?,
            seq_key: opt_s(item, "seq_key").unwrap_or_default().to_string(),
            present: item
                .get("present")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false),
            bucket,
            key,
            meta,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset() -> Asset {
        let t = DateTime::parse_from_rfc3339("2026-11-29T10:00:00.123Z")
            .unwrap()
            .with_timezone(&Utc);
        Asset {
            id: "01JDQ7ZK3M5X9V2B8N4C6T1R0W".parse().unwrap(),
            owner: Some(Owner::parse("alice").unwrap()),
            bucket: "b".into(),
            object_key: "uploads/alice/01JDQ7ZK3M5X9V2B8N4C6T1R0W/Été.txt".into(),
            filename: "Été.txt".into(),
            content_type: "text/plain".into(),
            size: Some(5),
            etag: None,
            status: AssetStatus::Deleted,
            deleted_from: Some(AssetStatus::Received),
            created_at: t,
            updated_at: t,
            event_time: Some(t),
            event_name: Some("ObjectCreated:Put".into()),
            sequencer: Some("00AB".into()),
            rejection: None,
            checksum_sha256: None,
            thumbnail_key: None,
            thumbnail_url: None,
            folder_path: vec![],
        }
    }

    #[test]
    fn asset_items_round_trip_and_feed_the_indexes() {
        let a = asset();
        let item = asset_item(&a);
        assert_eq!(asset_from_item(&item).unwrap(), a);
        assert_eq!(item["owner"], s("alice"));
        assert_eq!(item["owner_pk"], s("OWNER#alice"));
        assert_eq!(item["owner_status"], s("OWNER#alice#DELETED"));
        let n = shard(a.id);
        assert_eq!(item["all_pk"], s(format!("ALL#{n}")));
        assert_eq!(item["all_status"], s(format!("ALL#{n}#DELETED")));
        assert!(
            !item.contains_key("list_pk"),
            "no partition every asset shares"
        );
        assert_eq!(item["name_key"], s(format!("été.txt\u{1}{}", a.id)));
        // Nothing feeds the retired `by_object` index any more.
        assert!(!item.contains_key("object_ref"));
        assert!(!item.contains_key("etag"), "absent values are left out");
    }

    #[test]
    fn unowned_assets_have_their_own_partition() {
        let a = Asset {
            owner: None,
            ..asset()
        };
        let item = asset_item(&a);
        assert_eq!(asset_from_item(&item).unwrap(), a);
        assert!(!item.contains_key("owner"));
        assert_eq!(item["owner_pk"], s(UNOWNED_PK));
        assert_eq!(item["owner_status"], s("UNOWNED#DELETED"));
    }

    #[test]
    fn shards_spread_ids_and_never_change() {
        let mut seen = [0u32; ALL_SHARDS as usize];
        let mut g = ulid::Generator::new();
        for _ in 0..800 {
            let id = AssetId::from_ulid(g.generate().unwrap());
            assert_eq!(shard(id), shard(id));
            seen[shard(id) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
        let fixed: AssetId = "01JDQ7ZK3M5X9V2B8N4C6T1R0W".parse().unwrap();
        assert_eq!(shard(fixed), (fixed.ulid().0 % 8) as u8);
    }

    #[test]
    fn upload_keys_name_the_owner_then_the_id() {
        let id: AssetId = "01JDQ7ZK3M5X9V2B8N4C6T1R0W".parse().unwrap();
        let o = Owner::local();
        assert_eq!(
            upload_key(&o, id, Some("a/b.txt")),
            "uploads/local/01JDQ7ZK3M5X9V2B8N4C6T1R0W/a/b.txt"
        );
        assert_eq!(
            upload_key(&o, id, None),
            "uploads/local/01JDQ7ZK3M5X9V2B8N4C6T1R0W"
        );
        // The longest owner and the longest name still make a key S3 accepts (1024 bytes).
        let longest = Owner::parse(&"o".repeat(Owner::MAX_BYTES)).unwrap();
        let name = "n".repeat(app::domain::MAX_FILENAME_BYTES);
        assert_eq!(upload_key(&longest, id, Some(&name)).len(), 1024);
        // Also a name of multi-byte characters at the limit, counted in bytes after NFC:
        // 3 × 127 `é` sent decomposed (e + U+0301), 3 bytes each, are 254 bytes stored.
        let segment = "e\u{301}".repeat(127);
        let sent = format!("{segment}/{segment}/{segment}/{}x", "e\u{301}".repeat(47));
        assert!(sent.len() > 1024);
        let stored = app::domain::validate_filename(&sent).unwrap();
        assert_eq!(stored.len(), app::domain::MAX_FILENAME_BYTES);
        let key = upload_key(&longest, id, Some(&stored));
        assert_eq!(key.len(), 1024, "S3's limit on a key, in UTF-8 bytes");
    }

    #[test]
    fn object_items_round_trip() {
        let o = ObjectItem {
            bucket: "b".into(),
            key: "k".into(),
            owner: Some(Owner::local()),
            asset_id: Some(asset().id),
            seq_key: "00AB".into(),
            present: true,
            meta: Some(ObjectMetadata {
                bucket: "b".into(),
                object_key: "k".into(),
                size: 3,
                etag: "e".into(),
                event_time: asset().created_at,
                event_name: "ObjectCreated:Put".into(),
                sequencer: "00AB".into(),
                content_type: Some("text/plain".into()),
                checksum_sha256: Some("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=".into()),
            }),
        };
        assert_eq!(ObjectItem::from_item(&o.to_item()).unwrap(), o);
        let tombstone = ObjectItem {
            present: false,
            meta: None,
            ..o
        };
        assert_eq!(
            ObjectItem::from_item(&tombstone.to_item()).unwrap(),
            tombstone
        );
    }

    #[test]
    fn corrupt_items_are_reported_not_guessed() {
        let mut item = asset_item(&asset());
        item.insert("status".into(), s("LOST"));
        assert!(matches!(
            asset_from_item(&item),
            Err(TableError::Corrupt(_))
        ));
        let mut item = asset_item(&asset());
        item.insert("owner".into(), s("a/b"));
        assert!(matches!(
            asset_from_item(&item),
            Err(TableError::Corrupt(_))
        ));
        item.remove("id");
        assert!(matches!(
            asset_from_item(&item),
            Err(TableError::Corrupt(_))
        ));
    }
}
