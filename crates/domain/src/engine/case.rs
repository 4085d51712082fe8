//! A case (document) and the commands that move it: submit, reject, cancel, revoke, CC,
//! CC reply, agent assignment and deadline expiry. Every command checks who may do it and
//! bumps the version; the store writes the outcome, the signature and the log together.

use super::route::{Found, Lookup, Moves, Route, RunState};
use super::Definition;
use crate::workflow::{expr, DataType, FieldContent, FieldValue, JobAssignmentKind};
use crate::{CcId, DocId, Error, FieldId, NodeId, OrgId, Result, UserId, WorkflowId};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Where a document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Processing,
    Completed,
    Cancelled,
    Revoked,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Processing => "processing",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
            Status::Revoked => "revoked",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "processing" => Status::Processing,
            "completed" => Status::Completed,
            "cancelled" => Status::Cancelled,
            "revoked" => Status::Revoked,
            _ => return None,
        })
    }
}

/// The kind of a signature: a sign-off, a reject, or a CC reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    Next,
    Rej,
    Cc,
}

impl SignatureKind {
    pub fn code(self) -> &'static str {
        match self {
            SignatureKind::Next => "NEXT",
            SignatureKind::Rej => "REJ",
            SignatureKind::Cc => "CC",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "NEXT" => SignatureKind::Next,
            "REJ" => SignatureKind::Rej,
            "CC" => SignatureKind::Cc,
            _ => return None,
        })
    }
}

/// A CC as the engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcState {
    pub id: CcId,
    pub node: NodeId,
    pub from: UserId,
    pub to: UserId,
    pub reply_required: bool,
    pub is_complete: bool,
}

/// A document's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: DocId,
    pub org_id: OrgId,
    pub workflow_id: WorkflowId,
    pub creator: UserId,
    pub status: Status,
    /// OmniBPM's `latest_version`: 1 on creation, +1 on every change.
    pub version: i64,
    pub content: FieldContent,
    pub route: Route,
    pub ccs: Vec<CcState>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// What a signing command did, for its signature.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Nodes the signature counted for.
    pub fulfilled: Vec<NodeId>,
    /// Fields the signature wrote.
    pub fields: Vec<FieldId>,
    /// Nodes completed and skipped as a consequence.
    pub moves: Moves,
}

/// The field values of a submit: field id to the submitted JSON (`null` clears).
pub type Submission = BTreeMap<FieldId, Value>;

impl Case {
    /// A new case of `def` created by `creator`: the roots are entered. The store assigns
    /// the id, then resolves the roots' responsible users ([`Case::unresolved`]). The
    /// workflow must be active (`workflow::check_can_create_documents`, checked by the store
    /// on the current row: a cached definition does not follow activation).
    pub fn create(def: &Definition, creator: UserId, now: DateTime<Utc>) -> Result<(Case, Moves)> {
        if !def.roots().any(|n| n.spec.kind.message().is_none()) {
            return Err(Error::conflict(format!(
                "Workflow {} has no nodes to route a document through (a model whose only \
                 starts are message starts is started over HTTP).",
                def.workflow.id
            )));
        }
        let mut content = FieldContent::new();
        expr::recalculate(&def.fields, &mut content);
        let (route, moves) = Route::start(def, &content, now);
        Ok((Case::new(def, creator, content, route), moves))
    }

    /// A case of `def` not yet stored (id 0), at version 1, with its content and route:
    /// what document create and message starts ([`Case::create_by_message`]) share.
    pub(super) fn new(
        def: &Definition,
        creator: UserId,
        content: FieldContent,
        route: Route,
    ) -> Case {
        Case {
            id: DocId(0),
            org_id: def.workflow.org_id,
            workflow_id: def.workflow.id,
            creator,
            status: Status::Processing,
            version: 1,
            content,
            route,
            ccs: Vec::new(),
            completed_at: None,
        }
    }

    /// What the store must look up before the case can settle.
    pub fn unresolved(&mut self, def: &Definition) -> Vec<(NodeId, Lookup)> {
        self.route.unresolved(def, self.creator)
    }

    /// Records a lookup's answer (see [`Route::resolve`]).
    pub fn resolve(
        &mut self,
        def: &Definition,
        node: NodeId,
        found: Found,
        now: DateTime<Utc>,
        moves: &mut Moves,
    ) {
        self.route
            .resolve(def, node, found, &self.content, now, moves);
    }

    /// Completes the document when no node is current any more. Call after every command
    /// once nothing is unresolved.
    pub fn settle(&mut self, now: DateTime<Utc>) {
        if self.status == Status::Processing && self.route.is_finished() {
            self.status = Status::Completed;
            self.completed_at = Some(now);
        }
    }

    pub(crate) fn check_processing(&self) -> Result<()> {
        match self.status {
            Status::Processing => Ok(()),
            other => Err(Error::conflict(format!(
                "Document {} is {}; only documents in process can do this.",
                self.id,
                other.code()
            ))),
        }
    }

    /// Whether any reply-required CC sent from `node` is unanswered.
    fn open_ccs(&self, node: NodeId) -> bool {
        self.ccs
            .iter()
            .any(|c| c.node == node && c.reply_required && !c.is_complete)
    }

    /// Current nodes that `user` may sign now.
    pub fn awaiting(&self, user: UserId) -> Vec<NodeId> {
        self.route
            .current()
            .filter(|(_, r)| r.awaits(user))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Saves `values` without signing (a task form's draft): only fields the current nodes
    /// of `user` make editable, each checked against its type. Required fields may stay
    /// empty until the submit. Returns the fields written.
    pub fn save(
        &mut self,
        def: &Definition,
        user: UserId,
        values: &Submission,
    ) -> Result<Vec<FieldId>> {
        let (_, content) = self.edited(def, user, values)?;
        self.content = content;
        self.version += 1;
        Ok(values.keys().copied().collect())
    }

    /// The nodes `user` may sign now and the content with `values` written (fields those
    /// nodes make editable, checked against their types), formulas recomputed.
    fn edited(
        &self,
        def: &Definition,
        user: UserId,
        values: &Submission,
    ) -> Result<(Vec<NodeId>, FieldContent)> {
        self.check_processing()?;
        let nodes = self.awaiting(user);
        if nodes.is_empty() {
            return Err(Error::Forbidden(format!(
                "User {user} is not a responsible user of a current node of document {}.",
                self.id
            )));
        }
        let editable: BTreeSet<FieldId> = nodes
            .iter()
            .filter_map(|n| def.node(*n))
            .flat_map(|n| n.spec.fields.editable.iter().copied())
            .collect();
        let mut content = self.content.clone();
        for (id, raw) in values {
            let field = def.field(*id).filter(|f| f.is_active).ok_or_else(|| {
                Error::invalid(format!("Field {id} is not a field of this workflow."))
            })?;
            if field.data_type == DataType::Formula {
                return Err(Error::invalid(format!(
                    "Field {} is a FORMULA field; its value is computed and cannot be submitted.",
                    field.name
                )));
            }
            if !editable.contains(id) {
                return Err(Error::Forbidden(format!(
                    "Field {} is not editable at this step.",
                    field.name
                )));
            }
            if raw.is_null() {
                content.remove(id);
            } else {
                content.insert(*id, FieldValue::parse(field.data_type, &field.name, raw)?);
            }
        }
        expr::recalculate(&def.fields, &mut content);
        Ok((nodes, content))
    }

    /// `user` signs every current node they may sign, writing `values` (only fields those
    /// nodes make editable; each checked against its type). Required fields of those nodes
    /// must be filled afterwards, and the nodes this step assigns must have their agents.
    pub fn submit(
        &mut self,
        def: &Definition,
        user: UserId,
        values: &Submission,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let (nodes, content) = self.edited(def, user, values)?;
        let specs: Vec<_> = nodes.iter().filter_map(|n| def.node(*n)).collect();
        let required: BTreeSet<FieldId> = specs
            .iter()
            .flat_map(|n| n.spec.fields.required.iter().copied())
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .filter(|f| !content.get(f).is_some_and(FieldValue::is_filled))
            .filter_map(|f| {
                def.field(*f)
                    .filter(|f| f.is_active)
                    .map(|f| f.name.as_str())
            })
            .collect();
        if !missing.is_empty() {
            return Err(Error::invalid(format!(
                "Required field(s) missing: {}.",
                missing.join(", ")
            )));
        }
        let unassigned: Vec<String> =
            def.nodes
                .iter()
                .filter(|n| {
                    n.spec.job_assignment.is_some_and(|j| {
                        j.kind == JobAssignmentKind::Assign && nodes.contains(&j.node)
                    }) && self.route.agents.get(&n.id).is_none_or(Vec::is_empty)
                })
                .map(|n| format!("{} ({})", n.spec.note, n.id))
                .collect();
        if !unassigned.is_empty() {
            return Err(Error::invalid(format!(
                "Assign the responsible users of {} (document/assign_agent) before signing.",
                unassigned.join(", ")
            )));
        }

        self.content = content;
        let mut outcome = Outcome {
            fulfilled: nodes.clone(),
            fields: values.keys().copied().collect(),
            moves: Moves::default(),
        };
        for n in nodes {
            let open = self.open_ccs(n);
            self.route
                .sign(def, n, user, open, &self.content, now, &mut outcome.moves);
        }
        self.version += 1;
        Ok(outcome)
    }

    /// Sends the document back to the state just before the signature `target` (whose
    /// routing state before it is `route_before`); the store invalidates `target` and every
    /// later signature. In process, a responsible user may reject; a completed document is
    /// revived by a user with the revivable permission. The nodes sent back to become current
    /// again `now`: their `autocomplete_deadline`s count from the reject.
    pub fn reject(
        &mut self,
        user: UserId,
        target_kind: SignatureKind,
        target_invalidated: bool,
        route_before: Route,
        can_revive: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        match self.status {
            Status::Processing if self.awaiting(user).is_empty() => {
                return Err(Error::Forbidden(format!(
                    "User {user} is not a responsible user of a current node of document {}.",
                    self.id
                )))
            }
            Status::Processing => {}
            Status::Completed if can_revive => {}
            Status::Completed => {
                return Err(Error::Forbidden(format!(
                    "User {user} may not send completed documents of this workflow back (not revivable)."
                )))
            }
            _ => self.check_processing()?,
        }
        if target_kind != SignatureKind::Next || target_invalidated {
            return Err(Error::invalid(
                "signature must be a valid sign-off (type NEXT, not invalidated) of this document.",
            ));
        }
        self.route = route_before;
        for run in self.route.nodes.values_mut() {
            if run.state == RunState::Current {
                run.entered_at = now;
            }
        }
        self.status = Status::Processing;
        self.completed_at = None;
        self.version += 1;
        Ok(())
    }

    /// The creator cancels a document in process.
    pub fn cancel(&mut self, user: UserId) -> Result<()> {
        self.check_processing()?;
        if user != self.creator {
            return Err(Error::Forbidden(format!(
                "Only the creator of document {} can cancel it.",
                self.id
            )));
        }
        self.status = Status::Cancelled;
        self.version += 1;
        Ok(())
    }

    /// A user with the revokable permission revokes a completed document.
    pub fn revoke(&mut self, user: UserId, can_revoke: bool) -> Result<()> {
        if self.status != Status::Completed {
            return Err(Error::conflict(format!(
                "Document {} is {}; only completed documents can be revoked.",
                self.id,
                self.status.code()
            )));
        }
        if !can_revoke {
            return Err(Error::Forbidden(format!(
                "User {user} may not revoke documents of this workflow."
            )));
        }
        self.status = Status::Revoked;
        self.version += 1;
        Ok(())
    }

    /// Whether `user` may send CCs from `node` now: a responsible user of that current node,
    /// which allows CCs.
    pub fn may_cc_from(&self, def: &Definition, user: UserId, node: NodeId) -> bool {
        self.status == Status::Processing
            && def.node(node).is_some_and(|n| n.spec.allow_cc)
            && self.route.nodes.get(&node).is_some_and(|r| {
                r.state == RunState::Current
                    && r.candidates.as_ref().is_some_and(|c| c.contains(&user))
            })
    }

    /// `from` CCs the document to `to` from `node`; `to_allowed` says whether `to` is among
    /// the node's allowed CC targets (the store looks that up). The store assigns the id.
    pub fn cc(
        &mut self,
        def: &Definition,
        from: UserId,
        to: UserId,
        node: NodeId,
        reply_required: bool,
        to_allowed: bool,
    ) -> Result<CcState> {
        self.check_processing()?;
        let Some(n) = def.node(node) else {
            return Err(Error::invalid(format!(
                "Node {node} is not a node of this document's workflow."
            )));
        };
        if !n.spec.allow_cc {
            return Err(Error::Forbidden(format!("Node {node} does not allow CC.")));
        }
        if !self.may_cc_from(def, from, node) {
            return Err(Error::Forbidden(format!(
                "User {from} is not a responsible user of current node {node}."
            )));
        }
        if !to_allowed {
            return Err(Error::Forbidden(format!(
                "User {to} is not among the users node {node} may CC."
            )));
        }
        let cc = CcState {
            id: CcId(0),
            node,
            from,
            to,
            reply_required,
            is_complete: false,
        };
        self.version += 1;
        Ok(cc)
    }

    /// The receiver answers a CC. A node that waited for its CC replies may complete.
    pub fn reply(
        &mut self,
        def: &Definition,
        cc: CcId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Moves> {
        let Some(i) = self.ccs.iter().position(|c| c.id == cc) else {
            return Err(Error::not_found("CC", cc));
        };
        let c = &self.ccs[i];
        if c.to != user {
            return Err(Error::Forbidden(format!(
                "CC {cc} was not sent to user {user}."
            )));
        }
        if c.is_complete {
            return Err(Error::conflict(format!(
                "CC {cc} has already been answered."
            )));
        }
        let node = c.node;
        self.ccs[i].is_complete = true;
        let mut moves = Moves::default();
        if self.status == Status::Processing {
            let open = self.open_ccs(node);
            self.route
                .complete_if_ready(def, node, open, &self.content, now, &mut moves);
        }
        self.version += 1;
        Ok(moves)
    }

    /// Checks that `user` may choose the responsible users of `node` (an ASSIGN node whose
    /// job-assignment node `user` is responsible for, or has signed), and records them.
    /// `agents` must already be checked as eligible by the store (active, in the node's
    /// group or department). If the node is current, its users are looked up again.
    pub fn assign(
        &mut self,
        def: &Definition,
        user: UserId,
        node: NodeId,
        agents: Vec<UserId>,
    ) -> Result<()> {
        self.check_processing()?;
        let Some(n) = def.node(node) else {
            return Err(Error::invalid(format!(
                "Node {node} is not a node of this document's workflow."
            )));
        };
        let Some(ja) = n
            .spec
            .job_assignment
            .filter(|j| j.kind == JobAssignmentKind::Assign)
        else {
            return Err(Error::invalid(format!(
                "Node {node} does not take assigned users (its job_assignment_type is not ASSIGN)."
            )));
        };
        let allowed = self.route.nodes.get(&ja.node).is_some_and(|r| {
            r.candidates.as_ref().is_some_and(|c| c.contains(&user)) || r.signers.contains(&user)
        });
        if !allowed {
            return Err(Error::Forbidden(format!(
                "User {user} is not a responsible user of node {}, which assigns node {node}.",
                ja.node
            )));
        }
        if agents.is_empty() {
            return Err(Error::invalid("agents cannot be empty."));
        }
        if self.route.nodes.get(&node).is_some_and(|r| r.is_done()) {
            return Err(Error::conflict(format!("Node {node} is already complete.")));
        }
        let mut agents = agents;
        agents.sort();
        agents.dedup();
        self.route.agents.insert(node, agents);
        if let Some(run) = self.route.nodes.get_mut(&node) {
            if run.state == RunState::Current && run.signers.is_empty() {
                run.candidates = None;
            }
        }
        self.version += 1;
        Ok(())
    }

    /// Users who may act now: responsible users who have not signed, and receivers of
    /// unanswered reply-required CCs. Empty unless the document is in process.
    pub fn acting_users(&self) -> Vec<UserId> {
        if self.status != Status::Processing {
            return Vec::new();
        }
        let mut users = self.route.current_users();
        users.extend(
            self.ccs
                .iter()
                .filter(|c| c.reply_required && !c.is_complete)
                .map(|c| c.to),
        );
        users.sort();
        users.dedup();
        users
    }

    /// Everyone who is or was a responsible user of an entered node.
    pub fn responsible_users(&self) -> Vec<UserId> {
        let mut users: Vec<UserId> = self
            .route
            .nodes
            .values()
            .flat_map(|r| r.candidates.iter().flatten().chain(r.signers.iter()))
            .copied()
            .collect();
        users.sort();
        users.dedup();
        users
    }
}
