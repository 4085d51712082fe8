//! Cases moved by HTTP messages and service calls rather than by people: message starts,
//! receive tasks, and the store side of service tasks (the HTTP calling is H4's worker in
//! the server; it claims due calls here and reports their results).

use super::commands::{
    load_case, log_entry, micros_now, participant_changes, participants, persist_case,
    resolve_case, sync_deadlines, sync_service_calls, update_document,
};
use super::lookups::lookup;
use super::records::{CcRecord, CcRow, DocRow, CC_COLUMNS, DOC_COLUMNS};
use super::Actor;
use crate::{Result, Store};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sluice_domain::engine::{Case, Definition, Values};
use sluice_domain::workflow::NodeKind;
use sluice_domain::{DocId, Error, FamilyId, NodeId, OrgId, UserId};

/// Longest idempotency key a message start accepts.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;
/// How long a message start's idempotency key is remembered.
const IDEMPOTENCY_HOURS: i64 = 24;
/// Ends the message-start transaction when another request with the same idempotency key
/// got there first (never leaves this module).
const KEY_TAKEN: &str = "idempotency key taken";
/// Attempts of a message start that keeps losing idempotency races to requests that then
/// roll back.
const RACE_TRIES: u32 = 3;

/// A service task waiting for its HTTP call: `attempt` calls were started so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceCall {
    pub org: OrgId,
    pub doc: DocId,
    pub node: NodeId,
    pub attempt: i64,
}

/// The node a message names in a version: its BPMN key, or its numeric id.
fn named_node(def: &Definition, name: &str) -> Option<NodeId> {
    def.nodes
        .iter()
        .find(|n| n.key.as_deref() == Some(name))
        .or_else(|| {
            let id: i64 = name.parse().ok()?;
            def.nodes.iter().find(|n| n.id.0 == id)
        })
        .map(|n| n.id)
}

impl Store {
    /// Starts a case of the active version of `family` at its message start event `node`
    /// (BPMN key, or node id in that version), with `values` written first. The case is
    /// created as the trigger's `run_as` user, else the organization's earliest
    /// administrator. With an `idempotency` key, a repeated request (within 24 hours, also
    /// one racing this one) answers the first case and `false`.
    pub async fn start_by_message(
        &self,
        org: OrgId,
        family: FamilyId,
        node: &str,
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
        let active: Option<i64> = read!(self, |db| {
            sqlx::query_scalar(
                "SELECT id FROM workflows WHERE org_id = $1 AND family_id = $2 AND is_active",
            )
            .bind(org.0)
            .bind(family.0)
            .fetch_optional(db)
            .await?
        });
        let Some(workflow) = active else {
            return Err(Error::not_found("Active workflow of family", family).into());
        };
        let def = self
            .definition(org, sluice_domain::WorkflowId(workflow))
            .await?;
        let start = named_node(&def, node)
            .filter(|id| {
                def.node(*id)
                    .is_some_and(|n| matches!(n.spec.kind, NodeKind::Start { message: Some(_) }))
            })
            .ok_or_else(|| Error::not_found("Message start event", node))?;
        if let Some(key) = idempotency {
            if let Some(doc) = self.started_by_key(start, key, now).await? {
                return Ok((doc, false));
            }
        }
        let run_as = def
            .node(start)
            .and_then(|n| n.spec.kind.message())
            .and_then(|m| m.run_as);
        let creator = match run_as {
            Some(user) => user,
            None => self.earliest_admin(org).await?,
        };
        self.check_actor(org, Actor::new(creator, None)).await?;
        let (mut first, mut moves) = Case::create_by_message(&def, creator, start, &values, now)?;
        read!(self, |db| {
            let mut conn = db.acquire().await?;
            resolve_case!(conn, org, def, first, moves, now);
        });
        let title = def.workflow.name.clone();
        let reserved = self.reserved_serial(org, now).await?;
        // A request losing the idempotency race answers the winner's case: its INSERT of the
        // key waited for the winner's transaction to end, so the winner's row is committed
        // and visible now. Should the winner have rolled back instead, the key is free and
        // this request tries again (a few times: each loss means another winner committed
        // or failed meanwhile).
        let mut tries = 0;
        loop {
            tries += 1;
            let mut case = first.clone();
            // The transaction's error is looked at (a lost idempotency race), not passed on.
            let created: Result<(DocId, bool)> = async {
            Ok(write_tx!(self, |tx| {
            // Shared lock on PostgreSQL, as document/create: a concurrent delete or
            // inactivation of the version waits for this case.
            let still_active: Option<bool> = sqlx::query_scalar(&format!(
                "SELECT is_active FROM workflows WHERE org_id = $1 AND id = $2{}",
                self.for_share()
            ))
            .bind(org.0)
            .bind(workflow)
            .fetch_optional(&mut *tx)
            .await?;
            if still_active != Some(true) {
                return Err(Error::not_found("Active workflow of family", family).into());
            }
            if let Some(key) = idempotency {
                sqlx::query("DELETE FROM message_start_keys WHERE created_at < $1")
                    .bind(now - Duration::hours(IDEMPOTENCY_HOURS))
                    .execute(&mut *tx)
                    .await?;
                // SQLite's one writer sees an earlier start here even before its group
                // commits; PostgreSQL's concurrent one is caught by the key's primary key.
                let earlier: Option<i64> = sqlx::query_scalar(
                    "SELECT doc_id FROM message_start_keys WHERE node_id = $1 AND \
                     idempotency_key = $2",
                )
                .bind(start.0)
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(doc) = earlier {
                    return Ok((DocId(doc), false));
                }
            }
            let serial = match &reserved {
                Some(serial) => serial.clone(),
                None => {
                    let day = super::serials::day(now);
                    let seq: i64 = sqlx::query_scalar(
                        "INSERT INTO document_serials (org_id, day, last) VALUES ($1, $2, 1) \
                         ON CONFLICT (org_id, day) DO UPDATE SET last = document_serials.last + 1 \
                         RETURNING last",
                    )
                    .bind(org.0)
                    .bind(&day)
                    .fetch_one(&mut *tx)
                    .await?;
                    super::serials::format(&day, seq)
                }
            };
            let content = serde_json::to_string(&case.content).map_err(anyhow::Error::from)?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO documents (org_id, workflow_id, family_id, title, serial, creator_id, \
                 status, version, field_content, route, created_at, last_time, completed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) RETURNING id",
            )
            .bind(org.0)
            .bind(workflow)
            .bind(family.0)
            .bind(&title)
            .bind(&serial)
            .bind(creator.0)
            .bind(case.status.code())
            .bind(case.version)
            .bind(&content)
            .bind(serde_json::to_string(&case.route).map_err(anyhow::Error::from)?)
            .bind(now)
            .bind(case.completed_at)
            .fetch_one(&mut *tx)
            .await?;
            case.id = DocId(id);
            if let Some(key) = idempotency {
                let inserted = sqlx::query(
                    "INSERT INTO message_start_keys (org_id, node_id, idempotency_key, doc_id, \
                     created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(org.0)
                .bind(start.0)
                .bind(key)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    // Rolls the case back; the winner's case is read below.
                    return Err(Error::Conflict(KEY_TAKEN.into()).into());
                }
            }
            let acting = case.acting_users();
            let mut rows: Vec<(UserId, bool, bool)> =
                acting.iter().map(|u| (*u, true, false)).collect();
            if !acting.contains(&creator) {
                rows.push((creator, false, false));
            }
            participants!(tx, case.id, rows);
            sqlx::query(
                "INSERT INTO document_versions (doc_id, version, field_content) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(case.version)
            .bind(&content)
            .execute(&mut *tx)
            .await?;
            log_entry!(
                tx,
                case.id,
                Actor::new(creator, None),
                "create",
                "message_start",
                json!({"document": {"__id__": id}, "node": start.0, "completed": moves.completed}),
                now
            );
            sync_deadlines!(tx, def, &case, Some(self));
            sync_service_calls!(tx, def, &case, now);
            (case.id, true)
        }))
        }
        .await;
            match created {
                Ok(done) => return Ok(done),
                Err(crate::Error::Domain(Error::Conflict(m))) if m == KEY_TAKEN => {
                    let key = idempotency.unwrap_or_default();
                    if let Some(doc) = self.started_by_key(start, key, now).await? {
                        return Ok((doc, false));
                    }
                    if tries >= RACE_TRIES {
                        return Err(Error::Conflict(
                            "A request with this idempotency key is still in progress.".into(),
                        )
                        .into());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The case an earlier message start with this key created, if still remembered.
    async fn started_by_key(
        &self,
        node: NodeId,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DocId>> {
        let doc: Option<i64> = read!(self, |db| {
            sqlx::query_scalar(
                "SELECT doc_id FROM message_start_keys WHERE node_id = $1 AND \
                 idempotency_key = $2 AND created_at >= $3",
            )
            .bind(node.0)
            .bind(key)
            .bind(now - Duration::hours(IDEMPOTENCY_HOURS))
            .fetch_optional(db)
            .await?
        });
        Ok(doc.map(DocId))
    }

    /// The organization's earliest active administrator: who message starts run as when
    /// the trigger names nobody.
    async fn earliest_admin(&self, org: OrgId) -> Result<UserId> {
        let id: Option<i64> = read!(self, |db| {
            sqlx::query_scalar(
                "SELECT id FROM users WHERE org_id = $1 AND is_admin AND is_active \
                 ORDER BY created_at, id LIMIT 1",
            )
            .bind(org.0)
            .fetch_optional(db)
            .await?
        });
        id.map(UserId).ok_or_else(|| {
            Error::Conflict("The organization has no active administrator to run as.".into()).into()
        })
    }

    /// A message reaches case `doc` of `family` at its receive task `node` (BPMN key, or
    /// node id in the case's version): `values` are written and the case moves on. The case
    /// must be waiting there (else a conflict, and nothing changes). Returns its new
    /// version.
    pub async fn receive_document_message(
        &self,
        org: OrgId,
        family: FamilyId,
        doc: DocId,
        node: &str,
        values: Values,
    ) -> Result<i64> {
        let now = micros_now();
        Ok(write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            if record.family_id != family {
                return Err(Error::not_found("Document", doc).into());
            }
            let mut case = record.case;
            let def = self.definition(org, case.workflow_id).await?;
            let receive =
                named_node(&def, node).ok_or_else(|| Error::not_found("Receive task", node))?;
            let before = case.clone();
            let mut moves = case.receive(&def, receive, &values, now)?;
            resolve_case!(tx, org, def, case, moves, now);
            persist_case!(tx, def, &before, &case, now, Some(self));
            log_entry!(
                tx,
                case.id,
                Actor::new(case.creator, None),
                "receive",
                "message",
                json!({"node": receive.0, "completed": moves.completed, "autocompleted": moves.skipped}),
                now
            );
            case.version
        }))
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

    /// A service call answered: `values` (from its result mapping) are written and the case
    /// moves on. Returns the case's new version. A conflict when no call is pending there
    /// (the case moved on or was cancelled meanwhile, the call failed for good).
    pub async fn service_call_succeeded(
        &self,
        org: OrgId,
        doc: DocId,
        node: NodeId,
        values: Values,
    ) -> Result<i64> {
        let now = micros_now();
        Ok(write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            // Only a pending call is answered: not one that failed for good, or whose case
            // moved on meanwhile.
            let pending = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM document_service_calls WHERE doc_id = $1 AND node_id = $2",
                doc.0,
                node.0
            );
            if pending == 0 {
                return Err(Error::conflict(format!(
                    "Document {doc} has no call pending at service task {node}."
                ))
                .into());
            }
            let mut case = record.case;
            let def = self.definition(org, case.workflow_id).await?;
            let before = case.clone();
            let mut moves = case.service_done(&def, node, &values, now)?;
            resolve_case!(tx, org, def, case, moves, now);
            persist_case!(tx, def, &before, &case, now, Some(self));
            log_entry!(
                tx,
                case.id,
                Actor::new(case.creator, None),
                "service",
                "service_done",
                json!({"node": node.0, "completed": moves.completed, "autocompleted": moves.skipped}),
                now
            );
            case.version
        }))
    }

    /// A service call failed. With `retry_at` it is tried again then (the error kept on the
    /// pending call); without, the failure is final: the case stays at the node showing
    /// `error` (`Case::service_failed`) and no further call is made.
    pub async fn service_call_failed(
        &self,
        org: OrgId,
        doc: DocId,
        node: NodeId,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        // PostgreSQL text cannot hold NUL; the message is the remote side's, so cleaned.
        let error: String = error.replace('\0', "").chars().take(2000).collect();
        let now = micros_now();
        write_tx!(self, |tx| {
            if let Some(at) = retry_at {
                sqlx::query(
                    "UPDATE document_service_calls SET due_at = $1, last_error = $2 \
                     WHERE doc_id = $3 AND node_id = $4 AND doc_id IN \
                     (SELECT id FROM documents WHERE org_id = $5)",
                )
                .bind(at)
                .bind(&error)
                .bind(doc.0)
                .bind(node.0)
                .bind(org.0)
                .execute(&mut *tx)
                .await?;
            } else {
                let (record, _) = load_case!(tx, self, org, doc);
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
