//! The Avro compatibility rules: Avro Java's six `SchemaIncompatibilityType`s, each a small
//! function over an already-matched (reader, writer) pair, and Confluent's rendering of each.

use serde::Serialize;

use super::model::{Name, Named};
use crate::{Change, ChangeKind, Role};

/// What an Avro reader cannot resolve in data written with a writer schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AvroChange {
    /// A record, enum or fixed was renamed and the reader has no alias for the writer's name.
    NameMismatch,
    /// A fixed type changed size.
    FixedSizeMismatch,
    /// The writer has enum symbols the reader lacks, and the reader enum has no default.
    MissingEnumSymbols,
    /// A reader field is missing from the writer and has no default value.
    ReaderFieldMissingDefaultValue,
    /// The types differ and no promotion applies.
    TypeMismatch,
    /// A writer type has no matching branch in the reader's union.
    MissingUnionBranch,
    /// A reader field matches several writer fields through its aliases: Avro Java throws, and
    /// Confluent reports the exception instead of a verdict.
    AmbiguousFieldAlias,
}

impl AvroChange {
    pub fn id(self) -> &'static str {
        match self {
            AvroChange::NameMismatch => "NAME_MISMATCH",
            AvroChange::FixedSizeMismatch => "FIXED_SIZE_MISMATCH",
            AvroChange::MissingEnumSymbols => "MISSING_ENUM_SYMBOLS",
            AvroChange::ReaderFieldMissingDefaultValue => "READER_FIELD_MISSING_DEFAULT_VALUE",
            AvroChange::TypeMismatch => "TYPE_MISMATCH",
            AvroChange::MissingUnionBranch => "MISSING_UNION_BRANCH",
            AvroChange::AmbiguousFieldAlias => "AMBIGUOUS_FIELD_ALIAS",
        }
    }

    /// Confluent's message: `{errorType:'…', description:'…', additionalInfo:'…'}`.
    pub(crate) fn message(self, change: &Change, reader: Role, writer: Role) -> String {
        let path = &change.path;
        let info = change.info.as_deref().unwrap_or("");
        let description = match self {
            AvroChange::FixedSizeMismatch => format!(
                "The size of FIXED type field at path '{path}' in the {reader} schema does not match with the {writer} schema"
            ),
            AvroChange::TypeMismatch => format!(
                "The type (path '{path}') of a field in the {reader} schema does not match with the {writer} schema"
            ),
            AvroChange::NameMismatch => format!("The name of the schema has changed (path '{path}')"),
            AvroChange::MissingEnumSymbols => format!(
                "The {reader} schema is missing enum symbols '{info}' at path '{path}' in the {writer} schema"
            ),
            AvroChange::MissingUnionBranch => format!(
                "The {reader} schema is missing a type inside a union field at path '{path}' in the {writer} schema"
            ),
            AvroChange::ReaderFieldMissingDefaultValue => format!(
                "The field '{info}' at path '{path}' in the {reader} schema has no default value and is missing in the {writer} schema"
            ),
            AvroChange::AmbiguousFieldAlias => {
                return format!("Unexpected exception during compatibility check: {info}")
            }
        };
        format!(
            "{{errorType:'{}', description:'{description}', additionalInfo:'{info}'}}",
            self.id()
        )
    }
}

fn change(kind: AvroChange, at: String, info: String) -> Change {
    Change {
        kind: ChangeKind::Avro(kind),
        path: at,
        info: Some(info),
    }
}

/// NAME_MISMATCH: the simple names differ and no reader alias is the writer's full name.
pub(super) fn name_mismatch(reader: &Named, writer: &Named, at: String) -> Option<Change> {
    let writer_full = writer.name.full();
    let same = reader.name.name == writer.name.name
        || reader
            .aliases
            .iter()
            .any(|a: &Name| a.full() == writer_full);
    (!same).then(|| {
        change(
            AvroChange::NameMismatch,
            at,
            format!("expected: {writer_full}"),
        )
    })
}

/// FIXED_SIZE_MISMATCH: a fixed type's size changed.
pub(super) fn fixed_size_mismatch(
    reader_size: u64,
    writer_size: u64,
    at: String,
) -> Option<Change> {
    (reader_size != writer_size).then(|| {
        change(
            AvroChange::FixedSizeMismatch,
            at,
            format!("expected: {writer_size}, found: {reader_size}"),
        )
    })
}

/// MISSING_ENUM_SYMBOLS: writer symbols the reader lacks, unless the reader enum has a default.
pub(super) fn missing_enum_symbols(
    reader_symbols: &[String],
    reader_default: Option<&str>,
    writer_symbols: &[String],
    at: String,
) -> Option<Change> {
    let mut missing: Vec<&String> = writer_symbols
        .iter()
        .filter(|s| !reader_symbols.contains(s))
        .collect();
    let has_default = reader_default.is_some_and(|d| reader_symbols.iter().any(|s| s == d));
    if missing.is_empty() || has_default {
        return None;
    }
    missing.sort_by(|a, b| crate::json_text::java_order(a, b));
    missing.dedup();
    let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
    Some(change(
        AvroChange::MissingEnumSymbols,
        at,
        format!("[{}]", list.join(", ")),
    ))
}

/// READER_FIELD_MISSING_DEFAULT_VALUE: a reader field absent from the writer, without default.
pub(super) fn reader_field_missing_default_value(field: &str, at: String) -> Change {
    change(
        AvroChange::ReaderFieldMissingDefaultValue,
        at,
        field.to_string(),
    )
}

/// TYPE_MISMATCH: the types differ and no promotion (int→long→float→double, string↔bytes) applies.
pub(super) fn type_mismatch(reader_type: &str, writer_type: &str, at: String) -> Change {
    change(
        AvroChange::TypeMismatch,
        at,
        format!("reader type: {reader_type} not compatible with writer type: {writer_type}"),
    )
}

/// MISSING_UNION_BRANCH: no branch of the reader union can read this writer type.
pub(super) fn missing_union_branch(writer_type: &str, at: String) -> Change {
    change(
        AvroChange::MissingUnionBranch,
        at,
        format!("reader union lacking writer type: {writer_type}"),
    )
}

/// AMBIGUOUS_FIELD_ALIAS: Avro Java's exception when a reader field resolves to several writer
/// fields (by name and aliases).
pub(super) fn ambiguous_field_alias(description: String) -> Change {
    change(
        AvroChange::AmbiguousFieldAlias,
        "/".to_string(),
        description,
    )
}
