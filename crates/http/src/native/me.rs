//! `GET /api/v1/me`: who the bearer token acts for.

use super::{ApiError, Bearer};
use serde::Serialize;
use sluice_domain::identity::username;

/// The organization a principal belongs to.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MeOrganization {
    id: i64,
    name: String,
    abbr: String,
}

/// The authenticated user.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MeUser {
    id: i64,
    /// Full username, `login@ABBR`.
    username: String,
    login: String,
    display_name: String,
    email: String,
    is_admin: bool,
    is_external: bool,
}

/// The principal of the presented token.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Me {
    organization: MeOrganization,
    /// `null` for organization-level tokens (`client_credentials`).
    user: Option<MeUser>,
    /// The OAuth2 client the token was issued to, if any.
    client_id: Option<String>,
    scope: Option<String>,
}

/// Who the bearer token acts for.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The authenticated principal", body = Me),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
    ))]
pub(crate) async fn get_me(Bearer(p): Bearer) -> Result<axum::Json<Me>, ApiError> {
    let user = p.user.map(|u| MeUser {
        id: u.id.0,
        username: username(&u.login, &p.org.abbr),
        login: u.login,
        display_name: u.display_name,
        email: u.email,
        is_admin: u.is_admin,
        is_external: u.is_external,
    });
    Ok(axum::Json(Me {
        organization: MeOrganization {
            id: p.org.id.0,
            name: p.org.name,
            abbr: p.org.abbr,
        },
        user,
        client_id: p.client_id,
        scope: p.scope,
    }))
}
