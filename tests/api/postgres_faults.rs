//! Two registry nodes on one PostgreSQL database whose connections are cut again and again while
//! clients write to both: afterwards each node holds exactly what the database holds, every
//! acknowledged write included (issue 21).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use schemata::http::ApiFormat;
use serde_json::{json, Value};

use crate::helpers::{http_client, record, TestApp};
use crate::pg::TestDb;

/// How long a node may take to converge once the database answers again (the README says so).
const CONVERGENCE: Duration = Duration::from_secs(3);
const WRITERS: usize = 8;
const FAULTS: usize = 12;

/// What the clients were told succeeded.
#[derive(Default)]
struct Acknowledged {
    /// subject -> id of its version 1
    registered: BTreeMap<String, u64>,
    /// subject -> compatibility level set on it
    configs: BTreeMap<String, String>,
    /// subjects soft-deleted
    deleted: Vec<String>,
}

/// Cuts every connection to the test database, as a restart or failover does.
async fn terminate_backends(admin: &str, db: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(db)
    .execute(&mut conn)
    .await
    .unwrap();
}

/// One client: registers new schemas under new subjects on both nodes in turn, sometimes sets a
/// subject's config or soft-deletes it, until told to stop. Failures (the database is away) are
/// fine; what succeeded is recorded.
async fn write(
    k: usize,
    bases: [String; 2],
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Acknowledged>>,
) {
    let client = http_client();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let base = &bases[i % 2];
        let subject = format!("w{k}-{i}");
        let schema = record(&format!("R{k}_{i}"), &[("f", json!("int"))]);
        let r = client
            .post(format!("{base}/subjects/{subject}/versions"))
            .json(&json!({ "schema": schema }))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        if status != 200 {
            assert!(
                status == 500 && matches!(body["error_code"].as_u64(), Some(50001 | 50002)),
                "{status} {body}"
            );
            continue;
        }
        let id = body["id"].as_u64().unwrap();
        acked.lock().unwrap().registered.insert(subject.clone(), id);
        // The other node changes it, so both nodes write on records the other made.
        let other = &bases[(i + 1) % 2];
        if i % 3 == 0 {
            let r = client
                .put(format!("{other}/config/{subject}"))
                .json(&json!({ "compatibility": "FULL" }))
                .send()
                .await
                .unwrap();
            if r.status() == 200 {
                let mut acked = acked.lock().unwrap();
                acked.configs.insert(subject.clone(), "FULL".into());
            }
        } else if i % 5 == 0 {
            let r = client
                .delete(format!("{other}/subjects/{subject}"))
                .send()
                .await
                .unwrap();
            if r.status() == 200 {
                acked.lock().unwrap().deleted.push(subject.clone());
            }
        }
    }
}

/// Everything a node serves about its subjects: every version (deleted too) with its id, and
/// every subject's own config.
async fn view(app: &TestApp) -> Value {
    let mut versions = Vec::new();
    loop {
        let page = app
            .get(&format!(
                "/schemas?deleted=true&offset={}&limit=1000",
                versions.len()
            ))
            .await;
        let page = page.body.as_array().expect("a list").clone();
        if page.is_empty() {
            break;
        }
        versions.extend(
            page.into_iter()
                .map(|s| json!([s["subject"], s["version"], s["id"]])),
        );
    }
    let mut configs = BTreeMap::new();
    for subject in app
        .get("/subjects?deleted=true")
        .await
        .body
        .as_array()
        .unwrap()
    {
        let s = subject.as_str().unwrap();
        let r = app.get(&format!("/config/{s}")).await;
        if r.status == 200 {
            configs.insert(s.to_string(), r.body["compatibilityLevel"].clone());
        }
    }
    json!({ "versions": versions, "configs": configs, "live": app.get("/subjects").await.body })
}

#[tokio::test]
async fn after_connections_are_cut_mid_write_both_nodes_converge_on_the_database() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let a = TestApp::on(&db.url, ApiFormat::V7, 4 * 1024 * 1024).await;
    let b = TestApp::on(&db.url, ApiFormat::V7, 4 * 1024 * 1024).await;
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|k| {
            tokio::spawn(write(
                k,
                [a.base.clone(), b.base.clone()],
                stop.clone(),
                acked.clone(),
            ))
        })
        .collect();
    let admin = std::env::var("DATABASE_URL").unwrap();
    let name = db.url.rsplit('/').next().unwrap().to_string();
    for _ in 0..FAULTS {
        tokio::time::sleep(Duration::from_millis(250)).await;
        terminate_backends(&admin, &name).await;
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let faults_over = Instant::now();

    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.registered.len() > 100,
        "the writers got little through: {}",
        acked.registered.len()
    );
    // The database's truth: a node started now loads it whole.
    let truth = TestApp::on(&db.url, ApiFormat::V7, 4 * 1024 * 1024).await;
    let expected = view(&truth).await;
    let versions = expected["versions"].as_array().unwrap();
    for (subject, id) in &acked.registered {
        assert!(
            versions.contains(&json!([subject, 1, id])),
            "acknowledged {subject} (id {id}) is not in the database"
        );
    }
    for (subject, level) in &acked.configs {
        assert_eq!(expected["configs"][subject], json!(level), "{subject}");
    }
    for subject in &acked.deleted {
        assert!(!expected["live"]
            .as_array()
            .unwrap()
            .contains(&json!(subject)));
    }
    for (node, app) in [("a", &a), ("b", &b)] {
        loop {
            let seen = view(app).await;
            if seen == expected {
                eprintln!(
                    "node {node}: {} versions, converged {:?} after the faults",
                    versions.len(),
                    faults_over.elapsed()
                );
                break;
            }
            if faults_over.elapsed() > CONVERGENCE {
                let missing: Vec<_> = versions
                    .iter()
                    .filter(|v| !seen["versions"].as_array().unwrap().contains(v))
                    .collect();
                panic!(
                    "node {node} has not converged {CONVERGENCE:?} after the faults; \
                     it lacks {missing:?} ({} versions against {})",
                    seen["versions"].as_array().unwrap().len(),
                    versions.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
