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

/// The insert of a [`PreparedJob`]: parameters $1 to $24, bound by [`bind_job!`].
pub(crate) const INSERT_JOB_SQL: &str =
    "INSERT INTO rpa_jobs (id, org_id, job_type, process_id, version, process_name, \
     project_id, project_name, user_id, job_user, priority, bot_select_type, \
     bot_group_id, target_bot_id, parameters, hidden_inputs, run_spec, inputs, \
     retries_left, callback_url, callback_file, callback_message, additional_json, \
     scheduled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
     $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)";

/// Binds the parameters of [`INSERT_JOB_SQL`] for `$job` (a [`PreparedJob`]) queued at `$at`.
macro_rules! bind_job {
    ($query:expr, $job:expr, $at:expr) => {{
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
        $query
            .bind(job.id.clone())
            .bind(job.org_id)
            .bind(job.job_type)
            .bind(job.process_id.clone())
            .bind(job.version.clone())
            .bind(job.process_name.clone())
            .bind(job.project_id.clone())
            .bind(job.project_name.clone())
            .bind(job.user_id)
            .bind(job.job_user.clone())
            .bind(job.priority)
            .bind(job.select.code())
            .bind(group)
            .bind(target)
            .bind(job.parameters.clone())
            .bind(job.hidden.clone())
            .bind(job.run_spec.clone())
            .bind(job.inputs.clone())
            .bind(job.retry_count)
            .bind(url)
            .bind(file)
            .bind(message)
            .bind(additional)
            .bind(at)
    }};
}
pub(crate) use bind_job;

/// Writes a [`PreparedJob`] queued at `$at` inside `$tx`; evaluates to its `seq`. The caller
/// signals the bots (`notify_instances!` in the transaction, `wake` after it).
macro_rules! insert_job {
    ($tx:expr, $job:expr, $at:expr) => {{
        let sql = format!("{} RETURNING seq", $crate::rpa::jobs::INSERT_JOB_SQL);
        let seq: i64 = $crate::rpa::jobs::bind_job!(sqlx::query_scalar(&sql), $job, $at)
            .fetch_one(&mut *$tx)
            .await?;
        seq
    }};
}
pub(crate) use insert_job;

/// The placeholders (or expressions) [`estimates_sql`] reads.
struct EstimateArgs {
    org: &'static str,
    process: &'static str,
    priority: &'static str,
    user: &'static str,
    admin: &'static str,
    group: &'static str,
    target: &'static str,
    /// Bots last heard from before this are down.
    cutoff: &'static str,
    history: &'static str,
    /// The new job's `seq`.
    seq: &'static str,
}

/// The columns of [`Estimates`] for a job queued for `select`: the mean duration of the
/// process's latest successful runs, the bots up that may run the job and how many of them
/// are busy, and the waiting jobs ahead of it.
fn estimates_sql(select: &BotSelect, a: &EstimateArgs) -> String {
    let eligible = match select {
        BotSelect::All => format!(
            "({} OR {})",
            a.admin,
            super::bots::usable_through_groups(a.user, "b.id")
        ),
        BotSelect::Group(_) => format!(
            "EXISTS (SELECT 1 FROM bot_group_bots g WHERE g.bot_group_id = {} \
             AND g.bot_id = b.id)",
            a.group
        ),
        BotSelect::Bot(_) => format!("b.id = {}", a.target),
    };
    let up = format!(
        "b.org_id = {} AND b.is_active AND b.last_seen_at >= {} AND {eligible}",
        a.org, a.cutoff
    );
    format!(
        "(SELECT CAST(AVG(duration_ms) AS DOUBLE PRECISION) FROM (SELECT duration_ms \
         FROM rpa_jobs WHERE org_id = {org} AND process_id = {process} AND status = 4 \
         AND detail = 1 ORDER BY seq DESC LIMIT {history}) recent) AS average_ms, \
         (SELECT COUNT(*) FROM bots b WHERE {up}) AS up, \
         (SELECT COUNT(*) FROM bots b JOIN rpa_jobs r ON r.bot_id = b.id AND r.status = 3 \
         WHERE {up}) AS busy, \
         (SELECT COUNT(*) FROM rpa_jobs WHERE org_id = {org} AND status = 1 \
         AND (priority < {priority} OR (priority = {priority} AND seq < {seq}))) AS ahead",
        org = a.org,
        process = a.process,
        history = a.history,
        priority = a.priority,
        seq = a.seq,
    )
}

/// What the duration and wait estimates of a new job are computed from.
#[derive(sqlx::FromRow)]
struct Estimates {
    average_ms: Option<f64>,
    up: i64,
    busy: i64,
    ahead: i64,
}

impl Estimates {
    /// Mean seconds of the process's latest successful runs (`None` without any).
    fn average_seconds(&self) -> Option<i64> {
        self.average_ms.map(|ms| (ms / 1000.0).round() as i64)
    }

    /// Seconds until the job likely starts: 0 when a free bot that may run it is up and
    /// fewer jobs are ahead of it than such free bots; otherwise the jobs ahead beyond
    /// those free bots, times the process's average duration, shared among the bots up; -1
    /// when no bot that may run it is up or the process has no history.
    fn expected_wait(&self) -> i64 {
        let free = self.up - self.busy;
        if self.up == 0 {
            return -1;
        }
        if self.ahead < free {
            return 0;
        }
        match self.average_seconds() {
            Some(avg) => {
                (self.ahead - free + 1)
                    .saturating_mul(avg.max(1))
                    .saturating_add(self.up - 1)
                    / self.up
            }
            None => -1,
        }
    }
}

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
        let cutoff = self.rpa_settings().up_since(now);
        let estimates: Estimates = match &self.backend {
            // One statement, atomic by itself: the row, the signal to the other instances
            // (sent when it commits) and the estimates, without BEGIN/COMMIT round trips.
            crate::db::Backend::Postgres(pool) => {
                let args = EstimateArgs {
                    org: "$2",
                    process: "$4",
                    priority: "$11",
                    user: "$9",
                    admin: "$25",
                    group: "$13",
                    target: "$14",
                    cutoff: "$26",
                    history: "$27",
                    seq: "ins.seq",
                };
                let sql = format!(
                    "WITH ins AS ({INSERT_JOB_SQL} RETURNING seq) SELECT {} FROM ins, {}",
                    estimates_sql(&job.select, &args),
                    super::runtime::notify_sql(Signal::Jobs)
                );
                bind_job!(sqlx::query_as(&sql), &job, now)
                    .bind(user.is_admin)
                    .bind(cutoff)
                    .bind(HISTORY)
                    .fetch_one(pool)
                    .await?
            }
            crate::db::Backend::Sqlite { .. } => {
                let seq: i64 = write_tx!(self, |tx| { insert_job!(tx, &job, now) });
                let args = EstimateArgs {
                    org: "$1",
                    process: "$2",
                    priority: "$3",
                    user: "$4",
                    admin: "$5",
                    group: "$6",
                    target: "$7",
                    cutoff: "$8",
                    history: "$9",
                    seq: "$10",
                };
                let sql = format!("SELECT {}", estimates_sql(&job.select, &args));
                let (group, target) = match &job.select {
                    BotSelect::Group(g) => (*g, String::new()),
                    BotSelect::Bot(b) => (0, b.clone()),
                    BotSelect::All => (0, String::new()),
                };
                read!(self, |db| {
                    sqlx::query_as(&sql)
                        .bind(org.0)
                        .bind(&job.process_id)
                        .bind(job.priority)
                        .bind(user.id.0)
                        .bind(user.is_admin)
                        .bind(group)
                        .bind(target)
                        .bind(cutoff)
                        .bind(HISTORY)
                        .bind(seq)
                        .fetch_one(db)
                        .await?
                })
            }
        };
        self.rpa_runtime.wake(Signal::Jobs);
        Ok(Ok(CreatedJob {
            id: job.id,
            job_type: job.job_type,
            average_seconds: estimates.average_seconds().unwrap_or(-1),
            expect_waiting_seconds: estimates.expected_wait(),
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
        // The version, the E authority and an explicitly chosen selection's bots in one
        // query; the version's default selection is known (and checked) only after it.
        let Some((process, checks)) = self
            .runnable_for_job(org, process_id, user, select.as_ref())
            .await?
        else {
            return Ok(Err(JobRefusal::ProcessNotFound));
        };
        if !checks.may_execute {
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
            Some(s) => match bot_refusal(&s, checks.bots_known.then_some(checks.bots_usable)) {
                Some(refusal) => return Ok(Err(refusal)),
                None => s,
            },
            None => {
                let s = process.default_select.clone();
                if let Err(refusal) = self.check_bot_select(org, user, &s).await? {
                    return Ok(Err(refusal));
                }
                s
            }
        };
        Ok(Ok(JobBasis { process, select }))
    }

    /// Whether `user` may send a job to `select`.
    pub(crate) async fn check_bot_select(
        &self,
        org: OrgId,
        user: &User,
        select: &BotSelect,
    ) -> Result<std::result::Result<(), JobRefusal>> {
        let usable = self.may_use_bots(org, user, select).await?;
        Ok(match bot_refusal(select, usable) {
            Some(refusal) => Err(refusal),
            None => Ok(()),
        })
    }
}

/// Why a job may not go to `select`, given whether its bots exist and the user may use them
/// (`usable`: `None` when they do not exist).
fn bot_refusal(select: &BotSelect, usable: Option<bool>) -> Option<JobRefusal> {
    match (select, usable) {
        (_, Some(true)) => None,
        (BotSelect::All, _) => Some(JobRefusal::NoUsableBot),
        (BotSelect::Group(_), None) => Some(JobRefusal::BotGroupNotFound),
        (BotSelect::Bot(_), None) => Some(JobRefusal::BotNotFound),
        (_, Some(false)) => Some(JobRefusal::NoAuthority(
            "The user may not use the chosen bots.",
        )),
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
