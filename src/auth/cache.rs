//! Credentials already verified, so a repeated request pays a keyed hash and a lookup instead
//! of argon2 or a signature check. Keyed by HMAC-SHA256 of the whole credential under a key
//! drawn at start: the cache never holds a password or a token, and its keys are useless
//! outside this process. Readers load an immutable map (no lock); a verification that misses
//! copies it with one more entry (imbl shares the rest) and swaps it in.

use std::sync::Arc;

use arc_swap::ArcSwap;
use ring::hmac;

use super::Principal;

/// Entries kept at most: past this the cache starts empty again (only verified credentials
/// enter it, so reaching it takes that many valid users or tokens).
const CAPACITY: usize = 10_000;

pub type CacheKey = [u8; 32];

pub struct Cache {
    hmac: hmac::Key,
    map: ArcSwap<imbl::HashMap<CacheKey, Arc<Principal>>>,
}

impl Cache {
    pub fn new() -> Cache {
        let rng = ring::rand::SystemRandom::new();
        Cache {
            hmac: hmac::Key::generate(hmac::HMAC_SHA256, &rng).expect("the system has randomness"),
            map: ArcSwap::from_pointee(imbl::HashMap::new()),
        }
    }

    /// The key of a credential; `header` tells an Authorization header from a certificate name,
    /// so that neither can stand for the other.
    pub fn key(&self, header: bool, credential: &[u8]) -> CacheKey {
        let mut ctx = hmac::Context::with_key(&self.hmac);
        ctx.update(&[u8::from(header)]);
        ctx.update(credential);
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.sign().as_ref());
        key
    }

    pub fn get(&self, key: &CacheKey) -> Option<Arc<Principal>> {
        self.map.load().get(key).cloned()
    }

    pub fn insert(&self, key: CacheKey, principal: Arc<Principal>) {
        self.map.rcu(|map| {
            let mut map = if map.len() >= CAPACITY {
                imbl::HashMap::new()
            } else {
                (**map).clone()
            };
            map.insert(key, principal.clone());
            map
        });
    }
}
