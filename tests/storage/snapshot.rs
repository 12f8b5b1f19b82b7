//! Snapshots kept next to the embedded log: used when they check, ignored (the whole log
//! replayed) when they are damaged or stale, with the writes after them replayed; and
//! compaction, which copies while writes go on.

use std::io::Write;
use std::path::Path;

use schemata::storage::log::LogStore;
use schemata::storage::{Record, SchemaValue, Store};
use tempfile::TempDir;

fn schema(subject: &str, version: i32, id: u32) -> Record {
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
            deleted: false,
            ts: Some(1),
        }),
    }
}

async fn commit(store: &LogStore, records: Vec<Record>) {
    let txn = store.begin().await.unwrap();
    txn.commit(records, Box::new(|_| {})).await.unwrap();
}

/// Opens the log, lets it keep snapshots whose body is `body`, and writes one.
async fn snapshot_with(dir: &Path, body: &'static [u8]) {
    let store = LogStore::open(dir).unwrap();
    store.keep_snapshots(Box::new(move || {
        Some(Box::new(move |out: &mut dyn Write| out.write_all(body)))
    }));
    store.snapshot().await.unwrap();
}

/// A log of `a`, `b` with a snapshot covering them, then `c` written after it.
async fn log_with_snapshot(dir: &Path) {
    {
        let store = LogStore::open(dir).unwrap();
        commit(&store, vec![schema("a", 1, 1), schema("b", 1, 2)]).await;
    }
    snapshot_with(dir, b"state of a and b").await;
    let store = LogStore::open(dir).unwrap();
    commit(&store, vec![schema("c", 1, 3)]).await;
}

fn all() -> Vec<Record> {
    vec![schema("a", 1, 1), schema("b", 1, 2), schema("c", 1, 3)]
}

#[tokio::test]
async fn a_valid_snapshot_is_used_and_the_writes_after_it_are_replayed() {
    let dir = TempDir::new().unwrap();
    log_with_snapshot(dir.path()).await;
    let store = LogStore::open(dir.path()).unwrap();
    let (snapshot, batch) = store.load_snapshot().await.unwrap();
    assert_eq!(snapshot.as_deref(), Some(&b"state of a and b"[..]));
    assert_eq!(batch.records, vec![schema("c", 1, 3)]);
    // A plain load still gets every record.
    assert_eq!(store.load().await.unwrap().records, all());
}

#[tokio::test]
async fn a_damaged_snapshot_is_ignored_and_the_whole_log_replayed() {
    let path = |dir: &TempDir| dir.path().join("schemas.snapshot");
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 4] = [
        ("a flipped bit in its body", |b| {
            let last = b.len() - 1;
            b[last] ^= 0x10;
        }),
        ("truncated", |b| b.truncate(b.len() - 3)),
        ("cut to its header", |b| b.truncate(20)),
        ("another covered length", |b| b[19] ^= 0x01),
    ];
    for (what, damage) in damages {
        let dir = TempDir::new().unwrap();
        log_with_snapshot(dir.path()).await;
        let mut bytes = std::fs::read(path(&dir)).unwrap();
        damage(&mut bytes);
        std::fs::write(path(&dir), bytes).unwrap();
        let store = LogStore::open(dir.path()).unwrap();
        let (snapshot, batch) = store.load_snapshot().await.unwrap();
        assert_eq!(snapshot, None, "{what}");
        assert_eq!(batch.records, all(), "{what}");
    }
}

#[tokio::test]
async fn a_snapshot_of_a_log_since_compacted_or_cut_back_is_stale() {
    // Compacted: the same records, at other offsets.
    let dir = TempDir::new().unwrap();
    {
        let store = LogStore::open(dir.path()).unwrap();
        commit(&store, vec![schema("a", 1, 1), schema("b", 1, 9)]).await;
        commit(&store, vec![schema("b", 1, 2)]).await;
    }
    snapshot_with(dir.path(), b"state").await;
    {
        let store = LogStore::open(dir.path()).unwrap();
        store.compact().await.unwrap();
    }
    let store = LogStore::open(dir.path()).unwrap();
    let (snapshot, batch) = store.load_snapshot().await.unwrap();
    assert_eq!(snapshot, None);
    assert_eq!(batch.records, vec![schema("a", 1, 1), schema("b", 1, 2)]);
    drop(store);

    // Cut back below what the snapshot covers (a restored backup, say).
    let dir = TempDir::new().unwrap();
    {
        let store = LogStore::open(dir.path()).unwrap();
        commit(&store, vec![schema("a", 1, 1)]).await;
    }
    let short = std::fs::read(dir.path().join("schemas.log")).unwrap();
    {
        let store = LogStore::open(dir.path()).unwrap();
        commit(&store, vec![schema("b", 1, 2)]).await;
    }
    snapshot_with(dir.path(), b"state").await;
    std::fs::write(dir.path().join("schemas.log"), short).unwrap();
    let store = LogStore::open(dir.path()).unwrap();
    let (snapshot, batch) = store.load_snapshot().await.unwrap();
    assert_eq!(snapshot, None);
    assert_eq!(batch.records, vec![schema("a", 1, 1)]);
}

#[tokio::test]
async fn a_torn_tail_after_the_snapshot_is_cut_off_and_the_snapshot_still_used() {
    let dir = TempDir::new().unwrap();
    log_with_snapshot(dir.path()).await;
    let log = dir.path().join("schemas.log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes.truncate(bytes.len() - 5);
    std::fs::write(&log, bytes).unwrap();
    let store = LogStore::open(dir.path()).unwrap();
    let (snapshot, batch) = store.load_snapshot().await.unwrap();
    assert_eq!(snapshot.as_deref(), Some(&b"state of a and b"[..]));
    assert_eq!(batch.records, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_go_on_during_a_compaction_and_all_survive_it() {
    let dir = TempDir::new().unwrap();
    let store = std::sync::Arc::new(LogStore::open(dir.path()).unwrap());
    // Enough live records that the copy takes a while, and dead ones to drop.
    for chunk in 0..20u32 {
        let records = (0..1000u32)
            .map(|i| schema(&format!("s{}", chunk * 1000 + i), 1, chunk * 1000 + i + 1))
            .collect();
        commit(&store, records).await;
    }
    commit(&store, vec![schema("s0", 1, 999_999)]).await;
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..200u32 {
                commit(&store, vec![schema(&format!("t{i}"), 1, 100_000 + i)]).await;
            }
            // Supersedes a record the compaction copies.
            commit(&store, vec![schema("s1", 1, 888_888)]).await;
        })
    };
    store.compact().await.unwrap();
    writer.await.unwrap();
    let mut expected: Vec<Record> = (1..20_000u32)
        .map(|i| schema(&format!("s{i}"), 1, i + 1))
        .collect();
    expected.push(schema("s0", 1, 999_999));
    expected.extend((0..200u32).map(|i| schema(&format!("t{i}"), 1, 100_000 + i)));
    expected.push(schema("s1", 1, 888_888));
    let live = |records: Vec<Record>| {
        let mut latest = std::collections::BTreeMap::new();
        for r in records {
            if let Record::Schema { subject, value, .. } = r {
                latest.insert(subject, value.map(|v| v.id));
            }
        }
        latest
    };
    assert_eq!(
        live(store.load().await.unwrap().records),
        live(expected.clone())
    );
    drop(store);
    let store = LogStore::open(dir.path()).unwrap();
    assert_eq!(live(store.load().await.unwrap().records), live(expected));
    assert!(!dir.path().join("schemas.log.compact").exists());
}

#[tokio::test]
async fn a_snapshot_far_into_a_large_log_is_found_and_only_the_writes_after_it_decoded() {
    let dir = TempDir::new().unwrap();
    {
        let store = LogStore::open(dir.path()).unwrap();
        for chunk in 0..20u32 {
            let records = (0..1000u32)
                .map(|i| schema(&format!("s{}", chunk * 1000 + i), 1, chunk * 1000 + i + 1))
                .collect();
            commit(&store, records).await;
        }
    }
    snapshot_with(dir.path(), b"state of 20,000").await;
    let after: Vec<Record> = (0..3000u32)
        .map(|i| schema(&format!("t{i}"), 1, 100_000 + i))
        .collect();
    {
        let store = LogStore::open(dir.path()).unwrap();
        commit(&store, after.clone()).await;
    }
    let store = LogStore::open(dir.path()).unwrap();
    let (snapshot, batch) = store.load_snapshot().await.unwrap();
    assert_eq!(snapshot.as_deref(), Some(&b"state of 20,000"[..]));
    assert!(batch.records == after, "{} records", batch.records.len());
}
