//! Paged, filtered, ordered searches of the directory (users, units, roles, memberships),
//! for every dialect that lists them a page at a time. Filtering, ordering and paging run in
//! the database (`WHERE … ORDER BY … LIMIT … OFFSET` plus one `COUNT(*)`), never in memory.

use super::memberships::MembershipRow;
use super::people::{ProfileRow, PROFILE_SELECT};
use super::units::{Unit, UnitRow, UNIT_TREE};
use crate::{Result, Store};
use sluice_domain::identity::{Membership, Profile, Role};
use sluice_domain::{DeptId, OrgId, RoleId, UserId};

/// Which slice of the matches to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: i64,
    pub limit: i64,
}

/// One page of matches and how many match in all.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// An order: a key of the searched kind and a direction. The id breaks ties, so pages never
/// overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order<K> {
    pub key: K,
    pub descending: bool,
}

/// A filter on users (AND-ed).
#[derive(Debug, Clone, PartialEq)]
pub enum UserFilter {
    Active(bool),
    /// `None`: users without a manager.
    Manager(Option<UserId>),
    /// Members of a unit (primary unit or membership).
    Unit(DeptId),
    /// Holders of a role (in any unit).
    Role(RoleId),
    Login(String),
    FirstName(String),
    LastName(String),
    JobTitle(String),
}

/// What users may be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserOrder {
    Id,
    /// The first name as shown (the display name when first and last names are empty).
    FirstName,
    LastName,
    Login,
    Title,
    JobTitle,
    Active,
    CreatedAt,
    UpdatedAt,
    LastLogin,
}

/// A search of users: filters, a text searched at the start of names and login, an order.
#[derive(Debug, Clone)]
pub struct UserQuery {
    pub filters: Vec<UserFilter>,
    pub text: Option<String>,
    pub order: Option<Order<UserOrder>>,
    pub page: PageRequest,
}

/// A filter on units.
#[derive(Debug, Clone, PartialEq)]
pub enum UnitFilter {
    Name(String),
    DisplayName(String),
    /// Units whose parent has this path (`""`: top-level units).
    ParentPath(String),
    Path(String),
    Parent(Option<DeptId>),
}

/// What units may be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitOrder {
    Id,
    Name,
    DisplayName,
    Path,
    ParentPath,
    CreatedAt,
    UpdatedAt,
}

/// A search of units.
#[derive(Debug, Clone)]
pub struct UnitQuery {
    pub filters: Vec<UnitFilter>,
    pub text: Option<String>,
    pub order: Option<Order<UnitOrder>>,
    pub page: PageRequest,
}

/// A filter on roles.
#[derive(Debug, Clone, PartialEq)]
pub enum RoleFilter {
    Name(String),
    DisplayName(String),
    /// Only organization-wide roles (not scoped to a package or workflow).
    Global,
}

/// What roles may be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleOrder {
    Id,
    Name,
    DisplayName,
    CreatedAt,
    UpdatedAt,
}

/// A search of roles.
#[derive(Debug, Clone)]
pub struct RoleQuery {
    pub filters: Vec<RoleFilter>,
    pub text: Option<String>,
    pub order: Option<Order<RoleOrder>>,
    pub page: PageRequest,
}

/// A filter on one user's memberships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipFilter {
    Unit(DeptId),
    Role(RoleId),
}

/// What memberships may be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipOrder {
    RoleName,
    UnitName,
    AssignedAt,
}

/// A search of one user's memberships, the primary unit included (as a unit membership
/// without a role, assigned when the user was created).
#[derive(Debug, Clone)]
pub struct MembershipQuery {
    pub user: UserId,
    pub filters: Vec<MembershipFilter>,
    pub order: Option<Order<MembershipOrder>>,
    pub page: PageRequest,
}

/// A bound value of a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
    Bool(bool),
}

/// SQL text under construction with its `$N` arguments.
#[derive(Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    /// Adds an argument; returns its placeholder.
    pub fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
}

/// Binds every [`Arg`] to a sqlx query, in order.
#[allow(unused_macros)]
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::identity::directory::Arg::Int(v) => q.bind(*v),
                $crate::identity::directory::Arg::Text(v) => q.bind(v.clone()),
                $crate::identity::directory::Arg::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// The total of a search (`$count_sql`) and one page of it (`$page_sql`).
macro_rules! count_and_page {
    ($store:expr, $count_sql:expr, $count_args:expr, $page_sql:expr, $page_args:expr) => {
        read!($store, |db| {
            let total = bind_args!(sqlx::query_scalar::<_, i64>($count_sql), $count_args)
                .fetch_one(db)
                .await?;
            let rows = bind_args!(sqlx::query_as($page_sql), $page_args)
                .fetch_all(db)
                .await?;
            (total, rows)
        })
    };
}

/// `text` as a case-insensitive `LIKE` prefix pattern (`%` and `_` escaped with `\`).
fn prefix_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 1);
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// ` AND (lower(a) LIKE p OR lower(b) LIKE p …)` for a text search over `columns`: a match
/// at the start of a value or of one of its words.
fn text_condition(sql: &mut Sql, text: &Option<String>, columns: &[&str]) {
    let Some(text) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        return;
    };
    let start = sql.arg(Arg::Text(prefix_pattern(text)));
    let word = sql.arg(Arg::Text(format!("% {}", prefix_pattern(text))));
    let alternatives: Vec<String> = columns
        .iter()
        .map(|c| {
            format!("lower({c}) LIKE {start} ESCAPE '\\' OR lower({c}) LIKE {word} ESCAPE '\\'")
        })
        .collect();
    sql.push(&format!(" AND ({})", alternatives.join(" OR ")));
}

/// ` ORDER BY key dir, id dir LIMIT … OFFSET …`.
fn order_and_page(sql: &mut Sql, key: Option<(&str, bool)>, id: &str, page: PageRequest) {
    let (key, desc) = key.unwrap_or((id, false));
    let dir = if desc { "DESC" } else { "ASC" };
    if key == id {
        sql.push(&format!(" ORDER BY {id} {dir}"));
    } else {
        sql.push(&format!(" ORDER BY {key} {dir}, {id} {dir}"));
    }
    let limit = sql.arg(Arg::Int(page.limit.max(0)));
    let offset = sql.arg(Arg::Int(page.offset.max(0)));
    sql.push(&format!(" LIMIT {limit} OFFSET {offset}"));
}

/// A membership's columns from the `m` derived table.
const MEMBERSHIP_PREFIXED: &str =
    "m.user_id, m.department_id, m.role_id, m.assigned_by, m.assigned_at";

/// The first name as shown, in SQL (see `Person::names`).
const SHOWN_FIRST_NAME: &str =
    "CASE WHEN u.first_name = '' AND u.last_name = '' THEN u.display_name ELSE u.first_name END";

impl Store {
    /// A page of the organization's users with their person details.
    pub async fn search_profiles(&self, org: OrgId, q: &UserQuery) -> Result<Paged<Profile>> {
        let mut w = Sql::default();
        let o = w.arg(Arg::Int(org.0));
        w.push(&format!(" WHERE u.org_id = {o}"));
        for f in &q.filters {
            let cond = match f {
                UserFilter::Active(a) => format!("u.is_active = {}", w.arg(Arg::Bool(*a))),
                UserFilter::Manager(None) => "u.manager_id IS NULL".to_string(),
                UserFilter::Manager(Some(m)) => format!("u.manager_id = {}", w.arg(Arg::Int(m.0))),
                UserFilter::Unit(d) => format!(
                    "(u.department_id = {p} OR EXISTS (SELECT 1 FROM memberships m \
                     WHERE m.user_id = u.id AND m.department_id = {p}))",
                    p = w.arg(Arg::Int(d.0))
                ),
                UserFilter::Role(r) => format!(
                    "EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.role_id = {})",
                    w.arg(Arg::Int(r.0))
                ),
                UserFilter::Login(l) => {
                    format!("lower(u.login) = lower({})", w.arg(Arg::Text(l.clone())))
                }
                UserFilter::FirstName(n) => {
                    format!("{SHOWN_FIRST_NAME} = {}", w.arg(Arg::Text(n.clone())))
                }
                UserFilter::LastName(n) => {
                    format!("u.last_name = {}", w.arg(Arg::Text(n.clone())))
                }
                UserFilter::JobTitle(n) => {
                    format!("u.job_title = {}", w.arg(Arg::Text(n.clone())))
                }
            };
            w.push(&format!(" AND {cond}"));
        }
        text_condition(
            &mut w,
            &q.text,
            &["u.first_name", "u.last_name", "u.login", "u.display_name"],
        );
        let count_sql = format!("SELECT COUNT(*) FROM users u{}", w.text);
        let key = q.order.map(|o| {
            let k = match o.key {
                UserOrder::Id => "u.id",
                UserOrder::FirstName => {
                    "lower(CASE WHEN u.first_name = '' AND u.last_name = '' \
                     THEN u.display_name ELSE u.first_name END)"
                }
                UserOrder::LastName => "lower(u.last_name)",
                UserOrder::Login => "lower(u.login)",
                UserOrder::Title => "u.title",
                UserOrder::JobTitle => "lower(u.job_title)",
                UserOrder::Active => "u.is_active",
                UserOrder::CreatedAt => "u.created_at",
                UserOrder::UpdatedAt => "COALESCE(u.updated_at, u.created_at)",
                UserOrder::LastLogin => "u.last_login_at",
            };
            (k, o.descending)
        });
        let count_args = w.args.clone();
        order_and_page(&mut w, key, "u.id", q.page);
        let page_sql = format!("{PROFILE_SELECT}{}", w.text);
        let (total, rows): (i64, Vec<ProfileRow>) =
            count_and_page!(self, &count_sql, &count_args, &page_sql, &w.args);
        Ok(Paged {
            items: rows.into_iter().map(Profile::from).collect(),
            total,
        })
    }

    /// A page of the organization's units with their paths.
    pub async fn search_units_with_paths(&self, org: OrgId, q: &UnitQuery) -> Result<Paged<Unit>> {
        let mut w = Sql::default();
        let o = w.arg(Arg::Int(org.0));
        w.push(&format!(" WHERE d.org_id = {o}"));
        for f in &q.filters {
            let cond = match f {
                UnitFilter::Name(n) => format!("d.name = {}", w.arg(Arg::Text(n.clone()))),
                UnitFilter::DisplayName(n) => format!(
                    "COALESCE(d.display_name, d.name) = {}",
                    w.arg(Arg::Text(n.clone()))
                ),
                UnitFilter::ParentPath(p) => {
                    format!("COALESCE(p.path, '') = {}", w.arg(Arg::Text(p.clone())))
                }
                UnitFilter::Path(p) => format!("t.path = {}", w.arg(Arg::Text(p.clone()))),
                UnitFilter::Parent(None) => "d.parent_id IS NULL".to_string(),
                UnitFilter::Parent(Some(p)) => {
                    format!("d.parent_id = {}", w.arg(Arg::Int(p.0)))
                }
            };
            w.push(&format!(" AND {cond}"));
        }
        text_condition(
            &mut w,
            &q.text,
            &["d.name", "COALESCE(d.display_name, d.name)"],
        );
        let from = "FROM departments d JOIN tree t ON t.id = d.id \
             LEFT JOIN tree p ON p.id = d.parent_id";
        let count_sql = format!(
            "WITH RECURSIVE {UNIT_TREE} SELECT COUNT(*) {from}{}",
            w.text
        );
        let key = q.order.map(|o| {
            let k = match o.key {
                UnitOrder::Id => "d.id",
                UnitOrder::Name => "lower(d.name)",
                UnitOrder::DisplayName => "lower(COALESCE(d.display_name, d.name))",
                UnitOrder::Path => "t.path",
                UnitOrder::ParentPath => "COALESCE(p.path, '')",
                UnitOrder::CreatedAt => "d.created_at",
                UnitOrder::UpdatedAt => "d.updated_at",
            };
            (k, o.descending)
        });
        let count_args = w.args.clone();
        order_and_page(&mut w, key, "d.id", q.page);
        let page_sql = format!(
            "WITH RECURSIVE {UNIT_TREE} SELECT {} {from}{}",
            super::units::UNIT_COLUMNS,
            w.text
        );
        let (total, rows): (i64, Vec<UnitRow>) =
            count_and_page!(self, &count_sql, &count_args, &page_sql, &w.args);
        Ok(Paged {
            items: rows.into_iter().map(Unit::from).collect(),
            total,
        })
    }

    /// A page of the organization's roles.
    pub async fn search_roles(&self, org: OrgId, q: &RoleQuery) -> Result<Paged<Role>> {
        let mut w = Sql::default();
        let o = w.arg(Arg::Int(org.0));
        w.push(&format!(" WHERE org_id = {o}"));
        for f in &q.filters {
            let cond = match f {
                RoleFilter::Name(n) => format!("name = {}", w.arg(Arg::Text(n.clone()))),
                RoleFilter::DisplayName(n) => format!(
                    "COALESCE(display_name, name) = {}",
                    w.arg(Arg::Text(n.clone()))
                ),
                RoleFilter::Global => "package_id IS NULL AND process_id IS NULL".to_string(),
            };
            w.push(&format!(" AND {cond}"));
        }
        text_condition(&mut w, &q.text, &["name", "COALESCE(display_name, name)"]);
        let count_sql = format!("SELECT COUNT(*) FROM roles{}", w.text);
        let key = q.order.map(|o| {
            let k = match o.key {
                RoleOrder::Id => "id",
                RoleOrder::Name => "lower(name)",
                RoleOrder::DisplayName => "lower(COALESCE(display_name, name))",
                RoleOrder::CreatedAt => "created_at",
                RoleOrder::UpdatedAt => "updated_at",
            };
            (k, o.descending)
        });
        let count_args = w.args.clone();
        order_and_page(&mut w, key, "id", q.page);
        let page_sql = format!("SELECT {} FROM roles{}", super::roles::ROLE_COLUMNS, w.text);
        let (total, rows): (i64, Vec<super::roles::RoleRow>) =
            count_and_page!(self, &count_sql, &count_args, &page_sql, &w.args);
        Ok(Paged {
            items: rows.into_iter().map(Role::from).collect(),
            total,
        })
    }

    /// A page of one user's memberships (the user must be of the organization: an unknown
    /// user simply has none).
    pub async fn search_memberships(
        &self,
        org: OrgId,
        q: &MembershipQuery,
    ) -> Result<Paged<Membership>> {
        let mut w = Sql::default();
        let o = w.arg(Arg::Int(org.0));
        let u = w.arg(Arg::Int(q.user.0));
        // Membership rows, plus the primary unit unless a row already names it without a role.
        w.push(&format!(
            " FROM (SELECT id AS seq, user_id, department_id, role_id, assigned_by, assigned_at \
               FROM memberships WHERE org_id = {o} AND user_id = {u} \
             UNION ALL \
             SELECT 0, u.id, u.department_id, NULL, NULL, u.created_at FROM users u \
               WHERE u.org_id = {o} AND u.id = {u} AND u.department_id IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM memberships x WHERE x.user_id = u.id \
                 AND x.department_id = u.department_id AND x.role_id IS NULL)) m \
             LEFT JOIN roles r ON r.id = m.role_id \
             LEFT JOIN departments d ON d.id = m.department_id WHERE 1 = 1"
        ));
        for f in &q.filters {
            let cond = match f {
                MembershipFilter::Unit(d) => {
                    format!("m.department_id = {}", w.arg(Arg::Int(d.0)))
                }
                MembershipFilter::Role(r) => format!("m.role_id = {}", w.arg(Arg::Int(r.0))),
            };
            w.push(&format!(" AND {cond}"));
        }
        let count_sql = format!("SELECT COUNT(*){}", w.text);
        let key = q.order.map(|o| {
            let k = match o.key {
                MembershipOrder::RoleName => "lower(COALESCE(r.name, ''))",
                MembershipOrder::UnitName => "lower(COALESCE(d.name, ''))",
                MembershipOrder::AssignedAt => "m.assigned_at",
            };
            (k, o.descending)
        });
        let count_args = w.args.clone();
        order_and_page(&mut w, key, "m.seq", q.page);
        let page_sql = format!("SELECT {MEMBERSHIP_PREFIXED}{}", w.text);
        let (total, rows): (i64, Vec<MembershipRow>) =
            count_and_page!(self, &count_sql, &count_args, &page_sql, &w.args);
        Ok(Paged {
            items: rows.into_iter().map(Membership::from).collect(),
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_patterns_escape_wildcards() {
        assert_eq!(prefix_pattern("Ann"), "ann%");
        assert_eq!(prefix_pattern("50%_a\\"), "50\\%\\_a\\\\%");
    }
}
