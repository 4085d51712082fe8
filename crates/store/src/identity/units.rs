//! Units (departments) with their details: display name, description, icon, who made them
//! and when, and their path in the tree (`/parent/child`, computed from the names on every
//! read, so a rename or a move shows at once in every descendant's path).

use super::{exists_in_org, placeholders};
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::identity::department as rules;
use sluice_domain::identity::role::check_text;
use sluice_domain::{validate, DeptId, Error, OrgId, UserId};
use std::collections::HashMap;

/// A unit with its details and path.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub id: DeptId,
    pub name: String,
    /// `None`: shown as `name`.
    pub display_name: Option<String>,
    pub description: String,
    pub icon: String,
    pub parent_id: Option<DeptId>,
    /// `/` and the names from the top unit down to this one, `/`-joined.
    pub path: String,
    pub created_by: Option<UserId>,
    /// `None` for units made before details were recorded.
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Unit {
    /// The parent's path (`""` for a top unit).
    pub fn parent_path(&self) -> &str {
        let cut = self.path.len().saturating_sub(self.name.len() + 1);
        &self.path[..cut]
    }
}

/// A unit to create.
#[derive(Debug, Clone, Default)]
pub struct NewUnit {
    pub name: String,
    pub display_name: Option<String>,
    pub description: String,
    pub icon: String,
    pub parent_id: Option<DeptId>,
    pub created_by: Option<UserId>,
}

/// Changes to a unit; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UnitPatch {
    pub name: Option<String>,
    /// `Some(None)` clears it.
    pub display_name: Option<Option<String>>,
    pub description: Option<String>,
    pub icon: Option<String>,
    /// `Some(None)` moves the unit to the top.
    pub parent_id: Option<Option<DeptId>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UnitRow {
    id: i64,
    name: String,
    display_name: Option<String>,
    description: String,
    icon: String,
    parent_id: Option<i64>,
    path: String,
    created_by: Option<i64>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Self {
        Unit {
            id: DeptId(r.id),
            name: r.name,
            display_name: r.display_name,
            description: r.description,
            icon: r.icon,
            parent_id: r.parent_id.map(DeptId),
            path: r.path,
            created_by: r.created_by.map(UserId),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The organization's (`$1`) unit tree with each unit's path, for `WITH RECURSIVE`.
pub(crate) const UNIT_TREE: &str = "tree(id, path) AS (\
     SELECT id, '/' || name FROM departments WHERE org_id = $1 AND parent_id IS NULL \
     UNION ALL \
     SELECT c.id, tree.path || '/' || c.name FROM departments c JOIN tree ON c.parent_id = tree.id)";

/// A unit's columns over `departments d JOIN tree t`.
pub(crate) const UNIT_COLUMNS: &str = "d.id, d.name, d.display_name, d.description, d.icon, \
     d.parent_id, t.path, d.created_by, d.created_at, d.updated_at";

/// Checks a unit name: a path segment, so no `/`.
fn check_name(name: &str) -> Result<String> {
    let name = validate::name("name", name)?;
    if name.contains('/') {
        return Err(Error::invalid(
            "name must not contain '/' (it separates the levels of a path).",
        )
        .into());
    }
    Ok(name)
}

fn check_display_name(d: &Option<String>) -> Result<Option<String>> {
    Ok(d.as_deref()
        .map(|d| validate::name("displayName", d))
        .transpose()?)
}

/// Whether a sibling other than `except` under `parent` has `name`.
macro_rules! sibling_taken {
    ($tx:expr, $org:expr, $parent:expr, $name:expr, $except:expr) => {
        scalar_i64!(
            &mut *$tx,
            "SELECT COUNT(*) FROM departments WHERE org_id = $1 AND id <> $2 \
             AND COALESCE(parent_id, 0) = COALESCE($3, 0) AND name = $4",
            $org.0,
            $except,
            $parent,
            $name
        ) > 0
    };
}

impl Store {
    /// One unit of the organization with its details and path.
    pub async fn unit(&self, org: OrgId, id: DeptId) -> Result<Unit> {
        self.units_by_ids(org, &[id])
            .await?
            .pop()
            .ok_or_else(|| Error::not_found("Group", id).into())
    }

    /// The organization's units among `ids`, in id order (unknown ids are left out).
    pub async fn units_by_ids(&self, org: OrgId, ids: &[DeptId]) -> Result<Vec<Unit>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let sql = format!(
                "WITH RECURSIVE {UNIT_TREE} SELECT {UNIT_COLUMNS} FROM departments d \
                 JOIN tree t ON t.id = d.id WHERE d.org_id = $1 AND d.id IN ({}) ORDER BY d.id",
                placeholders(2, chunk.len())
            );
            let rows: Vec<UnitRow> = read!(self, |db| {
                let mut q = sqlx::query_as(&sql).bind(org.0);
                for id in chunk {
                    q = q.bind(id.0);
                }
                q.fetch_all(db).await?
            });
            out.extend(rows.into_iter().map(Unit::from));
        }
        Ok(out)
    }

    /// Creates a unit with its details; its name must be free among its siblings.
    pub async fn create_unit_with_details(&self, org: OrgId, new: NewUnit) -> Result<Unit> {
        let name = check_name(&new.name)?;
        let display_name = check_display_name(&new.display_name)?;
        let description = check_text("description", &new.description)?;
        let icon = check_text("icon", &new.icon)?;
        let now = Utc::now();
        let id = write_tx!(self, |tx| {
            if let Some(parent) = new.parent_id {
                if !exists_in_org!(&mut *tx, "departments", org.0, parent.0) {
                    return Err(Error::not_found("Group", parent).into());
                }
            }
            if let Some(by) = new.created_by {
                if !exists_in_org!(&mut *tx, "users", org.0, by.0) {
                    return Err(Error::not_found("User", by).into());
                }
            }
            if sibling_taken!(tx, org, new.parent_id.map(|p| p.0), &name, 0i64) {
                return Err(Error::DuplicateName.into());
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO departments (org_id, name, parent_id, is_active, display_name, \
                 description, icon, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, TRUE, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(org.0)
            .bind(&name)
            .bind(new.parent_id.map(|p| p.0))
            .bind(&display_name)
            .bind(&description)
            .bind(&icon)
            .bind(new.created_by.map(|u| u.0))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            DeptId(id)
        });
        self.unit(org, id).await
    }

    /// Changes a unit's name, display name, description, icon or parent (not under itself
    /// or one of its descendants) and records the time of the change.
    pub async fn update_unit_details(
        &self,
        org: OrgId,
        id: DeptId,
        patch: UnitPatch,
    ) -> Result<Unit> {
        let name = patch.name.as_deref().map(check_name).transpose()?;
        let display_name = match &patch.display_name {
            Some(d) => Some(check_display_name(d)?),
            None => None,
        };
        let description = patch
            .description
            .as_deref()
            .map(|d| check_text("description", d))
            .transpose()?;
        let icon = patch
            .icon
            .as_deref()
            .map(|d| check_text("icon", d))
            .transpose()?;
        let now = Utc::now();
        write_tx!(self, |tx| {
            if let Some(Some(_)) = patch.parent_id {
                // One move per organization at a time (see `update_department`).
                sqlx::query("UPDATE organizations SET is_active = is_active WHERE id = $1")
                    .bind(org.0)
                    .execute(&mut *tx)
                    .await?;
            }
            let current: Option<(Option<i64>, String)> = sqlx::query_as(
                "SELECT parent_id, name FROM departments WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((current_parent, current_name)) = current else {
                return Err(Error::not_found("Group", id).into());
            };
            if let Some(Some(parent)) = patch.parent_id {
                let tree: Vec<(i64, Option<i64>)> =
                    sqlx::query_as("SELECT id, parent_id FROM departments WHERE org_id = $1")
                        .bind(org.0)
                        .fetch_all(&mut *tx)
                        .await?;
                let parents: HashMap<i64, Option<i64>> = tree.into_iter().collect();
                if !parents.contains_key(&parent.0) {
                    return Err(Error::not_found("Group", parent).into());
                }
                rules::check_parent(id, parent, |d| {
                    parents.get(&d.0).copied().flatten().map(DeptId)
                })?;
            }
            let parent = patch
                .parent_id
                .map(|p| p.map(|d| d.0))
                .unwrap_or(current_parent);
            let final_name = name.clone().unwrap_or(current_name);
            if (name.is_some() || patch.parent_id.is_some())
                && sibling_taken!(tx, org, parent, &final_name, id.0)
            {
                return Err(Error::DuplicateName.into());
            }
            sqlx::query(
                "UPDATE departments SET name = $3, parent_id = $4, \
                   display_name = CASE WHEN $5 THEN $6 ELSE display_name END, \
                   description = COALESCE($7, description), icon = COALESCE($8, icon), \
                   updated_at = $9 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(id.0)
            .bind(&final_name)
            .bind(parent)
            .bind(display_name.is_some())
            .bind(display_name.clone().flatten())
            .bind(&description)
            .bind(&icon)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        self.unit(org, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_path_drops_the_last_segment() {
        let mut u = Unit {
            id: DeptId(1),
            name: "hr".into(),
            display_name: None,
            description: String::new(),
            icon: String::new(),
            parent_id: None,
            path: "/acme/hr".into(),
            created_by: None,
            created_at: None,
            updated_at: None,
        };
        assert_eq!(u.parent_path(), "/acme");
        u.path = "/hr".into();
        assert_eq!(u.parent_path(), "");
    }
}
