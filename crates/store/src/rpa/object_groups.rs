//! Permission groups of a project, process flow or outline (Brity
//! `/tenant/api/v1/private/{project|workflow|workspace}/group/{objectId}`): which user
//! groups hold which of the U/R/E/A/D/S authorities over it. Reading them needs R over the
//! object; changing them needs S.

use super::object_access::Authorities;
use crate::oauth::Principal;
use crate::{Result, Store};
use sluice_domain::Error;

/// A user group's grant over one object.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ObjectGroup {
    pub group_id: i64,
    pub name: String,
    pub description: String,
    /// Letters of "UREADS".
    pub authorities: String,
    pub is_admin_group: bool,
    pub is_default_group: bool,
}

impl Store {
    /// The permission groups of an object of `category`, by group name.
    pub async fn object_groups(
        &self,
        caller: &Principal,
        category: &str,
        object_id: &str,
    ) -> Result<Vec<ObjectGroup>> {
        self.project_with_authority(caller, Some(category), object_id, 'R')
            .await?;
        self.object_group_rows(caller, object_id).await
    }

    async fn object_group_rows(
        &self,
        caller: &Principal,
        object_id: &str,
    ) -> Result<Vec<ObjectGroup>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
                "SELECT g.id AS group_id, g.name, g.description, og.authorities, \
                 g.is_admin_group, g.is_default_group FROM rpa_object_groups og \
                 JOIN groups g ON g.id = og.group_id \
                 WHERE og.org_id = $1 AND og.object_id = $2 ORDER BY g.name, g.id",
            )
            .bind(caller.org.id.0)
            .bind(object_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// Adds or replaces the grants of user groups over an object (S authority); every
    /// group must be a user group of the tenant. An S holder may grant only letters they
    /// hold themselves (owners and administrators hold them all), so S cannot be turned
    /// into A, E or D. Returns all the object's groups.
    pub async fn set_object_groups(
        &self,
        caller: &Principal,
        category: &str,
        object_id: &str,
        grants: &[(i64, Authorities)],
    ) -> Result<Vec<ObjectGroup>> {
        let (_, held) = self
            .project_with_authority(caller, Some(category), object_id, 'S')
            .await?;
        for (group, auth) in grants {
            let beyond: String = auth.letters().chars().filter(|c| !held.has(*c)).collect();
            if !beyond.is_empty() {
                return Err(Error::Forbidden(format!(
                    "Group {group}: only authorities you hold may be granted ({beyond} is not yours)."
                ))
                .into());
            }
        }
        let org = caller.org.id.0;
        let ids: Vec<i64> = grants.iter().map(|(g, _)| *g).collect();
        let known: Vec<i64> = read!(self, |db| {
            let mut found = Vec::new();
            // One query for all groups (chunked so the parameter count stays bounded).
            for chunk in ids.chunks(500) {
                let list = (0..chunk.len())
                    .map(|i| format!("${}", i + 2))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "SELECT id FROM groups WHERE org_id = $1 AND kind = 'user' AND id IN ({list})"
                );
                let mut q = sqlx::query_scalar(&sql).bind(org);
                for id in chunk {
                    q = q.bind(*id);
                }
                let rows: Vec<i64> = q.fetch_all(db).await?;
                found.extend(rows);
            }
            found
        });
        if let Some(missing) = ids.iter().find(|id| !known.contains(id)) {
            return Err(Error::not_found("Group", missing).into());
        }
        write_tx!(self, |tx| {
            for (group, auth) in grants {
                sqlx::query(
                    "INSERT INTO rpa_object_groups (org_id, object_id, group_id, authorities) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (object_id, group_id) \
                     DO UPDATE SET authorities = excluded.authorities",
                )
                .bind(org)
                .bind(object_id)
                .bind(group)
                .bind(auth.letters())
                .execute(&mut *tx)
                .await?;
            }
        });
        self.object_group_rows(caller, object_id).await
    }

    /// Removes the grants of user groups over an object (S authority); groups without a
    /// grant are passed over.
    pub async fn delete_object_groups(
        &self,
        caller: &Principal,
        category: &str,
        object_id: &str,
        groups: &[i64],
    ) -> Result<()> {
        self.project_with_authority(caller, Some(category), object_id, 'S')
            .await?;
        let org = caller.org.id.0;
        write_tx!(self, |tx| {
            for group in groups {
                sqlx::query(
                    "DELETE FROM rpa_object_groups WHERE org_id = $1 AND object_id = $2 \
                     AND group_id = $3",
                )
                .bind(org)
                .bind(object_id)
                .bind(group)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }
}
