//! `document/cc/*`: CCs (carbon copies) of a document, their targets and their replies.

use super::document::reply_document;
use super::render::{self, Dir};
use super::render_document::{self as out, People};
use super::units_of;
use super::wire::{ok_with, OmniError, OmniResult, OrgCall, Ref};
use crate::AppState;
use axum::extract::State;
use serde_json::Value;
use sluice_domain::{CcId, DocId, NodeId, UserId};
use sluice_store::documents::Actor;
use std::collections::HashMap;

fn id_of(call: &OrgCall, key: &str, model: &str) -> Result<i64, OmniError> {
    call.body.required::<Ref>(key)?.id_of(model)
}

fn delegate(call: &OrgCall) -> Result<Option<UserId>, OmniError> {
    call.body
        .optional::<Ref>("delegated_user")?
        .map(|r| r.id_of("UserProfile").map(UserId))
        .transpose()
}

pub(super) async fn cc(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let doc = DocId(id_of(&call, "document", "Document")?);
    let from = UserId(id_of(&call, "from_user", "UserProfile")?);
    let to = UserId(id_of(&call, "to_user", "UserProfile")?);
    let node = NodeId(id_of(&call, "node", "ProcessFlowNode")?);
    let reply_required = call
        .body
        .optional::<bool>("reply_required")?
        .unwrap_or(false);
    let comment = call.body.optional::<String>("comment")?.unwrap_or_default();
    let actor = Actor::new(from, delegate(&call)?);
    app.store
        .cc_document(call.org.id, doc, actor, to, node, reply_required, &comment)
        .await?;
    reply_document(&app, &call, doc, from, None).await
}

pub(super) async fn list_target(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let doc = DocId(id_of(&call, "document", "Document")?);
    let user = UserId(id_of(&call, "user", "UserProfile")?);
    let users = app.store.cc_targets(call.org.id, doc, user).await?;
    let (depts, ranks) = units_of(&app, &call.org, &users).await?;
    let dir = Dir::new(&call.org, &depts, &ranks);
    let out: Vec<_> = users.iter().map(|u| render::user(&dir, u)).collect();
    ok_with("users", out)
}

pub(super) async fn reply(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let doc = DocId(id_of(&call, "document", "Document")?);
    let user = UserId(id_of(&call, "user", "UserProfile")?);
    let cc = CcId(id_of(&call, "cc", "CC")?);
    let comment = call.body.optional::<String>("comment")?.unwrap_or_default();
    let actor = Actor::new(user, delegate(&call)?);
    let record = app
        .store
        .reply_cc(call.org.id, doc, actor, cc, &comment)
        .await?;
    let users: HashMap<UserId, _> = app
        .store
        .users_by_ids(call.org.id, &[record.from_user_id, record.to_user_id])
        .await?;
    let (depts, ranks) = units_of(&app, &call.org, users.values()).await?;
    let dir = Dir::new(&call.org, &depts, &ranks);
    let people = People {
        dir: &dir,
        users: &users,
    };
    let mut v = out::cc(&people, &record);
    if let Value::Object(m) = &mut v {
        m.insert(
            "doc".into(),
            serde_json::json!({"__id__": doc.0, "__model__": "Document"}),
        );
        m.insert("from_user".into(), people.user(record.from_user_id));
        m.insert("to_user".into(), people.user(record.to_user_id));
        m.insert(
            "organization".into(),
            serde_json::to_value(dir.org()).unwrap_or(Value::Null),
        );
    }
    ok_with("cc", v)
}
