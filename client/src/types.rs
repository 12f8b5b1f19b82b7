//! The registry's request and response bodies, typed.

use std::collections::BTreeMap;

pub use compat::{Rule, RuleSet};
use serde::{Deserialize, Serialize};

use crate::guid::Guid;

/// The schema languages: `AVRO` (the default when absent), `PROTOBUF`, `JSON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    #[default]
    Avro,
    Protobuf,
    Json,
}

/// A reference from one schema to another registered one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema as sent to and returned by the registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    pub schema: String,
    #[serde(default, skip_serializing_if = "is_avro")]
    pub schema_type: SchemaType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// The data contract's rules: sent when registering, read with the schema. Serializers and
    /// deserializers run its domain rules.
    #[serde(default, rename = "ruleSet", skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<RuleSet>,
    /// The data contract's metadata: sent when registering, read with the schema (its `tags`
    /// name the fields `CEL_FIELD` rules apply to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

fn is_avro(t: &SchemaType) -> bool {
    *t == SchemaType::Avro
}

impl Schema {
    /// A schema of type `schema_type` without references.
    pub fn new(schema_type: SchemaType, schema: impl Into<String>) -> Schema {
        Schema {
            schema: schema.into(),
            schema_type,
            references: Vec::new(),
            rule_set: None,
            metadata: None,
        }
    }
}

/// A subject's version, as `GET /subjects/{s}/versions/{v}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredSchema {
    pub subject: String,
    pub version: i32,
    pub id: u32,
    /// The schema's GUID, from registries that answer in Confluent 8.x's format.
    #[serde(default)]
    pub guid: Option<Guid>,
    pub schema: String,
    #[serde(default)]
    pub schema_type: SchemaType,
    #[serde(default)]
    pub references: Vec<SchemaReference>,
    /// The version's data-contract metadata, if it has any.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// The version's rules (`migrationRules`, `domainRules`, `encodingRules`).
    #[serde(default)]
    pub rule_set: Option<RuleSet>,
}

/// A schema's data-contract metadata: properties (what `use.latest.with.metadata` matches),
/// tags per field path, and the names of sensitive properties.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<String>,
}

impl RegisteredSchema {
    /// The schema part, without subject, version and id.
    pub fn to_schema(&self) -> Schema {
        Schema {
            schema: self.schema.clone(),
            schema_type: self.schema_type,
            references: self.references.clone(),
            rule_set: self.rule_set.clone(),
            metadata: self.metadata.clone(),
        }
    }
}

/// What names a registered schema: its id and, from registries that answer in Confluent 8.x's
/// format, its GUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaIds {
    pub id: u32,
    pub guid: Option<Guid>,
}

/// What registering answers: the id and, from registries that answer with the schema as
/// registered (Confluent 8.x always; 7.x when the registry changed what was sent, such as
/// rules inherited from the previous version), its GUID (8.x), version and data contract.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub id: u32,
    #[serde(default)]
    pub guid: Option<Guid>,
    #[serde(default)]
    pub version: Option<i32>,
    /// The schema text as registered; `None` in the short `{"id": N}` answer.
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub rule_set: Option<RuleSet>,
}

impl Registration {
    pub fn ids(&self) -> SchemaIds {
        SchemaIds {
            id: self.id,
            guid: self.guid,
        }
    }
}

/// A subject and version, as `GET /schemas/ids/{id}/versions` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
}

/// The answer of a compatibility check.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Compatibility {
    pub is_compatible: bool,
    /// Every incompatibility, in Confluent's message format (with `verbose`).
    #[serde(default)]
    pub messages: Vec<String>,
}

/// A subject's or the global configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(alias = "compatibilityLevel", skip_serializing_if = "Option::is_none")]
    pub compatibility: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<String>,
}

/// `READWRITE`, `READONLY`, `READONLY_OVERRIDE` or `IMPORT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mode {
    pub mode: String,
}
