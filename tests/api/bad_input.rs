//! Whatever arrives, every endpoint answers with a 2xx or a 4xx carrying Confluent's error body:
//! never a 500, never a dropped connection.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, CONTENT_TYPE};

const PATHS: [(&str, &str); 12] = [
    ("POST", "/subjects/s/versions"),
    ("POST", "/subjects/s"),
    ("POST", "/compatibility/subjects/s/versions"),
    ("POST", "/compatibility/subjects/s/versions/latest"),
    ("PUT", "/config"),
    ("PUT", "/config/s"),
    ("PUT", "/mode"),
    ("PUT", "/mode/s"),
    ("GET", "/subjects/s/versions/latest"),
    ("GET", "/schemas/ids/1"),
    ("DELETE", "/subjects/s/versions/1"),
    ("GET", "/subjects/s/diff"),
];

fn bodies() -> Vec<Vec<u8>> {
    let deep_object = format!("{}{}", "{\"a\":".repeat(200), "}".repeat(200));
    let mut bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"schema\"".to_vec(),
        b"{".to_vec(),
        b"{\"schema\": null}".to_vec(),
        b"{\"schema\": {}}".to_vec(),
        b"{\"schema\": \"{}\"}".to_vec(),
        b"{\"schema\": \"[]\"}".to_vec(),
        b"{\"schema\": \"\\\"string\\\"\", \"schemaType\": 7}".to_vec(),
        b"{\"schema\": \"\\\"string\\\"\", \"references\": [null]}".to_vec(),
        b"{\"schema\": \"\\\"string\\\"\", \"references\": \"x\"}".to_vec(),
        b"{\"schema\": \"\\\"string\\\"\", \"version\": 99999999999}".to_vec(),
        b"{\"schema\": \"\\\"string\\\"\", \"id\": -5}".to_vec(),
        b"{\"compatibility\": []}".to_vec(),
        b"{\"mode\": 5}".to_vec(),
        b"\xff\xfe\x00".to_vec(),
        deep_object.into_bytes(),
    ];
    // Schemas that are JSON but not Avro, nested or odd.
    for schema in [
        r#"{"type":"record"}"#,
        r#"{"type":"record","name":"R","fields":{}}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a"}]}"#,
        r#"{"type":"enum","name":"E","symbols":[1]}"#,
        r#"{"type":"fixed","name":"F","size":-1}"#,
        r#"{"type":"fixed","name":"F","size":1e400}"#,
        r#"{"type":"array"}"#,
        r#"{"type":"map","values":{"type":"map","values":"nope"}}"#,
        r#"[["int"]]"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"R"}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1e400}]}"#,
    ] {
        bodies.push(serde_json::to_vec(&serde_json::json!({ "schema": schema })).unwrap());
    }
    bodies
}

#[tokio::test]
async fn no_input_gets_a_server_error() {
    let app = TestApp::spawn().await;
    app.register_ok("s", "\"string\"").await;
    for (method, path) in PATHS {
        for body in bodies() {
            let method: Method = method.parse().unwrap();
            let r = app
                .raw(method.clone(), path, Some(CONTENT_TYPE), body.clone())
                .await;
            let shown = String::from_utf8_lossy(&body);
            assert!(
                r.status < 500,
                "{method} {path} {shown}: {} {}",
                r.status,
                r.body
            );
            if r.status >= 400 {
                let code = r.body["error_code"].as_u64().unwrap_or(0);
                let message = r.body["message"].as_str().unwrap_or("");
                assert!(
                    code >= 400 && !message.is_empty(),
                    "{method} {path} {shown}: {}",
                    r.body
                );
                assert_eq!(r.content_type, CONTENT_TYPE);
            }
        }
    }
    // The registry still works afterwards (the DELETE above soft-deleted version 1).
    assert_eq!(
        app.get("/subjects/s/versions?deleted=true").await.body,
        Value::from(vec![1])
    );
    assert_eq!(app.register_ok("t", "\"int\"").await, 2);
}
