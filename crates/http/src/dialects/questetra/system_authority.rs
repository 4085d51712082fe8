//! SystemAuthority: system privileges (0 system administrator, 1 app creator, 2 user
//! manager) granted to users, units or roles (`/API/Admin/SystemAuthority/*`, and
//! `/API/User/SystemAuthority/self`). Everything under `/API/Admin` is for administrators,
//! retrievals included.

use super::render;
use super::wire::{self, ok, Caller, Params, QError, QResult};
use crate::AppState;
use axum::extract::State;
use serde_json::json;
use sluice_domain::identity::{AuthorityKind, Grantee};
use sluice_domain::{DeptId, RoleId, UserId};

/// The required `type`.
fn kind(p: &Params) -> Result<AuthorityKind, QError> {
    let code = p
        .int("type", 0, 2)?
        .ok_or_else(|| QError::param("type", "type is required."))?;
    AuthorityKind::from_code(code).map_err(|e| QError::param("type", e.to_string()))
}

async fn grant(
    app: &AppState,
    caller: &Caller,
    kind: AuthorityKind,
    to: Grantee,
    param: &str,
) -> QResult {
    let prefix = match to {
        Grantee::User(_) => "User",
        Grantee::Unit { .. } => "Unit",
        Grantee::Role(_) => "Role",
    };
    let g = app
        .store
        .grant_authority(caller.org.id, kind, to)
        .await
        .map_err(|e| QError::store(e, &[(prefix, param)]))?;
    ok(json!({"systemAuthority": render::system_authority(&g)}))
}

/// `POST /API/Admin/SystemAuthority/addToQuser` (type, quserId); type 0 makes the user an
/// administrator (`is_admin`). Granting again answers the existing grant.
pub(crate) async fn add_to_quser(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    caller.require_admin()?;
    let kind = kind(&p)?;
    let user = UserId(p.required_id("quserId")?);
    grant(&app, &caller, kind, Grantee::User(user), "quserId").await
}

/// `POST /API/Admin/SystemAuthority/addToQgroup` (type, qgroupId; leader and
/// descendantQgroups optional, false when absent).
pub(crate) async fn add_to_qgroup(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    caller.require_admin()?;
    let kind = kind(&p)?;
    let unit = Grantee::Unit {
        id: DeptId(p.required_id("qgroupId")?),
        leader_only: p.bool("leader")?.unwrap_or(false),
        descendants: p.bool("descendantQgroups")?.unwrap_or(false),
    };
    grant(&app, &caller, kind, unit, "qgroupId").await
}

/// `POST /API/Admin/SystemAuthority/addToQrole` (type, qroleId).
pub(crate) async fn add_to_qrole(
    State(app): State<AppState>,
    caller: Caller,
    p: Params,
) -> QResult {
    caller.require_admin()?;
    let kind = kind(&p)?;
    let role = RoleId(p.required_id("qroleId")?);
    grant(&app, &caller, kind, Grantee::Role(role), "qroleId").await
}

/// `POST /API/Admin/SystemAuthority/delete` (id); a type-0 user grant also clears
/// `is_admin`.
pub(crate) async fn delete(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let id = p.required_id("id")?;
    app.store
        .revoke_authority(caller.org.id, id)
        .await
        .map_err(|e| QError::store(e, &[("System authority", "id")]))?;
    wire::done()
}

/// `GET /API/Admin/SystemAuthority/list` (type optional).
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let kind = match p.int("type", 0, 2)? {
        Some(code) => {
            Some(AuthorityKind::from_code(code).map_err(|e| QError::param("type", e.to_string()))?)
        }
        None => None,
    };
    let grants = app
        .store
        .authorities(caller.org.id, kind)
        .await
        .map_err(|e| QError::store(e, &[]))?;
    let list: Vec<_> = grants.iter().map(render::system_authority).collect();
    ok(json!({"systemAuthorities": list}))
}

/// `GET /API/User/SystemAuthority/self`: the types the caller holds, directly or through a
/// unit or role; the organization's own client holds all three.
pub(crate) async fn me(State(app): State<AppState>, caller: Caller) -> QResult {
    let kinds: Vec<i64> = match &caller.user {
        None => vec![0, 1, 2],
        Some(user) => app
            .store
            .authority_kinds_held(caller.org.id, user)
            .await
            .map_err(|e| QError::store(e, &[]))?
            .into_iter()
            .map(AuthorityKind::code)
            .collect(),
    };
    ok(json!({"systemAuthorities": kinds}))
}
