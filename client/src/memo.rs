//! What serializers and deserializers look up per message: a map read with one atomic load
//! (no lock, no await), filled through a moka cache so that concurrent misses for one key load
//! it once. Errors are never kept.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
// Keys are topics and ids chosen by the application, not by remote parties: a fast hash suits.
use foldhash::fast::RandomState;
use moka::future::Cache;

use crate::client::unshare;
use crate::Result;

/// Entries kept; past this, the map starts over (producers use a handful of schemas).
const CAPACITY: usize = 10_000;

pub(crate) struct Memo<K, V> {
    hot: ArcSwap<HashMap<K, (Arc<V>, Instant), RandomState>>,
    loading: Cache<K, Arc<V>>,
    /// How long an entry is believed (for "latest version"); `None`: for good.
    ttl: Option<Duration>,
}

impl<K, V> Memo<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    pub(crate) fn new(ttl: Option<Duration>) -> Memo<K, V> {
        Memo {
            hot: ArcSwap::from_pointee(HashMap::default()),
            // Loads in flight only: an entry leaves as soon as it reaches the hot map.
            loading: Cache::new(CAPACITY as u64),
            ttl,
        }
    }

    /// The value for `key`, if it is here and fresh: the per-message path.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.hot.load();
        let (value, at) = map.get(key)?;
        self.ttl
            .is_none_or(|ttl| at.elapsed() < ttl)
            .then(|| Arc::clone(value))
    }

    /// Loads the value for `key` with `load`, once however many callers miss at the same time.
    /// Callers box this future: it is large, and the per-message path should not carry it.
    pub(crate) async fn load<F>(&self, key: &K, load: F) -> Result<Arc<V>>
    where
        F: Future<Output = Result<Arc<V>>>,
    {
        let value = self
            .loading
            .try_get_with(key.clone(), load)
            .await
            .map_err(unshare)?;
        let fresh = (Arc::clone(&value), Instant::now());
        self.hot.rcu(|map| {
            let mut map = if map.len() >= CAPACITY {
                HashMap::default()
            } else {
                HashMap::clone(map)
            };
            map.insert(key.clone(), fresh.clone());
            map
        });
        self.loading.invalidate(key).await;
        Ok(value)
    }
}
