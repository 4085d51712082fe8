//! The tenant's reservations as Brity's `schedulings/list` shows them: filtered, newest
//! first, paged in SQL (one query for the page with the names it shows, one count).

use super::job_end::blank_hidden;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::identity::User;
use sluice_domain::schedule::RuleSpec;
use sluice_domain::OrgId;

/// Filters and page of a reservation list. `None` filters match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservationQuery {
    pub deleted: Option<bool>,
    pub inactive: Option<bool>,
    pub bot_schedule: Option<bool>,
    pub offset: i64,
    pub limit: i64,
}

/// A reservation as listed.
#[derive(Clone)]
pub struct Reservation {
    pub id: String,
    /// The owner's login (Brity scheduleUser).
    pub schedule_user: String,
    pub name: String,
    pub comment: String,
    pub job_type: i64,
    pub process_id: String,
    /// The process's name now (as saved when it is gone).
    pub process_name: String,
    /// The parameters (a JSON object as text), hidden inputs blank; `"{}"` for a viewer who
    /// may not change the reservation.
    pub parameters: String,
    pub priority: i64,
    pub bot_select_type: Option<i64>,
    pub bot_group_id: Option<i64>,
    pub bot_id: Option<String>,
    pub bot_name: Option<String>,
    pub bot_group_name: Option<String>,
    pub rule: RuleSpec,
    pub start_at: DateTime<Utc>,
    pub first_at: Option<DateTime<Utc>>,
    pub last_at: Option<DateTime<Utc>>,
    pub until_at: Option<DateTime<Utc>>,
    pub is_inactive: bool,
    pub is_deleted: bool,
    pub is_bot_schedule: bool,
    pub next_fire_at: Option<DateTime<Utc>>,
    pub job_count: i64,
    pub missed_count: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The viewer may look but not change it (neither its owner nor an administrator).
    pub read_only: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    owner_id: Option<i64>,
    schedule_user: String,
    name: String,
    comment: String,
    job_type: i64,
    process_id: String,
    process_name: String,
    parameters: String,
    hidden_inputs: String,
    priority: i64,
    bot_select_type: Option<i64>,
    bot_group_id: Option<i64>,
    bot_id: Option<String>,
    bot_name: Option<String>,
    bot_group_name: Option<String>,
    rule: String,
    start_at: DateTime<Utc>,
    first_at: Option<DateTime<Utc>>,
    last_at: Option<DateTime<Utc>>,
    until_at: Option<DateTime<Utc>>,
    is_inactive: bool,
    is_deleted: bool,
    is_bot_schedule: bool,
    next_fire_at: Option<DateTime<Utc>>,
    job_count: i64,
    missed_count: i64,
    last_error: Option<String>,
    last_error_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

const FILTER: &str = "s.org_id = $1 AND ($2 IS NULL OR s.is_deleted = $2) \
     AND ($3 IS NULL OR s.is_inactive = $3) AND ($4 IS NULL OR s.is_bot_schedule = $4)";

impl Store {
    /// One page of the tenant's reservations, newest first, and how many match. `viewer`
    /// `None` is the tenant's own client credential (an administrator).
    pub async fn reservation_page(
        &self,
        org: OrgId,
        viewer: Option<&User>,
        q: &ReservationQuery,
    ) -> Result<(Vec<Reservation>, i64)> {
        let page_sql = format!(
            "SELECT s.id, s.owner_id, COALESCE(u.login, s.owner_login) AS schedule_user, \
             s.name, s.comment, s.job_type, s.process_id, \
             COALESCE(p.name, s.process_name) AS process_name, s.parameters, s.hidden_inputs, \
             s.priority, s.bot_select_type, s.bot_group_id, s.bot_id, b.name AS bot_name, \
             g.name AS bot_group_name, s.rule, s.start_at, s.first_at, s.last_at, s.until_at, \
             s.is_inactive, s.is_deleted, s.is_bot_schedule, s.next_fire_at, s.job_count, \
             s.missed_count, s.last_error, s.last_error_at, s.created_at \
             FROM rpa_schedules s \
             LEFT JOIN users u ON u.id = s.owner_id \
             LEFT JOIN rpa_processes p ON p.org_id = s.org_id AND p.id = s.process_id \
             LEFT JOIN bots b ON b.org_id = s.org_id AND b.id = s.bot_id \
             LEFT JOIN groups g ON g.org_id = s.org_id AND g.id = s.bot_group_id \
             WHERE {FILTER} ORDER BY s.created_at DESC, s.seq DESC LIMIT $5 OFFSET $6"
        );
        let count_sql = format!("SELECT COUNT(*) FROM rpa_schedules s WHERE {FILTER}");
        let (rows, total): (Vec<Row>, i64) = read!(self, |db| {
            let rows = if q.limit > 0 {
                sqlx::query_as(&page_sql)
                    .bind(org.0)
                    .bind(q.deleted)
                    .bind(q.inactive)
                    .bind(q.bot_schedule)
                    .bind(q.limit)
                    .bind(q.offset)
                    .fetch_all(db)
                    .await?
            } else {
                Vec::new()
            };
            let total: i64 = sqlx::query_scalar(&count_sql)
                .bind(org.0)
                .bind(q.deleted)
                .bind(q.inactive)
                .bind(q.bot_schedule)
                .fetch_one(db)
                .await?;
            (rows, total)
        });
        let list = rows.into_iter().map(|r| shown(r, viewer)).collect();
        Ok((list, total))
    }
}

fn shown(r: Row, viewer: Option<&User>) -> Reservation {
    let read_only = viewer.is_some_and(|v| !v.is_admin && r.owner_id != Some(v.id.0));
    let parameters = if read_only {
        "{}".to_string()
    } else {
        let hidden: Vec<String> = serde_json::from_str(&r.hidden_inputs).unwrap_or_default();
        blank_hidden(&r.parameters, &hidden).unwrap_or(r.parameters)
    };
    Reservation {
        id: r.id,
        schedule_user: r.schedule_user,
        name: r.name,
        comment: r.comment,
        job_type: r.job_type,
        process_id: r.process_id,
        process_name: r.process_name,
        parameters,
        priority: r.priority,
        bot_select_type: r.bot_select_type,
        bot_group_id: r.bot_group_id,
        bot_id: r.bot_id,
        bot_name: r.bot_name,
        bot_group_name: r.bot_group_name,
        rule: serde_json::from_str(&r.rule).unwrap_or_default(),
        start_at: r.start_at,
        first_at: r.first_at,
        last_at: r.last_at,
        until_at: r.until_at,
        is_inactive: r.is_inactive,
        is_deleted: r.is_deleted,
        is_bot_schedule: r.is_bot_schedule,
        next_fire_at: r.next_fire_at,
        job_count: r.job_count,
        missed_count: r.missed_count,
        last_error: r.last_error,
        last_error_at: r.last_error_at,
        created_at: r.created_at,
        read_only,
    }
}
