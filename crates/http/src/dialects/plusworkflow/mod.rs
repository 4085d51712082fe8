//! The plusworkflow dialect. See docs/dialects/plusworkflow.md for the mapping onto the domain.

use crate::AppState;
use axum::Router;

/// Every plusworkflow endpoint, mounted at its prefix by the application router.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
