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
    conn: Option<PoolConnection<Sqlite>>,
    group: Option<Group>,
    /// A writer was cancelled before it finished; undo its work before going on.
    orphan: Orphan,
    /// The last writer's savepoint succeeded and is still open: it is released together
    /// with the next writer's SAVEPOINT (one round trip instead of two), or by COMMIT.
    unreleased: bool,
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
        st.conn = None;
        drop(st);
        self.pool.close().await;
    }

    /// Waits for the connection and opens this writer's savepoint.
    pub async fn enter(self: &Arc<Self>) -> Result<Member> {
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
        if let Err(e) = member.begin().await {
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

    async fn begin(&mut self) -> Result<()> {
        let pool = self.writer.pool.clone();
        let st = self.state();
        if st.conn.is_none() {
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
        // A statement that is awaited has been handed to SQLite's thread and runs even if
        // this request is cancelled meanwhile, so the state records its effect first: a
        // cancelled writer is then undone by the next one (see `Drop`).
        let opened = st.group.is_none();
        let sql = if opened {
            let (done, _) = watch::channel(None);
            st.group = Some(Group { members: 0, done });
            "BEGIN IMMEDIATE"
        } else if std::mem::take(&mut st.unreleased) {
            "RELEASE member; SAVEPOINT member"
        } else {
            "SAVEPOINT member"
        };
        self.leader = opened;
        self.open = true;
        let conn = self.state().conn.as_mut().expect("connection");
        exec(conn, sql).await
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
