//! The Kafka broker restarted while a node takes writes: every acknowledged registration
//! survives, writes fail with a reason meanwhile, reads go on, and the node recovers by itself.
//! The test runs its own broker (scripts/kafka.sh on other ports), so the shared one used by the
//! other tests is never stopped.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use schemata::http::ApiFormat;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::kafka_topic::TestTopic;

const PORT: &str = "19092";
const CONTROLLER_PORT: &str = "19093";

/// Runs scripts/kafka.sh for the test's own broker (`stop`, or start when `arg` is empty).
fn broker(arg: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka.sh");
    let mut command = Command::new(script);
    command
        .env("KAFKA_PORT", PORT)
        .env("KAFKA_CONTROLLER_PORT", CONTROLLER_PORT);
    if !arg.is_empty() {
        command.arg(arg);
    }
    let out = command.output().expect("scripts/kafka.sh runs");
    assert!(
        out.status.success(),
        "scripts/kafka.sh {arg}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_restart_loses_no_acknowledged_write_and_the_node_recovers() {
    // The shared broker's presence says whether Kafka tests run here at all.
    let Some(shared) = TestTopic::create() else {
        return;
    };
    broker("");
    let topic = TestTopic {
        bootstrap: format!("127.0.0.1:{PORT}"),
        topic: shared.topic,
    };
    let app = Arc::new(TestApp::on(&topic.url(), ApiFormat::V7, 4 * 1024 * 1024).await);
    assert_eq!(app.register_ok("before", "\"int\"").await, 1);

    // One client registers a new subject after another; what was acknowledged is kept.
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (app, stop, failed) = (app.clone(), stop.clone(), failed.clone());
        tokio::spawn(async move {
            let (mut acknowledged, mut failures) = (Vec::new(), Vec::new());
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let subject = format!("s{n}");
                let r = app.register(&subject, "\"string\"").await;
                match r.status {
                    200 => acknowledged.push((subject, r.body["id"].as_u64().unwrap())),
                    500 => {
                        failures.push(r.body);
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => panic!("{subject}: {} {}", r.status, r.body),
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (acknowledged, failures)
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    broker("stop");
    // Reads are served from memory while the broker is away.
    let r = app.get("/schemas/ids/1").await;
    assert_eq!((r.status, r.body), (200, json!({"schema": "\"int\""})));
    // The broker stays away until a write has failed: a write in flight waits up to its
    // 10 s timeout for the broker to come back, so a short outage may fail nothing.
    let away = Instant::now();
    while failed.load(Ordering::SeqCst) == 0 {
        assert!(
            away.elapsed() < Duration::from_secs(60),
            "no write failed within 60 s of the broker going away"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    broker("");
    // The node writes again by itself once the broker is back.
    let back = Instant::now();
    loop {
        let r = app.register("after", "\"int\"").await;
        if r.status == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(60),
            "no write within 60 s of the broker's return: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let recovered = back.elapsed();
    stop.store(true, Ordering::SeqCst);
    let (acknowledged, failures) = writer.await.unwrap();
    eprintln!(
        "{} registrations acknowledged, {} failed while the broker was away; writes again {:?} after the broker answered",
        acknowledged.len(),
        failures.len(),
        recovered
    );
    assert!(!acknowledged.is_empty());
    // While the broker was away, writes failed with Confluent's storage error codes and a
    // message saying why.
    assert!(
        !failures.is_empty(),
        "the writes ran while the broker was away"
    );
    for failure in &failures {
        let code = failure["error_code"].as_u64().unwrap();
        assert!(code == 50001 || code == 50002, "{failure}");
        assert!(
            failure["message"]
                .as_str()
                .unwrap()
                .starts_with("Error while registering schema"),
            "{failure}"
        );
    }
    // Every acknowledged registration is there, on this node and on a node that replays the
    // topic from scratch, with its id.
    let replayed = TestApp::on(&topic.url(), ApiFormat::V7, 4 * 1024 * 1024).await;
    for (subject, id) in &acknowledged {
        let path = format!("/subjects/{subject}/versions/1");
        for node in [&*app, &replayed] {
            let r = node.get(&path).await;
            assert_eq!(r.status, 200, "{subject}: {}", r.body);
            assert_eq!(r.body["id"], Value::from(*id), "{subject}");
        }
    }
    broker("stop");
}
