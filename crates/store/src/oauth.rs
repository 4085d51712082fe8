//! OAuth2 tokens (RFC 6749) and the principals they stand for. Tokens are stored as SHA-256
//! hashes with their expiry; refresh tokens rotate on use.

use crate::{secrets, Result, Store};
use chrono::{DateTime, Duration, Utc};
use sluice_domain::identity::{check_usable, Organization, User};
use sluice_domain::{validate, Error, OrgId, UserId};

/// Who a token acts for: a user of an organization, or the organization itself (a client
/// that authenticated with the organization's API key).
#[derive(Debug, Clone)]
pub struct Principal {
    pub org: Organization,
    pub user: Option<User>,
    pub client_id: Option<String>,
    pub scope: Option<String>,
}

/// A freshly issued token pair.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
}

/// Lifetime of access tokens.
pub const ACCESS_TTL: Duration = Duration::hours(1);
/// Lifetime of refresh tokens.
pub const REFRESH_TTL: Duration = Duration::days(30);

#[derive(sqlx::FromRow)]
struct TokenRow {
    org_id: i64,
    user_id: Option<i64>,
    client_id: Option<String>,
    scope: Option<String>,
    expires_at: DateTime<Utc>,
}

impl Store {
    /// Checks `login@ABBR` and a password (the `password` grant). Unknown users, inactive
    /// users or organizations and wrong passwords all fail the same way, in the same time.
    pub async fn authenticate_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(Organization, User)> {
        self.check_password(username, password, false).await
    }

    /// HTTP Basic authentication (`login@ABBR` and password) on every call of a dialect
    /// that allows it. Like [`Store::authenticate_password`], but a password already
    /// verified against the same stored hash is not hashed again (see [`VerifiedPasswords`]).
    pub async fn authenticate_basic(&self, username: &str, password: &str) -> Result<Principal> {
        let (org, user) = self.check_password(username, password, true).await?;
        let user = self.with_granted_admin(user).await?;
        Ok(Principal {
            org,
            user: Some(user),
            client_id: None,
            scope: None,
        })
    }

    async fn check_password(
        &self,
        username: &str,
        password: &str,
        remember: bool,
    ) -> Result<(Organization, User)> {
        let refused = || Error::Unauthenticated("The username or password is incorrect.".into());
        // The platform administrator may log in as plain `admin`.
        let (login, abbr) = if username == "admin" {
            ("admin", sluice_domain::identity::SYSTEM_ABBR)
        } else {
            validate::split_username(username).map_err(|_| refused())?
        };
        // Only a well-formed login and abbreviation can name anyone; anything else (control
        // characters such as NUL, which PostgreSQL text refuses, or megabytes of text) never
        // reaches the database.
        let well_formed = validate::login(login).is_ok() && validate::abbr(abbr).is_ok();
        let org = if well_formed {
            self.organization_by_abbr(abbr).await?
        } else {
            None
        };
        let found = match org {
            Some(org) => self
                .user_with_password(org.id, login)
                .await?
                .map(|u| (org, u)),
            None => None,
        };
        let stored = found
            .as_ref()
            .and_then(|(_, (_, h))| h.clone())
            .unwrap_or_else(|| secrets::decoy_password_hash().to_string());
        let memo = remember.then(|| self.verified.key(username, password));
        let ok = match &memo {
            Some(k) if self.verified.holds(k, &stored) => true,
            _ => {
                let clear = password.to_string();
                let hash = stored.clone();
                let ok =
                    tokio::task::spawn_blocking(move || secrets::verify_password(&clear, &hash))
                        .await
                        .map_err(|e| crate::Error::Unexpected(e.into()))?;
                if let (true, Some(k), Some(_)) = (ok, memo, &found) {
                    self.verified.remember(k, stored);
                }
                ok
            }
        };
        match found {
            Some((org, (user, Some(_)))) if ok && org.is_active && user.is_active => {
                Ok((org, user))
            }
            _ => Err(refused().into()),
        }
    }

    /// Issues an access token (and, for users, a refresh token).
    pub async fn issue_tokens(
        &self,
        org: OrgId,
        user: Option<UserId>,
        client_id: Option<&str>,
        scope: Option<&str>,
    ) -> Result<IssuedTokens> {
        let access = secrets::generate_token("slat");
        let refresh = user.map(|_| secrets::generate_token("slrt"));
        let now = Utc::now();
        write_tx!(self, |tx| {
            let mut pairs = vec![("access", &access, now + ACCESS_TTL)];
            if let Some(r) = &refresh {
                pairs.push(("refresh", r, now + REFRESH_TTL));
            }
            for (kind, token, expires) in pairs {
                sqlx::query(
                    "INSERT INTO oauth_tokens (token_hash, kind, org_id, user_id, client_id, scope, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(secrets::hash_key(token))
                .bind(kind)
                .bind(org.0)
                .bind(user.map(|u| u.0))
                .bind(client_id)
                .bind(scope)
                .bind(expires)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(IssuedTokens {
            access_token: access,
            expires_in: ACCESS_TTL.num_seconds(),
            refresh_token: refresh,
            scope: scope.map(str::to_string),
        })
    }

    /// Exchanges a refresh token for a new pair as a public client (no client
    /// authentication); see [`refresh_tokens_as`](Self::refresh_tokens_as).
    pub async fn refresh_tokens(
        &self,
        refresh_token: &str,
        client_id: Option<&str>,
    ) -> Result<IssuedTokens> {
        self.refresh_tokens_as(refresh_token, client_id, false)
            .await
    }

    /// Exchanges a refresh token for a new pair; the old refresh token stops working.
    /// `client_authenticated` says the caller proved it is the confidential client
    /// `client_id`: a token issued to a confidential client (an organization, whose client id
    /// is its abbreviation) is refreshed only by that client, authenticated (RFC 6749 §6), so
    /// a leaked refresh token is useless without the client's secret. A refused attempt still
    /// spends the token.
    pub async fn refresh_tokens_as(
        &self,
        refresh_token: &str,
        client_id: Option<&str>,
        client_authenticated: bool,
    ) -> Result<IssuedTokens> {
        let refused = || Error::Unauthenticated("The refresh token is invalid or expired.".into());
        let hash = secrets::hash_key(refresh_token);
        let row: Option<TokenRow> = write_tx!(self, |tx| {
            sqlx::query_as(
                "DELETE FROM oauth_tokens WHERE token_hash = $1 AND kind = 'refresh' \
                 RETURNING org_id, user_id, client_id, scope, expires_at",
            )
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?
        });
        let Some(row) = row.filter(|r| r.expires_at > Utc::now()) else {
            return Err(refused().into());
        };
        if row.client_id.is_some() && client_id.is_some() && row.client_id.as_deref() != client_id {
            return Err(refused().into());
        }
        let principal = self.principal(row.org_id, row.user_id, None, None).await?;
        let Some(user) = principal.user else {
            return Err(refused().into());
        };
        // A confidential client's id is its organization's abbreviation: it refreshes only
        // tokens of its own organization's users, and only it refreshes the tokens issued to it.
        let abbr = Some(principal.org.abbr.as_str());
        let allowed = if client_authenticated {
            client_id == abbr
        } else {
            row.client_id.as_deref() != abbr
        };
        if !allowed {
            return Err(refused().into());
        }
        self.issue_tokens(
            principal.org.id,
            Some(user.id),
            row.client_id.as_deref(),
            row.scope.as_deref(),
        )
        .await
    }

    /// The principal of a valid, unexpired access token; `None` if the token is unknown or
    /// expired, or its user or organization is no longer active.
    pub async fn principal_for_access_token(&self, token: &str) -> Result<Option<Principal>> {
        let hash = secrets::hash_key(token);
        let row: Option<TokenRow> = read!(self, |db| {
            sqlx::query_as(
                "SELECT org_id, user_id, client_id, scope, expires_at FROM oauth_tokens \
                 WHERE token_hash = $1 AND kind = 'access'",
            )
            .bind(&hash)
            .fetch_optional(db)
            .await?
        });
        let Some(row) = row.filter(|r| r.expires_at > Utc::now()) else {
            return Ok(None);
        };
        match self
            .principal(row.org_id, row.user_id, row.client_id, row.scope)
            .await
        {
            Ok(p) => Ok(Some(p)),
            Err(crate::Error::Domain(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn principal(
        &self,
        org: i64,
        user: Option<i64>,
        client_id: Option<String>,
        scope: Option<String>,
    ) -> Result<Principal> {
        let org: Organization = read!(self, |db| {
            let sql = format!(
                "SELECT {} FROM organizations WHERE id = $1",
                crate::identity::ORG_COLUMNS
            );
            let row: Option<crate::identity::OrgRow> =
                sqlx::query_as(&sql).bind(org).fetch_optional(db).await?;
            row.map(Organization::from)
                .ok_or_else(|| Error::not_found("Organization", org))?
        });
        check_usable(&org)?;
        let user = match user {
            Some(id) => {
                let u = self.user(org.id, UserId(id)).await?;
                if !u.is_active {
                    return Err(Error::Forbidden("The user is inactive.".into()).into());
                }
                // A system-administrator grant to one of the user's units or roles makes
                // the user an administrator too (docs/dialects/identity.md).
                Some(self.with_granted_admin(u).await?)
            }
            None => None,
        };
        Ok(Principal {
            org,
            user,
            client_id,
            scope,
        })
    }

    /// Deletes expired tokens; returns how many.
    pub async fn purge_expired_tokens(&self) -> Result<u64> {
        Ok(write_tx!(self, |tx| {
            sqlx::query("DELETE FROM oauth_tokens WHERE expires_at < $1")
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }))
    }
}

/// Passwords verified for HTTP Basic, so a client that authenticates every call pays the
/// memory-hard hash once. An entry maps a keyed SHA-256 of username and password (the key
/// is random per process, so the map holds nothing that can be checked offline) to the
/// stored hash it was verified against; it counts only while the stored hash is unchanged,
/// so a new password or a reset takes effect at once. Bounded: cleared when full.
#[derive(Default)]
pub(crate) struct VerifiedPasswords {
    salt: std::sync::OnceLock<[u8; 32]>,
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], String>>,
}

const MAX_VERIFIED: usize = 10_000;

impl VerifiedPasswords {
    fn key(&self, username: &str, password: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let salt = self.salt.get_or_init(|| {
            use rand::RngCore;
            let mut s = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut s);
            s
        });
        let mut h = Sha256::new();
        h.update(salt);
        h.update(username.as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    fn holds(&self, key: &[u8; 32], stored_hash: &str) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).is_some_and(|h| h == stored_hash)
    }

    fn remember(&self, key: [u8; 32], stored_hash: String) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_VERIFIED {
            entries.clear();
        }
        entries.insert(key, stored_hash);
    }
}
