//! Membership: users in organization units, `role` `_leader` for a unit's one leader
//! (`/API/UGA/Membership/*` updates, `/API/User/Membership/*` retrievals).

use super::render;
use super::wire::{self, ok, Caller, Params, QError, QResult};
use crate::AppState;
use axum::extract::State;
use serde_json::json;
use sluice_domain::{DeptId, UserId};

const HINTS: &[(&str, &str)] = &[("User", "quserId"), ("Unit", "qgroupId")];

/// `role`: `_leader`, or blank/absent for a plain member.
fn leader(p: &Params) -> Result<bool, QError> {
    match p.text("role").map(str::trim) {
        None | Some("") => Ok(false),
        Some("_leader") => Ok(true),
        Some(_) => Err(QError::param("role", "role must be _leader or blank.")),
    }
}

fn pair(p: &Params) -> Result<(UserId, DeptId), QError> {
    Ok((
        UserId(p.required_id("quserId")?),
        DeptId(p.required_id("qgroupId")?),
    ))
}

/// `POST /API/UGA/Membership/add` (quserId, qgroupId; role optional). Adding an existing
/// member answers the membership; `_leader` also makes the user the unit's leader.
pub(crate) async fn add(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let (user, unit) = pair(&p)?;
    let leader = leader(&p)?.then_some(true);
    let m = app
        .store
        .join_unit(caller.org.id, user, unit, leader, caller.user_id())
        .await
        .map_err(|e| QError::store(e, HINTS))?;
    ok(json!({"membership": render::membership(&m)}))
}

/// `POST /API/UGA/Membership/update` (quserId, qgroupId; role optional): `_leader` makes
/// the member the unit's leader (replacing the former one), blank ends the leadership.
pub(crate) async fn update(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let (user, unit) = pair(&p)?;
    let leader = leader(&p)?;
    let m = app
        .store
        .set_unit_leader(caller.org.id, user, unit, leader)
        .await
        .map_err(|e| QError::store(e, HINTS))?;
    ok(json!({"membership": render::membership(&m)}))
}

/// `POST /API/UGA/Membership/delete` (quserId, qgroupId).
pub(crate) async fn delete(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let (user, unit) = pair(&p)?;
    app.store
        .leave_unit(caller.org.id, user, unit)
        .await
        .map_err(|e| QError::store(e, HINTS))?;
    wire::done()
}

/// `GET /API/User/Membership/listByQgroup` (id of the unit).
pub(crate) async fn list_by_qgroup(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    let unit = DeptId(p.required_id("id")?);
    let members = app
        .store
        .unit_members_with_leader(caller.org.id, unit)
        .await
        .map_err(|e| QError::store(e, &[("Unit", "id")]))?;
    let memberships: Vec<_> = members.iter().map(render::membership).collect();
    ok(json!({"memberships": memberships}))
}

/// `GET /API/User/Membership/listByQuser` (id of the user).
pub(crate) async fn list_by_quser(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    let user = UserId(p.required_id("id")?);
    let units = app
        .store
        .unit_memberships_of_user(caller.org.id, user)
        .await
        .map_err(|e| QError::store(e, &[("User", "id")]))?;
    let memberships: Vec<_> = units.iter().map(render::membership).collect();
    ok(json!({"memberships": memberships}))
}
