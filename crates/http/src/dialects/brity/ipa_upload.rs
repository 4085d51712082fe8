//! Package upload: `POST /asset/api/v1/ipaUpload/check` (would this package upload?) and
//! `POST /asset/api/v1/ipaUpload/upload`, multipart bodies with `type`, `pwd`, `file` and
//! the optional `data` (`{"autoActivation":"Y"}`). Packages are Sluice's own format
//! (docs/package-format.md); refusals carry Brity's failure codes.

use super::asset_wire::yn;
use super::{BrityError, Caller};
use crate::AppState;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use sluice_domain::Error as DomainError;
use sluice_package::ObjectKind;
use sluice_store::oauth::Principal;
use sluice_store::rpa::asset_error::AssetError;
use sluice_store::rpa::packages::{Upload, UploadPlan};
use sluice_store::Error as StoreError;
use std::sync::Arc;

/// Largest accepted upload (the package inflates to at most 256 MiB).
const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/asset/api/v1/ipaUpload/check", post(check))
        .route("/asset/api/v1/ipaUpload/upload", post(upload))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

/// The multipart fields of an upload.
#[derive(Default)]
struct Form {
    kind: Option<String>,
    password: Option<String>,
    file: Option<(String, Arc<Vec<u8>>)>,
    auto_activation: bool,
}

fn too_large() -> BrityError {
    BrityError::coded(
        StatusCode::PAYLOAD_TOO_LARGE,
        "INVALID_PARAMETER",
        super::error::codes::INVALID,
        format!("The upload is larger than {MAX_UPLOAD_BYTES} bytes."),
    )
}

fn multipart_error(e: MultipartError) -> BrityError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        BrityError::invalid(format!(
            "The multipart body is malformed: {}",
            e.body_text()
        ))
    }
}

async fn read_form(multipart: Result<Multipart, MultipartRejection>) -> Result<Form, BrityError> {
    let mut multipart = multipart.map_err(|e| {
        BrityError::invalid(format!(
            "The body must be multipart/form-data with the fields type, pwd and file ({}).",
            e.body_text()
        ))
    })?;
    let mut form = Form::default();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                let file_name = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(multipart_error)?;
                // `Vec::from` reuses the buffer when it is not shared.
                form.file = Some((file_name, Arc::new(Vec::from(bytes))));
            }
            "type" | "pwd" | "data" | "autoActivation" => {
                let text = field.text().await.map_err(multipart_error)?;
                match name.as_str() {
                    "type" => form.kind = Some(text),
                    "pwd" => form.password = Some(text),
                    "autoActivation" => {
                        form.auto_activation = text.trim().eq_ignore_ascii_case("Y")
                    }
                    _ => form.auto_activation |= auto_activation(&text)?,
                }
            }
            // Other fields are passed over, as a form post may carry extras.
            _ => {}
        }
    }
    Ok(form)
}

/// `data`: `{"autoActivation":"Y"}` (an empty value is no option).
fn auto_activation(data: &str) -> Result<bool, BrityError> {
    if data.trim().is_empty() {
        return Ok(false);
    }
    let v: Value = serde_json::from_str(data)
        .map_err(|e| BrityError::invalid(format!("data is not a JSON object: {e}")))?;
    if !v.is_object() {
        return Err(BrityError::invalid("data is not a JSON object."));
    }
    Ok(v["autoActivation"]
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("Y")))
}

fn kind_of(form: &Form) -> Result<ObjectKind, BrityError> {
    match form
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        None => Ok(ObjectKind::Project),
        Some(k) => ObjectKind::parse(k)
            .ok_or_else(|| BrityError::invalid(format!("type {k:?} is not project or workflow."))),
    }
}

/// Brity's name of an object kind.
fn type_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Project => "Project",
        ObjectKind::Workflow => "WorkFlow",
        ObjectKind::Workspace => "Workspace",
    }
}

fn upload_of(form: &Form, kind: ObjectKind) -> Option<Upload<'_>> {
    let (file_name, bytes) = form.file.as_ref().filter(|(_, b)| !b.is_empty())?;
    Some(Upload {
        kind,
        bytes: bytes.clone(),
        password: form.password.as_deref().filter(|p| !p.is_empty()),
        file_name,
        auto_activation: form.auto_activation,
    })
}

/// An upload refused for its content: 400 with the upload's own form.
fn upload_failure(kind: ObjectKind, name: Option<&str>, code: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "id": null, "name": name, "version": null, "type": type_name(kind),
            "resultType": "FAIL", "message": code,
        })),
    )
        .into_response()
}

/// The failure code and target of a refused package, or the error to answer as such.
fn verdict(e: AssetError) -> Result<(&'static str, Option<String>), BrityError> {
    match e {
        AssetError::Package(p) => Ok((p.code(), p.target().map(str::to_string))),
        AssetError::Upload { code, .. } => Ok((code, None)),
        AssetError::Store(StoreError::Domain(DomainError::Forbidden(_))) => {
            Ok(("OBJECT_CAN_NOT_CREATE", None))
        }
        other => Err(super::asset_wire::asset_error(other)),
    }
}

async fn upload(
    State(state): State<AppState>,
    Caller(caller): Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, BrityError> {
    let form = read_form(multipart).await?;
    let kind = kind_of(&form)?;
    let Some(up) = upload_of(&form, kind) else {
        return Ok(upload_failure(kind, None, "FILE_IS_NOT_EXIST"));
    };
    match state.store.upload_package(&caller, &up).await {
        Ok(done) => Ok(Json(json!({
            "id": done.id, "name": done.name, "version": done.version,
            "type": type_name(done.kind), "resultType": "SUCCESS", "message": null,
        }))
        .into_response()),
        Err(AssetError::Package(p)) => Ok(upload_failure(kind, None, p.code())),
        Err(AssetError::Upload { code, .. }) => Ok(upload_failure(kind, None, code)),
        Err(other) => Err(super::asset_wire::asset_error(other)),
    }
}

async fn check(
    State(state): State<AppState>,
    Caller(caller): Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<Value>, BrityError> {
    let form = read_form(multipart).await?;
    let kind = kind_of(&form)?;
    let Some(up) = upload_of(&form, kind) else {
        return Ok(Json(failed_check(kind, "FILE_IS_NOT_EXIST", None)));
    };
    match state.store.plan_upload(&caller, &up).await {
        Ok(plan) => Ok(Json(report(&caller, kind, &plan))),
        Err(e) => {
            let (code, target) = verdict(e)?;
            Ok(Json(failed_check(kind, code, target)))
        }
    }
}

fn failed_check(kind: ObjectKind, code: &str, target: Option<String>) -> Value {
    json!({
        "objectType": type_name(kind),
        "objectName": null,
        "objectId": null,
        "objectDesc": null,
        "objectVersion": null,
        "designerVersion": null,
        "attributes": null,
        "validationResultList": [{"type": "FAIL", "message": code, "target": target}],
        "objectList": null,
    })
}

/// `YYYY-MM-DD hh:mm:ss` (UTC), as the check's attributes show times.
fn shown(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A successful check: what the upload would create, with the caller's authorities. A
/// new version the caller may not upload (no U) is reported as failing.
fn report(caller: &Principal, kind: ObjectKind, plan: &UploadPlan) -> Value {
    let m = &plan.manifest;
    let login = caller.user.as_ref().map(|u| u.login.clone());
    let permission: Vec<String> = "ARSDEU"
        .chars()
        .filter(|c| plan.authorities.has(*c))
        .map(String::from)
        .collect();
    let existing = plan.existing.as_ref();
    let validation = if existing.is_some() && !plan.authorities.has('U') {
        json!([{"type": "FAIL", "message": "OBJECT_CAN_NOT_CREATE", "target": m.name}])
    } else {
        json!([{"type": "SUCCESS", "message": null, "target": null}])
    };
    let main_work_type = m
        .main()
        .map(|p| p.work_type.as_str())
        .unwrap_or("foreground");
    let processes: Vec<Value> = m
        .processes
        .iter()
        .zip(&plan.process_ids)
        .map(|(p, (_, id))| {
            json!({
                "objectType": "Process",
                "objectName": p.name,
                "objectId": id,
                "objectDesc": null,
                "objectVersion": "",
                "designerVersion": m.designer_version,
                "attributes": {
                    "LastModifiedDate": "",
                    "LastModifiedBy": "",
                    "DesignedBy": "Designer",
                    "Description": p.description,
                    "onError": "",
                    "CreatedBy": "",
                    "Os": "",
                    "Timeout": p.timeout_seconds.to_string(),
                    "isMain": (p.name == m.main_process).to_string(),
                    "isValid": "true",
                    "lastPublishedServer": "",
                    "type": "process",
                    "LastPublishedDate": "",
                    "onBefore": "",
                    "onAfter": "",
                    "readonly": "false",
                    "workType": p.work_type.as_str(),
                    "CreatedDate": "",
                    "LastPublishedBy": "",
                    "RunningTime": "0",
                    "Resolution": "",
                },
                "validationResultList": null,
                "objectList": null,
            })
        })
        .collect();
    json!({
        "objectType": type_name(kind),
        "objectName": m.name,
        "objectId": plan.object_id,
        "objectDesc": m.description,
        "objectVersion": plan.version,
        "designerVersion": m.designer_version,
        "attributes": {
            "lastPublishedDate": existing.map(|p| shown(p.updated_at)).unwrap_or_default(),
            "createdDate": existing.map(|p| shown(p.created_at)).unwrap_or_default(),
            "latestProcess": m.main_process,
            "userPermission": permission.join(";"),
            "createdBy": existing.map_or(login.clone(), |p| p.created_by_login.clone()).unwrap_or_default(),
            "namespace": "",
            "workType": main_work_type,
            "lastPublishedBy": existing.and_then(|p| p.updated_by_login.clone()).unwrap_or_default(),
            "category": kind.as_str(),
            "isExist": yn(existing.is_some()),
        },
        "validationResultList": validation,
        "objectList": processes,
    })
}
