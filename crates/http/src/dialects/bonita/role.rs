//! `/bonita/API/identity/role`: the organization-wide roles (roles scoped to a package or a
//! workflow belong to PlusWorkflow and are not shown).

use super::render;
use super::search::{unknown_filter, Search};
use super::session::Call;
use super::wire::{path_id, BonitaError, BonitaResult, Item};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use sluice_domain::identity::{NewRole, Role, RolePatch};
use sluice_domain::{OrgId, RoleId};
use sluice_store::identity::directory::{RoleFilter, RoleOrder, RoleQuery};

fn filter(name: &str, value: &str) -> Result<RoleFilter, BonitaError> {
    Ok(match name {
        "name" => RoleFilter::Name(value.to_string()),
        "displayName" => RoleFilter::DisplayName(value.to_string()),
        other => return Err(unknown_filter(other)),
    })
}

fn order_key(attr: &str) -> Option<RoleOrder> {
    Some(match attr {
        "id" => RoleOrder::Id,
        "name" => RoleOrder::Name,
        "displayName" => RoleOrder::DisplayName,
        "creation_date" => RoleOrder::CreatedAt,
        "last_update_date" => RoleOrder::UpdatedAt,
        _ => return None,
    })
}

/// A global role of the organization (others are not Bonita's: not found).
pub(super) async fn global_role(
    app: &AppState,
    org: OrgId,
    id: RoleId,
) -> Result<Role, BonitaError> {
    let role = app.store.role(org, id).await?;
    if !role.scope.is_global() {
        return Err(BonitaError::not_found(format!("Role {id} does not exist.")));
    }
    Ok(role)
}

/// `GET /API/identity/role?p&c&f&o&s`.
pub(super) async fn search(
    State(app): State<AppState>,
    call: Call,
    RawQuery(query): RawQuery,
) -> BonitaResult {
    let s = Search::parse(query.as_deref())?;
    let mut filters = s
        .filters
        .iter()
        .map(|(n, v)| filter(n, v))
        .collect::<Result<Vec<_>, _>>()?;
    filters.push(RoleFilter::Global);
    let q = RoleQuery {
        filters,
        text: s.text.clone(),
        order: s.order_by(order_key)?,
        page: s.page_request(),
    };
    let page = app.store.search_roles(call.org.id, &q).await?;
    s.reply(page.items.iter().map(render::role).collect(), page.total)
}

/// `GET /API/identity/role/{id}`.
pub(super) async fn get(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
) -> BonitaResult {
    let id = RoleId(path_id("Role", &id)?);
    let role = global_role(&app, call.org.id, id).await?;
    Ok(Json(render::role(&role)).into_response())
}

/// `POST /API/identity/role`: `name` is mandatory.
pub(super) async fn create(State(app): State<AppState>, call: Call, body: Bytes) -> BonitaResult {
    call.require_admin()?;
    let item = Item::parse(&body)?;
    let new = NewRole {
        name: item.required_text("name")?,
        display_name: item.text("displayName")?.filter(|d| !d.trim().is_empty()),
        description: item.text("description")?.unwrap_or_default(),
        icon: item.text("icon")?.unwrap_or_default(),
        scope: Default::default(),
        created_by: Some(call.user.id),
    };
    let role = app.store.create_role(call.org.id, new).await?;
    Ok(Json(render::role(&role)).into_response())
}

/// `PUT /API/identity/role/{id}`: name, displayName, description, icon.
pub(super) async fn update(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
    body: Bytes,
) -> BonitaResult {
    call.require_admin()?;
    let id = RoleId(path_id("Role", &id)?);
    let item = Item::parse(&body)?;
    global_role(&app, call.org.id, id).await?;
    let patch = RolePatch {
        name: item.text("name")?,
        display_name: item
            .text("displayName")?
            .map(|d| Some(d).filter(|d| !d.trim().is_empty())),
        description: item.text("description")?,
        icon: item.text("icon")?,
    };
    let role = app.store.update_role(call.org.id, id, patch).await?;
    Ok(Json(render::role(&role)).into_response())
}

/// `DELETE /API/identity/role/{id}`: its memberships go with it.
pub(super) async fn delete(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
) -> BonitaResult {
    call.require_admin()?;
    let id = RoleId(path_id("Role", &id)?);
    global_role(&app, call.org.id, id).await?;
    app.store.delete_role(call.org.id, id).await?;
    Ok(StatusCode::OK.into_response())
}
