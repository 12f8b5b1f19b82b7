//! How long a schema registered on one node takes to be readable on another node of the same
//! PostgreSQL database: `cargo run --release --example visibility -- http://A http://B [count]`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (a, b) = (
        args.next().expect("node A url"),
        args.next().expect("node B url"),
    );
    let count: usize = args
        .next()
        .map(|c| c.parse().expect("count"))
        .unwrap_or(200);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let tag = std::process::id();
    let mut delays = Vec::with_capacity(count);
    for i in 0..count {
        let schema =
            json!({"type": "record", "name": format!("V{tag}x{i}"), "fields": []}).to_string();
        let reply: Value = client
            .post(format!("{a}/subjects/visibility-{tag}-{i}/versions"))
            .json(&json!({ "schema": schema }))
            .send()
            .await
            .expect("register on A")
            .json()
            .await
            .expect("JSON");
        let id = reply["id"].as_u64().expect("an id");
        let registered = Instant::now();
        loop {
            let status = client
                .get(format!("{b}/schemas/ids/{id}"))
                .send()
                .await
                .expect("read on B")
                .status();
            if status == 200 {
                delays.push(registered.elapsed());
                break;
            }
            assert!(
                registered.elapsed() < Duration::from_secs(5),
                "id {id} never reached B"
            );
        }
    }
    delays.sort();
    let at = |q: f64| delays[((delays.len() - 1) as f64 * q) as usize];
    println!(
        "visibility A→B over {count} schemas: median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        delays.last().unwrap().as_secs_f64() * 1e3
    );
}
