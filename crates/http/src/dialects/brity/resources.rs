//! `/asset/api/v1/objects/asset|credential` and `/asset/api/v1/objects/type/...`: shared resources and credentials.

use crate::AppState;
use axum::Router;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
