//! Questetra's workflow API: process instances, process models, process authorities,
//! work items and task forms over Sluice's cases. See docs/dialects/questetra.md.

use crate::AppState;
use axum::Router;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
