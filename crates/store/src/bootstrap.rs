//! First-start bootstrap: the platform organization, the master API key, the administrator
//! `admin` and the secret key. Safe to run on every start and from several instances at once.

use crate::{secrets, Error, Result, Store};
use chrono::Utc;
use sluice_domain::identity::SYSTEM_ABBR;

/// Values from the configuration; `None` means "generate on first start".
#[derive(Default, Clone)]
pub struct BootstrapOptions {
    pub master_api_key: Option<String>,
    pub admin_password: Option<String>,
    pub secret_key: Option<String>,
}

impl std::fmt::Debug for BootstrapOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BootstrapOptions(***)")
    }
}

/// What bootstrap generated (to be shown to the operator exactly once) and the secret key.
pub struct Bootstrapped {
    /// Set only on the start that generated it.
    pub generated_master_api_key: Option<String>,
    /// Set only on the start that generated it.
    pub generated_admin_password: Option<String>,
    /// The key that encrypts credentials at rest.
    pub secret_key: [u8; 32],
}

const MASTER_KEY_HASH: &str = "master_api_key_hash";
const SECRET_KEY: &str = "secret_key";
const SECRET_KEY_CHECK: &str = "secret_key_check";

impl Store {
    /// Makes sure the platform's own objects exist, generating what the configuration leaves
    /// out. Values given in the configuration replace stored ones (a way to rotate them),
    /// except the secret key, which must not change once data is encrypted with it.
    pub async fn bootstrap(&self, options: &BootstrapOptions) -> Result<Bootstrapped> {
        if let Some(k) = &options.secret_key {
            if k.chars().count() < 32 {
                return Err(Error::Unexpected(anyhow::anyhow!(
                    "SLUICE_SECRET_KEY must be at least 32 characters long"
                )));
            }
        }
        let system_org = self.ensure_system_org().await?;
        let generated_master_api_key = self
            .ensure_master_key(options.master_api_key.as_deref())
            .await?;
        let generated_admin_password = self
            .ensure_admin(system_org, options.admin_password.as_deref())
            .await?;
        let secret_key = self
            .ensure_secret_key(options.secret_key.as_deref())
            .await?;
        Ok(Bootstrapped {
            generated_master_api_key,
            generated_admin_password,
            secret_key,
        })
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(read!(self, |db| {
            sqlx::query_scalar("SELECT value FROM platform_settings WHERE key = $1")
                .bind(key)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Stores `value` under `key` if nothing is stored yet; returns whether it was stored.
    async fn insert_setting(&self, key: &str, value: &str) -> Result<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query("INSERT INTO platform_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    async fn replace_setting(&self, key: &str, value: &str) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO platform_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    async fn ensure_system_org(&self) -> Result<i64> {
        let key_hash = secrets::hash_key(&secrets::generate_key());
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO organizations (name, abbr, api_key_hash, is_active, is_system, created_at) \
                 VALUES ('Sluice platform', $1, $2, TRUE, TRUE, $3) ON CONFLICT (abbr) DO NOTHING",
            )
            .bind(SYSTEM_ABBR)
            .bind(&key_hash)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
        });
        Ok(read!(self, |db| {
            sqlx::query_scalar("SELECT id FROM organizations WHERE abbr = $1")
                .bind(SYSTEM_ABBR)
                .fetch_one(db)
                .await?
        }))
    }

    async fn ensure_master_key(&self, configured: Option<&str>) -> Result<Option<String>> {
        if let Some(key) = configured {
            self.replace_setting(MASTER_KEY_HASH, &secrets::hash_key(key))
                .await?;
            return Ok(None);
        }
        let key = secrets::generate_key();
        let stored = self
            .insert_setting(MASTER_KEY_HASH, &secrets::hash_key(&key))
            .await?;
        Ok(stored.then_some(key))
    }

    async fn ensure_admin(
        &self,
        system_org: i64,
        configured: Option<&str>,
    ) -> Result<Option<String>> {
        let existing: Option<Option<String>> = read!(self, |db| {
            sqlx::query_scalar(
                "SELECT password_hash FROM users WHERE org_id = $1 AND login = 'admin'",
            )
            .bind(system_org)
            .fetch_optional(db)
            .await?
        });
        let matches = |stored: &Option<String>, clear: &str| {
            stored
                .as_deref()
                .is_some_and(|h| secrets::verify_password(clear, h))
        };
        match (existing, configured) {
            (Some(stored), Some(clear)) if !matches(&stored, clear) => {
                let hash = secrets::hash_password(clear);
                write_tx!(self, |tx| {
                    sqlx::query(
                        "UPDATE users SET password_hash = $1 WHERE org_id = $2 AND login = 'admin'",
                    )
                    .bind(&hash)
                    .bind(system_org)
                    .execute(&mut *tx)
                    .await?;
                });
                Ok(None)
            }
            (Some(_), _) => Ok(None),
            (None, configured) => {
                let clear = configured
                    .map(str::to_string)
                    .unwrap_or_else(secrets::generate_password);
                let hash = secrets::hash_password(&clear);
                let inserted = write_tx!(self, |tx| {
                    let inserted = sqlx::query(
                        "INSERT INTO users (org_id, login, display_name, email, password_hash, is_active, \
                         is_external, is_admin, created_at) VALUES ($1, 'admin', 'Platform administrator', '', \
                         $2, TRUE, FALSE, TRUE, $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(system_org)
                    .bind(&hash)
                    .bind(Utc::now())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    // The direct administrator grant, as every administrator has (0003).
                    sqlx::query(
                        "INSERT INTO system_authorities (org_id, kind, user_id, created_at) \
                         SELECT org_id, 0, id, created_at FROM users WHERE org_id = $1 \
                         AND login = 'admin' ON CONFLICT DO NOTHING",
                    )
                    .bind(system_org)
                    .execute(&mut *tx)
                    .await?;
                    inserted
                });
                Ok((inserted == 1 && configured.is_none()).then_some(clear))
            }
        }
    }

    async fn ensure_secret_key(&self, configured: Option<&str>) -> Result<[u8; 32]> {
        let key = match configured {
            Some(secret) => secrets::derive_secret_key(secret),
            None => {
                let generated = secrets::generate_key();
                self.insert_setting(SECRET_KEY, &generated).await?;
                let stored = self.setting(SECRET_KEY).await?.unwrap_or(generated);
                let bytes = hex::decode(stored)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| {
                        Error::Unexpected(anyhow::anyhow!("stored secret key is corrupt"))
                    })?;
                bytes
            }
        };
        let check = secrets::secret_key_check(&key);
        self.insert_setting(SECRET_KEY_CHECK, &check).await?;
        if self.setting(SECRET_KEY_CHECK).await?.as_deref() != Some(check.as_str()) {
            return Err(Error::Unexpected(anyhow::anyhow!(
                "the secret key differs from the one this database was set up with; \
                 data encrypted with the old key could not be read"
            )));
        }
        Ok(key)
    }

    /// Whether `key` is the master API key.
    pub async fn is_master_key(&self, key: &str) -> Result<bool> {
        Ok(self
            .setting(MASTER_KEY_HASH)
            .await?
            .is_some_and(|h| secrets::key_matches(key, &h)))
    }
}
