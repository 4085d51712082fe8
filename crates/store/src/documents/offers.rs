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
}
