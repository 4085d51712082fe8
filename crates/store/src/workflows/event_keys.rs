//! API keys of HTTP-triggered BPMN events: one per message Start and Receive node of a
//! finalized version (table `workflow_event_keys`, migration 0016).
//!
//! - A key is `slu_evt_` + 32 random bytes in unpadded base64url. The row keeps its SHA-256
//!   (compared in constant time) and the key sealed under the server's secret key, so an
//!   administrator can read it again.
//! - Stable across versions: when a version is finalized or imported, a node whose BPMN key
//!   matches a keyed node of another version of the same family takes that node's key (the
//!   latest such version's), so activating a new version does not break a configured
//!   integration. Rotating a key rotates it in every version sharing it.
//! - Issued lazily: finalize and import run without the server's secret key, so they insert
//!   the row with the key carried over or none yet; the first listing by an administrator
//!   issues missing keys. A node without a key accepts no request.
//! - A wrong key and an unknown model or node fail alike ([`Store::event_target`] answers
//!   `None`), so callers learn nothing about what exists.

use crate::{sealed, secrets, Result, Store};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sluice_domain::workflow::{Node, NodeKind};
use sluice_domain::{DocId, Error, FamilyId, NodeId, OrgId, WorkflowId};

/// The prefix of every event key (so secret scanners can find leaks).
pub const KEY_PREFIX: &str = "slu_evt_";

/// Which HTTP-triggered event a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A message start event: a request starts a case.
    Start,
    /// A receive task: a request moves a waiting case on.
    Receive,
}

impl EventKind {
    /// The node's event kind, if it is triggered over HTTP.
    pub fn of(kind: &NodeKind) -> Option<EventKind> {
        match kind {
            NodeKind::Start { message: Some(_) } => Some(EventKind::Start),
            NodeKind::Receive(_) => Some(EventKind::Receive),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            EventKind::Start => "start",
            EventKind::Receive => "receive",
        }
    }

    fn parse(code: &str) -> Result<EventKind> {
        match code {
            "start" => Ok(EventKind::Start),
            "receive" => Ok(EventKind::Receive),
            other => Err(crate::Error::Unexpected(anyhow::anyhow!(
                "event key of kind {other:?} in the database"
            ))),
        }
    }
}

/// An event node of a version with its key.
#[derive(Debug, Clone)]
pub struct EventKey {
    pub node: NodeId,
    pub workflow: WorkflowId,
    pub family: FamilyId,
    pub kind: EventKind,
    /// The node's BPMN element id.
    pub bpmn_key: Option<String>,
    pub key: String,
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
}

/// Where a keyed request goes: the node it names, once its key matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTarget {
    pub org: OrgId,
    pub workflow: WorkflowId,
    pub node: NodeId,
}

/// A new event key.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", base64url(&bytes))
}

/// Unpadded base64url (RFC 4648 §5).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// The place a sealed key is bound to: a sealed value moved to a row of another key does
/// not open. Rows sharing a key across versions share the place.
fn place(org: i64, hash: &str) -> String {
    format!("event_key:{org}:{hash}")
}

/// Inserts the key rows of a version's HTTP-triggered nodes (message Start and Receive)
/// inside the caller's write transaction (finalize, import); nodes already keyed are left
/// alone, so calling it twice is harmless. Usage:
/// `insert_event_keys!(tx, org, workflow_id, &nodes)` with `nodes: &[Node]` (final ids).
macro_rules! insert_event_keys {
    ($tx:ident, $org:expr, $wf:expr, $nodes:expr) => {{
        let org: sluice_domain::OrgId = $org;
        let wf: sluice_domain::WorkflowId = $wf;
        let events = $crate::workflows::event_keys::event_nodes($nodes);
        if !events.is_empty() {
            let family: i64 = sqlx::query_scalar("SELECT family_id FROM workflows WHERE id = $1")
                .bind(wf.0)
                .fetch_one(&mut *$tx)
                .await?;
            // Keys of other versions of the family, latest version first.
            let earlier: Vec<$crate::workflows::event_keys::Inherited> = sqlx::query_as(
                "SELECT bpmn_key, key_hash, sealed_key, created_at, rotated_at \
                 FROM workflow_event_keys WHERE family_id = $1 AND workflow_id <> $2 \
                 AND bpmn_key IS NOT NULL AND key_hash IS NOT NULL \
                 ORDER BY workflow_id DESC",
            )
            .bind(family)
            .bind(wf.0)
            .fetch_all(&mut *$tx)
            .await?;
            let now = chrono::Utc::now();
            for (node, kind, bpmn_key) in events {
                let from = bpmn_key
                    .and_then(|k| earlier.iter().find(|e| e.bpmn_key.as_deref() == Some(k)));
                sqlx::query(
                    "INSERT INTO workflow_event_keys (node_id, org_id, family_id, workflow_id, \
                     kind, bpmn_key, key_hash, sealed_key, created_at, rotated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (node_id) DO NOTHING",
                )
                .bind(node.0)
                .bind(org.0)
                .bind(family)
                .bind(wf.0)
                .bind(kind.code())
                .bind(bpmn_key)
                .bind(from.and_then(|e| e.key_hash.clone()))
                .bind(from.and_then(|e| e.sealed_key.clone()))
                .bind(from.map_or(now, |e| e.created_at))
                .bind(from.and_then(|e| e.rotated_at))
                .execute(&mut *$tx)
                .await?;
            }
        }
    }};
}
pub(crate) use insert_event_keys;

/// A key row of another version, for [`insert_event_keys!`].
#[derive(sqlx::FromRow)]
pub(crate) struct Inherited {
    pub bpmn_key: Option<String>,
    pub key_hash: Option<String>,
    pub sealed_key: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
}

/// The HTTP-triggered nodes: id, kind and BPMN key.
pub(crate) fn event_nodes(nodes: &[Node]) -> Vec<(NodeId, EventKind, Option<&str>)> {
    nodes
        .iter()
        .filter_map(|n| EventKind::of(&n.spec.kind).map(|k| (n.id, k, n.key.as_deref())))
        .collect()
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    node_id: i64,
    org_id: i64,
    family_id: i64,
    workflow_id: i64,
    kind: String,
    bpmn_key: Option<String>,
    key_hash: Option<String>,
    sealed_key: Option<Vec<u8>>,
    created_at: DateTime<Utc>,
    rotated_at: Option<DateTime<Utc>>,
}

const KEY_COLUMNS: &str = "node_id, org_id, family_id, workflow_id, kind, bpmn_key, key_hash, \
     sealed_key, created_at, rotated_at";

impl KeyRow {
    fn into_key(self, secret: &[u8; 32]) -> Result<EventKey> {
        let (Some(hash), Some(sealed)) = (&self.key_hash, &self.sealed_key) else {
            return Err(crate::Error::Unexpected(anyhow::anyhow!(
                "event key of node {} not issued",
                self.node_id
            )));
        };
        let plain = sealed::open(secret, &place(self.org_id, hash), sealed)
            .ok()
            .and_then(|p| String::from_utf8(p).ok())
            .ok_or_else(|| {
                crate::Error::Unexpected(anyhow::anyhow!(
                    "event key of node {} does not open",
                    self.node_id
                ))
            })?;
        Ok(EventKey {
            node: NodeId(self.node_id),
            workflow: WorkflowId(self.workflow_id),
            family: FamilyId(self.family_id),
            kind: EventKind::parse(&self.kind)?,
            bpmn_key: self.bpmn_key,
            key: plain,
            created_at: self.created_at,
            rotated_at: self.rotated_at,
        })
    }
}

/// A fresh key's stored forms: hash and sealed key.
fn issue(org: OrgId, secret: &[u8; 32]) -> (String, Vec<u8>) {
    let key = generate();
    let hash = secrets::hash_key(&key);
    let sealed = sealed::seal(secret, &place(org.0, &hash), key.as_bytes());
    (hash, sealed)
}

impl Store {
    /// The event nodes of a version with their keys, in node order; issues the keys not yet
    /// issued. `secret` is the server's secret key.
    pub async fn event_keys(
        &self,
        org: OrgId,
        wf: WorkflowId,
        secret: &[u8; 32],
    ) -> Result<Vec<EventKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM workflow_event_keys \
             WHERE org_id = $1 AND workflow_id = $2 ORDER BY node_id"
        );
        let rows: Vec<KeyRow> = read!(self, |db| {
            super::workflow_in!(db, org, wf);
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(wf.0)
                .fetch_all(db)
                .await?
        });
        if rows.iter().all(|r| r.key_hash.is_some()) {
            return rows.into_iter().map(|r| r.into_key(secret)).collect();
        }
        let rows: Vec<KeyRow> = write_tx!(self, |tx| {
            let missing: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(
                "SELECT node_id, family_id, kind, bpmn_key FROM workflow_event_keys \
                 WHERE org_id = $1 AND workflow_id = $2 AND key_hash IS NULL",
            )
            .bind(org.0)
            .bind(wf.0)
            .fetch_all(&mut *tx)
            .await?;
            let now = Utc::now();
            for (node, family, kind, bpmn_key) in missing {
                // A node with a BPMN id shares the key of the same node in the family's
                // other versions, whichever version is listed first: an issued one is
                // taken over, a fresh one is given to all of them at once.
                let shared: Option<(String, Vec<u8>, DateTime<Utc>)> = match &bpmn_key {
                    Some(k) => {
                        sqlx::query_as(
                            "SELECT key_hash, sealed_key, created_at FROM workflow_event_keys \
                             WHERE family_id = $1 AND bpmn_key = $2 AND kind = $3 \
                             AND key_hash IS NOT NULL ORDER BY workflow_id DESC LIMIT 1",
                        )
                        .bind(family)
                        .bind(k)
                        .bind(&kind)
                        .fetch_optional(&mut *tx)
                        .await?
                    }
                    None => None,
                };
                let (hash, sealed, created) = match shared {
                    Some(found) => found,
                    None => {
                        let (hash, sealed) = issue(org, secret);
                        (hash, sealed, now)
                    }
                };
                // Guarded by `key_hash IS NULL`: a concurrent listing that issued it first wins.
                sqlx::query(
                    "UPDATE workflow_event_keys SET key_hash = $1, sealed_key = $2, \
                     created_at = $3 WHERE key_hash IS NULL AND (node_id = $4 OR \
                     (family_id = $5 AND bpmn_key = $6 AND kind = $7))",
                )
                .bind(hash)
                .bind(sealed)
                .bind(created)
                .bind(node)
                .bind(family)
                .bind(&bpmn_key)
                .bind(&kind)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(wf.0)
                .fetch_all(&mut *tx)
                .await?
        });
        rows.into_iter().map(|r| r.into_key(secret)).collect()
    }

    /// Gives a version's event node a new key, in every version of the family sharing the
    /// old one; the old key stops working at once.
    pub async fn rotate_event_key(
        &self,
        org: OrgId,
        wf: WorkflowId,
        node: NodeId,
        secret: &[u8; 32],
    ) -> Result<EventKey> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM workflow_event_keys \
             WHERE org_id = $1 AND workflow_id = $2 AND node_id = $3"
        );
        let row: KeyRow = write_tx!(self, |tx| {
            super::workflow_in!(&mut *tx, org, wf);
            let row: Option<KeyRow> = sqlx::query_as(&sql)
                .bind(org.0)
                .bind(wf.0)
                .bind(node.0)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(Error::not_found("Node", node).into());
            };
            let (hash, sealed) = issue(org, secret);
            let now = Utc::now();
            sqlx::query(
                "UPDATE workflow_event_keys SET key_hash = $1, sealed_key = $2, rotated_at = $3 \
                 WHERE node_id = $4 OR (family_id = $5 AND key_hash = $6)",
            )
            .bind(hash)
            .bind(sealed)
            .bind(now)
            .bind(node.0)
            .bind(row.family_id)
            .bind(row.key_hash.as_deref().unwrap_or(""))
            .execute(&mut *tx)
            .await?;
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(wf.0)
                .bind(node.0)
                .fetch_one(&mut *tx)
                .await?
        });
        row.into_key(secret)
    }

    /// The node a keyed request names, if `presented` is its key: for a message start the
    /// node of the family's active version, for a receive the node of the case's own
    /// version. `node` is the BPMN element id or the numeric node id. Anything unknown and a
    /// wrong key alike answer `None`. Read on the request's thread on SQLite (see
    /// `crate::inline`): every event request starts here.
    pub async fn event_target(
        &self,
        family: FamilyId,
        node: &str,
        case: Option<DocId>,
        presented: &str,
    ) -> Result<Option<EventTarget>> {
        if !presented.starts_with(KEY_PREFIX) || node.is_empty() || node.len() > 255 {
            return Ok(None);
        }
        let numeric = node.parse::<i64>().unwrap_or(-1);
        let doc = case.map_or(0, |d| d.0);
        let sql = if case.is_some() {
            RECEIVE_TARGET_SQL
        } else {
            START_TARGET_SQL
        };
        type Row = (i64, i64, i64, Option<String>);
        let row: Option<Row> = match self.inline() {
            Some(reads) => reads.run(|c| {
                let args: [&dyn rusqlite::ToSql; 4] = [&family.0, &node, &numeric, &doc];
                crate::inline::first(c, sql, &args, |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
            })?,
            None => read!(self, |db| {
                let q = sqlx::query_as(sql).bind(family.0).bind(node).bind(numeric);
                match case {
                    Some(_) => q.bind(doc).fetch_optional(db).await?,
                    None => q.fetch_optional(db).await?,
                }
            }),
        };
        // Hash and compare even when nothing matched, so timing does not tell either.
        let (target, hash) = match row {
            Some((org, wf, node, Some(hash))) => (
                Some(EventTarget {
                    org: OrgId(org),
                    workflow: WorkflowId(wf),
                    node: NodeId(node),
                }),
                hash,
            ),
            _ => (None, String::new()),
        };
        let matches = secrets::key_matches(presented, &hash);
        Ok(target.filter(|_| matches))
    }
}

/// The message start a request names ($1 family, $2 BPMN id, $3 node id) in the family's
/// active version, with its key's hash.
const START_TARGET_SQL: &str = "SELECT k.org_id, k.workflow_id, k.node_id, k.key_hash \
     FROM workflow_event_keys k JOIN workflows w ON w.id = k.workflow_id \
     WHERE w.is_active AND k.family_id = $1 AND k.kind = 'start' \
     AND (k.bpmn_key = $2 OR k.node_id = $3) ORDER BY k.node_id LIMIT 1";

/// The receive task a request names ($1 family, $2 BPMN id, $3 node id) in the version of
/// case $4, with its key's hash.
const RECEIVE_TARGET_SQL: &str = "SELECT k.org_id, k.workflow_id, k.node_id, k.key_hash \
     FROM workflow_event_keys k JOIN documents d ON d.workflow_id = k.workflow_id \
     AND d.family_id = k.family_id WHERE d.id = $4 AND k.family_id = $1 \
     AND k.kind = 'receive' AND (k.bpmn_key = $2 OR k.node_id = $3) \
     ORDER BY k.node_id LIMIT 1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_unpadded() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn keys_are_prefixed_and_fresh() {
        let a = generate();
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(a.len(), KEY_PREFIX.len() + 43);
        assert_ne!(a, generate());
    }
}
