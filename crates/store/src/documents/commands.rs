//! The document commands: create, submit, reject, cancel, revoke, CC, CC reply, agent
//! assignment and deadline expiry.

use super::access::{grants, CC_TARGET_SQL};
use super::inline;
use super::lookups::lookup;
use super::records::{CcRecord, CcRow, DocRow, CC_COLUMNS, DOC_COLUMNS};
use super::{check_actor, Actor, DocumentView};
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use serde_json::json;
use sluice_domain::engine::{
    Case, Definition, Found, Lookup, Moves, Outcome, Route, SignatureKind, Submission,
};
use sluice_domain::workflow::{check_can_create_documents, Assignee, Grants, NodeKind};
use sluice_domain::{CcId, DocId, Error, NodeId, OrgId, SignatureId, UserId, WorkflowId};
use std::collections::BTreeSet;

/// A document to create.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub workflow: WorkflowId,
    pub actor: Actor,
    pub title: String,
}

/// Longest title and comment.
const MAX_TITLE_CHARS: usize = 500;
const MAX_COMMENT_BYTES: usize = 64 * 1024;
/// Most users `document/assign_agent` makes responsible for one node.
const MAX_AGENTS: usize = 1000;

/// Now, to the microsecond: what PostgreSQL keeps and what OmniBPM's datetimes show, so a
/// time a client reads back (for `document/list`'s inclusive bounds) matches on SQLite too.
pub(super) fn micros_now() -> DateTime<Utc> {
    chrono::SubsecRound::trunc_subsecs(Utc::now(), 6)
}

/// A document title as kept: trimmed, at most `MAX_TITLE_CHARS`, no control characters.
pub fn check_title(title: &str) -> Result<String> {
    let title = title.trim().to_string();
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(Error::invalid(format!(
            "title is longer than {MAX_TITLE_CHARS} characters."
        ))
        .into());
    }
    if title.chars().any(char::is_control) {
        return Err(Error::invalid("title must not contain control characters.").into());
    }
    Ok(title)
}

fn check_comment(comment: &str) -> Result<()> {
    if comment.len() > MAX_COMMENT_BYTES {
        return Err(
            Error::invalid(format!("comment is longer than {MAX_COMMENT_BYTES} bytes.")).into(),
        );
    }
    // PostgreSQL text cannot hold NUL; refused on both backends alike.
    if comment.contains('\0') {
        return Err(Error::invalid("comment must not contain NUL characters.").into());
    }
    Ok(())
}

/// Loads a document and its CCs in `$tx`, locking its row on PostgreSQL.
macro_rules! load_case {
    ($tx:expr, $store:expr, $org:expr, $doc:expr) => {{
        let sql = format!(
            "SELECT {DOC_COLUMNS} FROM documents WHERE org_id = $1 AND id = $2{}",
            $store.row_lock()
        );
        let row: Option<DocRow> = sqlx::query_as(&sql)
            .bind($org.0)
            .bind($doc.0)
            .fetch_optional(&mut *$tx)
            .await?;
        let row = row.ok_or_else(|| Error::not_found("Document", $doc))?;
        super::commands::with_ccs!($tx, row, $doc)
    }};
}

/// A document row read by `load_case!` or `load_case_checked!` as a record, with its CCs
/// (read only when it has some).
macro_rules! with_ccs {
    ($ex:expr, $row:expr, $doc:expr) => {{
        let row: DocRow = $row;
        let ccs: Vec<CcRow> = if row.cc_count == 0 {
            Vec::new()
        } else {
            sqlx::query_as(&format!(
                "SELECT {CC_COLUMNS} FROM document_ccs WHERE doc_id = $1 ORDER BY id"
            ))
            .bind($doc.0)
            .fetch_all(&mut *$ex)
            .await?
        };
        let ccs: Vec<CcRecord> = ccs.into_iter().map(CcRecord::from).collect();
        let record = row.into_record(ccs.iter().map(CcRecord::state).collect())?;
        (record, ccs)
    }};
}

/// [`load_case!`] and [`check_actor!`] in one round trip (PostgreSQL's submit): the
/// actor's two users ride along the document row as scalar subqueries. A missing document
/// asks `check_actor!` again, so an unknown or inactive actor is still reported first.
macro_rules! load_case_checked {
    ($conn:expr, $org:expr, $doc:expr, $actor:expr) => {{
        use sqlx::{FromRow, Row};
        let actor: Actor = $actor;
        let sql = format!(
            "SELECT {DOC_COLUMNS}, \
             (SELECT is_active FROM users WHERE org_id = $1 AND id = $3) AS actor_user_active, \
             (SELECT is_active FROM users WHERE org_id = $1 AND id = $4) AS actor_delegate_active \
             FROM documents WHERE org_id = $1 AND id = $2"
        );
        let row = sqlx::query(&sql)
            .bind($org.0)
            .bind($doc.0)
            .bind(actor.user.0)
            .bind(actor.delegate.0)
            .fetch_optional(&mut *$conn)
            .await?;
        let Some(row) = row else {
            check_actor!($conn, $org, actor);
            return Err(Error::not_found("Document", $doc).into());
        };
        let mut users = Vec::new();
        for (id, column) in [
            (actor.user, "actor_user_active"),
            (actor.delegate, "actor_delegate_active"),
        ] {
            if let Some(active) = row.try_get::<Option<bool>, _>(column)? {
                users.push((id.0, active));
            }
        }
        super::actor_found(&users, actor)?;
        with_ccs!($conn, DocRow::from_row(&row)?, $doc).0
    }};
}

/// Refuses a creator without the creatable permission.
pub(super) fn check_creatable(grants: &Grants, actor: Actor, workflow: WorkflowId) -> Result<()> {
    if grants.creatable {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "User {} may not create documents of workflow {workflow}.",
        actor.user
    ))
    .into())
}

/// The answer to a directory question about `active` users alone (users this request
/// has just found active, or whose activity its write checks): sorted, once each, as
/// `users_sql` would answer it. Other questions come back.
pub(super) fn known_answer(
    lookup: Lookup,
    active: &[UserId],
) -> std::result::Result<Found, Lookup> {
    match lookup {
        Lookup::Users(mut users) if users.iter().all(|u| active.contains(u)) => {
            users.sort();
            users.dedup();
            Ok(Found::Users(users))
        }
        other => Err(other),
    }
}

/// Settles `case` if the engine asks only about `active` users (`known_answer`); stops at
/// the first other question, leaving it for `resolve_case!` to go on from, and says so.
fn resolve_known(
    def: &Definition,
    case: &mut Case,
    moves: &mut Moves,
    now: DateTime<Utc>,
    active: &[UserId],
) -> bool {
    loop {
        let pending = case.unresolved(def);
        if pending.is_empty() {
            case.settle(now);
            return true;
        }
        for (node, lookup) in pending {
            match known_answer(lookup, active) {
                Ok(found) => case.resolve(def, node, found, now, moves),
                Err(_) => return false,
            }
        }
    }
}

/// Looks up every responsible-user question the engine has, then settles the case.
macro_rules! resolve_case {
    ($tx:expr, $org:expr, $def:expr, $case:expr, $moves:expr, $now:expr) => {
        resolve_case!($tx, $org, $def, $case, $moves, $now, &[])
    };
    // `$active`: users this request has just found active (its actor): a question about
    // them alone is answered without a round trip (as `users_sql` would: sorted, once each).
    ($tx:expr, $org:expr, $def:expr, $case:expr, $moves:expr, $now:expr, $active:expr) => {{
        let active: &[UserId] = $active;
        loop {
            let pending = $case.unresolved(&$def);
            if pending.is_empty() {
                break;
            }
            for (node, l) in pending {
                let found = match $crate::documents::commands::known_answer(l, active) {
                    Ok(found) => found,
                    Err(l) => lookup!($tx, $org, l),
                };
                $case.resolve(&$def, node, found, $now, &mut $moves);
            }
        }
        $case.settle($now);
    }};
}

/// Writes a changed case: the document row (if its version is still the loaded one), the
/// participants whose part changed, the deadlines and the field history.
macro_rules! persist_case {
    ($tx:expr, $def:expr, $before:expr, $case:expr, $now:expr, $signal:expr) => {{
        persist_case!($tx, $def, $before, $case, $now, $signal, Vec::<(UserId, bool)>::new())
    }};
    // `$touched`: further users who took part in this change, with whether they signed.
    ($tx:expr, $def:expr, $before:expr, $case:expr, $now:expr, $signal:expr, $touched:expr) => {{
        let before: &Case = $before;
        let case: &Case = $case;
        update_document!($tx, before, case, $now);
        participants!($tx, case.id, participant_changes(before, case, $touched));
        sync_deadlines!($tx, $def, case, $signal);
        sync_service_calls!($tx, $def, case, $now);
        if case.content != before.content {
            sqlx::query(
                "INSERT INTO document_versions (doc_id, version, field_content) VALUES ($1, $2, $3)",
            )
            .bind(case.id.0)
            .bind(case.version)
            .bind(serde_json::to_string(&case.content).map_err(anyhow::Error::from)?)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

/// Writes the document row if its version is still the one loaded (else "Outdated").
macro_rules! update_document {
    ($tx:expr, $before:expr, $case:expr, $now:expr) => {{
        let before: &Case = $before;
        let case: &Case = $case;
        let done = sqlx::query(
            "UPDATE documents SET status = $1, version = $2, field_content = $3, route = $4, \
             last_time = $5, completed_at = $6 WHERE id = $7 AND version = $8",
        )
        .bind(case.status.code())
        .bind(case.version)
        .bind(serde_json::to_string(&case.content).map_err(anyhow::Error::from)?)
        .bind(serde_json::to_string(&case.route).map_err(anyhow::Error::from)?)
        .bind($now)
        .bind(case.completed_at)
        .bind(case.id.0)
        .bind(before.version)
        .execute(&mut *$tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(Error::Outdated.into());
        }
    }};
}

/// Rewrites a document's pending deadlines (only for workflows that have some: autocomplete
/// deadlines, timer events, boundary timers), waking the deadline worker through `$signal`
/// (the store) when there are any.
macro_rules! sync_deadlines {
    ($tx:expr, $def:expr, $case:expr, $signal:expr) => {{
        let case: &Case = $case;
        if $def.has_deadlines() {
            sqlx::query("DELETE FROM document_deadlines WHERE doc_id = $1")
                .bind(case.id.0)
                .execute(&mut *$tx)
                .await?;
            let due = case.deadlines(&$def);
            if !due.is_empty() {
                if let Some(store) = $signal {
                    store.deadline_signal.notify_one();
                }
            }
            for (node, due) in due {
                sqlx::query(
                    "INSERT INTO document_deadlines (doc_id, node_id, due_at) VALUES ($1, $2, $3)",
                )
                .bind(case.id.0)
                .bind(node.0)
                .bind(due)
                .execute(&mut *$tx)
                .await?;
            }
        }
    }};
}

/// Keeps `document_service_calls` in step with the case's pending service calls (only for
/// workflows with service tasks): rows of nodes no longer waiting go; a node that starts
/// waiting gets a row due at `$now`; rows of nodes still waiting keep their attempts.
macro_rules! sync_service_calls {
    ($tx:expr, $def:expr, $case:expr, $now:expr) => {{
        let case: &Case = $case;
        if $def.has_service_tasks() {
            let calls: Vec<NodeId> = case.service_calls(&$def);
            let keep: Vec<i64> = calls.iter().map(|n| n.0).collect();
            // The node ids are the version's, a handful: bound inline as numbers.
            let sql = if keep.is_empty() {
                "DELETE FROM document_service_calls WHERE doc_id = $1".to_string()
            } else {
                format!(
                    "DELETE FROM document_service_calls WHERE doc_id = $1 AND node_id NOT IN ({})",
                    keep.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                )
            };
            sqlx::query(&sql).bind(case.id.0).execute(&mut *$tx).await?;
            for node in &keep {
                sqlx::query(
                    "INSERT INTO document_service_calls (doc_id, node_id, attempt, due_at) \
                     VALUES ($1, $2, 0, $3) ON CONFLICT (doc_id, node_id) DO NOTHING",
                )
                .bind(case.id.0)
                .bind(*node)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            }
        }
    }};
}

/// A new case to write (document create, message starts): who creates it, its title, its
/// log entry, and its participant rows `(user, acting, read version)`.
pub(super) struct NewCase<'a> {
    pub title: &'a str,
    pub actor: Actor,
    /// `new_document` or `message_start`.
    pub log_kind: &'static str,
    /// The log entry's detail besides the document (added by [`NewCase::detail`]).
    pub log_detail: serde_json::Value,
    pub participants: Vec<(UserId, bool, i64)>,
}

impl NewCase<'_> {
    /// The log entry's detail for document `id`.
    pub(super) fn detail(&self, id: i64) -> serde_json::Value {
        let mut detail = self.log_detail.clone();
        detail["document"] = json!({"__id__": id});
        detail
    }
}

/// The current row of the version `$def` in `$tx`, as its `Workflow` (family, flags and
/// name as they are now; a cached definition does not follow them). Shared lock on
/// PostgreSQL: a concurrent workflow/delete or inactivation waits for the new case (and
/// then sees it) instead of acting under it.
macro_rules! version_row {
    ($tx:expr, $store:expr, $org:expr, $def:expr) => {{
        let row: Option<(i64, bool, bool, String)> = sqlx::query_as(&format!(
            "{}{}",
            super::create_paths::CREATE_WORKFLOW,
            $store.share_lock()
        ))
        .bind($org.0)
        .bind($def.workflow.id.0)
        .fetch_optional(&mut *$tx)
        .await?;
        super::create_paths::version_of(&$def, row)
    }};
}

/// Writes new case `$case` of version `$def` (checked active by the caller) as `$new`
/// says: its serial number (`$reserved`, else counted here), the document row, then the
/// log entry, participants and field history in one round trip, its deadlines and service
/// calls. Sets the case's id and evaluates to the serial.
macro_rules! insert_case {
    ($tx:expr, $store:expr, $org:expr, $def:expr, $case:expr, $new:expr, $reserved:expr, $now:expr) => {{
        let case: &mut Case = $case;
        let new: &super::commands::NewCase = $new;
        let serial: String = match $reserved {
            Some(serial) => serial,
            None => {
                let day = super::serials::day($now);
                let seq: i64 = sqlx::query_scalar(super::create_paths::CREATE_SERIAL)
                    .bind($org.0)
                    .bind(&day)
                    .fetch_one(&mut *$tx)
                    .await?;
                super::serials::format(&day, seq)
            }
        };
        let content = serde_json::to_string(&case.content).map_err(anyhow::Error::from)?;
        let id: i64 = sqlx::query_scalar(super::create_paths::CREATE_DOCUMENT)
            .bind($org.0)
            .bind($def.workflow.id.0)
            .bind($def.workflow.family_id.0)
            .bind(new.title)
            .bind(&serial)
            .bind(new.actor.user.0)
            .bind(case.status.code())
            .bind(case.version)
            .bind(&content)
            .bind(serde_json::to_string(&case.route).map_err(anyhow::Error::from)?)
            .bind($now)
            .bind(case.completed_at)
            .fetch_one(&mut *$tx)
            .await?;
        case.id = DocId(id);
        let versions = !case.content.is_empty();
        let batch = super::commands::create_batch_sql(
            $store.is_postgres(),
            new.participants.len(),
            versions,
        );
        let mut q = sqlx::query(&batch)
            .bind(id)
            .bind(new.actor.user.0)
            .bind(new.actor.delegate.0)
            .bind(case.version)
            .bind(new.detail(id).to_string())
            .bind($now)
            .bind(new.log_kind);
        for (user, acting, read) in &new.participants {
            q = q.bind(user.0).bind(*acting).bind(*read);
        }
        if versions {
            q = q.bind(&content);
        }
        q.execute(&mut *$tx).await?;
        sync_deadlines!($tx, $def, &*case, Some($store));
        sync_service_calls!($tx, $def, &*case, $now);
        serial
    }};
}

/// The participant rows a change touches: users who start or stop acting, and `touched`
/// (users who took part, with whether they signed).
pub(super) fn participant_changes(
    before: &Case,
    case: &Case,
    touched: Vec<(UserId, bool)>,
) -> Vec<(UserId, bool, bool)> {
    // One row per user (PostgreSQL refuses an upsert that touches a row twice).
    let mut touched_once: Vec<(UserId, bool)> = Vec::new();
    for (u, signed) in touched {
        match touched_once.iter_mut().find(|(t, _)| *t == u) {
            Some(entry) => entry.1 |= signed,
            None => touched_once.push((u, signed)),
        }
    }
    let touched = touched_once;
    let was: BTreeSet<UserId> = before.acting_users().into_iter().collect();
    let now_acting: BTreeSet<UserId> = case.acting_users().into_iter().collect();
    let mut changes: Vec<(UserId, bool, bool)> = now_acting
        .symmetric_difference(&was)
        .filter(|u| !touched.iter().any(|(t, _)| t == *u))
        .map(|u| (*u, now_acting.contains(u), false))
        .collect();
    changes.extend(
        touched
            .iter()
            .map(|(u, signed)| (*u, now_acting.contains(u), *signed)),
    );
    changes
}

/// The writes of a create after the document row, as one round trip (see
/// [`submit_batch_sql`]): the log entry, the participants (the first responsible users and
/// the creator; for document create, the creator has read what the answer shows) and the
/// field history. Parameters: $1 document, $2 user, $3 delegate, $4 version, $5 log detail,
/// $6 time, $7 log kind, then three per participant row (user, acting, read version), then
/// the field content.
pub(super) fn create_batch_sql(postgres: bool, participants: usize, versions: bool) -> String {
    let (log, part, ver) = create_parts(participants, versions);
    if postgres {
        let mut ctes = vec![format!("l AS ({log})"), format!("p AS ({part})")];
        ctes.extend(ver.map(|v| format!("v AS ({v})")));
        format!("WITH {} SELECT 1", ctes.join(", "))
    } else {
        create_statements_sqlite(participants, versions).join("; ")
    }
}

/// The statements of `create_batch_sql`: log, participants, and the field history if any.
fn create_parts(participants: usize, versions: bool) -> (&'static str, String, Option<String>) {
    let log = "INSERT INTO document_logs (doc_id, user_id, delegated_user_id, action, kind, \
               detail, created_at) VALUES ($1, $2, $3, 'create', $7, $5, $6)";
    let rows: Vec<String> = (0..participants)
        .map(|i| {
            let k = 8 + 3 * i;
            format!("($1, ${k}, ${}, ${})", k + 1, k + 2)
        })
        .collect();
    let part = format!(
        "INSERT INTO document_participants (doc_id, user_id, is_current, read_version) VALUES {}",
        rows.join(", ")
    );
    let ver = versions.then(|| {
        format!(
            "INSERT INTO document_versions (doc_id, version, field_content) VALUES ($1, $4, ${})",
            8 + 3 * participants
        )
    });
    (log, part, ver)
}

/// `create_batch_sql`'s SQLite statements, one by one.
pub(super) fn create_statements_sqlite(participants: usize, versions: bool) -> Vec<String> {
    let (log, part, ver) = create_parts(participants, versions);
    let mut stmts = vec![log.to_string(), part];
    stmts.extend(ver);
    stmts
}

/// A submit's writes as one round trip: the document row, only if its version is still the
/// one the engine worked on, then the signature, its log entry, the participants and the
/// field history, each only if the row was written. SQLite runs the statements in one call
/// (`$N` parameters are shared; each statement goes on only if the previous one changed a
/// row, `changes()`, and the log takes the signature's `last_insert_rowid()`); PostgreSQL
/// chains them as data-modifying CTEs. Either way, no row written means "Outdated".
/// Parameters: $1 document, $2 user, $3 delegate, $4 new version, $5 comment, $6 detail,
/// $7 route before, $8 time, $9 status, $10 field content, $11 route, $12 completion time,
/// $13 version loaded, then three per participant row (user, acting, signed).
fn submit_batch_sql(postgres: bool, participants: usize, versions: bool) -> String {
    if !postgres {
        return submit_statements_sqlite(participants, versions).join("; ");
    }
    let rows: Vec<String> = (0..participants)
        .map(|i| {
            let k = 14 + 3 * i;
            format!(
                "($1::BIGINT, ${k}::BIGINT, ${}::BOOLEAN, ${}::BOOLEAN)",
                k + 1,
                k + 2
            )
        })
        .collect();
    let mut ctes = vec![
        format!("u AS ({SUBMIT_UPDATE} RETURNING id)"),
        format!("s AS ({SUBMIT_SIGNATURE} FROM u RETURNING id)"),
        format!(
            "l AS ({SUBMIT_LOG}, json_build_object('signature', s.id, 'comment', $5::TEXT)::TEXT, \
             $8 FROM s)"
        ),
    ];
    if participants > 0 {
        ctes.push(format!(
            "p AS ({SUBMIT_PARTICIPANTS} {}) AS v (a, b, c, d) WHERE EXISTS (SELECT 1 FROM u) \
             {SUBMIT_UPSERT})",
            rows.join(", ")
        ));
    }
    if versions {
        ctes.push(format!("v AS ({SUBMIT_VERSION} FROM u)"));
    }
    format!("WITH {} SELECT COUNT(*) FROM u", ctes.join(", "))
}

/// `submit_batch_sql`'s SQLite statements, one by one.
fn submit_statements_sqlite(participants: usize, versions: bool) -> Vec<String> {
    let rows: Vec<String> = (0..participants)
        .map(|i| {
            let k = 14 + 3 * i;
            format!("($1, ${k}, ${}, ${})", k + 1, k + 2)
        })
        .collect();
    let mut stmts = vec![
        SUBMIT_UPDATE.to_string(),
        format!("{SUBMIT_SIGNATURE} WHERE changes() = 1"),
        format!(
            "{SUBMIT_LOG}, json_object('signature', last_insert_rowid(), 'comment', $5), $8 \
             WHERE changes() = 1"
        ),
    ];
    if participants > 0 {
        stmts.push(format!(
            "{SUBMIT_PARTICIPANTS} {}) WHERE changes() = 1 {SUBMIT_UPSERT}",
            rows.join(", ")
        ));
    }
    if versions {
        stmts.push(format!("{SUBMIT_VERSION} WHERE changes() > 0"));
    }
    stmts
}

// The statements of a submit (`submit_batch_sql`).
const SUBMIT_UPDATE: &str = "UPDATE documents SET status = $9, version = $4, \
    field_content = $10, route = $11, last_time = $8, completed_at = $12 \
    WHERE id = $1 AND version = $13";
const SUBMIT_SIGNATURE: &str = "INSERT INTO signatures (doc_id, kind, user_id, login_user_id, \
    version, comment, detail, route_before, created_at) SELECT $1, 'NEXT', $2, $3, $4, $5, $6, \
    $7, $8";
const SUBMIT_LOG: &str = "INSERT INTO document_logs (doc_id, user_id, delegated_user_id, \
    action, kind, detail, created_at) SELECT $1, $2, $3, 'sign', 'sign'";
const SUBMIT_PARTICIPANTS: &str = "INSERT INTO document_participants (doc_id, user_id, \
    is_current, has_signed) SELECT * FROM (VALUES";
const SUBMIT_UPSERT: &str = "ON CONFLICT (user_id, doc_id) DO UPDATE SET \
    is_current = excluded.is_current, \
    has_signed = document_participants.has_signed OR excluded.has_signed";
const SUBMIT_VERSION: &str =
    "INSERT INTO document_versions (doc_id, version, field_content) SELECT $1, $4, $10";

/// Upserts participant rows `(user, is_current, has_signed)` of a document in one
/// statement (`has_signed` only ever turns on).
macro_rules! participants {
    ($tx:expr, $doc:expr, $rows:expr) => {{
        let rows: Vec<(UserId, bool, bool)> = $rows;
        if !rows.is_empty() {
            let values: Vec<String> = (0..rows.len())
                .map(|i| {
                    format!(
                        "(${}, ${}, ${}, ${})",
                        4 * i + 1,
                        4 * i + 2,
                        4 * i + 3,
                        4 * i + 4
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO document_participants (doc_id, user_id, is_current, has_signed) \
                 VALUES {} ON CONFLICT (user_id, doc_id) DO UPDATE SET \
                 is_current = excluded.is_current, \
                 has_signed = document_participants.has_signed OR excluded.has_signed",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (user, current, signed) in &rows {
                q = q.bind($doc.0).bind(user.0).bind(*current).bind(*signed);
            }
            q.execute(&mut *$tx).await?;
        }
    }};
}

/// Appends a log entry.
macro_rules! log_entry {
    ($tx:expr, $doc:expr, $actor:expr, $action:expr, $kind:expr, $detail:expr, $now:expr) => {{
        let actor: Actor = $actor;
        sqlx::query(
            "INSERT INTO document_logs (doc_id, user_id, delegated_user_id, action, kind, detail, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($doc.0)
        .bind(actor.user.0)
        .bind(actor.delegate.0)
        .bind($action)
        .bind($kind)
        .bind($detail.to_string())
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Inserts a signature; returns its id.
macro_rules! insert_signature {
    ($tx:expr, $case:expr, $kind:expr, $actor:expr, $comment:expr, $target:expr, $detail:expr, $route_before:expr, $now:expr) => {{
        let actor: Actor = $actor;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO signatures (doc_id, kind, user_id, login_user_id, version, comment, \
             rejection_target_id, detail, route_before, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind($case.id.0)
        .bind($kind.code())
        .bind(actor.user.0)
        .bind(actor.delegate.0)
        .bind($case.version)
        .bind($comment)
        .bind($target)
        .bind(serde_json::to_string(&$detail).map_err(anyhow::Error::from)?)
        .bind(serde_json::to_string($route_before).map_err(anyhow::Error::from)?)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        SignatureId(id)
    }};
}

/// Whether `node` finished along a boundary timer (it took a timer boundary event).
fn interrupted(def: &Definition, case: &Case, node: NodeId) -> bool {
    let taken = case.route.nodes.get(&node).and_then(|r| r.taken.as_ref());
    taken.is_some_and(|t| {
        t.iter().any(|b| {
            def.node(*b)
                .is_some_and(|n| matches!(n.spec.kind, NodeKind::TimerBoundary(_)))
        })
    })
}

fn detail(outcome: &Outcome, extra: &Moves) -> super::SignatureDetail {
    let mut completed = outcome.moves.completed.clone();
    completed.extend(&extra.completed);
    let mut skipped = outcome.moves.skipped.clone();
    skipped.extend(&extra.skipped);
    super::SignatureDetail {
        fulfilled: outcome.fulfilled.clone(),
        completed,
        autocompleted: skipped,
        fields: outcome.fields.clone(),
    }
}

impl Store {
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.backend, crate::db::Backend::Postgres(_))
    }

    /// `FOR UPDATE` on PostgreSQL; SQLite's single writer already serializes.
    pub(crate) fn row_lock(&self) -> &'static str {
        match self.backend {
            crate::db::Backend::Sqlite { .. } => "",
            crate::db::Backend::Postgres(_) => " FOR UPDATE",
        }
    }

    /// ` FOR SHARE` on PostgreSQL (SQLite's single writer needs no row locks).
    pub(crate) fn for_share(&self) -> &'static str {
        match self.backend {
            crate::db::Backend::Sqlite { .. } => "",
            crate::db::Backend::Postgres(_) => " FOR SHARE",
        }
    }

    /// `FOR SHARE OF w` on PostgreSQL.
    pub(crate) fn share_lock(&self) -> &'static str {
        match self.backend {
            crate::db::Backend::Sqlite { .. } => "",
            crate::db::Backend::Postgres(_) => " FOR SHARE OF w",
        }
    }

    /// Creates a document of the active version `new.workflow` for `new.actor`, who must
    /// hold the creatable permission, and returns it as its creator sees it (the answer of
    /// `document/create` is `document/get`'s), built from what was written rather than read
    /// back.
    pub async fn create_document(&self, org: OrgId, new: NewDocument) -> Result<DocumentView> {
        self.create_document_at(org, new, None).await
    }

    /// [`Store::create_document`], entering only the start node `start` when one is named
    /// (Questetra's start at a `nodeNumber`): the version's other starts are off the case's
    /// path.
    pub async fn create_document_at(
        &self,
        org: OrgId,
        new: NewDocument,
        start: Option<NodeId>,
    ) -> Result<DocumentView> {
        let title = check_title(&new.title)?;
        let def = self.definition(org, new.workflow).await?;
        let now = micros_now();
        let reserved = self.reserved_serial(org, now).await?;
        let (family, user) = (def.workflow.family_id, new.actor.user);
        // Deadlines and service calls are written alongside in a transaction (`insert_case!`).
        let side_tables = def.has_deadlines() || def.has_service_tasks();
        // PostgreSQL checks the actor and the permission within its create statement and
        // reads the answer's users in it (`create_paths::create_checked`), holding one
        // connection at most for the statement and any directory questions of the first
        // nodes. Elsewhere the checks come first, keeping SQLite's one writer busy with
        // writes alone.
        let one_statement = match (&self.backend, &reserved) {
            (crate::db::Backend::Postgres(pool), Some(serial)) if !side_tables => {
                Some((pool, serial))
            }
            _ => None,
        };
        let checked = match (&self.backend, one_statement) {
            (_, Some(_)) => None,
            (crate::db::Backend::Sqlite { inline: reads, .. }, None) => Some(reads.run(|c| {
                inline::check_actor(c, org, new.actor)?;
                inline::grants(c, org, family, user)
            })?),
            (crate::db::Backend::Postgres(pool), None) => {
                let mut conn = pool.acquire().await?;
                check_actor!(conn, org, new.actor);
                Some(grants!(conn, org, family, user))
            }
        };
        if let Some(grants) = &checked {
            check_creatable(grants, new.actor, new.workflow)?;
        }
        let (mut case, mut moves) = Case::create(&def, new.actor.user, now)?;
        if let Some(at) = start {
            let none_start = def.parents(at).is_empty()
                && def
                    .node(at)
                    .is_some_and(|n| n.spec.kind.message().is_none());
            if !none_start {
                return Err(Error::invalid(format!(
                    "Node {at} is not a start node of workflow {}.",
                    new.workflow
                ))
                .into());
            }
            (case.route, moves) = Route::start_at(&def, at, &case.content, now);
        }
        // The actor is active (checked, or the PostgreSQL statement writes nothing): the
        // engine's questions about them alone need no round trip.
        let actor = [new.actor.user, new.actor.delegate];
        let mut held = None;
        if !resolve_known(&def, &mut case, &mut moves, now, &actor) {
            match one_statement {
                Some((pool, _)) => {
                    let mut conn = pool.acquire().await?;
                    {
                        let conn: &mut sqlx::PgConnection = &mut conn;
                        resolve_case!(conn, org, def, case, moves, now, &actor);
                    }
                    held = Some(conn);
                }
                None => {
                    self.resolve_case(org, &def, &mut case, &mut moves, now)
                        .await?
                }
            }
        }
        let mut participants: Vec<UserId> = case.acting_users();
        participants.push(new.actor.user);
        participants.sort();
        participants.dedup();
        let acting = case.acting_users();
        let insert = NewCase {
            title: &title,
            actor: new.actor,
            log_kind: "new_document",
            log_detail: json!({}),
            participants: participants
                .iter()
                .map(|u| (*u, acting.contains(u), i64::from(*u == new.actor.user)))
                .collect(),
        };
        // The answer shows the participants and the delegate, with their departments and
        // ranks.
        let mut shown = participants.clone();
        shown.push(new.actor.delegate);
        let (created, serial) = match (one_statement, checked) {
            (Some((pool, serial)), _) => {
                let mut conn = match held {
                    Some(conn) => conn,
                    None => pool.acquire().await?,
                };
                let created = super::create_paths::create_checked(
                    &mut conn, org, &def, &mut case, &insert, serial, now, &shown,
                )
                .await?;
                (created, serial.clone())
            }
            (None, grants) => {
                let grants = grants.unwrap_or_default(); // read above on these paths
                let (workflow, serial) = match (&self.backend, side_tables) {
                    (crate::db::Backend::Sqlite { writer, .. }, false) => {
                        super::create_paths::create_inline(
                            writer,
                            org,
                            &def,
                            &mut case,
                            &insert,
                            now,
                            super::create_paths::creating_in,
                            |_, _| Ok(()),
                        )
                        .await?
                    }
                    _ => write_tx!(self, |tx| {
                        let Some(workflow) = version_row!(tx, self, org, def) else {
                            return Err(Error::not_found("Workflow", new.workflow).into());
                        };
                        check_can_create_documents(&workflow)?;
                        let serial = insert_case!(
                            tx,
                            self,
                            org,
                            def,
                            &mut case,
                            &insert,
                            reserved.clone(),
                            now
                        );
                        (workflow, serial)
                    }),
                };
                let users = self.users_by_ids(org, &shown).await?;
                let (departments, ranks) = self.units_of_users(org, users.values()).await?;
                let created = super::create_paths::Created {
                    workflow,
                    grants,
                    users,
                    departments,
                    ranks,
                };
                (created, serial)
            }
        };
        let log_id = 0; // not read back: log ids are never shown
        let logs = vec![super::LogRecord {
            id: log_id,
            doc_id: case.id,
            user_id: new.actor.user,
            delegated_user_id: new.actor.delegate,
            action: "create".into(),
            kind: "new_document".into(),
            detail: insert.detail(case.id.0),
            created_at: now,
        }];
        Ok(DocumentView {
            shown_version: case.version,
            shown_content: case.content.clone(),
            record: super::DocumentRecord {
                family_id: created.workflow.family_id,
                title,
                serial,
                created_at: now,
                last_time: now,
                case,
            },
            def,
            workflow: created.workflow,
            signatures: Vec::new(),
            ccs: Vec::new(),
            logs,
            users: created.users,
            viewer: new.actor.user,
            grants: created.grants,
            participants,
            departments: created.departments,
            ranks: created.ranks,
        })
    }

    /// `actor` signs every current node they are responsible for, writing `values`.
    /// `expected_version` is the client's `latest_version`. Returns the new version and
    /// whether the document completed.
    pub async fn submit_document(
        &self,
        org: OrgId,
        doc: DocId,
        actor: Actor,
        expected_version: i64,
        values: &Submission,
        comment: &str,
    ) -> Result<(i64, bool)> {
        check_comment(comment)?;
        let now = micros_now();
        // Optimistic: the client names the version it signs, so the engine works on a
        // snapshot read outside the write transaction, and the write only checks that the
        // version is still that one (`persist_case!`: else "Outdated Document Version").
        // This keeps the one SQLite writer busy with writes alone.
        // PostgreSQL: the reads, the engine's lookups and the write share one connection
        // (each acquire costs a round trip: sqlx pings a connection as it is released).
        let (record, mut held) = match &self.backend {
            crate::db::Backend::Sqlite { inline: reads, .. } => {
                let (record, _) = reads.run(|c| {
                    inline::check_actor(c, org, actor)?;
                    inline::load_case(c, org, doc)
                })?;
                (record, None)
            }
            crate::db::Backend::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                let record = load_case_checked!(conn, org, doc, actor);
                (record, Some(conn))
            }
        };
        let mut case = record.case;
        if case.version != expected_version {
            return Err(Error::Outdated.into());
        }
        let def = self
            .definition_holding(org, case.workflow_id, &mut held)
            .await?;
        let before = case.clone();
        let outcome = case.submit(&def, actor.user, values, now)?;
        let mut moves = Moves::default();
        match held.as_mut() {
            Some(conn) => {
                let conn: &mut sqlx::PgConnection = conn;
                let actor = [actor.user, actor.delegate];
                resolve_case!(conn, org, def, case, moves, now, &actor)
            }
            None => {
                self.resolve_case(org, &def, &mut case, &mut moves, now)
                    .await?
            }
        }
        let changes = participant_changes(&before, &case, vec![(actor.user, true)]);
        let versions = case.content != before.content;
        let postgres = self.is_postgres();
        let sql = submit_batch_sql(postgres, changes.len(), versions);
        let detail =
            serde_json::to_string(&detail(&outcome, &moves)).map_err(anyhow::Error::from)?;
        let route_before = serde_json::to_string(&before.route).map_err(anyhow::Error::from)?;
        let content = serde_json::to_string(&case.content).map_err(anyhow::Error::from)?;
        let route = serde_json::to_string(&case.route).map_err(anyhow::Error::from)?;
        let completed = case.status == sluice_domain::engine::Status::Completed;
        let status_code = case.status.code();
        // The parameters of `submit_batch_sql`, in its order.
        macro_rules! bind_submit {
            ($q:expr) => {{
                let mut q = $q
                    .bind(case.id.0)
                    .bind(actor.user.0)
                    .bind(actor.delegate.0)
                    .bind(case.version)
                    .bind(comment)
                    .bind(&detail)
                    .bind(&route_before)
                    .bind(now)
                    .bind(case.status.code())
                    .bind(&content)
                    .bind(&route)
                    .bind(case.completed_at)
                    .bind(before.version);
                for (user, current, signed) in &changes {
                    q = q.bind(user.0).bind(*current).bind(*signed);
                }
                q
            }};
        }
        // On PostgreSQL the batch is one statement, atomic by itself: without deadlines or
        // service calls to rewrite it needs no transaction around it (two round trips fewer).
        // On SQLite it runs on this thread (`run_inline`): no hand-off per statement.
        let side_tables = def.has_deadlines() || def.has_service_tasks();
        match (&self.backend, side_tables) {
            (crate::db::Backend::Postgres(pool), false) => {
                let q = bind_submit!(sqlx::query_scalar::<_, i64>(&sql));
                let written = match held.as_mut() {
                    Some(conn) => q.fetch_one(&mut **conn).await?,
                    None => q.fetch_one(pool).await?,
                };
                if written == 0 {
                    return Err(Error::Outdated.into());
                }
                return Ok((case.version, completed));
            }
            (crate::db::Backend::Sqlite { writer, .. }, false) => {
                let statements = submit_statements_sqlite(changes.len(), versions);
                let written = writer
                    .run_inline(|c| {
                        let at = crate::inline::sql_time(&now);
                        let completed_at = case.completed_at.as_ref().map(crate::inline::sql_time);
                        let mut args: Vec<&dyn rusqlite::ToSql> = vec![
                            &case.id.0,
                            &actor.user.0,
                            &actor.delegate.0,
                            &case.version,
                            &comment,
                            &detail,
                            &route_before,
                            &at,
                            &status_code,
                            &content,
                            &route,
                            &completed_at,
                            &before.version,
                        ];
                        for (user, current, signed) in &changes {
                            args.extend([&user.0 as &dyn rusqlite::ToSql, current, signed]);
                        }
                        crate::inline::execute_all(c, &statements, &args)
                    })
                    .await?;
                if written == 0 {
                    return Err(Error::Outdated.into());
                }
                return Ok((case.version, completed));
            }
            _ => {}
        }
        // A transaction takes a connection of its own.
        drop(held);
        write_tx!(self, |tx| {
            let q = bind_submit!(sqlx::query(&sql));
            // PostgreSQL answers how many document rows it wrote; SQLite how many rows all
            // its statements changed. Both are 0 exactly when the version moved on.
            let written = if postgres {
                use sqlx::Row;
                q.fetch_one(&mut *tx).await?.try_get::<i64, _>(0)?
            } else {
                q.execute(&mut *tx).await?.rows_affected() as i64
            };
            if written == 0 {
                return Err(Error::Outdated.into());
            }
            sync_deadlines!(tx, def, &case, Some(self));
            sync_service_calls!(tx, def, &case, now);
            Ok((case.version, completed))
        })
    }

    /// Answers the engine's directory questions about `case` (outside any transaction)
    /// and settles it.
    pub(super) async fn resolve_case(
        &self,
        org: OrgId,
        def: &Definition,
        case: &mut Case,
        moves: &mut Moves,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if let Some(reads) = self.inline() {
            return reads.run(|c| inline::resolve_case(c, org, def, case, moves, now));
        }
        read!(self, |db| {
            let mut conn = db.acquire().await?;
            resolve_case!(conn, org, def, case, *moves, now);
        });
        Ok(())
    }

    /// `actor` sends the document back to the state before signature `target`.
    pub async fn reject_document(
        &self,
        org: OrgId,
        doc: DocId,
        actor: Actor,
        target: SignatureId,
        expected_version: Option<i64>,
        comment: &str,
    ) -> Result<()> {
        check_comment(comment)?;
        let now = micros_now();
        self.check_actor(org, actor).await?;
        write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            let mut case = record.case;
            if expected_version.is_some_and(|v| v != case.version) {
                return Err(Error::Outdated.into());
            }
            let row: Option<(String, bool, String)> = sqlx::query_as(
                "SELECT kind, is_invalidated, route_before FROM signatures WHERE id = $1 AND doc_id = $2",
            )
            .bind(target.0)
            .bind(doc.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((kind, invalidated, route_before)) = row else {
                return Err(Error::not_found("Signature", target).into());
            };
            let kind = SignatureKind::parse(&kind).unwrap_or(SignatureKind::Rej);
            let route_before = serde_json::from_str(&route_before).map_err(anyhow::Error::from)?;
            let g = grants!(tx, org, record.family_id, actor.user);
            let def = self.definition(org, case.workflow_id).await?;
            let before = case.clone();
            case.reject(
                actor.user,
                kind,
                invalidated,
                route_before,
                g.revivable,
                now,
            )?;
            let mut moves = Moves::default();
            resolve_case!(tx, org, def, case, moves, now);
            persist_case!(tx, def, &before, &case, now, Some(self));
            sqlx::query(
                "UPDATE signatures SET is_invalidated = TRUE WHERE doc_id = $1 AND id >= $2 \
                 AND kind <> 'REJ' AND NOT is_invalidated",
            )
            .bind(doc.0)
            .bind(target.0)
            .execute(&mut *tx)
            .await?;
            let d = super::SignatureDetail {
                completed: moves.completed.clone(),
                autocompleted: moves.skipped.clone(),
                ..Default::default()
            };
            let sig = insert_signature!(
                tx,
                case,
                SignatureKind::Rej,
                actor,
                comment,
                Some(target.0),
                d,
                &before.route,
                now
            );
            log_entry!(
                tx,
                case.id,
                actor,
                "reject",
                "reject",
                json!({"reject": sig.0, "comment": comment}),
                now
            );
        });
        Ok(())
    }

    /// The creator cancels a document in process.
    pub async fn cancel_document(&self, org: OrgId, doc: DocId, actor: Actor) -> Result<()> {
        self.simple_command(org, doc, actor, "cancel", json!({}), |case, _| {
            case.cancel(actor.user)
        })
        .await
    }

    /// Cancels a document in process for its creator, by `actor`, whom the caller has found
    /// allowed to (Questetra's process managers stop anyone's case); logged as a `cancel` by
    /// `actor` with `detail`.
    pub(crate) async fn cancel_document_for_creator(
        &self,
        org: OrgId,
        doc: DocId,
        actor: Actor,
        detail: serde_json::Value,
    ) -> Result<()> {
        self.simple_command(org, doc, actor, "cancel", detail, |case, _| {
            case.cancel(case.creator)
        })
        .await
    }

    /// A user with the revokable permission revokes a completed document.
    pub async fn revoke_document(&self, org: OrgId, doc: DocId, actor: Actor) -> Result<()> {
        self.simple_command(org, doc, actor, "revoke", json!({}), |case, g| {
            case.revoke(actor.user, g.revokable)
        })
        .await
    }

    async fn simple_command(
        &self,
        org: OrgId,
        doc: DocId,
        actor: Actor,
        action: &'static str,
        detail: serde_json::Value,
        command: impl Fn(&mut Case, sluice_domain::workflow::Grants) -> sluice_domain::Result<()>,
    ) -> Result<()> {
        let now = micros_now();
        self.check_actor(org, actor).await?;
        write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            let mut case = record.case;
            let g = grants!(tx, org, record.family_id, actor.user);
            let def = self.definition(org, case.workflow_id).await?;
            let before = case.clone();
            command(&mut case, g)?;
            persist_case!(tx, def, &before, &case, now, Some(self));
            log_entry!(tx, case.id, actor, action, action, detail, now);
        });
        Ok(())
    }

    /// `from` CCs the document to `to` from `node`.
    #[allow(clippy::too_many_arguments)]
    pub async fn cc_document(
        &self,
        org: OrgId,
        doc: DocId,
        from: Actor,
        to: UserId,
        node: NodeId,
        reply_required: bool,
        comment: &str,
    ) -> Result<CcId> {
        check_comment(comment)?;
        let now = micros_now();
        self.check_actor(org, from).await?;
        self.check_actor(org, Actor::new(to, None)).await?;
        let id = write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            let mut case = record.case;
            let def = self.definition(org, case.workflow_id).await?;
            let allowed = scalar_i64!(&mut *tx, CC_TARGET_SQL, node.0, to.0, org.0) > 0;
            let before = case.clone();
            let cc = case.cc(&def, from.user, to, node, reply_required, allowed)?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO document_ccs (doc_id, node_id, from_user_id, to_user_id, \
                 reply_required, comment, sender_version, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(doc.0)
            .bind(node.0)
            .bind(from.user.0)
            .bind(to.0)
            .bind(reply_required)
            .bind(comment)
            .bind(case.version)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            case.ccs
                .push(sluice_domain::engine::CcState { id: CcId(id), ..cc });
            sqlx::query("UPDATE documents SET cc_count = cc_count + 1 WHERE id = $1")
                .bind(doc.0)
                .execute(&mut *tx)
                .await?;
            persist_case!(
                tx,
                def,
                &before,
                &case,
                now,
                Some(self),
                vec![(from.user, false), (to, false)]
            );
            log_entry!(
                tx,
                case.id,
                from,
                "cc",
                "to_user",
                json!({"cc": id, "comment": comment}),
                now
            );
            CcId(id)
        });
        Ok(id)
    }

    /// The receiver answers (or acknowledges) a CC.
    pub async fn reply_cc(
        &self,
        org: OrgId,
        doc: DocId,
        actor: Actor,
        cc: CcId,
        comment: &str,
    ) -> Result<CcRecord> {
        check_comment(comment)?;
        let now = micros_now();
        self.check_actor(org, actor).await?;
        write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            let mut case = record.case;
            let def = self.definition(org, case.workflow_id).await?;
            let before = case.clone();
            let mut moves = case.reply(&def, cc, actor.user, now)?;
            resolve_case!(tx, org, def, case, moves, now);
            persist_case!(tx, def, &before, &case, now, Some(self));
            sqlx::query(
                "UPDATE document_ccs SET is_complete = TRUE, reply_comment = $1, \
                 receiver_version = $2, replied_at = $3 WHERE id = $4",
            )
            .bind(comment)
            .bind(case.version)
            .bind(now)
            .bind(cc.0)
            .execute(&mut *tx)
            .await?;
            if !moves.completed.is_empty() || !moves.skipped.is_empty() {
                let d = super::SignatureDetail {
                    completed: moves.completed.clone(),
                    autocompleted: moves.skipped.clone(),
                    ..Default::default()
                };
                insert_signature!(
                    tx,
                    case,
                    SignatureKind::Cc,
                    actor,
                    comment,
                    None::<i64>,
                    d,
                    &before.route,
                    now
                );
            }
            log_entry!(
                tx,
                case.id,
                actor,
                "cc_reply",
                "cc_read",
                json!({"cc": cc.0, "comment": comment}),
                now
            );
        });
        let rows: Vec<CcRow> = read!(self, |db| {
            sqlx::query_as(&format!(
                "SELECT {CC_COLUMNS} FROM document_ccs WHERE id = $1"
            ))
            .bind(cc.0)
            .fetch_all(db)
            .await?
        });
        rows.into_iter()
            .next()
            .map(CcRecord::from)
            .ok_or_else(|| Error::not_found("CC", cc).into())
    }

    /// `actor` chooses the responsible users of an ASSIGN node.
    pub async fn assign_agents(
        &self,
        org: OrgId,
        doc: DocId,
        actor: Actor,
        node: NodeId,
        agents: &[UserId],
    ) -> Result<()> {
        let now = micros_now();
        let agents: Vec<UserId> = agents
            .iter()
            .copied()
            .collect::<BTreeSet<UserId>>()
            .into_iter()
            .collect();
        let agents = &agents[..];
        if agents.len() > MAX_AGENTS {
            return Err(Error::invalid(format!(
                "agents: at most {MAX_AGENTS} users can be responsible for a node."
            ))
            .into());
        }
        self.check_actor(org, actor).await?;
        write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            let mut case = record.case;
            let def = self.definition(org, case.workflow_id).await?;
            if agents.is_empty() {
                return Err(Error::invalid("agents cannot be empty.").into());
            }
            // Agents of a department or group node must belong to it.
            let eligible: Vec<i64> = match def.node(node).map(|n| n.spec.assignee) {
                Some(Assignee::Department(d)) => sqlx::query_scalar(
                    "SELECT id FROM users WHERE org_id = $1 AND department_id = $2 AND is_active",
                )
                .bind(org.0)
                .bind(d.0)
                .fetch_all(&mut *tx)
                .await?,
                Some(Assignee::Group(g)) => {
                    sqlx::query_scalar(super::lookups::GROUP_MEMBERS_SQL)
                        .bind(org.0)
                        .bind(g.0)
                        .fetch_all(&mut *tx)
                        .await?
                }
                _ => {
                    let sql = format!(
                        "SELECT id FROM users WHERE org_id = $1 AND is_active AND id IN ({})",
                        crate::identity::placeholders(2, agents.len())
                    );
                    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(org.0);
                    for a in agents {
                        q = q.bind(a.0);
                    }
                    q.fetch_all(&mut *tx).await?
                }
            };
            if let Some(bad) = agents.iter().find(|a| !eligible.contains(&a.0)) {
                return Err(Error::invalid(format!(
                    "User {bad} cannot be responsible for node {node} (inactive, unknown, or outside its department or group)."
                ))
                .into());
            }
            let before = case.clone();
            case.assign(&def, actor.user, node, agents.to_vec())?;
            let mut moves = Moves::default();
            resolve_case!(tx, org, def, case, moves, now);
            persist_case!(tx, def, &before, &case, now, Some(self));
            let users: Vec<i64> = agents.iter().map(|a| a.0).collect();
            log_entry!(
                tx,
                case.id,
                actor,
                "change",
                "designate",
                json!({"node": node.0, "users": users}),
                now
            );
        });
        Ok(())
    }

    /// Skips every current node whose `autocomplete_deadline` has passed by `now`; returns
    /// how many were skipped (not those another instance got to first). Run by the background worker; safe on several instances (each
    /// document is locked and re-checked).
    pub async fn expire_deadlines(&self, now: DateTime<Utc>, limit: i64) -> Result<usize> {
        let due: Vec<(i64, i64, i64)> = read!(self, |db| {
            sqlx::query_as(
                "SELECT d.doc_id, d.node_id, doc.org_id FROM document_deadlines d \
                 JOIN documents doc ON doc.id = d.doc_id WHERE d.due_at <= $1 \
                 ORDER BY d.due_at LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(db)
            .await?
        });
        let mut skipped = 0;
        for (doc, node, org) in due {
            match self
                .expire_one(OrgId(org), DocId(doc), NodeId(node), now)
                .await
            {
                Ok(true) => skipped += 1,
                // Another instance got there first.
                Ok(false) => {}
                // Signed or moved on meanwhile: its deadline row is gone or rewritten.
                Err(crate::Error::Domain(_)) => {}
                // One document that cannot be handled must not stop the others.
                Err(e) => tracing::error!(error = %e, doc, node, "deadline not carried out"),
            }
        }
        Ok(skipped)
    }

    async fn expire_one(
        &self,
        org: OrgId,
        doc: DocId,
        node: NodeId,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            let mut case = record.case;
            let def = self.definition(org, case.workflow_id).await?;
            let before = case.clone();
            let result = case.expire(&def, node, now);
            if result.is_err() {
                // Not current or not due any more: drop the stale deadline row (not one a
                // reject has just rewritten for later).
                sqlx::query(
                    "DELETE FROM document_deadlines WHERE doc_id = $1 AND node_id = $2 \
                     AND due_at <= $3",
                )
                .bind(doc.0)
                .bind(node.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                false
            } else {
                let mut moves = result?;
                resolve_case!(tx, org, def, case, moves, now);
                persist_case!(tx, def, &before, &case, now, Some(self));
                let creator = Actor::new(case.creator, None);
                // A timer event fired, a boundary timer interrupted its task, or a task
                // skipped itself at its autocomplete deadline.
                let (action, kind) = match def.node(node).map(|n| &n.spec.kind) {
                    Some(NodeKind::Timer(_)) => ("timer", "timer"),
                    Some(NodeKind::Task) if interrupted(&def, &case, node) => ("timer", "boundary"),
                    _ => ("autocomplete", "deadline"),
                };
                log_entry!(
                    tx,
                    case.id,
                    creator,
                    action,
                    kind,
                    json!({"node": node.0, "autocompleted": moves.skipped, "completed": moves.completed}),
                    now
                );
                true
            }
        }))
    }
}

// For the other command files (messages, service calls).
pub(super) use {
    insert_case, load_case, log_entry, participants, persist_case, resolve_case, sync_deadlines,
    sync_service_calls, update_document, version_row, with_ccs,
};
