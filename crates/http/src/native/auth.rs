//! Bearer-token authentication (RFC 6750) for the native API and other token-based surfaces.

use super::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use sluice_store::oauth::Principal;

/// The principal of a valid `Authorization: Bearer` token.
pub(crate) struct Bearer(pub Principal);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::missing_token());
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(ApiError::invalid_token(
                "The Authorization header is not a bearer token.",
            ));
        };
        match state.store.principal_for_bearer(token).await? {
            Some(p) => Ok(Bearer(p)),
            None => Err(ApiError::invalid_token(
                "The access token is invalid or expired.",
            )),
        }
    }
}
