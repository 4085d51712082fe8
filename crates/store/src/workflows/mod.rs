//! Workflow definitions: families (one name, shared permissions) and their versions, with
//! fields, nodes, node links, CC targets and node field access.
//!
//! Loading a version's nodes takes a fixed number of queries (rows, links, CC targets, field
//! access), whatever the number of nodes; the `load_*!` macros run them on any executor, so
//! write transactions check rules against the same loaders the read API uses.

mod copy;
pub mod event_keys;
mod fields;
mod import;
mod nodes;
mod permissions;
mod versions;

pub use nodes::NodeReplaced;

use chrono::{DateTime, Utc};
use sluice_domain::workflow::{
    Assignee, CcTargets, DataType, Field, FieldAccess, JobAssignment, JobAssignmentKind, Node,
    NodeKind, NodeSpec, Shape, Workflow,
};
use sluice_domain::{
    DeptId, FamilyId, FieldId, GroupId, NodeId, OrgId, RankId, UserId, WorkflowId,
};
use std::collections::{BTreeMap, HashMap};

/// Ids bound per `IN (…)` query: far below what SQLite (32766) and PostgreSQL (65535) accept.
pub(crate) const IDS_PER_QUERY: usize = 1000;

/// Field access codes of `workflow_node_fields.access`.
const ACCESS_VISIBLE: i64 = 1;
const ACCESS_EDITABLE: i64 = 2;
const ACCESS_REQUIRED: i64 = 3;

#[derive(sqlx::FromRow)]
pub(crate) struct WorkflowRow {
    id: i64,
    org_id: i64,
    family_id: i64,
    name: String,
    version: i64,
    is_complete: bool,
    is_active: bool,
    is_hidden: bool,
    created_at: DateTime<Utc>,
}

impl From<WorkflowRow> for Workflow {
    fn from(r: WorkflowRow) -> Self {
        Workflow {
            id: WorkflowId(r.id),
            org_id: OrgId(r.org_id),
            family_id: FamilyId(r.family_id),
            name: r.name,
            version: r.version,
            is_complete: r.is_complete,
            is_active: r.is_active,
            is_hidden: r.is_hidden,
            created_at: r.created_at,
        }
    }
}

/// Versions with their family's name, in one join.
pub(crate) const WORKFLOW_SELECT: &str = "SELECT w.id, w.org_id, w.family_id, f.name, w.version, \
     w.is_complete, w.is_active, w.is_hidden, w.created_at \
     FROM workflows w JOIN workflow_families f ON f.id = w.family_id";

#[derive(sqlx::FromRow)]
pub(crate) struct FieldRow {
    id: i64,
    org_id: i64,
    workflow_id: i64,
    name: String,
    data_type: String,
    formula: Option<String>,
    is_active: bool,
}

impl TryFrom<FieldRow> for Field {
    type Error = crate::Error;

    fn try_from(r: FieldRow) -> crate::Result<Self> {
        let data_type = DataType::parse(&r.data_type).map_err(|e| {
            crate::Error::Unexpected(anyhow::anyhow!("field {} in the database: {e}", r.id))
        })?;
        Ok(Field {
            id: FieldId(r.id),
            org_id: OrgId(r.org_id),
            workflow_id: WorkflowId(r.workflow_id),
            name: r.name,
            data_type,
            formula: r.formula,
            is_active: r.is_active,
        })
    }
}

pub(crate) const FIELD_COLUMNS: &str =
    "id, org_id, workflow_id, name, data_type, formula, is_active";

#[derive(sqlx::FromRow)]
pub(crate) struct NodeRow {
    id: i64,
    org_id: i64,
    workflow_id: i64,
    note: String,
    n_sign: i64,
    assignee_kind: String,
    user_id: Option<i64>,
    department_id: Option<i64>,
    group_id: Option<i64>,
    rank_id: Option<i64>,
    reference_node_id: Option<i64>,
    at_least_one_supervisor: bool,
    job_assignment_node_id: Option<i64>,
    job_assignment_type: Option<String>,
    allow_cc: bool,
    require_all_cc_response: bool,
    autocomplete_condition: Option<String>,
    autocomplete_deadline: i64,
    kind: String,
    behaviour: Option<String>,
    bpmn_key: Option<String>,
    shape: Option<String>,
}

pub(crate) const NODE_COLUMNS: &str = "id, org_id, workflow_id, note, n_sign, assignee_kind, \
     user_id, department_id, group_id, rank_id, reference_node_id, at_least_one_supervisor, \
     job_assignment_node_id, job_assignment_type, allow_cc, require_all_cc_response, \
     autocomplete_condition, autocomplete_deadline, kind, behaviour, bpmn_key, shape";

fn corrupt(what: String) -> crate::Error {
    crate::Error::Unexpected(anyhow::anyhow!("{what} in the database"))
}

impl NodeRow {
    fn assignee(&self) -> crate::Result<Assignee> {
        let missing = |col: &str| corrupt(format!("node {} without {col}", self.id));
        Ok(match self.assignee_kind.as_str() {
            "user" => Assignee::User(UserId(self.user_id.ok_or_else(|| missing("user_id"))?)),
            "department" => Assignee::Department(DeptId(
                self.department_id.ok_or_else(|| missing("department_id"))?,
            )),
            "group" => Assignee::Group(GroupId(self.group_id.ok_or_else(|| missing("group_id"))?)),
            "supervisor" => Assignee::Supervisor {
                rank: RankId(self.rank_id.ok_or_else(|| missing("rank_id"))?),
                reference_node: self.reference_node_id.map(NodeId),
                at_least_one: self.at_least_one_supervisor,
            },
            "creator" => Assignee::Creator,
            "specified" => Assignee::Specified,
            other => return Err(corrupt(format!("node {} of kind {other:?}", self.id))),
        })
    }

    /// The stored behaviour (JSON of the kind; none for tasks), checked against `kind`.
    fn kind(&self) -> crate::Result<NodeKind> {
        let kind = match &self.behaviour {
            None => NodeKind::Task,
            Some(json) => serde_json::from_str(json)
                .map_err(|e| corrupt(format!("node {} behaviour: {e}", self.id)))?,
        };
        if kind.code() != self.kind {
            return Err(corrupt(format!(
                "node {} of kind {} with a {} behaviour",
                self.id,
                self.kind,
                kind.code()
            )));
        }
        Ok(kind)
    }

    fn shape(&self) -> crate::Result<Option<Shape>> {
        self.shape
            .as_deref()
            .map(|json| {
                serde_json::from_str(json)
                    .map_err(|e| corrupt(format!("node {} shape: {e}", self.id)))
            })
            .transpose()
    }

    fn job_assignment(&self) -> crate::Result<Option<JobAssignment>> {
        let kind = JobAssignmentKind::parse(self.job_assignment_type.as_deref().unwrap_or(""))
            .map_err(|e| corrupt(format!("node {}: {e}", self.id)))?;
        Ok(match (self.job_assignment_node_id, kind) {
            (Some(node), Some(kind)) => Some(JobAssignment {
                node: NodeId(node),
                kind,
            }),
            _ => None,
        })
    }
}

/// A CC target row: node, user, group, department (one of the three set).
pub(crate) type CcRow = (i64, Option<i64>, Option<i64>, Option<i64>);

/// A link row: parent, child, condition of the flow.
pub(crate) type LinkRow = (i64, i64, Option<String>);

/// The stored forms of a node's kind: (`kind` code, `behaviour` JSON, none for tasks).
pub(crate) fn behaviour(kind: &NodeKind) -> crate::Result<(&'static str, Option<String>)> {
    let json = match kind {
        NodeKind::Task => None,
        other => Some(serde_json::to_string(other).map_err(anyhow::Error::from)?),
    };
    Ok((kind.code(), json))
}

/// The stored form of a shape.
pub(crate) fn shape_json(shape: Option<&Shape>) -> crate::Result<Option<String>> {
    shape
        .map(|s| serde_json::to_string(s).map_err(|e| anyhow::Error::from(e).into()))
        .transpose()
}

/// Builds nodes from their rows, links (parent, child, condition), CC targets and field access
/// (node, field, code). Nodes keep the order of `rows`; children, targets and fields are
/// sorted by id.
pub(crate) fn assemble_nodes(
    rows: Vec<NodeRow>,
    links: Vec<LinkRow>,
    ccs: Vec<CcRow>,
    access: Vec<(i64, i64, i64)>,
) -> crate::Result<Vec<Node>> {
    let mut children: HashMap<i64, Vec<NodeId>> = HashMap::new();
    let mut conditions: HashMap<i64, BTreeMap<NodeId, String>> = HashMap::new();
    for (parent, child, condition) in links {
        children.entry(parent).or_default().push(NodeId(child));
        if let Some(c) = condition {
            conditions
                .entry(parent)
                .or_default()
                .insert(NodeId(child), c);
        }
    }
    let mut targets: HashMap<i64, CcTargets> = HashMap::new();
    for (node, user, group, dept) in ccs {
        let t = targets.entry(node).or_default();
        match (user, group, dept) {
            (Some(u), _, _) => t.users.push(UserId(u)),
            (_, Some(g), _) => t.groups.push(GroupId(g)),
            (_, _, Some(d)) => t.departments.push(DeptId(d)),
            _ => {
                return Err(corrupt(format!(
                    "CC target of node {node} without a subject"
                )))
            }
        }
    }
    let mut fields: HashMap<i64, FieldAccess> = HashMap::new();
    for (node, field, code) in access {
        let a = fields.entry(node).or_default();
        let f = FieldId(field);
        a.visible.insert(f);
        if code >= ACCESS_EDITABLE {
            a.editable.insert(f);
        }
        if code >= ACCESS_REQUIRED {
            a.required.insert(f);
        }
    }
    rows.into_iter()
        .map(|r| {
            let mut kids = children.remove(&r.id).unwrap_or_default();
            kids.sort();
            let mut cc = targets.remove(&r.id).unwrap_or_default();
            cc.users.sort();
            cc.groups.sort();
            cc.departments.sort();
            let kind = r.kind()?;
            let shape = r.shape()?;
            Ok(Node {
                id: NodeId(r.id),
                org_id: OrgId(r.org_id),
                workflow_id: WorkflowId(r.workflow_id),
                spec: NodeSpec {
                    assignee: r.assignee()?,
                    job_assignment: r.job_assignment()?,
                    note: r.note,
                    n_sign: r.n_sign,
                    allow_cc: r.allow_cc,
                    cc_targets: cc,
                    require_all_cc_response: r.require_all_cc_response,
                    autocomplete_condition: r.autocomplete_condition,
                    autocomplete_deadline: r.autocomplete_deadline,
                    fields: fields.remove(&r.id).unwrap_or_default(),
                    kind,
                },
                children: kids,
                conditions: conditions.remove(&r.id).unwrap_or_default(),
                key: r.bpmn_key,
                shape,
            })
        })
        .collect()
}

/// The access code a node has on a field it can see.
fn access_code(a: &FieldAccess, f: FieldId) -> i64 {
    if a.required.contains(&f) {
        ACCESS_REQUIRED
    } else if a.editable.contains(&f) {
        ACCESS_EDITABLE
    } else {
        ACCESS_VISIBLE
    }
}

/// The ids in their first-seen order, each once.
fn distinct(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().filter(|i| seen.insert(*i)).collect()
}

/// Every id of other objects a node spec refers to, by table, for the organization check.
struct SpecRefs {
    users: Vec<i64>,
    groups: Vec<i64>,
    departments: Vec<i64>,
    ranks: Vec<i64>,
    nodes: Vec<i64>,
    fields: Vec<i64>,
}

impl SpecRefs {
    /// The directory objects whole specs name (an imported model's nodes); node and field
    /// references stay inside the model and are not listed.
    fn of_specs<'a>(specs: impl IntoIterator<Item = &'a NodeSpec>) -> SpecRefs {
        let mut r = SpecRefs {
            users: vec![],
            groups: vec![],
            departments: vec![],
            ranks: vec![],
            nodes: vec![],
            fields: vec![],
        };
        for s in specs {
            match s.assignee {
                Assignee::User(u) => r.users.push(u.0),
                Assignee::Group(g) => r.groups.push(g.0),
                Assignee::Department(d) => r.departments.push(d.0),
                Assignee::Supervisor { rank, .. } => r.ranks.push(rank.0),
                Assignee::Creator | Assignee::Specified => {}
            }
            r.users.extend(s.cc_targets.users.iter().map(|u| u.0));
            r.groups.extend(s.cc_targets.groups.iter().map(|g| g.0));
            r.departments
                .extend(s.cc_targets.departments.iter().map(|d| d.0));
            if let Some(user) = s.kind.message().and_then(|m| m.run_as) {
                r.users.push(user.0);
            }
        }
        r
    }

    fn of_patch(p: &sluice_domain::workflow::NodePatch) -> SpecRefs {
        use sluice_domain::workflow::AssigneeChoice as C;
        let mut r = SpecRefs {
            users: vec![],
            groups: vec![],
            departments: vec![],
            ranks: vec![],
            nodes: vec![],
            fields: vec![],
        };
        match p.assignee {
            Some(C::User(u)) => r.users.push(u.0),
            Some(C::Group(g)) => r.groups.push(g.0),
            Some(C::Department(d)) => r.departments.push(d.0),
            Some(C::Rank(k)) => r.ranks.push(k.0),
            Some(C::Creator | C::Specified) | None => {}
        }
        if let Some(cc) = &p.cc_targets {
            r.users.extend(cc.users.iter().map(|u| u.0));
            r.groups.extend(cc.groups.iter().map(|g| g.0));
            r.departments.extend(cc.departments.iter().map(|d| d.0));
        }
        r.nodes.extend(p.reference_node.flatten().map(|n| n.0));
        r.nodes.extend(p.job_assignment_node.flatten().map(|n| n.0));
        for list in [&p.required_fields, &p.editable_fields, &p.visible_fields] {
            r.fields.extend(list.iter().flatten().map(|f| f.0));
        }
        r
    }
}

/// Loads a version of the organization by id, or fails with not found.
macro_rules! workflow_in {
    ($ex:expr, $org:expr, $id:expr) => {{
        let id: sluice_domain::WorkflowId = $id;
        let sql = format!(
            "{} WHERE w.org_id = $1 AND w.id = $2",
            $crate::workflows::WORKFLOW_SELECT
        );
        let row: Option<$crate::workflows::WorkflowRow> = sqlx::query_as(&sql)
            .bind($org.0)
            .bind(id.0)
            .fetch_optional($ex)
            .await?;
        match row {
            Some(r) => sluice_domain::workflow::Workflow::from(r),
            None => return Err(sluice_domain::Error::not_found("Workflow", id).into()),
        }
    }};
}
pub(crate) use workflow_in;

/// Every field of a version, in id order.
macro_rules! load_fields {
    ($ex:expr, $org:expr, $wf:expr) => {{
        let sql = format!(
            "SELECT {} FROM workflow_fields WHERE org_id = $1 AND workflow_id = $2 ORDER BY id",
            $crate::workflows::FIELD_COLUMNS
        );
        let rows: Vec<$crate::workflows::FieldRow> = sqlx::query_as(&sql)
            .bind($org.0)
            .bind($wf.0)
            .fetch_all($ex)
            .await?;
        rows.into_iter()
            .map(sluice_domain::workflow::Field::try_from)
            .collect::<$crate::Result<Vec<_>>>()?
    }};
}
pub(crate) use load_fields;

/// Every node of a version with its children, CC targets and field access: four queries.
macro_rules! load_nodes {
    ($ex:expr, $org:expr, $wf:expr) => {{
        let (org, wf): (i64, i64) = ($org.0, $wf.0);
        let sql = format!(
            "SELECT {} FROM workflow_nodes WHERE org_id = $1 AND workflow_id = $2 ORDER BY id",
            $crate::workflows::NODE_COLUMNS
        );
        let rows: Vec<$crate::workflows::NodeRow> = sqlx::query_as(&sql)
            .bind(org)
            .bind(wf)
            .fetch_all($ex)
            .await?;
        let links: Vec<$crate::workflows::LinkRow> = sqlx::query_as(
            "SELECT c.parent_id, c.child_id, c.condition FROM workflow_node_children c \
             JOIN workflow_nodes n ON n.id = c.parent_id \
             WHERE n.org_id = $1 AND n.workflow_id = $2",
        )
        .bind(org)
        .bind(wf)
        .fetch_all($ex)
        .await?;
        let ccs: Vec<$crate::workflows::CcRow> = sqlx::query_as(
            "SELECT t.node_id, t.user_id, t.group_id, t.department_id \
             FROM workflow_node_cc_targets t JOIN workflow_nodes n ON n.id = t.node_id \
             WHERE n.org_id = $1 AND n.workflow_id = $2",
        )
        .bind(org)
        .bind(wf)
        .fetch_all($ex)
        .await?;
        let access: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT a.node_id, a.field_id, a.access FROM workflow_node_fields a \
             JOIN workflow_nodes n ON n.id = a.node_id \
             WHERE n.org_id = $1 AND n.workflow_id = $2",
        )
        .bind(org)
        .bind(wf)
        .fetch_all($ex)
        .await?;
        $crate::workflows::assemble_nodes(rows, links, ccs, access)?
    }};
}
pub(crate) use load_nodes;

/// Fails with not found for the first of `$ids` (i64s) that is not a row of `$table` in the
/// organization. Long lists are checked in chunks.
macro_rules! check_in_org {
    ($tx:ident, $table:literal, $kind:literal, $org:expr, $ids:expr) => {{
        let ids: Vec<i64> = $crate::workflows::distinct($ids);
        let mut found = std::collections::HashSet::with_capacity(ids.len());
        for chunk in ids.chunks($crate::workflows::IDS_PER_QUERY) {
            let sql = format!(
                concat!(
                    "SELECT id FROM ",
                    $table,
                    " WHERE org_id = $1 AND id IN ({})"
                ),
                $crate::identity::placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_scalar::<_, i64>(&sql).bind($org.0);
            for id in chunk {
                q = q.bind(*id);
            }
            found.extend(q.fetch_all(&mut *$tx).await?);
        }
        if let Some(missing) = ids.iter().find(|i| !found.contains(*i)) {
            return Err(sluice_domain::Error::not_found($kind, missing).into());
        }
    }};
}
pub(crate) use check_in_org;

/// The organization's "All Users" group: the default CC target and default permission.
macro_rules! all_users_group {
    ($tx:ident, $org:expr) => {{
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM groups WHERE org_id = $1 AND system_kind = $2")
                .bind($org.0)
                .bind(sluice_domain::identity::SystemGroup::AllUsers.code())
                .fetch_optional(&mut *$tx)
                .await?;
        sluice_domain::GroupId(id.ok_or_else(|| {
            $crate::Error::Unexpected(anyhow::anyhow!(
                "organization {} has no All Users group",
                $org
            ))
        })?)
    }};
}
pub(crate) use all_users_group;

/// Inserts a node with its CC targets (the "All Users" group when none are given) and field
/// access; returns its id. Without `$with_refs`, the reference and job-assignment node ids
/// are left empty (a copy sets them once every node exists). `$key` and `$shape` are the
/// BPMN element id and drawing (none for OmniBPM nodes).
macro_rules! insert_node {
    ($tx:ident, $org:expr, $wf:expr, $spec:expr, $all_users:expr, $with_refs:expr) => {{
        $crate::workflows::insert_node!(
            $tx,
            $org,
            $wf,
            $spec,
            $all_users,
            $with_refs,
            None::<&str>,
            None
        )
    }};
    ($tx:ident, $org:expr, $wf:expr, $spec:expr, $all_users:expr, $with_refs:expr, $key:expr, $shape:expr) => {{
        use sluice_domain::workflow::Assignee;
        let spec: &sluice_domain::workflow::NodeSpec = $spec;
        let with_refs: bool = $with_refs;
        let (mut user, mut dept, mut group, mut rank) = (None, None, None, None);
        let (mut reference, mut at_least_one) = (None, true);
        match spec.assignee {
            Assignee::User(u) => user = Some(u.0),
            Assignee::Department(d) => dept = Some(d.0),
            Assignee::Group(g) => group = Some(g.0),
            Assignee::Supervisor {
                rank: r,
                reference_node,
                at_least_one: a,
            } => {
                rank = Some(r.0);
                reference = reference_node.map(|n| n.0);
                at_least_one = a;
            }
            Assignee::Creator | Assignee::Specified => {}
        }
        let ja = spec.job_assignment;
        let (kind_code, behaviour) = $crate::workflows::behaviour(&spec.kind)?;
        let shape: Option<&sluice_domain::workflow::Shape> = $shape;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO workflow_nodes (org_id, workflow_id, note, n_sign, assignee_kind, \
             user_id, department_id, group_id, rank_id, reference_node_id, \
             at_least_one_supervisor, job_assignment_node_id, job_assignment_type, allow_cc, \
             require_all_cc_response, autocomplete_condition, autocomplete_deadline, kind, \
             behaviour, bpmn_key, shape) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21) RETURNING id",
        )
        .bind($org.0)
        .bind($wf.0)
        .bind(&spec.note)
        .bind(spec.n_sign)
        .bind(spec.assignee.kind())
        .bind(user)
        .bind(dept)
        .bind(group)
        .bind(rank)
        .bind(reference.filter(|_| with_refs))
        .bind(at_least_one)
        .bind(ja.map(|j| j.node.0).filter(|_| with_refs))
        .bind(ja.map(|j| j.kind.code()))
        .bind(spec.allow_cc)
        .bind(spec.require_all_cc_response)
        .bind(&spec.autocomplete_condition)
        .bind(spec.autocomplete_deadline)
        .bind(kind_code)
        .bind(behaviour)
        .bind($key)
        .bind($crate::workflows::shape_json(shape)?)
        .fetch_one(&mut *$tx)
        .await?;
        let cc = &spec.cc_targets;
        let default_groups = [$all_users];
        let groups: &[sluice_domain::GroupId] = if cc.is_empty() {
            &default_groups
        } else {
            &cc.groups
        };
        let targets = cc
            .users
            .iter()
            .map(|u| (Some(u.0), None, None))
            .chain(groups.iter().map(|g| (None, Some(g.0), None)))
            .chain(cc.departments.iter().map(|d| (None, None, Some(d.0))));
        for (u, g, d) in targets {
            sqlx::query(
                "INSERT INTO workflow_node_cc_targets (node_id, user_id, group_id, department_id) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(u)
            .bind(g)
            .bind(d)
            .execute(&mut *$tx)
            .await?;
        }
        for f in &spec.fields.visible {
            sqlx::query(
                "INSERT INTO workflow_node_fields (node_id, field_id, access) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(f.0)
            .bind($crate::workflows::access_code(&spec.fields, *f))
            .execute(&mut *$tx)
            .await?;
        }
        sluice_domain::NodeId(id)
    }};
}
pub(crate) use insert_node;

/// The specs of `nodes` by id, leaving out `except`.
fn specs_except(nodes: &[Node], except: Option<NodeId>) -> HashMap<NodeId, NodeSpec> {
    nodes
        .iter()
        .filter(|n| Some(n.id) != except)
        .map(|n| (n.id, n.spec.clone()))
        .collect()
}

/// Locks a version's row until the transaction ends (so edits of one version, and its
/// finalization, happen one at a time: two links cannot close a cycle together, an edit
/// cannot slip past `finalize`), loads it and checks that it can still be edited.
macro_rules! editable_workflow {
    ($tx:ident, $org:expr, $wf:expr) => {{
        let wf: sluice_domain::WorkflowId = $wf;
        sqlx::query("UPDATE workflows SET is_complete = is_complete WHERE org_id = $1 AND id = $2")
            .bind($org.0)
            .bind(wf.0)
            .execute(&mut *$tx)
            .await?;
        let w = $crate::workflows::workflow_in!(&mut *$tx, $org, wf);
        sluice_domain::workflow::check_editable(&w)?;
        w
    }};
}
pub(crate) use editable_workflow;
