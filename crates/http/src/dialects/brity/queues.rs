//! `/asset/api/v1/messageQueue/...`: queue create, send (text or file), receive, delete and list.

use crate::AppState;
use axum::Router;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
