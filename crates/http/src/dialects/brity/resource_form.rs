//! The body of a shared resource or credential registration: `multipart/form-data` (the
//! spec's form, and the only one that carries a file), a JSON object or a form-urlencoded
//! body, with the fields `id`, `name`, `category`, `isSecureData`, `largeCategory`,
//! `mediumCategory`, `desc`, `data` and `file`. Sizes are enforced while reading, so an
//! oversized part is refused before it is buffered whole.

use super::error::{codes, BrityError};
use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde_json::Value;
use sluice_store::rpa::resources::{
    Category, FileUpload, ResourceChange, MAX_FILE_BYTES, MAX_VALUE_BYTES,
};

/// Longest text part read (the store's own limits are smaller; this bounds the buffer).
const MAX_TEXT_PART: usize = 64 * 1024;

/// A field as it arrived.
enum Part {
    Text(String),
    Json(Value),
    File(FileUpload),
}

pub(crate) fn too_large(what: &str, max: usize) -> BrityError {
    BrityError::coded(
        StatusCode::PAYLOAD_TOO_LARGE,
        "INVALID_PARAMETER",
        codes::INVALID,
        format!("{what} is larger than {max} bytes."),
    )
}

fn multipart_error(e: MultipartError) -> BrityError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large("The request body", MAX_FILE_BYTES)
    } else {
        BrityError::invalid(format!(
            "The multipart body is malformed: {}",
            e.body_text()
        ))
    }
}

/// Reads a part chunk by chunk, refusing it as soon as it passes `max` bytes.
pub(crate) async fn read_part(
    mut field: Field<'_>,
    what: &str,
    max: usize,
) -> Result<Vec<u8>, BrityError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if out.len() + chunk.len() > max {
            return Err(too_large(what, max));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The last component of a file name as a browser may send it (`C:\dir\a.txt` → `a.txt`).
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .trim()
        .to_string()
}

async fn multipart_parts(mut form: Multipart) -> Result<Vec<(String, Part)>, BrityError> {
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().map(base_name).unwrap_or_default();
            let bytes = read_part(field, "The file", MAX_FILE_BYTES).await?;
            // A form whose file input was left empty sends an empty, unnamed part.
            if !(file_name.is_empty() && bytes.is_empty()) {
                parts.push((
                    name,
                    Part::File(FileUpload {
                        name: file_name,
                        bytes,
                    }),
                ));
            }
        } else {
            let bytes = read_part(field, &format!("The part {name}"), MAX_TEXT_PART).await?;
            let text = String::from_utf8(bytes)
                .map_err(|_| BrityError::invalid(format!("The part {name} is not UTF-8 text.")))?;
            parts.push((name, Part::Text(text)));
        }
    }
    Ok(parts)
}

/// The fields of a registration body, whatever its content type.
pub(crate) async fn read_change(req: Request) -> Result<ResourceChange, BrityError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let parts = if content_type.starts_with("multipart/form-data") {
        let form = Multipart::from_request(req, &()).await.map_err(|e| {
            BrityError::invalid(format!(
                "The multipart body is malformed: {}",
                e.body_text()
            ))
        })?;
        multipart_parts(form).await?
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = axum::body::to_bytes(req.into_body(), super::json_body::MAX_BODY_BYTES)
            .await
            .map_err(|_| too_large("The request body", super::json_body::MAX_BODY_BYTES))?;
        form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), Part::Text(v.into_owned())))
            .collect()
    } else if content_type.is_empty() || content_type.contains("json") {
        match super::json_body::read_json::<Value>(req.into_body()).await? {
            Some(Value::Object(map)) => map.into_iter().map(|(k, v)| (k, Part::Json(v))).collect(),
            Some(_) => {
                return Err(BrityError::invalid(
                    "The request body must be a JSON object.",
                ))
            }
            None => return Err(BrityError::invalid("The request body is missing.")),
        }
    } else {
        return Err(BrityError::invalid(
            "The body must be multipart/form-data, application/json or application/x-www-form-urlencoded.",
        ));
    };
    let change = change_of(parts)?;
    if change
        .text
        .as_ref()
        .is_some_and(|t| t.len() > MAX_VALUE_BYTES)
    {
        return Err(too_large("data", MAX_VALUE_BYTES));
    }
    Ok(change)
}

/// A scalar field as text; `None` for JSON null.
fn text_of(name: &str, part: Part) -> Result<Option<String>, BrityError> {
    match part {
        Part::Text(s) | Part::Json(Value::String(s)) => Ok(Some(s)),
        Part::Json(Value::Null) => Ok(None),
        Part::Json(Value::Number(n)) => Ok(Some(n.to_string())),
        Part::Json(Value::Bool(b)) => Ok(Some(b.to_string())),
        _ => Err(BrityError::invalid(format!("{name} must be a text."))),
    }
}

/// `Y`/`N` (also `true`/`false`); empty is "not given".
fn yes_no(name: &str, text: Option<String>) -> Result<Option<bool>, BrityError> {
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.eq_ignore_ascii_case("y") || t.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(t) if t.eq_ignore_ascii_case("n") || t.eq_ignore_ascii_case("false") => {
            Ok(Some(false))
        }
        Some(t) => Err(BrityError::invalid(format!(
            "{name} must be Y or N, not {t:?}."
        ))),
    }
}

/// largeCategory as the examples send it: a JSON array, a JSON array in a text, or a
/// loosely bracketed list (`[TestTag", "TESTTag]`), each read as its list of tags.
pub(crate) fn tags(text: &str) -> Vec<String> {
    let t = text.trim();
    if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(t) {
        return items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .filter(|s| !s.trim().is_empty())
            .collect();
    }
    t.split(',')
        .map(|p| p.trim_matches(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '"' | '\'')))
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn change_of(parts: Vec<(String, Part)>) -> Result<ResourceChange, BrityError> {
    let mut c = ResourceChange::default();
    for (name, part) in parts {
        match name.as_str() {
            "id" => {
                c.id = text_of(&name, part)?
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
            }
            "name" => c.name = text_of(&name, part)?,
            "category" => {
                c.category = match text_of(&name, part)?.filter(|s| !s.trim().is_empty()) {
                    None => None,
                    Some(s) => Some(Category::parse(&s).ok_or_else(|| {
                        BrityError::invalid(format!("category must be string or file, not {s:?}."))
                    })?),
                }
            }
            "isSecureData" => c.secure = yes_no(&name, text_of(&name, part)?)?,
            "largeCategory" => {
                c.large_category = match part {
                    Part::Json(Value::Array(items)) => Some(tags(&Value::Array(items).to_string())),
                    other => text_of(&name, other)?.map(|t| tags(&t)),
                }
            }
            "mediumCategory" => c.medium_category = text_of(&name, part)?,
            "desc" => c.description = text_of(&name, part)?,
            "data" => {
                c.text = match part {
                    // A credential's fields may come as an object: kept as its JSON text.
                    Part::Json(v @ (Value::Object(_) | Value::Array(_))) => Some(v.to_string()),
                    other => text_of(&name, other)?,
                }
            }
            "file" => match part {
                Part::File(f) => c.file = Some(f),
                _ => {
                    return Err(BrityError::invalid(
                        "file must be a file part of a multipart/form-data body.",
                    ))
                }
            },
            // Other fields are passed over, as a form may carry extras.
            _ => {}
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_categories_in_every_form_of_the_examples() {
        assert_eq!(tags(r#"[TestTag", "TESTTag]"#), ["TestTag", "TESTTag"]);
        assert_eq!(tags(r#"["Credential", "TEST]""#), ["Credential", "TEST"]);
        assert_eq!(tags(r#"["Testing","TEST"]"#), ["Testing", "TEST"]);
        assert_eq!(tags(r#"["a, b", "c"]"#), ["a, b", "c"]);
        assert!(tags("[]").is_empty() && tags("").is_empty() && tags(" [ ] ").is_empty());
        assert_eq!(tags("Solo"), ["Solo"]);
    }

    #[test]
    fn file_names_lose_their_folders() {
        assert_eq!(
            base_name(r"C:\Users\me\hello - copy (2).txt"),
            "hello - copy (2).txt"
        );
        assert_eq!(base_name("a/b/c.svg"), "c.svg");
    }

    #[test]
    fn json_fields_are_read_leniently() {
        let parts = vec![
            ("id".to_string(), Part::Json(Value::from(42))),
            ("isSecureData".to_string(), Part::Json(Value::from("y"))),
            (
                "largeCategory".to_string(),
                Part::Json(serde_json::json!(["A", "B"])),
            ),
            (
                "data".to_string(),
                Part::Json(serde_json::json!({"userId": "u"})),
            ),
            ("extra".to_string(), Part::Json(Value::Null)),
        ];
        let c = change_of(parts).unwrap();
        assert_eq!(c.id.as_deref(), Some("42"));
        assert_eq!(c.secure, Some(true));
        assert_eq!(c.large_category.unwrap(), ["A", "B"]);
        assert_eq!(c.text.as_deref(), Some(r#"{"userId":"u"}"#));
        assert!(change_of(vec![("isSecureData".into(), Part::Text("maybe".into()))]).is_err());
        assert!(change_of(vec![("category".into(), Part::Text("folder".into()))]).is_err());
        assert!(change_of(vec![("file".into(), Part::Text("a.txt".into()))]).is_err());
        assert!(change_of(vec![("name".into(), Part::Json(serde_json::json!([1])))]).is_err());
    }
}
