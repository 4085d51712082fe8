//! ProcessModel: `/API/Admin/ProcessModel/list`, `/API/PE/ProcessModel/listStartable` and
//! `/API/PMM/ProcessModel/{processModelInfoId}/stop|release`. A process model is a
//! workflow family; stop inactivates its active version, release activates its latest
//! finalized one.

use super::super::wire::{self, ok, Caller, Params, QError, QResult};
use super::instances::path_id;
use super::{render, viewer};
use crate::AppState;
use axum::extract::{Path, State};
use serde_json::json;
use sluice_domain::FamilyId;
use sluice_store::questetra::ProcessAuthorityKind;

fn store_err(e: sluice_store::Error) -> QError {
    QError::store(e, &[("Process model", "processModelInfoId")])
}

/// `category`, `starredOnly` and `dbFile` name things Sluice's workflows do not have: a
/// category or a file matches nothing, starredOnly=true matches nothing.
fn matches_nothing(p: &Params) -> Result<bool, QError> {
    Ok(p.text("category").is_some()
        || p.text("dbFile").is_some()
        || p.bool("starredOnly")?.unwrap_or(false))
}

/// `GET /API/Admin/ProcessModel/list` (limit, start, category, query, starredOnly,
/// dbFile): every process model, for administrators.
pub(crate) async fn list_all(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let page = wire::page(&p)?;
    let query = wire::query(&p)?;
    if matches_nothing(&p)? {
        return ok(json!({"count": 0, "processModelInfos": []}));
    }
    let (count, list) = app
        .store
        .process_models(caller.org.id, query, page)
        .await
        .map_err(store_err)?;
    let list: Vec<_> = list.iter().map(render::process_model).collect();
    ok(json!({"count": count, "processModelInfos": list}))
}

/// `GET /API/PE/ProcessModel/listStartable` (limit, start, category, query): the start
/// nodes of active versions the caller may start cases of.
pub(crate) async fn list_startable(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    let page = wire::page(&p)?;
    let query = wire::query(&p)?;
    if p.text("category").is_some() {
        return ok(json!({"count": 0, "startableActivities": []}));
    }
    let (count, list) = app
        .store
        .startable_activities(caller.org.id, caller.user_id(), query, page)
        .await
        .map_err(store_err)?;
    let list: Vec<_> = list.iter().map(render::activity).collect();
    ok(json!({"count": count, "startableActivities": list}))
}

/// System administrators, the organization's client and the model's app administrators.
async fn require_app_admin(
    app: &AppState,
    caller: &Caller,
    family: FamilyId,
) -> Result<(), QError> {
    if caller.is_admin() {
        return Ok(());
    }
    let kinds = app
        .store
        .process_authority_kinds(caller.org.id, viewer(caller), family)
        .await
        .map_err(store_err)?;
    if kinds.contains(&ProcessAuthorityKind::AppAdministrator) {
        Ok(())
    } else {
        Err(QError::forbidden(
            "Only administrators and the app's administrators may manage process models.",
        ))
    }
}

/// `POST /API/PMM/ProcessModel/{processModelInfoId}/stop`.
pub(crate) async fn stop(
    State(app): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> QResult {
    let family = FamilyId(path_id(&raw, "processModelInfoId")?);
    require_app_admin(&app, &caller, family).await?;
    app.store
        .stop_process_model(caller.org.id, family)
        .await
        .map_err(store_err)?;
    wire::done()
}

/// `POST /API/PMM/ProcessModel/{processModelInfoId}/release` (note ignored).
pub(crate) async fn release(
    State(app): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    p: Params,
) -> QResult {
    let family = FamilyId(path_id(&raw, "processModelInfoId")?);
    if p.text("note").is_some_and(|n| n.chars().count() > 1000) {
        return Err(QError::param(
            "note",
            "note must be at most 1000 characters.",
        ));
    }
    require_app_admin(&app, &caller, family).await?;
    let w = app
        .store
        .release_process_model(caller.org.id, family)
        .await
        .map_err(store_err)?;
    ok(json!({"processModelInfoId": family.0, "processModelId": w.id.0, "version": w.version}))
}
