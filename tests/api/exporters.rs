//! Schema exporters (issue 18): Confluent's `/exporters` API, and what an exporter does to its
//! destination, checked on the destination's own API.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{assert_error, record, TestApp};

/// Polls `path` on `app` until `want` holds, failing after two seconds.
async fn within_2s(app: &TestApp, path: &str, want: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let r = app.get(path).await;
        if want(&r.body) {
            return r.body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{path} not as expected after 2 s: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn exporter(name: &str, destination: &str) -> Value {
    json!({
        "name": name,
        "subjects": ["orders-*", "customer"],
        "contextType": "NONE",
        "config": {"schema.registry.url": destination, "basic.auth.user.info": "u:secret"}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_exporter_api_answers_as_confluent_s() {
    let app = TestApp::spawn().await;
    let r = app
        .post("/exporters", exporter("to-b", "http://b:8081"))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"name": "to-b"})));
    assert_error(
        &app.post("/exporters", exporter("to-b", "http://b:8081"))
            .await,
        409,
        40960,
        "Exporter 'to-b' already exists.",
    );
    assert_error(
        &app.post("/exporters", json!({"name": "x"})).await,
        409,
        40951,
        "Missing or invalid exporter config: the exporter has no config",
    );
    assert_error(
        &app.post("/exporters", exporter("bad name", "http://b:8081"))
            .await,
        409,
        40950,
        "Missing or invalid exporter name: 'bad name'",
    );
    let mut custom = exporter("custom", "http://b:8081");
    custom["contextType"] = json!("CUSTOM");
    assert_error(
        &app.post("/exporters", custom.clone()).await,
        409,
        40951,
        "Missing or invalid exporter config: contextType CUSTOM needs a context (for example \".dr\")",
    );
    custom["context"] = json!(".d:r");
    assert_error(
        &app.post("/exporters", custom).await,
        409,
        40951,
        "Missing or invalid exporter config: Context name '.d:r' cannot contain a colon",
    );
    let mut other = exporter("other", "http://b:8081");
    other["contextType"] = json!("SOMEWHERE");
    assert_error(
        &app.post("/exporters", other).await,
        409,
        40951,
        "Missing or invalid exporter config: contextType SOMEWHERE is not one of AUTO, CUSTOM, NONE",
    );
    assert_error(
        &app.post("/exporters", exporter("x", "b:8081")).await,
        409,
        40951,
        "Missing or invalid exporter config: schema.registry.url must be the destination's http:// or https:// URL",
    );
    let mut rename = exporter("x", "http://b:8081");
    rename["subjectRenameFormat"] = json!("dc1.subject");
    assert_error(
        &app.post("/exporters", rename).await,
        409,
        40952,
        "Invalid exporter subjects: subjectRenameFormat 'dc1.subject' does not contain ${subject}",
    );
    assert_eq!(app.get("/exporters").await.body, json!(["to-b"]));
    let r = app.get("/exporters/to-b").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"name": "to-b", "subjects": ["orders-*", "customer"], "contextType": "NONE",
                   "config": {"basic.auth.user.info": "[hidden]", "schema.registry.url": "http://b:8081"}})
        )
    );
    let r = app.get("/exporters/to-b/config").await;
    assert_eq!(
        r.body,
        json!({"basic.auth.user.info": "[hidden]", "schema.registry.url": "http://b:8081"})
    );
    assert_error(
        &app.get("/exporters/nope").await,
        404,
        40450,
        "Exporter 'nope' not found.",
    );
    assert_error(
        &app.put("/exporters/to-b", json!({"subjects": ["*"]})).await,
        409,
        40963,
        "Exporter 'to-b' is not paused.",
    );
    assert_error(
        &app.request(reqwest::Method::PUT, "/exporters/to-b/resume", None)
            .await,
        409,
        40961,
        "Exporter 'to-b' is already running.",
    );
    let put = |path: &'static str| app.request(reqwest::Method::PUT, path, None);
    assert_eq!(
        put("/exporters/to-b/pause").await.body,
        json!({"name": "to-b"})
    );
    assert_error(
        &put("/exporters/to-b/pause").await,
        409,
        40962,
        "Exporter 'to-b' is already paused.",
    );
    let r = app
        .put(
            "/exporters/to-b/config",
            json!({"schema.registry.url": "http://c:8081"}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"name": "to-b"})));
    let r = app
        .put(
            "/exporters/to-b",
            json!({"subjects": ["*"], "subjectRenameFormat": "dc1.${subject}"}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"name": "to-b"})));
    assert_eq!(
        app.get("/exporters/to-b").await.body,
        json!({"name": "to-b", "subjects": ["*"], "subjectRenameFormat": "dc1.${subject}", "contextType": "NONE",
               "config": {"basic.auth.user.info": "[hidden]", "schema.registry.url": "http://c:8081"}})
    );
    let status = app.get("/exporters/to-b/status").await.body;
    assert_eq!(
        (&status["name"], &status["state"], &status["offset"]),
        (&json!("to-b"), &json!("PAUSED"), &json!(0))
    );
    let r = app.delete("/exporters/to-b").await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get("/exporters").await.body, json!([]));
    // The definitions survive a restart.
    app.post("/exporters", exporter("kept", "http://b:8081"))
        .await;
    let app = app.restart().await;
    assert_eq!(app.get("/exporters").await.body, json!(["kept"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exporter_keeps_its_destination_in_step_within_two_seconds() {
    let source = TestApp::spawn().await;
    let destination = TestApp::spawn().await;
    destination.put("/mode", json!({"mode": "IMPORT"})).await;
    let r = source
        .post("/exporters", exporter("to-b", &destination.base))
        .await;
    assert_eq!(r.status, 200);

    // Each change on the source reaches the destination before the next is made, so the
    // exporter's offset counts them one by one.
    let offset = |n: u64| {
        let source = &source;
        async move {
            within_2s(source, "/exporters/to-b/status", |b| b["offset"] == n).await;
        }
    };
    let customer = record("Customer", &[("id", json!("long"))]);
    assert_eq!(source.register_ok("customer", &customer).await, 1);
    assert_eq!(source.register_ok("not-exported", "\"int\"").await, 2);
    within_2s(&destination, "/subjects", |b| *b == json!(["customer"])).await;
    offset(1).await;
    let order = source
        .post(
            "/subjects/orders-value/versions",
            json!({"schema": record("Order", &[("customer", json!("Customer"))]),
                   "references": [{"name": "Customer", "subject": "customer", "version": 1}]}),
        )
        .await;
    assert_eq!(order.body, json!({"id": 3}));
    within_2s(&destination, "/subjects", |b| {
        *b == json!(["customer", "orders-value"])
    })
    .await;
    offset(2).await;
    assert_eq!(
        destination
            .get("/subjects/orders-value/versions/1")
            .await
            .body,
        source.get("/subjects/orders-value/versions/1").await.body
    );
    assert_eq!(
        destination.get("/schemas/ids/3").await.body,
        source.get("/schemas/ids/3").await.body
    );

    // A config change, registrations, a soft delete, a hard delete, a config deleted.
    source
        .put("/config/orders-value", json!({"compatibility": "NONE"}))
        .await;
    within_2s(&destination, "/config/orders-value", |b| {
        *b == json!({"compatibilityLevel": "NONE"})
    })
    .await;
    offset(3).await;
    assert_eq!(source.register_ok("orders-value", "\"string\"").await, 4);
    assert_eq!(source.register_ok("orders-value", "\"long\"").await, 5);
    within_2s(&destination, "/subjects/orders-value/versions", |b| {
        *b == json!([1, 2, 3])
    })
    .await;
    offset(5).await;
    source.delete("/subjects/orders-value/versions/2").await;
    within_2s(&destination, "/subjects/orders-value/versions", |b| {
        *b == json!([1, 3])
    })
    .await;
    offset(6).await;
    source
        .delete("/subjects/orders-value/versions/2?permanent=true")
        .await;
    within_2s(
        &destination,
        "/subjects/orders-value/versions?deleted=true",
        |b| *b == json!([1, 3]),
    )
    .await;
    offset(7).await;
    source.delete("/subjects/orders-value/versions/3").await;
    within_2s(&destination, "/subjects/orders-value/versions", |b| {
        *b == json!([1])
    })
    .await;
    offset(8).await;
    source.delete("/config/orders-value").await;
    within_2s(&destination, "/config/orders-value", |b| {
        b["error_code"] == 40408
    })
    .await;
    offset(9).await;
    let status = source.get("/exporters/to-b/status").await.body;
    assert_eq!(
        (&status["name"], &status["state"], status.get("trace")),
        (&json!("to-b"), &json!("RUNNING"), None)
    );
    assert_eq!(
        destination
            .get("/subjects/not-exported/versions")
            .await
            .status,
        404
    );

    // Paused, nothing goes across; reset and resumed, it catches up.
    let put = |path: &'static str| source.request(reqwest::Method::PUT, path, None);
    put("/exporters/to-b/pause").await;
    source
        .put("/config/customer", json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(source.register_ok("customer", "\"bytes\"").await, 6);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        destination.get("/subjects/customer/versions").await.body,
        json!([1])
    );
    let status = source.get("/exporters/to-b/status").await.body;
    assert_eq!(
        (&status["state"], &status["offset"]),
        (&json!("PAUSED"), &json!(9))
    );
    let r = source
        .request(reqwest::Method::PUT, "/exporters/to-b/reset", None)
        .await;
    assert_eq!((r.status, r.body), (200, json!({"name": "to-b"})));
    assert_eq!(
        source.get("/exporters/to-b/status").await.body["offset"],
        json!(0)
    );
    put("/exporters/to-b/resume").await;
    within_2s(&destination, "/subjects/customer/versions", |b| {
        *b == json!([1, 2])
    })
    .await;
    let status = within_2s(&source, "/exporters/to-b/status", |b| b["offset"] == 2).await;
    assert_eq!(status["state"], json!("RUNNING"));

    // A restart resumes from the stored position.
    let source = source.restart().await;
    assert_eq!(source.register_ok("customer", "\"double\"").await, 7);
    within_2s(&destination, "/subjects/customer/versions", |b| {
        *b == json!([1, 2, 3])
    })
    .await;
    within_2s(&source, "/exporters/to-b/status", |b| b["offset"] == 3).await;
}

/// With contextType CUSTOM the destination gets the subjects in that context, numbered in the
/// context's own id space (ids as on the source, although the destination's default context
/// has its own id 1); a subject of another source context `.a` goes to `.dr.a`; a reference
/// names the exported subject.
#[tokio::test(flavor = "multi_thread")]
async fn a_custom_context_exporter_writes_into_that_context_with_the_source_ids() {
    let source = TestApp::spawn().await;
    let destination = TestApp::spawn().await;
    assert_eq!(destination.register_ok("local", "\"string\"").await, 1);
    // Every context but the default one falls back to `.__GLOBAL`'s mode.
    let r = destination
        .put("/mode/:.__GLOBAL:", json!({"mode": "IMPORT"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let customer = record("Customer", &[("id", json!("long"))]);
    assert_eq!(source.register_ok("customer", &customer).await, 1);
    let order = record("Order", &[("customer", json!("Customer"))]);
    let r = source
        .post(
            "/subjects/orders-value/versions",
            json!({"schema": order,
                   "references": [{"name": "Customer", "subject": "customer", "version": 1}]}),
        )
        .await;
    assert_eq!(r.body, json!({"id": 2}));
    assert_eq!(source.register_ok(":.a:customer", "\"int\"").await, 1);
    let r = source
        .post(
            "/exporters",
            json!({"name": "to-dr", "contextType": "CUSTOM", "context": ".dr",
                   "config": {"schema.registry.url": destination.base}}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"name": "to-dr"})));
    assert_eq!(
        source.get("/exporters/to-dr").await.body,
        json!({"name": "to-dr", "subjects": [], "contextType": "CUSTOM", "context": ".dr",
               "config": {"schema.registry.url": destination.base}})
    );

    within_2s(&destination, "/subjects", |b| {
        *b == json!([
            ":.dr.a:customer",
            ":.dr:customer",
            ":.dr:orders-value",
            "local"
        ])
    })
    .await;
    within_2s(&source, "/exporters/to-dr/status", |b| b["offset"] == 3).await;
    assert_eq!(
        destination
            .get("/subjects/:.dr:orders-value/versions/1")
            .await
            .body,
        json!({"subject": ":.dr:orders-value", "version": 1, "id": 2, "schema": order,
               "references": [{"name": "Customer", "subject": ":.dr:customer", "version": 1}]})
    );
    assert_eq!(
        destination
            .get("/subjects/:.dr.a:customer/versions/1")
            .await
            .body,
        json!({"subject": ":.dr.a:customer", "version": 1, "id": 1, "schema": "\"int\""})
    );
    // Id 1 is `Customer` in `.dr`, `"int"` in `.dr.a`, and still `"string"` by default.
    assert_eq!(
        destination
            .get("/schemas/ids/1?subject=:.dr:customer")
            .await
            .body,
        json!({"schema": customer})
    );
    assert_eq!(
        destination.get("/schemas/ids/1").await.body,
        json!({"schema": "\"string\""})
    );
    assert_eq!(
        destination.get("/contexts").await.body,
        json!([".", ".dr", ".dr.a"])
    );
}

/// contextType AUTO, Confluent's default, writes into a context named after the source's
/// cluster id (`--cluster-id`), with the source's ids; the name is chosen once, when the
/// exporter becomes AUTO, and a `context` sent with AUTO is not used.
#[tokio::test(flavor = "multi_thread")]
async fn an_auto_context_exporter_writes_into_a_context_named_after_the_source() {
    let source = TestApp::spawn_changed(|o| o.cluster_id = "dc1".into()).await;
    let destination = TestApp::spawn().await;
    assert_eq!(
        source.get("/v1/metadata/id").await.body,
        json!({"scope": {"path": [], "clusters": {"schema-registry-cluster": "dc1"}}})
    );
    let r = destination
        .put("/mode/:.__GLOBAL:", json!({"mode": "IMPORT"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(source.register_ok("customer", "\"long\"").await, 1);
    assert_eq!(source.register_ok(":.a:customer", "\"int\"").await, 1);
    // No contextType: AUTO, as on Confluent.
    let r = source
        .post(
            "/exporters",
            json!({"name": "to-b", "context": ".elsewhere",
                   "config": {"schema.registry.url": destination.base}}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"name": "to-b"})));
    let described = json!({"name": "to-b", "subjects": [], "contextType": "AUTO",
                           "context": ".dc1", "config": {"schema.registry.url": destination.base}});
    assert_eq!(source.get("/exporters/to-b").await.body, described);
    within_2s(&destination, "/subjects", |b| {
        *b == json!([":.dc1.a:customer", ":.dc1:customer"])
    })
    .await;
    assert_eq!(
        destination
            .get("/subjects/:.dc1:customer/versions/1")
            .await
            .body,
        json!({"subject": ":.dc1:customer", "version": 1, "id": 1, "schema": "\"long\""})
    );
    assert_eq!(
        destination.get("/contexts").await.body,
        json!([".", ".dc1", ".dc1.a"])
    );

    // An update that leaves it AUTO keeps its context; one to CUSTOM takes the new context.
    let r = source
        .request(reqwest::Method::PUT, "/exporters/to-b/pause", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = source
        .put("/exporters/to-b", json!({"subjects": ["customer"]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        source.get("/exporters/to-b").await.body["context"],
        json!(".dc1")
    );
    let r = source
        .put(
            "/exporters/to-b",
            json!({"contextType": "CUSTOM", "context": ".dr"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        source.get("/exporters/to-b").await.body,
        json!({"name": "to-b", "subjects": ["customer"], "contextType": "CUSTOM",
               "context": ".dr", "config": {"schema.registry.url": destination.base}})
    );
    let r = source
        .put("/exporters/to-b", json!({"contextType": "AUTO"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        source.get("/exporters/to-b").await.body["context"],
        json!(".dc1")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destination_not_in_import_mode_shows_in_the_status() {
    let source = TestApp::spawn().await;
    let destination = TestApp::spawn().await;
    source.register_ok("customer", "\"int\"").await;
    source
        .post("/exporters", exporter("to-c", &destination.base))
        .await;
    let status = within_2s(&source, "/exporters/to-c/status", |b| b["state"] == "ERROR").await;
    assert_eq!(
        status["trace"],
        json!(format!(
            "POST {}/subjects/customer/versions: the destination answered 422: {{\"error_code\":42205,\"message\":\"Subject customer is not in import mode\"}}",
            destination.base
        ))
    );
    assert_eq!(status["offset"], json!(0));
    // Once the destination takes imports, the retry goes through.
    destination.put("/mode", json!({"mode": "IMPORT"})).await;
    within_2s(&destination, "/subjects", |b| *b == json!(["customer"])).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_an_exporter_made_on_one_node_runs_on_the_node_that_runs_exporters() {
    let Some(db) = crate::pg::TestDb::create().await else {
        return;
    };
    let runner = TestApp::on(&db.url, schemata::http::ApiFormat::V7, 4 * 1024 * 1024).await;
    let mut options = schemata::app::Options::new(&db.url);
    options.run_exporters = false;
    let other = TestApp::with(options).await;
    let destination = TestApp::spawn().await;
    destination.put("/mode", json!({"mode": "IMPORT"})).await;
    assert_eq!(other.register_ok("customer", "\"int\"").await, 1);
    let r = other
        .post("/exporters", exporter("to-b", &destination.base))
        .await;
    assert_eq!(r.status, 200);
    within_2s(&destination, "/subjects", |b| *b == json!(["customer"])).await;
    within_2s(&runner, "/exporters/to-b/status", |b| {
        b["state"] == "RUNNING" && b["offset"] == 1
    })
    .await;
    let status = other.get("/exporters/to-b/status").await.body;
    assert_eq!(
        (&status["state"], &status["trace"]),
        (
            &json!("STARTING"),
            &json!("this node does not run exporters (--run-exporters false)")
        )
    );
}

/// The exporter's status on each of `nodes`: its state and trace.
async fn statuses(nodes: &[&TestApp]) -> Vec<(Value, Value)> {
    let mut statuses = Vec::new();
    for node in nodes {
        let body = node.get("/exporters/to-b/status").await.body;
        statuses.push((body["state"].clone(), body["trace"].clone()));
    }
    statuses
}

#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_one_node_at_a_time_runs_the_exporters_and_another_takes_over() {
    let Some(db) = crate::pg::TestDb::create().await else {
        return;
    };
    let a = TestApp::on(&db.url, schemata::http::ApiFormat::V7, 4 * 1024 * 1024).await;
    let b = TestApp::on(&db.url, schemata::http::ApiFormat::V7, 4 * 1024 * 1024).await;
    let destination = TestApp::spawn().await;
    destination.put("/mode", json!({"mode": "IMPORT"})).await;
    assert_eq!(a.register_ok("customer", "\"int\"").await, 1);
    let r = a
        .post("/exporters", exporter("to-b", &destination.base))
        .await;
    assert_eq!(r.status, 200);
    within_2s(&destination, "/subjects", |b| *b == json!(["customer"])).await;

    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
        .await
        .expect("connects");
    for round in 0..3 {
        // Exactly one node runs it; the other says why it does not.
        let running = (json!("RUNNING"), Value::Null);
        let idle = (
            json!("STARTING"),
            json!("another node holds the exporter lease and runs the exporters (shared storage)"),
        );
        let start = Instant::now();
        loop {
            let now = statuses(&[&a, &b]).await;
            if now == [running.clone(), idle.clone()] || now == [idle.clone(), running.clone()] {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(2),
                "round {round}: not one node running the exporter and one idle: {now:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A registration on either node reaches the destination.
        let subject = format!("orders-{round}");
        b.register_ok(
            &subject,
            &record(&format!("Order{round}"), &[("id", json!("int"))]),
        )
        .await;
        within_2s(
            &destination,
            &format!("/subjects/{subject}/versions"),
            |v| *v == json!([1]),
        )
        .await;
        // The database drops the lease's connections, as in a failover.
        let cut: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND datname = current_database()",
        )
        .bind(schemata::storage::postgres::EXPORTER_LEASE_APPLICATION_NAME)
        .fetch_all(&mut admin)
        .await
        .expect("terminates");
        // The idle node may be between connections; the running node holds one.
        assert!(
            !cut.is_empty() && cut.iter().all(|c| *c),
            "round {round}: no lease connection to cut: {cut:?}"
        );
    }
}
