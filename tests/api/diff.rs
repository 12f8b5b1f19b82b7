//! `GET /subjects/{subject}/diff`: the structured diff of two versions.

use serde_json::json;

use crate::helpers::{record, TestApp};

#[tokio::test]
async fn diff_lists_every_change_between_two_versions() {
    let app = TestApp::spawn().await;
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    app.register_ok("s", &record("R", &[("a", json!("int"))]))
        .await;
    app.register_ok("s", &record("R", &[("a", json!("long"))]))
        .await;
    let v3 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"int","default":0}]}"#;
    app.register_ok("s", v3).await;

    // Defaults: the latest against the one before it.
    let r = app.get("/subjects/s/diff").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({
                "subject": "s", "from": 2, "to": 3, "schemaType": "AVRO",
                "backward_compatible": false, "forward_compatible": false,
                "changes": [
                    {"rule": "TYPE_CHANGED", "path": "/fields/0/type", "description": "type changed from long to string",
                     "backward_compatible": false, "forward_compatible": false},
                    {"rule": "FIELD_ADDED", "path": "/fields/1", "description": "field b added, with a default",
                     "backward_compatible": true, "forward_compatible": true}
                ]
            })
        )
    );
    let r = app.get("/subjects/s/diff?from=1&to=2").await;
    assert_eq!(r.body["backward_compatible"], true);
    assert_eq!(r.body["forward_compatible"], false);
    assert_eq!(r.body["changes"][0]["rule"], "TYPE_PROMOTED");
    let r = app.get("/subjects/s/diff?from=1&to=1").await;
    assert_eq!(r.body["changes"], json!([]));
}

#[tokio::test]
async fn diff_errors_name_the_missing_subject_or_version() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.get("/subjects/none/diff").await.body["error_code"],
        40401
    );
    app.register_ok("s", "\"string\"").await;
    assert_eq!(
        app.get("/subjects/s/diff?from=9").await.body["error_code"],
        40402
    );
    assert_eq!(
        app.get("/subjects/s/diff?from=zero").await.body["error_code"],
        42202
    );
}
