//! Confluent's canonical Avro text: what the registry stores and hashes.

use schemata_compat::{parse, Dependency, ParseError, ParseOptions, SchemaType};

fn canonical(text: &str) -> String {
    canonical_with(
        text,
        ParseOptions {
            normalize: false,
            validate: true,
        },
    )
}

fn canonical_with(text: &str, options: ParseOptions) -> String {
    parse(SchemaType::Avro, text, &[], options)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .canonical()
        .to_string()
}

fn error(text: &str) -> String {
    match parse(
        SchemaType::Avro,
        text,
        &[],
        ParseOptions {
            normalize: false,
            validate: true,
        },
    ) {
        Err(ParseError::Invalid(m)) => m,
        other => panic!("expected an invalid schema, got {other:?}"),
    }
}

#[test]
fn primitive_objects_become_plain_names() {
    assert_eq!(canonical(r#"{"type": "string"}"#), r#""string""#);
    assert_eq!(canonical(r#" "int" "#), r#""int""#);
}

#[test]
fn primitive_with_properties_stays_an_object() {
    assert_eq!(
        canonical(r#"{"type":"string","avro.java.string":"String"}"#),
        r#"{"type":"string","avro.java.string":"String"}"#
    );
    assert_eq!(
        canonical(r#"{"logicalType":"decimal","type":"bytes","precision":4,"scale":2}"#),
        r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#
    );
}

#[test]
fn record_attributes_come_in_avro_order_and_nested_namespaces_are_elided() {
    let text = r#"{
        "fields": [
            {"type": {"type":"record","name":"Inner","fields":[{"name":"x","type":"long"}]}, "name": "inner", "doc": "d", "default": {"x": 1}},
            {"name": "again", "type": "Inner", "order": "descending", "aliases": ["again2"], "custom": true},
            {"name": "other", "type": {"type":"enum","name":"E","namespace":"other.ns","symbols":["A","B"],"default":"A"}}
        ],
        "namespace": "com.acme", "name": "Outer", "type": "record", "doc": "top", "aliases": ["Old", "x.Y"], "k": [1, 2.5]
    }"#;
    assert_eq!(
        canonical(text),
        concat!(
            r#"{"type":"record","name":"Outer","namespace":"com.acme","doc":"top","fields":["#,
            r#"{"name":"inner","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"long"}]},"doc":"d","default":{"x":1}},"#,
            r#"{"name":"again","type":"Inner","order":"descending","aliases":["again2"],"custom":true},"#,
            r#"{"name":"other","type":{"type":"enum","name":"E","namespace":"other.ns","symbols":["A","B"],"default":"A"}}"#,
            r#"],"k":[1,2.5],"aliases":["Old","x.Y"]}"#
        )
    );
}

#[test]
fn null_namespace_inside_a_namespace_is_written_as_empty() {
    let text = r#"{"type":"record","name":"a.R","fields":[{"name":"f","type":{"type":"fixed","name":"F","namespace":"","size":4}}]}"#;
    assert_eq!(
        canonical(text),
        r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"f","type":{"type":"fixed","name":"F","namespace":"","size":4}}]}"#
    );
}

#[test]
fn recursive_records_are_named_after_their_definition() {
    let text = r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null}]}"#;
    assert_eq!(canonical(text), text);
}

#[test]
fn referenced_types_are_named_not_defined() {
    let dep = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}"#;
    let deps = [Dependency {
        name: "com.acme.Address",
        schema: dep,
    }];
    let text = r#"{"type":"record","name":"Person","namespace":"com.acme","fields":[{"name":"home","type":"Address"}]}"#;
    let schema = parse(SchemaType::Avro, text, &deps, ParseOptions::default()).unwrap();
    assert_eq!(schema.canonical(), text);
}

#[test]
fn normalize_sorts_properties_and_aliases() {
    let a = r#"{"type":"record","name":"R","namespace":"n","z":1,"a":2,"aliases":["Q","P"],"fields":[{"name":"f","type":"int","default":1,"y":1,"b":2}]}"#;
    let b = r#"{"type":"record","name":"n.R","a":2,"z":1,"aliases":["n.P","Q"],"fields":[{"name":"f","type":"int","b":2,"y":1,"default":1}]}"#;
    let options = ParseOptions {
        normalize: true,
        validate: true,
    };
    assert_eq!(canonical_with(a, options), canonical_with(b, options));
    assert_eq!(
        canonical_with(a, options),
        r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"f","type":"int","default":1,"b":2,"y":1}],"a":2,"z":1,"aliases":["P","Q"]}"#
    );
}

#[test]
fn invalid_schemas_say_what_and_where() {
    assert_eq!(error(r#""foo""#), r#"Undefined name: "foo""#);
    assert_eq!(
        error(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#),
        r#"Invalid default for field a: "x" not a "int" (at /fields/0)"#
    );
    assert_eq!(
        error(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#
        ),
        "Duplicate field a in record R (at /fields/1)"
    );
    assert_eq!(
        error(r#"{"type":"record","name":"int","fields":[]}"#),
        "Schemas may not be named after primitives: int"
    );
    assert_eq!(
        error(r#"{"type":"record","name":"1x","fields":[]}"#),
        "Illegal initial character: 1x"
    );
    assert_eq!(error(r#"["int","int"]"#), "Duplicate in union:int");
    assert_eq!(
        error(r#"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#),
        "The Enum Default: B is not in the enum symbol set: [A]"
    );
    assert_eq!(
        error(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"fixed","name":"R","size":1}}]}"#
        ),
        "Can't redefine: R (at /fields/0/type)"
    );
    assert_eq!(
        error(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","int"],"default":"x"}]}"#
        ),
        r#"Invalid default for field a: "x" not a union (at /fields/0)"#
    );
    assert_eq!(
        error(r#"{"type":"enum","name":"E","symbols":["A","A"]}"#),
        "Duplicate enum symbol: A"
    );
    assert_eq!(
        error(r#"{"type":"fixed","name":"F"}"#),
        r#"Invalid or no size: {"type":"fixed","name":"F"}"#
    );
    assert!(error("{").starts_with("Invalid JSON: "));
    assert_eq!(error("12"), "Schema not yet supported: 12");
}

#[test]
fn absurd_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!("{}\"int\"{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(error(&deep).starts_with("Invalid JSON: recursion limit exceeded"));
}
