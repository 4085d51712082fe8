//! Shared by the reservation tests: reservation calls, the scheduler on the manual clock,
//! and draining the jobs it queued through a bot.

use crate::brity_client::{brity, BrityReply};
use crate::brity_jobs_client::{agent, next, Bot};
use crate::helpers::TestApp;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Value};

pub const JOB: &str = "/scheduler/api/v1/schedulings/job";
pub const LIST: &str = "/scheduler/api/v1/schedulings/list";

/// A UTC instant from RFC 3339.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// A reservation body of `process` starting at `start`, once; `extra` fields on top.
pub fn body(process: &str, start: &str, extra: Value) -> Value {
    let mut b = json!({"jobType": 1, "processId": process, "startDt": start,
        "name": "nightly", "comment": "made by a test"});
    for (k, v) in extra.as_object().expect("object") {
        b[k] = v.clone();
    }
    b
}

/// `POST .../schedulings/job` with `token`.
pub async fn create(app: &TestApp, token: &str, body: Value) -> BrityReply {
    brity(app, Method::POST, Some(token), None, JOB, Some(body)).await
}

/// Creates a reservation, asserting success; its id.
pub async fn create_ok(app: &TestApp, token: &str, body: Value) -> String {
    let r = create(app, token, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(r.body, json!({ "id": id }));
    id
}

/// `POST .../schedulings/job/{id}`.
pub async fn modify(app: &TestApp, token: &str, id: &str, body: Value) -> BrityReply {
    brity(
        app,
        Method::POST,
        Some(token),
        None,
        &format!("{JOB}/{id}"),
        Some(body),
    )
    .await
}

/// `DELETE .../schedulings/job/{id}`.
pub async fn delete(app: &TestApp, token: &str, id: &str) -> BrityReply {
    brity(
        app,
        Method::DELETE,
        Some(token),
        None,
        &format!("{JOB}/{id}"),
        None,
    )
    .await
}

/// `POST .../schedulings/list`, asserting 200.
pub async fn list(app: &TestApp, token: &str, body: Value) -> Value {
    let r = brity(app, Method::POST, Some(token), None, LIST, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// Reservation `id` as the list shows it to `token`'s user.
pub async fn reservation(app: &TestApp, token: &str, id: &str) -> Value {
    let page = list(app, token, json!({"limit": 100})).await;
    page["list"]
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed: {page}"))
        .clone()
}

/// Makes the clock manual at `t` and starts the scheduler; the task (abort it to stop the
/// scheduler, as a crash would).
pub fn start_scheduler(app: &TestApp, t: DateTime<Utc>) -> tokio::task::JoinHandle<()> {
    app.store.clock().set(t);
    tokio::spawn(app.store.clone().run_scheduler())
}

/// Moves the manual clock to `t` and waits until the scheduler has acted on it.
pub async fn step(app: &TestApp, t: DateTime<Utc>) {
    app.store.clock().set(t);
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        app.store.scheduler_passed(t),
    )
    .await
    .expect("the scheduler acts on the clock within 20 s");
}

/// Claims (and finishes) every job waiting for `bot`; the claims.
pub async fn drain(app: &TestApp, bot: &Bot) -> Vec<Value> {
    let mut claims = Vec::new();
    while let Some(claim) = next(app, bot, 0).await {
        let id = claim["job_id"].as_str().expect("job_id").to_string();
        let r = agent(
            app,
            bot,
            Method::POST,
            &format!("jobs/{id}/finish"),
            Some(json!({"result": "success"})),
        )
        .await;
        assert_eq!(r.status, 204, "{}", r.body);
        claims.push(claim);
    }
    claims
}

/// The `currency` input of each claim (the tests tag occurrences with it).
pub fn tags(claims: &[Value]) -> Vec<String> {
    claims
        .iter()
        .map(|c| c["inputs"]["currency"].as_str().unwrap_or("").to_string())
        .collect()
}
