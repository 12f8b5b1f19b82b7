//! Following the other registry nodes of a shared store: when the store announces writes made
//! elsewhere, apply them to this node's state, so its reads (always from memory) see them.

use std::sync::{Arc, Weak};

use tokio::sync::watch;

use super::{Inner, Registry};
use crate::storage::StoreError;

impl Registry {
    /// Spawns the task that follows other nodes; it ends when the registry is dropped.
    pub(super) fn follow(&self, mut closed: watch::Receiver<()>) {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let store = self.inner.store.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    changed = store.changed() => {
                        if let Err(e) = changed {
                            tracing::warn!("waiting for other nodes' writes: {e}");
                        }
                    }
                    _ = closed.changed() => return,
                }
                let Some(inner) = weak.upgrade() else { return };
                if let Err(e) = (Registry { inner }).apply_remote().await {
                    tracing::warn!("catching up with other nodes failed, will retry: {e}");
                }
            }
        });
    }

    /// Applies what other nodes committed since this node last looked.
    async fn apply_remote(&self) -> Result<(), StoreError> {
        // The writer lock: no local write is half-done, so pending equals published here.
        let mut writer = self.inner.writer.lock().await;
        let records = self.inner.store.catch_up().await?;
        if records.is_empty() {
            return Ok(());
        }
        let mut next = (*writer.pending).clone();
        for record in records {
            next.apply(record)?;
        }
        let next = Arc::new(next);
        writer.pending = next.clone();
        self.inner.published.store(next);
        Ok(())
    }
}
