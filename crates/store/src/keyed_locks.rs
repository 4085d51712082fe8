//! Async locks by key, made when first asked for and dropped with their last holder: for
//! "one load at a time per key" (single flight), where the requests that miss a cache at
//! the same moment wait for one load instead of each running it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

pub(crate) struct KeyedLocks<K> {
    locks: Mutex<HashMap<K, Arc<AsyncMutex<()>>>>,
}

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        KeyedLocks {
            locks: Mutex::new(HashMap::new()),
        }
    }
}

/// Holds the lock of one key until dropped.
pub(crate) struct KeyedGuard<'a, K: Eq + Hash> {
    owner: &'a KeyedLocks<K>,
    key: K,
    lock: Arc<AsyncMutex<()>>,
    held: Option<OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Clone> KeyedLocks<K> {
    /// Waits until no one else holds `key`'s lock, then holds it.
    pub(crate) async fn lock(&self, key: K) -> KeyedGuard<'_, K> {
        let lock = self.map().entry(key.clone()).or_default().clone();
        let held = lock.clone().lock_owned().await;
        KeyedGuard {
            owner: self,
            key,
            lock,
            held: Some(held),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<K, Arc<AsyncMutex<()>>>> {
        self.locks.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map().len()
    }
}

impl<K: Eq + Hash> Drop for KeyedGuard<'_, K> {
    fn drop(&mut self) {
        drop(self.held.take());
        let mut map = self.owner.locks.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map and this guard still know the lock: no one waits for it. (A waiter
        // that gave up left its count behind; the next holder of the key cleans up.)
        if map
            .get(&self.key)
            .is_some_and(|l| Arc::ptr_eq(l, &self.lock))
            && Arc::strong_count(&self.lock) == 2
        {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Whether `key`'s lock can be had right now (without waiting).
    async fn free(locks: &KeyedLocks<i64>, key: i64) -> bool {
        tokio::time::timeout(Duration::ZERO, locks.lock(key))
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn one_holder_per_key_and_the_map_empties() {
        let locks = KeyedLocks::default();
        let held = locks.lock(1).await;
        assert!(!free(&locks, 1).await, "the key is held");
        assert!(free(&locks, 2).await, "other keys are not");
        let waiter = locks.lock(1);
        tokio::pin!(waiter);
        assert!(
            tokio::time::timeout(Duration::ZERO, &mut waiter)
                .await
                .is_err(),
            "a second holder waits"
        );
        drop(held);
        let second = waiter.await;
        assert_eq!(locks.len(), 1, "the lock stays while it is held");
        drop(second);
        assert_eq!(locks.len(), 0, "and goes with its last holder");
    }
}
