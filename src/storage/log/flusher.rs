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
//! the old or the new file, both complete. Writes are not held back while it copies: a
//! background thread copies the live records of the file as it was when compaction began (a
//! frozen prefix: the file is only ever appended to), while this thread keeps appending. Then
//! this thread copies what was appended meanwhile after them, fsyncs and renames: writes wait
//! only for that tail.
//!
//! Snapshots of the registry's state (`snapshot.rs`) are captured here, between two appends, when
//! the registry's published state is exactly the durable log, and written by a background thread.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;

use tokio::sync::oneshot;

use super::file::{self, Prefix, HEADER};
use super::snapshot;
use crate::metrics::{Counter, Gauge, Histogram, Metrics};
use crate::storage::{OnDurable, Record, SnapshotSource, StoreError};

/// Compact once this many bytes are dead, and more are dead than live.
const COMPACT_AFTER_DEAD_BYTES: u64 = 8 * 1024 * 1024;
/// Compaction copies live frames through a buffer of this size.
const COPY_BUFFER: usize = 1024 * 1024;
/// Most bytes appended in one write.
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;
/// A new snapshot is written once this many bytes of log came after the last one (or after a
/// compaction), or an eighth of what it covers if that is more: a start replays at most about
/// that much, and a large registry under steady writes does not rewrite its snapshot (most of
/// the log's size again) for every few megabytes written.
const SNAPSHOT_AFTER_BYTES: u64 = 32 * 1024 * 1024;
/// How often the thread looks whether a background compaction or snapshot has finished while no
/// commits come.
const POLL: Duration = Duration::from_millis(20);

/// A snapshot, when one was used, and the records after it.
pub(super) type Loaded = (Option<Bytes>, Vec<Record>);

pub(super) enum Msg {
    Commit(Commit),
    Load(oneshot::Sender<Result<Vec<Record>, StoreError>>),
    LoadSnapshot(oneshot::Sender<Result<Loaded, StoreError>>),
    Compact(oneshot::Sender<Result<(), StoreError>>),
    KeepSnapshots(SnapshotSource),
    Snapshot(oneshot::Sender<Result<(), StoreError>>),
    /// The store is closing: finish the background work, then end.
    Stop,
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

/// A log file read whole and checked by `file::scan`, its torn tail cut off.
pub(super) struct Checked {
    pub(super) file: File,
    pub(super) bytes: Vec<u8>,
    /// All of it.
    pub(super) prefix: Prefix,
}

/// Where the latest frame of each record key is, and how much of the log is live.
struct Index {
    slots: HashMap<u128, Slot>,
    digest: KeyDigest,
    live_bytes: u64,
    /// Frames in the file, and how many of them hold the latest value of a live key.
    frames: u64,
    live_frames: u64,
}

impl Index {
    fn new(digest: KeyDigest) -> Index {
        Index {
            slots: HashMap::new(),
            digest,
            live_bytes: 0,
            frames: 0,
            live_frames: 0,
        }
    }

    /// The index of the checked log `bytes` of `frames` frames.
    fn of(bytes: &[u8], frames: u64) -> Index {
        let mut index = Index::new(KeyDigest::new());
        index.slots.reserve(frames as usize);
        for (offset, len, key, tombstone) in file::walk(bytes) {
            let key = index.digest.of(key);
            index.track(key, offset, len, tombstone);
        }
        index
    }

    fn track(&mut self, key: u128, offset: u64, len: u64, tombstone: bool) {
        self.frames += 1;
        if !tombstone {
            self.live_bytes += len;
            self.live_frames += 1;
        }
        if let Some(old) = self.slots.insert(
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
}

/// A compaction under way on a background thread.
struct Compaction {
    /// The prefix of the file it copies: everything appended before it began.
    frozen: Prefix,
    job: JoinHandle<Result<Copied, StoreError>>,
    /// Explicit requests, answered when it is done.
    waiting: Vec<oneshot::Sender<Result<(), StoreError>>>,
    started: Instant,
}

/// The live records of a frozen prefix, copied to a new file (fsynced, not yet renamed).
struct Copied {
    file: File,
    /// The new file's frames: the key, new offset and length of each.
    moved: Vec<(u128, u64, u32)>,
    prefix: Prefix,
}

pub(super) struct Flusher {
    pub(super) dir: PathBuf,
    pub(super) file: File,
    /// Durable length of the file, its frame count and chain (what a snapshot covers).
    prefix: Prefix,
    index: Index,
    /// The index of a log just opened, built on another thread while the registry reads its
    /// state; waited for before anything needs it.
    indexing: Option<JoinHandle<Index>>,
    pub(super) generation: Arc<AtomicU64>,
    /// Records replayed at open (after the snapshot, when one was used), handed to a load that
    /// comes before any write.
    replayed: Option<Loaded>,
    /// Set when an append failed for lack of space, cleared by the next one that succeeds.
    pub(super) full: Arc<AtomicBool>,
    metrics: LogMetrics,
    compaction: Option<Compaction>,
    /// After a failed compaction: the length the log must reach before the next attempt.
    compact_not_before: u64,
    /// Where the registry's state is captured from, once it asked for snapshots.
    snapshot_source: Option<SnapshotSource>,
    /// The prefix of the current file the latest snapshot covers (or is being written for).
    snapshot_covers: Option<Prefix>,
    snapshot_job: Option<JoinHandle<()>>,
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
    /// A flusher over a checked log; `replayed` is what a first load answers, and
    /// `snapshot_covers` what the snapshot used covers. The log's index is built from its bytes
    /// on another thread.
    pub(super) fn new(
        dir: PathBuf,
        log: Checked,
        generation: Arc<AtomicU64>,
        replayed: Loaded,
        snapshot_covers: Option<Prefix>,
        metrics: LogMetrics,
    ) -> Result<Flusher, StoreError> {
        let Checked {
            file,
            bytes,
            prefix,
        } = log;
        let indexing = std::thread::Builder::new()
            .name("schemata-index".into())
            .spawn(move || Index::of(&bytes, prefix.frames))?;
        Ok(Flusher {
            dir,
            file,
            prefix,
            index: Index::new(KeyDigest::new()),
            indexing: Some(indexing),
            generation,
            replayed: Some(replayed),
            full: Arc::default(),
            metrics,
            compaction: None,
            compact_not_before: 0,
            snapshot_source: None,
            snapshot_covers,
            snapshot_job: None,
        })
    }

    /// The index, once built.
    fn index(&mut self) -> &mut Index {
        if let Some(indexing) = self.indexing.take() {
            self.index = indexing.join().expect("indexing does not panic");
            self.measure();
        }
        &mut self.index
    }

    /// Publishes the log's size and dead share.
    fn measure(&self) {
        self.metrics.size_bytes.set(self.prefix.len as f64);
        let dead = self.index.frames - self.index.live_frames;
        let ratio = if self.index.frames == 0 {
            0.0
        } else {
            dead as f64 / self.index.frames as f64
        };
        self.metrics.dead_ratio.set(ratio);
    }

    fn needs_compaction(&mut self) -> bool {
        let live = self.index().live_bytes;
        let dead = self.prefix.len - HEADER.len() as u64 - live;
        self.compaction.is_none()
            && self.prefix.len >= self.compact_not_before
            && dead >= COMPACT_AFTER_DEAD_BYTES
            && dead > live
    }

    pub(super) fn run(mut self, rx: Receiver<Msg>) {
        loop {
            // While work goes on in the background, look now and then whether it is done.
            let first = if self.compaction.is_some() || self.snapshot_job.is_some() {
                match rx.recv_timeout(POLL) {
                    Ok(msg) => Some(msg),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match rx.recv() {
                    Ok(msg) => Some(msg),
                    Err(_) => break,
                }
            };
            let mut commits = Vec::new();
            let mut bytes = 0;
            let mut stop = false;
            let mut next = first;
            while let Some(msg) = next.take() {
                match msg {
                    Msg::Commit(c) => {
                        bytes += c.frames.len();
                        commits.push(c);
                    }
                    Msg::Load(reply) => {
                        let _ = reply.send(self.load());
                    }
                    Msg::LoadSnapshot(reply) => {
                        let _ = reply.send(self.load_snapshot());
                    }
                    Msg::Compact(reply) => {
                        if self.compaction.is_none() {
                            self.start_compaction();
                        }
                        match &mut self.compaction {
                            Some(c) => c.waiting.push(reply),
                            None => {
                                let _ = reply.send(Err(StoreError::Backend(
                                    "the log's compaction could not start".into(),
                                )));
                            }
                        }
                    }
                    Msg::KeepSnapshots(source) => self.snapshot_source = Some(source),
                    Msg::Snapshot(reply) => {
                        // Commits before it are in the snapshot.
                        self.write(std::mem::take(&mut commits));
                        self.snapshot(Some(reply));
                    }
                    Msg::Stop => stop = true,
                }
                if bytes < MAX_BATCH_BYTES {
                    next = rx.try_recv().ok();
                }
            }
            self.write(commits);
            if stop {
                break;
            }
            self.background_work();
        }
        // Finish what runs in the background rather than leave it half done.
        if let Some(c) = self.compaction.take() {
            let copied = c.job.join().unwrap_or_else(|_| Err(panicked()));
            self.finish_compaction(c.frozen, c.started, copied, c.waiting);
        }
        if let Some(job) = self.snapshot_job.take() {
            let _ = job.join();
        }
    }

    /// Finishes a compaction whose copy is done, starts one when most of the log is dead, and
    /// a snapshot when enough was written since the last one.
    fn background_work(&mut self) {
        if self
            .compaction
            .as_ref()
            .is_some_and(|c| c.job.is_finished())
        {
            let c = self.compaction.take().expect("a compaction runs");
            let copied = c.job.join().unwrap_or_else(|_| Err(panicked()));
            self.finish_compaction(c.frozen, c.started, copied, c.waiting);
        }
        if self.needs_compaction() {
            self.start_compaction();
        }
        if self.snapshot_job.as_ref().is_some_and(|j| j.is_finished()) {
            self.snapshot_job = None;
        }
        let covered = self.snapshot_covers.map_or(0, |p| p.len);
        if self.snapshot_job.is_none()
            && self.compaction.is_none()
            && self.prefix.len - covered >= SNAPSHOT_AFTER_BYTES.max(covered / 8)
        {
            self.snapshot(None);
        }
    }

    /// Captures the registry's state now (it is exactly the durable log) and writes it on a
    /// background thread, after any snapshot still being written; `reply` hears how it went.
    fn snapshot(&mut self, reply: Option<oneshot::Sender<Result<(), StoreError>>>) {
        let answer = |reply: Option<oneshot::Sender<Result<(), StoreError>>>, result| {
            if let Some(reply) = reply {
                let _ = reply.send(result);
            }
        };
        let Some(writer) = self.snapshot_source.as_ref().and_then(|source| source()) else {
            return answer(
                reply,
                Err(StoreError::Backend("no registry state to snapshot".into())),
            );
        };
        if let Some(job) = self.snapshot_job.take() {
            let _ = job.join();
        }
        let (dir, covers) = (self.dir.clone(), self.prefix);
        self.snapshot_covers = Some(covers);
        let job = std::thread::Builder::new()
            .name("schemata-snapshot".into())
            .spawn(move || {
                let started = Instant::now();
                let result = snapshot::write(&dir, covers, writer);
                match &result {
                    Ok(()) => tracing::info!(
                        "wrote a snapshot covering {} bytes of log in {} ms",
                        covers.len,
                        started.elapsed().as_millis()
                    ),
                    Err(e) => tracing::error!("writing a snapshot failed: {e}"),
                }
                answer(reply, result.map_err(StoreError::from));
            });
        match job {
            Ok(job) => self.snapshot_job = Some(job),
            Err(e) => tracing::error!("could not start writing a snapshot: {e}"),
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
            .write_all_at(&buf, self.prefix.len)
            .and_then(|()| self.file.sync_data());
        self.metrics.write_seconds.record(started.elapsed());
        let records: usize = current.iter().map(|c| c.keys.len()).sum();
        self.metrics.group_records.record(records as f64);
        match result {
            Ok(()) => {
                self.full.store(false, Ordering::Relaxed);
                // The records replayed at open no longer describe the whole log.
                self.replayed = None;
                let mut offset = self.prefix.len;
                self.prefix.push_all(&buf);
                for c in current {
                    let index = self.index();
                    for (key, len, tombstone) in c.keys {
                        let key = index.digest.of(&key);
                        index.track(key, offset, len, tombstone);
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
                    self.prefix.len
                );
                if let Err(e) = self
                    .file
                    .set_len(self.prefix.len)
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

    /// Every record, oldest first.
    fn load(&mut self) -> Result<Vec<Record>, StoreError> {
        match self.replayed.take() {
            Some((None, records)) => Ok(records),
            // Records after a snapshot are not all of them: read the log again.
            _ => self.read_all(),
        }
    }

    fn load_snapshot(&mut self) -> Result<Loaded, StoreError> {
        match self.replayed.take() {
            Some(loaded) => Ok(loaded),
            None => Ok((None, self.read_all()?)),
        }
    }

    fn read_all(&self) -> Result<Vec<Record>, StoreError> {
        let mut bytes = vec![0; self.prefix.len as usize];
        self.file.read_exact_at(&mut bytes, 0)?;
        let scan = file::scan(&bytes)?;
        file::decode_all(&scan.frames)
    }

    /// Starts copying the live records of the file as it is now on a background thread.
    fn start_compaction(&mut self) {
        // Only what the copy needs: the live slots (sorting them is left to the copy).
        let live: Vec<(u128, u64, u32)> = self
            .index()
            .slots
            .iter()
            .filter(|(_, s)| !s.tombstone)
            .map(|(key, s)| (*key, s.offset, s.len))
            .collect();
        let source = match self.file.try_clone() {
            Ok(file) => file,
            Err(e) => return tracing::error!("log compaction could not start: {e}"),
        };
        let dir = self.dir.clone();
        let job = std::thread::Builder::new()
            .name("schemata-compact".into())
            .spawn(move || copy_live(&dir, &source, live));
        match job {
            Ok(job) => {
                self.compaction = Some(Compaction {
                    frozen: self.prefix,
                    job,
                    waiting: Vec::new(),
                    started: Instant::now(),
                })
            }
            Err(e) => tracing::error!("log compaction could not start: {e}"),
        }
    }

    /// Appends what was written during the copy to the new file and renames it over the log.
    fn finish_compaction(
        &mut self,
        frozen: Prefix,
        started: Instant,
        copied: Result<Copied, StoreError>,
        waiting: Vec<oneshot::Sender<Result<(), StoreError>>>,
    ) {
        let paused = Instant::now();
        let result = copied.and_then(|copied| self.swap(frozen, copied));
        match &result {
            Ok(before) => tracing::info!(
                "compacted the log from {before} to {} bytes in {} ms; writes waited {} ms",
                self.prefix.len,
                started.elapsed().as_millis(),
                paused.elapsed().as_millis()
            ),
            Err(e) => {
                tracing::error!("log compaction failed, will retry later: {e}");
                let _ = std::fs::remove_file(self.dir.join(format!("{LOG_NAME}.compact")));
                self.compact_not_before = self.prefix.len + COMPACT_AFTER_DEAD_BYTES;
            }
        }
        for reply in waiting {
            let _ = reply.send(match &result {
                Ok(_) => Ok(()),
                Err(e) => Err(StoreError::Backend(format!("log compaction failed: {e}"))),
            });
        }
    }

    /// Returns the log's length before.
    fn swap(&mut self, frozen: Prefix, copied: Copied) -> Result<u64, StoreError> {
        let Copied {
            file: new,
            moved,
            mut prefix,
        } = copied;
        let mut tail = vec![0; (self.prefix.len - frozen.len) as usize];
        self.file.read_exact_at(&mut tail, frozen.len)?;
        new.write_all_at(&tail, prefix.len)?;
        new.sync_all()?;
        std::fs::rename(
            self.dir.join(format!("{LOG_NAME}.compact")),
            self.dir.join(LOG_NAME),
        )?;
        File::open(&self.dir)?.sync_all()?;
        let before = self.prefix.len;
        // The keys written meanwhile, where the new file has them.
        let shift = |offset: u64| offset - frozen.len + prefix.len;
        let latest: Vec<(u128, u64, u64, bool)> = self
            .index()
            .slots
            .iter()
            .filter(|(_, s)| s.offset >= frozen.len)
            .map(|(key, s)| (*key, shift(s.offset), u64::from(s.len), s.tombstone))
            .collect();
        prefix.push_all(&tail);
        self.file = new;
        let digest = std::mem::replace(&mut self.index.digest, KeyDigest::new());
        let mut index = Index::new(digest);
        index.slots.reserve(moved.len() + latest.len());
        for (key, offset, len) in moved {
            index.track(key, offset, u64::from(len), false);
        }
        for (key, offset, len, tombstone) in latest {
            index.track(key, offset, len, tombstone);
        }
        // Every frame of the tail stays, superseded ones included.
        index.frames = prefix.frames;
        self.index = index;
        self.prefix = prefix;
        // The snapshot on disk names the old file: a new one is due.
        self.snapshot_covers = None;
        self.metrics.compactions.increment(1);
        self.measure();
        Ok(before)
    }
}

/// Copies the live frames `live` (key, offset, length) of `source` in their log order to a new
/// file in `dir`, fsynced. Runs of neighbours are copied a bounded buffer at a time: a log of a
/// million records is not read into memory whole.
fn copy_live(
    dir: &Path,
    source: &File,
    mut live: Vec<(u128, u64, u32)>,
) -> Result<Copied, StoreError> {
    live.sort_unstable_by_key(|(_, offset, _)| *offset);
    let tmp_path = dir.join(format!("{LOG_NAME}.compact"));
    let tmp = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&tmp_path)?;
    let mut out = BufWriter::with_capacity(COPY_BUFFER, &tmp);
    out.write_all(HEADER)?;
    let mut prefix = Prefix::empty();
    let mut moved = Vec::with_capacity(live.len());
    let mut buf = Vec::new();
    let mut at = 0;
    while at < live.len() {
        let run_start = live[at].1;
        let mut run_end = run_start;
        while at < live.len() && live[at].1 == run_end && run_end - run_start < COPY_BUFFER as u64 {
            let (key, _, len) = live[at];
            moved.push((key, prefix.len + (run_end - run_start), len));
            run_end += u64::from(len);
            at += 1;
        }
        buf.resize((run_end - run_start) as usize, 0);
        source.read_exact_at(&mut buf, run_start)?;
        out.write_all(&buf)?;
        prefix.push_all(&buf);
    }
    out.flush()?;
    drop(out);
    tmp.sync_all()?;
    Ok(Copied {
        file: tmp,
        moved,
        prefix,
    })
}

fn panicked() -> StoreError {
    StoreError::Backend("the log's compaction thread panicked".into())
}

/// Whether a write failed for lack of space (or of quota).
pub(super) fn is_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}
