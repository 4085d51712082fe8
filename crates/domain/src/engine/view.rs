//! What one user may see and do on a document: the flags `document/get` shows and the
//! field visibility it applies.

use super::{Case, Definition, Status};
use crate::workflow::Grants;
use crate::{FieldId, NodeId, UserId};
use std::collections::BTreeSet;

/// One user's view of a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Abilities {
    pub is_submittable: bool,
    pub is_rejectable: bool,
    pub is_cancellable: bool,
    pub is_revokable: bool,
    pub is_revivable: bool,
    pub allow_cc_for_user: bool,
    /// An unanswered CC was sent to the user.
    pub is_cc_responsible: bool,
    /// A CC the user sent has been answered.
    pub is_cc_reply_readable: bool,
    /// Fields the user sees.
    pub visible: BTreeSet<FieldId>,
    /// Fields the user must fill when signing now.
    pub required: BTreeSet<FieldId>,
    /// Fields the user may write when signing now.
    pub editable: BTreeSet<FieldId>,
    /// Current nodes the user may sign now.
    pub responsible_nodes: Vec<NodeId>,
}

impl Abilities {
    /// The view of `user`, who holds `grants` on the workflow.
    pub fn of(def: &Definition, case: &Case, user: UserId, grants: Grants) -> Abilities {
        let processing = case.status == Status::Processing;
        let responsible = if processing {
            case.awaiting(user)
        } else {
            Vec::new()
        };
        let nodes: Vec<_> = responsible.iter().filter_map(|n| def.node(*n)).collect();
        let required: BTreeSet<FieldId> = nodes
            .iter()
            .flat_map(|n| n.spec.fields.required.iter().copied())
            .collect();
        let editable: BTreeSet<FieldId> = nodes
            .iter()
            .flat_map(|n| n.spec.fields.editable.iter().copied())
            .collect();
        // A user sees what the nodes they take part in show, a CC receiver what the node the
        // CC came from shows; someone with no part in any node (the creator, a viewer with
        // permission) sees every active field.
        let involved: Vec<_> = case
            .route
            .nodes
            .iter()
            .filter(|(_, r)| {
                r.candidates.as_ref().is_some_and(|c| c.contains(&user))
                    || r.signers.contains(&user)
            })
            .map(|(id, _)| *id)
            .chain(case.ccs.iter().filter(|c| c.to == user).map(|c| c.node))
            .filter_map(|id| def.node(id))
            .collect();
        let active: BTreeSet<FieldId> = def.active_fields().map(|f| f.id).collect();
        let visible: BTreeSet<FieldId> = if involved.is_empty() {
            active.clone()
        } else {
            involved
                .iter()
                .flat_map(|n| n.spec.fields.visible.iter().copied())
                .filter(|f| active.contains(f))
                .collect()
        };
        let allow_cc_for_user = processing
            && case
                .route
                .current()
                .any(|(id, _)| case.may_cc_from(def, user, *id));
        Abilities {
            is_submittable: !responsible.is_empty(),
            is_rejectable: !responsible.is_empty()
                || (case.status == Status::Completed && grants.revivable),
            is_cancellable: processing && user == case.creator,
            is_revokable: case.status == Status::Completed && grants.revokable,
            is_revivable: case.status == Status::Completed && grants.revivable,
            allow_cc_for_user,
            is_cc_responsible: case.ccs.iter().any(|c| c.to == user && !c.is_complete),
            is_cc_reply_readable: case.ccs.iter().any(|c| c.from == user && c.is_complete),
            visible,
            required,
            editable,
            responsible_nodes: responsible,
        }
    }
}
