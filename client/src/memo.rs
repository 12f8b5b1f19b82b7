//! What serializers and deserializers look up per message: a map read with one atomic load
//! (no lock, no await), filled through a moka cache so that concurrent misses for one key load
//! it once. Errors are never kept.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
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

    /// `read` applied to the value for `key`. When the value is missing or stale, `load` fetches
    /// it first, once however many callers miss at the same time. A hit (the per-message path)
    /// takes one atomic load: no lock, no clone, no await.
    pub(crate) async fn read<Q, L, F, R>(
        &self,
        key: &Q,
        load: L,
        read: impl FnOnce(&V) -> Result<R>,
    ) -> Result<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        L: FnOnce() -> F,
        F: Future<Output = Result<V>>,
    {
        {
            let map = self.hot.load();
            let fresh = map
                .get(key)
                .filter(|(_, at)| self.ttl.is_none_or(|ttl| at.elapsed() < ttl));
            if let Some((value, _)) = fresh {
                return read(value);
            }
        }
        let value = self.load(key.to_owned(), load).await?;
        read(&value)
    }

    /// Out of line and boxed, with `load` called only inside the box: the loading future is
    /// kilobytes, and a per-message caller that carried it would set up a stack that size for
    /// every message.
    #[inline(never)]
    fn load<'a, L, F>(
        &'a self,
        key: K,
        load: L,
    ) -> Pin<Box<impl Future<Output = Result<Arc<V>>> + 'a>>
    where
        L: FnOnce() -> F + 'a,
        F: Future<Output = Result<V>> + 'a,
    {
        Box::pin(async move { self.load_unboxed(key, load).await })
    }

    async fn load_unboxed<L, F>(&self, key: K, load: L) -> Result<Arc<V>>
    where
        L: FnOnce() -> F,
        F: Future<Output = Result<V>>,
    {
        let value = self
            .loading
            .try_get_with(key.clone(), async { load().await.map(Arc::new) })
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
        self.loading.invalidate(&key).await;
        Ok(value)
    }
}
