//! The API keys of HTTP-triggered BPMN events (message starts, receive tasks): shown to
//! administrators with the URLs that use them, and rotated here. Keys are issued the first
//! time a version's keys are listed (docs/dialects/questetra.md, "HTTP-triggered events").

use super::{ApiError, Bearer};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sluice_domain::{Error as DomainError, NodeId, OrgId, WorkflowId};
use sluice_store::oauth::Principal;
use sluice_store::workflows::event_keys::{EventKey, EventKind};
use sluice_store::Error as StoreError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's documented routes, added to the native API's.
pub(super) fn routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(list_event_keys))
        .routes(routes!(rotate_event_key))
}

/// An HTTP-triggered node of a version, its key and the Questetra URLs (paths on this
/// server) that trigger it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EventKeyOut {
    node_id: i64,
    /// The BPMN element id (the URLs name the node by it when present).
    bpmn_key: Option<String>,
    /// `start` (message start event) or `receive` (receive task).
    kind: &'static str,
    /// `slu_evt_...`: the `key` of the URLs.
    key: String,
    /// Request parameters mapped to fields (query string or form body).
    http_url: String,
    /// The raw JSON body stored in the trigger's body field. A receive's URL has the
    /// placeholder `{processInstanceId}` for the case.
    webhook_url: String,
    created_at: DateTime<Utc>,
    rotated_at: Option<DateTime<Utc>>,
}

impl From<EventKey> for EventKeyOut {
    fn from(k: EventKey) -> Self {
        let family = k.family.0;
        let node = k.bpmn_key.clone().unwrap_or_else(|| k.node.0.to_string());
        let node = urlencoding(&node);
        let key = &k.key;
        let (http_url, webhook_url) = match k.kind {
            EventKind::Start => (
                format!("/System/Event/MessageStart/{family}/{node}/start?key={key}"),
                format!("/System/Event/MessageStartHttp/{family}/{node}/{key}/start"),
            ),
            EventKind::Receive => (
                format!("/System/ReceiveTask/HttpPost/{family}/{node}/receive?key={key}"),
                format!(
                    "/System/ReceiveTask/Http/{family}/{node}/{{processInstanceId}}/{key}/receive"
                ),
            ),
        };
        EventKeyOut {
            node_id: k.node.0,
            bpmn_key: k.bpmn_key,
            kind: k.kind.code(),
            key: k.key,
            http_url,
            webhook_url,
            created_at: k.created_at,
            rotated_at: k.rotated_at,
        }
    }
}

/// Percent-encodes a path segment (BPMN ids are XML NCNames: mostly safe already).
fn urlencoding(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The organization of an administrator (or of an organization-level credential).
fn admin_org(p: &Principal) -> Result<OrgId, ApiError> {
    match &p.user {
        Some(u) if !u.is_admin => Err(ApiError::from(StoreError::Domain(DomainError::Forbidden(
            "Only an organization administrator may see or rotate event keys.".into(),
        )))),
        _ => Ok(p.org.id),
    }
}

/// A path id: anything but a number names nothing.
fn number(s: &str, what: &str) -> Result<i64, ApiError> {
    s.parse()
        .map_err(|_| ApiError::not_found(format!("{what} {s:?} not found.")))
}

/// The HTTP-triggered nodes of a workflow version with their keys and URLs.
#[utoipa::path(get, path = "/api/v1/workflows/{id}/event-keys", tag = "workflows",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Workflow version id")),
    responses(
        (status = 200, description = "The version's message start and receive nodes", body = [EventKeyOut]),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
        (status = 404, description = "No such version in the organization", body = super::error::ErrorBody),
    ))]
pub(crate) async fn list_event_keys(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<String>,
) -> Result<Json<Vec<EventKeyOut>>, ApiError> {
    let org = admin_org(&p)?;
    let id = number(&id, "Workflow")?;
    let keys = app
        .store
        .event_keys(org, WorkflowId(id), &app.secret_key)
        .await?;
    Ok(Json(keys.into_iter().map(EventKeyOut::from).collect()))
}

/// Gives a node a new key; the old one stops working at once, in every version sharing it.
#[utoipa::path(post, path = "/api/v1/workflows/{id}/event-keys/{node_id}/rotate", tag = "workflows",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Workflow version id"),
        ("node_id" = i64, Path, description = "A message start or receive node of the version"),
    ),
    responses(
        (status = 200, description = "The node with its new key", body = EventKeyOut),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
        (status = 404, description = "No such version, or no such event node in it", body = super::error::ErrorBody),
    ))]
pub(crate) async fn rotate_event_key(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    Path((id, node)): Path<(String, String)>,
) -> Result<Json<EventKeyOut>, ApiError> {
    let org = admin_org(&p)?;
    let (id, node) = (number(&id, "Workflow")?, number(&node, "Node")?);
    let key = app
        .store
        .rotate_event_key(org, WorkflowId(id), NodeId(node), &app.secret_key)
        .await?;
    Ok(Json(key.into()))
}
