//! `workflow_node/*`: the steps of a workflow version and the links between them.

use super::directory;
use super::render::Dir;
use super::render_workflow::{self, node_users, NodeSources};
use super::wire::{check_model, ok, ok_with, present, OmniError, OmniResult, OrgCall, Ref};
use super::workflow::workflow_ref;
use crate::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use sluice_domain::identity::{Department, Group, Rank, User};
use sluice_domain::workflow::{
    AssigneeChoice, CcTargets, Field, JobAssignmentKind, Node, NodePatch, Workflow,
};
use sluice_domain::{DeptId, Error, FieldId, GroupId, NodeId, RankId, UserId, WorkflowId};
use std::collections::HashMap;

/// A node reference where OmniBPM also accepts `""` for none (`job_assignment_node`,
/// `reference_node`); `null` is handled by the `Option` around it.
struct NodeRefIn(Option<Ref>);

impl<'de> Deserialize<'de> for NodeRefIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(d)? {
            Value::String(s) if s.is_empty() => Ok(NodeRefIn(None)),
            v @ Value::Object(_) => serde_json::from_value(v)
                .map(|r| NodeRefIn(Some(r)))
                .map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "expected a node object like {{\"__id__\": 1}}, null or \"\", not {other}"
            ))),
        }
    }
}

/// A node as `workflow_node/create` and `update` take it.
#[derive(Deserialize)]
#[serde(expecting = "a ProcessFlowNode object")]
struct NodeIn {
    #[serde(rename = "__model__")]
    model: Option<String>,
    #[serde(rename = "__id__", default, deserialize_with = "super::wire::opt_id")]
    id: Option<i64>,
    note: Option<String>,
    n_sign: Option<i64>,
    department: Option<Ref>,
    group: Option<Ref>,
    user: Option<Ref>,
    rank: Option<Ref>,
    as_doc_creator: Option<bool>,
    as_specified: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    reference_node: Option<Option<NodeRefIn>>,
    sign_by_at_least_one_supervisor: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    job_assignment_node: Option<Option<NodeRefIn>>,
    #[serde(default, deserialize_with = "present")]
    job_assignment_type: Option<Option<String>>,
    allow_cc: Option<bool>,
    require_all_cc_response: Option<bool>,
    allowed_cc_departments: Option<Vec<Ref>>,
    allowed_cc_groups: Option<Vec<Ref>>,
    allowed_cc_users: Option<Vec<Ref>>,
    #[serde(default, deserialize_with = "present")]
    autocomplete_condition: Option<Option<String>>,
    autocomplete_deadline: Option<i64>,
    required_fields: Option<Vec<Ref>>,
    editable_fields: Option<Vec<Ref>>,
    visible_fields: Option<Vec<Ref>>,
}

/// A given node reference: `Some(None)` for `null` or `""`.
fn node_ref(r: &Option<Option<NodeRefIn>>) -> Result<Option<Option<NodeId>>, OmniError> {
    match r {
        None => Ok(None),
        Some(None) | Some(Some(NodeRefIn(None))) => Ok(Some(None)),
        Some(Some(NodeRefIn(Some(r)))) => Ok(Some(Some(NodeId(r.id_of("ProcessFlowNode")?)))),
    }
}

fn ids<T>(refs: &[Ref], model: &str, make: fn(i64) -> T) -> Result<Vec<T>, OmniError> {
    refs.iter().map(|r| r.id_of(model).map(make)).collect()
}

fn or_empty(refs: &Option<Vec<Ref>>) -> &[Ref] {
    refs.as_deref().unwrap_or(&[])
}

fn field_ids(refs: &Option<Vec<Ref>>) -> Result<Option<Vec<FieldId>>, OmniError> {
    refs.as_deref()
        .map(|r| ids(r, "WorkflowField", FieldId))
        .transpose()
}

impl NodeIn {
    fn read(call: &OrgCall) -> Result<Self, OmniError> {
        let n: NodeIn = call.body.required("node")?;
        check_model(n.model.as_deref(), "ProcessFlowNode")?;
        Ok(n)
    }

    /// The assignee the node names, if any; naming two is refused.
    fn assignee(&self) -> Result<Option<AssigneeChoice>, OmniError> {
        let mut given: Vec<(&str, AssigneeChoice)> = Vec::new();
        if let Some(r) = &self.department {
            given.push((
                "department",
                AssigneeChoice::Department(DeptId(r.id_of("Department")?)),
            ));
        }
        if let Some(r) = &self.group {
            given.push((
                "group",
                AssigneeChoice::Group(GroupId(r.id_of("GroupProfile")?)),
            ));
        }
        if let Some(r) = &self.user {
            given.push((
                "user",
                AssigneeChoice::User(UserId(r.id_of("UserProfile")?)),
            ));
        }
        if let Some(r) = &self.rank {
            given.push(("rank", AssigneeChoice::Rank(RankId(r.id_of("UserRank")?))));
        }
        if self.as_doc_creator == Some(true) {
            given.push(("as_doc_creator", AssigneeChoice::Creator));
        }
        if self.as_specified == Some(true) {
            given.push(("as_specified", AssigneeChoice::Specified));
        }
        match given.as_slice() {
            [] => Ok(None),
            [(_, one)] => Ok(Some(*one)),
            many => Err(OmniError::bad_request(format!(
                "A node has one kind of assignee: give only one of department, group, user, \
                 rank, as_doc_creator and as_specified (got {}).",
                many.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    fn patch(&self) -> Result<NodePatch, OmniError> {
        let cc_given = self.allowed_cc_departments.is_some()
            || self.allowed_cc_groups.is_some()
            || self.allowed_cc_users.is_some();
        let cc_targets = if cc_given {
            Some(CcTargets {
                departments: ids(or_empty(&self.allowed_cc_departments), "Department", DeptId)?,
                groups: ids(or_empty(&self.allowed_cc_groups), "GroupProfile", GroupId)?,
                users: ids(or_empty(&self.allowed_cc_users), "UserProfile", UserId)?,
            })
        } else {
            None
        };
        let job_assignment_kind = match &self.job_assignment_type {
            None => None,
            Some(None) => Some(None),
            Some(Some(code)) => Some(JobAssignmentKind::parse(code)?),
        };
        Ok(NodePatch {
            note: self.note.clone(),
            n_sign: self.n_sign,
            assignee: self.assignee()?,
            reference_node: node_ref(&self.reference_node)?,
            at_least_one_supervisor: self.sign_by_at_least_one_supervisor,
            job_assignment_node: node_ref(&self.job_assignment_node)?,
            job_assignment_kind,
            allow_cc: self.allow_cc,
            cc_targets,
            require_all_cc_response: self.require_all_cc_response,
            autocomplete_condition: self.autocomplete_condition.clone(),
            autocomplete_deadline: self.autocomplete_deadline,
            required_fields: field_ids(&self.required_fields)?,
            editable_fields: field_ids(&self.editable_fields)?,
            visible_fields: field_ids(&self.visible_fields)?,
        })
    }
}

/// A version's nodes with everything their representations refer to.
struct Graph {
    workflow: Workflow,
    fields: Vec<Field>,
    nodes: Vec<Node>,
    groups: Vec<Group>,
    departments: Vec<Department>,
    ranks: Vec<Rank>,
    users: HashMap<UserId, User>,
}

impl Graph {
    async fn load(app: &AppState, call: &OrgCall, wf: WorkflowId) -> Result<Graph, OmniError> {
        let org = call.org.id;
        let (workflow, fields, nodes, groups, (departments, ranks)) = tokio::try_join!(
            async { Ok::<_, OmniError>(app.store.workflow(org, wf).await?) },
            async { Ok::<_, OmniError>(app.store.workflow_fields(org, wf).await?) },
            async { Ok::<_, OmniError>(app.store.workflow_nodes(org, wf).await?) },
            async { Ok::<_, OmniError>(app.store.list_groups(org).await?) },
            directory(app, &call.org),
        )?;
        let users = app.store.users_by_ids(org, &node_users(&nodes)).await?;
        Ok(Graph {
            workflow,
            fields,
            nodes,
            groups,
            departments,
            ranks,
            users,
        })
    }

    fn sources<'a>(&'a self, dir: &'a Dir<'a>) -> NodeSources<'a> {
        NodeSources {
            dir,
            departments: &self.departments,
            ranks: &self.ranks,
            groups: &self.groups,
            users: &self.users,
            workflow: &self.workflow,
            fields: &self.fields,
            nodes: &self.nodes,
        }
    }
}

/// `{"RESPONSE": "OK", "node": ...}` for one node of a version.
async fn reply_node(app: &AppState, call: &OrgCall, wf: WorkflowId, id: NodeId) -> OmniResult {
    let g = Graph::load(app, call, wf).await?;
    let dir = Dir::new(&call.org, &g.departments, &g.ranks);
    let d = g.sources(&dir).index();
    let n = d.node(id).ok_or_else(|| Error::not_found("Node", id))?;
    ok_with("node", render_workflow::node(&d, n))
}

fn node_id(call: &OrgCall, key: &str) -> Result<NodeId, OmniError> {
    let r: Ref = call.body.required(key)?;
    Ok(NodeId(r.id_of("ProcessFlowNode")?))
}

pub(super) async fn create(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let wf = workflow_ref(&call, "workflow")?;
    let patch = NodeIn::read(&call)?.patch()?;
    let id = app
        .store
        .create_workflow_node(call.org.id, wf, patch)
        .await?;
    reply_node(&app, &call, wf, id).await
}

pub(super) async fn list(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let wf = workflow_ref(&call, "workflow")?;
    let g = Graph::load(&app, &call, wf).await?;
    let dir = Dir::new(&call.org, &g.departments, &g.ranks);
    let d = g.sources(&dir).index();
    let out: Vec<_> = g
        .nodes
        .iter()
        .map(|n| render_workflow::node(&d, n))
        .collect();
    ok_with("nodes", out)
}

pub(super) async fn delete(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = node_id(&call, "node")?;
    app.store.delete_workflow_node(call.org.id, id).await?;
    ok()
}

#[derive(Serialize)]
struct Replaced<'a> {
    #[serde(rename = "RESPONSE")]
    response: &'static str,
    node: render_workflow::NodeOut<'a>,
    job_assigned_nodes_ids: Vec<i64>,
    referenced_nodes_ids: Vec<i64>,
}

/// Replaces the node by a new one (a new id) with the given members changed.
pub(super) async fn update(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let n = NodeIn::read(&call)?;
    let id =
        n.id.map(NodeId)
            .ok_or_else(|| OmniError::bad_request("node.__id__ is required."))?;
    let r = app
        .store
        .update_workflow_node(call.org.id, id, n.patch()?)
        .await?;
    let g = Graph::load(&app, &call, r.workflow).await?;
    let dir = Dir::new(&call.org, &g.departments, &g.ranks);
    let d = g.sources(&dir).index();
    let node = d
        .node(r.node)
        .ok_or_else(|| Error::not_found("Node", r.node))?;
    Ok(Json(Replaced {
        response: "OK",
        node: render_workflow::node(&d, node),
        job_assigned_nodes_ids: r.job_assigned.iter().map(|n| n.0).collect(),
        referenced_nodes_ids: r.referenced.iter().map(|n| n.0).collect(),
    })
    .into_response())
}

pub(super) async fn add_child(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let (parent, child) = (node_id(&call, "node")?, node_id(&call, "child")?);
    let wf = app
        .store
        .add_workflow_node_child(call.org.id, parent, child)
        .await?;
    reply_node(&app, &call, wf, parent).await
}

pub(super) async fn remove_child(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let (parent, child) = (node_id(&call, "node")?, node_id(&call, "child")?);
    let wf = app
        .store
        .remove_workflow_node_child(call.org.id, parent, child)
        .await?;
    reply_node(&app, &call, wf, parent).await
}
