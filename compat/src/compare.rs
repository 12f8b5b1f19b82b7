//! The structured diff of two versions of a schema, for the diff API and the UI: every change
//! (compatible or not) with its stable id, where it is, what it is, and whether it keeps each
//! direction readable.

use serde::Serialize;

use crate::Schema;

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
    }
}
