//! The bot worker `sluice serve` runs: fails the running jobs of bots whose heartbeat
//! lapsed (queuing their retries), fails waiting jobs no bot can ever take, and deletes result files and finished callbacks past
//! their retention. Every instance runs one; each job is still ended once (see dispatch).

use crate::Store;
use std::time::Duration;

/// How often old files and callbacks are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

impl Store {
    /// Runs forever. Looks for lapsed bots a few times per lapse (at most every 5 s).
    pub async fn run_bot_worker(self) {
        self.ensure_listener();
        let mut last_purge: Option<tokio::time::Instant> = None;
        loop {
            match self.fail_lapsed_jobs().await {
                Ok(n) if n > 0 => tracing::info!(failed = n, "jobs of lapsed bots failed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "bot lapse check failed"),
            }
            match self.fail_unrunnable_jobs().await {
                Ok(n) if n > 0 => tracing::info!(failed = n, "waiting jobs no bot can run failed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "unrunnable job check failed"),
            }
            if last_purge.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                last_purge = Some(tokio::time::Instant::now());
                for (what, result) in [
                    ("job files", self.purge_job_files().await),
                    ("callbacks", self.purge_callbacks().await),
                    ("queue messages", self.purge_expired_messages().await),
                ] {
                    match result {
                        Ok(n) if n > 0 => tracing::info!(purged = n, what, "retention purge"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, what, "retention purge failed"),
                    }
                }
            }
            let tick = (self.rpa_settings().bot_lapse / 4)
                .clamp(Duration::from_millis(100), Duration::from_secs(5));
            tokio::time::sleep(tick).await;
        }
    }
}
