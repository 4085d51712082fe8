//! The worker that skips nodes whose `autocomplete_deadline` has passed. Deadlines live in
//! the database, so they survive restarts; the worker sleeps until the earliest one (woken
//! early when a command writes a new one) and re-reads at least every 30 seconds, which is
//! how it notices deadlines written by other instances. It goes by the store's clock, so a
//! test moves it forward by setting the clock.

use crate::{Result, Store};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Longest sleep between looks at the deadlines table.
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// Deadlines handled per round.
const BATCH: i64 = 100;

impl Store {
    /// The earliest pending deadline.
    pub async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(read!(self, |db| {
            sqlx::query_scalar::<_, DateTime<Utc>>(
                "SELECT due_at FROM document_deadlines ORDER BY due_at LIMIT 1",
            )
            .fetch_optional(db)
            .await?
        }))
    }

    /// Runs forever: expires due deadlines, then sleeps until the next one.
    pub async fn run_deadline_worker(self) {
        loop {
            let changed = self.clock.changed();
            tokio::pin!(changed);
            let progressed = match self.expire_deadlines(self.clock.now(), BATCH).await {
                Ok(n) if n > 0 => {
                    tracing::info!(skipped = n, "nodes skipped at their deadline");
                    true
                }
                Ok(_) => false,
                Err(e) => {
                    tracing::warn!(error = %e, "deadline worker failed");
                    false
                }
            };
            let sleep = match self.next_deadline().await {
                Ok(Some(due)) if due <= self.clock.now() => Duration::ZERO,
                // A manual clock (tests) gets there only when moved.
                Ok(Some(due)) => self.clock.wait_for(due).unwrap_or(MAX_SLEEP),
                Ok(None) => MAX_SLEEP,
                Err(_) => MAX_SLEEP,
            }
            .min(MAX_SLEEP);
            if sleep.is_zero() {
                // Due now: another batch goes on at once; deadlines that could not be
                // carried out (logged) are retried a little later, never in a tight loop.
                let pause = if progressed { 10 } else { 2_000 };
                tokio::time::sleep(Duration::from_millis(pause)).await;
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = &mut changed => {}
                _ = self.deadline_signal.notified() => {
                    // The signal comes from inside the writer's transaction: give it a
                    // moment to commit before looking again.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}
