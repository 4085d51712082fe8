//! Bot status for Brity's botList: each bot the viewer may see (an administrator every bot
//! of the tenant; others the bots of the bot groups mapped to their user groups), whether it
//! is up (heard from within the lapse), and the job it runs with its progress.

use super::bots::now_ms;
use super::job_reads::Viewer;
use super::licenses::contains_pattern;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::OrgId;

/// A bot and its current job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BotStatus {
    pub id: String,
    pub name: String,
    pub computer_name: String,
    pub ip_addr: String,
    pub bot_type: i64,
    pub is_active: bool,
    pub env_updated_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Jobs it has run.
    pub job_count: i64,
    /// Heard from within the lapse.
    pub is_up: bool,
    pub job_id: Option<String>,
    pub job_type: Option<i64>,
    pub process_id: Option<String>,
    pub process_name: Option<String>,
    pub job_user: Option<String>,
    pub step: Option<String>,
    pub percentage: Option<i64>,
    pub started_at: Option<DateTime<Utc>>,
}

/// botList filters (AND-ed).
#[derive(Debug, Clone, Default)]
pub struct BotQuery {
    /// Bots of this bot group.
    pub group: Option<i64>,
    /// `Some(true)`: up bots only; `Some(false)`: down bots only.
    pub up: Option<bool>,
    /// Part of the bot's name or of its running process's name.
    pub text: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

impl Store {
    /// One page of the bots `viewer` may see and how many match.
    pub async fn bot_page(
        &self,
        org: OrgId,
        viewer: Viewer,
        q: &BotQuery,
    ) -> Result<(Vec<BotStatus>, i64)> {
        let cutoff = self.rpa_settings().up_since(now_ms());
        let up = "(b.last_seen_at IS NOT NULL AND b.last_seen_at >= $6)";
        let filters = format!(
            "FROM bots b LEFT JOIN rpa_jobs r ON r.bot_id = b.id AND r.status = 3 \
             WHERE b.org_id = $1 \
             AND ($2 OR EXISTS (SELECT 1 FROM group_members gm \
                 JOIN user_group_bot_groups ug ON ug.group_id = gm.group_id \
                 JOIN bot_group_bots bb ON bb.bot_group_id = ug.bot_group_id \
                 WHERE gm.user_id = $3 AND bb.bot_id = b.id AND ug.authorities LIKE '%R%')) \
             AND ($4 IS NULL OR EXISTS (SELECT 1 FROM bot_group_bots g \
                 WHERE g.bot_group_id = $4 AND g.bot_id = b.id)) \
             AND ($5 IS NULL OR $5 = {up}) \
             AND ($7 IS NULL OR lower(b.name) LIKE $7 ESCAPE '\\' \
                 OR lower(COALESCE(r.process_name, '')) LIKE $7 ESCAPE '\\')"
        );
        let count_sql = format!("SELECT COUNT(*) {filters}");
        let page_sql = format!(
            "SELECT b.id, b.name, b.computer_name, b.ip_addr, b.bot_type, b.is_active, \
             b.env_updated_at, b.last_seen_at, b.job_count, {up} AS is_up, r.id AS job_id, \
             r.job_type, r.process_id, r.process_name, r.job_user, r.step, r.percentage, \
             r.started_at {filters} ORDER BY b.name, b.id LIMIT $8 OFFSET $9"
        );
        let text = q
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(contains_pattern);
        macro_rules! bind_filters {
            ($query:expr) => {
                $query
                    .bind(org.0)
                    .bind(viewer.is_admin)
                    .bind(viewer.user_id)
                    .bind(q.group)
                    .bind(q.up)
                    .bind(cutoff)
                    .bind(text.clone())
            };
        }
        Ok(read!(self, |db| {
            let total: i64 = bind_filters!(sqlx::query_scalar(&count_sql))
                .fetch_one(db)
                .await?;
            let bots: Vec<BotStatus> = bind_filters!(sqlx::query_as(&page_sql))
                .bind(q.limit)
                .bind(q.offset)
                .fetch_all(db)
                .await?;
            (bots, total)
        }))
    }

    /// Whether `viewer` has the monitoring right: an administrator, or a member of a user
    /// group with Brity's isMonitoring.
    pub async fn may_monitor(&self, org: OrgId, viewer: Viewer) -> Result<bool> {
        if viewer.is_admin {
            return Ok(true);
        }
        Ok(read!(self, |db| {
            sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id \
                 WHERE gm.user_id = $2 AND g.org_id = $1 AND g.is_monitoring)",
            )
            .bind(org.0)
            .bind(viewer.user_id)
            .fetch_one(db)
            .await?
        }))
    }
}
