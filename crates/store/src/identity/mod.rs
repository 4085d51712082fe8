//! Organizations, departments, ranks, users and groups.

mod authorities;
mod bonita_sessions;
mod contacts;
mod departments;
pub mod directory;
mod directory_pages;
mod email_accounts;
mod groups;
mod memberships;
mod organizations;
mod people;
mod ranks;
mod role_members;
mod roles;
mod unit_details;
mod unit_memberships;
mod units;
mod user_query;
mod users;
mod users_by_role;
pub(crate) mod users_units;

pub use authorities::{AuthorityGrant, AuthorityHolder};
pub use bonita_sessions::{BonitaSession, NewBonitaSession, SESSION_IDLE};
pub use directory_pages::{
    Account, AccountWithUnit, Page, PageRequest, RoleBrief, UnitBrief, UnitInfo,
};
pub use email_accounts::{login_base, AccountChange};
pub use memberships::NewMembership;
pub use people::ProfilePatch;
pub use role_members::RoleMember;
pub use unit_details::UnitChange;
pub use unit_memberships::UnitMember;
pub use units::{NewUnit, Unit, UnitPatch};

pub use user_query::{DirectoryEntry, UnitRef, MAX_PAGE, MAX_PHRASE_CHARS};
pub use users::ImportedUser;
pub use users_by_role::{RoleFilter, MAX_FILTERS, MAX_ROLE_NAMES};

use chrono::{DateTime, Utc};
use sluice_domain::identity::{Department, Group, Organization, Rank, SystemGroup, User, UserRef};
use sluice_domain::{DeptId, GroupId, OrgId, RankId, UserId};

#[derive(sqlx::FromRow)]
pub(crate) struct OrgRow {
    id: i64,
    name: String,
    abbr: String,
    is_active: bool,
    is_system: bool,
    client_extra: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<OrgRow> for Organization {
    fn from(r: OrgRow) -> Self {
        Organization {
            id: OrgId(r.id),
            name: r.name,
            abbr: r.abbr,
            is_active: r.is_active,
            is_system: r.is_system,
            client_extra: r.client_extra,
            created_at: r.created_at,
        }
    }
}

pub(crate) const ORG_COLUMNS: &str =
    "id, name, abbr, is_active, is_system, client_extra, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct DeptRow {
    id: i64,
    org_id: i64,
    name: String,
    parent_id: Option<i64>,
    is_active: bool,
    client_extra: Option<String>,
    head_id: Option<i64>,
    head_login: Option<String>,
    head_display_name: Option<String>,
}

impl From<DeptRow> for Department {
    fn from(r: DeptRow) -> Self {
        let head = match (r.head_id, r.head_login, r.head_display_name) {
            (Some(id), Some(login), Some(display_name)) => Some(UserRef {
                id: UserId(id),
                login,
                display_name,
            }),
            _ => None,
        };
        Department {
            id: DeptId(r.id),
            org_id: OrgId(r.org_id),
            name: r.name,
            parent_id: r.parent_id.map(DeptId),
            head,
            is_active: r.is_active,
            client_extra: r.client_extra,
        }
    }
}

/// Departments with their head's id, login and name, in one join.
pub(crate) const DEPT_SELECT: &str = "SELECT d.id, d.org_id, d.name, d.parent_id, d.is_active, \
     d.client_extra, u.id AS head_id, u.login AS head_login, u.display_name AS head_display_name \
     FROM departments d LEFT JOIN users u ON u.id = d.head_user_id";

#[derive(sqlx::FromRow)]
pub(crate) struct RankRow {
    id: i64,
    org_id: i64,
    name: String,
    level: i64,
    is_active: bool,
    client_extra: Option<String>,
}

impl From<RankRow> for Rank {
    fn from(r: RankRow) -> Self {
        Rank {
            id: RankId(r.id),
            org_id: OrgId(r.org_id),
            name: r.name,
            level: r.level,
            is_active: r.is_active,
            client_extra: r.client_extra,
        }
    }
}

pub(crate) const RANK_COLUMNS: &str = "id, org_id, name, level, is_active, client_extra";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    org_id: i64,
    login: String,
    display_name: String,
    email: String,
    is_active: bool,
    is_external: bool,
    is_admin: bool,
    rank_id: Option<i64>,
    department_id: Option<i64>,
    client_extra: Option<String>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId(r.id),
            org_id: OrgId(r.org_id),
            login: r.login,
            display_name: r.display_name,
            email: r.email,
            is_active: r.is_active,
            is_external: r.is_external,
            is_admin: r.is_admin,
            rank_id: r.rank_id.map(RankId),
            department_id: r.department_id.map(DeptId),
            client_extra: r.client_extra,
        }
    }
}

pub(crate) const USER_COLUMNS: &str = "id, org_id, login, display_name, email, is_active, \
     is_external, is_admin, rank_id, department_id, client_extra";

#[derive(sqlx::FromRow)]
pub(crate) struct GroupRow {
    id: i64,
    org_id: i64,
    name: String,
    system_kind: Option<String>,
    is_active: bool,
    client_extra: Option<String>,
}

impl From<GroupRow> for Group {
    fn from(r: GroupRow) -> Self {
        Group {
            id: GroupId(r.id),
            org_id: OrgId(r.org_id),
            name: r.name,
            system: r.system_kind.as_deref().and_then(SystemGroup::from_code),
            is_active: r.is_active,
            client_extra: r.client_extra,
        }
    }
}

pub(crate) const GROUP_COLUMNS: &str = "id, org_id, name, system_kind, is_active, client_extra";

/// `$first, $first+1, …` for an `IN (…)` list of `n` values.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Counts the rows of `$table` with `org_id = $org` and `id = $id`.
macro_rules! exists_in_org {
    ($ex:expr, $table:literal, $org:expr, $id:expr) => {
        scalar_i64!(
            $ex,
            concat!(
                "SELECT COUNT(*) FROM ",
                $table,
                " WHERE org_id = $1 AND id = $2"
            ),
            $org,
            $id
        ) > 0
    };
}
pub(crate) use exists_in_org;
