//! The table's set-up: how the embedded backend creates the table with its key and indexes
//! (`indexes`), or brings one made by an older Ferry up to date. On
//! AWS the SAM template owns the table, and nothing here runs.
//!
//! This is the only module that creates, describes, updates or Scans the table, and only at
//! start-up of the embedded backend (the IAM drift test reads the other modules' calls).

use super::{
    assets::AssetStore,
    codec::{asset_from_item, asset_pk, n, name_key, opt_n, s},
    error::TableError,
    indexes::{attr_definition, key_attributes, key_element, IndexSpec, INDEXES},
};
use aws_sdk_dynamodb::types::{BillingMode, GlobalSecondaryIndexUpdate, KeyType};

/// The item remembering which upgrades a table has had ([`SCHEMA_VERSION`]).
const SCHEMA_PK: &str = "META#schema";
/// 2: asset items carry `name_key` (the name indexes).
const SCHEMA_VERSION: u64 = 2;

impl AssetStore {
    /// Creates the table and its indexes if missing (embedded backend, first start), and
    /// brings a table made by an older Ferry up to date: missing indexes are added and asset
    /// items get the attributes those indexes read. Not used against AWS, where the template
    /// owns the table.
    pub async fn ensure_table(&self) -> Result<(), TableError> {
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
                self.upgrade(&have).await
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_not_found_exception()) =>
            {
                self.create_table().await
            }
            Err(e) => Err(TableError::backend(e)),
        }
    }

    async fn create_table(&self) -> Result<(), TableError> {
        let result = self
            .db
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(
                key_attributes().into_iter().map(attr_definition).collect(),
            ))
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
            Err(e) => Err(TableError::backend(e)),
        }
    }

    /// Adds the indexes `have` lacks, then (once per table, remembered in a schema item)
    /// gives older asset items their `name_key`.
    async fn upgrade(&self, have: &[String]) -> Result<(), TableError> {
        for index in INDEXES.iter().filter(|i| !have.iter().any(|h| h == i.name)) {
            self.add_index(index).await?;
        }
        if self.schema_version().await? >= SCHEMA_VERSION {
            return Ok(());
        }
        self.backfill_name_keys().await?;
        self.set_schema_version().await
    }

    async fn add_index(&self, index: &IndexSpec) -> Result<(), TableError> {
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
        update.send().await.map_err(TableError::backend)?;
        Ok(())
    }

    /// Items written before `name_key` existed are invisible to the name indexes: key them.
    /// The one Scan in Ferry, run once per table at start-up.
    async fn backfill_name_keys(&self) -> Result<(), TableError> {
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
                .map_err(TableError::backend)?;
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
                    .map_err(TableError::backend)?;
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
        Ok(())
    }

    async fn schema_version(&self) -> Result<u64, TableError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .key("pk", s(SCHEMA_PK))
            .consistent_read(true)
            .send()
            .await
            .map_err(TableError::backend)?;
        Ok(out
            .item
            .as_ref()
            .and_then(|i| opt_n(i, "version").ok().flatten())
            .unwrap_or(1))
    }

    async fn set_schema_version(&self) -> Result<(), TableError> {
        self.db
            .put_item()
            .table_name(&self.table)
            .item("pk", s(SCHEMA_PK))
            .item("kind", s("schema"))
            .item("version", n(SCHEMA_VERSION))
            .send()
            .await
            .map_err(TableError::backend)?;
        Ok(())
    }
}
