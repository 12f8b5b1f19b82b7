//! What the Avro coders' tests share: Rust types and schemas of every kind, for the serde
//! coders' differential tests, and reproducible random payloads.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A reproducible stream of pseudo-random numbers (xorshift), without a dependency.
pub(crate) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// Calls `check` with every prefix of `strings` random byte strings: short, of bytes below
/// `below` (short lengths, counts and indexes, so that many are valid), and every prefix of
/// each, since a value fills exactly one prefix if any.
pub(crate) fn for_each_prefix(strings: usize, below: u64, mut check: impl FnMut(&[u8])) {
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    for _ in 0..strings {
        let len = (next() % 24) as usize;
        let random: Vec<u8> = (0..len).map(|_| (next() % below) as u8).collect();
        for end in 0..=len {
            check(&random[..end]);
        }
    }
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub(crate) struct Primitives {
    pub(crate) n: (),
    pub(crate) b: bool,
    pub(crate) i: i32,
    pub(crate) l: i64,
    pub(crate) f: f32,
    pub(crate) d: f64,
    #[serde(with = "apache_avro::serde::bytes")]
    pub(crate) by: Vec<u8>,
    pub(crate) s: String,
    pub(crate) c: char,
    pub(crate) small: i8,
    pub(crate) short: i16,
    pub(crate) byte: u8,
    pub(crate) ushort: u16,
    pub(crate) uint: u32,
    pub(crate) big: i128,
    pub(crate) ubig: u64,
    pub(crate) date: i32,
    pub(crate) tms: i32,
    pub(crate) tus: i64,
    pub(crate) tsms: i64,
    pub(crate) tsns: i64,
    pub(crate) ltsus: i64,
    pub(crate) uuid: String,
    #[serde(with = "apache_avro::serde::bytes")]
    pub(crate) dec: Vec<u8>,
    #[serde(with = "apache_avro::serde::fixed")]
    pub(crate) decf: [u8; 4],
    #[serde(with = "apache_avro::serde::fixed")]
    pub(crate) dur: [u8; 12],
    #[serde(with = "apache_avro::serde::fixed")]
    pub(crate) fx: [u8; 3],
    pub(crate) e: Suit,
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone, Copy)]
pub(crate) enum Suit {
    Hearts,
    Spades,
    Clubs,
}

pub(crate) const PRIMITIVES: &str = r#"{"type":"record","name":"Primitives","fields":[
    {"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"i","type":"int"},
    {"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},
    {"name":"by","type":"bytes"},{"name":"s","type":"string"},{"name":"c","type":"string"},
    {"name":"small","type":"int"},{"name":"short","type":"int"},{"name":"byte","type":"int"},
    {"name":"ushort","type":"int"},{"name":"uint","type":"long"},
    {"name":"big","type":{"type":"fixed","name":"i128","namespace":"org.apache.avro.rust","size":16}},
    {"name":"ubig","type":{"type":"fixed","name":"u64","namespace":"org.apache.avro.rust","size":8}},
    {"name":"date","type":{"type":"int","logicalType":"date"}},
    {"name":"tms","type":{"type":"int","logicalType":"time-millis"}},
    {"name":"tus","type":{"type":"long","logicalType":"time-micros"}},
    {"name":"tsms","type":{"type":"long","logicalType":"timestamp-millis"}},
    {"name":"tsns","type":{"type":"long","logicalType":"timestamp-nanos"}},
    {"name":"ltsus","type":{"type":"long","logicalType":"local-timestamp-micros"}},
    {"name":"uuid","type":{"type":"string","logicalType":"uuid"}},
    {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
    {"name":"decf","type":{"type":"fixed","name":"D","size":4,"logicalType":"decimal","precision":9,"scale":2}},
    {"name":"dur","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}},
    {"name":"fx","type":{"type":"fixed","name":"F","size":3}},
    {"name":"e","type":{"type":"enum","name":"Suit","symbols":["Hearts","Spades","Clubs"]}}]}"#;

pub(crate) fn primitives(i: i32, l: i64, s: &str) -> Primitives {
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
        tms: i,
        tus: l,
        tsms: l,
        tsns: l,
        ltsus: l,
        uuid: "6f1c0b7e-8d0a-4c3e-9a51-2f7d3b8e4a10".into(),
        dec: vec![0x01, 0x86, 0xa0],
        decf: [0, 1, 0x86, 0xa0],
        dur: [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0],
        fx: [7, 8, 9],
        e: [Suit::Hearts, Suit::Spades, Suit::Clubs][i.unsigned_abs() as usize % 3],
    }
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub(crate) struct Collections {
    pub(crate) list: Vec<Item>,
    pub(crate) map: HashMap<String, i64>,
    pub(crate) nested: Vec<Vec<String>>,
    pub(crate) maybe: Option<String>,
    pub(crate) maybe_last: Option<Item>,
    pub(crate) either: Either,
    pub(crate) wrapped: Wrapper,
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub(crate) struct Item {
    pub(crate) name: String,
    pub(crate) qty: i32,
}

/// A union as a Rust enum: a variant per branch, by position.
#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub(crate) enum Either {
    Nothing,
    Count(i64),
    Label(String),
    Item(Item),
}

/// A newtype struct: a record of one field.
#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub(crate) struct Wrapper(pub(crate) f64);

pub(crate) const COLLECTIONS: &str = r#"{"type":"record","name":"Collections","namespace":"acme","fields":[
    {"name":"list","type":{"type":"array","items":{"type":"record","name":"Item","fields":[
        {"name":"name","type":"string"},{"name":"qty","type":"int"}]}}},
    {"name":"map","type":{"type":"map","values":"long"}},
    {"name":"nested","type":{"type":"array","items":{"type":"array","items":"string"}}},
    {"name":"maybe","type":["null","string"]},
    {"name":"maybe_last","type":["Item","null"]},
    {"name":"either","type":["null","long","string","Item"]},
    {"name":"wrapped","type":{"type":"record","name":"Wrapper","fields":[{"name":"value","type":"double"}]}}]}"#;

pub(crate) fn collections(n: usize) -> Collections {
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

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub(crate) struct Node {
    pub(crate) value: i32,
    pub(crate) children: Vec<Node>,
    pub(crate) next: Option<Box<Node>>,
}

pub(crate) const NODE: &str = r#"{"type":"record","name":"Node","fields":[{"name":"value","type":"int"},
    {"name":"children","type":{"type":"array","items":"Node"}},
    {"name":"next","type":["null","Node"]}]}"#;

pub(crate) fn leaf(value: i32) -> Node {
    Node {
        value,
        children: vec![],
        next: None,
    }
}

/// A tree two levels deep, with a list beside it.
pub(crate) fn tree() -> Node {
    Node {
        value: 1,
        children: vec![leaf(2), leaf(3)],
        next: Some(Box::new(Node {
            value: 4,
            children: vec![leaf(5)],
            next: Some(Box::new(leaf(6))),
        })),
    }
}
