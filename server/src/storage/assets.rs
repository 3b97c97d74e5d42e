//! The asset records: the store handle, creating an upload's record, reading one, and the
//! state changes people make (confirm, soft delete, restore), each one conditional write.

use super::{
    codec::{
        asset_from_item, asset_item, asset_pk, now_millis, object_ref, put, s, timestamp,
        ObjectItem,
    },
    error::TableError,
    indexes::INDEX_BY_OBJECT,
};
use app::domain::{media::validate_content_type, validate_filename, Asset, AssetId, AssetStatus};
use aws_sdk_dynamodb::{
    operation::update_item::UpdateItemError,
    types::{ReturnValue, ReturnValuesOnConditionCheckFailure},
    Client,
};
use std::sync::Mutex;

/// The asset table: the only way into it.
pub struct AssetStore {
    pub(super) db: Client,
    pub(super) table: String,
    ids: Mutex<ulid::Generator>,
}

/// What a new upload declares about its file.
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub bucket: String,
    /// `None`: the object key is `uploads/<id>` and the id doubles as the name.
    pub filename: Option<String>,
    pub content_type: String,
    pub size: Option<u64>,
}

/// One conditional state change: its update and condition expressions (`#st` is the status,
/// `:now` the time, `statuses` the other placeholders), and, when the condition fails on an
/// existing record, whether that record already is the wanted result.
struct Transition {
    action: &'static str,
    update: &'static str,
    condition: &'static str,
    statuses: &'static [(&'static str, AssetStatus)],
    idempotent: fn(&Asset) -> bool,
}

/// RECEIVED or UPLOADED → UPLOADED (the client confirms its upload).
const MARK_UPLOADED: Transition = Transition {
    action: "mark uploaded",
    update: "SET #st = :uploaded, updated_at = :now",
    condition: "attribute_exists(pk) AND #st IN (:received, :uploaded)",
    statuses: &[
        (":uploaded", AssetStatus::Uploaded),
        (":received", AssetStatus::Received),
    ],
    idempotent: |_| false,
};

/// Any state → DELETED, remembering the state to restore. Deleting twice is a no-op.
const SOFT_DELETE: Transition = Transition {
    action: "delete",
    // Operands read the item as it was: deleted_from gets the old status.
    update: "SET deleted_from = #st, #st = :deleted, updated_at = :now",
    condition: "attribute_exists(pk) AND #st <> :deleted",
    statuses: &[(":deleted", AssetStatus::Deleted)],
    idempotent: |old| old.status == AssetStatus::Deleted,
};

/// DELETED → the state it was deleted from.
const RESTORE: Transition = Transition {
    action: "restore",
    update: "SET #st = deleted_from, updated_at = :now REMOVE deleted_from",
    condition: "#st = :deleted AND attribute_exists(deleted_from)",
    statuses: &[(":deleted", AssetStatus::Deleted)],
    idempotent: |_| false,
};

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
    pub(super) fn new_id(&self) -> AssetId {
        let mut generator = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        let ulid = generator
            .generate()
            .unwrap_or_else(|_| ulid::Ulid::generate());
        AssetId::from_ulid(ulid)
    }

    /// Records a new asset in state CREATED, with its object key `uploads/<id>/<filename>`,
    /// and the object item that ties the key to it (one transaction).
    pub async fn create(&self, new: NewAsset) -> Result<Asset, TableError> {
        let filename = new.filename.as_deref().map(validate_filename).transpose()?;
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
        let new_only = "attribute_not_exists(pk)";
        self.db
            .transact_write_items()
            .transact_items(put(&self.table, asset_item(&asset), new_only))
            .transact_items(put(&self.table, pointer.to_item(), new_only))
            .send()
            .await
            .map_err(TableError::backend)?;
        Ok(asset)
    }

    /// The asset with this id (one strongly consistent GetItem).
    pub async fn get(&self, id: AssetId) -> Result<Asset, TableError> {
        self.find(id).await?.ok_or(TableError::NotFound)
    }

    pub(super) async fn find(&self, id: AssetId) -> Result<Option<Asset>, TableError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .key("pk", s(asset_pk(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(TableError::backend)?;
        out.item.map(|item| asset_from_item(&item)).transpose()
    }

    /// The asset whose object is `bucket`/`key` (one Query on `by_object`).
    pub async fn get_by_object(&self, bucket: &str, key: &str) -> Result<Asset, TableError> {
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
            .map_err(TableError::backend)?;
        match out.items.unwrap_or_default().first() {
            Some(item) => asset_from_item(item),
            None => Err(TableError::NotFound),
        }
    }

    /// RECEIVED or UPLOADED → UPLOADED (the client confirms its upload).
    pub async fn mark_uploaded(&self, id: AssetId) -> Result<Asset, TableError> {
        self.transition(id, &MARK_UPLOADED).await
    }

    /// Any state → DELETED, remembering the state to restore. Deleting twice is a no-op.
    pub async fn soft_delete(&self, id: AssetId) -> Result<Asset, TableError> {
        self.transition(id, &SOFT_DELETE).await
    }

    /// DELETED → the state it was deleted from.
    pub async fn restore(&self, id: AssetId) -> Result<Asset, TableError> {
        self.transition(id, &RESTORE).await
    }

    /// One conditional state change of an asset. Returns the new record; when the condition
    /// fails, the record as it was decides: missing → NotFound, already the result → that
    /// record, else InvalidTransition.
    async fn transition(&self, id: AssetId, t: &Transition) -> Result<Asset, TableError> {
        let mut request = self
            .db
            .update_item()
            .table_name(&self.table)
            .key("pk", s(asset_pk(id)))
            .update_expression(t.update)
            .condition_expression(t.condition)
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":now", s(timestamp(now_millis())))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (placeholder, status) in t.statuses {
            request = request.expression_attribute_values(*placeholder, s(status.as_str()));
        }
        let e = match request.send().await {
            Ok(out) => return asset_from_item(&out.attributes.unwrap_or_default()),
            Err(e) => e,
        };
        let Some(UpdateItemError::ConditionalCheckFailedException(ccf)) = e.as_service_error()
        else {
            return Err(TableError::backend(e));
        };
        let old = asset_from_item(ccf.item().ok_or(TableError::NotFound)?)?;
        if (t.idempotent)(&old) {
            Ok(old)
        } else {
            Err(TableError::InvalidTransition {
                action: t.action,
                from: old.status,
            })
        }
    }
}
