//! End to end: a real `sluice serve` (SQLite, and PostgreSQL when SLUICE_TEST_DATABASE_URL
//! is set) and two real `sluice bot` agents. A package built by `sluice package` from a
//! folder of shell scripts is uploaded through Brity's ipaUpload; jobs run on a chosen bot,
//! on a bot group and on any bot, with outputs, progress, a result image and callbacks to a
//! local receiver checked through Brity's API; a job is stopped mid-run (its process tree
//! must be gone), and a bot is killed mid-job (its job fails after the lapse and is retried
//! on the other bot). Waits are on signals (files the script writes, polled job states)
//! with deadlines, never fixed sleeps.

#![cfg(unix)]

mod common;

use base64::Engine as _;
use common::{Killed as Proc, Scratch};
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MASTER_KEY: &str = "e2e-master-key-0123456789abcdef0123456789abcdef";
/// Seconds of silence after which a bot is down (its agent polls every third of it).
const LAPSE_SECONDS: u64 = 3;
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The process every job runs: `mode` ok (outputs, an image), hold (waits, recording its
/// own and its child's pids) or hold-once (holds the first time only).
const SCRIPT: &str = r#"get() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$SLUICE_INPUTS"; }
mode=$(get mode); marks=$(get marks); currency=$(get currency)
echo "::progress 10 Starting"
if [ "$mode" = hold ] || { [ "$mode" = hold-once ] && [ ! -e "$marks/held" ]; }; then
  : > "$marks/held"
  echo "::progress 50 Holding"
  sleep 300 &
  echo "$$ $!" > "$marks/$SLUICE_JOB_ID.pids"
  wait
  exit 0
fi
printf '\211PNG\r\n\032\n' > "$SLUICE_RESULTS_DIR/screen.png"
echo "::progress 90 Writing outputs"
printf '{"total":"42 %s","bot":"%s"}' "$currency" "$SLUICE_BOT_ID" > "$SLUICE_OUTPUTS"
"#;

/// Where the server keeps its data.
enum Database {
    Sqlite,
    /// Base URL and the fresh schema made for this run (dropped afterwards).
    Postgres(String, String),
}

impl Database {
    async fn postgres() -> Option<Self> {
        let Ok(base) = std::env::var("SLUICE_TEST_DATABASE_URL") else {
            eprintln!("SLUICE_TEST_DATABASE_URL is not set: PostgreSQL variant skipped");
            return None;
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let schema = format!("e2e_{}_{nanos}", std::process::id());
        let pool = sqlx::PgPool::connect(&base)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&pool)
            .await
            .expect("create schema");
        pool.close().await;
        Some(Database::Postgres(base, schema))
    }

    fn url(&self, dir: &Path) -> String {
        match self {
            Database::Sqlite => format!("sqlite://{}/sluice.db", dir.display()),
            Database::Postgres(base, schema) => {
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}options=-c%20search_path%3D{schema}")
            }
        }
    }

    async fn drop_schema(&self) {
        if let Database::Postgres(base, schema) = self {
            if let Ok(pool) = sqlx::PgPool::connect(base).await {
                let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&pool)
                    .await;
                pool.close().await;
            }
        }
    }
}

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

/// Starts `sluice serve` on a free port; waits until it is ready.
async fn start_server(db: &Database, dir: &Path, http: &reqwest::Client) -> (Proc, String) {
    let mut serve = sluice();
    serve
        .arg("serve")
        .env("SLUICE_DATABASE_URL", db.url(dir))
        .env("SLUICE_MASTER_API_KEY", MASTER_KEY)
        .env("SLUICE_ADMIN_PASSWORD", "e2e-admin-password")
        .env(
            "SLUICE_SECRET_KEY",
            "e2e-secret-key-that-is-long-enough-0123",
        )
        .env("SLUICE_BOT_LAPSE_SECONDS", LAPSE_SECONDS.to_string())
        // The callback receiver listens on 127.0.0.1.
        .env("SLUICE_CALLBACK_ALLOW_PRIVATE", "true")
        .env("SLUICE_DATABASE_MAX_CONNECTIONS", "4");
    let (server, url) = common::spawn_server(serve);
    eventually("the server to be ready", || async {
        let r = http.get(format!("{url}/readyz")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    (server, url)
}

/// Starts `sluice bot` named `name` with its own work folder.
fn start_bot(url: &str, work: &Path, name: &str, license: &str) -> Proc {
    let child = sluice()
        .args(["bot", "--server", url, "--name", name, "--work-dir"])
        .arg(work)
        .env("SLUICE_BOT_LICENSE", license)
        .env("SLUICE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start sluice bot");
    Proc(child)
}

/// Calls `f` every 25 ms until it gives a value; panics after 30 s.
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// An HTTP client for one tenant user's Brity token.
struct Api {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.call(method, path, body).await;
        assert!((200..300).contains(&status), "{path}: {status} {v}");
        v
    }

    /// `POST /scheduler/api/v1/jobs` for this user; the job id.
    async fn run(&self, process: &str, params: Value, extra: Value) -> String {
        let mut body = json!({
            "jobType": "1", "processId": process,
            "userAuthentication": format!("Bearer {}", self.token),
            "jobParameter": params.to_string(),
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = self
            .ok(reqwest::Method::POST, "/scheduler/api/v1/jobs", Some(body))
            .await;
        assert_eq!(r["resultCode"], "SUCCESS", "{r}");
        r["jobId"].as_str().unwrap().to_string()
    }

    async fn job(&self, id: &str) -> Value {
        self.ok(
            reqwest::Method::GET,
            &format!("/scheduler/api/v1/jobs/{id}"),
            None,
        )
        .await
    }

    /// The job once it has ended (statusCode 4).
    async fn ended(&self, id: &str) -> Value {
        eventually(&format!("job {id} to end"), || async {
            let j = self.job(id).await;
            (j["statusCode"] == "4").then_some(j)
        })
        .await
    }
}

/// A tenant with an administrator and the administrator's personal API token.
async fn tenant(http: &reqwest::Client, url: &str, abbr: &str) -> Api {
    let omni = |path: &str, body: Value| {
        let http = http.clone();
        let url = format!("{url}/api/v0.1/{path}/");
        async move {
            let v: Value = http
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(v["RESPONSE"], "OK", "{v}");
            v
        }
    };
    let org = omni(
        "organization/create",
        json!({"api_key": MASTER_KEY, "organization": {"name": format!("{abbr} Inc."), "abbr": abbr}}),
    )
    .await;
    let key = org["organization"]["api_key"].as_str().unwrap().to_string();
    // The organization's default MIS department and Specialist rank.
    let first_id = |v: &Value, list: &str, name: &str| {
        v[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .and_then(|o| o["__id__"].as_i64())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let depts = omni("department/list", json!({"api_key": key})).await;
    let ranks = omni("rank/list", json!({"api_key": key})).await;
    omni(
        "user/create",
        json!({"api_key": key, "with_admin_permissions": true, "user": {
            "username": format!("boss@{abbr}"), "display_name": "Boss",
            "email": "boss@example.com", "password": "secret-pw",
            "rank": {"__id__": first_id(&ranks, "ranks", "Specialist")},
            "department": {"__id__": first_id(&depts, "departments", "MIS Department")}}}),
    )
    .await;
    let oauth: Value = http
        .post(format!("{url}/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", &format!("boss@{abbr}")),
            ("password", "secret-pw"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = oauth["access_token"].as_str().expect("access token");
    let personal: Value = http
        .post(format!("{url}/api/v1/me/tokens"))
        .bearer_auth(access)
        .json(&json!({"name": "e2e"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Api {
        http: http.clone(),
        url: url.to_string(),
        token: personal["token"].as_str().expect("token").to_string(),
    }
}

/// Builds the package with `sluice package` from a folder holding the manifest and script.
fn build_package(dir: &Path) -> Vec<u8> {
    let src = dir.join("project");
    std::fs::create_dir_all(&src).unwrap();
    let manifest = json!({
        "format": 1, "type": "project", "name": "EndToEnd", "mainProcess": "Main",
        "processes": [{
            "name": "Main", "command": ["sh", "main.sh"], "timeoutSeconds": 120,
            "workType": "background",
            "inputs": [{"name": "mode", "default": "ok"}, {"name": "marks", "default": ""},
                       {"name": "currency", "default": "USD"}],
            "outputs": [{"name": "total"}, {"name": "bot"}]
        }]
    });
    std::fs::write(src.join("sluice-project.json"), manifest.to_string()).unwrap();
    std::fs::write(src.join("main.sh"), SCRIPT).unwrap();
    let out = dir.join("EndToEnd.zip");
    let status = sluice()
        .arg("package")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "sluice package");
    std::fs::read(out).unwrap()
}

/// Uploads the package (activated) through Brity's ipaUpload; the process id of "Main".
async fn upload(api: &Api, bytes: &[u8]) -> String {
    let boundary = "sluice-e2e-boundary-4b2c";
    let mut body = Vec::new();
    for (name, value) in [("type", "project"), ("data", r#"{"autoActivation":"Y"}"#)] {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"EndToEnd.zip\"\r\n\
         Content-Type: application/zip\r\n\r\n"
    )
    .unwrap();
    body.extend_from_slice(bytes);
    write!(body, "\r\n--{boundary}--\r\n").unwrap();
    let res = api
        .http
        .post(format!("{}/asset/api/v1/ipaUpload/upload", api.url))
        .bearer_auth(&api.token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["resultType"], "SUCCESS", "{v}");
    let list = api
        .ok(
            reqwest::Method::GET,
            "/asset/api/v1/objects/type/process",
            None,
        )
        .await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Main")
        .and_then(|p| p["id"].as_str())
        .expect("process Main")
        .to_string()
}

/// A local HTTP server receiving callbacks; each body arrives on the channel.
async fn receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/jobresult",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jobresult", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

/// The callback for `job` (others are skipped), within 30 s.
async fn callback_for(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Value>, job: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let body = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no callback for {job}"))
            .expect("receiver open");
        if body["jobId"] == job {
            return body;
        }
    }
}

fn alive(pid: i32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty())
}

/// The pids a holding job recorded (its shell and the shell's child).
async fn held_pids(marks: &Path, job: &str) -> Vec<i32> {
    let path = marks.join(format!("{job}.pids"));
    eventually("the process to start holding", || async {
        let s = std::fs::read_to_string(&path).ok()?;
        s.ends_with('\n')
            .then(|| s.split_whitespace().map(|p| p.parse().unwrap()).collect())
    })
    .await
}

/// Reads a bot's id from its saved identity once it has activated.
async fn bot_id(work: &Path) -> String {
    let file = work.join(".sluice-bot/bot.json");
    eventually("the bot to activate", || async {
        let v: Value = serde_json::from_slice(&std::fs::read(&file).ok()?).ok()?;
        v["bot_id"].as_str().map(str::to_string)
    })
    .await
}

async fn scenario(db: Database) {
    let scratch = Scratch::new("run");
    let marks = scratch.0.join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let http = reqwest::Client::new();
    let (server, url) = start_server(&db, &scratch.0, &http).await;
    let api = tenant(&http, &url, "E2E").await;

    let licenses = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/licenses",
            Some(json!({"kind": "bot", "count": 2})),
        )
        .await;
    let key = |i: usize| licenses[i]["key"].as_str().unwrap().to_string();
    let process = upload(&api, &build_package(&scratch.0)).await;

    let works = [scratch.0.join("alpha"), scratch.0.join("beta")];
    let mut bots = vec![
        Some(start_bot(&url, &works[0], "alpha", &key(0))),
        Some(start_bot(&url, &works[1], "beta", &key(1))),
    ];
    let ids = [bot_id(&works[0]).await, bot_id(&works[1]).await];
    let group = api
        .ok(
            reqwest::Method::POST,
            "/tenant/api/v1/private/group/bot",
            Some(json!({"groupName": "pool", "groupDescription": "beta only"})),
        )
        .await["resultDetail"]["groupId"]
        .as_i64()
        .unwrap();
    api.ok(
        reqwest::Method::POST,
        &format!("/tenant/api/v1/private/group/{group}/mapping/bots"),
        Some(json!({"mappingBotList": [ids[1]]})),
    )
    .await;
    let (callback_url, mut callbacks) = receiver().await;
    let marks_s = marks.display().to_string();

    // A chosen bot: outputs, the image and the callback.
    let chosen = api
        .run(
            &process,
            json!({"currency": "EUR", "marks": marks_s}),
            json!({"botSelectType": 3, "botId": ids[0], "callbackInfo": callback_url,
                "resultReqText": "{\"file\": \"Y\", \"message\": \"Y\"}",
                "additionalJsonText": "{\"ticket\":\"T-1\"}"}),
        )
        .await;
    let ended = api.ended(&chosen).await;
    assert_eq!(
        (ended["detailCode"].as_str(), ended["botId"].as_str()),
        (Some("1"), Some(ids[0].as_str())),
        "{ended}"
    );
    let outputs: Value = serde_json::from_str(ended["result"].as_str().unwrap()).unwrap();
    assert_eq!(outputs, json!({"total": "42 EUR", "bot": ids[0]}));
    assert!(ended["startTime"].as_str().unwrap().ends_with('Z'));
    let file = http
        .get(format!(
            "{url}/scheduler/api/v1/jobs/{chosen}/file?fileType=1"
        ))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(file.bytes().await.unwrap().as_ref(), PNG_SIGNATURE);
    let posted = callback_for(&mut callbacks, &chosen).await;
    assert_eq!(posted["detailCode"], "1", "{posted}");
    assert_eq!(posted["additionalJsonText"], "{\"ticket\":\"T-1\"}");
    let image = base64::engine::general_purpose::STANDARD
        .decode(
            posted["file"]["content"]
                .as_str()
                .expect("image in the callback"),
        )
        .unwrap();
    assert_eq!(image, PNG_SIGNATURE);

    // A bot group (beta only), then any bot.
    let grouped = api
        .run(
            &process,
            json!({"marks": marks_s}),
            json!({"botSelectType": 2, "botId": group.to_string()}),
        )
        .await;
    let ended = api.ended(&grouped).await;
    assert_eq!(
        (ended["detailCode"].as_str(), ended["botId"].as_str()),
        (Some("1"), Some(ids[1].as_str())),
        "{ended}"
    );
    let any = api
        .run(
            &process,
            json!({"marks": marks_s}),
            json!({"botSelectType": 1, "botId": ""}),
        )
        .await;
    let ended = api.ended(&any).await;
    assert_eq!(ended["detailCode"], "1", "{ended}");
    assert!(ids.contains(&ended["botId"].as_str().unwrap().to_string()));
    let outputs: Value = serde_json::from_str(ended["result"].as_str().unwrap()).unwrap();
    assert_eq!(outputs["total"], "42 USD", "the declared default applies");

    // Progress while running, then a stop: the whole process tree goes.
    let held = api
        .run(
            &process,
            json!({"mode": "hold", "marks": marks_s}),
            json!({}),
        )
        .await;
    let pids = held_pids(&marks, &held).await;
    assert!(pids.iter().all(|&p| alive(p)));
    eventually("the progress to show in botList", || async {
        let list = api
            .ok(
                reqwest::Method::POST,
                "/communication/api/v1/botList",
                Some(json!({})),
            )
            .await;
        list["list"].as_array()?.iter().find(|b| {
            b["jobId"] == held.as_str()
                && b["currentStepName"] == "Holding"
                && b["percentage"] == "50"
        })?;
        Some(())
    })
    .await;
    let stop = api
        .ok(
            reqwest::Method::POST,
            &format!("/scheduler/api/v1/actions/jobs/{held}/stop"),
            Some(json!({"jobType": 1, "userAuthentication": format!("Bearer {}", api.token)})),
        )
        .await;
    assert_eq!(stop["resultCode"], "SUCCESS", "{stop}");
    let ended = api.ended(&held).await;
    assert_eq!(ended["detailCode"], "3", "{ended}");
    for &pid in &pids {
        eventually("the stopped tree to die", || async {
            (!alive(pid)).then_some(())
        })
        .await;
    }

    // A bot killed mid-job: its job fails after the lapse and its retry runs on the other.
    std::fs::remove_file(marks.join("held")).unwrap();
    let lost = api
        .run(
            &process,
            json!({"mode": "hold-once", "marks": marks_s}),
            json!({"botSelectType": 1, "botId": "", "callbackInfo": callback_url,
                "jobRequestOption": "{\"retryOnFail\":{\"retryOptionType\":2,\"retryCount\":1}}"}),
        )
        .await;
    let orphans = held_pids(&marks, &lost).await;
    let running = api.job(&lost).await;
    let victim = ids
        .iter()
        .position(|b| running["botId"] == b.as_str())
        .expect("a bot runs it");
    let survivor = ids[1 - victim].clone();
    let killed_at = Instant::now();
    drop(bots[victim].take());
    let ended = api.ended(&lost).await;
    assert_eq!(ended["detailCode"], "2", "{ended}");
    assert!(
        killed_at.elapsed() >= Duration::from_secs(LAPSE_SECONDS - 1),
        "failed only after the lapse"
    );
    let posted = callback_for(&mut callbacks, &lost).await;
    assert_eq!(posted["detailCode"], "2", "{posted}");
    let retried = eventually("the retry to succeed on the other bot", || async {
        let list = api
            .ok(
                reqwest::Method::POST,
                "/scheduler/api/v1/jobs/list",
                Some(json!({"limit": 100, "parameter": {"processId": process}})),
            )
            .await;
        list["list"]
            .as_array()?
            .iter()
            .find(|j| {
                j["jobId"] != lost.as_str()
                    && j["botId"] == survivor.as_str()
                    && j["detailCode"] == "1"
                    && j["startTime"].as_str() > ended["startTime"].as_str()
            })
            .cloned()
    })
    .await;
    assert_eq!(retried["processId"], process.as_str());
    // The killed agent could not take its process tree with it (SIGKILL): clean up.
    for pid in orphans {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    drop(bots);
    drop(server);
    db.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bots_run_jobs_end_to_end_on_sqlite() {
    scenario(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bots_run_jobs_end_to_end_on_postgres() {
    if let Some(db) = Database::postgres().await {
        scenario(db).await;
    }
}
