//! One test per error the API returns: HTTP status, Confluent error_code and exact message.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_error, record, TestApp, CONTENT_TYPE};

#[tokio::test]
async fn error_40401_subject_not_found() {
    let app = TestApp::spawn().await;
    assert_error(
        &app.get("/subjects/ghost/versions").await,
        404,
        40401,
        "Subject 'ghost' not found.",
    );
    assert_error(
        &app.get("/subjects/ghost/versions/1").await,
        404,
        40401,
        "Subject 'ghost' not found.",
    );
    assert_error(
        &app.delete("/subjects/ghost").await,
        404,
        40401,
        "Subject 'ghost' not found.",
    );
    assert_error(
        &app.delete("/config/ghost").await,
        404,
        40401,
        "Subject 'ghost' not found.",
    );
    assert_error(
        &app.delete("/mode/ghost").await,
        404,
        40401,
        "Subject 'ghost' not found.",
    );
}

#[tokio::test]
async fn error_40402_version_not_found() {
    let app = TestApp::spawn().await;
    app.register_ok("s", "\"string\"").await;
    assert_error(
        &app.get("/subjects/s/versions/7").await,
        404,
        40402,
        "Version 7 not found.",
    );
    assert_error(
        &app.delete("/subjects/s/versions/7").await,
        404,
        40402,
        "Version 7 not found.",
    );
    let r = app
        .post(
            "/compatibility/subjects/s/versions/7",
            json!({"schema": "\"string\""}),
        )
        .await;
    assert_error(&r, 404, 40402, "Version 7 not found.");
}

#[tokio::test]
async fn error_40403_schema_not_found_in_both_spellings() {
    let app = TestApp::spawn().await;
    app.register_ok("s", "\"string\"").await;
    assert_error(
        &app.get("/schemas/ids/99").await,
        404,
        40403,
        "Schema 99 not found",
    );
    assert_error(
        &app.get("/schemas/ids/99/schema").await,
        404,
        40403,
        "Schema 99 not found",
    );
    assert_error(
        &app.get("/schemas/ids/-1").await,
        404,
        40403,
        "Schema -1 not found",
    );
    assert_error(
        &app.get("/schemas/ids/99/subjects").await,
        404,
        40403,
        "Schema not found",
    );
    assert_error(
        &app.get("/schemas/ids/99/versions").await,
        404,
        40403,
        "Schema not found",
    );
    let r = app.post("/subjects/s", json!({"schema": "\"long\""})).await;
    assert_error(&r, 404, 40403, "Schema not found");
}

#[tokio::test]
async fn errors_40404_to_40407_follow_the_delete_state_machine() {
    let app = TestApp::spawn().await;
    app.register_ok("s", "\"string\"").await;
    assert_error(
        &app.delete("/subjects/s?permanent=true").await,
        404,
        40405,
        "Subject 's' was not deleted first before being permanently deleted",
    );
    assert_error(
        &app.delete("/subjects/s/versions/1?permanent=true").await,
        404,
        40407,
        "Subject 's' Version 1 was not deleted first before being permanently deleted",
    );
    assert_error(
        &app.delete("/subjects/s/versions/latest?permanent=true")
            .await,
        404,
        40407,
        "Subject 's' Version 1 was not deleted first before being permanently deleted",
    );
    assert_eq!(app.delete("/subjects/s").await.body, json!([1]));
    assert_error(
        &app.delete("/subjects/s").await,
        404,
        40404,
        "Subject 's' was soft deleted.Set permanent=true to delete permanently",
    );
    assert_error(
        &app.delete("/subjects/s/versions/1").await,
        404,
        40406,
        "Subject 's' Version 1 was soft deleted.Set permanent=true to delete permanently",
    );
}

#[tokio::test]
async fn errors_40408_and_40409_for_subjects_without_their_own_settings() {
    let app = TestApp::spawn().await;
    assert_error(
        &app.get("/config/s").await,
        404,
        40408,
        "Subject 's' does not have subject-level compatibility configured",
    );
    assert_error(
        &app.get("/mode/s").await,
        404,
        40409,
        "Subject 's' does not have subject-level mode configured",
    );
}

#[tokio::test]
async fn error_409_lists_every_incompatible_change() {
    let app = TestApp::spawn().await;
    app.register_ok("s", &record("R", &[("a", json!("int"))]))
        .await;
    let new = record("R", &[("a", json!("string")), ("b", json!("long"))]);
    let r = app.register("s", &new).await;
    assert_error(
        &r,
        409,
        409,
        "Schema being registered is incompatible with an earlier schema for subject \"s\", details: [\
         {errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: STRING not compatible with writer type: INT'}, \
         {errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'b'}, \
         {oldSchemaVersion: 1}, \
         {oldSchema: '{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}'}, \
         {validateFields: 'false', compatibility: 'BACKWARD'}]",
    );
}

#[tokio::test]
async fn error_42201_invalid_schemas_say_what_and_where() {
    let app = TestApp::spawn().await;
    let bad = record("R", &[("a", json!("nope"))]);
    assert_error(
        &app.register("s", &bad).await,
        422,
        42201,
        "Invalid schema of type AVRO, details: Undefined name: \"nope\" (at /fields/0/type)",
    );
    assert_error(
        &app.register("s", "not json").await,
        422,
        42201,
        "Invalid schema of type AVRO, details: Invalid JSON: expected ident at line 1 column 2",
    );
    assert_error(&app.register("s", "").await, 422, 42201, "Empty schema");
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": "\"string\"", "schemaType": "avro"}),
        )
        .await;
    assert_error(&r, 422, 42201, "Invalid schema type avro");
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": "\"string\"", "references": [{"name": "x", "subject": "missing", "version": 1}]}),
        )
        .await;
    assert_error(
        &r,
        422,
        42201,
        "Invalid schema, details: No schema reference found for subject \"missing\" and version 1",
    );
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": "\"string\"", "references": [{"name": "x"}]}),
        )
        .await;
    assert_error(
        &r,
        422,
        42201,
        "Invalid reference: name, subject and version are required, got {name=x, subject=, version=}",
    );
    // Tag edits are refused, not dropped: nothing is registered without them. Empty lists are
    // no edits.
    let tags = json!([{"schemaEntity": {"entityPath": "Order.id", "entityType": "SR_FIELD"},
                       "tags": ["PII"]}]);
    for field in ["schemaTagsToAdd", "schemaTagsToRemove"] {
        let r = app
            .post(
                "/subjects/tagged/versions",
                json!({"schema": "\"string\"", field: tags}),
            )
            .await;
        assert_error(
            &r,
            422,
            42201,
            "schemaTagsToAdd and schemaTagsToRemove are not supported: put the tags in the schema itself (confluent:tags) or in metadata.tags",
        );
    }
    assert_eq!(app.get("/subjects/tagged/versions").await.status, 404);
    let r = app
        .post(
            "/subjects/tagged/versions",
            json!({"schema": "\"string\"", "schemaTagsToAdd": [], "schemaTagsToRemove": null}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.register_ok("s", "\"string\"").await;
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": "\"int\"", "version": 5}),
        )
        .await;
    assert_error(
        &r,
        422,
        42201,
        "Version is not one more than previous version",
    );
}

#[tokio::test]
async fn error_42202_for_every_invalid_version() {
    let app = TestApp::spawn().await;
    app.register_ok("s", "\"string\"").await;
    for v in ["0", "-2", "abc", "2147483648", "1.5"] {
        let r = app.get(&format!("/subjects/s/versions/{v}")).await;
        assert_error(
            &r,
            422,
            42202,
            &format!("The specified version '{v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""),
        );
    }
}

#[tokio::test]
async fn error_42203_and_42204_for_invalid_levels_and_modes() {
    let app = TestApp::spawn().await;
    assert_error(
        &app.put("/config", json!({"compatibility": "SIDEWAYS"})).await,
        422,
        42203,
        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive",
    );
    assert_error(
        &app.put("/mode", json!({"mode": "WRITEONLY"})).await,
        422,
        42204,
        "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD.",
    );
}

#[tokio::test]
async fn error_42205_for_operations_the_mode_forbids() {
    let app = TestApp::spawn().await;
    app.register_ok("s", "\"string\"").await;
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": "\"int\"", "id": 100, "version": 2}),
        )
        .await;
    assert_error(&r, 422, 42205, "Subject s is not in import mode");
    app.put("/mode/s", json!({"mode": "READONLY"})).await;
    assert_error(
        &app.register("s", "\"int\"").await,
        422,
        42205,
        "Subject s is in read-only mode",
    );
    assert_error(
        &app.delete("/subjects/s").await,
        422,
        42205,
        "Subject s is in read-only mode",
    );
    assert_error(
        &app.put("/config/s", json!({"compatibility": "NONE"})).await,
        422,
        42205,
        "Subject s is in read-only mode",
    );
    let r = app.put("/mode", json!({"mode": "IMPORT"})).await;
    assert_error(
        &r,
        422,
        42205,
        "Cannot import since found existing subjects",
    );
    app.put("/mode/fresh", json!({"mode": "IMPORT"})).await;
    assert_error(
        &app.register("fresh", "\"int\"").await,
        422,
        42205,
        "Subject fresh is not in read-write mode",
    );
}

#[tokio::test]
async fn error_42206_when_a_referenced_version_is_deleted() {
    let app = TestApp::spawn().await;
    let address = r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}"#;
    app.register_ok("address", address).await;
    let person = r#"{"type":"record","name":"Person","namespace":"acme","fields":[{"name":"home","type":"Address"}]}"#;
    let r = app
        .post(
            "/subjects/person/versions",
            json!({"schema": person, "references": [{"name": "acme.Address", "subject": "address", "version": 1}]}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 2})));
    let message = "One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=address,version=1}.";
    assert_error(
        &app.delete("/subjects/address/versions/1").await,
        422,
        42206,
        message,
    );
    assert_error(&app.delete("/subjects/address").await, 422, 42206, message);
    assert_eq!(
        app.get("/subjects/address/versions/1/referencedby")
            .await
            .body,
        json!([2])
    );
}

#[tokio::test]
async fn error_42208_for_invalid_subject_names() {
    let app = TestApp::spawn().await;
    assert_error(
        &app.register("__GLOBAL", "\"int\"").await,
        422,
        42208,
        "The specified subject '__GLOBAL' is not a valid.",
    );
    assert_error(
        &app.register("a%01b", "\"int\"").await,
        422,
        42208,
        "The specified subject 'a\u{1}b' is not a valid.",
    );
}

#[tokio::test]
async fn error_400_for_malformed_or_mistyped_json_and_bad_utf8() {
    let app = TestApp::spawn().await;
    let r = app
        .raw(
            Method::POST,
            "/subjects/s/versions",
            Some(CONTENT_TYPE),
            b"{".to_vec(),
        )
        .await;
    assert_error(
        &r,
        400,
        400,
        "Invalid JSON body: EOF while parsing an object at line 1 column 1",
    );
    let r = app.post("/subjects/s/versions", json!({"schema": 5})).await;
    assert_error(
        &r,
        400,
        400,
        "Invalid JSON body: invalid type: integer `5`, expected a string at line 1 column 11",
    );
    let r = app
        .raw(
            Method::POST,
            "/subjects/s/versions",
            Some(CONTENT_TYPE),
            b"{\"schema\":\"\xff\"}".to_vec(),
        )
        .await;
    assert_error(
        &r,
        400,
        400,
        "Invalid JSON body: invalid unicode code point at line 1 column 12",
    );
    // Absurd nesting inside the schema text is refused, not a stack overflow.
    let deep = format!("{}\"int\"{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_error(
        &app.register("s", &deep).await,
        422,
        42201,
        "Invalid schema of type AVRO, details: Invalid JSON: recursion limit exceeded at line 1 column 128",
    );
}

#[tokio::test]
async fn error_404_405_for_routes_and_malformed_ids() {
    let app = TestApp::spawn().await;
    assert_error(
        &app.get("/nothing/here").await,
        404,
        404,
        "HTTP 404 Not Found",
    );
    assert_error(
        &app.get("/associations/resources/-/orders?resourceType=topic&associationType=value")
            .await,
        404,
        404,
        "HTTP 404 Not Found",
    );
    assert_error(
        &app.get("/schemas/ids/abc").await,
        404,
        404,
        "HTTP 404 Not Found",
    );
    assert_error(
        &app.get("/subjects?offset=x").await,
        404,
        404,
        "HTTP 404 Not Found",
    );
    assert_error(
        &app.request(Method::PATCH, "/subjects", None).await,
        405,
        405,
        "HTTP 405 Method Not Allowed",
    );
}

#[tokio::test]
async fn error_413_415_422_for_unusable_bodies() {
    let app = TestApp::start(
        std::sync::Arc::new(tempfile::TempDir::new().unwrap()),
        schemata::http::ApiFormat::V7,
        1024,
    )
    .await;
    let big = json!({"schema": "x".repeat(2000)}).to_string().into_bytes();
    let r = app
        .raw(
            Method::POST,
            "/subjects/s/versions",
            Some(CONTENT_TYPE),
            big,
        )
        .await;
    assert_error(
        &r,
        413,
        413,
        "Request body is larger than the limit of 1024 bytes",
    );
    let r = app
        .raw(
            Method::POST,
            "/subjects/s/versions",
            Some("text/plain"),
            b"{}".to_vec(),
        )
        .await;
    assert_error(&r, 415, 415, "HTTP 415 Unsupported Media Type");
    let r = app
        .raw(
            Method::POST,
            "/subjects/s/versions",
            Some(CONTENT_TYPE),
            Vec::new(),
        )
        .await;
    assert_error(&r, 422, 422, "Request body is missing or empty");
    assert_eq!(r.content_type, CONTENT_TYPE);
}

#[tokio::test]
async fn error_50001_when_the_disk_is_full_and_reads_go_on() {
    let Some(fs) = crate::tmpfs::Tmpfs::mount("256k") else {
        return;
    };
    let dir = std::sync::Arc::new(tempfile::TempDir::new_in(&fs.0).unwrap());
    let app = TestApp::start(dir, schemata::http::ApiFormat::V7, 4 * 1024 * 1024).await;
    let mut acknowledged = Vec::new();
    let mut failed = None;
    for i in 0..5000 {
        let schema = record(
            &format!("R{i}"),
            &[(
                "padding",
                json!({"type": "fixed", "name": format!("P{i}"), "size": 1}),
            )],
        );
        let r = app.register(&format!("s{i}"), &schema).await;
        if r.status == 200 {
            acknowledged.push(format!("s{i}"));
        } else {
            failed = Some(r);
            break;
        }
    }
    let failed = failed.expect("the disk filled up");
    assert_error(&failed, 500, 50001, "Error while registering schema");
    // Reads still answer, from memory, with exactly what was acknowledged.
    acknowledged.sort();
    assert_eq!(app.get("/subjects").await.body, json!(acknowledged));
    // Writes go on where they fit (the failed append was cut back), and only those count.
    let again = app.register("late", "\"string\"").await;
    match again.status {
        200 => acknowledged.push("late".to_string()),
        _ => assert_error(&again, 500, 50001, "Error while registering schema"),
    }
    acknowledged.sort();
    assert_eq!(app.get("/subjects").await.body, json!(acknowledged));
    let app = app.restart().await;
    assert_eq!(app.get("/subjects").await.body, json!(acknowledged));
}
