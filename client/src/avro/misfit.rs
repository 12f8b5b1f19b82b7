//! Where and why an Avro `Value` does not fit its schema. apache-avro's writer refuses such a
//! value with "Value does not match schema" and nothing more, so a producer cannot tell which
//! field is wrong. This walks the value again by apache-avro's validation rules
//! (`Value::validate_with_names`), only after its writer has refused it: the per-message path
//! pays nothing.

use std::fmt::Write as _;

use apache_avro::schema::{FixedSchema, NamesRef, SchemaKind, UuidSchema};
use apache_avro::types::Value;
use apache_avro::Schema;

/// The first place where `value` breaks apache-avro's rules for `schema`, and why; `None` if
/// these rules find nothing (the caller then reports apache-avro's words alone).
pub(super) fn explain(value: &Value, schema: &Schema, names: &NamesRef<'_>) -> Option<String> {
    let mut path = String::new();
    let reason = walk(value, schema, names, &mut path)?;
    Some(if path.is_empty() {
        reason
    } else {
        format!("at `{path}`: {reason}")
    })
}

/// The reason `value` does not fit `schema`, with `path` (from the root) pointing at it.
fn walk(value: &Value, schema: &Schema, names: &NamesRef<'_>, path: &mut String) -> Option<String> {
    match (value, schema) {
        (_, Schema::Ref { name }) => match names.get(name) {
            Some(schema) => walk(value, schema, names, path),
            None => Some(format!("the schema uses {name}, which it does not define")),
        },
        (Value::Union(index, inner), Schema::Union(union)) => {
            match union.variants().get(*index as usize) {
                Some(variant) => walk(inner, variant, names, path),
                None => Some(format!(
                    "branch {index} of a union of {} branches",
                    union.variants().len()
                )),
            }
        }
        (value, Schema::Union(union)) => {
            match union.find_schema_with_known_schemata(value, Some(names), None) {
                Some(_) => None,
                None => Some(format!(
                    "{} fits no branch of the union {}",
                    kind(value),
                    branches(union.variants())
                )),
            }
        }
        (Value::Array(items), Schema::Array(array)) => {
            items.iter().enumerate().find_map(|(i, item)| {
                within(
                    path,
                    |p| write!(p, "[{i}]"),
                    |p| walk(item, &array.items, names, p),
                )
            })
        }
        (Value::Map(entries), Schema::Map(map)) => {
            // The first wrong entry in key order, so that the answer does not change from run
            // to run with the map's hashing.
            let mut keys: Vec<&String> = entries.keys().collect();
            keys.sort();
            keys.into_iter().find_map(|key| {
                within(
                    path,
                    |p| write!(p, "[{key:?}]"),
                    |p| walk(&entries[key], &map.types, names, p),
                )
            })
        }
        (Value::Record(fields), Schema::Record(record)) => {
            let required = record.fields.iter().filter(|f| !f.is_nullable()).count();
            if fields.len() < required {
                return Some(format!(
                    "the record has {}; the schema has {required} that are not nullable",
                    count_fields(fields.len())
                ));
            }
            if fields.len() > record.fields.len() {
                return Some(format!(
                    "the record has {}; the schema has only {}",
                    count_fields(fields.len()),
                    record.fields.len()
                ));
            }
            fields.iter().find_map(|(name, field_value)| {
                let Some(&at) = record.lookup.get(name) else {
                    return Some(format!(
                        "the record has a field `{name}`, which the schema does not"
                    ));
                };
                let field_schema = &record.fields[at].schema;
                within(
                    path,
                    |p| write!(p, ".{name}"),
                    |p| walk(field_value, field_schema, names, p),
                )
            })
        }
        (Value::Map(entries), Schema::Record(record)) => {
            record
                .fields
                .iter()
                .find_map(|field| match entries.get(&field.name) {
                    Some(field_value) => within(
                        path,
                        |p| write!(p, ".{}", field.name),
                        |p| walk(field_value, &field.schema, names, p),
                    ),
                    None if field.is_nullable() => None,
                    None => Some(format!("the map has no entry `{}`", field.name)),
                })
        }
        (value, schema) => leaf(value, schema),
    }
}

/// Runs `walk` with `step` appended to `path`, and takes the step back when it finds nothing.
fn within(
    path: &mut String,
    step: impl FnOnce(&mut String) -> std::fmt::Result,
    walk: impl FnOnce(&mut String) -> Option<String>,
) -> Option<String> {
    let len = path.len();
    step(path).expect("writing to a String cannot fail");
    let reason = walk(path);
    if reason.is_none() {
        path.truncate(len);
    }
    reason
}

/// The values apache-avro accepts for each schema that holds no other values.
fn leaf(value: &Value, schema: &Schema) -> Option<String> {
    use Schema as S;
    use Value as V;
    let fits = match (value, schema) {
        (V::Null, S::Null) | (V::Boolean(_), S::Boolean) => true,
        (V::Int(_), schema) if takes_int(schema) => true,
        (V::Long(_), schema) if takes_long(schema) => true,
        (V::TimestampMicros(_), S::TimestampMicros)
        | (V::TimestampMillis(_), S::TimestampMillis)
        | (V::TimestampNanos(_), S::TimestampNanos)
        | (V::LocalTimestampMicros(_), S::LocalTimestampMicros)
        | (V::LocalTimestampMillis(_), S::LocalTimestampMillis)
        | (V::LocalTimestampNanos(_), S::LocalTimestampNanos)
        | (V::TimeMicros(_), S::TimeMicros)
        | (V::TimeMillis(_), S::TimeMillis)
        | (V::Date(_), S::Date) => true,
        (V::Decimal(_), S::Decimal(_))
        | (V::BigDecimal(_), S::BigDecimal)
        | (V::Duration(_), S::Duration(_))
        | (V::Uuid(_), S::Uuid(_)) => true,
        (V::Float(_), S::Float | S::Double) | (V::Double(_), S::Double) => true,
        (V::Bytes(_), S::Bytes | S::Decimal(_)) | (V::String(_), S::String) => true,
        (V::Bytes(bytes), S::Uuid(UuidSchema::Bytes)) => {
            return (bytes.len() != 16).then(|| format!("a uuid in {} bytes, not 16", bytes.len()));
        }
        (V::String(s), S::Uuid(UuidSchema::String)) => {
            return (s.len() < 32)
                .then(|| format!("a uuid of {} characters, fewer than 32", s.len()));
        }
        (V::Fixed(n, _), S::Fixed(FixedSchema { size, .. })) => {
            return (n != size).then(|| format!("{n} bytes in a fixed of {size}"));
        }
        (V::Bytes(bytes), S::Fixed(FixedSchema { size, .. })) => {
            return (bytes.len() != *size)
                .then(|| format!("{} bytes in a fixed of {size}", bytes.len()));
        }
        (V::Fixed(n, _), S::Duration(_)) => {
            return (*n != 12).then(|| format!("a duration of {n} bytes, not 12"));
        }
        (V::Fixed(n, _), S::Uuid(UuidSchema::Fixed(fixed))) => {
            return (fixed.size != 16 || *n != 16)
                .then(|| format!("a uuid of {n} bytes in a fixed of {}, not 16", fixed.size));
        }
        (V::Fixed(..), S::Decimal(_)) => true,
        (V::String(symbol), S::Enum(e)) => {
            return (!e.symbols.contains(symbol)).then(|| {
                format!(
                    "{symbol:?} is not one of the enum's symbols {:?}",
                    e.symbols
                )
            });
        }
        (V::Enum(index, symbol), S::Enum(e)) => {
            return match e.symbols.get(*index as usize) {
                Some(at) if at == symbol => None,
                Some(at) => Some(format!(
                    "symbol {symbol:?} at position {index}, where the enum has {at:?}"
                )),
                None if e.default.is_some() => None,
                None => Some(format!(
                    "no symbol at position {index} of the enum's {}",
                    e.symbols.len()
                )),
            };
        }
        _ => false,
    };
    (!fits).then(|| format!("{} where the schema has {}", kind(value), describe(schema)))
}

/// The schemas apache-avro's validation takes a `Value::Int` for.
pub(super) fn takes_int(schema: &Schema) -> bool {
    matches!(
        schema,
        Schema::Int | Schema::Date | Schema::TimeMillis | Schema::Long
    )
}

/// The schemas apache-avro's validation takes a `Value::Long` for (not the nanosecond
/// timestamps, which need their own `Value`s).
pub(super) fn takes_long(schema: &Schema) -> bool {
    matches!(
        schema,
        Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
    )
}

fn count_fields(n: usize) -> String {
    match n {
        1 => "1 field".to_string(),
        n => format!("{n} fields"),
    }
}

fn kind(value: &Value) -> String {
    format!("{:?}", SchemaKind::from(value))
}

/// A schema, briefly: its kind, and its name if it has one.
fn describe(schema: &Schema) -> String {
    match schema.name() {
        Some(name) => format!("{:?} {name}", SchemaKind::from(schema)),
        None => format!("{:?}", SchemaKind::from(schema)),
    }
}

fn branches(variants: &[Schema]) -> String {
    let names: Vec<String> = variants.iter().map(describe).collect();
    format!("[{}]", names.join(", "))
}

#[cfg(test)]
mod tests;
