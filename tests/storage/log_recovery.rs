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

/// A log of `count` schemas, written 500 to a commit; several megabytes, so that a start reads
/// it through its buffer in several pieces.
async fn large_log(dir: &Path, count: u32) -> Vec<Record> {
    let records: Vec<Record> = (1..=count)
        .map(|i| schema(&format!("subject-{i}-with-a-longer-name"), 1, i))
        .collect();
    let store = LogStore::open(dir).unwrap();
    for chunk in records.chunks(500) {
        commit(&store, chunk.to_vec()).await;
    }
    records
}

/// Where each frame of the log file `bytes` starts (after the 12-byte header).
fn frame_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 12;
    while at < bytes.len() {
        starts.push(at);
        at += 8 + u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    }
    starts
}

#[tokio::test]
async fn corruption_far_into_a_large_log_is_refused_with_its_offset() {
    let dir = TempDir::new().unwrap();
    large_log(dir.path(), 20_000).await;
    let path = log_path(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    assert!(len > 3 * 1024 * 1024, "{len} bytes");
    // A frame well past the first megabyte, and one straddling where a 1 MiB buffer ends.
    let starts = frame_starts(&bytes);
    let far = *starts.iter().find(|s| **s > 2_500_000).unwrap();
    let straddling = *starts
        .iter()
        .rev()
        .find(|s| **s < 2 * 1024 * 1024 - 10)
        .unwrap();
    for frame in [far, straddling] {
        let mut damaged = bytes.clone();
        damaged[frame + 40] ^= 0x04;
        std::fs::write(&path, &damaged).unwrap();
        let err = LogStore::open(dir.path())
            .err()
            .expect("refused")
            .to_string();
        assert_eq!(
            err,
            format!(
                "corrupt store: checksum mismatch at offset {frame}, with {} more bytes after it; refusing to drop them",
                len - frame
            )
        );
    }
    // A zeroed stretch in the middle is no torn tail either.
    bytes[far..far + 4096].fill(0);
    std::fs::write(&path, &bytes).unwrap();
    let err = LogStore::open(dir.path())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.starts_with(&format!(
            "corrupt store: impossible frame length at offset {far}, "
        )),
        "{err}"
    );
}

#[tokio::test]
async fn a_torn_tail_of_a_large_log_is_cut_off() {
    let dir = TempDir::new().unwrap();
    let mut records = large_log(dir.path(), 20_000).await;
    let path = log_path(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    // Unwritten space the file system allocated after the last frame.
    let mut zeroed = bytes.clone();
    zeroed.extend_from_slice(&[0; 3 * 1024 * 1024]);
    std::fs::write(&path, &zeroed).unwrap();
    let store = LogStore::open(dir.path()).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().len() as usize,
        bytes.len()
    );
    assert!(store.load().await.unwrap().records == records);
    drop(store);
    // The last frame half written.
    let last = *frame_starts(&bytes).last().unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    let store = LogStore::open(dir.path()).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, last);
    records.pop();
    assert!(store.load().await.unwrap().records == records);
}

#[tokio::test]
async fn a_reopened_log_is_compacted_by_the_index_it_reads_back() {
    let dir = TempDir::new().unwrap();
    {
        let store = LogStore::open(dir.path()).unwrap();
        commit(&store, vec![schema("a", 1, 1), schema("b", 1, 2)]).await;
        for i in 0..500 {
            let level = if i % 2 == 0 { "FULL" } else { "NONE" };
            commit(&store, vec![config(level)]).await;
        }
        commit(
            &store,
            vec![Record::Schema {
                subject: "a".into(),
                version: 1,
                value: None,
            }],
        )
        .await;
    }
    // Nothing written since the open: the index comes from the file alone.
    let store = LogStore::open(dir.path()).unwrap();
    let before = std::fs::metadata(log_path(dir.path())).unwrap().len();
    store.compact().await.unwrap();
    let after = std::fs::metadata(log_path(dir.path())).unwrap().len();
    assert!(after * 10 < before, "compacted {before} -> {after}");
    drop(store);
    let expected = vec![schema("b", 1, 2), config("NONE")];
    let store = LogStore::open(dir.path()).unwrap();
    assert_eq!(store.load().await.unwrap().records, expected);
}
