//! JSON shapes shared by several resources: the schema request body and the schema views,
//! whose fields follow the 7.x or 8.x generation (confluent-api.md §2, §6).

use std::borrow::Cow;

use compat::{Metadata, Object, Reference, RuleSet};
use serde::{Deserialize, Serialize};

use super::ApiFormat;
use crate::error::ApiError;
use crate::registry::{
    canonical_rule_set, Contract, RegisterRequest, StoredSchema, SubjectVersion,
};

/// Body of register, lookup and compatibility requests. Unknown fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SchemaBody {
    #[serde(default)]
    schema: Option<String>,
    #[serde(rename = "schemaType", default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Option<Vec<ReferenceBody>>,
    #[serde(default, deserialize_with = "integral")]
    version: Option<i32>,
    #[serde(default, deserialize_with = "integral")]
    id: Option<i32>,
    /// The data contract's metadata: `properties`, `tags` by path, `sensitive` field names
    #[serde(default)]
    #[schema(value_type = Option<Metadata>)]
    metadata: Option<Object<Metadata>>,
    /// The data contract's rules (`ruleset` is read too, as Confluent does)
    #[serde(rename = "ruleSet", alias = "ruleset", default)]
    #[schema(value_type = Option<RuleSet>)]
    rule_set: Option<Object<RuleSet>>,
    /// Confluent's tag edits of the schema's text (tags on records and fields): not
    /// supported, so a request carrying any is refused rather than registered without them
    #[serde(rename = "schemaTagsToAdd", default)]
    #[schema(value_type = Option<Vec<serde_json::Value>>)]
    schema_tags_to_add: Option<Vec<serde::de::IgnoredAny>>,
    #[serde(rename = "schemaTagsToRemove", default)]
    #[schema(value_type = Option<Vec<serde_json::Value>>)]
    schema_tags_to_remove: Option<Vec<serde::de::IgnoredAny>>,
}

/// A data contract's metadata read from a JSON value, as Confluent reads it: an object, in its
/// canonical form.
pub fn read_metadata(key: &str, value: &serde_json::Value) -> Result<Metadata, ApiError> {
    let Object(metadata) = Object::<Metadata>::deserialize(value)
        .map_err(|e| ApiError::BadRequest(format!("Invalid JSON body: {key}: {e}")))?;
    Ok(metadata.canonical())
}

/// A rule set read from a JSON value, as Confluent reads it: objects all the way down, known
/// kinds and modes, in its canonical form.
pub fn read_rule_set(key: &str, value: &serde_json::Value) -> Result<RuleSet, ApiError> {
    let Object(rules) = Object::<RuleSet>::deserialize(value)
        .map_err(|e| ApiError::BadRequest(format!("Invalid JSON body: {key}: {e}")))?;
    canonical_rule_set(rules)
}

/// An `int` as Jackson reads one: a JSON integer, or a number with nothing after the point
/// (`3.0`, which JSON Schema counts as an integer too); null is none.
fn integral<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e18)
            .map(|f| f as i64)
    });
    whole
        .and_then(|w| i32::try_from(w).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("{n} is not a 32-bit integer")))
}

/// A schema this one uses: all three parts are required (a missing one is a 42201).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ReferenceBody {
    /// How the schema names it: an Avro full name, a Protobuf import path, a JSON `$ref` URL
    name: Option<String>,
    /// The subject holding it
    subject: Option<String>,
    /// Its version there; `-1` for the latest
    #[serde(default, deserialize_with = "integral")]
    version: Option<i32>,
}

impl SchemaBody {
    /// Validates the references (all three parts required) into a registry request.
    pub fn into_request(self) -> Result<RegisterRequest, ApiError> {
        let edits = |tags: &Option<Vec<serde::de::IgnoredAny>>| tags.as_ref().map_or(0, Vec::len);
        if edits(&self.schema_tags_to_add) + edits(&self.schema_tags_to_remove) > 0 {
            return Err(ApiError::InvalidSchema(
                "schemaTagsToAdd and schemaTagsToRemove are not supported: put the tags in the schema itself (confluent:tags) or in metadata.tags".into(),
            ));
        }
        let references = self
            .references
            .unwrap_or_default()
            .into_iter()
            .map(|r| match (r.name, r.subject, r.version) {
                (Some(name), Some(subject), Some(version)) => Ok(Reference { name, subject, version }),
                (name, subject, version) => Err(ApiError::InvalidSchema(format!(
                    "Invalid reference: name, subject and version are required, got {{name={}, subject={}, version={}}}",
                    name.unwrap_or_default(),
                    subject.unwrap_or_default(),
                    version.map(|v| v.to_string()).unwrap_or_default()
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RegisterRequest {
            schema: self.schema,
            schema_type: self.schema_type,
            references,
            version: self.version,
            id: self.id,
            contract: Contract {
                // JSON null is none: serde reads it as `None`.
                metadata: self.metadata.map(|Object(m)| m.canonical()),
                rule_set: self
                    .rule_set
                    .map(|Object(r)| canonical_rule_set(r))
                    .transpose()?,
            },
        })
    }
}

/// `schemaType` as the generation writes it: 7.x leaves out `AVRO`.
pub fn schema_type_field(schema: &StoredSchema, api: ApiFormat) -> Option<&'static str> {
    match (api, schema.schema_type) {
        (ApiFormat::V7, compat::SchemaType::Avro) => None,
        (_, t) => Some(t.as_str()),
    }
}

/// A subject version (`GET .../versions/{v}`, lookup, items of `GET /schemas`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SchemaView<'a> {
    subject: &'a str,
    version: i32,
    id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    guid: Option<String>,
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    schema_type: Option<&'static str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [Reference],
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Metadata>,
    #[serde(rename = "ruleSet", skip_serializing_if = "Option::is_none")]
    rule_set: Option<&'a RuleSet>,
    schema: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<bool>,
}

impl<'a> SchemaView<'a> {
    /// The same view with another spelling of the schema (a requested `format`).
    pub fn with_text(mut self, text: Option<&'a str>) -> SchemaView<'a> {
        if let Some(t) = text {
            self.schema = Cow::Borrowed(t);
        }
        self
    }

    pub fn new(sv: &'a SubjectVersion, api: ApiFormat) -> SchemaView<'a> {
        let v8 = api == ApiFormat::V8;
        SchemaView {
            subject: &sv.subject,
            version: sv.version,
            id: sv.schema.id,
            guid: v8.then(|| compat::guid(&sv.schema.identity)),
            schema_type: schema_type_field(&sv.schema, api),
            references: sv.schema.references(),
            metadata: sv.schema.metadata(),
            rule_set: sv.schema.rule_set(),
            schema: sv.schema.text.as_str(),
            ts: v8.then_some(sv.info.ts),
            deleted: v8.then_some(sv.info.deleted),
        }
    }
}
