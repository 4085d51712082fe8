//! `/api/v1/roles`: roles (organization-wide, or scoped to a package or a workflow as
//! PlusWorkflow has them), who holds them, and which workflows use a global role. For an
//! organization administrator (or an organization-level token).

use super::body::json_body;
use super::{ApiError, Bearer};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sluice_domain::identity::{NewRole, Role, RoleScope};
use sluice_domain::{Error as DomainError, OrgId, RoleId, UserId};
use sluice_store::identity::NewMembership;
use sluice_store::oauth::Principal;
use sluice_store::Error as StoreError;

/// Page size of the role list when none is asked for, and the largest one.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 1000;

/// A role.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RoleOut {
    id: i64,
    /// Unique within its scope; PlusWorkflow's text role id.
    name: String,
    display_name: Option<String>,
    description: String,
    /// `null` with `process_id` `null`: an organization-wide (global) role.
    package_id: Option<String>,
    process_id: Option<String>,
    /// The user who made it; `null` for the organization's own credential.
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Times are shown to the microsecond, as both databases store them, so a role read back
/// equals the one the create answered.
impl From<Role> for RoleOut {
    fn from(r: Role) -> Self {
        RoleOut {
            id: r.id.0,
            name: r.name,
            display_name: r.display_name,
            description: r.description,
            package_id: r.scope.package_id,
            process_id: r.scope.process_id,
            created_by: r.created_by.map(|u| u.0),
            created_at: r.created_at.trunc_subsecs(6),
            updated_at: r.updated_at.trunc_subsecs(6),
        }
    }
}

/// A role to create.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleIn {
    name: String,
    display_name: Option<String>,
    description: Option<String>,
    /// The package of workflows the role belongs to; leave out for a global role.
    package_id: Option<String>,
    /// The workflow the role belongs to; leave out for a global or package role.
    process_id: Option<String>,
}

/// One page of roles.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RolePage {
    /// Every role of the organization.
    total: i64,
    items: Vec<RoleOut>,
}

/// A user to give the role to (a membership without a unit).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberIn {
    user_id: i64,
}

/// A role membership.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MemberOut {
    role_id: i64,
    user_id: i64,
    /// Who assigned it; `null` for the organization's own credential.
    assigned_by: Option<i64>,
    assigned_at: DateTime<Utc>,
}

/// A workflow (of a package, or of none) that uses a global role.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UseIn {
    package_id: Option<String>,
    process_id: String,
}

fn refused(e: DomainError) -> ApiError {
    ApiError::from(StoreError::Domain(e))
}

/// The caller's organization, if the caller may manage its roles: the organization's own
/// credential, or one of its administrators. Also the caller's user id, if any.
fn administrator(p: &Principal) -> Result<(OrgId, Option<UserId>), ApiError> {
    match &p.user {
        None => Ok((p.org.id, None)),
        Some(u) if u.is_admin => Ok((p.org.id, Some(u.id))),
        Some(_) => Err(refused(DomainError::Forbidden(
            "Only an organization administrator may manage roles.".into(),
        ))),
    }
}

fn id_of(field: &str, text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| refused(DomainError::invalid(format!("{field} must be an integer."))))
}

/// An empty text is the same as none (a scope of `""` would clash with the global scope).
fn given(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// Creates a role.
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles",
    security(("bearer" = [])),
    request_body = RoleIn,
    responses(
        (status = 201, description = "The new role", body = RoleOut),
        (status = 400, description = "Invalid body or field", body = super::error::ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
        (status = 409, description = "The name is taken in this scope", body = super::error::ErrorBody),
    ))]
pub(crate) async fn create_role(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    body: Body,
) -> Result<(StatusCode, Json<RoleOut>), ApiError> {
    let (org, by) = administrator(&p)?;
    let input: RoleIn = json_body(body).await?;
    let role = app
        .store
        .create_role(
            org,
            NewRole {
                name: input.name,
                display_name: given(input.display_name),
                description: input.description.unwrap_or_default(),
                icon: String::new(),
                scope: RoleScope {
                    package_id: given(input.package_id),
                    process_id: given(input.process_id),
                },
                created_by: by,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(role.into())))
}

/// Lists the organization's roles in id order.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles",
    security(("bearer" = [])),
    params(
        ("offset" = Option<u64>, Query, description = "Roles to skip (default 0)"),
        ("limit" = Option<u32>, Query, description = "Page size, 0 to 1000 (default 50)"),
    ),
    responses(
        (status = 200, description = "One page of roles", body = RolePage),
        (status = 400, description = "Invalid offset or limit", body = super::error::ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
    ))]
pub(crate) async fn list_roles(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    RawQuery(raw): RawQuery,
) -> Result<Json<RolePage>, ApiError> {
    let (org, _) = administrator(&p)?;
    let (mut offset, mut limit) = (0u64, DEFAULT_LIMIT);
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let bad = |what: &str| refused(DomainError::invalid(format!("{k} must be {what}.")));
        match k.as_ref() {
            "offset" => offset = v.parse().map_err(|_| bad("a non-negative integer"))?,
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|l| *l <= MAX_LIMIT)
                    .ok_or_else(|| bad("an integer from 0 to 1000"))?
            }
            _ => {}
        }
    }
    let (total, roles) = app.store.list_roles(org, offset, limit).await?;
    Ok(Json(RolePage {
        total,
        items: roles.into_iter().map(RoleOut::from).collect(),
    }))
}

/// One role.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Role id")),
    responses(
        (status = 200, description = "The role", body = RoleOut),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
        (status = 404, description = "No such role in the organization", body = super::error::ErrorBody),
    ))]
pub(crate) async fn get_role(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<String>,
) -> Result<Json<RoleOut>, ApiError> {
    let (org, _) = administrator(&p)?;
    let role = app.store.role(org, RoleId(id_of("id", &id)?)).await?;
    Ok(Json(role.into()))
}

/// Deletes a role with its memberships and uses.
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "roles",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Role id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
        (status = 404, description = "No such role in the organization", body = super::error::ErrorBody),
    ))]
pub(crate) async fn delete_role(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (org, _) = administrator(&p)?;
    app.store
        .delete_role(org, RoleId(id_of("id", &id)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives the role to a user (a membership without a unit).
#[utoipa::path(post, path = "/api/v1/roles/{id}/members", tag = "roles",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Role id")),
    request_body = MemberIn,
    responses(
        (status = 201, description = "The membership", body = MemberOut),
        (status = 400, description = "Invalid body", body = super::error::ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
        (status = 404, description = "No such role or user in the organization", body = super::error::ErrorBody),
        (status = 409, description = "The user already holds the role", body = super::error::ErrorBody),
    ))]
pub(crate) async fn add_member(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<MemberOut>), ApiError> {
    let (org, by) = administrator(&p)?;
    let role = RoleId(id_of("id", &id)?);
    let input: MemberIn = json_body(body).await?;
    let m = app
        .store
        .add_membership(
            org,
            NewMembership {
                user_id: UserId(input.user_id),
                department_id: None,
                role_id: Some(role),
                assigned_by: by,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberOut {
            role_id: role.0,
            user_id: m.user_id.0,
            assigned_by: m.assigned_by.map(|u| u.0),
            assigned_at: m.assigned_at.trunc_subsecs(6),
        }),
    ))
}

/// Takes the role (held without a unit) from a user.
#[utoipa::path(delete, path = "/api/v1/roles/{id}/members/{user_id}", tag = "roles",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Role id"),
        ("user_id" = i64, Path, description = "User id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
        (status = 404, description = "No such role, or the user does not hold it", body = super::error::ErrorBody),
    ))]
pub(crate) async fn remove_member(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    Path((id, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (org, _) = administrator(&p)?;
    let role = app.store.role(org, RoleId(id_of("id", &id)?)).await?;
    let user = UserId(id_of("user_id", &user)?);
    app.store
        .remove_membership(org, user, None, Some(role.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records that a workflow uses a global role: PlusWorkflow's search by `processDefId` then
/// finds its members too.
#[utoipa::path(post, path = "/api/v1/roles/{id}/uses", tag = "roles",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Role id (a global role)")),
    request_body = UseIn,
    responses(
        (status = 204, description = "Recorded (also when it already was)"),
        (status = 400, description = "Invalid body", body = super::error::ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
        (status = 404, description = "No such global role in the organization", body = super::error::ErrorBody),
    ))]
pub(crate) async fn add_use(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<String>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let (org, _) = administrator(&p)?;
    let role = RoleId(id_of("id", &id)?);
    let input: UseIn = json_body(body).await?;
    if input.process_id.is_empty() {
        return Err(refused(DomainError::invalid(
            "process_id must not be empty.",
        )));
    }
    app.store
        .add_role_use(
            org,
            role,
            given(input.package_id).as_deref(),
            &input.process_id,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
