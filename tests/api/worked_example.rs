//! confluent-api.md §4.27, step by step, with 7.x and 8.x response shapes.

use schemata::http::ApiFormat;
use serde_json::json;

use crate::helpers::{assert_error, TestApp};

#[tokio::test]
async fn the_worked_example_of_the_confluent_reference_runs_as_documented() {
    let app = TestApp::spawn().await;

    let r = app
        .post(
            "/subjects/t-value/versions",
            json!({"schema": "{\"type\": \"string\"}"}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    let r = app
        .post(
            "/subjects/t-value/versions",
            json!({"schema": "\"string\""}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    let r = app
        .post(
            "/subjects/other-value/versions",
            json!({"schema": "\"string\""}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));

    assert_eq!(
        app.get("/subjects").await.body,
        json!(["other-value", "t-value"])
    );
    assert_eq!(app.get("/subjects/t-value/versions").await.body, json!([1]));
    let r = app.get("/subjects/t-value/versions/latest").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"subject": "t-value", "version": 1, "id": 1, "schema": "\"string\""})
        )
    );
    assert_eq!(
        app.get("/schemas/ids/1").await.body,
        json!({"schema": "\"string\""})
    );
    assert_eq!(
        app.get("/schemas/ids/1/versions").await.body,
        json!([{"subject": "other-value", "version": 1}, {"subject": "t-value", "version": 1}])
    );

    let r = app
        .post("/subjects/t-value", json!({"schema": "\"int\""}))
        .await;
    assert_error(&r, 404, 40403, "Schema not found");
    let r = app
        .post("/subjects/nope", json!({"schema": "\"int\""}))
        .await;
    assert_error(&r, 404, 40401, "Subject 'nope' not found.");
    let r = app
        .post(
            "/compatibility/subjects/t-value/versions/latest",
            json!({"schema": "\"int\""}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"is_compatible": false})));

    let r = app
        .post("/subjects/t-value/versions", json!({"schema": "\"int\""}))
        .await;
    assert_error(
        &r,
        409,
        409,
        "Schema being registered is incompatible with an earlier schema for subject \"t-value\", details: \
         [{errorType:'TYPE_MISMATCH', description:'The type (path '/') of a field in the new schema does not match with the old schema', \
         additionalInfo:'reader type: INT not compatible with writer type: STRING'}, {oldSchemaVersion: 1}, {oldSchema: '\"string\"'}, \
         {validateFields: 'false', compatibility: 'BACKWARD'}]",
    );

    let r = app.get("/config/t-value").await;
    assert_error(
        &r,
        404,
        40408,
        "Subject 't-value' does not have subject-level compatibility configured",
    );
    let r = app.get("/config/t-value?defaultToGlobal=true").await;
    assert_eq!(
        (r.status, r.body),
        (200, json!({"compatibilityLevel": "BACKWARD"}))
    );
    let r = app
        .put("/config/t-value", json!({"compatibility": "none"}))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"compatibility": "none"})));
    let r = app
        .post("/subjects/t-value/versions", json!({"schema": "\"int\""}))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 2})));
    assert_eq!(
        app.get("/subjects/t-value/versions").await.body,
        json!([1, 2])
    );

    let r = app
        .delete("/subjects/t-value/versions/1?permanent=true")
        .await;
    assert_error(
        &r,
        404,
        40407,
        "Subject 't-value' Version 1 was not deleted first before being permanently deleted",
    );
    let r = app.delete("/subjects/t-value/versions/1").await;
    assert_eq!((r.status, r.body), (200, json!(1)));
    let r = app.delete("/subjects/t-value/versions/1").await;
    assert_error(
        &r,
        404,
        40406,
        "Subject 't-value' Version 1 was soft deleted.Set permanent=true to delete permanently",
    );
    assert_eq!(app.get("/subjects/t-value/versions").await.body, json!([2]));
    assert_eq!(
        app.get("/subjects/t-value/versions?deleted=true")
            .await
            .body,
        json!([1, 2])
    );
    assert_eq!(app.get("/schemas/ids/1").await.status, 200);

    let r = app.delete("/subjects/t-value").await;
    assert_eq!((r.status, r.body), (200, json!([2])));
    // The subject-level config went with the subject.
    let r = app.get("/config/t-value").await;
    assert_eq!(r.body["error_code"], 40408);
    let r = app.delete("/subjects/t-value").await;
    assert_error(
        &r,
        404,
        40404,
        "Subject 't-value' was soft deleted.Set permanent=true to delete permanently",
    );
    let r = app.delete("/subjects/t-value?permanent=true").await;
    assert_eq!((r.status, r.body), (200, json!([1, 2])));
    let r = app.get("/subjects/t-value/versions").await;
    assert_error(&r, 404, 40401, "Subject 't-value' not found.");
    let r = app.get("/schemas/ids/2").await;
    assert_error(&r, 404, 40403, "Schema 2 not found");
    let r = app.get("/schemas/ids/1").await;
    assert_eq!((r.status, r.body), (200, json!({"schema": "\"string\""})));
}

#[tokio::test]
async fn the_8x_format_returns_full_objects_and_40901() {
    let app = TestApp::spawn_with(ApiFormat::V8).await;
    let guid = compat::guid(&compat::identity("\"string\"", &[]));

    let r = app
        .post(
            "/subjects/t-value/versions",
            json!({"schema": "{\"type\": \"string\"}"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let ts = r.body["ts"].as_i64().expect("ts");
    assert!(ts > 1_700_000_000_000, "a real timestamp: {ts}");
    assert_eq!(
        r.body,
        json!({"id": 1, "version": 1, "guid": guid, "schemaType": "AVRO", "schema": "\"string\"", "ts": ts, "deleted": false})
    );
    let r = app.get("/subjects/t-value/versions/latest").await;
    assert_eq!(
        r.body,
        json!({"subject": "t-value", "version": 1, "id": 1, "guid": guid, "schemaType": "AVRO",
               "schema": "\"string\"", "ts": ts, "deleted": false})
    );
    let r = app.get("/schemas/ids/1").await;
    assert_eq!(
        r.body,
        json!({"subject": "t-value", "version": 1, "guid": guid, "schemaType": "AVRO",
               "schema": "\"string\"", "ts": ts, "deleted": false})
    );
    let r = app.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(
        r.body,
        json!({"guid": guid, "schemaType": "AVRO", "schema": "\"string\""})
    );

    let r = app
        .post("/subjects/t-value/versions", json!({"schema": "\"int\""}))
        .await;
    assert_eq!((r.status, &r.body["error_code"]), (409, &json!(40901)));

    let r = app
        .put("/config/t-value", json!({"compatibility": "none"}))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"compatibility": "NONE"})));
}
