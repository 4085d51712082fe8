//! Stopping a job (Brity `actions/jobs/{jobId}/stop`), in its three documented cases:
//! 1. running on a bot that is up: the bot is asked to stop (its control poll answers at
//!    once) and reports the job stopped;
//! 2. recorded as running on a bot that no longer runs it (the bot is down): the job is
//!    failed at once;
//! 3. waiting: the job is deleted.

use super::bots::now_ms;
use super::job_end::{JobOutcome, Running, RUNNING_COLUMNS};
use super::runtime::Signal;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::identity::User;
use sluice_domain::OrgId;

/// What a stop request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// Case 1: the bot was asked to stop.
    Requested,
    /// Case 2: the job was failed (its bot is not running it).
    Failed,
    /// Case 3: the waiting job was deleted.
    Deleted,
    NotFound,
    AlreadyEnded,
    /// The user may neither execute the process nor is the job's requester.
    Denied,
}

#[derive(sqlx::FromRow)]
struct StopRow {
    #[sqlx(flatten)]
    running: Running,
    status: i64,
}

impl Store {
    /// Stops job `job_id` for `user` (an administrator, the requester, or a holder of E on
    /// the process).
    pub async fn stop_job(&self, org: OrgId, user: &User, job_id: &str) -> Result<StopOutcome> {
        let owner: Option<(Option<i64>, String)> = read!(self, |db| {
            sqlx::query_as("SELECT user_id, project_id FROM rpa_jobs WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(job_id)
                .fetch_optional(db)
                .await?
        });
        let Some((requester, project)) = owner else {
            return Ok(StopOutcome::NotFound);
        };
        if !(user.is_admin || requester == Some(user.id.0)) {
            let may = self
                .object_authorities(org, user, &project)
                .await?
                .is_some_and(|a| a.has('E'));
            if !may {
                return Ok(StopOutcome::Denied);
            }
        }
        let sql = format!(
            "SELECT {RUNNING_COLUMNS}, j.status FROM rpa_jobs j \
             WHERE j.org_id = $1 AND j.id = $2{}",
            self.row_lock()
        );
        let now = now_ms();
        let cutoff = self.rpa_settings().up_since(now);
        let (outcome, ended) = write_tx!(self, |tx| {
            let row: Option<StopRow> = sqlx::query_as(&sql)
                .bind(org.0)
                .bind(job_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Ok((StopOutcome::NotFound, None));
            };
            match row.status {
                1 => {
                    sqlx::query("DELETE FROM rpa_jobs WHERE seq = $1")
                        .bind(row.running.seq)
                        .execute(&mut *tx)
                        .await?;
                    (StopOutcome::Deleted, None)
                }
                3 => {
                    let seen: Option<Option<DateTime<Utc>>> =
                        sqlx::query_scalar("SELECT last_seen_at FROM bots WHERE id = $1")
                            .bind(&row.running.bot_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    let up = seen.flatten().is_some_and(|at| at >= cutoff);
                    if up {
                        sqlx::query("UPDATE rpa_jobs SET stop_requested = TRUE WHERE seq = $1")
                            .bind(row.running.seq)
                            .execute(&mut *tx)
                            .await?;
                        notify_instances!(self, tx, Signal::Control);
                        (StopOutcome::Requested, None)
                    } else {
                        // Someone asked for it to stop: no retry.
                        let mut job = row.running.clone();
                        job.retries_left = 0;
                        let ended = end_job!(
                            self,
                            tx,
                            &job,
                            JobOutcome::Failure,
                            None,
                            "Stopped while its bot was not running it.",
                            now
                        );
                        (StopOutcome::Failed, Some(ended))
                    }
                }
                _ => (StopOutcome::AlreadyEnded, None),
            }
        });
        match (outcome, ended) {
            (_, Some(ended)) => self.signal_ended(ended),
            (StopOutcome::Requested, None) => self.rpa_runtime.wake(Signal::Control),
            _ => {}
        }
        Ok(outcome)
    }
}
