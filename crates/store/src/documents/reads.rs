//! Reading documents: one document with everything `document/get` shows, lists with
//! OmniBPM's filters, the log, and the users a signer may CC.

use super::access::{cc_targets_sql, grants, subject_matches};
use super::records::{
    CcRecord, CcRow, DocRow, DocumentRecord, DocumentSummary, LogRecord, LogRow, SignatureRecord,
    SignatureRow, CC_COLUMNS, DOC_COLUMNS, SIGNATURE_COLUMNS,
};
use crate::identity::users_units::units_of_users;
use crate::identity::{placeholders, UserRow, USER_COLUMNS};
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::engine::{Definition, Status};
use sluice_domain::identity::{Department, Rank, User};
use sluice_domain::workflow::{FieldContent, Grants, Workflow};
use sluice_domain::{DocId, Error, OrgId, UserId};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Everything about one document, as one user sees it.
#[derive(Debug, Clone)]
pub struct DocumentView {
    pub record: DocumentRecord,
    pub def: Arc<Definition>,
    /// The version's current row (name, active flag).
    pub workflow: Workflow,
    pub signatures: Vec<SignatureRecord>,
    pub ccs: Vec<CcRecord>,
    pub logs: Vec<LogRecord>,
    /// Every user the document refers to.
    pub users: HashMap<UserId, User>,
    pub viewer: UserId,
    pub grants: Grants,
    /// The version shown and its field content (the latest unless asked otherwise).
    pub shown_version: i64,
    pub shown_content: FieldContent,
    /// Users who may read the document as participants.
    pub participants: Vec<UserId>,
    /// The departments of `users` (with their parents) and their ranks, which nested user
    /// representations show.
    pub departments: Vec<Department>,
    pub ranks: Vec<Rank>,
}

/// `document/list`'s filters: the flags are alternatives (OR), the rest narrow (AND).
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub current: bool,
    pub signed: bool,
    pub archived: bool,
    pub created: bool,
    pub all: bool,
    pub creator: Option<UserId>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// Loads users by id (one query).
macro_rules! users_by_id {
    ($ex:expr, $org:expr, $ids:expr) => {{
        let ids: Vec<UserId> = $ids;
        let mut map: HashMap<UserId, User> = HashMap::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_as::<_, UserRow>(&sql).bind($org.0);
            for id in chunk {
                q = q.bind(id.0);
            }
            for row in q.fetch_all(&mut *$ex).await? {
                let u = User::from(row);
                map.insert(u.id, u);
            }
        }
        map
    }};
}

/// A document's signatures, oldest first.
macro_rules! signatures_of {
    ($conn:expr, $doc:expr) => {
        sqlx::query_as::<_, SignatureRow>(&format!(
            "SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE doc_id = $1 ORDER BY id"
        ))
        .bind($doc.0)
        .fetch_all(&mut *$conn)
        .await?
        .into_iter()
        .map(SignatureRecord::from)
        .collect()
    };
}

/// A document's log, oldest first.
macro_rules! logs_of {
    ($conn:expr, $doc:expr) => {
        sqlx::query_as::<_, LogRow>(
            "SELECT id, doc_id, user_id, delegated_user_id, action, kind, detail, created_at \
             FROM document_logs WHERE doc_id = $1 ORDER BY id",
        )
        .bind($doc.0)
        .fetch_all(&mut *$conn)
        .await?
        .into_iter()
        .map(LogRecord::from)
        .collect()
    };
}

impl Store {
    /// One document as `viewer` sees it at `version` (0 or `None`: the latest); marks it
    /// read by the viewer. The viewer must take part in it, hold the visible permission, or
    /// be an administrator of the organization.
    pub async fn document_view(
        &self,
        org: OrgId,
        doc: DocId,
        viewer: UserId,
        version: Option<i64>,
    ) -> Result<DocumentView> {
        let view = read!(self, |db| {
            let mut conn = db.acquire().await?;
            let row: Option<DocRow> = sqlx::query_as(&format!(
                "SELECT {DOC_COLUMNS} FROM documents WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.0)
            .bind(doc.0)
            .fetch_optional(&mut *conn)
            .await?;
            let row = row.ok_or_else(|| Error::not_found("Document", doc))?;
            let ccs: Vec<CcRecord> = if row.cc_count == 0 {
                Vec::new()
            } else {
                sqlx::query_as::<_, CcRow>(&format!(
                    "SELECT {CC_COLUMNS} FROM document_ccs WHERE doc_id = $1 ORDER BY id"
                ))
                .bind(doc.0)
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(CcRecord::from)
                .collect()
            };
            let record = row.into_record(ccs.iter().map(CcRecord::state).collect())?;
            let viewer_row: Option<(bool, bool)> = sqlx::query_as(
                "SELECT is_active, is_admin FROM users WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(viewer.0)
            .fetch_optional(&mut *conn)
            .await?;
            let Some((_, is_admin)) = viewer_row else {
                return Err(Error::not_found("User", viewer).into());
            };
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT user_id, read_version FROM document_participants WHERE doc_id = $1 \
                 ORDER BY user_id",
            )
            .bind(doc.0)
            .fetch_all(&mut *conn)
            .await?;
            let unread = rows
                .iter()
                .any(|(u, read)| *u == viewer.0 && *read < record.case.version);
            let participants: Vec<i64> = rows.into_iter().map(|(u, _)| u).collect();
            let g = grants!(conn, org, record.family_id, viewer);
            if !(is_admin || g.visible || participants.contains(&viewer.0)) {
                return Err(Error::Forbidden(format!(
                    "User {viewer} may not read document {doc}."
                ))
                .into());
            }
            let signatures: Vec<SignatureRecord> = signatures_of!(conn, doc);
            let logs: Vec<LogRecord> = logs_of!(conn, doc);
            let latest = record.case.version;
            let (shown_version, shown_content) = match version.filter(|v| *v != 0) {
                None => (latest, record.case.content.clone()),
                Some(v) if v < 0 || v > latest => {
                    return Err(Error::invalid(format!(
                        "version {v} does not exist; the latest is {latest}."
                    ))
                    .into())
                }
                Some(v) => {
                    let text: Option<String> = sqlx::query_scalar(
                        "SELECT field_content FROM document_versions WHERE doc_id = $1 AND version <= $2 \
                         ORDER BY version DESC LIMIT 1",
                    )
                    .bind(doc.0)
                    .bind(v)
                    .fetch_optional(&mut *conn)
                    .await?;
                    let content = match text {
                        Some(t) => serde_json::from_str(&t).map_err(anyhow::Error::from)?,
                        None => FieldContent::new(),
                    };
                    (v, content)
                }
            };
            let mut ids: BTreeSet<UserId> = participants.iter().copied().map(UserId).collect();
            ids.insert(record.case.creator);
            ids.insert(viewer);
            ids.extend(record.case.responsible_users());
            ids.extend(record.case.route.agents.values().flatten());
            for s in &signatures {
                ids.insert(s.user_id);
                ids.insert(s.login_user_id);
            }
            for c in &ccs {
                ids.insert(c.from_user_id);
                ids.insert(c.to_user_id);
            }
            for l in &logs {
                ids.insert(l.user_id);
                ids.insert(l.delegated_user_id);
            }
            let users = users_by_id!(conn, org, ids.into_iter().collect());
            let units = units_of_users!(conn, org, users.values());
            (
                record,
                signatures,
                ccs,
                logs,
                users,
                units,
                g,
                shown_version,
                shown_content,
                participants,
                unread,
            )
        });
        let (
            record,
            signatures,
            ccs,
            logs,
            users,
            (departments, ranks),
            grants,
            shown_version,
            shown_content,
            participants,
            unread,
        ) = view;
        let def = self.definition(org, record.case.workflow_id).await?;
        let workflow = self.workflow(org, record.case.workflow_id).await?;
        // Marks it read (a participant's read version; readers with permission alone are not
        // recorded as participants). Only when there is something new: reads stay reads.
        if unread {
            write_tx!(self, |tx| {
                sqlx::query(
                "UPDATE document_participants SET read_version = $1 WHERE doc_id = $2 AND user_id = $3 \
                 AND read_version < $1",
            )
            .bind(record.case.version)
            .bind(doc.0)
            .bind(viewer.0)
            .execute(&mut *tx)
            .await?;
            });
        }
        Ok(DocumentView {
            record,
            def,
            workflow,
            signatures,
            ccs,
            logs,
            users,
            viewer,
            grants,
            shown_version,
            shown_content,
            participants: participants.into_iter().map(UserId).collect(),
            departments,
            ranks,
        })
    }

    /// The documents `user` finds with `filter`, newest first.
    pub async fn list_documents(
        &self,
        org: OrgId,
        user: UserId,
        filter: &DocumentFilter,
    ) -> Result<Vec<DocumentSummary>> {
        if !(filter.current || filter.signed || filter.archived || filter.created || filter.all) {
            return Err(Error::invalid(
                "Give at least one of current_document, signed_document, archived_document, \
                 created_document, all_document.",
            )
            .into());
        }
        let readable = concat!(
            "(d.id IN (SELECT doc_id FROM document_participants WHERE user_id = $2) OR ",
            "d.family_id IN (SELECT p.family_id FROM workflow_permissions p ",
            "JOIN users u ON u.id = $2 WHERE p.is_visible AND ",
            subject_matches!("p"),
            "))"
        );
        let rows = read!(self, |db| {
            let admin: Option<bool> =
                sqlx::query_scalar("SELECT is_admin FROM users WHERE org_id = $1 AND id = $2")
                    .bind(org.0)
                    .bind(user.0)
                    .fetch_optional(db)
                    .await?;
            let Some(admin) = admin else {
                return Err(Error::not_found("User", user).into());
            };
            let readable = if admin { "TRUE" } else { readable };
            let mut any: Vec<String> = Vec::new();
            if filter.current {
                any.push("d.id IN (SELECT doc_id FROM document_participants WHERE user_id = $2 AND is_current)".into());
            }
            if filter.signed {
                any.push("d.id IN (SELECT doc_id FROM document_participants WHERE user_id = $2 AND has_signed)".into());
            }
            if filter.created {
                any.push("d.creator_id = $2".into());
            }
            if filter.all {
                any.push(readable.to_string());
            }
            if filter.archived {
                any.push(format!("(d.status <> 'processing' AND {readable})"));
            }
            let mut sql = format!(
                "SELECT d.id, d.workflow_id, f.name AS workflow_name, d.title, d.status, d.version, \
                 d.creator_id, u.login AS creator_login, u.display_name AS creator_display_name, \
                 d.created_at, d.last_time FROM documents d \
                 JOIN workflow_families f ON f.id = d.family_id JOIN users u ON u.id = d.creator_id \
                 WHERE d.org_id = $1 AND ({})",
                any.join(" OR ")
            );
            let mut n = 2;
            if filter.creator.is_some() {
                n += 1;
                sql.push_str(&format!(" AND d.creator_id = ${n}"));
            }
            if filter.created_after.is_some() {
                n += 1;
                sql.push_str(&format!(" AND d.created_at >= ${n}"));
            }
            if filter.created_before.is_some() {
                n += 1;
                sql.push_str(&format!(" AND d.created_at <= ${n}"));
            }
            sql.push_str(" ORDER BY d.id DESC");
            let mut q = sqlx::query_as::<_, DocumentSummary>(&sql)
                .bind(org.0)
                .bind(user.0);
            if let Some(c) = filter.creator {
                q = q.bind(c.0);
            }
            if let Some(t) = filter.created_after {
                q = q.bind(t);
            }
            if let Some(t) = filter.created_before {
                q = q.bind(t);
            }
            q.fetch_all(db).await?
        });
        Ok(rows)
    }

    /// Users of an organization by id (unknown ids are left out).
    pub async fn users_by_ids(&self, org: OrgId, ids: &[UserId]) -> Result<HashMap<UserId, User>> {
        Ok(read!(self, |db| {
            let mut conn = db.acquire().await?;
            users_by_id!(conn, org, ids.to_vec())
        }))
    }

    /// The workflow version a document follows.
    pub async fn document_workflow(
        &self,
        org: OrgId,
        doc: DocId,
    ) -> Result<sluice_domain::WorkflowId> {
        let id: Option<i64> = read!(self, |db| {
            sqlx::query_scalar("SELECT workflow_id FROM documents WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(doc.0)
                .fetch_optional(db)
                .await?
        });
        id.map(sluice_domain::WorkflowId)
            .ok_or_else(|| Error::not_found("Document", doc).into())
    }

    /// A document's log with the signatures and users it refers to.
    pub async fn document_log(
        &self,
        org: OrgId,
        doc: DocId,
    ) -> Result<(Vec<LogRecord>, Vec<SignatureRecord>, HashMap<UserId, User>)> {
        Ok(read!(self, |db| {
            let mut conn = db.acquire().await?;
            let exists: i64 = scalar_i64!(
                &mut *conn,
                "SELECT COUNT(*) FROM documents WHERE org_id = $1 AND id = $2",
                org.0,
                doc.0
            );
            if exists == 0 {
                return Err(Error::not_found("Document", doc).into());
            }
            let logs: Vec<LogRecord> = logs_of!(conn, doc);
            let signatures: Vec<SignatureRecord> = signatures_of!(conn, doc);
            let mut ids: BTreeSet<UserId> = BTreeSet::new();
            for l in &logs {
                ids.insert(l.user_id);
                ids.insert(l.delegated_user_id);
            }
            for s in &signatures {
                ids.insert(s.user_id);
                ids.insert(s.login_user_id);
            }
            let users = users_by_id!(conn, org, ids.into_iter().collect());
            (logs, signatures, users)
        }))
    }

    /// The users `user` may CC the document to: the union of the CC targets of the current
    /// nodes they are responsible for (and that allow CC).
    pub async fn cc_targets(&self, org: OrgId, doc: DocId, user: UserId) -> Result<Vec<User>> {
        let record = read!(self, |db| {
            let row: Option<DocRow> = sqlx::query_as(&format!(
                "SELECT {DOC_COLUMNS} FROM documents WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.0)
            .bind(doc.0)
            .fetch_optional(db)
            .await?;
            row.ok_or_else(|| Error::not_found("Document", doc))?
                .into_record(Vec::new())?
        });
        let def = self.definition(org, record.case.workflow_id).await?;
        let nodes: Vec<i64> = record
            .case
            .route
            .current()
            .filter(|(id, _)| record.case.may_cc_from(&def, user, **id))
            .map(|(id, _)| id.0)
            .collect();
        if nodes.is_empty() || record.case.status != Status::Processing {
            return Ok(Vec::new());
        }
        let sql = cc_targets_sql(nodes.len());
        let rows: Vec<UserRow> = read!(self, |db| {
            let mut q = sqlx::query_as::<_, UserRow>(&sql).bind(org.0);
            for n in &nodes {
                q = q.bind(*n);
            }
            q.fetch_all(db).await?
        });
        Ok(rows.into_iter().map(User::from).collect())
    }
}
