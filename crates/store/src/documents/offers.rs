//! Accepting an offered task (Questetra's `batchAccept`): the node of a department or group
//! that several users could sign becomes the accepter's alone (`Case::accept_offer`).

use super::commands::{
    load_case, log_entry, micros_now, participant_changes, participants, persist_case,
    sync_deadlines, sync_service_calls, update_document,
};
use super::records::{CcRecord, CcRow, DocRow, CC_COLUMNS, DOC_COLUMNS};
use super::Actor;
use crate::{Result, Store};
use serde_json::json;
use sluice_domain::engine::Case;
use sluice_domain::{DocId, Error, NodeId, OrgId, UserId};

impl Store {
    /// `user` accepts node `node` of case `doc`, offered to them; logged as a `change`
    /// (`accept`) with the node.
    pub async fn accept_offer(
        &self,
        org: OrgId,
        doc: DocId,
        user: UserId,
        node: NodeId,
    ) -> Result<()> {
        let now = micros_now();
        let actor = Actor::new(user, None);
        write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            let mut case = record.case;
            let def = self.definition(org, case.workflow_id).await?;
            let before = case.clone();
            case.accept_offer(&def, user, node)?;
            persist_case!(tx, def, &before, &case, now, Some(self));
            log_entry!(
                tx,
                case.id,
                actor,
                "change",
                "accept",
                json!({"node": node.0}),
                now
            );
        });
        Ok(())
    }

    /// Hands current node `node` of case `doc` to user `to` (an active user of the
    /// organization); logged as a `change` (`reallocate`) by `by`.
    pub async fn reallocate_task(
        &self,
        org: OrgId,
        doc: DocId,
        by: UserId,
        node: NodeId,
        to: UserId,
    ) -> Result<()> {
        let now = micros_now();
        let actor = Actor::new(by, None);
        write_tx!(self, |tx| {
            let active: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE org_id = $1 AND id = $2 AND is_active",
            )
            .bind(org.0)
            .bind(to.0)
            .fetch_one(&mut *tx)
            .await?;
            if active == 0 {
                return Err(Error::invalid(format!(
                    "User {to} is not an active user of this organization."
                ))
                .into());
            }
            let (record, _) = load_case!(tx, self, org, doc);
            let mut case = record.case;
            let def = self.definition(org, case.workflow_id).await?;
            let before = case.clone();
            case.reallocate(&def, node, to)?;
            persist_case!(tx, def, &before, &case, now, Some(self));
            log_entry!(
                tx,
                case.id,
                actor,
                "change",
                "reallocate",
                json!({"node": node.0, "user": to.0}),
                now
            );
        });
        Ok(())
    }
}
