//! A small map whose entries count for a fixed time: what a credential resolved to a moment
//! ago, instead of a database round trip on every request of a client calling in a loop.
//! A change made elsewhere (another instance) shows after at most the time to live; callers
//! clear it on their own changes. Bounded: when full, expired entries go, and if that frees
//! nothing, all of them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct TtlCache<V> {
    ttl: Duration,
    max: usize,
    entries: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        TtlCache {
            ttl,
            max,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value put under `key` less than the time to live ago.
    pub fn get(&self, key: &str) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: String, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.max {
            entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if entries.len() >= self.max {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_lapse_and_the_map_stays_bounded() {
        let cache = TtlCache::new(Duration::from_millis(30), 2);
        cache.put("a".into(), 1);
        assert_eq!(cache.get("a"), Some(1));
        assert_eq!(cache.get("b"), None);
        cache.put("b".into(), 2);
        cache.put("c".into(), 3); // full: nothing expired yet, so all go first
        assert_eq!(cache.get("a"), None);
        assert_eq!(cache.get("c"), Some(3));
        std::thread::sleep(Duration::from_millis(40)); // the lapse is what is tested
        assert_eq!(cache.get("c"), None);
        cache.put("d".into(), 4);
        cache.clear();
        assert_eq!(cache.get("d"), None);
    }
}
