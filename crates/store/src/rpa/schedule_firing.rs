//! One pass of the scheduler over the reservations that are due: which occurrence each has
//! due (catching up after a stop), the job it queues (as its owner would request it), and
//! the write that advances it and queues the job together, if nobody did first.
//!
//! Occurrences due at once usually share a process and an owner (everything at 09:00): the
//! checks that read the database are made once per owner, process and bots, and the writes
//! go in transactions of many reservations each.

use super::jobs::{check_request, insert_job, JobBasis, JobRefusal, NewJob, PreparedJob};
use super::runtime::Signal;
use super::schedules::{now_ms_at, ReservationBots};
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sluice_domain::identity::User;
use sluice_domain::schedule::{Recurrence, RestDays, RuleSpec};
use sluice_domain::OrgId;
use std::collections::HashMap;

/// Due reservations read per pass.
pub(crate) const BATCH: i64 = 1024;
/// Job checks made at once.
const CONCURRENCY: usize = 16;
/// Reservations advanced per transaction, and transactions written at once.
const WRITE_CHUNK: usize = 64;
const WRITERS: usize = 4;
const NO_OWNER: &str = "The reservation's owner no longer exists.";
/// Most occurrences walked through in one catch-up (a century of hourly runs); beyond it
/// the one reached fires and the reservation resumes from now.
const MAX_CATCH_UP: usize = 1_000_000;

/// A reservation whose next occurrence is due.
#[derive(Clone, sqlx::FromRow)]
struct Due {
    id: String,
    org_id: i64,
    owner_id: Option<i64>,
    owner_login: String,
    process_id: String,
    process_name: String,
    project_id: String,
    project_name: String,
    parameters: String,
    priority: i64,
    bot_select_type: Option<i64>,
    bot_group_id: Option<i64>,
    bot_id: Option<String>,
    retry_count: i64,
    rule: String,
    next_fire_at: DateTime<Utc>,
    fired_through: DateTime<Utc>,
    revision: i64,
}

impl Due {
    fn bots(&self) -> ReservationBots {
        ReservationBots {
            select_type: self.bot_select_type,
            group_id: self.bot_group_id,
            bot_id: self.bot_id.clone(),
        }
    }

    /// The job request an occurrence makes. Brity's headless process (11) is a process:
    /// Sluice's bots run every process without a desktop of its own.
    fn request(&self) -> NewJob {
        NewJob {
            job_type: 1,
            process_id: self.process_id.clone(),
            priority: self.priority,
            parameters: serde_json::from_str::<Map<String, Value>>(&self.parameters)
                .unwrap_or_default(),
            bot_select: self.bots().job_select(),
            callback: None,
            retry_count: self.retry_count,
        }
    }
}

/// The checks a job shares with others due at once: tenant, owner, process and bots.
type BasisKey = (i64, i64, String, ReservationBots);

/// What an occurrence comes to.
enum Launch {
    /// Nothing is due after all (the calendar changed): only move on.
    Nothing,
    /// A job, once the checks shared with the others due at once are made.
    Pending,
    Job(Box<PreparedJob>),
    Failed(String),
}

/// What firing one reservation decided; written with a compare-and-set.
struct Firing {
    due: Due,
    launch: Launch,
    next: Option<DateTime<Utc>>,
    missed: i64,
}

/// Records an occurrence that could not be queued as a failed job that started and ended
/// when it was due (Brity's job history shows it; its message says why).
macro_rules! insert_failed_job {
    ($tx:expr, $d:expr, $why:expr, $at:expr) => {{
        let d: &Due = $d;
        sqlx::query(
            "INSERT INTO rpa_jobs (id, org_id, job_type, process_id, version, process_name, \
             project_id, project_name, user_id, job_user, priority, bot_select_type, \
             bot_group_id, target_bot_id, run_spec, status, detail, message, scheduled_at, \
             started_at, ended_at, duration_ms) VALUES ($1, $2, 1, $3, '', $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, '{}', 4, 2, $13, $14, $14, $14, 0)",
        )
        .bind(super::jobs::new_job_id())
        .bind(d.org_id)
        .bind(&d.process_id)
        .bind(&d.process_name)
        .bind(&d.project_id)
        .bind(&d.project_name)
        .bind(d.owner_id)
        .bind(&d.owner_login)
        .bind(d.priority)
        .bind(d.bot_select_type.unwrap_or(1))
        .bind(d.bot_group_id)
        .bind(&d.bot_id)
        .bind($why)
        .bind($at)
        .execute(&mut *$tx)
        .await?;
    }};
}

impl Store {
    /// Fires the reservations due at `now` (up to a batch); how many were due.
    pub(crate) async fn fire_due(&self, now: DateTime<Utc>) -> Result<usize> {
        let due: Vec<Due> = read!(self, |db| {
            sqlx::query_as(
                "SELECT id, org_id, owner_id, owner_login, process_id, process_name, \
                 project_id, project_name, parameters, priority, bot_select_type, bot_group_id, \
                 bot_id, retry_count, rule, next_fire_at, fired_through, revision \
                 FROM rpa_schedules WHERE next_fire_at IS NOT NULL AND next_fire_at <= $1 \
                 ORDER BY next_fire_at LIMIT $2",
            )
            .bind(now)
            .bind(BATCH)
            .fetch_all(db)
            .await?
        });
        let count = due.len();
        if count == 0 {
            return Ok(0);
        }
        let owners = self.owners_of(&due).await?;
        let rest = self.rest_days_of(&due, now).await?;
        let no_rest = RestDays::default();
        // Which occurrence each has due.
        let mut firings = Vec::with_capacity(count);
        for d in due {
            let rec = serde_json::from_str::<RuleSpec>(&d.rule)
                .ok()
                .and_then(|spec| Recurrence::parse(&spec).ok());
            let Some(rec) = rec else {
                // A stored rule parsed when saved; one that no longer does (a time zone gone
                // from the database, say) ends the reservation, visibly.
                firings.push(Firing {
                    due: d,
                    launch: Launch::Failed("The reservation's rule can no longer be read.".into()),
                    next: None,
                    missed: 0,
                });
                continue;
            };
            let rest = rest.get(&d.org_id).unwrap_or(&no_rest);
            let (latest, due_count, next) = catch_up(&rec, d.fired_through, now, rest);
            let owner = d
                .owner_id
                .and_then(|o| owners.get(&o))
                .and_then(Option::as_ref);
            let launch = match (latest, owner) {
                (None, _) => Launch::Nothing,
                (Some(_), None) => Launch::Failed(NO_OWNER.into()),
                (Some(_), Some(owner)) if !owner.is_active => {
                    Launch::Failed("The reservation's owner is inactive.".into())
                }
                (Some(_), Some(_)) => Launch::Pending,
            };
            firings.push(Firing {
                due: d,
                launch,
                next,
                missed: due_count.saturating_sub(1) as i64,
            });
        }
        self.prepare_launches(&mut firings, &owners).await?;
        for f in &firings {
            if f.missed > 0 {
                tracing::info!(reservation = %f.due.id, missed = f.missed,
                    "occurrences missed while the scheduler was not running were passed over");
            }
        }
        self.write_firings(firings, now).await?;
        Ok(count)
    }

    /// The owners of `due`, with the administrator authority they hold (`None`: deleted).
    async fn owners_of(&self, due: &[Due]) -> Result<HashMap<i64, Option<User>>> {
        let mut owners = HashMap::new();
        for d in due {
            if let Some(owner) = d.owner_id {
                if let std::collections::hash_map::Entry::Vacant(e) = owners.entry(owner) {
                    e.insert(self.owner_user(OrgId(d.org_id), Some(owner)).await?);
                }
            }
        }
        Ok(owners)
    }

    /// The rest days of each tenant with a due reservation that skips them, from the
    /// earliest point any of them resumes from.
    async fn rest_days_of(
        &self,
        due: &[Due],
        now: DateTime<Utc>,
    ) -> Result<HashMap<i64, RestDays>> {
        let mut from: HashMap<i64, (DateTime<Utc>, RuleSpec)> = HashMap::new();
        for d in due {
            let Ok(spec) = serde_json::from_str::<RuleSpec>(&d.rule) else {
                continue;
            };
            if spec.skip_rest_days {
                let e = from.entry(d.org_id).or_insert((d.fired_through, spec));
                e.0 = e.0.min(d.fired_through);
            }
        }
        let mut rest = HashMap::new();
        for (org, (start, spec)) in from {
            let days = self.rest_days_for(OrgId(org), &spec, start, now).await?;
            rest.insert(org, days);
        }
        Ok(rest)
    }

    /// Turns each pending launch into its job, or the reason it cannot be queued. The
    /// checks that read the database run once per tenant, owner, process and bots.
    async fn prepare_launches(
        &self,
        firings: &mut [Firing],
        owners: &HashMap<i64, Option<User>>,
    ) -> Result<()> {
        let key = |f: &Firing| -> Option<BasisKey> {
            matches!(f.launch, Launch::Pending).then(|| {
                let d = &f.due;
                (
                    d.org_id,
                    d.owner_id.unwrap_or_default(),
                    d.process_id.clone(),
                    d.bots(),
                )
            })
        };
        let mut bases: HashMap<BasisKey, std::result::Result<JobBasis, JobRefusal>> =
            HashMap::new();
        let wanted: std::collections::HashSet<BasisKey> = firings.iter().filter_map(key).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for k in wanted {
            while tasks.len() >= CONCURRENCY {
                if let Some(done) = tasks.join_next().await {
                    let (k, basis) = done.map_err(|e| anyhow::anyhow!("job checks: {e}"))?;
                    bases.insert(k, basis?);
                }
            }
            let Some(Some(owner)) = owners.get(&k.1).cloned() else {
                continue;
            };
            let store = self.clone();
            tasks.spawn(async move {
                let basis = store
                    .job_basis(OrgId(k.0), &owner, &k.2, k.3.job_select())
                    .await;
                (k, basis)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (k, basis) = done.map_err(|e| anyhow::anyhow!("job checks: {e}"))?;
            bases.insert(k, basis?);
        }
        for f in firings.iter_mut() {
            let Some(k) = key(f) else {
                continue;
            };
            let Some(Some(owner)) = owners.get(&k.1) else {
                f.launch = Launch::Failed(NO_OWNER.into());
                continue;
            };
            let request = f.due.request();
            f.launch = match (check_request(&request).as_ref(), bases.get(&k)) {
                (Err(refusal), _) | (Ok(()), Some(Err(refusal))) => {
                    Launch::Failed(refusal_reason(refusal))
                }
                (Ok(()), Some(Ok(basis))) => {
                    Launch::Job(Box::new(basis.job(OrgId(f.due.org_id), owner, &request)?))
                }
                (Ok(()), None) => Launch::Failed(NO_OWNER.into()),
            };
        }
        Ok(())
    }

    /// Writes the firings, many per transaction and a few transactions at once.
    async fn write_firings(&self, firings: Vec<Firing>, now: DateTime<Utc>) -> Result<()> {
        let mut failed = 0usize;
        let mut tasks = tokio::task::JoinSet::new();
        let mut firings = firings.into_iter();
        loop {
            let chunk: Vec<Firing> = firings.by_ref().take(WRITE_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            while tasks.len() >= WRITERS {
                if let Some(done) = tasks.join_next().await {
                    failed += done.unwrap_or(1);
                }
            }
            let store = self.clone();
            tasks.spawn(async move { store.write_chunk_or_each(chunk).await });
        }
        while let Some(done) = tasks.join_next().await {
            failed += done.unwrap_or(1);
        }
        if failed > 0 {
            return Err(
                anyhow::anyhow!("{failed} due reservations could not be fired at {now}").into(),
            );
        }
        Ok(())
    }

    /// Writes a chunk in one transaction; if that fails, one reservation at a time, so one
    /// bad row holds up no other. How many could not be written.
    async fn write_chunk_or_each(&self, chunk: Vec<Firing>) -> usize {
        let Err(e) = self.write_chunk(&chunk).await else {
            return 0;
        };
        tracing::warn!(error = %e, "scheduler: a batch of reservations could not be written; writing them one by one");
        let mut failed = 0;
        for f in &chunk {
            if let Err(e) = self.write_chunk(std::slice::from_ref(f)).await {
                tracing::warn!(error = %e, reservation = %f.due.id, "scheduler: firing a reservation failed");
                failed += 1;
            }
        }
        failed
    }

    /// Advances each reservation of `chunk` (compare-and-set) and writes its job, in one
    /// transaction. Another instance that advanced one first wins: it is left alone.
    async fn write_chunk(&self, chunk: &[Firing]) -> Result<()> {
        let at = now_ms_at(self.clock().now());
        let queued = write_tx!(self, |tx| {
            let mut queued = false;
            for f in chunk {
                let d = &f.due;
                let (error, error_at) = match &f.launch {
                    Launch::Failed(why) => (Some(why.as_str()), Some(at)),
                    _ => (None, None),
                };
                let hidden = match &f.launch {
                    Launch::Job(job) => Some(job.hidden.as_str()),
                    _ => None,
                };
                let made = i64::from(matches!(f.launch, Launch::Job(_) | Launch::Failed(_)));
                let won = sqlx::query(
                    "UPDATE rpa_schedules SET next_fire_at = $4, fired_through = $5, \
                     job_count = job_count + $6, missed_count = missed_count + $7, \
                     hidden_inputs = COALESCE($8, hidden_inputs), \
                     last_error = CASE WHEN $6 = 0 THEN last_error ELSE $9 END, \
                     last_error_at = CASE WHEN $6 = 0 THEN last_error_at ELSE $10 END \
                     WHERE id = $1 AND revision = $2 AND next_fire_at = $3",
                )
                .bind(&d.id)
                .bind(d.revision)
                .bind(d.next_fire_at)
                .bind(f.next)
                .bind(at)
                .bind(made)
                .bind(f.missed)
                .bind(hidden)
                .bind(error)
                .bind(error_at)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                match &f.launch {
                    Launch::Job(job) if won => {
                        insert_job!(tx, job.as_ref(), at);
                        queued = true;
                    }
                    Launch::Failed(why) if won => insert_failed_job!(tx, d, why, at),
                    _ => {}
                }
            }
            if queued {
                notify_instances!(self, tx, Signal::Jobs);
            }
            queued
        });
        if queued {
            self.rpa_runtime.wake(Signal::Jobs);
        }
        Ok(())
    }
}

/// The occurrences after `through` up to `now`: the latest of them, how many there are,
/// and the first one after `now`.
pub(crate) fn catch_up(
    rec: &Recurrence,
    through: DateTime<Utc>,
    now: DateTime<Utc>,
    rest: &RestDays,
) -> (Option<DateTime<Utc>>, usize, Option<DateTime<Utc>>) {
    let (mut latest, mut due) = (None, 0usize);
    let mut at = through;
    loop {
        match rec.next_after(at, rest) {
            Some(t) if t <= now && due < MAX_CATCH_UP => {
                latest = Some(t);
                due += 1;
                at = t;
            }
            Some(t) if t <= now => return (latest, due, rec.next_after(now, rest)),
            next => return (latest, due, next),
        }
    }
}

/// Why an owner's job could not be queued, in words for the job history.
fn refusal_reason(r: &JobRefusal) -> String {
    match r {
        JobRefusal::Invalid(m) => m.clone(),
        JobRefusal::ProcessNotFound => "The process no longer exists.".into(),
        JobRefusal::NoAuthority(m) => format!("The reservation's owner: {m}"),
        JobRefusal::ProjectStopped => "The process's project is stopped.".into(),
        JobRefusal::NotActivated => "The process has no activated version.".into(),
        JobRefusal::BotNotFound => "The reservation's bot no longer exists.".into(),
        JobRefusal::BotGroupNotFound => "The reservation's bot group no longer exists.".into(),
        JobRefusal::NoUsableBot => "The reservation's owner may use no bot.".into(),
        JobRefusal::ProcessFlowUnsupported => "Sluice does not run process flows.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn daily() -> Recurrence {
        Recurrence::parse(&RuleSpec {
            start: "2030-03-01T09:00:00+09:00".into(),
            freq: Some("DAILY".into()),
            skip_rest_days: true,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn catching_up_finds_the_latest_due_and_the_next() {
        let rest = RestDays::default();
        let rec = daily();
        // On time: the one due.
        let on_time = catch_up(
            &rec,
            t("2030-02-28T00:00:00Z"),
            t("2030-03-01T00:00:00Z"),
            &rest,
        );
        assert_eq!(
            on_time,
            (
                Some(t("2030-03-01T00:00:00Z")),
                1,
                Some(t("2030-03-02T00:00:00Z"))
            )
        );
        // Three due after a jump: the latest, and the next after now.
        let late = catch_up(
            &rec,
            t("2030-03-01T00:00:00Z"),
            t("2030-03-04T12:00:00Z"),
            &rest,
        );
        assert_eq!(
            late,
            (
                Some(t("2030-03-04T00:00:00Z")),
                3,
                Some(t("2030-03-05T00:00:00Z"))
            )
        );
        // Nothing due (a rest day took it).
        let rest = RestDays::new([(chrono::NaiveDate::from_ymd_opt(2030, 3, 2).unwrap(), -540)]);
        let none = catch_up(
            &rec,
            t("2030-03-01T12:00:00Z"),
            t("2030-03-02T00:00:00Z"),
            &rest,
        );
        assert_eq!(none, (None, 0, Some(t("2030-03-03T00:00:00Z"))));
    }
}
