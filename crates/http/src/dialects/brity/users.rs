//! Brity's user management (`/tenant/api/v1/private/user`): create or modify, delete and
//! search users of the caller's tenant. Tenant administrators only. A Brity user is a
//! Sluice user (`userId` is the login), visible to every dialect.

use super::error::BrityError;
use super::groups::path;
use super::tenant_wire::{acting_user, own_tenant, require_tenant_admin, required_json};
use super::Caller;
use crate::AppState;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sluice_domain::identity::Password;
use sluice_store::rpa::tenant_users::{TenantUser, TenantUserInput};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tenant/api/v1/private/user", post(save_user))
        .route(
            "/tenant/api/v1/private/user/{user_id}/{tenant_id}",
            get(get_user).delete(delete_user),
        )
}

/// Brity's status code of a user in use, and of one that is not.
const STATUS_IN_USE: &str = "STS_010100";
const STATUS_NOT_IN_USE: &str = "STS_010200";

/// A user as Brity shows one.
fn user_item(u: &TenantUser) -> Value {
    json!({
        "userId": u.user.login,
        "userNm": u.user.display_name,
        "email": u.user.email,
        "cmpnyNm": u.company_name,
        "deptNm": u.department_name,
        "phoneNumber": u.phone_number,
        "statusCd": if u.user.is_active { STATUS_IN_USE } else { STATUS_NOT_IN_USE },
        "createUserId": u.created_by,
        "updateUserId": u.updated_by,
    })
}

/// The body of user creation and modification. `password` is Sluice's addition: Brity
/// users sign in through its portal, Sluice users with a password.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SaveUser {
    user_id: Option<String>,
    user_nm: Option<String>,
    email: Option<String>,
    tenant_id: Option<String>,
    cmpny_nm: Option<String>,
    dept_nm: Option<String>,
    phone_number: Option<String>,
    password: Option<String>,
    // `createUserAlarmInfo` (whether Brity mails the new user) is accepted and unused:
    // Sluice sends no mail.
}

/// `POST /tenant/api/v1/private/user`: creates the user, or modifies it if the login exists.
async fn save_user(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    require_tenant_admin(&caller.0)?;
    let req: SaveUser = required_json(body).await?;
    if let Some(t) = req.tenant_id.as_deref().filter(|t| !t.trim().is_empty()) {
        own_tenant(&caller.0, t)?;
    } else if caller.0.org.is_system {
        return Err(super::tenant_wire::tenant_not_available(&caller.0.org.abbr));
    }
    let login = req
        .user_id
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| BrityError::invalid("userId is required."))?;
    let input = TenantUserInput {
        login,
        display_name: req.user_nm,
        email: req.email,
        company_name: req.cmpny_nm,
        department_name: req.dept_nm,
        phone_number: req.phone_number,
        password: req.password.map(Password),
    };
    let actor = acting_user(&caller.0).map(|u| u.id);
    let (user, _) = state
        .store
        .save_tenant_user(caller.0.org.id, actor, input)
        .await?;
    Ok(Json(user_item(&user)))
}

/// `GET /tenant/api/v1/private/user/{userId}/{tenantId}`.
async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Value>, BrityError> {
    let (login, tenant) = path(params)?;
    require_tenant_admin(&caller.0)?;
    own_tenant(&caller.0, &tenant)?;
    let user = state
        .store
        .tenant_user_by_login(caller.0.org.id, &login)
        .await?;
    Ok(Json(user_item(&user)))
}

/// `DELETE /tenant/api/v1/private/user/{userId}/{tenantId}`: not the tenant's
/// representative administrator.
async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Value>, BrityError> {
    let (login, tenant) = path(params)?;
    require_tenant_admin(&caller.0)?;
    own_tenant(&caller.0, &tenant)?;
    state
        .store
        .delete_tenant_user(caller.0.org.id, &login)
        .await?;
    Ok(Json(json!({"result": "SUCCESS"})))
}
