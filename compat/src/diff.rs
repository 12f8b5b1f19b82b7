//! The structured diff of two versions of a schema, for the diff API and the UI: every change
//! (compatible or not) with its stable id, where it is, what it is, and whether it keeps each
//! direction readable.
//!
//! Avro has its own diff (`avro/diff.rs`): its checker reports only what breaks reading, and a
//! person wants to see the compatible edits too. Protobuf's and JSON Schema's checkers already
//! report every difference, so their diff is the checker's changes, judged both ways.

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
pub fn diff(old: &Schema, new: &Schema) -> Vec<Difference> {
    match (old, new) {
        (Schema::Protobuf(_), Schema::Protobuf(_)) | (Schema::Json(_), Schema::Json(_)) => {
            from_changes(old, new)
        }
        (Schema::Avro(a), Schema::Avro(b)) => crate::avro::diff(a, b),
        _ => Vec::new(),
    }
}

/// For the formats whose checker reports every difference: the changes from old to new (new
/// reading old data), each judged backward by its kind and forward by whether the swapped check
/// breaks at its path.
fn from_changes(old: &Schema, new: &Schema) -> Vec<Difference> {
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
