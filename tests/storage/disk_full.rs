//! A full disk: appends fail cleanly, nothing unacknowledged appears, nothing acknowledged is
//! lost, and the log stays readable. Needs a tiny tmpfs, so it runs where `mount` is permitted
//! (root, as on CI) and says it was skipped elsewhere.

use schemata::storage::log::LogStore;
use schemata::storage::{Record, SchemaValue, Store, StoreError};

use crate::tmpfs::Tmpfs;

fn schema(i: u32) -> Record {
    Record::Schema {
        subject: format!("s{i}"),
        version: 1,
        value: Some(SchemaValue {
            subject: format!("s{i}"),
            version: 1,
            id: i,
            schema_type: "AVRO".into(),
            references: vec![],
            schema: format!(
                "{{\"type\":\"fixed\",\"name\":\"F{i}\",\"size\":{}}}",
                "1".repeat(200)
            ),
            metadata: None,
            rule_set: None,
            deleted: false,
            ts: None,
        }),
    }
}

#[tokio::test]
async fn a_full_disk_fails_writes_without_losing_or_inventing_records() {
    let Some(fs) = Tmpfs::mount("256k") else {
        return;
    };
    let store = LogStore::open(&fs.0).unwrap();
    let mut acknowledged = Vec::new();
    let mut failures = 0;
    for i in 1..=2000 {
        let txn = store.begin().await.unwrap();
        match txn.commit(vec![schema(i)], Box::new(|_| {})).await {
            Ok(()) => acknowledged.push(schema(i)),
            Err(StoreError::Io(_)) => failures += 1,
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert!(failures > 0, "the disk never filled up");
    assert!(!acknowledged.is_empty());
    assert_eq!(store.load().await.unwrap().records, acknowledged);
    drop(store);
    let store = LogStore::open(&fs.0).unwrap();
    assert_eq!(store.load().await.unwrap().records, acknowledged);
}
