//! Brity's two error forms. Asset, tenant and license endpoints answer
//! `{"errorValue","errorCode","params"}`; scheduler endpoints answer
//! `{"resultCode":"FAIL","resultDetail"}`. Both with a matching HTTP status (docs/dialects/brity.md).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sluice_domain::Error as DomainError;
use sluice_store::Error as StoreError;

/// An error answer of the Brity dialect.
#[derive(Debug)]
pub(crate) enum BrityError {
    /// `{"errorValue": value, "errorCode": code, "params": params}`.
    Coded {
        status: StatusCode,
        value: String,
        code: &'static str,
        params: String,
    },
    /// `{"resultCode": "FAIL", "resultDetail": detail}`.
    Fail { status: StatusCode, detail: String },
}

/// Error codes Sluice uses where Brity documents none (docs/dialects/brity.md lists them).
pub(crate) mod codes {
    /// No credential, or one that is unknown or expired.
    pub const AUTH: &str = "AUTH_A1";
    /// A valid credential without the needed authority.
    pub const DENIED: &str = "AUTH_A2";
    /// A malformed request or a value that breaks a rule.
    pub const INVALID: &str = "COMMON_C1";
    /// The named object does not exist (or belongs to another tenant).
    pub const NOT_FOUND: &str = "COMMON_C2";
    /// The object's state forbids the operation, or the name is taken.
    pub const CONFLICT: &str = "COMMON_C3";
    /// An unexpected server failure (never with detail).
    pub const INTERNAL: &str = "COMMON_C9";
}

impl BrityError {
    pub fn coded(
        status: StatusCode,
        value: impl Into<String>,
        code: &'static str,
        params: impl Into<String>,
    ) -> Self {
        Self::Coded {
            status,
            value: value.into(),
            code,
            params: params.into(),
        }
    }

    pub fn fail(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Fail {
            status,
            detail: detail.into(),
        }
    }

    pub fn unauthorized(params: impl Into<String>) -> Self {
        Self::coded(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            codes::AUTH,
            params,
        )
    }

    pub fn forbidden(params: impl Into<String>) -> Self {
        Self::coded(StatusCode::FORBIDDEN, "NO_AUTHORITY", codes::DENIED, params)
    }

    pub fn invalid(params: impl Into<String>) -> Self {
        Self::coded(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETER",
            codes::INVALID,
            params,
        )
    }

    pub fn not_found(params: impl Into<String>) -> Self {
        Self::coded(
            StatusCode::NOT_FOUND,
            "OBJECT_IS_NOT_EXIST",
            codes::NOT_FOUND,
            params,
        )
    }

    /// The same error in the scheduler's `resultCode`/`resultDetail` form.
    pub fn into_fail(self) -> Self {
        match self {
            Self::Coded { status, value, .. } => Self::Fail {
                status,
                detail: value,
            },
            fail => fail,
        }
    }
}

impl IntoResponse for BrityError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::Coded {
                status,
                value,
                code,
                params,
            } => (
                status,
                serde_json::json!({"errorValue": value, "errorCode": code, "params": params}),
            ),
            Self::Fail { status, detail } => (
                status,
                serde_json::json!({"resultCode": "FAIL", "resultDetail": detail}),
            ),
        };
        let mut res = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="sluice""#),
            );
        }
        res
    }
}

impl From<DomainError> for BrityError {
    fn from(e: DomainError) -> Self {
        let message = e.to_string();
        match e {
            DomainError::Invalid(_) => Self::invalid(message),
            DomainError::NotFound(_) => Self::not_found(message),
            DomainError::DuplicateName => Self::coded(
                StatusCode::BAD_REQUEST,
                "DUPLICATED_NAME",
                codes::CONFLICT,
                message,
            ),
            DomainError::Conflict(_) | DomainError::Outdated => Self::coded(
                StatusCode::CONFLICT,
                "INVALID_STATE",
                codes::CONFLICT,
                message,
            ),
            DomainError::Unauthenticated(_) => Self::unauthorized(message),
            DomainError::Forbidden(_) => Self::forbidden(message),
        }
    }
}

impl From<StoreError> for BrityError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            other => {
                tracing::error!(error = ?other, "Brity request failed");
                Self::coded(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    codes::INTERNAL,
                    "Internal server error.",
                )
            }
        }
    }
}
