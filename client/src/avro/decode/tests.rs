//! The decoder against apache-avro's on every kind of schema, and on hostile bytes.

use std::collections::HashMap;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::ResolvedSchema;
use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::{Days, Decimal, Duration, Millis, Months, Schema, Uuid};

use super::Decoder;
use crate::avro::fixtures::for_each_prefix;

fn decoder(schema: &Schema) -> Decoder {
    let names = ResolvedSchema::try_from(schema).unwrap();
    Decoder::new(schema, names.get_names()).unwrap()
}

/// Each value, written by apache-avro (in blocks of at most `block` bytes for arrays and
/// maps), reads back the same through both decoders.
fn same_as_apache_avro(schema: &str, block: Option<usize>, values: Vec<Value>) {
    let schema = Schema::parse_str(schema).unwrap();
    let ours = decoder(&schema);
    let writer = GenericDatumWriter::builder(&schema)
        .maybe_target_block_size(block)
        .build()
        .unwrap();
    let reader = GenericDatumReader::builder(&schema).build().unwrap();
    for value in values {
        let bytes = writer.write_value_to_vec(value.clone()).unwrap();
        let theirs = reader.read_value(&mut &bytes[..]).unwrap();
        assert_eq!(ours.decode(&bytes).unwrap(), theirs, "{value:?}");
        assert_eq!(theirs, value);
    }
}

fn record(fields: &[(&str, Value)]) -> Value {
    Value::Record(
        fields
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect(),
    )
}

#[test]
fn primitives_and_logical_types_read_as_apache_avro_reads_them() {
    let schema = r#"{"type":"record","name":"All","fields":[
        {"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"i","type":"int"},
        {"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},
        {"name":"by","type":"bytes"},{"name":"s","type":"string"},
        {"name":"date","type":{"type":"int","logicalType":"date"}},
        {"name":"tms","type":{"type":"int","logicalType":"time-millis"}},
        {"name":"tus","type":{"type":"long","logicalType":"time-micros"}},
        {"name":"tsms","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"tsus","type":{"type":"long","logicalType":"timestamp-micros"}},
        {"name":"tsns","type":{"type":"long","logicalType":"timestamp-nanos"}},
        {"name":"ltsms","type":{"type":"long","logicalType":"local-timestamp-millis"}},
        {"name":"ltsus","type":{"type":"long","logicalType":"local-timestamp-micros"}},
        {"name":"ltsns","type":{"type":"long","logicalType":"local-timestamp-nanos"}},
        {"name":"uuid","type":{"type":"string","logicalType":"uuid"}},
        {"name":"uuidf","type":{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}},
        {"name":"uuidb","type":{"type":"bytes","logicalType":"uuid"}},
        {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
        {"name":"decf","type":{"type":"fixed","name":"D","size":4,"logicalType":"decimal","precision":9,"scale":2}},
        {"name":"dur","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}},
        {"name":"fx","type":{"type":"fixed","name":"F","size":3}},
        {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B","C"]}}]}"#;
    let value = |i: i32, l: i64, s: &str| {
        record(&[
            ("n", Value::Null),
            ("b", Value::Boolean(i % 2 == 0)),
            ("i", Value::Int(i)),
            ("l", Value::Long(l)),
            ("f", Value::Float(i as f32 / 3.0)),
            ("d", Value::Double(l as f64 / 7.0)),
            ("by", Value::Bytes(s.as_bytes().to_vec())),
            ("s", Value::String(s.into())),
            ("date", Value::Date(i)),
            ("tms", Value::TimeMillis(i)),
            ("tus", Value::TimeMicros(l)),
            ("tsms", Value::TimestampMillis(l)),
            ("tsus", Value::TimestampMicros(l)),
            ("tsns", Value::TimestampNanos(l)),
            ("ltsms", Value::LocalTimestampMillis(l)),
            ("ltsus", Value::LocalTimestampMicros(l)),
            ("ltsns", Value::LocalTimestampNanos(l)),
            ("uuid", Value::Uuid(Uuid::from_u128(l as u128))),
            ("uuidf", Value::Uuid(Uuid::from_u128(!(l as u128)))),
            ("uuidb", Value::Uuid(Uuid::from_u128(i as u128))),
            ("dec", Value::Decimal(Decimal::from(vec![1, 2, 3]))),
            ("decf", Value::Decimal(Decimal::from(vec![0, 0, 4, 210]))),
            (
                "dur",
                Value::Duration(Duration::new(Months::new(1), Days::new(2), Millis::new(3))),
            ),
            ("fx", Value::Fixed(3, vec![7, 8, 9])),
            ("e", Value::Enum(2, "C".into())),
        ])
    };
    same_as_apache_avro(
        schema,
        None,
        vec![
            value(0, 0, ""),
            value(-1, i64::MIN, "tea ☕"),
            value(i32::MAX, i64::MAX, &"x".repeat(300)),
            value(i32::MIN, -1, "\u{0}"),
        ],
    );
}

#[test]
fn collections_unions_and_named_types_read_as_apache_avro_reads_them() {
    let schema = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
        {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
            {"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}},
        {"name":"free","type":["null","Line"]},
        {"name":"tags","type":{"type":"map","values":["null","long","string"]}},
        {"name":"buyer","type":{"type":"record","name":"Person","namespace":"people","fields":[
            {"name":"name","type":"string"},
            {"name":"friend","type":["null","Person"]}]}},
        {"name":"seller","type":"people.Person"}]}"#;
    let line =
        |sku: &str, qty| record(&[("sku", Value::String(sku.into())), ("qty", Value::Int(qty))]);
    let person = |name: &str, friend: Option<Value>| {
        let friend = match friend {
            Some(f) => Value::Union(1, Box::new(f)),
            None => Value::Union(0, Box::new(Value::Null)),
        };
        record(&[("name", Value::String(name.into())), ("friend", friend)])
    };
    let tags = |entries: &[(&str, Value)]| {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<HashMap<_, _>>(),
        )
    };
    let order = |lines: Vec<Value>, free: Value, tags: Value, buyer: Value| {
        record(&[
            ("lines", Value::Array(lines)),
            ("free", free),
            ("tags", tags),
            ("buyer", buyer.clone()),
            ("seller", person("shop", Some(buyer))),
        ])
    };
    let values = vec![
        order(
            vec![],
            Value::Union(0, Box::new(Value::Null)),
            tags(&[]),
            person("ann", None),
        ),
        order(
            (0..50).map(|i| line(&format!("sku-{i}"), i)).collect(),
            Value::Union(1, Box::new(line("gift", 1))),
            tags(&[
                ("a", Value::Union(0, Box::new(Value::Null))),
                ("b", Value::Union(1, Box::new(Value::Long(-5)))),
                ("c", Value::Union(2, Box::new(Value::String("x".into())))),
            ]),
            person("bo", Some(person("cy", Some(person("di", None))))),
        ),
    ];
    // In one block per collection, and in blocks that carry their size in bytes.
    same_as_apache_avro(schema, None, values.clone());
    same_as_apache_avro(schema, Some(16), values);
}

/// What a message decodes to, or its error.
fn decode(schema: &str, bytes: &[u8]) -> Result<Value, String> {
    let schema = Schema::parse_str(schema).unwrap();
    decoder(&schema).decode(bytes).map_err(|e| e.to_string())
}

#[test]
fn truncated_and_trailing_bytes_are_errors() {
    let schema = r#"{"type":"record","name":"R","fields":[{"name":"id","type":"long"},
        {"name":"s","type":"string"},{"name":"u","type":["null","int"]},
        {"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}},
        {"name":"b","type":"boolean"}]}"#;
    // id 1, "tea", union branch 1 holding 2, symbol 0, true.
    let good = [2, 6, b't', b'e', b'a', 2, 4, 0, 1];
    assert_eq!(
        decode(schema, &good),
        Ok(record(&[
            ("id", Value::Long(1)),
            ("s", Value::String("tea".into())),
            ("u", Value::Union(1, Box::new(Value::Int(2)))),
            ("e", Value::Enum(0, "A".into())),
            ("b", Value::Boolean(true)),
        ]))
    );
    for end in 0..good.len() {
        let expected = match end {
            2..=4 => "invalid Avro data: length 3 runs past the end",
            _ => "invalid Avro data: truncated",
        };
        assert_eq!(
            decode(schema, &good[..end]),
            Err(format!("serialization failed: {expected}")),
            "{end} bytes"
        );
    }
    assert_eq!(
        decode(schema, &[&good[..], &[0]].concat()),
        Err("serialization failed: 1 bytes left after the value".into())
    );
}

#[test]
fn values_the_schema_cannot_hold_are_errors() {
    let cases: [(&str, &[u8], &str); 8] = [
        (r#""boolean""#, &[2], "2 is not a boolean"),
        (
            r#"{"type":"enum","name":"E","symbols":["A"]}"#,
            &[2],
            "enum index 1 out of range",
        ),
        (
            r#"{"type":"enum","name":"E","symbols":["A"]}"#,
            &[1],
            "enum index -1 out of range",
        ),
        (r#"["null","int"]"#, &[4], "union index 2 out of range"),
        (
            r#""int""#,
            &[0x80, 0x80, 0x80, 0x80, 0x20],
            "4294967296 does not fit an int",
        ),
        (r#""long""#, &[0xff; 11], "overlong varint"),
        (
            r#""string""#,
            &[4, 0xff, 0xfe],
            "a string is not UTF-8: invalid utf-8 sequence of 1 bytes from index 0",
        ),
        (
            r#"{"type":"string","logicalType":"uuid"}"#,
            b"\x06tea",
            "not a uuid: invalid character: found `t` at 0",
        ),
    ];
    for (schema, bytes, message) in cases {
        assert_eq!(
            decode(schema, bytes),
            Err(format!(
                "serialization failed: invalid Avro data: {message}"
            )),
            "{schema}"
        );
    }
}

#[test]
fn hostile_bytes_cannot_exhaust_stack_or_memory() {
    // A recursive list 100,000 items deep, in 100,001 bytes.
    let list =
        r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#;
    let mut deep = vec![2; 100_000];
    deep.push(0);
    assert_eq!(
        decode(list, &deep),
        Err("serialization failed: invalid Avro data: data nested deeper than 200 levels".into())
    );
    // A shallow list is fine.
    assert_eq!(
        decode(list, &[2, 0]),
        Ok(record(&[(
            "next",
            Value::Union(
                1,
                Box::new(record(&[("next", Value::Union(0, Box::new(Value::Null)))]))
            )
        )]))
    );
    // 2^40 nulls announced in six bytes.
    assert_eq!(
        decode(
            r#"{"type":"array","items":"null"}"#,
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0]
        ),
        Err(
            "serialization failed: invalid Avro data: the message expands into too many values"
                .into()
        )
    );
}

#[test]
fn random_bytes_decode_exactly_when_apache_avro_decodes_them_and_to_the_same_value() {
    let schemas = [
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":["null","long","string"]}},
            {"name":"m","type":{"type":"map","values":{"type":"enum","name":"E","symbols":["X","Y"]}}},
            {"name":"f","type":{"type":"fixed","name":"F","size":2}},{"name":"d","type":"double"}]}"#,
        r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},
            {"name":"kids","type":{"type":"array","items":"Node"}}]}"#,
        r#"{"type":"array","items":["null",
            {"type":"bytes","logicalType":"decimal","precision":9,"scale":2},
            {"type":"fixed","name":"Dur","size":12,"logicalType":"duration"},
            {"type":"string","logicalType":"uuid"},
            {"type":"fixed","name":"D","size":2,"logicalType":"decimal","precision":4,"scale":2}]}"#,
    ];
    let mut agreed = 0;
    for schema in schemas {
        let schema = Schema::parse_str(schema).unwrap();
        let ours = decoder(&schema);
        let reader = GenericDatumReader::builder(&schema).build().unwrap();
        for_each_prefix(20_000, 8, |bytes| {
            let mut rest = bytes;
            let theirs = reader
                .read_value(&mut rest)
                .ok()
                .filter(|_| rest.is_empty());
            let ours = ours.decode(bytes).ok();
            assert_eq!(ours, theirs, "{bytes:?}");
            agreed += usize::from(ours.is_some());
        });
    }
    // Enough valid inputs to make the comparison mean something.
    assert!(agreed > 1_000, "{agreed}");
}
