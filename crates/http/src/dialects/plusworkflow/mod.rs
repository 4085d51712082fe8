//! The PlusWorkflow dialect (`/PlusWorkflow/api/users/...`): user search, users by process
//! roles, user by login and the current user. See docs/dialects/plusworkflow.md for the
//! mapping onto the domain.

mod auth;
mod by_roles;
mod error;
mod user_info;
mod users;

use crate::AppState;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use error::PwError;

/// Every PlusWorkflow endpoint, nested under `/PlusWorkflow/api` by the application router.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/users/query", get(users::query))
        .route("/users/by/roles", post(by_roles::by_roles))
        .route("/users/by/login", get(users::by_login))
        .route("/users/current", get(users::current))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> PwError {
    PwError::not_found("No such servlet.")
}

async fn method_not_allowed() -> PwError {
    PwError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "This method is not allowed on this path.",
    )
}
