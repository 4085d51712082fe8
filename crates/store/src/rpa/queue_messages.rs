//! Messages of a queue: send (a text or a file), receive (pop the oldest, or peek at it) and
//! the purge of expired messages.
//!
//! A send is committed before it is answered. A receive deletes the message it returns in
//! the same statement that picks it, so one consumer gets each message: PostgreSQL picks
//! with `FOR UPDATE SKIP LOCKED` (concurrent receivers, also of other instances, take
//! different messages without waiting for each other); SQLite's single writer serializes
//! receives. Expired messages are never returned: each send and receive first deletes the
//! queue's expired messages, and the bot worker purges queues nobody uses.
//!
//! The size (`queueSize`) is the sum of the queue's counter rows (`rpa_queue_counts`),
//! changed in the statement that adds or removes messages, so it is exact without counting
//! messages. Each call picks one of the rows at random, so concurrent sends and receives of
//! one queue rarely wait for each other's row lock on PostgreSQL.

use super::queues::{QueueError, QueueRef, COUNT_SLOTS};
use crate::{sealed, Result, Store};

/// Largest message (text or file content).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// Most messages a queue holds; a send beyond is refused.
pub const MAX_QUEUE_SIZE: i64 = 1_000_000;
/// Longest file name and content type kept.
pub const MAX_FILE_NAME_CHARS: usize = 255;
pub const MAX_CONTENT_TYPE_CHARS: usize = 255;
/// Queues the periodic purge visits per run (each in a transaction of its own).
const PURGE_QUEUES_PER_RUN: usize = 10_000;

/// A message, as sent and as received. No `Debug` of its content.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// `Some`: a file (sent as multipart) of that name; `None`: a text.
    pub file_name: Option<String>,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.body.len())
            .finish()
    }
}

/// A message as stored.
#[derive(sqlx::FromRow)]
struct MessageRow {
    is_file: bool,
    file_name: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
    is_sealed: bool,
}

const MESSAGE_COLUMNS: &str = "is_file, file_name, content_type, body, is_sealed";

/// The associated data of a secure queue's sealed messages: a message copied into another
/// queue or tenant does not open.
fn place(q: &QueueRef) -> String {
    format!("queue:{}:{}", q.org_id, q.id)
}

/// A secure message's sealed frame: the file name and content type are sealed with the
/// content (`u16` length, bytes, twice, then the content).
fn frame(m: &Message) -> Vec<u8> {
    let name = m.file_name.as_deref().unwrap_or("").as_bytes();
    let ctype = m.content_type.as_bytes();
    let mut out = Vec::with_capacity(4 + name.len() + ctype.len() + m.body.len());
    for part in [name, ctype] {
        out.extend_from_slice(&(part.len() as u16).to_be_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&m.body);
    out
}

fn unframe(is_file: bool, bytes: &[u8]) -> Option<Message> {
    let mut rest = bytes;
    let mut parts = Vec::with_capacity(2);
    for _ in 0..2 {
        let (len, tail) = rest.split_first_chunk::<2>()?;
        let len = u16::from_be_bytes(*len) as usize;
        if tail.len() < len {
            return None;
        }
        parts.push(String::from_utf8(tail[..len].to_vec()).ok()?);
        rest = &tail[len..];
    }
    let content_type = parts.pop()?;
    let name = parts.pop()?;
    Some(Message {
        file_name: is_file.then_some(name),
        content_type,
        body: rest.to_vec(),
    })
}

impl MessageRow {
    fn into_message(self, q: &QueueRef, key: &[u8; 32]) -> Result<Message> {
        if !self.is_sealed {
            return Ok(Message {
                file_name: self.file_name.filter(|_| self.is_file),
                content_type: self.content_type.unwrap_or_default(),
                body: self.body,
            });
        }
        let plain = sealed::open(key, &place(q), &self.body)
            .map_err(|e| crate::Error::Unexpected(e.into()))?;
        unframe(self.is_file, &plain).ok_or_else(|| {
            crate::Error::Unexpected(anyhow::anyhow!("a sealed queue message is malformed"))
        })
    }
}

/// One of the queue's counter rows, at random.
fn slot() -> i64 {
    use rand::Rng;
    rand::thread_rng().gen_range(0..COUNT_SLOTS)
}

/// A send as one round trip. Parameters: $1 queue, $2 now (ms), $3 counter slot, $4 org,
/// $5 is file, $6 file name, $7 content type, $8 body, $9 sealed, $10 expiry, $11 most
/// messages. Answers (sent 0|1, size; NULL when the queue is gone).
fn send_sql(postgres: bool) -> &'static str {
    if postgres {
        "WITH gone AS (DELETE FROM rpa_queue_messages WHERE queue_id = $1 AND expires_at <= $2 \
             RETURNING 1), \
         cur AS (SELECT SUM(n)::BIGINT - (SELECT COUNT(*) FROM gone) AS size \
             FROM rpa_queue_counts WHERE queue_id = $1), \
         ins AS (INSERT INTO rpa_queue_messages (org_id, queue_id, is_file, file_name, \
             content_type, body, is_sealed, sent_at, expires_at) \
             SELECT $4::BIGINT, $1::TEXT, $5::BOOLEAN, $6::TEXT, $7::TEXT, $8::BYTEA, \
             $9::BOOLEAN, $2::BIGINT, $10::BIGINT FROM cur WHERE cur.size < $11 RETURNING 1), \
         upd AS (UPDATE rpa_queue_counts \
             SET n = n + (SELECT COUNT(*) FROM ins) - (SELECT COUNT(*) FROM gone) \
             WHERE queue_id = $1 AND slot = $3 \
             AND (SELECT COUNT(*) FROM ins) + (SELECT COUNT(*) FROM gone) > 0) \
         SELECT (SELECT COUNT(*) FROM ins) AS sent, \
             (SELECT size FROM cur) + (SELECT COUNT(*) FROM ins) AS size"
    } else {
        // Each statement sees the previous one's `changes()`.
        "DELETE FROM rpa_queue_messages WHERE queue_id = $1 AND expires_at <= $2; \
         UPDATE rpa_queue_counts SET n = n - changes() \
             WHERE queue_id = $1 AND slot = $3 AND changes() > 0; \
         INSERT INTO rpa_queue_messages (org_id, queue_id, is_file, file_name, content_type, \
             body, is_sealed, sent_at, expires_at) \
             SELECT $4, $1, $5, $6, $7, $8, $9, $2, $10 \
             WHERE (SELECT SUM(n) FROM rpa_queue_counts WHERE queue_id = $1) < $11; \
         UPDATE rpa_queue_counts SET n = n + 1 \
             WHERE queue_id = $1 AND slot = $3 AND changes() = 1; \
         SELECT changes() AS sent, \
             (SELECT SUM(n) FROM rpa_queue_counts WHERE queue_id = $1) AS size"
    }
}

/// A receive as one round trip. Parameters: $1 queue, $2 now (ms), $3 counter slot.
/// Answers the message taken, if any.
fn receive_sql(postgres: bool) -> String {
    if postgres {
        format!(
            "WITH gone AS (DELETE FROM rpa_queue_messages WHERE queue_id = $1 \
                 AND expires_at <= $2 RETURNING 1), \
             pop AS (DELETE FROM rpa_queue_messages WHERE seq = (SELECT seq \
                 FROM rpa_queue_messages WHERE queue_id = $1 \
                 AND (expires_at IS NULL OR expires_at > $2) \
                 ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING {MESSAGE_COLUMNS}), \
             upd AS (UPDATE rpa_queue_counts \
                 SET n = n - (SELECT COUNT(*) FROM pop) - (SELECT COUNT(*) FROM gone) \
                 WHERE queue_id = $1 AND slot = $3 \
                 AND (SELECT COUNT(*) FROM pop) + (SELECT COUNT(*) FROM gone) > 0) \
             SELECT {MESSAGE_COLUMNS} FROM pop"
        )
    } else {
        format!(
            "DELETE FROM rpa_queue_messages WHERE queue_id = $1 AND expires_at <= $2; \
             UPDATE rpa_queue_counts SET n = n - changes() \
                 WHERE queue_id = $1 AND slot = $3 AND changes() > 0; \
             DELETE FROM rpa_queue_messages WHERE seq = (SELECT seq FROM rpa_queue_messages \
                 WHERE queue_id = $1 ORDER BY seq LIMIT 1) RETURNING {MESSAGE_COLUMNS}; \
             UPDATE rpa_queue_counts SET n = n - 1 \
                 WHERE queue_id = $1 AND slot = $3 AND changes() = 1"
        )
    }
}

/// The oldest message that has not expired (peek). Parameters: $1 queue, $2 now (ms).
const HEAD_SQL: &str = "SELECT is_file, file_name, content_type, body, is_sealed \
     FROM rpa_queue_messages WHERE queue_id = $1 AND (expires_at IS NULL OR expires_at > $2) \
     ORDER BY seq LIMIT 1";

/// Whether the queue holds a message that has not expired (SQLite).
const ANY_SQL: &str = "SELECT EXISTS (SELECT 1 FROM rpa_queue_messages \
     WHERE queue_id = $1 AND (expires_at IS NULL OR expires_at > $2))";

impl Store {
    /// Adds a message to the queue (committed before this returns); the queue's size then.
    /// A secure queue's message is sealed under `key`.
    pub async fn send_message(
        &self,
        q: &QueueRef,
        m: &Message,
        key: &[u8; 32],
    ) -> std::result::Result<i64, QueueError> {
        if m.body.len() > MAX_MESSAGE_BYTES {
            return Err(sluice_domain::Error::invalid(format!(
                "A message may be at most {MAX_MESSAGE_BYTES} bytes."
            ))
            .into());
        }
        let now = self.clock().now().timestamp_millis();
        let expires = (q.expiration_secs > 0).then(|| now + q.expiration_secs * 1000);
        let (file_name, content_type, body) = if q.is_secure {
            (None, None, sealed::seal(key, &place(q), &frame(m)))
        } else {
            (
                m.file_name.as_deref(),
                Some(m.content_type.as_str()),
                m.body.clone(),
            )
        };
        let sql = send_sql(self.is_postgres());
        let slot = slot();
        // The parameters of `send_sql`, in its order (one binding for both backends).
        macro_rules! bound {
            () => {
                sqlx::query_as(sql)
                    .bind(&q.id)
                    .bind(now)
                    .bind(slot)
                    .bind(q.org_id)
                    .bind(m.file_name.is_some())
                    .bind(file_name)
                    .bind(content_type)
                    .bind(&body)
                    .bind(q.is_secure)
                    .bind(expires)
                    .bind(MAX_QUEUE_SIZE)
            };
        }
        let sent: Result<(i64, Option<i64>)> = match &self.backend {
            // One statement, atomic by itself: no transaction around it (two round trips
            // fewer).
            crate::db::Backend::Postgres(pool) => {
                bound!().fetch_one(pool).await.map_err(Into::into)
            }
            crate::db::Backend::Sqlite { .. } => {
                async {
                    Ok(write_tx!(self, |tx| {
                        bound!().fetch_one(&mut *tx).await?
                    }))
                }
                .await
            }
        };
        match sent {
            Ok((1, Some(size))) => Ok(size),
            Ok((_, Some(_))) => Err(QueueError::Full(q.name.clone())),
            Ok((_, None)) => Err(QueueError::NotFound(q.name.clone())),
            // Deleted between the statement's snapshot and its insert (PostgreSQL).
            Err(crate::Error::Domain(sluice_domain::Error::Conflict(_))) => {
                Err(QueueError::NotFound(q.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Takes the oldest message of the queue (`peek`: looks at it and leaves it); `None`
    /// when the queue holds none that has not expired.
    pub async fn receive_message(
        &self,
        q: &QueueRef,
        peek: bool,
        key: &[u8; 32],
    ) -> Result<Option<Message>> {
        let now = self.clock().now().timestamp_millis();
        if peek {
            let row: Option<MessageRow> = match self.inline() {
                Some(inline) => inline.run(|conn| {
                    crate::inline::first(conn, HEAD_SQL, &[&q.id, &now], |r| {
                        Ok(MessageRow {
                            is_file: r.get(0)?,
                            file_name: r.get(1)?,
                            content_type: r.get(2)?,
                            body: r.get(3)?,
                            is_sealed: r.get(4)?,
                        })
                    })
                })?,
                None => read!(self, |db| {
                    sqlx::query_as(HEAD_SQL)
                        .bind(&q.id)
                        .bind(now)
                        .fetch_optional(db)
                        .await?
                }),
            };
            return row.map(|r| r.into_message(q, key)).transpose();
        }
        // An empty queue costs no write: SQLite looks first (a read on this thread, instead of
        // a turn of the single writer); PostgreSQL's statement writes nothing then anyway.
        if let Some(inline) = self.inline() {
            let any = inline.run(|conn| {
                crate::inline::first(conn, ANY_SQL, &[&q.id, &now], |r| r.get::<_, bool>(0))
            })?;
            if any != Some(true) {
                return Ok(None);
            }
        }
        let sql = receive_sql(self.is_postgres());
        let slot = slot();
        let rows: Vec<MessageRow> = match &self.backend {
            // One statement, atomic by itself: no transaction around it.
            crate::db::Backend::Postgres(pool) => {
                sqlx::query_as(&sql)
                    .bind(&q.id)
                    .bind(now)
                    .bind(slot)
                    .fetch_all(pool)
                    .await?
            }
            crate::db::Backend::Sqlite { .. } => write_tx!(self, |tx| {
                // Every statement of the batch runs only when the whole stream is read.
                sqlx::query_as(&sql)
                    .bind(&q.id)
                    .bind(now)
                    .bind(slot)
                    .fetch_all(&mut *tx)
                    .await?
            }),
        };
        match rows.into_iter().next() {
            Some(row) => row.into_message(q, key).map(Some).inspect_err(|e| {
                // Only a changed secret key gets here, which the server refuses at start.
                tracing::error!(queue = %q.id, error = %e, "a received queue message did not open");
            }),
            None => Ok(None),
        }
    }

    /// Deletes expired messages of queues nobody sends to or receives from (each send and
    /// receive purges its own queue), keeping their sizes right. Returns how many.
    pub async fn purge_expired_messages(&self) -> Result<u64> {
        let now = self.clock().now().timestamp_millis();
        let mut purged = 0;
        for _ in 0..PURGE_QUEUES_PER_RUN {
            let queue: Option<String> = read!(self, |db| {
                sqlx::query_scalar(
                    "SELECT queue_id FROM rpa_queue_messages WHERE expires_at <= $1 \
                     ORDER BY expires_at LIMIT 1",
                )
                .bind(now)
                .fetch_optional(db)
                .await?
            });
            let Some(queue) = queue else {
                break;
            };
            purged += write_tx!(self, |tx| {
                let n = sqlx::query(
                    "DELETE FROM rpa_queue_messages WHERE queue_id = $1 AND expires_at <= $2",
                )
                .bind(&queue)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                sqlx::query(
                    "UPDATE rpa_queue_counts SET n = n - $2 WHERE queue_id = $1 AND slot = $3",
                )
                .bind(&queue)
                .bind(n as i64)
                .bind(slot())
                .execute(&mut *tx)
                .await?;
                n
            });
        }
        Ok(purged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_frames_round_trip() {
        for m in [
            Message {
                file_name: Some("report é.pdf".into()),
                content_type: "application/pdf".into(),
                body: vec![0, 1, 2, 255],
            },
            Message {
                file_name: None,
                content_type: "text/plain; charset=utf-8".into(),
                body: b"hello".to_vec(),
            },
            Message {
                file_name: None,
                content_type: String::new(),
                body: Vec::new(),
            },
        ] {
            let bytes = frame(&m);
            assert_eq!(unframe(m.file_name.is_some(), &bytes), Some(m));
        }
        assert_eq!(unframe(false, &[0]), None);
        assert_eq!(unframe(false, &[0, 9, b'a']), None);
    }
}
