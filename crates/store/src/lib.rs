//! Sluice's store: one API over SQLite (the default) and PostgreSQL (several instances).
//!
//! SQL is written once with `$N` placeholders, which both engines accept; each operation's
//! body is compiled for both pools by the [`write_tx!`] and [`read!`] macros, so there is one
//! query text and one row mapping per operation. Business rules are not decided here: the
//! store loads the facts a rule needs, asks `sluice-domain`, and writes.

#[macro_use]
mod db;
pub mod bootstrap;
pub mod clock;
pub mod documents;
mod error;
mod group_commit;
pub mod identity;
mod inline;
mod keyed_locks;
pub mod oauth;
pub mod questetra;
pub mod rpa;
pub mod sealed;
pub mod secrets;
pub mod ttl_cache;
pub mod workflows;

pub use db::{Durability, StoreOptions};
pub use error::{Error, Result};

use db::Backend;

/// The handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Finalized workflow versions as the engine walks them.
    definitions: std::sync::Arc<documents::DefinitionCache>,
    /// Document serial numbers reserved ahead (PostgreSQL).
    serials: std::sync::Arc<documents::SerialBlocks>,
    /// Wakes the deadline worker when a command writes a deadline.
    deadline_signal: std::sync::Arc<tokio::sync::Notify>,
    /// Passwords already verified for HTTP Basic.
    verified: std::sync::Arc<oauth::VerifiedPasswords>,
    /// Job signals and settings (RPA dispatch).
    rpa_runtime: std::sync::Arc<rpa::runtime::Runtime>,
    /// The time schedulers go by (manual in tests).
    clock: std::sync::Arc<clock::Clock>,
    /// Organizations by the hash of their API key, for [`ORG_KEY_TTL`] (every OmniBPM
    /// request names its organization by key).
    org_keys: std::sync::Arc<ttl_cache::TtlCache<sluice_domain::identity::Organization>>,
}

/// How long an organization found by its API key is remembered: a change made by another
/// instance (deactivation, rename, deletion) shows at most this long after; this instance's
/// own changes clear the cache.
pub const ORG_KEY_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl Store {
    /// The clock the schedulers go by; tests set it by hand.
    pub fn clock(&self) -> &clock::Clock {
        &self.clock
    }
}

impl Store {
    /// Connects (creating the SQLite file and its folder if needed) and runs the migrations.
    pub async fn connect(options: &StoreOptions) -> Result<Self> {
        let backend = db::connect(options).await?;
        let store = Store {
            backend,
            definitions: Default::default(),
            deadline_signal: Default::default(),
            serials: Default::default(),
            verified: Default::default(),
            rpa_runtime: Default::default(),
            clock: Default::default(),
            org_keys: std::sync::Arc::new(ttl_cache::TtlCache::new(ORG_KEY_TTL, 10_000)),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the versioned migrations of the configured backend.
    async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                sqlx::migrate!("migrations/sqlite")
                    .run(writer.pool())
                    .await?
            }
            Backend::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// The backend's name: `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The reads made on the calling thread (SQLite).
    pub(crate) fn inline(&self) -> Option<&inline::InlineReads> {
        match &self.backend {
            Backend::Sqlite { inline, .. } => Some(inline),
            Backend::Postgres(_) => None,
        }
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        read!(self, |db| {
            sqlx::query("SELECT 1").execute(db).await?;
        });
        Ok(())
    }

    /// Closes every connection (waits for in-flight queries).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { read, writer, .. } => {
                writer.close().await;
                read.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}
