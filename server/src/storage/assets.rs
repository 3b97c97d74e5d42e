//! The asset records: the store handle, creating an upload's record, reading one, and the
//! state changes people make (confirm, soft delete, restore), each one conditional write.
//!
//! Reads and changes on behalf of a [`Caller`] check the owner: an asset the caller may not
//! access is `NotFound`, exactly like a missing one. The owner never changes after creation,
//! so a change reads the record (GetItem), checks the owner, and writes conditioned on the
//! state it read.

use super::{
    codec::{
        asset_from_item, asset_item, asset_pk, epoch_secs, n, now_millis, opt_s, put, s,
        stamp_folder, status_keys, timestamp, upload_key, Item, ObjectItem, TTL_ATTRIBUTE,
    },
    error::{failed_condition, failed_items, TableError},
};
use crate::keys::CursorKey;
use app::domain::{
    media::validate_content_type, split_path, validate_filename, Asset, AssetId, AssetStatus,
    Caller, Folder, Owner,
};
use aws_sdk_dynamodb::{
    types::{KeysAndAttributes, ReturnValue},
    Client,
};
use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// BatchGetItem calls one read may take when DynamoDB leaves keys unprocessed.
const BATCH_ATTEMPTS: usize = 5;

/// The asset table: the only way into it.
pub struct AssetStore {
    pub(super) db: Client,
    pub(super) table: String,
    /// Seals the page cursors listings hand out (one key for every instance).
    pub(super) cursor_key: CursorKey,
    ids: Mutex<ulid::Generator>,
}

/// What a new upload declares about its file.
#[derive(Debug, Clone)]
pub struct NewAsset {
    /// Who uploads it: the object key is `uploads/<owner>/<id>/<file name>`.
    pub owner: Owner,
    pub bucket: String,
    /// `None`: the object key is `uploads/<owner>/<id>` and the id doubles as the name.
    pub filename: Option<String>,
    pub content_type: String,
    pub size: Option<u64>,
    /// The folder it goes in (`None`: the owner's top level), which must be the owner's;
    /// the file name's own folders are already made (the record is named without them).
    pub folder: Option<Folder>,
}

/// What a state change makes of an asset, decided from the record as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Write this status (and `deleted_from`: `Some` sets it, `None` removes it).
    To {
        status: AssetStatus,
        deleted_from: Option<AssetStatus>,
    },
    /// The record already is the result (deleting a deleted asset).
    Unchanged,
    /// Not allowed from this state: `InvalidTransition`.
    Refused,
}

/// One state change: its name (for errors) and its rule.
struct Transition {
    action: &'static str,
    step: fn(&Asset) -> Step,
}

/// RECEIVED or UPLOADED → UPLOADED (the client confirms its upload).
const MARK_UPLOADED: Transition = Transition {
    action: "mark uploaded",
    step: |a| {
        if AssetStatus::CONFIRMABLE.contains(&a.status) {
            Step::To {
                status: AssetStatus::Uploaded,
                deleted_from: None,
            }
        } else {
            Step::Refused
        }
    },
};

/// Any state → DELETED, remembering the state to restore. Deleting twice is a no-op.
const SOFT_DELETE: Transition = Transition {
    action: "delete",
    step: |a| match a.status {
        AssetStatus::Deleted => Step::Unchanged,
        from => Step::To {
            status: AssetStatus::Deleted,
            deleted_from: Some(from),
        },
    },
};

/// DELETED → the state it was deleted from.
const RESTORE: Transition = Transition {
    action: "restore",
    step: |a| match (a.status, a.deleted_from) {
        (AssetStatus::Deleted, Some(to)) => Step::To {
            status: to,
            deleted_from: None,
        },
        _ => Step::Refused,
    },
};

/// Attempts at a state change that loses a race with another write before giving up.
const TRANSITION_ATTEMPTS: usize = 8;

impl AssetStore {
    pub fn new(db: Client, table: impl Into<String>, cursor_key: CursorKey) -> AssetStore {
        AssetStore {
            db,
            table: table.into(),
            cursor_key,
            ids: Mutex::new(ulid::Generator::new()),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// A new id, strictly greater than every id this process made before.
    pub(super) fn new_id(&self) -> AssetId {
        let mut generator = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        let ulid = generator
            .generate()
            .unwrap_or_else(|_| ulid::Ulid::generate());
        AssetId::from_ulid(ulid)
    }

    /// Records a new asset of `new.owner` in state CREATED, with its object key
    /// `uploads/<owner>/<id>/<filename>`, and the object item that ties the key to it (one
    /// transaction).
    pub async fn create(&self, new: NewAsset) -> Result<Asset, TableError> {
        self.create_with(new, None).await
    }

    /// The same, abandoned at `expires_at` if its file has not arrived by then (the table's
    /// TTL attribute; `expiry` removes it on the embedded backend).
    pub async fn create_until(
        &self,
        new: NewAsset,
        expires_at: DateTime<Utc>,
    ) -> Result<Asset, TableError> {
        self.create_with(new, Some(expires_at)).await
    }

    async fn create_with(
        &self,
        new: NewAsset,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Asset, TableError> {
        let filename = new.filename.as_deref().map(validate_filename).transpose()?;
        validate_content_type(&new.content_type)?;
        let id = self.new_id();
        let now = now_millis();
        let object_key = upload_key(&new.owner, id, filename.as_deref());
        // The key keeps the path as sent; the record is named without its folders.
        let filename = filename.map_or_else(|| id.to_string(), |f| split_path(&f).1.to_string());
        let asset = Asset {
            id,
            owner: Some(new.owner),
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
            rejection: None,
            checksum_sha256: None,
            thumbnail_key: None,
            thumbnail_url: None,
            folder_path: new.folder.as_ref().map(Folder::path).unwrap_or_default(),
        };
        let pointer = ObjectItem {
            owner: asset.owner.clone(),
            bucket: asset.bucket.clone(),
            key: asset.object_key.clone(),
            asset_id: Some(id),
            seq_key: String::new(),
            present: false,
            meta: None,
        };
        let new_only = "attribute_not_exists(pk)";
        let mut item = asset_item(&asset);
        if let Some(at) = expires_at {
            item.insert(TTL_ATTRIBUTE.into(), n(epoch_secs(at)));
        }
        let mut tx = self
            .db
            .transact_write_items()
            .transact_items(put(&self.table, item, new_only))
            .transact_items(put(&self.table, pointer.to_item(), new_only));
        if let Some(folder) = &new.folder {
            tx = tx.transact_items(stamp_folder(&self.table, folder.id));
        }
        match tx.send().await {
            Ok(_) => Ok(asset),
            Err(e) => match failed_items(e)?.get(2) {
                Some(true) => Err(TableError::FolderNotFound),
                _ => Err(TableError::Contention),
            },
        }
    }

    /// Moves the abandonment of an upload still waiting for its file to `expires_at` (a
    /// multipart upload signed another part). Nothing changes once its file arrived.
    pub async fn extend_expiry(
        &self,
        id: AssetId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), TableError> {
        let result = self
            .db
            .update_item()
            .table_name(&self.table)
            .key("pk", s(asset_pk(id)))
            .update_expression(format!("SET {TTL_ATTRIBUTE} = :e"))
            .condition_expression(format!("attribute_exists({TTL_ATTRIBUTE})"))
            .expression_attribute_values(":e", n(epoch_secs(expires_at)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if failed_condition(&e) => Ok(()),
            Err(e) => Err(TableError::backend(e)),
        }
    }

    /// The asset with this id, whoever owns it (one strongly consistent GetItem).
    /// Records the thumbnail stored at `key` on asset `id`, if the asset still holds the
    /// object it was made from (its ETag is `etag`): `false` when it does not any more.
    pub async fn record_thumbnail(
        &self,
        id: AssetId,
        etag: &str,
        key: &str,
    ) -> Result<bool, TableError> {
        let result = self
            .db
            .update_item()
            .table_name(&self.table)
            .key("pk", s(asset_pk(id)))
            .update_expression("SET thumbnail_key = :k")
            .condition_expression("attribute_exists(pk) AND etag = :etag")
            .expression_attribute_values(":k", s(key))
            .expression_attribute_values(":etag", s(etag))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if failed_condition(&e) => Ok(false),
            Err(e) => Err(TableError::backend(e)),
        }
    }

    pub async fn get(&self, id: AssetId) -> Result<Asset, TableError> {
        self.find(id).await?.ok_or(TableError::NotFound)
    }

    /// The asset with this id if `caller` may see it; someone else's is `NotFound`.
    pub async fn get_for(&self, caller: &Caller, id: AssetId) -> Result<Asset, TableError> {
        self.find(id)
            .await?
            .filter(|a| caller.may_access(a.owner.as_ref()))
            .ok_or(TableError::NotFound)
    }

    pub(super) async fn find(&self, id: AssetId) -> Result<Option<Asset>, TableError> {
        self.item(asset_pk(id))
            .await?
            .map(|item| asset_from_item(&item))
            .transpose()
    }

    /// The item with key `pk`, read consistently (one GetItem): how every record of the
    /// table is read by its key.
    pub(super) async fn item(&self, pk: String) -> Result<Option<Item>, TableError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(TableError::backend)?;
        Ok(out.item)
    }

    /// The items with keys `pks`, read consistently in one BatchGetItem (keys DynamoDB
    /// leaves unprocessed are asked for again), in the order of `pks`.
    pub(super) async fn items<const N: usize>(
        &self,
        pks: [String; N],
    ) -> Result<[Option<Item>; N], TableError> {
        let found = self.items_of(pks.to_vec()).await?;
        Ok(found
            .try_into()
            .unwrap_or_else(|_| unreachable!("one result per key")))
    }

    /// The same for any number of keys (at most 100, BatchGetItem's limit).
    pub(super) async fn items_of(&self, pks: Vec<String>) -> Result<Vec<Option<Item>>, TableError> {
        if pks.is_empty() {
            return Ok(vec![]);
        }
        let mut found: Vec<Item> = vec![];
        let mut wanted = KeysAndAttributes::builder()
            .set_keys(Some(
                pks.iter()
                    .map(|pk| Item::from([("pk".to_string(), s(pk.clone()))]))
                    .collect(),
            ))
            .consistent_read(true)
            .build()
            .map_err(TableError::backend)?;
        for _ in 0..BATCH_ATTEMPTS {
            let out = self
                .db
                .batch_get_item()
                .request_items(&self.table, wanted)
                .send()
                .await
                .map_err(TableError::backend)?;
            found.extend(
                out.responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default(),
            );
            match out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                Some(rest) if !rest.keys().is_empty() => wanted = rest,
                _ => {
                    return Ok(pks
                        .iter()
                        .map(|pk| {
                            let at = found.iter().position(|i| opt_s(i, "pk") == Some(pk));
                            at.map(|at| found.swap_remove(at))
                        })
                        .collect())
                }
            }
        }
        Err(TableError::Contention)
    }

    /// RECEIVED or UPLOADED → UPLOADED (the client confirms its upload).
    pub async fn mark_uploaded(&self, caller: &Caller, id: AssetId) -> Result<Asset, TableError> {
        self.transition(caller, id, &MARK_UPLOADED).await
    }

    /// Any state → DELETED, remembering the state to restore. Deleting twice is a no-op.
    pub async fn soft_delete(&self, caller: &Caller, id: AssetId) -> Result<Asset, TableError> {
        self.transition(caller, id, &SOFT_DELETE).await
    }

    /// DELETED → the state it was deleted from.
    pub async fn restore(&self, caller: &Caller, id: AssetId) -> Result<Asset, TableError> {
        self.transition(caller, id, &RESTORE).await
    }

    /// One state change of an asset the caller may access (else `NotFound`): read, decide
    /// ([`Step`]), and write conditioned on the state read; a lost race reads again.
    async fn transition(
        &self,
        caller: &Caller,
        id: AssetId,
        t: &Transition,
    ) -> Result<Asset, TableError> {
        for _ in 0..TRANSITION_ATTEMPTS {
            let old = self.get_for(caller, id).await?;
            let (status, deleted_from) = match (t.step)(&old) {
                Step::To {
                    status,
                    deleted_from,
                } => (status, deleted_from),
                Step::Unchanged => return Ok(old),
                Step::Refused => {
                    return Err(TableError::InvalidTransition {
                        action: t.action,
                        from: old.status,
                    })
                }
            };
            let mut update =
                "SET #st = :st, owner_status = :os, all_status = :as, updated_at = :now"
                    .to_string();
            let mut request = self
                .db
                .update_item()
                .table_name(&self.table)
                .key("pk", s(asset_pk(id)))
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":st", s(status.as_str()))
                .expression_attribute_values(":read_st", s(old.status.as_str()))
                .expression_attribute_values(":now", s(timestamp(now_millis())))
                .return_values(ReturnValue::AllNew);
            let [(_, owner_status), (_, all_status)] = status_keys(old.owner.as_ref(), id, status);
            request = request
                .expression_attribute_values(":os", s(owner_status))
                .expression_attribute_values(":as", s(all_status));
            match deleted_from {
                Some(from) => {
                    update.push_str(", deleted_from = :df");
                    request = request.expression_attribute_values(":df", s(from.as_str()));
                }
                None => update.push_str(" REMOVE deleted_from"),
            }
            // The result depends on the status and deleted_from read: both must still hold.
            let condition = match old.deleted_from {
                Some(df) => {
                    request = request.expression_attribute_values(":read_df", s(df.as_str()));
                    "#st = :read_st AND deleted_from = :read_df"
                }
                None => "#st = :read_st AND attribute_not_exists(deleted_from)",
            };
            match request
                .update_expression(update)
                .condition_expression(condition)
                .send()
                .await
            {
                Ok(out) => return asset_from_item(&out.attributes.unwrap_or_default()),
                Err(e) if failed_condition(&e) => continue,
                Err(e) => return Err(TableError::backend(e)),
            }
        }
        Err(TableError::Contention)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssetStatus::*;

    #[test]
    fn each_change_is_decided_by_the_state_read() {
        let now = now_millis();
        let asset = |status, deleted_from| Asset {
            id: AssetId::from_ulid(ulid::Ulid::from_parts(1, 1)),
            owner: Some(Owner::local()),
            bucket: "b".into(),
            object_key: "k".into(),
            filename: "f".into(),
            content_type: "text/plain".into(),
            size: None,
            etag: None,
            status,
            deleted_from,
            created_at: now,
            updated_at: now,
            event_time: None,
            event_name: None,
            sequencer: None,
            rejection: None,
            checksum_sha256: None,
            thumbnail_key: None,
            thumbnail_url: None,
            folder_path: vec![],
        };
        let to = |status, deleted_from| Step::To {
            status,
            deleted_from,
        };
        // (change, status, deleted_from) → step
        let table = [
            (&MARK_UPLOADED, Created, None, Step::Refused),
            (&MARK_UPLOADED, Received, None, to(Uploaded, None)),
            (&MARK_UPLOADED, Uploaded, None, to(Uploaded, None)),
            (&MARK_UPLOADED, Deleted, Some(Received), Step::Refused),
            (&SOFT_DELETE, Created, None, to(Deleted, Some(Created))),
            (&SOFT_DELETE, Uploaded, None, to(Deleted, Some(Uploaded))),
            (&SOFT_DELETE, Deleted, Some(Received), Step::Unchanged),
            (&RESTORE, Deleted, Some(Received), to(Received, None)),
            (&RESTORE, Deleted, None, Step::Refused),
            (&RESTORE, Uploaded, None, Step::Refused),
        ];
        for (t, status, deleted_from, want) in table {
            assert_eq!(
                (t.step)(&asset(status, deleted_from)),
                want,
                "{} {status}",
                t.action
            );
        }
    }
}
