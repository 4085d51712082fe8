//! Questetra's HTTP-triggered BPMN events: message start events and receive tasks, each in
//! its HTTP (request parameters) and webhook (raw JSON body) form, authenticated by the
//! node's API key. See docs/dialects/questetra.md, "HTTP-triggered events".
//!
//! Answers: a start answers 200 with the new case's id (`text/plain`, Questetra's
//! processInstanceId), a receive 200 with an empty body. Every refusal is a 400 in the
//! dialect's error form; a wrong key, an unknown model, node or case all answer the same
//! one, so the endpoints tell nothing to a caller without the key.

#[path = "event_request.rs"]
mod event_request;

use super::wire::{self, QError, QResult};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use event_request::{body_bytes, mapped_values, parameters, webhook_values};
use sluice_domain::engine::Values;
use sluice_domain::workflow::MessageTrigger;
use sluice_domain::{DocId, FamilyId};
use sluice_store::workflows::event_keys::EventTarget;

pub(crate) fn router() -> Router<AppState> {
    let any_form = || {
        get(start_http)
            .post(start_http)
            .fallback(wire::method_not_allowed)
    };
    Router::new()
        .route(
            "/System/Event/MessageStart/{model}/{node}/start",
            any_form(),
        )
        .route(
            "/System/Event/MessageStartHttp/{model}/{node}/{key}/start",
            post(start_webhook).fallback(wire::method_not_allowed),
        )
        .route(
            "/System/ReceiveTask/HttpPost/{model}/{node}/receive",
            get(receive_http)
                .post(receive_http)
                .fallback(wire::method_not_allowed),
        )
        .route(
            "/System/ReceiveTask/Http/{model}/{node}/{case}/{key}/receive",
            post(receive_webhook).fallback(wire::method_not_allowed),
        )
}

/// The one answer to a request whose model, node, case or key does not check out.
fn unknown() -> QError {
    QError::validation("Invalid processModelInfoId, nodeId, processInstanceId or key.")
}

/// The node a keyed request names, with its trigger, once the key matched.
async fn target(
    app: &AppState,
    model: &str,
    node: &str,
    case: Option<&str>,
    key: Option<&str>,
) -> Result<
    (
        EventTarget,
        std::sync::Arc<sluice_domain::engine::Definition>,
    ),
    QError,
> {
    let family = model.parse::<i64>().map_err(|_| unknown())?;
    let case = match case {
        Some(c) => Some(DocId(c.parse::<i64>().map_err(|_| unknown())?)),
        None => None,
    };
    let key = key.ok_or_else(unknown)?;
    let target = app
        .store
        .event_target(FamilyId(family), node, case, key)
        .await
        .map_err(|e| QError::store(e, &[]))?
        .ok_or_else(unknown)?;
    let def = app
        .store
        .definition(target.org, target.workflow)
        .await
        .map_err(|e| QError::store(e, &[]))?;
    Ok((target, def))
}

/// The message trigger of the target node.
fn trigger<'d>(
    def: &'d sluice_domain::engine::Definition,
    t: &EventTarget,
) -> Result<&'d MessageTrigger, QError> {
    def.node(t.node)
        .and_then(|n| n.spec.kind.message())
        .ok_or_else(unknown)
}

/// The `Idempotency-Key` header, if sent.
fn idempotency(headers: &HeaderMap) -> Result<Option<String>, QError> {
    headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .map(str::to_owned)
                .map_err(|_| QError::validation("The Idempotency-Key header must be ASCII."))
        })
        .transpose()
}

/// Starts a case at the target message start (the version and node the key matched).
async fn start(app: &AppState, t: EventTarget, values: Values, headers: &HeaderMap) -> QResult {
    let key = idempotency(headers)?;
    let (doc, _created) = app
        .store
        .start_by_message(t.org, t.workflow, t.node, values, key.as_deref())
        .await
        .map_err(|e| QError::store(e, &[]))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        doc.0.to_string(),
    )
        .into_response())
}

/// Moves case `case` (of the target's version, as the key lookup checked) on from the
/// target receive task.
async fn receive(app: &AppState, t: EventTarget, case: &str, values: Values) -> QResult {
    let doc = DocId(case.parse().map_err(|_| unknown())?);
    app.store
        .receive_document_message(t.org, t.workflow, doc, t.node, values)
        .await
        .map_err(|e| QError::store(e, &[]))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "",
    )
        .into_response())
}

/// `/System/Event/MessageStart/{processModelInfoId}/{nodeId}/start?key=...`: parameters to
/// fields.
async fn start_http(
    State(app): State<AppState>,
    Path((model, node)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> QResult {
    let body = body_bytes(body).await?;
    let params = parameters(query.as_deref(), &headers, &body)?;
    let (t, def) = target(
        &app,
        &model,
        &node,
        None,
        params.get("key").map(String::as_str),
    )
    .await?;
    let values = mapped_values(&def, trigger(&def, &t)?, &params)?;
    start(&app, t, values, &headers).await
}

/// `/System/Event/MessageStartHttp/{processModelInfoId}/{nodeId}/{apiKey}/start`: the JSON
/// body to the body field.
async fn start_webhook(
    State(app): State<AppState>,
    Path((model, node, key)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> QResult {
    let (t, def) = target(&app, &model, &node, None, Some(&key)).await?;
    let body = body_bytes(body).await?;
    let values = webhook_values(&def, trigger(&def, &t)?, &body)?;
    start(&app, t, values, &headers).await
}

/// `/System/ReceiveTask/HttpPost/{processModelInfoId}/{nodeId}/receive?key=...&processInstanceId=...`.
async fn receive_http(
    State(app): State<AppState>,
    Path((model, node)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> QResult {
    let body = body_bytes(body).await?;
    let params = parameters(query.as_deref(), &headers, &body)?;
    let case = params
        .get("processInstanceId")
        .ok_or_else(|| QError::param("processInstanceId", "processInstanceId is required."))?;
    let key = params.get("key").map(String::as_str);
    let (t, def) = target(&app, &model, &node, Some(case), key).await?;
    let values = mapped_values(&def, trigger(&def, &t)?, &params)?;
    receive(&app, t, case, values).await
}

/// `/System/ReceiveTask/Http/{processModelInfoId}/{nodeId}/{processInstanceId}/{apiKey}/receive`.
async fn receive_webhook(
    State(app): State<AppState>,
    Path((model, node, case, key)): Path<(String, String, String, String)>,
    body: Body,
) -> QResult {
    let (t, def) = target(&app, &model, &node, Some(&case), Some(&key)).await?;
    let body = body_bytes(body).await?;
    let values = webhook_values(&def, trigger(&def, &t)?, &body)?;
    receive(&app, t, &case, values).await
}
