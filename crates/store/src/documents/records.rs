//! What the store reads back about documents: rows, and the records handed to the dialects.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sluice_domain::engine::{Case, CcState, Route, SignatureKind, Status};
use sluice_domain::workflow::FieldContent;
use sluice_domain::{
    CcId, DocId, FamilyId, FieldId, NodeId, OrgId, SignatureId, UserId, WorkflowId,
};

/// A document: its engine state and what the engine does not need.
#[derive(Debug, Clone)]
pub struct DocumentRecord {
    pub case: Case,
    pub family_id: FamilyId,
    pub title: String,
    pub serial: String,
    pub created_at: DateTime<Utc>,
    pub last_time: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct DocRow {
    pub id: i64,
    pub org_id: i64,
    pub workflow_id: i64,
    pub family_id: i64,
    pub title: String,
    pub serial: String,
    pub creator_id: i64,
    pub status: String,
    pub version: i64,
    pub field_content: String,
    pub route: String,
    pub created_at: DateTime<Utc>,
    pub last_time: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cc_count: i64,
}

pub(crate) const DOC_COLUMNS: &str = "id, org_id, workflow_id, family_id, title, serial, \
     creator_id, status, version, field_content, route, created_at, last_time, completed_at, \
     cc_count";

impl DocRow {
    pub fn into_record(self, ccs: Vec<CcState>) -> crate::Result<DocumentRecord> {
        let corrupt = |what: &str| {
            crate::Error::Unexpected(anyhow::anyhow!("document {} has a corrupt {what}", self.id))
        };
        let content: FieldContent =
            serde_json::from_str(&self.field_content).map_err(|_| corrupt("field_content"))?;
        let route: Route = serde_json::from_str(&self.route).map_err(|_| corrupt("route"))?;
        let status = Status::parse(&self.status).ok_or_else(|| corrupt("status"))?;
        Ok(DocumentRecord {
            case: Case {
                id: DocId(self.id),
                org_id: OrgId(self.org_id),
                workflow_id: WorkflowId(self.workflow_id),
                creator: UserId(self.creator_id),
                status,
                version: self.version,
                content,
                route,
                ccs,
                completed_at: self.completed_at,
            },
            family_id: FamilyId(self.family_id),
            title: self.title,
            serial: self.serial,
            created_at: self.created_at,
            last_time: self.last_time,
        })
    }
}

/// A signature: a sign-off, a reject or a CC reply.
#[derive(Debug, Clone)]
pub struct SignatureRecord {
    pub id: SignatureId,
    pub doc_id: DocId,
    pub kind: SignatureKind,
    /// The user signed as.
    pub user_id: UserId,
    /// Who did it (a delegate, or the user).
    pub login_user_id: UserId,
    pub version: i64,
    pub is_invalidated: bool,
    pub comment: String,
    pub rejection_target_id: Option<SignatureId>,
    pub detail: SignatureDetail,
    pub created_at: DateTime<Utc>,
}

/// The node and field ids a signature records.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SignatureDetail {
    #[serde(default)]
    pub fulfilled: Vec<NodeId>,
    #[serde(default)]
    pub completed: Vec<NodeId>,
    #[serde(default)]
    pub autocompleted: Vec<NodeId>,
    #[serde(default)]
    pub fields: Vec<FieldId>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SignatureRow {
    pub id: i64,
    pub doc_id: i64,
    pub kind: String,
    pub user_id: i64,
    pub login_user_id: i64,
    pub version: i64,
    pub is_invalidated: bool,
    pub comment: String,
    pub rejection_target_id: Option<i64>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) const SIGNATURE_COLUMNS: &str = "id, doc_id, kind, user_id, login_user_id, version, \
     is_invalidated, comment, rejection_target_id, detail, created_at";

impl From<SignatureRow> for SignatureRecord {
    fn from(r: SignatureRow) -> Self {
        SignatureRecord {
            id: SignatureId(r.id),
            doc_id: DocId(r.doc_id),
            kind: SignatureKind::parse(&r.kind).unwrap_or(SignatureKind::Next),
            user_id: UserId(r.user_id),
            login_user_id: UserId(r.login_user_id),
            version: r.version,
            is_invalidated: r.is_invalidated,
            comment: r.comment,
            rejection_target_id: r.rejection_target_id.map(SignatureId),
            detail: serde_json::from_str(&r.detail).unwrap_or_default(),
            created_at: r.created_at,
        }
    }
}

/// A CC of a document.
#[derive(Debug, Clone)]
pub struct CcRecord {
    pub id: CcId,
    pub doc_id: DocId,
    pub node_id: NodeId,
    pub from_user_id: UserId,
    pub to_user_id: UserId,
    pub parent_cc_id: Option<CcId>,
    pub reply_required: bool,
    pub is_complete: bool,
    pub comment: String,
    pub reply_comment: Option<String>,
    pub sender_version: i64,
    /// -1 until answered.
    pub receiver_version: i64,
    pub created_at: DateTime<Utc>,
    pub replied_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CcRow {
    pub id: i64,
    pub doc_id: i64,
    pub node_id: i64,
    pub from_user_id: i64,
    pub to_user_id: i64,
    pub parent_cc_id: Option<i64>,
    pub reply_required: bool,
    pub is_complete: bool,
    pub comment: String,
    pub reply_comment: Option<String>,
    pub sender_version: i64,
    pub receiver_version: i64,
    pub created_at: DateTime<Utc>,
    pub replied_at: Option<DateTime<Utc>>,
}

pub(crate) const CC_COLUMNS: &str = "id, doc_id, node_id, from_user_id, to_user_id, \
     parent_cc_id, reply_required, is_complete, comment, reply_comment, sender_version, \
     receiver_version, created_at, replied_at";

impl From<CcRow> for CcRecord {
    fn from(r: CcRow) -> Self {
        CcRecord {
            id: CcId(r.id),
            doc_id: DocId(r.doc_id),
            node_id: NodeId(r.node_id),
            from_user_id: UserId(r.from_user_id),
            to_user_id: UserId(r.to_user_id),
            parent_cc_id: r.parent_cc_id.map(CcId),
            reply_required: r.reply_required,
            is_complete: r.is_complete,
            comment: r.comment,
            reply_comment: r.reply_comment,
            sender_version: r.sender_version,
            receiver_version: r.receiver_version,
            created_at: r.created_at,
            replied_at: r.replied_at,
        }
    }
}

impl CcRecord {
    pub fn state(&self) -> CcState {
        CcState {
            id: self.id,
            node: self.node_id,
            from: self.from_user_id,
            to: self.to_user_id,
            reply_required: self.reply_required,
            is_complete: self.is_complete,
        }
    }
}

/// One entry of a document's log.
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub id: i64,
    pub doc_id: DocId,
    /// The user acted as.
    pub user_id: UserId,
    /// Who acted (the same user without delegation).
    pub delegated_user_id: UserId,
    pub action: String,
    pub kind: String,
    /// The entry's ids and comment: `signature`, `reject`, `cc`, `node`, `users`, `comment`.
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct LogRow {
    pub id: i64,
    pub doc_id: i64,
    pub user_id: i64,
    pub delegated_user_id: i64,
    pub action: String,
    pub kind: String,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

impl From<LogRow> for LogRecord {
    fn from(r: LogRow) -> Self {
        LogRecord {
            id: r.id,
            doc_id: DocId(r.doc_id),
            user_id: UserId(r.user_id),
            delegated_user_id: UserId(r.delegated_user_id),
            action: r.action,
            kind: r.kind,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
            created_at: r.created_at,
        }
    }
}

/// A document in a list: the summary `document/list` shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentSummary {
    pub id: i64,
    pub workflow_id: i64,
    pub workflow_name: String,
    pub title: String,
    pub status: String,
    pub version: i64,
    pub creator_id: i64,
    pub creator_login: String,
    pub creator_display_name: String,
    pub created_at: DateTime<Utc>,
    pub last_time: DateTime<Utc>,
}
