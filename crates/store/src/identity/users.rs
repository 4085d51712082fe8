//! Users: creation, update, activation, deletion and the all-or-nothing bulk import.

use super::{exists_in_org, UserRow, USER_COLUMNS};
use crate::{secrets, Result, Store};
use chrono::Utc;
use sluice_domain::identity::{user as rules, NewUser, Password, User, UserPatch};
use sluice_domain::{validate, DeptId, Error, OrgId, RankId, UserId};

/// One user of `organization/importusers`: created, or updated when the login exists.
#[derive(Debug, Clone)]
pub struct ImportedUser {
    pub user: NewUser,
}

/// Hashes a password off the async threads (argon2 takes tens of milliseconds).
async fn hash(password: Option<&Password>) -> Result<Option<String>> {
    let Some(p) = password else { return Ok(None) };
    validate::password(&p.0)?;
    let clear = p.0.clone();
    let hashed = tokio::task::spawn_blocking(move || secrets::hash_password(&clear))
        .await
        .map_err(|e| crate::Error::Unexpected(e.into()))?;
    Ok(Some(hashed))
}

/// Applies the field rules to a new user.
fn checked(mut u: NewUser) -> Result<NewUser> {
    u.login = validate::login(&u.login)?;
    u.display_name = validate::name("display_name", &u.display_name)?;
    u.email = validate::email(&u.email, false)?;
    u.person.check()?;
    Ok(u)
}

/// A login as compared for uniqueness and sign-in: lower-cased character by character, as
/// PostgreSQL's `lower()` does. SQLite's `lower()` folds ASCII letters only, so logins with
/// other characters are compared here rather than in SQL.
fn fold(login: &str) -> String {
    login.chars().flat_map(char::to_lowercase).collect()
}

/// Whether the login has a letter with case outside ASCII (`é`, not `王`), which SQLite's
/// `lower()` would leave as it is.
fn has_non_ascii_case(login: &str) -> bool {
    login.chars().any(|c| {
        !c.is_ascii()
            && (c.to_lowercase().ne(std::iter::once(c)) || c.to_uppercase().ne(std::iter::once(c)))
    })
}

/// The id of the organization's user whose login equals `$login` without regard to case.
macro_rules! user_id_by_login {
    ($ex:expr, $org:expr, $login:expr) => {{
        let login: &str = $login;
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE org_id = $1 AND lower(login) = lower($2) ORDER BY id",
        )
        .bind($org.0)
        .bind(login)
        .fetch_optional($ex)
        .await?;
        match found {
            Some(id) => Some(id),
            None if !has_non_ascii_case(login) => None,
            None => {
                let key = fold(login);
                let all: Vec<(i64, String)> =
                    sqlx::query_as("SELECT id, login FROM users WHERE org_id = $1 ORDER BY id")
                        .bind($org.0)
                        .fetch_all($ex)
                        .await?;
                all.into_iter()
                    .find(|(_, l)| fold(l) == key)
                    .map(|(id, _)| id)
            }
        }
    }};
}

/// The rank (and [`check_department!`] the department) must exist in the organization and
/// be active. `$lock` is [`Store::for_share`]: on PostgreSQL the row stays share-locked
/// until commit, so an inactivation (which locks the row before counting its users) waits
/// for this user or this user waits for it, and never both pass.
macro_rules! check_rank {
    ($tx:expr, $lock:expr, $org:expr, $rank:expr) => {{
        let active: Option<bool> = sqlx::query_scalar(&format!(
            "SELECT is_active FROM ranks WHERE org_id = $1 AND id = $2{}",
            $lock
        ))
        .bind($org.0)
        .bind($rank.0)
        .fetch_optional(&mut *$tx)
        .await?;
        match active {
            None => return Err(Error::not_found("Rank", $rank).into()),
            Some(false) => {
                return Err(Error::conflict(format!("Rank {} is inactive.", $rank)).into())
            }
            Some(true) => {}
        }
    }};
}

/// See [`check_rank!`].
macro_rules! check_department {
    ($tx:expr, $lock:expr, $org:expr, $dept:expr) => {{
        let active: Option<bool> = sqlx::query_scalar(&format!(
            "SELECT is_active FROM departments WHERE org_id = $1 AND id = $2{}",
            $lock
        ))
        .bind($org.0)
        .bind($dept.0)
        .fetch_optional(&mut *$tx)
        .await?;
        match active {
            None => return Err(Error::not_found("Department", $dept).into()),
            Some(false) => {
                return Err(Error::conflict(format!("Department {} is inactive.", $dept)).into())
            }
            Some(true) => {}
        }
    }};
}

/// Inserts one checked and placed user with an already hashed password; returns its id.
/// An administrator also gets the direct system-administrator authority row (0003).
macro_rules! insert_user {
    ($tx:expr, $org:expr, $u:expr, $hash:expr) => {{
        let u = $u;
        let p = &u.person;
        let now = Utc::now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (org_id, login, display_name, email, password_hash, is_active, \
             is_external, is_admin, rank_id, department_id, client_extra, created_at, \
             first_name, last_name, title, job_title, number, icon, manager_id, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
        )
        .bind($org.0)
        .bind(&u.login)
        .bind(&u.display_name)
        .bind(&u.email)
        .bind($hash)
        .bind(u.is_active)
        .bind(u.is_external)
        .bind(u.is_admin)
        .bind(u.rank_id.map(|r| r.0))
        .bind(u.department_id.map(|d| d.0))
        .bind(&u.client_extra)
        .bind(now)
        .bind(p.first_name.as_deref().unwrap_or_default())
        .bind(p.last_name.as_deref().unwrap_or_default())
        .bind(p.title.as_deref().unwrap_or_default())
        .bind(p.job_title.as_deref().unwrap_or_default())
        .bind(p.number.as_deref().unwrap_or_default())
        .bind(p.icon.as_deref().unwrap_or_default())
        .bind(p.manager_id.flatten().map(|m| m.0))
        .bind(u.created_by.map(|c| c.0))
        .fetch_one(&mut *$tx)
        .await?;
        if u.is_admin {
            sqlx::query(
                "INSERT INTO system_authorities (org_id, kind, user_id, created_at) \
                 VALUES ($1, 0, $2, $3)",
            )
            .bind($org.0)
            .bind(id)
            .bind(now)
            .execute(&mut *$tx)
            .await?;
        }
        UserId(id)
    }};
}

impl Store {
    /// Every user of an organization, in creation order.
    pub async fn list_users(&self, org: OrgId) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY id");
        let rows: Vec<UserRow> = read!(self, |db| {
            sqlx::query_as(&sql).bind(org.0).fetch_all(db).await?
        });
        Ok(rows.into_iter().map(User::from).collect())
    }

    /// One user of an organization.
    pub async fn user(&self, org: OrgId, id: UserId) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2");
        let row: Option<UserRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        row.map(User::from)
            .ok_or_else(|| Error::not_found("User", id).into())
    }

    /// A user by login (case-insensitive), with the stored password hash.
    pub(crate) async fn user_with_password(
        &self,
        org: OrgId,
        login: &str,
    ) -> Result<Option<(User, Option<String>)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE org_id = $1 AND id = $2"
        );
        let row: Option<(UserRow, Option<String>)> = read!(self, |db| {
            let Some(id) = user_id_by_login!(db, org, login) else {
                return Ok(None);
            };
            let found = sqlx::query(&sql)
                .bind(org.0)
                .bind(id)
                .fetch_optional(db)
                .await?;
            match found {
                Some(r) => {
                    use sqlx::{FromRow, Row};
                    Some((UserRow::from_row(&r)?, r.try_get("password_hash")?))
                }
                None => None,
            }
        });
        Ok(row.map(|(u, h)| (User::from(u), h)))
    }

    /// Creates a user; login unique in the organization, rank and department active.
    pub async fn create_user(&self, org: OrgId, new: NewUser) -> Result<User> {
        let new = checked(new)?;
        let password_hash = hash(new.password.as_ref()).await?;
        let id = write_tx!(self, |tx| {
            if let Some(by) = new.created_by {
                if !exists_in_org!(&mut *tx, "users", org.0, by.0) {
                    return Err(Error::not_found("User", by).into());
                }
            }
            if let Some(m) = new.person.manager_id.flatten() {
                if !exists_in_org!(&mut *tx, "users", org.0, m.0) {
                    return Err(Error::not_found("User", m).into());
                }
            }
            if let Some(rank) = new.rank_id {
                check_rank!(tx, self.for_share(), org, rank);
            }
            if let Some(dept) = new.department_id {
                check_department!(tx, self.for_share(), org, dept);
            }
            if user_id_by_login!(&mut *tx, org, &new.login).is_some() {
                return Err(Error::DuplicateName.into());
            }
            insert_user!(tx, org, &new, &password_hash)
        });
        self.user(org, id).await
    }

    /// Changes the fields `user/update` allows.
    pub async fn update_user(&self, org: OrgId, id: UserId, patch: UserPatch) -> Result<User> {
        let display_name = patch
            .display_name
            .as_deref()
            .map(|n| validate::name("display_name", n))
            .transpose()?;
        let email = patch
            .email
            .as_deref()
            .map(|e| validate::email(e, false))
            .transpose()?;
        let password_hash = hash(patch.password.as_ref()).await?;
        write_tx!(self, |tx| {
            let current: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
                "SELECT rank_id, department_id FROM users WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((rank, dept)) = current else {
                return Err(Error::not_found("User", id).into());
            };
            if patch.rank_id.is_some() || patch.department_id.is_some() {
                let rank = patch.rank_id.or(rank.map(RankId));
                let dept = patch.department_id.or(dept.map(DeptId));
                if let Some(rank) = rank {
                    check_rank!(tx, self.for_share(), org, rank);
                }
                if let Some(dept) = dept {
                    check_department!(tx, self.for_share(), org, dept);
                }
            }
            sqlx::query(
                "UPDATE users SET display_name = COALESCE($1, display_name), \
                   email = COALESCE($2, email), \
                   password_hash = COALESCE($3, password_hash), \
                   is_active = COALESCE($4, is_active), \
                   rank_id = COALESCE($5, rank_id), \
                   department_id = COALESCE($6, department_id), \
                   client_extra = CASE WHEN $7 THEN $8 ELSE client_extra END \
                 WHERE id = $9",
            )
            .bind(&display_name)
            .bind(&email)
            .bind(&password_hash)
            .bind(patch.is_active)
            .bind(patch.rank_id.map(|r| r.0))
            .bind(patch.department_id.map(|d| d.0))
            .bind(patch.client_extra.is_some())
            .bind(patch.client_extra.clone().flatten())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        });
        self.user(org, id).await
    }

    /// Activates or inactivates a user.
    pub async fn set_user_active(&self, org: OrgId, id: UserId, active: bool) -> Result<()> {
        let patch = UserPatch {
            is_active: Some(active),
            ..Default::default()
        };
        self.update_user(org, id, patch).await.map(|_| ())
    }

    /// Deletes a user who heads no department; group memberships go with the user.
    pub async fn delete_user(&self, org: OrgId, id: UserId) -> Result<()> {
        write_tx!(self, |tx| {
            if !exists_in_org!(&mut *tx, "users", org.0, id.0) {
                return Err(Error::not_found("User", id).into());
            }
            let headed: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM departments WHERE head_user_id = $1 ORDER BY id",
            )
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
            rules::check_can_delete(&headed)?;
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Creates or updates (matched by login) every listed user in one transaction: if any
    /// entry is refused, nothing is written. Returns the ids in the order given.
    pub async fn import_users(&self, org: OrgId, users: Vec<ImportedUser>) -> Result<Vec<UserId>> {
        let mut prepared = Vec::with_capacity(users.len());
        let mut seen = std::collections::HashSet::new();
        for (i, entry) in users.into_iter().enumerate() {
            let at = |e: crate::Error| match e {
                crate::Error::Domain(d) => crate::Error::Domain(prefix(i, d)),
                other => other,
            };
            let mut u = checked(entry.user).map_err(at)?;
            u.email = validate::email(&u.email, true).map_err(|e| at(e.into()))?;
            if !seen.insert(fold(&u.login)) {
                return Err(
                    prefix(i, Error::invalid("the username appears twice in the list.")).into(),
                );
            }
            let hashed = hash(u.password.as_ref()).await.map_err(at)?;
            prepared.push((u, hashed));
        }
        let ids = write_tx!(self, |tx| {
            // Every login of the organization, loaded once (folded the way SQL cannot on
            // SQLite); the batch's logins are distinct, so it needs no update as users are added.
            let all: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, login FROM users WHERE org_id = $1 ORDER BY id DESC")
                    .bind(org.0)
                    .fetch_all(&mut *tx)
                    .await?;
            let by_login: std::collections::HashMap<String, i64> =
                all.into_iter().map(|(id, l)| (fold(&l), id)).collect();
            let mut ids = Vec::with_capacity(prepared.len());
            for (i, (u, hashed)) in prepared.iter().enumerate() {
                let existing = by_login.get(&fold(&u.login)).copied();
                let placed: Result<()> = async {
                    if let Some(rank) = u.rank_id {
                        check_rank!(tx, self.for_share(), org, rank);
                    }
                    if let Some(dept) = u.department_id {
                        check_department!(tx, self.for_share(), org, dept);
                    }
                    Ok(())
                }
                .await;
                placed.map_err(|e| match e {
                    crate::Error::Domain(d) => crate::Error::Domain(prefix(i, d)),
                    other => other,
                })?;
                let id = match existing {
                    Some(id) => {
                        sqlx::query(
                            "UPDATE users SET display_name = $1, email = $2, is_active = $3, \
                             is_external = $4, rank_id = $5, department_id = $6, \
                             password_hash = COALESCE($7, password_hash) WHERE id = $8",
                        )
                        .bind(&u.display_name)
                        .bind(&u.email)
                        .bind(u.is_active)
                        .bind(u.is_external)
                        .bind(u.rank_id.map(|r| r.0))
                        .bind(u.department_id.map(|d| d.0))
                        .bind(hashed)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        UserId(id)
                    }
                    None => insert_user!(tx, org, u, hashed),
                };
                ids.push(id);
            }
            ids
        });
        Ok(ids)
    }
}

/// Names the failing entry of a bulk request in its message.
fn prefix(i: usize, e: Error) -> Error {
    match e {
        Error::Invalid(m) => Error::Invalid(format!("users[{i}]: {m}")),
        Error::NotFound(m) => Error::NotFound(format!("users[{i}]: {m}")),
        Error::Conflict(m) => Error::Conflict(format!("users[{i}]: {m}")),
        other => other,
    }
}
