//! Qrole: organization-wide roles (`/API/UGA/Qrole/*` updates, `/API/User/Qrole/*`
//! retrievals). Roles scoped to a workflow (PlusWorkflow) are not Qroles: their ids are
//! not found here.

use super::render;
use super::wire::{self, ok, Caller, Params, QError, QResult};
use crate::AppState;
use axum::extract::State;
use serde_json::json;
use sluice_domain::identity::{NewRole, RolePatch};
use sluice_domain::RoleId;
use sluice_store::identity::RoleBrief;

const NAME_HINTS: &[(&str, &str)] = &[("name", "name"), ("Duplicate", "name")];

/// `POST /API/UGA/Qrole/add` (name).
pub(crate) async fn add(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let new = NewRole {
        name: p.required("name")?.to_string(),
        created_by: caller.user_id(),
        ..Default::default()
    };
    let role = app
        .store
        .create_role(caller.org.id, new)
        .await
        .map_err(|e| QError::store(e, NAME_HINTS))?;
    ok(json!({"qrole": render::qrole(&RoleBrief { id: role.id, name: role.name })}))
}

/// `POST /API/UGA/Qrole/update` (id; name optional).
pub(crate) async fn update(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let id = RoleId(p.required_id("id")?);
    app.store
        .global_role_ref(caller.org.id, id)
        .await
        .map_err(|e| QError::store(e, &[("Role", "id")]))?;
    let patch = RolePatch {
        name: p.text("name").map(str::to_string),
        ..Default::default()
    };
    let role = app
        .store
        .update_role(caller.org.id, id, patch)
        .await
        .map_err(|e| QError::store(e, &[&[("Role", "id")], NAME_HINTS].concat()))?;
    ok(json!({"qrole": render::qrole(&RoleBrief { id: role.id, name: role.name })}))
}

/// `POST /API/UGA/Qrole/delete` (id): the role goes with its memberships and authorities.
pub(crate) async fn delete(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let id = RoleId(p.required_id("id")?);
    app.store
        .global_role_ref(caller.org.id, id)
        .await
        .map_err(|e| QError::store(e, &[("Role", "id")]))?;
    app.store
        .delete_role(caller.org.id, id)
        .await
        .map_err(|e| QError::store(e, &[("Role", "id")]))?;
    wire::done()
}

/// `GET /API/User/Qrole/find` (id or name; id wins when both are given).
pub(crate) async fn find(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let found = match (p.id("id")?, p.text("name")) {
        (Some(id), _) => app.store.global_role_ref(caller.org.id, RoleId(id)).await,
        (None, Some(name)) => app.store.global_role_by_name(caller.org.id, name).await,
        (None, None) => return Err(QError::validation("id or name is required.")),
    };
    let role = found.map_err(|e| QError::store(e, &[("Role named", "name"), ("Role", "id")]))?;
    ok(json!({"qrole": render::qrole(&role)}))
}

/// `GET /API/User/Qrole/list` (query, start, limit).
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let page = wire::page(&p)?;
    let found = app
        .store
        .search_global_roles(caller.org.id, wire::query(&p)?, page)
        .await
        .map_err(|e| QError::store(e, &[]))?;
    let qroles: Vec<_> = found.items.iter().map(render::qrole).collect();
    ok(json!({"count": found.total, "qroles": qroles}))
}
