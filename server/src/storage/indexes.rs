//! The table's global secondary indexes: what every listing and lookup reads. Data, and its
//! translation into the SDK's index definitions (used by `schema` to create them).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
};

pub const INDEX_BY_OWNER_CREATED: &str = "by_owner_created";
pub const INDEX_BY_OWNER_STATUS: &str = "by_owner_status";
pub const INDEX_BY_OWNER_NAME: &str = "by_owner_name";
pub const INDEX_BY_OWNER_STATUS_NAME: &str = "by_owner_status_name";
pub const INDEX_BY_ALL_CREATED: &str = "by_all_created";
pub const INDEX_BY_ALL_STATUS: &str = "by_all_status";
pub const INDEX_BY_ALL_NAME: &str = "by_all_name";
pub const INDEX_BY_ALL_STATUS_NAME: &str = "by_all_status_name";
pub const INDEX_BY_ASSET_SHARES: &str = "by_asset_shares";
pub const INDEX_BY_FOLDER_CREATED: &str = "by_folder_created";
pub const INDEX_BY_FOLDER_NAME: &str = "by_folder_name";

/// Indexes of older Ferrys, which the embedded backend's upgrade deletes once their
/// replacements exist: one partition (`list_pk = "ASSET"` or the status) for every asset,
/// and `by_object` (an asset by bucket and key), which nothing read once S3 events found
/// the asset from the object's own item, yet every asset write kept up.
pub const RETIRED_INDEXES: [&str; 5] = [
    "by_created",
    "by_status",
    "by_name",
    "by_status_name",
    "by_object",
];

/// A global secondary index: name, partition key, optional sort key (all strings, projecting
/// every attribute).
pub struct IndexSpec {
    pub name: &'static str,
    pub partition: &'static str,
    pub sort: Option<&'static str>,
}

const fn index(
    name: &'static str,
    partition: &'static str,
    sort: Option<&'static str>,
) -> IndexSpec {
    IndexSpec {
        name,
        partition,
        sort,
    }
}

/// Every index the store queries. Listings are partitioned by owner (`owner_pk`,
/// `owner_status`); the all-owners listing of administrators by shard (`all_pk`,
/// `all_status`), so no partition takes every asset's writes. An asset's share links by
/// `share_asset` (only share items carry it). One folder's folders and assets by
/// `folder_pk` (owned assets and folders carry it).
pub const INDEXES: [IndexSpec; 11] = [
    index(INDEX_BY_OWNER_CREATED, "owner_pk", Some("id")),
    index(INDEX_BY_OWNER_STATUS, "owner_status", Some("id")),
    index(INDEX_BY_OWNER_NAME, "owner_pk", Some("name_key")),
    index(INDEX_BY_OWNER_STATUS_NAME, "owner_status", Some("name_key")),
    index(INDEX_BY_ALL_CREATED, "all_pk", Some("id")),
    index(INDEX_BY_ALL_STATUS, "all_status", Some("id")),
    index(INDEX_BY_ALL_NAME, "all_pk", Some("name_key")),
    index(INDEX_BY_ALL_STATUS_NAME, "all_status", Some("name_key")),
    index(INDEX_BY_ASSET_SHARES, "share_asset", Some("id")),
    index(INDEX_BY_FOLDER_CREATED, "folder_pk", Some("id")),
    index(INDEX_BY_FOLDER_NAME, "folder_pk", Some("name_key")),
];

impl IndexSpec {
    pub(super) fn keys(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.partition).chain(self.sort)
    }

    fn key_schema(&self) -> Vec<KeySchemaElement> {
        let mut keys = vec![key_element(self.partition, KeyType::Hash)];
        if let Some(sort) = self.sort {
            keys.push(key_element(sort, KeyType::Range));
        }
        keys
    }

    pub(super) fn build(&self) -> GlobalSecondaryIndex {
        GlobalSecondaryIndex::builder()
            .index_name(self.name)
            .set_key_schema(Some(self.key_schema()))
            .projection(all_attributes())
            .build()
            .expect("index")
    }

    pub(super) fn build_create(&self) -> CreateGlobalSecondaryIndexAction {
        CreateGlobalSecondaryIndexAction::builder()
            .index_name(self.name)
            .set_key_schema(Some(self.key_schema()))
            .projection(all_attributes())
            .build()
            .expect("index")
    }
}

/// Every key attribute of the table and its indexes, once each, the table's own key first.
pub(super) fn key_attributes() -> Vec<&'static str> {
    let mut attrs: Vec<&str> = vec!["pk"];
    for a in INDEXES.iter().flat_map(IndexSpec::keys) {
        if !attrs.contains(&a) {
            attrs.push(a);
        }
    }
    attrs
}

fn all_attributes() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

pub(super) fn attr_definition(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute definition")
}

pub(super) fn key_element(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("key schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_attribute_is_defined_once() {
        assert_eq!(
            key_attributes(),
            [
                "pk",
                "owner_pk",
                "id",
                "owner_status",
                "name_key",
                "all_pk",
                "all_status",
                "share_asset",
                "folder_pk",
            ]
        );
        let names: Vec<_> = INDEXES.iter().map(|i| i.name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(names.len(), unique.len());
        assert!(names.iter().all(|n| !RETIRED_INDEXES.contains(n)));
    }
}
