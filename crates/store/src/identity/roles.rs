//! Roles and the global roles each workflow uses. Shared by the Bonita, Questetra and
//! PlusWorkflow dialects (and the native API).

use super::exists_in_org;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::identity::{role as rules, NewRole, Role, RolePatch, RoleScope};
use sluice_domain::{Error, OrgId, RoleId, UserId};

#[derive(sqlx::FromRow)]
pub(crate) struct RoleRow {
    id: i64,
    org_id: i64,
    name: String,
    display_name: Option<String>,
    description: String,
    icon: String,
    package_id: Option<String>,
    process_id: Option<String>,
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<RoleRow> for Role {
    fn from(r: RoleRow) -> Self {
        Role {
            id: RoleId(r.id),
            org_id: OrgId(r.org_id),
            name: r.name,
            display_name: r.display_name,
            description: r.description,
            icon: r.icon,
            scope: RoleScope {
                package_id: r.package_id,
                process_id: r.process_id,
            },
            created_by: r.created_by.map(UserId),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(crate) const ROLE_COLUMNS: &str = "id, org_id, name, display_name, description, icon, \
     package_id, process_id, created_by, created_at, updated_at";

/// Whether another role of the same scope has `name`.
macro_rules! role_name_taken {
    ($tx:expr, $org:expr, $scope:expr, $name:expr, $except:expr) => {
        scalar_i64!(
            &mut *$tx,
            "SELECT COUNT(*) FROM roles WHERE org_id = $1 AND name = $2 \
             AND COALESCE(package_id, '') = $3 AND COALESCE(process_id, '') = $4 AND id <> $5",
            $org.0,
            $name,
            $scope.package_id.clone().unwrap_or_default(),
            $scope.process_id.clone().unwrap_or_default(),
            $except
        ) > 0
    };
}

impl Store {
    /// Creates a role; its name must be free in its scope.
    pub async fn create_role(&self, org: OrgId, new: NewRole) -> Result<Role> {
        let new = new.checked()?;
        let now = Utc::now();
        let id = write_tx!(self, |tx| {
            if role_name_taken!(tx, org, new.scope, &new.name, 0i64) {
                return Err(Error::DuplicateName.into());
            }
            if let Some(by) = new.created_by {
                if !exists_in_org!(&mut *tx, "users", org.0, by.0) {
                    return Err(Error::not_found("User", by).into());
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO roles (org_id, name, display_name, description, icon, package_id, \
                 process_id, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .bind(org.0)
            .bind(&new.name)
            .bind(&new.display_name)
            .bind(&new.description)
            .bind(&new.icon)
            .bind(&new.scope.package_id)
            .bind(&new.scope.process_id)
            .bind(new.created_by.map(|u| u.0))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            id
        });
        Ok(Role {
            id: RoleId(id),
            org_id: org,
            name: new.name,
            display_name: new.display_name,
            description: new.description,
            icon: new.icon,
            scope: new.scope,
            created_by: new.created_by,
            created_at: now,
            updated_at: now,
        })
    }

    /// One role of the organization.
    pub async fn role(&self, org: OrgId, id: RoleId) -> Result<Role> {
        let sql = format!("SELECT {ROLE_COLUMNS} FROM roles WHERE org_id = $1 AND id = $2");
        let row: Option<RoleRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        row.map(Role::from)
            .ok_or_else(|| Error::not_found("Role", id).into())
    }

    /// The roles of the organization among `ids`, in id order (unknown ids are left out).
    pub async fn roles_by_ids(&self, org: OrgId, ids: &[RoleId]) -> Result<Vec<Role>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let sql = format!(
                "SELECT {ROLE_COLUMNS} FROM roles WHERE org_id = $1 AND id IN ({}) ORDER BY id",
                super::placeholders(2, chunk.len())
            );
            let rows: Vec<RoleRow> = read!(self, |db| {
                let mut q = sqlx::query_as(&sql).bind(org.0);
                for id in chunk {
                    q = q.bind(id.0);
                }
                q.fetch_all(db).await?
            });
            out.extend(rows.into_iter().map(Role::from));
        }
        Ok(out)
    }

    /// Changes a role's name, display name, description or icon.
    pub async fn update_role(&self, org: OrgId, id: RoleId, patch: RolePatch) -> Result<Role> {
        let name = patch.name.as_deref().map(rules::check_name).transpose()?;
        let display_name = match &patch.display_name {
            Some(Some(d)) => Some(Some(rules::check_text("displayName", d)?)),
            other => other.clone(),
        };
        let description = patch
            .description
            .as_deref()
            .map(|d| rules::check_text("description", d))
            .transpose()?;
        let icon = patch
            .icon
            .as_deref()
            .map(|d| rules::check_text("icon", d))
            .transpose()?;
        let now = Utc::now();
        let role = write_tx!(self, |tx| {
            let sql = format!("SELECT {ROLE_COLUMNS} FROM roles WHERE org_id = $1 AND id = $2");
            let row: Option<RoleRow> = sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(mut role) = row.map(Role::from) else {
                return Err(Error::not_found("Role", id).into());
            };
            if let Some(name) = name {
                if role_name_taken!(tx, org, role.scope, &name, id.0) {
                    return Err(Error::DuplicateName.into());
                }
                role.name = name;
            }
            if let Some(d) = display_name {
                role.display_name = d;
            }
            if let Some(d) = description {
                role.description = d;
            }
            if let Some(i) = icon {
                role.icon = i;
            }
            role.updated_at = now;
            sqlx::query(
                "UPDATE roles SET name = $3, display_name = $4, description = $5, icon = $6, \
                 updated_at = $7 WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(id.0)
            .bind(&role.name)
            .bind(&role.display_name)
            .bind(&role.description)
            .bind(&role.icon)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            role
        });
        Ok(role)
    }

    /// Deletes a role with its memberships, uses and authorities.
    pub async fn delete_role(&self, org: OrgId, id: RoleId) -> Result<()> {
        write_tx!(self, |tx| {
            let done = sqlx::query("DELETE FROM roles WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found("Role", id).into());
            }
        });
        Ok(())
    }

    /// Records that workflow `process_id` (of package `package_id`, or of no package) uses
    /// the global role `id`; PlusWorkflow's search by process then finds its members.
    pub async fn add_role_use(
        &self,
        org: OrgId,
        id: RoleId,
        package_id: Option<&str>,
        process_id: &str,
    ) -> Result<()> {
        rules::check_text("processDefId", process_id)?;
        write_tx!(self, |tx| {
            let global = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM roles WHERE org_id = $1 AND id = $2 \
                 AND package_id IS NULL AND process_id IS NULL",
                org.0,
                id.0
            );
            if global == 0 {
                return Err(Error::not_found("Global role", id).into());
            }
            sqlx::query(
                "INSERT INTO role_uses (role_id, package_id, process_id) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id.0)
            .bind(package_id.unwrap_or_default())
            .bind(process_id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }
}
