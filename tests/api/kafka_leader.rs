//! Several nodes on one Kafka topic, each with `--advertised-url`: one is elected writer
//! through the group coordinator, the others forward their writes to it over HTTP and read
//! them back before answering; a killed writer is replaced within the documented bound and
//! nothing acknowledged is lost. Needs a real broker (`KAFKA_BOOTSTRAP`).

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use reqwest::Method;
use schemata::app::Options;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::helpers::{assert_error, TestApp, CONTENT_TYPE};
use crate::kafka_topic::TestTopic;

/// The README's bound on replacing a writer that died: the session timeout (6 s), a
/// heartbeat, the rebalance and the new writer's takeover.
const FAILOVER_BOUND: Duration = Duration::from_secs(10);

/// `n` in-process nodes on the topic, each advertising its own listener's URL.
async fn nodes(topic: &TestTopic, n: usize) -> Vec<TestApp> {
    let mut nodes = Vec::new();
    for _ in 0..n {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut options = Options::new(&topic.url());
        options.kafka.advertised_url = Some(format!("http://{}", listener.local_addr().unwrap()));
        nodes.push(TestApp::listening(options, listener).await);
    }
    nodes
}

/// A metric's value on the node at `base` (the first sample whose name and labels start so).
async fn metric(client: &reqwest::Client, base: &str, sample: &str) -> Option<f64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|line| line.starts_with(sample))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

/// Waits until the election group of `topic` is stable with `members` members, then gives the
/// index of the one node of `bases` that reports being the elected writer.
async fn elected(topic: &TestTopic, members: usize, bases: &[String]) -> usize {
    let group = format!("schemata-{}", topic.topic);
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &topic.bootstrap)
        .create()
        .unwrap();
    let client = crate::helpers::http_client();
    let start = Instant::now();
    loop {
        let stable = consumer
            .fetch_group_list(Some(&group), Duration::from_secs(10))
            .is_ok_and(|list| {
                list.groups()
                    .iter()
                    .any(|g| g.state() == "Stable" && g.members().len() == members)
            });
        let mut leaders = Vec::new();
        for (i, base) in bases.iter().enumerate() {
            if metric(&client, base, "schemata_kafka_elected_writer ").await == Some(1.0) {
                leaders.push(i);
            }
        }
        match leaders[..] {
            [one] if stable => return one,
            _ => assert!(
                start.elapsed() < Duration::from_secs(30),
                "no single elected writer: {leaders:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn bases(nodes: &[TestApp]) -> Vec<String> {
    nodes.iter().map(|n| n.base.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_not_elected_forwards_writes_and_reads_them_back_before_answering() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    let nodes = nodes(&topic, 2).await;
    let leader = elected(&topic, 2, &bases(&nodes)).await;
    let (leader, follower) = (&nodes[leader], &nodes[1 - leader]);
    let registered = "schemata_registrations_total{result=\"existing\"}";

    // A new schema through the follower: written by the leader, readable on the follower as
    // soon as it is acknowledged.
    let r = follower.register("orders", "\"string\"").await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    let version = json!({"subject": "orders", "version": 1, "id": 1, "schema": "\"string\""});
    for node in [follower, leader] {
        let r = node.get("/subjects/orders/versions/1").await;
        assert_eq!((r.status, &r.body), (200, &version));
    }

    // Registering it again is answered from the follower's memory: not forwarded.
    let before = metric(&follower.client, &follower.base, registered).await;
    let leader_before = metric(&leader.client, &leader.base, registered).await;
    let r = follower.register("orders", "\"string\"").await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    assert_eq!(
        metric(&follower.client, &follower.base, registered).await,
        before.map(|n| n + 1.0)
    );
    assert_eq!(
        metric(&leader.client, &leader.base, registered).await,
        leader_before
    );

    // A config under a context prefix, forwarded with its prefix.
    let r = follower
        .put("/contexts/.team/config", json!({"compatibility": "NONE"}))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"compatibility": "NONE"})));
    for node in [follower, leader] {
        let r = node.get("/config/:.team:").await;
        assert_eq!(
            (r.status, r.body),
            (200, json!({"compatibilityLevel": "NONE"}))
        );
    }

    // A delete, then a mode: the leader's refusal comes back as it is.
    let r = follower.delete("/subjects/orders/versions/1").await;
    assert_eq!((r.status, r.body), (200, json!(1)));
    assert_error(
        &follower.get("/subjects/orders/versions").await,
        404,
        40401,
        "Subject 'orders' not found.",
    );
    let r = follower
        .put("/mode/orders", json!({"mode": "READONLY"}))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"mode": "READONLY"})));
    assert_error(
        &follower.register("orders", "\"int\"").await,
        422,
        42205,
        "Subject orders is in read-only mode",
    );

    // A request forwarded once is not forwarded again: the node answers that it knows no
    // leader it may write through.
    let r = follower
        .client
        .post(format!("{}/subjects/other/versions", follower.base))
        .header("Content-Type", CONTENT_TYPE)
        .header("X-Forward", "true")
        .body(json!({"schema": "\"long\""}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error_code": 50004, "message": "Leader not known."})
    );
    assert_error(
        &follower.get("/subjects/other/versions").await,
        404,
        40401,
        "Subject 'other' not found.",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_and_three_nodes_register_concurrently_through_forwarding_without_doubles() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn,schemata=info")
        .try_init();
    for n in [2, 3] {
        let topic = TestTopic {
            bootstrap: topic.bootstrap.clone(),
            topic: format!("{}_{n}", topic.topic),
        };
        let nodes = nodes(&topic, n).await;
        let leader = elected(&topic, n, &bases(&nodes)).await;
        concurrent_registrations(&nodes, leader).await;
    }
}

/// Every node registers, at once, the same schema and one of its own, in 8 rounds: each is
/// acknowledged at the first try, readable on the node that answered right after, and every
/// schema has one id and every subject versions 1..8 on every node.
async fn concurrent_registrations(nodes: &[TestApp], leader: usize) {
    // Set through a node that is not the leader, and read back on it at once.
    let follower = &nodes[(leader + 1) % nodes.len()];
    let r = follower
        .put("/config", json!({"compatibility": "NONE"}))
        .await;
    assert_eq!((r.status, r.body), (200, json!({"compatibility": "NONE"})));
    assert_eq!(
        follower.get("/config").await.body,
        json!({"compatibilityLevel": "NONE"})
    );
    let mut tasks = Vec::new();
    for round in 1..=8 {
        for (n, node) in nodes.iter().enumerate() {
            for (subject, size) in [
                ("shared".to_string(), round),
                (format!("own-{n}"), 100 + round),
            ] {
                let (client, base) = (node.client.clone(), node.base.clone());
                let leader_base = nodes[leader].base.clone();
                let schema = format!("{{\"type\":\"fixed\",\"name\":\"F\",\"size\":{size}}}");
                tasks.push(tokio::spawn(async move {
                    let r = client
                        .post(format!("{base}/subjects/{subject}/versions"))
                        .header("Content-Type", CONTENT_TYPE)
                        .body(json!({ "schema": schema }).to_string())
                        .send()
                        .await
                        .unwrap();
                    let (status, body) = (r.status(), r.json::<Value>().await.unwrap());
                    assert_eq!(status, 200, "{subject}: {body}");
                    let id = body["id"].as_u64().expect("an id");
                    // Right after the acknowledgement, on the node that answered.
                    let r = client
                        .post(format!("{base}/subjects/{subject}"))
                        .header("Content-Type", CONTENT_TYPE)
                        .body(json!({ "schema": schema }).to_string())
                        .send()
                        .await
                        .unwrap();
                    let found: Value = r.json().await.unwrap();
                    assert_eq!(
                        found["id"], id,
                        "{subject} on {base} (leader {leader_base}): {found}"
                    );
                    assert_eq!(found["subject"], subject.as_str());
                    (schema, id)
                }));
            }
        }
    }
    let mut ids: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for task in tasks {
        let (schema, id) = task.await.unwrap();
        ids.entry(schema).or_default().insert(id);
    }
    // One id per schema, and no id for two schemas.
    assert!(ids.values().all(|set| set.len() == 1), "{ids:?}");
    let distinct: BTreeSet<u64> = ids.values().flatten().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
    // Every node ends with versions 1..=8 of each subject, one schema each.
    let subjects =
        std::iter::once("shared".to_string()).chain((0..nodes.len()).map(|n| format!("own-{n}")));
    for subject in subjects {
        let path = format!("/subjects/{subject}/versions");
        for node in nodes {
            let start = Instant::now();
            while node.get(&path).await.body != json!((1..=8).collect::<Vec<_>>()) {
                assert!(
                    start.elapsed() < Duration::from_secs(5),
                    "{subject} on {}: {}",
                    node.base,
                    node.get(&path).await.body
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let mut schemas = BTreeSet::new();
        for version in 1..=8 {
            let r = nodes[0]
                .get(&format!("/subjects/{subject}/versions/{version}"))
                .await;
            schemas.insert(r.body["id"].as_u64().unwrap());
        }
        assert_eq!(schemas.len(), 8, "{subject}: {schemas:?}");
    }
}

/// `schemata serve` as a child process on a port of its own, advertising it.
struct Process {
    child: Child,
    base: String,
}

impl Process {
    fn start(topic: &TestTopic) -> Process {
        // The port is chosen first, so that the node can advertise it.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let base = format!("http://{addr}");
        let child = Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args(["serve", "--listen", &addr.to_string(), "--storage"])
            .args([&topic.url(), "--advertised-url", &base])
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("schemata starts");
        Process { child, base }
    }

    async fn ready(&self, client: &reqwest::Client) {
        let start = Instant::now();
        loop {
            let r = client
                .get(format!("{}/health/ready", self.base))
                .send()
                .await;
            if r.is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{} not ready",
                self.base
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One acknowledged registration: subject, schema, id, when it was first sent (a retry sends
/// it again) and when it was acknowledged.
struct Ack {
    subject: String,
    schema: String,
    id: u64,
    sent: Instant,
    acked: Instant,
}

/// Registers a new subject after another on `base` until `stop`, retrying each while the
/// leader is being replaced (Confluent's 50003 and 50004, or a write that failed with the
/// old leader's fencing, 50001/50002).
async fn stream(
    client: reqwest::Client,
    base: String,
    name: &'static str,
    stop: Arc<AtomicBool>,
) -> Vec<Ack> {
    let mut acks = Vec::new();
    for n in 0.. {
        let subject = format!("{name}-{n}");
        let schema =
            json!({"type": "enum", "name": "E", "symbols": [format!("{name}_{n}")]}).to_string();
        let sent = Instant::now();
        loop {
            let r = client
                .request(Method::POST, format!("{base}/subjects/{subject}/versions"))
                .header("Content-Type", CONTENT_TYPE)
                .body(json!({ "schema": schema }).to_string())
                .send()
                .await
                .unwrap();
            let (status, body) = (r.status().as_u16(), r.json::<Value>().await.unwrap());
            if status == 200 {
                let id = body["id"].as_u64().unwrap();
                let acked = Instant::now();
                acks.push(Ack {
                    subject,
                    schema,
                    id,
                    sent,
                    acked,
                });
                break;
            }
            let code = body["error_code"].as_u64().unwrap_or(0);
            assert!(
                status == 500 && (50001..=50004).contains(&code),
                "{status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if stop.load(Ordering::SeqCst) {
            return acks;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    acks
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_leader_is_replaced_within_the_bound_and_nothing_acknowledged_is_lost() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    let client = crate::helpers::http_client();
    let mut processes: Vec<Option<Process>> =
        (0..3).map(|_| Some(Process::start(&topic))).collect();
    for p in processes.iter().flatten() {
        p.ready(&client).await;
    }
    let all: Vec<String> = processes.iter().flatten().map(|p| p.base.clone()).collect();
    let leader = elected(&topic, 3, &all).await;
    let survivors: Vec<String> = (0..3)
        .filter(|i| *i != leader)
        .map(|i| all[i].clone())
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let streams: Vec<_> = survivors
        .iter()
        .zip(["a", "b"])
        .map(|(base, name)| tokio::spawn(stream(client.clone(), base.clone(), name, stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // SIGKILL: the leader leaves nothing behind, not even its group membership. Timed once
    // it is gone, so that no registration sent afterwards can have reached it.
    drop(processes[leader].take());
    let killed_at = Instant::now();
    // Long enough for the takeover and some writes after it.
    tokio::time::sleep(FAILOVER_BOUND + Duration::from_secs(3)).await;
    stop.store(true, Ordering::SeqCst);
    let mut acks = Vec::new();
    for s in streams {
        acks.extend(s.await.unwrap());
    }
    let before = acks.iter().filter(|a| a.acked < killed_at).count();
    // The kill to the acknowledgement of the first registration first sent after it (so
    // neither the dead leader nor anything it did can have answered it): how long the
    // registry took no writes.
    let takeover = acks
        .iter()
        .filter(|a| a.sent >= killed_at)
        .map(|a| a.acked.duration_since(killed_at))
        .min()
        .expect("a registration sent after the kill was acknowledged");
    let after = acks.len() - before;
    eprintln!("{before} registrations acknowledged before the kill, {after} after; writes resumed {takeover:?} after the kill");
    assert!(before > 0, "no registration before the kill");
    assert!(takeover < FAILOVER_BOUND, "{takeover:?}");

    // One survivor is elected; every acknowledged registration is on both, with its id.
    elected(&topic, 2, &survivors).await;
    let mut ids = BTreeSet::new();
    for Ack {
        subject,
        schema,
        id,
        ..
    } in &acks
    {
        assert!(ids.insert(*id), "id {id} given twice");
        for base in &survivors {
            let start = Instant::now();
            loop {
                let r = client
                    .get(format!("{base}/subjects/{subject}/versions/1"))
                    .send()
                    .await
                    .unwrap();
                let body: Value = r.json().await.unwrap();
                if body == json!({"subject": subject, "version": 1, "id": id, "schema": schema}) {
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(5),
                    "{subject} on {base}: {body}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leader_that_cannot_be_reached_fails_the_write_with_50003() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    // Nothing listens at port 1. The range assignor gives the partition to the first member
    // id in order, and member ids start with the client id: this URL sorts before any other
    // node's on 127.0.0.1.
    let mut options = Options::new(&topic.url());
    options.kafka.advertised_url = Some("http://127.0.0.1:1".into());
    let unreachable = TestApp::with(options).await;
    let mut nodes = nodes(&topic, 1).await;
    let node = nodes.pop().unwrap();
    let leader = elected(&topic, 2, &[unreachable.base.clone(), node.base.clone()]).await;
    assert_eq!(leader, 0, "the node advertising port 1 is elected");

    // Re-sent for 15 s while the leader cannot be reached, then Confluent's 50003.
    let started = Instant::now();
    assert_error(
        &node.register("orders", "\"string\"").await,
        500,
        50003,
        "Error while forwarding register schema request to the leader",
    );
    assert!(
        started.elapsed() >= Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_error(
        &node.put("/config", json!({"compatibility": "NONE"})).await,
        500,
        50003,
        "Error while forwarding update config request to the leader",
    );
    // Nothing was written, and reads are served meanwhile.
    assert_error(
        &node.get("/subjects/orders/versions").await,
        404,
        40401,
        "Subject 'orders' not found.",
    );
}

#[test]
fn an_advertised_url_that_is_not_http_is_refused_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(["serve", "--advertised-url", "registry-1:8081"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("invalid value 'registry-1:8081' for '--advertised-url <URL>': 'registry-1:8081' is not an http:// or https:// URL of this node (http://host:port)"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leader_stopped_cleanly_leaves_the_election_at_once() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    let client = crate::helpers::http_client();
    let mut processes: Vec<Option<Process>> =
        (0..2).map(|_| Some(Process::start(&topic))).collect();
    for p in processes.iter().flatten() {
        p.ready(&client).await;
    }
    let all: Vec<String> = processes.iter().flatten().map(|p| p.base.clone()).collect();
    let leader = elected(&topic, 2, &all).await;
    let mut stopping = processes[leader].take().unwrap();
    let term = Command::new("kill")
        .args(["-TERM", &stopping.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let stopped_at = Instant::now();
    let status = tokio::task::spawn_blocking(move || stopping.child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    let survivor = [all[1 - leader].clone()];
    elected(&topic, 1, &survivor).await;
    // Well within the session timeout (6 s) a dead writer would take.
    let took = stopped_at.elapsed();
    eprintln!("the survivor was elected {took:?} after the leader was told to stop");
    assert!(took < Duration::from_secs(3), "{took:?}");
    let survivor = TestApp::attach(&survivor[0]);
    assert_eq!(survivor.register_ok("after", "\"int\"").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_leader_known_a_write_waits_then_fails_with_50004() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    let mut nodes = nodes(&topic, 1).await;
    let node = nodes.pop().unwrap();
    // An outside member of the election's group takes the partition (its static member id,
    // "0-...", sorts first), under the node's own URL: the group's description then names no
    // node the node may forward to, as while it is stale.
    let stop = Arc::new(AtomicBool::new(false));
    let outsider = {
        let (name, url, stop) = (topic.topic.clone(), node.base.clone(), stop.clone());
        let config = {
            let mut config = ClientConfig::new();
            config
                .set("bootstrap.servers", &topic.bootstrap)
                .set("group.id", format!("schemata-{name}"))
                .set("client.id", &url)
                .set("group.instance.id", "0")
                .set("partition.assignment.strategy", "range")
                .set("session.timeout.ms", "6000");
            config
        };
        std::thread::spawn(move || {
            let consumer: BaseConsumer = config.create().unwrap();
            consumer.subscribe(&[&name]).unwrap();
            while !stop.load(Ordering::SeqCst) {
                let _ = consumer.poll(Duration::from_millis(100));
            }
        })
    };
    let client = crate::helpers::http_client();
    let group = format!("schemata-{}", topic.topic);
    let admin: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &topic.bootstrap)
        .create()
        .unwrap();
    let start = Instant::now();
    loop {
        let held_outside = admin
            .fetch_group_list(Some(&group), Duration::from_secs(10))
            .is_ok_and(|list| {
                list.groups()
                    .iter()
                    .any(|g| g.state() == "Stable" && g.members().len() == 2)
            });
        let elected = metric(&client, &node.base, "schemata_kafka_elected_writer ").await;
        if held_outside && elected == Some(0.0) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{elected:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let started = Instant::now();
    assert_error(
        &node.register("orders", "\"string\"").await,
        500,
        50004,
        "Leader not known.",
    );
    assert!(
        started.elapsed() >= Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    stop.store(true, Ordering::SeqCst);
    outsider.join().unwrap();
}
