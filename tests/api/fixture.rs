//! Confluent's `_schemas` records as a fixture (real key/value shapes: magic 0 and 1 keys, both
//! global key spellings, DELETE_SUBJECT, CLEAR_SUBJECT, NOOP, tombstones, references), and the
//! answers a registry holding them gives: imported from a dump (`moving.rs`) or taken over from
//! a topic (`kafka.rs`), the state must be the same.

use serde_json::json;

use crate::helpers::{assert_error, TestApp};

pub const FIXTURE: &str = include_str!("../fixtures/confluent-schemas.txt");

/// Checks `app` answers as a registry holding exactly [`FIXTURE`]'s state.
pub async fn serves_the_fixture(app: &TestApp) {
    let order = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"customer","type":"shop.Customer"}]}"#;
    let golden = [
        (
            "/subjects",
            json!(["customer", "orders-value", "payments-value"]),
        ),
        (
            "/subjects?deleted=true",
            json!(["customer", "orders-value", "payments-value"]),
        ),
        ("/subjects/payments-value/versions", json!([1])),
        (
            "/subjects/payments-value/versions?deleted=true",
            json!([1, 2]),
        ),
        (
            "/schemas/ids/2",
            json!({"schema": order, "references": [{"name": "shop.Customer", "subject": "customer", "version": 1}]}),
        ),
        (
            "/subjects/payments-value/versions/2?deleted=true",
            json!({"subject": "payments-value", "version": 2, "id": 4, "schemaType": "PROTOBUF",
                   "schema": "syntax = \"proto3\";\npackage shop;\n\nmessage Payment {\n  string id = 1;\n  int64 cents = 2;\n}\n"}),
        ),
        ("/config", json!({"compatibilityLevel": "FULL_TRANSITIVE"})),
        (
            "/config/orders-value",
            json!({"compatibilityLevel": "FULL", "normalize": true}),
        ),
        ("/mode", json!({"mode": "READWRITE"})),
        ("/mode/customer", json!({"mode": "READONLY"})),
    ];
    for (path, body) in golden {
        let r = app.get(path).await;
        assert_eq!((r.status, r.body), (200, body), "{path}");
    }
    assert_error(
        &app.get("/schemas/ids/5").await,
        404,
        40403,
        "Schema 5 not found",
    );
    assert_error(
        &app.get("/subjects/legacy/versions?deleted=true").await,
        404,
        40401,
        "Subject 'legacy' not found.",
    );
    assert_error(
        &app.get("/subjects/staging/versions?deleted=true").await,
        404,
        40401,
        "Subject 'staging' not found.",
    );
    assert_error(
        &app.get("/config/payments-value").await,
        404,
        40408,
        "Subject 'payments-value' does not have subject-level compatibility configured",
    );
}
