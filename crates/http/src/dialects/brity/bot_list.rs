//! Brity's bot status inquiry, `POST /communication/api/v1/botList`: the bots the caller may
//! see, up or down, with the job each runs (step, percentage). The filters come in the
//! body's `parameter` (as the spec's example) or in the query string (as its parameter list).

use super::auth::Caller;
use super::jobs_wire::{int, nonempty, object, object_body, paging, time};
use super::BrityError;
use crate::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{json, Map, Value};
use sluice_store::rpa::bot_status::{BotQuery, BotStatus};
use sluice_store::rpa::job_reads::Viewer;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/communication/api/v1/botList", post(bot_list))
}

/// Brity botRunningStatus: 1 down (not connected), 2 up and idle, 3 running a job.
fn running_status(b: &BotStatus) -> i64 {
    match (b.is_up, &b.job_id) {
        (false, _) => 1,
        (true, None) => 2,
        (true, Some(_)) => 3,
    }
}

fn render(b: &BotStatus, monitoring: bool) -> Value {
    let running = b.job_id.is_some();
    let seconds = b
        .started_at
        .map(|s| (Utc::now() - s).num_seconds().max(0).to_string())
        .unwrap_or_default();
    json!({
        "botId": b.id,
        "botName": b.name,
        "botType": b.bot_type,
        // "N" for a bot that cannot take jobs now: deactivated, or down (as the spec's
        // example shows for its down bots).
        "botActiveYn": if b.is_active && b.is_up { "Y" } else { "N" },
        "botRunningStatus": running_status(b),
        "botMonitoringUrl": if monitoring {
            format!("/monitoring/client/detail?botId={}", b.id)
        } else {
            String::new()
        },
        "botThumbImageContent": null,
        "computerName": b.computer_name,
        "computerIpAddr": b.ip_addr,
        "updateEnvTime": time(b.env_updated_at),
        "lastEventTime": b.last_seen_at.map(time).unwrap_or_default(),
        "operationCnt": b.job_count,
        "jobStatus": if running { 3 } else { 4 },
        "jobId": b.job_id.clone().unwrap_or_default(),
        "jobType": b.job_type.map(|t| t.to_string()).unwrap_or_default(),
        "jobUser": b.job_user.clone().unwrap_or_default(),
        "jobResultType": "",
        "processId": b.process_id.clone().unwrap_or_default(),
        "processName": b.process_name.clone().unwrap_or_default(),
        "currentStepName": b.step.clone().unwrap_or_default(),
        "percentage": b.percentage.unwrap_or(0).to_string(),
        "startTime": b.started_at.map(time).unwrap_or_default(),
        "jobProcessingSeconds": seconds,
    })
}

/// The filters: the body's `parameter`, with query-string values for those it lacks.
fn filters(body: &Map<String, Value>, query: Option<&str>) -> Result<Map<String, Value>, String> {
    let mut p = object(body, "parameter")?.unwrap_or_default();
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if matches!(k.as_ref(), "botGroup" | "botStatus" | "srchTextName")
            && !p.contains_key(k.as_ref())
        {
            p.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    Ok(p)
}

fn parse(body: &Map<String, Value>, p: &Map<String, Value>) -> Result<BotQuery, String> {
    let (offset, limit) = paging(body)?;
    let up = match int(p, "botStatus")? {
        None | Some(1) => None,
        Some(2) => Some(true),
        Some(3) => Some(false),
        Some(_) => return Err("botStatus must be 1 (all), 2 (up) or 3 (down).".into()),
    };
    Ok(BotQuery {
        group: int(p, "botGroup")?,
        up,
        text: nonempty(p, "srchTextName")?,
        offset,
        limit,
    })
}

async fn bot_list(
    State(app): State<AppState>,
    Caller(p): Caller,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let body = object_body(body).await?;
    let params = filters(&body, query.as_deref()).map_err(BrityError::invalid)?;
    let q = parse(&body, &params).map_err(BrityError::invalid)?;
    let viewer = Viewer::of(&p);
    let (bots, total) = app.store.bot_page(p.org.id, viewer, &q).await?;
    let monitoring = app.store.may_monitor(p.org.id, viewer).await?;
    let list: Vec<Value> = bots.iter().map(|b| render(b, monitoring)).collect();
    Ok(Json(json!({
        "request": {"offset": q.offset, "limit": q.limit, "parameter": params},
        "totalCount": total,
        "listCount": list.len(),
        "list": list,
    })))
}
