//! The serde decoder against apache-avro's `read_deser` on every kind of schema and Rust type,
//! and on hostile bytes.

use std::collections::HashMap;
use std::fmt::Debug;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::ResolvedSchema;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::decode_serde;
use crate::avro::fixtures::*;

/// Ours, reading `bytes` as a `T`, as the client reports it.
fn ours<T: DeserializeOwned>(schema: &Schema, bytes: &[u8]) -> Result<T, String> {
    let names = ResolvedSchema::try_from(schema).unwrap();
    decode_serde(schema, names.get_names(), false, bytes).map_err(|e| e.to_string())
}

/// apache-avro's, reading `bytes` as a `T` that fills them exactly.
fn theirs<T: DeserializeOwned>(schema: &Schema, bytes: &[u8]) -> Option<T> {
    let reader = GenericDatumReader::builder(schema).build().unwrap();
    let mut rest = bytes;
    let value = reader.read_deser(&mut rest).ok()?;
    rest.is_empty().then_some(value)
}

/// Each value, written by apache-avro (in blocks of at most `block` bytes for arrays and
/// maps), reads back the same through both readers.
fn same_as_apache_avro<T>(schema: &str, block: Option<usize>, values: &[T])
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let schema = Schema::parse_str(schema).unwrap();
    let writer = GenericDatumWriter::builder(&schema)
        .maybe_target_block_size(block)
        .build()
        .unwrap();
    for value in values {
        let mut bytes = Vec::new();
        writer.write_ser(&mut bytes, value).unwrap();
        assert_eq!(theirs::<T>(&schema, &bytes).as_ref(), Some(value));
        assert_eq!(ours::<T>(&schema, &bytes).as_ref(), Ok(value));
    }
}

#[test]
fn primitives_logical_types_and_enums_read_as_apache_avro_reads_them() {
    let values = [
        primitives(0, 0, ""),
        primitives(1, -1, "é"),
        primitives(-64, 1 << 40, "a longer string, with ünïcödé"),
        primitives(i32::MAX, i64::MIN, "z"),
        primitives(i32::MIN, i64::MAX, "🦀"),
    ];
    same_as_apache_avro(PRIMITIVES, None, &values);
}

#[test]
fn collections_unions_and_named_types_read_as_apache_avro_reads_them() {
    let values: Vec<Collections> = (0..12).map(collections).collect();
    same_as_apache_avro(COLLECTIONS, None, &values);
    // Arrays and maps in several blocks, each with its size in bytes.
    same_as_apache_avro(COLLECTIONS, Some(8), &values);
}

#[test]
fn recursive_types_read_as_apache_avro_reads_them() {
    same_as_apache_avro(NODE, None, &[leaf(0), tree()]);
}

#[test]
fn tuples_and_top_level_values_read_as_apache_avro_reads_them() {
    let pair = r#"{"type":"record","name":"Pair","org.apache.avro.rust.tuple":true,
        "fields":[{"name":"field_0","type":"int"},{"name":"field_1","type":"string"}]}"#;
    same_as_apache_avro(pair, None, &[(1, "one".to_string()), (-2, String::new())]);
    same_as_apache_avro(r#""string""#, None, &["top".to_string()]);
    same_as_apache_avro(r#"["null","long"]"#, None, &[None, Some(5i64)]);
    same_as_apache_avro(
        r#"{"type":"array","items":"boolean"}"#,
        Some(1),
        &[vec![true, false, true]],
    );
}

/// Where apache-avro refuses a record or enum for a self-describing type, ours reads it.
#[test]
fn records_and_enums_read_into_self_describing_types() {
    let schema = Schema::parse_str(COLLECTIONS).unwrap();
    let writer = GenericDatumWriter::builder(&schema).build().unwrap();
    let mut bytes = Vec::new();
    writer.write_ser(&mut bytes, &collections(3)).unwrap();
    assert_eq!(theirs::<serde_json::Value>(&schema, &bytes), None);
    assert_eq!(
        ours::<serde_json::Value>(&schema, &bytes),
        Ok(serde_json::json!({
            "list": [{"name": "item-0", "qty": -20}, {"name": "item-1", "qty": -13},
                     {"name": "item-2", "qty": -6}],
            "map": {"k0": 0, "k1": 1000, "k2": 2000},
            "nested": [[], ["0"], ["0", "1"]],
            "maybe": null,
            "maybe_last": {"name": "item-3", "qty": 1},
            "either": {"name": "item-3", "qty": 1},
            "wrapped": {"value": 0.75}
        }))
    );
    let card = Schema::parse_str(
        r#"{"type":"record","name":"Card","fields":[{"name":"rank","type":"int"},
            {"name":"suit","type":{"type":"enum","name":"Suit","symbols":["Hearts","Spades","Clubs"]}}]}"#,
    )
    .unwrap();
    assert_eq!(theirs::<serde_json::Value>(&card, &[24, 4]), None);
    assert_eq!(
        ours::<serde_json::Value>(&card, &[24, 4]),
        Ok(serde_json::json!({"rank": 12, "suit": "Clubs"}))
    );
    let map = ours::<HashMap<String, serde_json::Value>>(&card, &[24, 4]).unwrap();
    assert_eq!(map.len(), 2);
    assert_eq!((&map["rank"], &map["suit"]), (&12.into(), &"Clubs".into()));
}

#[test]
fn types_the_schema_does_not_fit_are_errors() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Item {
        name: String,
        qty: u8,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Other {
        name: String,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename = "Item")]
    struct Item2 {
        name: String,
        qty: i32,
        missing: i32,
    }
    let schema = Schema::parse_str(
        r#"{"type":"record","name":"Item","fields":[{"name":"name","type":"string"},{"name":"qty","type":"int"}]}"#,
    )
    .unwrap();
    let bytes = [6, b't', b'e', b'a', 0x90, 0x03]; // "tea", 200
    assert_eq!(
        ours::<Item>(&schema, &bytes),
        Ok(Item {
            name: "tea".into(),
            qty: 200
        })
    );
    let too_big = [6, b't', b'e', b'a', 0xa0, 0x1f]; // "tea", 2000
    assert_eq!(theirs::<Item>(&schema, &too_big), None);
    assert_eq!(
        ours::<Item>(&schema, &too_big),
        Err(
            "serialization failed: the message does not fit the type: 2000 does not fit a u8"
                .into()
        )
    );
    // A struct must be named as the record is.
    assert_eq!(theirs::<Other>(&schema, &bytes), None);
    assert_eq!(
        ours::<Other>(&schema, &bytes),
        Err("serialization failed: the message does not fit the type: struct Other cannot be read from an Avro Record".into())
    );
    assert_eq!(theirs::<Item2>(&schema, &bytes), None);
    assert_eq!(
        ours::<Item2>(&schema, &bytes),
        Err(
            "serialization failed: the message does not fit the type: missing field `missing`"
                .into()
        )
    );
    // An option needs a union with null.
    let long = Schema::parse_str(r#""long""#).unwrap();
    assert_eq!(theirs::<Option<i64>>(&long, &[2]), None);
    assert_eq!(
        ours::<Option<i64>>(&long, &[2]),
        Err("serialization failed: the message does not fit the type: option cannot be read from an Avro Long".into())
    );
    assert_eq!(
        ours::<String>(&long, &[2]),
        Err("serialization failed: the message does not fit the type: string cannot be read from an Avro Long".into())
    );
}

#[test]
fn truncated_trailing_and_invalid_bytes_are_errors() {
    let schema = Schema::parse_str(
        r#"{"type":"record","name":"Item","fields":[{"name":"name","type":"string"},{"name":"qty","type":"int"}]}"#,
    )
    .unwrap();
    #[derive(Deserialize, Debug, PartialEq)]
    struct Item {
        name: String,
        qty: i32,
    }
    let cases: [(&[u8], &str); 5] = [
        (&[6, b't', b'e'], "invalid Avro data: length 3 runs past the end"),
        (&[6, b't', b'e', b'a'], "invalid Avro data: truncated"),
        (&[6, b't', b'e', b'a', 2, 0], "1 bytes left after the value"),
        (&[4, 0xc3, 0x28, 2], "invalid Avro data: a string is not UTF-8: invalid utf-8 sequence of 1 bytes from index 0"),
        (&[6, b't', b'e', b'a', 0xff, 0xff, 0xff, 0xff, 0x7f], "invalid Avro data: -17179869184 does not fit an int"),
    ];
    for (bytes, message) in cases {
        assert_eq!(theirs::<Item>(&schema, bytes), None);
        assert_eq!(
            ours::<Item>(&schema, bytes),
            Err(format!("serialization failed: {message}")),
            "{bytes:?}"
        );
    }
    let union = Schema::parse_str(r#"["null","long"]"#).unwrap();
    assert_eq!(
        ours::<Option<i64>>(&union, &[4]),
        Err("serialization failed: invalid Avro data: union index 2 out of range".into())
    );
    let boolean = Schema::parse_str(r#""boolean""#).unwrap();
    assert_eq!(
        ours::<bool>(&boolean, &[2]),
        Err("serialization failed: invalid Avro data: 2 is not a boolean".into())
    );
    let suit =
        Schema::parse_str(r#"{"type":"enum","name":"Suit","symbols":["Hearts","Spades","Clubs"]}"#)
            .unwrap();
    assert_eq!(
        ours::<Suit>(&suit, &[6]),
        Err("serialization failed: invalid Avro data: enum index 3 out of range".into())
    );
}

#[test]
fn hostile_bytes_cannot_exhaust_stack_or_memory() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Node {
        next: Option<Box<Node>>,
    }
    let list = Schema::parse_str(
        r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#,
    )
    .unwrap();
    // A recursive list 100,000 items deep, in 100,001 bytes.
    let mut deep = vec![2; 100_000];
    deep.push(0);
    assert_eq!(
        ours::<Node>(&list, &deep),
        Err("serialization failed: invalid Avro data: data nested deeper than 200 levels".into())
    );
    assert_eq!(
        ours::<Node>(&list, &[2, 0]),
        Ok(Node {
            next: Some(Box::new(Node { next: None }))
        })
    );
    // 200 levels are read (and fit the stack of a test thread in a debug build).
    let mut deepest = vec![2; 199];
    deepest.push(0);
    let mut node = ours::<Node>(&list, &deepest).unwrap();
    let mut levels = 1;
    while let Some(next) = node.next {
        node = *next;
        levels += 1;
    }
    assert_eq!(levels, 200);
    // 2^40 nulls announced in six bytes: refused at once, not counted out.
    let nulls = Schema::parse_str(r#"{"type":"array","items":"null"}"#).unwrap();
    assert_eq!(
        ours::<Vec<()>>(&nulls, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0]),
        Err(
            "serialization failed: invalid Avro data: the message expands into too many values"
                .into()
        )
    );
}

/// Random bytes: both readers accept exactly the same inputs, with the same values.
fn random_bytes_agree<T: DeserializeOwned + PartialEq + Debug>(schema: &str) -> usize {
    let schema = Schema::parse_str(schema).unwrap();
    let mut agreed = 0;
    for_each_prefix(20_000, 4, |bytes| {
        let ours = ours::<T>(&schema, bytes).ok();
        assert_eq!(ours, theirs::<T>(&schema, bytes), "{bytes:?}");
        agreed += usize::from(ours.is_some());
    });
    agreed
}

#[test]
fn random_bytes_read_exactly_when_apache_avro_reads_them_and_to_the_same_value() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct R {
        a: Vec<Option<i64>>,
        m: HashMap<String, Suit>,
        #[serde(with = "apache_avro::serde::fixed")]
        f: [u8; 2],
        u: Either2,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    enum Either2 {
        Nothing,
        Count(i32),
        Label(String),
    }
    let r = r#"{"type":"record","name":"R","fields":[
        {"name":"a","type":{"type":"array","items":["null","long"]}},
        {"name":"m","type":{"type":"map","values":{"type":"enum","name":"Suit","symbols":["Hearts","Spades","Clubs"]}}},
        {"name":"f","type":{"type":"fixed","name":"F","size":2}},
        {"name":"u","type":["null","int","string"]}]}"#;
    let node = r#"{"type":"record","name":"Node","fields":[{"name":"value","type":"int"},
        {"name":"children","type":{"type":"array","items":"Node"}},
        {"name":"next","type":["null","Node"]}]}"#;
    // Enough valid inputs to make the comparison mean something.
    let agreed = (random_bytes_agree::<R>(r), random_bytes_agree::<Node>(node));
    assert!(agreed.0 > 500 && agreed.1 > 500, "{agreed:?}");
}
