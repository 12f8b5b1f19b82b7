//! JSON Schema end to end: canonical text and ids, `normalize`, metaschema errors, `$ref`s to
//! other subjects, STRICT and LENIENT compatibility with Confluent's messages, and the diff view.

use serde_json::{json, Value};

use crate::helpers::{assert_error, Reply, TestApp};

async fn register(app: &TestApp, subject: &str, schema: &str, extra: Value) -> Reply {
    let mut body = json!({"schemaType": "JSON", "schema": schema});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.post(&format!("/subjects/{subject}/versions"), body)
        .await
}

const PERSON: &str = r#"{
  "type": "object",
  "properties": { "name": { "type": "string" } }
}"#;

#[tokio::test]
async fn json_schemas_are_stored_compact_and_share_ids_across_spellings() {
    let app = TestApp::spawn().await;
    let r = register(&app, "people-value", PERSON, json!({})).await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    let compact = r#"{"type":"object","properties":{"name":{"type":"string"}}}"#;
    assert_eq!(
        register(&app, "other", compact, json!({})).await.body,
        json!({"id": 1})
    );
    let r = app.get("/subjects/people-value/versions/1").await;
    assert_eq!(
        r.body,
        json!({"subject": "people-value", "version": 1, "id": 1, "schemaType": "JSON", "schema": compact})
    );
    // Key order counts, unless normalized: then keys are sorted.
    let reordered = r#"{"properties":{"name":{"type":"string"}},"type":"object"}"#;
    assert_eq!(
        register(&app, "other", reordered, json!({})).await.body,
        json!({"id": 2})
    );
    let r = register(&app, "n", compact, json!({})).await;
    assert_eq!(r.body, json!({"id": 1}));
    let r = app
        .post(
            "/subjects/n/versions?normalize=true",
            json!({"schemaType": "JSON", "schema": compact}),
        )
        .await;
    assert_eq!(r.body, json!({"id": 2}));
    let r = app.get("/schemas/ids/2").await;
    assert_eq!(r.body, json!({"schemaType": "JSON", "schema": reordered}));
}

#[tokio::test]
async fn invalid_json_schemas_are_42201_naming_the_keyword() {
    let app = TestApp::spawn().await;
    assert_error(
        &register(&app, "s", r#"{"type": "strin"}"#, json!({})).await,
        422,
        42201,
        "Invalid schema of type JSON, details: Invalid JSON Schema at /type: \"strin\" is not valid under any of the schemas listed in the 'anyOf' keyword",
    );
    assert_error(
        &register(&app, "s", r#"{"minLength": -1}"#, json!({})).await,
        422,
        42201,
        "Invalid schema of type JSON, details: Invalid JSON Schema at /minLength: -1 is less than the minimum of 0",
    );
    assert_error(
        &register(&app, "s", r#"{"$schema": "http://example.com/mine"}"#, json!({})).await,
        422,
        42201,
        "Invalid schema of type JSON, details: unknown '$schema' http://example.com/mine: expected draft-04, draft-06, draft-07, 2019-09 or 2020-12",
    );
    assert_error(
        &register(&app, "s", "[1]", json!({})).await,
        422,
        42201,
        "Invalid schema of type JSON, details: Invalid JSON Schema in the schema: a schema must be an object or a boolean",
    );
    assert_error(
        &register(&app, "s", r##"{"$ref": "#/definitions/missing"}"##, json!({})).await,
        422,
        42201,
        "Invalid schema of type JSON, details: '$ref' to '#/definitions/missing' at # points to nothing",
    );
    let deep = format!(
        "{}{}",
        r#"{"items":"#.repeat(100),
        "{}".to_string() + &"}".repeat(100)
    );
    assert_error(
        &register(&app, "s", &deep, json!({})).await,
        422,
        42201,
        &format!(
            "Invalid schema of type JSON, details: schema nested deeper than 64 levels at #{}",
            "/items".repeat(65)
        ),
    );
}

#[tokio::test]
async fn refs_to_other_subjects_resolve_through_references() {
    let app = TestApp::spawn().await;
    let address = r#"{"type":"object","properties":{"city":{"type":"string"}}}"#;
    assert_eq!(
        register(&app, "address", address, json!({})).await.body,
        json!({"id": 1})
    );
    let person = r#"{"type":"object","properties":{"home":{"$ref":"address.json"}}}"#;
    let refs =
        json!({"references": [{"name": "address.json", "subject": "address", "version": 1}]});
    let r = register(&app, "person", person, refs.clone()).await;
    assert_eq!((r.status, r.body), (200, json!({"id": 2})));
    assert_error(
        &register(&app, "lonely", person, json!({})).await,
        422,
        42201,
        "Invalid schema of type JSON, details: '$ref' to 'address.json' at #/properties/home: no reference supplies 'address.json'",
    );
    // A change inside the referenced schema is seen through the reference.
    let address2 = r#"{"type":"object","properties":{"city":{"type":"integer"}}}"#;
    app.put("/config/address", json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(
        register(&app, "address", address2, json!({})).await.body,
        json!({"id": 3})
    );
    let refs2 =
        json!({"references": [{"name": "address.json", "subject": "address", "version": 2}]});
    let r = register(&app, "person", person, refs2).await;
    assert_error(
        &r,
        409,
        409,
        "Schema being registered is incompatible with an earlier schema for subject \"person\", details: [\
         {errorType:\"TYPE_CHANGED\", description:\"A type at path '#/properties/home/properties/city' is different between the new schema and the old schema'}, \
         {oldSchemaVersion: 1}, {oldSchema: '{\"type\":\"object\",\"properties\":{\"home\":{\"$ref\":\"address.json\"}}}'}, {validateFields: 'false', compatibility: 'BACKWARD'}]",
    );
}

#[tokio::test]
async fn strict_policy_rejects_optional_properties_on_open_models_and_lenient_allows_them() {
    let app = TestApp::spawn().await;
    register(&app, "s", PERSON, json!({})).await;
    let v2 =
        r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}}}"#;
    let r = app
        .post(
            "/compatibility/subjects/s/versions/latest?verbose=true",
            json!({"schemaType": "JSON", "schema": v2}),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"is_compatible": false, "messages": [
                "{errorType:\"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL\", description:\"The new schema has an open content model and has a property or item at path '#/properties/age' which is missing in the old schema'}",
                "{oldSchemaVersion: 1}",
                "{oldSchema: '{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}'}",
                "{validateFields: 'false', compatibility: 'BACKWARD'}"
            ]})
        )
    );
    app.put("/config/s", json!({"compatibilityPolicy": "LENIENT"}))
        .await;
    let r = register(&app, "s", v2, json!({})).await;
    assert_eq!((r.status, r.body), (200, json!({"id": 2})));
    // Closing an open model breaks readers of old data; adding to a closed one does not.
    app.put("/config/s", json!({"compatibilityPolicy": "STRICT"}))
        .await;
    let closed = r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"additionalProperties":false}"#;
    assert_error(
        &register(&app, "s", closed, json!({})).await,
        409,
        409,
        "Schema being registered is incompatible with an earlier schema for subject \"s\", details: [\
         {errorType:\"ADDITIONAL_PROPERTIES_REMOVED\", description:\"The keyword at path '#/additionalProperties' in the new schema is not present in the old schema'}, \
         {oldSchemaVersion: 2}, {oldSchema: '{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"}}}'}, {validateFields: 'false', compatibility: 'BACKWARD'}]",
    );
    assert_eq!(
        register(&app, "c", closed, json!({})).await.body,
        json!({"id": 3})
    );
    let added = r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},"additionalProperties":false}"#;
    assert_eq!(
        register(&app, "c", added, json!({})).await.body,
        json!({"id": 4})
    );
}

#[tokio::test]
async fn the_diff_view_covers_json_schema() {
    let app = TestApp::spawn().await;
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    register(&app, "s", r#"{"type":"string","maxLength":10}"#, json!({})).await;
    register(&app, "s", r#"{"type":"string","maxLength":5}"#, json!({})).await;
    let r = app.get("/subjects/s/diff").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["changes"],
        json!([{
            "rule": "MAX_LENGTH_DECREASED",
            "path": "#/maxLength",
            "description": "max length decreased at #/maxLength",
            "backward_compatible": false,
            "forward_compatible": true
        }])
    );
}
