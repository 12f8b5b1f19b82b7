//! What only the Kafka store has: fencing. Every node on a topic shares one transactional id, so
//! a node that takes over the topic makes the one before it unable to write, even a write it had
//! already decided; and a writer that died mid-transaction holds no one up.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::ClientConfig;
use schemata::metrics::Metrics;
use schemata::storage::{Record, SchemaValue, Store, StoreError, Transaction};

use crate::kafka::TestTopic;

fn schema(subject: &str, id: u32) -> Record {
    Record::Schema {
        subject: subject.into(),
        version: 1,
        value: Some(SchemaValue {
            subject: subject.into(),
            version: 1,
            id,
            schema_type: "AVRO".into(),
            references: vec![],
            schema: "\"int\"".into(),
            metadata: None,
            rule_set: None,
            deleted: false,
            ts: None,
        }),
    }
}

async fn open(topic: &TestTopic) -> Arc<dyn Store> {
    let store = schemata::storage::open(&topic.url(), &Metrics::off())
        .await
        .expect("store opens");
    store.load().await.unwrap();
    store
}

async fn commit(txn: Box<dyn Transaction>, records: Vec<Record>) -> Result<(), StoreError> {
    txn.commit(records, Box::new(|_| {})).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_that_was_taken_over_cannot_write_what_it_decided() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    let a = open(&topic).await;
    let decided = a.begin().await.unwrap();
    assert!(decided.fresh(), "the first write takes the topic over");
    // Before A commits, B takes the topic over and gives id 1 to another schema.
    let b = open(&topic).await;
    let took = b.begin().await.unwrap();
    assert!(took.fresh(), "and so does another node's");
    let refused = commit(decided, vec![schema("a", 1)]).await.unwrap_err();
    assert!(
        refused.to_string().contains(
            "another Schemata node took over writing to the topic, so this write was not made"
        ),
        "the error says why: {refused}"
    );
    commit(took, vec![schema("b", 1)]).await.unwrap();
    let reader = open(&topic).await;
    assert_eq!(
        reader.catch_up(0).await.unwrap().records,
        vec![schema("b", 1)],
        "id 1 has one schema"
    );

    // A's next write takes over again and must read first; B is the one fenced now.
    let again = a.begin().await.unwrap();
    assert!(again.fresh());
    let stale = b.begin().await.unwrap();
    assert!(!stale.fresh(), "B does not know yet");
    commit(again, vec![schema("c", 2)]).await.unwrap();
    assert!(commit(stale, vec![schema("d", 2)]).await.is_err());
    assert_eq!(
        reader.catch_up(0).await.unwrap().records,
        vec![schema("b", 1), schema("c", 2)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_writer_that_died_mid_transaction_holds_no_one_up_and_leaves_nothing() {
    let Some(topic) = TestTopic::create() else {
        return;
    };
    let store = open(&topic).await;
    // A node that took the topic over, produced, and died before committing: its producer is
    // leaked, never closed, as a killed process's would be.
    let dead: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &topic.bootstrap)
        .set("transactional.id", format!("schemata-{}", topic.topic))
        .create()
        .unwrap();
    dead.init_transactions(Duration::from_secs(10)).unwrap();
    dead.begin_transaction().unwrap();
    let key = schema("ghost", 1).key();
    let value = schema("ghost", 1).value().unwrap();
    dead.send(
        FutureRecord::to(&topic.topic)
            .partition(0)
            .key(&key)
            .payload(&value),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    std::mem::forget(dead);

    let started = std::time::Instant::now();
    let txn = store.begin().await.unwrap();
    commit(txn, vec![schema("alive", 1)]).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "taking over aborted the dead writer's transaction at once: {:?}",
        started.elapsed()
    );
    assert_eq!(
        open(&topic).await.load().await.unwrap().records,
        vec![schema("alive", 1)]
    );
}
