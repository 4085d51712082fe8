//! Exponential back-off with full jitter, for reconnecting while the server is down: many
//! agents restarting together do not all knock at the same instant.

use rand::Rng;
use std::time::Duration;

const FIRST: Duration = Duration::from_millis(250);
const MOST: Duration = Duration::from_secs(30);

/// The delays before successive retries: random in [0, min(MOST, FIRST * 2^n)], never
/// under a tenth of that ceiling.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    pub fn new() -> Self {
        Self::default()
    }

    /// The ceiling of the next delay.
    fn ceiling(&self) -> Duration {
        FIRST
            .saturating_mul(1u32 << self.failures.min(16))
            .min(MOST)
    }

    /// The delay before the next retry; each call doubles the ceiling.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        let floor = ceiling / 10;
        rand::thread_rng().gen_range(floor..=ceiling)
    }

    /// Sleeps for the next delay.
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.next_delay()).await;
    }

    /// Back to the first delay, after a success.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_ceiling_and_reset() {
        let mut b = Backoff::new();
        assert!(b.next_delay() <= FIRST);
        for _ in 0..40 {
            assert!(b.next_delay() <= MOST);
        }
        assert_eq!(b.ceiling(), MOST);
        assert!(b.next_delay() >= MOST / 10);
        b.reset();
        assert_eq!(b.ceiling(), FIRST);
    }
}
