//! How a running job ends, whoever ends it (its bot, the lapse worker, a stop request): the
//! job row, the bot's count, a retry when the job asked for one, and the callback, all in
//! the caller's transaction.

use chrono::{DateTime, Utc};

/// Brity's detailCode of an ended job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Success = 1,
    Failure = 2,
    Stopped = 3,
    Timeout = 4,
}

impl JobOutcome {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(Self::Success),
            2 => Some(Self::Failure),
            3 => Some(Self::Stopped),
            4 => Some(Self::Timeout),
            _ => None,
        }
    }

    /// Brity's detailName.
    pub fn name(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::Failure => "FAILURE",
            Self::Stopped => "STOP",
            Self::Timeout => "TIMEOUT",
        }
    }

    /// A failed or timed-out run is retried when the job asked for retries; a stopped one
    /// never is (someone wanted it stopped).
    pub(crate) fn retried(self) -> bool {
        matches!(self, Self::Failure | Self::Timeout)
    }
}

/// Brity's statusCode of a job.
pub mod status {
    pub const WAITING: i64 = 1;
    pub const RUNNING: i64 = 3;
    pub const ENDED: i64 = 4;
}

/// What ending a job needs to know about it (loaded with the row locked).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Running {
    pub seq: i64,
    pub id: String,
    pub org_id: i64,
    pub bot_id: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub attempt: i64,
    pub retries_left: i64,
    pub callback_url: Option<String>,
    pub stop_requested: bool,
    /// Names of the hidden inputs (a JSON array).
    pub hidden_inputs: String,
}

pub(crate) const RUNNING_COLUMNS: &str =
    "j.seq, j.id, j.org_id, j.bot_id, j.started_at, j.attempt, \
     j.retries_left, j.callback_url, j.stop_requested, j.hidden_inputs";

/// `object` (a JSON object as text) with the values of `hidden` names blanked; `None` when
/// nothing changes.
pub(crate) fn blank_hidden(object: &str, hidden: &[String]) -> Option<String> {
    let mut map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(object).ok()?;
    let mut changed = false;
    for name in hidden {
        if let Some(v) = map.get_mut(name) {
            if *v != serde_json::Value::String(String::new()) {
                *v = serde_json::Value::String(String::new());
                changed = true;
            }
        }
    }
    changed.then(|| serde_json::Value::Object(map).to_string())
}

/// The insert of the retry of the ended job `rpa_jobs` row matching `filter`: a new job
/// `id`, queued at `at`, with one retry less.
pub(crate) fn retry_sql(id: &str, at: &str, filter: &str) -> String {
    format!(
        "INSERT INTO rpa_jobs (id, org_id, job_type, process_id, version, process_name, \
         project_id, project_name, user_id, job_user, priority, bot_select_type, \
         bot_group_id, target_bot_id, parameters, hidden_inputs, run_spec, inputs, \
         attempt, first_job_id, retries_left, scheduled_at) \
         SELECT {id}, org_id, job_type, process_id, version, process_name, project_id, \
         project_name, user_id, job_user, priority, bot_select_type, bot_group_id, \
         target_bot_id, parameters, hidden_inputs, run_spec, inputs, attempt + 1, \
         COALESCE(first_job_id, id), retries_left - 1, {at} FROM rpa_jobs WHERE {filter}"
    )
}

/// What ending a job set in motion, for the signals to give after the commit.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ended {
    pub retried: bool,
    pub callback: bool,
}

/// Ends running job `$job` (a [`Running`]) with `$outcome`, its outputs (`Option<&str>`, a
/// JSON object) and message, at `$now`, inside `$tx`. Evaluates to an [`Ended`].
macro_rules! end_job {
    ($store:expr, $tx:expr, $job:expr, $outcome:expr, $result:expr, $message:expr, $now:expr) => {{
        let job: &$crate::rpa::job_end::Running = $job;
        let outcome: $crate::rpa::job_end::JobOutcome = $outcome;
        let now: chrono::DateTime<chrono::Utc> = $now;
        let result: Option<&str> = $result;
        let message: &str = $message;
        let duration = job.started_at.map(|s| (now - s).num_milliseconds().max(0));
        sqlx::query(
            "UPDATE rpa_jobs SET status = 4, detail = $2, result = COALESCE($3, result), \
             message = $4, ended_at = $5, duration_ms = $6 WHERE seq = $1",
        )
        .bind(job.seq)
        .bind(outcome.code())
        .bind(result)
        .bind(message)
        .bind(now)
        .bind(duration)
        .execute(&mut *$tx)
        .await?;
        if let Some(bot) = &job.bot_id {
            sqlx::query("UPDATE bots SET job_count = job_count + 1 WHERE id = $1")
                .bind(bot)
                .execute(&mut *$tx)
                .await?;
        }
        let mut ended = $crate::rpa::job_end::Ended::default();
        if outcome.retried() && job.retries_left > 0 {
            sqlx::query(&$crate::rpa::job_end::retry_sql("$2", "$3", "seq = $1"))
                .bind(job.seq)
                .bind($crate::rpa::jobs::new_job_id())
                .bind(now)
                .execute(&mut *$tx)
                .await?;
            notify_instances!($store, $tx, $crate::rpa::runtime::Signal::Jobs);
            ended.retried = true;
        }
        // Hidden values are kept no longer than needed: blanked in the ended row (its retry,
        // if any, was copied above and keeps them until it ends in turn).
        let hidden: Vec<String> = serde_json::from_str(&job.hidden_inputs).unwrap_or_default();
        if !hidden.is_empty() {
            let (parameters, inputs): (String, String) =
                sqlx::query_as("SELECT parameters, inputs FROM rpa_jobs WHERE seq = $1")
                    .bind(job.seq)
                    .fetch_one(&mut *$tx)
                    .await?;
            let parameters = $crate::rpa::job_end::blank_hidden(&parameters, &hidden);
            let inputs = $crate::rpa::job_end::blank_hidden(&inputs, &hidden);
            if parameters.is_some() || inputs.is_some() {
                sqlx::query(
                    "UPDATE rpa_jobs SET parameters = COALESCE($2, parameters), \
                     inputs = COALESCE($3, inputs) WHERE seq = $1",
                )
                .bind(job.seq)
                .bind(parameters)
                .bind(inputs)
                .execute(&mut *$tx)
                .await?;
            }
        }
        // Only the requested run calls back; its retries do not (Brity's rule).
        if let (Some(url), 0) = (&job.callback_url, job.attempt) {
            sqlx::query(
                "INSERT INTO rpa_callbacks (org_id, job_id, url, next_at, created_at) \
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(job.org_id)
            .bind(&job.id)
            .bind(url)
            .bind(now)
            .execute(&mut *$tx)
            .await?;
            notify_instances!($store, $tx, $crate::rpa::runtime::Signal::Callbacks);
            ended.callback = true;
        }
        // The bot's control poll answers "stop" once its job is no longer running.
        notify_instances!($store, $tx, $crate::rpa::runtime::Signal::Control);
        ended
    }};
}

impl crate::Store {
    /// The local signals for what ending a job set in motion (after the commit).
    pub(crate) fn signal_ended(&self, ended: Ended) {
        use super::runtime::Signal;
        if ended.retried {
            self.rpa_runtime.wake(Signal::Jobs);
        }
        if ended.callback {
            self.rpa_runtime.wake(Signal::Callbacks);
        }
        self.rpa_runtime.wake(Signal::Control);
    }
}
