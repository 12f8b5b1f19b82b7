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
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
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
/// Keys first written since the index was built are merged into its sorted array once they are
/// this many, or a quarter of the array if that is more: the array stays the bulk of the index
/// of a registry that took many writes since its start, and each merge (a sort of the few, one
/// pass over the many) is paid for by the writes that made it due.
const MERGE_ADDED_AT: usize = 64 * 1024;
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

/// What the index knows a record key by: a 128-bit keyed hash, not the key (about 75 bytes of
/// JSON). Two SipHash-1-3 with keys drawn at random for each process: nobody can choose keys
/// that collide, and the chance that two of a billion keys do is below one in 10^20. Two keys
/// that did would be taken for one (compaction would keep only the later), so a shorter hash
/// (64 bits: one in 40 at a billion keys) would not do.
#[derive(Clone)]
struct KeyDigest(RandomState, RandomState);

impl KeyDigest {
    fn new() -> KeyDigest {
        KeyDigest(RandomState::new(), RandomState::new())
    }

    fn of(&self, key: &[u8]) -> u128 {
        (u128::from(self.0.hash_one(key)) << 64) | u128::from(self.1.hash_one(key))
    }
}

/// A log file checked by `file::scan`, its torn tail cut off.
pub(super) struct Checked {
    pub(super) file: File,
    /// All of it.
    pub(super) prefix: Prefix,
}

/// Where the latest frame of a key is: 28 bytes, packed (a `u128` would align the entry to 16
/// and pad it to 32).
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
struct Entry {
    key: u128,
    offset: u64,
    /// The frame's length (at most `file::MAX_PAYLOAD` and its head, well within `u32`); 0 for
    /// a tombstone, whose length counts for nothing: it is dead from the start.
    len: u32,
}

impl Entry {
    fn new(key: u128, offset: u64, len: u64, tombstone: bool) -> Entry {
        Entry {
            key,
            offset,
            len: if tombstone { 0 } else { len as u32 },
        }
    }

    fn key(&self) -> u128 {
        self.key
    }

    fn offset(&self) -> u64 {
        self.offset
    }

    fn len(&self) -> u32 {
        self.len
    }
}

/// A `HashMap` hasher for keys that are `KeyDigest`s already: their low 64 bits, hashed no
/// further (they are random to anyone who does not know the process's keys).
#[derive(Default)]
struct Digested(u64);

impl Hasher for Digested {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// Where the latest frame of each record key is, and how much of the log is live.
///
/// Most keys are in `sorted`, an array built whole (at open, after a compaction) and sorted by
/// key: 28 bytes a key. A hash table of the same entries takes more than twice that (its
/// buckets are a power of two, at most 7/8 full: at a million keys, 2^21 of them, 33 bytes
/// each). Keys first written since are in `added`, a hash table merged into the array once it
/// grows (see `MERGE_ADDED_AT`).
struct Index {
    sorted: Vec<Entry>,
    added: HashMap<u128, (u64, u32), BuildHasherDefault<Digested>>,
    digest: KeyDigest,
    live_bytes: u64,
    /// Frames in the file, and how many of them hold the latest value of a live key.
    frames: u64,
    live_frames: u64,
}

impl Index {
    /// The index of a file of `frames` frames holding the frames `entries`, in log order.
    fn build(digest: KeyDigest, mut entries: Vec<Entry>, frames: u64) -> Index {
        // A key's frames sort by offset, which is log order: the last is its latest.
        entries.sort_unstable_by_key(|e| (e.key(), e.offset()));
        entries.dedup_by(|later, earlier| {
            let same = later.key() == earlier.key();
            if same {
                *earlier = *later;
            }
            same
        });
        entries.shrink_to_fit();
        let live = entries.iter().filter(|e| e.len() > 0);
        Index {
            live_bytes: live.clone().map(|e| u64::from(e.len())).sum(),
            live_frames: live.count() as u64,
            sorted: entries,
            added: HashMap::default(),
            digest,
            frames,
        }
    }

    /// The index of the first `end` bytes of the checked log `file`, of `frames` frames.
    fn of(file: &File, end: u64, frames: u64) -> Result<Index, StoreError> {
        let digest = KeyDigest::new();
        let mut entries = Vec::with_capacity(frames as usize);
        file::keys(file, end, |offset, len, key, tombstone| {
            entries.push(Entry::new(digest.of(key), offset, len, tombstone));
        })?;
        Ok(Index::build(digest, entries, frames))
    }

    fn track(&mut self, key: u128, offset: u64, len: u64, tombstone: bool) {
        let entry = Entry::new(key, offset, len, tombstone);
        self.frames += 1;
        if entry.len() > 0 {
            self.live_bytes += u64::from(entry.len());
            self.live_frames += 1;
        }
        let old = match self.sorted.binary_search_by_key(&key, Entry::key) {
            Ok(at) => Some(std::mem::replace(&mut self.sorted[at], entry).len()),
            Err(_) => self
                .added
                .insert(key, (entry.offset(), entry.len()))
                .map(|(_, len)| len),
        };
        if let Some(old) = old.filter(|len| *len > 0) {
            self.live_bytes -= u64::from(old);
            self.live_frames -= 1;
        }
        if self.added.len() >= MERGE_ADDED_AT.max(self.sorted.len() / 4) {
            self.merge_added();
        }
    }

    /// Moves the keys of `added` into `sorted`.
    fn merge_added(&mut self) {
        let mut added: Vec<Entry> = std::mem::take(&mut self.added)
            .into_iter()
            .map(|(key, (offset, len))| Entry { key, offset, len })
            .collect();
        added.sort_unstable_by_key(Entry::key);
        // Two sorted runs with no key in common: a key is added only when `sorted` lacks it.
        let mut merged = Vec::with_capacity(self.sorted.len() + added.len());
        let mut added = added.into_iter().peekable();
        for entry in self.sorted.drain(..) {
            while let Some(next) = added.next_if(|a| a.key() < entry.key()) {
                merged.push(next);
            }
            merged.push(entry);
        }
        merged.extend(added);
        self.sorted = merged;
    }

    /// Every key's latest frame, in no order.
    fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        let added = self.added.iter().map(|(key, (offset, len))| Entry {
            key: *key,
            offset: *offset,
            len: *len,
        });
        self.sorted.iter().copied().chain(added)
    }
}

/// The log's key index, built on its own thread once the registry has read its state (building
/// it sooner would take cores from that read), or when first needed.
enum KeyIndex {
    /// To be built from the file's first `end` bytes, of `frames` frames.
    Due {
        end: u64,
        frames: u64,
    },
    Building(JoinHandle<Result<Index, StoreError>>),
    Built(Index),
    /// The file no longer read back as it did when checked: no compaction in this process
    /// (its index would be wrong), writes go on.
    Failed,
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
    /// The new file's frames: the key, new offset and length of each, in log order.
    moved: Vec<Entry>,
    prefix: Prefix,
}

pub(super) struct Flusher {
    pub(super) dir: PathBuf,
    pub(super) file: File,
    /// Durable length of the file, its frame count and chain (what a snapshot covers).
    prefix: Prefix,
    index: KeyIndex,
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
    /// `snapshot_covers` what the snapshot used covers. The log's key index is built later
    /// (see [`KeyIndex`]).
    pub(super) fn new(
        dir: PathBuf,
        log: Checked,
        generation: Arc<AtomicU64>,
        replayed: Loaded,
        snapshot_covers: Option<Prefix>,
        metrics: LogMetrics,
    ) -> Flusher {
        let Checked { file, prefix } = log;
        metrics.size_bytes.set(prefix.len as f64);
        Flusher {
            dir,
            file,
            prefix,
            index: KeyIndex::Due {
                end: prefix.len,
                frames: prefix.frames,
            },
            generation,
            replayed: Some(replayed),
            full: Arc::default(),
            metrics,
            compaction: None,
            compact_not_before: 0,
            snapshot_source: None,
            snapshot_covers,
            snapshot_job: None,
        }
    }

    /// Starts building the key index on its own thread, unless it is built or being built.
    fn start_indexing(&mut self) {
        let KeyIndex::Due { end, frames } = self.index else {
            return;
        };
        let job = self.file.try_clone().and_then(|file| {
            std::thread::Builder::new()
                .name("schemata-index".into())
                .spawn(move || Index::of(&file, end, frames))
        });
        self.index = match job {
            Ok(job) => KeyIndex::Building(job),
            // No thread: build it here.
            Err(_) => Self::built(Index::of(&self.file, end, frames)),
        };
    }

    fn built(index: Result<Index, StoreError>) -> KeyIndex {
        match index {
            Ok(index) => KeyIndex::Built(index),
            Err(e) => {
                tracing::error!("the log's key index cannot be built, so it is not compacted: {e}");
                KeyIndex::Failed
            }
        }
    }

    /// The key index, once built (waiting for it); `None` if it could not be.
    fn index(&mut self) -> Option<&mut Index> {
        self.start_indexing();
        if let KeyIndex::Building(_) = self.index {
            let KeyIndex::Building(job) = std::mem::replace(&mut self.index, KeyIndex::Failed)
            else {
                unreachable!("matched just above")
            };
            self.index = Self::built(job.join().unwrap_or_else(|_| Err(panicked())));
            self.measure();
        }
        match &mut self.index {
            KeyIndex::Built(index) => Some(index),
            _ => None,
        }
    }

    /// Publishes the log's size and, once the index knows it, its dead share.
    fn measure(&self) {
        self.metrics.size_bytes.set(self.prefix.len as f64);
        let KeyIndex::Built(index) = &self.index else {
            return;
        };
        let dead = index.frames - index.live_frames;
        let ratio = if index.frames == 0 {
            0.0
        } else {
            dead as f64 / index.frames as f64
        };
        self.metrics.dead_ratio.set(ratio);
    }

    /// Whether most of the log is dead; not known (no) while its index is not built yet.
    fn needs_compaction(&mut self) -> bool {
        let ready = match &self.index {
            KeyIndex::Built(_) => true,
            KeyIndex::Building(job) => job.is_finished(),
            KeyIndex::Due { .. } | KeyIndex::Failed => false,
        };
        let Some(live) = ready.then(|| self.index().map(|i| i.live_bytes)).flatten() else {
            return false;
        };
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
                    Msg::KeepSnapshots(source) => {
                        self.snapshot_source = Some(source);
                        // The registry has read its state: the cores are free for the index.
                        self.start_indexing();
                    }
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
                    if let Some(index) = self.index() {
                        for (key, len, tombstone) in &c.keys {
                            index.track(index.digest.of(key), offset, *len, *tombstone);
                            offset += len;
                        }
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
        file::decode(&self.file, HEADER.len() as u64, self.prefix.len)
    }

    /// Starts copying the live records of the file as it is now on a background thread.
    fn start_compaction(&mut self) {
        // Only what the copy needs: the live entries (sorting them is left to the copy).
        let Some(index) = self.index() else {
            return tracing::error!("log compaction cannot start without the log's key index");
        };
        let live: Vec<Entry> = index.entries().filter(|e| e.len() > 0).collect();
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
        let index = self.index().ok_or_else(|| {
            StoreError::Backend("compaction ran without the log's key index".into())
        })?;
        let digest = index.digest.clone();
        // The keys written meanwhile, where the new file will have them: after the copied ones.
        let shift = |offset: u64| offset - frozen.len + prefix.len;
        let mut entries = moved;
        entries.extend(
            index
                .entries()
                .filter(|e| e.offset() >= frozen.len)
                .map(|e| Entry {
                    offset: shift(e.offset()),
                    ..e
                }),
        );
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
        prefix.push_all(&tail);
        self.file = new;
        // Every frame of the tail stays, superseded ones included.
        let index = Index::build(digest, entries, prefix.frames);
        self.index = KeyIndex::Built(index);
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
fn copy_live(dir: &Path, source: &File, mut live: Vec<Entry>) -> Result<Copied, StoreError> {
    live.sort_unstable_by_key(Entry::offset);
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
        let run_start = live[at].offset();
        let mut run_end = run_start;
        while at < live.len()
            && live[at].offset() == run_end
            && run_end - run_start < COPY_BUFFER as u64
        {
            let entry = live[at];
            moved.push(Entry {
                offset: prefix.len + (run_end - run_start),
                ..entry
            });
            run_end += u64::from(entry.len());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_keeps_each_keys_latest_frame_and_counts_what_is_live() {
        let digest = KeyDigest::new();
        let key = |k: &str| digest.of(k.as_bytes());
        // `a` twice, `b`, and a tombstone of `c`, as a log opened would hold them.
        let opened = vec![
            Entry::new(key("a"), 12, 100, false),
            Entry::new(key("b"), 112, 50, false),
            Entry::new(key("a"), 162, 70, false),
            Entry::new(key("c"), 232, 30, true),
        ];
        let mut index = Index::build(digest.clone(), opened, 4);
        assert_eq!(index.sorted.len(), 3);
        assert_eq!(
            (index.live_bytes, index.live_frames, index.frames),
            (70 + 50, 2, 4)
        );
        // Written since: `b` again (in the sorted part), `d` new (added), then deleted, and
        // `c` again after its tombstone.
        index.track(key("b"), 262, 60, false);
        index.track(key("d"), 322, 40, false);
        assert_eq!((index.live_bytes, index.live_frames), (70 + 60 + 40, 3));
        index.track(key("d"), 362, 20, true);
        index.track(key("c"), 382, 10, false);
        assert_eq!(
            (index.live_bytes, index.live_frames, index.frames),
            (70 + 60 + 10, 3, 8)
        );
        let mut latest: Vec<(u128, u64, u32)> = index
            .entries()
            .map(|e| (e.key(), e.offset(), e.len()))
            .collect();
        latest.sort_unstable();
        let mut expected = vec![
            (key("a"), 162, 70),
            (key("b"), 262, 60),
            (key("c"), 382, 10),
            (key("d"), 362, 0),
        ];
        expected.sort_unstable();
        assert_eq!(latest, expected);
        assert_eq!(std::mem::size_of::<Entry>(), 28);
    }

    #[test]
    fn keys_written_since_the_build_are_merged_into_the_sorted_array() {
        let digest = KeyDigest::new();
        let key = |i: u64| digest.of(&i.to_be_bytes());
        let mut index = Index::build(digest.clone(), vec![Entry::new(key(0), 12, 10, false)], 1);
        let count = MERGE_ADDED_AT as u64 + 100;
        let mut offset = 22;
        for i in 1..=count {
            index.track(key(i), offset, 10, false);
            offset += 10;
        }
        // Written again after the merge (now in the sorted part), and deleted.
        index.track(key(5), offset, 20, false);
        index.track(key(6), offset + 20, 12, true);
        assert_eq!(
            index.sorted.len() as u64 + index.added.len() as u64,
            count + 1
        );
        assert!(
            index.added.len() < 200,
            "{} keys left out",
            index.added.len()
        );
        assert!(index.sorted.windows(2).all(|w| w[0].key() < w[1].key()));
        assert_eq!(index.frames, count + 3);
        assert_eq!(index.live_frames, count);
        assert_eq!(index.live_bytes, count * 10 + 10);
        let entry = |i: u64| index.entries().find(|e| e.key() == key(i)).unwrap();
        assert_eq!((entry(5).offset(), entry(5).len()), (offset, 20));
        assert_eq!((entry(6).offset(), entry(6).len()), (offset + 20, 0));
        assert_eq!((entry(0).offset(), entry(0).len()), (12, 10));
    }
}
