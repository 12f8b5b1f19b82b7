//! `openapi/openapi.json` is the document the handlers generate; `UPDATE_OPENAPI=1` rewrites it.

use serde_json::Value;

use crate::helpers::TestApp;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

#[tokio::test]
async fn the_committed_openapi_document_is_current_and_served() {
    let generated = schemata::http::openapi::document();
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi")).unwrap();
        std::fs::write(COMMITTED, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).expect("openapi/openapi.json exists");
    assert_eq!(
        committed.trim_end(),
        generated,
        "openapi/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test --test api openapi"
    );

    let app = TestApp::spawn().await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, 200);
    let served: Value = r.body;
    assert_eq!(served, serde_json::from_str::<Value>(&generated).unwrap());
    // Every route of the API is described.
    let paths = served["paths"].as_object().unwrap();
    for p in [
        "/subjects/{subject}/versions",
        "/schemas/ids/{id}",
        "/compatibility/subjects/{subject}/versions/{version}",
        "/subjects/{subject}/diff",
        "/config/{subject}",
        "/mode/{subject}",
        "/exporters/{name}/status",
        "/subjects/{subject}/metadata",
        "/v1/metadata/deployment",
        "/contexts/{context}",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    assert_eq!(paths.len(), 38);
}
