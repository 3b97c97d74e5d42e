//! The asset table: DynamoDB through `aws-sdk-dynamodb`, and the only module that touches it.
//!
//! # Table design (one table, `TABLE_NAME`, partition key `pk` only)
//!
//! | item | `pk` | what it holds |
//! |---|---|---|
//! | asset | `ASSET#<ulid>` | the [`Asset`](app::domain::Asset) record with its `owner`; `owner_pk`, `owner_status`, `all_pk`, `all_status`, `name_key`, `folder_pk` feed the indexes; `folder_path` (`/<id>/<id>/`: the folders it is in); while it waits for its file, `expires_at` ([`TTL_ATTRIBUTE`]: when it is abandoned) |
//! | folder | `FOLDER#<ulid>` | a [`Folder`](app::domain::Folder): `owner`, `name`, `ancestors` (`/<id>/…/`), `created_at`, `added_at` (when something was last put in it); `folder_pk` (its parent's partition), `id` and `name_key` (`\u{1}` + lower-cased name: folders list first by name) feed the folder indexes |
//! | folder name | `FOLDERNAME#<parent's folder_pk>#<lower-cased name>` | `folder`: the folder holding that name in that place (one per name, whatever its case) |
//! | upload | `UPLOAD#<ulid>` | the asset's multipart upload: S3's `upload_id`, the declared `size` and the `part_size` (its plan) |
//! | schema | `META#schema` | which upgrades an older table has had (embedded backend) |
//! | quota | `QUOTA#<window start>#<client>` | how many upload tickets and part signatures one client asked for in one fair-use window (`requests`), and `expires_at` (the TTL attribute) |
//! | share | `SHARE#<sha256 of the token>` | one share link: its `id`, the asset (`share_asset`, the index key), `created_at`, `link_expires`, `max_uses`, `uses`, `revoked_at`, the asset's `owner`, and `expires_at` (the TTL attribute: 30 days after the link expired) |
//! | object | `OBJECT#<bucket>/<key>` | per-object event state: `owner`, owning `asset_id`, newest `sequencer` (and its padded `seq_key`), `present`, and the S3 metadata of the newest `ObjectCreated` event |
//!
//! Global secondary indexes ([`INDEXES`]; sparse: only asset items carry the first eight's
//! keys, only share items `share_asset`, only owned assets and folders `folder_pk`), all
//! projecting ALL. `owner_pk` is `OWNER#<owner>` or `UNOWNED`, `all_pk` is `ALL#<n>` (one of
//! 8 shards of the id), and the `*_status` keys append `#<STATUS>`, so no partition takes
//! every asset's writes:
//!
//! | index | partition | sort | used for |
//! |---|---|---|---|
//! | `by_owner_created` | `owner_pk` | `id` | one owner's assets newest-first (ULIDs sort by time) |
//! | `by_owner_status` | `owner_status` | `id` | one owner's assets in one status |
//! | `by_owner_name` | `owner_pk` | `name_key` | by file name; file name prefix search |
//! | `by_owner_status_name` | `owner_status` | `name_key` | the same within one status |
//! | `by_all_*` (four) | `all_pk` / `all_status` | `id` / `name_key` | administrators' all-owners listings, one Query per shard |
//! | `by_asset_shares` | `share_asset` | `id` | one asset's share links, newest first |
//! | `by_folder_created` | `folder_pk` | `id` | one folder's folders and assets by time (`IN#<owner>#<folder id or ROOT>`) |
//! | `by_folder_name` | `folder_pk` | `name_key` | the same by name, folders first; a search in one folder |
//!
//! `name_key` is the lower-cased file name, `\u{1}`, then the id. Sorting by size is not
//! offered: size changes when the object arrives (declared, then what S3 reports), and each
//! extra order costs two more indexes (with and without a status filter) on every write.
//!
//! Reads and changes for a [`Caller`](app::domain::Caller) check the owner: another owner's
//! asset or object is `NotFound`.
//!
//! Every request-path read is a GetItem, a Query or (a folder's breadcrumbs, an event's object
//! and asset items) a BatchGetItem by key; nothing Scans (only `schema`'s one-time
//! upgrade of a table made by an older version does, at start-up of the embedded backend).
//! Get by id is one GetItem, `/metadata` is one GetItem of the object item.
//!
//! # Modules
//!
//! - `assets`: the [`AssetStore`] handle; creating, reading and changing asset records.
//! - `listing`: one page of a listing = one Query (one per shard for every owner's; a search
//!   of a folder's subfolders reads on while its filter leaves the page short).
//! - `events`: S3 events applied in sequencer order (a pure plan inside a retry loop).
//! - `cursor`: page cursors. `codec`: items ↔ records. `indexes`: the index specs.
//! - `uploads`: the multipart upload each asset started, and its part plan.
//! - `inventory`: full passes for maintenance (the records whose object should exist, the
//!   abandoned uploads) and the removal of an abandoned upload's records.
//! - `shares`: share links (made, listed, used, revoked), found by the hash of their token.
//! - `folders`: folders (made, found by name, renamed, deleted when empty) and moves.
//! - `quota`: the fair-use counters (one conditional UpdateItem per counted request).
//! - `schema`: creating the table, upgrading an old one (embedded backend only).
//! - `error`: [`TableError`].

mod assets;
mod codec;
mod cursor;
mod error;
mod events;
mod folders;
mod indexes;
mod inventory;
mod listing;
mod quota;
mod schema;
mod shares;
mod uploads;

pub use assets::{AssetStore, NewAsset};
pub use codec::{is_upload_key, timestamp, TTL_ATTRIBUTE};
pub use cursor::Scope;
pub use error::TableError;
pub use events::{EventOutcome, InvalidSequencer, ObjectEvent, ObjectEventKind, Sequencer};
pub use indexes::{IndexSpec, INDEXES, RETIRED_INDEXES};
pub use inventory::{holds_object, AbandonedUpload, RecordedObject};
pub use listing::{ListQuery, Page};
pub use quota::QuotaWindow;
pub use shares::{room_for_another, ShareUse};
