//! Message queues (Brity's Queue Work): create, list and delete queues of a tenant, and find
//! the queue a send or receive names (with its use flag and a secure queue's password).
//! Messages themselves: `queue_messages`. See docs/dialects/brity.md, "Queues".

use super::projects::is_admin;
use crate::oauth::Principal;
use crate::{secrets, Result, Store};
use sluice_domain::Error as DomainError;
use sluice_package::NameProblem;
use std::collections::HashMap;
use std::sync::Mutex;

/// Rows the size of a queue is spread over (see migration 0012).
pub(crate) const COUNT_SLOTS: i64 = 8;
/// Longest description kept.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Longest message lifetime: ten years.
pub const MAX_EXPIRATION_SECS: i64 = 10 * 365 * 24 * 3600;
/// Longest secure-queue password.
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Most queues one list answers.
pub const MAX_LIST: i64 = 10_000;
/// A name the paths reserve (`POST messageQueue/list` is the list, not a send).
const RESERVED: &str = "list";

/// A queue as listed and as created.
#[derive(Debug, Clone)]
pub struct Queue {
    pub id: String,
    pub name: String,
    pub description: String,
    /// 0: messages never expire.
    pub expiration_secs: i64,
    pub is_system: bool,
    pub is_used: bool,
    pub is_secure: bool,
    /// Login of its creator (`None` once that user is deleted).
    pub created_by: Option<String>,
    /// Epoch milliseconds.
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct QueueRow {
    id: String,
    name: String,
    description: String,
    expiration_secs: i64,
    is_system: bool,
    is_used: bool,
    is_secure: bool,
    created_by: Option<String>,
    created_at: i64,
}

impl From<QueueRow> for Queue {
    fn from(r: QueueRow) -> Self {
        Queue {
            id: r.id,
            name: r.name,
            description: r.description,
            expiration_secs: r.expiration_secs,
            is_system: r.is_system,
            is_used: r.is_used,
            is_secure: r.is_secure,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

const QUEUE_COLUMNS: &str = "q.id, q.name, q.description, q.expiration_secs, q.is_system, \
     q.is_used, q.is_secure, u.login AS created_by, q.created_at";

/// What `create_queue` is asked for. No `Debug`: it holds the password.
pub struct NewQueue<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub expiration_secs: i64,
    pub is_system: bool,
    pub is_used: bool,
    pub is_secure: bool,
    /// Required for a secure queue, refused for another.
    pub password: Option<&'a str>,
}

/// The queue a send or receive goes to, once found and opened to the caller.
#[derive(Debug, Clone)]
pub struct QueueRef {
    pub id: String,
    pub org_id: i64,
    pub name: String,
    pub expiration_secs: i64,
    pub is_secure: bool,
}

/// A queue operation's refusal, beside the store's usual errors.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The name breaks the naming rule (INVALID_OBJECT_NAME).
    #[error("invalid queue name: {0}")]
    InvalidName(NameProblem),
    /// The tenant has a queue of that name (ALREADY_USE_NAME).
    #[error("the tenant already has a queue named {0:?}")]
    NameInUse(String),
    /// No such queue in the caller's tenant.
    #[error("the queue {0:?} does not exist")]
    NotFound(String),
    /// The queue's `isUsed` is N.
    #[error("the queue {0:?} is not in use")]
    NotInUse(String),
    /// A secure queue's password is missing or wrong.
    #[error("the password of the secure queue {0:?} is missing or wrong")]
    WrongPassword(String),
    /// The queue holds [`super::queue_messages::MAX_QUEUE_SIZE`] messages.
    #[error("the queue {0:?} is full")]
    Full(String),
    /// Anything else (invalid input, forbidden, database).
    #[error(transparent)]
    Store(#[from] crate::Error),
}

impl From<DomainError> for QueueError {
    fn from(e: DomainError) -> Self {
        Self::Store(crate::Error::Domain(e))
    }
}

impl From<sqlx::Error> for QueueError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Checks a queue name: Brity's object naming rule (letters, digits and `_`, not starting
/// with a digit, at most 64 characters, not a Windows device name), and not `list`.
pub fn check_queue_name(name: &str) -> std::result::Result<(), NameProblem> {
    sluice_package::check_name(name)?;
    if name.eq_ignore_ascii_case(RESERVED) {
        return Err(NameProblem::UseReservedWord);
    }
    Ok(())
}

/// Secure-queue passwords already verified, so that a client sending many messages pays
/// argon2 once. Maps a keyed SHA-256 of queue id and password (the key is random per
/// process, so nothing here can be checked offline) to the stored hash it matched; an entry
/// counts only while that hash is the queue's, so a deleted and re-created queue starts over.
#[derive(Default)]
struct VerifiedQueuePasswords {
    salt: std::sync::OnceLock<[u8; 32]>,
    entries: Mutex<HashMap<[u8; 32], String>>,
}

const MAX_VERIFIED: usize = 10_000;

/// One cache per process: entries are keyed by queue id (a UUID) and count only against the
/// stored hash, so stores sharing a process cannot confuse each other's queues.
fn verified_passwords() -> &'static VerifiedQueuePasswords {
    static CACHE: std::sync::OnceLock<VerifiedQueuePasswords> = std::sync::OnceLock::new();
    CACHE.get_or_init(VerifiedQueuePasswords::default)
}

impl VerifiedQueuePasswords {
    fn key(&self, queue_id: &str, password: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let salt = self.salt.get_or_init(|| {
            use rand::RngCore;
            let mut s = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut s);
            s
        });
        let mut h = Sha256::new();
        h.update(salt);
        h.update(queue_id.as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    fn holds(&self, key: &[u8; 32], stored: &str) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).is_some_and(|h| h == stored)
    }

    fn remember(&self, key: [u8; 32], stored: String) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_VERIFIED {
            entries.clear();
        }
        entries.insert(key, stored);
    }
}

/// A queue as a send or receive looks it up.
#[derive(sqlx::FromRow)]
struct UseRow {
    id: String,
    name: String,
    expiration_secs: i64,
    is_used: bool,
    is_secure: bool,
    password_hash: Option<String>,
}

const USE_SQL: &str = "SELECT id, name, expiration_secs, is_used, is_secure, password_hash \
     FROM rpa_queues WHERE org_id = $1 AND lower(name) = lower($2)";

impl Store {
    /// Creates a queue of the caller's tenant. Any user may create one; a system queue only
    /// a tenant administrator.
    pub async fn create_queue(
        &self,
        caller: &Principal,
        new: &NewQueue<'_>,
    ) -> std::result::Result<Queue, QueueError> {
        check_queue_name(new.name).map_err(QueueError::InvalidName)?;
        if new.description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(DomainError::invalid(format!(
                "desc is longer than {MAX_DESCRIPTION_CHARS} characters."
            ))
            .into());
        }
        if !(0..=MAX_EXPIRATION_SECS).contains(&new.expiration_secs) {
            return Err(DomainError::invalid(format!(
                "messageExpirationTime must be 0 (never) to {MAX_EXPIRATION_SECS} seconds."
            ))
            .into());
        }
        if new.is_system && !is_admin(caller) {
            return Err(DomainError::Forbidden(
                "Only a tenant administrator may create a system queue.".into(),
            )
            .into());
        }
        let password = new.password.filter(|p| !p.is_empty());
        let password_hash = match (new.is_secure, password) {
            (true, None) => {
                return Err(DomainError::invalid("A secure queue needs a password.").into())
            }
            (false, Some(_)) => {
                return Err(DomainError::invalid(
                    "password is only for a secure queue (isSecureQueue Y).",
                )
                .into())
            }
            (true, Some(p)) if p.chars().count() > MAX_PASSWORD_CHARS => {
                return Err(DomainError::invalid(format!(
                    "password is longer than {MAX_PASSWORD_CHARS} characters."
                ))
                .into())
            }
            (true, Some(p)) => {
                let p = p.to_string();
                Some(
                    tokio::task::spawn_blocking(move || secrets::hash_password(&p))
                        .await
                        .map_err(|e| crate::Error::Unexpected(e.into()))?,
                )
            }
            (false, None) => None,
        };
        let id = uuid::Uuid::new_v4().to_string();
        let now = self.clock().now().timestamp_millis();
        let creator = caller.user.as_ref().map(|u| u.id.0);
        let slots: Vec<String> = (0..COUNT_SLOTS).map(|s| format!("($1, {s})")).collect();
        let slots = format!(
            "INSERT INTO rpa_queue_counts (queue_id, slot) VALUES {}",
            slots.join(", ")
        );
        let created: Result<bool> = async {
            Ok(write_tx!(self, |tx| {
                let taken: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM rpa_queues WHERE org_id = $1 AND lower(name) = lower($2)",
                )
                .bind(caller.org.id.0)
                .bind(new.name)
                .fetch_optional(&mut *tx)
                .await?;
                if taken.is_some() {
                    false
                } else {
                    sqlx::query(
                        "INSERT INTO rpa_queues (id, org_id, name, description, expiration_secs, \
                     is_system, is_used, is_secure, password_hash, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(&id)
                    .bind(caller.org.id.0)
                    .bind(new.name)
                    .bind(new.description)
                    .bind(new.expiration_secs)
                    .bind(new.is_system)
                    .bind(new.is_used)
                    .bind(new.is_secure)
                    .bind(&password_hash)
                    .bind(creator)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(&slots).bind(&id).execute(&mut *tx).await?;
                    true
                }
            }))
        }
        .await;
        let in_use = || QueueError::NameInUse(new.name.to_string());
        match created {
            Ok(true) => {}
            Ok(false) => return Err(in_use()),
            // Two creates of one name at once: the unique index refuses the second.
            Err(crate::Error::Domain(DomainError::DuplicateName)) => return Err(in_use()),
            Err(e) => return Err(e.into()),
        }
        Ok(Queue {
            id,
            name: new.name.to_string(),
            description: new.description.to_string(),
            expiration_secs: new.expiration_secs,
            is_system: new.is_system,
            is_used: new.is_used,
            is_secure: new.is_secure,
            created_by: caller.user.as_ref().map(|u| u.login.clone()),
            created_at: now,
        })
    }

    /// The tenant's queues whose name holds `search` (any case), by name; at most
    /// [`MAX_LIST`].
    pub async fn queue_list(&self, caller: &Principal, search: Option<&str>) -> Result<Vec<Queue>> {
        let pattern = super::group_search::contains(search, self.folds_unicode())
            .unwrap_or_else(|| "%".into());
        let sql = format!(
            "SELECT {QUEUE_COLUMNS} FROM rpa_queues q LEFT JOIN users u ON u.id = q.created_by \
             WHERE q.org_id = $1 AND lower(q.name) LIKE $2 ESCAPE '\\' \
             ORDER BY lower(q.name), q.id LIMIT $3"
        );
        let rows: Vec<QueueRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(caller.org.id.0)
                .bind(&pattern)
                .bind(MAX_LIST)
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().map(Queue::from).collect())
    }

    /// Deletes a queue and its messages. Its creator or a tenant administrator may.
    pub async fn delete_queue(
        &self,
        caller: &Principal,
        name: &str,
    ) -> std::result::Result<(), QueueError> {
        let not_found = || QueueError::NotFound(name.to_string());
        if check_queue_name(name).is_err() {
            return Err(not_found());
        }
        let lock = self.row_lock();
        let find = format!(
            "SELECT id, created_by FROM rpa_queues WHERE org_id = $1 AND lower(name) = lower($2){lock}"
        );
        let admin = is_admin(caller);
        let me = caller.user.as_ref().map(|u| u.id.0);
        let outcome: std::result::Result<(), QueueError> = write_tx!(self, |tx| {
            let row: Option<(String, Option<i64>)> = sqlx::query_as(&find)
                .bind(caller.org.id.0)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            match row {
                None => Err(not_found()),
                Some((_, creator)) if !admin && (creator.is_none() || creator != me) => Err(
                    QueueError::Store(crate::Error::Domain(DomainError::Forbidden(
                        "Only the queue's creator or a tenant administrator may delete it.".into(),
                    ))),
                ),
                Some((id, _)) => {
                    // The messages and counters go with it (ON DELETE CASCADE).
                    sqlx::query("DELETE FROM rpa_queues WHERE id = $1")
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                    Ok(())
                }
            }
        });
        outcome
    }

    /// The queue `name` of the caller's tenant, open for a send or receive: in use, and for
    /// a secure queue with its password.
    pub async fn queue_for_use(
        &self,
        caller: &Principal,
        name: &str,
        password: Option<&str>,
    ) -> std::result::Result<QueueRef, QueueError> {
        let not_found = || QueueError::NotFound(name.to_string());
        if check_queue_name(name).is_err() {
            return Err(not_found());
        }
        let org = caller.org.id.0;
        let row: Option<UseRow> = match self.inline() {
            Some(inline) => inline.run(|conn| {
                crate::inline::first(conn, USE_SQL, &[&org, &name], |r| {
                    Ok(UseRow {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        expiration_secs: r.get(2)?,
                        is_used: r.get(3)?,
                        is_secure: r.get(4)?,
                        password_hash: r.get(5)?,
                    })
                })
            })?,
            None => read!(self, |db| {
                sqlx::query_as(USE_SQL)
                    .bind(org)
                    .bind(name)
                    .fetch_optional(db)
                    .await?
            }),
        };
        let row = row.ok_or_else(not_found)?;
        if !row.is_used {
            return Err(QueueError::NotInUse(row.name));
        }
        if row.is_secure && !self.queue_password_matches(&row, password).await? {
            return Err(QueueError::WrongPassword(row.name));
        }
        Ok(QueueRef {
            id: row.id,
            org_id: org,
            name: row.name,
            expiration_secs: row.expiration_secs,
            is_secure: row.is_secure,
        })
    }

    async fn queue_password_matches(&self, row: &UseRow, password: Option<&str>) -> Result<bool> {
        let (Some(stored), Some(password)) = (&row.password_hash, password) else {
            return Ok(false);
        };
        if password.is_empty() || password.chars().count() > MAX_PASSWORD_CHARS {
            return Ok(false);
        }
        let cache = verified_passwords();
        let key = cache.key(&row.id, password);
        if cache.holds(&key, stored) {
            return Ok(true);
        }
        let (clear, hash) = (password.to_string(), stored.clone());
        let ok = tokio::task::spawn_blocking(move || secrets::verify_password(&clear, &hash))
            .await
            .map_err(|e| crate::Error::Unexpected(e.into()))?;
        if ok {
            cache.remember(key, stored.clone());
        }
        Ok(ok)
    }
}
