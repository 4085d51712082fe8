//! The one JSON body reader of Brity's asset and tenant endpoints: a size cap, a 400 that
//! names where the body is wrong, and no NUL character anywhere in it (PostgreSQL refuses
//! 0x00 in text, which would otherwise surface as a 500 deep in the store).

use super::error::BrityError;
use axum::body::Body;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Largest accepted JSON body (mapping lists of a thousand ids fit easily).
pub(crate) const MAX_BODY_BYTES: usize = 256 * 1024;

/// Reads a JSON body; an empty body is `None`. Too large: 413; malformed JSON, a wrong type
/// or a NUL in a string or key: 400 in Brity's form.
pub(crate) async fn read_json<T: DeserializeOwned>(body: Body) -> Result<Option<T>, BrityError> {
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
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| BrityError::invalid(format!("Invalid request body: {e}")))?;
    if let Some(at) = nul_at(&value, String::new()) {
        let at = if at.is_empty() { ".".into() } else { at };
        return Err(BrityError::invalid(format!(
            "Invalid request body at {at}: text may not hold a NUL character."
        )));
    }
    serde_path_to_error::deserialize(value)
        .map(Some)
        .map_err(|e| {
            let at = e.path().to_string();
            let at = if at == "." {
                String::new()
            } else {
                format!(" at {at}")
            };
            BrityError::invalid(format!("Invalid request body{at}: {}", e.inner()))
        })
}

/// Where the first NUL character of a JSON value is (its path), if any.
fn nul_at(v: &Value, at: String) -> Option<String> {
    match v {
        Value::String(s) => s.contains('\0').then_some(at),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_at(item, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            if k.contains('\0') {
                Some(at.clone())
            } else {
                let sep = if at.is_empty() { "" } else { "." };
                nul_at(item, format!("{at}{sep}{k}"))
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_nul_characters() {
        assert_eq!(nul_at(&json!({"a": [1, "x"]}), String::new()), None);
        assert_eq!(
            nul_at(&json!({"a": [1, "x\u{0}"]}), String::new()).as_deref(),
            Some("a[1]")
        );
        assert_eq!(nul_at(&json!("\u{0}"), String::new()).as_deref(), Some(""));
    }
}
