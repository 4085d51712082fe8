//! `/scheduler/api/v1/anniversary`: list, add, fix and delete anniversaries.

use crate::AppState;
use axum::Router;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
