//! Questetra's HTTP-triggered BPMN events: message start events and receive tasks, each in
//! its HTTP (request parameters) and webhook (raw JSON body) form, authenticated by the
//! node's API key. See docs/dialects/questetra.md.

use crate::AppState;
use axum::Router;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
