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

/// Longest accepted query or path parameter, in characters (ids are UUIDs, names at most
/// 64 characters; searches need no more).
const MAX_PARAM_CHARS: usize = 1024;

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
    super::json_body::read_json(body)
        .await?
        .ok_or_else(|| BrityError::invalid("The request body is missing."))
}

/// The query parameters (the last of a repeated name wins). Every value is checked here,
/// once, by [`checked_param`].
pub(crate) fn query(raw: Option<&str>) -> Result<HashMap<String, String>, BrityError> {
    let q: HashMap<String, String> = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    for (name, value) in &q {
        checked_param(name, value)?;
    }
    Ok(q)
}

/// A query or path parameter PostgreSQL can store and compare: no NUL character (a 500
/// otherwise) and at most [`MAX_PARAM_CHARS`] characters.
pub(crate) fn checked_param<'a>(name: &str, value: &'a str) -> Result<&'a str, BrityError> {
    if value.contains('\0') || name.contains('\0') {
        return Err(BrityError::invalid(format!(
            "The parameter {} may not hold a NUL character.",
            name.replace('\0', "")
        )));
    }
    if value.chars().count() > MAX_PARAM_CHARS {
        return Err(BrityError::invalid(format!(
            "The parameter {name} is longer than {MAX_PARAM_CHARS} characters."
        )));
    }
    Ok(value)
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
