//! Process authorities (Questetra's ProcessAuthority): a kind of authority over the cases of
//! one workflow family, given to a user, a unit (all members, or only its leader; the units
//! below it too with `descendants`) or a global role. What a kind allows is decided where
//! it is used (`instances.rs`); the mapping is in docs/dialects/questetra.md.

use super::{Viewer, HELD};
use crate::identity::{Account, AuthorityHolder, RoleBrief, UnitBrief, UnitInfo};
use crate::{Result, Store};
use chrono::Utc;
use sluice_domain::identity::Grantee;
use sluice_domain::{DeptId, Error, FamilyId, OrgId, RoleId, UserId};

/// Questetra's authority types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProcessAuthorityKind {
    /// 0: manages the app (its versions) and every case of it.
    AppAdministrator,
    /// 1: sees and stops or deletes every case.
    ProcessManager,
    /// 2: sees every case with its data.
    DataViewer,
    /// 3: sees every case's progress, without its data.
    ProgressViewer,
}

impl ProcessAuthorityKind {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::AppAdministrator,
            1 => Self::ProcessManager,
            2 => Self::DataViewer,
            3 => Self::ProgressViewer,
            _ => return None,
        })
    }

    /// Whether the kind lets its holder stop and delete any case.
    pub fn manages(self) -> bool {
        self <= Self::ProcessManager
    }
}

/// A granted process authority.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessAuthority {
    pub id: i64,
    pub family_id: FamilyId,
    pub family_name: String,
    pub kind: ProcessAuthorityKind,
    pub holder: AuthorityHolder,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    family_id: i64,
    family_name: String,
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

impl Row {
    fn into_authority(self) -> Option<ProcessAuthority> {
        let holder = if let Some(id) = self.user_id {
            AuthorityHolder::User(Account {
                id: UserId(id),
                name: self.user_name?,
                email: self.user_email.unwrap_or_default(),
            })
        } else if let Some(id) = self.unit_id {
            let parent = match (self.parent_id, self.parent_name) {
                (Some(id), Some(name)) => Some(UnitBrief {
                    id: DeptId(id),
                    name,
                    email: self.parent_email.unwrap_or_default(),
                }),
                _ => None,
            };
            AuthorityHolder::Unit {
                unit: UnitInfo {
                    id: DeptId(id),
                    name: self.unit_name?,
                    email: self.unit_email.unwrap_or_default(),
                    parent,
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
        Some(ProcessAuthority {
            id: self.id,
            family_id: FamilyId(self.family_id),
            family_name: self.family_name,
            kind: ProcessAuthorityKind::from_code(self.kind)?,
            holder,
        })
    }
}

const SELECT: &str = "SELECT a.id, a.family_id, f.name AS family_name, a.kind, a.leader_only, \
     a.descendants, u.id AS user_id, u.display_name AS user_name, u.email AS user_email, \
     d.id AS unit_id, d.name AS unit_name, d.email AS unit_email, \
     p.id AS parent_id, p.name AS parent_name, p.email AS parent_email, \
     r.id AS role_id, r.name AS role_name \
     FROM process_authorities a JOIN workflow_families f ON f.id = a.family_id \
     LEFT JOIN users u ON u.id = a.user_id \
     LEFT JOIN departments d ON d.id = a.department_id \
     LEFT JOIN departments p ON p.id = d.parent_id \
     LEFT JOIN roles r ON r.id = a.role_id";

impl Store {
    /// Grants a process authority over family `family`; granting one that exists returns
    /// it unchanged.
    pub async fn grant_process_authority(
        &self,
        org: OrgId,
        family: FamilyId,
        kind: ProcessAuthorityKind,
        grantee: Grantee,
    ) -> Result<ProcessAuthority> {
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
            let found = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM workflow_families WHERE org_id = $1 AND id = $2",
                org.0,
                family.0
            );
            if found == 0 {
                return Err(Error::not_found("Process model", family).into());
            }
            if let Some(u) = user {
                let n = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM users WHERE org_id = $1 AND id = $2",
                    org.0,
                    u
                );
                if n == 0 {
                    return Err(Error::not_found("User", u).into());
                }
            }
            if let Some(d) = unit {
                let n = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM departments WHERE org_id = $1 AND id = $2",
                    org.0,
                    d
                );
                if n == 0 {
                    return Err(Error::not_found("Unit", d).into());
                }
            }
            if let Some(r) = role {
                let n = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM roles WHERE org_id = $1 AND id = $2 \
                     AND package_id IS NULL AND process_id IS NULL",
                    org.0,
                    r
                );
                if n == 0 {
                    return Err(Error::not_found("Role", r).into());
                }
            }
            sqlx::query(
                "INSERT INTO process_authorities (org_id, family_id, kind, user_id, \
                 department_id, leader_only, descendants, role_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            )
            .bind(org.0)
            .bind(family.0)
            .bind(kind.code())
            .bind(user)
            .bind(unit)
            .bind(leader_only)
            .bind(descendants)
            .bind(role)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // The expressions of the `process_authorities_grant` unique index.
            sqlx::query_scalar(
                "SELECT id FROM process_authorities WHERE family_id = $1 AND kind = $2 \
                 AND COALESCE(user_id, 0) = $3 AND COALESCE(department_id, 0) = $4 \
                 AND COALESCE(role_id, 0) = $5 AND leader_only = $6 AND descendants = $7",
            )
            .bind(family.0)
            .bind(kind.code())
            .bind(user.unwrap_or(0))
            .bind(unit.unwrap_or(0))
            .bind(role.unwrap_or(0))
            .bind(leader_only)
            .bind(descendants)
            .fetch_one(&mut *tx)
            .await?
        });
        let row: Option<Row> = read!(self, |db| {
            sqlx::query_as(&format!("{SELECT} WHERE a.org_id = $1 AND a.id = $2"))
                .bind(org.0)
                .bind(id)
                .fetch_optional(db)
                .await?
        });
        row.and_then(Row::into_authority)
            .ok_or_else(|| Error::not_found("Process authority", id).into())
    }

    /// Revokes a process authority of the organization.
    pub async fn revoke_process_authority(&self, org: OrgId, id: i64) -> Result<()> {
        let gone = write_tx!(self, |tx| {
            sqlx::query("DELETE FROM process_authorities WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        if gone == 0 {
            return Err(Error::not_found("Process authority", id).into());
        }
        Ok(())
    }

    /// The authorities granted over `family`, of one kind or all, in grant order.
    pub async fn family_process_authorities(
        &self,
        org: OrgId,
        family: FamilyId,
        kind: Option<ProcessAuthorityKind>,
    ) -> Result<Vec<ProcessAuthority>> {
        let rows: Vec<Row> = read!(self, |db| {
            let n = scalar_i64!(
                db,
                "SELECT COUNT(*) FROM workflow_families WHERE org_id = $1 AND id = $2",
                org.0,
                family.0
            );
            if n == 0 {
                return Err(Error::not_found("Process model", family).into());
            }
            sqlx::query_as(&format!(
                "{SELECT} WHERE a.org_id = $1 AND a.family_id = $2 \
                 AND ($3 < 0 OR a.kind = $3) ORDER BY a.id"
            ))
            .bind(org.0)
            .bind(family.0)
            .bind(kind.map_or(-1, ProcessAuthorityKind::code))
            .fetch_all(db)
            .await?
        });
        Ok(rows.into_iter().filter_map(Row::into_authority).collect())
    }

    /// The kinds of authority the viewer holds over `family` (Sluice's visible permission
    /// counts as a data viewer); the organization's client and system administrators hold
    /// every kind.
    pub async fn process_authority_kinds(
        &self,
        org: OrgId,
        viewer: Viewer,
        family: FamilyId,
    ) -> Result<Vec<ProcessAuthorityKind>> {
        if viewer.sees_all() {
            return Ok(vec![
                ProcessAuthorityKind::AppAdministrator,
                ProcessAuthorityKind::ProcessManager,
                ProcessAuthorityKind::DataViewer,
                ProcessAuthorityKind::ProgressViewer,
            ]);
        }
        let mut kinds: Vec<i64> = read!(self, |db| {
            sqlx::query_scalar(&format!(
                "{HELD} SELECT DISTINCT kind FROM held WHERE family_id = $3"
            ))
            .bind(org.0)
            .bind(viewer.user_id())
            .bind(family.0)
            .fetch_all(db)
            .await?
        });
        kinds.sort_unstable();
        Ok(kinds
            .into_iter()
            .filter_map(ProcessAuthorityKind::from_code)
            .collect())
    }
}
