//! The API keys of HTTP-triggered BPMN events (message starts, receive tasks): shown to
//! administrators and rotated here.

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

/// This module's documented routes, added to the native API's.
pub(super) fn routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
}
