//! Workflow nodes: who signs a step, how many signatures complete it, whom its signers may CC,
//! which fields they see, edit and must fill, and when it skips itself.

use crate::{DeptId, Error, FieldId, GroupId, NodeId, OrgId, RankId, Result, UserId, WorkflowId};
use std::collections::{BTreeSet, HashMap, HashSet};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: NodeId,
    pub org_id: OrgId,
    pub workflow_id: WorkflowId,
    pub spec: NodeSpec,
    pub children: Vec<NodeId>,
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
}

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
    }
}
