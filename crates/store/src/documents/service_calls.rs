//! What the service-task worker (crates/http/src/service_tasks.rs) reads before an HTTP
//! call (the case as it stands, without a viewer: the server acts on its own behalf), and
//! how it forgets a call whose case no longer waits for it.

use super::messages::ServiceCall;
use super::records::{DocRow, DOC_COLUMNS};
use crate::{Result, Store};
use sluice_domain::engine::Case;
use sluice_domain::{DocId, Error, OrgId};

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

    /// Forgets the pending call of claimed `call`: the case no longer waits there
    /// (cancelled, stopped, or moved on), so nobody may call or record it again. Only while
    /// the call is still at the worker's attempt: one another worker claimed again after
    /// the lease ran out is its business.
    pub async fn drop_service_call(&self, call: &ServiceCall) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "DELETE FROM document_service_calls WHERE doc_id = $1 AND node_id = $2 \
                 AND attempt = $3 AND doc_id IN (SELECT id FROM documents WHERE org_id = $4)",
            )
            .bind(call.doc.0)
            .bind(call.node.0)
            .bind(call.attempt)
            .bind(call.org.0)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }
}
