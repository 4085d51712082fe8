//! Brity objects with permission groups: projects, process flows ("workflow") and outlines
//! ("workspace"), all rows of `rpa_projects`. View, create, delete, stop/restart, owner
//! change, and the authority checks every asset operation starts with.

use super::asset_error::{checked_name, AssetError};
use super::object_access::Authorities;
use crate::oauth::Principal;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::Error;

/// A project, process flow or outline as the asset endpoints show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Project {
    pub id: String,
    /// `project`, `workflow` or `workspace`.
    pub category: String,
    pub name: String,
    pub description: String,
    /// The latest version ("1.00").
    pub version: String,
    /// The latest activated version, if any.
    pub activated_version: Option<String>,
    /// Whether the latest version is activated.
    pub is_activated: bool,
    /// 1 normal, 2 stopped.
    pub status: i64,
    pub file_path: String,
    pub designer_version: String,
    pub owner_login: Option<String>,
    pub created_by_login: Option<String>,
    pub updated_by_login: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns of [`Project`], over `rpa_projects o` (the alias `readable_sql` expects).
pub(crate) const PROJECT_SELECT: &str =
    "SELECT o.id, o.category, o.name, o.description, o.version, o.activated_version, \
     o.is_activated, o.status, o.file_path, o.designer_version, ow.login AS owner_login, \
     cu.login AS created_by_login, uu.login AS updated_by_login, o.created_at, o.updated_at \
     FROM rpa_projects o LEFT JOIN users ow ON ow.id = o.owner_id \
     LEFT JOIN users cu ON cu.id = o.created_by LEFT JOIN users uu ON uu.id = o.updated_by";

/// The version after `v`: "1.00" → "1.01", "1.99" → "2.00".
pub fn next_version(v: &str) -> String {
    let (major, minor) = v
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .unwrap_or((1, 0));
    let (major, minor) = if minor >= 99 {
        (major + 1, 0)
    } else {
        (major, minor + 1)
    };
    format!("{major}.{minor:02}")
}

/// The caller's user id, if the credential names a user.
pub(crate) fn user_id(caller: &Principal) -> Option<i64> {
    caller.user.as_ref().map(|u| u.id.0)
}

/// Whether the caller holds every authority over every object of the tenant: an
/// administrator, or the tenant's own credential (client credentials name no user).
pub(crate) fn is_admin(caller: &Principal) -> bool {
    caller.user.as_ref().is_none_or(|u| u.is_admin)
}

/// `project` → "Project", as Brity names the categories in messages.
fn label(category: &str) -> &'static str {
    match category {
        "workflow" => "Process flow",
        "workspace" => "Outline",
        _ => "Project",
    }
}

impl Store {
    /// The caller's authorities over an object; `None` if the tenant has no such object.
    pub(crate) async fn authorities_for(
        &self,
        caller: &Principal,
        object_id: &str,
    ) -> Result<Option<Authorities>> {
        if let Some(user) = &caller.user {
            return self
                .object_authorities(caller.org.id, user, object_id)
                .await;
        }
        let exists: Option<i32> = read!(self, |db| {
            sqlx::query_scalar("SELECT 1 FROM rpa_projects WHERE org_id = $1 AND id = $2")
                .bind(caller.org.id.0)
                .bind(object_id)
                .fetch_optional(db)
                .await?
        });
        Ok(exists.map(|_| Authorities::all()))
    }

    /// The object `id` of `category` (any category when `None`) and the caller's
    /// authorities over it, which must include `letter`: not found (also in another tenant
    /// or category), or forbidden.
    pub async fn project_with_authority(
        &self,
        caller: &Principal,
        category: Option<&str>,
        id: &str,
        letter: char,
    ) -> Result<(Project, Authorities)> {
        let project = self
            .project_row(caller, id)
            .await?
            .filter(|p| category.is_none_or(|c| c == p.category))
            .ok_or_else(|| Error::not_found(label(category.unwrap_or("project")), id))?;
        let auth = self.authorities_for(caller, id).await?.unwrap_or_default();
        if !auth.has(letter) {
            return Err(Error::Forbidden(format!(
                "{} {id}: the {letter} authority is needed.",
                label(&project.category)
            ))
            .into());
        }
        Ok((project, auth))
    }

    async fn project_row(&self, caller: &Principal, id: &str) -> Result<Option<Project>> {
        let sql = format!("{PROJECT_SELECT} WHERE o.org_id = $1 AND o.id = $2");
        Ok(read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(caller.org.id.0)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Creates an empty project (version "1.00", not activated) owned by the caller.
    pub async fn create_project(
        &self,
        caller: &Principal,
        name: &str,
        description: &str,
    ) -> Result<Project, AssetError> {
        checked_name(name)?;
        if description.chars().count() > 4000 {
            return Err(Error::invalid("desc is longer than 4000 characters.").into());
        }
        let org = caller.org.id.0;
        let user = user_id(caller);
        let id = uuid::Uuid::new_v4().to_string();
        let now = Utc::now();
        write_tx!(self, |tx| {
            let taken: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM rpa_projects WHERE org_id = $1 AND category = 'project' \
                 AND LOWER(name) = LOWER($2)",
            )
            .bind(org)
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_some() {
                return Err(AssetError::NameInUse(name.to_string()).abort());
            }
            sqlx::query(
                "INSERT INTO rpa_projects (id, org_id, category, name, description, version, \
                 owner_id, created_by, updated_by, created_at, updated_at) \
                 VALUES ($1, $2, 'project', $3, $4, '1.00', $5, $5, $5, $6, $6)",
            )
            .bind(&id)
            .bind(org)
            .bind(name)
            .bind(description)
            .bind(user)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO rpa_project_versions (org_id, project_id, version, description, \
                 created_by, created_at) VALUES ($1, $2, '1.00', $3, $4, $5)",
            )
            .bind(org)
            .bind(&id)
            .bind(description)
            .bind(user)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(self
            .project_row(caller, &id)
            .await?
            .ok_or_else(|| Error::not_found("Project", &id))?)
    }

    /// Deletes a project (D authority) with its processes, versions and permission groups,
    /// and the packages nothing refers to any more. Jobs keep their history (they copy
    /// what they ran).
    pub async fn delete_project(&self, caller: &Principal, id: &str) -> Result<()> {
        self.project_with_authority(caller, Some("project"), id, 'D')
            .await?;
        let org = caller.org.id.0;
        write_tx!(self, |tx| {
            let packages: Vec<i64> = sqlx::query_scalar(
                "SELECT package_id FROM rpa_project_versions \
                 WHERE project_id = $1 AND package_id IS NOT NULL",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            let gone = sqlx::query("DELETE FROM rpa_projects WHERE org_id = $1 AND id = $2")
                .bind(org)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if gone == 0 {
                return Err(Error::not_found("Project", id).into());
            }
            for package in packages {
                sqlx::query(
                    "DELETE FROM rpa_packages WHERE id = $1 AND org_id = $2 \
                     AND NOT EXISTS (SELECT 1 FROM rpa_project_versions WHERE package_id = $1) \
                     AND NOT EXISTS (SELECT 1 FROM rpa_process_versions WHERE package_id = $1) \
                     AND NOT EXISTS (SELECT 1 FROM rpa_projects WHERE package_id = $1)",
                )
                .bind(package)
                .bind(org)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// Stops (`false`) or restarts (`true`) a project (U authority): a stopped project's
    /// processes are listed with status 2 and do not run.
    pub async fn set_project_running(&self, caller: &Principal, id: &str, run: bool) -> Result<()> {
        self.project_with_authority(caller, Some("project"), id, 'U')
            .await?;
        let now = Utc::now();
        let org = caller.org.id.0;
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE rpa_projects SET status = $3, updated_at = $4, updated_by = $5 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id)
            .bind(if run { 1i64 } else { 2i64 })
            .bind(now)
            .bind(user_id(caller))
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Gives an object of `category` to the user with login `owner` (S authority, and only
    /// its owner or an administrator: the owner holds every authority, so an S holder who
    /// could name themselves owner would get them all); the object's name.
    pub async fn change_owner(
        &self,
        caller: &Principal,
        category: &str,
        id: &str,
        owner: &str,
    ) -> Result<String> {
        let (project, _) = self
            .project_with_authority(caller, Some(category), id, 'S')
            .await?;
        let org = caller.org.id.0;
        let now = Utc::now();
        let caller_id = user_id(caller);
        let admin = is_admin(caller);
        write_tx!(self, |tx| {
            let current: Option<Option<i64>> = sqlx::query_scalar(
                "SELECT owner_id FROM rpa_projects WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(current) = current else {
                return Err(Error::not_found(label(category), id).into());
            };
            if !admin && (current.is_none() || current != caller_id) {
                return Err(Error::Forbidden(format!(
                    "{} {id}: only its owner or an administrator may change the owner.",
                    label(category)
                ))
                .into());
            }
            let new_owner: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM users WHERE org_id = $1 AND LOWER(login) = LOWER($2) AND is_active",
            )
            .bind(org)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(new_owner) = new_owner else {
                return Err(Error::not_found("User", owner).into());
            };
            sqlx::query(
                "UPDATE rpa_projects SET owner_id = $3, updated_at = $4, updated_by = $5 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id)
            .bind(new_owner)
            .bind(now)
            .bind(user_id(caller))
            .execute(&mut *tx)
            .await?;
        });
        Ok(project.name)
    }
}

#[cfg(test)]
mod tests {
    use super::next_version;

    #[test]
    fn versions_step_by_one_hundredth() {
        assert_eq!(next_version("1.00"), "1.01");
        assert_eq!(next_version("1.09"), "1.10");
        assert_eq!(next_version("1.99"), "2.00");
        assert_eq!(next_version("garbage"), "1.01");
    }
}
