//! Wire forms of the queue endpoints: the create body, queues as Brity shows them, queue
//! refusals, a message read from a request (a raw text body or a multipart file, within
//! the size limit) and a message as a response.

use super::asset_wire::{codes as asset_codes, lenient_i64, yn};
use super::error::codes;
use super::BrityError;
use crate::AppState;
use axum::body::Body;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use sluice_store::rpa::queue_messages::{
    Message, MAX_CONTENT_TYPE_CHARS, MAX_FILE_NAME_CHARS, MAX_MESSAGE_BYTES,
};
use sluice_store::rpa::queues::{Queue, QueueError};

/// Room a multipart body may take beyond its file (boundaries, part headers, small fields).
pub(crate) const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// A text sent without a content type.
const TEXT_TYPE: &str = "text/plain; charset=utf-8";
/// A file sent without a content type.
const FILE_TYPE: &str = "application/octet-stream";

/// `Y`/`N` (any case) or a JSON boolean; absent or `""` is `None`.
fn yn_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) => match s.trim().to_ascii_uppercase().as_str() {
            "" => Ok(None),
            "Y" => Ok(Some(true)),
            "N" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom(format!("{s:?} is not Y or N"))),
        },
        Some(other) => Err(serde::de::Error::custom(format!("{other} is not Y or N"))),
    }
}

/// The body of `messageQueue/use/1/{name}`. No `Debug`: it holds the password.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateBody {
    #[serde(default)]
    pub desc: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub message_expiration_time: Option<i64>,
    #[serde(default, deserialize_with = "yn_flag")]
    pub is_system_queue: Option<bool>,
    #[serde(default, deserialize_with = "yn_flag")]
    pub is_used: Option<bool>,
    #[serde(default, deserialize_with = "yn_flag")]
    pub is_secure_queue: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// The answer of a create: the example's fields.
pub(crate) fn created(q: &Queue) -> Value {
    json!({
        "desc": q.description,
        "messageExpirationTime": q.expiration_secs.to_string(),
        "isSystemQueue": yn(q.is_system),
        "isUsed": yn(q.is_used),
        "isSecureQueue": yn(q.is_secure),
        "name": q.name,
        "historicalDataRetention": "",
        "id": q.id,
        "version": "1.00",
        "activation": "Y",
        "queueName": q.name,
    })
}

/// A queue as `messageQueue/list` shows it.
pub(crate) fn listed(q: &Queue) -> Value {
    json!({
        "managerUsrId": null,
        "createUserId": q.created_by,
        "isSecureQueue": yn(q.is_secure),
        "typeName": "Queue",
        "type": 15,
        "messageExpirationTime": q.expiration_secs.to_string(),
        "historicalDataRetention": "",
        "id": q.id,
        "updateDatetime": q.created_at,
        "updateUserId": q.created_by,
        "isUsed": yn(q.is_used),
        "delYn": "N",
        "createDatetime": q.created_at,
        "name": q.name,
        "desc": q.description,
        "status": 1,
    })
}

/// A queue refusal in Brity's `{"errorValue","errorCode","params"}` form.
pub(crate) fn queue_error(e: QueueError) -> BrityError {
    let message = e.to_string();
    match e {
        QueueError::InvalidName(problem) => BrityError::coded(
            StatusCode::BAD_REQUEST,
            "INVALID_OBJECT_NAME",
            asset_codes::NAME,
            problem.code(),
        ),
        QueueError::NameInUse(_) => BrityError::coded(
            StatusCode::BAD_REQUEST,
            "ALREADY_USE_NAME",
            asset_codes::IN_USE,
            "ALREADY_USE_QUEUE_NAME",
        ),
        QueueError::NotFound(_) => BrityError::not_found(message),
        QueueError::NotInUse(_) => BrityError::coded(
            StatusCode::CONFLICT,
            "QUEUE_IS_NOT_USED",
            codes::CONFLICT,
            message,
        ),
        QueueError::WrongPassword(_) => BrityError::coded(
            StatusCode::FORBIDDEN,
            "INVALID_QUEUE_PASSWORD",
            codes::DENIED,
            message,
        ),
        QueueError::Full(_) => BrityError::coded(
            StatusCode::CONFLICT,
            "QUEUE_IS_FULL",
            codes::CONFLICT,
            message,
        ),
        QueueError::Store(e) => e.into(),
    }
}

/// 413 for a message over the limit.
pub(crate) fn too_large() -> BrityError {
    BrityError::coded(
        StatusCode::PAYLOAD_TOO_LARGE,
        "MESSAGE_TOO_LARGE",
        codes::INVALID,
        format!("A message may be at most {MAX_MESSAGE_BYTES} bytes."),
    )
}

/// A secure queue's password: the `password` header (UTF-8).
pub(crate) fn password(headers: &HeaderMap) -> Result<Option<String>, BrityError> {
    headers
        .get("password")
        .map(|v| {
            String::from_utf8(v.as_bytes().to_vec())
                .map_err(|_| BrityError::invalid("The password header is not UTF-8."))
        })
        .transpose()
}

/// `peek`: `Y` (any case) looks without taking; `N` or absent takes.
pub(crate) fn peek(raw_query: Option<&str>) -> Result<bool, BrityError> {
    let q = super::asset_wire::query(raw_query)?;
    match q
        .get("peek")
        .map(|v| v.trim().to_ascii_uppercase())
        .as_deref()
    {
        None | Some("") | Some("N") => Ok(false),
        Some("Y") => Ok(true),
        Some(_) => Err(BrityError::invalid("peek must be Y or N.")),
    }
}

/// A content type fit to store and answer with (a visible-ASCII header value of sane
/// length), else `default`.
fn content_type(value: Option<&str>, default: &str) -> String {
    value
        .map(str::trim)
        .filter(|v| {
            !v.is_empty()
                && v.len() <= MAX_CONTENT_TYPE_CHARS
                && v.bytes().all(|b| (0x20..0x7f).contains(&b))
        })
        .unwrap_or(default)
        .to_string()
}

/// A sent file's name: its last path segment, without control characters, at most
/// [`MAX_FILE_NAME_CHARS`] characters; `file` when nothing is left.
fn file_name(sent: Option<&str>) -> String {
    let base = sent.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    match clean.trim() {
        "" | "." | ".." => "file".into(),
        t => t.to_string(),
    }
}

fn multipart_error(e: MultipartError) -> BrityError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        BrityError::invalid(format!(
            "The multipart body is malformed: {}",
            e.body_text()
        ))
    }
}

/// The message a send carries: a `file` field of a `multipart/form-data` body, or else the
/// raw body as a text. Nothing beyond the limit is read: a larger `Content-Length` is
/// refused at once, and a body without one is cut off as it passes the limit.
pub(crate) async fn read_message(req: Request, state: &AppState) -> Result<Message, BrityError> {
    let headers = req.headers();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let multipart = ctype.as_deref().is_some_and(|c| {
        c.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    });
    let room = MAX_MESSAGE_BYTES + if multipart { MULTIPART_OVERHEAD } else { 0 };
    if declared.is_some_and(|n| n > room as u64) {
        return Err(too_large());
    }
    if multipart {
        return read_file(req, state).await;
    }
    let body = axum::body::to_bytes(req.into_body(), MAX_MESSAGE_BYTES)
        .await
        .map_err(|_| too_large())?;
    if body.is_empty() {
        return Err(BrityError::invalid("The message is empty."));
    }
    Ok(Message {
        file_name: None,
        content_type: content_type(ctype.as_deref(), TEXT_TYPE),
        body: Vec::from(body),
    })
}

/// The one `file` field of a multipart send (other fields are passed over).
async fn read_file(req: Request, state: &AppState) -> Result<Message, BrityError> {
    let mut form = Multipart::from_request(req, state).await.map_err(|e| {
        BrityError::invalid(format!(
            "The multipart body is malformed: {}",
            e.body_text()
        ))
    })?;
    let mut found: Option<Message> = None;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        if found.is_some() {
            return Err(BrityError::invalid("Send one file per message."));
        }
        let name = file_name(field.file_name());
        let ctype = content_type(field.content_type(), FILE_TYPE);
        let mut body = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if body.len() + chunk.len() > MAX_MESSAGE_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        found = Some(Message {
            file_name: Some(name),
            content_type: ctype,
            body,
        });
    }
    found.ok_or_else(|| BrityError::invalid("The multipart body has no file field."))
}

/// RFC 5987 `ext-value` characters: the rest is percent-encoded.
fn attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// `attachment` with the file name: an ASCII fallback and the exact name (RFC 6266).
fn disposition(name: &str) -> Option<HeaderValue> {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if attr_char(b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .ok()
}

/// A received message: a text as its raw body, a file with its name; each with the content
/// type it was sent with.
pub(crate) fn message_response(m: Message) -> Response {
    let default = if m.file_name.is_some() {
        FILE_TYPE
    } else {
        TEXT_TYPE
    };
    let ctype = HeaderValue::from_str(&m.content_type)
        .ok()
        .filter(|_| !m.content_type.is_empty())
        .unwrap_or(HeaderValue::from_static(default));
    let disposition = m.file_name.as_deref().and_then(disposition);
    let mut res = Body::from(m.body).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, ctype);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(d) = disposition {
        headers.insert(header::CONTENT_DISPOSITION, d);
    }
    // The content type is the sender's: a browser must not run it on Sluice's origin.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_folders_and_control_characters() {
        assert_eq!(file_name(Some("C:\\tmp\\report.pdf")), "report.pdf");
        assert_eq!(file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(file_name(Some("a\u{0}b\r\n.txt")), "ab.txt");
        assert_eq!(file_name(Some("..")), "file");
        assert_eq!(file_name(None), "file");
        assert_eq!(file_name(Some(&"x".repeat(300))).len(), 255);
    }

    #[test]
    fn dispositions_carry_the_exact_name() {
        let d = disposition("résumé \"v2\".pdf").unwrap();
        assert_eq!(
            d.to_str().unwrap(),
            "attachment; filename=\"r_sum_ _v2_.pdf\"; \
             filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.pdf"
        );
    }

    #[test]
    fn content_types_are_kept_only_when_fit() {
        assert_eq!(
            content_type(Some("application/json"), TEXT_TYPE),
            "application/json"
        );
        assert_eq!(content_type(Some("text/\u{7f}"), TEXT_TYPE), TEXT_TYPE);
        assert_eq!(content_type(None, FILE_TYPE), FILE_TYPE);
    }
}
