//! Brity's group mappings: users in user groups (`group_members`, the membership every
//! dialect sees), bots in bot groups (`bot_group_bots`) and bot groups under user groups with
//! U (use: run jobs on their bots), R (read) and M (monitor) authorities
//! (`user_group_bot_groups.authorities`, the held letters in the order "URM"). Each call is
//! one transaction; ids are looked up in batches, never one query per id.

use super::groups::{of_kind, rpa_group_in_tx, GroupKind, RpaGroup};
use crate::identity::placeholders;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::identity::group as rules;
use sluice_domain::{Error, GroupId, OrgId, UserId};
use std::collections::{HashMap, HashSet};

/// Ids bound per `IN (…)` list or multi-row `VALUES`: far below both backends' limits.
const IDS_PER_QUERY: usize = 500;

/// Most entries one mapping request may carry.
pub const MAX_MAPPINGS: usize = 1000;

/// A user group's authorities over a bot group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BotGroupAuthority {
    /// U: run jobs on the group's bots (and change what they run).
    pub update: bool,
    /// R: see the group's bots.
    pub read: bool,
    /// M: monitor the group's bots.
    pub monitor: bool,
}

impl BotGroupAuthority {
    /// The held letters in the order "URM".
    pub fn letters(self) -> String {
        [(self.update, 'U'), (self.read, 'R'), (self.monitor, 'M')]
            .into_iter()
            .filter_map(|(held, c)| held.then_some(c))
            .collect()
    }

    /// The authorities named by stored letters.
    pub fn parse(letters: &str) -> Self {
        BotGroupAuthority {
            update: letters.contains('U'),
            read: letters.contains('R'),
            monitor: letters.contains('M'),
        }
    }
}

/// A bot group mapped under a user group.
#[derive(Debug, Clone, PartialEq)]
pub struct BotGroupGrant {
    pub user_group: GroupId,
    pub bot_group: GroupId,
    pub authority: BotGroupAuthority,
    /// Login of who mapped it, if known.
    pub created_by: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    group_id: i64,
    bot_group_id: i64,
    authorities: String,
    created_by: Option<String>,
    created_at: Option<DateTime<Utc>>,
}

/// A login as compared for sign-in, character by character (as PostgreSQL's `lower()`).
fn fold(login: &str) -> String {
    login.chars().flat_map(char::to_lowercase).collect()
}

/// The items in their first-seen order, each once (by `key`).
fn distinct<T: Clone, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen = HashSet::with_capacity(items.len());
    items
        .iter()
        .filter(|i| seen.insert(key(i)))
        .cloned()
        .collect()
}

fn check_count(n: usize) -> Result<()> {
    if n > MAX_MAPPINGS {
        return Err(Error::invalid(format!(
            "At most {MAX_MAPPINGS} entries may be mapped at once."
        ))
        .into());
    }
    Ok(())
}

/// The `(id, login)` of each login (without regard to case) of the organization, in the
/// order given; the first unknown one fails with not found.
macro_rules! resolve_logins {
    ($tx:expr, $org:expr, $logins:expr) => {{
        let logins: &[String] = $logins;
        let mut found: HashMap<String, (i64, String)> = HashMap::new();
        for chunk in logins.chunks(IDS_PER_QUERY) {
            let lowered: Vec<String> = (2..2 + chunk.len()).map(|i| format!("lower(${i})")).collect();
            let sql = format!(
                "SELECT id, login FROM users WHERE org_id = $1 AND lower(login) IN ({}) ORDER BY id",
                lowered.join(", ")
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql).bind($org.0);
            for l in chunk {
                q = q.bind(l);
            }
            for (id, login) in q.fetch_all(&mut *$tx).await? {
                found.entry(fold(&login)).or_insert((id, login));
            }
        }
        // SQLite's lower() folds ASCII letters only: a login with other letters in another
        // case is found by folding every login of the organization here.
        if logins.iter().any(|l| !l.is_ascii() && !found.contains_key(&fold(l))) {
            let all: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, login FROM users WHERE org_id = $1 ORDER BY id")
                    .bind($org.0)
                    .fetch_all(&mut *$tx)
                    .await?;
            for (id, login) in all {
                found.entry(fold(&login)).or_insert((id, login));
            }
        }
        let mut out = Vec::with_capacity(logins.len());
        for l in logins {
            match found.get(&fold(l)) {
                Some(v) => out.push(v.clone()),
                None => return Err(Error::not_found("User", l).into()),
            }
        }
        out
    }};
}

/// Checks that every bot id is a bot of the organization; the first unknown one fails.
macro_rules! check_bots {
    ($tx:expr, $org:expr, $bots:expr) => {{
        let bots: &[String] = $bots;
        let mut found = HashSet::with_capacity(bots.len());
        for chunk in bots.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "SELECT id FROM bots WHERE org_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_scalar::<_, String>(&sql).bind($org.0);
            for b in chunk {
                q = q.bind(b);
            }
            found.extend(q.fetch_all(&mut *$tx).await?);
        }
        if let Some(missing) = bots.iter().find(|b| !found.contains(*b)) {
            return Err(Error::not_found("Bot", missing).into());
        }
    }};
}

/// Checks that every id is a bot group of the organization; the first unknown one fails.
macro_rules! check_bot_groups {
    ($tx:expr, $org:expr, $ids:expr) => {{
        let ids: &[GroupId] = $ids;
        let mut found = HashSet::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "SELECT id FROM groups WHERE org_id = $1 AND kind = 'bot' AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_scalar::<_, i64>(&sql).bind($org.0);
            for g in chunk {
                q = q.bind(g.0);
            }
            found.extend(q.fetch_all(&mut *$tx).await?);
        }
        if let Some(missing) = ids.iter().find(|g| !found.contains(&g.0)) {
            return Err(Error::not_found(GroupKind::Bot.noun(), missing).into());
        }
    }};
}

impl Store {
    /// Adds users (by login) to an active user group the system does not maintain. Returns
    /// the group and the users' logins as stored, in the order given (each once).
    pub async fn map_users_to_group(
        &self,
        org: OrgId,
        group: GroupId,
        logins: &[String],
    ) -> Result<(RpaGroup, Vec<String>)> {
        let logins = distinct(logins, |l| fold(l));
        check_count(logins.len())?;
        let (row, users) = write_tx!(self, |tx| {
            let row = of_kind(
                rpa_group_in_tx!(tx, org, group),
                Some(GroupKind::User),
                group,
            )?;
            rules::check_can_add_members(&row.as_group())?;
            let users = resolve_logins!(tx, org, &logins);
            let ids = distinct(&users, |u| u.0);
            for chunk in ids.chunks(IDS_PER_QUERY) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| format!("($1, ${})", i + 2))
                    .collect();
                let sql = format!(
                    "INSERT INTO group_members (group_id, user_id) VALUES {} ON CONFLICT DO NOTHING",
                    values.join(", ")
                );
                let mut q = sqlx::query(&sql).bind(group.0);
                for (id, _) in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await?;
            }
            (row, users)
        });
        Ok((
            RpaGroup::from(row),
            users.into_iter().map(|(_, login)| login).collect(),
        ))
    }

    /// Removes users (by login) from a user group the system does not maintain; users who
    /// are not members are left as they are.
    pub async fn unmap_users_from_group(
        &self,
        org: OrgId,
        group: GroupId,
        logins: &[String],
    ) -> Result<()> {
        let logins = distinct(logins, |l| fold(l));
        check_count(logins.len())?;
        write_tx!(self, |tx| {
            let row = of_kind(
                rpa_group_in_tx!(tx, org, group),
                Some(GroupKind::User),
                group,
            )?;
            rules::check_editable(&row.as_group())?;
            let users = resolve_logins!(tx, org, &logins);
            let ids: Vec<UserId> = users.iter().map(|(id, _)| UserId(*id)).collect();
            for chunk in ids.chunks(IDS_PER_QUERY) {
                let sql = format!(
                    "DELETE FROM group_members WHERE group_id = $1 AND user_id IN ({})",
                    placeholders(2, chunk.len())
                );
                let mut q = sqlx::query(&sql).bind(group.0);
                for id in chunk {
                    q = q.bind(id.0);
                }
                q.execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Adds bots (by id) to a bot group. Returns the group and the bot ids, each once.
    pub async fn map_bots_to_group(
        &self,
        org: OrgId,
        group: GroupId,
        bots: &[String],
    ) -> Result<(RpaGroup, Vec<String>)> {
        let bots = distinct(bots, |b| b.clone());
        check_count(bots.len())?;
        let row = write_tx!(self, |tx| {
            let row = of_kind(
                rpa_group_in_tx!(tx, org, group),
                Some(GroupKind::Bot),
                group,
            )?;
            check_bots!(tx, org, &bots);
            for chunk in bots.chunks(IDS_PER_QUERY) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| format!("($1, $2, ${})", i + 3))
                    .collect();
                let sql = format!(
                    "INSERT INTO bot_group_bots (org_id, bot_group_id, bot_id) VALUES {} \
                     ON CONFLICT DO NOTHING",
                    values.join(", ")
                );
                let mut q = sqlx::query(&sql).bind(org.0).bind(group.0);
                for b in chunk {
                    q = q.bind(b);
                }
                q.execute(&mut *tx).await?;
            }
            row
        });
        Ok((RpaGroup::from(row), bots))
    }

    /// Removes bots (by id) from a bot group; bots not in it are left as they are.
    pub async fn unmap_bots_from_group(
        &self,
        org: OrgId,
        group: GroupId,
        bots: &[String],
    ) -> Result<()> {
        let bots = distinct(bots, |b| b.clone());
        check_count(bots.len())?;
        write_tx!(self, |tx| {
            of_kind(
                rpa_group_in_tx!(tx, org, group),
                Some(GroupKind::Bot),
                group,
            )?;
            check_bots!(tx, org, &bots);
            for chunk in bots.chunks(IDS_PER_QUERY) {
                let sql = format!(
                    "DELETE FROM bot_group_bots WHERE bot_group_id = $1 AND bot_id IN ({})",
                    placeholders(2, chunk.len())
                );
                let mut q = sqlx::query(&sql).bind(group.0);
                for b in chunk {
                    q = q.bind(b);
                }
                q.execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Maps bot groups under a user group with the given authorities (a bot group mapped
    /// already gets the new authorities; when one is listed twice, the last entry counts).
    /// Returns the mappings in the order given.
    pub async fn map_bot_groups_to_user_group(
        &self,
        org: OrgId,
        group: GroupId,
        actor: Option<UserId>,
        grants: &[(GroupId, BotGroupAuthority)],
    ) -> Result<Vec<BotGroupGrant>> {
        let last: HashMap<i64, BotGroupAuthority> = grants.iter().map(|(g, a)| (g.0, *a)).collect();
        let ids: Vec<GroupId> = distinct(grants, |(g, _)| g.0)
            .into_iter()
            .map(|(g, _)| g)
            .collect();
        check_count(ids.len())?;
        let now = Utc::now();
        let rows: Vec<GrantRow> = write_tx!(self, |tx| {
            of_kind(
                rpa_group_in_tx!(tx, org, group),
                Some(GroupKind::User),
                group,
            )?;
            check_bot_groups!(tx, org, &ids);
            let mut rows = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(IDS_PER_QUERY / 2) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| format!("($1, $2, ${}, ${}, $3, $4)", 5 + 2 * i, 6 + 2 * i))
                    .collect();
                let sql = format!(
                    "INSERT INTO user_group_bot_groups \
                     (org_id, group_id, bot_group_id, authorities, created_by, created_at) \
                     VALUES {} ON CONFLICT (group_id, bot_group_id) \
                     DO UPDATE SET authorities = excluded.authorities",
                    values.join(", ")
                );
                let mut q = sqlx::query(&sql)
                    .bind(org.0)
                    .bind(group.0)
                    .bind(actor.map(|a| a.0))
                    .bind(now);
                for g in chunk {
                    q = q.bind(g.0).bind(last[&g.0].letters());
                }
                q.execute(&mut *tx).await?;
                let sql = format!(
                    "SELECT ub.group_id, ub.bot_group_id, ub.authorities, u.login AS created_by, \
                     ub.created_at FROM user_group_bot_groups ub \
                     LEFT JOIN users u ON u.id = ub.created_by \
                     WHERE ub.group_id = $1 AND ub.bot_group_id IN ({})",
                    placeholders(2, chunk.len())
                );
                let mut q = sqlx::query_as::<_, GrantRow>(&sql).bind(group.0);
                for g in chunk {
                    q = q.bind(g.0);
                }
                rows.extend(q.fetch_all(&mut *tx).await?);
            }
            rows
        });
        let mut by_bot_group: HashMap<i64, GrantRow> =
            rows.into_iter().map(|r| (r.bot_group_id, r)).collect();
        Ok(ids
            .iter()
            .filter_map(|g| by_bot_group.remove(&g.0))
            .map(|r| BotGroupGrant {
                user_group: GroupId(r.group_id),
                bot_group: GroupId(r.bot_group_id),
                authority: BotGroupAuthority::parse(&r.authorities),
                created_by: r.created_by,
                created_at: r.created_at,
            })
            .collect())
    }

    /// Unmaps bot groups from a user group; bot groups not mapped are left as they are.
    pub async fn unmap_bot_groups_from_user_group(
        &self,
        org: OrgId,
        group: GroupId,
        bot_groups: &[GroupId],
    ) -> Result<()> {
        let ids = distinct(bot_groups, |g| g.0);
        check_count(ids.len())?;
        write_tx!(self, |tx| {
            of_kind(
                rpa_group_in_tx!(tx, org, group),
                Some(GroupKind::User),
                group,
            )?;
            check_bot_groups!(tx, org, &ids);
            for chunk in ids.chunks(IDS_PER_QUERY) {
                let sql = format!(
                    "DELETE FROM user_group_bot_groups WHERE group_id = $1 AND bot_group_id IN ({})",
                    placeholders(2, chunk.len())
                );
                let mut q = sqlx::query(&sql).bind(group.0);
                for g in chunk {
                    q = q.bind(g.0);
                }
                q.execute(&mut *tx).await?;
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_round_trip_in_urm_order() {
        let a = BotGroupAuthority {
            update: true,
            read: false,
            monitor: true,
        };
        assert_eq!(a.letters(), "UM");
        assert_eq!(BotGroupAuthority::parse("MU"), a);
        assert_eq!(BotGroupAuthority::default().letters(), "");
    }

    #[test]
    fn distinct_keeps_the_first_of_each() {
        let v = vec!["Ana".to_string(), "bo".into(), "ANA".into()];
        assert_eq!(
            distinct(&v, |l| fold(l)),
            vec!["Ana".to_string(), "bo".into()]
        );
    }
}
