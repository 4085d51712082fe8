//! The bonita dialect. See docs/dialects/bonita.md for the mapping onto the domain.

use crate::AppState;
use axum::Router;

/// Every bonita endpoint, mounted at its prefix by the application router.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
