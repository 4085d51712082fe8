//! `sluice bot` against a stand-in for the server side of the bot protocol
//! (docs/bot-protocol.md): activation and the saved identity, a job run with inputs,
//! progress, outputs and a result file, a stop request and a timeout that kill the process
//! tree, and an unreachable server waited out. The real server is exercised by bot_e2e.rs.

mod common;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use common::{Killed as Bot, Scratch};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

const SECRET: &str = "slu_bot_test_secret";
const LICENSE: &str = "slu_lic_test";

/// What the stand-in server saw and what it has to hand out.
#[derive(Default)]
struct Seen {
    activations: Vec<Value>,
    hellos: Vec<Value>,
    queue: VecDeque<Value>,
    packages: HashMap<String, Vec<u8>>,
    package_fetches: usize,
    stops: HashSet<String>,
    progress: Vec<(String, Value)>,
    files: Vec<(String, String, Vec<u8>)>,
    finished: HashMap<String, Value>,
    polls: usize,
}

#[derive(Clone, Default)]
struct Fake {
    seen: Arc<Mutex<Seen>>,
    wake: Arc<Notify>,
}

impl Fake {
    /// Reads or changes the state without waking anyone (the long polls' own look).
    fn peek<T>(&self, f: impl FnOnce(&mut Seen) -> T) -> T {
        f(&mut self.seen.lock().unwrap())
    }

    /// Changes the state and wakes the long polls and the test's waits.
    fn with<T>(&self, f: impl FnOnce(&mut Seen) -> T) -> T {
        let out = f(&mut self.seen.lock().unwrap());
        self.wake.notify_waiters();
        out
    }

    /// Waits until `f` says yes (checked on every change and every 20 ms).
    async fn until<T>(&self, what: &str, mut f: impl FnMut(&Seen) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(v) = f(&self.seen.lock().unwrap()) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            let _ = tokio::time::timeout(Duration::from_millis(20), self.wake.notified()).await;
        }
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {SECRET}"))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"code": "invalid_token", "message": "bad bot secret", "type": "auth"})),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct Wait {
    wait: Option<u64>,
}

async fn activate(State(f): State<Fake>, Json(body): Json<Value>) -> Response {
    if body["license_key"] != LICENSE {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": "invalid_license", "message": "unknown license", "type": "auth"})),
        )
            .into_response();
    }
    f.with(|s| s.activations.push(body));
    Json(json!({"bot_id": "BOT-00001", "bot_secret": SECRET, "heartbeat_seconds": 2}))
        .into_response()
}

async fn hello(State(f): State<Fake>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    f.with(|s| s.hellos.push(body));
    Json(json!({"bot_id": "BOT-00001", "name": "bot-a", "heartbeat_seconds": 2})).into_response()
}

async fn next(State(f): State<Fake>, headers: HeaderMap, Query(q): Query<Wait>) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let deadline = Instant::now() + Duration::from_secs(q.wait.unwrap_or(0).min(30));
    loop {
        let notified = f.wake.notified();
        let claim = f.peek(|s| {
            s.polls += 1;
            s.queue.pop_front()
        });
        if let Some(claim) = claim {
            return Json(claim).into_response();
        }
        if tokio::time::timeout_at(deadline.into(), notified)
            .await
            .is_err()
        {
            return StatusCode::NO_CONTENT.into_response();
        }
    }
}

async fn package(
    State(f): State<Fake>,
    headers: HeaderMap,
    UrlPath(sha): UrlPath<String>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    match f.peek(|s| {
        s.package_fetches += 1;
        s.packages.get(&sha).cloned()
    }) {
        Some(bytes) => bytes.into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn control(
    State(f): State<Fake>,
    headers: HeaderMap,
    UrlPath(job): UrlPath<String>,
    Query(q): Query<Wait>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let deadline = Instant::now() + Duration::from_secs(q.wait.unwrap_or(0).min(30));
    loop {
        let notified = f.wake.notified();
        if f.seen.lock().unwrap().stops.contains(&job) {
            return Json(json!({"stop": true})).into_response();
        }
        if tokio::time::timeout_at(deadline.into(), notified)
            .await
            .is_err()
        {
            return Json(json!({"stop": false})).into_response();
        }
    }
}

async fn progress(
    State(f): State<Fake>,
    headers: HeaderMap,
    UrlPath(job): UrlPath<String>,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    f.with(|s| s.progress.push((job, body)));
    StatusCode::NO_CONTENT.into_response()
}

#[derive(serde::Deserialize)]
struct FileName {
    name: String,
}

async fn files(
    State(f): State<Fake>,
    headers: HeaderMap,
    UrlPath(job): UrlPath<String>,
    Query(q): Query<FileName>,
    body: Bytes,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    f.with(|s| s.files.push((job, q.name, body.to_vec())));
    StatusCode::CREATED.into_response()
}

async fn finish(
    State(f): State<Fake>,
    headers: HeaderMap,
    UrlPath(job): UrlPath<String>,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    f.with(|s| s.finished.insert(job, body));
    StatusCode::NO_CONTENT.into_response()
}

fn router(fake: Fake) -> Router {
    Router::new()
        .route("/api/v1/agent/activate", post(activate))
        .route("/api/v1/agent/hello", post(hello))
        .route("/api/v1/agent/jobs/next", post(next))
        .route("/api/v1/agent/packages/{sha}", get(package))
        .route("/api/v1/agent/jobs/{job}/control", get(control))
        .route("/api/v1/agent/jobs/{job}/progress", post(progress))
        .route("/api/v1/agent/jobs/{job}/files", post(files))
        .route("/api/v1/agent/jobs/{job}/finish", post(finish))
        .with_state(fake)
}

/// Serves the stand-in on `listener` until the task is aborted.
fn serve(listener: std::net::TcpListener, fake: Fake) -> tokio::task::JoinHandle<()> {
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router(fake)).await.unwrap();
    })
}

fn start_bot(url: &str, work: &Path, license: Option<&str>) -> Bot {
    start_bot_logging(url, work, license, None)
}

/// Starts the agent; with `log`, at the debug level into that file.
fn start_bot_logging(url: &str, work: &Path, license: Option<&str>, log: Option<&Path>) -> Bot {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.args(["bot", "--server", url, "--name", "bot-a", "--work-dir"])
        .arg(work)
        .env("SLUICE_LOG", "warn")
        .env_remove("SLUICE_BOT_LICENSE")
        .stdin(Stdio::null());
    if let Some(l) = license {
        cmd.env("SLUICE_BOT_LICENSE", l);
    }
    if let Some(log) = log {
        cmd.env("SLUICE_LOG", "debug")
            .stderr(std::fs::File::create(log).unwrap());
    }
    Bot(cmd.spawn().expect("start sluice bot"))
}

/// Builds a package whose main process runs `script` with sh.
fn build_package(dir: &Path, script: &str, timeout: u64) -> Vec<u8> {
    let src = dir.join("pkg");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("sluice-project.json"),
        json!({"format": 1, "type": "project", "name": "Agent", "mainProcess": "Main",
            "processes": [{"name": "Main", "command": ["sh", "main.sh"], "timeoutSeconds": timeout}]})
        .to_string(),
    )
    .unwrap();
    std::fs::write(src.join("main.sh"), script).unwrap();
    let bytes = sluice_package::build(&src, None).unwrap();
    std::fs::remove_dir_all(&src).unwrap();
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn claim(job: &str, sha: &str, timeout: u64, inputs: Value, credentials: Value) -> Value {
    json!({
        "job_id": job, "attempt": 1,
        "process": {"id": "p-1", "version": "1.00", "name": "Main", "project_name": "Agent",
            "command": ["sh", "main.sh"], "command_windows": null, "command_macos": null,
            "timeout_secs": timeout, "work_type": "background", "package_sha256": sha},
        "inputs": inputs, "credentials": credentials
    })
}

fn alive(pid: i32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty())
}

/// A file's text once it ends a line (checked every 20 ms; panics after 30 s).
async fn wait_for_file(path: &Path) -> String {
    wait_for_text(path, |s| s.ends_with('\n')).await
}

/// A file's text once `done` holds for it (checked every 20 ms; panics after 30 s).
async fn wait_for_text(path: &Path, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(s) = std::fs::read_to_string(path) {
            if done(&s) {
                return s;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} never had what was awaited",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const SCRIPT: &str = r#"
echo "::progress 10 reading inputs"
currency=$(sed -n 's/.*"currency":"\([^"]*\)".*/\1/p' "$SLUICE_INPUTS")
test -f "$SLUICE_CREDENTIALS" || exit 9
echo "$SLUICE_CREDENTIALS" > "$MARK_DIR/credentials-path"
printf 'PNG' > "$SLUICE_RESULTS_DIR/screen.png"
echo "::progress 90 writing the result"
printf '{"total": "42 %s", "job": "%s", "bot": "%s"}' "$currency" "$SLUICE_JOB_ID" "$SLUICE_BOT_ID" > "$SLUICE_OUTPUTS"
pwd > "$MARK_DIR/cwd"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_runs_a_job_reports_it_and_cleans_up() {
    let scratch = Scratch::new("run");
    let marks = scratch.0.join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let fake = Fake::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let _server = serve(listener, fake.clone());

    let script = SCRIPT.replace("$MARK_DIR", &marks.display().to_string());
    let bytes = build_package(&scratch.0, &script, 60);
    let sha = sha256(&bytes);
    fake.with(|s| s.packages.insert(sha.clone(), bytes));
    let work = scratch.0.join("work");
    let log = scratch.0.join("agent.log");
    let bot = start_bot_logging(&url, &work, Some(LICENSE), Some(&log));

    let activation = fake
        .until("activation", |s| s.activations.first().cloned())
        .await;
    assert_eq!(activation["name"], "bot-a");
    assert!(!activation["computer_name"].as_str().unwrap().is_empty());
    assert_eq!(activation["ip_addr"], "127.0.0.1");
    assert!(!activation["os"].as_str().unwrap().is_empty());
    assert_eq!(activation["agent_version"], env!("CARGO_PKG_VERSION"));

    fake.with(|s| {
        s.queue.push_back(claim(
            "job-1",
            &sha,
            60,
            json!({"currency": "USD"}),
            json!({"erp": {"userId": "u", "password": "p"}}),
        ))
    });
    let end = fake
        .until("job-1 to end", |s| s.finished.get("job-1").cloned())
        .await;
    assert_eq!(end["result"], "success", "{end}");
    assert_eq!(
        end["outputs"],
        json!({"total": "42 USD", "job": "job-1", "bot": "BOT-00001"})
    );
    let steps: Vec<Value> = fake.with(|s| s.progress.iter().map(|(_, p)| p.clone()).collect());
    assert!(
        steps.contains(&json!({"step": "writing the result", "percentage": 90})),
        "{steps:?}"
    );
    let files = fake.with(|s| s.files.clone());
    assert_eq!(
        files,
        [(
            "job-1".to_string(),
            "screen.png".to_string(),
            b"PNG".to_vec()
        )]
    );

    let cwd = std::fs::read_to_string(marks.join("cwd")).unwrap();
    let job_dir = std::fs::canonicalize(&work).unwrap().join("job-1");
    assert_eq!(
        Path::new(cwd.trim()),
        job_dir,
        "the process runs in <work-dir>/<job-id>"
    );
    let credentials = std::fs::read_to_string(marks.join("credentials-path")).unwrap();
    assert!(
        !Path::new(credentials.trim()).exists(),
        "the credentials file is deleted"
    );
    fake.until("the job folder to go", |_| {
        (!job_dir.exists()).then_some(())
    })
    .await;
    let saved: Value =
        serde_json::from_slice(&std::fs::read(work.join(".sluice-bot/bot.json")).unwrap()).unwrap();
    assert_eq!(saved["bot_id"], "BOT-00001");

    // A second job of the same package is not downloaded again.
    fake.with(|s| {
        s.queue.push_back(claim(
            "job-2",
            &sha,
            60,
            json!({"currency": "EUR"}),
            json!({}),
        ))
    });
    let end = fake
        .until("job-2 to end", |s| s.finished.get("job-2").cloned())
        .await;
    assert_eq!(end["outputs"]["total"], "42 EUR");
    assert_eq!(fake.with(|s| s.package_fetches), 1);

    // Even at the debug level the log names jobs, never their inputs, credentials or
    // outputs, nor the license or the bot's secret.
    drop(bot);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("job-1"), "the log is there: {logged}");
    for secret in ["USD", "EUR", "\"p\"", "42 ", LICENSE, SECRET] {
        assert!(!logged.contains(secret), "{secret} logged");
    }

    // Restarted without the license, the agent says hello with its saved identity.
    let _bot = start_bot(&url, &work, None);
    let hello = fake.until("hello", |s| s.hellos.first().cloned()).await;
    assert_eq!(hello["agent_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(fake.with(|s| s.activations.len()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_timeout_kill_the_process_tree() {
    let scratch = Scratch::new("stop");
    let marks = scratch.0.join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let fake = Fake::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let _server = serve(listener, fake.clone());

    let script = format!(
        "echo '::progress 5 waiting'\nsleep 300 &\necho $$ $! > {}/$SLUICE_JOB_ID.pids\nwait\n",
        marks.display()
    );
    let bytes = build_package(&scratch.0, &script, 0);
    let sha = sha256(&bytes);
    fake.with(|s| s.packages.insert(sha.clone(), bytes));
    let _bot = start_bot(&url, &scratch.0.join("work"), Some(LICENSE));

    for (job, timeout) in [("job-stop", 0), ("job-late", 1)] {
        fake.with(|s| {
            s.queue
                .push_back(claim(job, &sha, timeout, json!({}), json!({})))
        });
        let line = wait_for_file(&marks.join(format!("{job}.pids"))).await;
        let pids: Vec<i32> = line
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect();
        assert!(pids.iter().all(|&p| alive(p)));
        if timeout == 0 {
            fake.with(|s| s.stops.insert(job.to_string()));
        }
        let end = fake
            .until("the job to end", |s| s.finished.get(job).cloned())
            .await;
        let expected = if timeout == 0 { "stopped" } else { "timeout" };
        assert_eq!(end["result"], expected, "{end}");
        for &pid in &pids {
            fake.until("the tree to die", |_| (!alive(pid)).then_some(()))
                .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_waits_out_an_unreachable_server_and_refuses_a_bad_license() {
    let scratch = Scratch::new("down");
    // A port nobody listens on yet.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}");
    let log = scratch.0.join("agent.log");
    let _bot = start_bot_logging(&url, &scratch.0.join("work"), Some(LICENSE), Some(&log));
    // The agent has found the server down (twice: it is retrying) before it comes up.
    wait_for_text(&log, |s| {
        s.matches("server unreachable; retrying").count() >= 2
    })
    .await;
    let fake = Fake::default();
    let _server = serve(std::net::TcpListener::bind(addr).unwrap(), fake.clone());
    fake.until("activation after the server came up", |s| {
        s.activations.first().cloned()
    })
    .await;
    fake.until("polling", |s| (s.polls > 0).then_some(())).await;

    // A refused license, and no license at all for a bot without a saved identity, end
    // the agent with an error.
    for (folder, license) in [("other", Some("slu_lic_wrong")), ("none", None)] {
        let mut refused = start_bot(&url, &scratch.0.join(folder), license);
        let status = fake
            .until("the agent to give up", |_| refused.0.try_wait().unwrap())
            .await;
        assert!(!status.success(), "{folder}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_kills_the_running_job_and_reports_it() {
    let scratch = Scratch::new("term");
    let marks = scratch.0.join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let fake = Fake::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let _server = serve(listener, fake.clone());
    let script = format!("sleep 300 &\necho $$ $! > {}/pids\nwait\n", marks.display());
    let bytes = build_package(&scratch.0, &script, 0);
    let sha = sha256(&bytes);
    fake.with(|s| s.packages.insert(sha.clone(), bytes));
    let work = scratch.0.join("work");
    let mut bot = start_bot(&url, &work, Some(LICENSE));
    fake.with(|s| {
        s.queue
            .push_back(claim("job-term", &sha, 0, json!({}), json!({})))
    });
    let line = wait_for_file(&marks.join("pids")).await;
    let pids: Vec<i32> = line
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();

    let term = Command::new("kill")
        .args(["-TERM", &bot.0.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let end = fake
        .until("the job's end", |s| s.finished.get("job-term").cloned())
        .await;
    assert_eq!(end["result"], "failure", "{end}");
    assert!(
        end["message"].as_str().unwrap().contains("shut down"),
        "{end}"
    );
    for &pid in &pids {
        fake.until("the tree to die", |_| (!alive(pid)).then_some(()))
            .await;
    }
    let status = fake
        .until("the agent to exit", |_| bot.0.try_wait().unwrap())
        .await;
    assert!(status.success(), "a shutdown is a clean exit");
    assert!(!work.join("job-term").exists(), "the job folder is removed");
}
