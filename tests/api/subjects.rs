//! Registering, looking up, listing and deleting subject versions.

use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::{record, TestApp};

#[tokio::test]
async fn the_same_schema_in_any_spelling_gets_one_id_in_every_subject() {
    let app = TestApp::spawn().await;
    let pretty = "{\n  \"type\": \"record\", \"name\": \"R\",\n  \"fields\": [ {\"name\": \"a\", \"type\": {\"type\": \"int\"}} ]\n}";
    let id = app.register_ok("a", pretty).await;
    assert_eq!(app.register_ok("a", pretty).await, id);
    assert_eq!(
        app.register_ok("b", &record("R", &[("a", json!("int"))]))
            .await,
        id
    );
    assert_eq!(app.get("/subjects/a/versions").await.body, json!([1]));
    let r = app.get("/subjects/a/versions/1/schema").await;
    assert_eq!(
        r.body,
        json!({"type":"record","name":"R","fields":[{"name":"a","type":"int"}]})
    );
    assert_eq!(r.content_type, "application/vnd.schemaregistry.v1+json");
}

#[tokio::test]
async fn twenty_clients_registering_one_new_schema_get_one_version_and_one_id() {
    let app = TestApp::spawn().await;
    let schema = record("Order", &[("id", json!("long"))]);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (client, base, schema) = (app.client.clone(), app.base.clone(), schema.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/subjects/orders/versions"))
                .json(&json!({"schema": schema}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()["id"]
                .as_u64()
                .unwrap()
        }));
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), vec![1]);
    assert_eq!(app.get("/subjects/orders/versions").await.body, json!([1]));
}

#[tokio::test]
async fn concurrent_new_schemas_get_distinct_ids_and_all_survive_a_restart() {
    let app = TestApp::spawn().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (client, base) = (app.client.clone(), app.base.clone());
        tasks.push(tokio::spawn(async move {
            let schema = record(&format!("R{i}"), &[("f", json!("int"))]);
            let r = client
                .post(format!("{base}/subjects/s{}/versions", i % 4))
                .json(&json!({"schema": schema}))
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }));
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        // Different record names in one subject are incompatible under BACKWARD; only the
        // first of each subject is accepted, and every answer is a clean 200 or 409.
        match status.as_u16() {
            200 => {
                ids.insert(body["id"].as_u64().unwrap());
            }
            409 => assert_eq!(body["error_code"], 409),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ids.len(), 4);
    let before = app.get("/schemas").await.body;
    let app = app.restart().await;
    assert_eq!(app.get("/schemas").await.body, before);
}

#[tokio::test]
async fn versions_count_up_past_soft_deleted_ones_and_a_returning_schema_keeps_its_id() {
    let app = TestApp::spawn().await;
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    let a = app.register_ok("s", "\"string\"").await;
    let b = app.register_ok("s", "\"int\"").await;
    assert_eq!(app.delete("/subjects/s/versions/1").await.body, json!(1));
    // Back again: same id, new version 3; the soft-deleted version 1 with that id is gone.
    assert_eq!(app.register_ok("s", "\"string\"").await, a);
    assert_eq!(
        app.get("/subjects/s/versions?deleted=true").await.body,
        json!([2, 3])
    );
    assert_eq!(app.get("/subjects/s/versions/3").await.body["id"], json!(a));
    assert_eq!(app.get("/subjects/s/versions/2").await.body["id"], json!(b));
}

#[tokio::test]
async fn lookup_finds_soft_deleted_versions_only_when_asked() {
    let app = TestApp::spawn().await;
    app.register_ok("s", "\"string\"").await;
    app.register_ok("s", "[\"null\",\"string\"]").await;
    app.delete("/subjects/s/versions/1").await;
    let r = app
        .post("/subjects/s", json!({"schema": "\"string\""}))
        .await;
    assert_eq!(r.body["error_code"], 40403);
    let r = app
        .post(
            "/subjects/s?deleted=TRUE",
            json!({"schema": "{\"type\":\"string\"}"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"subject": "s", "version": 1, "id": 1, "schema": "\"string\""})
        )
    );
    let r = app
        .post(
            "/subjects/s?normalize=False",
            json!({"schema": "[\"null\", \"string\"]"}),
        )
        .await;
    assert_eq!(r.body["version"], json!(2));
}

#[tokio::test]
async fn listings_honour_deleted_deleted_only_and_negative_versions() {
    let app = TestApp::spawn().await;
    app.register_ok("a", "\"string\"").await;
    app.register_ok("b", "\"string\"").await;
    app.put("/config/b", json!({"compatibility": "NONE"})).await;
    app.register_ok("b", "\"int\"").await;
    app.delete("/subjects/a").await;
    app.delete("/subjects/b/versions/1").await;
    assert_eq!(app.get("/subjects").await.body, json!(["b"]));
    assert_eq!(
        app.get("/subjects?deleted=true").await.body,
        json!(["a", "b"])
    );
    assert_eq!(
        app.get("/subjects?deletedOnly=true").await.body,
        json!(["a"])
    );
    assert_eq!(
        app.get("/subjects?subjectPrefix=a&deleted=true").await.body,
        json!(["a"])
    );
    assert_eq!(
        app.get("/subjects/b/versions?deletedOnly=true").await.body,
        json!([1])
    );
    assert_eq!(
        app.get("/subjects/b/versions?deletedAsNegative=true")
            .await
            .body,
        json!([-1, 2])
    );
    assert_eq!(
        app.get("/subjects?offset=1&limit=1&deleted=true")
            .await
            .body,
        json!(["b"])
    );
    assert_eq!(
        app.get("/subjects/a/versions/latest").await.body["error_code"],
        40401
    );
    assert_eq!(
        app.get("/subjects/a/versions/1?deleted=true").await.body["version"],
        1
    );
}

#[tokio::test]
async fn subjects_with_slashes_and_trailing_slashes_work() {
    let app = TestApp::spawn().await;
    let id = app
        .register_ok("google%2Ftype%2Fmoney.proto", "\"string\"")
        .await;
    assert_eq!(
        app.get("/subjects").await.body,
        json!(["google/type/money.proto"])
    );
    assert_eq!(
        app.get("/subjects/google%2Ftype%2Fmoney.proto/versions/")
            .await
            .body,
        json!([1])
    );
    assert_eq!(
        app.get(&format!("/schemas/ids/{id}/subjects")).await.body,
        json!(["google/type/money.proto"])
    );
    let r = app
        .post(
            "/compatibility/subjects/google%2Ftype%2Fmoney.proto/versions/",
            json!({"schema": "\"string\""}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"is_compatible": true})));
}

#[tokio::test]
async fn an_empty_schema_reuses_the_latest_one() {
    let app = TestApp::spawn().await;
    let id = app.register_ok("s", "\"string\"").await;
    // The registry filled in the schema, so 7.4.1+ answers with the whole of it.
    let r = app
        .post("/subjects/s/versions", json!({"schemaType": "AVRO"}))
        .await;
    assert_eq!(
        (r.status, r.body),
        (200, json!({"id": id, "version": 1, "schema": "\"string\""}))
    );
}

#[tokio::test]
async fn references_resolve_latest_and_are_listed_by_referrers() {
    let app = TestApp::spawn().await;
    let address = r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}"#;
    app.register_ok("address", address).await;
    let person = r#"{"type":"record","name":"Person","namespace":"acme","fields":[{"name":"home","type":"Address"}]}"#;
    let refs = json!([{"name": "acme.Address", "subject": "address", "version": -1}]);
    let r = app
        .post(
            "/subjects/person/versions",
            json!({"schema": person, "references": refs}),
        )
        .await;
    assert_eq!(r.body, json!({"id": 2}));
    let r = app.get("/subjects/person/versions/1").await;
    assert_eq!(
        r.body,
        json!({"subject": "person", "version": 1, "id": 2,
               "references": [{"name": "acme.Address", "subject": "address", "version": 1}],
               "schema": person})
    );
    // Registering again with the pinned reference is the same schema.
    let pinned = json!([{"name": "acme.Address", "subject": "address", "version": 1}]);
    let r = app
        .post(
            "/subjects/person/versions",
            json!({"schema": person, "references": pinned}),
        )
        .await;
    assert_eq!(r.body, json!({"id": 2}));
    assert_eq!(
        app.get("/subjects/address/versions/latest/referencedby")
            .await
            .body,
        json!([2])
    );
}

#[tokio::test]
async fn import_mode_takes_explicit_ids_and_versions() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.put("/mode", json!({"mode": "import"})).await.body,
        json!({"mode": "import"})
    );
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": "\"string\"", "id": 42, "version": 3}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 42})));
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": "\"string\"", "id": 42, "version": 3}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 42})));
    let r = app
        .post(
            "/subjects/t/versions",
            json!({"schema": "\"int\"", "id": 42, "version": 1}),
        )
        .await;
    assert_eq!(
        r.body["message"],
        "Overwrite new schema with id 42 is not permitted."
    );
    app.put("/mode", json!({"mode": "READWRITE"})).await;
    // New ids continue after the highest imported one.
    assert_eq!(app.register_ok("u", "\"int\"").await, 43);
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([3]));
}

#[tokio::test]
async fn a_restart_brings_back_exactly_the_same_state() {
    let app = TestApp::spawn().await;
    app.register_ok("a", "\"string\"").await;
    app.put("/config/a", json!({"compatibility": "NONE"})).await;
    app.register_ok("a", "\"int\"").await;
    app.register_ok("b", "\"long\"").await;
    app.delete("/subjects/a/versions/1").await;
    app.put("/config", json!({"compatibility": "FULL"})).await;
    app.put("/mode/b", json!({"mode": "READONLY"})).await;
    let paths = [
        "/subjects?deleted=true",
        "/subjects/a/versions?deleted=true",
        "/subjects/a/versions/1?deleted=true",
        "/schemas?deleted=true",
        "/config",
        "/config/a",
        "/mode/b",
        "/schemas/ids/1",
        "/schemas/ids/3",
    ];
    let mut before = Vec::new();
    for p in paths {
        before.push(app.get(p).await.body);
    }
    let app = app.restart().await;
    for (p, b) in paths.iter().zip(before) {
        assert_eq!(app.get(p).await.body, b, "{p}");
    }
}
