//! Durable storage behind the in-memory registry.
//!
//! The registry's state is the fold of a sequence of [`Record`]s. A [`Store`] keeps that
//! sequence: it replays it on start ([`Store::load`]) and makes new records durable
//! ([`Transaction::commit`]). Writes go through a [`Transaction`] so that a backend shared by
//! several registry nodes (PostgreSQL, Kafka) can serialise them across nodes; every backend takes
//! commits in order and share one flush among concurrent ones (group commit).
//!
//! [`dump`] writes the records as the lines of Confluent's `_schemas` topic and reads such lines
//! back (`schemata export` and `schemata import`).
//!
//! [`open`] picks the backend from a URL: `file:///path` (the embedded log),
//! `postgres://user@host/db` (PostgreSQL, shared by several registry nodes) or
//! `kafka://host:port/topic` (a compacted Kafka topic in Confluent's format, shared too; built
//! with the `kafka` feature).

pub mod dump;
pub mod kafka;
pub mod log;
pub mod postgres;
mod record;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::metrics::Metrics;
pub use record::{split_subject, ConfigValue, DecodeError, Mode, ModeValue, Record, SchemaValue};

/// A future that makes records durable; it owns what it needs, so the caller may release its
/// locks before awaiting it.
pub type CommitFuture = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>;

/// Called once the records of a commit are durable, in commit order, before the commit's future
/// resolves, with the position of the commit's last record. The registry publishes the new state
/// from it, so readers never see a write that could still be lost.
pub type OnDurable = Box<dyn FnOnce(Position) + Send>;

/// A place in a store's sequence of records: every record after it comes later in commit order.
/// A shared store (PostgreSQL: the row's `seq`) hands out increasing positions; the embedded
/// log, which no other process writes, has no one to catch up with and always answers 0.
pub type Position = u64;

/// Writes a snapshot of the registry's state (see [`Store::keep_snapshots`]); it owns the state
/// it writes, so it runs on any thread while writes go on.
pub type SnapshotWriter = Box<dyn FnOnce(&mut dyn std::io::Write) -> std::io::Result<()> + Send>;

/// Called by a store that keeps snapshots, at a moment when the registry's published state is
/// exactly the store's durable records, to capture that state; `None` once the registry is gone.
pub type SnapshotSource = Box<dyn Fn() -> Option<SnapshotWriter> + Send>;

/// Records read from a store, oldest first, and the position of the last one (or the position
/// they were read after, when there are none).
#[derive(Debug, Default)]
pub struct Batch {
    pub records: Vec<Record>,
    pub position: Position,
}

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stored data cannot be read back; the message names where.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// Writing or reading failed.
    #[error("storage I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// An earlier write failed, so this one (built on it) was not made durable.
    #[error("write abandoned after an earlier write failed")]
    Abandoned,
    /// The storage URL cannot be used.
    #[error("{0}")]
    Config(String),
    /// The backend did not answer in time.
    #[error("storage timed out: {0}")]
    Timeout(String),
    /// Any other backend failure.
    #[error("{0}")]
    Backend(String),
    /// Another node is elected to write (a shared store with one writer): its advertised URL,
    /// or `None` while no node is known to be elected.
    #[error("this node is not the elected writer; the writer is {}", .leader.as_deref().unwrap_or("unknown"))]
    NotLeader { leader: Option<String> },
}

/// A place the registry's records are kept.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Every live record, oldest first.
    async fn load(&self) -> Result<Batch, StoreError>;

    /// Starts a write. The registry holds at most one open transaction per process; a store
    /// shared by several processes also serialises them (the write then sees everything
    /// committed before it through [`Store::catch_up`]).
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError>;

    /// Every record committed after `position`, in commit order. The caller keeps the position
    /// with the state those records were applied to, so a state that is thrown away takes its
    /// position with it and nothing is ever skipped. Always empty for a single-process store.
    async fn catch_up(&self, after: Position) -> Result<Batch, StoreError>;

    /// Whether other processes write to this store, so the registry should follow them.
    fn is_shared(&self) -> bool;

    /// Whether this node holds the store's write lock, its own writes in progress: no other
    /// process can commit meanwhile, so there is nothing to follow. False for a single-process
    /// store.
    fn holds_write_lock(&self) -> bool;

    /// Resolves when other nodes may have written (a notification, or a reconnection after
    /// which notifications may have been missed). Cancel-safe: a wake-up that arrives while no
    /// one waits is kept for the next call. Only called when [`Store::is_shared`].
    async fn changed(&self);

    /// Why the store cannot take writes now (the log's disk is full), or `None`. A shared
    /// store's reachability is judged by the registry from its catching up instead.
    fn refuses_writes(&self) -> Option<String> {
        None
    }

    /// Whether this node may run the schema exporters now. On a store shared by several
    /// nodes exactly one holds this lease at a time (taken here when free); a single-process
    /// store's only node always does.
    async fn hold_exporter_lease(&self) -> bool {
        true
    }

    /// A checked snapshot of the registry's state (as a [`SnapshotWriter`] wrote it) and the
    /// records after it; or no snapshot and every record, as [`Store::load`]. Only a store that
    /// keeps snapshots (the embedded log) has one.
    async fn load_snapshot(&self) -> Result<(Option<bytes::Bytes>, Batch), StoreError> {
        Ok((None, self.load().await?))
    }

    /// Lets the store capture the registry's state from `source` now and then, so that the next
    /// start reads it instead of replaying every record. Stores without snapshots ignore it.
    fn keep_snapshots(&self, _source: SnapshotSource) {}
}

/// The id after `highest`, within the ids Confluent's clients can hold (a Java `int`).
pub fn next_id(highest: u32) -> Result<u32, StoreError> {
    highest
        .checked_add(1)
        .filter(|id| *id <= i32::MAX as u32)
        .ok_or_else(|| StoreError::Backend("schema ids are exhausted".into()))
}

/// One write in progress.
#[async_trait::async_trait]
pub trait Transaction: Send {
    /// An unused id for a new schema. `highest_known` is the largest id this node has seen.
    async fn new_id(&mut self, highest_known: u32) -> Result<u32, StoreError>;

    /// An unused id for a new schema of `context` (`.` the default one), which numbers its
    /// schemas on its own; `highest_known` is the largest id of that context this node has
    /// seen. A store whose writer sees every write (one process) takes the next one.
    async fn new_id_in(&mut self, context: &str, highest_known: u32) -> Result<u32, StoreError> {
        if context == "." {
            return self.new_id(highest_known).await;
        }
        next_id(highest_known)
    }

    /// Changes whenever writes this store had accepted were lost (a failed fsync): the caller must
    /// then forget its not-yet-durable view and start again from durable state.
    fn generation(&self) -> u64;

    /// Whether other processes may have written since this node last wrote: the caller must
    /// catch up ([`Store::catch_up`]) before deciding. Always false for a single-process store.
    fn fresh(&self) -> bool;

    /// Makes `records` durable, in order; `on_durable` runs once they are. The store orders
    /// commits itself and shares their flushes (group commit): the caller may start the next
    /// write before this future resolves.
    fn commit(self: Box<Self>, records: Vec<Record>, on_durable: OnDurable) -> CommitFuture;
}

/// Opens the store a URL names: `file:///path/to/dir`, a relative `file://./data`,
/// `postgres://user:password@host:port/database` (also `postgresql://`) or
/// `kafka://host:port[,host:port]/topic` with default [`kafka::Settings`]; what it does is
/// recorded in `metrics`.
pub async fn open(url: &str, metrics: &Metrics) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, &kafka::Settings::default(), metrics).await
}

/// [`open`], with the settings of a `kafka://host:port[,host:port]/topic` URL (TLS, SASL, how
/// to create the topic); other URLs need none.
pub async fn open_with(
    url: &str,
    kafka: &kafka::Settings,
    metrics: &Metrics,
) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(path) = url.strip_prefix("file://") {
        // Reading and checking the whole file is blocking work.
        let (path, metrics) = (path.to_string(), metrics.clone());
        let store =
            tokio::task::spawn_blocking(move || log::LogStore::open_measured(path, &metrics))
                .await
                .map_err(|e| StoreError::Backend(format!("opening the log: {e}")))??;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(postgres::PgStore::open(url, metrics).await?));
    }
    if url.starts_with("kafka://") {
        return open_kafka(url, kafka, metrics).await;
    }
    Err(StoreError::Config(format!(
        "unsupported storage URL '{}': expected file:///path, postgres://user@host/database or kafka://host:port/topic",
        postgres::redact(url)
    )))
}

#[cfg(feature = "kafka")]
async fn open_kafka(
    url: &str,
    settings: &kafka::Settings,
    metrics: &Metrics,
) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(
        kafka::KafkaStore::open(url, settings, metrics).await?,
    ))
}

#[cfg(not(feature = "kafka"))]
async fn open_kafka(
    _url: &str,
    _settings: &kafka::Settings,
    _metrics: &Metrics,
) -> Result<Arc<dyn Store>, StoreError> {
    Err(StoreError::Config(
        "this build of Schemata has no Kafka storage (built without the cargo feature `kafka`)"
            .into(),
    ))
}
