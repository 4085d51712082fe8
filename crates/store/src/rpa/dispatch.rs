//! Dispatch: a waiting bot long-polls for a job and claims one atomically — exactly one bot
//! gets each job, a bot runs one job at a time, lower `priority` first, then first come
//! first served. On PostgreSQL the claim locks the bot's row and picks the job with
//! `FOR UPDATE SKIP LOCKED`, so several Sluice instances never hand one job out twice (and
//! the unique index `rpa_jobs_running` backs "one running job per bot" whatever happens);
//! SQLite's single writer serializes claims. Waiting costs nothing: pollers sleep on a
//! signal (see `runtime`) that job creation, retries and stop requests give.

use super::bots::{now_ms, usable_through_groups, BotAuth};
use super::credential_grants::DeclaredCredentials;
use super::job_end::{retry_sql, status, Ended, JobOutcome, Running, RUNNING_COLUMNS};
use super::queue_job_tokens::job_token;
use super::runtime::{notify_sql, Signal};
use crate::{Result, Store};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::time::Instant;

/// The longest long poll.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// Largest outputs object a bot may report.
pub const MAX_OUTPUTS_BYTES: usize = 1024 * 1024;
/// Longest message and step name kept.
const MAX_MESSAGE_CHARS: usize = 4000;
const MAX_STEP_CHARS: usize = 500;

/// How a bot runs a process version (kept on the job as it was when requested).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunSpec {
    pub command: Vec<String>,
    pub command_windows: Option<Vec<String>>,
    pub command_macos: Option<Vec<String>>,
    /// 0: no limit.
    pub timeout_secs: i64,
    pub work_type: String,
    pub package_sha256: String,
}

/// A job handed to a bot.
#[derive(Clone)]
pub struct Claim {
    pub job_id: String,
    pub attempt: i64,
    pub process_id: String,
    pub version: String,
    pub process_name: String,
    pub project_name: String,
    pub run: RunSpec,
    /// Input name → value.
    pub inputs: serde_json::Map<String, serde_json::Value>,
    /// What the job's process presents to the queue endpoints (see `queue_job_tokens`).
    pub job_token: String,
    /// The credentials its process version declares, read with the claim.
    pub credentials: DeclaredCredentials,
}

// Inputs hold hidden values (and later credentials): their names only in `{:?}`.
impl std::fmt::Debug for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claim")
            .field("job_id", &self.job_id)
            .field("attempt", &self.attempt)
            .field("process_id", &self.process_id)
            .field("version", &self.version)
            .field("run", &self.run)
            .field("inputs", &self.inputs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    seq: i64,
    id: String,
    attempt: i64,
    process_id: String,
    version: String,
    process_name: String,
    project_name: String,
    run_spec: String,
    inputs: String,
    #[sqlx(flatten)]
    credentials: DeclaredCredentials,
}

const CLAIM_COLUMNS: &str = "j.seq, j.id, j.attempt, j.process_id, j.version, \
     j.process_name, j.project_name, j.run_spec, j.inputs";

/// A [`ClaimRow`] of the jobs `jobs` (a table or a `RETURNING` of [`CLAIM_COLUMNS`], as
/// `j`) of organization `org`, with the credentials their versions declare.
fn claim_select(jobs: &str, org: &str) -> String {
    format!(
        "SELECT {CLAIM_COLUMNS}, COALESCE(v.credentials, '[]') AS credentials, \
         COALESCE(v.admin_approved, FALSE) AS admin_approved FROM {jobs} j \
         LEFT JOIN rpa_process_versions v ON v.process_id = j.process_id \
         AND v.version = j.version \
         AND EXISTS (SELECT 1 FROM rpa_processes p WHERE p.id = v.process_id AND p.org_id = {org})"
    )
}

/// The job a bot runs, or one waiting that it may run, as a poll sees them.
#[derive(sqlx::FromRow)]
struct Seen {
    /// The bot's own running job (else a waiting one).
    mine: bool,
    seq: i64,
    id: String,
    claim_acked: bool,
}

/// How many waiting jobs a poll considers: bots polling at once each claim the first of
/// them no other claim holds (`SKIP LOCKED`).
const CANDIDATES: i64 = 16;

impl ClaimRow {
    fn into_claim(self) -> Result<Claim> {
        Ok(Claim {
            job_id: self.id,
            attempt: self.attempt,
            process_id: self.process_id,
            version: self.version,
            process_name: self.process_name,
            project_name: self.project_name,
            run: serde_json::from_str(&self.run_spec).map_err(anyhow::Error::from)?,
            inputs: serde_json::from_str(&self.inputs).map_err(anyhow::Error::from)?,
            job_token: String::new(),
            credentials: self.credentials,
        })
    }
}

/// The outcome of one claim attempt.
enum Claimed {
    Job(Box<Claim>),
    /// No waiting job this bot may run (another bot may have just taken it).
    Nothing,
    /// The bot already runs a job (a second poll of one agent).
    Busy,
}

/// What a bot's request about one of its jobs found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobUpdate {
    Done,
    /// No such job, or not this bot's.
    NotFound,
    /// The job is this bot's but no longer running (stopped, failed by the lapse worker...).
    NotRunning,
}

/// A bot's report that its job ended.
#[derive(Debug, Clone)]
pub struct Finish {
    pub outcome: JobOutcome,
    /// The process's outputs: a JSON object.
    pub outputs: serde_json::Map<String, serde_json::Value>,
    pub message: String,
}

/// The SQL condition "waiting job `j` may go to bot `$bot`": the bot itself (selection 3),
/// a bot of its bot group (2), or any bot its user may use (1: an administrator may use
/// every bot of the tenant; others the bots of the bot groups their user groups hold U on).
fn eligible(bot: &str) -> String {
    format!(
        "((j.bot_select_type = 3 AND j.target_bot_id = {bot}) \
         OR (j.bot_select_type = 2 AND EXISTS (SELECT 1 FROM bot_group_bots g \
             WHERE g.bot_group_id = j.bot_group_id AND g.bot_id = {bot})) \
         OR (j.bot_select_type = 1 AND (EXISTS (SELECT 1 FROM users u \
             WHERE u.id = j.user_id AND u.is_admin) OR {})))",
        usable_through_groups("j.user_id", bot)
    )
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

impl Store {
    /// The long poll of `POST /api/v1/agent/jobs/next`: a job for `bot` as soon as one is
    /// waiting, or `None` after `wait` (at most a third of the lapse, so an idle agent is
    /// heard from often enough to count as up).
    /// `secret_key` (the server's) derives each claim's job token.
    pub async fn next_job(
        &self,
        bot: &BotAuth,
        wait: Duration,
        secret_key: &[u8; 32],
    ) -> Result<Option<Claim>> {
        self.touch_bot(bot).await?;
        let wait = wait.min(MAX_WAIT).min(self.rpa_settings().poll_interval());
        let deadline = Instant::now() + wait;
        let mut first = true;
        loop {
            // Registered before looking, so a job queued meanwhile still wakes us.
            let notified = self.rpa_runtime.jobs.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let seen = self.jobs_seen(bot).await?;
            if let Some(mine) = seen.iter().find(|s| s.mine) {
                if !first {
                    // Another poll of this bot claimed a job meanwhile.
                    return Ok(None);
                }
                if !mine.claim_acked {
                    return self.claim_again(bot, mine.seq, secret_key).await;
                }
                self.fail_orphaned_job(
                    bot,
                    "The bot asked for a new job while this one was running (its agent restarted).",
                )
                .await?;
                first = false;
                continue;
            }
            first = false;
            let waiting: Vec<(i64, String)> = seen.into_iter().map(|s| (s.seq, s.id)).collect();
            if !waiting.is_empty() {
                match self.claim_job(bot, secret_key, &waiting).await? {
                    Claimed::Job(c) => return Ok(Some(*c)),
                    Claimed::Busy => return Ok(None),
                    // Others took them, or hold them in claims not yet committed: look
                    // again in a moment.
                    Claimed::Nothing => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let mut until = deadline;
            if let Some(recheck) = self.recheck_after() {
                until = until.min(now + recheck);
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(until) => {}
            }
        }
    }

    /// In one read: the job `bot` runs, if any, and (an active bot) the first waiting jobs
    /// it may run.
    async fn jobs_seen(&self, bot: &BotAuth) -> Result<Vec<Seen>> {
        let sql = format!(
            "SELECT TRUE AS mine, j.seq, j.id, j.claim_acked FROM rpa_jobs j \
             WHERE j.bot_id = $2 AND j.status = 3 \
             UNION ALL SELECT * FROM (SELECT FALSE AS mine, j.seq, j.id, FALSE AS claim_acked \
             FROM rpa_jobs j WHERE j.org_id = $1 AND j.status = 1 AND {} \
             ORDER BY j.priority, j.seq LIMIT $3) w",
            eligible("$2")
        );
        let limit = if bot.is_active { CANDIDATES } else { 0 };
        Ok(read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(bot.org_id)
                .bind(&bot.id)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// The job `bot` claimed but never acknowledged (the claim's answer may have been lost
    /// on its way: a client timeout, a proxy, the agent stopping mid-poll), handed back as
    /// the same claim.
    async fn claim_again(
        &self,
        bot: &BotAuth,
        seq: i64,
        secret_key: &[u8; 32],
    ) -> Result<Option<Claim>> {
        let sql = format!(
            "{} WHERE j.seq = $2 AND j.bot_id = $3 AND j.status = 3",
            claim_select("rpa_jobs", "$1")
        );
        let row: Option<ClaimRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(bot.org_id)
                .bind(seq)
                .bind(&bot.id)
                .fetch_optional(db)
                .await?
        });
        row.map(|row| {
            let mut claim = row.into_claim()?;
            claim.job_token = job_token(secret_key, &claim.job_id);
            Ok(claim)
        })
        .transpose()
    }

    /// Claims the first of the `waiting` jobs (`seq`, id) `bot` may run that is still
    /// waiting, atomically.
    async fn claim_job(
        &self,
        bot: &BotAuth,
        secret_key: &[u8; 32],
        waiting: &[(i64, String)],
    ) -> Result<Claimed> {
        let now = now_ms();
        let mut claimed = match &self.backend {
            crate::db::Backend::Postgres(pool) => {
                match self
                    .claim_statement(pool, bot, secret_key, waiting, now)
                    .await
                {
                    // Another poll of this bot claimed a job first.
                    Err(sqlx::Error::Database(e)) if e.constraint() == Some("rpa_jobs_running") => {
                        Claimed::Busy
                    }
                    r => match r? {
                        Some(row) => Claimed::Job(Box::new(row.into_claim()?)),
                        None => Claimed::Nothing,
                    },
                }
            }
            crate::db::Backend::Sqlite { .. } => {
                let pick = format!(
                    "{} WHERE j.org_id = $1 AND j.status = 1 AND {} \
                     ORDER BY j.priority, j.seq LIMIT 1",
                    claim_select("rpa_jobs", "$1"),
                    eligible("$2")
                );
                // The single writer serializes claims: a plain transaction suffices.
                write_tx!(self, |tx| {
                    let active: Option<bool> =
                        sqlx::query_scalar("SELECT is_active FROM bots WHERE id = $1")
                            .bind(&bot.id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if active != Some(true) {
                        return Ok(Claimed::Nothing);
                    }
                    let busy: Option<i64> = sqlx::query_scalar(
                        "SELECT seq FROM rpa_jobs WHERE bot_id = $1 AND status = 3",
                    )
                    .bind(&bot.id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if busy.is_some() {
                        return Ok(Claimed::Busy);
                    }
                    let row: Option<ClaimRow> = sqlx::query_as(&pick)
                        .bind(bot.org_id)
                        .bind(&bot.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let Some(row) = row else {
                        return Ok(Claimed::Nothing);
                    };
                    let token_hash = crate::secrets::hash_key(&job_token(secret_key, &row.id));
                    sqlx::query(
                        "UPDATE rpa_jobs SET status = 3, bot_id = $2, bot_name = $3, \
                         started_at = $4, claim_acked = FALSE, job_token_hash = $5 WHERE seq = $1",
                    )
                    .bind(row.seq)
                    .bind(&bot.id)
                    .bind(&bot.name)
                    .bind(now)
                    .bind(&token_hash)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE bots SET last_seen_at = $2 WHERE id = $1")
                        .bind(&bot.id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    Claimed::Job(Box::new(row.into_claim()?))
                })
            }
        };
        if let Claimed::Job(claim) = &mut claimed {
            self.rpa_runtime.heartbeat_written(&bot.id);
            claim.job_token = job_token(secret_key, &claim.job_id);
        }
        Ok(claimed)
    }

    /// The claim on PostgreSQL as one statement (no BEGIN/COMMIT round trips): it locks the
    /// bot's row (an inactive bot claims nothing), takes the first of the `waiting` jobs
    /// still waiting that no other claim holds (`FOR UPDATE SKIP LOCKED`; its token's hash
    /// is computed beforehand for each), sets it running and records the heartbeat. A second
    /// running job of the bot fails on the unique index `rpa_jobs_running`.
    async fn claim_statement(
        &self,
        pool: &sqlx::PgPool,
        bot: &BotAuth,
        secret_key: &[u8; 32],
        waiting: &[(i64, String)],
        now: chrono::DateTime<chrono::Utc>,
    ) -> std::result::Result<Option<ClaimRow>, sqlx::Error> {
        let seqs: Vec<i64> = waiting.iter().map(|(seq, _)| *seq).collect();
        let hashes: Vec<String> = waiting
            .iter()
            .map(|(_, id)| crate::secrets::hash_key(&job_token(secret_key, id)))
            .collect();
        let sql = format!(
            "WITH b AS (SELECT id FROM bots WHERE id = $1 AND is_active FOR UPDATE), \
             pick AS (SELECT j.seq FROM rpa_jobs j WHERE j.seq = ANY($5) AND j.org_id = $4 \
             AND j.status = 1 AND EXISTS (SELECT 1 FROM b) AND {} \
             ORDER BY j.priority, j.seq LIMIT 1 FOR UPDATE OF j SKIP LOCKED), \
             c AS (UPDATE rpa_jobs j SET status = 3, bot_id = $1, bot_name = $2, \
             started_at = $3, claim_acked = FALSE, job_token_hash = t.hash \
             FROM pick JOIN unnest($5::BIGINT[], $6::TEXT[]) AS t (seq, hash) \
             ON t.seq = pick.seq WHERE j.seq = pick.seq RETURNING {CLAIM_COLUMNS}), \
             s AS (UPDATE bots SET last_seen_at = $3 WHERE id = $1 AND EXISTS (SELECT 1 FROM c)) \
             {}",
            eligible("$1"),
            claim_select("c", "$4")
        );
        sqlx::query_as(&sql)
            .bind(&bot.id)
            .bind(&bot.name)
            .bind(now)
            .bind(bot.org_id)
            .bind(&seqs)
            .bind(&hashes)
            .fetch_optional(pool)
            .await
    }

    /// Fails the job `bot` is recorded as running, if any (its agent no longer runs it).
    pub(crate) async fn fail_orphaned_job(&self, bot: &BotAuth, message: &str) -> Result<()> {
        let orphan: Option<i64> = read!(self, |db| {
            sqlx::query_scalar("SELECT seq FROM rpa_jobs WHERE bot_id = $1 AND status = 3")
                .bind(&bot.id)
                .fetch_optional(db)
                .await?
        });
        let Some(seq) = orphan else {
            return Ok(());
        };
        let sql = format!(
            "SELECT {RUNNING_COLUMNS} FROM rpa_jobs j WHERE j.seq = $1 AND j.status = 3{}",
            self.row_lock()
        );
        let now = now_ms();
        let ended = write_tx!(self, |tx| {
            let job: Option<Running> = sqlx::query_as(&sql)
                .bind(seq)
                .fetch_optional(&mut *tx)
                .await?;
            match job {
                Some(job) => Some(end_job!(
                    self,
                    tx,
                    &job,
                    JobOutcome::Failure,
                    None,
                    message,
                    now
                )),
                None => None,
            }
        });
        if let Some(ended) = ended {
            self.signal_ended(ended);
        }
        Ok(())
    }

    /// The long poll of `GET /api/v1/agent/jobs/{id}/control`: `Some(true)` as soon as a
    /// stop is requested (or the job no longer runs), `Some(false)` after `wait`, `None`
    /// if `bot` has no such job.
    pub async fn job_control(
        &self,
        bot: &BotAuth,
        job_id: &str,
        wait: Duration,
    ) -> Result<Option<bool>> {
        self.touch_bot(bot).await?;
        let wait = wait.min(MAX_WAIT).min(self.rpa_settings().poll_interval());
        let deadline = Instant::now() + wait;
        loop {
            let notified = self.rpa_runtime.control.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let row: Option<(i64, bool, bool)> = read!(self, |db| {
                sqlx::query_as(
                    "SELECT status, stop_requested, claim_acked FROM rpa_jobs \
                     WHERE org_id = $1 AND id = $2 AND bot_id = $3",
                )
                .bind(bot.org_id)
                .bind(job_id)
                .bind(&bot.id)
                .fetch_optional(db)
                .await?
            });
            let Some((state, stop, acked)) = row else {
                return Ok(None);
            };
            if !acked && state == status::RUNNING {
                self.acknowledge_claim(bot, job_id).await?;
            }
            if stop || state != status::RUNNING {
                return Ok(Some(true));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Some(false));
            }
            let mut until = deadline;
            if let Some(recheck) = self.recheck_after() {
                until = until.min(now + recheck);
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(until) => {}
            }
        }
    }

    /// Whether `bot` runs a job whose package is `sha256` (a bot may fetch only that one).
    pub async fn runs_package(&self, bot: &BotAuth, sha256: &str) -> Result<bool> {
        let spec: Option<String> = read!(self, |db| {
            sqlx::query_scalar("SELECT run_spec FROM rpa_jobs WHERE bot_id = $1 AND status = 3")
                .bind(&bot.id)
                .fetch_optional(db)
                .await?
        });
        Ok(spec
            .and_then(|s| serde_json::from_str::<RunSpec>(&s).ok())
            .is_some_and(|r| r.package_sha256.eq_ignore_ascii_case(sha256)))
    }

    /// Records that `bot` received its claim of `job_id` (no longer handed back by `next`).
    async fn acknowledge_claim(&self, bot: &BotAuth, job_id: &str) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE rpa_jobs SET claim_acked = TRUE \
                 WHERE org_id = $1 AND id = $2 AND bot_id = $3 AND status = 3",
            )
            .bind(bot.org_id)
            .bind(job_id)
            .bind(&bot.id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Records the step and percentage `bot` reports for its running job.
    pub async fn job_progress(
        &self,
        bot: &BotAuth,
        job_id: &str,
        step: &str,
        percentage: i64,
    ) -> Result<JobUpdate> {
        let step = cut(step.trim(), MAX_STEP_CHARS);
        let percentage = percentage.clamp(0, 100);
        let changed = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE rpa_jobs SET step = $4, percentage = $5, claim_acked = TRUE \
                 WHERE org_id = $1 AND id = $2 AND bot_id = $3 AND status = 3",
            )
            .bind(bot.org_id)
            .bind(job_id)
            .bind(&bot.id)
            .bind(&step)
            .bind(percentage)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        if changed > 0 {
            Ok(JobUpdate::Done)
        } else {
            self.why_not_running(bot, job_id).await
        }
    }

    /// Why a bot's request about `job_id` changed nothing.
    pub(crate) async fn why_not_running(&self, bot: &BotAuth, job_id: &str) -> Result<JobUpdate> {
        let mine: Option<i64> = read!(self, |db| {
            sqlx::query_scalar(
                "SELECT status FROM rpa_jobs WHERE org_id = $1 AND id = $2 AND bot_id = $3",
            )
            .bind(bot.org_id)
            .bind(job_id)
            .bind(&bot.id)
            .fetch_optional(db)
            .await?
        });
        Ok(match mine {
            None => JobUpdate::NotFound,
            Some(_) => JobUpdate::NotRunning,
        })
    }

    /// `bot` reports that its job ended.
    pub async fn finish_job(
        &self,
        bot: &BotAuth,
        job_id: &str,
        finish: &Finish,
    ) -> Result<JobUpdate> {
        let outputs = serde_json::to_string(&finish.outputs).map_err(anyhow::Error::from)?;
        if outputs.len() > MAX_OUTPUTS_BYTES {
            return Err(sluice_domain::Error::invalid(format!(
                "outputs are larger than {MAX_OUTPUTS_BYTES} bytes."
            ))
            .into());
        }
        let message = cut(&finish.message, MAX_MESSAGE_CHARS);
        let now = now_ms();
        if let Some(ended) = self
            .finish_statement(bot, job_id, finish.outcome, &outputs, &message, now)
            .await?
        {
            self.rpa_runtime.heartbeat_written(&bot.id);
            self.signal_ended(ended);
            return Ok(JobUpdate::Done);
        }
        let sql = format!(
            "SELECT {RUNNING_COLUMNS} FROM rpa_jobs j \
             WHERE j.org_id = $1 AND j.id = $2 AND j.bot_id = $3 AND j.status = 3{}",
            self.row_lock()
        );
        let ended = write_tx!(self, |tx| {
            let job: Option<Running> = sqlx::query_as(&sql)
                .bind(bot.org_id)
                .bind(job_id)
                .bind(&bot.id)
                .fetch_optional(&mut *tx)
                .await?;
            match job {
                Some(job) => {
                    // A process killed on request may look failed to its agent.
                    let outcome = match finish.outcome {
                        JobOutcome::Failure if job.stop_requested => JobOutcome::Stopped,
                        o => o,
                    };
                    let ended = end_job!(
                        self,
                        tx,
                        &job,
                        outcome,
                        Some(outputs.as_str()),
                        &message,
                        now
                    );
                    sqlx::query("UPDATE bots SET last_seen_at = $2 WHERE id = $1")
                        .bind(&bot.id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    Some(ended)
                }
                None => None,
            }
        });
        match ended {
            Some(ended) => {
                self.rpa_runtime.heartbeat_written(&bot.id);
                self.signal_ended(ended);
                Ok(JobUpdate::Done)
            }
            None => self.why_not_running(bot, job_id).await,
        }
    }

    /// `finish` on PostgreSQL as one statement (no BEGIN/COMMIT round trips), for a job
    /// without hidden inputs (blanking them needs the row's JSON): what `end_job!` does —
    /// the job row (a failure of a job whose stop was requested counts as stopped), the
    /// bot's count and heartbeat, the retry, the callback and their signals to the other
    /// instances. `None` when it changed nothing: not this bot's running job, or one with
    /// hidden inputs (the transaction of `finish_job` then decides).
    async fn finish_statement(
        &self,
        bot: &BotAuth,
        job_id: &str,
        outcome: JobOutcome,
        outputs: &str,
        message: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Ended>> {
        let crate::db::Backend::Postgres(pool) = &self.backend else {
            return Ok(None);
        };
        let sql = format!(
            "WITH j AS (UPDATE rpa_jobs SET status = 4, \
             detail = CASE WHEN $4 = 2 AND stop_requested THEN 3 ELSE $4 END, \
             result = $5, message = $6, ended_at = $7, duration_ms = \
             CAST(EXTRACT(EPOCH FROM (GREATEST($7, started_at) - started_at)) * 1000 AS BIGINT) \
             WHERE org_id = $1 AND id = $2 AND bot_id = $3 AND status = 3 \
             AND hidden_inputs = '[]' \
             RETURNING seq, id, org_id, attempt, retries_left, callback_url, detail), \
             b AS (UPDATE bots SET job_count = job_count + 1, last_seen_at = $7 \
             WHERE id = $3 AND EXISTS (SELECT 1 FROM j)), \
             r AS ({} RETURNING 1), \
             c AS (INSERT INTO rpa_callbacks (org_id, job_id, url, next_at, created_at) \
             SELECT org_id, id, callback_url, $7, $7 FROM j \
             WHERE attempt = 0 AND callback_url IS NOT NULL RETURNING 1), \
             n AS MATERIALIZED (SELECT {} FROM j UNION ALL SELECT {} FROM r \
             UNION ALL SELECT {} FROM c) \
             SELECT (SELECT COUNT(*) FROM j) AS ended, (SELECT COUNT(*) FROM r) AS retried, \
             (SELECT COUNT(*) FROM c) AS called, (SELECT COUNT(*) FROM n) AS signals",
            retry_sql(
                "$8",
                "$7",
                "seq IN (SELECT seq FROM j WHERE detail IN (2, 4) AND retries_left > 0)"
            ),
            notify_sql(Signal::Control),
            notify_sql(Signal::Jobs),
            notify_sql(Signal::Callbacks),
        );
        let (ended, retried, called, _signals): (i64, i64, i64, i64) = sqlx::query_as(&sql)
            .bind(bot.org_id)
            .bind(job_id)
            .bind(&bot.id)
            .bind(outcome.code())
            .bind(outputs)
            .bind(message)
            .bind(now)
            .bind(super::jobs::new_job_id())
            .fetch_one(pool)
            .await?;
        Ok((ended > 0).then_some(Ended {
            retried: retried > 0,
            callback: called > 0,
        }))
    }

    /// Fails the running jobs of bots not heard from within the lapse (and queues their
    /// retries); returns how many. Safe with several instances: each job is ended once.
    pub async fn fail_lapsed_jobs(&self) -> Result<usize> {
        let lapse = self.rpa_settings().bot_lapse;
        let now = now_ms();
        let cutoff = self.rpa_settings().up_since(now);
        let stale: Vec<i64> = read!(self, |db| {
            sqlx::query_scalar(
                "SELECT j.seq FROM rpa_jobs j LEFT JOIN bots b ON b.id = j.bot_id \
                 WHERE j.status = 3 AND (b.last_seen_at IS NULL OR b.last_seen_at < $1) \
                 ORDER BY j.seq LIMIT 100",
            )
            .bind(cutoff)
            .fetch_all(db)
            .await?
        });
        // Only the job row is locked (then the bot's, as when a bot finishes), and the
        // bot's silence is checked again under that lock. A deleted bot is silent too.
        let sql = format!(
            "SELECT {RUNNING_COLUMNS} FROM rpa_jobs j WHERE j.seq = $1 AND j.status = 3 \
             AND NOT EXISTS (SELECT 1 FROM bots b WHERE b.id = j.bot_id AND b.last_seen_at >= $2){}",
            self.row_lock()
        );
        let message = format!(
            "The bot stopped answering (not heard from for {} seconds).",
            lapse.as_secs()
        );
        let mut failed = 0;
        for seq in stale {
            let ended = write_tx!(self, |tx| {
                let job: Option<Running> = sqlx::query_as(&sql)
                    .bind(seq)
                    .bind(cutoff)
                    .fetch_optional(&mut *tx)
                    .await?;
                match job {
                    Some(job) => Some(end_job!(
                        self,
                        tx,
                        &job,
                        JobOutcome::Failure,
                        None,
                        &message,
                        now
                    )),
                    None => None,
                }
            });
            if let Some(ended) = ended {
                failed += 1;
                self.signal_ended(ended);
            }
        }
        Ok(failed)
    }

    /// Fails the waiting jobs no bot can ever take: their bot was deleted, their bot group
    /// was deleted, or (any-bot selection) the user who requested them was deleted, so no
    /// right to use a bot remains. Without this they would wait forever and never call back.
    /// They are not retried (a retry could not run either). Returns how many were failed.
    pub async fn fail_unrunnable_jobs(&self) -> Result<usize> {
        const UNRUNNABLE: &str = "j.status = 1 AND (\
             (j.bot_select_type = 3 AND NOT EXISTS (SELECT 1 FROM bots b WHERE b.id = j.target_bot_id)) \
             OR (j.bot_select_type = 2 AND NOT EXISTS (SELECT 1 FROM groups g \
                 WHERE g.id = j.bot_group_id AND g.kind = 'bot')) \
             OR (j.bot_select_type = 1 AND j.user_id IS NULL))";
        let now = now_ms();
        let stuck: Vec<i64> = read!(self, |db| {
            sqlx::query_scalar(&format!(
                "SELECT j.seq FROM rpa_jobs j WHERE {UNRUNNABLE} ORDER BY j.seq LIMIT 100"
            ))
            .fetch_all(db)
            .await?
        });
        // Checked again under the job's lock: a bot may have claimed it meanwhile.
        let sql = format!(
            "SELECT {RUNNING_COLUMNS} FROM rpa_jobs j WHERE j.seq = $1 AND {UNRUNNABLE}{}",
            self.row_lock()
        );
        let message = "No bot can run this job any more: its bot, its bot group or its requester was deleted.";
        let mut failed = 0;
        for seq in stuck {
            let ended = write_tx!(self, |tx| {
                let job: Option<Running> = sqlx::query_as(&sql)
                    .bind(seq)
                    .fetch_optional(&mut *tx)
                    .await?;
                match job {
                    Some(mut job) => {
                        job.retries_left = 0;
                        Some(end_job!(
                            self,
                            tx,
                            &job,
                            JobOutcome::Failure,
                            None,
                            message,
                            now
                        ))
                    }
                    None => None,
                }
            });
            if let Some(ended) = ended {
                failed += 1;
                self.signal_ended(ended);
            }
        }
        Ok(failed)
    }
}
