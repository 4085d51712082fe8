//! Ranks: job grades ordered by level.

use super::{exists_in_org, RankRow, RANK_COLUMNS};
use crate::{Result, Store};
use sluice_domain::identity::{rank as rules, Rank};
use sluice_domain::{validate, Error, OrgId, RankId};

impl Store {
    /// Every rank of an organization, highest (smallest level) first.
    pub async fn list_ranks(&self, org: OrgId) -> Result<Vec<Rank>> {
        let sql = format!("SELECT {RANK_COLUMNS} FROM ranks WHERE org_id = $1 ORDER BY level");
        let rows: Vec<RankRow> = read!(self, |db| {
            sqlx::query_as(&sql).bind(org.0).fetch_all(db).await?
        });
        Ok(rows.into_iter().map(Rank::from).collect())
    }

    /// One rank of an organization.
    pub async fn rank(&self, org: OrgId, id: RankId) -> Result<Rank> {
        let sql = format!("SELECT {RANK_COLUMNS} FROM ranks WHERE org_id = $1 AND id = $2");
        let row: Option<RankRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        row.map(Rank::from)
            .ok_or_else(|| Error::not_found("Rank", id).into())
    }

    /// Creates a rank; its name and level must both be free in the organization.
    pub async fn create_rank(
        &self,
        org: OrgId,
        name: &str,
        level: i64,
        client_extra: Option<String>,
    ) -> Result<Rank> {
        let name = validate::name("name", name)?;
        rules::check_level(level)?;
        let id = write_tx!(self, |tx| {
            let taken = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM ranks WHERE org_id = $1 AND (level = $2 OR name = $3)",
                org.0,
                level,
                &name
            );
            if taken > 0 {
                return Err(Error::DuplicateName.into());
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO ranks (org_id, name, level, is_active, client_extra) \
                 VALUES ($1, $2, $3, TRUE, $4) RETURNING id",
            )
            .bind(org.0)
            .bind(&name)
            .bind(level)
            .bind(&client_extra)
            .fetch_one(&mut *tx)
            .await?;
            RankId(id)
        });
        self.rank(org, id).await
    }

    /// Activates or inactivates a rank; a rank with users cannot be inactivated.
    pub async fn set_rank_active(&self, org: OrgId, id: RankId, active: bool) -> Result<()> {
        write_tx!(self, |tx| {
            if !exists_in_org!(&mut *tx, "ranks", org.0, id.0) {
                return Err(Error::not_found("Rank", id).into());
            }
            if !active {
                // Lock the row first (PostgreSQL), so a user being placed in this rank
                // either commits before the count or sees the rank inactive.
                sqlx::query("UPDATE ranks SET is_active = is_active WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                let users = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM users WHERE rank_id = $1",
                    id.0
                );
                rules::check_empty(users)?;
            }
            sqlx::query("UPDATE ranks SET is_active = $1 WHERE id = $2")
                .bind(active)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Renames a rank and/or replaces its `client_extra` (levels change only by ordering).
    pub async fn update_rank(
        &self,
        org: OrgId,
        id: RankId,
        name: Option<String>,
        client_extra: Option<Option<String>>,
    ) -> Result<Rank> {
        let name = name.map(|n| validate::name("name", &n)).transpose()?;
        write_tx!(self, |tx| {
            if !exists_in_org!(&mut *tx, "ranks", org.0, id.0) {
                return Err(Error::not_found("Rank", id).into());
            }
            if let Some(name) = &name {
                let taken = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM ranks WHERE org_id = $1 AND name = $2 AND id <> $3",
                    org.0,
                    name,
                    id.0
                );
                if taken > 0 {
                    return Err(Error::DuplicateName.into());
                }
            }
            sqlx::query(
                "UPDATE ranks SET name = COALESCE($1, name), \
                 client_extra = CASE WHEN $2 THEN $3 ELSE client_extra END WHERE id = $4",
            )
            .bind(&name)
            .bind(client_extra.is_some())
            .bind(client_extra.clone().flatten())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        });
        self.rank(org, id).await
    }

    /// Deletes a rank that no user holds.
    pub async fn delete_rank(&self, org: OrgId, id: RankId) -> Result<()> {
        write_tx!(self, |tx| {
            if !exists_in_org!(&mut *tx, "ranks", org.0, id.0) {
                return Err(Error::not_found("Rank", id).into());
            }
            let users = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM users WHERE rank_id = $1",
                id.0
            );
            rules::check_empty(users)?;
            sqlx::query("DELETE FROM ranks WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Reorders every rank of the organization, highest first (`rank/order`).
    pub async fn order_ranks(&self, org: OrgId, order: &[RankId]) -> Result<()> {
        let sql = format!("SELECT {RANK_COLUMNS} FROM ranks WHERE org_id = $1");
        write_tx!(self, |tx| {
            let rows: Vec<RankRow> = sqlx::query_as(&sql).bind(org.0).fetch_all(&mut *tx).await?;
            let ranks: Vec<Rank> = rows.into_iter().map(Rank::from).collect();
            let mut plan = rules::plan_order(&ranks, order)?;
            // Park each ordered rank on the negative of its new level, then flip them all, so
            // the unique (org, level) index never sees two ranks on one level while they swap.
            // Only the ranks read above are touched: a rank created meanwhile keeps its own
            // (distinct) level rather than being parked below zero and left there. Rows are
            // locked in id order, so two concurrent orders cannot deadlock.
            plan.sort_unstable_by_key(|(id, _)| id.0);
            for (id, level) in plan {
                sqlx::query("UPDATE ranks SET level = $1 WHERE org_id = $2 AND id = $3")
                    .bind(-level)
                    .bind(org.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE ranks SET level = -level WHERE org_id = $1 AND level < 0")
                .bind(org.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}
