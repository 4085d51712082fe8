//! Reading jobs (Brity job get and `jobs/list`). Every user of the tenant may see its jobs;
//! only those who may execute the process (E) see a job's parameters and result, which the
//! dialect blanks for the others (`can_execute`).

use super::object_access::readable_sql;
use crate::oauth::Principal;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::OrgId;

/// Who is looking: a user, or an organization-level credential (sees everything).
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub user_id: i64,
    pub is_admin: bool,
}

impl Viewer {
    pub fn of(p: &Principal) -> Self {
        match &p.user {
            Some(u) => Viewer {
                user_id: u.id.0,
                is_admin: u.is_admin,
            },
            None => Viewer {
                user_id: -1,
                is_admin: true,
            },
        }
    }
}

/// A job as Brity shows one.
#[derive(Clone, sqlx::FromRow)]
pub struct Job {
    pub id: String,
    pub job_type: i64,
    pub process_id: String,
    pub version: String,
    pub process_name: String,
    pub project_id: String,
    pub project_name: String,
    pub user_id: Option<i64>,
    pub job_user: String,
    /// The requested parameters: a JSON object.
    pub parameters: String,
    /// Names of the declared hidden inputs: a JSON array.
    pub hidden_inputs: String,
    /// 1 waiting, 3 running, 4 ended.
    pub status: i64,
    /// Once ended: 1 success, 2 failure, 3 stopped, 4 timeout.
    pub detail: Option<i64>,
    pub bot_id: Option<String>,
    pub bot_name: String,
    /// The outputs: a JSON object.
    pub result: String,
    pub message: String,
    pub step: String,
    pub percentage: i64,
    pub scheduled_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub attempt: i64,
    pub first_job_id: Option<String>,
    pub stop_requested: bool,
    pub callback_file: bool,
    pub callback_message: bool,
    pub additional_json: Option<String>,
    /// The viewer holds E on the process: parameters and result may be shown.
    pub can_execute: bool,
}

// Parameters and results may hold hidden values: never in `{:?}`.
impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .field("process_id", &self.process_id)
            .field("version", &self.version)
            .field("status", &self.status)
            .field("detail", &self.detail)
            .field("bot_id", &self.bot_id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Job {
    /// The names of the hidden inputs.
    pub fn hidden(&self) -> Vec<String> {
        serde_json::from_str(&self.hidden_inputs).unwrap_or_default()
    }
}

/// A column `jobs/list` may be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOrder {
    BotId,
    ScheduledTime,
    StartTime,
    EndTime,
}

impl JobOrder {
    fn column(self) -> &'static str {
        match self {
            JobOrder::BotId => "j.bot_id",
            JobOrder::ScheduledTime => "j.scheduled_at",
            JobOrder::StartTime => "j.started_at",
            JobOrder::EndTime => "j.ended_at",
        }
    }
}

/// Brity `jobs/list`: ended jobs only, filters AND-ed.
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    pub process_id: Option<String>,
    /// Applies only with `process_id`.
    pub version: Option<String>,
    pub bot_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// `from`/`to` apply to the end time instead of the start time.
    pub by_end_time: bool,
    /// Brity resultCode (detailCode): 1 to 4.
    pub detail: Option<i64>,
    /// `(column, descending)`; empty: start time, newest first.
    pub order: Vec<(JobOrder, bool)>,
    pub offset: i64,
    pub limit: i64,
}

/// The columns of [`Job`] from `rpa_jobs j` joined with its project `o`; `$u`/`$a` are the
/// placeholders of the viewer's user id and administrator flag.
fn job_select(user: usize, admin: usize) -> String {
    format!(
        "SELECT j.id, j.job_type, j.process_id, j.version, j.process_name, j.project_id, \
         j.project_name, j.user_id, j.job_user, j.parameters, j.hidden_inputs, j.status, j.detail, \
         j.bot_id, j.bot_name, j.result, j.message, j.step, j.percentage, j.scheduled_at, \
         j.started_at, j.ended_at, j.attempt, j.first_job_id, j.stop_requested, j.callback_file, \
         j.callback_message, j.additional_json, {} AS can_execute \
         FROM rpa_jobs j LEFT JOIN rpa_projects o ON o.id = j.project_id",
        readable_sql(user, admin, 'E')
    )
}

impl Store {
    /// One job of the organization.
    pub async fn job(&self, org: OrgId, viewer: Viewer, job_id: &str) -> Result<Option<Job>> {
        let sql = format!("{} WHERE j.org_id = $1 AND j.id = $2", job_select(3, 4));
        Ok(read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(job_id)
                .bind(viewer.user_id)
                .bind(viewer.is_admin)
                .fetch_optional(db)
                .await?
        }))
    }

    /// A page of the organization's ended jobs and the number of matches.
    pub async fn job_page(
        &self,
        org: OrgId,
        viewer: Viewer,
        q: &JobQuery,
    ) -> Result<(Vec<Job>, i64)> {
        let time = if q.by_end_time {
            "j.ended_at"
        } else {
            "j.started_at"
        };
        // One SQL text for every combination of filters: an absent one is bound as NULL.
        let filters = format!(
            "WHERE j.org_id = $1 AND j.status = 4 \
             AND ($4 IS NULL OR j.process_id = $4) \
             AND ($5 IS NULL OR j.version = $5) \
             AND ($6 IS NULL OR j.bot_id = $6) \
             AND ($7 IS NULL OR {time} >= $7) \
             AND ($8 IS NULL OR {time} <= $8) \
             AND ($9 IS NULL OR j.detail = $9)"
        );
        let mut order: Vec<String> = q
            .order
            .iter()
            .map(|(k, desc)| format!("{} {}", k.column(), if *desc { "DESC" } else { "ASC" }))
            .collect();
        if order.is_empty() {
            order.push("j.started_at DESC".into());
        }
        order.push("j.seq DESC".into());
        let count_sql = format!(
            "SELECT COUNT(*) FROM rpa_jobs j WHERE $2 = $2 AND $3 = $3 AND {}",
            filters.trim_start_matches("WHERE ")
        );
        let page_sql = format!(
            "{} {filters} ORDER BY {} LIMIT $10 OFFSET $11",
            job_select(2, 3),
            order.join(", ")
        );
        let version = q.process_id.as_ref().and(q.version.clone());
        macro_rules! bind_filters {
            ($query:expr) => {
                $query
                    .bind(org.0)
                    .bind(viewer.user_id)
                    .bind(viewer.is_admin)
                    .bind(q.process_id.clone())
                    .bind(version.clone())
                    .bind(q.bot_id.clone())
                    .bind(q.from)
                    .bind(q.to)
                    .bind(q.detail)
            };
        }
        Ok(read!(self, |db| {
            let total: i64 = bind_filters!(sqlx::query_scalar(&count_sql))
                .fetch_one(db)
                .await?;
            let jobs: Vec<Job> = bind_filters!(sqlx::query_as(&page_sql))
                .bind(q.limit)
                .bind(q.offset)
                .fetch_all(db)
                .await?;
            (jobs, total)
        }))
    }
}
