//! Importing a definition built outside the OmniBPM editor (a BPMN model): one transaction
//! writes a finalized, inactive version with its fields and nodes.

use super::{check_in_org, SpecRefs};
use crate::{Result, Store};
use sluice_domain::workflow::{self as rules, expr, Field, NewField, Node, Workflow};
use sluice_domain::{Error, FamilyId, NodeId, OrgId, UserId};
use std::collections::HashSet;

/// Longest BPMN element id kept.
const MAX_KEY_CHARS: usize = 255;
/// Most fields and nodes one model may have.
const MAX_ITEMS: usize = 2000;

/// Checks what the database would otherwise refuse late (or not at all): distinct
/// provisional ids and keys, links inside the model, valid field names and formulas, and
/// that the model can run.
fn check_model(fields: &mut [Field], nodes: &[Node]) -> Result<()> {
    if fields.len() > MAX_ITEMS || nodes.len() > MAX_ITEMS {
        return Err(Error::invalid(format!(
            "A model may have at most {MAX_ITEMS} fields and {MAX_ITEMS} nodes."
        ))
        .into());
    }
    let mut names = HashSet::new();
    let mut field_ids = HashSet::new();
    for f in fields.iter_mut() {
        let checked = NewField {
            name: f.name.clone(),
            data_type: f.data_type,
            formula: f.formula.clone(),
        }
        .checked()?;
        f.name = checked.name;
        f.formula = checked.formula;
        if !names.insert(f.name.clone()) {
            return Err(Error::DuplicateName.into());
        }
        if !field_ids.insert(f.id) {
            return Err(Error::invalid(format!("Field id {} is given twice.", f.id)).into());
        }
    }
    for f in fields.iter() {
        if let Some(formula) = &f.formula {
            expr::check(formula, fields, Some(f.id))?;
        }
    }
    let node_ids: HashSet<NodeId> = nodes.iter().map(|n| n.id).collect();
    if node_ids.len() != nodes.len() {
        return Err(Error::invalid("A node id is given twice.").into());
    }
    let mut keys = HashSet::new();
    for n in nodes {
        if let Some(key) = &n.key {
            if key.is_empty() || key.chars().count() > MAX_KEY_CHARS || key.contains('\0') {
                return Err(Error::invalid(format!(
                    "Node id {key:?} must have 1 to {MAX_KEY_CHARS} characters and no NUL."
                ))
                .into());
            }
            if !keys.insert(key.as_str()) {
                return Err(Error::invalid(format!("Node id {key:?} is given twice.")).into());
            }
        }
        if n.spec.note.contains('\0') {
            return Err(Error::invalid("A node name must not contain NUL characters.").into());
        }
        if let Some(child) = n.children.iter().find(|c| !node_ids.contains(c)) {
            return Err(Error::invalid(format!(
                "Node {} leads to node {child}, which is not in the model.",
                n.id
            ))
            .into());
        }
    }
    let conditions: Vec<(NodeId, &str)> = nodes
        .iter()
        .filter_map(|n| Some((n.id, n.spec.autocomplete_condition.as_deref()?)))
        .collect();
    expr::check_definition(fields, &conditions)?;
    rules::check_runnable(nodes, fields)?;
    Ok(())
}

impl Store {
    /// Writes a model as a new version: of a new family when `name` is new, else numbered
    /// above every version of the family of that name (as `workflow/clone` does). `fields`
    /// and `nodes` carry provisional ids (distinct numbers they refer to each other by);
    /// they get new ones. The version is finalized and inactive. `actor` must be an active
    /// user of the organization; that it is an administrator is the caller's check.
    pub async fn import_workflow(
        &self,
        org: OrgId,
        actor: UserId,
        name: &str,
        mut fields: Vec<Field>,
        nodes: Vec<Node>,
    ) -> Result<Workflow> {
        let name = rules::name(name)?;
        check_model(&mut fields, &nodes)?;
        self.check_actor(org, crate::documents::Actor::new(actor, None))
            .await?;
        let id = write_tx!(self, |tx| {
            let refs = SpecRefs::of_specs(nodes.iter().map(|n| &n.spec));
            check_in_org!(tx, "users", "User", org, refs.users);
            check_in_org!(
                tx,
                "(SELECT id, org_id FROM groups WHERE kind = 'user') g",
                "Group",
                org,
                refs.groups
            );
            check_in_org!(tx, "departments", "Department", org, refs.departments);
            check_in_org!(tx, "ranks", "Rank", org, refs.ranks);
            let family: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM workflow_families WHERE org_id = $1 AND name = $2",
            )
            .bind(org.0)
            .bind(&name)
            .fetch_optional(&mut *tx)
            .await?;
            let (family, version) = match family {
                Some(f) => {
                    let family = FamilyId(f);
                    super::versions::lock_family!(tx, family);
                    let last: Option<i64> = sqlx::query_scalar(
                        "SELECT MAX(version) FROM workflows WHERE family_id = $1",
                    )
                    .bind(family.0)
                    .fetch_one(&mut *tx)
                    .await?;
                    (family, last.unwrap_or(-1) + 1)
                }
                None => (super::versions::create_family!(tx, org, &name), 0),
            };
            let id = super::versions::insert_version!(tx, org, family, version, true, false);
            super::copy::insert_definition!(tx, org, id, &fields, &nodes);
            let stored = super::load_nodes!(&mut *tx, org, id);
            super::event_keys::insert_event_keys!(tx, org, id, &stored);
            id
        });
        self.workflow(org, id).await
    }
}
