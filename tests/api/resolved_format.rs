//! `format=resolved` for Avro: the referenced named types defined inline where first used, as
//! Avro Java prints a schema parsed after its references; everything else in the response as
//! without it.

use serde_json::json;

use crate::helpers::TestApp;

const MONEY: &str = r#"{"type":"record","name":"Money","namespace":"acme","fields":[{"name":"cents","type":"long"}]}"#;
const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"total","type":"acme.Money"},{"name":"lines","type":{"type":"array","items":"acme.Money"}}]}"#;
const RESOLVED: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"total","type":{"type":"record","name":"Money","namespace":"acme","fields":[{"name":"cents","type":"long"}]}},{"name":"lines","type":{"type":"array","items":"acme.Money"}}]}"#;

#[tokio::test]
async fn format_resolved_inlines_an_avro_schemas_references() {
    let app = TestApp::spawn().await;
    app.register_ok("money", MONEY).await;
    let references = json!([{"name": "acme.Money", "subject": "money", "version": 1}]);
    let r = app
        .post(
            "/subjects/orders-value/versions",
            json!({"schema": ORDER, "references": references}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 2})));

    let version = |schema: &str| json!({"subject": "orders-value", "version": 1, "id": 2, "references": references, "schema": schema});
    let r = app
        .get("/subjects/orders-value/versions/1?format=resolved")
        .await;
    assert_eq!((r.status, r.body), (200, version(RESOLVED)));
    let r = app.get("/subjects/orders-value/versions/1").await;
    assert_eq!((r.status, r.body), (200, version(ORDER)));
    let r = app
        .get("/subjects/orders-value/versions/latest/schema?format=resolved")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        serde_json::from_str::<serde_json::Value>(RESOLVED).unwrap()
    );
    let r = app.get("/schemas/ids/2?format=resolved").await;
    assert_eq!(
        (r.status, r.body),
        (200, json!({"schema": RESOLVED, "references": references}))
    );
    let r = app
        .post(
            "/subjects/orders-value?format=resolved",
            json!({"schema": ORDER, "references": references}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, version(RESOLVED)));

    // A schema without references is its own resolved form.
    let r = app.get("/schemas/ids/1?format=resolved").await;
    assert_eq!((r.status, r.body), (200, json!({"schema": MONEY})));
}
