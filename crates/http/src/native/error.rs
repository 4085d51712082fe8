//! The native API's one error shape: `{"code","message","type"}` with a stable code.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sluice_domain::Error as DomainError;
use sluice_store::Error as StoreError;

/// The body of every native error. `code` is stable and machine-readable (docs/errors.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_token`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Error class: `invalid_request`, `auth`, `not_found`, `conflict` or `internal`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// A native API error with its HTTP status and, for 401s, the RFC 6750 challenge.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    challenge: Option<String>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: &'static str,
        kind: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            body: ErrorBody {
                code,
                message: message.into(),
                kind,
            },
            challenge: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "not_found", message)
    }

    /// A path the native API serves, asked with a method it does not serve.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "invalid_request",
            "This method is not allowed on this path.",
        )
    }

    /// No bearer token at all (RFC 6750 §3: challenge without an error code).
    pub fn missing_token() -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "auth",
            "A bearer token is required.",
        );
        e.challenge = Some(r#"Bearer realm="sluice""#.into());
        e
    }

    /// A bearer token that is malformed, unknown, expired or revoked.
    pub fn invalid_token(description: &str) -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "auth",
            description,
        );
        e.challenge = Some(format!(
            r#"Bearer realm="sluice", error="invalid_token", error_description="{description}""#
        ));
        e
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => {
                let msg = d.to_string();
                let (status, code, kind) = match d {
                    DomainError::Invalid(_) => (
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "invalid_request",
                    ),
                    DomainError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "not_found"),
                    DomainError::DuplicateName => {
                        (StatusCode::CONFLICT, "duplicate_name", "conflict")
                    }
                    DomainError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "conflict"),
                    DomainError::Unauthenticated(_) => {
                        (StatusCode::UNAUTHORIZED, "unauthenticated", "auth")
                    }
                    DomainError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "auth"),
                    DomainError::Outdated => (StatusCode::CONFLICT, "outdated", "conflict"),
                };
                Self::new(status, code, kind, msg)
            }
            other => {
                tracing::error!(error = ?other, "native API request failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal",
                    "Internal server error.",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.body)).into_response();
        if let Some(c) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, c);
        }
        res
    }
}
