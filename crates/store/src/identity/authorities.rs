//! System authorities (Questetra's system privileges): rows of `system_authorities` given to
//! a user, a unit (all members, or only its leader; the units below it too with
//! `descendants`) or a global role. `users.is_admin` is the direct system-administrator
//! grant and moves with the kind-0 user rows. A user's effective kinds come from one query
//! ([`HELD_BY`]), which the credential check also uses for administrators.

use super::directory_pages::{unit_brief, Account, RoleBrief, UnitInfo};
use super::exists_in_org;
use crate::{Result, Store};
use chrono::Utc;
use sluice_domain::identity::{AuthorityKind, Grantee, User};
use sluice_domain::{DeptId, Error, OrgId, RoleId, UserId};

/// Who holds a granted authority, with the fields a listing shows.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorityHolder {
    User(Account),
    Unit {
        unit: UnitInfo,
        leader_only: bool,
        descendants: bool,
    },
    Role(RoleBrief),
}

/// A granted system authority.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorityGrant {
    pub id: i64,
    pub kind: AuthorityKind,
    pub holder: AuthorityHolder,
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: i64,
    kind: i64,
    leader_only: bool,
    descendants: bool,
    user_id: Option<i64>,
    user_name: Option<String>,
    user_email: Option<String>,
    unit_id: Option<i64>,
    unit_name: Option<String>,
    unit_email: Option<String>,
    parent_id: Option<i64>,
    parent_name: Option<String>,
    parent_email: Option<String>,
    role_id: Option<i64>,
    role_name: Option<String>,
}

impl GrantRow {
    fn into_grant(self) -> Option<AuthorityGrant> {
        let kind = AuthorityKind::from_code(self.kind).ok()?;
        let holder = if let Some(id) = self.user_id {
            AuthorityHolder::User(Account {
                id: UserId(id),
                name: self.user_name?,
                email: self.user_email.unwrap_or_default(),
            })
        } else if let Some(id) = self.unit_id {
            AuthorityHolder::Unit {
                unit: UnitInfo {
                    id: DeptId(id),
                    name: self.unit_name?,
                    email: self.unit_email.unwrap_or_default(),
                    parent: unit_brief(self.parent_id, self.parent_name, self.parent_email),
                },
                leader_only: self.leader_only,
                descendants: self.descendants,
            }
        } else {
            AuthorityHolder::Role(RoleBrief {
                id: RoleId(self.role_id?),
                name: self.role_name?,
            })
        };
        Some(AuthorityGrant {
            id: self.id,
            kind,
            holder,
        })
    }
}

const GRANT_SELECT: &str = "SELECT a.id, a.kind, a.leader_only, a.descendants, \
     u.id AS user_id, u.display_name AS user_name, u.email AS user_email, \
     d.id AS unit_id, d.name AS unit_name, d.email AS unit_email, \
     p.id AS parent_id, p.name AS parent_name, p.email AS parent_email, \
     r.id AS role_id, r.name AS role_name \
     FROM system_authorities a LEFT JOIN users u ON u.id = a.user_id \
     LEFT JOIN departments d ON d.id = a.department_id \
     LEFT JOIN departments p ON p.id = d.parent_id \
     LEFT JOIN roles r ON r.id = a.role_id";

/// The authorities held by user `$2` of organization `$1`, as rows `a` of
/// `system_authorities`: direct grants, grants to a global role the user has, and grants to
/// a unit the user is in (or leads, for leader-only grants), directly or, for grants with
/// `descendants`, through a unit below it. `mine` is the user's units with whether the
/// user leads them; `up` walks each one's ancestors (depth 0 is the unit itself). Indexed:
/// users and memberships by user, departments by head and by id, authorities by org and kind.
const HELD_BY: &str = "WITH RECURSIVE mine(dept, leader) AS (\
       SELECT department_id, FALSE FROM unit_members WHERE org_id = $1 AND user_id = $2 \
       UNION SELECT id, TRUE FROM departments WHERE org_id = $1 AND head_user_id = $2), \
     up(dept, leader, depth) AS (\
       SELECT dept, leader, 0 FROM mine \
       UNION ALL SELECT d.parent_id, up.leader, 1 FROM up JOIN departments d ON d.id = up.dept \
         WHERE d.parent_id IS NOT NULL) \
     SELECT DISTINCT a.kind FROM system_authorities a WHERE a.org_id = $1 AND a.kind >= $3 \
       AND a.kind <= $4 AND (a.user_id = $2 \
       OR a.role_id IN (SELECT m.role_id FROM memberships m JOIN roles r ON r.id = m.role_id \
         WHERE m.user_id = $2 AND r.package_id IS NULL AND r.process_id IS NULL) \
       OR EXISTS (SELECT 1 FROM up WHERE up.dept = a.department_id \
         AND (up.depth = 0 OR a.descendants) AND (up.leader OR NOT a.leader_only)))";

impl Store {
    /// Grants an authority; granting one that exists returns it unchanged. A kind-0 grant
    /// to a user also sets `users.is_admin`.
    pub async fn grant_authority(
        &self,
        org: OrgId,
        kind: AuthorityKind,
        grantee: Grantee,
    ) -> Result<AuthorityGrant> {
        let (user, unit, role, leader_only, descendants) = match grantee {
            Grantee::User(u) => (Some(u.0), None, None, false, false),
            Grantee::Unit {
                id,
                leader_only,
                descendants,
            } => (None, Some(id.0), None, leader_only, descendants),
            Grantee::Role(r) => (None, None, Some(r.0), false, false),
        };
        let now = Utc::now();
        let id: i64 = write_tx!(self, |tx| {
            if let Some(u) = user {
                if !exists_in_org!(&mut *tx, "users", org.0, u) {
                    return Err(Error::not_found("User", u).into());
                }
            }
            if let Some(d) = unit {
                if !exists_in_org!(&mut *tx, "departments", org.0, d) {
                    return Err(Error::not_found("Unit", d).into());
                }
            }
            if let Some(r) = role {
                let global = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM roles WHERE org_id = $1 AND id = $2 \
                     AND package_id IS NULL AND process_id IS NULL",
                    org.0,
                    r
                );
                if global == 0 {
                    return Err(Error::not_found("Role", r).into());
                }
            }
            sqlx::query(
                "INSERT INTO system_authorities (org_id, kind, user_id, department_id, \
                 leader_only, descendants, role_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(org.0)
            .bind(kind.code())
            .bind(user)
            .bind(unit)
            .bind(leader_only)
            .bind(descendants)
            .bind(role)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if kind == AuthorityKind::SystemAdministrator {
                if let Some(u) = user {
                    sqlx::query("UPDATE users SET is_admin = TRUE WHERE id = $1")
                        .bind(u)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            // The expressions of the `system_authorities_grant` unique index.
            sqlx::query_scalar(
                "SELECT id FROM system_authorities WHERE org_id = $1 AND kind = $2 \
                 AND COALESCE(user_id, 0) = $3 AND COALESCE(department_id, 0) = $4 \
                 AND COALESCE(role_id, 0) = $5 AND leader_only = $6 AND descendants = $7",
            )
            .bind(org.0)
            .bind(kind.code())
            .bind(user.unwrap_or(0))
            .bind(unit.unwrap_or(0))
            .bind(role.unwrap_or(0))
            .bind(leader_only)
            .bind(descendants)
            .fetch_one(&mut *tx)
            .await?
        });
        self.authority(org, id).await
    }

    /// One granted authority of the organization.
    pub async fn authority(&self, org: OrgId, id: i64) -> Result<AuthorityGrant> {
        let sql = format!("{GRANT_SELECT} WHERE a.org_id = $1 AND a.id = $2");
        let row: Option<GrantRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id)
                .fetch_optional(db)
                .await?
        });
        row.and_then(GrantRow::into_grant)
            .ok_or_else(|| Error::not_found("System authority", id).into())
    }

    /// Every granted authority of the organization (of one kind if given), by id.
    pub async fn authorities(
        &self,
        org: OrgId,
        kind: Option<AuthorityKind>,
    ) -> Result<Vec<AuthorityGrant>> {
        let sql =
            format!("{GRANT_SELECT} WHERE a.org_id = $1 AND ($2 < 0 OR a.kind = $2) ORDER BY a.id");
        let rows: Vec<GrantRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(kind.map_or(-1, AuthorityKind::code))
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().filter_map(GrantRow::into_grant).collect())
    }

    /// Withdraws a granted authority; withdrawing a kind-0 grant to a user clears
    /// `users.is_admin`.
    pub async fn revoke_authority(&self, org: OrgId, id: i64) -> Result<()> {
        write_tx!(self, |tx| {
            let gone: Option<(i64, Option<i64>)> = sqlx::query_as(
                "DELETE FROM system_authorities WHERE org_id = $1 AND id = $2 \
                 RETURNING kind, user_id",
            )
            .bind(org.0)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            match gone {
                None => return Err(Error::not_found("System authority", id).into()),
                Some((0, Some(user))) => {
                    sqlx::query("UPDATE users SET is_admin = FALSE WHERE id = $1")
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                }
                Some(_) => {}
            }
        });
        Ok(())
    }

    /// The kinds of authority a user holds, directly or through units and roles, ascending.
    pub async fn authority_kinds_held(
        &self,
        org: OrgId,
        user: &User,
    ) -> Result<Vec<AuthorityKind>> {
        let mut kinds: Vec<i64> = read!(self, |db| {
            sqlx::query_scalar(HELD_BY)
                .bind(org.0)
                .bind(user.id.0)
                .bind(0i64)
                .bind(2i64)
                .fetch_all(db)
                .await?
        });
        if user.is_admin {
            kinds.push(0);
        }
        kinds.sort_unstable();
        kinds.dedup();
        Ok(kinds
            .into_iter()
            .filter_map(|k| AuthorityKind::from_code(k).ok())
            .collect())
    }

    /// The user with `is_admin` true also when a unit or role grant makes the user a system
    /// administrator. Runs on every authenticated request: no query when the user is a
    /// direct administrator, one otherwise.
    pub(crate) async fn with_granted_admin(&self, mut user: User) -> Result<User> {
        if user.is_admin {
            return Ok(user);
        }
        let held: Option<i64> = read!(self, |db| {
            sqlx::query_scalar(&format!("{HELD_BY} LIMIT 1"))
                .bind(user.org_id.0)
                .bind(user.id.0)
                .bind(0i64)
                .bind(0i64)
                .fetch_optional(db)
                .await?
        });
        user.is_admin = held.is_some();
        Ok(user)
    }
}
