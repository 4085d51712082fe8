//! Workflow definitions: versions of a named workflow, their form fields and their nodes
//! (approval steps), with the rules that hold whatever API edits them.

pub mod expr;
pub mod field;
pub mod kind;
pub mod node;
pub mod runnable;

pub use field::{DataType, Field, FieldContent, FieldPatch, FieldValue, NewField};
pub use kind::{HttpCall, MessageTrigger, NodeKind, Shape, Timer};
pub use node::{
    Assignee, AssigneeChoice, CcTargets, FieldAccess, JobAssignment, JobAssignmentKind, Node,
    NodePatch, NodeSpec,
};
pub use runnable::check_runnable;

use crate::{Error, FamilyId, OrgId, Result, WorkflowId};
use chrono::{DateTime, Utc};

/// One version of a workflow. Versions of one name form a family that shares its name and its
/// permissions; at most one version of a family is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub id: WorkflowId,
    pub org_id: OrgId,
    pub family_id: FamilyId,
    pub name: String,
    pub version: i64,
    /// Finalized: nodes and fields can no longer change.
    pub is_complete: bool,
    /// Documents can be created from it.
    pub is_active: bool,
    /// Left out of `workflow/list`.
    pub is_hidden: bool,
    pub created_at: DateTime<Utc>,
}

/// A workflow name: trimmed, 1 to 200 characters. Names are unique per organization; every
/// version of a family shares one.
pub fn name(name: &str) -> Result<String> {
    crate::validate::name("name", name)
}

/// Nodes and fields change only before a version is finalized.
pub fn check_editable(w: &Workflow) -> Result<()> {
    if w.is_complete {
        return Err(Error::conflict(format!(
            "Workflow {} is finalized; clone it to make changes.",
            w.id
        )));
    }
    Ok(())
}

/// Only a finalized version can become the active one.
pub fn check_can_activate(w: &Workflow) -> Result<()> {
    if !w.is_complete {
        return Err(Error::conflict(format!(
            "Workflow {} is not finalized; finalize it before activating it.",
            w.id
        )));
    }
    Ok(())
}

/// A version that documents were created from is kept.
pub fn check_can_delete(w: &Workflow, documents: i64) -> Result<()> {
    if documents > 0 {
        return Err(Error::conflict(format!(
            "Workflow {} has {documents} document(s) and cannot be deleted.",
            w.id
        )));
    }
    Ok(())
}

/// Documents are created from the active version only.
pub fn check_can_create_documents(w: &Workflow) -> Result<()> {
    if !w.is_active {
        return Err(Error::conflict(format!(
            "Workflow {} is not active; documents are created from the active version.",
            w.id
        )));
    }
    Ok(())
}

/// What a workflow permission grants, for one user, group or department. Permissions belong
/// to the family: every version shares them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grants {
    /// May create documents.
    pub creatable: bool,
    /// May see every document, not only those they take part in.
    pub visible: bool,
    /// May revoke completed documents.
    pub revokable: bool,
    /// May send completed documents back to processing (a reject on a completed document).
    pub revivable: bool,
}

impl Grants {
    /// Both sets of grants together.
    pub fn union(self, o: Grants) -> Grants {
        Grants {
            creatable: self.creatable || o.creatable,
            visible: self.visible || o.visible,
            revokable: self.revokable || o.revokable,
            revivable: self.revivable || o.revivable,
        }
    }
}

/// Whom a permission is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    User(crate::UserId),
    Group(crate::GroupId),
    Department(crate::DeptId),
}

/// One permission row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    pub subject: Subject,
    pub grants: Grants,
}

/// One permission per subject, each with every grant it was listed for (a user listed as
/// creatable and as visible gets one row with both). Sorted by subject.
pub fn merge_permissions(entries: impl IntoIterator<Item = (Subject, Grants)>) -> Vec<Permission> {
    let mut merged: std::collections::BTreeMap<Subject, Grants> = Default::default();
    for (subject, grants) in entries {
        let g = merged.entry(subject).or_default();
        *g = g.union(grants);
    }
    merged
        .into_iter()
        .map(|(subject, grants)| Permission { subject, grants })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GroupId, UserId};

    #[test]
    fn permissions_merge_per_subject() {
        let creatable = Grants {
            creatable: true,
            ..Default::default()
        };
        let visible = Grants {
            visible: true,
            ..Default::default()
        };
        let merged = merge_permissions([
            (Subject::User(UserId(2)), creatable),
            (Subject::Group(GroupId(1)), visible),
            (Subject::User(UserId(2)), visible),
            (Subject::User(UserId(2)), visible),
        ]);
        assert_eq!(
            merged,
            vec![
                Permission {
                    subject: Subject::User(UserId(2)),
                    grants: creatable.union(visible)
                },
                Permission {
                    subject: Subject::Group(GroupId(1)),
                    grants: visible
                },
            ]
        );
        assert!(merge_permissions([]).is_empty());
    }

    #[test]
    fn names_are_trimmed_and_required() {
        assert_eq!(name("  測試流程 ").unwrap(), "測試流程");
        assert!(name(" ").is_err());
    }
}
