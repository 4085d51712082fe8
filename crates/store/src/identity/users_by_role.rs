//! Users found by the roles they hold (PlusWorkflow's `users/by/roles`), and the paged list
//! of an organization's roles (native API).

use super::roles::{RoleRow, ROLE_COLUMNS};
use super::user_query::{profile_columns, DirectoryEntry, ProfileRow};
use crate::{Result, Store};
use sluice_domain::identity::{role as rules, Profile, Role};
use sluice_domain::{Error, OrgId};

/// One element of a search by roles. Its conditions hold together (AND); the elements of a
/// search are alternatives (OR). `None` leaves a condition out.
#[derive(Debug, Clone, Default)]
pub struct RoleFilter {
    pub package_id: Option<String>,
    /// Also finds the global roles this workflow uses (`role_uses`).
    pub process_id: Option<String>,
    /// Role names; `None` (or empty) means any role.
    pub role_names: Option<Vec<String>>,
}

/// Most filter elements, and most role names over all elements, one search takes.
pub const MAX_FILTERS: usize = 100;
pub const MAX_ROLE_NAMES: usize = 1000;

/// SQL text with its text binds, built up in order.
struct Sql {
    text: String,
    binds: Vec<String>,
}

impl Sql {
    /// Appends a bind and returns its placeholder (`$1` is the organization).
    fn bind(&mut self, v: &str) -> String {
        self.binds.push(v.to_string());
        format!("${}", self.binds.len() + 1)
    }
}

/// The condition one filter puts on role `r`.
fn condition(sql: &mut Sql, f: &RoleFilter) -> String {
    let names = f.role_names.as_ref().filter(|n| !n.is_empty()).map(|n| {
        let list: Vec<String> = n.iter().map(|name| sql.bind(name)).collect();
        format!("r.name IN ({})", list.join(", "))
    });
    // COALESCE(…) = non-empty value: the same test as `= value`, and the form `roles_name`
    // indexes.
    let mut scoped = vec![];
    if let Some(p) = &f.package_id {
        scoped.push(format!("COALESCE(r.package_id, '') = {}", sql.bind(p)));
    }
    if let Some(p) = &f.process_id {
        scoped.push(format!("COALESCE(r.process_id, '') = {}", sql.bind(p)));
    }
    scoped.extend(names.clone());
    let scoped = if scoped.is_empty() {
        "TRUE".to_string()
    } else {
        scoped.join(" AND ")
    };
    let Some(process) = &f.process_id else {
        return format!("({scoped})");
    };
    // A global role the process uses (of the given package, when one is given).
    let mut used = vec![format!("u2.process_id = {}", sql.bind(process))];
    if let Some(p) = &f.package_id {
        used.push(format!("u2.package_id = {}", sql.bind(p)));
    }
    let mut global = vec![
        "r.package_id IS NULL AND r.process_id IS NULL".to_string(),
        format!(
            "EXISTS (SELECT 1 FROM role_uses u2 WHERE u2.role_id = r.id AND {})",
            used.join(" AND ")
        ),
    ];
    global.extend(names);
    format!("(({scoped}) OR ({}))", global.join(" AND "))
}

/// Checks a filter's texts (no NUL, bounded) before they reach SQL.
fn check(f: &RoleFilter) -> Result<()> {
    for (field, v) in [
        ("packageId", &f.package_id),
        ("processDefId", &f.process_id),
    ] {
        if let Some(v) = v {
            rules::check_text(field, v)?;
        }
    }
    for name in f.role_names.iter().flatten() {
        rules::check_text("roleIds", name)?;
    }
    Ok(())
}

impl Store {
    /// Every user (in id order) who holds a role matching one of `filters`, directly or within
    /// a unit. No filters: nobody.
    pub async fn users_by_roles(
        &self,
        org: sluice_domain::OrgId,
        filters: &[RoleFilter],
    ) -> Result<Vec<DirectoryEntry>> {
        if filters.len() > MAX_FILTERS {
            return Err(Error::invalid(format!("At most {MAX_FILTERS} conditions.")).into());
        }
        let names: usize = filters
            .iter()
            .map(|f| f.role_names.as_ref().map_or(0, Vec::len))
            .sum();
        if names > MAX_ROLE_NAMES {
            return Err(Error::invalid(format!("At most {MAX_ROLE_NAMES} roleIds.")).into());
        }
        for f in filters {
            check(f)?;
        }
        if filters.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql {
            text: String::new(),
            binds: Vec::new(),
        };
        let conditions: Vec<String> = filters.iter().map(|f| condition(&mut sql, f)).collect();
        sql.text = format!(
            "SELECT {} FROM users u WHERE u.org_id = $1 AND u.id IN (\
             SELECT m.user_id FROM memberships m JOIN roles r ON r.id = m.role_id \
             WHERE m.org_id = $1 AND r.org_id = $1 AND ({})) ORDER BY u.id",
            profile_columns(),
            conditions.join(" OR ")
        );
        let rows: Vec<ProfileRow> = read!(self, |db| {
            let mut q = sqlx::query_as(&sql.text).bind(org.0);
            for b in &sql.binds {
                q = q.bind(b);
            }
            q.fetch_all(db).await?
        });
        self.directory_entries(org, rows.into_iter().map(Profile::from).collect())
            .await
    }

    /// The organization's roles in id order: the total and the page `offset..offset+limit`.
    pub async fn list_roles(
        &self,
        org: OrgId,
        offset: u64,
        limit: u32,
    ) -> Result<(i64, Vec<Role>)> {
        let offset = i64::try_from(offset).map_err(|_| Error::invalid("offset is too large."))?;
        let sql = format!(
            "SELECT {ROLE_COLUMNS} FROM roles WHERE org_id = $1 ORDER BY id LIMIT $2 OFFSET $3"
        );
        let (total, rows): (i64, Vec<RoleRow>) = read!(self, |db| {
            let total = scalar_i64!(db, "SELECT COUNT(*) FROM roles WHERE org_id = $1", org.0);
            let rows = sqlx::query_as(&sql)
                .bind(org.0)
                .bind(i64::from(limit))
                .bind(offset)
                .fetch_all(db)
                .await?;
            (total, rows)
        });
        Ok((total, rows.into_iter().map(Role::from).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_filter_also_finds_the_global_roles_it_uses() {
        let mut sql = Sql {
            text: String::new(),
            binds: vec![],
        };
        let f = RoleFilter {
            package_id: Some("pkg".into()),
            process_id: Some("proc".into()),
            role_names: Some(vec!["a".into()]),
        };
        let c = condition(&mut sql, &f);
        assert!(c.contains("EXISTS (SELECT 1 FROM role_uses"), "{c}");
        assert_eq!(sql.binds, ["a", "pkg", "proc", "proc", "pkg"]);
        let mut sql = Sql {
            text: String::new(),
            binds: vec![],
        };
        assert_eq!(condition(&mut sql, &RoleFilter::default()), "(TRUE)");
    }
}
