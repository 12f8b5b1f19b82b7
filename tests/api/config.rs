//! `/config` and `/mode`.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn global_config_defaults_patches_and_deletes() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.get("/config").await.body,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    let r = app
        .put(
            "/config",
            json!({"compatibility": "full_transitive", "unknown": 1}),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (200, json!({"compatibility": "full_transitive"}))
    );
    let r = app.put("/config", json!({"normalize": true})).await;
    assert_eq!(r.body, json!({"normalize": true}));
    assert_eq!(
        app.get("/config").await.body,
        json!({"compatibilityLevel": "FULL_TRANSITIVE", "normalize": true})
    );
    let r = app.delete("/config").await;
    assert_eq!(
        r.body,
        json!({"compatibilityLevel": "FULL_TRANSITIVE", "normalize": true})
    );
    assert_eq!(
        app.get("/config").await.body,
        json!({"compatibilityLevel": "BACKWARD"})
    );
}

#[tokio::test]
async fn subject_config_falls_back_to_global_only_when_asked() {
    let app = TestApp::spawn().await;
    app.put("/config", json!({"compatibility": "FORWARD"}))
        .await;
    assert_eq!(
        app.get("/config/s?defaultToGlobal=true").await.body,
        json!({"compatibilityLevel": "FORWARD"})
    );
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    assert_eq!(
        app.get("/config/s").await.body,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(
        app.delete("/config/s").await.body,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(app.get("/config/s").await.body["error_code"], 40408);
}

#[tokio::test]
async fn normalize_in_the_config_applies_to_every_registration() {
    let app = TestApp::spawn().await;
    app.put("/config/s", json!({"normalize": true})).await;
    let a = r#"{"type":"record","name":"R","namespace":"n","fields":[],"b":1,"a":2}"#;
    let b = r#"{"type":"record","name":"n.R","fields":[],"a":2,"b":1}"#;
    let id = app.register_ok("s", a).await;
    assert_eq!(app.register_ok("s", b).await, id);
    let r = app.get("/subjects/s/versions/1").await;
    assert_eq!(
        r.body["schema"],
        r#"{"type":"record","name":"R","namespace":"n","fields":[],"a":2,"b":1}"#
    );
}

#[tokio::test]
async fn a_subject_config_without_normalize_takes_the_global_one() {
    // Confluent's getConfigInScope: the subject's settings, its unset ones from the global.
    let app = TestApp::spawn().await;
    app.put("/config", json!({"normalize": true})).await;
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    let a = r#"{"type":"record","name":"R","namespace":"n","fields":[],"b":1,"a":2}"#;
    app.register_ok("s", a).await;
    let r = app.get("/subjects/s/versions/1").await;
    assert_eq!(
        r.body["schema"],
        r#"{"type":"record","name":"R","namespace":"n","fields":[],"a":2,"b":1}"#
    );
}

#[tokio::test]
async fn an_import_is_stored_as_sent_whatever_normalize_says() {
    // Confluent (July 2026): IMPORT mode copies what another registry accepted, unnormalized.
    let app = TestApp::spawn().await;
    app.put("/config", json!({"normalize": true})).await;
    app.put("/mode", json!({"mode": "IMPORT"})).await;
    let a = r#"{"type":"record","name":"R","namespace":"n","fields":[],"b":1,"a":2}"#;
    let r = app
        .post(
            "/subjects/s/versions?normalize=true",
            json!({"schema": a, "id": 7, "version": 1}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 7})));
    let r = app.get("/subjects/s/versions/1").await;
    assert_eq!(
        r.body["schema"],
        r#"{"type":"record","name":"R","namespace":"n","fields":[],"b":1,"a":2}"#
    );
}

#[tokio::test]
async fn modes_are_set_echoed_resolved_and_deleted() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/mode").await.body, json!({"mode": "READWRITE"}));
    assert_eq!(
        app.put("/mode/s", json!({"mode": "readonly"})).await.body,
        json!({"mode": "readonly"})
    );
    assert_eq!(app.get("/mode/s").await.body, json!({"mode": "READONLY"}));
    assert_eq!(
        app.get("/mode/t?defaultToGlobal=true").await.body,
        json!({"mode": "READWRITE"})
    );
    assert_eq!(
        app.delete("/mode/s").await.body,
        json!({"mode": "READONLY"})
    );
    app.put("/mode", json!({"mode": "READONLY_OVERRIDE"})).await;
    assert_eq!(
        app.get("/mode/t").await.body,
        json!({"mode": "READONLY_OVERRIDE"})
    );
    assert_eq!(app.register("t", "\"int\"").await.body["error_code"], 42205);
    assert_eq!(
        app.delete("/mode").await.body,
        json!({"mode": "READONLY_OVERRIDE"})
    );
    assert_eq!(app.register("t", "\"int\"").await.status, 200);
}

#[tokio::test]
async fn entering_import_mode_drops_soft_deleted_versions() {
    let app = TestApp::spawn().await;
    app.register_ok("s", "\"string\"").await;
    app.delete("/subjects/s").await;
    assert_eq!(
        app.put("/mode/s", json!({"mode": "IMPORT"})).await.status,
        200
    );
    assert_eq!(
        app.get("/subjects/s/versions?deleted=true").await.body["error_code"],
        40401
    );
    assert_eq!(app.get("/schemas/ids/1").await.body["error_code"], 40403);
}
