//! ProcessAuthority: `/API/Admin/ProcessAuthority/*`, authorities over one process model
//! (0 app administrator, 1 process manager, 2 data viewer, 3 progress viewer) granted to
//! users, units or roles; for administrators.

use super::super::wire::{self, ok, Caller, Params, QError, QResult};
use super::render;
use crate::AppState;
use axum::extract::State;
use serde_json::json;
use sluice_domain::identity::Grantee;
use sluice_domain::{DeptId, FamilyId, RoleId, UserId};
use sluice_store::questetra::ProcessAuthorityKind;

fn kind(p: &Params, required: bool) -> Result<Option<ProcessAuthorityKind>, QError> {
    match p.int("type", 0, 3)? {
        Some(code) => Ok(ProcessAuthorityKind::from_code(code)),
        None if required => Err(QError::param("type", "type is required.")),
        None => Ok(None),
    }
}

async fn grant(app: &AppState, caller: &Caller, p: &Params, to: Grantee, param: &str) -> QResult {
    let family = FamilyId(p.required_id("processModelInfoId")?);
    let kind = kind(p, true)?.expect("required");
    let prefix = match to {
        Grantee::User(_) => "User",
        Grantee::Unit { .. } => "Unit",
        Grantee::Role(_) => "Role",
    };
    let a = app
        .store
        .grant_process_authority(caller.org.id, family, kind, to)
        .await
        .map_err(|e| {
            QError::store(
                e,
                &[("Process model", "processModelInfoId"), (prefix, param)],
            )
        })?;
    ok(json!({"processAuthority": render::process_authority(&a)}))
}

/// `POST /API/Admin/ProcessAuthority/addToQuser` (processModelInfoId, type, quserId).
pub(crate) async fn add_to_quser(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    caller.require_admin()?;
    let user = UserId(p.required_id("quserId")?);
    grant(&app, &caller, &p, Grantee::User(user), "quserId").await
}

/// `POST /API/Admin/ProcessAuthority/addToQgroup` (processModelInfoId, type, qgroupId;
/// leader and descendantQgroups false when absent).
pub(crate) async fn add_to_qgroup(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    caller.require_admin()?;
    let unit = Grantee::Unit {
        id: DeptId(p.required_id("qgroupId")?),
        leader_only: p.bool("leader")?.unwrap_or(false),
        descendants: p.bool("descendantQgroups")?.unwrap_or(false),
    };
    grant(&app, &caller, &p, unit, "qgroupId").await
}

/// `POST /API/Admin/ProcessAuthority/addToQrole` (processModelInfoId, type, qroleId).
pub(crate) async fn add_to_qrole(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    caller.require_admin()?;
    let role = RoleId(p.required_id("qroleId")?);
    grant(&app, &caller, &p, Grantee::Role(role), "qroleId").await
}

/// `POST /API/Admin/ProcessAuthority/delete` (id).
pub(crate) async fn delete(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let id = p.required_id("id")?;
    app.store
        .revoke_process_authority(caller.org.id, id)
        .await
        .map_err(|e| QError::store(e, &[("Process authority", "id")]))?;
    wire::done()
}

/// `GET /API/Admin/ProcessAuthority/list` (processModelInfoId; type optional).
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let family = FamilyId(p.required_id("processModelInfoId")?);
    let kind = kind(&p, false)?;
    let list = app
        .store
        .family_process_authorities(caller.org.id, family, kind)
        .await
        .map_err(|e| QError::store(e, &[("Process model", "processModelInfoId")]))?;
    let list: Vec<_> = list.iter().map(render::process_authority).collect();
    ok(json!({"processAuthorities": list}))
}
