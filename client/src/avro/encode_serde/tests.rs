//! Our serde writer against apache-avro's `write_ser`: the same bytes whenever ours writes, and
//! ours writing the common shapes.

use apache_avro::schema::ResolvedSchema;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema;
use serde::Serialize;

use super::encode_serde;
use crate::avro::fixtures::*;

/// apache-avro's bytes for `value`, or `None` when it refuses it.
fn theirs<T: Serialize>(schema: &Schema, value: &T) -> Option<Vec<u8>> {
    let writer = GenericDatumWriter::builder(schema).build().unwrap();
    let mut out = Vec::new();
    writer.write_ser(&mut out, value).ok().map(|_| out)
}

/// Ours: the bytes, or `None` when it leaves the value to apache-avro.
fn ours<T: Serialize>(schema: &Schema, value: &T) -> Option<Vec<u8>> {
    let names = ResolvedSchema::try_from(schema).unwrap();
    let mut out = vec![9, 9]; // what the frame holds before: kept as it was.
    let written = encode_serde(value, schema, names.get_names(), false, &mut out);
    assert_eq!(out[..2], [9, 9]);
    written.then(|| out[2..].to_vec())
}

/// Ours writes each value, with apache-avro's bytes.
fn written_as_apache_avro_writes<T: Serialize + std::fmt::Debug>(schema: &str, values: &[T]) {
    let schema = Schema::parse_str(schema).unwrap();
    for value in values {
        let theirs = theirs(&schema, value);
        assert!(theirs.is_some(), "{value:?}");
        assert_eq!(ours(&schema, value), theirs, "{value:?}");
    }
}

/// Ours leaves each value to apache-avro.
fn left_to_apache_avro<T: Serialize + std::fmt::Debug>(schema: &str, values: &[T]) {
    let schema = Schema::parse_str(schema).unwrap();
    for value in values {
        assert_eq!(ours(&schema, value), None, "{value:?}");
    }
}

#[test]
fn primitives_logical_types_and_enums_are_written_as_apache_avro_writes_them() {
    written_as_apache_avro_writes(
        PRIMITIVES,
        &[
            primitives(0, 0, ""),
            primitives(1, -1, "é"),
            primitives(-64, 1 << 40, "a longer string, with ünïcödé"),
            primitives(i32::MAX, i64::MIN, "z"),
            primitives(i32::MIN, i64::MAX, "🦀"),
        ],
    );
}

#[test]
fn collections_options_unions_and_named_types_are_written_as_apache_avro_writes_them() {
    let values: Vec<Collections> = (0..12).map(collections).collect();
    written_as_apache_avro_writes(COLLECTIONS, &values);
}

#[test]
fn recursive_types_are_written_as_apache_avro_writes_them() {
    written_as_apache_avro_writes(NODE, &[leaf(0), tree()]);
}

/// What ours leaves to apache-avro: shapes off the common path, and values apache-avro refuses.
#[test]
fn other_shapes_and_misfits_are_left_to_apache_avro() {
    let item = r#"{"type":"record","name":"Item","fields":[{"name":"name","type":"string"},{"name":"qty","type":"int"}]}"#;
    // Fields in another order than the schema's: apache-avro reorders them.
    #[derive(Serialize, Debug)]
    struct Reordered {
        qty: i32,
        name: String,
    }
    let reordered = Reordered {
        qty: 1,
        name: "a".into(),
    };
    left_to_apache_avro(item, &[&reordered]);
    let schema = Schema::parse_str(item).unwrap();
    assert_eq!(theirs(&schema, &reordered), Some(vec![2, b'a', 2]));
    // A skipped field: apache-avro writes its default.
    #[derive(Serialize, Debug)]
    struct Skipping {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        qty: Option<i32>,
    }
    left_to_apache_avro(
        r#"{"type":"record","name":"Item","fields":[{"name":"name","type":"string"},{"name":"qty","type":["null","int"],"default":null}]}"#,
        &[Skipping {
            name: "a".into(),
            qty: None,
        }],
    );
    // A field the schema lacks, a type the schema does not have, a short record.
    #[derive(Serialize, Debug)]
    struct Extra {
        name: String,
        qty: i32,
        extra: bool,
    }
    #[derive(Serialize, Debug)]
    struct Short {
        name: String,
    }
    #[derive(Serialize, Debug)]
    struct WrongType {
        name: i64,
        qty: i32,
    }
    left_to_apache_avro(
        item,
        &[Extra {
            name: "a".into(),
            qty: 1,
            extra: true,
        }],
    );
    left_to_apache_avro(item, &[Short { name: "a".into() }]);
    left_to_apache_avro(item, &[WrongType { name: 1, qty: 1 }]);
    assert_eq!(theirs(&schema, &WrongType { name: 1, qty: 1 }), None);
    // A plain value for a union, and an option for a union of three.
    left_to_apache_avro(r#"["null","string"]"#, &["plain"]);
    left_to_apache_avro(r#"["null","string","long"]"#, &[Some("a")]);
    // A sequence of unknown length.
    struct Unsized;
    impl Serialize for Unsized {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq((0..3).filter(|i| i % 2 == 0))
        }
    }
    impl std::fmt::Debug for Unsized {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Unsized")
        }
    }
    left_to_apache_avro(r#"{"type":"array","items":"int"}"#, &[Unsized]);
}

/// Structured values of many shapes: whenever ours writes, its bytes are apache-avro's.
#[test]
fn random_values_are_written_as_apache_avro_writes_them() {
    let schema = Schema::parse_str(COLLECTIONS).unwrap();
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2_000 {
        let mut value = collections((next() % 9) as usize);
        value.maybe = next()
            .is_multiple_of(2)
            .then(|| "x".repeat((next() % 200) as usize));
        if let Some(item) = value.list.first_mut() {
            item.qty = next() as i32;
        }
        value.map.insert("big".into(), next() as i64);
        let theirs = theirs(&schema, &value);
        assert!(theirs.is_some());
        assert_eq!(ours(&schema, &value), theirs, "{value:?}");
    }
}
