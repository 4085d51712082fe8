//! The time the background schedulers go by: the system clock, or in tests a clock that
//! stands still until moved (`set`, `advance`), so a scheduler test needs no sleeps. A move
//! wakes whoever waits on [`Clock::changed`].

use chrono::{DateTime, Utc};
use std::sync::RwLock;
use tokio::sync::Notify;

/// Shared by every clone of a `Store`.
#[derive(Default)]
pub struct Clock {
    /// `None`: the system clock. `Some(t)`: a manual clock standing at `t`.
    manual: RwLock<Option<DateTime<Utc>>>,
    changed: Notify,
}

impl Clock {
    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.manual
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(Utc::now)
    }

    /// Whether the clock is manual (tests).
    pub fn is_manual(&self) -> bool {
        self.manual
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Makes the clock manual, standing at `at`, and wakes the waiters.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.manual.write().unwrap_or_else(|e| e.into_inner()) = Some(at);
        self.changed.notify_waiters();
    }

    /// Moves a manual clock forward by `by` (a system clock becomes manual at now + `by`).
    pub fn advance(&self, by: chrono::Duration) {
        let at = self.now() + by;
        self.set(at);
    }

    /// Completes when the clock is set or advanced.
    pub async fn changed(&self) {
        self.changed.notified().await
    }

    /// The real time to wait until the clock reads `at`: the difference on the system
    /// clock; on a manual clock `None` (only a move can get there).
    pub fn wait_for(&self, at: DateTime<Utc>) -> Option<std::time::Duration> {
        if self.is_manual() {
            return None;
        }
        Some((at - Utc::now()).to_std().unwrap_or_default())
    }
}
