//! `/compatibility` and the levels as registration applies them.

use serde_json::json;

use crate::helpers::{record, TestApp};

#[tokio::test]
async fn verbose_answers_explain_themselves() {
    let app = TestApp::spawn().await;
    app.register_ok("s", &record("R", &[("a", json!("int"))]))
        .await;
    let new = record("R", &[("a", json!("int")), ("b", json!("string"))]);
    let r = app
        .post(
            "/compatibility/subjects/s/versions/latest?verbose=true",
            json!({"schema": new}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"is_compatible": false, "messages": [
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'b'}",
            "{oldSchemaVersion: 1}",
            "{oldSchema: '{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}'}",
            "{validateFields: 'false', compatibility: 'BACKWARD'}"
        ]})
    );
    let ok = record("R", &[("a", json!("long"))]);
    let r = app
        .post(
            "/compatibility/subjects/s/versions?verbose=true",
            json!({"schema": ok}),
        )
        .await;
    assert_eq!(r.body, json!({"is_compatible": true, "messages": []}));
}

#[tokio::test]
async fn invalid_schemas_are_422_or_a_verbose_message() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/compatibility/subjects/s/versions/latest",
            json!({"schema": "\"nope\""}),
        )
        .await;
    assert_eq!(r.body["error_code"], 42201);
    let r = app
        .post(
            "/compatibility/subjects/s/versions/latest?verbose=true",
            json!({"schema": "\"nope\""}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"is_compatible": false, "messages": ["Invalid schema of type AVRO, details: Undefined name: \"nope\""]})
    );
}

#[tokio::test]
async fn an_unknown_subject_is_compatible_with_anything() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/compatibility/subjects/none/versions/latest",
            json!({"schema": "\"int\""}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"is_compatible": true})));
    let r = app
        .post(
            "/compatibility/subjects/none/versions",
            json!({"schema": "\"int\""}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"is_compatible": true})));
}

#[tokio::test]
async fn transitive_levels_check_every_live_version_and_plain_ones_the_latest() {
    let app = TestApp::spawn().await;
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    app.register_ok("s", &record("R", &[("a", json!("int"))]))
        .await;
    app.register_ok(
        "s",
        &record("R", &[("a", json!("int")), ("b", json!("int"))]),
    )
    .await;
    // Drops `b`'s requirement but needs `b`: readable from v2, not from v1.
    let new = record("R", &[("b", json!("int"))]);
    app.put("/config/s", json!({"compatibility": "BACKWARD"}))
        .await;
    let r = app
        .post("/compatibility/subjects/s/versions", json!({"schema": new}))
        .await;
    assert_eq!(r.body, json!({"is_compatible": true}));
    app.put("/config/s", json!({"compatibility": "BACKWARD_TRANSITIVE"}))
        .await;
    let r = app
        .post(
            "/compatibility/subjects/s/versions?verbose=true",
            json!({"schema": new}),
        )
        .await;
    assert_eq!(r.body["is_compatible"], false);
    assert_eq!(r.body["messages"][1], "{oldSchemaVersion: 1}");
    // Against one named version, a transitive level checks only that one.
    let r = app
        .post(
            "/compatibility/subjects/s/versions/2",
            json!({"schema": new}),
        )
        .await;
    assert_eq!(r.body, json!({"is_compatible": true}));
    // Soft-deleted versions are skipped.
    app.delete("/subjects/s/versions/1").await;
    assert_eq!(app.register("s", &new).await.status, 200);
}

#[tokio::test]
async fn forward_and_full_check_the_other_direction() {
    let app = TestApp::spawn().await;
    app.register_ok("s", &record("R", &[("a", json!("int"))]))
        .await;
    app.put("/config/s", json!({"compatibility": "FORWARD"}))
        .await;
    // Adding a field without default: old readers ignore it (FORWARD ok), new readers cannot
    // read old data (BACKWARD fails), so FULL fails.
    let added = record("R", &[("a", json!("int")), ("b", json!("int"))]);
    let r = app
        .post(
            "/compatibility/subjects/s/versions",
            json!({"schema": added}),
        )
        .await;
    assert_eq!(r.body, json!({"is_compatible": true}));
    app.put("/config/s", json!({"compatibility": "FULL"})).await;
    let r = app
        .post(
            "/compatibility/subjects/s/versions?verbose=true",
            json!({"schema": added}),
        )
        .await;
    assert_eq!(r.body["is_compatible"], false);
    assert_eq!(
        r.body["messages"][3],
        "{validateFields: 'false', compatibility: 'FULL'}"
    );
    app.put("/config/s", json!({"compatibility": "FORWARD"}))
        .await;
    // Promoting int to long: old readers cannot read longs.
    let promoted = record("R", &[("a", json!("long"))]);
    let r = app
        .post(
            "/compatibility/subjects/s/versions?verbose=true",
            json!({"schema": promoted}),
        )
        .await;
    assert_eq!(
        r.body["messages"][0],
        "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the old schema does not match with the new schema', additionalInfo:'reader type: INT not compatible with writer type: LONG'}"
    );
}
