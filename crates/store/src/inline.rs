//! SQLite reads run on the calling thread, for the hottest paths (document submit and
//! create), and the helpers the writes run there share (`group_commit::Writer::run_inline`).
//!
//! sqlx runs each SQLite connection on a thread of its own: every statement is two thread
//! hand-offs, and releasing a pooled connection (which sqlx pings) two more. Under load on
//! two cores those context switches, not SQL, were most of a request's CPU time. A read
//! served from SQLite's page cache takes microseconds, less than one hand-off, so these
//! reads go through read-only rusqlite connections to the same file, on the request's own
//! thread (WAL: they read while the writer writes). Writes stay on the group-commit writer.

use crate::{Error, Result};
use rusqlite::{CachedStatement, Connection, OpenFlags, ToSql};
use std::sync::Mutex;
use std::time::Duration;

/// Idle read-only connections to one database file.
pub(crate) struct InlineReads {
    path: String,
    idle: Mutex<Vec<Connection>>,
}

impl InlineReads {
    pub fn new(path: &str) -> Self {
        InlineReads {
            path: path.to_string(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on an idle connection. One is opened when none is idle, so as many stay
    /// open as threads ever read at once (the runtime's worker threads).
    pub fn run<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self.idle.lock().expect("inline reads").pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        let out = f(&conn);
        self.idle.lock().expect("inline reads").push(conn);
        out
    }

    fn open(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(db)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(db)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }
}

/// A rusqlite failure, as the store's database error.
pub(crate) fn db(e: rusqlite::Error) -> Error {
    Error::Unexpected(anyhow::anyhow!("sqlite: {e}"))
}

/// Prepares `sql` (cached per connection) and binds `args` to its `$N` parameters by
/// number, as sqlx does, so the store's SQL texts serve both.
pub(crate) fn prepare<'c>(
    conn: &'c Connection,
    sql: &str,
    args: &[&dyn ToSql],
) -> Result<CachedStatement<'c>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db)?;
    for i in 1..=stmt.parameter_count() {
        let n = stmt
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=args.len()).contains(n))
            .ok_or_else(|| {
                Error::Unexpected(anyhow::anyhow!("parameter {i} of {sql:?} has no argument"))
            })?;
        stmt.raw_bind_parameter(i, args[n - 1]).map_err(db)?;
    }
    Ok(stmt)
}

/// Runs `statements` in order with `args` bound by number (each takes the `$N` it names)
/// and returns the rows they changed, all together.
pub(crate) fn execute_all(
    conn: &Connection,
    statements: &[String],
    args: &[&dyn ToSql],
) -> Result<u64> {
    let mut changed = 0;
    for sql in statements {
        changed += prepare(conn, sql, args)?.raw_execute().map_err(db)? as u64;
    }
    Ok(changed)
}

/// A time as sqlx writes it to SQLite, so rows written here read back alike.
pub(crate) fn sql_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// Every row of `sql`, mapped by `row`.
pub(crate) fn all<T>(
    conn: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
    mut row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = prepare(conn, sql, args)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        out.push(row(r).map_err(db)?);
    }
    Ok(out)
}

/// The first row of `sql`, if any.
pub(crate) fn first<T>(
    conn: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
    row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>> {
    let mut stmt = prepare(conn, sql, args)?;
    let mut rows = stmt.raw_query();
    match rows.next().map_err(db)? {
        Some(r) => Ok(Some(row(r).map_err(db)?)),
        None => Ok(None),
    }
}

/// A time as sqlx writes it to SQLite (RFC 3339), or as SQLite's own functions do.
pub(crate) fn time(
    row: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<chrono::DateTime<chrono::Utc>>> {
    let Some(text) = row.get::<_, Option<String>>(i)? else {
        return Ok(None);
    };
    let parsed = chrono::DateTime::parse_from_rfc3339(&text)
        .map(|t| t.to_utc())
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&text, "%F %T%.f").map(|t| t.and_utc()));
    parsed.map(Some).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A time that must be there.
pub(crate) fn time_req(
    row: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<chrono::DateTime<chrono::Utc>> {
    time(row, i)?.ok_or(rusqlite::Error::InvalidColumnType(
        i,
        "time".into(),
        rusqlite::types::Type::Null,
    ))
}
