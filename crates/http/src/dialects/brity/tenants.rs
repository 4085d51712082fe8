//! Brity's tenant search: the group management list with its administrator-group
//! visibility rule, the tenants a user reaches with a password, and the tenants of a
//! client id (user, designer or bot). A tenant is an organization; its `tenantId` is the
//! abbreviation.

use super::error::BrityError;
use super::groups::{group_item, group_search, page_answer, GroupSearchRequest};
use super::tenant_wire::{is_tenant_admin, lenient_i64, optional_json, required_json};
use super::Caller;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sluice_domain::identity::Organization;
use sluice_store::oauth::Principal;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tenant/api/v1/admin/group/list", post(group_list))
        .route(
            "/tenant/api/v1/private/tenant/list",
            post(tenants_for_password),
        )
        .route(
            "/tenant/api/v1/private/catalog/tenantinfoByUserId",
            post(tenants_of_client),
        )
}

/// A tenant as Brity lists one. Sluice has no schema prefixes or tenant order, and each
/// user belongs to one tenant, which is therefore its default (`isCatalog`).
fn tenant_item(org: &Organization) -> Value {
    json!({
        "tenantId": org.abbr,
        "tenantName": org.name,
        "preName": "",
        "isCatalog": "Y",
        "sortOrder": 0,
    })
}

/// The platform administrator (of the platform's own organization) may look up every
/// tenant; anyone else only their own.
fn platform_admin(p: &Principal) -> bool {
    p.org.is_system && is_tenant_admin(p)
}

/// `POST /tenant/api/v1/admin/group/list`: user and bot groups. A tenant administrator
/// sees every group; anyone else the user groups they belong to and the bot groups those
/// are mapped to.
async fn group_list(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let req: GroupSearchRequest = optional_json(body).await?.unwrap_or_default();
    let (search, request) = group_search(req, None)?;
    let viewer = caller.0.user.as_ref().filter(|u| !u.is_admin);
    let page = state
        .store
        .search_rpa_groups(caller.0.org.id, viewer, &search)
        .await?;
    Ok(Json(page_answer(request, &page, group_item)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordLogin {
    user_id: Option<String>,
    password: Option<String>,
}

/// `POST /tenant/api/v1/private/tenant/list`: the tenants in use the user reaches with
/// this password. A wrong user id and a wrong password are refused alike.
async fn tenants_for_password(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let req: PasswordLogin = required_json(body).await?;
    let (Some(user_id), Some(password)) = (req.user_id, req.password) else {
        return Err(BrityError::invalid("userId and password are required."));
    };
    let tenants = state
        .store
        .tenants_for_password(
            &caller.0.org,
            platform_admin(&caller.0),
            &user_id,
            &password,
        )
        .await
        .map_err(|e| match e {
            sluice_store::Error::Domain(sluice_domain::Error::Unauthenticated(m)) => {
                BrityError::coded(StatusCode::BAD_REQUEST, "LOGIN_FAILED", "AUTH_A3", m)
            }
            other => other.into(),
        })?;
    Ok(Json(Value::Array(
        tenants.iter().map(tenant_item).collect(),
    )))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientLookup {
    client_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    client_type: Option<i64>,
}

/// `POST /tenant/api/v1/private/catalog/tenantinfoByUserId`: the tenants in use of a user
/// (`clientType` 8, the default, and 2: designers sign in as users) or a bot (1). An
/// unknown client id is an empty list, as the spec says.
async fn tenants_of_client(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let req: ClientLookup = required_json(body).await?;
    let client = req
        .client_id
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| BrityError::invalid("clientId is required."))?;
    let scope = (!platform_admin(&caller.0)).then_some(caller.0.org.id);
    let tenants = match req.client_type.unwrap_or(8) {
        1 => state.store.tenants_of_bot(scope, &client).await?,
        2 | 8 => state.store.tenants_of_login(scope, &client).await?,
        _ => {
            return Err(BrityError::invalid(
                "clientType must be 1 (bot), 2 (designer) or 8 (user).",
            ))
        }
    };
    Ok(Json(Value::Array(
        tenants.iter().map(tenant_item).collect(),
    )))
}
