//! The registry on a Kafka topic (a real broker, `KAFKA_BOOTSTRAP`): taking over a topic a
//! Confluent registry wrote, the topic's shape checked at start, and several nodes on one topic.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use schemata::app::{Options, Server};
use schemata::http::ApiFormat;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::kafka_topic::TestTopic;

use crate::fixture::FIXTURE;

fn client(topic: &TestTopic) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &topic.bootstrap);
    config
}

/// Creates the topic as an operator would, with `partitions` and `policy`.
async fn create_topic(topic: &TestTopic, partitions: i32, policy: &str) {
    let admin: AdminClient<DefaultClientContext> = client(topic).create().unwrap();
    let new = NewTopic::new(&topic.topic, partitions, TopicReplication::Fixed(1))
        .set("cleanup.policy", policy);
    let results = admin
        .create_topics([&new], &AdminOptions::new())
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

/// Produces the fixture's key/value lines as they are, without transactions, as Confluent's
/// registry does (`null` is a tombstone).
fn produce_fixture(topic: &TestTopic) {
    let producer: ThreadedProducer<DefaultProducerContext> =
        client(topic).set("acks", "all").create().unwrap();
    for line in FIXTURE.lines() {
        let (key, value) = line.split_once('\t').unwrap();
        let mut record = BaseRecord::<str, str>::to(&topic.topic).key(key);
        if value != "null" {
            record = record.payload(value);
        }
        producer.send(record).map_err(|(e, _)| e).unwrap();
    }
    producer.flush(Duration::from_secs(10)).unwrap();
}

/// Every committed record of the topic, as (key, value) text, read by a plain consumer.
fn read_topic(topic: &TestTopic) -> Vec<(String, Option<String>)> {
    let consumer: BaseConsumer = client(topic)
        .set("group.id", "schemata-test-reader")
        .set("enable.partition.eof", "true")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let mut partitions = TopicPartitionList::new();
    partitions
        .add_partition_offset(&topic.topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&partitions).unwrap();
    let mut out = Vec::new();
    loop {
        match consumer
            .poll(Duration::from_secs(10))
            .expect("the topic is read")
        {
            Ok(m) => out.push((
                String::from_utf8(m.key().unwrap().to_vec()).unwrap(),
                m.payload().map(|p| String::from_utf8(p.to_vec()).unwrap()),
            )),
            Err(rdkafka::error::KafkaError::PartitionEOF(_)) => return out,
            Err(e) => panic!("{e}"),
        }
    }
}

async fn node(topic: &TestTopic) -> TestApp {
    TestApp::on(&topic.url(), ApiFormat::V7, 4 * 1024 * 1024).await
}

async fn start_error(topic: &TestTopic, change: impl FnOnce(&mut Options)) -> String {
    let mut options = Options::new(&topic.url());
    change(&mut options);
    match Server::open(&options).await {
        Ok(_) => panic!("the server started"),
        Err(e) => format!("{e:#}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_topic_confluent_wrote_is_served_with_its_ids_and_appended_to_in_its_format() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    create_topic(&topic, 1, "compact").await;
    produce_fixture(&topic);
    let app = node(&topic).await;
    crate::fixture::serves_the_fixture(&app).await;
    // Ids go on after the highest one the topic held, hard-deleted ones included.
    assert_eq!(app.register_ok("fresh", "\"int\"").await, 7);
    assert_eq!(
        app.delete("/subjects/fresh/versions/1").await.body,
        json!(1)
    );

    // The global config, set and deleted.
    assert_eq!(
        app.put("/config", json!({"compatibility": "FULL"}))
            .await
            .body,
        json!({"compatibility": "FULL"})
    );
    assert_eq!(
        app.delete("/config").await.body,
        json!({"compatibilityLevel": "FULL"})
    );

    // What Schemata appended, read back by a plain consumer: Confluent's keys, byte for byte.
    let records = read_topic(&topic);
    assert_eq!(records.len(), FIXTURE.lines().count() + 5, "{records:?}");
    let appended = &records[FIXTURE.lines().count()..];
    // The global config under Confluent's key; deleted under both spellings, so compaction
    // cannot bring back the fixture's value (written under the older one) nor this one.
    assert_eq!(
        &appended[2..],
        &[
            (
                r#"{"keytype":"CONFIG","magic":0}"#.to_string(),
                Some(r#"{"compatibilityLevel":"FULL"}"#.to_string())
            ),
            (
                r#"{"keytype":"CONFIG","subject":null,"magic":0}"#.to_string(),
                None
            ),
            (r#"{"keytype":"CONFIG","magic":0}"#.to_string(), None),
        ]
    );
    let key = r#"{"keytype":"SCHEMA","subject":"fresh","version":1,"magic":1}"#;
    for (i, deleted) in [(0, false), (1, true)] {
        assert_eq!(appended[i].0, key);
        let mut value: Value = serde_json::from_str(appended[i].1.as_deref().unwrap()).unwrap();
        assert!(value["ts"].is_i64(), "{value}");
        value.as_object_mut().unwrap().remove("ts");
        assert_eq!(
            value,
            json!({"subject": "fresh", "version": 1, "id": 7, "schemaType": "AVRO",
                   "schema": "\"int\"", "deleted": deleted})
        );
        // Confluent's field order.
        let text = appended[i].1.as_deref().unwrap();
        assert!(
            text.starts_with(r#"{"subject":"fresh","version":1,"id":7,"schemaType":"AVRO","schema":"\"int\"","deleted":"#),
            "{text}"
        );
    }

    // A second node replays the same topic to the same answers.
    let other = node(&topic).await;
    for path in [
        "/subjects",
        "/schemas/ids/2",
        "/subjects/fresh/versions?deleted=true",
    ] {
        assert_eq!(
            other.get(path).await.body,
            app.get(path).await.body,
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_topic_that_cannot_hold_the_registry_is_refused_at_start() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    create_topic(&topic, 3, "compact").await;
    assert_eq!(
        start_error(&topic, |_| {}).await,
        format!(
            "opening storage: Kafka topic '{}' has 3 partitions; the registry's topic must have \
             exactly one (its records' order is the registry's history)",
            topic.topic
        )
    );

    let Some(topic) = TestTopic::create() else {
        return;
    };
    create_topic(&topic, 1, "delete").await;
    assert_eq!(
        start_error(&topic, |_| {}).await,
        format!(
            "opening storage: Kafka topic '{}' has cleanup.policy=delete; the registry's topic \
             must be compacted (set cleanup.policy=compact on it, or pass \
             --kafka-allow-uncompacted-topic to use it anyway)",
            topic.topic
        )
    );
    // The override is explicit.
    let mut options = Options::new(&topic.url());
    options.kafka.allow_uncompacted = true;
    let app = TestApp::with(options).await;
    assert_eq!(app.register_ok("s", "\"int\"").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_on_one_topic_never_give_two_ids_or_two_versions() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    let nodes = [node(&topic).await, node(&topic).await, node(&topic).await];
    // Each round registers a new version of each subject: no compatibility check in the way.
    nodes[0]
        .put("/config", json!({"compatibility": "NONE"}))
        .await;
    for app in &nodes {
        for _ in 0..200 {
            if app.get("/config").await.body == json!({"compatibilityLevel": "NONE"}) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let mut tasks = Vec::new();
    for round in 1..=8 {
        for (n, app) in nodes.iter().enumerate() {
            // The same schema on every node, and one schema of each node's own.
            for (subject, size) in [("shared", round), (&*format!("own-{n}"), 100 + round)] {
                let (base, subject) = (app.base.clone(), subject.to_string());
                let schema = format!("{{\"type\":\"fixed\",\"name\":\"F\",\"size\":{size}}}");
                tasks.push(tokio::spawn(async move {
                    register_until_done(&base, &subject, &schema).await
                }));
            }
        }
    }
    let mut ids: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let (mut registrations, mut retries) = (0, 0);
    for task in tasks {
        let (schema, id, tries) = task.await.unwrap();
        ids.entry(schema).or_default().insert(id);
        registrations += 1;
        retries += tries - 1;
    }
    eprintln!("{registrations} registrations through 3 nodes took {retries} retries (writes fenced by another node's takeover)");
    // One id per schema, and no id for two schemas.
    assert!(ids.values().all(|set| set.len() == 1), "{ids:?}");
    let distinct: BTreeSet<u64> = ids.values().flatten().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
    // Every node ends with the same versions, numbered 1.. without gaps or doubles.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for subject in ["shared", "own-0", "own-1", "own-2"] {
        let path = format!("/subjects/{subject}/versions");
        let first = nodes[0].get(&path).await.body;
        assert_eq!(first, json!((1..=8).collect::<Vec<_>>()), "{subject}");
        for other in &nodes[1..] {
            assert_eq!(other.get(&path).await.body, first, "{subject}");
        }
    }
}

/// Registers `schema`, retrying while a node answers that another node took the topic over
/// meanwhile (its write was fenced: nothing was written, and the client may retry); the
/// schema's text, its id and how many tries it took.
async fn register_until_done(base: &str, subject: &str, schema: &str) -> (String, u64, u32) {
    let client = reqwest::Client::new();
    for tries in 1..=50 {
        let r = client
            .post(format!("{base}/subjects/{subject}/versions"))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .json(&json!({ "schema": schema }))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        match status {
            200 => return (schema.to_string(), body["id"].as_u64().unwrap(), tries),
            500 => assert!(
                body["error_code"] == 50001 || body["error_code"] == 50002,
                "{body}"
            ),
            _ => panic!("{status} {body}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{subject}: no registration after 50 tries");
}
