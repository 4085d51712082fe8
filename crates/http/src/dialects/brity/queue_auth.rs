//! Who calls a queue endpoint: a Brity caller (`Authorization` and `userAuthentication`, as
//! every Brity endpoint), or a running bot process with its job token (`Authorization:
//! Bearer slu_job_...`), which acts for the job's requester in the job's tenant while the
//! job runs. Only the queue endpoints accept job tokens (docs/bot-protocol.md).

use super::auth::USER_AUTHENTICATION;
use super::{BrityError, Caller};
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use sluice_store::oauth::Principal;
use sluice_store::rpa::queue_job_tokens::is_job_token;

/// The caller of a queue endpoint.
pub(crate) struct QueueCaller(pub Principal);

/// The job token of an `Authorization: Bearer slu_job_...` header, if that is what it holds.
fn job_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && is_job_token(token)).then_some(token)
}

impl FromRequestParts<AppState> for QueueCaller {
    type Rejection = BrityError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = job_token(parts) else {
            let Caller(caller) = Caller::from_request_parts(parts, state).await?;
            return Ok(QueueCaller(caller));
        };
        if parts.headers.contains_key(USER_AUTHENTICATION) {
            return Err(BrityError::unauthorized(
                "A job token acts for its job's requester: send no userAuthentication with it.",
            ));
        }
        state
            .store
            .principal_for_job_token(token)
            .await?
            .map(QueueCaller)
            .ok_or_else(|| {
                BrityError::unauthorized("The job token is invalid, or its job no longer runs.")
            })
    }
}
