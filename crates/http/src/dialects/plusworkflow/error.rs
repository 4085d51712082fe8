//! PlusWorkflow's error form: `{"success":false,"message":...}` with a matching HTTP status
//! (docs/dialects/plusworkflow.md explains the choice).

use crate::credentials::{CredentialError, CHALLENGE};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sluice_domain::Error as DomainError;
use sluice_store::Error as StoreError;

/// An error answer of the PlusWorkflow dialect.
#[derive(Debug)]
pub(crate) struct PwError {
    status: StatusCode,
    message: String,
}

impl PwError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for PwError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"success": false, "message": self.message});
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(CHALLENGE),
            );
        }
        res
    }
}

impl From<DomainError> for PwError {
    fn from(e: DomainError) -> Self {
        let status = match &e {
            DomainError::Invalid(_) => StatusCode::BAD_REQUEST,
            DomainError::NotFound(_) => StatusCode::NOT_FOUND,
            DomainError::DuplicateName | DomainError::Conflict(_) | DomainError::Outdated => {
                StatusCode::CONFLICT
            }
            DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
        };
        Self::new(status, e.to_string())
    }
}

impl From<StoreError> for PwError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            other => {
                tracing::error!(error = ?other, "PlusWorkflow request failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
            }
        }
    }
}

impl From<CredentialError> for PwError {
    fn from(e: CredentialError) -> Self {
        match e {
            CredentialError::Missing => Self::new(
                StatusCode::UNAUTHORIZED,
                "Authentication is required (Bearer token or Basic credentials).",
            ),
            CredentialError::Invalid(m) => Self::new(StatusCode::UNAUTHORIZED, m),
            CredentialError::Store(s) => s.into(),
        }
    }
}
