//! People: users with their person details (names, titles, icon, manager, dates), read one
//! at a time or by id lists, and updated in one transaction with the account fields a
//! dialect that shows people may change (active flag, password).

use super::{placeholders, UserRow};
use crate::{secrets, Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::identity::{person, Password, Person, PersonPatch, Profile, User};
use sluice_domain::{validate, Error, OrgId, UserId};

#[derive(sqlx::FromRow)]
pub(crate) struct ProfileRow {
    #[sqlx(flatten)]
    user: UserRow,
    first_name: String,
    last_name: String,
    title: String,
    job_title: String,
    number: String,
    icon: String,
    manager_id: Option<i64>,
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
    last_login_at: Option<DateTime<Utc>>,
}

impl From<ProfileRow> for Profile {
    fn from(r: ProfileRow) -> Self {
        Profile {
            user: User::from(r.user),
            person: Person {
                first_name: r.first_name,
                last_name: r.last_name,
                title: r.title,
                job_title: r.job_title,
                number: r.number,
                icon: r.icon,
                manager_id: r.manager_id.map(UserId),
                created_by: r.created_by.map(UserId),
                created_at: Some(r.created_at),
                updated_at: r.updated_at,
                last_login_at: r.last_login_at,
            },
        }
    }
}

/// `SELECT` of a profile from `users u` (append `WHERE …`).
pub(crate) const PROFILE_SELECT: &str = "SELECT u.id, u.org_id, u.login, u.display_name, \
     u.email, u.is_active, u.is_external, u.is_admin, u.rank_id, u.department_id, \
     u.client_extra, u.first_name, u.last_name, u.title, u.job_title, u.number, u.icon, \
     u.manager_id, u.created_by, u.created_at, u.updated_at, u.last_login_at FROM users u";

/// Changes to a person and their account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub person: PersonPatch,
    pub is_active: Option<bool>,
    pub password: Option<Password>,
    /// Recompute the display name as `first last` (dialects that send first and last names).
    pub display_name_from_names: bool,
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

impl Store {
    /// One user of the organization with person details.
    pub async fn profile(&self, org: OrgId, id: UserId) -> Result<Profile> {
        self.profiles_by_ids(org, &[id])
            .await?
            .pop()
            .ok_or_else(|| Error::not_found("User", id).into())
    }

    /// The organization's users among `ids` with person details, in id order (unknown ids
    /// are left out). One query per thousand ids.
    pub async fn profiles_by_ids(&self, org: OrgId, ids: &[UserId]) -> Result<Vec<Profile>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let sql = format!(
                "{PROFILE_SELECT} WHERE u.org_id = $1 AND u.id IN ({}) ORDER BY u.id",
                placeholders(2, chunk.len())
            );
            let rows: Vec<ProfileRow> = read!(self, |db| {
                let mut q = sqlx::query_as(&sql).bind(org.0);
                for id in chunk {
                    q = q.bind(id.0);
                }
                q.fetch_all(db).await?
            });
            out.extend(rows.into_iter().map(Profile::from));
        }
        Ok(out)
    }

    /// Updates person details, the active flag and the password in one transaction. A new
    /// manager must be of the organization and must not make the user their own (indirect)
    /// manager.
    pub async fn update_profile(
        &self,
        org: OrgId,
        id: UserId,
        patch: ProfilePatch,
    ) -> Result<Profile> {
        patch.person.check()?;
        let password_hash = hash(patch.password.as_ref()).await?;
        let p = &patch.person;
        let now = Utc::now();
        write_tx!(self, |tx| {
            let current: Option<(String, String, String)> = sqlx::query_as(
                "SELECT login, first_name, last_name FROM users WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((login, first, last)) = current else {
                return Err(Error::not_found("User", id).into());
            };
            if let Some(Some(manager)) = p.manager_id {
                // The proposed manager's own chain of managers, nearest first.
                let chain: Vec<i64> = sqlx::query_scalar(
                    "WITH RECURSIVE chain(id, manager_id, depth) AS ( \
                       SELECT id, manager_id, 0 FROM users WHERE org_id = $1 AND id = $2 \
                       UNION ALL \
                       SELECT u.id, u.manager_id, c.depth + 1 FROM users u \
                         JOIN chain c ON u.id = c.manager_id WHERE c.depth < 100000) \
                     SELECT id FROM chain ORDER BY depth",
                )
                .bind(org.0)
                .bind(manager.0)
                .fetch_all(&mut *tx)
                .await?;
                if chain.is_empty() {
                    return Err(Error::not_found("User", manager).into());
                }
                let chain: Vec<UserId> = chain.into_iter().map(UserId).collect();
                person::check_manager(id, manager, &chain)?;
            }
            let display_name = if patch.display_name_from_names
                && (p.first_name.is_some() || p.last_name.is_some())
            {
                let first = p.first_name.as_deref().unwrap_or(&first);
                let last = p.last_name.as_deref().unwrap_or(&last);
                Some(validate::name(
                    "display_name",
                    &person::display_name_of(first, last, &login),
                )?)
            } else {
                None
            };
            sqlx::query(
                "UPDATE users SET first_name = COALESCE($3, first_name), \
                   last_name = COALESCE($4, last_name), title = COALESCE($5, title), \
                   job_title = COALESCE($6, job_title), number = COALESCE($7, number), \
                   icon = COALESCE($8, icon), \
                   manager_id = CASE WHEN $9 THEN $10 ELSE manager_id END, \
                   is_active = COALESCE($11, is_active), \
                   password_hash = COALESCE($12, password_hash), \
                   display_name = COALESCE($13, display_name), updated_at = $14 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(id.0)
            .bind(&p.first_name)
            .bind(&p.last_name)
            .bind(&p.title)
            .bind(&p.job_title)
            .bind(&p.number)
            .bind(&p.icon)
            .bind(p.manager_id.is_some())
            .bind(p.manager_id.flatten().map(|m| m.0))
            .bind(patch.is_active)
            .bind(&password_hash)
            .bind(&display_name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        self.profile(org, id).await
    }
}
