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

use super::jobs::{insert_job, JobRefusal, NewJob, PreparedJob};
use super::runtime::Signal;
use super::schedules::{now_ms_at, ReservationBots};
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sluice_domain::identity::User;
use sluice_domain::schedule::{Recurrence, RestDays, RuleSpec};
use sluice_domain::OrgId;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

/// Due reservations read per query.
const BATCH: i64 = 256;
/// Occurrences prepared and written at once (SQLite group-commits them).
const CONCURRENCY: usize = 16;
/// The longest sleep without a look at the database.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// The wait after a failed pass (the database is down, say).
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Most occurrences passed over in one catch-up (ten thousand years of hourly runs are
/// fewer); beyond it the reservation resumes from now.
const MAX_CATCH_UP: usize = 100_000_000;

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

/// What an occurrence comes to.
enum Launch {
    /// Nothing is due after all (the calendar changed): only move on.
    Nothing,
    Job(Box<PreparedJob>),
    Failed(String),
}

/// What firing one reservation decided, written in one compare-and-set transaction.
struct Firing {
    launch: Launch,
    next: Option<DateTime<Utc>>,
    through: DateTime<Utc>,
    missed: i64,
    hidden: Option<String>,
}

/// Records an occurrence that could not be queued as an ended, failed job (Brity's job
/// history shows it; its message says why).
macro_rules! insert_failed_job {
    ($tx:expr, $d:expr, $why:expr, $at:expr) => {{
        let d: &Due = $d;
        sqlx::query(
            "INSERT INTO rpa_jobs (id, org_id, job_type, process_id, version, process_name, \
             project_id, project_name, user_id, job_user, priority, bot_select_type, \
             bot_group_id, target_bot_id, run_spec, status, detail, message, scheduled_at, \
             ended_at) VALUES ($1, $2, 1, $3, '', $4, $5, $6, $7, $8, $9, $10, $11, $12, '{}', \
             4, 2, $13, $14, $14)",
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

    /// Fires the reservations due at `now` (up to a batch); how many were due.
    async fn fire_due(&self, now: DateTime<Utc>) -> Result<usize> {
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
        // What the batch shares is read once: owners, and rest days per tenant.
        let mut owners: HashMap<(i64, i64), Option<User>> = HashMap::new();
        let mut rest: HashMap<i64, Arc<RestDays>> = HashMap::new();
        let mut specs = Vec::with_capacity(count);
        for d in &due {
            if let Some(owner) = d.owner_id {
                if let std::collections::hash_map::Entry::Vacant(e) =
                    owners.entry((d.org_id, owner))
                {
                    e.insert(self.owner_user(OrgId(d.org_id), Some(owner)).await?);
                }
            }
            let spec = serde_json::from_str::<RuleSpec>(&d.rule).ok();
            if spec.as_ref().is_some_and(|s| s.skip_rest_days) && !rest.contains_key(&d.org_id) {
                let from = due
                    .iter()
                    .filter(|o| o.org_id == d.org_id)
                    .map(|o| o.fired_through)
                    .min()
                    .unwrap_or(now);
                let days = self
                    .rest_days_for(OrgId(d.org_id), spec.as_ref().expect("checked"), from, now)
                    .await?;
                rest.insert(d.org_id, Arc::new(days));
            }
            specs.push(spec);
        }
        let no_rest = Arc::new(RestDays::default());
        let mut tasks = tokio::task::JoinSet::new();
        let mut failed = 0;
        for (d, spec) in due.into_iter().zip(specs) {
            while tasks.len() >= CONCURRENCY {
                failed += usize::from(joined(tasks.join_next().await));
            }
            let owner = d
                .owner_id
                .and_then(|o| owners.get(&(d.org_id, o)).cloned().flatten());
            let rest = rest.get(&d.org_id).cloned().unwrap_or(no_rest.clone());
            let store = self.clone();
            tasks.spawn(async move { store.fire(d, spec, owner, rest, now).await });
        }
        while let Some(done) = tasks.join_next().await {
            failed += usize::from(joined(Some(done)));
        }
        if failed > 0 {
            return Err(
                anyhow::anyhow!("{failed} of {count} due reservations could not be fired").into(),
            );
        }
        Ok(count)
    }

    /// Fires one due reservation: works out which occurrence is due, prepares its job (or
    /// its failure) and writes both with the advance, if nobody else did first.
    async fn fire(
        &self,
        d: Due,
        spec: Option<RuleSpec>,
        owner: Option<User>,
        rest: Arc<RestDays>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let firing = match spec.as_ref().map(Recurrence::parse) {
            Some(Ok(rec)) => {
                let (latest, due, next) = catch_up(&rec, d.fired_through, now, &rest);
                let launch = match latest {
                    None => Launch::Nothing,
                    Some(_) => self.launch(&d, owner.as_ref()).await?,
                };
                let hidden = match &launch {
                    Launch::Job(job) => Some(job.hidden.clone()),
                    _ => None,
                };
                Firing {
                    launch,
                    next,
                    through: now,
                    missed: due.saturating_sub(1) as i64,
                    hidden,
                }
            }
            // A stored rule always parsed when saved; one that no longer does (a time zone
            // gone from the database, say) ends the reservation, visibly.
            _ => Firing {
                launch: Launch::Failed("The reservation's rule can no longer be read.".into()),
                next: None,
                through: now,
                missed: 0,
                hidden: None,
            },
        };
        if firing.missed > 0 {
            tracing::info!(
                reservation = %d.id,
                missed = firing.missed,
                "occurrences missed while the scheduler was not running were passed over"
            );
        }
        self.write_firing(&d, &firing).await
    }

    /// The job of an occurrence, as the owner would request it; or why there is none.
    async fn launch(&self, d: &Due, owner: Option<&User>) -> Result<Launch> {
        let Some(owner) = owner else {
            return Ok(Launch::Failed(
                "The reservation's owner no longer exists.".into(),
            ));
        };
        if !owner.is_active {
            return Ok(Launch::Failed(
                "The reservation's owner is inactive.".into(),
            ));
        }
        let parameters: Map<String, Value> =
            serde_json::from_str(&d.parameters).unwrap_or_default();
        let bots = ReservationBots {
            select_type: d.bot_select_type,
            group_id: d.bot_group_id,
            bot_id: d.bot_id.clone(),
        };
        let new = NewJob {
            // Brity's headless process (11) is a process: Sluice's bots run every process
            // without a desktop of its own.
            job_type: 1,
            process_id: d.process_id.clone(),
            priority: d.priority,
            parameters,
            bot_select: bots.job_select(),
            callback: None,
            retry_count: d.retry_count,
        };
        Ok(
            match self.prepare_job(OrgId(d.org_id), owner, &new).await? {
                Ok(job) => Launch::Job(Box::new(job)),
                Err(refusal) => Launch::Failed(refusal_reason(&refusal)),
            },
        )
    }

    /// Advances the reservation (compare-and-set) and writes its job in one transaction.
    async fn write_firing(&self, d: &Due, f: &Firing) -> Result<()> {
        let at = now_ms_at(self.clock().now());
        let (error, error_at) = match &f.launch {
            Launch::Failed(why) => (Some(why.as_str()), Some(at)),
            _ => (None, None),
        };
        let made = i64::from(!matches!(f.launch, Launch::Nothing));
        let queued = write_tx!(self, |tx| {
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
            .bind(f.through)
            .bind(made)
            .bind(f.missed)
            .bind(&f.hidden)
            .bind(error)
            .bind(error_at)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            match &f.launch {
                Launch::Job(job) if won => {
                    insert_job!(tx, job.as_ref(), at);
                    notify_instances!(self, tx, Signal::Jobs);
                    true
                }
                Launch::Failed(why) if won => {
                    insert_failed_job!(tx, d, why, at);
                    false
                }
                _ => false,
            }
        });
        if queued {
            self.rpa_runtime.wake(Signal::Jobs);
        }
        Ok(())
    }
}

/// The occurrences after `through` up to `now`: the latest of them, how many there are,
/// and the first one after `now`.
fn catch_up(
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

/// Logs a firing task that failed (the reservation is tried again on the next pass: its
/// `next_fire_at` did not move); whether it failed.
fn joined(done: Option<std::result::Result<Result<()>, tokio::task::JoinError>>) -> bool {
    match done {
        Some(Ok(Err(e))) => {
            tracing::warn!(error = %e, "scheduler: firing a reservation failed");
            true
        }
        Some(Err(e)) => {
            tracing::warn!(error = %e, "scheduler: a firing task failed");
            true
        }
        _ => false,
    }
}

/// Polls `fut` once, so that it registers its waker; whether it already completed.
async fn poll_once<F: Future>(mut fut: Pin<&mut F>) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await
}
