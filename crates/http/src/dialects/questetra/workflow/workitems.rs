//! Workitem: `/API/PE/Workitem/listAllocated` (My Tasks: the nodes of running cases that
//! await the caller), `/API/OR/Workitem/list` (the caller's task records) and stars.

use super::super::wire::{self, ok, Caller, Params, QError, QResult};
use super::instances::{csv, utf16le};
use super::{criteria, render, viewer};
use crate::AppState;
use axum::extract::State;
use serde_json::json;
use sluice_domain::DocId;
use sluice_store::questetra::WorkitemRecord;

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

/// The caller's task records matching `criteria`, paged; a caller that is not a user (the
/// organization's client) has none.
async fn records(
    app: &AppState,
    caller: &Caller,
    p: &Params,
) -> Result<(i64, Vec<WorkitemRecord>), QError> {
    let filter = criteria::workitems(p.text("criteria"))?;
    let page = wire::page(p)?;
    let Some(user) = caller.user_id() else {
        return Ok((0, Vec::new()));
    };
    app.store
        .workitem_records(caller.org.id, user, &filter, page)
        .await
        .map_err(|e| QError::store(e, &[]))
}

/// `GET /API/OR/Workitem/list` (criteria, limit, start): WorkitemWithDataList.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let (count, list) = records(&app, &caller, &p).await?;
    let (id, name) = caller
        .user
        .as_ref()
        .map(|u| (u.id.0, u.display_name.as_str()))
        .unwrap_or((0, ""));
    let list: Vec<_> = list
        .iter()
        .map(|r| render::workitem_record(r, (id, name)))
        .collect();
    ok(json!({"count": count, "workitems": list}))
}

const CSV_NAME: &str = "attachment; filename=\"workitems.csv\"";

/// `GET /API/OR/Workitem/listCsv`: the records as UTF-8 CSV.
pub(crate) async fn list_csv(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let (_, list) = records(&app, &caller, &p).await?;
    let text = render::workitem_records_csv(&list);
    Ok(csv(text.into_bytes(), "UTF-8", CSV_NAME))
}

/// `GET /API/OR/Workitem/listCsvUtf16`: the same as UTF-16LE with a BOM.
pub(crate) async fn list_csv_utf16(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    let (_, list) = records(&app, &caller, &p).await?;
    let text = render::workitem_records_csv(&list);
    Ok(csv(utf16le(&text), "UTF-16LE", CSV_NAME))
}
