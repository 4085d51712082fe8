//! Unit membership as Questetra's Membership sees it. A user's units are the primary unit
//! (`users.department_id`), the unit rows of `memberships` and the unit the user heads; the
//! head is the unit's one leader.
//!
//! - Joining a unit when the user has no primary unit makes it the primary one; otherwise it
//!   adds a row. Joining again changes nothing (a sync may repeat itself).
//! - Leaving the primary unit promotes the oldest other plain unit row, or leaves the user
//!   without a unit. Leaving removes every row of that unit (Bonita's unit-and-role rows
//!   too) and the leadership.
//! - Making a user leader replaces the unit's former leader.

use super::directory_pages::{Account, UnitBrief};
use crate::{Result, Store};
use chrono::Utc;
use sluice_domain::{DeptId, Error, OrgId, UserId};

/// A user in a unit, and whether the user leads it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitMember {
    pub user: Account,
    pub unit: UnitBrief,
    pub leader: bool,
}

#[derive(sqlx::FromRow)]
struct UnitMemberRow {
    user_id: i64,
    display_name: String,
    email: String,
    unit_id: i64,
    unit_name: String,
    unit_email: String,
    leader: bool,
}

impl From<UnitMemberRow> for UnitMember {
    fn from(r: UnitMemberRow) -> Self {
        UnitMember {
            user: Account {
                id: UserId(r.user_id),
                name: r.display_name,
                email: r.email,
            },
            unit: UnitBrief {
                id: DeptId(r.unit_id),
                name: r.unit_name,
                email: r.unit_email,
            },
            leader: r.leader,
        }
    }
}

/// Members `m(user_id, department_id)` joined to their user and unit.
const MEMBER_COLUMNS: &str = "SELECT u.id AS user_id, u.display_name, u.email, \
     d.id AS unit_id, d.name AS unit_name, d.email AS unit_email, \
     COALESCE(d.head_user_id = u.id, FALSE) AS leader";

/// Whether the user is in the unit in any of the three ways.
macro_rules! is_member {
    ($tx:expr, $org:expr, $user:expr, $unit:expr) => {
        scalar_i64!(
            &mut *$tx,
            "SELECT (SELECT COUNT(*) FROM unit_members WHERE org_id = $1 AND user_id = $2 \
               AND department_id = $3) \
             + (SELECT COUNT(*) FROM departments WHERE org_id = $1 AND id = $3 \
               AND head_user_id = $2)",
            $org.0,
            $user.0,
            $unit.0
        ) > 0
    };
}

/// Both ids must name objects of the organization (each not found otherwise).
macro_rules! check_pair {
    ($tx:expr, $org:expr, $user:expr, $unit:expr) => {
        if !super::exists_in_org!(&mut *$tx, "users", $org.0, $user.0) {
            return Err(Error::not_found("User", $user).into());
        }
        if !super::exists_in_org!(&mut *$tx, "departments", $org.0, $unit.0) {
            return Err(Error::not_found("Unit", $unit).into());
        }
    };
}

/// `Some(true)`: the user becomes the unit's one leader; `Some(false)`: the user's
/// leadership of the unit ends; `None`: nothing changes.
macro_rules! set_leader {
    ($tx:expr, $unit:expr, $user:expr, $leader:expr) => {
        match $leader {
            Some(true) => {
                sqlx::query("UPDATE departments SET head_user_id = $1 WHERE id = $2")
                    .bind($user.0)
                    .bind($unit.0)
                    .execute(&mut *$tx)
                    .await?;
            }
            Some(false) => {
                sqlx::query(
                    "UPDATE departments SET head_user_id = NULL WHERE id = $1 AND head_user_id = $2",
                )
                .bind($unit.0)
                .bind($user.0)
                .execute(&mut *$tx)
                .await?;
            }
            None => {}
        }
    };
}

impl Store {
    /// Puts a user in a unit (see the module notes); `leader` `Some(true)` also makes the
    /// user its leader, `Some(false)` ends the user's leadership, `None` leaves it.
    pub async fn join_unit(
        &self,
        org: OrgId,
        user: UserId,
        unit: DeptId,
        leader: Option<bool>,
        assigned_by: Option<UserId>,
    ) -> Result<UnitMember> {
        let now = Utc::now();
        write_tx!(self, |tx| {
            // Locks the user (PostgreSQL) so concurrent joins agree on the primary unit.
            let primary: Option<Option<i64>> = sqlx::query_scalar(&format!(
                "SELECT department_id FROM users WHERE org_id = $1 AND id = $2{}",
                self.row_lock()
            ))
            .bind(org.0)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(primary) = primary else {
                return Err(Error::not_found("User", user).into());
            };
            let active: Option<bool> = sqlx::query_scalar(&format!(
                "SELECT is_active FROM departments WHERE org_id = $1 AND id = $2{}",
                self.for_share()
            ))
            .bind(org.0)
            .bind(unit.0)
            .fetch_optional(&mut *tx)
            .await?;
            match active {
                None => return Err(Error::not_found("Unit", unit).into()),
                Some(false) => {
                    return Err(Error::conflict(format!("Unit {unit} is inactive.")).into())
                }
                Some(true) => {}
            }
            match primary {
                None => {
                    sqlx::query("UPDATE users SET department_id = $1 WHERE id = $2")
                        .bind(unit.0)
                        .bind(user.0)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "DELETE FROM memberships WHERE user_id = $1 AND department_id = $2 \
                         AND role_id IS NULL",
                    )
                    .bind(user.0)
                    .bind(unit.0)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(p) if p == unit.0 => {}
                Some(_) => {
                    sqlx::query(
                        "INSERT INTO memberships (org_id, user_id, department_id, assigned_by, \
                         assigned_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(org.0)
                    .bind(user.0)
                    .bind(unit.0)
                    .bind(assigned_by.map(|u| u.0))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            set_leader!(tx, unit, user, leader);
        });
        self.unit_member(org, user, unit).await
    }

    /// Makes the user the unit's leader (`true`) or ends the user's leadership (`false`);
    /// the user must be in the unit.
    pub async fn set_unit_leader(
        &self,
        org: OrgId,
        user: UserId,
        unit: DeptId,
        leader: bool,
    ) -> Result<UnitMember> {
        write_tx!(self, |tx| {
            check_pair!(tx, org, user, unit);
            if !is_member!(tx, org, user, unit) {
                return Err(not_member(user, unit).into());
            }
            set_leader!(tx, unit, user, Some(leader));
        });
        self.unit_member(org, user, unit).await
    }

    /// Takes a user out of a unit (see the module notes).
    pub async fn leave_unit(&self, org: OrgId, user: UserId, unit: DeptId) -> Result<()> {
        write_tx!(self, |tx| {
            check_pair!(tx, org, user, unit);
            if !is_member!(tx, org, user, unit) {
                return Err(not_member(user, unit).into());
            }
            let primary: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT department_id FROM users WHERE id = $1{}",
                self.row_lock()
            ))
            .bind(user.0)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND department_id = $2")
                .bind(user.0)
                .bind(unit.0)
                .execute(&mut *tx)
                .await?;
            if primary == Some(unit.0) {
                let next: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT id, department_id FROM memberships WHERE user_id = $1 \
                     AND department_id IS NOT NULL AND role_id IS NULL ORDER BY id LIMIT 1",
                )
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((row, _)) = next {
                    sqlx::query("DELETE FROM memberships WHERE id = $1")
                        .bind(row)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("UPDATE users SET department_id = $1 WHERE id = $2")
                    .bind(next.map(|(_, d)| d))
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
            }
            set_leader!(tx, unit, user, Some(false));
        });
        Ok(())
    }

    /// One user's membership of one unit.
    async fn unit_member(&self, org: OrgId, user: UserId, unit: DeptId) -> Result<UnitMember> {
        let sql = format!(
            "{MEMBER_COLUMNS} FROM users u JOIN departments d ON d.org_id = u.org_id \
             WHERE u.org_id = $1 AND u.id = $2 AND d.id = $3"
        );
        let row: Option<UnitMemberRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(user.0)
                .bind(unit.0)
                .fetch_optional(db)
                .await?
        });
        row.map(UnitMember::from)
            .ok_or_else(|| not_member(user, unit).into())
    }

    /// Everyone in a unit (its leader included), by user id.
    pub async fn unit_members_with_leader(
        &self,
        org: OrgId,
        unit: DeptId,
    ) -> Result<Vec<UnitMember>> {
        let sql = format!(
            "{MEMBER_COLUMNS} FROM (\
               SELECT user_id, department_id FROM unit_members \
                 WHERE org_id = $1 AND department_id = $2 \
               UNION SELECT head_user_id, id FROM departments \
                 WHERE org_id = $1 AND id = $2 AND head_user_id IS NOT NULL) m \
             JOIN users u ON u.id = m.user_id JOIN departments d ON d.id = m.department_id \
             ORDER BY u.id"
        );
        let rows: Vec<UnitMemberRow> = read!(self, |db| {
            if !super::exists_in_org!(db, "departments", org.0, unit.0) {
                return Err(Error::not_found("Unit", unit).into());
            }
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(unit.0)
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().map(UnitMember::from).collect())
    }

    /// Every unit of a user: the primary unit first, then by unit id.
    pub async fn unit_memberships_of_user(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Vec<UnitMember>> {
        let sql = format!(
            "{MEMBER_COLUMNS} FROM (\
               SELECT user_id, department_id FROM unit_members \
                 WHERE org_id = $1 AND user_id = $2 \
               UNION SELECT head_user_id, id FROM departments \
                 WHERE org_id = $1 AND head_user_id = $2) m \
             JOIN users u ON u.id = m.user_id JOIN departments d ON d.id = m.department_id \
             ORDER BY CASE WHEN d.id = u.department_id THEN 0 ELSE 1 END, d.id"
        );
        let rows: Vec<UnitMemberRow> = read!(self, |db| {
            if !super::exists_in_org!(db, "users", org.0, user.0) {
                return Err(Error::not_found("User", user).into());
            }
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(user.0)
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().map(UnitMember::from).collect())
    }
}

fn not_member(user: UserId, unit: DeptId) -> Error {
    Error::NotFound(format!("User {user} is not a member of unit {unit}."))
}
