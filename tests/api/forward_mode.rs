//! Confluent 8.1's `FORWARD` mode: refused outside the global context (`:.__GLOBAL:`) when
//! spelled `FORWARD`, and, as Confluent compares the text as sent, taken when spelled in another
//! case; in it, registrations carry their ids as in IMPORT, and entering it keeps the subjects
//! there are.

use serde_json::json;

use crate::helpers::{assert_error, TestApp};

#[tokio::test]
async fn forward_mode_is_refused_outside_the_global_context() {
    let app = TestApp::spawn().await;
    for path in ["/mode", "/mode/orders-value"] {
        assert_error(
            &app.put(path, json!({"mode": "FORWARD"})).await,
            422,
            42204,
            "Forward mode only supported on global level",
        );
    }
    // A subject Confluent refuses is refused as such first.
    assert_error(
        &app.put("/mode/__GLOBAL", json!({"mode": "FORWARD"})).await,
        422,
        42208,
        "The specified subject '__GLOBAL' is not a valid.",
    );
    let r = app.get("/mode").await;
    assert_eq!((r.status, r.body), (200, json!({"mode": "READWRITE"})));
}

#[tokio::test]
async fn forward_in_another_case_is_taken_and_writes_as_import_does() {
    let app = TestApp::spawn().await;
    let schema = r#"{"type":"record","name":"A","fields":[{"name":"a","type":"int"}]}"#;
    app.register_ok("kept-value", schema).await;

    // Unlike IMPORT, entering FORWARD keeps the subjects there are.
    let r = app.put("/mode", json!({"mode": "forward"})).await;
    assert_eq!((r.status, r.body), (200, json!({"mode": "forward"})));
    let r = app.get("/mode").await;
    assert_eq!((r.status, r.body), (200, json!({"mode": "FORWARD"})));
    let r = app.get("/subjects").await;
    assert_eq!((r.status, r.body), (200, json!(["kept-value"])));

    // Without an id a registration is refused; with one it is taken, unchecked.
    assert_error(
        &app.register("orders-value", schema).await,
        422,
        42205,
        "Subject orders-value is not in read-write mode",
    );
    let r = app
        .post(
            "/subjects/orders-value/versions",
            json!({"schema": schema, "id": 40, "version": 3}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 40})));
    let r = app.get("/subjects/orders-value/versions/3").await;
    assert_eq!(r.status, 200);
    assert_eq!((&r.body["id"], &r.body["version"]), (&json!(40), &json!(3)));

    // A subject's mode too.
    let r = app
        .put("/mode/other-value", json!({"mode": "Forward"}))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"mode": "Forward"})));
    let r = app.get("/mode/other-value").await;
    assert_eq!((r.status, r.body), (200, json!({"mode": "FORWARD"})));

    // Kept by the storage like any mode.
    let app = app.restart().await;
    let r = app.get("/mode/other-value").await;
    assert_eq!((r.status, r.body), (200, json!({"mode": "FORWARD"})));
}

#[tokio::test]
async fn forward_mode_is_taken_on_the_global_context_and_every_context_falls_back_to_it() {
    let app = TestApp::spawn().await;
    let schema = r#"{"type":"record","name":"A","fields":[{"name":"a","type":"int"}]}"#;
    app.register_ok("kept-value", schema).await;
    let r = app
        .put("/mode/:.__GLOBAL:", json!({"mode": "FORWARD"}))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"mode": "FORWARD"})));
    let r = app.get("/mode/:.__GLOBAL:").await;
    assert_eq!((r.status, r.body), (200, json!({"mode": "FORWARD"})));
    // Neither the default context nor `.staging` has a mode of its own: both fall back to it,
    // so registrations need their ids, and the subjects there were are kept.
    for subject in ["orders-value", ":.staging:orders-value"] {
        assert_error(
            &app.register(subject, schema).await,
            422,
            42205,
            &format!("Subject {subject} is not in read-write mode"),
        );
        let r = app
            .post(
                &format!("/subjects/{subject}/versions"),
                json!({"schema": schema, "id": 40, "version": 3}),
            )
            .await;
        assert_eq!((r.status, r.body), (200, json!({"id": 40})), "{subject}");
    }
    let r = app.get("/subjects").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!([":.staging:orders-value", "kept-value", "orders-value"])
        )
    );
}
