//! `/scheduler/api/v1/schedulings/...`: reservation create, modify, delete and list.
//! Errors in the scheduler's `resultCode`/`resultDetail` form. See docs/dialects/brity.md,
//! "Reservations".

use super::auth::{acting_user, authorization, USER_AUTHENTICATION};
use super::jobs::refusal;
use super::jobs_wire::{as_fail, bad, fail, object_body, path_id, text};
use super::schedule_wire::{list_query, render, reservation, ORDER_BY};
use super::BrityError;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use sluice_store::oauth::Principal;
use sluice_store::rpa::schedules::ReservationRefusal;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/scheduler/api/v1/schedulings/job", post(create))
        .route(
            "/scheduler/api/v1/schedulings/job/{id}",
            post(modify).delete(delete),
        )
        .route("/scheduler/api/v1/schedulings/list", post(list))
}

/// Who a call acts for: the body's `userAuthentication` (as the job endpoints take it),
/// else the header, else the `Authorization` credential itself.
async fn acting(
    app: &AppState,
    headers: &HeaderMap,
    body: &Map<String, Value>,
) -> Result<Principal, BrityError> {
    let caller = authorization(headers, app).await.map_err(as_fail)?;
    let in_body = text(body, "userAuthentication").map_err(bad)?;
    let in_header = match headers.get(USER_AUTHENTICATION) {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| {
                    as_fail(BrityError::unauthorized(
                        "The userAuthentication header is malformed.",
                    ))
                })?
                .to_string(),
        ),
        None => None,
    };
    let given = in_body.filter(|v| !v.trim().is_empty()).or(in_header);
    acting_user(app, caller, given.as_deref())
        .await
        .map_err(as_fail)
}

fn refused(r: ReservationRefusal) -> BrityError {
    match r {
        ReservationRefusal::Invalid(m) => bad(m),
        ReservationRefusal::Job(r) => refusal(r),
        ReservationRefusal::BotNotInGroup => {
            bad("botId names a bot that is not in bot group botGroupId.")
        }
        ReservationRefusal::NotFound => not_found(),
        ReservationRefusal::Denied => fail(StatusCode::FORBIDDEN, "NO_AUTHORITY"),
    }
}

fn not_found() -> BrityError {
    fail(StatusCode::NOT_FOUND, "SCHEDULE_INFO_NOT_EXIST")
}

fn store_error(e: sluice_store::Error) -> BrityError {
    as_fail(e.into())
}

/// A reservation id from the path.
fn reservation_id(id: &str) -> Result<&str, BrityError> {
    path_id("id", id).map_err(bad)
}

/// `POST /scheduler/api/v1/schedulings/job`: a new reservation of the acting user (whose
/// jobs run as them); `{"id"}`.
async fn create(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let body = object_body(body).await.map_err(as_fail)?;
    let acting = acting(&app, &headers, &body).await?;
    let input = reservation(&body).map_err(bad)?;
    let Some(owner) = acting.user.as_ref() else {
        return Err(bad(
            "userAuthentication is required: the user the reservation's jobs run as.",
        ));
    };
    let id = app
        .store
        .create_reservation(acting.org.id, owner, input)
        .await
        .map_err(store_error)?
        .map_err(refused)?;
    Ok(Json(json!({ "id": id })))
}

/// `POST /scheduler/api/v1/schedulings/job/{id}`: replaces the reservation (owner or
/// administrator); `{"id"}`.
async fn modify(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let id = reservation_id(&id)?.to_string();
    let body = object_body(body).await.map_err(as_fail)?;
    let acting = acting(&app, &headers, &body).await?;
    let input = reservation(&body).map_err(bad)?;
    app.store
        .modify_reservation(acting.org.id, acting.user.as_ref(), &id, input)
        .await
        .map_err(store_error)?
        .map_err(refused)?;
    Ok(Json(json!({ "id": id })))
}

/// `DELETE /scheduler/api/v1/schedulings/job/{id}`: marks the reservation deleted (owner or
/// administrator); `{"id"}`.
async fn delete(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, BrityError> {
    let id = reservation_id(&id)?.to_string();
    let acting = acting(&app, &headers, &Map::new()).await?;
    app.store
        .delete_reservation(acting.org.id, acting.user.as_ref(), &id)
        .await
        .map_err(store_error)?
        .map_err(refused)?;
    Ok(Json(json!({ "id": id })))
}

/// `POST /scheduler/api/v1/schedulings/list`: the tenant's reservations, newest first.
async fn list(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let body = object_body(body).await.map_err(as_fail)?;
    let acting = acting(&app, &headers, &body).await?;
    let (q, parameter) = list_query(&body).map_err(bad)?;
    let (page, total) = app
        .store
        .reservation_page(acting.org.id, acting.user.as_ref(), &q)
        .await
        .map_err(store_error)?;
    let list: Vec<Value> = page.iter().map(render).collect();
    Ok(Json(json!({
        "request": {
            "offset": q.offset,
            "limit": q.limit,
            "parameter": parameter,
            "orderBy": ORDER_BY,
        },
        "totalCount": total,
        "list": list,
        "listCount": list.len(),
    })))
}
