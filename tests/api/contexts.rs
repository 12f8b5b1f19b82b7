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
