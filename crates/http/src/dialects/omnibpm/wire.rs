//! OmniBPM's wire conventions: JSON bodies carrying `api_key` (or `apikey`), objects with
//! `__id__`/`__model__`/`__client_extra__`, and `{"RESPONSE":"OK"|"ERR"}` envelopes.

use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use sluice_domain::identity::{check_usable, Organization};
use sluice_domain::Error as DomainError;
use sluice_store::Error as StoreError;

/// Largest accepted request body (an `importusers` of tens of thousands of users fits).
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// An OmniBPM error: `{"RESPONSE":"ERR","RMSG":...}` with a status that matches its kind.
#[derive(Debug)]
pub(crate) struct OmniError {
    status: StatusCode,
    /// `RESPONSE`: "ERR", except for the outdated-version error the spec gives its own.
    response: &'static str,
    message: String,
}

impl OmniError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            response: "ERR",
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for OmniError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({"RESPONSE": self.response, "RMSG": self.message})),
        )
            .into_response()
    }
}

impl From<DomainError> for OmniError {
    fn from(e: DomainError) -> Self {
        if e == DomainError::Outdated {
            // The spec's exact form: {"RMSG": "Outdated Document Version:Outdated document.",
            // "RESPONSE": "Outdated Document Version"}.
            return Self {
                status: StatusCode::CONFLICT,
                response: "Outdated Document Version",
                message: format!("Outdated Document Version:{e}"),
            };
        }
        let status = match &e {
            DomainError::Invalid(_) => StatusCode::BAD_REQUEST,
            DomainError::NotFound(_) => StatusCode::NOT_FOUND,
            DomainError::DuplicateName | DomainError::Conflict(_) => StatusCode::CONFLICT,
            DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
            DomainError::Outdated => StatusCode::CONFLICT,
        };
        Self::new(status, e.to_string())
    }
}

impl From<StoreError> for OmniError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            other => {
                tracing::error!(error = ?other, "OmniBPM request failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
            }
        }
    }
}

/// Result of an OmniBPM handler.
pub(crate) type OmniResult = Result<Response, OmniError>;

/// `{"RESPONSE":"OK"}`.
pub(crate) fn ok() -> OmniResult {
    Ok(Json(serde_json::json!({"RESPONSE": "OK"})).into_response())
}

/// `{"RESPONSE":"OK", key: value}`.
pub(crate) fn ok_with<T: Serialize>(key: &'static str, value: T) -> OmniResult {
    struct Reply<T> {
        key: &'static str,
        value: T,
    }
    impl<T: Serialize> Serialize for Reply<T> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry("RESPONSE", "OK")?;
            m.serialize_entry(self.key, &self.value)?;
            m.end()
        }
    }
    Ok(Json(Reply { key, value }).into_response())
}

/// The parsed JSON object of a request.
pub(crate) struct Body(Map<String, Value>);

impl Body {
    async fn read(req: Request) -> Result<Self, OmniError> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                OmniError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
                )
            })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            Ok(_) => Err(OmniError::bad_request(
                "The request body must be a JSON object.",
            )),
            Err(e) => Err(OmniError::bad_request(format!(
                "The request body is not valid JSON: {e}."
            ))),
        }
    }

    fn api_key(&self) -> Option<&str> {
        self.0
            .get("api_key")
            .or_else(|| self.0.get("apikey"))
            .and_then(Value::as_str)
    }

    /// A required member, deserialized; errors name the path of the bad value.
    pub fn required<T: DeserializeOwned>(&self, key: &str) -> Result<T, OmniError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Err(OmniError::bad_request(format!("{key} is required."))),
            Some(v) => parse(key, v),
        }
    }

    /// An optional member (absent or null gives `None`).
    pub fn optional<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, OmniError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => parse(key, v).map(Some),
        }
    }
}

fn parse<T: DeserializeOwned>(key: &str, v: &Value) -> Result<T, OmniError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            key.to_string()
        } else if path.starts_with('[') {
            format!("{key}{path}")
        } else {
            format!("{key}.{path}")
        };
        OmniError::bad_request(format!("Invalid {at}: {}.", e.inner()))
    })
}

/// A call authenticated with an organization's API key.
pub(crate) struct OrgCall {
    pub org: Organization,
    pub body: Body,
    /// The key as presented; the store keeps only its hash.
    pub api_key: String,
}

impl FromRequest<AppState> for OrgCall {
    type Rejection = OmniError;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Self::Rejection> {
        let body = Body::read(req).await?;
        let key = body
            .api_key()
            .ok_or_else(|| OmniError::new(StatusCode::UNAUTHORIZED, "api_key is required."))?;
        let org = app
            .store
            .organization_by_api_key(key)
            .await?
            .filter(|o| !o.is_system)
            .ok_or_else(|| OmniError::new(StatusCode::UNAUTHORIZED, "Invalid api_key."))?;
        check_usable(&org)?;
        let api_key = key.to_string();
        Ok(OrgCall { org, body, api_key })
    }
}

/// A call authenticated with the master API key.
pub(crate) struct MasterCall {
    pub body: Body,
}

impl FromRequest<AppState> for MasterCall {
    type Rejection = OmniError;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Self::Rejection> {
        let body = Body::read(req).await?;
        let key = body
            .api_key()
            .ok_or_else(|| OmniError::new(StatusCode::UNAUTHORIZED, "api_key is required."))?;
        if app.store.is_master_key(key).await? {
            Ok(MasterCall { body })
        } else {
            Err(OmniError::new(
                StatusCode::FORBIDDEN,
                "This endpoint needs the master api_key.",
            ))
        }
    }
}

/// A reference to another object: `{"__id__": 12}`, optionally with its `__model__`.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a reference {\"__id__\": id}")]
pub(crate) struct Ref {
    #[serde(rename = "__id__", deserialize_with = "id_number")]
    pub id: i64,
    #[serde(rename = "__model__", default)]
    pub model: Option<String>,
}

/// An `__id__` as sent: a number, or a string holding one (the spec's examples send both).
#[derive(Deserialize)]
#[serde(untagged)]
enum IdIn {
    Number(i64),
    Text(String),
}

impl IdIn {
    fn number<E: serde::de::Error>(self) -> Result<i64, E> {
        match self {
            IdIn::Number(n) => Ok(n),
            IdIn::Text(s) => s
                .trim()
                .parse()
                .map_err(|_| E::custom(format!("__id__ {s:?} is not a number"))),
        }
    }
}

/// Reads an `__id__` (see [`IdIn`]).
pub(crate) fn id_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    IdIn::deserialize(d)?.number()
}

/// An optional `__id__` (absent or null is `None`), as [`id_number`] reads it.
pub(crate) fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<IdIn>::deserialize(d)?
        .map(IdIn::number)
        .transpose()
}

impl Ref {
    /// The id, after checking the `__model__` if one was given.
    pub fn id_of(&self, model: &str) -> Result<i64, OmniError> {
        check_model(self.model.as_deref(), model)?;
        Ok(self.id)
    }
}

/// A `__model__` that is given must name the expected type.
pub(crate) fn check_model(given: Option<&str>, expected: &str) -> Result<(), OmniError> {
    match given {
        Some(m) if m != expected => Err(OmniError::bad_request(format!(
            "__model__ is {m:?} but this object is a {expected}."
        ))),
        _ => Ok(()),
    }
}

/// For patch fields: absent stays `None`, `null` becomes `Some(None)`.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Validates a `__client_extra__` value into its stored text.
pub(crate) fn client_extra(v: Option<Value>) -> Result<Option<String>, OmniError> {
    Ok(sluice_domain::validate::client_extra(
        &v.unwrap_or(Value::Null),
    )?)
}
