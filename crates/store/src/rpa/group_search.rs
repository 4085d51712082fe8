//! Paged searches of user and bot groups (Brity's group management list and its user and
//! bot group searches): filters, order and page in SQL, one `COUNT(*)` and one page query.
//!
//! Visibility: a tenant administrator sees every group. Anyone else sees the user groups
//! they belong to (the system groups by their flags) and the bot groups those user groups
//! are mapped to.

use super::groups::{GroupKind, RpaGroup, RpaGroupRow, RPA_GROUP_COLUMNS};
use crate::identity::directory::{Arg, Sql};
use crate::identity::{Page, PageRequest};
use crate::{Result, Store};
use sluice_domain::identity::User;
use sluice_domain::OrgId;

/// What groups may be ordered by (Brity's `groupId`, `groupType`, `groupName`,
/// `groupDescription`); the id breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupOrder {
    Id,
    Type,
    Name,
    Description,
}

/// A group search. Text filters match anywhere, without regard to case.
#[derive(Debug, Clone)]
pub struct GroupSearch {
    pub kind: Option<GroupKind>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_admin: Option<bool>,
    pub is_default: Option<bool>,
    pub order: GroupOrder,
    pub descending: bool,
    pub page: PageRequest,
}

/// `%text%` for `lower(column) LIKE … ESCAPE '\'` (wildcards escaped), folded the way the
/// backend's `lower()` folds (PostgreSQL every letter, SQLite ASCII letters only); `None` for
/// no text.
pub(crate) fn contains(text: Option<&str>, full_unicode: bool) -> Option<String> {
    let t = text.map(str::trim).filter(|t| !t.is_empty())?;
    let folded = if full_unicode {
        t.to_lowercase()
    } else {
        t.to_ascii_lowercase()
    };
    let mut p = String::with_capacity(folded.len() + 2);
    p.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    Some(p)
}

/// Binds every [`Arg`] in order.
macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_all;

/// ` LIMIT … OFFSET …` with the page's bounds.
pub(crate) fn push_page(sql: &mut Sql, page: PageRequest) {
    let limit = sql.arg(Arg::Int(page.limit.max(0)));
    let offset = sql.arg(Arg::Int(page.start.max(0)));
    sql.push(&format!(" LIMIT {limit} OFFSET {offset}"));
}

/// The system group whose members the system counts `user` among.
fn system_group_of(user: &User) -> &'static str {
    if user.is_external {
        "external_users"
    } else {
        "all_users"
    }
}

impl Store {
    /// Whether SQL `lower()` folds every letter (PostgreSQL) or only ASCII ones (SQLite).
    pub(crate) fn folds_unicode(&self) -> bool {
        self.backend_name() == "postgres"
    }

    /// A page of the organization's groups matching `q`, visible to `viewer` (`None`: every
    /// group, for administrators).
    pub async fn search_rpa_groups(
        &self,
        org: OrgId,
        viewer: Option<&User>,
        q: &GroupSearch,
    ) -> Result<Page<RpaGroup>> {
        let mut w = Sql::default();
        let o = w.arg(Arg::Int(org.0));
        w.push(&format!(" WHERE g.org_id = {o}"));
        if let Some(kind) = q.kind {
            let k = w.arg(Arg::Text(kind.code().into()));
            w.push(&format!(" AND g.kind = {k}"));
        }
        for (column, text) in [("g.name", &q.name), ("g.description", &q.description)] {
            if let Some(p) = contains(text.as_deref(), self.folds_unicode()) {
                let p = w.arg(Arg::Text(p));
                w.push(&format!(" AND lower({column}) LIKE {p} ESCAPE '\\'"));
            }
        }
        if let Some(a) = q.is_admin {
            let a = w.arg(Arg::Bool(a));
            w.push(&format!(" AND g.is_admin_group = {a}"));
        }
        if let Some(d) = q.is_default {
            let d = w.arg(Arg::Bool(d));
            w.push(&format!(
                " AND (g.is_default_group OR COALESCE(g.system_kind, '') = 'all_users') = {d}"
            ));
        }
        if let Some(user) = viewer {
            let u = w.arg(Arg::Int(user.id.0));
            let s = w.arg(Arg::Text(system_group_of(user).into()));
            // A user belongs to a user group by membership or, for a system group, by flags.
            let member = |g: &str| {
                format!(
                    "(EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = {g}.id \
                     AND m.user_id = {u}) OR COALESCE({g}.system_kind, '') = {s})"
                )
            };
            w.push(&format!(
                " AND ((g.kind = 'user' AND {}) OR (g.kind = 'bot' AND EXISTS (SELECT 1 \
                 FROM user_group_bot_groups ub JOIN groups ug ON ug.id = ub.group_id \
                 WHERE ub.bot_group_id = g.id AND {})))",
                member("g"),
                member("ug")
            ));
        }
        let count_sql = format!("SELECT COUNT(*) FROM groups g{}", w.text);
        let count_args = w.args.clone();
        let key = match q.order {
            GroupOrder::Id => "g.id",
            GroupOrder::Type => "CASE WHEN g.kind = 'bot' THEN 1 ELSE 0 END",
            GroupOrder::Name => "lower(g.name)",
            GroupOrder::Description => "lower(g.description)",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        w.push(&format!(" ORDER BY {key} {dir}, g.id {dir}"));
        push_page(&mut w, q.page);
        let page_sql = format!("SELECT {RPA_GROUP_COLUMNS} FROM groups g{}", w.text);
        let (total, rows): (i64, Vec<RpaGroupRow>) = read!(self, |db| {
            let total = bind_all!(sqlx::query_scalar::<_, i64>(&count_sql), &count_args)
                .fetch_one(db)
                .await?;
            let rows = if q.page.limit <= 0 || q.page.start >= total {
                Vec::new()
            } else {
                bind_all!(sqlx::query_as(&page_sql), &w.args)
                    .fetch_all(db)
                    .await?
            };
            (total, rows)
        });
        Ok(Page {
            items: rows.into_iter().map(RpaGroup::from).collect(),
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_wildcards() {
        assert_eq!(
            contains(Some(" A_b% "), true).as_deref(),
            Some("%a\\_b\\%%")
        );
        assert_eq!(contains(Some("É"), false).as_deref(), Some("%É%"));
        assert_eq!(contains(Some("É"), true).as_deref(), Some("%é%"));
        assert_eq!(contains(Some("  "), true), None);
        assert_eq!(contains(None, true), None);
    }
}
