//! What wakes the scheduler: a reservation saved through this `Store` (a local signal), or
//! through another instance sharing the PostgreSQL database (`NOTIFY` on a channel of its
//! own, heard by a `LISTEN` connection the scheduler keeps). And what the scheduler tells:
//! the clock time of its last finished pass, so tests on the manual clock wait for a pass
//! instead of sleeping.

use crate::Store;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// The PostgreSQL channel reservation changes are announced on.
pub(crate) const CHANNEL: &str = "sluice_schedules";

/// The scheduler signals of one `Store` (shared by its clones).
pub(crate) struct SchedulerSignals {
    /// A reservation changed: look at the earliest occurrence again.
    pub wake: Notify,
    /// The clock time the last finished pass went by.
    pub passed: watch::Sender<Option<DateTime<Utc>>>,
}

/// The signals of each live `Store`, keyed by its job runtime (one per `Store` and its
/// clones). A registry rather than a field, so the scheduler stays within its own files.
static REGISTRY: Mutex<Vec<(Weak<super::runtime::Runtime>, Arc<SchedulerSignals>)>> =
    Mutex::new(Vec::new());

/// Sends the reservation-change signal to the other instances when `$tx` commits
/// (PostgreSQL `NOTIFY` is transactional); the caller wakes its own scheduler afterwards.
macro_rules! notify_schedulers {
    ($store:expr, $tx:expr) => {
        if $store.is_postgres() {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind($crate::rpa::schedule_signals::CHANNEL)
                .execute(&mut *$tx)
                .await?;
        }
    };
}
pub(crate) use notify_schedulers;

impl Store {
    pub(crate) fn scheduler_signals(&self) -> Arc<SchedulerSignals> {
        let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        registry.retain(|(runtime, _)| runtime.strong_count() > 0);
        let key = Arc::as_ptr(&self.rpa_runtime);
        if let Some((_, signals)) = registry.iter().find(|(r, _)| r.as_ptr() == key) {
            return signals.clone();
        }
        let signals = Arc::new(SchedulerSignals {
            wake: Notify::new(),
            passed: watch::Sender::new(None),
        });
        registry.push((Arc::downgrade(&self.rpa_runtime), signals.clone()));
        signals
    }

    /// Wakes this instance's scheduler (after a reservation change committed).
    pub(crate) fn wake_schedulers(&self) {
        self.scheduler_signals().wake.notify_waiters();
    }

    /// Completes once this instance's scheduler has finished a pass at clock time `at` or
    /// later (tests move the manual clock, then wait for the scheduler to act on it).
    pub async fn scheduler_passed(&self, at: DateTime<Utc>) {
        let mut rx = self.scheduler_signals().passed.subscribe();
        // The sender lives in the registry as long as this store: the wait cannot fail.
        let _ = rx.wait_for(|p| p.is_some_and(|p| p >= at)).await;
    }

    /// On PostgreSQL, starts the task that turns other instances' reservation changes into
    /// wake-ups of this scheduler; it ends when the returned guard is dropped.
    pub(crate) fn listen_for_schedules(&self, signals: Arc<SchedulerSignals>) -> ListenerGuard {
        let crate::db::Backend::Postgres(pool) = &self.backend else {
            return ListenerGuard(None);
        };
        let options = (*pool.connect_options()).clone();
        ListenerGuard(Some(tokio::spawn(async move {
            loop {
                if let Err(e) = listen(&options, &signals).await {
                    tracing::warn!(error = %e, "reservation signal listener lost its connection");
                }
                // Whatever changed meanwhile is found by looking again.
                signals.wake.notify_waiters();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })))
    }
}

/// Stops the listener task when dropped (the scheduler's future was dropped).
pub(crate) struct ListenerGuard(Option<tokio::task::JoinHandle<()>>);

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// Listens on a connection of its own until it fails or drops.
async fn listen(
    options: &sqlx::postgres::PgConnectOptions,
    signals: &SchedulerSignals,
) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(
        &sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options.clone()),
    )
    .await?;
    listener.listen(CHANNEL).await?;
    signals.wake.notify_waiters();
    while listener.try_recv().await?.is_some() {
        signals.wake.notify_waiters();
    }
    Ok(())
}
