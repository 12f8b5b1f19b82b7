//! The explanation against apache-avro's own verdict, and its words for each kind of misfit.

use std::collections::HashMap;

use apache_avro::schema::ResolvedSchema;
use apache_avro::types::Value;
use apache_avro::{Decimal, Schema, Uuid};

use super::explain;

const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"acme","fields":[
    {"name":"id","type":"long"},
    {"name":"note","type":["null","string"],"default":null},
    {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
        {"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}},
    {"name":"tags","type":{"type":"map","values":"string"}},
    {"name":"state","type":{"type":"enum","name":"State","symbols":["NEW","PAID"]}},
    {"name":"hash","type":{"type":"fixed","name":"Hash","size":4}},
    {"name":"next","type":["null","Line"],"default":null},
    {"name":"ref","type":{"type":"string","logicalType":"uuid"}},
    {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}}]}"#;

fn line(sku: &str, qty: i32) -> Value {
    Value::Record(vec![
        ("sku".into(), Value::String(sku.into())),
        ("qty".into(), Value::Int(qty)),
    ])
}

fn order() -> Vec<(String, Value)> {
    vec![
        ("id".into(), Value::Long(7)),
        (
            "note".into(),
            Value::Union(1, Box::new(Value::String("hi".into()))),
        ),
        (
            "lines".into(),
            Value::Array(vec![line("a", 1), line("b", 2)]),
        ),
        (
            "tags".into(),
            Value::Map(HashMap::from([(
                "k".to_string(),
                Value::String("v".into()),
            )])),
        ),
        ("state".into(), Value::Enum(1, "PAID".into())),
        ("hash".into(), Value::Fixed(4, vec![1, 2, 3, 4])),
        ("next".into(), Value::Union(0, Box::new(Value::Null))),
        ("ref".into(), Value::Uuid(Uuid::from_u128(7))),
        ("price".into(), Value::Decimal(Decimal::from(vec![1, 0]))),
    ]
}

/// `order()` with the field `name` set to `value`.
fn with(name: &str, value: Value) -> Value {
    let mut fields = order();
    fields.iter_mut().find(|(n, _)| n == name).unwrap().1 = value;
    Value::Record(fields)
}

/// apache-avro's verdict and ours, which must agree; ours, when the value does not fit.
fn check(value: &Value) -> Option<String> {
    let schema = Schema::parse_str(ORDER).unwrap();
    let names = ResolvedSchema::try_from(&schema).unwrap();
    let ours = explain(value, &schema, names.get_names());
    let fits = value.validate_with_names(&schema, names.get_names());
    assert_eq!(ours.is_none(), fits, "{value:?}: {ours:?}");
    ours
}

#[test]
fn a_value_that_fits_has_nothing_to_explain() {
    assert_eq!(check(&Value::Record(order())), None);
    // apache-avro also takes a plain value for a union, an int for a long and a string symbol.
    assert_eq!(check(&with("note", Value::Null)), None);
    assert_eq!(check(&with("id", Value::Int(7))), None);
    assert_eq!(check(&with("state", Value::String("NEW".into()))), None);
    assert_eq!(check(&with("next", line("c", 3))), None);
    assert_eq!(
        check(&with("next", Value::Union(1, Box::new(line("c", 3))))),
        None
    );
}

#[test]
fn each_misfit_is_explained_with_where_and_why() {
    let cases = [
        (
            with("id", Value::String("7".into())),
            "at `.id`: String where the schema has Long",
        ),
        (
            with("note", Value::Long(3)),
            "at `.note`: Long fits no branch of the union [Null, String]",
        ),
        (
            with("note", Value::Union(2, Box::new(Value::Null))),
            "at `.note`: branch 2 of a union of 2 branches",
        ),
        (
            with(
                "lines",
                Value::Array(vec![
                    line("a", 1),
                    Value::Record(vec![
                        ("sku".into(), Value::Int(1)),
                        ("qty".into(), Value::Int(1)),
                    ]),
                ]),
            ),
            "at `.lines[1].sku`: Int where the schema has String",
        ),
        (
            with(
                "tags",
                Value::Map(HashMap::from([
                    ("b".to_string(), Value::Int(1)),
                    ("a".to_string(), Value::Boolean(true)),
                ])),
            ),
            "at `.tags[\"a\"]`: Boolean where the schema has String",
        ),
        (
            with("state", Value::String("LOST".into())),
            "at `.state`: \"LOST\" is not one of the enum's symbols [\"NEW\", \"PAID\"]",
        ),
        (
            with("state", Value::Enum(0, "PAID".into())),
            "at `.state`: symbol \"PAID\" at position 0, where the enum has \"NEW\"",
        ),
        (
            with("hash", Value::Fixed(3, vec![1, 2, 3])),
            "at `.hash`: 3 bytes in a fixed of 4",
        ),
        (
            with("ref", Value::String("short".into())),
            "at `.ref`: a uuid of 5 characters, fewer than 32",
        ),
        (
            with("price", Value::Double(1.5)),
            "at `.price`: Double where the schema has Decimal",
        ),
        (
            Value::Record(order()[..1].to_vec()),
            "the record has 1 field; the schema has 7 that are not nullable",
        ),
        (
            Value::Record([order(), vec![("extra".into(), Value::Null)]].concat()),
            "the record has 10 fields; the schema has only 9",
        ),
        (
            Value::Record(
                order()
                    .into_iter()
                    .map(|(n, v)| (if n == "id" { "ident".into() } else { n }, v))
                    .collect(),
            ),
            "the record has a field `ident`, which the schema does not",
        ),
        (
            Value::Long(1),
            "Long where the schema has Record acme.Order",
        ),
    ];
    for (value, message) in cases {
        assert_eq!(check(&value), Some(message.to_string()));
    }
}
