//! The probes: live from the start, ready once the records are replayed and only while the
//! storage takes writes (the log's disk, the database); reads are served either way.

use std::time::{Duration, Instant};

use schemata::app::{self, Options};
use schemata::http::ApiFormat;
use schemata::storage::log::LogStore;
use schemata::storage::{Record, SchemaValue, Store};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::helpers::{http_client, record, TestApp};
use crate::pg::TestDb;
use crate::tmpfs::Tmpfs;

/// Polls `path` until it answers `status`, failing after `limit`; the last body.
async fn until_status(app: &TestApp, path: &str, status: u16, limit: Duration) -> Value {
    let start = Instant::now();
    loop {
        let r = app.get(path).await;
        if r.status == status {
            return r.body;
        }
        assert!(
            start.elapsed() < limit,
            "{path} still {} after {limit:?}: {}",
            r.status,
            r.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_fresh_registry_is_live_and_ready() {
    let app = TestApp::spawn().await;
    let r = app.get("/health/live").await;
    assert_eq!((r.status, r.body), (200, json!({"status": "live"})));
    assert_eq!(r.content_type, crate::helpers::CONTENT_TYPE);
    let r = app.get("/health/ready").await;
    assert_eq!((r.status, r.body), (200, json!({"status": "ready"})));
    // Confluent's own liveness answer is unchanged.
    assert_eq!(app.get("/").await.body, json!({}));
}

fn schema_record(i: u32) -> Record {
    Record::Schema {
        subject: format!("s{i}"),
        version: 1,
        value: Some(SchemaValue {
            subject: format!("s{i}"),
            version: 1,
            id: i,
            schema_type: "AVRO".into(),
            references: vec![],
            schema: format!("{{\"type\":\"fixed\",\"name\":\"F{i}\",\"size\":{i}}}"),
            metadata: None,
            rule_set: None,
            deleted: false,
            ts: None,
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_replaying_the_probes_answer_and_the_api_says_it_is_starting() {
    let dir = tempfile::TempDir::new().unwrap();
    {
        // Enough records that replaying them takes a while.
        let store = LogStore::open(dir.path()).unwrap();
        let txn = store.begin().await.unwrap();
        let records = (1..=150_000).map(schema_record).collect();
        txn.commit(records, Box::new(|_| {})).await.unwrap();
    }
    let options = Options::new(&format!("file://{}", dir.path().display()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app::run(&options, listener, None, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    let client = http_client();
    let get = |path: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let r = client.get(format!("{base}{path}")).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(get("/health/live").await, (200, json!({"status": "live"})));
    assert_eq!(
        get("/health/ready").await,
        (
            503,
            json!({"status": "not ready", "reason": "replaying the stored records"})
        )
    );
    assert_eq!(
        get("/schemas/ids/1").await,
        (
            503,
            json!({"error_code": 503, "message": "The registry is starting: it is replaying its stored records"})
        )
    );
    let start = Instant::now();
    while get("/health/ready").await.0 != 200 {
        assert!(start.elapsed() < Duration::from_secs(120), "never ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = get("/schemas/ids/150000").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["schema"],
        "{\"type\":\"fixed\",\"name\":\"F150000\",\"size\":150000}"
    );
    stop.send(()).unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn a_full_disk_makes_the_log_not_ready_until_there_is_room_again() {
    let Some(fs) = Tmpfs::mount("4m") else {
        return;
    };
    // Room taken by something else, to give back later.
    let filler = fs.0.join("filler");
    std::fs::write(&filler, vec![1u8; 2560 * 1024]).unwrap();
    let data = fs.0.join("data");
    let app = TestApp::on(
        &format!("file://{}", data.display()),
        ApiFormat::V7,
        4 * 1024 * 1024,
    )
    .await;
    let first = record("First", &[("a", json!("int"))]);
    assert_eq!(app.register_ok("kept", &first).await, 1);
    // Large schemas until the disk is full.
    let mut failed = None;
    for i in 0..100 {
        let big =
            json!({"type": "object", "description": format!("{i}{}", "x".repeat(100 * 1024))});
        let body = json!({"schema": big.to_string(), "schemaType": "JSON"});
        let r = app.post(&format!("/subjects/big-{i}/versions"), body).await;
        if r.status != 200 {
            failed = Some(r);
            break;
        }
    }
    let failed = failed.expect("the disk never filled up");
    assert_eq!(
        (failed.status, &failed.body),
        (
            500,
            &json!({"error_code": 50001, "message": "Error while registering schema"})
        )
    );
    let r = app.get("/health/ready").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.body["status"], "not ready");
    let reason = r.body["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("read-only: the log's disk is full"),
        "{reason}"
    );
    // Reads are served all along.
    assert_eq!(app.get("/schemas/ids/1").await.status, 200);
    assert_eq!(app.get("/health/live").await.status, 200);

    std::fs::remove_file(&filler).unwrap();
    let r = app.get("/health/ready").await;
    assert_eq!((r.status, r.body), (200, json!({"status": "ready"})));
    let again = record("Again", &[("a", json!("int"))]);
    assert_eq!(app.register("again", &again).await.status, 200);
}

/// Refuses (or allows again) new connections to the test database, and cuts the open ones: the
/// database is away, as far as the registry can tell.
async fn database_reachable(db: &TestDb, reachable: bool) {
    use sqlx::Connection;
    let admin = std::env::var("DATABASE_URL").unwrap();
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    let name = db.url.rsplit('/').next().unwrap().to_string();
    // The name is ours: digits and underscores only.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {reachable}"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    if !reachable {
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&name)
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_node_whose_database_goes_away_is_not_ready_but_serves_reads_until_it_is_back() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let app = TestApp::on(&db.url, ApiFormat::V7, 4 * 1024 * 1024).await;
    let schema = record("Kept", &[("a", json!("int"))]);
    assert_eq!(app.register_ok("kept", &schema).await, 1);
    assert_eq!(app.get("/health/ready").await.status, 200);

    database_reachable(&db, false).await;
    let body = until_status(&app, "/health/ready", 503, Duration::from_secs(15)).await;
    assert_eq!(body["status"], "not ready");
    let reason = body["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("cannot reach the database") || reason.starts_with("catching up"),
        "{reason}"
    );
    // Reads are answered from memory.
    let r = app.get("/subjects/kept/versions/1").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], 1);
    let m = app.get("/metrics").await.body;
    let m = m.as_str().unwrap();
    assert!(m.contains("\nschemata_follow_catching_up 1\n"), "{m}");

    database_reachable(&db, true).await;
    let body = until_status(&app, "/health/ready", 200, Duration::from_secs(15)).await;
    assert_eq!(body, json!({"status": "ready"}));
    let m = app.get("/metrics").await.body;
    let m = m.as_str().unwrap();
    assert!(m.contains("\nschemata_follow_catching_up 0\n"), "{m}");
    let age = m
        .lines()
        .find_map(|l| l.strip_prefix("schemata_follow_sync_age_seconds "))
        .expect("the sync age")
        .parse::<f64>()
        .unwrap();
    assert!(age < 3.0, "{age}");
    let other = record("Other", &[("a", json!("int"))]);
    assert_eq!(app.register_ok("other", &other).await, 2);
}
