//! Workitem: `/API/PE/Workitem/listAllocated` (My Tasks: the nodes of running cases that
//! await the caller).

use super::super::wire::{ok, Caller, QError, QResult};
use super::render;
use crate::AppState;
use axum::extract::State;
use serde_json::json;

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
