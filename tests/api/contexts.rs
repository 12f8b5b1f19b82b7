//! Contexts are not supported yet: context-qualified subjects are refused, never stored as
//! plain names of the default context.

use serde_json::json;

use crate::helpers::{assert_error, TestApp};

const REFUSED: &str = "names a context; Schemata does not support contexts yet, so it was not written (it would have been a plain subject of the default context)";

#[tokio::test]
async fn context_qualified_subjects_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let r = app.register(":.staging:orders-value", "\"string\"").await;
    assert_error(
        &r,
        422,
        42208,
        &format!("The subject ':.staging:orders-value' {REFUSED}"),
    );
    let r = app
        .put("/config/:.staging:", json!({"compatibility": "NONE"}))
        .await;
    assert_error(
        &r,
        422,
        42208,
        &format!("The subject ':.staging:' {REFUSED}"),
    );
    let r = app
        .put("/mode/:.staging:orders-value", json!({"mode": "READONLY"}))
        .await;
    assert_error(
        &r,
        422,
        42208,
        &format!("The subject ':.staging:orders-value' {REFUSED}"),
    );
    assert_eq!(app.get("/subjects").await.body, json!([]));
    assert_eq!(app.get("/contexts").await.body, json!(["."]));
    // The URL-prefix form names a context too.
    let r = app
        .post(
            "/contexts/.staging/subjects/orders-value/versions",
            json!({"schema": "\"string\""}),
        )
        .await;
    assert_error(&r, 404, 404, "HTTP 404 Not Found");
    assert_eq!(app.get("/subjects").await.body, json!([]));
}

/// A log written before contexts were refused may hold subjects named `:.ctx:name`: the server
/// says so at start, and serves them as the plain subjects they were stored as.
#[tokio::test]
async fn stored_context_like_subjects_are_reported_at_start() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    use schemata::metrics::Metrics;
    use schemata::storage::{Record, SchemaValue};

    let dir = tempfile::TempDir::new().unwrap();
    let url = format!("file://{}", dir.path().display());
    {
        let store = schemata::storage::open(&url, &Metrics::off())
            .await
            .unwrap();
        let subject = ":.staging:orders-value".to_string();
        let record = Record::Schema {
            subject: subject.clone(),
            version: 1,
            value: Some(SchemaValue {
                subject,
                version: 1,
                id: 1,
                schema_type: "AVRO".into(),
                references: vec![],
                schema: "\"string\"".into(),
                metadata: None,
                rule_set: None,
                deleted: false,
                ts: Some(1),
            }),
        };
        let txn = store.begin().await.unwrap();
        txn.commit(vec![record], Box::new(|_| {})).await.unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(["serve", "--listen", "127.0.0.1:0", "--storage", &url])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("schemata starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let mut before_ready = Vec::new();
    loop {
        let mut line = String::new();
        assert!(lines.read_line(&mut line).unwrap() > 0, "the server exited");
        if line.contains("schemata ready") {
            break;
        }
        before_ready.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        before_ready.iter().any(|l| l.contains(
            "1 stored subjects have names starting with ':.' (context-qualified in Confluent); Schemata does not support contexts, so they stay plain subjects of the default context, and new registrations under such names are refused"
        )),
        "no report in {before_ready:?}"
    );
}
