//! Groups and their members. The system groups' members are derived from the users table,
//! so they can never drift from the users' active and external flags.

use super::{placeholders, GroupRow, UserRow, GROUP_COLUMNS, USER_COLUMNS};
use crate::{Result, Store};
use sluice_domain::identity::{group as rules, Group, SystemGroup, User};
use sluice_domain::{validate, Error, GroupId, OrgId, UserId};

/// Ids bound per `IN (…)` query: far below what SQLite (32766) and PostgreSQL (65535) accept.
const IDS_PER_QUERY: usize = 1000;

/// The ids in their first-seen order, each once.
fn distinct(users: &[UserId]) -> Vec<UserId> {
    let mut seen = std::collections::HashSet::with_capacity(users.len());
    users.iter().copied().filter(|u| seen.insert(u.0)).collect()
}

/// Checks that every id names a user of the organization; the first unknown one, in the
/// order given, is reported. Long lists are checked in chunks, never in one statement.
macro_rules! check_users_in_org {
    ($tx:expr, $org:expr, $users:expr) => {{
        let users: &[UserId] = $users;
        let mut found = std::collections::HashSet::with_capacity(users.len());
        for chunk in users.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "SELECT id FROM users WHERE org_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_scalar::<_, i64>(&sql).bind($org.0);
            for u in chunk {
                q = q.bind(u.0);
            }
            found.extend(q.fetch_all(&mut *$tx).await?);
        }
        if let Some(missing) = users.iter().find(|u| !found.contains(&u.0)) {
            return Err(Error::not_found("User", missing).into());
        }
    }};
}

/// Loads a group of the organization inside a transaction, or fails with not found.
macro_rules! group_in_tx {
    ($tx:expr, $org:expr, $id:expr) => {{
        let sql = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE org_id = $1 AND id = $2 AND kind = 'user'");
        let row: Option<GroupRow> = sqlx::query_as(&sql)
            .bind($org.0)
            .bind($id.0)
            .fetch_optional(&mut *$tx)
            .await?;
        match row {
            Some(r) => Group::from(r),
            None => return Err(Error::not_found("Group", $id).into()),
        }
    }};
}

impl Store {
    /// Every group of an organization, system groups first.
    pub async fn list_groups(&self, org: OrgId) -> Result<Vec<Group>> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE org_id = $1 AND kind = 'user' ORDER BY id"
        );
        let rows: Vec<GroupRow> = read!(self, |db| {
            sqlx::query_as(&sql).bind(org.0).fetch_all(db).await?
        });
        Ok(rows.into_iter().map(Group::from).collect())
    }

    /// One group of an organization.
    pub async fn group(&self, org: OrgId, id: GroupId) -> Result<Group> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE org_id = $1 AND id = $2 AND kind = 'user'"
        );
        let row: Option<GroupRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        row.map(Group::from)
            .ok_or_else(|| Error::not_found("Group", id).into())
    }

    /// Creates a group, optionally with members.
    pub async fn create_group(
        &self,
        org: OrgId,
        name: &str,
        client_extra: Option<String>,
        members: &[UserId],
    ) -> Result<Group> {
        let name = validate::name("name", name)?;
        let members = &distinct(members);
        let id = write_tx!(self, |tx| {
            let taken = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM groups WHERE org_id = $1 AND name = $2",
                org.0,
                &name
            );
            if taken > 0 {
                return Err(Error::DuplicateName.into());
            }
            check_users_in_org!(tx, org, members);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO groups (org_id, name, is_active, client_extra) VALUES ($1, $2, TRUE, $3) RETURNING id",
            )
            .bind(org.0)
            .bind(&name)
            .bind(&client_extra)
            .fetch_one(&mut *tx)
            .await?;
            for u in members {
                sqlx::query(
                    "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(u.0)
                .execute(&mut *tx)
                .await?;
            }
            GroupId(id)
        });
        self.group(org, id).await
    }

    /// Renames a group and/or changes its active flag (`group/update`); system groups refuse.
    pub async fn update_group(
        &self,
        org: OrgId,
        id: GroupId,
        name: Option<String>,
        is_active: Option<bool>,
        client_extra: Option<Option<String>>,
    ) -> Result<Group> {
        let name = name.map(|n| validate::name("name", &n)).transpose()?;
        write_tx!(self, |tx| {
            let group = group_in_tx!(tx, org, id);
            rules::check_editable(&group)?;
            if let Some(name) = &name {
                rules::check_rename(&group, name)?;
                let taken = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM groups WHERE org_id = $1 AND name = $2 AND id <> $3",
                    org.0,
                    name,
                    id.0
                );
                if taken > 0 {
                    return Err(Error::DuplicateName.into());
                }
            }
            sqlx::query(
                "UPDATE groups SET name = COALESCE($1, name), is_active = COALESCE($2, is_active), \
                 client_extra = CASE WHEN $3 THEN $4 ELSE client_extra END WHERE id = $5",
            )
            .bind(&name)
            .bind(is_active)
            .bind(client_extra.is_some())
            .bind(client_extra.clone().flatten())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        });
        self.group(org, id).await
    }

    /// Deletes a group (not a system group); memberships go with it.
    pub async fn delete_group(&self, org: OrgId, id: GroupId) -> Result<()> {
        write_tx!(self, |tx| {
            let group = group_in_tx!(tx, org, id);
            rules::check_editable(&group)?;
            sqlx::query("DELETE FROM groups WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// The members of a group, in user creation order.
    pub async fn group_members(&self, org: OrgId, id: GroupId) -> Result<Vec<User>> {
        let group = self.group(org, id).await?;
        self.members_of(&group).await
    }

    async fn members_of(&self, group: &Group) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = match group.system {
            Some(kind) => {
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND is_active = TRUE \
                     AND is_external = $2 ORDER BY id"
                );
                read!(self, |db| {
                    sqlx::query_as(&sql)
                        .bind(group.org_id.0)
                        .bind(SystemGroup::members_external(kind))
                        .fetch_all(db)
                        .await?
                })
            }
            None => {
                let cols = USER_COLUMNS.replace(", ", ", u.");
                let sql = format!(
                    "SELECT u.{cols} FROM group_members m JOIN users u ON u.id = m.user_id \
                     WHERE m.group_id = $1 ORDER BY u.id"
                );
                read!(self, |db| {
                    sqlx::query_as(&sql).bind(group.id.0).fetch_all(db).await?
                })
            }
        };
        Ok(rows.into_iter().map(User::from).collect())
    }

    /// Adds users to an active, non-system group; returns all its members.
    pub async fn add_group_members(
        &self,
        org: OrgId,
        id: GroupId,
        users: &[UserId],
    ) -> Result<Vec<User>> {
        let users = &distinct(users);
        let group = write_tx!(self, |tx| {
            let group = group_in_tx!(tx, org, id);
            rules::check_can_add_members(&group)?;
            check_users_in_org!(tx, org, users);
            for u in users {
                sqlx::query(
                    "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(id.0)
                .bind(u.0)
                .execute(&mut *tx)
                .await?;
            }
            group
        });
        self.members_of(&group).await
    }

    /// Removes users from a non-system group; returns the remaining members.
    pub async fn remove_group_members(
        &self,
        org: OrgId,
        id: GroupId,
        users: &[UserId],
    ) -> Result<Vec<User>> {
        let users = &distinct(users);
        let group = write_tx!(self, |tx| {
            let group = group_in_tx!(tx, org, id);
            rules::check_editable(&group)?;
            check_users_in_org!(tx, org, users);
            for u in users {
                sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
                    .bind(id.0)
                    .bind(u.0)
                    .execute(&mut *tx)
                    .await?;
            }
            group
        });
        self.members_of(&group).await
    }
}
