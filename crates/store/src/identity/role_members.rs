//! Role membership as Questetra's RoleMembership sees it: a user holds an organization-wide
//! role through a membership row with the role and no unit, or through Bonita's
//! unit-and-role rows; listings show each user once per role.

use super::directory_pages::{Account, RoleBrief};
use super::exists_in_org;
use crate::{Result, Store};
use chrono::Utc;
use sluice_domain::{Error, OrgId, RoleId, UserId};

/// A user holding a role.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleMember {
    pub user: Account,
    pub role: RoleBrief,
}

#[derive(sqlx::FromRow)]
struct RoleMemberRow {
    user_id: i64,
    display_name: String,
    email: String,
    role_id: i64,
    role_name: String,
}

impl From<RoleMemberRow> for RoleMember {
    fn from(r: RoleMemberRow) -> Self {
        RoleMember {
            user: Account {
                id: UserId(r.user_id),
                name: r.display_name,
                email: r.email,
            },
            role: RoleBrief {
                id: RoleId(r.role_id),
                name: r.role_name,
            },
        }
    }
}

/// Distinct (user, global role) pairs of `memberships m` that match the WHERE clause.
const ROLE_MEMBER_SELECT: &str = "SELECT DISTINCT u.id AS user_id, u.display_name, u.email, \
     r.id AS role_id, r.name AS role_name \
     FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id \
     WHERE r.package_id IS NULL AND r.process_id IS NULL";

/// The user and the global role must exist in the organization.
macro_rules! check_user_and_role {
    ($ex:expr, $org:expr, $user:expr, $role:expr) => {
        if !exists_in_org!($ex, "users", $org.0, $user.0) {
            return Err(Error::not_found("User", $user).into());
        }
        let global = scalar_i64!(
            $ex,
            "SELECT COUNT(*) FROM roles WHERE org_id = $1 AND id = $2 \
             AND package_id IS NULL AND process_id IS NULL",
            $org.0,
            $role.0
        );
        if global == 0 {
            return Err(Error::not_found("Role", $role).into());
        }
    };
}

impl Store {
    /// Gives a user a global role; giving it again changes nothing.
    pub async fn add_role_member(
        &self,
        org: OrgId,
        user: UserId,
        role: RoleId,
        assigned_by: Option<UserId>,
    ) -> Result<RoleMember> {
        let now = Utc::now();
        write_tx!(self, |tx| {
            check_user_and_role!(&mut *tx, org, user, role);
            sqlx::query(
                "INSERT INTO memberships (org_id, user_id, role_id, assigned_by, assigned_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(org.0)
            .bind(user.0)
            .bind(role.0)
            .bind(assigned_by.map(|u| u.0))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        let sql =
            format!("{ROLE_MEMBER_SELECT} AND m.org_id = $1 AND m.user_id = $2 AND m.role_id = $3");
        let row: Option<RoleMemberRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(user.0)
                .bind(role.0)
                .fetch_optional(db)
                .await?
        });
        row.map(RoleMember::from)
            .ok_or_else(|| Error::not_found("Role membership of user", user).into())
    }

    /// Takes a global role from a user, however it was given (Bonita's unit-and-role rows
    /// included); not found if the user does not hold it.
    pub async fn remove_role_member(&self, org: OrgId, user: UserId, role: RoleId) -> Result<()> {
        write_tx!(self, |tx| {
            check_user_and_role!(&mut *tx, org, user, role);
            let done = sqlx::query(
                "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2 AND role_id = $3",
            )
            .bind(org.0)
            .bind(user.0)
            .bind(role.0)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(
                    Error::NotFound(format!("User {user} does not hold role {role}.")).into(),
                );
            }
        });
        Ok(())
    }

    /// Everyone holding a global role, by user id.
    pub async fn role_members(&self, org: OrgId, role: RoleId) -> Result<Vec<RoleMember>> {
        let sql =
            format!("{ROLE_MEMBER_SELECT} AND m.org_id = $1 AND m.role_id = $2 ORDER BY u.id");
        let rows: Vec<RoleMemberRow> = read!(self, |db| {
            let global = scalar_i64!(
                db,
                "SELECT COUNT(*) FROM roles WHERE org_id = $1 AND id = $2 \
                 AND package_id IS NULL AND process_id IS NULL",
                org.0,
                role.0
            );
            if global == 0 {
                return Err(Error::not_found("Role", role).into());
            }
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(role.0)
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().map(RoleMember::from).collect())
    }

    /// Every global role of a user, by role id.
    pub async fn roles_of_member(&self, org: OrgId, user: UserId) -> Result<Vec<RoleMember>> {
        let sql =
            format!("{ROLE_MEMBER_SELECT} AND m.org_id = $1 AND m.user_id = $2 ORDER BY r.id");
        let rows: Vec<RoleMemberRow> = read!(self, |db| {
            if !exists_in_org!(db, "users", org.0, user.0) {
                return Err(Error::not_found("User", user).into());
            }
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(user.0)
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().map(RoleMember::from).collect())
    }
}
