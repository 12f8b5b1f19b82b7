//! A registry killed with SIGKILL in the middle of writing loses nothing it acknowledged.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tempfile::TempDir;

/// Starts `schemata serve` on a free port and waits until it has replayed its log ("ready").
fn start(dir: &TempDir) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--storage")
        .arg(format!("file://{}", dir.path().display()))
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the schemata binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines.next().expect("server printed its start").unwrap();
        if line.contains("schemata ready") {
            break;
        }
    }
    // Keep draining its output so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, format!("http://127.0.0.1:{port}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_registrations_survive_sigkill_mid_append() {
    let dir = TempDir::new().unwrap();
    let (mut child, base) = start(&dir);
    let acked: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let mut writers = Vec::new();
    for w in 0..16 {
        let (client, base, acked, stop) =
            (client.clone(), base.clone(), acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let subject = format!("w{w}-s{i}");
                let schema = json!({"type": "record", "name": format!("R{w}x{i}"), "fields": [{"name": "f", "type": "long"}]});
                let reply = client
                    .post(format!("{base}/subjects/{subject}/versions"))
                    .json(&json!({"schema": schema.to_string()}))
                    .send()
                    .await;
                match reply {
                    Ok(r) if r.status() == 200 => {
                        let id = r.json::<Value>().await.map(|b| b["id"].as_u64().unwrap());
                        if let Ok(id) = id {
                            acked.lock().unwrap().push((subject, id));
                        }
                    }
                    _ => break, // the server is gone
                }
                i += 1;
            }
        }));
    }
    // Kill while writes are in flight.
    while acked.lock().unwrap().len() < 300 {
        tokio::task::yield_now().await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }

    let (mut child, base) = start(&dir);
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 300);
    for (subject, id) in &acked {
        let r = client
            .get(format!("{base}/subjects/{subject}/versions/1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{subject} was acknowledged but is gone");
        assert_eq!(r.json::<Value>().await.unwrap()["id"], json!(id));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
