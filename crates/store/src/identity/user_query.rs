//! The user directory as the PlusWorkflow dialect (and the benchmark) searches it: users with
//! their person details, groups and units, found by a phrase and paginated in SQL.

use super::{placeholders, UserRow, USER_COLUMNS};
use crate::{Result, Store};
use sluice_domain::identity::{Person, Profile, SystemGroup, User};
use sluice_domain::{DeptId, Error, OrgId, UserId};
use std::collections::HashMap;

/// A user as a directory shows them.
#[derive(Debug, Clone)]
pub struct DirectoryEntry {
    pub profile: Profile,
    /// Names of the groups the user is in, system groups first, then by name.
    pub groups: Vec<String>,
    /// The units the user is in: the primary unit first, then other memberships.
    pub units: Vec<UnitRef>,
}

/// A unit (department) as a user's entry names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: DeptId,
    pub name: String,
}

/// Largest page a directory search returns.
pub const MAX_PAGE: u32 = 1000;

/// Longest search phrase accepted (longer than any name or login).
pub const MAX_PHRASE_CHARS: usize = 256;

/// (user id, group name).
type GroupOfUser = (i64, String);
/// (user id, order: 0 for the primary unit, else the membership id, unit id, unit name).
type UnitOfUser = (i64, i64, i64, String);

#[derive(sqlx::FromRow)]
pub(crate) struct ProfileRow {
    #[sqlx(flatten)]
    user: UserRow,
    first_name: String,
    last_name: String,
    title: String,
    job_title: String,
    number: String,
    icon: String,
    manager_id: Option<i64>,
    created_by: Option<i64>,
}

impl From<ProfileRow> for Profile {
    fn from(r: ProfileRow) -> Self {
        Profile {
            user: User::from(r.user),
            person: Person {
                first_name: r.first_name,
                last_name: r.last_name,
                title: r.title,
                job_title: r.job_title,
                number: r.number,
                icon: r.icon,
                manager_id: r.manager_id.map(UserId),
                created_by: r.created_by.map(UserId),
                ..Default::default()
            },
        }
    }
}

/// The columns of [`ProfileRow`], every one prefixed with `u.`.
pub(crate) fn profile_columns() -> String {
    let user = USER_COLUMNS.replace(", ", ", u.");
    format!(
        "u.{user}, u.first_name, u.last_name, u.title, u.job_title, u.number, u.icon, \
         u.manager_id, u.created_by"
    )
}

/// A phrase made safe for `LIKE … ESCAPE '\'`, folded the way the backend's `lower()` folds:
/// PostgreSQL folds every letter, SQLite only ASCII ones (so on SQLite a non-ASCII letter
/// matches only in its own case).
fn like_fold(phrase: &str, full_unicode: bool) -> String {
    let folded = if full_unicode {
        phrase.to_lowercase()
    } else {
        phrase.to_ascii_lowercase()
    };
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Store {
    /// Users whose first or last name starts with `phrase`, or whose login contains it
    /// (case-insensitive; every user when `phrase` is empty), ordered by login: the total
    /// and the page `start..start+limit`.
    pub async fn search_directory(
        &self,
        org: OrgId,
        phrase: &str,
        start: u64,
        limit: u32,
    ) -> Result<(i64, Vec<DirectoryEntry>)> {
        if limit > MAX_PAGE {
            return Err(Error::invalid(format!("limit must be at most {MAX_PAGE}.")).into());
        }
        let start = i64::try_from(start).map_err(|_| Error::invalid("start is too large."))?;
        if phrase.contains('\0') || phrase.chars().count() > MAX_PHRASE_CHARS {
            return Err(Error::invalid(format!(
                "query must be at most {MAX_PHRASE_CHARS} characters of text."
            ))
            .into());
        }
        let full_unicode = self.backend_name() == "postgres";
        let folded = like_fold(phrase, full_unicode);
        let prefix = format!("{folded}%");
        let anywhere = format!("%{folded}%");
        // The `$3` test short-circuits the whole condition when there is no phrase.
        let filter = "u.org_id = $1 AND ($2 = '' OR lower(u.first_name) LIKE $3 ESCAPE '\\' \
             OR lower(u.last_name) LIKE $3 ESCAPE '\\' OR lower(u.login) LIKE $4 ESCAPE '\\')";
        let count_sql = format!("SELECT COUNT(*) FROM users u WHERE {filter}");
        let page_sql = format!(
            "SELECT {} FROM users u WHERE {filter} ORDER BY lower(u.login), u.id \
             LIMIT $5 OFFSET $6",
            profile_columns()
        );
        let (total, rows): (i64, Vec<ProfileRow>) = read!(self, |db| {
            let total = scalar_i64!(db, &count_sql, org.0, &folded, &prefix, &anywhere);
            let rows = if limit == 0 || start >= total {
                Vec::new()
            } else {
                sqlx::query_as(&page_sql)
                    .bind(org.0)
                    .bind(&folded)
                    .bind(&prefix)
                    .bind(&anywhere)
                    .bind(i64::from(limit))
                    .bind(start)
                    .fetch_all(db)
                    .await?
            };
            (total, rows)
        });
        let entries = self
            .directory_entries(org, rows.into_iter().map(Profile::from).collect())
            .await?;
        Ok((total, entries))
    }

    /// The entry of the user with this login (case-insensitive), if any.
    pub async fn directory_entry_by_login(
        &self,
        org: OrgId,
        login: &str,
    ) -> Result<Option<DirectoryEntry>> {
        // Only a well-formed login can name anyone; anything else never reaches the database.
        if sluice_domain::validate::login(login).is_err() {
            return Ok(None);
        }
        let Some((user, _)) = self.user_with_password(org, login).await? else {
            return Ok(None);
        };
        self.directory_entry(org, user.id).await.map(Some)
    }

    /// The entry of one user of the organization.
    pub async fn directory_entry(&self, org: OrgId, id: UserId) -> Result<DirectoryEntry> {
        let sql = format!(
            "SELECT {} FROM users u WHERE u.org_id = $1 AND u.id = $2",
            profile_columns()
        );
        let row: Option<ProfileRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        let Some(row) = row else {
            return Err(Error::not_found("User", id).into());
        };
        let mut entries = self.directory_entries(org, vec![row.into()]).await?;
        Ok(entries.remove(0))
    }

    /// Adds groups and units to profiles (two queries for the whole page), keeping their order.
    pub(crate) async fn directory_entries(
        &self,
        org: OrgId,
        profiles: Vec<Profile>,
    ) -> Result<Vec<DirectoryEntry>> {
        let mut groups: HashMap<i64, Vec<String>> = HashMap::new();
        let mut units: HashMap<i64, Vec<UnitRef>> = HashMap::new();
        let ids: Vec<i64> = profiles.iter().map(|p| p.user.id.0).collect();
        for chunk in ids.chunks(MAX_PAGE as usize) {
            let list = placeholders(2, chunk.len());
            let group_sql = format!(
                "SELECT m.user_id, g.name FROM group_members m \
                 JOIN groups g ON g.id = m.group_id \
                 WHERE g.org_id = $1 AND g.is_active = TRUE AND m.user_id IN ({list}) \
                 ORDER BY m.user_id, g.name"
            );
            // The primary unit (order 0) first, then other unit memberships by age.
            let unit_sql = format!(
                "SELECT u.id AS user_id, 0 AS ord, d.id, d.name FROM users u \
                 JOIN departments d ON d.org_id = u.org_id AND d.id = u.department_id \
                 WHERE u.org_id = $1 AND u.id IN ({list}) \
                 UNION ALL \
                 SELECT m.user_id, m.id AS ord, d.id, d.name FROM memberships m \
                 JOIN departments d ON d.org_id = m.org_id AND d.id = m.department_id \
                 WHERE m.org_id = $1 AND m.user_id IN ({list}) \
                 ORDER BY 1, 2"
            );
            let (group_rows, unit_rows): (Vec<GroupOfUser>, Vec<UnitOfUser>) = read!(self, |db| {
                let mut q = sqlx::query_as(&group_sql).bind(org.0);
                for id in chunk {
                    q = q.bind(*id);
                }
                let g = q.fetch_all(db).await?;
                let mut q = sqlx::query_as(&unit_sql).bind(org.0);
                for id in chunk {
                    q = q.bind(*id);
                }
                (g, q.fetch_all(db).await?)
            });
            for (user, name) in group_rows {
                groups.entry(user).or_default().push(name);
            }
            for (user, _, dept, name) in unit_rows {
                let list = units.entry(user).or_default();
                if !list.iter().any(|u| u.id.0 == dept) {
                    list.push(UnitRef {
                        id: DeptId(dept),
                        name,
                    });
                }
            }
        }
        Ok(profiles
            .into_iter()
            .map(|profile| {
                let id = profile.user.id.0;
                let mut names: Vec<String> = SystemGroup::ALL
                    .into_iter()
                    .filter(|g| g.contains(&profile.user))
                    .map(|g| g.name().to_string())
                    .collect();
                names.extend(groups.remove(&id).unwrap_or_default());
                DirectoryEntry {
                    groups: names,
                    units: units.remove(&id).unwrap_or_default(),
                    profile,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::like_fold;

    #[test]
    fn like_patterns_escape_wildcards_and_fold_per_backend() {
        assert_eq!(like_fold("A_b%c\\", true), "a\\_b\\%c\\\\");
        assert_eq!(like_fold("ÉA", true), "éa");
        assert_eq!(like_fold("ÉA", false), "Éa");
    }
}
