//! Brity's user management over Sluice's users (one users table for every dialect): a
//! Brity `userId` is a login of the tenant. Brity adds free-text company and department
//! names and the last updater (`rpa_user_details`); its phone number is the user's
//! professional contact phone. The tenant's representative administrator, its earliest
//! direct administrator, cannot be deleted.

use crate::identity::UserRow;
use crate::{secrets, Result, Store};
use chrono::Utc;
use sluice_domain::identity::{user as user_rules, NewUser, Password, PersonPatch, User};
use sluice_domain::{validate, Error, OrgId, UserId};

/// Longest company or department name.
pub const MAX_DETAIL_CHARS: usize = 200;
/// Longest phone number.
pub const MAX_PHONE_CHARS: usize = 100;

/// A user as Brity shows one.
#[derive(Debug, Clone)]
pub struct TenantUser {
    pub user: User,
    pub company_name: String,
    /// The Brity department name, else the name of the user's primary unit.
    pub department_name: String,
    pub phone_number: String,
    /// Logins of who created and last changed the user, if known.
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
}

/// Brity's create-or-modify request; `None` leaves a field as it is (or empty when new).
#[derive(Debug, Clone, Default)]
pub struct TenantUserInput {
    pub login: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub company_name: Option<String>,
    pub department_name: Option<String>,
    pub phone_number: Option<String>,
    pub password: Option<Password>,
}

#[derive(sqlx::FromRow)]
struct TenantUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    company_name: String,
    department_name: String,
    phone_number: String,
    created_by_login: Option<String>,
    updated_by_login: Option<String>,
}

impl From<TenantUserRow> for TenantUser {
    fn from(r: TenantUserRow) -> Self {
        TenantUser {
            user: User::from(r.user),
            company_name: r.company_name,
            department_name: r.department_name,
            phone_number: r.phone_number,
            created_by: r.created_by_login,
            updated_by: r.updated_by_login,
        }
    }
}

/// One user with everything Brity shows, in one join (`$1` org, `$2` user id).
const TENANT_USER_SELECT: &str = "SELECT u.id, u.org_id, u.login, u.display_name, u.email, \
     u.is_active, u.is_external, u.is_admin, u.rank_id, u.department_id, u.client_extra, \
     COALESCE(x.company_name, '') AS company_name, \
     COALESCE(NULLIF(x.department_name, ''), d.name, '') AS department_name, \
     COALESCE(c.phone_number, '') AS phone_number, \
     cu.login AS created_by_login, uu.login AS updated_by_login \
     FROM users u \
     LEFT JOIN rpa_user_details x ON x.user_id = u.id \
     LEFT JOIN departments d ON d.id = u.department_id \
     LEFT JOIN user_contacts c ON c.user_id = u.id AND c.kind = 'professional' \
     LEFT JOIN users cu ON cu.id = u.created_by \
     LEFT JOIN users uu ON uu.id = x.updated_by \
     WHERE u.org_id = $1 AND u.id = $2";

/// Free text of at most `max` characters without control characters other than line breaks
/// and tabs.
pub(crate) fn free_text(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(Error::invalid(format!("{field} is longer than {max} characters.")).into());
    }
    if v.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::invalid(format!("{field} must not contain control characters.")).into());
    }
    Ok(v.to_string())
}

/// Checks every field before anything is written, so a refused request writes nothing.
fn checked(mut input: TenantUserInput) -> Result<TenantUserInput> {
    input.login = validate::login(input.login.trim()).map_err(|_| {
        Error::invalid("userId must be 1 to 150 letters, digits or '.', '_', '-', '+'.")
    })?;
    if let Some(n) = &input.display_name {
        input.display_name = Some(validate::name("userNm", n)?);
    }
    if let Some(e) = &input.email {
        input.email = Some(validate::email(e, false)?);
    }
    if let Some(c) = &input.company_name {
        input.company_name = Some(free_text("cmpnyNm", c, MAX_DETAIL_CHARS)?);
    }
    if let Some(d) = &input.department_name {
        input.department_name = Some(free_text("deptNm", d, MAX_DETAIL_CHARS)?);
    }
    if let Some(p) = &input.phone_number {
        input.phone_number = Some(free_text("phoneNumber", p, MAX_PHONE_CHARS)?);
    }
    if let Some(p) = &input.password {
        validate::password(&p.0)?;
    }
    Ok(input)
}

/// The representative administrator is the organization's earliest direct administrator.
fn check_not_representative(user: i64, representative: Option<i64>) -> Result<()> {
    if representative == Some(user) {
        return Err(Error::conflict(
            "The tenant's representative administrator cannot be deleted.",
        )
        .into());
    }
    Ok(())
}

/// Writes the Brity details and the professional phone of user `$id` inside `$tx`; fields
/// of `$input` that are `None` keep their value.
macro_rules! details_upsert {
    ($tx:expr, $org:expr, $id:expr, $actor:expr, $input:expr, $now:expr) => {{
        sqlx::query(
            "INSERT INTO rpa_user_details (user_id, org_id, company_name, department_name, \
             updated_by, updated_at) VALUES ($1, $2, COALESCE($3, ''), COALESCE($4, ''), $5, $6) \
             ON CONFLICT (user_id) DO UPDATE SET \
             company_name = COALESCE($3, rpa_user_details.company_name), \
             department_name = COALESCE($4, rpa_user_details.department_name), \
             updated_by = $5, updated_at = $6",
        )
        .bind($id.0)
        .bind($org.0)
        .bind(&$input.company_name)
        .bind(&$input.department_name)
        .bind($actor.map(|a: UserId| a.0))
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        if let Some(phone) = &$input.phone_number {
            sqlx::query(
                "INSERT INTO user_contacts (user_id, kind, phone_number) \
                 VALUES ($1, 'professional', $2) \
                 ON CONFLICT (user_id, kind) DO UPDATE SET phone_number = $2",
            )
            .bind($id.0)
            .bind(phone)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

impl Store {
    /// The id of the organization's user with this login (without regard to case).
    pub(crate) async fn tenant_user_id(&self, org: OrgId, login: &str) -> Result<Option<UserId>> {
        if validate::login(login).is_err() {
            return Ok(None);
        }
        Ok(self
            .user_with_password(org, login)
            .await?
            .map(|(u, _)| u.id))
    }

    /// One user of the organization as Brity shows it.
    pub async fn tenant_user(&self, org: OrgId, id: UserId) -> Result<TenantUser> {
        let row: Option<TenantUserRow> = read!(self, |db| {
            sqlx::query_as(TENANT_USER_SELECT)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        row.map(TenantUser::from)
            .ok_or_else(|| Error::not_found("User", id).into())
    }

    /// The user with this login as Brity shows it.
    pub async fn tenant_user_by_login(&self, org: OrgId, login: &str) -> Result<TenantUser> {
        let id = self
            .tenant_user_id(org, login)
            .await?
            .ok_or_else(|| Error::not_found("User", login))?;
        self.tenant_user(org, id).await
    }

    /// Creates the user with this login, or changes it if it exists (Brity's create/modify).
    /// A new user needs a display name; it has a password only if one is given. Returns the
    /// user and whether it was created.
    pub async fn save_tenant_user(
        &self,
        org: OrgId,
        actor: Option<UserId>,
        input: TenantUserInput,
    ) -> Result<(TenantUser, bool)> {
        let input = checked(input)?;
        if let Some(id) = self.tenant_user_id(org, &input.login).await? {
            return Ok((
                self.modify_tenant_user(org, id, actor, &input).await?,
                false,
            ));
        }
        let Some(display_name) = input.display_name.clone() else {
            return Err(Error::invalid("userNm is required to create a user.").into());
        };
        let new = NewUser {
            login: input.login.clone(),
            display_name,
            email: input.email.clone().unwrap_or_default(),
            password: input.password.clone(),
            is_active: true,
            is_external: false,
            is_admin: false,
            rank_id: None,
            department_id: None,
            client_extra: None,
            person: PersonPatch::default(),
            created_by: actor,
        };
        let user = match self.create_user(org, new).await {
            Ok(u) => u,
            // Made meanwhile by a concurrent request: this one modifies it.
            Err(crate::Error::Domain(Error::DuplicateName)) => {
                let id = self
                    .tenant_user_id(org, &input.login)
                    .await?
                    .ok_or(Error::DuplicateName)?;
                return Ok((
                    self.modify_tenant_user(org, id, actor, &input).await?,
                    false,
                ));
            }
            Err(e) => return Err(e),
        };
        // Every field was checked above, so only the database can fail here; then the user
        // just made is removed again rather than left half-written.
        if let Err(e) = self.write_tenant_details(org, user.id, actor, &input).await {
            if let Err(cleanup) = self.delete_user(org, user.id).await {
                tracing::error!(error = ?cleanup, "removing a half-created user failed");
            }
            return Err(e);
        }
        Ok((self.tenant_user(org, user.id).await?, true))
    }

    /// Changes an existing user's account fields and Brity details in one transaction.
    async fn modify_tenant_user(
        &self,
        org: OrgId,
        id: UserId,
        actor: Option<UserId>,
        input: &TenantUserInput,
    ) -> Result<TenantUser> {
        let password_hash = match &input.password {
            Some(p) => {
                let clear = p.0.clone();
                Some(
                    tokio::task::spawn_blocking(move || secrets::hash_password(&clear))
                        .await
                        .map_err(|e| crate::Error::Unexpected(e.into()))?,
                )
            }
            None => None,
        };
        let now = Utc::now();
        write_tx!(self, |tx| {
            let changed = sqlx::query(
                "UPDATE users SET display_name = COALESCE($1, display_name), \
                 email = COALESCE($2, email), password_hash = COALESCE($3, password_hash), \
                 updated_at = $4 WHERE org_id = $5 AND id = $6",
            )
            .bind(&input.display_name)
            .bind(&input.email)
            .bind(&password_hash)
            .bind(now)
            .bind(org.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(Error::not_found("User", &input.login).into());
            }
            details_upsert!(tx, org, id, actor, input, now);
        });
        self.tenant_user(org, id).await
    }

    /// Records the Brity details of a user just created.
    async fn write_tenant_details(
        &self,
        org: OrgId,
        id: UserId,
        actor: Option<UserId>,
        input: &TenantUserInput,
    ) -> Result<()> {
        let now = Utc::now();
        write_tx!(self, |tx| {
            details_upsert!(tx, org, id, actor, input, now);
        });
        Ok(())
    }

    /// Deletes the user with this login, unless it is the tenant's representative
    /// administrator or heads a department.
    pub async fn delete_tenant_user(&self, org: OrgId, login: &str) -> Result<()> {
        let id = self
            .tenant_user_id(org, login)
            .await?
            .ok_or_else(|| Error::not_found("User", login))?;
        write_tx!(self, |tx| {
            let representative: Option<i64> = sqlx::query_scalar(
                "SELECT MIN(id) FROM users WHERE org_id = $1 AND is_admin = TRUE",
            )
            .bind(org.0)
            .fetch_one(&mut *tx)
            .await?;
            check_not_representative(id.0, representative)?;
            let headed: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM departments WHERE org_id = $1 AND head_user_id = $2 ORDER BY id",
            )
            .bind(org.0)
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
            user_rules::check_can_delete(&headed)?;
            let gone = sqlx::query("DELETE FROM users WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if gone == 0 {
                return Err(Error::not_found("User", login).into());
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_earliest_administrator_is_protected() {
        assert!(check_not_representative(5, Some(5)).is_err());
        assert!(check_not_representative(6, Some(5)).is_ok());
        assert!(check_not_representative(6, None).is_ok());
    }

    #[test]
    fn fields_are_checked_before_writing() {
        let ok = TenantUserInput {
            login: " ana ".into(),
            display_name: Some("Ana".into()),
            phone_number: Some(" 123 ".into()),
            ..Default::default()
        };
        let c = checked(ok).expect("valid");
        assert_eq!(
            (c.login.as_str(), c.phone_number.as_deref()),
            ("ana", Some("123"))
        );
        for bad in [
            TenantUserInput {
                login: "a b".into(),
                ..Default::default()
            },
            TenantUserInput {
                login: "a".into(),
                email: Some("x".into()),
                ..Default::default()
            },
            TenantUserInput {
                login: "a".into(),
                company_name: Some("x".repeat(MAX_DETAIL_CHARS + 1)),
                ..Default::default()
            },
            TenantUserInput {
                login: "a".into(),
                department_name: Some("a\u{0}b".into()),
                ..Default::default()
            },
        ] {
            assert!(checked(bad).is_err());
        }
    }
}
