//! Group commit for SQLite: concurrent write transactions share one database transaction, so
//! one fsync acknowledges many of them, while each still succeeds or fails alone.
//!
//! With `synchronous=FULL` every COMMIT waits for the disk, and that wait, not SQL, bounds
//! SQLite's write rate. Writers queue for the one writer connection. The first opens a
//! transaction (`BEGIN IMMEDIATE`); each writer then runs its body inside a savepoint
//! (rolled back on error, so a failed writer leaves no trace) and, if others are queued
//! behind it, leaves the COMMIT to them. The last one of the group commits, and every member
//! answers its client only once that COMMIT is durable. Durability is unchanged: nothing is
//! acknowledged before its fsync.

use crate::inline::db;
use crate::{Error, Result};
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

/// Most writers committed together (bounds the wait of the first one).
const MAX_GROUP: usize = 64;

type Outcome = Option<std::result::Result<(), String>>;

/// The writer connection and the group being built on it.
pub(crate) struct Writer {
    pool: SqlitePool,
    state: Arc<Mutex<State>>,
    /// Writers waiting for the connection: while there are some, nobody commits early.
    queued: AtomicUsize,
}

/// What a cancelled writer left behind.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Orphan {
    #[default]
    None,
    /// Its savepoint.
    Member,
    /// The group's transaction it opened (it was the only writer in it).
    Group,
}

#[derive(Default)]
struct State {
    /// rusqlite's view of `conn`'s handle, for writers run on the calling thread (see
    /// `Writer::run_inline`); declared before `conn` so its cached statements are finalized
    /// before the connection goes back to the pool.
    inline: Option<InlineConn>,
    conn: Option<PoolConnection<Sqlite>>,
    group: Option<Group>,
    /// A writer was cancelled before it finished; undo its work before going on.
    orphan: Orphan,
    /// The last writer's savepoint succeeded and is still open: it is released together
    /// with the next writer's SAVEPOINT (one round trip instead of two), or by COMMIT.
    unreleased: bool,
}

/// A rusqlite connection over the raw handle of the writer's sqlx connection (it does not
/// close the handle when dropped), with its own statement cache.
struct InlineConn {
    /// The raw handle's address, to notice a new connection.
    handle: usize,
    conn: rusqlite::Connection,
}

struct Group {
    members: usize,
    done: watch::Sender<Outcome>,
}

impl Writer {
    pub fn new(pool: SqlitePool) -> Arc<Self> {
        Arc::new(Writer {
            pool,
            state: Arc::new(Mutex::new(State::default())),
            queued: AtomicUsize::new(0),
        })
    }

    /// The one-connection pool (for migrations, before any writer runs, and for closing).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits for the writers in flight, then closes the connection.
    pub async fn close(&self) {
        let mut st = self.state.lock().await;
        st.inline = None;
        st.conn = None;
        drop(st);
        self.pool.close().await;
    }

    /// Waits for the connection and opens this writer's savepoint.
    pub async fn enter(self: &Arc<Self>) -> Result<Member> {
        let mut member = self.acquire().await?;
        let sql = member.open();
        let conn = member.state().conn.as_mut().expect("connection");
        if let Err(e) = exec(conn, sql).await {
            member.abort(&e).await;
            return Err(e);
        }
        Ok(member)
    }

    /// Runs `f` as one writer, synchronously on the calling thread, with rusqlite on the
    /// writer connection's own handle: its savepoint and every statement of `f` go to SQLite
    /// without a hand-off to sqlx's connection thread and back per statement (one hand-off
    /// in all, to lock that thread out). For the hottest writes, whose statements are few
    /// and fixed; they take part in group commit like any other writer.
    pub async fn run_inline<T>(
        self: &Arc<Self>,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T>,
    ) -> Result<T> {
        let mut member = self.acquire().await?;
        let out = member.inline(f).await;
        member.finish(out).await
    }

    /// Waits for the connection (undoing what a cancelled writer left), without opening a
    /// savepoint yet.
    async fn acquire(self: &Arc<Self>) -> Result<Member> {
        /// Counts a waiting writer until it gets the connection or is cancelled waiting.
        struct Queued<'a>(&'a AtomicUsize);
        impl Drop for Queued<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.queued.fetch_add(1, Ordering::SeqCst);
        let queued = Queued(&self.queued);
        let guard = self.state.clone().lock_owned().await;
        drop(queued);
        let mut member = Member {
            writer: self.clone(),
            guard: Some(guard),
            open: false,
            leader: false,
        };
        if let Err(e) = member.prepare().await {
            member.abort(&e).await;
            return Err(e);
        }
        Ok(member)
    }

    /// Commits whatever group is open (after a writer was cancelled).
    async fn flush(self: Arc<Self>) {
        if let Ok(member) = self.enter().await {
            let _ = member.finish(Ok(())).await;
        }
    }
}

/// One writer's turn on the connection.
pub(crate) struct Member {
    writer: Arc<Writer>,
    guard: Option<OwnedMutexGuard<State>>,
    /// Inside its savepoint (not yet released or rolled back).
    open: bool,
    /// Opened the group: its writes are the whole transaction so far, so an error rolls
    /// back the transaction and it needs no savepoint of its own.
    leader: bool,
}

/// Runs fixed statements (several, `;`-separated, in one round trip to SQLite's thread).
/// Boxed, so that the writer's futures are `Send` for every lifetime (spawned on cancel).
fn exec<'c>(
    conn: &'c mut SqliteConnection,
    sql: &'static str,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'c>> {
    Box::pin(async move {
        sqlx::Executor::execute(conn, sql).await?;
        Ok(())
    })
}

impl Member {
    fn state(&mut self) -> &mut State {
        self.guard.as_mut().expect("member holds the writer")
    }

    /// Gets the connection and undoes what a cancelled writer left.
    async fn prepare(&mut self) -> Result<()> {
        let pool = self.writer.pool.clone();
        let st = self.state();
        if st.conn.is_none() {
            st.inline = None;
            st.conn = Some(pool.acquire().await?);
        }
        let orphan = std::mem::take(&mut st.orphan);
        let conn = st.conn.as_mut().expect("connection");
        match orphan {
            Orphan::None => {}
            Orphan::Member => exec(conn, "ROLLBACK TO member; RELEASE member").await?,
            Orphan::Group => {
                // Fails harmlessly if the cancelled BEGIN never took effect.
                let _ = exec(conn, "ROLLBACK").await;
                st.unreleased = false;
                if let Some(group) = st.group.take() {
                    let _ = group.done.send(Some(Err("cancelled".into())));
                }
            }
        }
        Ok(())
    }

    /// Records this writer as inside its savepoint and returns the SQL that makes it so
    /// (see `open_sql`).
    fn open(&mut self) -> &'static str {
        let st = &mut **self.guard.as_mut().expect("member holds the writer");
        let (sql, opened) = open_sql(&mut st.group, &mut st.unreleased);
        self.leader = opened;
        self.open = true;
        sql
    }

    /// Opens the savepoint and runs `f`, both on this thread (see `Writer::run_inline`).
    async fn inline<T>(&mut self, f: impl FnOnce(&rusqlite::Connection) -> Result<T>) -> Result<T> {
        let guard = self.guard.as_mut().expect("member holds the writer");
        let State {
            inline,
            conn,
            group,
            unreleased,
            ..
        } = &mut **guard;
        let conn = conn.as_mut().expect("connection");
        // Cancelled while waiting here, nothing was opened: `Drop` has nothing to undo.
        let mut locked = conn.lock_handle().await?;
        let handle = locked.as_raw_handle().as_ptr();
        if inline.as_ref().is_none_or(|i| i.handle != handle as usize) {
            let c = share_handle(handle)?;
            c.set_prepared_statement_cache_capacity(32);
            *inline = Some(InlineConn {
                handle: handle as usize,
                conn: c,
            });
        }
        // From here on nothing yields until `f` is done.
        let (sql, opened) = open_sql(group, unreleased);
        self.leader = opened;
        self.open = true;
        let c = &inline.as_ref().expect("inline connection").conn;
        let out = c.execute_batch(sql).map_err(db).and_then(|()| f(c));
        drop(locked);
        out
    }

    /// The connection, inside this writer's savepoint.
    pub fn conn(&mut self) -> &mut SqliteConnection {
        self.state().conn.as_mut().expect("connection")
    }

    /// Ends the savepoint (kept on success, rolled back on error), commits the group if no
    /// writer is queued behind, and returns `out` once its writes are durable.
    pub async fn finish<T>(mut self, out: Result<T>) -> Result<T> {
        if self.leader && out.is_err() {
            // Nothing but this writer's work is in the transaction: drop it all.
            self.open = false;
            let e = Error::Unexpected(anyhow::anyhow!("rolled back"));
            self.abort(&e).await;
            return out;
        }
        let ended = match (&out, self.leader) {
            // Failed before its savepoint was opened (`inline`): nothing to undo.
            (Err(_), _) if !self.open => Ok(()),
            (Ok(_), true) => Ok(()),
            (Ok(_), false) => {
                self.state().unreleased = true;
                Ok(())
            }
            (Err(_), _) => exec(self.conn(), "ROLLBACK TO member; RELEASE member").await,
        };
        self.open = false;
        if let Err(e) = ended {
            self.abort(&e).await;
            return Err(e);
        }
        let queued = self.writer.queued.load(Ordering::SeqCst);
        let st = self.state();
        let group = st.group.as_mut().expect("open group");
        let done = if out.is_ok() {
            group.members += 1;
            Some(group.done.subscribe())
        } else {
            None
        };
        if queued == 0 || group.members >= MAX_GROUP {
            // The COMMIT runs in a task of its own, holding the connection: cancelling this
            // request must not leave the group half committed.
            let guard = self.guard.take().expect("member holds the writer");
            tokio::spawn(commit(guard));
        }
        self.guard = None;
        match done {
            None => out,
            Some(mut rx) => match rx.wait_for(Option::is_some).await {
                Ok(v) => match v.clone().expect("outcome") {
                    Ok(()) => out,
                    Err(e) => Err(Error::Unexpected(anyhow::anyhow!("commit failed: {e}"))),
                },
                Err(_) => Err(Error::Unexpected(anyhow::anyhow!("commit abandoned"))),
            },
        }
    }

    /// Rolls the whole group back after the connection failed.
    async fn abort(&mut self, e: &Error) {
        let st = self.state();
        st.unreleased = false;
        if let Some(conn) = st.conn.as_mut() {
            let _ = exec(conn, "ROLLBACK").await;
        }
        if let Some(group) = st.group.take() {
            let _ = group.done.send(Some(Err(e.to_string())));
        }
        self.guard = None;
    }
}

/// A rusqlite connection over the writer connection's raw handle.
///
/// SAFETY: `handle` is the writer's open sqlx connection. rusqlite uses it only while the
/// writer's mutex is held and sqlx's connection thread is locked out (`lock_handle`), so one
/// thread at a time touches it (the connection is opened in SQLite's multi-thread mode). The
/// rusqlite connection never closes the handle (`from_handle`), and it is dropped, with its
/// cached statements, before the sqlx connection is returned or closed (`State`'s field
/// order, `prepare`, `close`).
#[allow(unsafe_code)]
fn share_handle(handle: *mut rusqlite::ffi::sqlite3) -> Result<rusqlite::Connection> {
    unsafe { rusqlite::Connection::from_handle(handle) }.map_err(db)
}

/// The SQL that puts the next writer inside its savepoint (or opens the group's transaction
/// for the first), with the state changed to match, and whether it opened the group. The
/// caller runs it next without yielding in between: a statement that is awaited has been
/// handed to SQLite's thread and runs even if the request is cancelled meanwhile, so the
/// state records its effect first, and a cancelled writer is then undone by the next one
/// (see `Drop`).
fn open_sql(group: &mut Option<Group>, unreleased: &mut bool) -> (&'static str, bool) {
    if group.is_none() {
        let (done, _) = watch::channel(None);
        *group = Some(Group { members: 0, done });
        ("BEGIN IMMEDIATE", true)
    } else if std::mem::take(unreleased) {
        ("RELEASE member; SAVEPOINT member", false)
    } else {
        ("SAVEPOINT member", false)
    }
}

/// Commits the open group and tells its members the outcome.
async fn commit(mut st: OwnedMutexGuard<State>) {
    st.unreleased = false;
    let group = st.group.take().expect("open group");
    let conn = st.conn.as_mut().expect("connection");
    // COMMIT also releases an open savepoint.
    let committed = exec(conn, "COMMIT").await;
    if let Err(e) = &committed {
        // SQLite may leave the transaction open after a failed COMMIT.
        let _ = exec(conn, "ROLLBACK").await;
        tracing::error!(error = %e, "group commit failed");
    }
    let _ = group.done.send(Some(committed.map_err(|e| e.to_string())));
}

impl Drop for Member {
    /// A writer dropped inside its savepoint (its request was cancelled): mark the savepoint
    /// for rollback and make sure the group it was in still gets committed.
    fn drop(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            if self.open {
                guard.orphan = if self.leader {
                    Orphan::Group
                } else {
                    Orphan::Member
                };
            }
            let has_group = guard.group.is_some();
            drop(guard);
            if has_group {
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    handle.spawn(self.writer.clone().flush());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    async fn writer() -> (Arc<Writer>, SqlitePool) {
        let path = std::env::temp_dir().join(format!("sluice-gc-{}.db", uuid::Uuid::new_v4()));
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .unwrap();
        let read = SqlitePoolOptions::new()
            .connect_with(options.read_only(true))
            .await
            .unwrap();
        (Writer::new(pool), read)
    }

    async fn rows(read: &SqlitePool) -> Vec<i64> {
        sqlx::query_scalar("SELECT n FROM t ORDER BY n")
            .fetch_all(read)
            .await
            .unwrap()
    }

    /// Writers on sqlx's thread and on the caller's interleave in shared groups; each that
    /// fails leaves no trace and the others are all kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn inline_and_sqlx_writers_share_groups_and_fail_alone() {
        let (w, read) = writer().await;
        let tasks: Vec<_> = (0..200i64)
            .map(|n| {
                let w = w.clone();
                tokio::spawn(async move {
                    let fail = n % 5 == 0;
                    if n % 2 == 0 {
                        w.run_inline(|c| {
                            c.execute("INSERT INTO t (n) VALUES (?1)", [n])
                                .map_err(db)?;
                            if fail {
                                return Err(Error::Unexpected(anyhow::anyhow!("fails")));
                            }
                            Ok(())
                        })
                        .await
                    } else {
                        let mut m = w.enter().await?;
                        let out = async {
                            sqlx::query("INSERT INTO t (n) VALUES ($1)")
                                .bind(n)
                                .execute(m.conn())
                                .await?;
                            if fail {
                                return Err(Error::Unexpected(anyhow::anyhow!("fails")));
                            }
                            Ok(())
                        }
                        .await;
                        m.finish(out).await
                    }
                })
            })
            .collect();
        for (n, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap().is_ok(), n % 5 != 0, "writer {n}");
        }
        let want: Vec<i64> = (0..200).filter(|n| n % 5 != 0).collect();
        assert_eq!(rows(&read).await, want);
    }

    /// An inline writer cancelled while waiting for its turn or for the connection's thread
    /// leaves all or nothing of its writes, and the writers around it are kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_inline_writers_leave_all_or_nothing() {
        let (w, read) = writer().await;
        let mut kept = Vec::new();
        for n in 0..100i64 {
            let writer = w.clone();
            let task = tokio::spawn(async move {
                writer
                    .run_inline(|c| {
                        c.execute("INSERT INTO t (n) VALUES (?1)", [n])
                            .map_err(db)?;
                        c.execute("INSERT INTO t (n) VALUES (?1)", [n + 1000])
                            .map_err(db)?;
                        Ok(())
                    })
                    .await
            });
            if n % 3 == 0 {
                task.abort();
                let _ = task.await;
            } else {
                task.await.unwrap().unwrap();
                kept.push(n);
            }
        }
        // A last writer flushes whatever group is open.
        w.run_inline(|_| Ok(())).await.unwrap();
        let have = rows(&read).await;
        for n in 0..100 {
            let (a, b) = (have.contains(&n), have.contains(&(n + 1000)));
            assert_eq!(a, b, "writer {n} half written");
            assert!(a || !kept.contains(&n), "kept writer {n} lost");
        }
    }
}
