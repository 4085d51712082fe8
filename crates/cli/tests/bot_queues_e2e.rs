//! End to end: queues from a running bot process, and queues across a crash. A real
//! `sluice serve` (SQLite, and PostgreSQL when SLUICE_TEST_DATABASE_URL is set) and a real
//! `sluice bot`; the job's process is a shell script that takes a message from one queue
//! and sends it on to another with `curl`, using only `SLUICE_SERVER` and
//! `SLUICE_JOB_TOKEN`. Then the server is killed (SIGKILL) with messages in a queue and
//! started again on the same database: every message is still there, in order.

#![cfg(unix)]

mod common;

use common::{Killed as Proc, Scratch};
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MASTER_KEY: &str = "e2e-master-key-0123456789abcdef0123456789abcdef";

/// The job's process: moves one message from `inbox` to `outbox`, upper-cased, and
/// reports it as its output. Fails (curl --fail) on any refusal.
const SCRIPT: &str = r#"set -eu
auth="Authorization: Bearer $SLUICE_JOB_TOKEN"
msg=$(curl -sS --fail -H "$auth" "$SLUICE_SERVER/asset/api/v1/messageQueue/inbox")
printf '%s' "$msg" | tr 'a-z' 'A-Z' | curl -sS --fail -X POST -H "$auth" \
    -H 'Content-Type: text/plain' --data-binary @- \
    "$SLUICE_SERVER/asset/api/v1/messageQueue/outbox" > /dev/null
printf '{"moved":"%s"}' "$msg" > "$SLUICE_OUTPUTS"
"#;

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
        let schema = format!("e2eq_{}", uuid_like());
        let pool = sqlx::PgPool::connect(&base).await.expect("PostgreSQL");
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

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}_{nanos}", std::process::id())
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
        .env("SLUICE_DATABASE_MAX_CONNECTIONS", "4");
    let (server, url) = common::spawn_server(serve);
    eventually("the server to be ready", || async {
        let r = http.get(format!("{url}/readyz")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    (server, url)
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

/// A tenant administrator's Brity calls.
struct Api {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Api {
    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token)
    }

    async fn json(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let res = self.req(method, path).json(&body).send().await.unwrap();
        let status = res.status();
        let v: Value = res.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    async fn send(&self, queue: &str, text: &str) -> Value {
        let res = self
            .req(
                reqwest::Method::POST,
                &format!("/asset/api/v1/messageQueue/{queue}"),
            )
            .header("content-type", "text/plain")
            .body(text.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// The next message of `queue` (`None`: empty).
    async fn receive(&self, queue: &str) -> Option<String> {
        let res = self
            .req(
                reqwest::Method::GET,
                &format!("/asset/api/v1/messageQueue/{queue}"),
            )
            .send()
            .await
            .unwrap();
        match res.status().as_u16() {
            200 => Some(res.text().await.unwrap()),
            204 => None,
            s => panic!("receive {queue}: {s} {}", res.text().await.unwrap()),
        }
    }
}

/// A tenant, its administrator and the administrator's personal API token.
async fn tenant(http: &reqwest::Client, url: &str, abbr: &str) -> Api {
    let omni = |path: &str, body: Value| {
        let (http, url) = (http.clone(), format!("{url}/api/v0.1/{path}/"));
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
        json!({"api_key": MASTER_KEY, "organization": {"name": "Queue Inc.", "abbr": abbr}}),
    )
    .await;
    let key = org["organization"]["api_key"].as_str().unwrap().to_string();
    let first = |v: &Value, list: &str, name: &str| {
        v[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .and_then(|o| o["__id__"].as_i64())
            .unwrap()
    };
    let depts = omni("department/list", json!({"api_key": key})).await;
    let ranks = omni("rank/list", json!({"api_key": key})).await;
    omni(
        "user/create",
        json!({"api_key": key, "with_admin_permissions": true, "user": {
            "username": format!("boss@{abbr}"), "display_name": "Boss",
            "email": "boss@example.com", "password": "secret-pw",
            "rank": {"__id__": first(&ranks, "ranks", "Specialist")},
            "department": {"__id__": first(&depts, "departments", "MIS Department")}}}),
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
    let personal: Value = http
        .post(format!("{url}/api/v1/me/tokens"))
        .bearer_auth(oauth["access_token"].as_str().unwrap())
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
        token: personal["token"].as_str().unwrap().to_string(),
    }
}

/// Builds the package with `sluice package` and uploads it (activated); the process id.
async fn upload_package(api: &Api, dir: &Path) -> String {
    let src = dir.join("project");
    std::fs::create_dir_all(&src).unwrap();
    let manifest = json!({
        "format": 1, "type": "project", "name": "QueueMover", "mainProcess": "Main",
        "processes": [{"name": "Main", "command": ["sh", "main.sh"], "timeoutSeconds": 60,
                       "outputs": [{"name": "moved"}]}]
    });
    std::fs::write(src.join("sluice-project.json"), manifest.to_string()).unwrap();
    std::fs::write(src.join("main.sh"), SCRIPT).unwrap();
    let out = dir.join("QueueMover.zip");
    let built = sluice()
        .arg("package")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(built.success(), "sluice package");
    let boundary = "sluice-e2e-queue-boundary";
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
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"QueueMover.zip\"\r\n\
         Content-Type: application/zip\r\n\r\n"
    )
    .unwrap();
    body.extend_from_slice(&std::fs::read(out).unwrap());
    write!(body, "\r\n--{boundary}--\r\n").unwrap();
    let v: Value = api
        .req(reqwest::Method::POST, "/asset/api/v1/ipaUpload/upload")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["resultType"], "SUCCESS", "{v}");
    let list: Value = api
        .req(reqwest::Method::GET, "/asset/api/v1/objects/type/process")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Main")
        .and_then(|p| p["id"].as_str())
        .expect("process Main")
        .to_string()
}

async fn scenario(db: &Database) {
    let scratch = Scratch::new("queues");
    let http = reqwest::Client::new();
    let (server, url) = start_server(db, &scratch.0, &http).await;
    let api = tenant(&http, &url, "QUEUE").await;
    let process = upload_package(&api, &scratch.0).await;
    for q in ["inbox", "outbox", "durable"] {
        api.json(
            reqwest::Method::POST,
            &format!("/asset/api/v1/messageQueue/use/1/{q}"),
            json!({"desc": q, "isUsed": "Y"}),
        )
        .await;
    }
    let licenses = api
        .json(
            reqwest::Method::POST,
            "/api/v1/licenses",
            json!({"kind": "bot", "count": 1}),
        )
        .await;
    let bot = Proc(
        sluice()
            .args(["bot", "--server", &url, "--name", "mover", "--work-dir"])
            .arg(scratch.0.join("bot"))
            .env("SLUICE_BOT_LICENSE", licenses[0]["key"].as_str().unwrap())
            .env("SLUICE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start sluice bot"),
    );

    // The bot is there once it saved the identity its activation gave it.
    let identity = scratch.0.join("bot/.sluice-bot/bot.json");
    let bot_id = eventually("the bot to activate", || async {
        let v: Value = serde_json::from_slice(&std::fs::read(&identity).ok()?).ok()?;
        v["bot_id"].as_str().map(str::to_string)
    })
    .await;

    // The process takes the message from inbox and sends it on to outbox.
    api.send("inbox", "hello from a client").await;
    let job = api
        .json(
            reqwest::Method::POST,
            "/scheduler/api/v1/jobs",
            json!({"jobType": "1", "processId": process, "botSelectType": 3, "botId": bot_id,
                   "userAuthentication": format!("Bearer {}", api.token)}),
        )
        .await["jobId"]
        .as_str()
        .unwrap()
        .to_string();
    let ended = eventually("the job to end", || async {
        let j = api
            .req(
                reqwest::Method::GET,
                &format!("/scheduler/api/v1/jobs/{job}"),
            )
            .send()
            .await
            .ok()?
            .json::<Value>()
            .await
            .ok()?;
        (j["statusCode"] == "4").then_some(j)
    })
    .await;
    assert_eq!(ended["detailCode"], "1", "{ended}");
    let outputs: Value = serde_json::from_str(ended["result"].as_str().unwrap()).unwrap();
    assert_eq!(outputs, json!({"moved": "hello from a client"}));
    assert_eq!(api.receive("inbox").await, None);
    assert_eq!(
        api.receive("outbox").await.as_deref(),
        Some("HELLO FROM A CLIENT")
    );
    drop(bot);

    // A crash (SIGKILL) with messages in a queue loses none of them.
    for i in 0..25 {
        assert_eq!(
            api.send("durable", &format!("m{i}")).await["queueSize"],
            i + 1
        );
    }
    drop(server);
    let (_server, url) = start_server(db, &scratch.0, &http).await;
    let api = Api { url, ..api };
    for i in 0..25 {
        assert_eq!(api.receive("durable").await, Some(format!("m{i}")));
    }
    assert_eq!(api.receive("durable").await, None);
}

/// `curl` runs the process's calls; without it there is nothing to test.
fn have_curl() -> bool {
    let found = Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("curl is not installed: queue end-to-end test skipped");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_process_moves_messages_and_a_crash_loses_none_on_sqlite() {
    if have_curl() {
        scenario(&Database::Sqlite).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_process_moves_messages_and_a_crash_loses_none_on_postgres() {
    if !have_curl() {
        return;
    }
    if let Some(db) = Database::postgres().await {
        scenario(&db).await;
        db.drop_schema().await;
    }
}
