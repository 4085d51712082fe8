//! BPMN 2.0 import and export of workflow versions (docs/bpmn.md).

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

/// This module's documented routes, added to the native API's.
pub(super) fn routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
}
