//! What moves a case without a person signing: HTTP messages (message starts, receive
//! tasks), timers (deadlines, timer events, boundary timers) and service-call results.
//! Each command checks that the case is where it must be, changes nothing otherwise, and
//! bumps the version like a signature does.

use super::route::{Moves, Route, RunState};
use super::{Case, Definition, Status};
use crate::workflow::{expr, DataType, FieldContent, NodeKind, Timer};
use crate::{Error, NodeId, Result, UserId};
use chrono::{DateTime, Utc};

/// Field values a message or a service call brings, already converted to their types.
pub type Values = FieldContent;

impl Case {
    /// A new case started by an HTTP message at the message start `start`, with `values`
    /// written before it routes (conditions on the way see them).
    pub fn create_by_message(
        def: &Definition,
        creator: UserId,
        start: NodeId,
        values: &Values,
        now: DateTime<Utc>,
    ) -> Result<(Case, Moves)> {
        let is_message_start = def.node(start).is_some_and(|n| {
            matches!(n.spec.kind, NodeKind::Start { message: Some(_) })
                && def.parents(start).is_empty()
        });
        if !is_message_start {
            return Err(Error::not_found("Message start event", start));
        }
        let mut content = FieldContent::new();
        write_values(def, &mut content, values)?;
        let (route, moves) = Route::start_at(def, start, &content, now);
        Ok((Case::new(def, creator, content, route), moves))
    }

    /// A receive task gets its message: `values` are written and the case moves on.
    pub fn receive(
        &mut self,
        def: &Definition,
        node: NodeId,
        values: &Values,
        now: DateTime<Utc>,
    ) -> Result<Moves> {
        self.waiting_at(
            def,
            node,
            |k| matches!(k, NodeKind::Receive(_)),
            "receive task",
        )?;
        self.complete_with(def, node, values, now)
    }

    /// A service call answered: its results are written and the case moves on.
    pub fn service_done(
        &mut self,
        def: &Definition,
        node: NodeId,
        values: &Values,
        now: DateTime<Utc>,
    ) -> Result<Moves> {
        self.waiting_at(
            def,
            node,
            |k| matches!(k, NodeKind::Service(_)),
            "service task",
        )?;
        self.complete_with(def, node, values, now)
    }

    /// A service call failed for good: the case stays at the node, showing `error`.
    pub fn service_failed(&mut self, def: &Definition, node: NodeId, error: &str) -> Result<()> {
        self.waiting_at(
            def,
            node,
            |k| matches!(k, NodeKind::Service(_)),
            "service task",
        )?;
        if let Some(run) = self.route.nodes.get_mut(&node) {
            run.error = Some(error.chars().take(2000).collect());
        }
        self.version += 1;
        Ok(())
    }

    /// The service calls to make: current service tasks that have not failed for good.
    pub fn service_calls(&self, def: &Definition) -> Vec<NodeId> {
        if self.status != Status::Processing {
            return Vec::new();
        }
        self.route
            .current()
            .filter(|(id, r)| {
                r.error.is_none()
                    && def
                        .node(**id)
                        .is_some_and(|n| matches!(n.spec.kind, NodeKind::Service(_)))
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// When each current node moves on by itself: a task's `autocomplete_deadline` or
    /// boundary timer (the earlier), a timer event's time.
    pub fn deadlines(&self, def: &Definition) -> Vec<(NodeId, DateTime<Utc>)> {
        if self.status != Status::Processing {
            return Vec::new();
        }
        self.route
            .current()
            .filter_map(|(id, r)| Some((*id, next_due(def, *id, r.entered_at)?)))
            .collect()
    }

    /// Carries out what is due at a current node by `now`: a timer event completes; a task
    /// whose boundary timer is due is interrupted and the case goes on from the boundary
    /// event; a task past its `autocomplete_deadline` is skipped.
    pub fn expire(&mut self, def: &Definition, node: NodeId, now: DateTime<Utc>) -> Result<Moves> {
        self.check_processing()?;
        let Some(n) = def.node(node) else {
            return Err(Error::not_found("Node", node));
        };
        let Some(run) = self
            .route
            .nodes
            .get(&node)
            .filter(|r| r.state == RunState::Current)
        else {
            return Err(Error::conflict(format!("Node {node} is not current.")));
        };
        let entered = run.entered_at;
        let not_due = || Error::conflict(format!("Node {node} is not past its deadline."));
        let mut moves = Moves::default();
        match &n.spec.kind {
            NodeKind::Timer(t) if t.due(entered) <= now => {
                self.route.finish(
                    def,
                    node,
                    RunState::Complete,
                    &self.content,
                    now,
                    &mut moves,
                );
            }
            NodeKind::Task => {
                let boundary = boundaries(def, node)
                    .filter(|(_, t)| t.due(entered) <= now)
                    .min_by_key(|(_, t)| t.due(entered));
                let deadline = n.spec.autocomplete_deadline;
                if let Some((b, _)) = boundary {
                    if let Some(run) = self.route.nodes.get_mut(&node) {
                        run.taken = Some(vec![b]);
                    }
                    self.route
                        .finish(def, node, RunState::Skipped, &self.content, now, &mut moves);
                } else if deadline > 0 && entered + chrono::Duration::seconds(deadline) <= now {
                    self.route
                        .finish(def, node, RunState::Skipped, &self.content, now, &mut moves);
                } else {
                    return Err(not_due());
                }
            }
            _ => return Err(not_due()),
        }
        self.version += 1;
        Ok(moves)
    }

    /// Checks that the case is in process and waiting at `node`, of the kind `is_kind`.
    fn waiting_at(
        &self,
        def: &Definition,
        node: NodeId,
        is_kind: impl Fn(&NodeKind) -> bool,
        what: &str,
    ) -> Result<()> {
        self.check_processing()?;
        if !def.node(node).is_some_and(|n| is_kind(&n.spec.kind)) {
            return Err(Error::not_found(what, node));
        }
        let current = self
            .route
            .nodes
            .get(&node)
            .is_some_and(|r| r.state == RunState::Current);
        if !current {
            return Err(Error::conflict(format!(
                "Document {} is not waiting at {what} {node}.",
                self.id
            )));
        }
        Ok(())
    }

    fn complete_with(
        &mut self,
        def: &Definition,
        node: NodeId,
        values: &Values,
        now: DateTime<Utc>,
    ) -> Result<Moves> {
        let mut content = self.content.clone();
        write_values(def, &mut content, values)?;
        self.content = content;
        if let Some(run) = self.route.nodes.get_mut(&node) {
            run.error = None;
        }
        let mut moves = Moves::default();
        self.route.finish(
            def,
            node,
            RunState::Complete,
            &self.content,
            now,
            &mut moves,
        );
        self.version += 1;
        Ok(moves)
    }
}

/// Writes `values` into `content` (active, non-formula fields of `def`, each of its
/// field's type), then recomputes the formulas.
fn write_values(def: &Definition, content: &mut FieldContent, values: &Values) -> Result<()> {
    for (id, value) in values {
        let field = def.field(*id).filter(|f| f.is_active).ok_or_else(|| {
            Error::invalid(format!("Field {id} is not a field of this workflow."))
        })?;
        if field.data_type == DataType::Formula {
            return Err(Error::invalid(format!(
                "Field {} is a FORMULA field; its value is computed and cannot be written.",
                field.name
            )));
        }
        if !value.fits(field.data_type) {
            return Err(Error::invalid(format!(
                "Field {} is {}; the value given is not.",
                field.name,
                field.data_type.code()
            )));
        }
        content.insert(*id, value.clone());
    }
    expr::recalculate(&def.fields, content);
    Ok(())
}

/// The timer-boundary children of a task, with their timers.
fn boundaries(def: &Definition, task: NodeId) -> impl Iterator<Item = (NodeId, Timer)> + '_ {
    def.node(task)
        .into_iter()
        .flat_map(|n| n.children.iter())
        .filter_map(|c| match def.node(*c)?.spec.kind {
            NodeKind::TimerBoundary(t) => Some((*c, t)),
            _ => None,
        })
}

/// When a current node entered at `entered` next moves on by itself, if ever.
fn next_due(def: &Definition, id: NodeId, entered: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let node = def.node(id)?;
    match &node.spec.kind {
        NodeKind::Timer(t) => Some(t.due(entered)),
        NodeKind::Task => {
            let secs = node.spec.autocomplete_deadline;
            let deadline = (secs > 0).then(|| entered + chrono::Duration::seconds(secs));
            boundaries(def, id)
                .map(|(_, t)| t.due(entered))
                .chain(deadline)
                .min()
        }
        _ => None,
    }
}
