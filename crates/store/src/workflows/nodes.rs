//! Nodes of a version: create, replace (`workflow_node/update`), delete, link and unlink.

use super::{
    all_users_group, check_in_org, editable_workflow, insert_node, load_fields, load_nodes,
    specs_except, workflow_in, SpecRefs,
};
use crate::{Result, Store};
use sluice_domain::workflow::{node as rules, Node, NodeKind, NodePatch};
use sluice_domain::{Error, NodeId, OrgId, WorkflowId};

/// What `workflow_node/update` did: the node was replaced by a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeReplaced {
    pub workflow: WorkflowId,
    /// The new node's id (the old one is gone).
    pub node: NodeId,
    /// Nodes whose job-assignment node it is, now pointing at the new id.
    pub job_assigned: Vec<NodeId>,
    /// Nodes whose supervisor reference node it is, now pointing at the new id.
    pub referenced: Vec<NodeId>,
}

/// The version a node of the organization belongs to, or not found.
macro_rules! node_workflow {
    ($tx:ident, $org:expr, $id:expr) => {{
        let id: NodeId = $id;
        let wf: Option<i64> = sqlx::query_scalar(
            "SELECT workflow_id FROM workflow_nodes WHERE org_id = $1 AND id = $2",
        )
        .bind($org.0)
        .bind(id.0)
        .fetch_optional(&mut *$tx)
        .await?;
        match wf {
            Some(wf) => WorkflowId(wf),
            None => return Err(Error::not_found("Node", id).into()),
        }
    }};
}

/// Fails with not found for the first id a patch names that is not the organization's.
macro_rules! check_patch_refs {
    ($tx:ident, $org:expr, $patch:expr) => {{
        let r = SpecRefs::of_patch($patch);
        check_in_org!($tx, "users", "User", $org, r.users);
        check_in_org!(
            $tx,
            "(SELECT id, org_id FROM groups WHERE kind = 'user') g",
            "Group",
            $org,
            r.groups
        );
        check_in_org!($tx, "departments", "Department", $org, r.departments);
        check_in_org!($tx, "ranks", "Rank", $org, r.ranks);
        check_in_org!($tx, "workflow_nodes", "Node", $org, r.nodes);
        check_in_org!($tx, "workflow_fields", "Field", $org, r.fields);
    }};
}

/// Links of a version as (parent, child).
macro_rules! load_links {
    ($tx:ident, $org:expr, $wf:expr) => {{
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT c.parent_id, c.child_id FROM workflow_node_children c \
             JOIN workflow_nodes n ON n.id = c.parent_id WHERE n.org_id = $1 AND n.workflow_id = $2",
        )
        .bind($org.0)
        .bind($wf.0)
        .fetch_all(&mut *$tx)
        .await?;
        rows.into_iter()
            .map(|(p, c)| (NodeId(p), NodeId(c)))
            .collect::<Vec<_>>()
    }};
}

/// Parent and child of one version, checked; returns the version.
macro_rules! link_ends {
    ($tx:ident, $org:expr, $parent:expr, $child:expr) => {{
        let wf = node_workflow!($tx, $org, $parent);
        let child_wf = node_workflow!($tx, $org, $child);
        if wf != child_wf {
            return Err(Error::invalid(format!(
                "Node {} is not a node of the same workflow as node {}.",
                $child, $parent
            ))
            .into());
        }
        editable_workflow!($tx, $org, wf);
        wf
    }};
}

impl Store {
    /// Every node of a version with its children, CC targets and field access, in id order.
    pub async fn workflow_nodes(&self, org: OrgId, workflow: WorkflowId) -> Result<Vec<Node>> {
        read!(self, |db| {
            let mut tx = crate::db::begin(db).await?;
            workflow_in!(&mut *tx, org, workflow);
            let nodes = load_nodes!(&mut *tx, org, workflow);
            tx.commit().await?;
            Ok(nodes)
        })
    }

    /// Creates a node of an editable version; returns its id.
    pub async fn create_workflow_node(
        &self,
        org: OrgId,
        workflow: WorkflowId,
        patch: NodePatch,
    ) -> Result<NodeId> {
        let id = write_tx!(self, |tx| {
            editable_workflow!(tx, org, workflow);
            check_patch_refs!(tx, org, &patch);
            let fields = load_fields!(&mut *tx, org, workflow);
            let nodes = load_nodes!(&mut *tx, org, workflow);
            let spec = patch.apply(None, &fields)?;
            rules::check_spec(&spec, None, &specs_except(&nodes, None))?;
            let all_users = all_users_group!(tx, org);
            insert_node!(tx, org, workflow, &spec, all_users, true)
        });
        Ok(id)
    }

    /// Replaces a node by a new one with the patch applied (members not given keep their
    /// value): the new node takes over the old one's links in both directions and every
    /// reference other nodes had to it, then the old node is deleted.
    pub async fn update_workflow_node(
        &self,
        org: OrgId,
        id: NodeId,
        patch: NodePatch,
    ) -> Result<NodeReplaced> {
        write_tx!(self, |tx| {
            let workflow = node_workflow!(tx, org, id);
            editable_workflow!(tx, org, workflow);
            check_patch_refs!(tx, org, &patch);
            let fields = load_fields!(&mut *tx, org, workflow);
            let nodes = load_nodes!(&mut *tx, org, workflow);
            let Some(old) = nodes.iter().find(|n| n.id == id) else {
                return Err(Error::not_found("Node", id).into());
            };
            let spec = patch.apply(Some(&old.spec), &fields)?;
            let others = specs_except(&nodes, Some(id));
            rules::check_replacement(id, &spec, &others)?;
            let all_users = all_users_group!(tx, org);
            // The BPMN element id moves to the new node: free it first (it is unique).
            if old.key.is_some() {
                sqlx::query("UPDATE workflow_nodes SET bpmn_key = NULL WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            let new = insert_node!(
                tx,
                org,
                workflow,
                &spec,
                all_users,
                true,
                old.key.as_deref(),
                old.shape.as_ref()
            );
            sqlx::query(
                "INSERT INTO workflow_node_children (parent_id, child_id, condition) \
                 SELECT $1, child_id, condition FROM workflow_node_children WHERE parent_id = $2",
            )
            .bind(new.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO workflow_node_children (parent_id, child_id, condition) \
                 SELECT parent_id, $1, condition FROM workflow_node_children WHERE child_id = $2",
            )
            .bind(new.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            let mut job_assigned: Vec<NodeId> = nodes
                .iter()
                .filter(|n| n.spec.job_assignment.is_some_and(|j| j.node == id))
                .map(|n| n.id)
                .collect();
            let mut referenced: Vec<NodeId> = nodes
                .iter()
                .filter(|n| n.spec.reference_node() == Some(id))
                .map(|n| n.id)
                .collect();
            job_assigned.sort();
            referenced.sort();
            sqlx::query(
                "UPDATE workflow_nodes SET job_assignment_node_id = $1 \
                 WHERE org_id = $2 AND job_assignment_node_id = $3",
            )
            .bind(new.0)
            .bind(org.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE workflow_nodes SET reference_node_id = $1 \
                 WHERE org_id = $2 AND reference_node_id = $3",
            )
            .bind(new.0)
            .bind(org.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            // An exclusive gateway whose default flow went to the old node now goes to the
            // new one (the links moved above; the default is kept in the gateway's behaviour).
            for gateway in nodes.iter().filter(|n| {
                matches!(n.spec.kind, NodeKind::ExclusiveGateway { default: Some(d) } if d == id)
            }) {
                let kind = NodeKind::ExclusiveGateway { default: Some(new) };
                let (_, behaviour) = super::behaviour(&kind)?;
                sqlx::query("UPDATE workflow_nodes SET behaviour = $1 WHERE id = $2")
                    .bind(behaviour)
                    .bind(gateway.id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM workflow_nodes WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            Ok(NodeReplaced {
                workflow,
                node: new,
                job_assigned,
                referenced,
            })
        })
    }

    /// Deletes a node no other node refers to, with its links; returns its version.
    pub async fn delete_workflow_node(&self, org: OrgId, id: NodeId) -> Result<WorkflowId> {
        write_tx!(self, |tx| {
            let workflow = node_workflow!(tx, org, id);
            editable_workflow!(tx, org, workflow);
            let nodes = load_nodes!(&mut *tx, org, workflow);
            rules::check_can_delete(id, &specs_except(&nodes, Some(id)))?;
            sqlx::query("DELETE FROM workflow_nodes WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            Ok(workflow)
        })
    }

    /// Links `child` under `parent` (same version; the graph stays acyclic); returns the
    /// version. Linking twice is harmless.
    pub async fn add_workflow_node_child(
        &self,
        org: OrgId,
        parent: NodeId,
        child: NodeId,
    ) -> Result<WorkflowId> {
        write_tx!(self, |tx| {
            let workflow = link_ends!(tx, org, parent, child);
            let links = load_links!(tx, org, workflow);
            rules::check_link(parent, child, &links)?;
            sqlx::query(
                "INSERT INTO workflow_node_children (parent_id, child_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(parent.0)
            .bind(child.0)
            .execute(&mut *tx)
            .await?;
            Ok(workflow)
        })
    }

    /// Removes the link from `parent` to `child`, if any; returns the version.
    pub async fn remove_workflow_node_child(
        &self,
        org: OrgId,
        parent: NodeId,
        child: NodeId,
    ) -> Result<WorkflowId> {
        write_tx!(self, |tx| {
            let workflow = link_ends!(tx, org, parent, child);
            sqlx::query(
                "DELETE FROM workflow_node_children WHERE parent_id = $1 AND child_id = $2",
            )
            .bind(parent.0)
            .bind(child.0)
            .execute(&mut *tx)
            .await?;
            Ok(workflow)
        })
    }
}
