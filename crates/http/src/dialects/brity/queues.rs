//! Message queues: durable, expiring messages, each popped by exactly one consumer.
//! `/asset/api/v1/messageQueue/...`: queue create, send (text or file), receive, delete and
//! list (docs/dialects/brity.md, "Queues"). Running bot processes call them with their job
//! token (see `queue_auth`).

use super::json_body::read_json;
use super::queue_auth::QueueCaller;
use super::queue_wire::{
    created, listed, message_response, password, peek, queue_error, read_message, CreateBody,
    MULTIPART_OVERHEAD,
};
use super::BrityError;
use crate::AppState;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sluice_store::rpa::queue_messages::MAX_MESSAGE_BYTES;
use sluice_store::rpa::queues::NewQueue;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/asset/api/v1/messageQueue/use/1/{name}", post(create))
        .route("/asset/api/v1/messageQueue/end/1/{name}", delete(remove))
        .route("/asset/api/v1/messageQueue/list", post(list))
        .route("/asset/api/v1/messageQueue/{name}", post(send).get(receive))
        // Multipart sends are read field by field within this limit (see `read_message`).
        .layer(DefaultBodyLimit::max(
            MAX_MESSAGE_BYTES + MULTIPART_OVERHEAD,
        ))
}

/// Creates a queue named by the path; the body's `name`, if any, must be the same.
async fn create(
    State(state): State<AppState>,
    QueueCaller(caller): QueueCaller,
    Path(name): Path<String>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let b: CreateBody = read_json(body).await?.unwrap_or_default();
    let name = name.as_str();
    if let Some(other) = b.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        if other != name {
            return Err(BrityError::invalid(format!(
                "The body's name {other:?} is not the queue name of the path {name:?}."
            )));
        }
    }
    let queue = state
        .store
        .create_queue(
            &caller,
            &NewQueue {
                name,
                description: b.desc.as_deref().unwrap_or(""),
                expiration_secs: b.message_expiration_time.unwrap_or(0),
                is_system: b.is_system_queue.unwrap_or(false),
                is_used: b.is_used.unwrap_or(true),
                is_secure: b.is_secure_queue.unwrap_or(false),
                password: b.password.as_deref(),
            },
        )
        .await
        .map_err(queue_error)?;
    Ok(Json(created(&queue)))
}

/// Deletes a queue and its messages.
async fn remove(
    State(state): State<AppState>,
    QueueCaller(caller): QueueCaller,
    Path(name): Path<String>,
) -> Result<Json<Value>, BrityError> {
    state
        .store
        .delete_queue(&caller, &name)
        .await
        .map_err(queue_error)?;
    Ok(Json(json!({"result": "SUCC"})))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListBody {
    #[serde(default)]
    search_name: Option<String>,
}

/// The tenant's queues, by name; `searchName` keeps those whose name holds it (any case).
async fn list(
    State(state): State<AppState>,
    QueueCaller(caller): QueueCaller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let b: ListBody = read_json(body).await?.unwrap_or_default();
    let queues = state
        .store
        .queue_list(&caller, b.search_name.as_deref())
        .await?;
    Ok(Json(Value::Array(queues.iter().map(listed).collect())))
}

/// Sends a text (the raw body) or a file (multipart field `file`); the queue's size after.
async fn send(
    State(state): State<AppState>,
    QueueCaller(caller): QueueCaller,
    Path(name): Path<String>,
    req: Request,
) -> Result<Json<Value>, BrityError> {
    let password = password(req.headers())?;
    // The queue is checked first: a send to a queue that does not exist (or is closed to
    // the caller) is refused without reading its body.
    let queue = state
        .store
        .queue_for_use(&caller, &name, password.as_deref())
        .await
        .map_err(queue_error)?;
    let message = read_message(req, &state).await?;
    let size = state
        .store
        .send_message(&queue, &message, &state.secret_key)
        .await
        .map_err(queue_error)?;
    Ok(Json(json!({"queueSize": size})))
}

/// Takes the oldest message (`peek=Y`: looks at it and leaves it); 204 when there is none.
async fn receive(
    State(state): State<AppState>,
    QueueCaller(caller): QueueCaller,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: axum::http::HeaderMap,
) -> Result<Response, BrityError> {
    let peek = peek(raw.as_deref())?;
    let password = password(&headers)?;
    let queue = state
        .store
        .queue_for_use(&caller, &name, password.as_deref())
        .await
        .map_err(queue_error)?;
    Ok(
        match state
            .store
            .receive_message(&queue, peek, &state.secret_key)
            .await?
        {
            Some(m) => message_response(m),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}
