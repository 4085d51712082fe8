//! Wire helpers of Brity's scheduler, botList and license endpoints: lenient JSON fields
//! (Brity sends numbers as strings and JSON objects as strings), UTC times, paging, the
//! scheduler's `resultCode`/`resultDetail` errors, and the job as Brity shows it.

use super::error::BrityError;
use axum::body::Body;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sluice_store::rpa::job_end::JobOutcome;
use sluice_store::rpa::job_reads::Job;

/// Largest accepted request body.
const MAX_BODY_BYTES: usize = 256 * 1024;
/// Rows of a page when `limit` is not given, and the most of one page.
pub(crate) const DEFAULT_LIMIT: i64 = 10;
pub(crate) const MAX_LIMIT: i64 = 100;

/// A scheduler error: `{"resultCode": "FAIL", "resultDetail": detail}`.
pub(crate) fn fail(status: StatusCode, detail: impl Into<String>) -> BrityError {
    BrityError::fail(status, detail)
}

/// A malformed scheduler request, with why.
pub(crate) fn bad(message: impl std::fmt::Display) -> BrityError {
    fail(
        StatusCode::BAD_REQUEST,
        format!("INVALID_PARAMETER: {message}"),
    )
}

/// The same error in the scheduler's form, keeping its explanation.
pub(crate) fn as_fail(e: BrityError) -> BrityError {
    match e {
        BrityError::Coded {
            status,
            value,
            params,
            ..
        } if status == StatusCode::BAD_REQUEST || status == StatusCode::PAYLOAD_TOO_LARGE => {
            fail(status, format!("{value}: {params}"))
        }
        other => other.into_fail(),
    }
}

/// Reads a JSON object body (empty: `{}`); anything else is a 400 in the coded form (use
/// [`as_fail`] on scheduler endpoints).
pub(crate) async fn object_body(body: Body) -> Result<Map<String, Value>, BrityError> {
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
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(BrityError::invalid(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(BrityError::invalid(format!(
            "The request body is not JSON: {e}"
        ))),
    }
}

/// A text field; `null` and absent are `None`, other non-strings are refused.
pub(crate) fn text(m: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => clean(field, s).map(|s| Some(s.to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{field} must be a string.")),
    }
}

/// Longest text field (ids, names, filters, URLs) and path id accepted.
pub(crate) const MAX_TEXT_CHARS: usize = 4000;
pub(crate) const MAX_ID_CHARS: usize = 200;

/// `value` if it may reach the database: no NUL (PostgreSQL refuses it in text, which would
/// otherwise surface as a 500) and not over-long.
fn clean<'a>(field: &str, value: &'a str) -> Result<&'a str, String> {
    if value.contains('\0') {
        return Err(format!("{field} must not contain NUL characters."));
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(format!(
            "{field} is longer than {MAX_TEXT_CHARS} characters."
        ));
    }
    Ok(value)
}

/// An id taken from a path (`{jobId}`): no control characters, at most 200 characters.
pub(crate) fn path_id<'a>(field: &str, value: &'a str) -> Result<&'a str, String> {
    if value.chars().any(char::is_control) || value.chars().count() > MAX_ID_CHARS {
        return Err(format!(
            "{field} must be at most {MAX_ID_CHARS} characters without control characters."
        ));
    }
    Ok(value)
}

/// A non-empty text field (trimmed); empty is `None`.
pub(crate) fn nonempty(m: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    Ok(text(m, field)?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty()))
}

/// An integer sent as a number or a numeric string; empty and `null` are `None`.
pub(crate) fn int(m: &Map<String, Value>, field: &str) -> Result<Option<i64>, String> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("{field} must be an integer.")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{field} must be an integer.")),
        Some(_) => Err(format!("{field} must be an integer.")),
    }
}

/// A JSON object sent as an object or as a string holding one; empty and `null` are `None`.
pub(crate) fn object(
    m: &Map<String, Value>,
    field: &str,
) -> Result<Option<Map<String, Value>>, String> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o.clone())),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(o)) => Ok(Some(o)),
            _ => Err(format!(
                "{field} must be a JSON object (or a string holding one)."
            )),
        },
        Some(_) => Err(format!(
            "{field} must be a JSON object (or a string holding one)."
        )),
    }
}

/// `"Y"`/`"N"` (any case) as a flag; other values are refused.
pub(crate) fn yn(value: Option<&Value>, field: &str) -> Result<Option<bool>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("y") => Ok(Some(true)),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("n") => Ok(Some(false)),
        Some(_) => Err(format!("{field} must be \"Y\" or \"N\".")),
    }
}

/// A time in Java's `ISO_ZONED_DATE_TIME` (`2021-07-13T00:00:00Z`, an offset, optionally a
/// `[zone]` suffix), as UTC.
pub(crate) fn parse_time(field: &str, value: &str) -> Result<DateTime<Utc>, String> {
    let v = value.trim();
    let v = match v.find('[') {
        Some(i) if v.ends_with(']') => &v[..i],
        _ => v,
    };
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{field} must be a zoned date-time such as 2021-07-13T00:00:00Z."))
}

/// A time as Brity shows one: UTC, to the second (`2021-07-14T22:44:49Z`).
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(crate) fn time_or_null(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(time(t)))
}

/// `offset` and `limit` of a list body: 0 and 10 when absent, `limit` lowered to 100,
/// negatives refused.
pub(crate) fn paging(m: &Map<String, Value>) -> Result<(i64, i64), String> {
    let offset = int(m, "offset")?.unwrap_or(0);
    let limit = int(m, "limit")?.unwrap_or(DEFAULT_LIMIT);
    if offset < 0 {
        return Err("offset must not be negative.".into());
    }
    if limit < 0 {
        return Err(format!("limit must be 0 to {MAX_LIMIT}."));
    }
    Ok((offset, limit.min(MAX_LIMIT)))
}

/// Brity's statusName of a job status code.
fn status_name(status: i64) -> &'static str {
    match status {
        1 => "JOB_WAIT",
        3 => "JOB_RUNNING",
        _ => "JOB_END",
    }
}

/// The parameters as Brity shows them since v2.1.1: `{"name": {"value", "hidden"}}`, the
/// values of hidden inputs blank.
pub(crate) fn shown_parameters(job: &Job) -> String {
    let hidden = job.hidden();
    let given: Map<String, Value> = serde_json::from_str(&job.parameters).unwrap_or_default();
    let shown: Map<String, Value> = given
        .into_iter()
        .map(|(name, value)| {
            let is_hidden = hidden.contains(&name);
            let value = if is_hidden { json!("") } else { value };
            (
                name,
                json!({"value": value, "hidden": if is_hidden { "true" } else { "false" }}),
            )
        })
        .collect();
    Value::Object(shown).to_string()
}

/// A job as Brity's job get, `jobs/list` and callbacks show it. Without E on the process the
/// parameters and result are blank (`"{}"`).
pub(crate) fn render_job(job: &Job) -> Value {
    let (parameters, result) = if job.can_execute {
        (shown_parameters(job), job.result.clone())
    } else {
        ("{}".to_string(), "{}".to_string())
    };
    let detail = job.detail.and_then(JobOutcome::from_code);
    json!({
        "jobId": job.id,
        "processId": job.process_id,
        "version": job.version,
        "botId": job.bot_id.clone().unwrap_or_default(),
        "jobUser": job.job_user,
        "jobParameter": parameters,
        "statusCode": job.status.to_string(),
        "statusName": status_name(job.status),
        "detailCode": detail.map(|d| d.code().to_string()).unwrap_or_default(),
        "detailName": detail.map(|d| d.name()).unwrap_or_default(),
        "result": result,
        "scheduledTime": time(job.scheduled_at),
        "startTime": time_or_null(job.started_at),
        "endTime": time_or_null(job.ended_at),
        "processName": job.process_name,
        "projectName": job.project_name,
        "botName": job.bot_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_fields() {
        let m = json!({"a": "1", "b": 2, "c": "", "d": "x", "o": "{\"k\":1}", "p": {"k": 2}, "q": "[1]"});
        let m = m.as_object().unwrap();
        assert_eq!(int(m, "a").unwrap(), Some(1));
        assert_eq!(int(m, "b").unwrap(), Some(2));
        assert_eq!(int(m, "c").unwrap(), None);
        assert!(int(m, "d").is_err());
        assert_eq!(object(m, "o").unwrap().unwrap()["k"], 1);
        assert_eq!(object(m, "p").unwrap().unwrap()["k"], 2);
        assert!(object(m, "q").is_err());
    }

    #[test]
    fn zoned_times() {
        let t = parse_time("t", "2021-07-13T09:00:00+09:00[Asia/Seoul]").unwrap();
        assert_eq!(time(t), "2021-07-13T00:00:00Z");
        assert!(parse_time("t", "2021-07-13").is_err());
    }
}
