//! Offered tasks (Questetra's `listOffered` and `batchAccept`). Sluice resolves a node's
//! responsible users when it is entered; a node of a department or group that one signature
//! completes (`n_sign` 1) and that several users could sign is *offered* to each of them
//! until one accepts it. Accepting narrows the node's candidates to the accepter, who alone
//! sees it in My Tasks from then on. A process manager may also hand a current task to
//! another user (`reallocate`).

use super::{Case, Definition, NodeRun, Route, RunState};
use crate::workflow::Assignee;
use crate::{Error, NodeId, Result, UserId};

/// Whether a run of a node with `n_sign` is offered to `user`: current, unsigned, one
/// signature needed, several candidates and `user` among them.
fn offered(run: &NodeRun, n_sign: i64, user: UserId) -> bool {
    run.state == RunState::Current
        && run.signers.is_empty()
        && n_sign == 1
        && run
            .candidates
            .as_ref()
            .is_some_and(|c| c.len() > 1 && c.contains(&user))
}

/// Whether a node's responsible users are a pool (a department or group).
fn pooled(assignee: &Assignee) -> bool {
    matches!(assignee, Assignee::Department(_) | Assignee::Group(_))
}

/// The current nodes of a running case's `route` offered to `user`.
pub fn offered_nodes(route: &Route, def: &Definition, user: UserId) -> Vec<NodeId> {
    route
        .current()
        .filter(|(id, run)| {
            def.node(**id)
                .is_some_and(|n| pooled(&n.spec.assignee) && offered(run, n.spec.n_sign, user))
        })
        .map(|(id, _)| *id)
        .collect()
}

impl Case {
    /// The current nodes offered to `user`.
    pub fn offers(&self, def: &Definition, user: UserId) -> Vec<NodeId> {
        if self.status != super::Status::Processing {
            return Vec::new();
        }
        offered_nodes(&self.route, def, user)
    }

    /// `user` accepts `node`, offered to them: they become its only responsible user.
    pub fn accept_offer(&mut self, def: &Definition, user: UserId, node: NodeId) -> Result<()> {
        self.check_processing()?;
        if !self.offers(def, user).contains(&node) {
            return Err(Error::conflict(format!(
                "Node {node} is not offered to user {user} (accepted already, signed, or not theirs)."
            )));
        }
        if let Some(run) = self.route.nodes.get_mut(&node) {
            run.candidates = Some(vec![user]);
        }
        self.version += 1;
        Ok(())
    }
}

/// Whether a run can be handed to another user: current and not yet signed by anyone.
fn reallocatable(run: &NodeRun) -> bool {
    run.state == RunState::Current && run.signers.is_empty()
}

impl Case {
    /// Hands current node `node` to `to` alone (Questetra's `reallocate`), unless someone
    /// has signed it already. Supervisor nodes walk their chain and are not handed over.
    /// `to` must already be checked by the store (an active user of the organization).
    pub fn reallocate(&mut self, def: &Definition, node: NodeId, to: UserId) -> Result<()> {
        self.check_processing()?;
        if def
            .node(node)
            .is_some_and(|n| matches!(n.spec.assignee, Assignee::Supervisor { .. }))
        {
            return Err(Error::invalid(format!(
                "Node {node} follows a supervisor chain; it cannot be reallocated."
            )));
        }
        match self.route.nodes.get_mut(&node) {
            Some(run) if reallocatable(run) => run.candidates = Some(vec![to]),
            _ => {
                return Err(Error::conflict(format!(
                    "Node {node} is not a current task that nobody has signed yet."
                )))
            }
        }
        self.version += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn run(candidates: &[i64], signers: &[i64]) -> NodeRun {
        NodeRun {
            state: RunState::Current,
            candidates: Some(candidates.iter().copied().map(UserId).collect()),
            signers: signers.iter().copied().map(UserId).collect(),
            chain: Vec::new(),
            required_level: None,
            entered_at: Utc::now(),
            taken: None,
            error: None,
        }
    }

    #[test]
    fn a_pool_node_is_offered_to_each_candidate() {
        let r = run(&[1, 2, 3], &[]);
        assert!(offered(&r, 1, UserId(1)));
        assert!(offered(&r, 1, UserId(3)));
        assert!(!offered(&r, 1, UserId(4)));
    }

    #[test]
    fn a_single_candidate_or_several_signatures_is_no_offer() {
        assert!(!offered(&run(&[1], &[]), 1, UserId(1)));
        assert!(!offered(&run(&[1, 2], &[]), 2, UserId(1)));
        assert!(!offered(&run(&[1, 2], &[2]), 1, UserId(1)));
        let mut done = run(&[1, 2], &[]);
        done.state = RunState::Complete;
        assert!(!offered(&done, 1, UserId(1)));
        let unresolved = NodeRun {
            candidates: None,
            ..run(&[], &[])
        };
        assert!(!offered(&unresolved, 1, UserId(1)));
    }

    #[test]
    fn only_unsigned_current_runs_are_reallocated() {
        assert!(reallocatable(&run(&[1], &[])));
        assert!(reallocatable(&run(&[1, 2], &[])));
        assert!(!reallocatable(&run(&[1, 2], &[1])));
        let mut done = run(&[1], &[]);
        done.state = RunState::Complete;
        assert!(!reallocatable(&done));
    }

    #[test]
    fn only_pools_offer() {
        assert!(pooled(&Assignee::Department(crate::DeptId(1))));
        assert!(pooled(&Assignee::Group(crate::GroupId(1))));
        assert!(!pooled(&Assignee::Creator));
        assert!(!pooled(&Assignee::Specified));
    }
}
