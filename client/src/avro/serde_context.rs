//! What every level of a serde read or write shares: the named types the schema uses, and
//! apache-avro's serde setting.

use apache_avro::schema::{Name, NamesRef, RecordSchema};
use apache_avro::Schema;

#[derive(Clone, Copy)]
pub(super) struct Context<'s> {
    pub(super) names: &'s NamesRef<'s>,
    /// Whether serde types pick their human-readable form (apache-avro's setting).
    pub(super) human_readable: bool,
}

/// A reference to a named type the schema does not define.
pub(super) struct Undefined<'s>(pub(super) &'s Name);

impl<'s> Context<'s> {
    /// `schema`, or the named type it refers to.
    #[inline]
    pub(super) fn resolve(self, schema: &'s Schema) -> Result<&'s Schema, Undefined<'s>> {
        match schema {
            Schema::Ref { name } => self.names.get(name).copied().ok_or(Undefined(name)),
            schema => Ok(schema),
        }
    }
}

/// The schemas whose values are Avro ints (what serde's narrow integers read and write).
#[inline]
pub(super) fn is_int_based(schema: &Schema) -> bool {
    matches!(schema, Schema::Int | Schema::Date | Schema::TimeMillis)
}

/// The schemas whose values are Avro longs.
#[inline]
pub(super) fn is_long_based(schema: &Schema) -> bool {
    matches!(
        schema,
        Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos
    )
}

/// A record has this attribute when apache-avro derived it from a Rust tuple.
pub(super) const TUPLE: &str = "org.apache.avro.rust.tuple";
/// A record has this attribute when apache-avro wrapped a union branch in it: its one field is
/// the value.
pub(super) const UNION_OF_RECORDS: &str = "org.apache.avro.rust.union_of_records";

/// Whether apache-avro marked `record` with `attribute`.
#[inline]
pub(super) fn has_attribute(record: &RecordSchema, attribute: &str) -> bool {
    record.attributes.get(attribute) == Some(&serde_json::Value::Bool(true))
}
