//! Cases moved by HTTP messages and service calls rather than by people: message starts,
//! receive tasks, and the store side of service tasks (the HTTP calling is the worker in
//! the server, crates/http/src/service_tasks.rs; it claims due calls here and reports their
//! results).

use super::commands::{
    insert_case, load_case, log_entry, micros_now, participant_changes, participants, persist_case,
    resolve_case, sync_deadlines, sync_service_calls, update_document, version_row, NewCase,
};
use super::lookups::lookup;
use super::records::{CcRecord, CcRow, DocRow, CC_COLUMNS, DOC_COLUMNS};
use super::Actor;
use crate::{Result, Store};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sluice_domain::engine::{Case, Values};
use sluice_domain::workflow::{Node, NodeKind};
use sluice_domain::{DocId, Error, FamilyId, NodeId, OrgId, UserId, WorkflowId};
use std::sync::atomic::{AtomicI64, Ordering};

/// Longest idempotency key a message start accepts.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;
/// How long a message start's idempotency key is remembered.
const IDEMPOTENCY_HOURS: i64 = 24;
/// Seconds between sweeps of expired idempotency keys.
const SWEEP_SECONDS: i64 = 60;
/// Expired keys deleted per write transaction of a sweep (keeps each one short).
const SWEEP_BATCH: i64 = 1000;
/// When this process last swept expired keys (Unix seconds). Process-wide rather than per
/// store: a sweep only frees space (expired keys are ignored and overwritten anyway).
static LAST_SWEEP: AtomicI64 = AtomicI64::new(0);

/// A service task waiting for its HTTP call: `attempt` calls were started so far. A claimed
/// call ([`Store::claim_service_call`]) carries the attempt its worker makes, and only that
/// attempt's result is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceCall {
    pub org: OrgId,
    pub doc: DocId,
    pub node: NodeId,
    pub attempt: i64,
}

/// A message start lost the race for its idempotency key to a request that committed
/// first: its transaction rolls back, and the winner's case is the answer (never leaves
/// this module).
#[derive(Debug, thiserror::Error)]
#[error("idempotency key taken by document {0}")]
struct KeyTaken(DocId);

/// The event an idempotency key belongs to, the same in every version of the family: the
/// start event's BPMN element id, or `#` and its node id (migration 0018).
fn start_event(node: &Node) -> String {
    node.key
        .clone()
        .unwrap_or_else(|| format!("#{}", node.id.0))
}

/// An earlier start of the event by this key ($1 organization, $2 family, $3 event, $4
/// key), while version $5 is active: its case and when it was made.
const EARLIER_SQL: &str = "SELECT doc_id, created_at FROM message_start_keys \
     WHERE org_id = $1 AND family_id = $2 AND start_event = $3 AND idempotency_key = $4 \
     AND EXISTS (SELECT 1 FROM workflows WHERE id = $5 AND is_active)";

/// The organization's earliest active administrator ($1): whom message starts run as when
/// the trigger names nobody.
const ADMIN_SQL: &str = "SELECT id FROM users WHERE org_id = $1 AND is_admin AND is_active \
     ORDER BY created_at, id LIMIT 1";

/// Remembers a start's key ($1 organization, $2 family, $3 event, $4 key, $5 document, $6
/// time) and answers the case the key stands for: this one, or the one of a request that
/// committed first (PostgreSQL waits here for a concurrent one; SQLite's one writer has
/// run it already). A key older than $7 is taken over.
const REMEMBER_SQL: &str = "INSERT INTO message_start_keys (org_id, family_id, start_event, \
     idempotency_key, doc_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (org_id, family_id, start_event, idempotency_key) DO UPDATE SET \
     doc_id = CASE WHEN message_start_keys.created_at < $7 THEN excluded.doc_id \
     ELSE message_start_keys.doc_id END, \
     created_at = CASE WHEN message_start_keys.created_at < $7 THEN excluded.created_at \
     ELSE message_start_keys.created_at END \
     RETURNING doc_id";

/// What a waiting case gets: a message at a receive task of its version, or the answer of
/// a claimed service call.
#[derive(Clone, Copy)]
enum Waiting<'a> {
    Message(WorkflowId),
    Service(&'a ServiceCall),
}

/// What a message start reads before writing.
enum Prior {
    /// The key started a case already.
    Started(DocId),
    /// A new case, created by this user.
    Create(UserId),
}

/// The refusal of a result whose attempt is no longer pending.
fn not_pending(call: &ServiceCall) -> Error {
    Error::conflict(format!(
        "Document {} has no call pending at service task {} in attempt {}.",
        call.doc, call.node, call.attempt
    ))
}

/// Refuses (a conflict) unless `$call`'s attempt is the pending one of its node, in `$tx`
/// after the case is loaded (and locked, on PostgreSQL).
macro_rules! pending_attempt {
    ($tx:expr, $call:expr) => {{
        let call: &ServiceCall = $call;
        let pending = scalar_i64!(
            &mut *$tx,
            "SELECT COUNT(*) FROM document_service_calls WHERE doc_id = $1 AND node_id = $2 \
             AND attempt = $3",
            call.doc.0,
            call.node.0,
            call.attempt
        );
        if pending == 0 {
            return Err(not_pending(call).into());
        }
    }};
}

impl Store {
    /// Starts a case of version `workflow` at its message start event `node`, with `values`
    /// written first. The version must be active. The case is created as the trigger's
    /// `run_as` user, else the organization's earliest administrator. With an `idempotency`
    /// key, a repeated request for the same start event of the family (within 24 hours, in
    /// any version, also one racing this one) answers the first case and `false`.
    pub async fn start_by_message(
        &self,
        org: OrgId,
        workflow: WorkflowId,
        node: NodeId,
        values: Values,
        idempotency: Option<&str>,
    ) -> Result<(DocId, bool)> {
        if let Some(key) = idempotency {
            if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
                return Err(Error::invalid(format!(
                    "The idempotency key must have 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters."
                ))
                .into());
            }
            if key.contains('\0') {
                return Err(Error::invalid("The idempotency key must not contain NUL.").into());
            }
        }
        let now = micros_now();
        let def = self.definition(org, workflow).await?;
        let start = def
            .node(node)
            .filter(|n| matches!(n.spec.kind, NodeKind::Start { message: Some(_) }))
            .ok_or_else(|| Error::not_found("Message start event", node))?;
        let event = start_event(start);
        let family = def.workflow.family_id;
        let run_as = start.spec.kind.message().and_then(|m| m.run_as);
        let creator = match self
            .message_start_prior(org, family, workflow, &event, idempotency, run_as, now)
            .await?
        {
            Prior::Started(doc) => return Ok((doc, false)),
            Prior::Create(user) => user,
        };
        let (mut case, mut moves) = Case::create_by_message(&def, creator, node, &values, now)?;
        self.resolve_case(org, &def, &mut case, &mut moves, now)
            .await?;
        let reserved = self.reserved_serial(org, now).await?;
        let acting = case.acting_users();
        let mut participants: Vec<(UserId, bool, i64)> =
            acting.iter().map(|u| (*u, true, 0)).collect();
        if !acting.contains(&creator) {
            participants.push((creator, false, 0));
        }
        let insert = NewCase {
            title: &def.workflow.name,
            actor: Actor::new(creator, None),
            log_kind: "message_start",
            log_detail: json!({"node": node.0, "completed": moves.completed}),
            participants,
        };
        if idempotency.is_some() {
            self.sweep_idempotency_keys(now);
        }
        let created: Result<DocId> = match &self.backend {
            // SQLite: the whole start on the request's thread (`create_paths`).
            crate::db::Backend::Sqlite { writer, .. }
                if !(def.has_deadlines() || def.has_service_tasks()) =>
            {
                let cutoff = crate::inline::sql_time(&(now - Duration::hours(IDEMPOTENCY_HOURS)));
                let at = crate::inline::sql_time(&now);
                super::create_paths::create_inline(
                    writer,
                    org,
                    &def,
                    &mut case,
                    &insert,
                    now,
                    |def, row| {
                        super::create_paths::version_of(def, row)
                            .filter(|w| w.is_active)
                            .ok_or_else(|| {
                                Error::not_found("Active workflow of family", family).into()
                            })
                    },
                    |c, id| {
                        let Some(key) = idempotency else {
                            return Ok(());
                        };
                        let args: [&dyn rusqlite::ToSql; 7] =
                            [&org.0, &family.0, &event, &key, &id, &at, &cutoff];
                        let kept: i64 = crate::inline::first(c, REMEMBER_SQL, &args, |r| r.get(0))?
                            .ok_or_else(|| anyhow::anyhow!("no idempotency row"))?;
                        if kept != id {
                            // Rolls this case back.
                            return Err(anyhow::Error::new(KeyTaken(DocId(kept))).into());
                        }
                        Ok(())
                    },
                )
                .await
                .map(|_| case.id)
            }
            _ => {
                async {
                    Ok(write_tx!(self, |tx| {
                        if !version_row!(tx, self, org, def).is_some_and(|w| w.is_active) {
                            return Err(
                                Error::not_found("Active workflow of family", family).into()
                            );
                        }
                        insert_case!(
                            tx,
                            self,
                            org,
                            def,
                            &mut case,
                            &insert,
                            reserved.clone(),
                            now
                        );
                        if let Some(key) = idempotency {
                            let kept: i64 = sqlx::query_scalar(REMEMBER_SQL)
                                .bind(org.0)
                                .bind(family.0)
                                .bind(&event)
                                .bind(key)
                                .bind(case.id.0)
                                .bind(now)
                                .bind(now - Duration::hours(IDEMPOTENCY_HOURS))
                                .fetch_one(&mut *tx)
                                .await?;
                            if kept != case.id.0 {
                                // Rolls this case back.
                                return Err(anyhow::Error::new(KeyTaken(DocId(kept))).into());
                            }
                        }
                        case.id
                    }))
                }
                .await
            }
        };
        match created {
            Ok(doc) => Ok((doc, true)),
            Err(crate::Error::Unexpected(e)) => match e.downcast_ref::<KeyTaken>() {
                Some(KeyTaken(doc)) => Ok((*doc, false)),
                None => Err(crate::Error::Unexpected(e)),
            },
            Err(e) => Err(e),
        }
    }

    /// Before a message start writes: the case an earlier request with this key started
    /// (while `workflow` is active and the key is under 24 hours old), else who creates the
    /// new case (`run_as`, who must be an active user, or the earliest administrator). Read
    /// on the request's thread on SQLite (see `crate::inline`).
    #[allow(clippy::too_many_arguments)]
    async fn message_start_prior(
        &self,
        org: OrgId,
        family: FamilyId,
        workflow: WorkflowId,
        event: &str,
        key: Option<&str>,
        run_as: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Prior> {
        let fresh = |(doc, at): (i64, DateTime<Utc>)| {
            (at >= now - Duration::hours(IDEMPOTENCY_HOURS)).then_some(DocId(doc))
        };
        let actor = run_as.map(|u| Actor::new(u, None));
        let (earlier, admin): (Option<(i64, DateTime<Utc>)>, Option<i64>) = match self.inline() {
            Some(reads) => reads.run(|c| {
                use crate::inline::{first, time_req};
                if let Some(key) = key {
                    let args: [&dyn rusqlite::ToSql; 5] =
                        [&org.0, &family.0, &event, &key, &workflow.0];
                    let row = first(c, EARLIER_SQL, &args, |r| Ok((r.get(0)?, time_req(r, 1)?)))?;
                    if row.and_then(fresh).is_some() {
                        return Ok((row, None));
                    }
                }
                match actor {
                    Some(actor) => {
                        super::inline::check_actor(c, org, actor)?;
                        Ok((None, None))
                    }
                    None => Ok((None, first(c, ADMIN_SQL, &[&org.0], |r| r.get(0))?)),
                }
            })?,
            None => read!(self, |db| {
                let mut conn = db.acquire().await?;
                let mut earlier = None;
                if let Some(key) = key {
                    earlier = sqlx::query_as(EARLIER_SQL)
                        .bind(org.0)
                        .bind(family.0)
                        .bind(event)
                        .bind(key)
                        .bind(workflow.0)
                        .fetch_optional(&mut *conn)
                        .await?;
                }
                if earlier.and_then(fresh).is_some() {
                    (earlier, None)
                } else if let Some(actor) = actor {
                    super::check_actor!(conn, org, actor);
                    (None, None)
                } else {
                    let admin = sqlx::query_scalar(ADMIN_SQL)
                        .bind(org.0)
                        .fetch_optional(&mut *conn)
                        .await?;
                    (None, admin)
                }
            }),
        };
        if let Some(doc) = earlier.and_then(fresh) {
            return Ok(Prior::Started(doc));
        }
        match (run_as, admin) {
            (Some(user), _) => Ok(Prior::Create(user)),
            (None, Some(admin)) => Ok(Prior::Create(UserId(admin))),
            (None, None) => Err(Error::Conflict(
                "The organization has no active administrator to run as.".into(),
            )
            .into()),
        }
    }

    /// Deletes idempotency keys older than 24 hours, at most once a minute per process, in
    /// a task of its own and in short transactions, so that no start waits for it.
    fn sweep_idempotency_keys(&self, now: DateTime<Utc>) {
        let last = LAST_SWEEP.load(Ordering::Relaxed);
        let second = now.timestamp();
        if second - last < SWEEP_SECONDS
            || LAST_SWEEP
                .compare_exchange(last, second, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let store = self.clone();
        let before = now - Duration::hours(IDEMPOTENCY_HOURS);
        tokio::spawn(async move {
            loop {
                let swept: Result<u64> = async {
                    Ok(write_tx!(store, |tx| {
                        sqlx::query(
                            "DELETE FROM message_start_keys WHERE created_at < $1 AND doc_id IN \
                             (SELECT doc_id FROM message_start_keys WHERE created_at < $1 \
                             ORDER BY created_at LIMIT $2)",
                        )
                        .bind(before)
                        .bind(SWEEP_BATCH)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                    }))
                }
                .await;
                match swept {
                    Ok(n) if n as i64 == SWEEP_BATCH => {}
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not sweep expired idempotency keys");
                        break;
                    }
                }
            }
        });
    }

    /// A message reaches case `doc` of version `workflow` at its receive task `node` (a
    /// node of that version): `values` are written and the case moves on. The case must be
    /// waiting there (else a conflict, and nothing changes). Returns its new version.
    pub async fn receive_document_message(
        &self,
        org: OrgId,
        workflow: WorkflowId,
        doc: DocId,
        node: NodeId,
        values: Values,
    ) -> Result<i64> {
        self.complete_waiting(org, doc, node, values, Waiting::Message(workflow))
            .await
    }

    /// Up to `limit` service calls due by `now`, earliest first. Claim one
    /// ([`Store::claim_service_call`]) before calling.
    pub async fn due_service_calls(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ServiceCall>> {
        let rows: Vec<(i64, i64, i64, i64)> = read!(self, |db| {
            sqlx::query_as(
                "SELECT d.org_id, s.doc_id, s.node_id, s.attempt FROM document_service_calls s \
                 JOIN documents d ON d.id = s.doc_id WHERE s.due_at <= $1 \
                 ORDER BY s.due_at LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(db)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(org, doc, node, attempt)| ServiceCall {
                org: OrgId(org),
                doc: DocId(doc),
                node: NodeId(node),
                attempt,
            })
            .collect())
    }

    /// The earliest pending service call, for the worker's sleep.
    pub async fn next_service_call(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(read!(self, |db| {
            sqlx::query_scalar::<_, DateTime<Utc>>(
                "SELECT due_at FROM document_service_calls ORDER BY due_at LIMIT 1",
            )
            .fetch_optional(db)
            .await?
        }))
    }

    /// Takes a due call for one attempt: only if it is still as `call` saw it (same
    /// attempt count, due by `now`), its attempt count goes up by one and it is not due
    /// again before `now + lease` (the lease covers a worker that dies mid-call). Of several
    /// instances, exactly one gets `Some` (the call with its new attempt number, 1 for the
    /// first call); the others `None`.
    pub async fn claim_service_call(
        &self,
        call: &ServiceCall,
        now: DateTime<Utc>,
        lease: std::time::Duration,
    ) -> Result<Option<ServiceCall>> {
        let lease = Duration::from_std(lease).map_err(anyhow::Error::from)?;
        let done = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE document_service_calls SET attempt = attempt + 1, due_at = $1 \
                 WHERE doc_id = $2 AND node_id = $3 AND attempt = $4 AND due_at <= $5",
            )
            .bind(now + lease)
            .bind(call.doc.0)
            .bind(call.node.0)
            .bind(call.attempt)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok((done == 1).then_some(ServiceCall {
            attempt: call.attempt + 1,
            ..*call
        }))
    }

    /// The answer of claimed `call` (its worker's attempt): `values` (from its result
    /// mapping) are written and the case moves on. Returns the case's new version. A
    /// conflict when that attempt is no longer pending (the case moved on or was cancelled
    /// meanwhile, the call failed for good, or its lease ran out and another worker
    /// claimed it again: a slow worker never records over a newer attempt).
    pub async fn service_call_succeeded(&self, call: &ServiceCall, values: Values) -> Result<i64> {
        self.complete_waiting(
            call.org,
            call.doc,
            call.node,
            values,
            Waiting::Service(call),
        )
        .await
    }

    /// Case `doc` waiting at `node` gets what it waits for: `values` are written and it
    /// moves on, in one transaction with its log entry. Returns its new version.
    async fn complete_waiting(
        &self,
        org: OrgId,
        doc: DocId,
        node: NodeId,
        values: Values,
        waiting: Waiting<'_>,
    ) -> Result<i64> {
        let now = micros_now();
        Ok(write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            let mut case = record.case;
            match waiting {
                Waiting::Message(workflow) if case.workflow_id != workflow => {
                    return Err(Error::not_found("Document", doc).into());
                }
                Waiting::Message(_) => {}
                Waiting::Service(call) => pending_attempt!(tx, call),
            }
            let def = self.definition(org, case.workflow_id).await?;
            let before = case.clone();
            let (mut moves, action, kind) = match waiting {
                Waiting::Message(_) => (
                    case.receive(&def, node, &values, now)?,
                    "receive",
                    "message",
                ),
                Waiting::Service(_) => (
                    case.service_done(&def, node, &values, now)?,
                    "service",
                    "service_done",
                ),
            };
            resolve_case!(tx, org, def, case, moves, now);
            persist_case!(tx, def, &before, &case, now, Some(self));
            log_entry!(
                tx,
                case.id,
                Actor::new(case.creator, None),
                action,
                kind,
                json!({"node": node.0, "completed": moves.completed, "autocompleted": moves.skipped}),
                now
            );
            case.version
        }))
    }

    /// Claimed `call` failed. With `retry_at` it is tried again then (the error kept on the
    /// pending call); without, the failure is final: the case stays at the node showing
    /// `error` (`Case::service_failed`) and no further call is made. A conflict, changing
    /// nothing, when that attempt is no longer pending (as for
    /// [`Store::service_call_succeeded`]).
    pub async fn service_call_failed(
        &self,
        call: &ServiceCall,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        // PostgreSQL text cannot hold NUL; the message is the remote side's, so cleaned.
        let error: String = error.replace('\0', "").chars().take(2000).collect();
        let now = micros_now();
        let ServiceCall { org, doc, node, .. } = *call;
        write_tx!(self, |tx| {
            if let Some(at) = retry_at {
                let done = sqlx::query(
                    "UPDATE document_service_calls SET due_at = $1, last_error = $2 \
                     WHERE doc_id = $3 AND node_id = $4 AND attempt = $5 AND doc_id IN \
                     (SELECT id FROM documents WHERE org_id = $6)",
                )
                .bind(at)
                .bind(&error)
                .bind(doc.0)
                .bind(node.0)
                .bind(call.attempt)
                .bind(org.0)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(not_pending(call).into());
                }
            } else {
                let (record, _) = load_case!(tx, self, org, doc);
                pending_attempt!(tx, call);
                let mut case = record.case;
                let def = self.definition(org, case.workflow_id).await?;
                let before = case.clone();
                case.service_failed(&def, node, &error)?;
                persist_case!(tx, def, &before, &case, now, Some(self));
                log_entry!(
                    tx,
                    case.id,
                    Actor::new(case.creator, None),
                    "service",
                    "service_failed",
                    json!({"node": node.0, "error": error}),
                    now
                );
            }
        });
        Ok(())
    }
}
