//! `validateFields`, as Confluent defines it: strict validation of new JSON object schemas and
//! reserved fields (the metadata property `confluent:reserved`), checked before compatibility.

use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};

const INCOMPATIBLE: &str =
    "Schema being registered is incompatible with an earlier schema for subject";

fn avro(fields: &[&str]) -> String {
    let fields: Vec<Value> = fields
        .iter()
        .map(|f| json!({"name": f, "type": "string", "default": ""}))
        .collect();
    json!({"type": "record", "name": "Person", "fields": fields}).to_string()
}

fn reserving(schema: &str, reserved: &str) -> Value {
    json!({"schema": schema, "metadata": {"properties": {"confluent:reserved": reserved}}})
}

#[tokio::test]
async fn json_object_schemas_may_not_have_double_dollar_properties() {
    let app = TestApp::spawn().await;
    let schema = json!({"type": "object", "properties": {"$$id": {"type": "integer"}}}).to_string();
    let body = json!({"schemaType": "JSON", "schema": schema});
    let r = app.post("/subjects/free/versions", body.clone()).await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));

    let r = app
        .put("/config/strict", json!({"validateFields": true}))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"validateFields": true})));
    let refused =
        "Invalid schema of type JSON, details: #: Field names cannot start with $$ prefix";
    assert_error(
        &app.post("/subjects/strict/versions", body.clone()).await,
        422,
        42201,
        refused,
    );
    let r = app
        .post(
            "/compatibility/subjects/strict/versions/latest?verbose=true",
            body,
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (200, json!({"is_compatible": false, "messages": [refused]}))
    );
    // Not an object schema (everit's ObjectSchema): not checked.
    let array = json!({"type": "array", "properties": {"$$id": {}}}).to_string();
    let r = app
        .post(
            "/subjects/strict/versions",
            json!({"schemaType": "JSON", "schema": array}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 2})));
}

#[tokio::test]
async fn reserved_fields_may_be_neither_used_nor_dropped() {
    let app = TestApp::spawn().await;
    let r = app.put("/config", json!({"validateFields": true})).await;
    assert_eq!((r.status, r.body), (200, json!({"validateFields": true})));

    // A field the schema reserves may not be one of its own.
    let r = app
        .post(
            "/subjects/people/versions",
            reserving(&avro(&["id", "ssn"]), "ssn"),
        )
        .await;
    assert_error(
        &r,
        409,
        409,
        &format!(
            "{INCOMPATIBLE} \"people\", details: [The new schema has field that conflicts with the reserved field ssn., \
             {{validateFields: 'true', compatibility: 'BACKWARD'}}]"
        ),
    );
    let r = app
        .post(
            "/subjects/people/versions",
            reserving(&avro(&["id"]), " ssn , pin"),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));

    // The next version may not drop one (nor, inheriting nothing, all of them); the messages
    // come before the compatibility check's, in Confluent's order.
    let r = app
        .post(
            "/subjects/people/versions",
            reserving(&avro(&["id", "name"]), "pin"),
        )
        .await;
    let dropped = "The new schema has reserved field ssn removed from its metadata which is present in the old schema's metadata.";
    assert_error(
        &r,
        409,
        409,
        &format!(
            "{INCOMPATIBLE} \"people\", details: [{dropped}, {{validateFields: 'true', compatibility: 'BACKWARD'}}]"
        ),
    );
    let r = app
        .post(
            "/compatibility/subjects/people/versions/1?verbose=true",
            reserving(&avro(&["id", "name"]), "pin"),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"is_compatible": false, "messages": [dropped, "{validateFields: 'true', compatibility: 'BACKWARD'}"]})
        )
    );
    // Keeping them (in another order, with a new one) is fine.
    let r = app
        .post(
            "/subjects/people/versions",
            reserving(&avro(&["id", "name"]), "pin,ssn,email"),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 2})));

    // Without validateFields nothing of this is checked.
    let r = app.put("/config", json!({"validateFields": false})).await;
    assert_eq!(r.status, 200);
    let r = app
        .post(
            "/subjects/people/versions",
            reserving(&avro(&["id", "name", "ssn"]), "ssn"),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 3})));
}

#[tokio::test]
async fn protobuf_reserved_fields_are_checked_against_top_level_messages() {
    let app = TestApp::spawn().await;
    app.put("/config/cards", json!({"validateFields": true}))
        .await;
    let proto = "syntax = \"proto3\";\nmessage Card {\n  string number = 1;\n  oneof holder {\n    string name = 2;\n  }\n  message Inner {\n    string pin = 1;\n  }\n}\n";
    let body = |reserved: &str| {
        json!({"schemaType": "PROTOBUF", "schema": proto,
               "metadata": {"properties": {"confluent:reserved": reserved}}})
    };
    // Fields of a oneof and of nested messages are not top-level fields.
    let r = app.post("/subjects/cards/versions", body("name,pin")).await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    let r = app
        .post("/subjects/cards/versions", body("name,pin,number"))
        .await;
    assert_error(
        &r,
        409,
        409,
        &format!(
            "{INCOMPATIBLE} \"cards\", details: [The new schema has field that conflicts with the reserved field number., \
             {{validateFields: 'true', compatibility: 'BACKWARD'}}]"
        ),
    );
}
