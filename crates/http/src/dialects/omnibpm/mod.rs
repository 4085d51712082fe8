//! The OmniBPM dialect (`/api/v0.1/...`): organizations, departments, ranks, users and
//! groups over Sluice's identity model. See docs/dialects/omnibpm.md for the mapping.

mod department;
mod document;
mod document_cc;
mod group;
mod organization;
mod rank;
mod render;
mod render_document;
mod render_workflow;
mod user;
mod wire;
mod workflow;
mod workflow_field;
mod workflow_node;
mod workflow_perm;

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
        ("workflow/create", post(workflow::create)),
        ("workflow/clone", post(workflow::clone)),
        ("workflow/save_as", post(workflow::save_as)),
        ("workflow/list", post(workflow::list)),
        ("workflow/update", post(workflow::update)),
        ("workflow/finalize", post(workflow::finalize)),
        ("workflow/activate", post(workflow::activate)),
        ("workflow/inactivate", post(workflow::inactivate)),
        ("workflow/hide", post(workflow::hide)),
        ("workflow/delete", post(workflow::delete)),
        ("workflow_perm/list", post(workflow_perm::list)),
        ("workflow_perm/set", post(workflow_perm::set)),
        ("workflow_perm/delete", post(workflow_perm::delete)),
        ("workflow_node/create", post(workflow_node::create)),
        ("workflow_node/list", post(workflow_node::list)),
        ("workflow_node/delete", post(workflow_node::delete)),
        ("workflow_node/update", post(workflow_node::update)),
        ("workflow_node/add_child", post(workflow_node::add_child)),
        (
            "workflow_node/remove_child",
            post(workflow_node::remove_child),
        ),
        ("workflow_field/create", post(workflow_field::create)),
        ("workflow_field/batch", post(workflow_field::batch)),
        ("workflow_field/list", post(workflow_field::list)),
        ("workflow_field/activate", post(workflow_field::activate)),
        (
            "workflow_field/inactivate",
            post(workflow_field::inactivate),
        ),
        ("workflow_field/update", post(workflow_field::update)),
        ("document/create", post(document::create)),
        ("document/list", post(document::list)),
        ("document/submit", post(document::submit)),
        ("document/reject", post(document::reject)),
        ("document/revoke", post(document::revoke)),
        ("document/cancel", post(document::cancel)),
        ("document/get", post(document::get)),
        ("document/cc", post(document_cc::cc)),
        ("document/cc/list_target", post(document_cc::list_target)),
        ("document/cc/reply", post(document_cc::reply)),
        ("document/assign_agent", post(document::assign_agent)),
        ("document/log", post(document::log)),
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

pub(crate) async fn not_found() -> OmniError {
    OmniError::new(StatusCode::NOT_FOUND, "Unknown API endpoint.")
}

async fn method_not_allowed() -> OmniError {
    OmniError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "OmniBPM endpoints accept POST only.",
    )
}

/// The departments and ranks that nested user representations of `users` refer to.
async fn units_of<'a>(
    app: &AppState,
    org: &Organization,
    users: impl IntoIterator<Item = &'a sluice_domain::identity::User>,
) -> Result<(Vec<Department>, Vec<Rank>), OmniError> {
    Ok(app.store.units_of_users(org.id, users).await?)
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
