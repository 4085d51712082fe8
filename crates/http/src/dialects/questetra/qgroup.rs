//! Qgroup: organization units (`/API/UGA/Qgroup/*` updates, `/API/User/Qgroup/*`
//! retrievals).

use super::render;
use super::wire::{self, ok, Caller, Params, QError, QResult};
use crate::AppState;
use axum::extract::State;
use serde_json::json;
use sluice_domain::DeptId;
use sluice_store::identity::UnitChange;

/// `POST /API/UGA/Qgroup/add` (name, parentQgroupId; email optional).
pub(crate) async fn add(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let name = p.required("name")?;
    let parent = DeptId(p.required_id("parentQgroupId")?);
    let email = p.text("email").unwrap_or("");
    let unit = app
        .store
        .create_unit_with_email(caller.org.id, name, parent, email, caller.user_id())
        .await
        .map_err(|e| {
            QError::store(
                e,
                &[
                    ("name", "name"),
                    ("Duplicate", "name"),
                    ("email", "email"),
                    ("Unit", "parentQgroupId"),
                ],
            )
        })?;
    ok(json!({"qgroup": render::qgroup(&unit)}))
}

/// `POST /API/UGA/Qgroup/update` (id; name, email, parentQgroupId optional).
pub(crate) async fn update(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let id = DeptId(p.required_id("id")?);
    let change = UnitChange {
        name: p.text("name").map(str::to_string),
        email: p.text("email").map(str::to_string),
        parent_id: p.id("parentQgroupId")?.map(DeptId),
    };
    let own = format!("Unit {id} ");
    let unit = app
        .store
        .change_unit(caller.org.id, id, change)
        .await
        .map_err(|e| {
            QError::store(
                e,
                &[
                    (&own, "id"),
                    ("name", "name"),
                    ("Duplicate", "name"),
                    ("email", "email"),
                    ("Unit", "parentQgroupId"),
                    ("A department cannot", "parentQgroupId"),
                ],
            )
        })?;
    ok(json!({"qgroup": render::qgroup(&unit)}))
}

/// `POST /API/UGA/Qgroup/delete` (id): a unit without sub-units or primary members.
pub(crate) async fn delete(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let id = DeptId(p.required_id("id")?);
    // Not found in this organization: the message of the other operations.
    app.store
        .unit_info(caller.org.id, id)
        .await
        .map_err(|e| QError::store(e, &[("Unit", "id")]))?;
    app.store
        .delete_department(caller.org.id, id)
        .await
        .map_err(|e| QError::store(e, &[("Department", "id")]))?;
    wire::done()
}

/// `GET /API/User/Qgroup/find` (id or name; id wins when both are given).
pub(crate) async fn find(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let found = match (p.id("id")?, p.text("name")) {
        (Some(id), _) => app.store.unit_info(caller.org.id, DeptId(id)).await,
        (None, Some(name)) => app.store.unit_info_by_name(caller.org.id, name).await,
        (None, None) => return Err(QError::validation("id or name is required.")),
    };
    let unit = found.map_err(|e| QError::store(e, &[("Unit named", "name"), ("Unit", "id")]))?;
    ok(json!({"qgroup": render::qgroup(&unit)}))
}

/// `GET /API/User/Qgroup/list` (query, start, limit).
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let page = wire::page(&p)?;
    let found = app
        .store
        .search_unit_infos(caller.org.id, wire::query(&p)?, page)
        .await
        .map_err(|e| QError::store(e, &[]))?;
    let qgroups: Vec<_> = found.items.iter().map(render::qgroup).collect();
    ok(json!({"count": found.total, "qgroups": qgroups}))
}
