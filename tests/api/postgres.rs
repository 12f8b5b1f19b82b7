//! The registry on PostgreSQL, and several registry nodes on one database.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use schemata::http::ApiFormat;
use serde_json::{json, Value};

use crate::helpers::{assert_error, record, TestApp};
use crate::pg::TestDb;

async fn node(db: &TestDb) -> TestApp {
    TestApp::on(&db.url, ApiFormat::V7, 4 * 1024 * 1024).await
}

/// Polls `path` on `app` until `want` holds, failing after `limit`.
async fn eventually(
    app: &TestApp,
    path: &str,
    limit: Duration,
    want: impl Fn(&Value) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let r = app.get(path).await;
        if want(&r.body) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{path} not as expected after {limit:?}: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn the_api_works_the_same_on_postgres_and_survives_a_restart() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let app = node(&db).await;
    assert_eq!(
        app.register_ok("t-value", "{\"type\": \"string\"}").await,
        1
    );
    assert_eq!(app.register_ok("t-value", "\"string\"").await, 1);
    assert_eq!(app.register_ok("other-value", "\"string\"").await, 1);
    let r = app.register("t-value", "\"int\"").await;
    assert_eq!(r.body["error_code"], 409);
    app.put("/config/t-value", json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(app.register_ok("t-value", "\"int\"").await, 2);
    assert_eq!(
        app.delete("/subjects/t-value/versions/1").await.body,
        json!(1)
    );
    app.put("/mode/other-value", json!({"mode": "READONLY"}))
        .await;
    let before: Vec<Value> = futures_all(
        &app,
        &[
            "/subjects?deleted=true",
            "/subjects/t-value/versions?deleted=true",
            "/config/t-value",
            "/mode/other-value",
            "/schemas/ids/2",
            "/schemas?deleted=true",
        ],
    )
    .await;
    let app = app.restart().await;
    let after = futures_all(
        &app,
        &[
            "/subjects?deleted=true",
            "/subjects/t-value/versions?deleted=true",
            "/config/t-value",
            "/mode/other-value",
            "/schemas/ids/2",
            "/schemas?deleted=true",
        ],
    )
    .await;
    assert_eq!(before, after);
    assert_eq!(app.register_ok("third", "\"long\"").await, 3);
    assert_eq!(app.delete("/subjects/t-value").await.body, json!([2]));
    assert_eq!(
        app.delete("/subjects/t-value?permanent=true").await.body,
        json!([1, 2])
    );
    assert_error(
        &app.get("/schemas/ids/2").await,
        404,
        40403,
        "Schema 2 not found",
    );
}

async fn futures_all(app: &TestApp, paths: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for p in paths {
        out.push(app.get(p).await.body);
    }
    out
}

#[tokio::test]
async fn a_write_on_one_node_is_readable_on_another_within_100_ms() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let (a, b) = (node(&db).await, node(&db).await);
    for i in 0..20 {
        let id = a
            .register_ok(
                &format!("s{i}"),
                &record(&format!("R{i}"), &[("f", json!("int"))]),
            )
            .await;
        let took = eventually(
            &b,
            &format!("/schemas/ids/{id}"),
            Duration::from_millis(100),
            |body| body["schema"].is_string(),
        )
        .await;
        assert!(took < Duration::from_millis(100));
    }
    a.put("/config/s0", json!({"compatibility": "FULL"})).await;
    eventually(&b, "/config/s0", Duration::from_millis(100), |body| {
        body["compatibilityLevel"] == "FULL"
    })
    .await;
    a.delete("/subjects/s1").await;
    eventually(
        &b,
        "/subjects/s1/versions",
        Duration::from_millis(100),
        |body| body["error_code"] == 40401,
    )
    .await;
}

#[tokio::test]
async fn concurrent_registrations_on_two_nodes_never_duplicate_ids_or_versions() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let (a, b) = (node(&db).await, node(&db).await);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let client = a.client.clone();
        tasks.push(tokio::spawn(async move {
            let post = |subject: String, schema: String| {
                let (client, base) = (client.clone(), base.clone());
                async move {
                    let r = client
                        .post(format!("{base}/subjects/{subject}/versions"))
                        .json(&json!({"schema": schema}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    r.json::<Value>().await.unwrap()["id"].as_u64().unwrap()
                }
            };
            // The same new schema from every task, under its own subject: one id in all.
            let shared = post(format!("shared-{i}"), "\"string\"".to_string()).await;
            // Each task's own schema, all into one subject (compatible: each adds an optional field).
            let own = record(
                "R",
                &[
                    ("a", json!("int")),
                    (&format!("f{i}"), json!(["null", "int"])),
                ],
            );
            let own = own.replace(
                "\"type\":[\"null\",\"int\"]",
                "\"type\":[\"null\",\"int\"],\"default\":null",
            );
            let mine = post("common".to_string(), own).await;
            (shared, mine)
        }));
    }
    let mut shared = BTreeSet::new();
    let mut mine = BTreeSet::new();
    for t in tasks {
        let (s, m) = t.await.unwrap();
        shared.insert(s);
        mine.insert(m);
    }
    assert_eq!(shared.len(), 1, "one schema, one id: {shared:?}");
    assert_eq!(mine.len(), 40, "distinct schemas, distinct ids");
    assert!(!mine.contains(shared.iter().next().unwrap()));
    // Forty versions, numbered 1 to 40 without gaps or repeats, on both nodes. Each node wrote
    // half of them and learns of the other's by notification, so both are read "eventually".
    let versions: Vec<u64> = (1..=40).collect();
    for node in [&a, &b] {
        eventually(
            node,
            "/subjects/common/versions",
            Duration::from_secs(2),
            |body| *body == json!(versions),
        )
        .await;
    }
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error_at_start() {
    let err = schemata::storage::open(
        "postgres://nobody:secret@127.0.0.1:1/none",
        &schemata::metrics::Metrics::off(),
    )
    .await
    .err()
    .expect("no database there")
    .to_string();
    assert!(
        err.starts_with("cannot connect to PostgreSQL at postgres://nobody:***@127.0.0.1:1/none: "),
        "{err}"
    );
}

#[tokio::test]
async fn losing_the_database_fails_writes_keeps_reads_and_reconnects() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let app = node(&db).await;
    app.register_ok("before", "\"string\"").await;
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let admin = std::env::var("DATABASE_URL").unwrap();
    let run = |sql: String| {
        let admin = admin.clone();
        async move {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    };
    // The database goes away: new connections refused, existing ones cut.
    run(format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;
    let r = app.register("during", "\"int\"").await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert!(
        r.body["error_code"] == 50001 || r.body["error_code"] == 50002,
        "{}",
        r.body
    );
    assert_eq!(r.body["message"], "Error while registering schema");
    // Reads are served from memory meanwhile.
    assert_eq!(app.get("/subjects").await.body, json!(["before"]));
    assert_eq!(
        app.get("/schemas/ids/1").await.body,
        json!({"schema": "\"string\""})
    );
    // It comes back; the registry reconnects by itself.
    run(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await;
    assert_eq!(app.register("after", "\"long\"").await.status, 200);
    assert_eq!(app.get("/subjects").await.body, json!(["after", "before"]));
    let app = app.restart().await;
    assert_eq!(app.get("/subjects").await.body, json!(["after", "before"]));
}

#[tokio::test]
async fn a_storage_failure_is_logged_with_its_request_route_subject_and_cause() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    // The real binary, its log read from its output: a subscriber set for the test's thread
    // missed lines written from other threads when the machine was loaded.
    let serve = crate::logs::Serve::start_on(&db.url, &[]);
    let name = db.url.rsplit('/').next().unwrap().to_string();
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&std::env::var("DATABASE_URL").unwrap())
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let r = crate::helpers::http_client()
        .post(format!("{}/subjects/audited-value/versions", serve.base))
        .header("X-Request-Id", "req-42")
        .json(&json!({"schema": "\"int\""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], "Error while registering schema");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let text = serve.rest();
    let line = text
        .lines()
        .find(|l| l.contains("request failed"))
        .unwrap_or_else(|| panic!("no failure line in:\n{text}"));
    for part in [
        "ERROR",
        "method=POST",
        "route=\"/subjects/{subject}/versions\"",
        "request_id=\"req-42\"",
        "status=500",
        "subject=\"audited-value\"",
        "cause=",
        "PostgreSQL",
    ] {
        assert!(line.contains(part), "{part} missing from: {line}");
    }
}
