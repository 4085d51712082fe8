//! The credentials the Questetra and PlusWorkflow dialects accept on every call: an OAuth2
//! bearer token (RFC 6750) or HTTP Basic with `login@ABBR` and password (RFC 7617). Each
//! dialect turns a [`CredentialError`] into its own error form.

use crate::AppState;
use axum::http::{header, HeaderMap};
use base64::Engine;
use sluice_store::oauth::Principal;

/// Why a request carries no usable credential.
#[derive(Debug)]
pub(crate) enum CredentialError {
    /// No `Authorization` header.
    Missing,
    /// A header that is malformed, or names an unknown, expired or refused credential.
    Invalid(&'static str),
    /// The store failed.
    Store(sluice_store::Error),
}

/// The `WWW-Authenticate` challenge of a 401 from these dialects.
pub(crate) const CHALLENGE: &str = r#"Bearer realm="sluice", Basic realm="sluice""#;

/// The principal of a bearer token or of Basic credentials.
pub(crate) async fn bearer_or_basic(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Principal, CredentialError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(CredentialError::Missing);
    };
    let (scheme, rest) = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .map(|(s, r)| (s, r.trim()))
        .ok_or(CredentialError::Invalid(
            "The Authorization header is malformed.",
        ))?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return match state.store.principal_for_access_token(rest).await {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err(CredentialError::Invalid(
                "The access token is invalid or expired.",
            )),
            Err(e) => Err(CredentialError::Store(e)),
        };
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(CredentialError::Invalid(
            "Only Bearer and Basic credentials are accepted.",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(CredentialError::Invalid(
            "The Basic credentials are malformed.",
        ))?;
    let (username, password) = decoded.split_once(':').ok_or(CredentialError::Invalid(
        "The Basic credentials are malformed.",
    ))?;
    match state.store.authenticate_basic(username, password).await {
        Ok(p) => Ok(p),
        Err(sluice_store::Error::Domain(_)) => Err(CredentialError::Invalid(
            "The username or password is incorrect.",
        )),
        Err(e) => Err(CredentialError::Store(e)),
    }
}
