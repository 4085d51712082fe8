//! Connection set-up and the macros that run one body against either backend.

use crate::{Error, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// How hard the store works to keep an acknowledged write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// An acknowledged write survives a power loss (SQLite `synchronous=FULL`, PostgreSQL
    /// `synchronous_commit=on`). The default.
    #[default]
    Full,
    /// Faster, but the last moments of writes may be lost on a power loss (not on a crash of
    /// Sluice itself): SQLite `synchronous=NORMAL`, PostgreSQL `synchronous_commit=off`.
    Relaxed,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://PATH` or `postgres://...`.
    pub database_url: String,
    pub durability: Durability,
    /// Upper bound of pooled connections (readers on SQLite, all on PostgreSQL); `None`
    /// for [`StoreOptions::default_connections`].
    pub max_connections: Option<u32>,
}

impl StoreOptions {
    /// Options for a URL with the defaults: full durability, the default pool size.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            durability: Durability::Full,
            max_connections: None,
        }
    }

    /// SQLite: 16 readers. PostgreSQL: twice the CPUs plus two, from 4 to 16 (the PostgreSQL
    /// wiki's rule of thumb): more connections than that only queue for the same cores,
    /// and on 2 cores running the database too, 6 connections answered with a p99 a fifth
    /// lower than 16 (docs/performance.md).
    pub fn default_connections(postgres: bool) -> u32 {
        if !postgres {
            return 16;
        }
        let cpus = std::thread::available_parallelism().map_or(4, |n| n.get()) as u32;
        (2 * cpus + 2).clamp(4, 16)
    }

    fn connections(&self, postgres: bool) -> u32 {
        self.max_connections
            .unwrap_or_else(|| Self::default_connections(postgres))
            .max(1)
    }
}

/// The configured database. SQLite gets one writer connection (SQLite serializes writers
/// anyway; one connection avoids lock errors and busy waits) and a pool of readers (WAL).
#[derive(Clone)]
pub(crate) enum Backend {
    Sqlite {
        read: SqlitePool,
        writer: std::sync::Arc<crate::group_commit::Writer>,
        /// The hottest reads, made on the calling thread (see `inline`).
        inline: std::sync::Arc<crate::inline::InlineReads>,
    },
    Postgres(PgPool),
}

/// A pooled PostgreSQL connection idle longer than this is pinged before use.
const PING_IDLE: Duration = Duration::from_secs(1);

pub(crate) async fn connect(options: &StoreOptions) -> Result<Backend> {
    let url = options.database_url.as_str();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut connect = PgConnectOptions::from_str(url).map_err(Error::Database)?;
        if options.durability == Durability::Relaxed {
            connect = connect.options([("synchronous_commit", "off")]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.connections(true))
            .acquire_timeout(Duration::from_secs(30))
            // sqlx pings every connection it hands out by default: one network round trip
            // per acquire. Only a connection idle for a while (the server may have closed it
            // meanwhile) is checked; a busy one was just used.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_IDLE {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(connect)
            .await?;
        Ok(Backend::Postgres(pool))
    } else if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::Unexpected(anyhow::anyhow!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        let synchronous = match options.durability {
            Durability::Full => SqliteSynchronous::Full,
            Durability::Relaxed => SqliteSynchronous::Normal,
        };
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(connect.clone())
            .await?;
        // A SQLite connection cannot go away under us: no ping (a round trip to its
        // thread) before handing it out.
        let read = SqlitePoolOptions::new()
            .max_connections(options.connections(false))
            .test_before_acquire(false)
            .connect_with(connect.read_only(true))
            .await?;
        Ok(Backend::Sqlite {
            read,
            inline: std::sync::Arc::new(crate::inline::InlineReads::new(path)),
            writer: crate::group_commit::Writer::new(write),
        })
    } else {
        Err(Error::Unexpected(anyhow::anyhow!(
            "unsupported database URL (expected sqlite://PATH or postgres://...)"
        )))
    }
}

/// Begins a transaction on `pool` in a task of its own, so that cancelling the caller
/// cannot interrupt it: sqlx 0.8.4+ leaves a PostgreSQL session inside a transaction when
/// `begin()` is cancelled during its round trip (sqlx issue 4385), and the pool then hands
/// that session out with the transaction's locks still held. A transaction begun for a
/// caller that has gone is dropped, which rolls it back.
pub(crate) async fn begin<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
) -> Result<sqlx::Transaction<'static, DB>> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin().await })
        .await
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("begin: {e}")))?
        .map_err(Error::from)
}

/// Runs `$body` inside a write transaction bound to `$tx` on the configured backend. The
/// transaction commits when the body completes and rolls back if it returns early (`?` or
/// `return Err(..)`, which leave the body, not the enclosing function, and are then passed
/// on). On SQLite the transaction is a savepoint in a group commit (see `group_commit`).
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:block) => {
        match &$store.backend {
            $crate::db::Backend::Sqlite { writer, .. } => {
                let mut member = writer.enter().await?;
                let out: $crate::Result<_> = async {
                    let $tx = member.conn();
                    Ok($body)
                }
                .await;
                member.finish(out).await?
            }
            $crate::db::Backend::Postgres(pool) => {
                let mut $tx = $crate::db::begin(pool).await?;
                let out: $crate::Result<_> = async { Ok($body) }.await;
                let out = out?;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// Runs `$body` with `$db` bound to the read pool of the configured backend.
macro_rules! read {
    ($store:expr, |$db:ident| $body:block) => {
        match &$store.backend {
            $crate::db::Backend::Sqlite { read, .. } => {
                let $db = read;
                $body
            }
            $crate::db::Backend::Postgres(pool) => {
                let $db = pool;
                $body
            }
        }
    };
}

/// `SELECT COUNT(*)`-style scalar with binds, on any executor.
macro_rules! scalar_i64 {
    ($ex:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        sqlx::query_scalar::<_, i64>($sql)$(.bind($arg))*.fetch_one($ex).await?
    };
}
