//! `/schemas`: by id, listings and types.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn types_lists_the_three_formats() {
    let app = TestApp::spawn().await;
    let r = app.get("/schemas/types").await;
    assert_eq!(
        (r.status, r.body),
        (200, json!(["JSON", "PROTOBUF", "AVRO"]))
    );
}

#[tokio::test]
async fn soft_deleted_schemas_stay_resolvable_by_id() {
    let app = TestApp::spawn().await;
    let id = app.register_ok("s", "\"string\"").await;
    app.delete("/subjects/s").await;
    let r = app
        .get(&format!("/schemas/ids/{id}?fetchMaxId=false&subject=s"))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"schema": "\"string\""})));
    assert_eq!(
        app.get(&format!("/schemas/ids/{id}/subjects")).await.body,
        json!([])
    );
    assert_eq!(
        app.get(&format!("/schemas/ids/{id}/subjects?deleted=true"))
            .await
            .body,
        json!(["s"])
    );
    assert_eq!(
        app.get(&format!("/schemas/ids/{id}/versions?deleted=true"))
            .await
            .body,
        json!([{"subject": "s", "version": 1}])
    );
    let r = app.get(&format!("/schemas/ids/{id}/schema")).await;
    assert_eq!(r.body, json!("string"));
}

#[tokio::test]
async fn fetch_max_id_adds_the_highest_id() {
    let app = TestApp::spawn().await;
    app.register_ok("a", "\"string\"").await;
    app.register_ok("b", "\"int\"").await;
    let r = app.get("/schemas/ids/1?fetchMaxId=true").await;
    assert_eq!(r.body, json!({"schema": "\"string\"", "maxId": 2}));
}

#[tokio::test]
async fn schemas_lists_by_subject_and_version_with_filters_and_pages() {
    let app = TestApp::spawn().await;
    app.put("/config", json!({"compatibility": "NONE"})).await;
    app.register_ok("a", "\"string\"").await;
    app.register_ok("a", "\"int\"").await;
    app.register_ok("b", "\"long\"").await;
    app.delete("/subjects/a/versions/1").await;
    let all = json!([
        {"subject": "a", "version": 2, "id": 2, "schema": "\"int\""},
        {"subject": "b", "version": 1, "id": 3, "schema": "\"long\""}
    ]);
    assert_eq!(app.get("/schemas").await.body, all);
    assert_eq!(
        app.get("/schemas?deleted=true")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        app.get("/schemas?subjectPrefix=b").await.body,
        json!([{"subject": "b", "version": 1, "id": 3, "schema": "\"long\""}])
    );
    assert_eq!(
        app.get("/schemas?latestOnly=true&offset=1").await.body,
        json!([all[1]])
    );
    assert_eq!(app.get("/schemas?limit=1").await.body, json!([all[0]]));
}

#[tokio::test]
async fn root_and_metadata_answer_probes() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/").await.body, json!({}));
    assert_eq!(app.post("/", json!({"anything": 1})).await.body, json!({}));
    assert_eq!(app.get("/contexts").await.body, json!(["."]));
    let r = app.get("/v1/metadata/version").await;
    assert_eq!(r.body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn any_accept_header_gets_json() {
    let app = TestApp::spawn().await;
    app.register_ok("s", "\"string\"").await;
    for accept in [
        "text/html",
        "*/*",
        "application/xml",
        "application/vnd.schemaregistry.v1+json",
    ] {
        let r = app
            .client
            .get(format!("{}/schemas/ids/1", app.base))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{accept}");
        assert_eq!(
            r.headers()["content-type"],
            "application/vnd.schemaregistry.v1+json"
        );
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap(),
            json!({"schema": "\"string\""})
        );
    }
}
