//! Multipart uploads as the server started them: one item per asset, `UPLOAD#<asset id>`,
//! with S3's upload id and the part plan (declared size, part size). Written once, when the
//! upload starts; every later multipart call reads it, so only that upload's planned parts
//! are signed, and it completes only when S3 holds exactly them.

use super::{
    assets::AssetStore,
    codec::{get_s, n, opt_n, s},
    error::{failed_condition, TableError},
};
use app::domain::{AssetId, PartPlan, UploadPlan};

pub(super) fn upload_pk(id: AssetId) -> String {
    format!("UPLOAD#{id}")
}

impl AssetStore {
    /// Records the multipart upload of asset `id`. An asset has at most one: a second is
    /// `UploadAlreadyStarted`.
    pub async fn record_upload(&self, id: AssetId, upload: &UploadPlan) -> Result<(), TableError> {
        let result = self
            .db
            .put_item()
            .table_name(&self.table)
            .item("pk", s(upload_pk(id)))
            .item("kind", s("upload"))
            .item("upload_id", s(&upload.upload_id))
            .item("size", n(upload.plan.size()))
            .item("part_size", n(upload.plan.part_size()))
            .item(
                "part_checksums",
                aws_sdk_dynamodb::types::AttributeValue::Bool(upload.part_checksums),
            )
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if failed_condition(&e) => Err(TableError::UploadAlreadyStarted),
            Err(e) => Err(TableError::backend(e)),
        }
    }

    /// The multipart upload recorded for asset `id`, if any (the caller has already been
    /// checked against the asset).
    pub async fn upload_plan(&self, id: AssetId) -> Result<Option<UploadPlan>, TableError> {
        let Some(item) = self.item(upload_pk(id)).await? else {
            return Ok(None);
        };
        let corrupt = || TableError::Corrupt("upload item without its plan".into());
        let size = opt_n(&item, "size")?.ok_or_else(corrupt)?;
        let part_size = opt_n(&item, "part_size")?.ok_or_else(corrupt)?;
        Ok(Some(UploadPlan {
            upload_id: get_s(&item, "upload_id")?.to_owned(),
            plan: PartPlan::new(size, part_size),
            // Absent on uploads an older Ferry started: they had none.
            part_checksums: item
                .get("part_checksums")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false),
        }))
    }
}
