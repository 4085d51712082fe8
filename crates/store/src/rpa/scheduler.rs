//! The scheduler `sluice serve` runs: each due occurrence of an active reservation queues
//! exactly one job, run as the reservation's owner.
//!
//! - **Exactly once.** The job is written in the transaction that advances the
//!   reservation's `next_fire_at`, and that advance is a compare-and-set (on the value read
//!   and the reservation's revision): when several instances (or a restarted one) fire the
//!   same occurrence, one transaction wins and the others change nothing.
//! - **No polling.** It sleeps until the earliest `next_fire_at` (an index), or until a
//!   reservation changes (a local signal; `NOTIFY` from other instances), or the manual
//!   clock of tests moves. At most a minute passes without a look, as a safety net.
//! - **Missed occurrences** (the server was down, or the clock jumped): the latest one that
//!   is due fires once, late; the older ones are counted as missed and passed over; the next
//!   one to come is scheduled as usual (Quartz's "fire once now").
//! - **Failures are visible.** An occurrence whose job cannot be queued (the owner was
//!   deleted or lost the right to run the process, the process or bot is gone...) is
//!   recorded as a failed job with the reason, and as the reservation's last error.
//!
//! See docs/dialects/brity.md, "Reservations".

use super::schedule_firing::BATCH;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

/// The longest sleep without a look at the database.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// The wait after a failed pass (the database is down, say).
const RETRY_AFTER: Duration = Duration::from_secs(1);

impl Store {
    /// Runs forever: fires due occurrences, then sleeps until the next one (see the module
    /// documentation).
    pub async fn run_scheduler(self) {
        let signals = self.scheduler_signals();
        let _listener = self.listen_for_schedules(signals.clone());
        loop {
            // Registered before looking, so a change made while looking is not missed.
            let woken = signals.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let moved = self.clock().changed();
            tokio::pin!(moved);
            let moved_already = poll_once(moved.as_mut()).await;
            let now = self.clock().now();
            let (more, wait) = match self.fire_due(now).await {
                Ok(fired) => match self.earliest_occurrence().await {
                    Ok(next) => (
                        fired >= BATCH as usize || next.is_some_and(|n| n <= now),
                        next,
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "scheduler: reading the next occurrence failed");
                        (false, Some(now + RETRY_AFTER))
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "scheduler: firing due reservations failed");
                    (false, Some(now + RETRY_AFTER))
                }
            };
            signals.passed.send_replace(Some(now));
            if more || moved_already {
                continue;
            }
            let sleep = match wait {
                Some(at) => self.clock().wait_for(at).map(|d| d.min(MAX_SLEEP)),
                None => (!self.clock().is_manual()).then_some(MAX_SLEEP),
            };
            let sleep = async {
                match sleep {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = woken => {}
                _ = moved => {}
                _ = sleep => {}
            }
        }
    }

    /// The earliest occurrence to fire, of any tenant.
    async fn earliest_occurrence(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(read!(self, |db| {
            sqlx::query_scalar(
                "SELECT next_fire_at FROM rpa_schedules WHERE next_fire_at IS NOT NULL \
                 ORDER BY next_fire_at LIMIT 1",
            )
            .fetch_optional(db)
            .await?
        }))
    }
}

/// Polls `fut` once, so that it registers its waker; whether it already completed.
async fn poll_once<F: Future>(mut fut: Pin<&mut F>) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await
}
