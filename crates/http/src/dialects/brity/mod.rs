//! The Brity RPA dialect: `/asset/api/v1/...`, `/scheduler/api/v1/...`,
//! `/tenant/api/v1/...`, `/communication/api/v1/...` and `/group/...`, over Sluice's RPA
//! model (crates/store/src/rpa). See docs/dialects/brity.md.
//!
//! Each family of endpoints has its own module and router; this one only merges them and
//! gives unknown methods Brity's error form.

mod asset_wire;
mod auth;
mod bot_list;
pub(crate) mod callbacks;
mod error;
mod group_mappings;
mod groups;
mod jobs;
mod jobs_wire;
mod json_body;
mod licenses;
mod tenant_wire;
mod tenants;
mod users;
// Assets: process inquiry, projects, package upload, permission groups, execution options.
mod ipa_upload;
mod object_groups;
mod process_inquiry;
mod projects;
mod target_bot;
// Scheduling and shared data: reservations, anniversaries, queues, resources, credentials.
mod anniversaries;
mod queue_auth;
mod queue_wire;
mod queues;
mod resource_form;
mod resource_wire;
mod resources;
mod schedule_wire;
mod schedules;

pub(crate) use auth::Caller;
pub(crate) use error::BrityError;

use crate::AppState;
use axum::Router;

/// Every Brity endpoint, with its full path.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(tenants::router())
        .merge(users::router())
        .merge(groups::router())
        .merge(group_mappings::router())
        .merge(jobs::router())
        .merge(bot_list::router())
        .merge(licenses::router())
        .merge(process_inquiry::router())
        .merge(projects::router())
        .merge(ipa_upload::router())
        .merge(object_groups::router())
        .merge(target_bot::router())
        .merge(schedules::router())
        .merge(anniversaries::router())
        .merge(queues::router())
        .merge(resources::router())
        .method_not_allowed_fallback(method_not_allowed)
}

async fn method_not_allowed() -> BrityError {
    BrityError::coded(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        error::codes::INVALID,
        "This method is not allowed on this path.",
    )
}
