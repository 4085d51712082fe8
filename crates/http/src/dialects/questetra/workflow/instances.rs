//! ProcessInstance: `/API/OR/ProcessInstance/*` (list and its CSV forms, view, stop,
//! delete, stars, file download) and `/API/PE/ProcessInstance/start`.

use super::super::wire::{self, ok, Caller, Params, QError, QResult};
use super::{criteria, render, viewer};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sluice_domain::engine::RunState;
use sluice_domain::{DocId, FamilyId, NodeId};
use sluice_store::documents::{Actor, NewDocument};
use sluice_store::questetra::StartNode;

/// Store messages that name a parameter.
const HINTS: &[(&str, &str)] = &[
    ("Process model", "processModelInfoId"),
    ("Process ", "processInstanceId"),
    ("Node", "nodeNumber"),
];

fn store_err(e: sluice_store::Error) -> QError {
    QError::store(e, HINTS)
}

async fn query(
    app: &AppState,
    caller: &Caller,
    p: &Params,
) -> Result<(i64, Vec<sluice_store::questetra::ProcessInstance>), QError> {
    let filter = criteria::process_instances(p.text("criteria"), caller.user_id().map(|u| u.0))?;
    let page = wire::page(p)?;
    app.store
        .process_instances(caller.org.id, viewer(caller), &filter, page)
        .await
        .map_err(store_err)
}

/// `GET /API/OR/ProcessInstance/list` (criteria, limit, start).
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let (count, list) = query(&app, &caller, &p).await?;
    let list: Vec<_> = list.iter().map(render::process_instance).collect();
    ok(json!({"count": count, "processInstances": list}))
}

/// A CSV answer, as an attachment.
pub(crate) fn csv(body: Vec<u8>, charset: &'static str, name: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(match charset {
            "UTF-16LE" => "text/csv; charset=UTF-16LE",
            _ => "text/csv; charset=UTF-8",
        }),
    );
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static(name));
    res
}

/// UTF-16LE with a byte-order mark.
pub(crate) fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

const CSV_NAME: &str = "attachment; filename=\"processInstances.csv\"";

/// `GET /API/OR/ProcessInstance/listCsv`: the list as UTF-8 CSV.
pub(crate) async fn list_csv(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let (_, list) = query(&app, &caller, &p).await?;
    let text = render::process_instances_csv(&list);
    Ok(csv(text.into_bytes(), "UTF-8", CSV_NAME))
}

/// `GET /API/OR/ProcessInstance/listCsvUtf16`: the same as UTF-16LE with a BOM.
pub(crate) async fn list_csv_utf16(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    let (_, list) = query(&app, &caller, &p).await?;
    let text = render::process_instances_csv(&list);
    Ok(csv(utf16le(&text), "UTF-16LE", CSV_NAME))
}

/// `GET /API/OR/ProcessInstance/view` (processInstanceId): with Sluice's `errors`.
pub(crate) async fn view(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let id = DocId(p.required_id("processInstanceId")?);
    let pi = app
        .store
        .process_instance(caller.org.id, viewer(&caller), id)
        .await
        .map_err(store_err)?;
    let mut v = render::process_instance(&pi);
    v["errors"] = render::node_errors(&pi);
    ok(json!({"processInstance": v}))
}

/// `POST /API/OR/ProcessInstance/stop` (processInstanceId).
pub(crate) async fn stop(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let id = DocId(p.required_id("processInstanceId")?);
    app.store
        .stop_process_instance(caller.org.id, viewer(&caller), id)
        .await
        .map_err(store_err)?;
    wire::done()
}

/// `POST /API/OR/ProcessInstance/delete` (processInstanceId).
pub(crate) async fn delete(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let id = DocId(p.required_id("processInstanceId")?);
    app.store
        .delete_process_instance(caller.org.id, viewer(&caller), id)
        .await
        .map_err(store_err)?;
    wire::done()
}

/// The `{processInstanceId}` of a path.
pub(crate) fn path_id(raw: &str, name: &str) -> Result<i64, QError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| QError::param(name, format!("{name} must be an integer.")))
}

async fn star(app: &AppState, caller: &Caller, raw: &str, on: bool) -> QResult {
    let id = DocId(path_id(raw, "processInstanceId")?);
    app.store
        .star_process_instance(caller.org.id, viewer(caller), id, on)
        .await
        .map_err(store_err)?;
    wire::done()
}

/// `POST /API/OR/ProcessInstance/{processInstanceId}/Star/add`.
pub(crate) async fn star_add(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> QResult {
    star(&app, &caller, &id, true).await
}

/// `POST /API/OR/ProcessInstance/{processInstanceId}/Star/remove`.
pub(crate) async fn star_remove(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> QResult {
    star(&app, &caller, &id, false).await
}

/// `GET /API/OR/ProcessInstance/File/download` (id, processDataInstanceId). Sluice's
/// fields hold no files yet: every file is one that does not exist.
pub(crate) async fn file_download(_caller: Caller, p: Params) -> QResult {
    let id = p.required_id("id")?;
    p.required_id("processDataInstanceId")?;
    Err(QError::param("id", format!("File {id} does not exist.")))
}

/// `POST /API/PE/ProcessInstance/start` (processModelInfoId, nodeNumber; `title`
/// optional): a case of the model's active version, started at the start node `nodeNumber`
/// by the calling user (who needs the creatable permission); only that start is entered.
/// A message start event is refused (HTTP messages start it). Answers the start node's
/// work item.
pub(crate) async fn start(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let family = FamilyId(p.required_id("processModelInfoId")?);
    let node = NodeId(p.required_id("nodeNumber")?);
    let title = p.text("title").unwrap_or("").to_string();
    let Some(user) = caller.user_id() else {
        return Err(QError::forbidden(
            "Processes are started by users; use a user's credentials.",
        ));
    };
    let (workflow, kind) = app
        .store
        .active_start(caller.org.id, family, node)
        .await
        .map_err(store_err)?;
    match kind {
        StartNode::Start => {}
        StartNode::MessageStart => {
            return Err(QError::param(
                "nodeNumber",
                format!(
                    "Node {} is a message start event of process model {family}: HTTP messages \
                     start it (/System/Event/MessageStart...), not users.",
                    node.0
                ),
            ))
        }
        StartNode::NotStart => {
            return Err(QError::param(
                "nodeNumber",
                format!(
                    "Node {} is not a start node of process model {family}.",
                    node.0
                ),
            ))
        }
    }
    let doc = app
        .store
        .create_document_at(
            caller.org.id,
            NewDocument {
                workflow,
                actor: Actor::new(user, None),
                title,
            },
            Some(node),
        )
        .await
        .map_err(store_err)?;
    let id = doc.record.case.id;
    let index = doc.def.nodes.iter().position(|n| n.id == node).unwrap_or(0);
    let state = match doc.record.case.route.nodes.get(&node).map(|r| r.state) {
        Some(RunState::Current) => "ALLOCATED",
        _ => "ENDED",
    };
    let pi = app
        .store
        .process_instance(caller.org.id, viewer(&caller), id)
        .await
        .map_err(store_err)?;
    let node_name = doc
        .def
        .node(node)
        .map(|n| n.spec.note.clone())
        .unwrap_or_default();
    let name = pi.creator_name.clone();
    let w = render::workitem(&pi, node.0, &node_name, index, state, Some((user.0, &name)));
    ok(json!({"workitem": w}))
}
