//! OmniBPM's representations of workflow definitions: versions (`WorkflowDTO`), fields
//! (`WorkflowField`) and nodes (`ProcessFlowNode`). Typed and borrowing, like `render`.
//! The document representations reuse [`node`], [`node_brief`] and [`field`].

use super::render::{self, DeptOut, Dir, GroupOut, OrgBrief, RankOut, UserOut};
use serde::Serialize;
use sluice_domain::identity::{Department, Group, Rank, User};
use sluice_domain::workflow::{Assignee, Field, Node, Workflow};
use sluice_domain::{DeptId, FieldId, GroupId, NodeId, RankId, UserId};
use std::collections::{BTreeSet, HashMap};

/// A workflow version (`WorkflowDTO`).
#[derive(Serialize)]
pub(super) struct WorkflowOut<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    name: &'a str,
    version: i64,
    is_complete: bool,
    is_active: bool,
    is_hidden: bool,
    organization: OrgBrief<'a>,
    organization_id: i64,
    organization_name: &'a str,
}

pub(super) fn workflow<'a>(dir: &Dir<'a>, w: &'a Workflow) -> WorkflowOut<'a> {
    WorkflowOut {
        id: w.id.0,
        model: "WorkflowDTO",
        name: &w.name,
        version: w.version,
        is_complete: w.is_complete,
        is_active: w.is_active,
        is_hidden: w.is_hidden,
        organization: dir.org(),
        organization_id: dir.organization().id.0,
        organization_name: &dir.organization().name,
    }
}

/// A field of a version (`WorkflowField`).
#[derive(Serialize)]
pub(super) struct FieldOut<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    name: &'a str,
    data_type: &'static str,
    formula: Option<&'a str>,
    is_active: bool,
    /// The version's `is_complete`.
    is_complete: bool,
    workflow_id: i64,
    organization: OrgBrief<'a>,
    organization_id: i64,
    organization_name: &'a str,
    /// `workflow_field/list` only: whether the field shows (its `is_active`).
    #[serde(skip_serializing_if = "Option::is_none")]
    workflow_visible: Option<bool>,
}

/// A field; `w` is its version.
pub(super) fn field<'a>(dir: &Dir<'a>, w: &Workflow, f: &'a Field) -> FieldOut<'a> {
    FieldOut {
        id: f.id.0,
        model: "WorkflowField",
        name: &f.name,
        data_type: f.data_type.code(),
        formula: f.formula.as_deref(),
        is_active: f.is_active,
        is_complete: w.is_complete,
        workflow_id: f.workflow_id.0,
        organization: dir.org(),
        organization_id: dir.organization().id.0,
        organization_name: &dir.organization().name,
        workflow_visible: None,
    }
}

/// A field as `workflow_field/list` shows it, with `workflow_visible`.
pub(super) fn field_listed<'a>(dir: &Dir<'a>, w: &Workflow, f: &'a Field) -> FieldOut<'a> {
    FieldOut {
        workflow_visible: Some(f.is_active),
        ..field(dir, w, f)
    }
}

/// Everything a node's representation refers to. Fill it in and [`index`](Self::index) it.
pub(super) struct NodeSources<'a> {
    pub dir: &'a Dir<'a>,
    pub departments: &'a [Department],
    pub ranks: &'a [Rank],
    pub groups: &'a [Group],
    /// At least the users the nodes name (assignees and CC targets).
    pub users: &'a HashMap<UserId, User>,
    pub workflow: &'a Workflow,
    pub fields: &'a [Field],
    pub nodes: &'a [Node],
}

impl<'a> NodeSources<'a> {
    pub fn index(self) -> NodeDir<'a> {
        NodeDir {
            dir: self.dir,
            workflow: self.workflow,
            departments: self.departments.iter().map(|d| (d.id, d)).collect(),
            ranks: self.ranks.iter().map(|r| (r.id, r)).collect(),
            groups: self.groups.iter().map(|g| (g.id, g)).collect(),
            users: self.users,
            fields: self.fields.iter().map(|f| (f.id, f)).collect(),
            nodes: self.nodes.iter().map(|n| (n.id, n)).collect(),
        }
    }
}

/// [`NodeSources`] indexed by id.
pub(super) struct NodeDir<'a> {
    dir: &'a Dir<'a>,
    workflow: &'a Workflow,
    departments: HashMap<DeptId, &'a Department>,
    ranks: HashMap<RankId, &'a Rank>,
    groups: HashMap<GroupId, &'a Group>,
    users: &'a HashMap<UserId, User>,
    fields: HashMap<FieldId, &'a Field>,
    nodes: HashMap<NodeId, &'a Node>,
}

impl<'a> NodeDir<'a> {
    /// A node of the version by id.
    pub fn node(&self, id: NodeId) -> Option<&'a Node> {
        self.nodes.get(&id).copied()
    }
}

/// Another node referred to (`job_assignment_node`, `reference_node`).
#[derive(Serialize)]
pub(super) struct NodeBrief<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    note: &'a str,
}

/// `{__id__, __model__, note}` of a node (the note is null-free: an unknown node shows "").
pub(super) fn node_brief<'a>(d: &NodeDir<'a>, id: NodeId) -> NodeBrief<'a> {
    NodeBrief {
        id: id.0,
        model: "ProcessFlowNode",
        note: d.node(id).map(|n| n.spec.note.as_str()).unwrap_or(""),
    }
}

/// `{}`.
#[derive(Serialize)]
pub(super) struct Empty {}

/// A node (`ProcessFlowNode`). Nested in `children_set`, the objects that repeat the
/// organization, CC targets, fields and children are left out (their ids stay), as OmniBPM
/// does.
#[derive(Serialize)]
pub(super) struct NodeOut<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    note: &'a str,
    n_sign: i64,
    node_type: &'static str,
    workflow_id: i64,
    is_active: bool,
    /// The version's `is_complete`.
    is_complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<OrgBrief<'a>>,
    organization_id: i64,
    organization_name: &'a str,
    user: Option<UserOut<'a>>,
    user_id: Option<i64>,
    department: Option<DeptOut<'a>>,
    department_id: Option<i64>,
    department_name: Option<&'a str>,
    group: Option<GroupOut<'a>>,
    group_id: Option<i64>,
    group_name: Option<&'a str>,
    rank: Option<RankOut<'a>>,
    rank_id: Option<i64>,
    rank_name: Option<&'a str>,
    min_rank: Option<()>,
    max_rank: Option<()>,
    reference_node: Option<NodeBrief<'a>>,
    reference_node_id: Option<i64>,
    sign_by_at_least_one_supervisor: bool,
    as_doc_creator: bool,
    as_specified: bool,
    job_assignment_node: Option<NodeBrief<'a>>,
    job_assignment_node_id: Option<i64>,
    /// `ASSIGN`, `COPY`, or `""` for none.
    job_assignment_type: &'static str,
    allow_cc: bool,
    require_all_cc_response: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_cc_departments: Option<Vec<DeptOut<'a>>>,
    allowed_cc_departments_ids: Vec<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_cc_groups: Option<Vec<GroupOut<'a>>>,
    allowed_cc_groups_ids: Vec<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_cc_users: Option<Vec<UserOut<'a>>>,
    allowed_cc_users_ids: Vec<i64>,
    autocomplete_condition: Option<&'a str>,
    autocomplete_deadline: i64,
    deadline: i64,
    trigger_workflow: Option<()>,
    trigger_workflow_field_content: Empty,
    is_notifying_member_on_enter: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_fields: Option<Vec<FieldOut<'a>>>,
    required_fields_ids: Vec<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    editable_fields: Option<Vec<FieldOut<'a>>>,
    editable_fields_ids: Vec<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    visible_fields: Option<Vec<FieldOut<'a>>>,
    visible_fields_ids: Vec<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    children_set: Option<Vec<NodeOut<'a>>>,
    children_set_ids: Vec<i64>,
}

/// A node with its children (one level: each child without its own `children_set`).
pub(super) fn node<'a>(d: &NodeDir<'a>, n: &'a Node) -> NodeOut<'a> {
    let fields = |set: &BTreeSet<FieldId>| -> Vec<FieldOut<'a>> {
        set.iter()
            .filter_map(|f| d.fields.get(f))
            .map(|f| field(d.dir, d.workflow, f))
            .collect()
    };
    let cc = &n.spec.cc_targets;
    let access = &n.spec.fields;
    NodeOut {
        organization: Some(d.dir.org()),
        allowed_cc_departments: Some(
            cc.departments
                .iter()
                .filter_map(|i| d.departments.get(i))
                .map(|x| render::department(d.dir, x))
                .collect(),
        ),
        allowed_cc_groups: Some(
            cc.groups
                .iter()
                .filter_map(|i| d.groups.get(i))
                .map(|g| render::group(d.dir, g))
                .collect(),
        ),
        allowed_cc_users: Some(
            cc.users
                .iter()
                .filter_map(|i| d.users.get(i))
                .map(|u| render::user(d.dir, u))
                .collect(),
        ),
        required_fields: Some(fields(&access.required)),
        editable_fields: Some(fields(&access.editable)),
        visible_fields: Some(fields(&access.visible)),
        children_set: Some(
            n.children
                .iter()
                .filter_map(|c| d.node(*c))
                .map(|c| node_nested(d, c))
                .collect(),
        ),
        ..node_nested(d, n)
    }
}

/// A node as nested in another (`children_set`, documents' node lists): its own members and
/// the ids of what it refers to.
pub(super) fn node_nested<'a>(d: &NodeDir<'a>, n: &'a Node) -> NodeOut<'a> {
    let s = &n.spec;
    let org = d.dir.organization();
    let (mut user, mut dept, mut group, mut rank) = (None, None, None, None);
    let (mut reference, mut at_least_one) = (None, true);
    match s.assignee {
        Assignee::User(u) => user = Some(u),
        Assignee::Department(x) => dept = Some(x),
        Assignee::Group(g) => group = Some(g),
        Assignee::Supervisor {
            rank: r,
            reference_node,
            at_least_one: a,
        } => {
            rank = Some(r);
            reference = reference_node;
            at_least_one = a;
        }
        Assignee::Creator | Assignee::Specified => {}
    }
    let dept_obj = dept.and_then(|x| d.departments.get(&x).copied());
    let group_obj = group.and_then(|g| d.groups.get(&g).copied());
    let rank_obj = rank.and_then(|r| d.ranks.get(&r).copied());
    let ids = |set: &BTreeSet<FieldId>| set.iter().map(|f| f.0).collect();
    NodeOut {
        id: n.id.0,
        model: "ProcessFlowNode",
        note: &s.note,
        n_sign: s.n_sign,
        node_type: s.assignee.node_type(),
        workflow_id: n.workflow_id.0,
        is_active: true,
        is_complete: d.workflow.is_complete,
        organization: None,
        organization_id: org.id.0,
        organization_name: &org.name,
        user: user
            .and_then(|u| d.users.get(&u))
            .map(|u| render::user(d.dir, u)),
        user_id: user.map(|u| u.0),
        department: dept_obj.map(|x| render::department(d.dir, x)),
        department_id: dept.map(|x| x.0),
        department_name: dept_obj.map(|x| x.name.as_str()),
        group: group_obj.map(|g| render::group(d.dir, g)),
        group_id: group.map(|g| g.0),
        group_name: group_obj.map(|g| g.name.as_str()),
        rank: rank_obj.map(|r| render::rank(d.dir, r)),
        rank_id: rank.map(|r| r.0),
        rank_name: rank_obj.map(|r| r.name.as_str()),
        min_rank: None,
        max_rank: None,
        reference_node: reference.map(|r| node_brief(d, r)),
        reference_node_id: reference.map(|r| r.0),
        sign_by_at_least_one_supervisor: at_least_one,
        as_doc_creator: s.assignee == Assignee::Creator,
        as_specified: s.assignee == Assignee::Specified,
        job_assignment_node: s.job_assignment.map(|j| node_brief(d, j.node)),
        job_assignment_node_id: s.job_assignment.map(|j| j.node.0),
        job_assignment_type: s.job_assignment.map(|j| j.kind.code()).unwrap_or(""),
        allow_cc: s.allow_cc,
        require_all_cc_response: s.require_all_cc_response,
        allowed_cc_departments: None,
        allowed_cc_departments_ids: s.cc_targets.departments.iter().map(|x| x.0).collect(),
        allowed_cc_groups: None,
        allowed_cc_groups_ids: s.cc_targets.groups.iter().map(|x| x.0).collect(),
        allowed_cc_users: None,
        allowed_cc_users_ids: s.cc_targets.users.iter().map(|x| x.0).collect(),
        autocomplete_condition: s.autocomplete_condition.as_deref(),
        autocomplete_deadline: s.autocomplete_deadline,
        deadline: 0,
        trigger_workflow: None,
        trigger_workflow_field_content: Empty {},
        is_notifying_member_on_enter: false,
        required_fields: None,
        required_fields_ids: ids(&s.fields.required),
        editable_fields: None,
        editable_fields_ids: ids(&s.fields.editable),
        visible_fields: None,
        visible_fields_ids: ids(&s.fields.visible),
        children_set: None,
        children_set_ids: n.children.iter().map(|c| c.0).collect(),
    }
}

/// The users nodes name (assignees and CC targets), for loading them.
pub(super) fn node_users(nodes: &[Node]) -> Vec<UserId> {
    let mut ids: Vec<UserId> = nodes
        .iter()
        .flat_map(|n| {
            let assignee = match n.spec.assignee {
                Assignee::User(u) => Some(u),
                _ => None,
            };
            assignee
                .into_iter()
                .chain(n.spec.cc_targets.users.iter().copied())
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}
