//! Following the other registry nodes of a shared store: apply what they commit to this node's
//! state, so its reads (always from memory) see it.
//!
//! The node reads every record after the position its state was built to, in commit order, and
//! publishes the result with the new position. It looks when the store announces a commit, and
//! at least every [`RESYNC`] in any case: an announcement can be lost (a dropped connection), a
//! look that finds nothing costs one indexed query, and so a node converges on what the store
//! holds within `RESYNC` of the store answering again, whatever happened meanwhile.
//!
//! Every look is timed ([`SyncStatus`]): a node whose last look failed cannot reach its store,
//! and one that has not looked successfully for [`BEHIND`] is catching up; either is not ready
//! (`/health/ready`), and the metrics show how long ago the last good look was.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::Position;
use super::{Inner, Registry, Writer};
use crate::metrics::Metrics;
use crate::storage::StoreError;

/// The longest a node goes without looking for other nodes' writes.
const RESYNC: Duration = Duration::from_secs(1);

/// A node whose last successful look is older than this is behind: it is catching up.
const BEHIND: Duration = Duration::from_secs(3);

/// How long a node waits to read back a write the elected writer made for it.
const CATCH_UP_WAIT: Duration = Duration::from_secs(10);

/// How the node's looks at the store went. Written by each look, read by the probe and the
/// scrape; neither is on a request's hot path.
pub(super) struct SyncStatus {
    started: Instant,
    /// Milliseconds after `started` of the last successful look.
    last_ok_ms: AtomicU64,
    /// Why the last look failed, while it is the latest.
    failure: Mutex<Option<String>>,
}

impl SyncStatus {
    /// Loading the registry was the first successful look.
    pub(super) fn new() -> SyncStatus {
        SyncStatus {
            started: Instant::now(),
            last_ok_ms: AtomicU64::new(0),
            failure: Mutex::new(None),
        }
    }

    fn record(&self, result: &Result<(), StoreError>) {
        let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(()) => {
                let now = self.started.elapsed().as_millis() as u64;
                self.last_ok_ms.store(now, Ordering::SeqCst);
                *failure = None;
            }
            Err(e) => *failure = Some(e.to_string()),
        }
    }

    /// Time since the last successful look.
    fn age(&self) -> Duration {
        let last = Duration::from_millis(self.last_ok_ms.load(Ordering::SeqCst));
        self.started.elapsed().saturating_sub(last)
    }

    fn catching_up(&self) -> bool {
        self.failing().is_some() || self.age() > BEHIND
    }

    fn failing(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(super) fn readiness(&self) -> Result<(), String> {
        let age = self.age().as_secs_f64();
        if let Some(why) = self.failing() {
            return Err(format!(
                "cannot reach the database (last caught up {age:.1} s ago): {why}"
            ));
        }
        if self.age() > BEHIND {
            return Err(format!(
                "catching up with the database: last caught up {age:.1} s ago"
            ));
        }
        Ok(())
    }
}

/// Sets, at each scrape, how long ago the node last caught up and whether it is catching up.
pub(super) fn observe(metrics: &Metrics, inner: &Arc<Inner>) {
    let age = metrics.gauge(
        "schemata_follow_sync_age_seconds",
        &[],
        "Seconds since this node last read what other nodes committed (at least every second while the database answers)",
    );
    let catching_up = metrics.gauge(
        "schemata_follow_catching_up",
        &[],
        "1 while this node cannot reach the database or has not caught up with it for 3 s, else 0",
    );
    let weak: Weak<Inner> = Arc::downgrade(inner);
    metrics.on_scrape(move || {
        let Some(inner) = weak.upgrade() else { return };
        age.set(inner.sync.age().as_secs_f64());
        catching_up.set(if inner.sync.catching_up() { 1.0 } else { 0.0 });
    });
}

impl Registry {
    /// Spawns the task that follows other nodes; it ends when the registry is dropped.
    pub(super) fn follow(&self, mut closed: watch::Receiver<()>) {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let store = self.inner.store.clone();
        tokio::spawn(async move {
            let mut failing = false;
            loop {
                tokio::select! {
                    () = store.changed() => {}
                    () = tokio::time::sleep(RESYNC) => {}
                    _ = closed.changed() => return,
                }
                let Some(inner) = weak.upgrade() else { return };
                let registry = Registry { inner };
                let mut writer = registry.inner.writer.lock().await;
                match registry.look(&mut writer).await {
                    Ok(()) if failing => {
                        tracing::info!("caught up with other nodes again");
                        failing = false;
                    }
                    Ok(()) => {}
                    Err(e) if !failing => {
                        tracing::warn!("catching up with other nodes failed, retrying: {e}");
                        failing = true;
                    }
                    Err(_) => {}
                }
            }
        });
    }

    /// The position of the published state: every write this node has acknowledged, or read
    /// from other nodes, is at or before it.
    pub fn position(&self) -> Position {
        self.inner.published.load().position
    }

    /// Reads what other nodes committed until this node's state reaches `position` (the
    /// elected writer's, after a write it made for this node), so that a read on this node
    /// after it sees that write. A read can stop short of the end the broker reported (the
    /// broker's answer to a fetch lags), so it looks again until [`CATCH_UP_WAIT`]. Should it
    /// not get there, the write stands all the same, and this node sees it at a later look.
    pub async fn catch_up(&self, position: Position) {
        let deadline = Instant::now() + CATCH_UP_WAIT;
        while self.position() < position {
            let mut writer = self.inner.writer.lock().await;
            // Forwarded writes answered at once queue here: one look reads them all, and
            // those behind it find their position reached without asking the store again.
            if self.position() >= position {
                return;
            }
            if let Err(e) = self.look(&mut writer).await {
                tracing::warn!("catching up after a forwarded write failed: {e}");
            }
            drop(writer);
            if self.position() >= position {
                return;
            }
            if Instant::now() >= deadline {
                tracing::warn!(
                    "a forwarded write is not readable here yet: at {} of {position}",
                    self.position()
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// One look of the follower. While this node holds the store's write lock its own writes
    /// are in flight and no other node can commit: there is nothing to read, and it is up to
    /// date. Otherwise nothing of its own is in flight (the lock is let go only then), so what
    /// is published is everything it wrote, and it reads what came after.
    async fn look(&self, writer: &mut Writer) -> Result<(), StoreError> {
        if self.inner.store.holds_write_lock() {
            self.inner.sync.record(&Ok(()));
            return Ok(());
        }
        writer.pending = self.inner.published.load_full();
        self.sync(writer).await
    }

    /// Applies what other nodes committed after the writer's state and publishes the result:
    /// those records are durable already. The caller holds the writer lock, and nothing of this
    /// node's is in flight, so the writer's state is the published one. On an error nothing
    /// changes, and the same records are read again next time.
    pub(super) async fn sync(&self, writer: &mut Writer) -> Result<(), StoreError> {
        let result = self.apply_new(writer).await;
        self.inner.sync.record(&result);
        result
    }

    async fn apply_new(&self, writer: &mut Writer) -> Result<(), StoreError> {
        let batch = self.inner.store.catch_up(writer.pending.position).await?;
        if batch.records.is_empty() {
            return Ok(());
        }
        let mut next = (*writer.pending).clone();
        for record in batch.records {
            next.apply(record)?;
        }
        next.position = batch.position;
        let next = super::repacked_if_due(Arc::new(next)).await;
        writer.pending = next.clone();
        self.inner.published.store(next);
        Ok(())
    }
}
