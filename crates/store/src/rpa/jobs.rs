//! Requesting a job (Brity `POST /scheduler/api/v1/jobs`): the checks (execute authority,
//! project running, version activated, bot selection the user may use), the inputs the bot
//! will get, the queued row, and the duration and wait estimates from history.

use super::bots::now_ms;
use super::runtime::Signal;
use crate::{Result, Store};
use serde_json::{Map, Value};
use sluice_domain::identity::User;
use sluice_domain::OrgId;

/// Highest retry count a job may ask for (Brity: "99 or less").
pub const MAX_RETRIES: i64 = 99;
/// Largest `jobParameter` object.
pub const MAX_PARAMETERS_BYTES: usize = 64 * 1024;
/// How many of a process's latest successful runs its average duration is taken over.
const HISTORY: i64 = 20;

/// Which bots a job may run on (Brity botSelectType).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotSelect {
    /// 1: any bot the user may use.
    All,
    /// 2: a bot of this bot group.
    Group(i64),
    /// 3: this bot.
    Bot(String),
}

impl BotSelect {
    pub fn code(&self) -> i64 {
        match self {
            BotSelect::All => 1,
            BotSelect::Group(_) => 2,
            BotSelect::Bot(_) => 3,
        }
    }
}

/// Where and what to post when the job ends (only the requested run, not its retries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCallback {
    pub url: String,
    /// Attach the job's image (`resultReqText` `"file": "Y"`).
    pub file: bool,
    /// Include the process's message (`"message": "Y"`).
    pub message: bool,
    /// Brity `additionalJsonText`, returned as given.
    pub additional_json: Option<String>,
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// 1 process, 2 process run by a process flow (21, a process flow, is refused).
    pub job_type: i64,
    pub process_id: String,
    /// Greater than 0; smaller runs first.
    pub priority: i64,
    pub parameters: Map<String, Value>,
    /// `None`: the process version's default selection (targetBot).
    pub bot_select: Option<BotSelect>,
    pub callback: Option<JobCallback>,
    /// Retries after a failure or timeout, 0 to 99.
    pub retry_count: i64,
}

/// Why a job was not queued (each maps onto a Brity `resultDetail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobRefusal {
    Invalid(String),
    ProcessNotFound,
    /// The user lacks E on the process, or may not use the chosen bots.
    NoAuthority(&'static str),
    ProjectStopped,
    NotActivated,
    BotNotFound,
    BotGroupNotFound,
    /// The user may use no bot at all (selection 1).
    NoUsableBot,
    /// Job type 21: Sluice has no process flows to run.
    ProcessFlowUnsupported,
}

/// A queued job and the estimates Brity answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedJob {
    pub id: String,
    pub job_type: i64,
    /// Mean duration of the process's latest successful runs; -1 without history.
    pub average_seconds: i64,
    /// 0: an idle bot takes it at once; -1: no estimate (no bot up, or no history).
    pub expect_waiting_seconds: i64,
}

/// A Brity job id: `<epoch ms>-<8 hex>-<8 hex>`.
pub fn new_job_id() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    format!(
        "{}-{:08x}-{:08x}",
        chrono::Utc::now().timestamp_millis(),
        rng.gen::<u32>(),
        rng.gen::<u32>()
    )
}

/// The inputs a bot gets: declared defaults, then the version's input expressions (taken as
/// literal values), then the job's parameters.
pub(crate) fn merge_inputs(
    declared: &[super::process_source::Input],
    expressions: &Map<String, Value>,
    parameters: &Map<String, Value>,
) -> Map<String, Value> {
    let mut inputs = Map::new();
    for d in declared {
        if let Some(v) = &d.default {
            inputs.insert(d.name.clone(), v.clone());
        }
    }
    for (name, e) in expressions {
        let v = e.get("expression").cloned().unwrap_or_else(|| e.clone());
        inputs.insert(name.clone(), v);
    }
    for (name, v) in parameters {
        inputs.insert(name.clone(), v.clone());
    }
    inputs
}

/// A job that passed every check, ready to be written (by `create_job`, or by the scheduler
/// inside the transaction that advances its reservation: see [`insert_job!`]).
#[derive(Clone)]
pub(crate) struct PreparedJob {
    pub id: String,
    pub org_id: i64,
    pub job_type: i64,
    pub process_id: String,
    pub version: String,
    pub process_name: String,
    pub project_id: String,
    pub project_name: String,
    pub user_id: i64,
    pub job_user: String,
    pub priority: i64,
    pub select: BotSelect,
    pub parameters: String,
    pub hidden: String,
    pub run_spec: String,
    pub inputs: String,
    pub retry_count: i64,
    pub callback: Option<JobCallback>,
}

/// The checks of a job request that need no database: job type, priority, retries and the
/// size of the parameters.
pub(crate) fn check_request(new: &NewJob) -> std::result::Result<(), JobRefusal> {
    match new.job_type {
        1 | 2 => {}
        21 => return Err(JobRefusal::ProcessFlowUnsupported),
        _ => return Err(JobRefusal::Invalid("jobType must be 1, 2 or 21.".into())),
    }
    if new.priority < 1 {
        return Err(JobRefusal::Invalid(
            "priority must be greater than 0.".into(),
        ));
    }
    if !(0..=MAX_RETRIES).contains(&new.retry_count) {
        return Err(JobRefusal::Invalid(format!(
            "retryCount must be 0 to {MAX_RETRIES}."
        )));
    }
    if Value::Object(new.parameters.clone()).to_string().len() > MAX_PARAMETERS_BYTES {
        return Err(JobRefusal::Invalid(format!(
            "jobParameter is larger than {MAX_PARAMETERS_BYTES} bytes."
        )));
    }
    Ok(())
}

/// A job's process version and bots, as checked for its user (see `Store::job_basis`).
#[derive(Clone)]
pub(crate) struct JobBasis {
    process: super::process_source::Runnable,
    select: BotSelect,
}

impl JobBasis {
    /// The job of request `new` (checked by [`check_request`]) for `user`.
    pub(crate) fn job(&self, org: OrgId, user: &User, new: &NewJob) -> Result<PreparedJob> {
        let parameters = json_text(&Value::Object(new.parameters.clone()))?;
        let process = &self.process;
        let inputs = merge_inputs(&process.inputs, &process.input_expressions, &new.parameters);
        let hidden: Vec<&str> = process
            .inputs
            .iter()
            .filter(|i| i.hidden)
            .map(|i| i.name.as_str())
            .collect();
        Ok(PreparedJob {
            id: new_job_id(),
            org_id: org.0,
            job_type: new.job_type,
            process_id: process.process_id.clone(),
            version: process.version.clone(),
            process_name: process.name.clone(),
            project_id: process.project_id.clone(),
            project_name: process.project_name.clone(),
            user_id: user.id.0,
            job_user: user.login.clone(),
            priority: new.priority,
            select: self.select.clone(),
            parameters,
            hidden: json_text(&hidden)?,
            run_spec: json_text(&process.run)?,
            inputs: json_text(&inputs)?,
            retry_count: new.retry_count,
            callback: new.callback.clone(),
        })
    }
}

/// Writes a [`PreparedJob`] queued at `$at` inside `$tx`; evaluates to its `seq`. The caller
/// signals the bots (`notify_instances!` in the transaction, `wake` after it).
macro_rules! insert_job {
    ($tx:expr, $job:expr, $at:expr) => {{
        let job: &$crate::rpa::jobs::PreparedJob = $job;
        let at: chrono::DateTime<chrono::Utc> = $at;
        let (group, target) = match &job.select {
            $crate::rpa::jobs::BotSelect::All => (None, None),
            $crate::rpa::jobs::BotSelect::Group(g) => (Some(*g), None),
            $crate::rpa::jobs::BotSelect::Bot(b) => (None, Some(b.clone())),
        };
        let (url, file, message, additional) = match &job.callback {
            Some(c) => (
                Some(c.url.clone()),
                c.file,
                c.message,
                c.additional_json.clone(),
            ),
            None => (None, false, false, None),
        };
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO rpa_jobs (id, org_id, job_type, process_id, version, process_name, \
             project_id, project_name, user_id, job_user, priority, bot_select_type, \
             bot_group_id, target_bot_id, parameters, hidden_inputs, run_spec, inputs, \
             retries_left, callback_url, callback_file, callback_message, additional_json, \
             scheduled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) RETURNING seq",
        )
        .bind(&job.id)
        .bind(job.org_id)
        .bind(job.job_type)
        .bind(&job.process_id)
        .bind(&job.version)
        .bind(&job.process_name)
        .bind(&job.project_id)
        .bind(&job.project_name)
        .bind(job.user_id)
        .bind(&job.job_user)
        .bind(job.priority)
        .bind(job.select.code())
        .bind(group)
        .bind(&target)
        .bind(&job.parameters)
        .bind(&job.hidden)
        .bind(&job.run_spec)
        .bind(&job.inputs)
        .bind(job.retry_count)
        .bind(&url)
        .bind(file)
        .bind(message)
        .bind(&additional)
        .bind(at)
        .fetch_one(&mut *$tx)
        .await?;
        seq
    }};
}
pub(crate) use insert_job;

impl Store {
    /// Queues a job for `user` (who needs E on the process and the right to use the chosen
    /// bots); wakes the waiting bots.
    pub async fn create_job(
        &self,
        org: OrgId,
        user: &User,
        new: NewJob,
    ) -> Result<std::result::Result<CreatedJob, JobRefusal>> {
        let job = match self.prepare_job(org, user, &new).await? {
            Ok(job) => job,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let now = now_ms();
        let seq: i64 = write_tx!(self, |tx| {
            let seq = insert_job!(tx, &job, now);
            notify_instances!(self, tx, Signal::Jobs);
            seq
        });
        self.rpa_runtime.wake(Signal::Jobs);
        let average = self.average_seconds(org, &job.process_id).await?;
        let wait = self
            .expected_wait(org, user, &job.select, job.priority, seq, average)
            .await?;
        Ok(Ok(CreatedJob {
            id: job.id,
            job_type: job.job_type,
            average_seconds: average.unwrap_or(-1),
            expect_waiting_seconds: wait,
        }))
    }

    /// Checks a job for `user` (E on the process, project running, version activated, bots
    /// the user may use) and builds what the bot will get. Reads only.
    pub(crate) async fn prepare_job(
        &self,
        org: OrgId,
        user: &User,
        new: &NewJob,
    ) -> Result<std::result::Result<PreparedJob, JobRefusal>> {
        if let Err(refusal) = check_request(new) {
            return Ok(Err(refusal));
        }
        match self
            .job_basis(org, user, &new.process_id, new.bot_select.clone())
            .await?
        {
            Ok(basis) => basis.job(org, user, new).map(Ok),
            Err(refusal) => Ok(Err(refusal)),
        }
    }

    /// What the checks of a job of `process_id` for `user` on `select` (`None`: the
    /// version's default) depend on the database for: the version that runs and the bots,
    /// or why the user may not run it. The same for every job of one process, user and
    /// selection (the scheduler shares it among the occurrences due at once).
    pub(crate) async fn job_basis(
        &self,
        org: OrgId,
        user: &User,
        process_id: &str,
        select: Option<BotSelect>,
    ) -> Result<std::result::Result<JobBasis, JobRefusal>> {
        let Some(process) = self.runnable(org, process_id).await? else {
            return Ok(Err(JobRefusal::ProcessNotFound));
        };
        let may_execute = self
            .object_authorities(org, user, &process.project_id)
            .await?
            .is_some_and(|a| a.has('E'));
        if !may_execute {
            return Ok(Err(JobRefusal::NoAuthority(
                "The user may not execute this process.",
            )));
        }
        if process.project_stopped {
            return Ok(Err(JobRefusal::ProjectStopped));
        }
        if !process.is_activated {
            return Ok(Err(JobRefusal::NotActivated));
        }
        let select = match select {
            Some(s) => s,
            None => process.default_select.clone(),
        };
        if let Err(refusal) = self.check_bot_select(org, user, &select).await? {
            return Ok(Err(refusal));
        }
        Ok(Ok(JobBasis { process, select }))
    }

    /// Whether `user` may send a job to `select`.
    pub(crate) async fn check_bot_select(
        &self,
        org: OrgId,
        user: &User,
        select: &BotSelect,
    ) -> Result<std::result::Result<(), JobRefusal>> {
        let denied = JobRefusal::NoAuthority("The user may not use the chosen bots.");
        Ok(match select {
            BotSelect::All => {
                if self.has_usable_bot(org, user).await? {
                    Ok(())
                } else {
                    Err(JobRefusal::NoUsableBot)
                }
            }
            BotSelect::Group(g) => match self.may_use_bot_group(org, user, *g).await? {
                None => Err(JobRefusal::BotGroupNotFound),
                Some(false) => Err(denied),
                Some(true) => Ok(()),
            },
            BotSelect::Bot(b) => match self.may_use_bot(org, user, b).await? {
                None => Err(JobRefusal::BotNotFound),
                Some(false) => Err(denied),
                Some(true) => Ok(()),
            },
        })
    }

    /// Mean seconds of the process's latest successful runs (`None` without any).
    pub async fn average_seconds(&self, org: OrgId, process_id: &str) -> Result<Option<i64>> {
        let avg: Option<f64> = read!(self, |db| {
            sqlx::query_scalar(
                "SELECT CAST(AVG(duration_ms) AS DOUBLE PRECISION) FROM (SELECT duration_ms \
                 FROM rpa_jobs WHERE org_id = $1 AND process_id = $2 AND status = 4 \
                 AND detail = 1 ORDER BY seq DESC LIMIT $3) recent",
            )
            .bind(org.0)
            .bind(process_id)
            .bind(HISTORY)
            .fetch_one(db)
            .await?
        });
        Ok(avg.map(|ms| (ms / 1000.0).round() as i64))
    }

    /// Seconds until job `seq` likely starts: 0 when a free bot that may run it is up and
    /// fewer jobs are ahead of it than such free bots; otherwise the jobs ahead beyond those
    /// free bots, times the process's average duration, shared among the bots up; -1 when no
    /// bot that may run it is up or the process has no history.
    async fn expected_wait(
        &self,
        org: OrgId,
        user: &User,
        select: &BotSelect,
        priority: i64,
        seq: i64,
        average: Option<i64>,
    ) -> Result<i64> {
        let eligible = match select {
            BotSelect::All => format!(
                "($3 OR {})",
                super::bots::usable_through_groups("$4", "b.id")
            ),
            BotSelect::Group(_) => "EXISTS (SELECT 1 FROM bot_group_bots g \
                 WHERE g.bot_group_id = $5 AND g.bot_id = b.id)"
                .to_string(),
            BotSelect::Bot(_) => "b.id = $6".to_string(),
        };
        let bots_sql = format!(
            "SELECT COUNT(*), COUNT(r.seq) FROM bots b \
             LEFT JOIN rpa_jobs r ON r.bot_id = b.id AND r.status = 3 \
             WHERE b.org_id = $1 AND b.is_active AND b.last_seen_at >= $2 AND {eligible}"
        );
        let cutoff = self.rpa_settings().up_since(now_ms());
        let (group, target) = match select {
            BotSelect::Group(g) => (*g, String::new()),
            BotSelect::Bot(b) => (0, b.clone()),
            BotSelect::All => (0, String::new()),
        };
        let ((up, busy), ahead): ((i64, i64), i64) = read!(self, |db| {
            let bots: (i64, i64) = sqlx::query_as(&bots_sql)
                .bind(org.0)
                .bind(cutoff)
                .bind(user.is_admin)
                .bind(user.id.0)
                .bind(group)
                .bind(&target)
                .fetch_one(db)
                .await?;
            let ahead: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM rpa_jobs WHERE org_id = $1 AND status = 1 \
                 AND (priority < $2 OR (priority = $2 AND seq < $3))",
            )
            .bind(org.0)
            .bind(priority)
            .bind(seq)
            .fetch_one(db)
            .await?;
            (bots, ahead)
        });
        let free = up - busy;
        if up == 0 {
            return Ok(-1);
        }
        if ahead < free {
            return Ok(0);
        }
        Ok(match average {
            Some(avg) => {
                (ahead - free + 1)
                    .saturating_mul(avg.max(1))
                    .saturating_add(up - 1)
                    / up
            }
            None => -1,
        })
    }
}

fn json_text<T: serde::Serialize>(value: &T) -> Result<String> {
    Ok(serde_json::to_string(value).map_err(anyhow::Error::from)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn job_ids_look_like_brity_ones() {
        let id = new_job_id();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(parts.len(), 3, "{id}");
        assert!(parts[0].parse::<i64>().is_ok());
        assert!(parts[1..]
            .iter()
            .all(|p| p.len() == 8 && p.chars().all(|c| c.is_ascii_hexdigit())));
    }

    #[test]
    fn parameters_win_over_expressions_over_defaults() {
        let declared = vec![
            super::super::process_source::Input {
                name: "a".into(),
                default: Some(json!("da")),
                hidden: false,
            },
            super::super::process_source::Input {
                name: "b".into(),
                default: Some(json!("db")),
                hidden: true,
            },
            super::super::process_source::Input {
                name: "c".into(),
                default: None,
                hidden: false,
            },
        ];
        let expressions = json!({"b": {"expression": "eb"}, "c": {"expression": "ec"}});
        let parameters = json!({"c": "pc", "extra": 1});
        let merged = merge_inputs(
            &declared,
            expressions.as_object().unwrap(),
            parameters.as_object().unwrap(),
        );
        assert_eq!(
            Value::Object(merged),
            json!({"a": "da", "b": "eb", "c": "pc", "extra": 1})
        );
    }
}
