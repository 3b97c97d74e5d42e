//! The table's global secondary indexes: what every listing and lookup reads. Data, and its
//! translation into the SDK's index definitions (used by `schema` to create them).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
};

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
            ["pk", "list_pk", "id", "status", "object_ref", "name_key"]
        );
        let names: Vec<_> = INDEXES.iter().map(|i| i.name).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names, unique);
    }
}
