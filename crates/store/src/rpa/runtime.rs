//! What the job machinery keeps in memory: its settings, the signals that wake long polls
//! and workers (no busy polling), and on PostgreSQL the `LISTEN` connection that carries
//! those signals between Sluice instances sharing one database.

use crate::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The PostgreSQL channel of the job signals.
pub(crate) const CHANNEL: &str = "sluice_rpa";

/// How the job machinery behaves; `sluice serve` flags set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RpaSettings {
    /// A bot not heard from (poll or heartbeat) for this long is down: its running job fails.
    pub bot_lapse: Duration,
    /// Wait before a failed callback is tried again; doubles each time, up to ten minutes.
    pub callback_backoff: Duration,
    /// Attempts before a callback is given up.
    pub callback_attempts: u32,
    /// Callbacks may go to loopback and private addresses (`sluice serve
    /// --callback-allow-private`); link-local, unspecified and multicast never.
    pub callback_allow_private: bool,
}

impl Default for RpaSettings {
    fn default() -> Self {
        Self {
            bot_lapse: Duration::from_secs(30),
            callback_backoff: Duration::from_secs(2),
            callback_attempts: 12,
            callback_allow_private: false,
        }
    }
}

impl RpaSettings {
    /// How often a bot must be heard from, as told to agents: a third of the lapse, in whole
    /// seconds, at least one.
    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs((self.bot_lapse.as_secs() / 3).max(1))
    }

    /// The instant before which a bot last heard from is down (`now` minus the lapse).
    pub(crate) fn up_since(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        chrono::Duration::from_std(self.bot_lapse)
            .ok()
            .and_then(|lapse| now.checked_sub_signed(lapse))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
    }

    /// The longest a long poll is held: a third of the lapse (at most 30 s), so an agent
    /// that keeps polling is heard from well within its lapse.
    pub fn poll_interval(&self) -> Duration {
        (self.bot_lapse / 3).clamp(Duration::from_millis(50), Duration::from_secs(30))
    }
}

/// A signal with its meaning, as sent between instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// A job was queued: waiting bots look for work.
    Jobs,
    /// A stop was requested or a running job ended: running bots look at their job.
    Control,
    /// A callback was queued.
    Callbacks,
}

impl Signal {
    pub(crate) fn payload(self) -> &'static str {
        match self {
            Signal::Jobs => "jobs",
            Signal::Control => "control",
            Signal::Callbacks => "callbacks",
        }
    }
}

/// The SQL call (PostgreSQL) that sends `signal` to the other instances when the
/// statement's transaction commits, for single statements that need no transaction.
pub(crate) fn notify_sql(signal: Signal) -> String {
    format!("pg_notify('{CHANNEL}', '{}')", signal.payload())
}

/// In-memory state of the job machinery, one per `Store`.
#[derive(Default)]
pub(crate) struct Runtime {
    pub(crate) jobs: Notify,
    pub(crate) control: Notify,
    pub(crate) callbacks: Notify,
    settings: RwLock<RpaSettings>,
    /// When this instance last wrote each bot's `last_seen_at` (heartbeats are throttled).
    seen: Mutex<HashMap<String, Instant>>,
    listener_started: AtomicBool,
    /// The `LISTEN` connection is up: signals of other instances arrive.
    listening: AtomicBool,
}

impl Runtime {
    pub(crate) fn wake(&self, signal: Signal) {
        match signal {
            Signal::Jobs => self.jobs.notify_waiters(),
            Signal::Control => self.control.notify_waiters(),
            Signal::Callbacks => self.callbacks.notify_waiters(),
        }
    }

    fn wake_all(&self) {
        self.jobs.notify_waiters();
        self.control.notify_waiters();
        self.callbacks.notify_waiters();
    }

    pub(crate) fn settings(&self) -> RpaSettings {
        *self.settings.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a heartbeat of `bot` should be written now (at most one write per bot per
    /// `every`); records it as written.
    pub(crate) fn heartbeat_due(&self, bot: &str, every: Duration) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get(bot) {
            Some(at) if now.duration_since(*at) < every => false,
            _ => {
                if seen.len() > 100_000 {
                    seen.clear();
                }
                seen.insert(bot.to_string(), now);
                true
            }
        }
    }

    /// Records that `bot`'s heartbeat was written by a transaction of its own.
    pub(crate) fn heartbeat_written(&self, bot: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.insert(bot.to_string(), Instant::now());
    }
}

impl Store {
    /// Changes the job machinery's settings (the bot lapse, callback back-off).
    pub fn configure_rpa(&self, settings: RpaSettings) {
        *self
            .rpa_runtime
            .settings
            .write()
            .unwrap_or_else(|e| e.into_inner()) = settings;
    }

    /// The job machinery's settings.
    pub fn rpa_settings(&self) -> RpaSettings {
        self.rpa_runtime.settings()
    }

    /// The SQL that locks the rows a `SELECT` picks and skips rows another transaction holds
    /// (PostgreSQL; SQLite's single writer needs none).
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.backend {
            crate::db::Backend::Sqlite { .. } => "",
            crate::db::Backend::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// How long a waiter may sleep before it must look at the database again even without a
    /// signal: on PostgreSQL while the `LISTEN` connection is down, other instances' signals
    /// are lost, so waiters look every second.
    pub(crate) fn recheck_after(&self) -> Option<Duration> {
        self.ensure_listener();
        (self.is_postgres() && !self.rpa_runtime.listening.load(Ordering::Relaxed))
            .then_some(Duration::from_secs(1))
    }

    /// Starts (once) the task that turns other instances' `NOTIFY`s into local signals.
    pub(crate) fn ensure_listener(&self) {
        let crate::db::Backend::Postgres(pool) = &self.backend else {
            return;
        };
        if self
            .rpa_runtime
            .listener_started
            .swap(true, Ordering::SeqCst)
        {
            return;
        }
        let options = (*pool.connect_options()).clone();
        let runtime = self.rpa_runtime.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = listen(&options, &runtime).await {
                    tracing::warn!(error = %e, "job signal listener lost its connection");
                }
                runtime.listening.store(false, Ordering::SeqCst);
                // Whatever was signalled meanwhile is found by looking again.
                runtime.wake_all();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

/// Listens on a connection of its own (not one of the pool's) until it fails or drops.
async fn listen(
    options: &sqlx::postgres::PgConnectOptions,
    runtime: &std::sync::Arc<Runtime>,
) -> Result<(), sqlx::Error> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await?;
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    runtime.listening.store(true, Ordering::SeqCst);
    runtime.wake_all();
    // `try_recv` answers `None` when the connection dropped (signals may have been lost):
    // start over, which wakes every waiter to look again.
    while let Some(n) = listener.try_recv().await? {
        match n.payload() {
            "jobs" => runtime.wake(Signal::Jobs),
            "control" => runtime.wake(Signal::Control),
            "callbacks" => runtime.wake(Signal::Callbacks),
            _ => runtime.wake_all(),
        }
    }
    Ok(())
}

/// Sends `$signal` to other instances when `$tx` commits (PostgreSQL `NOTIFY` is
/// transactional); the local signal is given by the caller after the commit.
macro_rules! notify_instances {
    ($store:expr, $tx:expr, $signal:expr) => {
        if $store.is_postgres() {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind($crate::rpa::runtime::CHANNEL)
                .bind($signal.payload())
                .execute(&mut *$tx)
                .await?;
        }
    };
}
