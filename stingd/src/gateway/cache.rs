//! Reusing answers to deterministic requests: temperature 0 or a fixed seed, one choice, not
//! streamed. Entries are keyed by the caller as well as the request, so one caller never
//! receives another's answer, and the cache is bounded in bytes (least recently used go first)
//! and in time.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::http::Caller;

pub type Key = [u8; 32];

#[derive(Clone)]
pub struct Cached {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Bytes,
}

struct Entry {
    value: Cached,
    expires: Instant,
    last_use: u64,
}

struct Inner {
    entries: HashMap<Key, Entry>,
    by_use: BTreeMap<u64, Key>,
    clock: u64,
    bytes: usize,
}

pub struct ResponseCache {
    max_bytes: usize,
    ttl: Duration,
    inner: Mutex<Inner>,
}

/// The cache key: caller, route and the exact request bytes.
pub fn key(caller: &Caller, route: &str, body: &[u8]) -> Key {
    let mut hasher = Sha256::new();
    // A tag and a fixed-length id: no two callers hash alike, and nothing is allocated.
    match caller {
        Caller::User(id) => {
            hasher.update([0u8]);
            hasher.update(id.as_bytes());
        }
        Caller::Key(digest) => {
            hasher.update([1u8]);
            hasher.update(digest);
        }
    }
    hasher.update((route.len() as u64).to_le_bytes());
    hasher.update(route.as_bytes());
    hasher.update(body);
    hasher.finalize().into()
}

impl ResponseCache {
    pub fn new(max_bytes: usize, ttl: Duration) -> Self {
        Self {
            max_bytes,
            ttl,
            inner: Mutex::new(Inner { entries: HashMap::new(), by_use: BTreeMap::new(), clock: 0, bytes: 0 }),
        }
    }

    pub fn get(&self, key: &Key) -> Option<Cached> {
        let mut inner = self.inner.lock().expect("cache lock");
        let now = Instant::now();
        let expired = inner.entries.get(key).is_some_and(|e| e.expires <= now);
        if expired {
            inner.remove(key);
            return None;
        }
        inner.clock += 1;
        let clock = inner.clock;
        let entry = inner.entries.get_mut(key)?;
        let previous = std::mem::replace(&mut entry.last_use, clock);
        let value = entry.value.clone();
        inner.by_use.remove(&previous);
        inner.by_use.insert(clock, *key);
        Some(value)
    }

    pub fn put(&self, key: Key, value: Cached) {
        let size = value.body.len();
        if size > self.max_bytes / 4 {
            return; // one answer may not take over the cache
        }
        let mut inner = self.inner.lock().expect("cache lock");
        inner.remove(&key);
        while inner.bytes + size > self.max_bytes {
            let Some((_, oldest)) = inner.by_use.pop_first() else { break };
            inner.remove(&oldest);
        }
        inner.clock += 1;
        let clock = inner.clock;
        inner.bytes += size;
        inner.by_use.insert(clock, key);
        inner.entries.insert(key, Entry { value, expires: Instant::now() + self.ttl, last_use: clock });
    }
}

impl Inner {
    fn remove(&mut self, key: &Key) {
        if let Some(entry) = self.entries.remove(key) {
            self.bytes -= entry.value.body.len();
            self.by_use.remove(&entry.last_use);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(name: &str) -> Caller {
        Caller::Key([name.as_bytes()[0]; 6])
    }

    fn answer(n: usize) -> Cached {
        Cached { status: 200, content_type: None, body: Bytes::from(vec![b'x'; n]) }
    }

    #[test]
    fn callers_never_share_entries() {
        let cache = ResponseCache::new(1 << 20, Duration::from_secs(60));
        let body = br#"{"temperature":0}"#;
        cache.put(key(&caller("a"), "chat", body), answer(10));
        assert!(cache.get(&key(&caller("a"), "chat", body)).is_some());
        assert!(cache.get(&key(&caller("b"), "chat", body)).is_none());
        assert!(cache.get(&key(&caller("a"), "completions", body)).is_none());
    }

    #[test]
    fn the_least_recently_used_entry_goes_first_when_full() {
        let cache = ResponseCache::new(400, Duration::from_secs(60));
        let k = |i: u8| key(&caller("a"), "chat", &[i]);
        cache.put(k(1), answer(100));
        cache.put(k(2), answer(100));
        cache.put(k(3), answer(100));
        assert!(cache.get(&k(1)).is_some()); // 1 is now newer than 2
        cache.put(k(4), answer(100));
        cache.put(k(5), answer(100));
        assert!(cache.get(&k(2)).is_none(), "the least recently used left");
        assert!(cache.get(&k(1)).is_some());
        assert!(cache.get(&k(5)).is_some());
        cache.put(k(6), answer(101)); // more than a quarter: not kept
        assert!(cache.get(&k(6)).is_none());
    }

    #[test]
    fn entries_expire() {
        let cache = ResponseCache::new(1000, Duration::from_millis(20));
        let k = key(&caller("a"), "chat", b"{}");
        cache.put(k, answer(1));
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get(&k).is_none());
    }
}
