//! The embedded log on its own: replay, torn tails, corruption, compaction and the lock.

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use schemata::storage::log::LogStore;
use schemata::storage::{ConfigValue, Record, SchemaValue, Store};
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

fn config(level: &str) -> Record {
    Record::Config {
        subject: None,
        value: Some(ConfigValue {
            compatibility_level: Some(level.parse().unwrap()),
            ..ConfigValue::default()
        }),
    }
}

async fn commit(store: &LogStore, records: Vec<Record>) {
    let txn = store.begin().await.unwrap();
    txn.commit(records, Box::new(|_| {})).await.unwrap();
}

fn log_path(dir: &Path) -> std::path::PathBuf {
    dir.join("schemas.log")
}

#[tokio::test]
async fn records_replay_in_order_after_reopening() {
    let dir = TempDir::new().unwrap();
    let written = vec![schema("a", 1, 1), config("FULL"), schema("b", 1, 2)];
    {
        let store = LogStore::open(dir.path()).unwrap();
        commit(&store, written[..1].to_vec()).await;
        commit(&store, written[1..].to_vec()).await;
        assert_eq!(store.load().await.unwrap().records, written);
    }
    let store = LogStore::open(dir.path()).unwrap();
    assert_eq!(store.load().await.unwrap().records, written);
}

#[tokio::test]
async fn a_torn_tail_is_cut_off_and_the_rest_kept() {
    let dir = TempDir::new().unwrap();
    {
        let store = LogStore::open(dir.path()).unwrap();
        commit(&store, vec![schema("a", 1, 1)]).await;
        commit(&store, vec![schema("a", 2, 2)]).await;
    }
    let path = log_path(dir.path());
    let full = std::fs::metadata(&path).unwrap().len();
    // A crash in the middle of the second frame's write.
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(full - 5)
        .unwrap();
    let store = LogStore::open(dir.path()).unwrap();
    assert_eq!(store.load().await.unwrap().records, vec![schema("a", 1, 1)]);
    commit(&store, vec![schema("a", 3, 3)]).await;
    drop(store);
    let store = LogStore::open(dir.path()).unwrap();
    assert_eq!(
        store.load().await.unwrap().records,
        vec![schema("a", 1, 1), schema("a", 3, 3)]
    );
}

#[tokio::test]
async fn a_zero_filled_tail_is_cut_off() {
    let dir = TempDir::new().unwrap();
    {
        let store = LogStore::open(dir.path()).unwrap();
        commit(&store, vec![schema("a", 1, 1)]).await;
    }
    let mut f = OpenOptions::new()
        .append(true)
        .open(log_path(dir.path()))
        .unwrap();
    f.write_all(&[0; 4096]).unwrap();
    let store = LogStore::open(dir.path()).unwrap();
    assert_eq!(store.load().await.unwrap().records, vec![schema("a", 1, 1)]);
}

#[tokio::test]
async fn corruption_in_the_middle_is_refused_with_its_offset() {
    let dir = TempDir::new().unwrap();
    {
        let store = LogStore::open(dir.path()).unwrap();
        commit(&store, vec![schema("a", 1, 1), schema("a", 2, 2)]).await;
    }
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(log_path(dir.path()))
        .unwrap();
    f.seek(SeekFrom::Start(30)).unwrap();
    f.write_all(b"X").unwrap();
    drop(f);
    let err = LogStore::open(dir.path())
        .err()
        .expect("refused")
        .to_string();
    assert_eq!(
        err,
        format!(
            "corrupt store: checksum mismatch at offset 12, with {} more bytes after it; refusing to drop them",
            std::fs::metadata(log_path(dir.path())).unwrap().len() - 12
        )
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_log_is_refused() {
    let dir = TempDir::new().unwrap();
    std::fs::write(log_path(dir.path()), b"hello, world").unwrap();
    let err = LogStore::open(dir.path())
        .err()
        .expect("refused")
        .to_string();
    assert_eq!(
        err,
        "corrupt store: not a Schemata log file (bad header at offset 0)"
    );
}

#[tokio::test]
async fn a_second_opener_of_the_same_directory_is_refused() {
    let dir = TempDir::new().unwrap();
    let _first = LogStore::open(dir.path()).unwrap();
    let err = LogStore::open(dir.path())
        .err()
        .expect("refused")
        .to_string();
    assert_eq!(
        err,
        format!(
            "the data directory {} is in use by another process",
            dir.path().display()
        )
    );
}

#[tokio::test]
async fn compaction_keeps_the_last_live_value_of_each_key_in_order() {
    let dir = TempDir::new().unwrap();
    let store = LogStore::open(dir.path()).unwrap();
    commit(&store, vec![schema("a", 1, 1), schema("b", 1, 2)]).await;
    for i in 0..500 {
        commit(
            &store,
            vec![config(if i % 2 == 0 { "FULL" } else { "NONE" })],
        )
        .await;
    }
    commit(
        &store,
        vec![Record::Schema {
            subject: "b".into(),
            version: 1,
            value: None,
        }],
    )
    .await;
    commit(&store, vec![schema("c", 1, 3)]).await;
    let before = std::fs::metadata(log_path(dir.path())).unwrap().len();
    store.compact().await.unwrap();
    let after = std::fs::metadata(log_path(dir.path())).unwrap().len();
    assert!(after * 10 < before, "compacted {before} -> {after}");
    let expected = vec![schema("a", 1, 1), config("NONE"), schema("c", 1, 3)];
    assert_eq!(store.load().await.unwrap().records, expected);
    // Appends continue after the compacted records, and all of it survives a reopen.
    commit(&store, vec![schema("d", 1, 4)]).await;
    drop(store);
    let store = LogStore::open(dir.path()).unwrap();
    let mut expected = expected;
    expected.push(schema("d", 1, 4));
    assert_eq!(store.load().await.unwrap().records, expected);
    assert!(!dir.path().join("schemas.log.compact").exists());
}

#[tokio::test]
async fn concurrent_commits_share_fsyncs_and_all_become_durable() {
    let dir = TempDir::new().unwrap();
    let store = std::sync::Arc::new(LogStore::open(dir.path()).unwrap());
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            commit(&store, vec![schema(&format!("s{i}"), 1, i + 1)]).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    drop(store);
    let store = LogStore::open(dir.path()).unwrap();
    assert_eq!(store.load().await.unwrap().records.len(), 200);
}
