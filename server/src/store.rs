//! The asset store: DynamoDB through `aws-sdk-dynamodb`, the only boundary to the table.
//!
//! # Table design (one table, `TABLE_NAME`, partition key `pk` only)
//!
//! | item | `pk` | what it holds |
//! |---|---|---|
//! | asset | `ASSET#<ulid>` | the [`Asset`] record; `list_pk = "ASSET"`, `status`, `object_ref`, `name_key` feed the indexes |
//! | schema | `META#schema` | which upgrades an older table has had (embedded backend) |
//! | object | `OBJECT#<bucket>/<key>` | per-object event state: owning `asset_id`, newest `sequencer` (and its padded `seq_key`), `present`, and the S3 metadata of the newest `ObjectCreated` event |
//!
//! Global secondary indexes (sparse: only asset items carry their keys), all projecting ALL:
//!
//! | index | partition | sort | used for |
//! |---|---|---|---|
//! | `by_created` | `list_pk` | `id` | list newest-first (ULIDs sort by time) |
//! | `by_status` | `status` | `id` | list one status newest-first |
//! | `by_object` | `object_ref` | – | asset by (bucket, key) in one Query |
//! | `by_name` | `list_pk` | `name_key` | list by file name; file name prefix search |
//! | `by_status_name` | `status` | `name_key` | the same within one status |
//!
//! `name_key` is the lower-cased file name, `\u{1}`, then the id. Sorting by size is not
//! offered: size changes when the object arrives (declared, then what S3 reports), and each
//! extra order costs two more indexes (with and without a status filter) on every write.
//!
//! Every request-path read is a GetItem or a Query; nothing Scans (only the one-time upgrade
//! of a table made by an older version does, at start-up of the embedded backend). Get by id is one GetItem,
//! `/metadata` is one GetItem of the object item.
//!
//! S3 events are applied in one `TransactWriteItems` that writes the object item (conditioned
//! on the exact state that was read, so concurrent events serialise) and the asset item
//! (conditioned on its status as read). An event whose sequencer is not newer than the object
//! item's is ignored, so duplicates and late deliveries never regress anything. After a
//! removal the object item stays as a tombstone (`present = false`) remembering the sequencer.

use crate::error::StoreError;
use app::{
    api::SortOrder,
    domain::{Asset, AssetId, AssetStatus, ObjectMetadata},
};
use aws_sdk_dynamodb::{
    error::SdkError,
    operation::update_item::UpdateItemError,
    types::{
        AttributeDefinition, AttributeValue, BillingMode, CreateGlobalSecondaryIndexAction, Delete,
        GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection,
        ProjectionType, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
        TransactWriteItem, Update,
    },
    Client,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::{collections::HashMap, sync::Mutex};

pub const INDEX_BY_CREATED: &str = "by_created";
pub const INDEX_BY_STATUS: &str = "by_status";
pub const INDEX_BY_OBJECT: &str = "by_object";
pub const INDEX_BY_NAME: &str = "by_name";
pub const INDEX_BY_STATUS_NAME: &str = "by_status_name";

/// A global secondary index: name, partition key, optional sort key (all strings, projecting
/// every attribute).
pub struct IndexSpec {
    pub name: &'static str,
    pub partition: &'static str,
    pub sort: Option<&'static str>,
}

/// Every index the store queries.
pub const INDEXES: [IndexSpec; 5] = [
    IndexSpec {
        name: INDEX_BY_CREATED,
        partition: "list_pk",
        sort: Some("id"),
    },
    IndexSpec {
        name: INDEX_BY_STATUS,
        partition: "status",
        sort: Some("id"),
    },
    IndexSpec {
        name: INDEX_BY_OBJECT,
        partition: "object_ref",
        sort: None,
    },
    IndexSpec {
        name: INDEX_BY_NAME,
        partition: "list_pk",
        sort: Some("name_key"),
    },
    IndexSpec {
        name: INDEX_BY_STATUS_NAME,
        partition: "status",
        sort: Some("name_key"),
    },
];

impl IndexSpec {
    fn keys(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.partition).chain(self.sort)
    }

    fn key_schema(&self) -> Vec<KeySchemaElement> {
        let mut keys = vec![key_element(self.partition, KeyType::Hash)];
        if let Some(sort) = self.sort {
            keys.push(key_element(sort, KeyType::Range));
        }
        keys
    }

    fn build(&self) -> GlobalSecondaryIndex {
        GlobalSecondaryIndex::builder()
            .index_name(self.name)
            .set_key_schema(Some(self.key_schema()))
            .projection(all_attributes())
            .build()
            .expect("index")
    }

    fn build_create(&self) -> CreateGlobalSecondaryIndexAction {
        CreateGlobalSecondaryIndexAction::builder()
            .index_name(self.name)
            .set_key_schema(Some(self.key_schema()))
            .projection(all_attributes())
            .build()
            .expect("index")
    }
}

fn all_attributes() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

fn attr_definition(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute definition")
}

fn key_element(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("key schema")
}

/// The item remembering which upgrades a table has had ([`SCHEMA_VERSION`]).
const SCHEMA_PK: &str = "META#schema";
/// 2: asset items carry `name_key` (the name indexes).
const SCHEMA_VERSION: u64 = 2;
const LIST_PK: &str = "ASSET";
/// Largest page a caller may ask for.
pub const MAX_PAGE_SIZE: usize = 100;
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Sequencers are hex strings of varying length; padded to this width they compare as text.
const SEQ_WIDTH: usize = 64;
/// Attempts at an event transaction that loses a race before giving up (the caller retries).
const EVENT_ATTEMPTS: usize = 8;

type Item = HashMap<String, AttributeValue>;

/// What a new upload declares about its file.
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub bucket: String,
    /// `None`: the object key is `uploads/<id>` and the id doubles as the name.
    pub filename: Option<String>,
    pub content_type: String,
    pub size: Option<u64>,
}

/// One object event, already decoded and validated (see [`crate::events`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    pub bucket: String,
    pub key: String,
    pub kind: ObjectEventKind,
    pub event_name: String,
    pub event_time: DateTime<Utc>,
    pub sequencer: Sequencer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectEventKind {
    Created { size: u64, etag: String },
    Removed,
}

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOutcome {
    /// The asset now reflects the event (created or updated).
    Applied {
        asset_id: AssetId,
        status: AssetStatus,
    },
    /// The asset record was removed.
    Removed { asset_id: Option<AssetId> },
    /// A newer (or the same) event was already applied: nothing changed.
    Stale,
}

/// An S3 event sequencer: upper-case hex, compared after right-padding with zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequencer(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an S3 sequencer (1 to 64 hexadecimal digits)")]
pub struct InvalidSequencer(pub String);

impl Sequencer {
    pub fn parse(s: &str) -> Result<Sequencer, InvalidSequencer> {
        if s.is_empty() || s.len() > SEQ_WIDTH || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(InvalidSequencer(s.chars().take(80).collect()));
        }
        Ok(Sequencer(s.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sortable form: right-padded with `0` to a fixed width, as S3 documents.
    pub fn sort_key(&self) -> String {
        format!("{:0<width$}", self.0, width = SEQ_WIDTH)
    }
}

/// Where a page starts: opaque to callers (base64url of a small JSON document). It names the
/// listing it belongs to (status filter, order, search prefix) and refuses to continue any
/// other, and the index position of the row it is next to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    v: u8,
    #[serde(flatten)]
    listing: Listing,
    /// `true`: the page before `id`; `false`: the page after it.
    back: bool,
    id: AssetId,
    /// The row's `name_key` when the listing is in name order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_key: Option<String>,
}

/// What a listing shows, normalised: the part of a query a cursor must agree with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Listing {
    status: Option<AssetStatus>,
    sort: SortOrder,
    prefix: Option<String>,
}

const CURSOR_VERSION: u8 = 2;
/// Longest cursor accepted (a name key is at most 255 characters, 4 bytes each).
const MAX_CURSOR_LEN: usize = 4096;
/// Longest file name prefix a search accepts (file names are at most 255 characters).
pub const MAX_PREFIX_CHARS: usize = 255;

impl Cursor {
    fn at(listing: &Listing, asset: &Asset, back: bool) -> Cursor {
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
    fn turned(&self, back: bool) -> Cursor {
        Cursor {
            back,
            ..self.clone()
        }
    }

    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("cursor serialises"))
    }

    fn decode(s: &str, listing: &Listing) -> Result<Cursor, StoreError> {
        let bad = || StoreError::InvalidCursor;
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
            return Err(StoreError::CursorMismatch);
        }
        Ok(cursor)
    }
}

/// Separates the lower-cased file name from the id in `name_key`; sorts before every
/// printable character, so `a` lists before `a b` and `ab`.
const NAME_KEY_SEPARATOR: char = '\u{1}';

/// The name-order sort key: lower-cased file name, then the id (unique, and newest-last among
/// equal names).
fn name_key(filename: &str, id: AssetId) -> String {
    format!("{}{NAME_KEY_SEPARATOR}{id}", filename.to_lowercase())
}

/// A page of assets in the listing's order.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Asset>,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<AssetStatus>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    /// `None`: newest first, or name order when searching.
    pub sort: Option<SortOrder>,
    /// Case-insensitive file name prefix; lists in name order.
    pub prefix: Option<String>,
}

impl ListQuery {
    fn listing(&self) -> Result<Listing, StoreError> {
        let prefix = match self.prefix.as_deref() {
            None | Some("") => None,
            Some(p) if p.chars().count() > MAX_PREFIX_CHARS || p.chars().any(char::is_control) => {
                return Err(StoreError::InvalidPrefix)
            }
            Some(p) => Some(p.to_lowercase()),
        };
        let sort = match (self.sort, &prefix) {
            (None, None) => SortOrder::Newest,
            (None, Some(_)) => SortOrder::Name,
            (Some(sort), Some(_)) if !sort.by_name() => {
                return Err(StoreError::SearchNeedsNameOrder)
            }
            (Some(sort), _) => sort,
        };
        Ok(Listing {
            status: self.status,
            sort,
            prefix,
        })
    }
}

/// The asset table.
pub struct AssetStore {
    db: Client,
    table: String,
    ids: Mutex<ulid::Generator>,
}

impl AssetStore {
    pub fn new(db: Client, table: impl Into<String>) -> AssetStore {
        AssetStore {
            db,
            table: table.into(),
            ids: Mutex::new(ulid::Generator::new()),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// A new id, strictly greater than every id this process made before.
    fn new_id(&self) -> AssetId {
        let mut generator = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        let ulid = generator
            .generate()
            .unwrap_or_else(|_| ulid::Ulid::generate());
        AssetId::from_ulid(ulid)
    }

    /// Creates the table and its indexes if missing (embedded backend, first start), and
    /// brings a table made by an older Ferry up to date: missing indexes are added and asset
    /// items get the attributes those indexes read. Not used against AWS, where the template
    /// owns the table.
    pub async fn ensure_table(&self) -> Result<(), StoreError> {
        match self
            .db
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(out) => {
                let have: Vec<String> = out
                    .table()
                    .map(|t| {
                        t.global_secondary_indexes()
                            .iter()
                            .filter_map(|g| g.index_name().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                return self.upgrade(&have).await;
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_not_found_exception()) => {}
            Err(e) => return Err(StoreError::backend(e)),
        }
        let mut attrs: Vec<&str> = vec!["pk"];
        for index in &INDEXES {
            for a in index.keys() {
                if !attrs.contains(&a) {
                    attrs.push(a);
                }
            }
        }
        let result = self
            .db
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(attrs.into_iter().map(attr_definition).collect()))
            .key_schema(key_element("pk", KeyType::Hash))
            .set_global_secondary_indexes(Some(INDEXES.iter().map(IndexSpec::build).collect()))
            .send()
            .await;
        match result {
            Ok(_) => self.set_schema_version().await,
            // Created concurrently by another process: fine.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    /// Adds the indexes `have` lacks, then (once per table, remembered in a schema item)
    /// gives older asset items their `name_key`.
    async fn upgrade(&self, have: &[String]) -> Result<(), StoreError> {
        for index in INDEXES.iter().filter(|i| !have.iter().any(|h| h == i.name)) {
            tracing::info!(table = %self.table, index = index.name, "adding a missing index");
            let mut update = self
                .db
                .update_table()
                .table_name(&self.table)
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .create(index.build_create())
                        .build(),
                );
            for a in index.keys() {
                update = update.attribute_definitions(attr_definition(a));
            }
            update.send().await.map_err(StoreError::backend)?;
        }
        if self.schema_version().await? >= SCHEMA_VERSION {
            return Ok(());
        }
        // Items written before `name_key` existed are invisible to the name indexes.
        let mut start = None;
        let mut fixed = 0;
        loop {
            let out = self
                .db
                .scan()
                .table_name(&self.table)
                .filter_expression("kind = :asset AND attribute_not_exists(name_key)")
                .expression_attribute_values(":asset", s("asset"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::backend)?;
            for item in out.items() {
                let asset = asset_from_item(item)?;
                self.db
                    .update_item()
                    .table_name(&self.table)
                    .key("pk", s(asset_pk(asset.id)))
                    .update_expression("SET name_key = :k")
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_values(":k", s(name_key(&asset.filename, asset.id)))
                    .send()
                    .await
                    .map_err(StoreError::backend)?;
                fixed += 1;
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        if fixed > 0 {
            tracing::info!(table = %self.table, assets = fixed, "added name keys");
        }
        self.set_schema_version().await
    }

    async fn schema_version(&self) -> Result<u64, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .key("pk", s(SCHEMA_PK))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::backend)?;
        Ok(out
            .item
            .as_ref()
            .and_then(|i| opt_n(i, "version").ok().flatten())
            .unwrap_or(1))
    }

    async fn set_schema_version(&self) -> Result<(), StoreError> {
        self.db
            .put_item()
            .table_name(&self.table)
            .item("pk", s(SCHEMA_PK))
            .item("kind", s("schema"))
            .item("version", n(SCHEMA_VERSION))
            .send()
            .await
            .map_err(StoreError::backend)?;
        Ok(())
    }

    /// Records a new asset in state CREATED, with its object key `uploads/<id>/<filename>`.
    pub async fn create(&self, new: NewAsset) -> Result<Asset, StoreError> {
        let filename = new
            .filename
            .as_deref()
            .map(app::domain::validate_filename)
            .transpose()?;
        validate_content_type(&new.content_type)?;
        let id = self.new_id();
        let now = now_millis();
        let (filename, object_key) = match filename {
            Some(name) => (name.clone(), format!("uploads/{id}/{name}")),
            None => (id.to_string(), format!("uploads/{id}")),
        };
        let asset = Asset {
            id,
            bucket: new.bucket,
            object_key,
            filename,
            content_type: new.content_type,
            size: new.size,
            etag: None,
            status: AssetStatus::Created,
            deleted_from: None,
            created_at: now,
            updated_at: now,
            event_time: None,
            event_name: None,
            sequencer: None,
        };
        let pointer = ObjectItem {
            bucket: asset.bucket.clone(),
            key: asset.object_key.clone(),
            asset_id: Some(id),
            seq_key: String::new(),
            present: false,
            meta: None,
        };
        self.db
            .transact_write_items()
            .transact_items(put(
                &self.table,
                asset_item(&asset),
                "attribute_not_exists(pk)",
            ))
            .transact_items(put(
                &self.table,
                pointer.to_item(),
                "attribute_not_exists(pk)",
            ))
            .send()
            .await
            .map_err(StoreError::backend)?;
        Ok(asset)
    }

    /// The asset with this id (one strongly consistent GetItem).
    pub async fn get(&self, id: AssetId) -> Result<Asset, StoreError> {
        self.find(id).await?.ok_or(StoreError::NotFound)
    }

    async fn find(&self, id: AssetId) -> Result<Option<Asset>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .key("pk", s(asset_pk(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::backend)?;
        out.item.map(|item| asset_from_item(&item)).transpose()
    }

    /// The asset whose object is `bucket`/`key` (one Query on `by_object`).
    pub async fn get_by_object(&self, bucket: &str, key: &str) -> Result<Asset, StoreError> {
        let out = self
            .db
            .query()
            .table_name(&self.table)
            .index_name(INDEX_BY_OBJECT)
            .key_condition_expression("object_ref = :r")
            .expression_attribute_values(":r", s(object_ref(bucket, key)))
            .limit(1)
            .send()
            .await
            .map_err(StoreError::backend)?;
        match out.items.unwrap_or_default().first() {
            Some(item) => asset_from_item(item),
            None => Err(StoreError::NotFound),
        }
    }

    /// The S3 metadata of the object, as recorded from its newest `ObjectCreated` event.
    pub async fn object_metadata(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<ObjectMetadata, StoreError> {
        match self.object_item(bucket, key).await? {
            Some(ObjectItem {
                present: true,
                meta: Some(meta),
                ..
            }) => Ok(meta),
            _ => Err(StoreError::NotFound),
        }
    }

    async fn object_item(&self, bucket: &str, key: &str) -> Result<Option<ObjectItem>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .key("pk", s(object_pk(bucket, key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::backend)?;
        out.item
            .map(|item| ObjectItem::from_item(&item))
            .transpose()
    }

    /// One page of assets: a single Query whatever the table size.
    ///
    /// The index and direction follow from the listing: `by_created`/`by_status` (time order,
    /// ULID ids) or `by_name`/`by_status_name` (name order, also what a prefix search reads).
    /// A cursor with `back` reads the same index the other way from its row and reverses the
    /// result, which is how "previous page" stays one Query too.
    pub async fn list(&self, query: ListQuery) -> Result<Page, StoreError> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if limit == 0 || limit > MAX_PAGE_SIZE {
            return Err(StoreError::InvalidLimit);
        }
        let listing = query.listing()?;
        let cursor = query
            .cursor
            .as_deref()
            .map(|c| Cursor::decode(c, &listing))
            .transpose()?;
        let back = cursor.as_ref().is_some_and(|c| c.back);
        let ascending = matches!(listing.sort, SortOrder::Oldest | SortOrder::Name);
        let by_name = listing.sort.by_name();
        let (index, partition_attr, partition) = match (listing.status, by_name) {
            (Some(st), false) => (INDEX_BY_STATUS, "status", st.as_str()),
            (Some(st), true) => (INDEX_BY_STATUS_NAME, "status", st.as_str()),
            (None, false) => (INDEX_BY_CREATED, "list_pk", LIST_PK),
            (None, true) => (INDEX_BY_NAME, "list_pk", LIST_PK),
        };
        let mut condition = "#p = :p".to_string();
        let mut request = self
            .db
            .query()
            .table_name(&self.table)
            .index_name(index)
            .scan_index_forward(ascending != back)
            // One more than asked: tells whether another page exists without a second call.
            .limit(limit as i32 + 1)
            .expression_attribute_names("#p", partition_attr)
            .expression_attribute_values(":p", s(partition));
        if let Some(prefix) = &listing.prefix {
            condition.push_str(" AND begins_with(name_key, :prefix)");
            request = request.expression_attribute_values(":prefix", s(prefix));
        }
        request = request.key_condition_expression(condition);
        if let Some(c) = &cursor {
            let mut start = HashMap::from([
                ("pk".to_string(), s(asset_pk(c.id))),
                (partition_attr.to_string(), s(partition)),
            ]);
            match &c.name_key {
                Some(key) => start.insert("name_key".into(), s(key)),
                None => start.insert("id".into(), s(c.id.to_string())),
            };
            request = request.set_exclusive_start_key(Some(start));
        }
        let out = request.send().await.map_err(StoreError::backend)?;
        let mut items = out
            .items
            .unwrap_or_default()
            .iter()
            .map(asset_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let more = items.len() > limit;
        items.truncate(limit);
        if back {
            items.reverse();
        }
        let at = |asset: Option<&Asset>, back: bool| {
            asset.map(|a| Cursor::at(&listing, a, back).encode())
        };
        let (next_cursor, prev_cursor) = match &cursor {
            None => (if more { at(items.last(), false) } else { None }, None),
            // Read backwards from a row: the rows after this page start at that row.
            Some(c) if c.back => (
                at(items.last(), false).or_else(|| Some(c.turned(false).encode())),
                if more { at(items.first(), true) } else { None },
            ),
            Some(c) => (
                if more { at(items.last(), false) } else { None },
                at(items.first(), true).or_else(|| Some(c.turned(true).encode())),
            ),
        };
        Ok(Page {
            items,
            next_cursor,
            prev_cursor,
        })
    }

    /// RECEIVED or UPLOADED → UPLOADED (the client confirms its upload).
    pub async fn mark_uploaded(&self, id: AssetId) -> Result<Asset, StoreError> {
        self.transition(
            id,
            "mark uploaded",
            "SET #st = :uploaded, updated_at = :now",
            "attribute_exists(pk) AND #st IN (:received, :uploaded)",
            &[
                (":uploaded", AssetStatus::Uploaded),
                (":received", AssetStatus::Received),
            ],
            |_| None,
        )
        .await
    }

    /// Any state → DELETED, remembering the state to restore. Deleting twice is a no-op.
    pub async fn soft_delete(&self, id: AssetId) -> Result<Asset, StoreError> {
        self.transition(
            id,
            "delete",
            // Operands read the item as it was: deleted_from gets the old status.
            "SET deleted_from = #st, #st = :deleted, updated_at = :now",
            "attribute_exists(pk) AND #st <> :deleted",
            &[(":deleted", AssetStatus::Deleted)],
            // Already DELETED: idempotent success with the record as it stands.
            |old| (old.status == AssetStatus::Deleted).then(|| old.clone()),
        )
        .await
    }

    /// DELETED → the state it was deleted from.
    pub async fn restore(&self, id: AssetId) -> Result<Asset, StoreError> {
        self.transition(
            id,
            "restore",
            "SET #st = deleted_from, updated_at = :now REMOVE deleted_from",
            "#st = :deleted AND attribute_exists(deleted_from)",
            &[(":deleted", AssetStatus::Deleted)],
            |_| None,
        )
        .await
    }

    /// One conditional state change of an asset (`#st` is its status, `:now` the time).
    /// Returns the new record; when the condition fails, the record as it was decides:
    /// missing → NotFound, else `idempotent` may accept it, else InvalidTransition.
    async fn transition(
        &self,
        id: AssetId,
        action: &'static str,
        update: &str,
        condition: &str,
        statuses: &[(&str, AssetStatus)],
        idempotent: impl Fn(&Asset) -> Option<Asset>,
    ) -> Result<Asset, StoreError> {
        let mut request = self
            .db
            .update_item()
            .table_name(&self.table)
            .key("pk", s(asset_pk(id)))
            .update_expression(update)
            .condition_expression(condition)
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":now", s(timestamp(now_millis())))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (placeholder, status) in statuses {
            request = request.expression_attribute_values(*placeholder, s(status.as_str()));
        }
        match request.send().await {
            Ok(out) => asset_from_item(&out.attributes.unwrap_or_default()),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(ccf)) => {
                    let Some(old) = ccf.item() else {
                        return Err(StoreError::NotFound);
                    };
                    let old = asset_from_item(old)?;
                    idempotent(&old).ok_or(StoreError::InvalidTransition {
                        action,
                        from: old.status,
                    })
                }
                _ => Err(StoreError::backend(e)),
            },
        }
    }

    /// Applies one S3 object event, in sequencer order per object (see the module docs).
    pub async fn apply_event(&self, ev: &ObjectEvent) -> Result<EventOutcome, StoreError> {
        let seq_key = ev.sequencer.sort_key();
        for _ in 0..EVENT_ATTEMPTS {
            let pointer = self.object_item(&ev.bucket, &ev.key).await?;
            if pointer.as_ref().is_some_and(|p| p.seq_key >= seq_key) {
                return Ok(EventOutcome::Stale);
            }
            let asset_id = pointer.as_ref().and_then(|p| p.asset_id);
            let asset = match asset_id {
                Some(id) => self.find(id).await?,
                None => None,
            };

            let (pointer_condition, read_seq) = match &pointer {
                None => ("attribute_not_exists(pk)", None),
                Some(p) => ("seq_key = :read_seq", Some(p.seq_key.clone())),
            };
            let (outcome, asset_write, new_pointer) = match &ev.kind {
                ObjectEventKind::Created { size, etag } => {
                    let meta = ObjectMetadata {
                        bucket: ev.bucket.clone(),
                        object_key: ev.key.clone(),
                        size: *size,
                        etag: etag.clone(),
                        event_time: ev.event_time,
                        event_name: ev.event_name.clone(),
                        sequencer: ev.sequencer.as_str().to_string(),
                    };
                    let (asset_id, status, write) = match &asset {
                        Some(a) => {
                            let status = match a.status {
                                AssetStatus::Created => AssetStatus::Received,
                                other => other,
                            };
                            (a.id, status, self.update_from_event(a, status, &meta))
                        }
                        None => {
                            let id = asset_id.unwrap_or_else(|| self.new_id());
                            (id, AssetStatus::Received, self.asset_from_event(id, &meta))
                        }
                    };
                    let pointer = ObjectItem {
                        bucket: ev.bucket.clone(),
                        key: ev.key.clone(),
                        asset_id: Some(asset_id),
                        seq_key: seq_key.clone(),
                        present: true,
                        meta: Some(meta),
                    };
                    (
                        EventOutcome::Applied { asset_id, status },
                        Some(write),
                        pointer,
                    )
                }
                ObjectEventKind::Removed => {
                    let write = asset.as_ref().map(|a| {
                        TransactWriteItem::builder()
                            .delete(
                                Delete::builder()
                                    .table_name(&self.table)
                                    .key("pk", s(asset_pk(a.id)))
                                    .build()
                                    .expect("delete"),
                            )
                            .build()
                    });
                    let pointer = ObjectItem {
                        bucket: ev.bucket.clone(),
                        key: ev.key.clone(),
                        asset_id,
                        seq_key: seq_key.clone(),
                        present: false,
                        meta: None,
                    };
                    (
                        EventOutcome::Removed {
                            asset_id: asset.as_ref().map(|a| a.id),
                        },
                        write,
                        pointer,
                    )
                }
            };

            let mut pointer_put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(new_pointer.to_item()))
                .condition_expression(pointer_condition);
            if let Some(read_seq) = read_seq {
                pointer_put = pointer_put.expression_attribute_values(":read_seq", s(read_seq));
            }
            let mut tx = self.db.transact_write_items().transact_items(
                TransactWriteItem::builder()
                    .put(pointer_put.build().expect("put"))
                    .build(),
            );
            if let Some(write) = asset_write {
                tx = tx.transact_items(write);
            }
            match tx.send().await {
                Ok(_) => return Ok(outcome),
                Err(e) if is_condition_conflict(&e) => continue, // lost a race: read again
                Err(e) => return Err(StoreError::backend(e)),
            }
        }
        Err(StoreError::Contention)
    }

    /// Update of an existing asset by a newer ObjectCreated event, conditioned on the status
    /// that was read (a concurrent delete or confirm makes the transaction retry).
    fn update_from_event(
        &self,
        asset: &Asset,
        status: AssetStatus,
        meta: &ObjectMetadata,
    ) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(asset_pk(asset.id)))
            .update_expression(
                "SET #st = :st, #size = :size, etag = :etag, event_time = :et, \
                 event_name = :en, sequencer = :seq, updated_at = :now",
            )
            .condition_expression("#st = :read_st")
            .expression_attribute_names("#st", "status")
            // `size` is a DynamoDB reserved word.
            .expression_attribute_names("#size", "size")
            .expression_attribute_values(":st", s(status.as_str()))
            .expression_attribute_values(":read_st", s(asset.status.as_str()))
            .expression_attribute_values(":size", n(meta.size))
            .expression_attribute_values(":etag", s(&meta.etag))
            .expression_attribute_values(":et", s(timestamp(meta.event_time)))
            .expression_attribute_values(":en", s(&meta.event_name))
            .expression_attribute_values(":seq", s(&meta.sequencer))
            .expression_attribute_values(":now", s(timestamp(now_millis())))
            .build()
            .expect("update");
        TransactWriteItem::builder().update(update).build()
    }

    /// A record for an object Ferry did not create (e.g. `aws s3 cp`), or re-created after
    /// its record was removed.
    fn asset_from_event(&self, id: AssetId, meta: &ObjectMetadata) -> TransactWriteItem {
        let now = now_millis();
        let filename = meta
            .object_key
            .rsplit('/')
            .find(|seg| !seg.is_empty())
            .unwrap_or(&meta.object_key)
            .to_string();
        let asset = Asset {
            id,
            bucket: meta.bucket.clone(),
            object_key: meta.object_key.clone(),
            content_type: guess_content_type(&filename).to_string(),
            filename,
            size: Some(meta.size),
            etag: Some(meta.etag.clone()),
            status: AssetStatus::Received,
            deleted_from: None,
            created_at: now,
            updated_at: now,
            event_time: Some(meta.event_time),
            event_name: Some(meta.event_name.clone()),
            sequencer: Some(meta.sequencer.clone()),
        };
        put(&self.table, asset_item(&asset), "attribute_not_exists(pk)")
    }
}

fn is_condition_conflict<R>(
    e: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> bool {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
    match e.as_service_error() {
        Some(E::TransactionCanceledException(tc)) => tc.cancellation_reasons().iter().any(|r| {
            matches!(
                r.code(),
                Some("ConditionalCheckFailed") | Some("TransactionConflict")
            )
        }),
        _ => false,
    }
}

/// Content types are echoed in signed headers and HTTP responses: keep them to the RFC's
/// visible ASCII, with a sane length.
pub fn validate_content_type(ct: &str) -> Result<(), StoreError> {
    let ok = !ct.is_empty()
        && ct.len() <= 255
        && ct.contains('/')
        && ct.bytes().all(|b| (0x20..0x7f).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidContentType)
    }
}

/// A best guess for objects that arrive without Ferry knowing their type.
fn guess_content_type(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" | "md" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

// ---- item encoding -------------------------------------------------------------------------

fn asset_pk(id: AssetId) -> String {
    format!("ASSET#{id}")
}

fn object_pk(bucket: &str, key: &str) -> String {
    // Bucket names cannot contain `/`, so this is unambiguous.
    format!("OBJECT#{bucket}/{key}")
}

fn object_ref(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}")
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The current time at the precision stored (milliseconds), so a record read back equals
/// the one written.
fn now_millis() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// RFC 3339 in UTC with milliseconds: how Ferry stores and shows every time.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn put(table: &str, item: Item, condition: &str) -> TransactWriteItem {
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

fn asset_item(a: &Asset) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), s(asset_pk(a.id))),
        ("kind".to_string(), s("asset")),
        ("list_pk".to_string(), s(LIST_PK)),
        ("id".to_string(), s(a.id.to_string())),
        ("bucket".to_string(), s(&a.bucket)),
        ("object_key".to_string(), s(&a.object_key)),
        (
            "object_ref".to_string(),
            s(object_ref(&a.bucket, &a.object_key)),
        ),
        ("filename".to_string(), s(&a.filename)),
        ("name_key".to_string(), s(name_key(&a.filename, a.id))),
        ("content_type".to_string(), s(&a.content_type)),
        ("status".to_string(), s(a.status.as_str())),
        ("created_at".to_string(), s(timestamp(a.created_at))),
        ("updated_at".to_string(), s(timestamp(a.updated_at))),
    ]);
    let mut opt = |k: &str, v: Option<AttributeValue>| {
        if let Some(v) = v {
            item.insert(k.to_string(), v);
        }
    };
    opt("size", a.size.map(n));
    opt("etag", a.etag.clone().map(s));
    opt("deleted_from", a.deleted_from.map(|st| s(st.as_str())));
    opt("event_time", a.event_time.map(|t| s(timestamp(t))));
    opt("event_name", a.event_name.clone().map(s));
    opt("sequencer", a.sequencer.clone().map(s));
    item
}

fn get_s<'a>(item: &'a Item, key: &str) -> Result<&'a str, StoreError> {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| StoreError::Corrupt(format!("missing string attribute `{key}`")))
}

fn opt_s<'a>(item: &'a Item, key: &str) -> Option<&'a str> {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn opt_n(item: &Item, key: &str) -> Result<Option<u64>, StoreError> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .map(|v| {
            v.parse()
                .map_err(|_| StoreError::Corrupt(format!("`{key}` is not a size")))
        })
        .transpose()
}

fn parse_time(v: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("`{v}` is not a timestamp")))
}

fn parse_status(v: &str) -> Result<AssetStatus, StoreError> {
    v.parse()
        .map_err(|_| StoreError::Corrupt(format!("`{v}` is not a status")))
}

fn asset_from_item(item: &Item) -> Result<Asset, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(what.to_string());
    Ok(Asset {
        id: get_s(item, "id")?
            .parse()
            .map_err(|_| corrupt("bad asset id"))?,
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
    })
}

/// The object item: per-object event state and metadata.
#[derive(Debug, Clone)]
struct ObjectItem {
    bucket: String,
    key: String,
    asset_id: Option<AssetId>,
    seq_key: String,
    present: bool,
    meta: Option<ObjectMetadata>,
}

impl ObjectItem {
    fn to_item(&self) -> Item {
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
        if let Some(m) = &self.meta {
            item.insert("size".into(), n(m.size));
            item.insert("etag".into(), s(&m.etag));
            item.insert("event_time".into(), s(timestamp(m.event_time)));
            item.insert("event_name".into(), s(&m.event_name));
            item.insert("sequencer".into(), s(&m.sequencer));
        }
        item
    }

    fn from_item(item: &Item) -> Result<ObjectItem, StoreError> {
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
            }),
            None => None,
        };
        Ok(ObjectItem {
            asset_id: opt_s(item, "asset_id")
                .map(|v| {
                    v.parse()
                        .map_err(|_| StoreError::Corrupt("bad asset_id".into()))
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

    #[test]
    fn sequencers_compare_after_right_padding() {
        let a = Sequencer::parse("0055AED6DCD90281E5").unwrap();
        let b = Sequencer::parse("0055AED6DCD90281E6").unwrap();
        assert!(a.sort_key() < b.sort_key());
        // A shorter sequencer is padded with zeros on the right, as S3 documents.
        let short = Sequencer::parse("0055AED6DCD9028").unwrap();
        let long = Sequencer::parse("0055AED6DCD90280").unwrap();
        assert_eq!(short.sort_key(), long.sort_key());
        let longer = Sequencer::parse("0055AED6DCD902801").unwrap();
        assert!(short.sort_key() < longer.sort_key());
        // Case-insensitive input, canonical upper case.
        assert_eq!(Sequencer::parse("00ab").unwrap().as_str(), "00AB");
        for bad in ["", "xyz", "00-11", &"A".repeat(65)] {
            assert!(Sequencer::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let id: AssetId = "01JDQ7ZK3M5X9V2B8N4C6T1R0W".parse().unwrap();
        let listing = |status, sort, prefix: Option<&str>| Listing {
            status,
            sort,
            prefix: prefix.map(str::to_string),
        };
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
                    Err(StoreError::CursorMismatch)
                ));
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
                Err(StoreError::InvalidCursor)
            ));
        }
        let old_format = URL_SAFE_NO_PAD.encode(format!("v1:*:{id}"));
        for bad in ["", "!!!", "djE6Kjpub3Bl", &old_format, &"A".repeat(5000)] {
            assert!(
                matches!(Cursor::decode(bad, &plain), Err(StoreError::InvalidCursor)),
                "{bad}"
            );
        }
    }

    #[test]
    fn content_types_are_checked() {
        assert!(validate_content_type("image/png").is_ok());
        assert!(validate_content_type("text/plain; charset=utf-8").is_ok());
        for bad in [
            "",
            "png",
            "text/plain\r\nX-Evil: 1",
            &format!("a/{}", "b".repeat(300)),
        ] {
            assert!(validate_content_type(bad).is_err(), "{bad:?}");
        }
    }
}
