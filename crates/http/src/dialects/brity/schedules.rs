//! `/scheduler/api/v1/schedulings/...`: reservation create, modify, delete and list.

use crate::AppState;
use axum::Router;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
