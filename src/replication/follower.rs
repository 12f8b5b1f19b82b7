//! `serve --follow URL`: a read-only replica of another registry (Confluent's or ours), kept
//! by polling its REST API. Each look reads the source's whole state ([`Snapshot::read`]),
//! compares it with the replica's, and applies the difference as records (new and changed
//! versions, configs and modes; tombstones for what the source no longer has), so ids,
//! versions and soft deletes are the source's. The replica refuses every other write with
//! Confluent's read-only error, so consumers can be pointed at it before a cut-over.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::remote::{Remote, RemoteError, Snapshot};
use crate::registry::Registry;
use crate::storage::Record;

/// What to follow, and how often to look.
#[derive(Debug, Clone)]
pub struct Follow {
    pub source: Remote,
    pub interval: Duration,
}

/// Makes `registry` a replica of `follow.source` and keeps it in step until the registry is
/// dropped. A look that fails is logged once (and again when looks work again), then retried
/// at the next interval.
pub fn spawn(registry: &Registry, follow: Follow) {
    registry.make_replica();
    let weak = registry.downgrade();
    tokio::spawn(async move {
        let mut failing = false;
        loop {
            let Some(registry) = weak.upgrade() else {
                return;
            };
            match look(&registry, &follow.source).await {
                Ok(applied) => {
                    if failing {
                        tracing::info!("following {} again", follow.source.url());
                    }
                    if applied > 0 {
                        tracing::debug!("applied {applied} records from {}", follow.source.url());
                    }
                    failing = false;
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(
                            "following {} failed, retrying every {:?}: {e}",
                            follow.source.url(),
                            follow.interval
                        );
                    }
                    failing = true;
                }
            }
            drop(registry);
            tokio::time::sleep(follow.interval).await;
        }
    });
}

/// One look at the source: the number of records applied.
pub async fn look(registry: &Registry, source: &Remote) -> Result<usize, RemoteError> {
    let snapshot = Snapshot::read(source).await?;
    let changes = changes(&registry.records(), &snapshot.records());
    let applied = changes.len();
    if applied > 0 {
        registry
            .replicate(changes)
            .await
            .map_err(|e| RemoteError(format!("applying the source's changes: {e}")))?;
    }
    Ok(applied)
}

/// The records that turn `current` into `wanted`: each wanted record that differs (write times
/// aside), then a tombstone for each current key no longer wanted.
pub fn changes(current: &[Record], wanted: &[Record]) -> Vec<Record> {
    let have: HashMap<Vec<u8>, &Record> = current.iter().map(|r| (r.key(), r)).collect();
    let mut wanted_keys = HashSet::new();
    let mut out = Vec::new();
    for record in wanted {
        let record = without_ts(record.clone());
        let key = record.key();
        if have.get(&key) != Some(&&record) {
            out.push(record);
        }
        wanted_keys.insert(key);
    }
    for record in current {
        if !wanted_keys.contains(&record.key()) {
            out.push(tombstone(record));
        }
    }
    out
}

fn without_ts(mut record: Record) -> Record {
    if let Record::Schema { value: Some(v), .. } = &mut record {
        v.ts = None;
    }
    record
}

fn tombstone(record: &Record) -> Record {
    match record {
        Record::Schema {
            subject, version, ..
        } => Record::Schema {
            subject: subject.clone(),
            version: *version,
            value: None,
        },
        Record::Config { subject, .. } => Record::Config {
            subject: subject.clone(),
            value: None,
        },
        Record::Mode { subject, .. } => Record::Mode {
            subject: subject.clone(),
            value: None,
        },
        // Not in a state's records: a state holds versions, configs and modes only.
        other => other.clone(),
    }
}
