//! Full passes over the catalogue for maintenance (`ferry reconcile`), never for a request:
//! every record that says its object is in the bucket, read from the all-owners status index
//! (`by_all_status`), each shard's partition for each such status to its end, a Query page
//! (up to 1 MB) at a time, projecting only what a comparison with the bucket needs.

use super::{
    assets::AssetStore,
    codec::{all_pk, get_s, opt_s, s, with_status, ALL_SHARDS},
    error::TableError,
    indexes::INDEX_BY_ALL_STATUS,
};
use app::domain::{AssetId, AssetStatus};

/// A record whose status says its object is in the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedObject {
    pub asset_id: AssetId,
    pub bucket: String,
    pub key: String,
    /// The sequencer of the newest event applied to it.
    pub sequencer: Option<String>,
}

/// Whether an asset in `status` (deleted from `deleted_from`) says its object is there:
/// received or confirmed, or deleted (softly) from one of those.
pub fn holds_object(status: AssetStatus, deleted_from: Option<AssetStatus>) -> bool {
    let with_object = |s: AssetStatus| matches!(s, AssetStatus::Received | AssetStatus::Uploaded);
    with_object(status) || (status == AssetStatus::Deleted && deleted_from.is_some_and(with_object))
}

impl AssetStore {
    /// Every record whose object should be in the bucket (see the module docs).
    pub async fn recorded_objects(&self) -> Result<Vec<RecordedObject>, TableError> {
        let mut out = Vec::new();
        for status in [
            AssetStatus::Received,
            AssetStatus::Uploaded,
            AssetStatus::Deleted,
        ] {
            for shard in 0..ALL_SHARDS {
                let partition = with_status(&all_pk(shard), status);
                let mut start = None;
                loop {
                    let page = self
                        .db
                        .query()
                        .table_name(&self.table)
                        .index_name(INDEX_BY_ALL_STATUS)
                        .key_condition_expression("all_status = :p")
                        .expression_attribute_values(":p", s(&partition))
                        .projection_expression("id, #b, object_key, sequencer, #st, deleted_from")
                        .expression_attribute_names("#b", "bucket")
                        .expression_attribute_names("#st", "status")
                        .set_exclusive_start_key(start.take())
                        .send()
                        .await
                        .map_err(TableError::backend)?;
                    for item in page.items() {
                        let parse_status = |name| {
                            opt_s(item, name)
                                .map(|v| v.parse::<AssetStatus>())
                                .transpose()
                                .map_err(|_| TableError::Corrupt(format!("bad `{name}`")))
                        };
                        let deleted_from = parse_status("deleted_from")?;
                        if !holds_object(status, deleted_from) {
                            continue;
                        }
                        out.push(RecordedObject {
                            asset_id: get_s(item, "id")?
                                .parse()
                                .map_err(|_| TableError::Corrupt("bad `id`".into()))?,
                            bucket: get_s(item, "bucket")?.to_string(),
                            key: get_s(item, "object_key")?.to_string(),
                            sequencer: opt_s(item, "sequencer").map(str::to_string),
                        });
                    }
                    match page.last_evaluated_key {
                        Some(key) if !key.is_empty() => start = Some(key),
                        _ => break,
                    }
                }
            }
        }
        Ok(out)
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
