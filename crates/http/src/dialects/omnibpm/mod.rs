//! The OmniBPM dialect (`/api/v0.1/...`): organizations, departments, ranks, users and
//! groups over Sluice's identity model. See docs/dialects/omnibpm.md for the mapping.

mod department;
mod group;
mod organization;
mod rank;
mod render;
mod user;
mod wire;

use crate::AppState;
use axum::http::StatusCode;
use axum::routing::{post, MethodRouter};
use axum::Router;
use sluice_domain::identity::{Department, Organization, Rank};
use wire::OmniError;

/// Every OmniBPM endpoint is a POST; the spec writes paths with a trailing slash, and
/// clients that drop it are served too.
pub(crate) fn router() -> Router<AppState> {
    let routes: Vec<(&str, MethodRouter<AppState>)> = vec![
        ("organization/list", post(organization::list)),
        ("organization/create", post(organization::create)),
        ("organization/inactivate", post(organization::inactivate)),
        ("organization/activate", post(organization::activate)),
        ("organization/get", post(organization::get)),
        ("organization/update", post(organization::update)),
        ("organization/delete", post(organization::delete)),
        ("organization/importusers", post(organization::import_users)),
        ("department/list", post(department::list)),
        ("department/create", post(department::create)),
        ("department/inactivate", post(department::inactivate)),
        ("department/activate", post(department::activate)),
        ("department/update", post(department::update)),
        ("department/delete", post(department::delete)),
        ("rank/list", post(rank::list)),
        ("rank/create", post(rank::create)),
        ("rank/inactivate", post(rank::inactivate)),
        ("rank/activate", post(rank::activate)),
        ("rank/update", post(rank::update)),
        ("rank/delete", post(rank::delete)),
        ("rank/order", post(rank::order)),
        ("user/list", post(user::list)),
        ("user/create", post(user::create)),
        ("user/inactivate", post(user::inactivate)),
        ("user/activate", post(user::activate)),
        ("user/update", post(user::update)),
        ("user/delete", post(user::delete)),
        ("group/list", post(group::list)),
        ("group/create", post(group::create)),
        ("group/inactivate", post(group::inactivate)),
        ("group/activate", post(group::activate)),
        ("group/update", post(group::update)),
        ("group/delete", post(group::delete)),
        ("group/user/list", post(group::members)),
        ("group/user/add", post(group::add_members)),
        ("group/user/remove", post(group::remove_members)),
    ];
    let mut router = Router::new();
    for (path, handler) in routes {
        let handler = handler.fallback(method_not_allowed);
        router = router
            .route(&format!("/{path}/"), handler.clone())
            .route(&format!("/{path}"), handler);
    }
    router.fallback(not_found)
}

async fn not_found() -> OmniError {
    OmniError::new(StatusCode::NOT_FOUND, "Unknown API endpoint.")
}

async fn method_not_allowed() -> OmniError {
    OmniError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "OmniBPM endpoints accept POST only.",
    )
}

/// The departments and ranks that nested representations of the organization refer to.
async fn directory(
    app: &AppState,
    org: &Organization,
) -> Result<(Vec<Department>, Vec<Rank>), OmniError> {
    Ok(tokio::try_join!(
        app.store.list_departments(org.id),
        app.store.list_ranks(org.id)
    )?)
}
