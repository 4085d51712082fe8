//! RoleMembership: users holding organization-wide roles (`/API/UGA/RoleMembership/*`
//! updates, `/API/User/RoleMembership/*` retrievals, and the newer
//! `/API/User/RoleMembership/list`).

use super::render;
use super::wire::{self, ok, Caller, Params, QError, QResult};
use crate::AppState;
use axum::extract::State;
use serde_json::json;
use sluice_domain::{RoleId, UserId};
use sluice_store::identity::RoleMember;

const HINTS: &[(&str, &str)] = &[("User", "quserId"), ("Role", "qroleId")];

fn pair(p: &Params) -> Result<(UserId, RoleId), QError> {
    Ok((
        UserId(p.required_id("quserId")?),
        RoleId(p.required_id("qroleId")?),
    ))
}

fn answer(members: &[RoleMember]) -> QResult {
    let list: Vec<_> = members.iter().map(render::role_membership).collect();
    ok(json!({"roleMemberships": list}))
}

/// `POST /API/UGA/RoleMembership/add` (quserId, qroleId); adding again answers the
/// existing membership.
pub(crate) async fn add(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let (user, role) = pair(&p)?;
    let m = app
        .store
        .add_role_member(caller.org.id, user, role, caller.user_id())
        .await
        .map_err(|e| QError::store(e, HINTS))?;
    ok(json!({"roleMembership": render::role_membership(&m)}))
}

/// `POST /API/UGA/RoleMembership/delete` (quserId, qroleId).
pub(crate) async fn delete(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let (user, role) = pair(&p)?;
    app.store
        .remove_role_member(caller.org.id, user, role)
        .await
        .map_err(|e| QError::store(e, HINTS))?;
    wire::done()
}

/// `GET /API/User/RoleMembership/listByQrole` (id of the role).
pub(crate) async fn list_by_qrole(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    let role = RoleId(p.required_id("id")?);
    let members = app
        .store
        .role_members(caller.org.id, role)
        .await
        .map_err(|e| QError::store(e, &[("Role", "id")]))?;
    answer(&members)
}

/// `GET /API/User/RoleMembership/listByQuser` (id of the user).
pub(crate) async fn list_by_quser(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    let user = UserId(p.required_id("id")?);
    let roles = app
        .store
        .roles_of_member(caller.org.id, user)
        .await
        .map_err(|e| QError::store(e, &[("User", "id")]))?;
    answer(&roles)
}

/// `GET /API/User/RoleMembership/list`: the members of the role `qroleId` (or `id`), or
/// the roles of the user `quserId`.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    if let Some(role) = p.id("qroleId")? {
        let members = app
            .store
            .role_members(caller.org.id, RoleId(role))
            .await
            .map_err(|e| QError::store(e, &[("Role", "qroleId")]))?;
        return answer(&members);
    }
    if let Some(role) = p.id("id")? {
        let members = app
            .store
            .role_members(caller.org.id, RoleId(role))
            .await
            .map_err(|e| QError::store(e, &[("Role", "id")]))?;
        return answer(&members);
    }
    if let Some(user) = p.id("quserId")? {
        let roles = app
            .store
            .roles_of_member(caller.org.id, UserId(user))
            .await
            .map_err(|e| QError::store(e, &[("User", "quserId")]))?;
        return answer(&roles);
    }
    Err(QError::validation("qroleId (or quserId) is required."))
}
