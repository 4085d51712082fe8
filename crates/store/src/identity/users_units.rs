//! The departments and ranks that some users refer to: what a nested user representation
//! shows (OmniBPM's department and rank briefs, with the department's parent), read for
//! those users alone, in one statement, rather than the whole organization's directory on
//! every document read.

use super::{placeholders, DeptRow, RankRow, DEPT_SELECT};
use crate::{Result, Store};
use sluice_domain::identity::{Department, Rank, User};
use sluice_domain::OrgId;
use sqlx::FromRow;
use std::collections::BTreeSet;

/// Ids per statement, within both backends' limits on parameters.
pub(crate) const CHUNK: usize = 400;

/// The departments (with their parents) and ranks of `$users` (`&User`s), read on `$conn`.
macro_rules! units_of_users {
    ($conn:expr, $org:expr, $users:expr) => {{
        let (depts, ranks) = $crate::identity::users_units::unit_ids($users);
        let (mut dept_out, mut rank_out) = (Vec::new(), Vec::new());
        let rounds = depts
            .len()
            .div_ceil($crate::identity::users_units::CHUNK)
            .max(ranks.len().div_ceil($crate::identity::users_units::CHUNK));
        for round in 0..rounds {
            let chunk = |ids: &[i64]| -> Vec<i64> {
                let n = $crate::identity::users_units::CHUNK;
                ids.iter().skip(round * n).take(n).copied().collect()
            };
            let (d, r) = (chunk(&depts), chunk(&ranks));
            let sql = $crate::identity::users_units::units_sql(d.len(), r.len());
            let mut q = sqlx::query(&sql).bind($org.0);
            for id in d.iter().chain(&r) {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&mut *$conn).await? {
                $crate::identity::users_units::unit_row(&row, &mut dept_out, &mut rank_out)?;
            }
        }
        (dept_out, rank_out)
    }};
}
pub(crate) use units_of_users;

impl Store {
    /// The departments of `users` with their parents, and the ranks of `users`.
    pub async fn units_of_users<'a>(
        &self,
        org: OrgId,
        users: impl IntoIterator<Item = &'a User>,
    ) -> Result<(Vec<Department>, Vec<Rank>)> {
        let users: Vec<&User> = users.into_iter().collect();
        if users
            .iter()
            .all(|u| u.department_id.is_none() && u.rank_id.is_none())
        {
            return Ok((Vec::new(), Vec::new()));
        }
        Ok(read!(self, |db| {
            let mut conn = db.acquire().await?;
            units_of_users!(conn, org, users.iter().copied())
        }))
    }
}

/// The department and rank ids of some users, each once.
pub(crate) fn unit_ids<'a>(users: impl IntoIterator<Item = &'a User>) -> (Vec<i64>, Vec<i64>) {
    let (mut depts, mut ranks) = (BTreeSet::new(), BTreeSet::new());
    for u in users {
        depts.extend(u.department_id.map(|d| d.0));
        ranks.extend(u.rank_id.map(|r| r.0));
    }
    (depts.into_iter().collect(), ranks.into_iter().collect())
}

/// Sorts one row of `units_sql` into departments or ranks.
pub(crate) fn unit_row<R>(row: &R, depts: &mut Vec<Department>, ranks: &mut Vec<Rank>) -> Result<()>
where
    R: sqlx::Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DeptRow: sqlx::FromRow<'r, R>,
    for<'r> RankRow: sqlx::FromRow<'r, R>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    if row.try_get::<String, _>("kind")? == "d" {
        depts.push(Department::from(DeptRow::from_row(row)?));
    } else {
        ranks.push(Rank::from(RankRow::from_row(row)?));
    }
    Ok(())
}

/// Departments `$2…` (and their parents) and ranks after them, of organization `$1`, as
/// rows of one shape: `kind` is `d` or `r`, and the columns the other kind lacks are NULL.
pub(crate) fn units_sql(depts: usize, ranks: usize) -> String {
    let mut parts = Vec::new();
    if depts > 0 {
        let list = placeholders(2, depts);
        parts.push(format!(
            "SELECT 'd' AS kind, d.id, d.org_id, d.name, d.parent_id, d.is_active, \
             d.client_extra, head_id, head_login, head_display_name, NULL AS level \
             FROM ({DEPT_SELECT}) d WHERE d.org_id = $1 AND (d.id IN ({list}) OR d.id IN \
             (SELECT parent_id FROM departments WHERE org_id = $1 AND id IN ({list})))"
        ));
    }
    if ranks > 0 {
        parts.push(format!(
            "SELECT 'r' AS kind, id, org_id, name, NULL, is_active, client_extra, NULL, NULL, \
             NULL, level FROM ranks WHERE org_id = $1 AND id IN ({})",
            placeholders(2 + depts, ranks)
        ));
    }
    parts.join(" UNION ALL ")
}
