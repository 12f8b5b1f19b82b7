//! The log's single writer thread: group commit and compaction.
//!
//! Commits arrive on a channel in the order the registry made them. The thread takes everything
//! waiting, appends it with one write and one fsync, then, in order, runs each commit's
//! `on_durable` and answers it. Concurrent registrations therefore share an fsync instead of
//! queueing for one each.
//!
//! If a write or fsync fails, the file is cut back to its last durable length, the store's
//! generation moves on, and every commit still built on the lost writes is refused, so the
//! registry restarts from durable state.
//!
//! Compaction rewrites the live records (the last value of each key, tombstones dropped) in
//! their log order to a new file, fsyncs it and renames it over the log: a crash leaves either
//! the old or the new file, both complete.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::oneshot;

use super::file::{self, HEADER};
use crate::metrics::{Counter, Gauge, Histogram, Metrics};
use crate::storage::{OnDurable, Record, StoreError};

/// Compact once this many bytes are dead, and more are dead than live.
const COMPACT_AFTER_DEAD_BYTES: u64 = 8 * 1024 * 1024;
/// Compaction copies live frames through a buffer of this size.
const COPY_BUFFER: usize = 1024 * 1024;
/// Most bytes appended in one write.
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;

pub(super) enum Msg {
    Commit(Commit),
    Load(oneshot::Sender<Result<Vec<Record>, StoreError>>),
    Compact(oneshot::Sender<Result<(), StoreError>>),
}

pub(super) struct Commit {
    /// Encoded frames, back to back.
    pub(super) frames: Vec<u8>,
    /// Key and frame length of each frame, in order.
    pub(super) keys: Vec<(Vec<u8>, u64, bool)>,
    /// The store generation the commit was built in.
    pub(super) generation: u64,
    pub(super) on_durable: OnDurable,
    pub(super) done: oneshot::Sender<Result<(), StoreError>>,
}

/// Where the latest value of a key is.
struct Slot {
    offset: u64,
    /// A frame's length: at most `file::MAX_PAYLOAD` and its head, well within `u32`.
    len: u32,
    tombstone: bool,
}

/// What the index knows a record key by: a 128-bit keyed hash, not the key (about 75 bytes of
/// JSON, and 160 bytes a record more in memory with the table's own share). Two SipHash-1-3
/// with keys drawn at random for each process: nobody can choose keys that collide, and the
/// chance that two of a billion keys do is below one in 10^20.
struct KeyDigest(RandomState, RandomState);

impl KeyDigest {
    fn new() -> KeyDigest {
        KeyDigest(RandomState::new(), RandomState::new())
    }

    fn of(&self, key: &[u8]) -> u128 {
        (u128::from(self.0.hash_one(key)) << 64) | u128::from(self.1.hash_one(key))
    }
}

pub(super) struct Flusher {
    pub(super) dir: PathBuf,
    pub(super) file: File,
    /// Durable length of the file.
    pub(super) len: u64,
    index: HashMap<u128, Slot>,
    digest: KeyDigest,
    live_bytes: u64,
    /// Frames in the file, and how many of them hold the latest value of a live key.
    frames: u64,
    live_frames: u64,
    pub(super) generation: Arc<AtomicU64>,
    /// Records replayed at open, handed to a `load` that comes before any write.
    pub(super) replayed: Option<Vec<Record>>,
    /// Set when an append failed for lack of space, cleared by the next one that succeeds.
    pub(super) full: Arc<AtomicBool>,
    metrics: LogMetrics,
}

/// What the log measures.
pub(super) struct LogMetrics {
    write_seconds: Histogram,
    group_records: Histogram,
    size_bytes: Gauge,
    dead_ratio: Gauge,
    compactions: Counter,
}

impl LogMetrics {
    pub(super) fn new(metrics: &Metrics) -> LogMetrics {
        LogMetrics {
            write_seconds: metrics.histogram(
                "schemata_storage_write_duration_seconds",
                &[],
                "Time to make one write durable (the log: one append and fsync of a group commit)",
            ),
            group_records: metrics.histogram(
                "schemata_log_group_commit_records",
                &[],
                "Records appended by one group commit (one write and one fsync)",
            ),
            size_bytes: metrics.gauge("schemata_log_size_bytes", &[], "Size of the log file"),
            dead_ratio: metrics.gauge(
                "schemata_log_dead_ratio",
                &[],
                "Share of the log's records that are superseded or deleted (compaction drops them)",
            ),
            compactions: metrics.counter(
                "schemata_log_compactions_total",
                &[],
                "Compactions of the log",
            ),
        }
    }
}

pub(super) const LOG_NAME: &str = "schemas.log";

impl Flusher {
    /// A flusher over a checked log of `len` bytes whose frames are `frames`.
    pub(super) fn new(
        dir: PathBuf,
        file: File,
        frames: &[file::Frame<'_>],
        len: u64,
        generation: Arc<AtomicU64>,
        replayed: Vec<Record>,
        metrics: LogMetrics,
    ) -> Flusher {
        let mut flusher = Flusher {
            dir,
            file,
            len,
            index: HashMap::new(),
            digest: KeyDigest::new(),
            live_bytes: 0,
            frames: 0,
            live_frames: 0,
            generation,
            replayed: Some(replayed),
            full: Arc::default(),
            metrics,
        };
        for f in frames {
            let key = flusher.digest.of(f.key);
            flusher.track(key, f.offset, f.len, f.value.is_none());
        }
        flusher.measure();
        flusher
    }

    fn track(&mut self, key: u128, offset: u64, len: u64, tombstone: bool) {
        self.frames += 1;
        if !tombstone {
            self.live_bytes += len;
            self.live_frames += 1;
        }
        if let Some(old) = self.index.insert(
            key,
            Slot {
                offset,
                len: len as u32,
                tombstone,
            },
        ) {
            if !old.tombstone {
                self.live_bytes -= u64::from(old.len);
                self.live_frames -= 1;
            }
        }
    }

    /// Publishes the log's size and dead share.
    fn measure(&self) {
        self.metrics.size_bytes.set(self.len as f64);
        let dead = self.frames - self.live_frames;
        let ratio = if self.frames == 0 {
            0.0
        } else {
            dead as f64 / self.frames as f64
        };
        self.metrics.dead_ratio.set(ratio);
    }

    fn dead_bytes(&self) -> u64 {
        self.len - HEADER.len() as u64 - self.live_bytes
    }

    pub(super) fn needs_compaction(&self) -> bool {
        let dead = self.dead_bytes();
        dead >= COMPACT_AFTER_DEAD_BYTES && dead > self.live_bytes
    }

    pub(super) fn run(mut self, rx: Receiver<Msg>) {
        while let Ok(first) = rx.recv() {
            let mut commits = Vec::new();
            let mut bytes = 0;
            let mut next = Some(first);
            while let Some(msg) = next.take() {
                match msg {
                    Msg::Commit(c) => {
                        bytes += c.frames.len();
                        commits.push(c);
                    }
                    Msg::Load(reply) => {
                        let _ = reply.send(self.load());
                    }
                    Msg::Compact(reply) => {
                        self.write(std::mem::take(&mut commits));
                        let _ = reply.send(self.compact());
                    }
                }
                if bytes < MAX_BATCH_BYTES {
                    next = rx.try_recv().ok();
                }
            }
            self.write(commits);
            if self.needs_compaction() {
                if let Err(e) = self.compact() {
                    tracing::error!("log compaction failed, will retry later: {e}");
                }
            }
        }
    }

    /// Appends a batch with one write and one fsync, then answers every commit in order.
    fn write(&mut self, commits: Vec<Commit>) {
        let generation = self.generation.load(Ordering::SeqCst);
        let (current, stale): (Vec<Commit>, Vec<Commit>) = commits
            .into_iter()
            .partition(|c| c.generation == generation);
        for c in stale {
            let _ = c.done.send(Err(StoreError::Abandoned));
        }
        if current.is_empty() {
            return;
        }
        let buf: Vec<u8> = current
            .iter()
            .flat_map(|c| c.frames.iter().copied())
            .collect();
        let started = Instant::now();
        let result = self
            .file
            .write_all_at(&buf, self.len)
            .and_then(|()| self.file.sync_data());
        self.metrics.write_seconds.record(started.elapsed());
        let records: usize = current.iter().map(|c| c.keys.len()).sum();
        self.metrics.group_records.record(records as f64);
        match result {
            Ok(()) => {
                self.full.store(false, Ordering::Relaxed);
                // The records replayed at open no longer describe the whole log.
                self.replayed = None;
                let mut offset = self.len;
                self.len += buf.len() as u64;
                for c in current {
                    for (key, len, tombstone) in c.keys {
                        let key = self.digest.of(&key);
                        self.track(key, offset, len, tombstone);
                        offset += len;
                    }
                    (c.on_durable)(0);
                    let _ = c.done.send(Ok(()));
                }
                self.measure();
            }
            Err(e) => {
                if is_full(&e) {
                    self.full.store(true, Ordering::Relaxed);
                }
                tracing::error!(
                    "log append failed, cutting the log back to {} bytes: {e}",
                    self.len
                );
                if let Err(e) = self
                    .file
                    .set_len(self.len)
                    .and_then(|()| self.file.sync_all())
                {
                    tracing::error!("could not cut the log back: {e}");
                }
                self.generation.fetch_add(1, Ordering::SeqCst);
                for c in current {
                    let _ = c.done.send(Err(StoreError::Io(std::io::Error::new(
                        e.kind(),
                        e.to_string(),
                    ))));
                }
            }
        }
    }

    fn load(&mut self) -> Result<Vec<Record>, StoreError> {
        if let Some(records) = self.replayed.take() {
            return Ok(records);
        }
        let mut bytes = vec![0; self.len as usize];
        self.file.read_exact_at(&mut bytes, 0)?;
        let scan = file::scan(&bytes)?;
        scan.frames
            .iter()
            .filter_map(|f| f.record().transpose())
            .collect()
    }

    /// Rewrites the live records to a new file and renames it over the log.
    pub(super) fn compact(&mut self) -> Result<(), StoreError> {
        let mut live: Vec<(&u128, &Slot)> =
            self.index.iter().filter(|(_, s)| !s.tombstone).collect();
        live.sort_by_key(|(_, s)| s.offset);
        let tmp_path = self.dir.join(format!("{LOG_NAME}.compact"));
        let tmp = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&tmp_path)?;
        // Live frames are copied in runs of neighbours, a bounded buffer at a time: a log of a
        // million records is not read into memory whole.
        let mut out = BufWriter::with_capacity(COPY_BUFFER, &tmp);
        out.write_all(HEADER)?;
        let mut written = HEADER.len() as u64;
        let mut moved = Vec::with_capacity(live.len());
        let mut buf = Vec::new();
        let mut at = 0;
        while at < live.len() {
            let run_start = live[at].1.offset;
            let mut run_end = run_start;
            while at < live.len()
                && live[at].1.offset == run_end
                && run_end - run_start < COPY_BUFFER as u64
            {
                let (key, slot) = live[at];
                moved.push((*key, written + (run_end - run_start), u64::from(slot.len)));
                run_end += u64::from(slot.len);
                at += 1;
            }
            buf.resize((run_end - run_start) as usize, 0);
            self.file.read_exact_at(&mut buf, run_start)?;
            out.write_all(&buf)?;
            written += run_end - run_start;
        }
        out.flush()?;
        drop(out);
        tmp.sync_all()?;
        std::fs::rename(&tmp_path, self.dir.join(LOG_NAME))?;
        File::open(&self.dir)?.sync_all()?;
        let before = self.len;
        self.file = tmp;
        self.len = written;
        self.index.clear();
        self.live_bytes = 0;
        self.frames = 0;
        self.live_frames = 0;
        for (key, offset, len) in moved {
            self.track(key, offset, len, false);
        }
        self.metrics.compactions.increment(1);
        self.measure();
        tracing::info!("compacted the log from {before} to {} bytes", self.len);
        Ok(())
    }
}

/// Whether a write failed for lack of space (or of quota).
pub(super) fn is_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}
