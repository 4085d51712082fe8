//! Workitem: `/API/PE/Workitem/listAllocated` (My Tasks: the nodes of running cases that
//! await the caller).

use super::super::wire::{self, ok, Caller, Params, QError, QResult};
use super::{render, viewer};
use crate::AppState;
use axum::extract::State;
use serde_json::json;
use sluice_domain::DocId;

/// `GET /API/PE/Workitem/listAllocated`: at most `MAX_WORKITEMS`, newest case first.
pub(crate) async fn list_allocated(State(app): State<AppState>, caller: Caller) -> QResult {
    let Some(user) = caller.user_id() else {
        return ok(json!({"count": 0, "workitems": []}));
    };
    let items = app
        .store
        .allocated_workitems(caller.org.id, user)
        .await
        .map_err(|e| QError::store(e, &[]))?;
    let name = caller
        .user
        .as_ref()
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    let list: Vec<_> = items
        .iter()
        .map(|w| {
            render::workitem(
                &w.instance,
                w.node_id,
                &w.node_name,
                w.node_index,
                "ALLOCATED",
                Some((user.0, &name)),
            )
        })
        .collect();
    ok(json!({"count": list.len(), "workitems": list}))
}

/// The case of a work item id (see `workitem_id`).
fn case_of(p: &Params) -> Result<DocId, QError> {
    Ok(DocId(p.required_id("workitemId")? >> 21))
}

async fn star(app: &AppState, caller: &Caller, p: &Params, on: bool) -> QResult {
    let doc = case_of(p)?;
    app.store
        .star_process_instance(caller.org.id, viewer(caller), doc, on)
        .await
        .map_err(|e| QError::store(e, &[("Process ", "workitemId")]))?;
    wire::done()
}

/// `POST /API/OR/Workitem/Star/add` (workitemId): stars the task's case.
pub(crate) async fn star_add(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    star(&app, &caller, &p, true).await
}

/// `POST /API/OR/Workitem/Star/remove` (workitemId).
pub(crate) async fn star_remove(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    star(&app, &caller, &p, false).await
}
