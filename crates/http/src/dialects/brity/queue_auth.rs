//! Who calls a queue endpoint: a Brity caller (`Authorization` and `userAuthentication`, as
//! every Brity endpoint), or a running bot process with its job token (`Authorization:
//! Bearer slu_job_...`), which acts for the job's requester in the job's tenant while the
//! job runs. Only the queue endpoints accept job tokens (docs/bot-protocol.md).
//!
//! Queue clients call in tight loops, and resolving a bearer token (token, organization
//! and user rows) cost more than the send or receive itself (docs/performance.md). So a
//! Brity caller resolved by a queue endpoint is remembered for [`CALLER_TTL`]: a revoked or
//! expired token, or a user or tenant made inactive, is refused by the queue endpoints at
//! most that long after the change. Refusals are never remembered, and job tokens are
//! always looked up (their job's end must close them at once).

use super::auth::USER_AUTHENTICATION;
use super::{BrityError, Caller};
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use sluice_store::oauth::Principal;
use sluice_store::rpa::queue_job_tokens::is_job_token;
use sluice_store::secrets::hash_key;
use sluice_store::ttl_cache::TtlCache;
use std::sync::OnceLock;
use std::time::Duration;

/// How long a resolved caller is remembered.
const CALLER_TTL: Duration = Duration::from_secs(1);
/// Most callers remembered (beyond, those past their time are dropped, or all).
const MAX_CALLERS: usize = 10_000;

/// The caller of a queue endpoint.
pub(crate) struct QueueCaller(pub Principal);

/// The job token of an `Authorization: Bearer slu_job_...` header, if that is what it holds.
fn job_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && is_job_token(token)).then_some(token)
}

/// Callers resolved within [`CALLER_TTL`], by the SHA-256 of their credential headers (the
/// tokens themselves are not kept).
fn callers() -> &'static TtlCache<Principal> {
    static CALLERS: OnceLock<TtlCache<Principal>> = OnceLock::new();
    CALLERS.get_or_init(|| TtlCache::new(CALLER_TTL, MAX_CALLERS))
}

/// The cache key of a request's credentials; `None` without an `Authorization` header.
fn callers_key(parts: &Parts) -> Option<String> {
    let value = |name| {
        parts
            .headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let auth = value(header::AUTHORIZATION.as_str())?;
    let user = value(USER_AUTHENTICATION).unwrap_or_default();
    Some(hash_key(&format!("{auth}\n{user}")))
}

impl FromRequestParts<AppState> for QueueCaller {
    type Rejection = BrityError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = job_token(parts) else {
            let key = callers_key(parts);
            if let Some(caller) = key.as_deref().and_then(|k| callers().get(k)) {
                return Ok(QueueCaller(caller));
            }
            let Caller(caller) = Caller::from_request_parts(parts, state).await?;
            if let Some(key) = key {
                callers().put(key, caller.clone());
            }
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
