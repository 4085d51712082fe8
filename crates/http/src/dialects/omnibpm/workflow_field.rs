//! `workflow_field/*`: the form fields of a workflow version.

use super::render::Dir;
use super::render_workflow;
use super::wire::{check_model, ok, ok_with, present, OmniError, OmniResult, OrgCall, Ref};
use super::workflow::workflow_ref;
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;
use sluice_domain::workflow::{DataType, FieldPatch, NewField};
use sluice_domain::{Error, FieldId, NodeId};

/// A field as requests give it.
#[derive(Deserialize)]
#[serde(expecting = "a WorkflowField object")]
struct FieldIn {
    #[serde(rename = "__model__")]
    model: Option<String>,
    #[serde(rename = "__id__", default, deserialize_with = "super::wire::opt_id")]
    id: Option<i64>,
    name: Option<String>,
    data_type: Option<String>,
    #[serde(default, deserialize_with = "present")]
    formula: Option<Option<String>>,
    /// `workflow_field/update`: the nodes that see the field.
    visible_nodes: Option<Vec<Ref>>,
}

impl FieldIn {
    /// A field to create; `at` names it in messages (`field`, `fields[2]`).
    fn new_field(self, at: &str) -> Result<NewField, OmniError> {
        check_model(self.model.as_deref(), "WorkflowField")?;
        let name = self
            .name
            .ok_or_else(|| OmniError::bad_request(format!("{at}.name is required.")))?;
        let code = self
            .data_type
            .ok_or_else(|| OmniError::bad_request(format!("{at}.data_type is required.")))?;
        let prefixed = |e: Error| match e {
            Error::Invalid(m) => OmniError::bad_request(format!("{at}: {m}")),
            other => other.into(),
        };
        NewField {
            name,
            data_type: DataType::parse(&code).map_err(prefixed)?,
            formula: self.formula.flatten(),
        }
        .checked()
        .map_err(prefixed)
    }
}

fn field_ids(call: &OrgCall) -> Result<Vec<FieldId>, OmniError> {
    let refs: Vec<Ref> = call.body.required("fields")?;
    refs.iter()
        .map(|r| r.id_of("WorkflowField").map(FieldId))
        .collect()
}

pub(super) async fn create(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let wf = workflow_ref(&call, "workflow")?;
    let new = call.body.required::<FieldIn>("field")?.new_field("field")?;
    let created = app
        .store
        .create_workflow_fields(call.org.id, wf, vec![new])
        .await?;
    let w = app.store.workflow(call.org.id, wf).await?;
    let dir = Dir::new(&call.org, &[], &[]);
    let f = created
        .first()
        .ok_or_else(|| OmniError::bad_request("No field was created."))?;
    ok_with("field", render_workflow::field(&dir, &w, f))
}

pub(super) async fn batch(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let wf = workflow_ref(&call, "workflow")?;
    let given: Vec<FieldIn> = call.body.required("fields")?;
    let new = given
        .into_iter()
        .enumerate()
        .map(|(i, f)| f.new_field(&format!("fields[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let created = app
        .store
        .create_workflow_fields(call.org.id, wf, new)
        .await?;
    let w = app.store.workflow(call.org.id, wf).await?;
    let dir = Dir::new(&call.org, &[], &[]);
    let out: Vec<_> = created
        .iter()
        .map(|f| render_workflow::field(&dir, &w, f))
        .collect();
    ok_with("fields", out)
}

pub(super) async fn list(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let wf = workflow_ref(&call, "workflow")?;
    let (w, fields) = tokio::try_join!(
        app.store.workflow(call.org.id, wf),
        app.store.workflow_fields(call.org.id, wf)
    )?;
    let dir = Dir::new(&call.org, &[], &[]);
    let out: Vec<_> = fields
        .iter()
        .map(|f| render_workflow::field_listed(&dir, &w, f))
        .collect();
    ok_with("fields", out)
}

pub(super) async fn activate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let wf = workflow_ref(&call, "workflow")?;
    let ids = field_ids(&call)?;
    app.store
        .set_workflow_fields_active(call.org.id, wf, &ids, true)
        .await?;
    ok()
}

pub(super) async fn inactivate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let wf = workflow_ref(&call, "workflow")?;
    let ids = field_ids(&call)?;
    app.store
        .set_workflow_fields_active(call.org.id, wf, &ids, false)
        .await?;
    ok()
}

/// Changes `name`, `formula` (FORMULA fields) and, with `visible_nodes`, which nodes see
/// the field. Other members, such as a whole field sent back, are ignored.
pub(super) async fn update(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let wf = workflow_ref(&call, "workflow")?;
    let f: FieldIn = call.body.required("field")?;
    check_model(f.model.as_deref(), "WorkflowField")?;
    let id =
        f.id.map(FieldId)
            .ok_or_else(|| OmniError::bad_request("field.__id__ is required."))?;
    let visible_nodes = f
        .visible_nodes
        .as_deref()
        .map(|refs| {
            refs.iter()
                .map(|r| r.id_of("ProcessFlowNode").map(NodeId))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let patch = FieldPatch {
        name: f.name,
        data_type: f.data_type.as_deref().map(DataType::parse).transpose()?,
        formula: f.formula,
    };
    let field = app
        .store
        .update_workflow_field(call.org.id, wf, id, patch, visible_nodes)
        .await?;
    let w = app.store.workflow(call.org.id, wf).await?;
    let dir = Dir::new(&call.org, &[], &[]);
    ok_with("field", render_workflow::field(&dir, &w, &field))
}
