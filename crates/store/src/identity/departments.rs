//! Departments: the organization's unit tree.

use super::{exists_in_org, DeptRow, DEPT_SELECT};
use crate::{Result, Store};
use sluice_domain::identity::{department as rules, Department, DepartmentPatch, NewDepartment};
use sluice_domain::{validate, DeptId, Error, OrgId};
use std::collections::HashMap;

impl Store {
    /// Every department of an organization, in creation order.
    pub async fn list_departments(&self, org: OrgId) -> Result<Vec<Department>> {
        let sql = format!("{DEPT_SELECT} WHERE d.org_id = $1 ORDER BY d.id");
        let rows: Vec<DeptRow> = read!(self, |db| {
            sqlx::query_as(&sql).bind(org.0).fetch_all(db).await?
        });
        Ok(rows.into_iter().map(Department::from).collect())
    }

    /// One department of an organization.
    pub async fn department(&self, org: OrgId, id: DeptId) -> Result<Department> {
        let sql = format!("{DEPT_SELECT} WHERE d.org_id = $1 AND d.id = $2");
        let row: Option<DeptRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        row.map(Department::from)
            .ok_or_else(|| Error::not_found("Department", id).into())
    }

    /// Creates a department under `parent_id` (or at the top), with an optional head.
    pub async fn create_department(&self, org: OrgId, new: NewDepartment) -> Result<Department> {
        let name = validate::name("name", &new.name)?;
        let id = write_tx!(self, |tx| {
            if let Some(parent) = new.parent_id {
                if !exists_in_org!(&mut *tx, "departments", org.0, parent.0) {
                    return Err(Error::not_found("Department", parent).into());
                }
            }
            if let Some(head) = new.head_id {
                if !exists_in_org!(&mut *tx, "users", org.0, head.0) {
                    return Err(Error::not_found("User", head).into());
                }
            }
            let taken = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM departments WHERE org_id = $1 \
                 AND COALESCE(parent_id, 0) = COALESCE($2, 0) AND name = $3",
                org.0,
                new.parent_id.map(|p| p.0),
                &name
            );
            if taken > 0 {
                return Err(Error::DuplicateName.into());
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO departments (org_id, name, parent_id, head_user_id, is_active, client_extra, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $6, $5, $7, $7) RETURNING id",
            )
            .bind(org.0)
            .bind(&name)
            .bind(new.parent_id.map(|p| p.0))
            .bind(new.head_id.map(|u| u.0))
            .bind(&new.client_extra)
            .bind(new.is_active)
            .bind(chrono::Utc::now())
            .fetch_one(&mut *tx)
            .await?;
            DeptId(id)
        });
        self.department(org, id).await
    }

    /// Activates or inactivates a department; one with users cannot be inactivated.
    pub async fn set_department_active(&self, org: OrgId, id: DeptId, active: bool) -> Result<()> {
        self.update_department(
            org,
            id,
            DepartmentPatch {
                is_active: Some(active),
                ..Default::default()
            },
        )
        .await
        .map(|_| ())
    }

    /// Changes a department's name, parent, head, active flag or `client_extra`.
    pub async fn update_department(
        &self,
        org: OrgId,
        id: DeptId,
        patch: DepartmentPatch,
    ) -> Result<Department> {
        let name = patch
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?;
        write_tx!(self, |tx| {
            if let Some(Some(_)) = patch.parent_id {
                // Moves of one organization go one at a time: two at once (A under B, B under
                // A) would each pass the cycle check on a tree without the other's move.
                // Updating the organization's row holds its lock on PostgreSQL until commit,
                // so the tree read below sees any move committed meanwhile; SQLite has a
                // single writer anyway.
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
                return Err(Error::not_found("Department", id).into());
            };
            if patch.is_active == Some(false) {
                // Lock the row first (PostgreSQL), so a user being placed here either
                // commits before the count or sees the department inactive.
                sqlx::query("UPDATE departments SET is_active = is_active WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                let users = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM users WHERE department_id = $1",
                    id.0
                );
                rules::check_can_inactivate(users)?;
            }
            if let Some(Some(parent)) = patch.parent_id {
                let tree: Vec<(i64, Option<i64>)> =
                    sqlx::query_as("SELECT id, parent_id FROM departments WHERE org_id = $1")
                        .bind(org.0)
                        .fetch_all(&mut *tx)
                        .await?;
                let parents: HashMap<i64, Option<i64>> = tree.into_iter().collect();
                if !parents.contains_key(&parent.0) {
                    return Err(Error::not_found("Department", parent).into());
                }
                rules::check_parent(id, parent, |d| {
                    parents.get(&d.0).copied().flatten().map(DeptId)
                })?;
            }
            if let Some(Some(head)) = patch.head_id {
                if !exists_in_org!(&mut *tx, "users", org.0, head.0) {
                    return Err(Error::not_found("User", head).into());
                }
            }
            if name.is_some() || patch.parent_id.is_some() {
                let parent = patch
                    .parent_id
                    .map(|p| p.map(|d| d.0))
                    .unwrap_or(current_parent);
                let name = name.clone().unwrap_or(current_name);
                let taken = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM departments WHERE org_id = $1 AND id <> $2 \
                     AND COALESCE(parent_id, 0) = COALESCE($3, 0) AND name = $4",
                    org.0,
                    id.0,
                    parent,
                    &name
                );
                if taken > 0 {
                    return Err(Error::DuplicateName.into());
                }
            }
            sqlx::query(
                "UPDATE departments SET \
                   name = COALESCE($1, name), \
                   parent_id = CASE WHEN $2 THEN $3 ELSE parent_id END, \
                   head_user_id = CASE WHEN $4 THEN $5 ELSE head_user_id END, \
                   is_active = COALESCE($6, is_active), \
                   client_extra = CASE WHEN $7 THEN $8 ELSE client_extra END, \
                   updated_at = $11 \
                 WHERE org_id = $9 AND id = $10",
            )
            .bind(&name)
            .bind(patch.parent_id.is_some())
            .bind(patch.parent_id.flatten().map(|d| d.0))
            .bind(patch.head_id.is_some())
            .bind(patch.head_id.flatten().map(|u| u.0))
            .bind(patch.is_active)
            .bind(patch.client_extra.is_some())
            .bind(patch.client_extra.clone().flatten())
            .bind(org.0)
            .bind(id.0)
            .bind(chrono::Utc::now())
            .execute(&mut *tx)
            .await?;
        });
        self.department(org, id).await
    }

    /// Deletes a department that has neither sub-departments nor users.
    pub async fn delete_department(&self, org: OrgId, id: DeptId) -> Result<()> {
        write_tx!(self, |tx| {
            if !exists_in_org!(&mut *tx, "departments", org.0, id.0) {
                return Err(Error::not_found("Department", id).into());
            }
            let children = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM departments WHERE parent_id = $1",
                id.0
            );
            let users = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM users WHERE department_id = $1",
                id.0
            );
            rules::check_can_delete(children, users)?;
            sqlx::query("DELETE FROM departments WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}
