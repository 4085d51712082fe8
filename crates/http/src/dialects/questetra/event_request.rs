//! What an HTTP-triggered event request carries, read into field values: request parameters
//! (query string, and a form-encoded POST body) mapped to fields, or a raw JSON body stored
//! in the trigger's body field.

use super::super::wire::QError;
use axum::body::Body;
use axum::http::{header, HeaderMap};
use sluice_domain::engine::{Definition, Values};
use sluice_domain::workflow::{DataType, FieldValue, MessageTrigger};
use std::collections::HashMap;

/// Largest body an event request may send (form or JSON).
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Parameters the URL scheme itself uses; never mapped to fields.
const RESERVED: [&str; 2] = ["key", "processInstanceId"];

/// Reads the body, refusing one over the cap.
pub(crate) async fn body_bytes(body: Body) -> Result<axum::body::Bytes, QError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            QError::validation(format!(
                "The request body could not be read or is larger than {MAX_BODY_BYTES} bytes."
            ))
        })
}

/// The request's parameters: the query string, then a form-encoded body. A name given twice
/// counts once (its first value). A body of another type (multipart included) is refused.
pub(crate) fn parameters(
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<HashMap<String, String>, QError> {
    let mut out = HashMap::new();
    let mut add = |bytes: &[u8]| {
        for (k, v) in form_urlencoded::parse(bytes) {
            out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
    };
    add(query.unwrap_or("").as_bytes());
    if !body.is_empty() {
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form {
            return Err(QError::validation(
                "Send the parameters in the query string or as an \
                 application/x-www-form-urlencoded body.",
            ));
        }
        add(body);
    }
    Ok(out)
}

/// Field values from request parameters: the trigger's `parameters` (name → field), or when
/// it has none, every active field by its name. Parameters naming no field are ignored
/// (senders often add their own); a value that does not parse for its field is refused.
pub(crate) fn mapped_values(
    def: &Definition,
    trigger: &MessageTrigger,
    params: &HashMap<String, String>,
) -> Result<Values, QError> {
    let mut values = Values::new();
    for (name, text) in params {
        if RESERVED.contains(&name.as_str()) {
            continue;
        }
        let field = if trigger.parameters.is_empty() {
            def.fields.iter().find(|f| f.is_active && f.name == *name)
        } else {
            trigger
                .parameters
                .get(name)
                .and_then(|id| def.fields.iter().find(|f| f.id == *id))
        };
        let Some(field) = field else { continue };
        let value = FieldValue::parse_text(field.data_type, &field.name, text)
            .map_err(|e| QError::param(name, e.to_string()))?;
        values.insert(field.id, value);
    }
    Ok(values)
}

/// Field values from a webhook body: it must be JSON, stored as sent in the trigger's body
/// field (none: the body is checked and dropped).
pub(crate) fn webhook_values(
    def: &Definition,
    trigger: &MessageTrigger,
    body: &[u8],
) -> Result<Values, QError> {
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        return Err(QError::validation("The request body must be JSON."));
    }
    let mut values = Values::new();
    if let Some(id) = trigger.body_field {
        let field = def
            .fields
            .iter()
            .find(|f| f.id == id && f.data_type == DataType::Utf8);
        if let Some(field) = field {
            // Valid JSON is valid UTF-8; the field's own size limit applies.
            let text = serde_json::Value::String(String::from_utf8_lossy(body).into_owned());
            let value = FieldValue::parse(DataType::Utf8, &field.name, &text)
                .map_err(|e| QError::validation(e.to_string()))?;
            values.insert(field.id, value);
        }
    }
    Ok(values)
}
