//! Protobuf schemas: canonical text, normalization, base64 descriptors, imports, message
//! indexes and errors.

use base64::Engine;
use prost::Message;
use schemata_compat::{parse, Dependency, ParseError, ParseOptions, Schema, SchemaType};

const ORDER: &str = r#"syntax = "proto3";
package acme.orders;
import "google/protobuf/timestamp.proto";
// comments go
message Order {
  option deprecated = true;
  string id = 1 [json_name = "ID"];
  repeated int64 amounts = 3 [packed = false];
  map<string, Item> items = 2;
  google.protobuf.Timestamp at = 4;
  optional string note = 5;
  oneof payment { string card = 7; string iban = 6; }
  reserved 10 to 12, 15;
  reserved "old";
  message Item { int32 qty = 1; Status status = 2; }
  enum Status { NEW = 0; PAID = 1; }
}
enum Kind { A = 0; B = 1; }
service Orders { rpc Get (Order) returns (stream Order); }
"#;

fn proto(text: &str, normalize: bool) -> Schema {
    parse(
        SchemaType::Protobuf,
        text,
        &[],
        ParseOptions {
            normalize,
            validate: true,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn error(text: &str, deps: &[Dependency<'_>]) -> String {
    match parse(SchemaType::Protobuf, text, deps, ParseOptions::default()) {
        Err(ParseError::Invalid(m)) => m,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn canonical_text_is_the_file_printed_in_one_layout() {
    assert_eq!(
        proto(ORDER, false).canonical(),
        r#"syntax = "proto3";
package acme.orders;

import "google/protobuf/timestamp.proto";

message Order {
  option deprecated = true;

  string id = 1 [json_name = "ID"];
  repeated int64 amounts = 3 [packed = false];
  map<string, .acme.orders.Order.Item> items = 2;
  .google.protobuf.Timestamp at = 4;
  optional string note = 5;
  oneof payment {
    string card = 7;
    string iban = 6;
  }
  reserved 10 to 12, 15;
  reserved "old";
  message Item {
    int32 qty = 1;
    .acme.orders.Order.Status status = 2;
  }
  enum Status {
    NEW = 0;
    PAID = 1;
  }
}
enum Kind {
  A = 0;
  B = 1;
}

service Orders {
  rpc Get (.acme.orders.Order) returns (stream .acme.orders.Order);
}
"#
    );
}

#[test]
fn canonical_text_reads_back_to_itself() {
    for normalize in [false, true] {
        let once = proto(ORDER, normalize).canonical().to_string();
        assert_eq!(proto(&once, normalize).canonical(), once);
    }
}

#[test]
fn normalize_makes_order_and_qualification_irrelevant() {
    let a = r#"syntax = "proto2";
import "b.proto"; import "a.proto";
option java_package = "x"; option java_multiple_files = true;
message M { optional int32 z = 2; optional M y = 1; reserved 9, 7; }
enum E { option allow_alias = true; B = 1; A = 0; C = 1; }"#;
    let b = r#"syntax = "proto2";
import "a.proto"; import "b.proto";
option java_multiple_files = true; option java_package = "x";
message M { optional .M y = 1; optional int32 z = 2; reserved 7; reserved 9; }
enum E { option allow_alias = true; A = 0; B = 1; C = 1; }"#;
    let deps = [
        Dependency {
            name: "a.proto",
            schema: "syntax = \"proto3\";",
        },
        Dependency {
            name: "b.proto",
            schema: "syntax = \"proto3\";",
        },
    ];
    let norm = |t: &str| {
        parse(
            SchemaType::Protobuf,
            t,
            &deps,
            ParseOptions {
                normalize: true,
                validate: true,
            },
        )
        .unwrap()
    };
    assert_eq!(norm(a).canonical(), norm(b).canonical());
    assert!(
        !norm(a).canonical().contains("syntax"),
        "proto2 is the default: {}",
        norm(a).canonical()
    );
}

#[test]
fn a_base64_descriptor_reads_like_its_text() {
    let from_text = proto(ORDER, false);
    let Schema::Protobuf(p) = &from_text else {
        unreachable!()
    };
    let base64 = p.to_serialized_base64();
    let descriptor = prost_types::FileDescriptorProto::decode(
        base64::engine::general_purpose::STANDARD
            .decode(&base64)
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    assert_eq!(descriptor.package(), "acme.orders");
    assert_eq!(proto(&base64, false).canonical(), from_text.canonical());
}

#[test]
fn built_in_files_need_no_reference() {
    for import in [
        "google/type/money.proto",
        "confluent/meta.proto",
        "confluent/type/decimal.proto",
        "google/protobuf/any.proto",
    ] {
        let text =
            format!("syntax = \"proto3\";\nimport \"{import}\";\nmessage A {{ string s = 1; }}");
        proto(&text, false);
    }
    let text = "syntax = \"proto3\";\nimport \"google/type/money.proto\";\nmessage A { google.type.Money price = 1; }";
    assert!(proto(text, false)
        .canonical()
        .contains(".google.type.Money price = 1;"));
}

#[test]
fn references_supply_imports() {
    let common = "syntax = \"proto3\";\npackage acme.common;\nmessage Address { string city = 1; }";
    let deps = [Dependency {
        name: "acme/common.proto",
        schema: common,
    }];
    let text = "syntax = \"proto3\";\nimport \"acme/common.proto\";\nmessage Person { acme.common.Address home = 1; }";
    let schema = parse(SchemaType::Protobuf, text, &deps, ParseOptions::default()).unwrap();
    assert!(schema.canonical().contains("import \"acme/common.proto\";"));
    assert_eq!(
        error(text, &[]),
        "schema.proto:2:1: import 'acme/common.proto' not found"
    );
}

#[test]
fn message_indexes_follow_declaration_order() {
    let Schema::Protobuf(p) = proto(ORDER, false) else {
        unreachable!()
    };
    assert_eq!(p.message_indexes("acme.orders.Order"), Some(vec![0]));
    // The map entry of `items` does not count.
    assert_eq!(
        p.message_indexes("acme.orders.Order.Item"),
        Some(vec![0, 0])
    );
    assert_eq!(
        p.message_at(&[0, 0]).unwrap().full_name(),
        "acme.orders.Order.Item"
    );
    assert_eq!(p.message_indexes("google.protobuf.Timestamp"), None);
    let two = "syntax = \"proto3\";\nmessage A { message X {} message Y {} }\nmessage B {}";
    let Schema::Protobuf(p) = proto(two, false) else {
        unreachable!()
    };
    assert_eq!(p.message_indexes("B"), Some(vec![1]));
    assert_eq!(p.message_indexes("A.Y"), Some(vec![0, 1]));
    assert!(p.message_at(&[5]).is_none());
}

#[test]
fn invalid_schemas_name_what_and_where() {
    assert_eq!(
        error("syntax = \"proto3\";\nmessage A {\n  string a = 1\n}", &[]),
        "schema.proto:4:1: expected ';' or '[', but found '}'"
    );
    assert_eq!(
        error("syntax = \"proto3\";\nmessage A { Nope a = 1; }", &[]),
        "schema.proto:2:13: name 'Nope' is not defined"
    );
    assert_eq!(
        error(
            "syntax = \"proto3\";\nmessage A { string a = 1; string b = 1; }",
            &[]
        ),
        "schema.proto:2:38: field number '1' is already used"
    );
}

#[test]
fn mangled_input_is_an_error_never_a_panic() {
    let bytes = ORDER.as_bytes();
    for cut in (0..bytes.len()).step_by(7) {
        let mut mangled = bytes[..cut].to_vec();
        mangled.extend_from_slice(b"{{;=\"\x01");
        mangled.extend_from_slice(&bytes[cut..]);
        let text = String::from_utf8_lossy(&mangled);
        let _ = parse(SchemaType::Protobuf, &text, &[], ParseOptions::default());
        let _ = parse(
            SchemaType::Protobuf,
            &text[..cut.min(text.len())],
            &[],
            ParseOptions::default(),
        );
    }
    let deep = format!(
        "syntax = \"proto3\";\n{}{}",
        "message A { ".repeat(500),
        "}".repeat(500)
    );
    let _ = parse(SchemaType::Protobuf, &deep, &[], ParseOptions::default());
}
