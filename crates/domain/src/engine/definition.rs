//! A workflow version as the engine walks it: nodes indexed, with their parents.

use crate::workflow::{Field, Node, NodeKind, Workflow};
use crate::{FieldId, NodeId};
use std::collections::HashMap;

/// A finalized workflow version, immutable once built (the store caches it).
#[derive(Debug, Clone)]
pub struct Definition {
    pub workflow: Workflow,
    pub fields: Vec<Field>,
    pub nodes: Vec<Node>,
    index: HashMap<NodeId, usize>,
    parents: HashMap<NodeId, Vec<NodeId>>,
}

impl Definition {
    pub fn new(workflow: Workflow, fields: Vec<Field>, nodes: Vec<Node>) -> Self {
        let index = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
        let mut parents: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
        for n in &nodes {
            for c in &n.children {
                parents.entry(*c).or_default().push(n.id);
            }
        }
        Definition {
            workflow,
            fields,
            nodes,
            index,
            parents,
        }
    }

    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.index.get(&id).map(|i| &self.nodes[*i])
    }

    /// Nodes without parents: where a case starts.
    pub fn roots(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|n| self.parents.get(&n.id).is_none_or(Vec::is_empty))
    }

    pub fn parents(&self, id: NodeId) -> &[NodeId] {
        self.parents.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether cases of this version can have something due at a time (autocomplete
    /// deadlines, timer events, boundary timers): the store keeps their deadline rows.
    pub fn has_deadlines(&self) -> bool {
        self.nodes.iter().any(|n| {
            n.spec.autocomplete_deadline > 0
                || matches!(n.spec.kind, NodeKind::Timer(_) | NodeKind::TimerBoundary(_))
        })
    }

    /// Whether this version has service tasks: the store keeps their call rows.
    pub fn has_service_tasks(&self) -> bool {
        self.nodes
            .iter()
            .any(|n| matches!(n.spec.kind, NodeKind::Service(_)))
    }

    pub fn field(&self, id: FieldId) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The active fields (inactive ones are neither shown nor filled).
    pub fn active_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.is_active)
    }
}
