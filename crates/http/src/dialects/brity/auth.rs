//! Brity's credentials: `Authorization: Bearer <token>` names the calling system's account
//! (the "server token for linkage"), and `userAuthentication` (a header, or a body field on
//! the job endpoints) names the user the call acts for. Both are personal API tokens or
//! OAuth2 access tokens; the user must be of the same tenant as the caller.

use super::error::BrityError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderMap};
use sluice_store::oauth::Principal;

/// The caller of a Brity endpoint: the `Authorization` principal, or the user named by a
/// `userAuthentication` header when one is sent.
pub(crate) struct Caller(pub Principal);

/// The `userAuthentication` header's name.
pub(crate) const USER_AUTHENTICATION: &str = "userauthentication";

/// The token of a `Bearer <token>` value (the scheme is optional for `userAuthentication`).
fn token_of(value: &str) -> Option<&str> {
    let v = value.trim();
    let t = match v.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        Some(_) => return None,
        None => v,
    };
    (!t.is_empty()).then_some(t)
}

/// The principal of a bearer value, or 401.
pub(crate) async fn principal_of(
    state: &AppState,
    value: &str,
    what: &str,
) -> Result<Principal, BrityError> {
    let token = token_of(value)
        .ok_or_else(|| BrityError::unauthorized(format!("{what} is not a bearer token.")))?;
    state
        .store
        .principal_for_bearer(token)
        .await?
        .ok_or_else(|| BrityError::unauthorized(format!("{what} is invalid or expired.")))
}

/// The `Authorization` principal.
pub(crate) async fn authorization(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Principal, BrityError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| BrityError::unauthorized("The Authorization header is missing."))?
        .to_str()
        .map_err(|_| BrityError::unauthorized("The Authorization header is malformed."))?;
    principal_of(state, value, "The Authorization token").await
}

/// The user a call acts for: the `userAuthentication` value if one is given (it must be of
/// the caller's tenant and name a user), else the caller itself.
pub(crate) async fn acting_user(
    state: &AppState,
    caller: Principal,
    user_authentication: Option<&str>,
) -> Result<Principal, BrityError> {
    let Some(value) = user_authentication.filter(|v| !v.trim().is_empty()) else {
        return Ok(caller);
    };
    let user = principal_of(state, value, "The userAuthentication token").await?;
    if user.org.id != caller.org.id {
        return Err(BrityError::unauthorized(
            "The userAuthentication token is invalid or expired.",
        ));
    }
    if user.user.is_none() {
        return Err(BrityError::unauthorized(
            "The userAuthentication token names no user.",
        ));
    }
    Ok(user)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = BrityError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = authorization(&parts.headers, state).await?;
        let header = parts
            .headers
            .get(USER_AUTHENTICATION)
            .map(|v| {
                v.to_str().map_err(|_| {
                    BrityError::unauthorized("The userAuthentication header is malformed.")
                })
            })
            .transpose()?;
        Ok(Caller(acting_user(state, caller, header).await?))
    }
}
