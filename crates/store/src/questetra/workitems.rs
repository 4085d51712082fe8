//! Work items (Questetra's Workitem): one node of one running case that a user must sign.
//! Found through `document_participants.is_current` (indexed per user), then the node runs
//! of each case's routing state that await the user.

use super::instances::ProcessInstance;
use super::ProcessState;
use super::Viewer;
use crate::{Result, Store};
use sluice_domain::engine::{offered_nodes, Route};
use sluice_domain::{DocId, Error, FamilyId, OrgId, UserId, WorkflowId};

/// Most work items one list answers.
pub const MAX_WORKITEMS: i64 = 1000;

/// A node of a case allocated to a user.
#[derive(Debug, Clone)]
pub struct Workitem {
    pub instance: ProcessInstance,
    pub node_id: i64,
    pub node_name: String,
    /// The node's position in its version (part of the work item's id).
    pub node_index: usize,
}

impl Store {
    /// The nodes of running cases that await `user` (My Tasks), newest case first; nodes
    /// offered to several users (`engine::offered_nodes`) are not among them until accepted.
    pub async fn allocated_workitems(&self, org: OrgId, user: UserId) -> Result<Vec<Workitem>> {
        self.awaiting_workitems(org, user, false).await
    }

    /// The nodes of running cases offered to `user` (and others), newest case first.
    pub async fn offered_workitems(&self, org: OrgId, user: UserId) -> Result<Vec<Workitem>> {
        self.awaiting_workitems(org, user, true).await
    }

    async fn awaiting_workitems(
        &self,
        org: OrgId,
        user: UserId,
        offered: bool,
    ) -> Result<Vec<Workitem>> {
        let viewer = Viewer {
            user: Some(user),
            admin: false,
        };
        let ids: Vec<i64> = read!(self, |db| {
            sqlx::query_scalar(
                "SELECT d.id FROM document_participants p JOIN documents d ON d.id = p.doc_id \
                 WHERE p.user_id = $2 AND p.is_current AND d.org_id = $1 \
                 AND d.status = 'processing' ORDER BY d.id DESC LIMIT $3",
            )
            .bind(org.0)
            .bind(user.0)
            .bind(MAX_WORKITEMS)
            .fetch_all(db)
            .await?
        });
        let instances = self
            .process_instances_by_id(org, viewer, &ids, false)
            .await?;
        let mut out = Vec::new();
        for (instance, route) in instances {
            let def = self
                .definition(org, WorkflowId(instance.workflow_id.0))
                .await?;
            let route: Route = match serde_json::from_str(&route) {
                Ok(r) => r,
                Err(_) => continue,
            };
            let offers = offered_nodes(&route, &def, user);
            for (node, run) in route.current() {
                if !run.awaits(user) || offers.contains(node) != offered {
                    continue;
                }
                let Some(index) = def.nodes.iter().position(|n| n.id == *node) else {
                    continue;
                };
                out.push(Workitem {
                    instance: instance.clone(),
                    node_id: node.0,
                    node_name: def.nodes[index].spec.note.clone(),
                    node_index: index,
                });
            }
        }
        Ok(out)
    }

    /// A process manager (types 0/1, a system administrator or the client) hands the task at
    /// `node_index` of running case `doc` to `to` (`Case::reallocate`).
    pub async fn reallocate_workitem(
        &self,
        org: OrgId,
        viewer: Viewer,
        doc: DocId,
        node_index: usize,
        to: UserId,
    ) -> Result<()> {
        let pi = self.process_instance(org, viewer, doc).await?;
        let manages = self
            .process_authority_kinds(org, viewer, FamilyId(pi.family_id))
            .await?
            .iter()
            .any(|k| k.manages());
        if !manages {
            return Err(Error::Forbidden(
                "Only a process manager or app administrator may reallocate a task.".into(),
            )
            .into());
        }
        if pi.state != ProcessState::Started {
            return Err(Error::conflict(format!("Process {doc} is not running.")).into());
        }
        let def = self.definition(org, pi.workflow_id).await?;
        let Some(node) = def.nodes.get(node_index) else {
            return Err(Error::not_found("Workitem", doc).into());
        };
        let by = viewer.user.unwrap_or(UserId(pi.creator_id));
        self.reallocate_task(org, doc, by, node.id, to).await
    }
}
