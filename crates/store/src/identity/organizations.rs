//! Organizations (tenants): creation with their default structure, activation, deletion.

use super::{OrgRow, ORG_COLUMNS};
use crate::{secrets, Result, Store};
use chrono::Utc;
use sluice_domain::identity::{
    check_abbr_available, NewOrganization, Organization, SystemGroup, DEFAULT_DEPARTMENTS,
    DEFAULT_RANKS, DEFAULT_ROOT_DEPARTMENT,
};
use sluice_domain::{validate, Error, OrgId};

impl Store {
    /// Creates an organization with its system groups (and, if asked, the default departments
    /// and ranks). Returns it with its API key, which is stored only as a hash.
    pub async fn create_organization(
        &self,
        new: NewOrganization,
    ) -> Result<(Organization, String)> {
        let name = validate::name("name", &new.name)?;
        let abbr = validate::abbr(&new.abbr)?;
        check_abbr_available(&abbr)?;
        let api_key = secrets::generate_key();
        let key_hash = secrets::hash_key(&api_key);
        let now = Utc::now();
        let org = write_tx!(self, |tx| {
            let taken = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM organizations WHERE name = $1 OR abbr = $2",
                &name,
                &abbr
            );
            if taken > 0 {
                return Err(Error::DuplicateName.into());
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO organizations (name, abbr, api_key_hash, is_active, is_system, \
                 client_extra, created_at) VALUES ($1, $2, $3, TRUE, FALSE, $4, $5) RETURNING id",
            )
            .bind(&name)
            .bind(&abbr)
            .bind(&key_hash)
            .bind(&new.client_extra)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for g in SystemGroup::ALL {
                sqlx::query(
                    "INSERT INTO groups (org_id, name, system_kind, is_active) VALUES ($1, $2, $3, TRUE)",
                )
                .bind(id)
                .bind(g.name())
                .bind(g.code())
                .execute(&mut *tx)
                .await?;
            }
            if new.default_structure {
                let root: i64 = sqlx::query_scalar(
                    "INSERT INTO departments (org_id, name, is_active) VALUES ($1, $2, TRUE) RETURNING id",
                )
                .bind(id)
                .bind(DEFAULT_ROOT_DEPARTMENT)
                .fetch_one(&mut *tx)
                .await?;
                for dept in DEFAULT_DEPARTMENTS {
                    sqlx::query(
                        "INSERT INTO departments (org_id, name, parent_id, is_active) VALUES ($1, $2, $3, TRUE)",
                    )
                    .bind(id)
                    .bind(dept)
                    .bind(root)
                    .execute(&mut *tx)
                    .await?;
                }
                for (rank, level) in DEFAULT_RANKS {
                    sqlx::query(
                        "INSERT INTO ranks (org_id, name, level, is_active) VALUES ($1, $2, $3, TRUE)",
                    )
                    .bind(id)
                    .bind(rank)
                    .bind(level)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            Organization {
                id: OrgId(id),
                name,
                abbr,
                is_active: true,
                is_system: false,
                client_extra: new.client_extra,
                created_at: now,
            }
        });
        Ok((org, api_key))
    }

    /// Every tenant organization (the platform's own is left out), oldest first.
    pub async fn list_organizations(&self) -> Result<Vec<Organization>> {
        let sql =
            format!("SELECT {ORG_COLUMNS} FROM organizations WHERE is_system = FALSE ORDER BY id");
        let rows: Vec<OrgRow> = read!(self, |db| { sqlx::query_as(&sql).fetch_all(db).await? });
        Ok(rows.into_iter().map(Organization::from).collect())
    }

    /// A tenant organization by id.
    pub async fn organization(&self, id: OrgId) -> Result<Organization> {
        let sql =
            format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1 AND is_system = FALSE");
        let row: Option<OrgRow> = read!(self, |db| {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(db).await?
        });
        row.map(Organization::from)
            .ok_or_else(|| Error::not_found("Organization", id).into())
    }

    /// The organization an API key belongs to, if any (active or not).
    pub async fn organization_by_api_key(&self, api_key: &str) -> Result<Option<Organization>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE api_key_hash = $1");
        let hash = secrets::hash_key(api_key);
        // Remembered for `ORG_KEY_TTL`: a round trip fewer per request on PostgreSQL.
        // Unknown keys are never remembered.
        if let Some(org) = self.org_keys.get(&hash) {
            return Ok(Some(org));
        }
        let found = self.organization_by_key_hash(&sql, &hash).await?;
        if let Some(org) = &found {
            self.org_keys.put(hash, org.clone());
        }
        Ok(found)
    }

    async fn organization_by_key_hash(
        &self,
        sql: &str,
        hash: &str,
    ) -> Result<Option<Organization>> {
        // Every OmniBPM request asks this: on SQLite it is read on the request's thread
        // (`crate::inline`), sparing two hand-offs to sqlx's threads and the pool's ping.
        if let Some(reads) = self.inline() {
            return reads.run(|c| {
                crate::inline::first(c, sql, &[&hash], |r| {
                    Ok(Organization {
                        id: OrgId(r.get(0)?),
                        name: r.get(1)?,
                        abbr: r.get(2)?,
                        is_active: r.get(3)?,
                        is_system: r.get(4)?,
                        client_extra: r.get(5)?,
                        created_at: crate::inline::time_req(r, 6)?,
                    })
                })
            });
        }
        let row: Option<OrgRow> = read!(self, |db| {
            sqlx::query_as(sql).bind(hash).fetch_optional(db).await?
        });
        Ok(row.map(Organization::from))
    }

    /// An organization (tenant or the platform's) by its abbreviation.
    pub async fn organization_by_abbr(&self, abbr: &str) -> Result<Option<Organization>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE abbr = $1");
        let row: Option<OrgRow> = read!(self, |db| {
            sqlx::query_as(&sql).bind(abbr).fetch_optional(db).await?
        });
        Ok(row.map(Organization::from))
    }

    /// Activates or inactivates a tenant organization.
    pub async fn set_organization_active(&self, id: OrgId, active: bool) -> Result<()> {
        let done = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE organizations SET is_active = $1 WHERE id = $2 AND is_system = FALSE",
            )
            .bind(active)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        self.org_keys.clear();
        if done == 0 {
            return Err(Error::not_found("Organization", id).into());
        }
        Ok(())
    }

    /// Renames an organization and/or replaces its `client_extra`.
    pub async fn update_organization(
        &self,
        id: OrgId,
        name: Option<String>,
        client_extra: Option<Option<String>>,
    ) -> Result<Organization> {
        let name = name.map(|n| validate::name("name", &n)).transpose()?;
        write_tx!(self, |tx| {
            if let Some(name) = &name {
                let taken = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM organizations WHERE name = $1 AND id <> $2",
                    name,
                    id.0
                );
                if taken > 0 {
                    return Err(Error::DuplicateName.into());
                }
                sqlx::query("UPDATE organizations SET name = $1 WHERE id = $2")
                    .bind(name)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(extra) = &client_extra {
                sqlx::query("UPDATE organizations SET client_extra = $1 WHERE id = $2")
                    .bind(extra)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        self.org_keys.clear();
        self.organization(id).await
    }

    /// Deletes a tenant organization and everything in it.
    pub async fn delete_organization(&self, id: OrgId) -> Result<()> {
        write_tx!(self, |tx| {
            let found = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM organizations WHERE id = $1 AND is_system = FALSE",
                id.0
            );
            if found == 0 {
                return Err(Error::not_found("Organization", id).into());
            }
            // Users and departments refer to each other; delete both before the cascade.
            // Foreign keys are checked at the end of each statement, so one statement each.
            sqlx::query("UPDATE departments SET head_user_id = NULL WHERE org_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM users WHERE org_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM departments WHERE org_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM organizations WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        self.org_keys.clear();
        Ok(())
    }
}
