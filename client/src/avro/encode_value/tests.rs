//! Our `Value` writer against apache-avro's `write_value_ref`: the same bytes whenever ours
//! writes, and ours writing the values our decoders and apache-avro's `resolve` produce.

use std::collections::HashMap;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::ResolvedSchema;
use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema;
use serde::Serialize;

use super::encode_value;
use crate::avro::fixtures::*;

/// apache-avro's bytes for `value`, or `None` when it refuses it.
fn theirs(schema: &Schema, value: &Value) -> Option<Vec<u8>> {
    let writer = GenericDatumWriter::builder(schema).build().unwrap();
    let mut out = Vec::new();
    writer.write_value_ref(&mut out, value).ok().map(|_| out)
}

/// Ours: the bytes, or `None` when it leaves the value to apache-avro.
fn ours(schema: &Schema, value: &Value) -> Option<Vec<u8>> {
    let names = ResolvedSchema::try_from(schema).unwrap();
    let mut out = vec![9, 9]; // what the frame holds before: kept as it was.
    let written = encode_value(value, schema, names.get_names(), &mut out);
    assert_eq!(out[..2], [9, 9]);
    written.then(|| out[2..].to_vec())
}

/// The `Value` a consumer reads of a serde value written with `schema`.
fn value_of<T: Serialize>(schema: &Schema, value: &T) -> Value {
    let writer = GenericDatumWriter::builder(schema).build().unwrap();
    let bytes = writer.write_ser_to_vec(value).unwrap();
    let reader = GenericDatumReader::builder(schema).build().unwrap();
    reader.read_value(&mut &bytes[..]).unwrap()
}

fn written_as_apache_avro_writes<T: Serialize + std::fmt::Debug>(schema: &str, values: &[T]) {
    let schema = Schema::parse_str(schema).unwrap();
    for value in values {
        let value = value_of(&schema, value);
        let theirs = theirs(&schema, &value);
        assert!(theirs.is_some(), "{value:?}");
        assert_eq!(ours(&schema, &value), theirs, "{value:?}");
    }
}

#[test]
fn values_of_every_kind_are_written_as_apache_avro_writes_them() {
    // Logical types other than dates and times (decimal, uuid, duration) are left to
    // apache-avro: this record has none.
    let times = r#"{"type":"record","name":"Times","fields":[
        {"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"f","type":"float"},
        {"name":"date","type":{"type":"int","logicalType":"date"}},
        {"name":"tms","type":{"type":"int","logicalType":"time-millis"}},
        {"name":"tus","type":{"type":"long","logicalType":"time-micros"}},
        {"name":"tsms","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"tsns","type":{"type":"long","logicalType":"timestamp-nanos"}},
        {"name":"ltsus","type":{"type":"long","logicalType":"local-timestamp-micros"}},
        {"name":"by","type":"bytes"},{"name":"fx","type":{"type":"fixed","name":"F","size":3}},
        {"name":"e","type":{"type":"enum","name":"Suit","symbols":["Hearts","Spades","Clubs"]}}]}"#;
    let schema = Schema::parse_str(times).unwrap();
    for (i, l) in [(0, 0), (-1, i64::MIN), (i32::MAX, i64::MAX), (64, 1 << 40)] {
        let value = Value::Record(vec![
            ("n".into(), Value::Null),
            ("b".into(), Value::Boolean(i % 2 == 0)),
            ("f".into(), Value::Float(i as f32 / 3.0)),
            ("date".into(), Value::Date(i)),
            ("tms".into(), Value::TimeMillis(i)),
            ("tus".into(), Value::TimeMicros(l)),
            ("tsms".into(), Value::TimestampMillis(l)),
            ("tsns".into(), Value::TimestampNanos(l)),
            ("ltsus".into(), Value::LocalTimestampMicros(l)),
            ("by".into(), Value::Bytes(vec![1, 2, 3])),
            ("fx".into(), Value::Fixed(3, vec![7, 8, 9])),
            ("e".into(), Value::Enum(2, "Clubs".into())),
        ]);
        let theirs = theirs(&schema, &value);
        assert!(theirs.is_some());
        assert_eq!(ours(&schema, &value), theirs);
    }
    let values: Vec<Collections> = (0..12).map(collections).collect();
    written_as_apache_avro_writes(COLLECTIONS, &values);
    written_as_apache_avro_writes(NODE, &[leaf(0), tree()]);
}

#[test]
fn values_apache_avro_also_takes_are_written_alike() {
    let schema = Schema::parse_str(
        r#"{"type":"record","name":"R","fields":[{"name":"l","type":"long"},
            {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}}]}"#,
    )
    .unwrap();
    // An int for a long, and a symbol by name.
    let value = Value::Record(vec![
        ("l".into(), Value::Int(-5)),
        ("e".into(), Value::String("B".into())),
    ]);
    assert_eq!(ours(&schema, &value), Some(vec![9, 2]));
    assert_eq!(theirs(&schema, &value), Some(vec![9, 2]));
}

#[test]
fn other_shapes_and_misfits_are_left_to_apache_avro() {
    let schema = Schema::parse_str(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},
            {"name":"b","type":["null","double"]}]}"#,
    )
    .unwrap();
    let record = |fields: Vec<(&str, Value)>| {
        Value::Record(
            fields
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect(),
        )
    };
    let a = || Value::String("x".into());
    let cases = [
        // Fields in another order: apache-avro finds them by name.
        record(vec![
            ("b", Value::Union(0, Box::new(Value::Null))),
            ("a", a()),
        ]),
        // A plain value for a union: apache-avro picks the branch.
        record(vec![("a", a()), ("b", Value::Double(1.5))]),
        record(vec![("a", a()), ("b", Value::Null)]),
        // Misfits: a missing field, a wrong type, a branch out of range.
        record(vec![("a", a())]),
        record(vec![
            ("a", Value::Long(1)),
            ("b", Value::Union(0, Box::new(Value::Null))),
        ]),
        record(vec![
            ("a", a()),
            ("b", Value::Union(2, Box::new(Value::Null))),
        ]),
    ];
    for value in cases {
        assert_eq!(ours(&schema, &value), None, "{value:?}");
    }
    // Logical types beyond dates and times, and a float for a double.
    let decimal =
        Schema::parse_str(r#"{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}"#)
            .unwrap();
    let value = Value::Decimal(apache_avro::Decimal::from(vec![1, 0]));
    assert_eq!(ours(&decimal, &value), None);
    assert!(theirs(&decimal, &value).is_some());
    let double = Schema::parse_str(r#""double""#).unwrap();
    assert_eq!(ours(&double, &Value::Float(1.5)), None);
    // A map of several entries: the same order as apache-avro, which walks the same map.
    let map = Schema::parse_str(r#"{"type":"map","values":"int"}"#).unwrap();
    let value = Value::Map(HashMap::from_iter(
        (0..20).map(|i| (format!("k{i}"), Value::Int(i))),
    ));
    assert_eq!(ours(&map, &value), theirs(&map, &value));
}
