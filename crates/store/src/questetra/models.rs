//! Process models (Questetra's ProcessModelInfo): a workflow family with its active (else
//! latest) version; the start activities a user may start; stopping and releasing.

use crate::identity::PageRequest;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::workflow::NodeKind;
use sluice_domain::{Error, FamilyId, NodeId, OrgId, UserId, WorkflowId};

/// A workflow family as a Questetra process model.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProcessModel {
    pub family_id: i64,
    pub name: String,
    /// The active version's number, else the latest version's.
    pub version: Option<i64>,
    pub has_active: bool,
}

/// A start node of an active version that a user may start (Questetra's Activity).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StartActivity {
    pub node_id: i64,
    pub node_name: String,
    pub workflow_id: i64,
    pub family_id: i64,
    pub family_name: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

/// `lower(name) LIKE $n`'s pattern for a substring (`\` escapes).
pub(crate) fn like_pattern(query: Option<&str>) -> String {
    match query {
        None => "%".into(),
        Some(q) => {
            let mut p = String::from("%");
            for c in q.to_lowercase().chars() {
                if matches!(c, '%' | '_' | '\\') {
                    p.push('\\');
                }
                p.push(c);
            }
            p.push('%');
            p
        }
    }
}

const MODEL_FROM: &str = "FROM workflow_families f WHERE f.org_id = $1 \
     AND lower(f.name) LIKE $2 ESCAPE '\\'";

/// Permission rows of the family `w.family_id` that make user `$2` of `$1` a creator.
const CREATABLE: &str = "EXISTS (SELECT 1 FROM workflow_permissions p JOIN users u \
     ON u.id = $2 AND u.org_id = $1 WHERE p.family_id = w.family_id AND p.is_creatable AND \
     (p.user_id = u.id OR p.department_id = u.department_id OR \
      p.group_id IN (SELECT group_id FROM group_members WHERE user_id = u.id) OR \
      p.group_id IN (SELECT g.id FROM groups g WHERE g.org_id = u.org_id AND \
      ((g.system_kind = 'all_users' AND NOT u.is_external) OR \
       (g.system_kind = 'external_users' AND u.is_external)))))";

/// Node `n` is a message start: its behaviour (the JSON of `NodeKind::Start`) has a
/// `message`, the only member a start's behaviour can have.
const MESSAGE_START: &str = "(n.kind = 'start' AND COALESCE(n.behaviour, '') LIKE '%\"message\"%')";

/// What a node of an active version is to `ProcessInstance/start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartNode {
    /// A node without parents that is not a message start: users start cases there.
    Start,
    /// A message start event: started by HTTP messages only.
    MessageStart,
    /// Not a node of the version, or a node with parents.
    NotStart,
}

impl Store {
    /// The organization's process models whose name contains `query`, by id; with the
    /// count of all that match.
    pub async fn process_models(
        &self,
        org: OrgId,
        query: Option<&str>,
        page: PageRequest,
    ) -> Result<(i64, Vec<ProcessModel>)> {
        let pattern = like_pattern(query);
        read!(self, |db| {
            let count = scalar_i64!(
                db,
                &format!("SELECT COUNT(*) {MODEL_FROM}"),
                org.0,
                &pattern
            );
            let rows: Vec<ProcessModel> = sqlx::query_as(&format!(
                "SELECT f.id AS family_id, f.name, \
                 COALESCE((SELECT MAX(w.version) FROM workflows w WHERE w.family_id = f.id \
                   AND w.is_active), (SELECT MAX(w.version) FROM workflows w \
                   WHERE w.family_id = f.id)) AS version, \
                 EXISTS (SELECT 1 FROM workflows w WHERE w.family_id = f.id AND w.is_active) \
                   AS has_active \
                 {MODEL_FROM} ORDER BY f.id LIMIT $3 OFFSET $4"
            ))
            .bind(org.0)
            .bind(&pattern)
            .bind(page.limit)
            .bind(page.start)
            .fetch_all(db)
            .await?;
            Ok((count, rows))
        })
    }

    /// The start nodes (nodes without parents, but not message starts: HTTP messages start
    /// those) of the active versions whose family `user` may create cases of (or every
    /// one, for `None`), by family and node; with the count.
    pub async fn startable_activities(
        &self,
        org: OrgId,
        user: Option<UserId>,
        query: Option<&str>,
        page: PageRequest,
    ) -> Result<(i64, Vec<StartActivity>)> {
        let pattern = like_pattern(query);
        let from = format!(
            "FROM workflows w JOIN workflow_families f ON f.id = w.family_id \
             JOIN workflow_nodes n ON n.workflow_id = w.id \
             WHERE w.org_id = $1 AND w.is_active AND lower(f.name) LIKE $3 ESCAPE '\\' \
             AND NOT EXISTS (SELECT 1 FROM workflow_node_children c WHERE c.child_id = n.id) \
             AND NOT {MESSAGE_START} AND ($2 = 0 OR {CREATABLE})"
        );
        let uid = user.map_or(0, |u| u.0);
        read!(self, |db| {
            let count = scalar_i64!(db, &format!("SELECT COUNT(*) {from}"), org.0, uid, &pattern);
            let rows: Vec<StartActivity> = sqlx::query_as(&format!(
                "SELECT n.id AS node_id, n.note AS node_name, w.id AS workflow_id, \
                 f.id AS family_id, f.name AS family_name, w.version, w.created_at \
                 {from} ORDER BY f.id, n.id LIMIT $4 OFFSET $5"
            ))
            .bind(org.0)
            .bind(uid)
            .bind(&pattern)
            .bind(page.limit)
            .bind(page.start)
            .fetch_all(db)
            .await?;
            Ok((count, rows))
        })
    }

    /// The active version of a family and what `node` is to it.
    pub async fn active_start(
        &self,
        org: OrgId,
        family: FamilyId,
        node: NodeId,
    ) -> Result<(WorkflowId, StartNode)> {
        type Found = (i64, Option<String>, Option<String>, bool);
        let row: Option<Found> = read!(self, |db| {
            sqlx::query_as(
                "SELECT w.id, n.kind, n.behaviour, EXISTS (SELECT 1 FROM workflow_node_children c \
                 WHERE c.child_id = n.id) FROM workflows w \
                 LEFT JOIN workflow_nodes n ON n.workflow_id = w.id AND n.id = $3 \
                 WHERE w.org_id = $1 AND w.family_id = $2 AND w.is_active",
            )
            .bind(org.0)
            .bind(family.0)
            .bind(node.0)
            .fetch_optional(db)
            .await?
        });
        let Some((w, kind, behaviour, has_parents)) = row else {
            return Err(self.family_without_active(org, family).await);
        };
        let message = behaviour
            .as_deref()
            .and_then(|b| serde_json::from_str::<NodeKind>(b).ok())
            .is_some_and(|k| k.message().is_some());
        let start = match kind {
            None => StartNode::NotStart,
            Some(_) if has_parents => StartNode::NotStart,
            Some(k) if k == "start" && message => StartNode::MessageStart,
            Some(_) => StartNode::Start,
        };
        Ok((WorkflowId(w), start))
    }

    /// "not found" or "has no active version".
    async fn family_without_active(&self, org: OrgId, family: FamilyId) -> crate::Error {
        let found: Result<i64> = async {
            Ok(read!(self, |db| {
                scalar_i64!(
                    db,
                    "SELECT COUNT(*) FROM workflow_families WHERE org_id = $1 AND id = $2",
                    org.0,
                    family.0
                )
            }))
        }
        .await;
        match found {
            Ok(0) => Error::not_found("Process model", family).into(),
            Ok(_) => {
                Error::conflict(format!("Process model {family} has no active version.")).into()
            }
            Err(e) => e,
        }
    }

    /// Inactivates the family's active version (Questetra's stop).
    pub async fn stop_process_model(&self, org: OrgId, family: FamilyId) -> Result<()> {
        let changed = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE workflows SET is_active = FALSE \
                 WHERE org_id = $1 AND family_id = $2 AND is_active",
            )
            .bind(org.0)
            .bind(family.0)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            return Err(self.family_without_active(org, family).await);
        }
        Ok(())
    }

    /// Activates the family's latest finalized version (Questetra's release); returns it.
    pub async fn release_process_model(
        &self,
        org: OrgId,
        family: FamilyId,
    ) -> Result<sluice_domain::workflow::Workflow> {
        let latest: Option<i64> = read!(self, |db| {
            sqlx::query_scalar(
                "SELECT id FROM workflows WHERE org_id = $1 AND family_id = $2 \
                 AND is_complete ORDER BY version DESC LIMIT 1",
            )
            .bind(org.0)
            .bind(family.0)
            .fetch_optional(db)
            .await?
        });
        match latest {
            Some(id) => self.set_workflow_active(org, WorkflowId(id), true).await,
            None => match self.family_without_active(org, family).await {
                crate::Error::Domain(Error::Conflict(_)) => Err(Error::conflict(format!(
                    "Process model {family} has no finalized version to release."
                ))
                .into()),
                e => Err(e),
            },
        }
    }
}
