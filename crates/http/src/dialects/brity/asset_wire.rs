//! Wire helpers of Brity's asset endpoints (processes, projects, packages, permission
//! groups): JSON bodies, query parameters, epoch-millisecond times, lenient scalars, and
//! the asset failure codes.

use super::error::BrityError;
use axum::body::Body;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::Value;
use sluice_store::rpa::asset_error::AssetError;
use std::collections::HashMap;

/// Largest accepted JSON body.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// Error codes of the asset failures (docs/dialects/brity.md). `ASSET_A2` is the spec's.
pub(crate) mod codes {
    /// INVALID_OBJECT_NAME (params: EMPTY_STRING, TOO_LONG_NAME, ...).
    pub const NAME: &str = "ASSET_A1";
    /// ALREADY_USE_NAME (params: ALREADY_USE_PROJECT_NAME).
    pub const IN_USE: &str = "ASSET_A2";
    /// DUPLICATED_NAME.
    pub const DUPLICATED: &str = "ASSET_A3";
    /// A package refused (params: the ipaUpload failure code).
    pub const PACKAGE: &str = "ASSET_A4";
}

/// Reads a JSON body (required), naming where a value is wrong.
pub(crate) async fn json_body<T: DeserializeOwned>(body: Body) -> Result<T, BrityError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            BrityError::coded(
                StatusCode::PAYLOAD_TOO_LARGE,
                "INVALID_PARAMETER",
                super::error::codes::INVALID,
                format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
            )
        })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BrityError::invalid("The request body is missing."));
    }
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." {
            String::new()
        } else {
            format!(" at {at}")
        };
        BrityError::invalid(format!("Invalid request body{at}: {}", e.inner()))
    })
}

/// The query parameters (the last of a repeated name wins).
pub(crate) fn query(raw: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// A non-empty query parameter.
pub(crate) fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A required query parameter.
pub(crate) fn required<'a>(
    q: &'a HashMap<String, String>,
    name: &str,
) -> Result<&'a str, BrityError> {
    param(q, name).ok_or_else(|| BrityError::invalid(format!("The parameter {name} is required.")))
}

/// Brity's times: epoch milliseconds.
pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// `Y` or `N`.
pub(crate) fn yn(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// An optional text shown as `null` when empty.
pub(crate) fn text_or_null(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::String(s.to_string())
    }
}

/// An authority letter (`authType`): one of U, R, E, A, D, S.
pub(crate) fn authority(text: &str) -> Result<char, BrityError> {
    let mut chars = text.trim().chars();
    match (chars.next().map(|c| c.to_ascii_uppercase()), chars.next()) {
        (Some(c), None) if "UREADS".contains(c) => Ok(c),
        _ => Err(BrityError::invalid(format!(
            "authType {text:?} is not one of U, R, E, A, D, S."
        ))),
    }
}

/// A string sent as a JSON string or number (`"groupId": "447"` and `447` both appear).
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a string or a number, got {other}"
        ))),
    }
}

/// An integer sent as a JSON number or a numeric string.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match lenient_string(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not an integer"))),
    }
}

/// An asset failure in Brity's `{"errorValue","errorCode","params"}` form.
pub(crate) fn asset_error(e: AssetError) -> BrityError {
    let bad = |value: &str, code: &'static str, params: String| {
        BrityError::coded(StatusCode::BAD_REQUEST, value, code, params)
    };
    match e {
        AssetError::InvalidName { problem, .. } => {
            bad("INVALID_OBJECT_NAME", codes::NAME, problem.code().into())
        }
        AssetError::NameInUse(_) => bad(
            "ALREADY_USE_NAME",
            codes::IN_USE,
            "ALREADY_USE_PROJECT_NAME".into(),
        ),
        AssetError::DuplicateProcessName(_) => bad(
            "DUPLICATED_NAME",
            codes::DUPLICATED,
            "DUPLICATED_NAME".into(),
        ),
        AssetError::Package(p) => bad(p.code(), codes::PACKAGE, p.to_string()),
        AssetError::Upload { code, message } => bad(code, codes::PACKAGE, message),
        AssetError::Store(s) => s.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_letters() {
        assert_eq!(authority("e").unwrap(), 'E');
        assert!(authority("X").is_err());
        assert!(authority("RE").is_err());
    }
}
