//! Full passes over the catalogue for maintenance (`ferry reconcile`, the expiry of abandoned
//! uploads), never for a request: the records in some statuses, read from the all-owners
//! status index (`by_all_status`), each shard's partition for each status to its end, a
//! Query page (up to 1 MB) at a time, projecting only what the pass needs. Also the removal
//! of an abandoned upload's records.

use super::{
    assets::AssetStore,
    codec::{
        all_pk, asset_pk, epoch_secs, get_s, n, object_pk, opt_n, opt_s, s, with_status, Item,
        ALL_SHARDS, TTL_ATTRIBUTE,
    },
    error::TableError,
    events::is_condition_conflict,
    indexes::INDEX_BY_ALL_STATUS,
    uploads::upload_pk,
};
use app::domain::{AssetId, AssetStatus};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use chrono::{DateTime, Utc};

/// A record whose status says its object is in the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedObject {
    pub asset_id: AssetId,
    pub bucket: String,
    pub key: String,
    /// The sequencer of the newest event applied to it.
    pub sequencer: Option<String>,
}

/// An upload whose file never arrived and whose time is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbandonedUpload {
    pub asset_id: AssetId,
    pub bucket: String,
    pub key: String,
    pub status: AssetStatus,
    /// When it was abandoned, in seconds since the epoch (the TTL attribute as read).
    pub expires_at: u64,
}

/// Whether an asset in `status` (deleted from `deleted_from`) says its object is there:
/// received or confirmed, or deleted (softly) from one of those.
pub fn holds_object(status: AssetStatus, deleted_from: Option<AssetStatus>) -> bool {
    let with_object = |s: AssetStatus| matches!(s, AssetStatus::Received | AssetStatus::Uploaded);
    with_object(status) || (status == AssetStatus::Deleted && deleted_from.is_some_and(with_object))
}

fn parse_id(item: &Item) -> Result<AssetId, TableError> {
    get_s(item, "id")?
        .parse()
        .map_err(|_| TableError::Corrupt("bad `id`".into()))
}

fn parse_status(item: &Item, name: &str) -> Result<Option<AssetStatus>, TableError> {
    opt_s(item, name)
        .map(|v| v.parse::<AssetStatus>())
        .transpose()
        .map_err(|_| TableError::Corrupt(format!("bad `{name}`")))
}

/// A filter expression and its values.
type Filter<'a> = (&'a str, Vec<(&'a str, AttributeValue)>);

impl AssetStore {
    /// Every item of the records in `status` (all owners), with the `projection` attributes
    /// (`#b` is `bucket`, `#st` `status`, `#ttl` the TTL attribute), passing `filter`.
    async fn all_in(
        &self,
        status: AssetStatus,
        projection: &str,
        filter: Option<Filter<'_>>,
    ) -> Result<Vec<Item>, TableError> {
        let mut out = Vec::new();
        let names = [("#b", "bucket"), ("#st", "status"), ("#ttl", TTL_ATTRIBUTE)];
        for shard in 0..ALL_SHARDS {
            let partition = with_status(&all_pk(shard), status);
            let mut start = None;
            loop {
                let mut query = self
                    .db
                    .query()
                    .table_name(&self.table)
                    .index_name(INDEX_BY_ALL_STATUS)
                    .key_condition_expression("all_status = :p")
                    .expression_attribute_values(":p", s(&partition))
                    .projection_expression(projection)
                    .set_exclusive_start_key(start.take());
                for (name, attr) in names {
                    let used = projection.contains(name)
                        || filter.as_ref().is_some_and(|(f, _)| f.contains(name));
                    if used {
                        query = query.expression_attribute_names(name, attr);
                    }
                }
                if let Some((expression, values)) = &filter {
                    query = query.filter_expression(*expression);
                    for (k, v) in values {
                        query = query.expression_attribute_values(*k, v.clone());
                    }
                }
                let page = query.send().await.map_err(TableError::backend)?;
                out.extend(page.items.unwrap_or_default());
                match page.last_evaluated_key {
                    Some(key) if !key.is_empty() => start = Some(key),
                    _ => break,
                }
            }
        }
        Ok(out)
    }

    /// Every record whose object should be in the bucket (see the module docs).
    pub async fn recorded_objects(&self) -> Result<Vec<RecordedObject>, TableError> {
        let mut out = Vec::new();
        for status in [
            AssetStatus::Received,
            AssetStatus::Uploaded,
            AssetStatus::Deleted,
        ] {
            let projection = "id, #b, object_key, sequencer, #st, deleted_from";
            for item in &self.all_in(status, projection, None).await? {
                if !holds_object(status, parse_status(item, "deleted_from")?) {
                    continue;
                }
                out.push(RecordedObject {
                    asset_id: parse_id(item)?,
                    bucket: get_s(item, "bucket")?.to_string(),
                    key: get_s(item, "object_key")?.to_string(),
                    sequencer: opt_s(item, "sequencer").map(str::to_string),
                });
            }
        }
        Ok(out)
    }

    /// Every upload still waiting for its file (deleted ones too) whose time was up at `now`.
    pub async fn abandoned_uploads(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<AbandonedUpload>, TableError> {
        let mut out = Vec::new();
        for status in [AssetStatus::Created, AssetStatus::Deleted] {
            let filter = ("#ttl < :now", vec![(":now", n(epoch_secs(now)))]);
            let items = self
                .all_in(status, "id, #b, object_key, #st, #ttl", Some(filter))
                .await?;
            for item in &items {
                let Some(expires_at) = opt_n(item, TTL_ATTRIBUTE)? else {
                    continue;
                };
                out.push(AbandonedUpload {
                    asset_id: parse_id(item)?,
                    bucket: get_s(item, "bucket")?.to_string(),
                    key: get_s(item, "object_key")?.to_string(),
                    status,
                    expires_at,
                });
            }
        }
        Ok(out)
    }

    /// Removes an abandoned upload's records (asset, multipart plan, object item) in one
    /// transaction, unless it changed since it was read (its file arrived, it was restored or
    /// given more time): `false` then, and nothing is removed.
    pub async fn remove_abandoned(&self, upload: &AbandonedUpload) -> Result<bool, TableError> {
        let delete = |pk: String| Delete::builder().table_name(&self.table).key("pk", s(pk));
        let asset = delete(asset_pk(upload.asset_id))
            .condition_expression("#st = :st AND #ttl = :ttl")
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":st", s(upload.status.as_str()))
            .expression_attribute_values(":ttl", n(upload.expires_at));
        let object = delete(object_pk(&upload.bucket, &upload.key))
            .condition_expression("attribute_not_exists(pk) OR present = :absent")
            .expression_attribute_values(":absent", AttributeValue::Bool(false));
        let items = [asset, delete(upload_pk(upload.asset_id)), object].map(|d| {
            TransactWriteItem::builder()
                .delete(d.build().expect("delete"))
                .build()
        });
        match self
            .db
            .transact_write_items()
            .set_transact_items(Some(items.to_vec()))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_conflict(&e) => Ok(false),
            Err(e) => Err(TableError::backend(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssetStatus::*;

    #[test]
    fn received_confirmed_and_deleted_from_those_hold_their_object() {
        assert!(holds_object(Received, None));
        assert!(holds_object(Uploaded, None));
        assert!(holds_object(Deleted, Some(Received)));
        assert!(holds_object(Deleted, Some(Uploaded)));
        assert!(!holds_object(Deleted, Some(Created)));
        assert!(!holds_object(Created, None));
        assert!(!holds_object(Rejected, None));
        assert!(!holds_object(Deleted, Some(Rejected)));
    }
}
