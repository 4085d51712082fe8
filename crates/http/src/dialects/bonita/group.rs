//! `/bonita/API/identity/group`: units (departments) as a hierarchy of groups, with paths
//! computed from the names.

use super::render;
use super::search::{unknown_filter, Search};
use super::session::Call;
use super::wire::{optional_id, path_id, BonitaError, BonitaResult, Item};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use sluice_domain::DeptId;
use sluice_store::identity::directory::{UnitFilter, UnitOrder, UnitQuery};
use sluice_store::identity::{NewUnit, UnitPatch};

fn filter(name: &str, value: &str) -> Result<UnitFilter, BonitaError> {
    Ok(match name {
        "name" => UnitFilter::Name(value.to_string()),
        "displayName" => UnitFilter::DisplayName(value.to_string()),
        "parent_path" => UnitFilter::ParentPath(value.trim_end_matches('/').to_string()),
        "path" => UnitFilter::Path(value.to_string()),
        "parent_group_id" => UnitFilter::Parent(optional_id(name, value)?.map(DeptId)),
        other => return Err(unknown_filter(other)),
    })
}

fn order_key(attr: &str) -> Option<UnitOrder> {
    Some(match attr {
        "id" => UnitOrder::Id,
        "name" => UnitOrder::Name,
        "displayName" => UnitOrder::DisplayName,
        "path" => UnitOrder::Path,
        "parent_path" => UnitOrder::ParentPath,
        "creation_date" => UnitOrder::CreatedAt,
        "last_update_date" => UnitOrder::UpdatedAt,
        _ => return None,
    })
}

/// `GET /API/identity/group?p&c&f&o&s`.
pub(super) async fn search(
    State(app): State<AppState>,
    call: Call,
    RawQuery(query): RawQuery,
) -> BonitaResult {
    let s = Search::parse(query.as_deref())?;
    let filters = s
        .filters
        .iter()
        .map(|(n, v)| filter(n, v))
        .collect::<Result<Vec<_>, _>>()?;
    let q = UnitQuery {
        filters,
        text: s.text.clone(),
        order: s.order_by(order_key)?,
        page: s.page_request(),
    };
    let page = app.store.search_units_with_paths(call.org.id, &q).await?;
    s.reply(page.items.iter().map(render::group).collect(), page.total)
}

/// `GET /API/identity/group/{id}`.
pub(super) async fn get(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
) -> BonitaResult {
    let id = DeptId(path_id("Group", &id)?);
    let unit = app.store.unit(call.org.id, id).await?;
    Ok(Json(render::group(&unit)).into_response())
}

/// `POST /API/identity/group`: `name` is mandatory; `parent_group_id` places it.
pub(super) async fn create(State(app): State<AppState>, call: Call, body: Bytes) -> BonitaResult {
    call.require_admin()?;
    let item = Item::parse(&body)?;
    let new = NewUnit {
        name: item.required_text("name")?,
        display_name: item.text("displayName")?.filter(|d| !d.trim().is_empty()),
        description: item.text("description")?.unwrap_or_default(),
        icon: item.text("icon")?.unwrap_or_default(),
        parent_id: item.opt_id("parent_group_id")?.flatten().map(DeptId),
        created_by: Some(call.user.id),
    };
    let unit = app.store.create_unit_with_details(call.org.id, new).await?;
    Ok(Json(render::group(&unit)).into_response())
}

/// `PUT /API/identity/group/{id}`: name, displayName, description, icon, parent_group_id.
pub(super) async fn update(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
    body: Bytes,
) -> BonitaResult {
    call.require_admin()?;
    let id = DeptId(path_id("Group", &id)?);
    let item = Item::parse(&body)?;
    let patch = UnitPatch {
        name: item.text("name")?,
        display_name: item
            .text("displayName")?
            .map(|d| Some(d).filter(|d| !d.trim().is_empty())),
        description: item.text("description")?,
        icon: item.text("icon")?,
        parent_id: item.opt_id("parent_group_id")?.map(|p| p.map(DeptId)),
    };
    let unit = app
        .store
        .update_unit_details(call.org.id, id, patch)
        .await?;
    Ok(Json(render::group(&unit)).into_response())
}

/// `DELETE /API/identity/group/{id}`: a group without subgroups whose members have it only
/// as a secondary membership (the domain rule of every dialect).
pub(super) async fn delete(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
) -> BonitaResult {
    call.require_admin()?;
    let id = DeptId(path_id("Group", &id)?);
    app.store.delete_department(call.org.id, id).await?;
    Ok(StatusCode::OK.into_response())
}
