//! Data contracts: `metadata` and `ruleSet` kept with each version, returned everywhere, part of
//! the identity, merged with the config's defaults and overrides as Confluent merges them.

use schemata::http::ApiFormat;
use serde_json::{json, Value};

use crate::helpers::{assert_error, record, TestApp};
use crate::pg::TestDb;

fn order(fields: &[(&str, Value)]) -> String {
    record("Order", fields)
}

fn v1() -> String {
    order(&[("id", json!("long"))])
}

fn v2() -> String {
    order(&[
        ("id", json!("long")),
        ("note", json!({"type": "string", "default": ""})),
    ])
}

/// A metadata object as a client sends it: tag values and sensitive names out of order.
fn metadata_sent() -> Value {
    json!({
        "properties": {"owner": "payments", "email": "pay@example.com"},
        "tags": {"Order.ssn": ["PRIVATE", "PII", "PII"]},
        "sensitive": ["ssn", "card"]
    })
}

/// The same metadata as Confluent keeps and returns it: sorted sets, duplicates dropped.
fn metadata_kept() -> Value {
    json!({
        "properties": {"email": "pay@example.com", "owner": "payments"},
        "tags": {"Order.ssn": ["PII", "PRIVATE"]},
        "sensitive": ["card", "ssn"]
    })
}

fn rules_sent() -> Value {
    json!({
        "domainRules": [{
            "name": "checkId", "type": "CEL", "kind": "CONDITION",
            "expr": "message.id > 0", "tags": ["PII"], "onFailure": "ERROR"
        }],
        "migrationRules": [{
            "name": "upgrade", "type": "JSONATA", "mode": "UPGRADE", "expr": "$"
        }]
    })
}

/// Kinds and modes defaulted as Confluent's `Rule` constructor does; `disabled` always written.
fn rules_kept() -> Value {
    json!({
        "migrationRules": [{
            "name": "upgrade", "kind": "TRANSFORM", "mode": "UPGRADE", "type": "JSONATA",
            "expr": "$", "disabled": false
        }],
        "domainRules": [{
            "name": "checkId", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL",
            "tags": ["PII"], "expr": "message.id > 0", "onFailure": "ERROR", "disabled": false
        }]
    })
}

/// Every endpoint that returns version 1 of `orders-value` returns it whole.
async fn check(app: &TestApp, version: &Value, by_id: &Value) {
    let r = app.get("/subjects/orders-value/versions/1").await;
    assert_eq!((r.status, &r.body), (200, version));
    let r = app.get("/subjects/orders-value/versions/latest").await;
    assert_eq!((r.status, &r.body), (200, version));
    let r = app.get("/schemas/ids/1").await;
    assert_eq!((r.status, &r.body), (200, by_id));
    let r = app.get("/schemas").await;
    assert_eq!((r.status, &r.body), (200, &json!([version])));
    // The lookup matches with the contract sent, in any spelling of it.
    let r = app
        .post(
            "/subjects/orders-value",
            json!({"schema": v1(), "metadata": metadata_sent(), "ruleSet": rules_sent()}),
        )
        .await;
    assert_eq!((r.status, &r.body), (200, version));
}

/// Registers a contract, then checks every endpoint that returns it, before and after the
/// registry replays its store.
async fn contract_round_trip(app: TestApp) {
    let r = app
        .post(
            "/subjects/orders-value/versions",
            json!({"schema": v1(), "metadata": metadata_sent(), "ruleSet": rules_sent()}),
        )
        .await;
    // Nothing was merged in: the registry stored what was sent (in Confluent's form).
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    let version = json!({
        "subject": "orders-value", "version": 1, "id": 1,
        "metadata": metadata_kept(), "ruleSet": rules_kept(), "schema": v1()
    });
    let by_id = json!({"schema": v1(), "metadata": metadata_kept(), "ruleSet": rules_kept()});
    check(&app, &version, &by_id).await;
    // Re-registering the same schema and contract is the same version.
    let r = app
        .post(
            "/subjects/orders-value/versions",
            json!({"schema": v1(), "metadata": metadata_kept(), "ruleset": rules_kept()}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    let app = app.restart().await;
    check(&app, &version, &by_id).await;
    // A soft delete keeps the contract.
    assert_eq!(
        app.delete("/subjects/orders-value/versions/1").await.body,
        json!(1)
    );
    let app = app.restart().await;
    let r = app
        .get("/subjects/orders-value/versions/1?deleted=true")
        .await;
    assert_eq!((r.status, r.body), (200, version));
}

#[tokio::test]
async fn contracts_are_kept_and_returned_by_the_embedded_log_through_a_restart() {
    contract_round_trip(TestApp::spawn().await).await;
}

#[tokio::test]
async fn contracts_are_kept_and_returned_by_postgres_through_a_restart() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    contract_round_trip(TestApp::on(&db.url, ApiFormat::V7, 4 * 1024 * 1024).await).await;
}

#[tokio::test]
async fn the_8x_bodies_carry_the_contract_and_its_guid() {
    let app = TestApp::spawn_with(ApiFormat::V8).await;
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": "\"string\"", "metadata": {"properties": {"a": "1"}}}),
        )
        .await;
    assert_eq!(r.status, 200);
    let guid = r.body["guid"].as_str().unwrap().to_string();
    let ts = r.body["ts"].clone();
    assert_eq!(
        r.body,
        json!({"id": 1, "version": 1, "guid": guid, "schemaType": "AVRO",
               "metadata": {"properties": {"a": "1"}}, "schema": "\"string\"",
               "ts": ts, "deleted": false})
    );
    // The guid covers the metadata: the plain schema's is another.
    let plain = app
        .post("/subjects/t/versions", json!({"schema": "\"string\""}))
        .await;
    assert_eq!(plain.body["id"], 2);
    assert_ne!(plain.body["guid"], json!(guid));
    let r = app.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"guid": guid, "schemaType": "AVRO", "schema": "\"string\"",
                   "metadata": {"properties": {"a": "1"}}})
        )
    );
}

#[tokio::test]
async fn the_same_text_with_new_metadata_is_a_new_version_and_id() {
    let app = TestApp::spawn().await;
    let with = |owner: &str| json!({"schema": v1(), "metadata": {"properties": {"owner": owner}}});
    assert_eq!(
        app.post("/subjects/s/versions", with("a")).await.body,
        json!({"id": 1})
    );
    assert_eq!(
        app.post("/subjects/s/versions", with("b")).await.body,
        json!({"id": 2})
    );
    assert_eq!(
        app.post("/subjects/s/versions", with("a")).await.body,
        json!({"id": 1})
    );
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1, 2]));
    // Another subject with the same text and metadata shares the id.
    assert_eq!(
        app.post("/subjects/t/versions", with("b")).await.body,
        json!({"id": 2})
    );
}

#[tokio::test]
async fn a_request_without_a_contract_inherits_the_previous_versions() {
    let app = TestApp::spawn().await;
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    let first = json!({"schema": v1(), "metadata": metadata_sent(), "ruleSet": rules_sent()});
    assert_eq!(
        app.post("/subjects/s/versions", first).await.body,
        json!({"id": 1})
    );
    // Re-sending the schema alone finds version 1: it would inherit that very contract.
    assert_eq!(
        app.post("/subjects/s/versions", json!({"schema": v1()}))
            .await
            .body,
        json!({"id": 1, "version": 1, "metadata": metadata_kept(), "ruleSet": rules_kept(), "schema": v1()})
    );
    // A new schema alone gets version 1's contract; 7.x answers with the whole (changed) schema.
    let r = app
        .post("/subjects/s/versions", json!({"schema": v2()}))
        .await;
    let stored = json!({"id": 2, "version": 2, "metadata": metadata_kept(), "ruleSet": rules_kept(), "schema": v2()});
    assert_eq!((r.status, r.body), (200, stored));
    let r = app.get("/subjects/s/versions/2").await;
    assert_eq!(
        r.body,
        json!({"subject": "s", "version": 2, "id": 2, "metadata": metadata_kept(), "ruleSet": rules_kept(), "schema": v2()})
    );
    // The lookup of the plain schema finds it after the same merge.
    let r = app.post("/subjects/s", json!({"schema": v2()})).await;
    assert_eq!((r.status, r.body["version"].clone()), (200, json!(2)));
}

#[tokio::test]
async fn an_empty_schema_with_new_metadata_makes_a_new_version() {
    let app = TestApp::spawn().await;
    app.register_ok("s", &v1()).await;
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"metadata": {"properties": {"owner": "team-b"}}}),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"id": 2, "version": 2, "metadata": {"properties": {"owner": "team-b"}}, "schema": v1()})
        )
    );
    // The same request again changes nothing.
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"metadata": {"properties": {"owner": "team-b"}}}),
        )
        .await;
    assert_eq!(r.body["version"], 2);
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1, 2]));
    // Without a previous version there is nothing to reuse.
    let r = app
        .post(
            "/subjects/empty/versions",
            json!({"metadata": {"properties": {"a": "b"}}}),
        )
        .await;
    assert_error(&r, 422, 42201, "Empty schema");
}

#[tokio::test]
async fn config_defaults_fill_and_overrides_win_in_confluents_order() {
    let app = TestApp::spawn().await;
    let config = json!({
        "compatibility": "NONE",
        "defaultMetadata": {"properties": {"owner": "default", "tier": "gold"}},
        "overrideMetadata": {"properties": {"tier": "platinum"}},
        "defaultRuleSet": {"domainRules": [{"name": "r1", "type": "CEL", "expr": "true"}]},
        "overrideRuleSet": {"domainRules": [{"name": "r2", "type": "CEL", "expr": "false", "mode": "WRITE"}]}
    });
    let r = app.put("/config/s", config).await;
    assert_eq!(r.status, 200);
    let kept = json!({
        "compatibilityLevel": "NONE",
        "defaultMetadata": {"properties": {"owner": "default", "tier": "gold"}},
        "overrideMetadata": {"properties": {"tier": "platinum"}},
        "defaultRuleSet": {"domainRules": [{"name": "r1", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "CEL", "expr": "true", "disabled": false}]},
        "overrideRuleSet": {"domainRules": [{"name": "r2", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL", "expr": "false", "disabled": false}]}
    });
    assert_eq!(app.get("/config/s").await.body, kept);
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": v1(), "metadata": {"properties": {"owner": "me"}}}),
        )
        .await;
    let merged_metadata = json!({"properties": {"owner": "me", "tier": "platinum"}});
    let merged_rules = json!({"domainRules": [
        {"name": "r1", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "CEL", "expr": "true", "disabled": false},
        {"name": "r2", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL", "expr": "false", "disabled": false}
    ]});
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"id": 1, "version": 1, "metadata": merged_metadata, "ruleSet": merged_rules, "schema": v1()})
        )
    );
    // The same request again is the same version, and the lookup finds it after the merge.
    let again = json!({"schema": v1(), "metadata": {"properties": {"owner": "me"}}});
    assert_eq!(
        app.post("/subjects/s/versions", again.clone()).await.body["version"],
        1
    );
    let r = app.post("/subjects/s", again).await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"subject": "s", "version": 1, "id": 1, "metadata": merged_metadata, "ruleSet": merged_rules, "schema": v1()})
        )
    );
    // Clearing a field with null leaves the others.
    let r = app
        .put(
            "/config/s",
            json!({"overrideMetadata": null, "defaultRuleSet": null, "overrideRuleSet": null}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.get("/config/s").await.body,
        json!({"compatibilityLevel": "NONE", "defaultMetadata": {"properties": {"owner": "default", "tier": "gold"}}})
    );
    // The global defaults apply to a subject without a config of its own.
    app.put(
        "/config",
        json!({"defaultMetadata": {"properties": {"owner": "global"}}}),
    )
    .await;
    let r = app
        .post("/subjects/other/versions", json!({"schema": v1()}))
        .await;
    assert_eq!(
        r.body,
        json!({"id": 2, "version": 1, "metadata": {"properties": {"owner": "global"}}, "schema": v1()})
    );
}

#[tokio::test]
async fn confluent_version_follows_the_version_once_set() {
    let app = TestApp::spawn().await;
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    // Naming the version asks for confluent:version.
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": v1(), "version": 1}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"id": 1, "version": 1, "metadata": {"properties": {"confluent:version": "1"}}, "schema": v1()})
    );
    // Inherited, it is moved to the new version.
    let r = app
        .post("/subjects/s/versions", json!({"schema": v2()}))
        .await;
    assert_eq!(
        r.body,
        json!({"id": 2, "version": 2, "metadata": {"properties": {"confluent:version": "2"}}, "schema": v2()})
    );
    // A request without it finds the version that has it.
    let r = app.post("/subjects/s", json!({"schema": v1()})).await;
    assert_eq!((r.status, r.body["version"].clone()), (200, json!(1)));
    assert_eq!(
        app.post("/subjects/s/versions", json!({"schema": v1()}))
            .await
            .body["id"],
        1
    );
    assert_eq!(app.get("/subjects/s/versions").await.body, json!([1, 2]));
}

#[tokio::test]
async fn bad_rule_sets_are_refused_with_42210_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let dup = json!({"domainRules": [
        {"name": "a", "type": "CEL", "expr": "true"},
        {"name": "a", "type": "CEL", "expr": "false"}
    ]});
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": v1(), "ruleSet": dup}),
        )
        .await;
    assert_error(&r, 422, 42210, "Found rule with duplicate name 'a'");
    let cases = [
        (
            json!({"domainRules": [{"type": "CEL"}]}),
            "Missing rule name",
        ),
        (json!({"domainRules": [{"name": "a"}]}), "Missing rule type"),
        (
            json!({"domainRules": [{"name": "1a", "type": "CEL"}]}),
            "Illegal initial character in rule name: 1a",
        ),
        (
            json!({"migrationRules": [{"name": "m", "type": "JSONATA", "mode": "WRITE"}]}),
            "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN",
        ),
        (
            json!({"encodingRules": [{"name": "e", "type": "ENCRYPT", "mode": "UPGRADE"}]}),
            "Encoding rules can only be WRITE, READ, WRITEREAD",
        ),
        (
            json!({"domainRules": [{"name": "a", "type": "CEL", "mode": "READ", "onFailure": "ERROR,NONE"}]}),
            "Multiple actions only valid with WRITEREAD and UPDOWN",
        ),
    ];
    for (rules, message) in cases {
        let r = app
            .post(
                "/subjects/s/versions",
                json!({"schema": v1(), "ruleSet": rules.clone()}),
            )
            .await;
        assert_error(&r, 422, 42210, message);
        let r = app.put("/config/s", json!({"defaultRuleSet": rules})).await;
        assert_error(&r, 422, 42210, message);
    }
    assert_error(
        &app.get("/subjects/s/versions").await,
        404,
        40401,
        "Subject 's' not found.",
    );
    assert_error(
        &app.get("/config/s").await,
        404,
        40408,
        "Subject 's' does not have subject-level compatibility configured",
    );
    // A kind or mode Confluent does not know does not map onto its enums: a 400.
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": v1(), "ruleSet": {"domainRules": [{"name": "a", "type": "CEL", "kind": "MAYBE"}]}}),
        )
        .await;
    assert_error(
        &r,
        400,
        400,
        "Invalid JSON body: unknown rule kind 'MAYBE', expected TRANSFORM or CONDITION",
    );
    // Serde would read a rule from an array; Jackson would not.
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": v1(), "ruleSet": {"domainRules": [["a", null]]}}),
        )
        .await;
    assert_error(
        &r,
        400,
        400,
        "Invalid JSON body: invalid type: sequence, expected a JSON object at line 1 column 128",
    );
    let r = app
        .put("/config/s", json!({"defaultMetadata": ["x"]}))
        .await;
    assert_error(
        &r,
        400,
        400,
        "Invalid JSON body: defaultMetadata: invalid type: sequence, expected a JSON object",
    );
}

#[tokio::test]
async fn compatibility_is_checked_only_within_the_compatibility_group() {
    let app = TestApp::spawn().await;
    let r = app
        .put(
            "/config/s",
            json!({"compatibility": "BACKWARD", "compatibilityGroup": "major"}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"compatibility": "BACKWARD", "compatibilityGroup": "major"})
    );
    let major = |n: &str, schema: String| json!({"schema": schema, "metadata": {"properties": {"major": n}}});
    let int_id = order(&[("id", json!("int"))]);
    let string_id = order(&[("id", json!("string"))]);
    assert_eq!(
        app.post("/subjects/s/versions", major("1", int_id))
            .await
            .body,
        json!({"id": 1})
    );
    // An incompatible change in the same group is refused...
    let r = app
        .post("/subjects/s/versions", major("1", string_id.clone()))
        .await;
    assert_eq!((r.status, r.body["error_code"].clone()), (409, json!(409)));
    let r = app
        .post(
            "/compatibility/subjects/s/versions/latest",
            major("1", string_id.clone()),
        )
        .await;
    assert_eq!(r.body, json!({"is_compatible": false}));
    // ...and accepted as the start of a new group.
    let r = app
        .post(
            "/compatibility/subjects/s/versions",
            major("2", string_id.clone()),
        )
        .await;
    assert_eq!(r.body, json!({"is_compatible": true}));
    assert_eq!(
        app.post("/subjects/s/versions", major("2", string_id))
            .await
            .body,
        json!({"id": 2})
    );
    assert_eq!(
        app.get("/config/s").await.body,
        json!({"compatibilityLevel": "BACKWARD", "compatibilityGroup": "major"})
    );
}

#[tokio::test]
async fn config_fields_are_stored_returned_and_survive_a_restart() {
    let app = TestApp::spawn().await;
    let r = app
        .put(
            "/config",
            json!({"validateRules": true, "validateFields": false, "compatibilityGroup": "g"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"validateRules": true, "validateFields": false, "compatibilityGroup": "g"})
        )
    );
    let app = app.restart().await;
    assert_eq!(
        app.get("/config").await.body,
        json!({"compatibilityLevel": "BACKWARD", "validateRules": true, "validateFields": false, "compatibilityGroup": "g"})
    );
    // validateFields is honoured (tests/api/validate_fields.rs), so stored.
    let r = app.put("/config/s", json!({"validateFields": true})).await;
    assert_eq!((r.status, r.body), (200, json!({"validateFields": true})));
    let r = app.get("/config/s").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"compatibilityLevel": "BACKWARD", "validateFields": true})
        )
    );
}

#[tokio::test]
async fn the_latest_version_with_metadata_is_found_by_its_properties() {
    let app = TestApp::spawn().await;
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    let with = |schema: String, major: &str| json!({"schema": schema, "metadata": {"properties": {"major": major, "team": "a"}}});
    app.post("/subjects/s/versions", with(v1(), "1")).await;
    app.post("/subjects/s/versions", with(v2(), "2")).await;
    app.post(
        "/subjects/s/versions",
        with(order(&[("x", json!("int"))]), "1"),
    )
    .await;
    let r = app
        .get("/subjects/s/metadata?key=major&value=2&key=team&value=a")
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"subject": "s", "version": 2, "id": 2,
                   "metadata": {"properties": {"major": "2", "team": "a"}}, "schema": v2()})
        )
    );
    let r = app.get("/subjects/s/metadata?key=major&value=1").await;
    assert_eq!(r.body["version"], 3);
    // Soft-deleted versions count only when asked for.
    app.delete("/subjects/s/versions/2").await;
    let r = app.get("/subjects/s/metadata?key=major&value=2").await;
    assert_error(&r, 404, 40403, "Schema not found");
    let r = app
        .get("/subjects/s/metadata?key=major&value=2&deleted=true")
        .await;
    assert_eq!(r.body["version"], 2);
    let r = app.get("/subjects/nope/metadata?key=major&value=2").await;
    assert_error(&r, 404, 40401, "Subject 'nope' not found.");
}

#[tokio::test]
async fn schemas_are_listed_by_rule_type() {
    let app = TestApp::spawn().await;
    app.post(
        "/subjects/a/versions",
        json!({"schema": v1(), "ruleSet": rules_sent()}),
    )
    .await;
    app.register_ok("b", &v2()).await;
    let r = app.get("/schemas?ruleType=JSONATA").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!([{"subject": "a", "version": 1, "id": 1, "ruleSet": rules_kept(), "schema": v1()}])
        )
    );
    assert_eq!(app.get("/schemas?ruleType=ENCRYPT").await.body, json!([]));
    assert_eq!(
        app.get("/schemas?ruleType=")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// In read-only mode only the fast path (no parse, no writer lock) can answer a registration:
/// a known schema sent again with its contract, or without it (inherited), still finds it.
#[tokio::test]
async fn re_registering_with_a_contract_stays_on_the_fast_path() {
    let app = TestApp::spawn().await;
    let sent = json!({"schema": v1(), "metadata": metadata_sent(), "ruleSet": rules_sent()});
    assert_eq!(
        app.post("/subjects/s/versions", sent.clone()).await.body,
        json!({"id": 1})
    );
    app.put("/mode/s", json!({"mode": "READONLY"})).await;
    assert_eq!(
        app.post("/subjects/s/versions", sent).await.body,
        json!({"id": 1})
    );
    let r = app
        .post("/subjects/s/versions", json!({"schema": v1()}))
        .await;
    assert_eq!((r.status, r.body["id"].clone()), (200, json!(1)));
    // Something new needs the writer, which the mode refuses.
    let r = app
        .post(
            "/subjects/s/versions",
            json!({"schema": v1(), "metadata": {"properties": {"owner": "x"}}}),
        )
        .await;
    assert_error(&r, 422, 42205, "Subject s is in read-only mode");
}

#[tokio::test]
async fn an_alias_reads_and_writes_the_subject_it_names() {
    let app = TestApp::spawn_with(ApiFormat::V8).await;
    let r = app
        .put("/config/orders-alias", json!({"alias": "orders"}))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"alias": "orders"})));
    // Registering through the alias registers under the subject it names.
    let r = app
        .post("/subjects/orders-alias/versions", json!({"schema": v1()}))
        .await;
    assert_eq!(r.body["id"], 1);
    assert_eq!(app.get("/subjects").await.body, json!(["orders"]));
    let r = app.get("/subjects/orders-alias/versions/1").await;
    assert_eq!(
        (
            r.status,
            r.body["subject"].clone(),
            r.body["schema"].clone()
        ),
        (200, json!("orders"), json!(v1()))
    );
    let r = app
        .post(
            "/compatibility/subjects/orders-alias/versions/latest",
            json!({"schema": order(&[("id", json!("string"))])}),
        )
        .await;
    assert_eq!(r.body, json!({"is_compatible": false}));
    // The alias's own config is still its own: it can be read and removed.
    assert_eq!(
        app.get("/config/orders-alias").await.body,
        json!({"alias": "orders", "compatibilityLevel": "BACKWARD"})
    );
    let app = app.restart().await;
    assert_eq!(
        app.get("/subjects/orders-alias/versions/latest").await.body["subject"],
        "orders"
    );
    app.put("/config/orders-alias", json!({"alias": null}))
        .await;
    let r = app.get("/subjects/orders-alias/versions/latest").await;
    assert_error(&r, 404, 40401, "Subject 'orders-alias' not found.");
}

#[tokio::test]
async fn imports_keep_the_contract_they_carry_and_an_id_cannot_change_contract() {
    let app = TestApp::spawn().await;
    app.put("/mode/s", json!({"mode": "IMPORT"})).await;
    app.put(
        "/config/s",
        json!({"overrideMetadata": {"properties": {"owner": "override"}}}),
    )
    .await;
    let imported =
        json!({"schema": v1(), "id": 7, "version": 3, "metadata": {"properties": {"owner": "a"}}});
    let r = app.post("/subjects/s/versions", imported.clone()).await;
    assert_eq!((r.status, r.body), (200, json!({"id": 7})));
    // The config does not touch an import: it copies what another registry stored.
    assert_eq!(
        app.get("/subjects/s/versions/3").await.body,
        json!({"subject": "s", "version": 3, "id": 7, "metadata": {"properties": {"owner": "a"}}, "schema": v1()})
    );
    assert_eq!(
        app.post("/subjects/s/versions", imported).await.body,
        json!({"id": 7})
    );
    let other =
        json!({"schema": v1(), "id": 7, "version": 4, "metadata": {"properties": {"owner": "b"}}});
    let r = app.post("/subjects/s/versions", other).await;
    assert_error(
        &r,
        422,
        42205,
        "Overwrite new schema with id 7 is not permitted.",
    );
}
