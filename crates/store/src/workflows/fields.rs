//! Form fields of a version: create (visible to every node), activate, inactivate, update.

use super::{check_in_org, editable_workflow, load_fields, workflow_in};
use crate::{Result, Store};
use sluice_domain::workflow::{expr, Field, FieldPatch, NewField};
use sluice_domain::{Error, FieldId, NodeId, OrgId, WorkflowId};
use std::collections::HashSet;

/// `(node, condition)` of every node of the version with an autocomplete condition.
macro_rules! load_conditions {
    ($tx:ident, $org:expr, $wf:expr) => {{
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, autocomplete_condition FROM workflow_nodes \
             WHERE org_id = $1 AND workflow_id = $2 AND autocomplete_condition IS NOT NULL \
             ORDER BY id",
        )
        .bind($org.0)
        .bind($wf.0)
        .fetch_all(&mut *$tx)
        .await?;
        rows.into_iter()
            .map(|(n, c)| (NodeId(n), c))
            .collect::<Vec<_>>()
    }};
}

/// Checks that every field id names a field of the organization (404 otherwise) and of this
/// version (400 otherwise).
fn check_of_version(all: &[Field], wf: WorkflowId, ids: &[FieldId]) -> Result<()> {
    match ids.iter().find(|id| !all.iter().any(|f| f.id == **id)) {
        Some(id) => {
            Err(Error::invalid(format!("Field {id} is not a field of workflow {wf}.")).into())
        }
        None => Ok(()),
    }
}

impl Store {
    /// Every field of a version, inactive ones included, in id order.
    pub async fn workflow_fields(&self, org: OrgId, workflow: WorkflowId) -> Result<Vec<Field>> {
        read!(self, |db| {
            let mut tx = crate::db::begin(db).await?;
            workflow_in!(&mut *tx, org, workflow);
            let fields = load_fields!(&mut *tx, org, workflow);
            tx.commit().await?;
            Ok(fields)
        })
    }

    /// Creates fields (`workflow_field/create`, `batch`) in one transaction; each becomes
    /// visible to every node of the version. Formulas may name any field of the version,
    /// including the others of the batch. Returns the new fields in the order given.
    pub async fn create_workflow_fields(
        &self,
        org: OrgId,
        workflow: WorkflowId,
        new: Vec<NewField>,
    ) -> Result<Vec<Field>> {
        let new = new
            .into_iter()
            .map(NewField::checked)
            .collect::<Result<Vec<_>, _>>()?;
        let ids = write_tx!(self, |tx| {
            editable_workflow!(tx, org, workflow);
            let existing = load_fields!(&mut *tx, org, workflow);
            let mut names: HashSet<&str> = existing.iter().map(|f| f.name.as_str()).collect();
            if !new.iter().all(|f| names.insert(&f.name)) {
                return Err(Error::DuplicateName.into());
            }
            let mut ids = Vec::with_capacity(new.len());
            for f in &new {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO workflow_fields (org_id, workflow_id, name, data_type, formula, \
                     is_active) VALUES ($1, $2, $3, $4, $5, TRUE) RETURNING id",
                )
                .bind(org.0)
                .bind(workflow.0)
                .bind(&f.name)
                .bind(f.data_type.code())
                .bind(&f.formula)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO workflow_node_fields (node_id, field_id, access) \
                     SELECT id, $1, $2 FROM workflow_nodes WHERE org_id = $3 AND workflow_id = $4",
                )
                .bind(id)
                .bind(super::ACCESS_VISIBLE)
                .bind(org.0)
                .bind(workflow.0)
                .execute(&mut *tx)
                .await?;
                ids.push(FieldId(id));
            }
            let all = load_fields!(&mut *tx, org, workflow);
            for (f, id) in new.iter().zip(&ids) {
                if let Some(formula) = &f.formula {
                    expr::check(formula, &all, Some(*id))?;
                }
            }
            ids
        });
        let all = self.workflow_fields(org, workflow).await?;
        let mut out: Vec<Field> = all.into_iter().filter(|f| ids.contains(&f.id)).collect();
        out.sort_by_key(|f| ids.iter().position(|i| *i == f.id));
        Ok(out)
    }

    /// Activates or inactivates fields of a version. Refused when a formula or an
    /// autocomplete condition would name an inactive field.
    pub async fn set_workflow_fields_active(
        &self,
        org: OrgId,
        workflow: WorkflowId,
        fields: &[FieldId],
        active: bool,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            editable_workflow!(tx, org, workflow);
            check_in_org!(
                tx,
                "workflow_fields",
                "Field",
                org,
                fields.iter().map(|f| f.0)
            );
            let mut all = load_fields!(&mut *tx, org, workflow);
            check_of_version(&all, workflow, fields)?;
            for f in all.iter_mut().filter(|f| fields.contains(&f.id)) {
                f.is_active = active;
            }
            let conditions = load_conditions!(tx, org, workflow);
            let conditions: Vec<(NodeId, &str)> =
                conditions.iter().map(|(n, c)| (*n, c.as_str())).collect();
            expr::check_definition(&all, &conditions)?;
            for f in fields {
                sqlx::query("UPDATE workflow_fields SET is_active = $1 WHERE id = $2")
                    .bind(active)
                    .bind(f.0)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        Ok(())
    }

    /// Renames a field or changes its formula (`workflow_field/update`); with
    /// `visible_nodes`, exactly those nodes of the version see it afterwards (the others lose
    /// every access to it, as a field they cannot see they cannot edit either).
    pub async fn update_workflow_field(
        &self,
        org: OrgId,
        workflow: WorkflowId,
        id: FieldId,
        patch: FieldPatch,
        visible_nodes: Option<Vec<NodeId>>,
    ) -> Result<Field> {
        write_tx!(self, |tx| {
            editable_workflow!(tx, org, workflow);
            check_in_org!(tx, "workflow_fields", "Field", org, [id.0]);
            let mut all = load_fields!(&mut *tx, org, workflow);
            check_of_version(&all, workflow, &[id])?;
            let Some(slot) = all.iter_mut().find(|f| f.id == id) else {
                return Err(Error::not_found("Field", id).into());
            };
            let updated = patch.apply(slot)?;
            *slot = updated.clone();
            if all.iter().any(|f| f.id != id && f.name == updated.name) {
                return Err(Error::DuplicateName.into());
            }
            if let Some(formula) = &updated.formula {
                expr::check(formula, &all, Some(id))?;
            }
            let conditions = load_conditions!(tx, org, workflow);
            let conditions: Vec<(NodeId, &str)> =
                conditions.iter().map(|(n, c)| (*n, c.as_str())).collect();
            expr::check_definition(&all, &conditions)?;
            sqlx::query("UPDATE workflow_fields SET name = $1, formula = $2 WHERE id = $3")
                .bind(&updated.name)
                .bind(&updated.formula)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            if let Some(visible) = &visible_nodes {
                check_in_org!(
                    tx,
                    "workflow_nodes",
                    "Node",
                    org,
                    visible.iter().map(|n| n.0)
                );
                let nodes: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM workflow_nodes WHERE org_id = $1 AND workflow_id = $2",
                )
                .bind(org.0)
                .bind(workflow.0)
                .fetch_all(&mut *tx)
                .await?;
                if let Some(n) = visible.iter().find(|n| !nodes.contains(&n.0)) {
                    return Err(Error::invalid(format!(
                        "visible_nodes: node {n} is not a node of workflow {workflow}."
                    ))
                    .into());
                }
                for node in nodes {
                    if visible.contains(&NodeId(node)) {
                        sqlx::query(
                            "INSERT INTO workflow_node_fields (node_id, field_id, access) \
                             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        )
                        .bind(node)
                        .bind(id.0)
                        .bind(super::ACCESS_VISIBLE)
                        .execute(&mut *tx)
                        .await?;
                    } else {
                        sqlx::query(
                            "DELETE FROM workflow_node_fields WHERE node_id = $1 AND field_id = $2",
                        )
                        .bind(node)
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            Ok(updated)
        })
    }
}
