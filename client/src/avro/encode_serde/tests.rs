//! Our serde writer against apache-avro's `write_ser`: the same bytes whenever ours writes, and
//! ours writing the common shapes.

use std::collections::HashMap;

use apache_avro::schema::ResolvedSchema;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema;
use serde::Serialize;

use super::encode_serde;

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

#[derive(Serialize, Debug, Clone)]
struct Primitives {
    n: (),
    b: bool,
    i: i32,
    l: i64,
    f: f32,
    d: f64,
    #[serde(with = "apache_avro::serde::bytes")]
    by: Vec<u8>,
    s: String,
    c: char,
    small: i8,
    short: i16,
    byte: u8,
    ushort: u16,
    uint: u32,
    big: i128,
    ubig: u64,
    date: i32,
    tsns: i64,
    uuid: String,
    #[serde(with = "apache_avro::serde::bytes")]
    dec: Vec<u8>,
    #[serde(with = "apache_avro::serde::fixed")]
    decf: [u8; 4],
    #[serde(with = "apache_avro::serde::fixed")]
    dur: [u8; 12],
    #[serde(with = "apache_avro::serde::fixed")]
    fx: [u8; 3],
    e: Suit,
}

#[derive(Serialize, Debug, Clone, Copy)]
enum Suit {
    Hearts,
    Spades,
    Clubs,
}

const PRIMITIVES: &str = r#"{"type":"record","name":"Primitives","fields":[
    {"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"i","type":"int"},
    {"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},
    {"name":"by","type":"bytes"},{"name":"s","type":"string"},{"name":"c","type":"string"},
    {"name":"small","type":"int"},{"name":"short","type":"int"},{"name":"byte","type":"int"},
    {"name":"ushort","type":"int"},{"name":"uint","type":"long"},
    {"name":"big","type":{"type":"fixed","name":"i128","namespace":"org.apache.avro.rust","size":16}},
    {"name":"ubig","type":{"type":"fixed","name":"u64","namespace":"org.apache.avro.rust","size":8}},
    {"name":"date","type":{"type":"int","logicalType":"date"}},
    {"name":"tsns","type":{"type":"long","logicalType":"timestamp-nanos"}},
    {"name":"uuid","type":{"type":"string","logicalType":"uuid"}},
    {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
    {"name":"decf","type":{"type":"fixed","name":"D","size":4,"logicalType":"decimal","precision":9,"scale":2}},
    {"name":"dur","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}},
    {"name":"fx","type":{"type":"fixed","name":"F","size":3}},
    {"name":"e","type":{"type":"enum","name":"Suit","symbols":["Hearts","Spades","Clubs"]}}]}"#;

fn primitives(i: i32, l: i64, s: &str) -> Primitives {
    Primitives {
        n: (),
        b: i % 2 == 0,
        i,
        l,
        f: i as f32 / 3.0,
        d: l as f64 / 7.0,
        by: s.as_bytes().to_vec(),
        s: s.into(),
        c: s.chars().next().unwrap_or('x'),
        small: i as i8,
        short: i as i16,
        byte: i as u8,
        ushort: i as u16,
        uint: l as u32,
        big: i128::from(l) * -3,
        ubig: l as u64,
        date: i,
        tsns: l,
        uuid: "6f1c0b7e-8d0a-4c3e-9a51-2f7d3b8e4a10".into(),
        dec: vec![0x01, 0x86, 0xa0],
        decf: [0, 1, 0x86, 0xa0],
        dur: [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0],
        fx: [7, 8, 9],
        e: [Suit::Hearts, Suit::Spades, Suit::Clubs][i.unsigned_abs() as usize % 3],
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

#[derive(Serialize, Debug, Clone)]
struct Collections {
    list: Vec<Item>,
    map: HashMap<String, i64>,
    nested: Vec<Vec<String>>,
    maybe: Option<String>,
    maybe_last: Option<Item>,
    either: Either,
    wrapped: Wrapper,
}

#[derive(Serialize, Debug, Clone)]
struct Item {
    name: String,
    qty: i32,
}

#[derive(Serialize, Debug, Clone)]
enum Either {
    Nothing,
    Count(i64),
    Label(String),
    Item(Item),
}

#[derive(Serialize, Debug, Clone)]
struct Wrapper(f64);

const COLLECTIONS: &str = r#"{"type":"record","name":"Collections","namespace":"acme","fields":[
    {"name":"list","type":{"type":"array","items":{"type":"record","name":"Item","fields":[
        {"name":"name","type":"string"},{"name":"qty","type":"int"}]}}},
    {"name":"map","type":{"type":"map","values":"long"}},
    {"name":"nested","type":{"type":"array","items":{"type":"array","items":"string"}}},
    {"name":"maybe","type":["null","string"]},
    {"name":"maybe_last","type":["Item","null"]},
    {"name":"either","type":["null","long","string","Item"]},
    {"name":"wrapped","type":{"type":"record","name":"Wrapper","fields":[{"name":"value","type":"double"}]}}]}"#;

fn collections(n: usize) -> Collections {
    let item = |i: usize| Item {
        name: format!("item-{i}"),
        qty: i as i32 * 7 - 20,
    };
    Collections {
        list: (0..n).map(item).collect(),
        map: (0..n).map(|i| (format!("k{i}"), i as i64 * 1000)).collect(),
        nested: (0..n)
            .map(|i| (0..i).map(|j| j.to_string()).collect())
            .collect(),
        maybe: n.is_multiple_of(2).then(|| format!("note {n}")),
        maybe_last: n.is_multiple_of(3).then(|| item(n)),
        either: match n % 4 {
            0 => Either::Nothing,
            1 => Either::Count(-(n as i64)),
            2 => Either::Label(format!("label {n}")),
            _ => Either::Item(item(n)),
        },
        wrapped: Wrapper(n as f64 / 4.0),
    }
}

#[test]
fn collections_options_unions_and_named_types_are_written_as_apache_avro_writes_them() {
    let values: Vec<Collections> = (0..12).map(collections).collect();
    written_as_apache_avro_writes(COLLECTIONS, &values);
}

#[derive(Serialize, Debug, Clone)]
struct Node {
    value: i32,
    children: Vec<Node>,
    next: Option<Box<Node>>,
}

#[test]
fn recursive_types_are_written_as_apache_avro_writes_them() {
    let schema = r#"{"type":"record","name":"Node","fields":[{"name":"value","type":"int"},
        {"name":"children","type":{"type":"array","items":"Node"}},
        {"name":"next","type":["null","Node"]}]}"#;
    let leaf = |value| Node {
        value,
        children: vec![],
        next: None,
    };
    let tree = Node {
        value: 1,
        children: vec![leaf(2), leaf(3)],
        next: Some(Box::new(Node {
            value: 4,
            children: vec![leaf(5)],
            next: Some(Box::new(leaf(6))),
        })),
    };
    written_as_apache_avro_writes(schema, &[leaf(0), tree]);
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
    // xorshift: reproducible values without a dependency.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2_000 {
        let mut value = collections((next() % 9) as usize);
        value.maybe = (next() % 2 == 0).then(|| "x".repeat((next() % 200) as usize));
        if let Some(item) = value.list.first_mut() {
            item.qty = next() as i32;
        }
        value.map.insert("big".into(), next() as i64);
        let theirs = theirs(&schema, &value);
        assert!(theirs.is_some());
        assert_eq!(ours(&schema, &value), theirs, "{value:?}");
    }
}
