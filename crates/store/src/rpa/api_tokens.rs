//! Personal API tokens: a long-lived bearer value a user creates for integrations (Brity's
//! `Authorization` and `userAuthentication`). Stored as SHA-256; shown once at creation.

use crate::oauth::Principal;
use crate::{secrets, Result, Store};
use chrono::{DateTime, Duration, Utc};
use sluice_domain::{validate, Error, OrgId, UserId};

/// The prefix of every personal API token, so secret scanners recognise a leaked one.
pub const TOKEN_PREFIX: &str = "slu_pat";

/// Most personal tokens one user may hold (expired ones count until revoked): bounds the
/// token list, which has no paging, and what a leaked session can mint.
pub const MAX_TOKENS_PER_USER: i64 = 100;

/// A token as listed (never its value).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new token and, once, its value.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub token: ApiToken,
    pub value: String,
}

#[derive(sqlx::FromRow)]
struct TokenOwner {
    org_id: i64,
    user_id: i64,
    expires_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Creates a token for `user`; `valid_days` of `None` never expires.
    pub async fn create_api_token(
        &self,
        org: OrgId,
        user: UserId,
        name: &str,
        valid_days: Option<i64>,
    ) -> Result<NewApiToken> {
        let name = validate::name("name", name)?;
        if let Some(days) = valid_days {
            if !(1..=3650).contains(&days) {
                return Err(Error::invalid("valid_days must be 1 to 3650.").into());
            }
        }
        let value = secrets::generate_token(TOKEN_PREFIX);
        let now = Utc::now();
        let expires_at = valid_days.map(|d| now + Duration::days(d));
        // The user's row is locked (PostgreSQL; SQLite has one writer) so two concurrent
        // requests cannot both pass the count.
        let lock = match self.backend {
            crate::db::Backend::Sqlite { .. } => "",
            crate::db::Backend::Postgres(_) => " FOR UPDATE",
        };
        let lock_user = format!("SELECT id FROM users WHERE id = $1 AND org_id = $2{lock}");
        let id: i64 = write_tx!(self, |tx| {
            sqlx::query_scalar::<_, i64>(&lock_user)
                .bind(user.0)
                .bind(org.0)
                .fetch_optional(&mut *tx)
                .await?;
            let held: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM api_tokens WHERE org_id = $1 AND user_id = $2",
            )
            .bind(org.0)
            .bind(user.0)
            .fetch_one(&mut *tx)
            .await?;
            if held >= MAX_TOKENS_PER_USER {
                return Err(Error::invalid(format!(
                    "A user may hold at most {MAX_TOKENS_PER_USER} tokens; revoke one first."
                ))
                .into());
            }
            sqlx::query_scalar(
                "INSERT INTO api_tokens (org_id, user_id, name, token_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(org.0)
            .bind(user.0)
            .bind(&name)
            .bind(secrets::hash_key(&value))
            .bind(now)
            .bind(expires_at)
            .fetch_one(&mut *tx)
            .await?
        });
        Ok(NewApiToken {
            token: ApiToken {
                id,
                name,
                created_at: now,
                expires_at,
            },
            value,
        })
    }

    /// The user's tokens, newest first.
    pub async fn api_tokens(&self, org: OrgId, user: UserId) -> Result<Vec<ApiToken>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
                "SELECT id, name, created_at, expires_at FROM api_tokens \
                 WHERE org_id = $1 AND user_id = $2 ORDER BY id DESC",
            )
            .bind(org.0)
            .bind(user.0)
            .fetch_all(db)
            .await?
        }))
    }

    /// Revokes one of the user's tokens; `false` if it has no such token.
    pub async fn revoke_api_token(&self, org: OrgId, user: UserId, id: i64) -> Result<bool> {
        Ok(write_tx!(self, |tx| {
            sqlx::query("DELETE FROM api_tokens WHERE org_id = $1 AND user_id = $2 AND id = $3")
                .bind(org.0)
                .bind(user.0)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0
        }))
    }

    /// The principal of a valid personal API token; `None` if it is unknown or expired, or
    /// its user or organization is no longer usable.
    pub async fn principal_for_api_token(&self, token: &str) -> Result<Option<Principal>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let hash = secrets::hash_key(token);
        let row: Option<TokenOwner> = read!(self, |db| {
            sqlx::query_as(
                "SELECT org_id, user_id, expires_at FROM api_tokens WHERE token_hash = $1",
            )
            .bind(&hash)
            .fetch_optional(db)
            .await?
        });
        let Some(row) = row.filter(|r| r.expires_at.is_none_or(|e| e > Utc::now())) else {
            return Ok(None);
        };
        match self
            .principal(row.org_id, Some(row.user_id), None, None)
            .await
        {
            Ok(p) => Ok(Some(p)),
            Err(crate::Error::Domain(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The principal of a personal API token or an OAuth2 access token.
    pub async fn principal_for_bearer(&self, token: &str) -> Result<Option<Principal>> {
        if token.starts_with(TOKEN_PREFIX) {
            self.principal_for_api_token(token).await
        } else {
            self.principal_for_access_token(token).await
        }
    }
}
