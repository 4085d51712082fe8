//! The callback outbox: when a requested job (not a retry) with a `callbackInfo` ends, a row
//! is written in the same transaction, so the callback survives a restart. A deliverer
//! (crates/http, `run_callback_worker`) leases due rows — `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so two instances never post one row at once — posts them, and records the
//! outcome; a failure is tried again after an exponentially growing wait.

use super::bots::now_ms;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long a leased row is left to its deliverer before another may take it.
pub const LEASE: Duration = Duration::from_secs(60);
/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// How long delivered and abandoned rows are kept.
const RETENTION_DAYS: i64 = 30;

/// A callback to post now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueCallback {
    pub id: i64,
    pub org_id: i64,
    pub job_id: String,
    pub url: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// A callback as recorded (for inspection).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallbackState {
    pub state: String,
    pub attempts: i64,
    pub last_error: String,
}

/// The wait after the `attempts`-th failed attempt: `base`, doubled each time, at most ten
/// minutes.
pub fn backoff(base: Duration, attempts: i64) -> Duration {
    let doublings = attempts.clamp(1, 20) as u32 - 1;
    base.saturating_mul(1u32 << doublings).min(MAX_BACKOFF)
}

impl Store {
    /// Wakes when a callback is queued on this instance (create it before looking).
    pub fn callbacks_notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.ensure_listener();
        self.rpa_runtime.callbacks.notified()
    }

    /// Leases up to `limit` due callbacks for this deliverer and counts the attempt.
    pub async fn lease_callbacks(&self, limit: i64) -> Result<Vec<DueCallback>> {
        let now = now_ms();
        let until = now + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::zero());
        let sql = format!(
            "SELECT id, org_id, job_id, url, attempts FROM rpa_callbacks \
             WHERE state = 'pending' AND next_at <= $1 \
             AND (leased_until IS NULL OR leased_until < $1) \
             ORDER BY next_at LIMIT $2{}",
            self.skip_locked()
        );
        Ok(write_tx!(self, |tx| {
            let mut due: Vec<DueCallback> = sqlx::query_as(&sql)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            for c in &mut due {
                sqlx::query(
                    "UPDATE rpa_callbacks SET leased_until = $2, attempts = attempts + 1 WHERE id = $1",
                )
                .bind(c.id)
                .bind(until)
                .execute(&mut *tx)
                .await?;
                c.attempts += 1;
            }
            due
        }))
    }

    /// Records a delivered callback.
    pub async fn callback_delivered(&self, id: i64) -> Result<()> {
        let now = now_ms();
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE rpa_callbacks SET state = 'delivered', done_at = $2, leased_until = NULL, \
                 last_error = '' WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Records a failed attempt: tried again after the back-off, or given up after the last
    /// attempt (`permanent`: at once, e.g. the job is gone).
    pub async fn callback_failed(
        &self,
        callback: &DueCallback,
        error: &str,
        permanent: bool,
    ) -> Result<()> {
        let settings = self.rpa_settings();
        let now = now_ms();
        let give_up = permanent || callback.attempts >= i64::from(settings.callback_attempts);
        let next = now
            + chrono::Duration::from_std(backoff(settings.callback_backoff, callback.attempts))
                .unwrap_or(chrono::Duration::zero());
        let error: String = error.chars().take(500).collect();
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE rpa_callbacks SET state = CASE WHEN $2 THEN 'failed' ELSE 'pending' END, \
                 done_at = CASE WHEN $2 THEN $3 ELSE NULL END, next_at = $4, leased_until = NULL, \
                 last_error = $5 WHERE id = $1",
            )
            .bind(callback.id)
            .bind(give_up)
            .bind(now)
            .bind(next)
            .bind(&error)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// When a pending callback is next due or its lease runs out (`None`: none pending).
    pub async fn next_callback_at(&self) -> Result<Option<DateTime<Utc>>> {
        let rows: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = read!(self, |db| {
            sqlx::query_as(
                "SELECT next_at, leased_until FROM rpa_callbacks WHERE state = 'pending' \
                 ORDER BY next_at LIMIT 50",
            )
            .fetch_all(db)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(next, lease)| lease.map_or(next, |l| l.max(next)))
            .min())
    }

    /// The callbacks of a job, oldest first.
    pub async fn job_callbacks(
        &self,
        org: sluice_domain::OrgId,
        job_id: &str,
    ) -> Result<Vec<CallbackState>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
                "SELECT state, attempts, last_error FROM rpa_callbacks \
                 WHERE org_id = $1 AND job_id = $2 ORDER BY id",
            )
            .bind(org.0)
            .bind(job_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// Deletes delivered and abandoned callbacks older than the retention; returns how many.
    pub async fn purge_callbacks(&self) -> Result<u64> {
        let cutoff = now_ms() - chrono::Duration::days(RETENTION_DAYS);
        Ok(write_tx!(self, |tx| {
            sqlx::query("DELETE FROM rpa_callbacks WHERE state <> 'pending' AND done_at < $1")
                .bind(cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_ten_minutes() {
        let base = Duration::from_secs(2);
        assert_eq!(backoff(base, 1), Duration::from_secs(2));
        assert_eq!(backoff(base, 2), Duration::from_secs(4));
        assert_eq!(backoff(base, 4), Duration::from_secs(16));
        assert_eq!(backoff(base, 12), MAX_BACKOFF);
        assert_eq!(backoff(base, 1000), MAX_BACKOFF);
    }
}
