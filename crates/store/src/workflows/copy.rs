//! Copying a definition into a version: `workflow/clone`, `workflow/save_as` (from another
//! version) and BPMN import (from a parsed model with provisional ids).

/// Copies the fields and nodes of version `$from` into version `$to`: new ids throughout,
/// with children links, flow conditions, CC targets, field access, job-assignment and
/// reference nodes, BPMN keys and shapes, and `field_<id>` names in formulas and conditions
/// translated to the copies.
macro_rules! copy_definition {
    ($tx:ident, $org:expr, $from:expr, $to:expr) => {{
        let (from, to) = ($from, $to);
        // Edits of the source lock its row (see `editable_workflow!`): wait for them, so the
        // loads below see one state of it.
        sqlx::query("UPDATE workflows SET is_complete = is_complete WHERE id = $1")
            .bind(from.0)
            .execute(&mut *$tx)
            .await?;
        let fields = $crate::workflows::load_fields!(&mut *$tx, $org, from);
        let nodes = $crate::workflows::load_nodes!(&mut *$tx, $org, from);
        $crate::workflows::copy::insert_definition!($tx, $org, to, &fields, &nodes);
    }};
}
pub(crate) use copy_definition;

/// Inserts `$fields` and `$nodes` into version `$to` under new ids, translating every
/// reference between them (links, conditions, kinds, formulas, field access, job-assignment
/// and reference nodes); references to ids outside the two lists are kept as they are, and
/// links to nodes outside `$nodes` dropped. Evaluates to the (field, node) id maps.
macro_rules! insert_definition {
    ($tx:ident, $org:expr, $to:expr, $fields:expr, $nodes:expr) => {{
        use sluice_domain::workflow::expr::remap_field_ids;
        use sluice_domain::{FieldId, NodeId};
        use std::collections::HashMap;
        let to: sluice_domain::WorkflowId = $to;
        let fields: &[sluice_domain::workflow::Field] = $fields;
        let nodes: &[sluice_domain::workflow::Node] = $nodes;
        let mut field_map: HashMap<FieldId, FieldId> = HashMap::with_capacity(fields.len());
        for f in fields {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO workflow_fields (org_id, workflow_id, name, data_type, formula, \
                 is_active) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind($org.0)
            .bind(to.0)
            .bind(&f.name)
            .bind(f.data_type.code())
            .bind(&f.formula)
            .bind(f.is_active)
            .fetch_one(&mut *$tx)
            .await?;
            field_map.insert(f.id, FieldId(id));
        }
        for f in fields {
            let Some(formula) = &f.formula else { continue };
            let remapped = remap_field_ids(formula, &field_map);
            if &remapped != formula {
                sqlx::query("UPDATE workflow_fields SET formula = $1 WHERE id = $2")
                    .bind(&remapped)
                    .bind(field_map[&f.id].0)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        let all_users = $crate::workflows::all_users_group!($tx, $org);
        // Nodes refer to each other: insert them all, then link them.
        let no_nodes = HashMap::new();
        let mut node_map: HashMap<NodeId, NodeId> = HashMap::with_capacity(nodes.len());
        for n in nodes {
            let spec = n.spec.remapped(&no_nodes, &field_map);
            let id = $crate::workflows::insert_node!(
                $tx,
                $org,
                to,
                &spec,
                all_users,
                false,
                n.key.as_deref(),
                n.shape.as_ref()
            );
            node_map.insert(n.id, id);
        }
        for n in nodes {
            let new = node_map[&n.id];
            // Links stay inside one version; a child outside it would not be copied.
            for child in &n.children {
                let Some(copy) = node_map.get(child) else { continue };
                let condition = n
                    .conditions
                    .get(child)
                    .map(|c| remap_field_ids(c, &field_map));
                sqlx::query(
                    "INSERT INTO workflow_node_children (parent_id, child_id, condition) \
                     VALUES ($1, $2, $3)",
                )
                .bind(new.0)
                .bind(copy.0)
                .bind(condition)
                .execute(&mut *$tx)
                .await?;
            }
            let spec = n.spec.remapped(&node_map, &field_map);
            if spec.reference_node().is_some() || spec.job_assignment.is_some() {
                sqlx::query(
                    "UPDATE workflow_nodes SET reference_node_id = $1, job_assignment_node_id = $2 \
                     WHERE id = $3",
                )
                .bind(spec.reference_node().map(|r| r.0))
                .bind(spec.job_assignment.map(|j| j.node.0))
                .bind(new.0)
                .execute(&mut *$tx)
                .await?;
            }
            // A kind may name other nodes (a gateway's default flow): rewrite it now that
            // every node has its new id.
            if !spec.kind.is_task() {
                let (_, behaviour) = $crate::workflows::behaviour(&spec.kind)?;
                sqlx::query("UPDATE workflow_nodes SET behaviour = $1 WHERE id = $2")
                    .bind(behaviour)
                    .bind(new.0)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        (field_map, node_map)
    }};
}
pub(crate) use insert_definition;
