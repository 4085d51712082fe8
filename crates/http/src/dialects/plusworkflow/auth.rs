//! Who calls: an OAuth2 bearer token or HTTP Basic `login@ABBR:password`, as in the native API
//! and Questetra. The caller's organization is the tenant of every lookup.

use super::error::PwError;
use crate::{credentials, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sluice_store::oauth::Principal;

/// The authenticated principal of a PlusWorkflow call.
pub(crate) struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = PwError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Caller(
            credentials::bearer_or_basic(&parts.headers, state).await?,
        ))
    }
}
