//! What the service-task worker (crates/http/src/service_tasks.rs) reads before an HTTP
//! call: the case as it stands, without a viewer (the server acts on its own behalf).

use super::records::{DocRow, DOC_COLUMNS};
use crate::{Result, Store};
use sluice_domain::engine::Case;
use sluice_domain::{DocId, Error, NodeId, OrgId};

impl Store {
    /// The current state of case `doc` of `org`: its version, field values and route.
    pub async fn service_call_case(&self, org: OrgId, doc: DocId) -> Result<Case> {
        let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE org_id = $1 AND id = $2");
        let row: Option<DocRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(doc.0)
                .fetch_optional(db)
                .await?
        });
        let row = row.ok_or_else(|| Error::not_found("Document", doc))?;
        // Service calls read fields only; CC states are not needed.
        Ok(row.into_record(Vec::new())?.case)
    }

    /// Forgets the pending call of `node` in case `doc`: the case no longer waits there
    /// (cancelled, stopped, or moved on), so nobody may call or record it again.
    pub async fn drop_service_call(&self, org: OrgId, doc: DocId, node: NodeId) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "DELETE FROM document_service_calls WHERE doc_id = $1 AND node_id = $2 \
                 AND doc_id IN (SELECT id FROM documents WHERE org_id = $3)",
            )
            .bind(doc.0)
            .bind(node.0)
            .bind(org.0)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }
}
