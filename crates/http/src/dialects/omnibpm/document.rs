//! `document/*`: creating, signing, rejecting, cancelling, revoking, reading, listing,
//! assigning and logging documents (cases).

use super::render::{datetime, Dir};
use super::render_document::{self as out, People};
use super::units_of;
use super::wire::{ok, ok_with, OmniError, OmniResult, OrgCall, Ref};
use crate::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sluice_domain::engine::Submission;
use sluice_domain::workflow::field::parse_datetime;
use sluice_domain::{DocId, FieldId, NodeId, SignatureId, UserId, WorkflowId};
use sluice_store::documents::{Actor, DocumentFilter, NewDocument};
use std::collections::HashMap;

/// The `document` member: its id, and for submit its version and field content.
#[derive(Deserialize)]
#[serde(expecting = "a Document object")]
struct DocIn {
    #[serde(rename = "__model__")]
    model: Option<String>,
    #[serde(rename = "__id__", default, deserialize_with = "super::wire::opt_id")]
    id: Option<i64>,
    latest_version: Option<i64>,
    title: Option<String>,
    field_content: Option<Map<String, Value>>,
}

impl DocIn {
    fn read(call: &OrgCall) -> Result<Self, OmniError> {
        let d: DocIn = call.body.required("document")?;
        super::wire::check_model(d.model.as_deref(), "Document")?;
        Ok(d)
    }

    fn id(&self) -> Result<DocId, OmniError> {
        self.id
            .map(DocId)
            .ok_or_else(|| OmniError::bad_request("document.__id__ is required."))
    }
}

/// A required user reference.
fn user(call: &OrgCall, key: &str) -> Result<UserId, OmniError> {
    Ok(UserId(
        call.body.required::<Ref>(key)?.id_of("UserProfile")?,
    ))
}

/// `user` acting, possibly through `delegated_user`.
fn actor(call: &OrgCall, key: &str) -> Result<Actor, OmniError> {
    let delegate = call
        .body
        .optional::<Ref>("delegated_user")?
        .map(|r| r.id_of("UserProfile").map(UserId))
        .transpose()?;
    Ok(Actor::new(user(call, key)?, delegate))
}

fn comment(call: &OrgCall) -> Result<String, OmniError> {
    Ok(call.body.optional::<String>("comment")?.unwrap_or_default())
}

/// The document as `viewer` sees it.
pub(super) async fn reply_document(
    app: &AppState,
    call: &OrgCall,
    doc: DocId,
    viewer: UserId,
    version: Option<i64>,
) -> OmniResult {
    let view = app
        .store
        .document_view(call.org.id, doc, viewer, version)
        .await?;
    let dir = Dir::new(&call.org, &view.departments, &view.ranks);
    ok_with("document", out::document(&dir, &view))
}

pub(super) async fn create(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let workflow = WorkflowId(
        call.body
            .required::<Ref>("workflow")?
            .id_of("WorkflowDTO")?,
    );
    let actor = actor(&call, "creator")?;
    let d = DocIn::read(&call)?;
    let title = d
        .title
        .ok_or_else(|| OmniError::bad_request("document.title is required."))?;
    let view = app
        .store
        .create_document(
            call.org.id,
            NewDocument {
                workflow,
                actor,
                title,
            },
        )
        .await?;
    let dir = Dir::new(&call.org, &view.departments, &view.ranks);
    ok_with("document", out::document(&dir, &view))
}

pub(super) async fn submit(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let d = DocIn::read(&call)?;
    let doc = d.id()?;
    let version = d
        .latest_version
        .ok_or_else(|| OmniError::bad_request("document.latest_version is required."))?;
    let mut values = Submission::new();
    for (key, value) in d.field_content.unwrap_or_default() {
        let id: i64 = key.trim().parse().map_err(|_| {
            OmniError::bad_request(format!(
                "document.field_content: {key:?} is not a field id (keys are field ids)."
            ))
        })?;
        values.insert(FieldId(id), value);
    }
    let actor = actor(&call, "user")?;
    let comment = comment(&call)?;
    let (version, complete) = app
        .store
        .submit_document(call.org.id, doc, actor, version, &values, &comment)
        .await?;
    Ok(Json(json!({
        "RESPONSE": "OK",
        "version": version,
        "document": {"__id__": doc.0},
        "is_complete": complete,
        // The spec's text names it `is_completed`, its example `is_complete`: both.
        "is_completed": complete,
    }))
    .into_response())
}

pub(super) async fn reject(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let d = DocIn::read(&call)?;
    let doc = d.id()?;
    let target = SignatureId(call.body.required::<Ref>("signature")?.id_of("Signature")?);
    let actor = actor(&call, "user")?;
    let comment = comment(&call)?;
    app.store
        .reject_document(call.org.id, doc, actor, target, d.latest_version, &comment)
        .await?;
    ok()
}

pub(super) async fn revoke(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let doc = DocIn::read(&call)?.id()?;
    app.store
        .revoke_document(call.org.id, doc, actor(&call, "user")?)
        .await?;
    ok()
}

pub(super) async fn cancel(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let doc = DocIn::read(&call)?.id()?;
    app.store
        .cancel_document(call.org.id, doc, actor(&call, "user")?)
        .await?;
    ok()
}

pub(super) async fn get(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let doc = DocIn::read(&call)?.id()?;
    let viewer = user(&call, "user")?;
    let version = call.body.optional::<i64>("version")?;
    reply_document(&app, &call, doc, viewer, version).await
}

/// `{"__type__":"datetime","__value__":"..."}` (or a bare string).
fn when(call: &OrgCall, key: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, OmniError> {
    let Some(v) = call.body.optional::<Value>(key)? else {
        return Ok(None);
    };
    let text = match &v {
        Value::Object(o) => o.get("__value__").and_then(Value::as_str),
        Value::String(s) => Some(s.as_str()),
        _ => None,
    };
    text.and_then(parse_datetime)
        .map(|t| Some(t.with_timezone(&chrono::Utc)))
        .ok_or_else(|| {
            OmniError::bad_request(format!(
                "{key} must be {{\"__type__\": \"datetime\", \"__value__\": \"2017-08-01T12:20:57.560650+08:00\"}}."
            ))
        })
}

pub(super) async fn list(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let user = user(&call, "current_user")?;
    let flag = |k: &str| call.body.optional::<bool>(k).map(Option::unwrap_or_default);
    let filter = DocumentFilter {
        current: flag("current_document")?,
        signed: flag("signed_document")?,
        archived: flag("archived_document")?,
        created: flag("created_document")?,
        all: flag("all_document")?,
        creator: call
            .body
            .optional::<Ref>("creator")?
            .map(|r| r.id_of("UserProfile").map(UserId))
            .transpose()?,
        created_after: when(&call, "created_after")?,
        created_before: when(&call, "created_before")?,
    };
    let docs = app.store.list_documents(call.org.id, user, &filter).await?;
    let mut groups: HashMap<&str, Vec<Value>> = HashMap::new();
    for d in &docs {
        groups.entry(d.status.as_str()).or_default().push(json!({
            "__id__": d.id,
            "workflow_id": d.workflow_id,
            "workflow_name": d.workflow_name,
            "title": d.title,
            "creator_id": d.creator_id,
            "creator_username": sluice_domain::identity::username(&d.creator_login, &call.org.abbr),
            "creator_display_name": d.creator_display_name,
            "latest_version": d.version,
            "creation_time": datetime(&d.created_at),
            "last_time": datetime(&d.last_time),
        }));
    }
    let mut take = |k: &str| Value::Array(groups.remove(k).unwrap_or_default());
    Ok(Json(json!({
        "RESPONSE": "OK",
        "processing": take("processing"),
        "completed": take("completed"),
        "revoked": take("revoked"),
        "cancelled": take("cancelled"),
    }))
    .into_response())
}

pub(super) async fn assign_agent(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let doc = DocIn::read(&call)?.id()?;
    let node = NodeId(
        call.body
            .required::<Ref>("node")?
            .id_of("ProcessFlowNode")?,
    );
    let agents: Vec<Ref> = call.body.required("agents")?;
    let agents = agents
        .iter()
        .map(|r| r.id_of("UserProfile").map(UserId))
        .collect::<Result<Vec<_>, _>>()?;
    let actor = actor(&call, "user")?;
    app.store
        .assign_agents(call.org.id, doc, actor, node, &agents)
        .await?;
    ok()
}

pub(super) async fn log(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let doc = DocIn::read(&call)?.id()?;
    let (logs, sigs, users) = app.store.document_log(call.org.id, doc).await?;
    let (depts, ranks) = units_of(&app, &call.org, users.values()).await?;
    let dir = Dir::new(&call.org, &depts, &ranks);
    let people = People {
        dir: &dir,
        users: &users,
    };
    let by_id: HashMap<i64, _> = sigs.iter().map(|s| (s.id.0, s)).collect();
    let def = match logs.first() {
        Some(_) => {
            let view_wf = app.store.document_workflow(call.org.id, doc).await?;
            Some(app.store.definition(call.org.id, view_wf).await?)
        }
        None => None,
    };
    let out: Vec<Value> = logs
        .iter()
        .map(|l| out::log(&people, l, &by_id, def.as_deref()))
        .collect();
    ok_with("logs", out)
}
