//! `workflow/*`: workflow versions and their families.

use super::render::Dir;
use super::render_workflow;
use super::wire::{check_model, ok, ok_with, OmniError, OmniResult, OrgCall, Ref};
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;
use sluice_domain::workflow::Workflow;
use sluice_domain::WorkflowId;

/// A workflow as requests give it: `{"__id__": 2}`, with a `name` for create and update.
#[derive(Deserialize)]
#[serde(expecting = "a WorkflowDTO object")]
struct WorkflowIn {
    #[serde(rename = "__model__")]
    model: Option<String>,
    #[serde(rename = "__id__", default, deserialize_with = "super::wire::opt_id")]
    id: Option<i64>,
    name: Option<String>,
}

impl WorkflowIn {
    fn read(call: &OrgCall) -> Result<Self, OmniError> {
        let w: WorkflowIn = call.body.required("workflow")?;
        check_model(w.model.as_deref(), "WorkflowDTO")?;
        Ok(w)
    }

    fn id(&self) -> Result<WorkflowId, OmniError> {
        self.id
            .map(WorkflowId)
            .ok_or_else(|| OmniError::bad_request("workflow.__id__ is required."))
    }
}

/// The version a request names in `key` (`workflow`, `from_workflow`): a reference with
/// `__id__`.
pub(super) fn workflow_ref(call: &OrgCall, key: &str) -> Result<WorkflowId, OmniError> {
    let r: Ref = call.body.required(key)?;
    Ok(WorkflowId(r.id_of("WorkflowDTO")?))
}

fn reply(call: &OrgCall, w: &Workflow) -> OmniResult {
    let dir = Dir::new(&call.org, &[], &[]);
    ok_with("workflow", render_workflow::workflow(&dir, w))
}

pub(super) async fn create(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let name = WorkflowIn::read(&call)?
        .name
        .ok_or_else(|| OmniError::bad_request("workflow.name is required."))?;
    let w = app.store.create_workflow(call.org.id, &name).await?;
    reply(&call, &w)
}

pub(super) async fn clone(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let from = workflow_ref(&call, "from_workflow")?;
    let w = app.store.clone_workflow(call.org.id, from).await?;
    reply(&call, &w)
}

pub(super) async fn save_as(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let from = WorkflowIn::read(&call)?.id()?;
    let name: String = call.body.required("new_name")?;
    let w = app.store.save_workflow_as(call.org.id, from, &name).await?;
    reply(&call, &w)
}

pub(super) async fn list(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let name: Option<String> = call.body.optional("name")?;
    let list = app
        .store
        .list_workflows(call.org.id, name.as_deref())
        .await?;
    let dir = Dir::new(&call.org, &[], &[]);
    let out: Vec<_> = list
        .iter()
        .map(|w| render_workflow::workflow(&dir, w))
        .collect();
    ok_with("workflows", out)
}

/// Renames the workflow: every version of the name. Other members are ignored.
pub(super) async fn update(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let w = WorkflowIn::read(&call)?;
    let id = w.id()?;
    let name = w
        .name
        .ok_or_else(|| OmniError::bad_request("workflow.name is required."))?;
    let w = app.store.rename_workflow(call.org.id, id, &name).await?;
    reply(&call, &w)
}

pub(super) async fn finalize(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = WorkflowIn::read(&call)?.id()?;
    let w = app.store.finalize_workflow(call.org.id, id).await?;
    reply(&call, &w)
}

pub(super) async fn activate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = WorkflowIn::read(&call)?.id()?;
    let w = app.store.set_workflow_active(call.org.id, id, true).await?;
    reply(&call, &w)
}

pub(super) async fn inactivate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = WorkflowIn::read(&call)?.id()?;
    let w = app
        .store
        .set_workflow_active(call.org.id, id, false)
        .await?;
    reply(&call, &w)
}

pub(super) async fn hide(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = WorkflowIn::read(&call)?.id()?;
    app.store.hide_workflow(call.org.id, id).await?;
    ok()
}

pub(super) async fn delete(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = WorkflowIn::read(&call)?.id()?;
    app.store.delete_workflow(call.org.id, id).await?;
    ok()
}
