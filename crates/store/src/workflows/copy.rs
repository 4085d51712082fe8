//! Copying a version's definition (`workflow/clone`, `workflow/save_as`).

/// Copies the fields and nodes of version `$from` into version `$to`: new ids throughout,
/// with children links, CC targets, field access, job-assignment and reference nodes, and
/// `field_<id>` names in formulas and conditions translated to the copies.
macro_rules! copy_definition {
    ($tx:ident, $org:expr, $from:expr, $to:expr) => {{
        use sluice_domain::workflow::expr::remap_field_ids;
        use sluice_domain::{FieldId, NodeId};
        use std::collections::HashMap;
        let (from, to) = ($from, $to);
        // Edits of the source lock its row (see `editable_workflow!`): wait for them, so the
        // loads below see one state of it.
        sqlx::query("UPDATE workflows SET is_complete = is_complete WHERE id = $1")
            .bind(from.0)
            .execute(&mut *$tx)
            .await?;
        let fields = $crate::workflows::load_fields!(&mut *$tx, $org, from);
        let nodes = $crate::workflows::load_nodes!(&mut *$tx, $org, from);
        let mut field_map: HashMap<FieldId, FieldId> = HashMap::with_capacity(fields.len());
        for f in &fields {
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
        for f in &fields {
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
        for n in &nodes {
            let spec = n.spec.remapped(&no_nodes, &field_map);
            let id = $crate::workflows::insert_node!($tx, $org, to, &spec, all_users, false);
            node_map.insert(n.id, id);
        }
        for n in &nodes {
            let new = node_map[&n.id];
            // Links stay inside one version; a child outside it would not be copied.
            for child in n.children.iter().filter_map(|c| node_map.get(c)) {
                sqlx::query(
                    "INSERT INTO workflow_node_children (parent_id, child_id) VALUES ($1, $2)",
                )
                .bind(new.0)
                .bind(child.0)
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
        }
    }};
}
pub(crate) use copy_definition;
