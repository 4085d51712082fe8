//! Bonita's wire conventions: JSON items whose values are all strings (ids, booleans,
//! dates `2014-12-31 15:17:24.736`), and errors as an HTTP status with
//! `{"exception": "class …", "message": …}`.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sluice_domain::Error as DomainError;
use sluice_store::Error as StoreError;

/// Largest accepted request body; Bonita items are small.
pub(super) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A Bonita error: a status and `{"exception","message"}`.
#[derive(Debug)]
pub(crate) struct BonitaError {
    status: StatusCode,
    message: String,
}

impl BonitaError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "No valid session: log in at /bonita/loginservice.",
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// The Java exception class Bonita names for this kind of failure.
    fn exception(&self) -> &'static str {
        match self.status {
            StatusCode::BAD_REQUEST => {
                "class org.bonitasoft.web.toolkit.client.common.exception.api.APIException"
            }
            StatusCode::UNAUTHORIZED => {
                "class org.bonitasoft.web.toolkit.client.common.exception.http.UnauthorizedException"
            }
            StatusCode::FORBIDDEN => {
                "class org.bonitasoft.web.toolkit.client.common.exception.api.APIForbiddenException"
            }
            StatusCode::NOT_FOUND => {
                "class org.bonitasoft.web.toolkit.client.common.exception.api.APIItemNotFoundException"
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                "class org.bonitasoft.web.toolkit.client.common.exception.api.APIMethodNotAllowedException"
            }
            StatusCode::CONFLICT => "class org.bonitasoft.engine.exception.AlreadyExistsException",
            StatusCode::PAYLOAD_TOO_LARGE => {
                "class org.bonitasoft.web.toolkit.client.common.exception.api.APIException"
            }
            _ => "class org.bonitasoft.web.toolkit.client.common.exception.http.ServerException",
        }
    }
}

impl IntoResponse for BonitaError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"exception": self.exception(), "message": self.message});
        (self.status, Json(body)).into_response()
    }
}

impl From<DomainError> for BonitaError {
    fn from(e: DomainError) -> Self {
        let status = match &e {
            DomainError::Invalid(_) => StatusCode::BAD_REQUEST,
            DomainError::NotFound(_) => StatusCode::NOT_FOUND,
            DomainError::DuplicateName => StatusCode::CONFLICT,
            DomainError::Conflict(_) | DomainError::Outdated => StatusCode::CONFLICT,
            DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
        };
        let message = match e {
            DomainError::DuplicateName => "An object with this name already exists.".to_string(),
            other => other.to_string(),
        };
        Self::new(status, message)
    }
}

impl From<StoreError> for BonitaError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            other => {
                tracing::error!(error = ?other, "Bonita request failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
            }
        }
    }
}

/// Result of a Bonita handler.
pub(crate) type BonitaResult = Result<Response, BonitaError>;

/// A date as Bonita writes it (UTC), or `""`.
pub(super) fn date(d: Option<DateTime<Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
        .unwrap_or_default()
}

/// The JSON object of a request body.
pub(crate) struct Item(pub Map<String, Value>);

impl Item {
    pub fn parse(bytes: &Bytes) -> Result<Self, BonitaError> {
        if bytes.len() > MAX_BODY_BYTES {
            return Err(BonitaError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
            ));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Item(map)),
            Ok(_) => Err(BonitaError::bad_request(
                "The request body must be a JSON object.",
            )),
            Err(e) => Err(BonitaError::bad_request(format!(
                "The request body is not valid JSON: {e}."
            ))),
        }
    }

    /// An attribute as text: strings as they are, numbers and booleans written out; absent
    /// or null is `None`; objects and arrays are refused.
    pub fn text(&self, key: &str) -> Result<Option<String>, BonitaError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(BonitaError::bad_request(format!("{key} must be a string."))),
        }
    }

    pub fn required_text(&self, key: &str) -> Result<String, BonitaError> {
        self.text(key)?
            .ok_or_else(|| BonitaError::bad_request(format!("{key} is mandatory.")))
    }

    /// A boolean attribute (`"true"`/`"false"`, or a JSON boolean).
    pub fn flag(&self, key: &str) -> Result<Option<bool>, BonitaError> {
        match self.text(key)? {
            None => Ok(None),
            Some(v) => parse_bool(key, &v).map(Some),
        }
    }

    /// An id attribute; `""`, `"-1"` and `"0"` mean none (`Some(None)`), absent is `None`.
    pub fn opt_id(&self, key: &str) -> Result<Option<Option<i64>>, BonitaError> {
        match self.text(key)? {
            None => Ok(None),
            Some(v) => optional_id(key, &v).map(Some),
        }
    }
}

/// `"true"` or `"false"`.
pub(super) fn parse_bool(key: &str, v: &str) -> Result<bool, BonitaError> {
    match v.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(BonitaError::bad_request(format!(
            "{key} must be \"true\" or \"false\"."
        ))),
    }
}

/// A positive id (`"12"`).
pub(super) fn parse_id(key: &str, v: &str) -> Result<i64, BonitaError> {
    v.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| BonitaError::bad_request(format!("{key} must be a positive number.")))
}

/// An id where `""`, `"-1"` and `"0"` mean none.
pub(super) fn optional_id(key: &str, v: &str) -> Result<Option<i64>, BonitaError> {
    match v.trim() {
        "" | "-1" | "0" => Ok(None),
        other => parse_id(key, other).map(Some),
    }
}

/// An id from the path; anything but a positive number names nothing (404, as Bonita).
pub(super) fn path_id(kind: &str, v: &str) -> Result<i64, BonitaError> {
    v.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| BonitaError::not_found(format!("{kind} {v} does not exist.")))
}

/// An id as Bonita shows it, `"-1"` for none.
pub(super) fn id_or_minus_one(id: Option<i64>) -> String {
    id.map_or_else(|| "-1".to_string(), |i| i.to_string())
}
