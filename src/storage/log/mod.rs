//! The embedded compacted log: the default store, with no dependencies.
//!
//! One directory holds `schemas.log` (the records, format in `file.rs`) and `LOCK`, held
//! exclusively while a process uses the directory so a second one cannot write the same log.
//! A commit is acknowledged only after its frames are fsynced; concurrent commits share one
//! fsync (`flusher.rs`).

mod file;
mod flusher;

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::{Batch, CommitFuture, OnDurable, Position, Record, Store, StoreError, Transaction};
use crate::metrics::Metrics;
use flusher::{Commit, Flusher, LogMetrics, Msg, LOG_NAME};

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
    /// Held for the store's lifetime: the directory's exclusive lock.
    _lock: File,
}

impl LogStore {
    /// Opens (or creates) the log in `dir`, unmeasured; see [`LogStore::open_measured`].
    pub fn open(dir: impl AsRef<Path>) -> Result<LogStore, StoreError> {
        LogStore::open_measured(dir, &Metrics::off())
    }

    /// Opens (or creates) the log in `dir`: takes the lock, checks every frame, cuts off a torn
    /// tail, and compacts when most of the file is dead. Its writes, size and compactions are
    /// recorded in `metrics`.
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
        let mut bytes = vec![0; len as usize];
        file.read_exact_at(&mut bytes, 0)?;
        let scan = file::scan(&bytes)?;
        if scan.valid_len < len {
            tracing::warn!(
                "{}: cut off a torn tail of {} bytes at offset {} (an interrupted write)",
                path.display(),
                len - scan.valid_len,
                scan.valid_len
            );
            file.set_len(scan.valid_len)?;
            file.sync_all()?;
        }
        let records = file::decode_all(&scan.frames)?;
        let generation = Arc::new(AtomicU64::new(0));
        let mut flusher = Flusher::new(
            dir.clone(),
            file,
            &scan.frames,
            scan.valid_len,
            generation.clone(),
            records,
            LogMetrics::new(metrics),
        );
        let full = flusher.full.clone();
        drop(bytes);
        if flusher.needs_compaction() {
            flusher.compact()?;
        }
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("schemata-log".into())
            .spawn(move || flusher.run(rx))?;
        Ok(LogStore {
            tx,
            generation,
            dir,
            full,
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

    fn send(&self, msg: Msg) -> Result<(), StoreError> {
        self.tx.send(msg).map_err(|_| stopped())
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
        highest_known
            .checked_add(1)
            .filter(|id| *id <= i32::MAX as u32)
            .ok_or_else(|| StoreError::Backend("schema ids are exhausted".into()))
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
