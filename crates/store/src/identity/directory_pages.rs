//! Directory reads for dialects that show users, units and roles with a few fields each and
//! search them page by page (Questetra's Quser, Qgroup and Qrole): the page and its total
//! come from the database (`LIMIT`/`OFFSET` and `COUNT(*)`), never from memory.

use crate::{Result, Store};
use sluice_domain::{DeptId, Error, OrgId, RoleId, UserId};

/// One page of a search and the number of matches in all (the directory's one page type).
pub use super::directory::Paged as Page;

/// Which page of a search: `limit` rows after the first `start`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub start: i64,
    pub limit: i64,
}

/// A user as a directory shows one: id, display name, e-mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// A unit with its parent's id, name and e-mail.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitInfo {
    pub id: DeptId,
    pub name: String,
    pub email: String,
    pub parent: Option<UnitBrief>,
}

/// A unit's id, name and e-mail.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitBrief {
    pub id: DeptId,
    pub name: String,
    pub email: String,
}

/// A role's id and name.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleBrief {
    pub id: RoleId,
    pub name: String,
}

/// A user with the primary unit.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountWithUnit {
    pub account: Account,
    pub primary_unit: Option<UnitInfo>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UnitInfoRow {
    id: i64,
    name: String,
    email: String,
    parent_id: Option<i64>,
    parent_name: Option<String>,
    parent_email: Option<String>,
}

impl From<UnitInfoRow> for UnitInfo {
    fn from(r: UnitInfoRow) -> Self {
        UnitInfo {
            id: DeptId(r.id),
            name: r.name,
            email: r.email,
            parent: unit_brief(r.parent_id, r.parent_name, r.parent_email),
        }
    }
}

pub(crate) fn unit_brief(
    id: Option<i64>,
    name: Option<String>,
    email: Option<String>,
) -> Option<UnitBrief> {
    Some(UnitBrief {
        id: DeptId(id?),
        name: name?,
        email: email.unwrap_or_default(),
    })
}

/// Units with their parent, in one join.
pub(crate) const UNIT_INFO_SELECT: &str = "SELECT d.id, d.name, d.email, p.id AS parent_id, \
     p.name AS parent_name, p.email AS parent_email \
     FROM departments d LEFT JOIN departments p ON p.id = d.parent_id";

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    display_name: String,
    email: String,
    unit_id: Option<i64>,
    unit_name: Option<String>,
    unit_email: Option<String>,
    parent_id: Option<i64>,
    parent_name: Option<String>,
    parent_email: Option<String>,
}

impl From<AccountRow> for AccountWithUnit {
    fn from(r: AccountRow) -> Self {
        let primary_unit = match (r.unit_id, r.unit_name) {
            (Some(id), Some(name)) => Some(UnitInfo {
                id: DeptId(id),
                name,
                email: r.unit_email.unwrap_or_default(),
                parent: unit_brief(r.parent_id, r.parent_name, r.parent_email),
            }),
            _ => None,
        };
        AccountWithUnit {
            account: Account {
                id: UserId(r.id),
                name: r.display_name,
                email: r.email,
            },
            primary_unit,
        }
    }
}

/// Users with their primary unit and its parent, in one join.
const ACCOUNT_SELECT: &str = "SELECT u.id, u.display_name, u.email, d.id AS unit_id, \
     d.name AS unit_name, d.email AS unit_email, p.id AS parent_id, p.name AS parent_name, \
     p.email AS parent_email \
     FROM users u LEFT JOIN departments d ON d.id = u.department_id \
     LEFT JOIN departments p ON p.id = d.parent_id";

/// `%text%` for `LIKE ... ESCAPE '\'`, with the wildcards of `text` escaped; `None` for no
/// filter.
fn contains_pattern(query: Option<&str>) -> Option<String> {
    let q = query.map(str::trim).filter(|q| !q.is_empty())?;
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    Some(p)
}

/// A filter on `$2` (NULL: none) over the given columns, case-insensitive.
fn matching(columns: &[&str]) -> String {
    let each: Vec<String> = columns
        .iter()
        .map(|c| format!("lower({c}) LIKE lower($2) ESCAPE '\\'"))
        .collect();
    format!("($2 IS NULL OR {})", each.join(" OR "))
}

impl Store {
    /// Users whose display name or e-mail contains `query` (any case), by id.
    pub async fn search_accounts(
        &self,
        org: OrgId,
        query: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Account>> {
        let pattern = contains_pattern(query);
        let filter = matching(&["display_name", "email"]);
        let count_sql = format!("SELECT COUNT(*) FROM users WHERE org_id = $1 AND {filter}");
        let page_sql = format!(
            "SELECT id, display_name, email FROM users WHERE org_id = $1 AND {filter} \
             ORDER BY id LIMIT $3 OFFSET $4"
        );
        let (total, rows): (i64, Vec<(i64, String, String)>) = read!(self, |db| {
            let total = scalar_i64!(db, &count_sql, org.0, &pattern);
            let rows = sqlx::query_as(&page_sql)
                .bind(org.0)
                .bind(&pattern)
                .bind(page.limit)
                .bind(page.start)
                .fetch_all(db)
                .await?;
            (total, rows)
        });
        Ok(Page {
            total,
            items: rows
                .into_iter()
                .map(|(id, name, email)| Account {
                    id: UserId(id),
                    name,
                    email,
                })
                .collect(),
        })
    }

    /// Units whose name or e-mail contains `query` (any case), by id.
    pub async fn search_unit_infos(
        &self,
        org: OrgId,
        query: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<UnitInfo>> {
        let pattern = contains_pattern(query);
        let filter = matching(&["d.name", "d.email"]);
        let count_sql =
            format!("SELECT COUNT(*) FROM departments d WHERE d.org_id = $1 AND {filter}");
        let page_sql = format!(
            "{UNIT_INFO_SELECT} WHERE d.org_id = $1 AND {filter} ORDER BY d.id LIMIT $3 OFFSET $4"
        );
        let (total, rows): (i64, Vec<UnitInfoRow>) = read!(self, |db| {
            let total = scalar_i64!(db, &count_sql, org.0, &pattern);
            let rows = sqlx::query_as(&page_sql)
                .bind(org.0)
                .bind(&pattern)
                .bind(page.limit)
                .bind(page.start)
                .fetch_all(db)
                .await?;
            (total, rows)
        });
        Ok(Page {
            total,
            items: rows.into_iter().map(UnitInfo::from).collect(),
        })
    }

    /// Organization-wide roles whose name contains `query` (any case), by id.
    pub async fn search_global_roles(
        &self,
        org: OrgId,
        query: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<RoleBrief>> {
        let pattern = contains_pattern(query);
        let filter = matching(&["name"]);
        let global = "package_id IS NULL AND process_id IS NULL";
        let count_sql =
            format!("SELECT COUNT(*) FROM roles WHERE org_id = $1 AND {global} AND {filter}");
        let page_sql = format!(
            "SELECT id, name FROM roles WHERE org_id = $1 AND {global} AND {filter} \
             ORDER BY id LIMIT $3 OFFSET $4"
        );
        let (total, rows): (i64, Vec<(i64, String)>) = read!(self, |db| {
            let total = scalar_i64!(db, &count_sql, org.0, &pattern);
            let rows = sqlx::query_as(&page_sql)
                .bind(org.0)
                .bind(&pattern)
                .bind(page.limit)
                .bind(page.start)
                .fetch_all(db)
                .await?;
            (total, rows)
        });
        Ok(Page {
            total,
            items: rows
                .into_iter()
                .map(|(id, name)| RoleBrief {
                    id: RoleId(id),
                    name,
                })
                .collect(),
        })
    }

    /// A user of the organization with the primary unit.
    pub async fn account(&self, org: OrgId, id: UserId) -> Result<AccountWithUnit> {
        let sql = format!("{ACCOUNT_SELECT} WHERE u.org_id = $1 AND u.id = $2");
        let row: Option<AccountRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        row.map(AccountWithUnit::from)
            .ok_or_else(|| Error::not_found("User", id).into())
    }

    /// The user of the organization with this e-mail (any case); the oldest if several
    /// share it (possible for users made by dialects that do not require distinct e-mails).
    pub async fn account_by_email(&self, org: OrgId, email: &str) -> Result<AccountWithUnit> {
        let sql = format!(
            "{ACCOUNT_SELECT} WHERE u.org_id = $1 AND lower(u.email) = lower($2) \
             ORDER BY u.id LIMIT 1"
        );
        let row: Option<AccountRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(email)
                .fetch_optional(db)
                .await?
        });
        row.map(AccountWithUnit::from).ok_or_else(|| {
            Error::NotFound(format!("User with e-mail {email:?} does not exist.")).into()
        })
    }

    /// A unit of the organization with its parent.
    pub async fn unit_info(&self, org: OrgId, id: DeptId) -> Result<UnitInfo> {
        let sql = format!("{UNIT_INFO_SELECT} WHERE d.org_id = $1 AND d.id = $2");
        let row: Option<UnitInfoRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        row.map(UnitInfo::from)
            .ok_or_else(|| Error::not_found("Unit", id).into())
    }

    /// The unit with this exact name; the oldest if units under different parents share it.
    pub async fn unit_info_by_name(&self, org: OrgId, name: &str) -> Result<UnitInfo> {
        let sql =
            format!("{UNIT_INFO_SELECT} WHERE d.org_id = $1 AND d.name = $2 ORDER BY d.id LIMIT 1");
        let row: Option<UnitInfoRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(name)
                .fetch_optional(db)
                .await?
        });
        row.map(UnitInfo::from)
            .ok_or_else(|| Error::NotFound(format!("Unit named {name:?} does not exist.")).into())
    }

    /// An organization-wide role by id (scoped roles are not found).
    pub async fn global_role_ref(&self, org: OrgId, id: RoleId) -> Result<RoleBrief> {
        let row: Option<(i64, String)> = read!(self, |db| {
            sqlx::query_as(
                "SELECT id, name FROM roles WHERE org_id = $1 AND id = $2 \
                 AND package_id IS NULL AND process_id IS NULL",
            )
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(db)
            .await?
        });
        row.map(|(id, name)| RoleBrief {
            id: RoleId(id),
            name,
        })
        .ok_or_else(|| Error::not_found("Role", id).into())
    }

    /// An organization-wide role by exact name.
    pub async fn global_role_by_name(&self, org: OrgId, name: &str) -> Result<RoleBrief> {
        // The expressions of the `roles_name` index, so the lookup uses it.
        let row: Option<(i64, String)> = read!(self, |db| {
            sqlx::query_as(
                "SELECT id, name FROM roles WHERE org_id = $1 AND COALESCE(package_id, '') = '' \
                 AND COALESCE(process_id, '') = '' AND name = $2 \
                 AND package_id IS NULL AND process_id IS NULL",
            )
            .bind(org.0)
            .bind(name)
            .fetch_optional(db)
            .await?
        });
        row.map(|(id, name)| RoleBrief {
            id: RoleId(id),
            name,
        })
        .ok_or_else(|| Error::NotFound(format!("Role named {name:?} does not exist.")).into())
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn wildcards_of_the_query_match_literally() {
        assert_eq!(
            contains_pattern(Some("a_b%c\\")).as_deref(),
            Some("%a\\_b\\%c\\\\%")
        );
        assert_eq!(contains_pattern(Some("  ")), None);
        assert_eq!(contains_pattern(None), None);
    }
}
