//! The `Store` contract, written once and run against every backend (the log, PostgreSQL,
//! Kafka): what is committed comes back from `load` after reopening, folded the same way
//! whatever the backend keeps.

use std::sync::Arc;
use std::time::Duration;

use compat::{CompatibilityLevel, Metadata, Rule, RuleSet};
use schemata::metrics::Metrics;
use schemata::storage::{ConfigValue, Mode, ModeValue, Position, Record, SchemaValue, Store};
use tempfile::TempDir;
use tokio::time::timeout;

#[cfg(feature = "kafka")]
use crate::kafka::TestTopic;
use crate::pg::TestDb;

/// A place to open stores of one backend, as often as a scenario needs.
enum Backend {
    Log(TempDir),
    Postgres(TestDb),
    #[cfg(feature = "kafka")]
    Kafka(TestTopic),
}

impl Backend {
    fn url(&self) -> String {
        match self {
            Backend::Log(dir) => format!("file://{}", dir.path().display()),
            Backend::Postgres(db) => db.url.clone(),
            #[cfg(feature = "kafka")]
            Backend::Kafka(topic) => topic.url(),
        }
    }

    async fn open(&self) -> Arc<dyn Store> {
        schemata::storage::open(&self.url(), &Metrics::off())
            .await
            .expect("store opens")
    }
}

/// Runs a scenario on the log, and on PostgreSQL and Kafka when they are available.
macro_rules! contract {
    ($($scenario:ident),* $(,)?) => {
        mod log {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(&super::Backend::Log(tempfile::TempDir::new().unwrap())).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $scenario() {
                let Some(db) = crate::pg::TestDb::create().await else { return };
                super::$scenario(&super::Backend::Postgres(db)).await;
            })*
        }
        #[cfg(feature = "kafka")]
        mod kafka {
            $(#[tokio::test]
            async fn $scenario() {
                let Some(topic) = crate::kafka::TestTopic::create() else { return };
                super::$scenario(&super::Backend::Kafka(topic)).await;
            })*
        }
    };
}

contract!(
    records_come_back_after_reopening,
    later_values_replace_earlier_ones_and_tombstones_delete,
    a_second_store_on_the_same_backend_catches_up,
    a_write_whose_caller_went_away_holds_nothing_up,
    a_write_given_up_while_it_waited_its_turn_holds_nothing_up,
    a_write_given_up_as_it_was_let_in_holds_nothing_up,
    data_contracts_and_their_configs_come_back_whole,
);

fn schema(subject: &str, version: i32, id: u32, deleted: bool) -> Record {
    Record::Schema {
        subject: subject.into(),
        version,
        value: Some(SchemaValue {
            subject: subject.into(),
            version,
            id,
            schema_type: "AVRO".into(),
            references: vec![],
            schema: format!("{{\"type\":\"fixed\",\"name\":\"F{id}\",\"size\":{id}}}"),
            metadata: None,
            rule_set: None,
            deleted,
            ts: Some(7),
        }),
    }
}

/// Commits `records`; the position the store reported for them.
async fn commit(store: &Arc<dyn Store>, records: Vec<Record>) -> Position {
    let txn = store.begin().await.unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    txn.commit(
        records,
        Box::new(move |position| tx.send(position).unwrap()),
    )
    .await
    .unwrap();
    rx.recv()
        .expect("on_durable ran before the commit resolved")
}

/// What a sequence of records means: the last value of each key, in the order of those last
/// writes, tombstones dropped. Every backend must give back a sequence that means the same.
fn meaning(records: &[Record]) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    for r in records {
        out.retain(|o| o.key() != r.key());
        out.push(r.clone());
    }
    out.retain(|r| r.value().is_some());
    out
}

async fn records_come_back_after_reopening(backend: &Backend) {
    let written = vec![
        schema("a", 1, 1, false),
        Record::Config {
            subject: None,
            value: Some(ConfigValue {
                compatibility_level: Some(CompatibilityLevel::Full),
                ..ConfigValue::default()
            }),
        },
        Record::Mode {
            subject: Some("a".into()),
            value: Some(ModeValue {
                subject: Some("a".into()),
                mode: Mode::ReadOnly,
            }),
        },
        schema("b", 1, 2, false),
        Record::DeleteSubject {
            subject: "b".into(),
            version: 1,
        },
    ];
    {
        let store = backend.open().await;
        commit(&store, written[..2].to_vec()).await;
        commit(&store, written[2..].to_vec()).await;
    }
    let store = backend.open().await;
    assert_eq!(meaning(&store.load().await.unwrap().records), written);
}

async fn later_values_replace_earlier_ones_and_tombstones_delete(backend: &Backend) {
    let store = backend.open().await;
    commit(
        &store,
        vec![schema("a", 1, 1, false), schema("a", 2, 2, false)],
    )
    .await;
    commit(&store, vec![schema("a", 1, 1, true)]).await;
    commit(
        &store,
        vec![Record::Schema {
            subject: "a".into(),
            version: 2,
            value: None,
        }],
    )
    .await;
    commit(&store, vec![schema("c", 1, 3, false)]).await;
    drop(store);
    let store = backend.open().await;
    assert_eq!(
        meaning(&store.load().await.unwrap().records),
        vec![schema("a", 1, 1, true), schema("c", 1, 3, false)]
    );
}

async fn a_second_store_on_the_same_backend_catches_up(backend: &Backend) {
    let first = backend.open().await;
    let loaded = first.load().await.unwrap();
    if !first.is_shared() {
        // One process owns the log: a second opener is refused instead.
        assert!(schemata::storage::open(&backend.url(), &Metrics::off())
            .await
            .is_err());
        assert!(first
            .catch_up(loaded.position)
            .await
            .unwrap()
            .records
            .is_empty());
        return;
    }
    let second = backend.open().await;
    second.load().await.unwrap();
    let written = commit(&second, vec![schema("x", 1, 1, false)]).await;
    let caught = first.catch_up(loaded.position).await.unwrap();
    assert_eq!(caught.records, vec![schema("x", 1, 1, false)]);
    assert_eq!(caught.position, written);
    assert!(first
        .catch_up(caught.position)
        .await
        .unwrap()
        .records
        .is_empty());
    assert!(
        second.catch_up(written).await.unwrap().records.is_empty(),
        "a node does not see its own writes twice"
    );
    // Positions grow in commit order, and what came after a position is read again from it.
    let later = commit(&first, vec![schema("y", 1, 2, false)]).await;
    assert!(later > written);
    assert_eq!(
        second.catch_up(loaded.position).await.unwrap().records,
        vec![schema("x", 1, 1, false), schema("y", 1, 2, false)]
    );
}

/// Polls a future once (a request that got as far as its first wait) and leaves it there.
async fn poll_once<F: std::future::Future + Unpin>(future: &mut F) {
    std::future::poll_fn(|cx| {
        let _ = std::pin::Pin::new(&mut *future).poll(cx);
        std::task::Poll::Ready(())
    })
    .await;
}

/// A second node on the same backend, loaded; on a backend of one process, `first` itself.
async fn another_node(backend: &Backend, first: &Arc<dyn Store>) -> Arc<dyn Store> {
    if !first.is_shared() {
        return first.clone();
    }
    let other = backend.open().await;
    other.load().await.unwrap();
    other
}

/// A write abandoned while it waits to begin (its client disconnected, and the server dropped
/// the request) must not keep the store, or on PostgreSQL the cluster-wide write lock, to
/// itself: the next write, here and on another node, goes ahead at once.
async fn a_write_whose_caller_went_away_holds_nothing_up(backend: &Backend) {
    let first = backend.open().await;
    first.load().await.unwrap();
    let mut begin = first.begin();
    poll_once(&mut begin).await;
    drop(begin);
    let other = another_node(backend, &first).await;
    let within = Duration::from_secs(5);
    timeout(within, commit(&other, vec![schema("x", 1, 1, false)]))
        .await
        .expect("the other node's write goes ahead");
    timeout(within, commit(&first, vec![schema("y", 1, 2, false)]))
        .await
        .expect("so does the next write on the first");
}

/// The same for a write that waited behind another write on its own node (on PostgreSQL: one
/// that came after the node had held the lock for its turn, so it waits for the lock to be let
/// go and taken again). Its client gives up; once the write ahead of it ends, the lock must go
/// (it was kept, and another node's write failed after the 10 s lock timeout).
async fn a_write_given_up_while_it_waited_its_turn_holds_nothing_up(backend: &Backend) {
    let first = backend.open().await;
    first.load().await.unwrap();
    let ahead = first.begin().await.unwrap();
    // Past the longest turn a PostgreSQL node keeps the lock while its writes keep coming.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut behind = first.begin();
    poll_once(&mut behind).await;
    drop(behind);
    drop(ahead);
    let other = another_node(backend, &first).await;
    timeout(
        Duration::from_secs(5),
        commit(&other, vec![schema("x", 1, 1, false)]),
    )
    .await
    .expect("the other node's write goes ahead");
}

/// The same for a write let in (on PostgreSQL: the lock taken for it) whose client went away
/// before it saw the answer: the answer is dropped unread, and the write must still end. The
/// next write on that node must still catch up, as the one let in never did.
async fn a_write_given_up_as_it_was_let_in_holds_nothing_up(backend: &Backend) {
    let first = backend.open().await;
    first.load().await.unwrap();
    let mut begin = first.begin();
    poll_once(&mut begin).await;
    // Time for the store to let it in, answering a future no one polls again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(begin);
    let within = Duration::from_secs(5);
    let next = timeout(within, first.begin())
        .await
        .expect("the next write on the node goes ahead")
        .unwrap();
    assert_eq!(next.fresh(), first.is_shared(), "it catches up first");
    drop(next);
    if first.is_shared() {
        let other = backend.open().await;
        other.load().await.unwrap();
        timeout(within, commit(&other, vec![schema("x", 1, 1, false)]))
            .await
            .expect("so does another node's");
    }
}

async fn data_contracts_and_their_configs_come_back_whole(backend: &Backend) {
    let metadata = Metadata {
        tags: [("Order.ssn".to_string(), vec!["PII".to_string()])].into(),
        properties: [("owner".to_string(), "payments".to_string())].into(),
        sensitive: vec!["ssn".into()],
    };
    let rules = RuleSet {
        domain_rules: vec![Rule {
            name: Some("checkSsn".into()),
            kind: Some("CONDITION".into()),
            mode: Some("WRITE".into()),
            rule_type: Some("CEL".into()),
            tags: vec!["PII".into()],
            params: [("a".to_string(), "b".to_string())].into(),
            expr: Some("size(message.ssn) == 9".into()),
            on_failure: Some("DLQ".into()),
            ..Rule::default()
        }],
        enable_at: Some("CLIENT".into()),
        ..RuleSet::default()
    };
    let mut contracted = schema("a", 1, 1, false);
    if let Record::Schema { value: Some(v), .. } = &mut contracted {
        v.metadata = Some(metadata.clone());
        v.rule_set = Some(rules.clone());
    }
    let written = vec![
        contracted,
        Record::Config {
            subject: Some("a".into()),
            value: Some(ConfigValue {
                subject: Some("a".into()),
                validate_rules: Some(true),
                compatibility_group: Some("major".into()),
                default_metadata: Some(metadata.clone()),
                override_metadata: Some(metadata),
                default_rule_set: Some(rules.clone()),
                override_rule_set: Some(rules),
                ..ConfigValue::default()
            }),
        },
    ];
    commit(&backend.open().await, written.clone()).await;
    let store = backend.open().await;
    assert_eq!(meaning(&store.load().await.unwrap().records), written);
}
