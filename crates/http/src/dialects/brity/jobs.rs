//! Brity's scheduler job endpoints: run (`POST /scheduler/api/v1/jobs`), get, `jobs/list`,
//! the result image, and stop. Errors in the scheduler's `resultCode`/`resultDetail` form.

use super::auth::{acting_user, authorization, Caller};
use super::jobs_wire::{
    as_fail, bad, fail, int, nonempty, object, object_body, paging, parse_time, path_id,
    render_job, text, yn,
};
use super::BrityError;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use sluice_store::oauth::Principal;
use sluice_store::rpa::job_reads::{JobOrder, JobQuery, Viewer};
use sluice_store::rpa::job_stop::StopOutcome;
use sluice_store::rpa::jobs::{BotSelect, JobCallback, JobRefusal, NewJob, MAX_RETRIES};

/// The priority of a job that names none (1 is the most urgent).
pub(crate) const DEFAULT_PRIORITY: i64 = 5;
/// Longest `callbackInfo` URL and `additionalJsonText`.
const MAX_URL_CHARS: usize = 2000;
const MAX_ADDITIONAL_BYTES: usize = 64 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/scheduler/api/v1/jobs", post(run_job))
        .route("/scheduler/api/v1/jobs/list", post(list_jobs))
        .route("/scheduler/api/v1/jobs/{job_id}", get(get_job))
        .route("/scheduler/api/v1/jobs/{job_id}/file", get(job_file))
        .route(
            "/scheduler/api/v1/actions/jobs/{job_id}/stop",
            post(stop_job),
        )
}

/// The user a job call acts for: the body's `userAuthentication` (else the header, else the
/// `Authorization` credential's user); it must be a user.
async fn job_user(
    app: &AppState,
    headers: &HeaderMap,
    body: &Map<String, Value>,
) -> Result<Principal, BrityError> {
    let caller = authorization(headers, app).await.map_err(as_fail)?;
    let in_body = text(body, "userAuthentication").map_err(bad)?;
    let in_header = headers
        .get(super::auth::USER_AUTHENTICATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let given = in_body.filter(|v| !v.trim().is_empty()).or(in_header);
    // The same credential in both places (the usual call) is looked up once.
    let same = given.as_deref().map(str::trim)
        == headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
    let acting = if same && caller.user.is_some() {
        caller
    } else {
        acting_user(app, caller, given.as_deref())
            .await
            .map_err(as_fail)?
    };
    if acting.user.is_none() {
        return Err(bad(
            "userAuthentication is required: the user the job runs for.",
        ));
    }
    Ok(acting)
}

/// The bot selection of a run request; `None`: the process version's default.
fn bot_select(body: &Map<String, Value>) -> Result<Option<BotSelect>, String> {
    let bot_id = nonempty(body, "botId")?;
    match int(body, "botSelectType")? {
        None => Ok(None),
        Some(1) => Ok(Some(BotSelect::All)),
        Some(2) => {
            let group = bot_id.ok_or("botId must name the bot group when botSelectType is 2.")?;
            let group = group
                .parse()
                .map_err(|_| format!("{group:?} is not a bot group id."))?;
            Ok(Some(BotSelect::Group(group)))
        }
        Some(3) => Ok(Some(BotSelect::Bot(
            bot_id.ok_or("botId must name the bot when botSelectType is 3.")?,
        ))),
        Some(_) => Err("botSelectType must be 1, 2 or 3.".into()),
    }
}

/// `jobRequestOption.retryOnFail`: how many retries after a failure.
pub(crate) fn retry_count(body: &Map<String, Value>) -> Result<i64, String> {
    let Some(option) = object(body, "jobRequestOption")? else {
        return Ok(0);
    };
    let Some(retry) = object(&option, "retryOnFail")? else {
        return Ok(0);
    };
    match int(&retry, "retryOptionType")? {
        None | Some(0) => Ok(0),
        Some(2) => {
            let n = int(&retry, "retryCount")?.unwrap_or(0);
            if (0..=MAX_RETRIES).contains(&n) {
                Ok(n)
            } else {
                Err(format!("retryCount must be 0 to {MAX_RETRIES}."))
            }
        }
        Some(_) => Err("retryOptionType must be 0 or 2.".into()),
    }
}

/// `callbackInfo`, `resultReqText` and `additionalJsonText`. A host given as an address is
/// checked here (a name is checked when the callback is sent: it may resolve otherwise).
fn callback(body: &Map<String, Value>, allow_private: bool) -> Result<Option<JobCallback>, String> {
    let Some(url) = nonempty(body, "callbackInfo")? else {
        return Ok(None);
    };
    let parsed = reqwest::Url::parse(&url).map_err(|_| "callbackInfo must be a URL.")?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
        || url.chars().count() > MAX_URL_CHARS
    {
        return Err(format!(
            "callbackInfo must be an http or https URL of at most {MAX_URL_CHARS} characters."
        ));
    }
    if let Some(why) = super::callbacks::literal_address(&parsed)
        .and_then(|ip| super::callbacks::refused_address(ip, allow_private))
    {
        return Err(format!("callbackInfo may not point to {why}."));
    }
    let wants = object(body, "resultReqText")?.unwrap_or_default();
    let additional = match body.get("additionalJsonText") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    if additional
        .as_ref()
        .is_some_and(|a| a.len() > MAX_ADDITIONAL_BYTES)
    {
        return Err(format!(
            "additionalJsonText is larger than {MAX_ADDITIONAL_BYTES} bytes."
        ));
    }
    Ok(Some(JobCallback {
        url,
        file: yn(wants.get("file"), "resultReqText.file")?.unwrap_or(false),
        message: yn(wants.get("message"), "resultReqText.message")?.unwrap_or(false),
        additional_json: additional,
    }))
}

fn parse_run(body: &Map<String, Value>, allow_private: bool) -> Result<NewJob, String> {
    let job_type = int(body, "jobType")?.ok_or("jobType is required.")?;
    let process_id = nonempty(body, "processId")?.ok_or("processId is required.")?;
    let parameters = object(body, "jobParameter")?.unwrap_or_default();
    Ok(NewJob {
        job_type,
        process_id,
        priority: int(body, "priority")?.unwrap_or(DEFAULT_PRIORITY),
        parameters,
        bot_select: bot_select(body)?,
        callback: callback(body, allow_private)?,
        retry_count: retry_count(body)?,
    })
}

pub(crate) fn refusal(r: JobRefusal) -> BrityError {
    match r {
        JobRefusal::Invalid(m) => bad(m),
        JobRefusal::ProcessNotFound => fail(StatusCode::NOT_FOUND, "PROCESS_INFO_NOT_EXIST"),
        JobRefusal::NoAuthority(_) => fail(StatusCode::FORBIDDEN, "NO_AUTHORITY"),
        JobRefusal::ProjectStopped => fail(StatusCode::CONFLICT, "PROJECT_IS_STOPPED"),
        JobRefusal::NotActivated => fail(StatusCode::CONFLICT, "PROCESS_IS_NOT_ACTIVATED"),
        JobRefusal::BotNotFound => fail(StatusCode::NOT_FOUND, "BOT_INFO_NOT_EXIST"),
        JobRefusal::BotGroupNotFound => fail(StatusCode::NOT_FOUND, "BOT_GROUP_INFO_NOT_EXIST"),
        JobRefusal::NoUsableBot => fail(StatusCode::CONFLICT, "NO_AVAILABLE_BOT"),
        JobRefusal::ProcessFlowUnsupported => {
            fail(StatusCode::BAD_REQUEST, "JOB_TYPE_NOT_SUPPORTED")
        }
    }
}

/// `POST /scheduler/api/v1/jobs`: queues a job and answers its id with the estimates.
async fn run_job(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let body = object_body(body).await.map_err(as_fail)?;
    let acting = job_user(&app, &headers, &body).await?;
    let allow_private = app.store.rpa_settings().callback_allow_private;
    let new = parse_run(&body, allow_private).map_err(bad)?;
    let user = acting.user.as_ref().expect("checked by job_user");
    let created = app
        .store
        .create_job(acting.org.id, user, new)
        .await
        .map_err(|e| as_fail(e.into()))?
        .map_err(refusal)?;
    Ok(Json(json!({
        "jobId": created.id,
        "averageSeconds": created.average_seconds,
        "expectWaitingSeconds": created.expect_waiting_seconds,
        "resultCode": "SUCCESS",
        "jobType": created.job_type,
    })))
}

fn job_not_found() -> BrityError {
    fail(StatusCode::NOT_FOUND, "JOB_INFO_NOT_EXIST")
}

/// `GET /scheduler/api/v1/jobs/{jobId}`.
async fn get_job(
    State(app): State<AppState>,
    caller: Result<Caller, BrityError>,
    Path(job_id): Path<String>,
) -> Result<Json<Value>, BrityError> {
    let job_id = path_id("jobId", &job_id).map_err(bad)?.to_string();
    let Caller(p) = caller.map_err(as_fail)?;
    let job = app
        .store
        .job(p.org.id, Viewer::of(&p), &job_id)
        .await
        .map_err(|e| as_fail(e.into()))?
        .ok_or_else(job_not_found)?;
    Ok(Json(render_job(&job)))
}

/// `orderBy` of `jobs/list`: comma-separated `column [asc|desc]`.
fn order(value: Option<&str>) -> Result<Vec<(JobOrder, bool)>, String> {
    let mut out = Vec::new();
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(out);
    };
    let refused = || {
        "orderBy must be botId, scheduledTime, startTime or endTime, each with an optional ASC or DESC."
            .to_string()
    };
    for part in v.split(',') {
        let mut words = part.split_whitespace();
        let column = match words.next().map(str::to_ascii_lowercase).as_deref() {
            Some("botid") => JobOrder::BotId,
            Some("scheduledtime") => JobOrder::ScheduledTime,
            Some("starttime") => JobOrder::StartTime,
            Some("endtime") => JobOrder::EndTime,
            _ => return Err(refused()),
        };
        let desc = match words.next() {
            None => false,
            Some(d) if d.eq_ignore_ascii_case("asc") => false,
            Some(d) if d.eq_ignore_ascii_case("desc") => true,
            Some(_) => return Err(refused()),
        };
        if words.next().is_some() {
            return Err(refused());
        }
        out.push((column, desc));
    }
    Ok(out)
}

fn parse_list(body: &Map<String, Value>) -> Result<JobQuery, String> {
    let (offset, limit) = paging(body)?;
    let p = object(body, "parameter")?.unwrap_or_default();
    let time_of = |field: &str| -> Result<_, String> {
        nonempty(&p, field)?
            .map(|t| parse_time(field, &t))
            .transpose()
    };
    let by_end_time = match nonempty(&p, "time")?
        .map(|t| t.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("start") => false,
        Some("end") => true,
        Some(_) => return Err("time must be \"start\" or \"end\".".into()),
    };
    let detail = int(&p, "resultCode")?;
    if detail.is_some_and(|d| !(1..=4).contains(&d)) {
        return Err("resultCode must be 1 (success), 2 (failure), 3 (stop) or 4 (timeout).".into());
    }
    Ok(JobQuery {
        process_id: nonempty(&p, "processId")?,
        version: nonempty(&p, "version")?,
        bot_id: nonempty(&p, "botId")?,
        from: time_of("startDatetime")?,
        to: time_of("endDatetime")?,
        by_end_time,
        detail,
        order: order(text(body, "orderBy")?.as_deref())?,
        offset,
        limit,
    })
}

/// `POST /scheduler/api/v1/jobs/list`: ended jobs, filtered, ordered and paged.
async fn list_jobs(
    State(app): State<AppState>,
    caller: Result<Caller, BrityError>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let Caller(p) = caller.map_err(as_fail)?;
    let body = object_body(body).await.map_err(as_fail)?;
    let q = parse_list(&body).map_err(bad)?;
    let (jobs, total) = app
        .store
        .job_page(p.org.id, Viewer::of(&p), &q)
        .await
        .map_err(|e| as_fail(e.into()))?;
    let list: Vec<Value> = jobs.iter().map(render_job).collect();
    Ok(Json(json!({
        "request": {
            "offset": q.offset,
            "limit": q.limit,
            "parameter": body.get("parameter").cloned().unwrap_or_else(|| json!({})),
            "orderBy": body.get("orderBy").cloned().unwrap_or(Value::Null),
        },
        "totalCount": total,
        "listCount": list.len(),
        "list": list,
    })))
}

/// `GET /scheduler/api/v1/jobs/{jobId}/file?fileType=1`: the job's image. Only for those
/// who may execute the process.
async fn job_file(
    State(app): State<AppState>,
    caller: Result<Caller, BrityError>,
    Path(job_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, BrityError> {
    let job_id = path_id("jobId", &job_id).map_err(bad)?.to_string();
    let Caller(p) = caller.map_err(as_fail)?;
    let file_type = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "fileType")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty());
    if file_type.as_deref().is_some_and(|t| t != "1") {
        return Err(bad("fileType must be 1 (image)."));
    }
    let job = app
        .store
        .job(p.org.id, Viewer::of(&p), &job_id)
        .await
        .map_err(|e| as_fail(e.into()))?
        .ok_or_else(job_not_found)?;
    if !job.can_execute {
        return Err(fail(StatusCode::FORBIDDEN, "NO_AUTHORITY"));
    }
    let file = app
        .store
        .job_image(p.org.id, &job_id)
        .await
        .map_err(|e| as_fail(e.into()))?
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, "JOB_FILE_NOT_EXIST"))?;
    let mut res = file.content.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if file.content_type == "image/png" {
            "image/png"
        } else {
            "image/jpeg"
        }),
    );
    // The name is a plain file name (checked on upload); quotes and non-ASCII are replaced.
    let safe: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// `POST /scheduler/api/v1/actions/jobs/{jobId}/stop`.
async fn stop_job(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let job_id = path_id("jobId", &job_id).map_err(bad)?.to_string();
    let body = object_body(body).await.map_err(as_fail)?;
    let acting = job_user(&app, &headers, &body).await?;
    if let Some(t) = int(&body, "jobType").map_err(bad)? {
        if ![1, 2, 21].contains(&t) {
            return Err(bad("jobType must be 1, 2 or 21."));
        }
    }
    let user = acting.user.as_ref().expect("checked by job_user");
    let outcome = app
        .store
        .stop_job(acting.org.id, user, &job_id)
        .await
        .map_err(|e| as_fail(e.into()))?;
    match outcome {
        StopOutcome::Requested | StopOutcome::Failed | StopOutcome::Deleted => {
            Ok(Json(json!({"resultCode": "SUCCESS"})))
        }
        StopOutcome::NotFound => Err(job_not_found()),
        StopOutcome::AlreadyEnded => Err(fail(StatusCode::CONFLICT, "JOB_ALREADY_ENDED")),
        StopOutcome::Denied => Err(fail(StatusCode::FORBIDDEN, "NO_AUTHORITY")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_columns_and_directions() {
        assert_eq!(order(None).unwrap(), vec![]);
        assert_eq!(
            order(Some("botId, endTime DESC")).unwrap(),
            vec![(JobOrder::BotId, false), (JobOrder::EndTime, true)]
        );
        for bad in [
            "jobId",
            "startTime up",
            "startTime desc x",
            "startTime; drop",
        ] {
            assert!(order(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn retries_are_capped() {
        let body = |v: Value| v.as_object().unwrap().clone();
        let opt = |n: i64| {
            body(json!({"jobRequestOption": format!(
                "{{\"retryOnFail\":{{\"retryOptionType\":2,\"retryCount\":{n}}}}}"
            )}))
        };
        assert_eq!(retry_count(&opt(3)).unwrap(), 3);
        assert_eq!(retry_count(&opt(99)).unwrap(), 99);
        assert!(retry_count(&opt(100)).is_err());
        assert_eq!(retry_count(&body(json!({}))).unwrap(), 0);
    }
}
