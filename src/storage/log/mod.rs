//! The embedded compacted log: the default store, with no dependencies.
//!
//! One directory holds `schemas.log` (the records, format in `file.rs`), `schemas.snapshot` (the
//! registry's state as of a prefix of the log, `snapshot.rs`) and `LOCK`, held exclusively while
//! a process uses the directory so a second one cannot write the same log.
//! A commit is acknowledged only after its frames are fsynced; concurrent commits share one
//! fsync (`flusher.rs`).

mod file;
mod flusher;
mod snapshot;

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::{
    Batch, CommitFuture, OnDurable, Position, Record, SnapshotSource, Store, StoreError,
    Transaction,
};
use crate::metrics::Metrics;
use flusher::{Checked, Commit, Flusher, LogMetrics, Msg, LOG_NAME};

/// After a write failed for lack of space, the free space at which the log is taken to accept
/// writes again (short of trying one).
const FREE_TO_RESUME: u64 = 1024 * 1024;

/// The embedded log store.
pub struct LogStore {
    tx: Sender<Msg>,
    generation: Arc<AtomicU64>,
    dir: PathBuf,
    /// Set while the last append failed for lack of space.
    full: Arc<AtomicBool>,
    /// The writer thread, joined on drop: it may be finishing a compaction or a snapshot, and
    /// the directory's lock must outlive that.
    writer: Option<std::thread::JoinHandle<()>>,
    /// Held for the store's lifetime: the directory's exclusive lock.
    _lock: File,
}

impl LogStore {
    /// Opens (or creates) the log in `dir`, unmeasured; see [`LogStore::open_measured`].
    pub fn open(dir: impl AsRef<Path>) -> Result<LogStore, StoreError> {
        LogStore::open_measured(dir, &Metrics::off())
    }

    /// Opens (or creates) the log in `dir`: takes the lock, checks every frame (reading the file
    /// through one buffer, not whole), cuts off a torn tail, and decodes the records after the
    /// snapshot when there is a valid one (else all). Once open, it compacts in the background
    /// when most of the file is dead. Its writes, size and compactions are recorded in
    /// `metrics`.
    pub fn open_measured(dir: impl AsRef<Path>, metrics: &Metrics) -> Result<LogStore, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("LOCK"))?;
        if lock.try_lock().is_err() {
            return Err(StoreError::Config(format!(
                "the data directory {} is in use by another process",
                dir.display()
            )));
        }
        let path = dir.join(LOG_NAME);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)?;
        let mut len = file.metadata()?.len();
        if len == 0 {
            file.write_all_at(file::HEADER, 0)?;
            file.sync_all()?;
            File::open(&dir)?.sync_all()?;
            len = file::HEADER.len() as u64;
        }
        let started = std::time::Instant::now();
        // The snapshot's head names the prefix it covers, looked for while the log is checked;
        // its body is read and checked on another core meanwhile.
        let unread = snapshot::open(&dir);
        let covers = unread.as_ref().map(|s| s.covers);
        let (scan, snapshot) = std::thread::scope(|scope| {
            let snapshot = scope.spawn(|| unread.and_then(snapshot::Unread::read));
            // Whether the log, as it is read, passes through the prefix the snapshot covers.
            let mut holds_covered = false;
            let scan = file::scan(&file, len, |prefix| {
                holds_covered |= covers == Some(*prefix);
            });
            let snapshot = snapshot.join().expect("reading a snapshot does not panic");
            (scan.map(|prefix| (prefix, holds_covered)), snapshot)
        });
        let (prefix, holds_covered) = scan?;
        if prefix.len < len {
            tracing::warn!(
                "{}: cut off a torn tail of {} bytes at offset {} (an interrupted write)",
                path.display(),
                len - prefix.len,
                prefix.len
            );
            file.set_len(prefix.len)?;
            file.sync_all()?;
        }
        let snapshot = match snapshot {
            Some(s) if holds_covered => Some(s),
            Some(_) => {
                tracing::warn!(
                    "{}: the snapshot covers a log this is not (compacted or cut back since); \
                     ignored, replaying the log",
                    dir.display()
                );
                None
            }
            None => None,
        };
        // Only the records after the snapshot are read again and decoded.
        let from = snapshot
            .as_ref()
            .map_or(file::Prefix::empty(), |s| s.covers);
        let records = file::decode(&file, from.len, prefix.len)?;
        tracing::info!(
            "{}: checked {} frames ({} bytes) and decoded the {} {} in {} ms",
            path.display(),
            prefix.frames,
            prefix.len,
            records.len(),
            if snapshot.is_some() {
                "after the snapshot"
            } else {
                "records (no snapshot)"
            },
            started.elapsed().as_millis()
        );
        let covers = snapshot.as_ref().map(|s| s.covers);
        let generation = Arc::new(AtomicU64::new(0));
        let flusher = Flusher::new(
            dir.clone(),
            Checked { file, prefix },
            generation.clone(),
            (snapshot.map(|s| s.body), records),
            covers,
            LogMetrics::new(metrics),
        );
        let full = flusher.full.clone();
        let (tx, rx) = mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("schemata-log".into())
            .spawn(move || flusher.run(rx))?;
        Ok(LogStore {
            tx,
            generation,
            dir,
            full,
            writer: Some(writer),
            _lock: lock,
        })
    }

    /// Whether `dir` holds a log already (so opening it would not create one).
    pub fn exists(dir: impl AsRef<Path>) -> bool {
        dir.as_ref().join(LOG_NAME).is_file()
    }

    /// Free bytes on the log's file system for an unprivileged writer.
    fn free_space(&self) -> Option<u64> {
        let stat = rustix::fs::statvfs(&self.dir).ok()?;
        Some(stat.f_bavail.saturating_mul(stat.f_frsize))
    }

    /// Rewrites the log now, keeping only live records.
    pub async fn compact(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Msg::Compact(reply))?;
        rx.await.map_err(|_| stopped())?
    }

    /// Writes a snapshot of the registry's state now (once a registry asked for snapshots),
    /// and waits until it is durable.
    pub async fn snapshot(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Msg::Snapshot(reply))?;
        rx.await.map_err(|_| stopped())?
    }

    fn send(&self, msg: Msg) -> Result<(), StoreError> {
        self.tx.send(msg).map_err(|_| stopped())
    }
}

impl Drop for LogStore {
    fn drop(&mut self) {
        let Some(writer) = self.writer.take() else {
            return;
        };
        // The last reference can go on the writer thread itself (the registry it snapshots
        // dropped meanwhile): that thread ends on its own once the channel closes.
        if writer.thread().id() != std::thread::current().id() && self.tx.send(Msg::Stop).is_ok() {
            let _ = writer.join();
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the log writer has stopped".into())
}

#[async_trait::async_trait]
impl Store for LogStore {
    async fn load(&self) -> Result<Batch, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Msg::Load(reply))?;
        let records = rx.await.map_err(|_| stopped())??;
        Ok(Batch {
            records,
            position: 0,
        })
    }

    async fn load_snapshot(&self) -> Result<(Option<bytes::Bytes>, Batch), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Msg::LoadSnapshot(reply))?;
        let (snapshot, records) = rx.await.map_err(|_| stopped())??;
        Ok((
            snapshot,
            Batch {
                records,
                position: 0,
            },
        ))
    }

    fn keep_snapshots(&self, source: SnapshotSource) {
        // Only fails when the writer has stopped, which every write then reports.
        let _ = self.send(Msg::KeepSnapshots(source));
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        Ok(Box::new(LogTransaction {
            tx: self.tx.clone(),
            generation: self.generation.load(Ordering::SeqCst),
        }))
    }

    async fn catch_up(&self, after: Position) -> Result<Batch, StoreError> {
        Ok(Batch {
            records: Vec::new(),
            position: after,
        })
    }

    fn is_shared(&self) -> bool {
        false
    }

    fn holds_write_lock(&self) -> bool {
        false
    }

    async fn changed(&self) {
        std::future::pending().await
    }

    fn refuses_writes(&self) -> Option<String> {
        if !self.full.load(Ordering::Relaxed) {
            return None;
        }
        match self.free_space() {
            // Room again: the next write will tell.
            Some(free) if free >= FREE_TO_RESUME => None,
            free => Some(format!(
                "read-only: the log's disk is full (a write failed for lack of space; {} bytes free)",
                free.map_or_else(|| "unknown".to_string(), |f| f.to_string())
            )),
        }
    }
}

struct LogTransaction {
    tx: Sender<Msg>,
    generation: u64,
}

#[async_trait::async_trait]
impl Transaction for LogTransaction {
    async fn new_id(&mut self, highest_known: u32) -> Result<u32, StoreError> {
        crate::storage::next_id(highest_known)
    }

    fn generation(&self) -> u64 {
        self.generation
    }

    fn fresh(&self) -> bool {
        false
    }

    fn commit(self: Box<Self>, records: Vec<Record>, on_durable: OnDurable) -> CommitFuture {
        let mut frames = Vec::new();
        let keys = records
            .iter()
            .map(|r| {
                let (len, key, tombstone) = file::encode(r, &mut frames);
                (key, len, tombstone)
            })
            .collect();
        let (done, rx) = oneshot::channel();
        let sent = self.tx.send(Msg::Commit(Commit {
            frames,
            keys,
            generation: self.generation,
            on_durable,
            done,
        }));
        Box::pin(async move {
            sent.map_err(|_| stopped())?;
            rx.await.map_err(|_| stopped())?
        })
    }
}
