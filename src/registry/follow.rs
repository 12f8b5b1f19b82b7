//! Following the other registry nodes of a shared store: apply what they commit to this node's
//! state, so its reads (always from memory) see it.
//!
//! The node reads every record after the position its state was built to, in commit order, and
//! publishes the result with the new position. It looks when the store announces a commit, and
//! at least every [`RESYNC`] in any case: an announcement can be lost (a dropped connection), a
//! look that finds nothing costs one indexed query, and so a node converges on what the store
//! holds within `RESYNC` of the store answering again, whatever happened meanwhile.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::watch;

use super::{Inner, Registry, Writer};
use crate::storage::StoreError;

/// The longest a node goes without looking for other nodes' writes.
const RESYNC: Duration = Duration::from_secs(1);

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
                match registry.sync(&mut writer).await {
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

    /// Applies what other nodes committed after the writer's state and publishes the result:
    /// those records are durable already. The caller holds the writer lock, and a shared store
    /// does not pipeline commits, so no local write is in flight and the writer's state is the
    /// published one. On an error nothing changes, and the same records are read again next time.
    pub(super) async fn sync(&self, writer: &mut Writer) -> Result<(), StoreError> {
        let batch = self.inner.store.catch_up(writer.pending.position).await?;
        if batch.records.is_empty() {
            return Ok(());
        }
        let mut next = (*writer.pending).clone();
        for record in batch.records {
            next.apply(record)?;
        }
        next.position = batch.position;
        let next = Arc::new(next);
        writer.pending = next.clone();
        self.inner.published.store(next);
        Ok(())
    }
}
