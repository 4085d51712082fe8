//! Task forms (Questetra's WorkitemForm): what one work item shows its user — the case's
//! active fields with what the node lets the user do with each, the units the user may act
//! as — read in one query plus the (cached) definition. Saving goes through
//! `documents` (`save_draft`, `submit_document`).

use super::Viewer;
use crate::{Result, Store};
use sluice_domain::engine::{offered_nodes, Route, RunState};
use sluice_domain::workflow::{DataType, FieldContent, FieldValue};
use sluice_domain::{DeptId, DocId, Error, FieldId, NodeId, OrgId, UserId, WorkflowId};

/// What a node lets its user do with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Hidden,
    ReadOnly,
    Editable,
}

impl Access {
    /// Questetra's accessibility code: 0 no, 1 read only, 3 read and write.
    pub fn code(self) -> i64 {
        match self {
            Access::Hidden => 0,
            Access::ReadOnly => 1,
            Access::Editable => 3,
        }
    }
}

/// One active field on a task form.
#[derive(Debug, Clone)]
pub struct FormField {
    pub id: FieldId,
    pub name: String,
    pub data_type: DataType,
    /// Position among the version's active fields.
    pub view_order: usize,
    pub access: Access,
    pub required: bool,
    /// The value (never for hidden fields).
    pub value: Option<FieldValue>,
}

/// A work item's form for the user it awaits.
#[derive(Debug, Clone)]
pub struct TaskForm {
    pub doc: DocId,
    pub family_id: i64,
    pub title: String,
    /// The case's version (OmniBPM's `latest_version`), for a submit.
    pub doc_version: i64,
    pub node_id: NodeId,
    pub node_name: String,
    pub node_index: usize,
    pub fields: Vec<FormField>,
    /// The units the user may act as (id, name), the primary unit first.
    pub units: Vec<(DeptId, String)>,
    /// The starter may rename the case.
    pub title_editable: bool,
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    family_id: i64,
    workflow_id: i64,
    title: String,
    status: String,
    version: i64,
    creator_id: i64,
    route: String,
    field_content: String,
}

impl Store {
    /// The node at `node_index` of the version of case `doc`, which the viewer sees; `None`
    /// when the version has no node there.
    pub async fn workitem_node(
        &self,
        org: OrgId,
        viewer: Viewer,
        doc: DocId,
        node_index: usize,
    ) -> Result<Option<NodeId>> {
        let found = self
            .process_instances_by_id(org, viewer, &[doc.0], false)
            .await?;
        let (pi, _) = found
            .first()
            .ok_or_else(|| Error::not_found("Process", doc))?;
        let def = self.definition(org, pi.workflow_id).await?;
        Ok(def.nodes.get(node_index).map(|n| n.id))
    }

    /// The form of the task at `node_index` of running case `doc` for `user`, who must be
    /// awaited there (and have accepted it, if it was offered). Refusals begin with
    /// "Process " (the work item is at fault).
    pub async fn task_form(
        &self,
        org: OrgId,
        user: UserId,
        doc: DocId,
        node_index: usize,
    ) -> Result<TaskForm> {
        let row: Option<CaseRow> = read!(self, |db| {
            sqlx::query_as(
                "SELECT family_id, workflow_id, title, status, version, creator_id, route, \
                 field_content FROM documents WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(doc.0)
            .fetch_optional(db)
            .await?
        });
        let row = row.ok_or_else(|| Error::not_found("Process", doc))?;
        if row.status != "processing" {
            return Err(Error::invalid(format!("Process {doc} is not running.")).into());
        }
        let def = self.definition(org, WorkflowId(row.workflow_id)).await?;
        let node = def
            .nodes
            .get(node_index)
            .ok_or_else(|| Error::invalid(format!("Process {doc} has no task at {node_index}.")))?;
        let corrupt = |what: &str| {
            crate::Error::Unexpected(anyhow::anyhow!("document {doc} has a corrupt {what}"))
        };
        let route: Route = serde_json::from_str(&row.route).map_err(|_| corrupt("route"))?;
        let awaited = route
            .nodes
            .get(&node.id)
            .is_some_and(|r| r.state == RunState::Current && r.awaits(user));
        if !awaited {
            return Err(Error::invalid(format!(
                "Process {doc}: task {} ({}) is not allocated to you now.",
                node.spec.note, node.id
            ))
            .into());
        }
        if offered_nodes(&route, &def, user).contains(&node.id) {
            return Err(Error::invalid(format!(
                "Process {doc}: task {} ({}) is offered to you; accept it first \
                 (/API/PE/Workitem/batchAccept).",
                node.spec.note, node.id
            ))
            .into());
        }
        let content: FieldContent =
            serde_json::from_str(&row.field_content).map_err(|_| corrupt("field_content"))?;
        let access = &node.spec.fields;
        let fields = def
            .active_fields()
            .enumerate()
            .map(|(i, f)| {
                let a = if access.editable.contains(&f.id) && f.data_type != DataType::Formula {
                    Access::Editable
                } else if access.visible.contains(&f.id) || access.editable.contains(&f.id) {
                    Access::ReadOnly
                } else {
                    Access::Hidden
                };
                FormField {
                    id: f.id,
                    name: f.name.clone(),
                    data_type: f.data_type,
                    view_order: i,
                    access: a,
                    required: access.required.contains(&f.id),
                    value: (a != Access::Hidden)
                        .then(|| content.get(&f.id).cloned())
                        .flatten(),
                }
            })
            .collect();
        let units = self
            .unit_memberships_of_user(org, user)
            .await?
            .into_iter()
            .map(|m| (m.unit.id, m.unit.name))
            .collect();
        Ok(TaskForm {
            doc,
            family_id: row.family_id,
            title: row.title,
            doc_version: row.version,
            node_id: node.id,
            node_name: node.spec.note.clone(),
            node_index,
            fields,
            units,
            title_editable: row.creator_id == user.0,
        })
    }
}
