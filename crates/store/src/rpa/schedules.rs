//! Reservations (Brity's scheduled jobs): create, modify and delete. A reservation states a
//! recurrence (sluice_domain::schedule) and the job each occurrence queues; the scheduler
//! (`scheduler.rs`) queues them. Its jobs run as its owner, so every check is made for the
//! owner: E on the process and the right to use the chosen bots, as a job request needs.
//! See docs/dialects/brity.md, "Reservations".

use super::jobs::{BotSelect, JobRefusal, MAX_PARAMETERS_BYTES, MAX_RETRIES};
use super::schedule_signals::notify_schedulers;
use crate::{Result, Store};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use sluice_domain::identity::User;
use sluice_domain::schedule::{Recurrence, RestDays, RuleSpec};
use sluice_domain::{OrgId, UserId};

/// How far ahead of the time asked about rest days are loaded to find an occurrence: an
/// occurrence beyond it is checked again against the calendar when it is due.
pub(crate) const REST_DAYS_AHEAD_DAYS: i64 = 800;

/// The bots a reservation's jobs run on, as Brity designates them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ReservationBots {
    /// Brity botSelectType as given: 1 any bot (or the bot `bot_id` when one is named), 2 a
    /// bot group, 3 a bot (of bot group `group_id` when one is named). `None`: the process's
    /// default (targetBot) when each job is queued.
    pub select_type: Option<i64>,
    pub group_id: Option<i64>,
    pub bot_id: Option<String>,
}

impl ReservationBots {
    /// The selection each job is queued with (`None`: the process's default).
    pub fn job_select(&self) -> Option<BotSelect> {
        match (self.select_type?, &self.bot_id, self.group_id) {
            (1, Some(bot), _) | (3, Some(bot), _) => Some(BotSelect::Bot(bot.clone())),
            (2, _, Some(group)) => Some(BotSelect::Group(group)),
            _ => Some(BotSelect::All),
        }
    }
}

/// A reservation as a client states it (create, and modify, which replaces every field).
#[derive(Clone)]
pub struct ReservationInput {
    /// Brity jobType: 1 process, 11 headless process (both run the process).
    pub job_type: i64,
    pub process_id: String,
    pub parameters: Map<String, Value>,
    pub priority: i64,
    pub bots: ReservationBots,
    /// `jobRequestOption` as given (JSON text); its `retryOnFail` is `retry_count`.
    pub job_request_option: Option<String>,
    pub retry_count: i64,
    pub job_result_type: Option<String>,
    pub rule: RuleSpec,
    pub lunar_yn: Option<String>,
    /// Brity `interval`: the client's offset in minutes, kept as given.
    pub interval_minutes: Option<i64>,
    pub name: String,
    pub comment: String,
    pub inactive: bool,
}

/// Why a reservation was not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationRefusal {
    /// A bad field or an impossible rule, with why.
    Invalid(String),
    /// What a job request of the owner would be refused for.
    Job(JobRefusal),
    /// The bot named with a bot group is not in it.
    BotNotInGroup,
    /// No such reservation in the tenant (or it is deleted).
    NotFound,
    /// Only its owner and tenant administrators may change a reservation.
    Denied,
}

/// When a rule's occurrences fall, as saved with the reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The next occurrence to fire (`None` when inactive or over).
    pub next: Option<DateTime<Utc>>,
    /// Occurrences up to here are not fired.
    pub through: DateTime<Utc>,
}

/// A new reservation id: `RS_` and 32 hex digits, as Brity's.
pub fn new_reservation_id() -> String {
    format!("RS_{}", uuid::Uuid::new_v4().simple())
}

/// The first occurrence at or after `at`.
pub(crate) fn at_or_after(
    rec: &Recurrence,
    at: DateTime<Utc>,
    rest: &RestDays,
) -> Option<DateTime<Utc>> {
    rec.next_after(at - Duration::milliseconds(1), rest)
}

/// The plan of a rule saved at `now`: occurrences before `now` are not fired.
pub(crate) fn plan(rec: &Recurrence, rest: &RestDays, now: DateTime<Utc>, active: bool) -> Plan {
    let through = now - Duration::milliseconds(1);
    Plan {
        first: at_or_after(rec, rec.start(), rest),
        last: rec.last(),
        until: rec.until(),
        next: if active {
            rec.next_after(through, rest)
        } else {
            None
        },
        through,
    }
}

/// What is checked and kept of a reservation before it is written.
struct Checked {
    rule: String,
    start: DateTime<Utc>,
    plan: Plan,
    process_name: String,
    project_id: String,
    project_name: String,
    parameters: String,
    hidden: String,
}

/// The owner and revision of a stored reservation.
#[derive(sqlx::FromRow)]
struct Stored {
    owner_id: Option<i64>,
}

impl Store {
    /// The rest days of `org` around `from`..`to` (what a rule that skips them needs).
    pub(crate) async fn rest_days_for(
        &self,
        org: OrgId,
        rule: &RuleSpec,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<RestDays> {
        if !rule.skip_rest_days {
            return Ok(RestDays::default());
        }
        self.rest_days(
            org,
            from - Duration::days(2),
            to + Duration::days(REST_DAYS_AHEAD_DAYS),
        )
        .await
    }

    /// Checks a reservation for `owner` (who its jobs run as), as of `now`.
    async fn check_reservation(
        &self,
        org: OrgId,
        owner: &User,
        input: &ReservationInput,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Checked, ReservationRefusal>> {
        use ReservationRefusal::{Invalid, Job};
        match input.job_type {
            1 | 11 => {}
            21 => return Ok(Err(Job(JobRefusal::ProcessFlowUnsupported))),
            _ => return Ok(Err(Invalid("jobType must be 1, 11 or 21.".into()))),
        }
        if input.priority < 1 {
            return Ok(Err(Invalid("priority must be greater than 0.".into())));
        }
        if !(0..=MAX_RETRIES).contains(&input.retry_count) {
            return Ok(Err(Invalid(format!(
                "retryCount must be 0 to {MAX_RETRIES}."
            ))));
        }
        let parameters = Value::Object(input.parameters.clone()).to_string();
        if parameters.len() > MAX_PARAMETERS_BYTES {
            return Ok(Err(Invalid(format!(
                "parameter is larger than {MAX_PARAMETERS_BYTES} bytes."
            ))));
        }
        let rec = match Recurrence::parse(&input.rule) {
            Ok(r) => r,
            Err(e) => return Ok(Err(Invalid(e.message))),
        };
        let Some(process) = self.runnable(org, &input.process_id).await? else {
            return Ok(Err(Job(JobRefusal::ProcessNotFound)));
        };
        let may_execute = self
            .object_authorities(org, owner, &process.project_id)
            .await?
            .is_some_and(|a| a.has('E'));
        if !may_execute {
            return Ok(Err(Job(JobRefusal::NoAuthority(
                "The user may not execute this process.",
            ))));
        }
        if let Some(select) = input.bots.job_select() {
            if let Err(refusal) = self.check_bot_select(org, owner, &select).await? {
                return Ok(Err(Job(refusal)));
            }
        }
        if let (Some(3), Some(group), Some(bot)) = (
            input.bots.select_type,
            input.bots.group_id,
            input.bots.bot_id.as_deref(),
        ) {
            if let Some(refusal) = self.bot_in_group(org, group, bot).await? {
                return Ok(Err(refusal));
            }
        }
        let start = rec.start();
        let rest = self
            .rest_days_for(org, &input.rule, start.min(now), start.max(now))
            .await?;
        let hidden: Vec<&str> = process
            .inputs
            .iter()
            .filter(|i| i.hidden)
            .map(|i| i.name.as_str())
            .collect();
        Ok(Ok(Checked {
            rule: serde_json::to_string(&input.rule).map_err(anyhow::Error::from)?,
            start,
            plan: plan(&rec, &rest, now, !input.inactive),
            process_name: process.name,
            project_id: process.project_id,
            project_name: process.project_name,
            parameters,
            hidden: serde_json::to_string(&hidden).map_err(anyhow::Error::from)?,
        }))
    }

    /// `None` when bot `bot` is in bot group `group` of the tenant; else why not.
    async fn bot_in_group(
        &self,
        org: OrgId,
        group: i64,
        bot: &str,
    ) -> Result<Option<ReservationRefusal>> {
        let (groups, members): (i64, i64) = read!(self, |db| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM groups WHERE org_id = $1 AND id = $2 \
                 AND kind = 'bot'), (SELECT COUNT(*) FROM bot_group_bots WHERE \
                 bot_group_id = $2 AND bot_id = $3)",
            )
            .bind(org.0)
            .bind(group)
            .bind(bot)
            .fetch_one(db)
            .await?
        });
        Ok(if groups == 0 {
            Some(ReservationRefusal::Job(JobRefusal::BotGroupNotFound))
        } else if members == 0 {
            Some(ReservationRefusal::BotNotInGroup)
        } else {
            None
        })
    }

    /// Saves a new reservation owned by `owner`; its id.
    pub async fn create_reservation(
        &self,
        org: OrgId,
        owner: &User,
        input: ReservationInput,
    ) -> Result<std::result::Result<String, ReservationRefusal>> {
        let now = self.clock().now();
        let c = match self.check_reservation(org, owner, &input, now).await? {
            Ok(c) => c,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let id = new_reservation_id();
        let at = now_ms_at(now);
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO rpa_schedules (id, org_id, owner_id, owner_login, name, comment, \
                 job_type, process_id, process_name, project_id, project_name, parameters, \
                 hidden_inputs, priority, bot_select_type, bot_group_id, bot_id, \
                 job_request_option, retry_count, job_result_type, lunar_yn, interval_minutes, \
                 rule, start_at, first_at, last_at, until_at, is_inactive, next_fire_at, \
                 fired_through, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                 $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, \
                 $25, $26, $27, $28, $29, $30, $31, $31)",
            )
            .bind(&id)
            .bind(org.0)
            .bind(owner.id.0)
            .bind(&owner.login)
            .bind(&input.name)
            .bind(&input.comment)
            .bind(input.job_type)
            .bind(&input.process_id)
            .bind(&c.process_name)
            .bind(&c.project_id)
            .bind(&c.project_name)
            .bind(&c.parameters)
            .bind(&c.hidden)
            .bind(input.priority)
            .bind(input.bots.select_type)
            .bind(input.bots.group_id)
            .bind(&input.bots.bot_id)
            .bind(&input.job_request_option)
            .bind(input.retry_count)
            .bind(&input.job_result_type)
            .bind(&input.lunar_yn)
            .bind(input.interval_minutes)
            .bind(&c.rule)
            .bind(c.start)
            .bind(c.plan.first)
            .bind(c.plan.last)
            .bind(c.plan.until)
            .bind(input.inactive)
            .bind(c.plan.next)
            .bind(c.plan.through)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            notify_schedulers!(self, tx);
        });
        self.wake_schedulers();
        Ok(Ok(id))
    }

    /// Replaces every field of reservation `id` (its owner, job count and history stay) and
    /// works out its next occurrence afresh. `caller` must be its owner or an administrator;
    /// the checks are made for the owner (a reservation whose owner was deleted passes to
    /// the caller).
    pub async fn modify_reservation(
        &self,
        org: OrgId,
        caller: Option<&User>,
        id: &str,
        input: ReservationInput,
    ) -> Result<std::result::Result<(), ReservationRefusal>> {
        let owner = match self.reservation_owner(org, caller, id).await? {
            Ok(owner) => owner,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let now = self.clock().now();
        let c = match self.check_reservation(org, &owner, &input, now).await? {
            Ok(c) => c,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let at = now_ms_at(now);
        let changed = write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE rpa_schedules SET owner_id = $3, owner_login = $4, name = $5, \
                 comment = $6, job_type = $7, process_id = $8, process_name = $9, \
                 project_id = $10, project_name = $11, parameters = $12, hidden_inputs = $13, \
                 priority = $14, bot_select_type = $15, bot_group_id = $16, bot_id = $17, \
                 job_request_option = $18, retry_count = $19, job_result_type = $20, \
                 lunar_yn = $21, interval_minutes = $22, rule = $23, start_at = $24, \
                 first_at = $25, last_at = $26, until_at = $27, is_inactive = $28, \
                 next_fire_at = $29, fired_through = $30, updated_at = $31, \
                 revision = revision + 1, last_error = NULL, last_error_at = NULL \
                 WHERE org_id = $1 AND id = $2 AND NOT is_deleted",
            )
            .bind(org.0)
            .bind(id)
            .bind(owner.id.0)
            .bind(&owner.login)
            .bind(&input.name)
            .bind(&input.comment)
            .bind(input.job_type)
            .bind(&input.process_id)
            .bind(&c.process_name)
            .bind(&c.project_id)
            .bind(&c.project_name)
            .bind(&c.parameters)
            .bind(&c.hidden)
            .bind(input.priority)
            .bind(input.bots.select_type)
            .bind(input.bots.group_id)
            .bind(&input.bots.bot_id)
            .bind(&input.job_request_option)
            .bind(input.retry_count)
            .bind(&input.job_result_type)
            .bind(&input.lunar_yn)
            .bind(input.interval_minutes)
            .bind(&c.rule)
            .bind(c.start)
            .bind(c.plan.first)
            .bind(c.plan.last)
            .bind(c.plan.until)
            .bind(input.inactive)
            .bind(c.plan.next)
            .bind(c.plan.through)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                notify_schedulers!(self, tx);
            }
            n > 0
        });
        if !changed {
            return Ok(Err(ReservationRefusal::NotFound));
        }
        self.wake_schedulers();
        Ok(Ok(()))
    }

    /// Deletes reservation `id` (kept as deleted: Brity's `delYn`); no more jobs are queued.
    pub async fn delete_reservation(
        &self,
        org: OrgId,
        caller: Option<&User>,
        id: &str,
    ) -> Result<std::result::Result<(), ReservationRefusal>> {
        if let Err(refusal) = self.reservation_owner(org, caller, id).await? {
            return Ok(Err(refusal));
        }
        let at = now_ms_at(self.clock().now());
        let changed = write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE rpa_schedules SET is_deleted = TRUE, next_fire_at = NULL, \
                 updated_at = $3, revision = revision + 1 \
                 WHERE org_id = $1 AND id = $2 AND NOT is_deleted",
            )
            .bind(org.0)
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                notify_schedulers!(self, tx);
            }
            n > 0
        });
        if !changed {
            return Ok(Err(ReservationRefusal::NotFound));
        }
        self.wake_schedulers();
        Ok(Ok(()))
    }

    /// The owner reservation `id` keeps when `caller` changes it: its owner, or the caller
    /// when the owner was deleted. `caller` `None` is the tenant's own client credential
    /// (an administrator), which may change it only while the owner exists.
    async fn reservation_owner(
        &self,
        org: OrgId,
        caller: Option<&User>,
        id: &str,
    ) -> Result<std::result::Result<User, ReservationRefusal>> {
        let stored: Option<Stored> = read!(self, |db| {
            sqlx::query_as(
                "SELECT owner_id FROM rpa_schedules WHERE org_id = $1 AND id = $2 \
                 AND NOT is_deleted",
            )
            .bind(org.0)
            .bind(id)
            .fetch_optional(db)
            .await?
        });
        let Some(stored) = stored else {
            return Ok(Err(ReservationRefusal::NotFound));
        };
        let may = caller.is_none_or(|u| u.is_admin || stored.owner_id == Some(u.id.0));
        if !may {
            return Ok(Err(ReservationRefusal::Denied));
        }
        if let Some(owner) = self.owner_user(org, stored.owner_id).await? {
            return Ok(Ok(owner));
        }
        match caller {
            Some(u) => Ok(Ok(u.clone())),
            None => Ok(Err(ReservationRefusal::Invalid(
                "The reservation's owner no longer exists: a user must take it over \
                 (userAuthentication)."
                    .into(),
            ))),
        }
    }

    /// The user `id` with the administrator authority they hold; `None` if deleted.
    pub(crate) async fn owner_user(&self, org: OrgId, id: Option<i64>) -> Result<Option<User>> {
        let Some(id) = id else {
            return Ok(None);
        };
        match self.user(org, UserId(id)).await {
            Ok(user) => Ok(Some(self.with_granted_admin(user).await?)),
            Err(crate::Error::Domain(sluice_domain::Error::NotFound(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Works out again the next occurrence of the tenant's active reservations that skip
    /// rest days: call when the anniversary calendar changed.
    pub async fn reschedule_rest_days(&self, org: OrgId) -> Result<usize> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            rule: String,
            fired_through: DateTime<Utc>,
            next_fire_at: Option<DateTime<Utc>>,
        }
        let rows: Vec<Row> = read!(self, |db| {
            sqlx::query_as(
                "SELECT id, rule, fired_through, next_fire_at FROM rpa_schedules \
                 WHERE org_id = $1 AND next_fire_at IS NOT NULL",
            )
            .bind(org.0)
            .fetch_all(db)
            .await?
        });
        let now = self.clock().now();
        // One calendar window serves every reservation: only the future moves.
        let mut rest: Option<RestDays> = None;
        let mut changes = Vec::new();
        for r in rows {
            let Ok(spec) = serde_json::from_str::<RuleSpec>(&r.rule) else {
                continue;
            };
            if !spec.skip_rest_days {
                continue;
            }
            // A due occurrence is the scheduler's to fire or skip (it checks the calendar
            // again). Recomputing from the last firing would revive occurrences the
            // calendar skipped in the past and run them late.
            if r.next_fire_at.is_some_and(|t| t <= now) {
                continue;
            }
            let Ok(rec) = Recurrence::parse(&spec) else {
                continue;
            };
            if rest.is_none() {
                rest = Some(self.rest_days_for(org, &spec, now, now).await?);
            }
            let Some(rest) = rest.as_ref() else {
                continue;
            };
            let next = rec.next_after(r.fired_through.max(now), rest);
            if next != r.next_fire_at {
                changes.push((r.id, r.next_fire_at, next));
            }
        }
        if changes.is_empty() {
            return Ok(0);
        }
        let n = changes.len();
        write_tx!(self, |tx| {
            for (id, old, next) in &changes {
                // Compare-and-set: a reservation fired or changed meanwhile keeps its value.
                sqlx::query(
                    "UPDATE rpa_schedules SET next_fire_at = $3 WHERE org_id = $1 AND id = $2 \
                     AND next_fire_at = $4",
                )
                .bind(org.0)
                .bind(id)
                .bind(next)
                .bind(old)
                .execute(&mut *tx)
                .await?;
            }
            notify_schedulers!(self, tx);
        });
        self.wake_schedulers();
        Ok(n)
    }
}

/// `now` to the millisecond, as stored times are (the scheduler's clock may be manual).
pub(crate) fn now_ms_at(now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    now.trunc_subsecs(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservation_ids_look_like_brity_ones() {
        let id = new_reservation_id();
        assert!(id.starts_with("RS_"), "{id}");
        assert_eq!(id.len(), 35);
        assert!(id[3..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn bot_designations() {
        let b = |t: Option<i64>, g: Option<i64>, bot: Option<&str>| ReservationBots {
            select_type: t,
            group_id: g,
            bot_id: bot.map(str::to_string),
        };
        assert_eq!(b(None, None, None).job_select(), None);
        assert_eq!(b(Some(1), None, None).job_select(), Some(BotSelect::All));
        assert_eq!(
            b(Some(1), None, Some("BOT-1")).job_select(),
            Some(BotSelect::Bot("BOT-1".into()))
        );
        assert_eq!(
            b(Some(2), Some(7), None).job_select(),
            Some(BotSelect::Group(7))
        );
        assert_eq!(
            b(Some(3), Some(7), Some("BOT-1")).job_select(),
            Some(BotSelect::Bot("BOT-1".into()))
        );
    }
}
