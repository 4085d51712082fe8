//! Workitem: `/API/PE/Workitem/listAllocated` (My Tasks: the nodes of running cases that
//! await the caller), `/API/OR/Workitem/list` (the caller's task records) and stars.

use super::super::wire::{self, ok, Caller, Params, QError, QResult};
use super::instances::{csv, utf16le};
use super::{criteria, render, split_workitem_id, viewer};
use crate::AppState;
use axum::extract::State;
use serde_json::json;
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

/// Stars (or unstars) the case of a work item the caller sees; an id whose node part is not
/// a node of the case's version is as unknown as one whose case is.
async fn star(app: &AppState, caller: &Caller, p: &Params, on: bool) -> QResult {
    let id = p.required_id("workitemId")?;
    let (doc, index) = split_workitem_id(id);
    let hints = &[("Process ", "workitemId")];
    let node = app
        .store
        .workitem_node(caller.org.id, viewer(caller), doc, index)
        .await
        .map_err(|e| QError::store(e, hints))?;
    if node.is_none() {
        return Err(QError::param(
            "workitemId",
            format!("Workitem {id} does not exist."),
        ));
    }
    app.store
        .star_process_instance(caller.org.id, viewer(caller), doc, on)
        .await
        .map_err(|e| QError::store(e, hints))?;
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

/// `GET /API/PE/Workitem/listOffered`: the nodes offered to the caller (a department or
/// group node that one signature completes, awaiting several users; see
/// `engine::offered_nodes`), newest case first.
pub(crate) async fn list_offered(State(app): State<AppState>, caller: Caller) -> QResult {
    let Some(user) = caller.user_id() else {
        return ok(json!({"count": 0, "workitems": []}));
    };
    let items = app
        .store
        .offered_workitems(caller.org.id, user)
        .await
        .map_err(|e| QError::store(e, &[]))?;
    let list: Vec<_> = items
        .iter()
        .map(|w| {
            render::workitem(
                &w.instance,
                w.node_id,
                &w.node_name,
                w.node_index,
                "OFFERED",
                None,
            )
        })
        .collect();
    ok(json!({"count": list.len(), "workitems": list}))
}

/// Most ids one `batchAccept` takes.
const MAX_ACCEPT: usize = 100;

/// `POST /API/PE/Workitem/batchAccept` (workitemIds: comma-separated): accepts each offered
/// task in its own transaction; WorkitemOpResultList with one result per id, in order.
pub(crate) async fn batch_accept(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    let raw = p.required("workitemIds")?;
    let ids: Vec<i64> = raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().ok().filter(|n| *n >= 0))
        .collect::<Option<_>>()
        .ok_or_else(|| QError::param("workitemIds", "workitemIds must be ids."))?;
    if ids.is_empty() || ids.len() > MAX_ACCEPT {
        return Err(QError::param(
            "workitemIds",
            format!("workitemIds takes 1 to {MAX_ACCEPT} ids."),
        ));
    }
    let Some(user) = caller.user_id() else {
        return Err(QError::forbidden(
            "Tasks are accepted by users; sign in as a user.",
        ));
    };
    // One read of the caller's offers serves every id.
    let offered = app
        .store
        .offered_workitems(caller.org.id, user)
        .await
        .map_err(|e| QError::store(e, &[]))?;
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let w = offered
            .iter()
            .find(|w| super::workitem_id(w.instance.id.0, w.node_index) == id);
        let outcome = match w {
            Some(w) => accept_one(&app, &caller, user, w).await,
            None => Err(format!("Task {id} is not offered to you.")),
        };
        results.push(match outcome {
            Ok(item) => json!({"success": true, "workitemId": id, "workitem": item, "error": null}),
            Err(message) => json!({
                "success": false,
                "workitemId": id,
                "workitem": null,
                "error": {"errorCode": "10000", "type": "Validation", "input": "workitemIds",
                          "message": message},
            }),
        });
    }
    ok(json!({"results": results}))
}

/// Accepts one offered task and answers it as allocated to the caller, or why not.
async fn accept_one(
    app: &AppState,
    caller: &Caller,
    user: sluice_domain::UserId,
    w: &sluice_store::questetra::Workitem,
) -> Result<serde_json::Value, String> {
    app.store
        .accept_offer(
            caller.org.id,
            w.instance.id,
            user,
            sluice_domain::NodeId(w.node_id),
        )
        .await
        .map_err(store_message)?;
    let name = caller
        .user
        .as_ref()
        .map(|u| u.display_name.as_str())
        .unwrap_or_default();
    Ok(render::workitem(
        &w.instance,
        w.node_id,
        &w.node_name,
        w.node_index,
        "ALLOCATED",
        Some((user.0, name)),
    ))
}

/// A store failure's message for one result (internal failures are logged, not shown).
fn store_message(e: sluice_store::Error) -> String {
    match e {
        sluice_store::Error::Domain(d) => d.to_string(),
        other => {
            tracing::error!(error = ?other, "Questetra batchAccept failed");
            "Internal server error.".into()
        }
    }
}

/// `POST /API/PIM/Workitem/reallocate` (workitemId, quserId; qgroupId accepted and not
/// used): a process manager hands a current, unsigned task to another active user.
pub(crate) async fn reallocate(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let id = p.required_id("workitemId")?;
    let to = sluice_domain::UserId(p.required_id("quserId")?);
    p.id("qgroupId")?;
    let (doc, index) = split_workitem_id(id);
    app.store
        .reallocate_workitem(caller.org.id, viewer(&caller), doc, index, to)
        .await
        .map_err(|e| {
            QError::store(
                e,
                &[
                    ("Process ", "workitemId"),
                    ("Workitem", "workitemId"),
                    ("Node", "workitemId"),
                    ("User ", "quserId"),
                ],
            )
        })?;
    wire::done()
}
