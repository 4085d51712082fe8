//! Projects: view (`GET objects/project?id=&detail=Y`, and with `version=` the package
//! download its `downloadUrl` names), create, delete, stop/restart, owner change of
//! projects, process flows and outlines, copy, and the process package download.

use super::asset_wire::{
    asset_error, json_body, lenient_i64, lenient_string, millis, query, required, yn,
};
use super::{BrityError, Caller};
use crate::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sluice_store::rpa::project_copy::CopyRequest;
use sluice_store::rpa::projects::Project;
use std::collections::BTreeMap;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/asset/api/v1/objects/project",
            get(view_or_download).delete(delete),
        )
        .route("/asset/api/v1/objects/create/project", post(create))
        .route("/asset/api/v1/objects/project/status", post(status))
        .route("/asset/api/v1/objects/project/owner", put(owner_project))
        .route("/asset/api/v1/objects/workflow/owner", put(owner_workflow))
        .route(
            "/asset/api/v1/objects/workspace/owner",
            put(owner_workspace),
        )
        // The spec says DELETE (surely a slip); POST is accepted too.
        .route(
            "/asset/api/v1/objects/project/copy",
            post(copy).delete(copy),
        )
        .route("/asset/api/v1/objects/process", get(download_process))
}

/// `downloadUrl` of an object version.
fn download_url(kind: &str, id: &str, version: &str) -> String {
    format!("/asset/api/v1/objects/{kind}?id={id}&version={version}")
}

/// The view (`detail=Y`) or, with `version`, the package of that version.
async fn view_or_download(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, BrityError> {
    let q = query(raw.as_deref())?;
    let id = required(&q, "id")?;
    if let Some(version) = super::asset_wire::param(&q, "version") {
        return download(&state, &caller, id, version).await;
    }
    let (p, auth) = state
        .store
        .project_with_authority(&caller, None, id, 'R')
        .await?;
    let has = |c: char| auth.has(c);
    Ok(Json(json!({
        "objectActivation": yn(p.is_activated),
        "createUserId": p.created_by_login,
        "objectStatus": p.status,
        "os": null,
        "updateUserId": p.updated_by_login,
        "filePath": p.file_path,
        "downloadUrl": download_url("project", &p.id, &p.version),
        "ownerId": p.owner_login,
        "version": p.version,
        "resolution": null,
        "updateTimestamp": millis(p.updated_at),
        "userHasAuth": {
            "A": has('A'), "R": has('R'), "S": has('S'), "D": has('D'), "E": has('E'), "U": has('U'),
        },
        "name": p.name,
        "designerVersion": p.designer_version,
        "category": p.category,
        "objectId": p.id,
        "desc": p.description,
    }))
    .into_response())
}

/// A package as a zip download.
async fn download(
    state: &AppState,
    caller: &sluice_store::oauth::Principal,
    id: &str,
    version: &str,
) -> Result<Response, BrityError> {
    let Some((name, bytes)) = state.store.object_package(caller, id, version).await? else {
        return Err(BrityError::not_found(format!(
            "Version {version} of {id} has no package."
        )));
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        name.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '_',
            "_"
        )
    );
    let mut res = Body::from(bytes).into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The package of the project version holding a process version (the process inquiry's
/// `downloadUrl`).
async fn download_process(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, BrityError> {
    let q = query(raw.as_deref())?;
    let id = required(&q, "id")?;
    let version = super::asset_wire::param(&q, "version");
    let process = state
        .store
        .runnable_process(caller.org.id, id, version)
        .await?;
    download(&state, &caller, &process.project_id, &process.version).await
}

async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, BrityError> {
    let q = query(raw.as_deref())?;
    state
        .store
        .delete_project(&caller, required(&q, "id")?)
        .await?;
    Ok(Json(json!({"result": "SUCCESS"})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    #[serde(default)]
    desc: String,
}

async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let b: CreateBody = json_body(body).await?;
    let p = state
        .store
        .create_project(&caller, b.name.trim(), &b.desc)
        .await
        .map_err(asset_error)?;
    Ok(Json(created(&p)))
}

/// A created project in Brity's form.
fn created(p: &Project) -> Value {
    json!({
        "managerUsrId": null,
        "createUserId": p.created_by_login,
        "updateDatetime": millis(p.updated_at),
        "os": null,
        "applyStartDate": null,
        "updateUserId": p.updated_by_login,
        "filePath": p.file_path,
        "typeName": "Project",
        "applyEndDate": null,
        "type": 1,
        "version": p.version,
        "resolution": null,
        "delYn": "N",
        "createDatetime": millis(p.created_at),
        "name": p.name,
        "workType": "foreground",
        "designerVersion": p.designer_version,
        "id": p.id,
        "activation": yn(p.is_activated),
        "category": p.category,
        "desc": p.description,
        "status": p.status,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusBody {
    object_id: String,
    #[serde(default, deserialize_with = "lenient_i64")]
    object_status: Option<i64>,
}

/// Stop (`objectStatus` 0) or restart (1).
async fn status(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let b: StatusBody = json_body(body).await?;
    let run = match b.object_status {
        Some(0) => false,
        Some(1) => true,
        _ => {
            return Err(BrityError::invalid(
                "objectStatus must be 0 (stop) or 1 (restart).",
            ))
        }
    };
    state
        .store
        .set_project_running(&caller, b.object_id.trim(), run)
        .await?;
    Ok(Json(json!({"result": "SUCCESS"})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnerBody {
    object_id: String,
    #[serde(deserialize_with = "lenient_string")]
    owner_id: Option<String>,
}

async fn owner(
    state: AppState,
    caller: Caller,
    category: &str,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let b: OwnerBody = json_body(body).await?;
    let owner = b
        .owner_id
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .ok_or_else(|| BrityError::invalid("ownerId is required."))?;
    // A login may come as `login@ABBR`.
    let login = owner.split('@').next().unwrap_or(owner);
    let name = state
        .store
        .change_owner(&caller.0, category, b.object_id.trim(), login)
        .await?;
    Ok(Json(json!({"result": "Success", "name": name})))
}

async fn owner_project(
    State(s): State<AppState>,
    c: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    owner(s, c, "project", body).await
}

async fn owner_workflow(
    State(s): State<AppState>,
    c: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    owner(s, c, "workflow", body).await
}

async fn owner_workspace(
    State(s): State<AppState>,
    c: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    owner(s, c, "workspace", body).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CopyItem {
    id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    version: Option<String>,
    target_name: String,
    #[serde(default)]
    names: Option<BTreeMap<String, String>>,
}

/// Copies one project (`{"projectId"}`) or several at once (an array of those).
async fn copy(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    // The spec's body is an array; a single object is taken as an array of one.
    let raw: Value = json_body(body).await?;
    let items: Vec<CopyItem> = match raw {
        Value::Array(_) => serde_json::from_value(raw),
        other => serde_json::from_value(other).map(|one| vec![one]),
    }
    .map_err(|e| BrityError::invalid(format!("Invalid request body: {e}")))?;
    if items.is_empty() {
        return Err(BrityError::invalid("The request names no project to copy."));
    }
    if items.len() > 100 {
        return Err(BrityError::invalid(
            "At most 100 projects are copied at once.",
        ));
    }
    let requests: Vec<CopyRequest> = items
        .into_iter()
        .map(|i| CopyRequest {
            id: i.id.trim().to_string(),
            version: i.version,
            target_name: i.target_name.trim().to_string(),
            names: i.names.unwrap_or_default(),
        })
        .collect();
    let ids = state
        .store
        .copy_projects(&caller, &requests)
        .await
        .map_err(asset_error)?;
    let mut out: Vec<Value> = ids.iter().map(|id| json!({"projectId": id})).collect();
    Ok(Json(if out.len() == 1 {
        out.remove(0)
    } else {
        Value::Array(out)
    }))
}
