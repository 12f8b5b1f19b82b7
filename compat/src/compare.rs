//! The structured diff of two versions of a schema, for the diff API and the UI: every change
//! (compatible or not) with its stable id, where it is, what it is, and whether it keeps each
//! direction readable.

use serde::Serialize;

use crate::{Policy, Schema};

/// One change between an old and a new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Difference {
    /// Stable SCREAMING_SNAKE id, e.g. `FIELD_ADDED`.
    pub rule: &'static str,
    /// Where, in the new version (in the old one for what was removed).
    pub path: String,
    /// For a person.
    pub description: String,
    /// The new version still reads data written with the old one, as far as this change goes.
    pub backward_compatible: bool,
    /// The old version still reads data written with the new one, as far as this change goes.
    pub forward_compatible: bool,
}

/// Every change from `old` to `new`, in the order the schemas are walked.
pub fn compare(old: &Schema, new: &Schema) -> Vec<Difference> {
    match (old, new) {
        (Schema::Protobuf(_), Schema::Protobuf(_)) | (Schema::Json(_), Schema::Json(_)) => {
            by_diff(old, new)
        }
        (Schema::Avro(a), Schema::Avro(b)) => crate::avro::edits(a, b)
            .into_iter()
            .map(|e| Difference {
                rule: e.kind,
                path: e.path,
                description: e.description,
                backward_compatible: e.backward_compatible,
                forward_compatible: e.forward_compatible,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// For the diff-based formats: the differences from old to new (new reading old data), each
/// judged backward by its kind and forward by whether the swapped diff breaks at its path.
fn by_diff(old: &Schema, new: &Schema) -> Vec<Difference> {
    let backward = new.changes_reading(old).unwrap_or_default();
    let forward = old.changes_reading(new).unwrap_or_default();
    backward
        .into_iter()
        .map(|c| Difference {
            rule: c.kind.id(),
            description: format!(
                "{} at {}",
                c.kind.id().to_lowercase().replace('_', " "),
                c.path
            ),
            backward_compatible: c.kind.is_compatible(Policy::Strict),
            forward_compatible: !forward
                .iter()
                .any(|f| f.path == c.path && !f.kind.is_compatible(Policy::Strict)),
            path: c.path,
        })
        .collect()
}
