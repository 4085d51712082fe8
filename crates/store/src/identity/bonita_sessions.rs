//! Bonita sessions (`/bonita/loginservice`): a session id (the `JSESSIONID` cookie) and a
//! CSRF token (`X-Bonita-API-Token`), both random 256-bit values stored as SHA-256 hashes.
//! A session ends after [`SESSION_IDLE`] without use, as Bonita's (Tomcat's) HTTP sessions do.

use crate::oauth::Principal;
use crate::{secrets, Result, Store};
use chrono::{DateTime, Duration, Utc};
use sluice_domain::{OrgId, UserId};

/// A session unused this long has expired (Tomcat's default, which Bonita runs on).
pub const SESSION_IDLE: Duration = Duration::minutes(30);
/// The idle expiry is pushed back only once this much of it is used, so reads do not each
/// cost a write.
const TOUCH_AFTER: Duration = Duration::minutes(5);

/// A new session's secrets, given to the client once.
#[derive(Debug, Clone)]
pub struct NewBonitaSession {
    pub session_id: String,
    pub api_token: String,
}

/// A live session: who it acts for and the hash of its CSRF token.
#[derive(Debug, Clone)]
pub struct BonitaSession {
    pub principal: Principal,
    pub csrf_hash: String,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    csrf_hash: String,
    org_id: i64,
    user_id: i64,
    expires_at: DateTime<Utc>,
}

impl Store {
    /// Opens a session for a user who has just proved their password, records the login
    /// (`last_login_at`) and drops the expired sessions of every user.
    pub async fn create_bonita_session(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<NewBonitaSession> {
        let session_id = secrets::generate_key();
        let api_token = secrets::generate_key();
        let now = Utc::now();
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM bonita_sessions WHERE expires_at < $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO bonita_sessions (session_hash, csrf_hash, org_id, user_id, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(secrets::hash_key(&session_id))
            .bind(secrets::hash_key(&api_token))
            .bind(org.0)
            .bind(user.0)
            .bind(now + SESSION_IDLE)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE users SET last_login_at = $1 WHERE org_id = $2 AND id = $3")
                .bind(now)
                .bind(org.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(NewBonitaSession {
            session_id,
            api_token,
        })
    }

    /// The session of a `JSESSIONID`; `None` if it is unknown or expired, or its user or
    /// organization is no longer usable. Extends the idle expiry when it is due.
    pub async fn bonita_session(&self, session_id: &str) -> Result<Option<BonitaSession>> {
        let hash = secrets::hash_key(session_id);
        let row: Option<SessionRow> = read!(self, |db| {
            sqlx::query_as(
                "SELECT csrf_hash, org_id, user_id, expires_at FROM bonita_sessions \
                 WHERE session_hash = $1",
            )
            .bind(&hash)
            .fetch_optional(db)
            .await?
        });
        let now = Utc::now();
        let Some(row) = row.filter(|r| r.expires_at > now) else {
            return Ok(None);
        };
        let principal = match self
            .principal(row.org_id, Some(row.user_id), None, None)
            .await
        {
            Ok(p) => p,
            Err(crate::Error::Domain(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        if row.expires_at - now < SESSION_IDLE - TOUCH_AFTER {
            let expires = now + SESSION_IDLE;
            write_tx!(self, |tx| {
                sqlx::query("UPDATE bonita_sessions SET expires_at = $1 WHERE session_hash = $2")
                    .bind(expires)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?;
            });
        }
        Ok(Some(BonitaSession {
            principal,
            csrf_hash: row.csrf_hash,
        }))
    }

    /// Ends a session (logout); unknown ids are ignored.
    pub async fn delete_bonita_session(&self, session_id: &str) -> Result<()> {
        let hash = secrets::hash_key(session_id);
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM bonita_sessions WHERE session_hash = $1")
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}
