//! Questetra's wire conventions: parameters in the query string (GET) or a form-encoded
//! body (POST), credentials as an OAuth2 bearer token or HTTP Basic, JSON answers, and
//! errors as `{"errors":[{"errorCode","input","type"}]}` (the Errors model) with 400 for
//! every refusal except 401 (credentials), 403 (not allowed) and 405 (method).

use crate::credentials::{self, CredentialError};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sluice_domain::identity::{Organization, User};
use sluice_domain::Error as DomainError;
use sluice_store::Error as StoreError;
use std::collections::HashMap;

/// Largest accepted form body.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A Questetra error answer.
#[derive(Debug)]
pub(crate) struct QError {
    status: StatusCode,
    code: &'static str,
    kind: &'static str,
    input: Option<String>,
    message: String,
}

/// Questetra's error code and type for a bad value of a parameter (its published list of
/// response errors); parameters it does not list get the generic `10000 Validation`.
fn param_code(param: &str) -> (&'static str, &'static str) {
    match param {
        "id" => ("10001", "InvalidId"),
        "quserId" => ("10002", "InvalidQuserId"),
        "qgroupId" => ("10003", "InvalidQgroupId"),
        "name" => ("10004", "InvalidName"),
        "email" => ("10005", "InvalidEmail"),
        "password" => ("10006", "InvalidPassword"),
        "delegateQuserId" => ("10007", "InvalidDelegateQuserId"),
        "delegateQgroupId" => ("10008", "InvalidDelegateQgroupId"),
        "parentQgroupId" => ("10009", "InvalidParentQgroupId"),
        "role" => ("10010", "InvalidRole"),
        "start" => ("10012", "InvalidStart"),
        "limit" => ("10013", "InvalidLimit"),
        _ => ("10000", "Validation"),
    }
}

impl QError {
    /// A refused value of `param`.
    pub fn param(param: &str, message: impl Into<String>) -> Self {
        let (code, kind) = param_code(param);
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            kind,
            input: Some(param.to_string()),
            message: message.into(),
        }
    }

    /// A refusal tied to no one parameter.
    pub fn validation(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "10000",
            kind: "Validation",
            input: None,
            message: message.into(),
        }
    }

    fn status(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        let code = match status {
            StatusCode::UNAUTHORIZED => "401",
            StatusCode::FORBIDDEN => "403",
            StatusCode::METHOD_NOT_ALLOWED => "405",
            _ => "500",
        };
        Self {
            status,
            code,
            kind,
            input: None,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::status(StatusCode::FORBIDDEN, "Forbidden", message)
    }

    /// A store or domain failure. `hints` name the parameter a message is about, by the
    /// message's start (`("User ", "quserId")`); the first match wins.
    pub fn store(e: StoreError, hints: &[(&str, &str)]) -> Self {
        match e {
            StoreError::Domain(d) => Self::domain(d, hints),
            other => {
                tracing::error!(error = ?other, "Questetra request failed");
                Self::status(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "Internal server error.",
                )
            }
        }
    }

    fn domain(e: DomainError, hints: &[(&str, &str)]) -> Self {
        let message = e.to_string();
        match e {
            DomainError::Unauthenticated(_) => {
                Self::status(StatusCode::UNAUTHORIZED, "Unauthorized", message)
            }
            DomainError::Forbidden(_) => Self::forbidden(message),
            _ => match hints.iter().find(|(prefix, _)| message.starts_with(prefix)) {
                Some((_, param)) => Self::param(param, message),
                None => Self::validation(message),
            },
        }
    }
}

impl IntoResponse for QError {
    fn into_response(self) -> Response {
        let body = json!({"errors": [{
            "errorCode": self.code,
            "input": self.input,
            "type": self.kind,
            "message": self.message,
        }]});
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(credentials::CHALLENGE),
            );
        }
        res
    }
}

/// Result of a Questetra handler.
pub(crate) type QResult = Result<Response, QError>;

/// 200 with a JSON body.
pub(crate) fn ok(body: serde_json::Value) -> QResult {
    Ok(Json(body).into_response())
}

/// 200 with an empty body (the delete operations).
pub(crate) fn done() -> QResult {
    Ok(StatusCode::OK.into_response())
}

/// A method the endpoint does not serve.
pub(crate) async fn method_not_allowed(method: Method) -> QError {
    QError::status(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("{method} is not allowed here."),
    )
}

/// The authenticated caller: a user of an organization, or the organization itself (a
/// `client_credentials` token, which acts as its administrator).
pub(crate) struct Caller {
    pub org: Organization,
    pub user: Option<User>,
}

impl Caller {
    /// Administrators (directly or through a unit or role grant) and the organization's
    /// own client.
    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_none_or(|u| u.is_admin)
    }

    /// Refuses callers who are not administrators (the data update APIs and `/API/Admin`).
    pub fn require_admin(&self) -> Result<(), QError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(QError::forbidden(
                "Only administrators may use this operation.",
            ))
        }
    }

    /// The calling user's id (for `created_by` and `assigned_by`).
    pub fn user_id(&self) -> Option<sluice_domain::UserId> {
        self.user.as_ref().map(|u| u.id)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = QError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, QError> {
        match credentials::bearer_or_basic(&parts.headers, app).await {
            Ok(p) => Ok(Caller {
                org: p.org,
                user: p.user,
            }),
            Err(CredentialError::Missing) => Err(QError::status(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "Authentication is required.",
            )),
            Err(CredentialError::Invalid(m)) => {
                Err(QError::status(StatusCode::UNAUTHORIZED, "Unauthorized", m))
            }
            Err(CredentialError::Store(e)) => Err(QError::store(e, &[])),
        }
    }
}

/// The request's parameters: the query string, and for POST also a form-encoded body. A
/// name given twice counts once (its first value).
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    fn add(&mut self, bytes: &[u8]) {
        for (k, v) in form_urlencoded::parse(bytes) {
            self.0
                .entry(k.into_owned())
                .or_insert_with(|| v.into_owned());
        }
    }

    /// A parameter as sent; an empty value counts as absent.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A parameter that must be present.
    pub fn required(&self, name: &str) -> Result<&str, QError> {
        self.text(name)
            .ok_or_else(|| QError::param(name, format!("{name} is required.")))
    }

    /// An optional id (a non-negative 64-bit integer).
    pub fn id(&self, name: &str) -> Result<Option<i64>, QError> {
        self.text(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| {
                        QError::param(
                            name,
                            format!("{name} must be an integer between 0 and {}.", i64::MAX),
                        )
                    })
            })
            .transpose()
    }

    /// An id that must be present.
    pub fn required_id(&self, name: &str) -> Result<i64, QError> {
        self.id(name)?
            .ok_or_else(|| QError::param(name, format!("{name} is required.")))
    }

    /// An optional integer between `min` and `max`.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, QError> {
        self.text(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| {
                        QError::param(
                            name,
                            format!("{name} must be an integer from {min} to {max}."),
                        )
                    })
            })
            .transpose()
    }

    /// An optional boolean (`true`/`false`, any case).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, QError> {
        self.text(name)
            .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(QError::param(
                    name,
                    format!("{name} must be true or false."),
                )),
            })
            .transpose()
    }
}

impl FromRequest<AppState> for Params {
    type Rejection = QError;

    async fn from_request(req: Request, _: &AppState) -> Result<Self, QError> {
        let mut params = Params(HashMap::new());
        if let Some(q) = req.uri().query() {
            params.add(q.as_bytes());
        }
        if req.method() == Method::GET || req.method() == Method::HEAD {
            return Ok(params);
        }
        let form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                QError::validation(format!(
                    "The request body is larger than {MAX_BODY_BYTES} bytes."
                ))
            })?;
        match form.as_deref() {
            Some("application/x-www-form-urlencoded") => params.add(&bytes),
            _ if bytes.is_empty() => {}
            _ => {
                return Err(QError::validation(
                    "The request body must be application/x-www-form-urlencoded.",
                ))
            }
        }
        Ok(params)
    }
}

/// `start` and `limit` of a list: start 0.., limit 0..=MAX_LIMIT, DEFAULT_LIMIT when absent.
pub(crate) fn page(params: &Params) -> Result<sluice_store::identity::PageRequest, QError> {
    Ok(sluice_store::identity::PageRequest {
        start: params.int("start", 0, i32::MAX as i64)?.unwrap_or(0),
        limit: params.int("limit", 0, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT),
    })
}

/// Rows a list answers when `limit` is absent.
pub(crate) const DEFAULT_LIMIT: i64 = 100;
/// The largest `limit` (Questetra's own bound).
pub(crate) const MAX_LIMIT: i64 = 1000;

/// The `query` of a list (at most 256 characters).
pub(crate) fn query(params: &Params) -> Result<Option<&str>, QError> {
    match params.text("query") {
        Some(q) if q.chars().count() > 256 => Err(QError::param(
            "query",
            "query must be at most 256 characters.",
        )),
        other => Ok(other),
    }
}
