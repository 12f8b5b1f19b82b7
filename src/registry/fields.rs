//! `validateFields`, as Confluent defines it: with it on (subject config, then global; off by
//! default), a new schema gets the strict validation (a JSON object schema's top-level
//! property may not start with `$$`), and the compatibility check first checks reserved fields:
//! the names a version's metadata property `confluent:reserved` lists (comma-separated) may not
//! be dropped from the next version's list, nor be top-level fields of the schema reserving
//! them.

use compat::Metadata;

use super::{Registry, State};
use crate::error::ApiError;

/// The metadata property listing reserved field names.
const RESERVED: &str = "confluent:reserved";

impl Registry {
    /// Whether `validateFields` is on for `subject`.
    pub(crate) fn validates_fields(&self, state: &State, subject: &str) -> bool {
        self.config_in_scope(state, subject)
            .validate_fields
            .unwrap_or(false)
    }

    /// Confluent's strict validation of a new schema, when `validateFields` is on.
    pub(crate) fn check_fields(
        &self,
        state: &State,
        subject: &str,
        parsed: &compat::Schema,
    ) -> Result<(), ApiError> {
        let violation = match parsed {
            compat::Schema::Json(json) if self.validates_fields(state, subject) => {
                json.strict_violation()
            }
            _ => None,
        };
        match violation {
            Some(details) => Err(ApiError::InvalidSchema(format!(
                "Invalid schema of type {}, details: {details}",
                parsed.schema_type()
            ))),
            None => Ok(()),
        }
    }
}

/// Confluent's messages for the reserved fields of `new` (carrying `metadata`) after the version
/// carrying `previous`: each field `previous` reserves that `metadata` no longer does, then each
/// reserved field `new` has at its top level.
pub(crate) fn reserved_field_messages(
    new: &compat::Schema,
    metadata: Option<&Metadata>,
    previous: Option<&Metadata>,
) -> Vec<String> {
    let reserved_now = reserved(metadata);
    let mut messages: Vec<String> = reserved(previous)
        .into_iter()
        .filter(|field| !reserved_now.contains(field))
        .map(|field| {
            format!(
                "The new schema has reserved field {field} removed from its metadata which is \
                 present in the old schema's metadata."
            )
        })
        .collect();
    messages.extend(
        reserved_now
            .iter()
            .filter(|field| new.has_top_level_field(field))
            .map(|field| {
                format!("The new schema has field that conflicts with the reserved field {field}.")
            }),
    );
    messages
}

/// The reserved field names of `metadata`, trimmed, without empties or repeats, in the order
/// Confluent's `HashSet` gives them.
fn reserved(metadata: Option<&Metadata>) -> Vec<&str> {
    let Some(list) = metadata.and_then(|m| m.properties.get(RESERVED)) else {
        return Vec::new();
    };
    let mut fields: Vec<&str> = Vec::new();
    for field in list.split(',').map(str::trim) {
        if !field.is_empty() && !fields.contains(&field) {
            fields.push(field);
        }
    }
    java_hash_set_order(fields)
}

/// `items` (distinct) in the iteration order of a Java `HashSet<String>` they were added to in
/// this order: by bucket (the spread `String.hashCode` masked by the table size: 16, doubled
/// while more than three quarters full), then in insertion order within a bucket.
fn java_hash_set_order(mut items: Vec<&str>) -> Vec<&str> {
    let mut buckets = 16usize;
    while items.len() * 4 > buckets * 3 {
        buckets *= 2;
    }
    let bucket = |s: &str| {
        let h = s.encode_utf16().fold(0i32, |h, unit| {
            h.wrapping_mul(31).wrapping_add(i32::from(unit))
        });
        let spread = (h ^ ((h as u32) >> 16) as i32) as u32;
        spread as usize & (buckets - 1)
    };
    items.sort_by_key(|s| bucket(s));
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_fields_are_listed_in_java_hash_set_order() {
        // "a".hashCode() = 97 (bucket 1), "z" = 122 (bucket 10), "id" = 3355 (bucket 11),
        // "ssn" = 114190 (114191 after the spread: bucket 15).
        assert_eq!(
            java_hash_set_order(vec!["id", "ssn", "z", "a"]),
            ["a", "z", "id", "ssn"]
        );
        let metadata = Metadata {
            properties: [(RESERVED.to_string(), " id, ,ssn,id ".to_string())].into(),
            ..Metadata::default()
        };
        assert_eq!(reserved(Some(&metadata)), ["id", "ssn"]);
        assert!(reserved(None).is_empty());
    }
}
