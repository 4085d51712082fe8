//! Shared by the job, bot and license tests: a tenant with a runnable process, bots driven
//! through the bot protocol as `sluice bot` drives it, job calls, and a local callback
//! receiver.

use crate::brity_assets::{manifest, package, processes, upload_ok};
use crate::brity_client::{brity, brity_admin, BrityReply};
use crate::helpers::{Org, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A tenant, its administrator's personal token and a runnable (activated) process.
pub struct Tenant {
    pub org: Org,
    pub admin: String,
    pub project_id: String,
    pub process_id: String,
}

/// A bot's id and secret.
#[derive(Clone, Debug)]
pub struct Bot {
    pub id: String,
    pub secret: String,
}

/// A status and JSON body (`null` when empty) of a native call.
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// Starts the bot worker (lapses) and the callback deliverer for `app`, as `sluice serve
/// --callback-allow-private` does (the tests' receivers listen on 127.0.0.1).
pub fn start_workers(app: &TestApp) {
    let mut settings = app.store.rpa_settings();
    settings.callback_allow_private = true;
    app.store.configure_rpa(settings);
    tokio::spawn(app.store.clone().run_bot_worker());
    tokio::spawn(sluice_http::run_callback_worker(app.store.clone()));
}

/// A tenant `abbr` with an administrator and an activated project "Invoices" whose main
/// process declares `currency` (default USD) and the hidden `secret`.
pub async fn tenant(app: &TestApp, abbr: &str) -> Tenant {
    let org = app.org(abbr).await;
    let (_, admin) = brity_admin(app, &org, "boss").await;
    let (project_id, process_id) = project(app, &admin, "Invoices").await;
    Tenant {
        org,
        admin,
        project_id,
        process_id,
    }
}

/// Uploads (activated) a project `name` with one process "Main"; its project and process ids.
pub async fn project(app: &TestApp, admin: &str, name: &str) -> (String, String) {
    let up = upload_ok(
        app,
        admin,
        &package(&manifest(name, None, &["Main"]), None),
        true,
    )
    .await;
    let project = up["id"].as_str().expect("id").to_string();
    let process = processes(app, admin)
        .await
        .into_iter()
        .find(|p| p["project"]["id"] == project.as_str())
        .expect("process");
    (
        project,
        process["id"].as_str().expect("process id").to_string(),
    )
}

/// A native call under `/api/v1/`.
pub async fn native(
    app: &TestApp,
    method: Method,
    token: Option<&str>,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = app
        .client
        .request(method, format!("{}/api/v1/{path}", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Reply { status, body }
}

/// Issues `count` licenses of `kind` (native API); the answer's items.
pub async fn issue(app: &TestApp, admin: &str, kind: &str, count: i64) -> Vec<Value> {
    let r = native(
        app,
        Method::POST,
        Some(admin),
        "licenses",
        Some(json!({"kind": kind, "count": count})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body.as_array().expect("array").clone()
}

/// Activates `key` as bot `name`.
pub async fn activate(app: &TestApp, key: &str, name: &str) -> Reply {
    native(
        app,
        Method::POST,
        None,
        "agent/activate",
        Some(
            json!({"license_key": key, "name": name, "computer_name": format!("{name}-pc"),
            "ip_addr": "10.0.0.7", "os": "Linux", "agent_version": "0.1.0"}),
        ),
    )
    .await
}

/// A new bot of the tenant: a license issued and activated under `name`.
pub async fn bot(app: &TestApp, admin: &str, name: &str) -> Bot {
    let key = issue(app, admin, "bot", 1).await[0]["key"]
        .as_str()
        .expect("key")
        .to_string();
    let r = activate(app, &key, name).await;
    assert_eq!(r.status, 200, "{}", r.body);
    Bot {
        id: r.body["bot_id"].as_str().expect("bot_id").to_string(),
        secret: r.body["bot_secret"].as_str().expect("secret").to_string(),
    }
}

/// A bot-protocol call.
pub async fn agent(
    app: &TestApp,
    bot: &Bot,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    native(
        app,
        method,
        Some(&bot.secret),
        &format!("agent/{path}"),
        body,
    )
    .await
}

/// Long-polls for a job for up to `wait` seconds: the claim, or `None` (204).
pub async fn next(app: &TestApp, bot: &Bot, wait: u64) -> Option<Value> {
    let r = agent(
        app,
        bot,
        Method::POST,
        &format!("jobs/next?wait={wait}"),
        None,
    )
    .await;
    match r.status {
        200 => Some(r.body),
        204 => None,
        s => panic!("jobs/next answered {s}: {}", r.body),
    }
}

/// Reports the end of a job (asserting 204).
pub async fn finish(app: &TestApp, bot: &Bot, job: &str, result: &str, outputs: Value) {
    let r = agent(
        app,
        bot,
        Method::POST,
        &format!("jobs/{job}/finish"),
        Some(json!({"result": result, "outputs": outputs, "message": format!("{result}!")})),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

/// `POST /scheduler/api/v1/jobs` with `userAuthentication` set to `user` in the body.
pub async fn run_job(app: &TestApp, token: &str, user: &str, mut body: Value) -> BrityReply {
    body["userAuthentication"] = json!(format!("Bearer {user}"));
    brity(
        app,
        Method::POST,
        Some(token),
        None,
        "/scheduler/api/v1/jobs",
        Some(body),
    )
    .await
}

/// Runs `process` for the token's own user (job type 1) with `extra` fields; the job id.
pub async fn run_ok(app: &TestApp, token: &str, process: &str, extra: Value) -> String {
    let mut body = json!({"jobType": "1", "processId": process});
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    let r = run_job(app, token, token, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["resultCode"], "SUCCESS", "{}", r.body);
    r.body["jobId"].as_str().expect("jobId").to_string()
}

/// `GET /scheduler/api/v1/jobs/{id}`.
pub async fn job(app: &TestApp, token: &str, id: &str) -> BrityReply {
    brity(
        app,
        Method::GET,
        Some(token),
        None,
        &format!("/scheduler/api/v1/jobs/{id}"),
        None,
    )
    .await
}

/// Asserts a scheduler error: `status` and exactly `{"resultCode": "FAIL", "resultDetail"}`
/// whose detail starts with `detail`.
pub fn assert_fail(r: &BrityReply, status: u16, detail: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body.as_object().map(|o| o.len()), Some(2), "{}", r.body);
    assert_eq!(r.body["resultCode"], "FAIL", "{}", r.body);
    let got = r.body["resultDetail"].as_str().expect("resultDetail");
    assert!(got.starts_with(detail), "expected {detail}: {}", r.body);
}

/// Waits until the callback of `job` is recorded in `state` (the deliverer records the
/// outcome just after the receiver answers); its attempts.
pub async fn callback_settled(app: &TestApp, org: i64, job: &str, state: &str) -> i64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let cbs = app
            .store
            .job_callbacks(sluice_domain::OrgId(org), job)
            .await
            .expect("callbacks");
        if let Some(c) = cbs.iter().find(|c| c.state == state) {
            return c.attempts;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "callback of {job} never {state}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Brity's mapping endpoints: `mapping(group, "users"|"bots"|"groups")`.
pub fn mapping(group: i64, what: &str) -> String {
    format!("/tenant/api/v1/private/group/{group}/mapping/{what}")
}

/// A local HTTP server receiving callbacks: each POST body arrives on `rx`; the first
/// answers are taken from `statuses` (then 200).
pub struct Receiver {
    pub url: String,
    pub rx: tokio::sync::mpsc::UnboundedReceiver<(tokio::time::Instant, Value)>,
}

pub async fn receiver(statuses: &[u16]) -> Receiver {
    use axum::extract::State;
    use axum::http::StatusCode;
    type Shared = (
        tokio::sync::mpsc::UnboundedSender<(tokio::time::Instant, Value)>,
        Arc<Mutex<VecDeque<u16>>>,
    );
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let queue = Arc::new(Mutex::new(
        statuses.iter().copied().collect::<VecDeque<u16>>(),
    ));
    let app = axum::Router::new()
        .route(
            "/jobresult",
            axum::routing::post(
                |State((tx, queue)): State<Shared>, axum::Json(body): axum::Json<Value>| async move {
                    let status = queue.lock().unwrap().pop_front().unwrap_or(200);
                    let _ = tx.send((tokio::time::Instant::now(), body));
                    StatusCode::from_u16(status).unwrap()
                },
            ),
        )
        .with_state((tx, queue));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/jobresult", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    Receiver { url, rx }
}

impl Receiver {
    /// The next callback (within 20 s).
    pub async fn next(&mut self) -> (tokio::time::Instant, Value) {
        tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
            .await
            .expect("a callback within 20 s")
            .expect("receiver open")
    }
}
