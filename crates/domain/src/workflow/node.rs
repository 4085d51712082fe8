//! Workflow nodes: who signs a step, how many signatures complete it, whom its signers may CC,
//! which fields they see, edit and must fill, and when it skips itself.

use super::field::Field;
use super::kind::{NodeKind, Shape};
use crate::{DeptId, Error, FieldId, GroupId, NodeId, OrgId, RankId, Result, UserId, WorkflowId};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Who is responsible for (may sign) a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    /// One user.
    User(UserId),
    /// The active users of a department.
    Department(DeptId),
    /// The active members of a group.
    Group(GroupId),
    /// The supervisors of a reference user, up the department hierarchy, until one of at
    /// least the given rank has signed. The reference user is the document's creator, or the
    /// signer of `reference_node`. With `at_least_one`, a supervisor signs even when the
    /// reference user already holds that rank.
    Supervisor {
        rank: RankId,
        reference_node: Option<NodeId>,
        at_least_one: bool,
    },
    /// The document's creator.
    Creator,
    /// Users chosen while the document runs, by a signer of the job-assignment node.
    Specified,
}

impl Assignee {
    /// OmniBPM's read-only `node_type`.
    pub fn node_type(&self) -> &'static str {
        match self {
            Assignee::Department(_) => "department",
            Assignee::Group(_) => "group",
            Assignee::Supervisor { .. } => "userrank",
            Assignee::User(_) | Assignee::Creator | Assignee::Specified => "user",
        }
    }

    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Assignee::User(_) => "user",
            Assignee::Department(_) => "department",
            Assignee::Group(_) => "group",
            Assignee::Supervisor { .. } => "supervisor",
            Assignee::Creator => "creator",
            Assignee::Specified => "specified",
        }
    }
}

/// How a node's responsible users are decided by another node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAssignmentKind {
    /// A signer of the job-assignment node chooses them (`document/assign_agent`).
    Assign,
    /// The same users as the job-assignment node's.
    Copy,
}

impl JobAssignmentKind {
    pub fn code(self) -> &'static str {
        match self {
            JobAssignmentKind::Assign => "ASSIGN",
            JobAssignmentKind::Copy => "COPY",
        }
    }

    /// `ASSIGN`, `COPY`; empty means none.
    pub fn parse(code: &str) -> Result<Option<Self>> {
        match code {
            "" => Ok(None),
            "ASSIGN" => Ok(Some(JobAssignmentKind::Assign)),
            "COPY" => Ok(Some(JobAssignmentKind::Copy)),
            other => Err(Error::invalid(format!(
                "job_assignment_type {other:?} is not ASSIGN or COPY."
            ))),
        }
    }
}

/// A node's job assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobAssignment {
    pub node: NodeId,
    pub kind: JobAssignmentKind,
}

/// Whom a node's signers may CC. All empty means the "All Users" group, which the store
/// fills in when the node is saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CcTargets {
    pub departments: Vec<DeptId>,
    pub groups: Vec<GroupId>,
    pub users: Vec<UserId>,
}

impl CcTargets {
    pub fn is_empty(&self) -> bool {
        self.departments.is_empty() && self.groups.is_empty() && self.users.is_empty()
    }
}

/// The fields a node's signers must fill, may edit and can see. Always closed:
/// required ⊆ editable ⊆ visible.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldAccess {
    pub required: BTreeSet<FieldId>,
    pub editable: BTreeSet<FieldId>,
    pub visible: BTreeSet<FieldId>,
}

impl FieldAccess {
    /// Applies the spec's closure rule: required fields are editable and visible, editable
    /// fields visible. `visible` defaults to every field of the workflow (`all`); an explicit
    /// empty list is refused, as a node must show at least one field.
    pub fn close(
        required: Option<Vec<FieldId>>,
        editable: Option<Vec<FieldId>>,
        visible: Option<Vec<FieldId>>,
        all: &[FieldId],
    ) -> Result<FieldAccess> {
        if matches!(&visible, Some(v) if v.is_empty()) {
            return Err(Error::invalid(
                "visible_fields cannot be empty: a node must show at least one field.",
            ));
        }
        Self::closed(required, editable, visible, all)
    }

    /// The closure of the lists, without refusing an empty `visible` (a node keeping what it
    /// had: nothing, in a version without fields).
    fn closed(
        required: Option<Vec<FieldId>>,
        editable: Option<Vec<FieldId>>,
        visible: Option<Vec<FieldId>>,
        all: &[FieldId],
    ) -> Result<FieldAccess> {
        let known: HashSet<FieldId> = all.iter().copied().collect();
        for (list, ids) in [
            ("required_fields", &required),
            ("editable_fields", &editable),
            ("visible_fields", &visible),
        ] {
            if let Some(unknown) = ids.iter().flatten().find(|f| !known.contains(f)) {
                return Err(Error::invalid(format!(
                    "{list}: field {unknown} is not a field of this workflow."
                )));
            }
        }
        let required: BTreeSet<FieldId> = required.unwrap_or_default().into_iter().collect();
        let mut editable: BTreeSet<FieldId> = editable.unwrap_or_default().into_iter().collect();
        editable.extend(&required);
        let mut visible: BTreeSet<FieldId> = match visible {
            Some(v) => v.into_iter().collect(),
            None => all.iter().copied().collect(),
        };
        visible.extend(&editable);
        Ok(FieldAccess {
            required,
            editable,
            visible,
        })
    }
}

/// A node of a workflow version.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: NodeId,
    pub org_id: OrgId,
    pub workflow_id: WorkflowId,
    pub spec: NodeSpec,
    /// The nodes a case goes on to from here (BPMN's outgoing sequence flows).
    pub children: Vec<NodeId>,
    /// Conditions on the flows to some children (out of an exclusive gateway only).
    pub conditions: BTreeMap<NodeId, String>,
    /// The BPMN element id, unique in the version (`None` for nodes made through OmniBPM;
    /// export then names them `Node_<id>`).
    pub key: Option<String>,
    /// Where the node is drawn (`None`: laid out automatically on export).
    pub shape: Option<Shape>,
}

/// Everything about a node that `workflow_node/create` and `update` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    /// The node's name.
    pub note: String,
    /// Signatures that complete the node.
    pub n_sign: i64,
    pub assignee: Assignee,
    pub job_assignment: Option<JobAssignment>,
    pub allow_cc: bool,
    pub cc_targets: CcTargets,
    /// The node waits for every reply-required CC sent from it before it completes.
    pub require_all_cc_response: bool,
    /// An expression over the fields; the node is skipped when it holds on entry.
    pub autocomplete_condition: Option<String>,
    /// Seconds after which the node skips itself; 0 for never.
    pub autocomplete_deadline: i64,
    pub fields: FieldAccess,
    /// What the node does; OmniBPM nodes are tasks.
    pub kind: NodeKind,
}

impl NodeSpec {
    /// The same spec with its references to nodes and fields translated, for a copy of the
    /// workflow (`workflow/clone`, `save_as`). Ids without a translation are kept.
    pub fn remapped(
        &self,
        nodes: &HashMap<NodeId, NodeId>,
        fields: &HashMap<FieldId, FieldId>,
    ) -> NodeSpec {
        let node = |n: NodeId| nodes.get(&n).copied().unwrap_or(n);
        let field_set = |s: &BTreeSet<FieldId>| -> BTreeSet<FieldId> {
            s.iter()
                .map(|f| fields.get(f).copied().unwrap_or(*f))
                .collect()
        };
        let assignee = match self.assignee {
            Assignee::Supervisor {
                rank,
                reference_node,
                at_least_one,
            } => Assignee::Supervisor {
                rank,
                reference_node: reference_node.map(node),
                at_least_one,
            },
            other => other,
        };
        NodeSpec {
            assignee,
            job_assignment: self.job_assignment.map(|j| JobAssignment {
                node: node(j.node),
                kind: j.kind,
            }),
            autocomplete_condition: self
                .autocomplete_condition
                .as_deref()
                .map(|c| super::expr::remap_field_ids(c, fields)),
            fields: FieldAccess {
                required: field_set(&self.fields.required),
                editable: field_set(&self.fields.editable),
                visible: field_set(&self.fields.visible),
            },
            kind: self.kind.remapped(nodes, fields),
            ..self.clone()
        }
    }

    /// The supervisor reference node, if any.
    pub fn reference_node(&self) -> Option<NodeId> {
        match self.assignee {
            Assignee::Supervisor { reference_node, .. } => reference_node,
            _ => None,
        }
    }

    /// Whether this node depends on `other` (as job-assignment node or supervisor reference).
    pub fn depends_on(&self, other: NodeId) -> bool {
        self.reference_node() == Some(other) || self.job_assignment.is_some_and(|j| j.node == other)
    }
}

/// Who signs a node, as a client chooses it: exactly one of OmniBPM's `department`, `group`,
/// `user`, `rank`, `as_doc_creator`, `as_specified`. A rank's reference node and
/// "at least one supervisor" flag are given beside it (see [`NodePatch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeChoice {
    User(UserId),
    Department(DeptId),
    Group(GroupId),
    Rank(RankId),
    Creator,
    Specified,
}

impl AssigneeChoice {
    fn of(a: &Assignee) -> AssigneeChoice {
        match *a {
            Assignee::User(u) => AssigneeChoice::User(u),
            Assignee::Department(d) => AssigneeChoice::Department(d),
            Assignee::Group(g) => AssigneeChoice::Group(g),
            Assignee::Supervisor { rank, .. } => AssigneeChoice::Rank(rank),
            Assignee::Creator => AssigneeChoice::Creator,
            Assignee::Specified => AssigneeChoice::Specified,
        }
    }
}

/// What `workflow_node/create` and `update` give: every member optional. A create starts
/// from nothing (note, n_sign and the assignee are then required); an update starts from the
/// node's current spec, so members not given keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodePatch {
    pub note: Option<String>,
    pub n_sign: Option<i64>,
    pub assignee: Option<AssigneeChoice>,
    /// `Some(None)`: the document's creator is the reference (rank nodes only).
    pub reference_node: Option<Option<NodeId>>,
    pub at_least_one_supervisor: Option<bool>,
    /// `Some(None)` clears the job assignment (OmniBPM's `null` or `""`).
    pub job_assignment_node: Option<Option<NodeId>>,
    pub job_assignment_kind: Option<Option<JobAssignmentKind>>,
    pub allow_cc: Option<bool>,
    /// The three `allowed_cc_*` lists are one setting: giving any of them replaces all.
    pub cc_targets: Option<CcTargets>,
    pub require_all_cc_response: Option<bool>,
    /// `Some(None)` (or an empty text) removes the condition.
    pub autocomplete_condition: Option<Option<String>>,
    pub autocomplete_deadline: Option<i64>,
    pub required_fields: Option<Vec<FieldId>>,
    pub editable_fields: Option<Vec<FieldId>>,
    pub visible_fields: Option<Vec<FieldId>>,
}

impl NodePatch {
    /// The spec that results from applying the patch to `old` (or to the defaults for a new
    /// node): defaults filled in, field access closed, the autocomplete condition compiled
    /// against the workflow's `fields`. References to other nodes are checked by
    /// [`check_spec`].
    pub fn apply(self, old: Option<&NodeSpec>, fields: &[Field]) -> Result<NodeSpec> {
        let note = match self.note.as_deref().or(old.map(|o| o.note.as_str())) {
            Some(n) => crate::validate::name("note", n)?,
            None => return Err(Error::invalid("note is required.")),
        };
        let n_sign = self
            .n_sign
            .or(old.map(|o| o.n_sign))
            .ok_or_else(|| Error::invalid("n_sign is required."))?;
        let old_supervisor = old.and_then(|o| match o.assignee {
            Assignee::Supervisor {
                reference_node,
                at_least_one,
                ..
            } => Some((reference_node, at_least_one)),
            _ => None,
        });
        let choice = self
            .assignee
            .or(old.map(|o| AssigneeChoice::of(&o.assignee)))
            .ok_or_else(|| {
                Error::invalid(
                    "A node needs one of department, group, user, rank, as_doc_creator or as_specified.",
                )
            })?;
        let assignee = match choice {
            AssigneeChoice::Rank(rank) => Assignee::Supervisor {
                rank,
                reference_node: self
                    .reference_node
                    .unwrap_or_else(|| old_supervisor.and_then(|(r, _)| r)),
                at_least_one: self
                    .at_least_one_supervisor
                    .or(old_supervisor.map(|(_, a)| a))
                    .unwrap_or(true),
            },
            other => {
                if let Some(Some(r)) = self.reference_node {
                    return Err(Error::invalid(format!(
                        "reference_node {r} is for rank (supervisor) nodes only."
                    )));
                }
                match other {
                    AssigneeChoice::User(u) => Assignee::User(u),
                    AssigneeChoice::Department(d) => Assignee::Department(d),
                    AssigneeChoice::Group(g) => Assignee::Group(g),
                    AssigneeChoice::Creator => Assignee::Creator,
                    AssigneeChoice::Specified | AssigneeChoice::Rank(_) => Assignee::Specified,
                }
            }
        };
        let old_ja = old.and_then(|o| o.job_assignment);
        // Clearing one half (null or "") without giving the other clears both.
        let ja_node = match self.job_assignment_node {
            Some(n) => n,
            None if self.job_assignment_kind == Some(None) => None,
            None => old_ja.map(|j| j.node),
        };
        let ja_kind = match self.job_assignment_kind {
            Some(k) => k,
            None if self.job_assignment_node == Some(None) => None,
            None => old_ja.map(|j| j.kind),
        };
        let job_assignment =
            match (ja_node, ja_kind) {
                (Some(node), Some(kind)) => Some(JobAssignment { node, kind }),
                (None, None) => None,
                (Some(_), None) => return Err(Error::invalid(
                    "job_assignment_type (ASSIGN or COPY) is required with job_assignment_node.",
                )),
                (None, Some(_)) => {
                    return Err(Error::invalid(
                        "job_assignment_node is required with job_assignment_type.",
                    ))
                }
            };
        let autocomplete_condition = match self.autocomplete_condition {
            Some(c) => c,
            None => old.and_then(|o| o.autocomplete_condition.clone()),
        }
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
        if let Some(c) = &autocomplete_condition {
            super::expr::check(c, fields, None)
                .map_err(|e| Error::invalid(format!("autocomplete_condition: {e}")))?;
        }
        let list = |given: Option<Vec<FieldId>>, old: Option<&BTreeSet<FieldId>>| {
            given.or_else(|| old.map(|s| s.iter().copied().collect()))
        };
        let all: Vec<FieldId> = fields.iter().map(|f| f.id).collect();
        let required = list(self.required_fields, old.map(|o| &o.fields.required));
        let editable = list(self.editable_fields, old.map(|o| &o.fields.editable));
        // Only a list the client gives must be non-empty; a kept one stays as it was.
        let access = match (self.visible_fields, old) {
            (None, Some(o)) => FieldAccess::closed(
                required,
                editable,
                list(None, Some(&o.fields.visible)),
                &all,
            )?,
            (visible, _) => FieldAccess::close(required, editable, visible, &all)?,
        };
        Ok(NodeSpec {
            note,
            n_sign,
            assignee,
            job_assignment,
            allow_cc: self.allow_cc.or(old.map(|o| o.allow_cc)).unwrap_or(true),
            cc_targets: self
                .cc_targets
                .or_else(|| old.map(|o| o.cc_targets.clone()))
                .unwrap_or_default(),
            require_all_cc_response: self
                .require_all_cc_response
                .or(old.map(|o| o.require_all_cc_response))
                .unwrap_or(false),
            autocomplete_condition,
            autocomplete_deadline: self
                .autocomplete_deadline
                .or(old.map(|o| o.autocomplete_deadline))
                .unwrap_or(0),
            fields: access,
            kind: old.map(|o| o.kind.clone()).unwrap_or_default(),
        })
    }
}

/// Checks a node that replaces node `id` (`workflow_node/update`): its own spec, and every
/// node that depends on it (as job-assignment node or reference) against the new spec, so a
/// change of kind cannot leave, say, a COPY node pointing at a node that is no longer to be
/// specified. `others` holds the other nodes of the workflow.
pub fn check_replacement(
    id: NodeId,
    spec: &NodeSpec,
    others: &HashMap<NodeId, NodeSpec>,
) -> Result<()> {
    check_spec(spec, Some(id), others)?;
    let mut with_new = others.clone();
    with_new.insert(id, spec.clone());
    let mut dependents: Vec<(&NodeId, &NodeSpec)> =
        others.iter().filter(|(_, s)| s.depends_on(id)).collect();
    dependents.sort_by_key(|(n, _)| **n);
    for (n, s) in dependents {
        let mut without = with_new.clone();
        without.remove(n);
        check_spec(s, Some(*n), &without)
            .map_err(|e| Error::invalid(format!("Node {n} depends on node {id}: {e}")))?;
    }
    Ok(())
}

/// Longest `autocomplete_deadline`, in seconds (100 years): due times stay far inside the
/// range of dates.
pub const MAX_AUTOCOMPLETE_DEADLINE: i64 = 100 * 366 * 24 * 3600;

/// Checks a node's own values and its references to other nodes of the same workflow
/// (`others` holds them by id, without the node itself).
pub fn check_spec(
    spec: &NodeSpec,
    this: Option<NodeId>,
    others: &HashMap<NodeId, NodeSpec>,
) -> Result<()> {
    crate::validate::name("note", &spec.note)?;
    if spec.n_sign < 1 {
        return Err(Error::invalid("n_sign must be at least 1."));
    }
    if spec.autocomplete_deadline < 0 {
        return Err(Error::invalid("autocomplete_deadline cannot be negative."));
    }
    if spec.autocomplete_deadline > MAX_AUTOCOMPLETE_DEADLINE {
        return Err(Error::invalid(format!(
            "autocomplete_deadline is at most {MAX_AUTOCOMPLETE_DEADLINE} seconds (100 years)."
        )));
    }
    let other = |id: NodeId, what: &str| -> Result<&NodeSpec> {
        if Some(id) == this {
            return Err(Error::invalid(format!("A node cannot be its own {what}.")));
        }
        others
            .get(&id)
            .ok_or_else(|| Error::invalid(format!("{what} {id} is not a node of this workflow.")))
    };
    if let Assignee::Supervisor {
        reference_node: Some(r),
        ..
    } = spec.assignee
    {
        other(r, "reference_node")?;
    }
    match (spec.assignee, spec.job_assignment) {
        (Assignee::Specified, None) => Err(Error::invalid(
            "A to-be-specified node (as_specified) needs job_assignment_node and job_assignment_type.",
        )),
        (_, None) => Ok(()),
        (assignee, Some(ja)) => {
            let target = other(ja.node, "job_assignment_node")?;
            match (ja.kind, assignee) {
                (JobAssignmentKind::Assign, Assignee::Specified | Assignee::Department(_) | Assignee::Group(_)) => Ok(()),
                (JobAssignmentKind::Assign, _) => Err(Error::invalid(
                    "job_assignment_type ASSIGN is for to-be-specified, department and group nodes.",
                )),
                (JobAssignmentKind::Copy, Assignee::Specified) => match target.assignee {
                    Assignee::Specified => Ok(()),
                    _ => Err(Error::invalid(
                        "job_assignment_type COPY needs a job_assignment_node that is itself to be specified.",
                    )),
                },
                (JobAssignmentKind::Copy, Assignee::Group(g)) => match target.assignee {
                    Assignee::Group(t) if t == g => Ok(()),
                    _ => Err(Error::invalid(
                        "job_assignment_type COPY on a group node needs a job_assignment_node of the same group.",
                    )),
                },
                (JobAssignmentKind::Copy, _) => Err(Error::invalid(
                    "job_assignment_type COPY is for to-be-specified and group nodes.",
                )),
            }
        }
    }
}

/// A node that others refer to (as job-assignment or supervisor reference) stays.
pub fn check_can_delete(id: NodeId, others: &HashMap<NodeId, NodeSpec>) -> Result<()> {
    let mut assigns: Vec<NodeId> = others
        .iter()
        .filter(|(_, s)| s.job_assignment.is_some_and(|j| j.node == id))
        .map(|(n, _)| *n)
        .collect();
    assigns.sort();
    if !assigns.is_empty() {
        return Err(Error::conflict(format!(
            "Node {id} assigns the responsible users of node(s) {}; change those first.",
            join(&assigns)
        )));
    }
    let mut refs: Vec<NodeId> = others
        .iter()
        .filter(|(_, s)| matches!(s.assignee, Assignee::Supervisor { reference_node: Some(r), .. } if r == id))
        .map(|(n, _)| *n)
        .collect();
    refs.sort();
    if !refs.is_empty() {
        return Err(Error::conflict(format!(
            "Node {id} is the reference node of node(s) {}; change those first.",
            join(&refs)
        )));
    }
    Ok(())
}

fn join(ids: &[NodeId]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Links must keep the graph acyclic: a case flows from the roots to the leaves (a reject
/// goes back by signature, not by link).
pub fn check_link(parent: NodeId, child: NodeId, edges: &[(NodeId, NodeId)]) -> Result<()> {
    if parent == child {
        return Err(Error::invalid("A node cannot be its own child."));
    }
    // Is `parent` reachable from `child`?
    let mut children: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
    for (p, c) in edges {
        children.entry(*p).or_default().push(*c);
    }
    let mut stack = vec![child];
    let mut seen = HashSet::new();
    while let Some(n) = stack.pop() {
        if n == parent {
            return Err(Error::invalid(format!(
                "Linking node {parent} to child {child} would make a cycle."
            )));
        }
        if seen.insert(n) {
            stack.extend(children.get(&n).into_iter().flatten());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(assignee: Assignee) -> NodeSpec {
        NodeSpec {
            note: "n".into(),
            n_sign: 1,
            assignee,
            job_assignment: None,
            allow_cc: true,
            cc_targets: CcTargets::default(),
            require_all_cc_response: false,
            autocomplete_condition: None,
            autocomplete_deadline: 0,
            fields: FieldAccess::default(),
            kind: Default::default(),
        }
    }

    fn f(ids: &[i64]) -> Vec<FieldId> {
        ids.iter().copied().map(FieldId).collect()
    }

    #[test]
    fn field_access_is_closed_as_the_spec_says() {
        let all = f(&[1, 2, 3, 4]);
        let a = FieldAccess::close(Some(f(&[1])), Some(f(&[2])), Some(f(&[3])), &all).unwrap();
        assert_eq!(a.required, f(&[1]).into_iter().collect());
        assert_eq!(a.editable, f(&[1, 2]).into_iter().collect());
        assert_eq!(a.visible, f(&[1, 2, 3]).into_iter().collect());
        let d = FieldAccess::close(None, None, None, &all).unwrap();
        assert!(d.required.is_empty() && d.editable.is_empty());
        assert_eq!(d.visible.len(), 4);
        assert!(FieldAccess::close(None, None, Some(vec![]), &all).is_err());
        assert!(FieldAccess::close(Some(f(&[9])), None, None, &all).is_err());
    }

    #[test]
    fn job_assignment_rules() {
        let mut others = HashMap::new();
        others.insert(NodeId(1), spec(Assignee::Creator));
        others.insert(NodeId(2), spec(Assignee::Group(GroupId(7))));
        let mut specified = spec(Assignee::Specified);
        specified.job_assignment = Some(JobAssignment {
            node: NodeId(1),
            kind: JobAssignmentKind::Assign,
        });
        others.insert(NodeId(3), specified.clone());

        assert!(check_spec(&spec(Assignee::Specified), None, &others).is_err());
        assert!(check_spec(&specified, None, &others).is_ok());
        let mut copy = specified.clone();
        copy.job_assignment = Some(JobAssignment {
            node: NodeId(1),
            kind: JobAssignmentKind::Copy,
        });
        assert!(check_spec(&copy, None, &others).is_err());
        copy.job_assignment = Some(JobAssignment {
            node: NodeId(3),
            kind: JobAssignmentKind::Copy,
        });
        assert!(check_spec(&copy, None, &others).is_ok());

        let mut group_copy = spec(Assignee::Group(GroupId(7)));
        group_copy.job_assignment = Some(JobAssignment {
            node: NodeId(2),
            kind: JobAssignmentKind::Copy,
        });
        assert!(check_spec(&group_copy, None, &others).is_ok());
        group_copy.assignee = Assignee::Group(GroupId(8));
        assert!(check_spec(&group_copy, None, &others).is_err());

        let mut user_assign = spec(Assignee::User(UserId(1)));
        user_assign.job_assignment = Some(JobAssignment {
            node: NodeId(1),
            kind: JobAssignmentKind::Assign,
        });
        assert!(check_spec(&user_assign, None, &others).is_err());
        specified.job_assignment = Some(JobAssignment {
            node: NodeId(99),
            kind: JobAssignmentKind::Assign,
        });
        assert!(check_spec(&specified, None, &others).is_err());
        specified.job_assignment = Some(JobAssignment {
            node: NodeId(5),
            kind: JobAssignmentKind::Assign,
        });
        assert!(check_spec(&specified, Some(NodeId(5)), &others).is_err());
    }

    #[test]
    fn nodes_that_assign_others_cannot_be_deleted() {
        let mut others = HashMap::new();
        let mut s = spec(Assignee::Specified);
        s.job_assignment = Some(JobAssignment {
            node: NodeId(1),
            kind: JobAssignmentKind::Assign,
        });
        others.insert(NodeId(2), s);
        assert!(check_can_delete(NodeId(1), &others).is_err());
        assert!(check_can_delete(NodeId(2), &HashMap::new()).is_ok());
    }

    #[test]
    fn links_stay_acyclic() {
        let e = vec![(NodeId(1), NodeId(2)), (NodeId(2), NodeId(3))];
        assert!(check_link(NodeId(3), NodeId(1), &e).is_err());
        assert!(check_link(NodeId(1), NodeId(1), &e).is_err());
        assert!(check_link(NodeId(1), NodeId(3), &e).is_ok());
    }

    #[test]
    fn n_sign_and_deadline_are_checked() {
        let mut s = spec(Assignee::Creator);
        s.n_sign = 0;
        assert!(check_spec(&s, None, &HashMap::new()).is_err());
        s.n_sign = 1;
        s.autocomplete_deadline = -1;
        assert!(check_spec(&s, None, &HashMap::new()).is_err());
        s.autocomplete_deadline = MAX_AUTOCOMPLETE_DEADLINE;
        assert!(check_spec(&s, None, &HashMap::new()).is_ok());
        s.autocomplete_deadline = i64::MAX;
        assert!(check_spec(&s, None, &HashMap::new()).is_err());
    }

    fn field(id: i64, name: &str) -> Field {
        Field {
            id: FieldId(id),
            org_id: OrgId(1),
            workflow_id: WorkflowId(1),
            name: name.into(),
            data_type: crate::workflow::DataType::Int,
            formula: None,
            is_active: true,
        }
    }

    fn create(p: NodePatch) -> Result<NodeSpec> {
        p.apply(None, &[field(1, "Amount"), field(2, "Days")])
    }

    #[test]
    fn a_new_node_needs_note_n_sign_and_an_assignee() {
        let base = NodePatch {
            note: Some(" Review ".into()),
            n_sign: Some(1),
            assignee: Some(AssigneeChoice::Creator),
            ..Default::default()
        };
        let s = create(base.clone()).unwrap();
        assert_eq!(s.note, "Review");
        assert!(s.allow_cc && !s.require_all_cc_response);
        assert!(s.cc_targets.is_empty());
        assert_eq!(s.fields.visible.len(), 2);
        assert!(s.fields.editable.is_empty());
        for missing in [
            NodePatch {
                note: None,
                ..base.clone()
            },
            NodePatch {
                n_sign: None,
                ..base.clone()
            },
            NodePatch {
                assignee: None,
                ..base.clone()
            },
        ] {
            assert!(create(missing).is_err());
        }
        let rank = create(NodePatch {
            assignee: Some(AssigneeChoice::Rank(RankId(4))),
            ..base.clone()
        })
        .unwrap();
        assert_eq!(
            rank.assignee,
            Assignee::Supervisor {
                rank: RankId(4),
                reference_node: None,
                at_least_one: true
            }
        );
        assert!(create(NodePatch {
            reference_node: Some(Some(NodeId(3))),
            ..base.clone()
        })
        .is_err());
        assert!(create(NodePatch {
            autocomplete_condition: Some(Some("Nope > 1".into())),
            ..base.clone()
        })
        .is_err());
        let blank = create(NodePatch {
            autocomplete_condition: Some(Some("  ".into())),
            ..base.clone()
        })
        .unwrap();
        assert_eq!(blank.autocomplete_condition, None);
        assert!(create(NodePatch {
            job_assignment_node: Some(Some(NodeId(3))),
            ..base.clone()
        })
        .is_err());
        assert!(create(NodePatch {
            job_assignment_kind: Some(Some(JobAssignmentKind::Assign)),
            ..base
        })
        .is_err());
    }

    #[test]
    fn an_update_keeps_what_it_does_not_give() {
        let fields = [field(1, "Amount"), field(2, "Days")];
        let old = NodePatch {
            note: Some("Boss".into()),
            n_sign: Some(2),
            assignee: Some(AssigneeChoice::Rank(RankId(4))),
            reference_node: Some(Some(NodeId(7))),
            at_least_one_supervisor: Some(false),
            job_assignment_node: Some(Some(NodeId(8))),
            job_assignment_kind: Some(Some(JobAssignmentKind::Assign)),
            allow_cc: Some(false),
            required_fields: Some(f(&[1])),
            visible_fields: Some(f(&[1])),
            autocomplete_condition: Some(Some("Amount > 1".into())),
            ..Default::default()
        }
        .apply(None, &fields)
        .unwrap();
        let renamed = NodePatch {
            note: Some("Big boss".into()),
            ..Default::default()
        }
        .apply(Some(&old), &fields)
        .unwrap();
        assert_eq!(
            renamed,
            NodeSpec {
                note: "Big boss".into(),
                ..old.clone()
            }
        );
        // Clearing one half of the job assignment clears it.
        let cleared = NodePatch {
            job_assignment_node: Some(None),
            ..Default::default()
        }
        .apply(Some(&old), &fields)
        .unwrap();
        assert_eq!(cleared.job_assignment, None);
        // Another kind of assignee drops the rank's reference.
        let creator = NodePatch {
            assignee: Some(AssigneeChoice::Creator),
            job_assignment_kind: Some(None),
            ..Default::default()
        }
        .apply(Some(&old), &fields)
        .unwrap();
        assert_eq!(creator.assignee, Assignee::Creator);
        // A node of a version without fields keeps seeing nothing.
        let bare = NodePatch {
            note: Some("Bare".into()),
            n_sign: Some(1),
            assignee: Some(AssigneeChoice::Creator),
            ..Default::default()
        }
        .apply(None, &[])
        .unwrap();
        let renamed = NodePatch {
            note: Some("Still bare".into()),
            ..Default::default()
        }
        .apply(Some(&bare), &[])
        .unwrap();
        assert!(renamed.fields.visible.is_empty());
        // Field access stays closed over the merged lists.
        let visible = NodePatch {
            visible_fields: Some(f(&[2])),
            ..Default::default()
        }
        .apply(Some(&old), &fields)
        .unwrap();
        assert_eq!(visible.fields.visible, f(&[1, 2]).into_iter().collect());
    }

    #[test]
    fn copies_translate_node_and_field_references() {
        let mut s = spec(Assignee::Supervisor {
            rank: RankId(1),
            reference_node: Some(NodeId(1)),
            at_least_one: true,
        });
        s.job_assignment = Some(JobAssignment {
            node: NodeId(2),
            kind: JobAssignmentKind::Assign,
        });
        s.fields = FieldAccess::close(Some(f(&[5])), None, None, &f(&[5, 6])).unwrap();
        s.autocomplete_condition = Some("field_5 > 1".into());
        let nodes = [(NodeId(1), NodeId(11)), (NodeId(2), NodeId(12))].into();
        let fields = [(FieldId(5), FieldId(15)), (FieldId(6), FieldId(16))].into();
        let c = s.remapped(&nodes, &fields);
        assert_eq!(c.reference_node(), Some(NodeId(11)));
        assert_eq!(c.job_assignment.map(|j| j.node), Some(NodeId(12)));
        assert_eq!(c.fields.required, f(&[15]).into_iter().collect());
        assert_eq!(c.fields.visible, f(&[15, 16]).into_iter().collect());
        assert_eq!(c.autocomplete_condition.as_deref(), Some("field_15 > 1"));
        assert!(c.depends_on(NodeId(11)) && c.depends_on(NodeId(12)));
        assert!(!c.depends_on(NodeId(1)));
    }

    #[test]
    fn a_replacement_must_suit_the_nodes_that_depend_on_it() {
        let mut others = HashMap::new();
        let mut copy = spec(Assignee::Specified);
        copy.job_assignment = Some(JobAssignment {
            node: NodeId(1),
            kind: JobAssignmentKind::Copy,
        });
        others.insert(NodeId(2), copy);
        others.insert(NodeId(3), spec(Assignee::Creator));
        let mut specified = spec(Assignee::Specified);
        specified.job_assignment = Some(JobAssignment {
            node: NodeId(3),
            kind: JobAssignmentKind::Assign,
        });
        assert!(check_replacement(NodeId(1), &specified, &others).is_ok());
        let e = check_replacement(NodeId(1), &spec(Assignee::Creator), &others).unwrap_err();
        assert!(e.to_string().contains("Node 2"), "{e}");
    }
}
