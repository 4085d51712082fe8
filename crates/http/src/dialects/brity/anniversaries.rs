//! `/scheduler/api/v1/anniversary`: list, add, fix and delete anniversaries (Brity's holiday
//! calendar). Any user of the tenant may list; tenant administrators (or the tenant's own
//! client credential) write. Errors in the scheduler form (docs/dialects/brity.md,
//! "Anniversaries").

use super::auth::Caller;
use super::jobs_wire::{
    as_fail, bad, fail, int, nonempty, object, object_body, paging, path_id, yn,
};
use super::tenant_wire::is_tenant_admin;
use super::BrityError;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate};
use serde_json::{json, Map, Value};
use sluice_domain::schedule::anniversary::{format_day, parse_day, AnniversaryFields};
use sluice_store::oauth::Principal;
use sluice_store::rpa::anniversaries::{
    Anniversary, AnniversaryFilter, AnniversaryPatch, AnniversaryWrite,
};

/// The list's fixed order, as the answer's `request` echoes it.
const LIST_ORDER: &str = "anniversaryDay, anniversaryId";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/scheduler/api/v1/anniversary/list", post(list))
        .route("/scheduler/api/v1/anniversary", post(add_or_fix))
        .route(
            "/scheduler/api/v1/anniversary/{anniversaryId}",
            delete(remove),
        )
}

/// An anniversary as the list shows it (and add, fix and delete answer it).
fn render(a: &Anniversary) -> Map<String, Value> {
    let v = json!({
        "anniversaryId": a.id,
        "title": a.title,
        "anniversaryDay": format_day(a.day),
        "anniversaryType": a.kind,
        "restDayYn": if a.is_rest_day { "Y" } else { "N" },
        // A string, as the spec's bodies send it.
        "timezoneOffset": a.offset_minutes.to_string(),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn not_found() -> BrityError {
    fail(StatusCode::NOT_FOUND, "ANNIVERSARY_INFO_NOT_EXIST")
}

fn require_writer(p: &Principal) -> Result<(), BrityError> {
    if is_tenant_admin(p) {
        Ok(())
    } else {
        Err(fail(
            StatusCode::FORBIDDEN,
            "NO_AUTHORITY: only a tenant administrator may change anniversaries.",
        ))
    }
}

/// A day filter: "2022.05.05", "2022-05-05", or a zoned date-time (its date where it is
/// written).
fn filter_day(field: &'static str, value: &str) -> Result<NaiveDate, String> {
    if let Ok(day) = parse_day(field, value) {
        return Ok(day);
    }
    let v = value.trim();
    let v = match v.find('[') {
        Some(i) if v.ends_with(']') => &v[..i],
        _ => v,
    };
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.date_naive())
        .map_err(|_| format!("{field} must be a date such as 2022.05.05 (or a zoned date-time)."))
}

fn kind(m: &Map<String, Value>) -> Result<Option<i32>, String> {
    let refused = || {
        "anniversaryType must be 1 (national holiday), 2 (company anniversary), 3 (lunar calendar) or 4 (other).".to_string()
    };
    match int(m, "anniversaryType").map_err(|_| refused())? {
        None => Ok(None),
        Some(k) if (1..=4).contains(&k) => Ok(Some(k as i32)),
        Some(_) => Err(refused()),
    }
}

fn list_filter(p: &Map<String, Value>) -> Result<AnniversaryFilter, String> {
    let day = |field: &'static str| -> Result<Option<NaiveDate>, String> {
        nonempty(p, field)?
            .map(|v| filter_day(field, &v))
            .transpose()
    };
    Ok(AnniversaryFilter {
        from: day("startDatetime")?,
        to: day("endDatetime")?,
        title: nonempty(p, "name")?,
        kind: kind(p)?,
    })
}

/// `POST /scheduler/api/v1/anniversary/list`.
async fn list(
    State(app): State<AppState>,
    caller: Result<Caller, BrityError>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let Caller(p) = caller.map_err(as_fail)?;
    let body = object_body(body).await.map_err(as_fail)?;
    let (offset, limit) = paging(&body).map_err(bad)?;
    let params = object(&body, "parameter").map_err(bad)?.unwrap_or_default();
    let filter = list_filter(&params).map_err(bad)?;
    let (rows, total) = app
        .store
        .anniversary_page(p.org.id, &filter, offset, limit)
        .await
        .map_err(|e| as_fail(e.into()))?;
    let list: Vec<Value> = rows.iter().map(|a| Value::Object(render(a))).collect();
    Ok(Json(json!({
        "request": {"offset": offset, "limit": limit, "parameter": params, "orderBy": LIST_ORDER},
        "totalCount": total,
        "list": list,
        "listCount": list.len(),
    })))
}

/// The fields of an add or fix body; each `None` when not given.
fn patch(body: &Map<String, Value>) -> Result<AnniversaryPatch, String> {
    let offset = match int(body, "timezoneOffset") {
        Ok(None) => None,
        Ok(Some(o)) => Some(i32::try_from(o).unwrap_or(i32::MAX)),
        Err(_) => {
            return Err(
                "timezoneOffset must be a whole number of minutes, such as -540 for UTC+9.".into(),
            )
        }
    };
    Ok(AnniversaryPatch {
        title: nonempty(body, "title")?,
        day: nonempty(body, "anniversaryDay")?
            .map(|d| parse_day("anniversaryDay", &d).map_err(|e| e.message))
            .transpose()?,
        kind: kind(body)?,
        rest_day: yn(body.get("restDayYn"), "restDayYn")?,
        offset_minutes: offset,
    })
}

/// `POST /scheduler/api/v1/anniversary`: adds one, or fixes the one `anniversaryId` names.
async fn add_or_fix(
    State(app): State<AppState>,
    caller: Result<Caller, BrityError>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let Caller(p) = caller.map_err(as_fail)?;
    require_writer(&p)?;
    let body = object_body(body).await.map_err(as_fail)?;
    let id = nonempty(&body, "anniversaryId").map_err(bad)?;
    let patch = patch(&body).map_err(bad)?;
    let written = match id {
        Some(id) => {
            let id = path_id("anniversaryId", &id).map_err(bad)?;
            app.store.fix_anniversary(p.org.id, id, patch).await
        }
        None => {
            let required = |what: &str| bad(format!("{what} is required."));
            let fields = AnniversaryFields {
                title: patch.title.ok_or_else(|| required("title"))?,
                day: patch.day.ok_or_else(|| required("anniversaryDay"))?,
                kind: patch.kind.ok_or_else(|| required("anniversaryType"))?,
                rest_day: patch.rest_day.unwrap_or(false),
                offset_minutes: patch
                    .offset_minutes
                    .ok_or_else(|| required("timezoneOffset"))?,
            };
            let by = p.user.as_ref().map(|u| u.id);
            app.store.add_anniversary(p.org.id, by, fields).await
        }
    }
    .map_err(|e| as_fail(e.into()))?;
    match written {
        AnniversaryWrite::Done(a) => {
            let mut answer = render(&a);
            answer.insert("resultCode".into(), json!("SUCCESS"));
            Ok(Json(Value::Object(answer)))
        }
        AnniversaryWrite::NotFound => Err(not_found()),
        AnniversaryWrite::Duplicate => Err(bad_request_duplicate()),
    }
}

fn bad_request_duplicate() -> BrityError {
    fail(
        StatusCode::BAD_REQUEST,
        "DUPLICATED_NAME: the tenant has an anniversary of this title on this day already.",
    )
}

/// `DELETE /scheduler/api/v1/anniversary/{anniversaryId}`.
async fn remove(
    State(app): State<AppState>,
    caller: Result<Caller, BrityError>,
    Path(id): Path<String>,
) -> Result<Json<Value>, BrityError> {
    let id = path_id("anniversaryId", &id).map_err(bad)?.to_string();
    let Caller(p) = caller.map_err(as_fail)?;
    require_writer(&p)?;
    let deleted = app
        .store
        .delete_anniversary(p.org.id, &id)
        .await
        .map_err(|e| as_fail(e.into()))?
        .ok_or_else(not_found)?;
    let mut answer = render(&deleted);
    answer.insert("resultCode".into(), json!("SUCCESS"));
    Ok(Json(Value::Object(answer)))
}
