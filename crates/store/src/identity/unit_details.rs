//! Units with their e-mail (Questetra's Qgroup): creation under a parent and changes of
//! name, e-mail and parent, each in one transaction.

use super::directory_pages::UnitInfo;
use super::exists_in_org;
use crate::{Result, Store};
use chrono::Utc;
use sluice_domain::identity::department as rules;
use sluice_domain::{validate, DeptId, Error, OrgId, UserId};
use std::collections::HashMap;

/// Changes to a unit; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UnitChange {
    pub name: Option<String>,
    pub email: Option<String>,
    pub parent_id: Option<DeptId>,
}

impl Store {
    /// Creates a unit under `parent` with an e-mail (may be empty); names are unique among
    /// siblings.
    pub async fn create_unit_with_email(
        &self,
        org: OrgId,
        name: &str,
        parent: DeptId,
        email: &str,
        created_by: Option<UserId>,
    ) -> Result<UnitInfo> {
        let name = validate::name("name", name)?;
        let email = validate::email(email, false)?;
        let now = Utc::now();
        let id = write_tx!(self, |tx| {
            if !exists_in_org!(&mut *tx, "departments", org.0, parent.0) {
                return Err(Error::not_found("Unit", parent).into());
            }
            let taken = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM departments WHERE org_id = $1 \
                 AND COALESCE(parent_id, 0) = $2 AND name = $3",
                org.0,
                parent.0,
                &name
            );
            if taken > 0 {
                return Err(Error::DuplicateName.into());
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO departments (org_id, name, parent_id, email, created_by, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(org.0)
            .bind(&name)
            .bind(parent.0)
            .bind(&email)
            .bind(created_by.map(|u| u.0))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            DeptId(id)
        });
        self.unit_info(org, id).await
    }

    /// Renames a unit, changes its e-mail or moves it under another parent (not below
    /// itself).
    pub async fn change_unit(
        &self,
        org: OrgId,
        id: DeptId,
        change: UnitChange,
    ) -> Result<UnitInfo> {
        let name = change
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?;
        let email = change
            .email
            .as_deref()
            .map(|e| validate::email(e, false))
            .transpose()?;
        let now = Utc::now();
        write_tx!(self, |tx| {
            if change.parent_id.is_some() {
                // One move per organization at a time (as departments.rs does): two crossing
                // moves would each pass the cycle check without the other.
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
                return Err(Error::not_found("Unit", id).into());
            };
            if let Some(parent) = change.parent_id {
                let tree: Vec<(i64, Option<i64>)> =
                    sqlx::query_as("SELECT id, parent_id FROM departments WHERE org_id = $1")
                        .bind(org.0)
                        .fetch_all(&mut *tx)
                        .await?;
                let parents: HashMap<i64, Option<i64>> = tree.into_iter().collect();
                if !parents.contains_key(&parent.0) {
                    return Err(Error::not_found("Unit", parent).into());
                }
                rules::check_parent(id, parent, |d| {
                    parents.get(&d.0).copied().flatten().map(DeptId)
                })?;
            }
            let parent = change.parent_id.map(|p| p.0).or(current_parent);
            let new_name = name.clone().unwrap_or(current_name);
            if name.is_some() || change.parent_id.is_some() {
                let taken = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM departments WHERE org_id = $1 AND id <> $2 \
                     AND COALESCE(parent_id, 0) = COALESCE($3, 0) AND name = $4",
                    org.0,
                    id.0,
                    parent,
                    &new_name
                );
                if taken > 0 {
                    return Err(Error::DuplicateName.into());
                }
            }
            sqlx::query(
                "UPDATE departments SET name = $1, parent_id = $2, email = COALESCE($3, email), \
                 updated_at = $4 WHERE org_id = $5 AND id = $6",
            )
            .bind(&new_name)
            .bind(parent)
            .bind(&email)
            .bind(now)
            .bind(org.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        });
        self.unit_info(org, id).await
    }
}
