//! Avro values as the rules see them: records and maps as CEL maps, enums and strings as
//! strings, `bytes` and `fixed` as bytes, the logical types as their base types, a union as
//! its branch's value (as Confluent's Java client binds a `GenericRecord`). A `TRANSFORM`'s
//! result is converted back guided by the schema: ints narrowed, strings to enum symbols, maps
//! to records in the schema's field order, each union value to the first branch it fits.

use std::sync::Arc;

use apache_avro::schema::{NamesRef, RecordSchema};
use apache_avro::types::Value;
use apache_avro::Schema;
use cel::objects::Key;
use cel::Value as CelValue;

use super::fields::{each_field, leaf, FieldInfo, Visit};
use super::values::map;
use super::Format;

/// Avro messages of one schema.
pub(crate) struct AvroFormat<'s> {
    pub(crate) schema: &'s Schema,
    pub(crate) names: &'s NamesRef<'s>,
}

impl Format for AvroFormat<'_> {
    type Message = Value;

    fn to_cel(&self, message: &Value) -> Result<CelValue, String> {
        to_cel(message)
    }

    /// Records come out in the schema's field order, whatever the original's.
    fn message_of(&self, value: CelValue, _: &Value) -> Result<Value, String> {
        from_cel(value, self.schema, self.names)
    }

    fn walk_fields(&self, message: &mut CelValue, visit: &mut Visit<'_>) -> Result<(), String> {
        walk(self.schema, self.names, message, None, visit)
    }
}

fn to_cel(value: &Value) -> Result<CelValue, String> {
    Ok(match value {
        Value::Null => CelValue::Null,
        Value::Boolean(b) => CelValue::Bool(*b),
        Value::Int(n) | Value::Date(n) | Value::TimeMillis(n) => CelValue::Int(i64::from(*n)),
        Value::Long(n)
        | Value::TimeMicros(n)
        | Value::TimestampMillis(n)
        | Value::TimestampMicros(n)
        | Value::TimestampNanos(n)
        | Value::LocalTimestampMillis(n)
        | Value::LocalTimestampMicros(n)
        | Value::LocalTimestampNanos(n) => CelValue::Int(*n),
        Value::Float(x) => CelValue::Float(f64::from(*x)),
        Value::Double(x) => CelValue::Float(*x),
        Value::Bytes(b) | Value::Fixed(_, b) => CelValue::Bytes(Arc::new(b.clone())),
        Value::String(s) | Value::Enum(_, s) => CelValue::String(Arc::new(s.clone())),
        Value::Uuid(u) => CelValue::String(Arc::new(u.to_string())),
        Value::Union(_, inner) => to_cel(inner)?,
        Value::Array(items) => CelValue::List(Arc::new(
            items.iter().map(to_cel).collect::<Result<_, _>>()?,
        )),
        Value::Map(entries) => map(entries
            .iter()
            .map(|(k, v)| Ok((Key::String(Arc::new(k.clone())), to_cel(v)?)))
            .collect::<Result<Vec<_>, String>>()?
            .into_iter()),
        Value::Record(fields) => map(fields
            .iter()
            .map(|(k, v)| Ok((Key::String(Arc::new(k.clone())), to_cel(v)?)))
            .collect::<Result<Vec<_>, String>>()?
            .into_iter()),
        other => return Err(format!("an Avro {other:?} cannot be bound in CEL")),
    })
}

fn named<'a>(schema: &'a Schema, names: &'a NamesRef<'_>) -> &'a Schema {
    match schema {
        Schema::Ref { name } => names.get(name).copied().unwrap_or(schema),
        schema => schema,
    }
}

/// Whether a CEL value can be a value of `schema` (how a union's branch is picked).
fn fits(value: &CelValue, schema: &Schema, names: &NamesRef<'_>) -> bool {
    use Schema as S;
    match (value, named(schema, names)) {
        (CelValue::Null, S::Null) | (CelValue::Bool(_), S::Boolean) => true,
        (CelValue::Int(_) | CelValue::UInt(_), s) => int_type(s).is_some() || float_type(s),
        (CelValue::Float(_), s) => float_type(s),
        (CelValue::String(_), S::String | S::Enum(_) | S::Uuid(_)) => true,
        (CelValue::Bytes(_), S::Bytes | S::Fixed(_)) => true,
        (CelValue::List(_), S::Array(_)) => true,
        (CelValue::Map(_), S::Map(_) | S::Record(_)) => true,
        _ => false,
    }
}

fn float_type(schema: &Schema) -> bool {
    matches!(schema, Schema::Float | Schema::Double)
}

/// The type name of an integral schema, `None` for others.
fn int_type(schema: &Schema) -> Option<&'static str> {
    use Schema as S;
    match schema {
        S::Int | S::Date | S::TimeMillis => Some("INT"),
        S::Long
        | S::TimeMicros
        | S::TimestampMillis
        | S::TimestampMicros
        | S::TimestampNanos
        | S::LocalTimestampMillis
        | S::LocalTimestampMicros
        | S::LocalTimestampNanos => Some("LONG"),
        _ => None,
    }
}

fn from_cel(value: CelValue, schema: &Schema, names: &NamesRef<'_>) -> Result<Value, String> {
    use Schema as S;
    let schema = named(schema, names);
    let int = |v: &CelValue| match v {
        CelValue::Int(i) => Some(*i),
        CelValue::UInt(u) => i64::try_from(*u).ok(),
        _ => None,
    };
    Ok(match (value, schema) {
        (value, S::Union(union)) => {
            let (index, branch) = union
                .variants()
                .iter()
                .enumerate()
                .find(|(_, branch)| fits(&value, branch, names))
                .ok_or_else(|| format!("{value:?} fits no branch of the union"))?;
            Value::Union(index as u32, Box::new(from_cel(value, branch, names)?))
        }
        (CelValue::Null, S::Null) => Value::Null,
        (CelValue::Bool(b), S::Boolean) => Value::Boolean(b),
        (CelValue::Float(x), S::Float) => Value::Float(x as f32),
        (CelValue::Float(x), S::Double) => Value::Double(x),
        (v, S::Float) if int(&v).is_some() => Value::Float(int(&v).unwrap_or_default() as f32),
        (v, S::Double) if int(&v).is_some() => Value::Double(int(&v).unwrap_or_default() as f64),
        (v, s) if int_type(s).is_some() && int(&v).is_some() => {
            let n = int(&v).unwrap_or_default();
            let small = || i32::try_from(n).map_err(|_| format!("{n} does not fit an Avro int"));
            match s {
                S::Int => Value::Int(small()?),
                S::Date => Value::Date(small()?),
                S::TimeMillis => Value::TimeMillis(small()?),
                S::TimeMicros => Value::TimeMicros(n),
                S::TimestampMillis => Value::TimestampMillis(n),
                S::TimestampMicros => Value::TimestampMicros(n),
                S::TimestampNanos => Value::TimestampNanos(n),
                S::LocalTimestampMillis => Value::LocalTimestampMillis(n),
                S::LocalTimestampMicros => Value::LocalTimestampMicros(n),
                S::LocalTimestampNanos => Value::LocalTimestampNanos(n),
                _ => Value::Long(n),
            }
        }
        (CelValue::String(s), S::String) => Value::String(s.to_string()),
        (CelValue::String(s), S::Enum(e)) => {
            let index = e
                .symbols
                .iter()
                .position(|symbol| **symbol == *s)
                .ok_or_else(|| format!("{s:?} is not a symbol of enum {}", e.name))?;
            Value::Enum(index as u32, s.to_string())
        }
        (CelValue::Bytes(b), S::Bytes) => Value::Bytes(b.to_vec()),
        (CelValue::Bytes(b), S::Fixed(f)) if b.len() == f.size => Value::Fixed(f.size, b.to_vec()),
        (CelValue::List(items), S::Array(array)) => Value::Array(
            items
                .iter()
                .map(|item| from_cel(item.clone(), &array.items, names))
                .collect::<Result<_, _>>()?,
        ),
        (CelValue::Map(m), S::Map(map_schema)) => Value::Map(
            m.map
                .iter()
                .map(|(k, v)| match k {
                    Key::String(k) => Ok((
                        k.to_string(),
                        from_cel(v.clone(), &map_schema.types, names)?,
                    )),
                    other => Err(format!("map key {other:?} is not a string")),
                })
                .collect::<Result<_, _>>()?,
        ),
        (CelValue::Map(m), S::Record(record)) => {
            let mut fields = Vec::with_capacity(record.fields.len());
            for field in &record.fields {
                let value = m
                    .map
                    .get(&Key::String(Arc::new(field.name.clone())))
                    .cloned()
                    .ok_or_else(|| format!("no field {} for record {}", field.name, record.name))?;
                fields.push((field.name.clone(), from_cel(value, &field.schema, names)?));
            }
            Value::Record(fields)
        }
        (value, schema) => {
            return Err(format!(
                "{value:?} does not fit the schema's {:?}",
                apache_avro::schema::SchemaKind::from(schema)
            ))
        }
    })
}

/// Walks `value` (CEL) with `schema`; `field` is the record field holding it and that record.
fn walk(
    schema: &Schema,
    names: &NamesRef<'_>,
    value: &mut CelValue,
    field: Option<(&FieldInfo, &CelValue)>,
    visit: &mut Visit<'_>,
) -> Result<(), String> {
    use Schema as S;
    match named(schema, names) {
        S::Union(union) => match union.variants().iter().find(|b| fits(value, b, names)) {
            Some(branch) => walk(branch, names, value, field, visit),
            None => Ok(()),
        },
        S::Array(array) => match value {
            CelValue::List(items) => {
                for item in Arc::make_mut(items) {
                    walk(&array.items, names, item, field, visit)?;
                }
                Ok(())
            }
            _ => Ok(()),
        },
        S::Map(map_schema) => match value {
            CelValue::Map(m) => {
                for item in Arc::make_mut(&mut m.map).values_mut() {
                    walk(&map_schema.types, names, item, field, visit)?;
                }
                Ok(())
            }
            _ => Ok(()),
        },
        S::Record(record) => walk_record(record, names, value, visit),
        S::String | S::Uuid(_) => leaf(value, "STRING", field, visit),
        S::Bytes => leaf(value, "BYTES", field, visit),
        S::Boolean => leaf(value, "BOOLEAN", field, visit),
        S::Float => leaf(value, "FLOAT", field, visit),
        S::Double => leaf(value, "DOUBLE", field, visit),
        s => match int_type(s) {
            Some(type_name) => leaf(value, type_name, field, visit),
            // Enums, fixed, nulls and decimals are not primitives a field rule sees.
            None => Ok(()),
        },
    }
}

fn walk_record(
    record: &RecordSchema,
    names: &NamesRef<'_>,
    value: &mut CelValue,
    visit: &mut Visit<'_>,
) -> Result<(), String> {
    let record_name = record.name.fullname(None);
    let fields = record.fields.iter().map(|f| {
        let tags = match f.custom_attributes.get("confluent:tags") {
            Some(serde_json::Value::Array(tags)) => tags
                .iter()
                .map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let info = FieldInfo {
            full_name: format!("{record_name}.{}", f.name),
            name: f.name.clone(),
            type_name: "",
            tags,
        };
        (info, &f.schema)
    });
    each_field(value, fields, |schema, value, info, container| {
        walk(schema, names, value, Some((info, container)), visit)
    })
}

#[cfg(test)]
mod tests {
    use apache_avro::schema::ResolvedSchema;

    use super::*;

    const SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"acme","fields":[
        {"name":"id","type":"int"},
        {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
        {"name":"note","type":["null","string"]},
        {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line",
            "fields":[{"name":"sku","type":"string","confluent:tags":["SKU"]}]}}}]}"#;

    fn order() -> Value {
        Value::Record(vec![
            ("id".into(), Value::Int(7)),
            ("status".into(), Value::Enum(1, "PAID".into())),
            (
                "note".into(),
                Value::Union(1, Box::new(Value::String("hi".into()))),
            ),
            (
                "lines".into(),
                Value::Array(vec![Value::Record(vec![(
                    "sku".into(),
                    Value::String("tea".into()),
                )])]),
            ),
        ])
    }

    #[test]
    fn values_go_to_cel_and_back_by_the_schema() {
        let schema = Schema::parse_str(SCHEMA).unwrap();
        let resolved = ResolvedSchema::try_from(&schema).unwrap();
        let format = AvroFormat {
            schema: &schema,
            names: resolved.get_names(),
        };
        let cel = format.to_cel(&order()).unwrap();
        let CelValue::Map(m) = &cel else {
            panic!("{cel:?}")
        };
        let get = |k: &str| m.map.get(&Key::String(Arc::new(k.into()))).cloned();
        assert_eq!(get("id"), Some(CelValue::Int(7)));
        assert_eq!(
            get("status"),
            Some(CelValue::String(Arc::new("PAID".into())))
        );
        assert_eq!(get("note"), Some(CelValue::String(Arc::new("hi".into()))));
        assert_eq!(format.message_of(cel.clone(), &order()).unwrap(), order());
        // Ints are narrowed, symbols checked, a null finds the null branch.
        let mut changed = m.map.as_ref().clone();
        changed.insert(Key::String(Arc::new("note".into())), CelValue::Null);
        let back = format
            .message_of(
                CelValue::Map(cel::objects::Map {
                    map: Arc::new(changed.clone()),
                }),
                &order(),
            )
            .unwrap();
        let Value::Record(fields) = back else {
            panic!("{back:?}")
        };
        assert_eq!(fields[2].1, Value::Union(0, Box::new(Value::Null)));
        for (field, value, error) in [
            (
                "id",
                CelValue::Int(1 << 40),
                "1099511627776 does not fit an Avro int",
            ),
            (
                "status",
                CelValue::String(Arc::new("LOST".into())),
                "\"LOST\" is not a symbol of enum acme.Status",
            ),
        ] {
            let mut bad = changed.clone();
            bad.insert(Key::String(Arc::new(field.into())), value);
            let map = CelValue::Map(cel::objects::Map { map: Arc::new(bad) });
            let e = format.message_of(map, &order()).unwrap_err();
            assert!(e.ends_with(error), "{e}");
        }
    }

    #[test]
    fn field_walks_name_nested_fields_by_their_record() {
        let schema = Schema::parse_str(SCHEMA).unwrap();
        let resolved = ResolvedSchema::try_from(&schema).unwrap();
        let format = AvroFormat {
            schema: &schema,
            names: resolved.get_names(),
        };
        let mut cel = format.to_cel(&order()).unwrap();
        let mut seen = Vec::new();
        format
            .walk_fields(&mut cel, &mut |field, _, value| {
                seen.push(format!(
                    "{} {} {:?} {value:?}",
                    field.full_name, field.type_name, field.tags
                ));
                Ok(None)
            })
            .unwrap();
        // The enum is not a primitive; the union's string is; the array's records are walked.
        assert_eq!(
            seen,
            [
                "acme.Order.id INT [] Int(7)",
                "acme.Order.note STRING [] String(\"hi\")",
                "acme.Line.sku STRING [\"SKU\"] String(\"tea\")",
            ]
        );
    }
}
