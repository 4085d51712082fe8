//! The questetra dialect. See docs/dialects/questetra.md for the mapping onto the domain.

use crate::AppState;
use axum::Router;

/// Every questetra endpoint, mounted at its prefix by the application router.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
