//! Process inquiry (Brity `objects/type/process`, `.../changed`, `.../list`): the
//! processes of the caller's readable projects, each at its project's latest version (or
//! its latest activated version), filtered and paged in SQL.

use super::object_access::readable_sql;
use super::projects::{is_admin, user_id};
use crate::oauth::Principal;
use crate::{Result, Store};
use chrono::{DateTime, Utc};

/// One process as the inquiry shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProcessInfo {
    pub id: String,
    pub name: String,
    pub description: String,
    pub version: String,
    /// JSON arrays as stored ([{"name","type","default"?,"hidden"?}]).
    pub inputs: String,
    pub outputs: String,
    pub input_expressions: String,
    pub timeout_secs: i64,
    pub work_type: String,
    pub os: String,
    pub resolution: String,
    pub designer_version: String,
    pub project_id: String,
    pub project_name: String,
    /// The project's status: 1 normal, 2 stopped.
    pub status: i64,
    /// Whether the shown version is activated.
    pub is_activated: bool,
    pub file_path: String,
    pub owner_login: Option<String>,
    pub created_by_login: Option<String>,
    pub updated_by_login: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The later of the process's and its project's last change.
    pub updated_at: DateTime<Utc>,
    /// Whether the caller holds U over the project: without it, hidden inputs' defaults
    /// and expressions are not shown.
    pub can_update: bool,
}

/// Filters of a process inquiry. Every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct ProcessQuery {
    /// The authority (one of "UREADS") the caller must hold besides R.
    pub auth: Option<char>,
    /// Changed at or after this instant (the process or its project).
    pub changed_since: Option<DateTime<Utc>>,
    /// Case-insensitive substrings of the name and description.
    pub name_like: Option<String>,
    pub description_like: Option<String>,
    pub project_id: Option<String>,
    pub project_name_like: Option<String>,
    pub process_id: Option<String>,
    /// Only activated versions (each process at its project's latest activated version).
    pub activated_only: bool,
}

/// A page of processes and the total that matched.
#[derive(Debug, Clone)]
pub struct ProcessPage {
    pub total: i64,
    pub list: Vec<ProcessInfo>,
}

/// The columns of [`ProcessInfo`]; `{can_update}` is [`readable_sql`] for U.
const COLUMNS: &str = "p.id, p.name, p.description, v.version, v.inputs, v.outputs, \
    v.input_expressions, v.timeout_secs, v.work_type, v.os, v.resolution, v.designer_version, \
    o.id AS project_id, o.name AS project_name, o.status, pv.is_activated, o.file_path, \
    ow.login AS owner_login, cu.login AS created_by_login, uu.login AS updated_by_login, \
    p.created_at, CASE WHEN o.updated_at > p.updated_at THEN o.updated_at ELSE p.updated_at END \
    AS updated_at, {can_update} AS can_update";

/// The most rows an unpaged process list returns (an internal cap; see docs/dialects/brity.md).
pub const MAX_PROCESS_LIST: usize = 10_000;

/// [`COLUMNS`] with its U test filled in ($2 user, $3 is admin).
fn columns() -> String {
    COLUMNS.replace("{can_update}", &readable_sql(2, 3, 'U'))
}

/// `%text%` with `%`, `_` and `\` taken literally (with `ESCAPE '\'`), folded as the
/// backend's `lower()` folds (`unicode`: PostgreSQL every letter, SQLite ASCII only), so
/// both backends match the same rows.
fn like_pattern(text: &str, unicode: bool) -> String {
    super::group_search::contains(Some(text), unicode).unwrap_or_else(|| "%".into())
}

/// The FROM and WHERE of an inquiry. Parameters: $1 org, $2 user, $3 is admin, then the
/// filters in the order of [`binds`].
fn from_where(q: &ProcessQuery) -> String {
    let version_of = if q.activated_only {
        "o.activated_version"
    } else {
        "o.version"
    };
    let mut sql = format!(
        " FROM rpa_processes p JOIN rpa_projects o ON o.id = p.project_id \
         JOIN rpa_process_versions v ON v.process_id = p.id AND v.version = {version_of} \
         JOIN rpa_project_versions pv ON pv.project_id = o.id AND pv.version = v.version \
         LEFT JOIN users ow ON ow.id = o.owner_id LEFT JOIN users cu ON cu.id = p.created_by \
         LEFT JOIN users uu ON uu.id = p.updated_by \
         WHERE p.org_id = $1 AND o.category = 'project' AND {}",
        readable_sql(2, 3, 'R')
    );
    let mut n = 3;
    let mut next = || {
        n += 1;
        n
    };
    if let Some(letter) = q.auth.filter(|l| *l != 'R') {
        sql.push_str(&format!(" AND {}", readable_sql(2, 3, letter)));
    }
    if q.activated_only {
        sql.push_str(" AND pv.is_activated");
    }
    if q.changed_since.is_some() {
        let i = next();
        sql.push_str(&format!(
            " AND (p.updated_at >= ${i} OR o.updated_at >= ${i})"
        ));
    }
    for (value, column) in [
        (&q.name_like, "p.name"),
        (&q.description_like, "p.description"),
        (&q.project_name_like, "o.name"),
    ] {
        if value.is_some() {
            let i = next();
            sql.push_str(&format!(" AND LOWER({column}) LIKE ${i} ESCAPE '\\'"));
        }
    }
    if q.project_id.is_some() {
        let i = next();
        sql.push_str(&format!(" AND o.id = ${i}"));
    }
    if q.process_id.is_some() {
        let i = next();
        sql.push_str(&format!(" AND p.id = ${i}"));
    }
    sql
}

/// Binds the filters of [`from_where`] in its order.
macro_rules! bind_filters {
    ($query:expr, $caller:expr, $q:expr, $unicode:expr) => {{
        let mut query = $query
            .bind($caller.org.id.0)
            .bind(user_id($caller))
            .bind(is_admin($caller));
        if let Some(t) = $q.changed_since {
            query = query.bind(t);
        }
        for value in [&$q.name_like, &$q.description_like, &$q.project_name_like] {
            if let Some(v) = value {
                query = query.bind(like_pattern(v, $unicode));
            }
        }
        if let Some(v) = &$q.project_id {
            query = query.bind(v.clone());
        }
        if let Some(v) = &$q.process_id {
            query = query.bind(v.clone());
        }
        query
    }};
}

impl Store {
    /// The processes matching `q` the caller may read, newest change first, at most
    /// [`MAX_PROCESS_LIST`] (Brity's Search_All and changed lists have no paging).
    pub async fn processes(
        &self,
        caller: &Principal,
        q: &ProcessQuery,
    ) -> Result<Vec<ProcessInfo>> {
        let sql = format!(
            "SELECT {}{} ORDER BY updated_at DESC, p.id LIMIT {MAX_PROCESS_LIST}",
            columns(),
            from_where(q)
        );
        let unicode = self.folds_unicode();
        Ok(read!(self, |db| {
            bind_filters!(sqlx::query_as(&sql), caller, q, unicode)
                .fetch_all(db)
                .await?
        }))
    }

    /// One page of the processes matching `q` the caller may read, by project name,
    /// process name and id, with the total.
    pub async fn process_page(
        &self,
        caller: &Principal,
        q: &ProcessQuery,
        offset: i64,
        limit: i64,
    ) -> Result<ProcessPage> {
        let filter = from_where(q);
        let unicode = self.folds_unicode();
        let count_sql = format!("SELECT COUNT(*){filter}");
        let n = 4 + [
            q.changed_since.is_some(),
            q.name_like.is_some(),
            q.description_like.is_some(),
            q.project_name_like.is_some(),
            q.project_id.is_some(),
            q.process_id.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        let page_sql = format!(
            "SELECT {}{filter} ORDER BY o.name, p.name, p.id LIMIT ${n} OFFSET ${}",
            columns(),
            n + 1
        );
        let (total, list) = read!(self, |db| {
            let total: i64 = bind_filters!(sqlx::query_scalar(&count_sql), caller, q, unicode)
                .fetch_one(db)
                .await?;
            let list: Vec<ProcessInfo> = if total > offset {
                bind_filters!(sqlx::query_as(&page_sql), caller, q, unicode)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(db)
                    .await?
            } else {
                Vec::new()
            };
            (total, list)
        });
        Ok(ProcessPage { total, list })
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern("A_b%", true), "%a\\_b\\%%");
        assert_eq!(like_pattern("ÉTÉ", true), "%été%");
        assert_eq!(like_pattern("ÉTÉ", false), "%ÉtÉ%");
    }
}
