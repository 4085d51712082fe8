//! Memberships: a user in a unit, a role, or a role within a unit. A user's primary unit
//! (`users.department_id`) is a unit membership without a row; the `unit_members` view
//! joins both.

use super::exists_in_org;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::identity::{membership as rules, Membership};
use sluice_domain::{DeptId, Error, OrgId, RoleId, UserId};

#[derive(sqlx::FromRow)]
pub(crate) struct MembershipRow {
    user_id: i64,
    department_id: Option<i64>,
    role_id: Option<i64>,
    assigned_by: Option<i64>,
    assigned_at: DateTime<Utc>,
}

impl From<MembershipRow> for Membership {
    fn from(r: MembershipRow) -> Self {
        Membership {
            user_id: UserId(r.user_id),
            department_id: r.department_id.map(DeptId),
            role_id: r.role_id.map(RoleId),
            assigned_by: r.assigned_by.map(UserId),
            assigned_at: r.assigned_at,
        }
    }
}

pub(crate) const MEMBERSHIP_COLUMNS: &str =
    "user_id, department_id, role_id, assigned_by, assigned_at";

/// A membership to add.
#[derive(Debug, Clone, Copy)]
pub struct NewMembership {
    pub user_id: UserId,
    pub department_id: Option<DeptId>,
    pub role_id: Option<RoleId>,
    /// `None`: the tenant administrator or an import.
    pub assigned_by: Option<UserId>,
}

impl Store {
    /// Adds a membership. Every id must name an object of the organization (not found
    /// otherwise); an existing identical membership is a conflict.
    pub async fn add_membership(&self, org: OrgId, new: NewMembership) -> Result<Membership> {
        rules::check_triple(new.department_id, new.role_id)?;
        let now = Utc::now();
        write_tx!(self, |tx| {
            if !exists_in_org!(&mut *tx, "users", org.0, new.user_id.0) {
                return Err(Error::not_found("User", new.user_id).into());
            }
            if let Some(d) = new.department_id {
                if !exists_in_org!(&mut *tx, "departments", org.0, d.0) {
                    return Err(Error::not_found("Group", d).into());
                }
            }
            if let Some(r) = new.role_id {
                if !exists_in_org!(&mut *tx, "roles", org.0, r.0) {
                    return Err(Error::not_found("Role", r).into());
                }
            }
            let inserted = sqlx::query(
                "INSERT INTO memberships (org_id, user_id, department_id, role_id, assigned_by, \
                 assigned_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(org.0)
            .bind(new.user_id.0)
            .bind(new.department_id.map(|d| d.0))
            .bind(new.role_id.map(|r| r.0))
            .bind(new.assigned_by.map(|u| u.0))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                return Err(Error::conflict("The membership already exists.").into());
            }
        });
        Ok(Membership {
            user_id: new.user_id,
            department_id: new.department_id,
            role_id: new.role_id,
            assigned_by: new.assigned_by,
            assigned_at: now,
        })
    }

    /// Removes the membership with exactly this unit and role (not found if there is none).
    pub async fn remove_membership(
        &self,
        org: OrgId,
        user: UserId,
        department: Option<DeptId>,
        role: Option<RoleId>,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            let done = sqlx::query(
                "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2 \
                 AND COALESCE(department_id, 0) = $3 AND COALESCE(role_id, 0) = $4",
            )
            .bind(org.0)
            .bind(user.0)
            .bind(department.map_or(0, |d| d.0))
            .bind(role.map_or(0, |r| r.0))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(Error::NotFound("The membership does not exist.".into()).into());
            }
        });
        Ok(())
    }

    /// Every membership row of a user (not the primary unit), oldest first.
    pub async fn memberships_of_user(&self, org: OrgId, user: UserId) -> Result<Vec<Membership>> {
        let sql = format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE org_id = $1 AND user_id = $2 \
             ORDER BY id"
        );
        let rows: Vec<MembershipRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(user.0)
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().map(Membership::from).collect())
    }
}
