//! Routing state: which nodes a case has entered, who may sign them, who has.

use super::Definition;
use crate::workflow::{expr, Assignee, FieldContent, JobAssignmentKind, Node, NodeKind};
use crate::{NodeId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a node stands in one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Entered; its responsible users are known (or awaited, see [`NodeRun::candidates`]).
    Current,
    /// Signed by enough responsible users.
    Complete,
    /// Skipped: its condition held, its deadline passed, or nobody is above the reference
    /// user. Counts as complete.
    Skipped,
    /// Not on the case's path: an exclusive gateway chose another branch, or a task
    /// completed without its boundary timer firing. Never current; a join does not wait
    /// for it.
    Dead,
}

/// A supervisor in the chain of a supervisor node: a department head and their rank level
/// (smaller is higher; `None` without a rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    pub user: UserId,
    pub level: Option<i64>,
}

/// One entered node of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRun {
    pub state: RunState,
    /// Who may sign now; `None` until the store has looked them up.
    pub candidates: Option<Vec<UserId>>,
    /// Who has signed it, in order.
    #[serde(default)]
    pub signers: Vec<UserId>,
    /// Supervisor nodes: the supervisors still above the last signer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<ChainLink>,
    /// Supervisor nodes: the rank level that completes the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_level: Option<i64>,
    pub entered_at: DateTime<Utc>,
    /// The children the case went on to when the node finished (`None`: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken: Option<Vec<NodeId>>,
    /// Why the node cannot go on by itself (a service call that failed for good, an
    /// exclusive gateway with no flow to take); shown to clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl NodeRun {
    fn new(state: RunState, now: DateTime<Utc>) -> NodeRun {
        NodeRun {
            state,
            candidates: None,
            signers: Vec::new(),
            chain: Vec::new(),
            required_level: None,
            entered_at: now,
            taken: None,
            error: None,
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self.state, RunState::Complete | RunState::Skipped)
    }

    /// Whether `user` may sign this node now.
    pub fn awaits(&self, user: UserId) -> bool {
        self.state == RunState::Current
            && self.candidates.as_ref().is_some_and(|c| c.contains(&user))
            && !self.signers.contains(&user)
    }
}

/// A case's routing state, stored with the document (and, before each signature, with the
/// signature, so that a reject can restore it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub nodes: BTreeMap<NodeId, NodeRun>,
    /// Responsible users chosen with `document/assign_agent`, by node.
    #[serde(default)]
    pub agents: BTreeMap<NodeId, Vec<UserId>>,
}

/// What the engine needs looked up in the directory to know a node's responsible users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Which of these users are active.
    Users(Vec<UserId>),
    /// The active users of a department.
    Department(crate::DeptId),
    /// The active members of a group.
    Group(crate::GroupId),
    /// A user's rank level, the level of `rank`, and the heads of the departments above
    /// the user, nearest first.
    Supervisors { of: UserId, rank: crate::RankId },
}

/// The store's answer to a [`Lookup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Users(Vec<UserId>),
    Supervisors {
        /// The reference user's rank level.
        level: Option<i64>,
        /// The level of the rank the node requires.
        required: Option<i64>,
        /// Department heads above the reference user, nearest first, without the user.
        chain: Vec<ChainLink>,
    },
}

/// What one routing step did, for the signature and the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moves {
    /// Nodes completed by signatures (or CC replies) in this step.
    pub completed: Vec<NodeId>,
    /// Nodes skipped in this step.
    pub skipped: Vec<NodeId>,
}

impl Route {
    pub fn current(&self) -> impl Iterator<Item = (&NodeId, &NodeRun)> {
        self.nodes
            .iter()
            .filter(|(_, r)| r.state == RunState::Current)
    }

    /// Users who may sign some current node now.
    pub fn current_users(&self) -> Vec<UserId> {
        let mut users: Vec<UserId> = self
            .current()
            .flat_map(|(_, r)| r.candidates.iter().flatten())
            .filter(|u| self.current().any(|(_, r)| r.awaits(**u)))
            .copied()
            .collect();
        users.sort();
        users.dedup();
        users
    }

    /// Enters the starts of a new case made by `document/create`: every root that is not a
    /// message start (those are triggered over HTTP only, and are off this case's path).
    pub fn start(def: &Definition, content: &FieldContent, now: DateTime<Utc>) -> (Route, Moves) {
        let roots: Vec<(NodeId, bool)> = def
            .roots()
            .map(|n| (n.id, n.spec.kind.message().is_none()))
            .collect();
        Self::start_with(def, roots, content, now)
    }

    /// Enters the message start `at` of a new case; every other root is off its path.
    pub fn start_at(
        def: &Definition,
        at: NodeId,
        content: &FieldContent,
        now: DateTime<Utc>,
    ) -> (Route, Moves) {
        let roots: Vec<(NodeId, bool)> = def.roots().map(|n| (n.id, n.id == at)).collect();
        Self::start_with(def, roots, content, now)
    }

    fn start_with(
        def: &Definition,
        roots: Vec<(NodeId, bool)>,
        content: &FieldContent,
        now: DateTime<Utc>,
    ) -> (Route, Moves) {
        let mut route = Route::default();
        let mut moves = Moves::default();
        // Off-path roots first, so that a join below both kinds does not wait for them.
        for (id, _) in roots.iter().filter(|(_, on)| !on) {
            route.nodes.insert(*id, NodeRun::new(RunState::Dead, now));
        }
        for (id, _) in roots.iter().filter(|(_, on)| !on) {
            route.finish(def, *id, RunState::Dead, content, now, &mut moves);
        }
        for (id, _) in roots.iter().filter(|(_, on)| *on) {
            if !route.nodes.contains_key(id) {
                if let Some(state) = route.enter(def, *id, content, now) {
                    route.finish(def, *id, state, content, now, &mut moves);
                }
            }
        }
        (route, moves)
    }

    /// Enters a node; returns how it finishes at once, if it does. A task is skipped at
    /// once when its condition holds, otherwise current with its responsible users still to
    /// be looked up. Events and gateways pass the case on at once; receive tasks, timers and
    /// service tasks wait (nobody signs them).
    fn enter(
        &mut self,
        def: &Definition,
        id: NodeId,
        content: &FieldContent,
        now: DateTime<Utc>,
    ) -> Option<RunState> {
        let node = def.node(id)?;
        let mut run = NodeRun::new(RunState::Current, now);
        if !node.spec.kind.is_task() {
            run.candidates = Some(Vec::new());
        }
        let finished = match &node.spec.kind {
            NodeKind::Task => node
                .spec
                .autocomplete_condition
                .as_deref()
                .is_some_and(|c| expr::condition_holds(c, &def.fields, content))
                .then_some(RunState::Skipped),
            NodeKind::Start { .. }
            | NodeKind::End
            | NodeKind::ParallelGateway
            | NodeKind::TimerBoundary(_) => Some(RunState::Complete),
            NodeKind::ExclusiveGateway { default } => {
                // A flow without a condition (other than the default) always holds, as
                // the only flow out of a merging gateway does.
                let chosen = node
                    .children
                    .iter()
                    .filter(|c| Some(**c) != *default)
                    .find(|c| match node.conditions.get(c) {
                        Some(cond) => expr::condition_holds(cond, &def.fields, content),
                        None => true,
                    })
                    .copied()
                    .or(*default);
                match chosen {
                    Some(child) => {
                        run.taken = Some(vec![child]);
                        Some(RunState::Complete)
                    }
                    None => {
                        run.error = Some(format!(
                            "No outgoing flow of gateway {id} has a condition that holds, and it \
                             has no default flow."
                        ));
                        None
                    }
                }
            }
            NodeKind::Receive(_) | NodeKind::Timer(_) | NodeKind::Service(_) => None,
        };
        self.nodes.insert(id, run);
        finished
    }

    /// Marks a node complete, skipped or off the path, then moves on: a child whose parents
    /// are all done (or off the path) is entered when the case reaches it along some flow,
    /// and is off the path itself otherwise (dead-path elimination, so that a join after an
    /// exclusive choice does not wait for the branch not taken). Iterative, with a work
    /// list: a model's chain of pass-through nodes can be thousands long.
    pub(crate) fn finish(
        &mut self,
        def: &Definition,
        id: NodeId,
        state: RunState,
        content: &FieldContent,
        now: DateTime<Utc>,
        moves: &mut Moves,
    ) {
        let mut work = std::collections::VecDeque::from([(id, state)]);
        while let Some((id, state)) = work.pop_front() {
            let Some(node) = def.node(id) else { continue };
            self.mark(def, node, state, moves);
            for child in &node.children {
                if self.nodes.contains_key(child) {
                    continue;
                }
                let parents = def.parents(*child);
                let settled = |p: &NodeId| {
                    self.nodes
                        .get(p)
                        .is_some_and(|r| r.is_done() || r.state == RunState::Dead)
                };
                // A parent still to come: the child waits for it.
                if !parents.iter().all(settled) {
                    continue;
                }
                let reached = parents.iter().any(|p| {
                    self.nodes.get(p).is_some_and(|r| {
                        r.is_done() && r.taken.as_ref().is_none_or(|t| t.contains(child))
                    })
                });
                if reached {
                    if let Some(state) = self.enter(def, *child, content, now) {
                        work.push_back((*child, state));
                    }
                } else {
                    self.nodes.insert(*child, NodeRun::new(RunState::Dead, now));
                    work.push_back((*child, RunState::Dead));
                }
            }
        }
    }

    /// Records how a node finished; a task that ends normally leaves its boundary timers
    /// behind.
    fn mark(&mut self, def: &Definition, node: &Node, state: RunState, moves: &mut Moves) {
        let Some(run) = self.nodes.get_mut(&node.id) else {
            return;
        };
        run.state = state;
        match state {
            RunState::Skipped => moves.skipped.push(node.id),
            RunState::Dead | RunState::Current => {}
            RunState::Complete => moves.completed.push(node.id),
        }
        if state != RunState::Dead && run.taken.is_none() {
            let boundary = |c: &NodeId| {
                def.node(*c)
                    .is_some_and(|n| matches!(n.spec.kind, NodeKind::TimerBoundary(_)))
            };
            if node.children.iter().any(boundary) {
                run.taken = Some(
                    node.children
                        .iter()
                        .filter(|c| !boundary(c))
                        .copied()
                        .collect(),
                );
            }
        }
    }

    /// Current nodes whose responsible users are not known yet, with what to look up. Nodes
    /// whose users follow from the case alone (COPY) are resolved here and not returned.
    pub fn unresolved(&mut self, def: &Definition, creator: UserId) -> Vec<(NodeId, Lookup)> {
        let pending: Vec<NodeId> = self
            .current()
            .filter(|(_, r)| r.candidates.is_none())
            .map(|(id, _)| *id)
            .collect();
        let mut out = Vec::new();
        for id in pending {
            let Some(node) = def.node(id) else { continue };
            let spec = &node.spec;
            let lookup = match spec.job_assignment {
                Some(ja) if ja.kind == JobAssignmentKind::Copy => {
                    // Same users as the job-assignment node: its signers, else its candidates.
                    let users = self.nodes.get(&ja.node).map(|r| {
                        if r.signers.is_empty() {
                            r.candidates.clone().unwrap_or_default()
                        } else {
                            r.signers.clone()
                        }
                    });
                    let users = users
                        .filter(|u| !u.is_empty())
                        .or_else(|| self.agents.get(&ja.node).cloned())
                        .unwrap_or_default();
                    Lookup::Users(users)
                }
                Some(_) => Lookup::Users(self.agents.get(&id).cloned().unwrap_or_default()),
                None => match spec.assignee {
                    Assignee::User(u) => Lookup::Users(vec![u]),
                    Assignee::Creator => Lookup::Users(vec![creator]),
                    Assignee::Department(d) => Lookup::Department(d),
                    Assignee::Group(g) => Lookup::Group(g),
                    Assignee::Specified => {
                        Lookup::Users(self.agents.get(&id).cloned().unwrap_or_default())
                    }
                    Assignee::Supervisor {
                        reference_node,
                        rank,
                        ..
                    } => {
                        let of = reference_node
                            .and_then(|r| self.nodes.get(&r))
                            .and_then(|r| r.signers.last().copied())
                            .unwrap_or(creator);
                        Lookup::Supervisors { of, rank }
                    }
                },
            };
            out.push((id, lookup));
        }
        out
    }

    /// Records a node's responsible users. A supervisor node with nobody above the
    /// reference user, or whose reference user already holds the rank when no supervisor
    /// must sign, is skipped.
    pub fn resolve(
        &mut self,
        def: &Definition,
        id: NodeId,
        found: Found,
        content: &FieldContent,
        now: DateTime<Utc>,
        moves: &mut Moves,
    ) {
        let Some(node) = def.node(id) else { return };
        let Some(run) = self.nodes.get_mut(&id) else {
            return;
        };
        match found {
            Found::Users(mut users) => {
                users.sort();
                users.dedup();
                run.candidates = Some(users);
            }
            Found::Supervisors {
                level,
                required,
                chain,
            } => {
                let at_least_one = match node.spec.assignee {
                    Assignee::Supervisor { at_least_one, .. } => at_least_one,
                    _ => true,
                };
                run.required_level = required;
                let already = matches!((level, required), (Some(l), Some(r)) if l <= r);
                if chain.is_empty() || (already && !at_least_one) {
                    run.candidates = Some(Vec::new());
                    self.finish(def, id, RunState::Skipped, content, now, moves);
                    return;
                }
                run.candidates = Some(vec![chain[0].user]);
                // A reference user who already holds the rank needs one supervisor's
                // signature, whatever that supervisor's rank: the chain ends with them.
                run.chain = if already { chain[..1].to_vec() } else { chain };
            }
        }
    }

    /// Records `user`'s signature on a current node they may sign; completes the node when
    /// enough have signed (and, if it waits for them, every reply-required CC from it is
    /// answered). Returns whether the node completed.
    #[allow(clippy::too_many_arguments)] // the routing context, passed as the other steps take it
    pub(crate) fn sign(
        &mut self,
        def: &Definition,
        id: NodeId,
        user: UserId,
        open_ccs: bool,
        content: &FieldContent,
        now: DateTime<Utc>,
        moves: &mut Moves,
    ) {
        let Some(node) = def.node(id) else { return };
        let Some(run) = self.nodes.get_mut(&id) else {
            return;
        };
        run.signers.push(user);
        if let Assignee::Supervisor { .. } = node.spec.assignee {
            // Walk up the chain until a supervisor of the required rank has signed.
            let signed = run.chain.iter().position(|l| l.user == user);
            let link = signed.map(|i| run.chain[i]);
            let required = run.required_level;
            let high_enough =
                matches!((link.and_then(|l| l.level), required), (Some(l), Some(r)) if l <= r);
            let rest: Vec<ChainLink> = signed
                .map(|i| run.chain[i + 1..].to_vec())
                .unwrap_or_default();
            if high_enough || rest.is_empty() {
                run.chain.clear();
                self.complete_if_ready(def, id, open_ccs, content, now, moves);
            } else {
                run.candidates = Some(vec![rest[0].user]);
                run.chain = rest;
            }
            return;
        }
        self.complete_if_ready(def, id, open_ccs, content, now, moves);
    }

    /// Completes a current node whose signatures are in and that waits for no CC reply.
    pub(crate) fn complete_if_ready(
        &mut self,
        def: &Definition,
        id: NodeId,
        open_ccs: bool,
        content: &FieldContent,
        now: DateTime<Utc>,
        moves: &mut Moves,
    ) {
        let Some(node) = def.node(id) else { return };
        let Some(run) = self.nodes.get(&id) else {
            return;
        };
        if run.state != RunState::Current {
            return;
        }
        let enough = match node.spec.assignee {
            Assignee::Supervisor { .. } => run.chain.is_empty() && !run.signers.is_empty(),
            _ => {
                let available = run.candidates.as_ref().map_or(0, Vec::len) as i64;
                let needed = node.spec.n_sign.min(available.max(1));
                run.signers.len() as i64 >= needed
            }
        };
        let waits = node.spec.require_all_cc_response && open_ccs;
        if enough && !waits {
            self.finish(def, id, RunState::Complete, content, now, moves);
        }
    }

    /// Whether nothing is current any more.
    pub fn is_finished(&self) -> bool {
        self.current().next().is_none()
    }
}
