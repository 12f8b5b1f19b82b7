//! Protobuf schemas end to end: registration, imports through references, built-in imports,
//! base64 descriptors, `format=serialized`, compatibility and references that block deletes.

use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};

const COMMON: &str =
    "syntax = \"proto3\";\npackage acme.common;\nmessage Address { string city = 1; }\n";
const PERSON: &str = "syntax = \"proto3\";\npackage acme;\nimport \"acme/common.proto\";\nmessage Person {\n  string name = 1;\n  acme.common.Address home = 2;\n}\n";

async fn register(
    app: &TestApp,
    subject: &str,
    schema: &str,
    references: Value,
) -> crate::helpers::Reply {
    app.post(
        &format!("/subjects/{subject}/versions"),
        json!({"schemaType": "PROTOBUF", "schema": schema, "references": references}),
    )
    .await
}

#[tokio::test]
async fn protobuf_schemas_register_with_references_and_read_back() {
    let app = TestApp::spawn().await;
    let r = register(&app, "acme%2Fcommon.proto", COMMON, json!([])).await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    let refs = json!([{"name": "acme/common.proto", "subject": "acme/common.proto", "version": 1}]);
    let r = register(&app, "people-value", PERSON, refs.clone()).await;
    assert_eq!((r.status, r.body), (200, json!({"id": 2})));
    // Idempotent, in any spelling.
    let spaced = PERSON.replace("  ", "    ");
    assert_eq!(
        register(&app, "people-value", &spaced, refs.clone())
            .await
            .body,
        json!({"id": 2})
    );
    let r = app.get("/subjects/people-value/versions/1").await;
    assert_eq!(
        r.body,
        json!({"subject": "people-value", "version": 1, "id": 2, "schemaType": "PROTOBUF",
               "references": [{"name": "acme/common.proto", "subject": "acme/common.proto", "version": 1}],
               "schema": "syntax = \"proto3\";\npackage acme;\n\nimport \"acme/common.proto\";\n\nmessage Person {\n  string name = 1;\n  .acme.common.Address home = 2;\n}\n"})
    );
    let r = app
        .post(
            "/subjects/people-value",
            json!({"schemaType": "PROTOBUF", "schema": PERSON, "references": refs}),
        )
        .await;
    assert_eq!(r.body["id"], 2);
    // The referenced version cannot go while it is used.
    assert_error(
        &app.delete("/subjects/acme%2Fcommon.proto/versions/1").await,
        422,
        42206,
        "One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=acme/common.proto,version=1}.",
    );
}

#[tokio::test]
async fn missing_imports_and_syntax_errors_are_42201_naming_them() {
    let app = TestApp::spawn().await;
    assert_error(
        &register(&app, "p", PERSON, json!([])).await,
        422,
        42201,
        "Invalid schema of type PROTOBUF, details: schema.proto:3:1: import 'acme/common.proto' not found",
    );
    let refs = json!([{"name": "acme/common.proto", "subject": "nowhere", "version": 1}]);
    assert_error(
        &register(&app, "p", PERSON, refs).await,
        422,
        42201,
        "Invalid schema, details: No schema reference found for subject \"nowhere\" and version 1",
    );
    assert_error(
        &register(&app, "p", "syntax = \"proto3\";\nmessage A { string a = 1 }", json!([])).await,
        422,
        42201,
        "Invalid schema of type PROTOBUF, details: schema.proto:2:26: expected ';' or '[', but found '}'",
    );
}

#[tokio::test]
async fn well_known_imports_need_no_reference() {
    let app = TestApp::spawn().await;
    let schema = "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\nimport \"google/type/money.proto\";\nmessage Order { google.protobuf.Timestamp at = 1; google.type.Money price = 2; }";
    assert_eq!(
        register(&app, "orders-value", schema, json!([]))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn base64_descriptors_register_as_text_and_serialize_back() {
    let app = TestApp::spawn().await;
    let text = "syntax = \"proto3\";\npackage p;\nmessage M { int32 a = 1; }";
    assert_eq!(
        register(&app, "m-value", text, json!([])).await.body,
        json!({"id": 1})
    );
    let serialized = app.get("/schemas/ids/1?format=serialized").await.body["schema"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!serialized.contains("message"), "{serialized}");
    // The Python serializer registers this base64 form: the same schema, the same id.
    assert_eq!(
        register(&app, "m-value", &serialized, json!([])).await.body,
        json!({"id": 1})
    );
    assert_eq!(
        register(&app, "other", &serialized, json!([])).await.body,
        json!({"id": 1})
    );
    let r = app
        .get("/subjects/m-value/versions/1?format=serialized")
        .await;
    assert_eq!(r.body["schema"], serialized);
    assert_eq!(
        app.get("/schemas/ids/1/schema?format=serialized")
            .await
            .body,
        json!(serialized)
    );
    assert_eq!(
        app.get("/schemas/ids/1").await.body["schema"],
        "syntax = \"proto3\";\npackage p;\n\nmessage M {\n  int32 a = 1;\n}\n"
    );
}

#[tokio::test]
async fn incompatible_protobuf_changes_are_rejected_with_confluents_messages() {
    let app = TestApp::spawn().await;
    let v1 = "syntax = \"proto3\";\nmessage M { int32 a = 1; }";
    register(&app, "s", v1, json!([])).await;
    let v2 = "syntax = \"proto3\";\nmessage M { string a = 1; }";
    let r = register(&app, "s", v2, json!([])).await;
    assert_error(
        &r,
        409,
        409,
        "Schema being registered is incompatible with an earlier schema for subject \"s\", details: [\
         {errorType:\"FIELD_SCALAR_KIND_CHANGED\", description:\"The kind of a SCALAR field at path '#/M/1' in the new schema does not match its kind in the old schema\"}, \
         {oldSchemaVersion: 1}, {oldSchema: 'syntax = \"proto3\";\n\nmessage M {\n  int32 a = 1;\n}\n'}, {validateFields: 'false', compatibility: 'BACKWARD'}]",
    );
    // Adding a message is fine backward, not forward.
    let v3 = "syntax = \"proto3\";\nmessage M { int32 a = 1; }\nmessage N { string s = 1; }";
    assert_eq!(register(&app, "s", v3, json!([])).await.status, 200);
    app.put("/config/s", json!({"compatibility": "FORWARD"}))
        .await;
    let v4 = "syntax = \"proto3\";\nmessage M { int32 a = 1; }\nmessage N { string s = 1; }\nmessage O { }";
    let r = app
        .post(
            "/compatibility/subjects/s/versions/latest?verbose=true",
            json!({"schemaType": "PROTOBUF", "schema": v4}),
        )
        .await;
    assert_eq!(r.body["is_compatible"], false);
    assert_eq!(
        r.body["messages"][0],
        "{errorType:\"MESSAGE_REMOVED\", description:\"The old schema is missing a MESSAGE type at path '#/O' in the new schema\"}"
    );
    // An Avro schema against a Protobuf history.
    let r = app
        .post(
            "/compatibility/subjects/s/versions/latest?verbose=true",
            json!({"schema": "\"string\""}),
        )
        .await;
    assert_eq!(
        r.body["messages"],
        json!([
            "Incompatible because of different schema type",
            "{validateFields: 'false', compatibility: 'FORWARD'}"
        ])
    );
}

#[tokio::test]
async fn the_diff_view_covers_protobuf() {
    let app = TestApp::spawn().await;
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    register(
        &app,
        "s",
        "syntax = \"proto3\";\nmessage M { int32 a = 1; }",
        json!([]),
    )
    .await;
    register(
        &app,
        "s",
        "syntax = \"proto3\";\nmessage M { string a = 1; int32 b = 2; }",
        json!([]),
    )
    .await;
    let r = app.get("/subjects/s/diff").await;
    assert_eq!(r.body["schemaType"], "PROTOBUF");
    assert_eq!(
        r.body["changes"],
        json!([
            {"rule": "FIELD_SCALAR_KIND_CHANGED", "path": "#/M/1",
             "description": "field scalar kind changed at #/M/1",
             "backward_compatible": false, "forward_compatible": false},
            {"rule": "FIELD_ADDED", "path": "#/M/2",
             "description": "field added at #/M/2",
             "backward_compatible": true, "forward_compatible": true}
        ])
    );
}
