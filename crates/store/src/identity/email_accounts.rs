//! Users identified by e-mail (Questetra's Quser): creation with a login derived from the
//! e-mail, changes of name, e-mail, password and primary unit, and deletion. E-mails are
//! unique in the organization (any case) for users made or changed here.

use super::directory_pages::{Account, AccountWithUnit};
use super::exists_in_org;
use crate::{secrets, Result, Store};
use chrono::Utc;
use sluice_domain::identity::Password;
use sluice_domain::{validate, DeptId, Error, OrgId, UserId};

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub name: Option<String>,
    pub email: Option<String>,
    pub password: Option<Password>,
    pub primary_unit: Option<DeptId>,
}

/// Longest derived login before a numeric suffix (logins hold at most 150 characters).
const MAX_BASE_CHARS: usize = 140;
/// Numeric suffixes tried before giving up.
const MAX_SUFFIX: u32 = 10_000;

/// The login a user gets from an e-mail: the local part, keeping ASCII letters, digits and
/// `.`, `_`, `-`, `+` (what `validate::login` accepts, and compared exactly by `lower()` on
/// both backends); `user` when nothing is left.
pub fn login_base(email: &str) -> String {
    let local = email.rsplit_once('@').map_or(email, |(l, _)| l);
    let base: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
        .take(MAX_BASE_CHARS)
        .collect();
    if base.is_empty() {
        "user".into()
    } else {
        base
    }
}

async fn hash(password: &Password) -> Result<String> {
    validate::password(&password.0)?;
    let clear = password.0.clone();
    tokio::task::spawn_blocking(move || secrets::hash_password(&clear))
        .await
        .map_err(|e| crate::Error::Unexpected(e.into()))
}

/// Refuses an e-mail another user of the organization has (any case).
macro_rules! check_email_free {
    ($tx:expr, $org:expr, $email:expr, $except:expr) => {{
        let email: &str = $email;
        let taken = scalar_i64!(
            &mut *$tx,
            "SELECT COUNT(*) FROM users WHERE org_id = $1 AND lower(email) = lower($2) AND id <> $3",
            $org.0,
            email,
            $except
        );
        if taken > 0 {
            return Err(Error::conflict(format!(
                "The e-mail address {email} is already used by another user."
            ))
            .into());
        }
    }};
}

/// Serializes e-mail changes of one organization (PostgreSQL holds the row lock until
/// commit; SQLite has one writer), so two requests cannot both take a free address.
macro_rules! lock_org {
    ($tx:expr, $org:expr) => {
        sqlx::query("UPDATE organizations SET is_active = is_active WHERE id = $1")
            .bind($org.0)
            .execute(&mut *$tx)
            .await?;
    };
}

impl Store {
    /// Creates a user who signs in with `login@ABBR`, the login derived from the e-mail
    /// ([`login_base`], then `2`, `3`, … if taken). The e-mail must be free.
    pub async fn create_account(
        &self,
        org: OrgId,
        name: &str,
        email: &str,
        password: Option<&Password>,
        created_by: Option<UserId>,
    ) -> Result<Account> {
        let name = validate::name("name", name)?;
        let email = validate::email(email, true)?;
        let password_hash = match password {
            Some(p) => Some(hash(p).await?),
            None => None,
        };
        let base = login_base(&email);
        let now = Utc::now();
        let id = write_tx!(self, |tx| {
            lock_org!(tx, org);
            check_email_free!(tx, org, &email, 0i64);
            let mut login = None;
            for n in 1..=MAX_SUFFIX {
                let candidate = if n == 1 {
                    base.clone()
                } else {
                    format!("{base}{n}")
                };
                let taken = scalar_i64!(
                    &mut *tx,
                    "SELECT COUNT(*) FROM users WHERE org_id = $1 AND lower(login) = lower($2)",
                    org.0,
                    &candidate
                );
                if taken == 0 {
                    login = Some(candidate);
                    break;
                }
            }
            let Some(login) = login else {
                return Err(Error::conflict("No free login is left for this e-mail.").into());
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (org_id, login, display_name, email, password_hash, \
                 created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(org.0)
            .bind(&login)
            .bind(&name)
            .bind(&email)
            .bind(&password_hash)
            .bind(now)
            .bind(created_by.map(|u| u.0))
            .fetch_one(&mut *tx)
            .await?;
            id
        });
        Ok(Account {
            id: UserId(id),
            name,
            email,
        })
    }

    /// Changes a user's name, e-mail, password or primary unit. A new primary unit must be
    /// active; the former primary unit stays one of the user's units.
    pub async fn change_account(
        &self,
        org: OrgId,
        id: UserId,
        change: AccountChange,
    ) -> Result<AccountWithUnit> {
        let name = change
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?;
        let email = change
            .email
            .as_deref()
            .map(|e| validate::email(e, true))
            .transpose()?;
        let password_hash = match &change.password {
            Some(p) => Some(hash(p).await?),
            None => None,
        };
        let now = Utc::now();
        write_tx!(self, |tx| {
            if email.is_some() {
                lock_org!(tx, org);
            }
            let current: Option<Option<i64>> = sqlx::query_scalar(&format!(
                "SELECT department_id FROM users WHERE org_id = $1 AND id = $2{}",
                self.row_lock()
            ))
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(primary) = current else {
                return Err(Error::not_found("User", id).into());
            };
            if let Some(email) = &email {
                check_email_free!(tx, org, email, id.0);
            }
            if let Some(unit) = change.primary_unit.filter(|u| Some(u.0) != primary) {
                let active: Option<bool> = sqlx::query_scalar(&format!(
                    "SELECT is_active FROM departments WHERE org_id = $1 AND id = $2{}",
                    self.for_share()
                ))
                .bind(org.0)
                .bind(unit.0)
                .fetch_optional(&mut *tx)
                .await?;
                match active {
                    None => return Err(Error::not_found("Unit", unit).into()),
                    Some(false) => {
                        return Err(Error::conflict(format!("Unit {unit} is inactive.")).into())
                    }
                    Some(true) => {}
                }
                if let Some(old) = primary {
                    sqlx::query(
                        "INSERT INTO memberships (org_id, user_id, department_id, assigned_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(org.0)
                    .bind(id.0)
                    .bind(old)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "DELETE FROM memberships WHERE user_id = $1 AND department_id = $2 \
                     AND role_id IS NULL",
                )
                .bind(id.0)
                .bind(unit.0)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE users SET department_id = $1 WHERE id = $2")
                    .bind(unit.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "UPDATE users SET display_name = COALESCE($1, display_name), \
                 email = COALESCE($2, email), password_hash = COALESCE($3, password_hash), \
                 updated_at = $4 WHERE id = $5",
            )
            .bind(&name)
            .bind(&email)
            .bind(&password_hash)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        });
        self.account(org, id).await
    }

    /// Deletes a user (not one who heads a unit; see [`Store::delete_user`]). The delegates
    /// must be users and units of the organization; Sluice keeps no per-user work to hand
    /// over, so they receive nothing.
    pub async fn delete_account(
        &self,
        org: OrgId,
        id: UserId,
        delegate_user: Option<UserId>,
        delegate_unit: Option<DeptId>,
    ) -> Result<()> {
        if delegate_user == Some(id) {
            return Err(Error::invalid("The delegate must be another user.").into());
        }
        read!(self, |db| {
            if let Some(u) = delegate_user {
                if !exists_in_org!(db, "users", org.0, u.0) {
                    return Err(Error::not_found("User", u).into());
                }
            }
            if let Some(d) = delegate_unit {
                if !exists_in_org!(db, "departments", org.0, d.0) {
                    return Err(Error::not_found("Unit", d).into());
                }
            }
        });
        self.delete_user(org, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::login_base;

    #[test]
    fn logins_come_from_the_local_part() {
        assert_eq!(login_base("Jane.Doe+x@example.com"), "Jane.Doe+x");
        assert_eq!(login_base("o'brien@example.com"), "obrien");
        assert_eq!(login_base("山田@example.jp"), "user");
        assert_eq!(login_base(&format!("{}@x.y", "a".repeat(300))).len(), 140);
    }
}
