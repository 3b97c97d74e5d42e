//! The table's set-up: how the embedded backend creates the table with its key and indexes
//! (`indexes`), or brings one made by an older Ferry up to date. On
//! AWS the SAM template owns the table, and nothing here runs.
//!
//! This is the only module that creates, describes, updates or Scans the table, and only at
//! start-up of the embedded backend (the IAM drift test reads the other modules' calls).

use super::{
    assets::AssetStore,
    codec::{asset_from_item, asset_item, n, opt_n, s, ObjectItem, TTL_ATTRIBUTE},
    error::TableError,
    indexes::{attr_definition, key_attributes, key_element, IndexSpec, INDEXES, RETIRED_INDEXES},
};
use app::domain::Owner;
use aws_sdk_dynamodb::types::{
    BillingMode, DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, KeyType,
};

/// The item remembering which upgrades a table has had ([`SCHEMA_VERSION`]).
const SCHEMA_PK: &str = "META#schema";
/// 2: asset items carry `name_key` (the name indexes).
/// 3: asset and object items carry their `owner`, and listings are partitioned by owner
/// (`owner_pk`, `owner_status`, `all_pk`, `all_status`; no more `list_pk`).
/// 4: owned asset items carry `folder_pk` (the folder indexes): older ones are at their
/// owner's top level, named as they were (a folder drop's path included).
const SCHEMA_VERSION: u64 = 4;

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

    /// Adds the indexes `have` lacks; then, once per table (remembered in a schema item),
    /// rewrites the items of an older Ferry: assets without an owner go to the local owner
    /// and get this version's index keys; then deletes the indexes older Ferrys read.
    async fn upgrade(&self, have: &[String]) -> Result<(), TableError> {
        for index in INDEXES.iter().filter(|i| !have.iter().any(|h| h == i.name)) {
            self.add_index(index).await?;
        }
        if self.schema_version().await? < SCHEMA_VERSION {
            self.rekey_items().await?;
            self.set_schema_version().await?;
        }
        for retired in RETIRED_INDEXES
            .iter()
            .filter(|r| have.iter().any(|h| h == *r))
        {
            self.delete_index(retired).await?;
        }
        Ok(())
    }

    async fn delete_index(&self, name: &str) -> Result<(), TableError> {
        tracing::info!(table = %self.table, index = name, "deleting a retired index");
        self.db
            .update_table()
            .table_name(&self.table)
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder()
                    .delete(
                        DeleteGlobalSecondaryIndexAction::builder()
                            .index_name(name)
                            .build()
                            .expect("index name"),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(TableError::backend)?;
        Ok(())
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

    /// Items written by an older Ferry have no owner and older index keys (`list_pk`, no
    /// `name_key` before version 2): every asset is rewritten whole as this version writes it,
    /// owned by [`Owner::local`] when it had no owner, and object items get the same owner.
    /// The one Scan in Ferry, run once per table at start-up, before the app serves.
    async fn rekey_items(&self) -> Result<(), TableError> {
        let mut start = None;
        let (mut assets, mut objects) = (0, 0);
        loop {
            let out = self
                .db
                .scan()
                .table_name(&self.table)
                .filter_expression("kind IN (:asset, :object)")
                .expression_attribute_values(":asset", s("asset"))
                .expression_attribute_values(":object", s("object"))
                .set_exclusive_start_key(start)
                .consistent_read(true)
                .send()
                .await
                .map_err(TableError::backend)?;
            for item in out.items() {
                let put = if item.get("kind") == Some(&s("asset")) {
                    let mut asset = asset_from_item(item)?;
                    asset.owner.get_or_insert_with(Owner::local);
                    assets += 1;
                    let mut put = asset_item(&asset);
                    // An upload still waiting for its file keeps its abandonment time.
                    if let Some(ttl) = item.get(TTL_ATTRIBUTE) {
                        put.insert(TTL_ATTRIBUTE.into(), ttl.clone());
                    }
                    put
                } else {
                    let mut object = ObjectItem::from_item(item)?;
                    if object.owner.is_some() {
                        continue;
                    }
                    object.owner = Some(Owner::local());
                    objects += 1;
                    object.to_item()
                };
                self.db
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(put))
                    .condition_expression("attribute_exists(pk)")
                    .send()
                    .await
                    .map_err(TableError::backend)?;
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        if assets + objects > 0 {
            tracing::info!(table = %self.table, assets, objects, "gave older items their owner and index keys");
        }
        Ok(())
    }

    async fn schema_version(&self) -> Result<u64, TableError> {
        Ok(self
            .item(SCHEMA_PK.to_string())
            .await?
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
