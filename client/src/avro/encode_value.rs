//! Avro `Value`s into Avro binary, on the common path only.
//!
//! apache-avro's writer walks a value twice, once to validate it and once to encode it, and
//! hashes every record's field names into a new map to find them. This writer walks once, takes
//! a record's fields in the schema's order, and writes exactly apache-avro's bytes for the
//! values that shape covers: each value of the kind its schema names (as our decoders and
//! apache-avro's `resolve` produce them), unions by explicit branch. Anything else, including
//! every value apache-avro would refuse, makes it give up: the caller discards what it wrote and
//! apache-avro's writer takes the value. `tests` compares the bytes of the two writers.

use apache_avro::schema::NamesRef;
use apache_avro::types::Value;
use apache_avro::Schema;

use super::misfit::{takes_int, takes_long};
use super::output::{bytes_with_len, long};

/// Appends `value`, as Avro of `schema`, to `out`. `false` when the value leaves the common
/// path: `out` may then hold part of it, which the caller discards.
pub(super) fn encode_value(
    value: &Value,
    schema: &Schema,
    names: &NamesRef<'_>,
    out: &mut Vec<u8>,
) -> bool {
    write(value, schema, names, out).is_some()
}

/// `None`: left to apache-avro's writer.
fn write(value: &Value, schema: &Schema, names: &NamesRef<'_>, out: &mut Vec<u8>) -> Option<()> {
    use Schema as S;
    use Value as V;
    let schema = match schema {
        S::Ref { name } => names.get(name)?,
        schema => schema,
    };
    match (value, schema) {
        (V::Null, S::Null) => {}
        (V::Boolean(b), S::Boolean) => out.push(u8::from(*b)),
        (V::Int(n), schema) if takes_int(schema) => long(out, i64::from(*n)),
        (V::Date(n), S::Date) | (V::TimeMillis(n), S::TimeMillis) => long(out, i64::from(*n)),
        (V::Long(n), schema) if takes_long(schema) => long(out, *n),
        (V::TimeMicros(n), S::TimeMicros)
        | (V::TimestampMillis(n), S::TimestampMillis)
        | (V::TimestampMicros(n), S::TimestampMicros)
        | (V::TimestampNanos(n), S::TimestampNanos)
        | (V::LocalTimestampMillis(n), S::LocalTimestampMillis)
        | (V::LocalTimestampMicros(n), S::LocalTimestampMicros)
        | (V::LocalTimestampNanos(n), S::LocalTimestampNanos) => long(out, *n),
        (V::Float(x), S::Float) => out.extend_from_slice(&x.to_le_bytes()),
        (V::Double(x), S::Double) => out.extend_from_slice(&x.to_le_bytes()),
        (V::Bytes(bytes), S::Bytes) => bytes_with_len(out, bytes),
        (V::String(s), S::String) => bytes_with_len(out, s.as_bytes()),
        (V::Fixed(n, bytes), S::Fixed(fixed)) if *n == fixed.size => out.extend_from_slice(bytes),
        (V::Enum(index, symbol), S::Enum(e)) if e.symbols.get(*index as usize) == Some(symbol) => {
            long(out, i64::from(*index))
        }
        (V::String(symbol), S::Enum(e)) => {
            let index = e.symbols.iter().position(|s| s == symbol)?;
            long(out, index as i64)
        }
        (V::Union(index, inner), S::Union(union)) => {
            let variant = union.variants().get(*index as usize)?;
            long(out, i64::from(*index));
            write(inner, variant, names, out)?
        }
        (V::Array(items), S::Array(array)) => {
            if !items.is_empty() {
                long(out, items.len() as i64);
                for item in items {
                    write(item, &array.items, names, out)?;
                }
            }
            out.push(0);
        }
        (V::Map(entries), S::Map(map)) => {
            if !entries.is_empty() {
                long(out, entries.len() as i64);
                for (key, value) in entries {
                    bytes_with_len(out, key.as_bytes());
                    write(value, &map.types, names, out)?;
                }
            }
            out.push(0);
        }
        // All the fields, in the schema's order.
        (V::Record(fields), S::Record(record)) => {
            if fields.len() != record.fields.len() {
                return None;
            }
            for ((name, value), field) in fields.iter().zip(&record.fields) {
                if *name != field.name {
                    return None;
                }
                write(value, &field.schema, names, out)?;
            }
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests;
