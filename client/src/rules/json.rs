//! JSON Schema messages as the rules see them: the JSON value in CEL, walked for field rules
//! by the schema's `properties` and `items` (local `$ref`s followed, the first `allOf`/`anyOf`/
//! `oneOf` branch whose type fits), each field named by its path from `$`.

use cel::Value as CelValue;
use serde_json::Value as JsonValue;

use super::fields::{each_field, leaf, FieldInfo, Visit};
use super::values::{cel_to_json, json_to_cel};
use super::Format;

/// How deep `$ref`s and nested schemas are followed: a recursive schema ends somewhere.
const MAX_DEPTH: usize = 64;

/// JSON messages of one schema (its JSON text, parsed).
pub(crate) struct JsonFormat<'s> {
    pub(crate) schema: &'s JsonValue,
}

impl Format for JsonFormat<'_> {
    type Message = JsonValue;

    fn to_cel(&self, message: &JsonValue) -> Result<CelValue, String> {
        Ok(json_to_cel(message))
    }

    fn message_of(&self, value: CelValue, original: &JsonValue) -> Result<JsonValue, String> {
        cel_to_json(&value, Some(original))
    }

    fn walk_fields(&self, message: &mut CelValue, visit: &mut Visit<'_>) -> Result<(), String> {
        let mut walker = Walker {
            root: self.schema,
            visit,
        };
        walker.walk(self.schema, "$", message, None, 0)
    }
}

struct Walker<'s, 'v, 'a> {
    root: &'s JsonValue,
    visit: &'v mut Visit<'a>,
}

/// The JSON Schema type names a CEL value has.
fn types_of(value: &CelValue) -> &'static [&'static str] {
    match value {
        CelValue::Null => &["null"],
        CelValue::Bool(_) => &["boolean"],
        CelValue::Int(_) | CelValue::UInt(_) => &["integer", "number"],
        CelValue::Float(_) => &["number"],
        CelValue::String(_) => &["string"],
        CelValue::List(_) => &["array"],
        CelValue::Map(_) => &["object"],
        _ => &[],
    }
}

/// Whether `schema` (followed through a `$ref`) admits a value of one of `types`; a schema that
/// names no type admits any.
fn admits(schema: &JsonValue, types: &[&str]) -> bool {
    match &schema["type"] {
        JsonValue::String(t) => types.contains(&t.as_str()),
        JsonValue::Array(ts) => ts
            .iter()
            .any(|t| t.as_str().is_some_and(|t| types.contains(&t))),
        _ => true,
    }
}

/// `schema`, or what its `#/...` reference points to within `root`.
fn resolve<'s>(root: &'s JsonValue, schema: &'s JsonValue) -> Option<&'s JsonValue> {
    match schema["$ref"].as_str() {
        Some(reference) => root.pointer(reference.strip_prefix('#')?),
        None => Some(schema),
    }
}

impl<'s> Walker<'s, '_, '_> {
    fn walk(
        &mut self,
        schema: &'s JsonValue,
        path: &str,
        value: &mut CelValue,
        field: Option<(&FieldInfo, &CelValue)>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("schema nests deeper than {MAX_DEPTH} at {path}"));
        }
        let root = self.root;
        let Some(schema) = resolve(root, schema) else {
            return Ok(());
        };
        let types = types_of(value);
        for combined in ["allOf", "anyOf", "oneOf"] {
            if let Some(branches) = schema[combined].as_array() {
                let branch = branches
                    .iter()
                    .find(|b| resolve(root, b).is_some_and(|b| admits(b, types)));
                return match branch {
                    Some(branch) => self.walk(branch, path, value, field, depth + 1),
                    None => Ok(()),
                };
            }
        }
        if !admits(schema, types) || schema.get("enum").is_some() || schema.get("const").is_some() {
            return Ok(());
        }
        match value {
            CelValue::Map(_) => {
                let Some(properties) = schema["properties"].as_object() else {
                    return Ok(());
                };
                let fields = properties.iter().map(|(name, sub)| {
                    let tags = resolve(root, sub)
                        .and_then(|s| s["confluent:tags"].as_array())
                        .map(|tags| {
                            tags.iter()
                                .filter_map(|t| t.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    let info = FieldInfo {
                        full_name: format!("{path}.{name}"),
                        name: name.clone(),
                        type_name: "",
                        tags,
                    };
                    (info, sub)
                });
                let fields: Vec<_> = fields.collect();
                each_field(value, fields, |sub, value, info, container| {
                    let path = info.full_name.clone();
                    self.walk(sub, &path, value, Some((info, container)), depth + 1)
                })
            }
            CelValue::List(items) => {
                let Some(item_schema) = schema.get("items").filter(|s| s.is_object()) else {
                    return Ok(());
                };
                for item in std::sync::Arc::make_mut(items) {
                    self.walk(item_schema, path, item, field, depth + 1)?;
                }
                Ok(())
            }
            CelValue::String(_) => leaf(value, "STRING", field, self.visit),
            CelValue::Int(_) | CelValue::UInt(_) if admits(schema, &["integer"]) => {
                leaf(value, "INT", field, self.visit)
            }
            CelValue::Int(_) | CelValue::UInt(_) | CelValue::Float(_) => {
                leaf(value, "DOUBLE", field, self.visit)
            }
            CelValue::Bool(_) => leaf(value, "BOOLEAN", field, self.visit),
            _ => Ok(()),
        }
    }
}
