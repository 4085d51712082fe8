//! End to end, credentials: a real `sluice serve` (SQLite, and PostgreSQL when
//! SLUICE_TEST_DATABASE_URL is set) and a real `sluice bot`. A credential and a secure string
//! resource are registered through Brity's Common Resource API; a process that declares them
//! reads its credentials file and reports hashes of what it found (never the values), and a
//! process that declares none finds an empty object. Neither the server's nor the agent's
//! log (at debug level) nor, on SQLite, the database files hold the secrets.

#![cfg(unix)]

mod common;

use common::{Killed as Proc, Scratch};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MASTER_KEY: &str = "cred-master-key-0123456789abcdef0123456789abcdef";

/// Reports what the process received: hashes of the password and of the secure string,
/// the credentials file's mode, its whole content when it is empty, and its path.
const SCRIPT: &str = r#"creds="$SLUICE_CREDENTIALS"
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$creds"; }
hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
content=$(cat "$creds")
[ "$content" = "{}" ] || content=declared
printf '{"password":"%s","user":"%s","mail":"%s","mode":"%s","content":"%s","path":"%s"}' \
  "$(hash "$(field password)")" "$(field userId)" "$(hash "$(field value)")" \
  "$(stat -c %a "$creds")" "$content" "$creds" > "$SLUICE_OUTPUTS"
"#;

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn hex_sha256(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
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

/// A fresh PostgreSQL schema (base URL, schema), or `None` without SLUICE_TEST_DATABASE_URL.
async fn pg_schema() -> Option<(String, String)> {
    let Ok(base) = std::env::var("SLUICE_TEST_DATABASE_URL") else {
        eprintln!("SLUICE_TEST_DATABASE_URL is not set: PostgreSQL variant skipped");
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let schema = format!("cred_{}_{nanos}", std::process::id());
    let pool = sqlx::PgPool::connect(&base).await.expect("PostgreSQL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .expect("create schema");
    pool.close().await;
    Some((base, schema))
}

/// A child whose stdout and stderr go to `log`.
fn logged(mut cmd: Command, log: &Path) -> Proc {
    let out = std::fs::File::create(log).unwrap();
    let err = out.try_clone().unwrap();
    Proc(
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start sluice"),
    )
}

/// A tenant administrator's Brity calls.
struct Api {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        assert!((200..300).contains(&status), "{path}: {status} {v}");
        v
    }

    /// A multipart POST of text fields and an optional file; the JSON answer.
    async fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Value {
        let boundary = "sluice-cred-e2e-5a1d";
        let mut body = Vec::new();
        for (name, value) in fields {
            write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").unwrap();
        }
        if let Some((name, bytes)) = file {
            write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").unwrap();
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        write!(body, "--{boundary}--\r\n").unwrap();
        let res = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let v: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    /// Runs `process` on `bot`; its outputs once it succeeded.
    async fn run(&self, process: &str, bot: &str) -> Value {
        let r = self
            .call(
                reqwest::Method::POST,
                "/scheduler/api/v1/jobs",
                Some(
                    json!({"jobType": "1", "processId": process, "botSelectType": 3, "botId": bot,
                    "userAuthentication": format!("Bearer {}", self.token)}),
                ),
            )
            .await;
        let id = r["jobId"].as_str().expect("jobId").to_string();
        let job = eventually(&format!("job {id} to end"), || async {
            let j = self
                .call(
                    reqwest::Method::GET,
                    &format!("/scheduler/api/v1/jobs/{id}"),
                    None,
                )
                .await;
            (j["statusCode"] == "4").then_some(j)
        })
        .await;
        assert_eq!(job["detailCode"], "1", "{job}");
        serde_json::from_str(job["result"].as_str().unwrap()).unwrap()
    }
}

/// A tenant `abbr` with an administrator; the administrator's personal API token.
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
    let org = omni("organization/create",
        json!({"api_key": MASTER_KEY, "organization": {"name": format!("{abbr} Inc."), "abbr": abbr}})).await;
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
        "username": format!("boss@{abbr}"), "display_name": "Boss", "email": "boss@example.com",
        "password": "secret-pw", "rank": {"__id__": first(&ranks, "ranks", "Specialist")},
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

/// The package (built by `sluice package`): "Vault" declares the credential "erp" and the
/// secure string "mailbox"; "Bare" declares nothing. Both run the same script.
fn build_package(dir: &Path) -> Vec<u8> {
    let src = dir.join("project");
    std::fs::create_dir_all(&src).unwrap();
    let process = |name: &str, credentials: Value| {
        json!({
            "name": name, "command": ["sh", "main.sh"], "timeoutSeconds": 60, "workType": "background",
            "credentials": credentials, "outputs": [{"name": "password"}]
        })
    };
    let manifest = json!({
        "format": 1, "type": "project", "name": "Credentials", "mainProcess": "Vault",
        "processes": [process("Vault", json!(["erp", "mailbox"])), process("Bare", json!([]))]
    });
    std::fs::write(src.join("sluice-project.json"), manifest.to_string()).unwrap();
    std::fs::write(src.join("main.sh"), SCRIPT).unwrap();
    let out = dir.join("Credentials.zip");
    assert!(sluice()
        .arg("package")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap()
        .success());
    std::fs::read(out).unwrap()
}

async fn scenario(pg: Option<(String, String)>) {
    let scratch = Scratch::new("cred");
    let http = reqwest::Client::new();
    let database_url = match &pg {
        None => format!("sqlite://{}/sluice.db", scratch.0.join("db").display()),
        Some((base, schema)) => {
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}options=-c%20search_path%3D{schema}")
        }
    };
    let server_log = scratch.0.join("server.log");
    let mut serve = sluice();
    serve
        .arg("serve")
        .env("SLUICE_DATABASE_URL", &database_url)
        .env("SLUICE_MASTER_API_KEY", MASTER_KEY)
        .env("SLUICE_ADMIN_PASSWORD", "cred-admin-password")
        .env(
            "SLUICE_SECRET_KEY",
            "cred-secret-key-that-is-long-enough-0123",
        )
        .env("SLUICE_DATABASE_MAX_CONNECTIONS", "4")
        .env("SLUICE_LOG", "debug");
    let (server, url, server_log_writer) = common::spawn_server_logging(serve, Some(&server_log));
    eventually("the server to be ready", || async {
        let r = http.get(format!("{url}/readyz")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    let api = tenant(&http, &url, "CRED").await;

    // The secrets, through the Common Resource API.
    let password = format!("pw-{:016x}", rand::random::<u64>());
    let mail = format!("mail-{:016x}", rand::random::<u64>());
    api.multipart(
        "/asset/api/v1/objects/credential",
        &[
            ("name", "ERP"),
            (
                "data",
                &json!({"userId": "robot", "password": password}).to_string(),
            ),
        ],
        None,
    )
    .await;
    api.multipart(
        "/asset/api/v1/objects/asset",
        &[
            ("name", "mailbox"),
            ("category", "string"),
            ("isSecureData", "Y"),
            ("data", &mail),
        ],
        None,
    )
    .await;
    let bytes = build_package(&scratch.0);
    let up = api
        .multipart(
            "/asset/api/v1/ipaUpload/upload",
            &[("type", "project"), ("data", r#"{"autoActivation":"Y"}"#)],
            Some(("Credentials.zip", &bytes)),
        )
        .await;
    assert_eq!(up["resultType"], "SUCCESS", "{up}");
    let list = api
        .call(
            reqwest::Method::GET,
            "/asset/api/v1/objects/type/process",
            None,
        )
        .await;
    let process = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // One bot.
    let license = api
        .call(
            reqwest::Method::POST,
            "/api/v1/licenses",
            Some(json!({"kind": "bot", "count": 1})),
        )
        .await;
    let work = scratch.0.join("bot");
    let bot_log = scratch.0.join("bot.log");
    let mut agent = sluice();
    agent
        .args(["bot", "--server", &url, "--name", "vault", "--work-dir"])
        .arg(&work)
        .env("SLUICE_BOT_LICENSE", license[0]["key"].as_str().unwrap())
        .env("SLUICE_LOG", "debug");
    let bot_proc = logged(agent, &bot_log);
    let bot_id = eventually("the bot to activate", || async {
        let v: Value =
            serde_json::from_slice(&std::fs::read(work.join(".sluice-bot/bot.json")).ok()?).ok()?;
        v["bot_id"].as_str().map(str::to_string)
    })
    .await;

    // The declaring process received both, in a file only its user may read.
    let out = api.run(&process("Vault"), &bot_id).await;
    assert_eq!(out["password"], hex_sha256(&password), "{out}");
    assert_eq!(out["mail"], hex_sha256(&mail), "{out}");
    assert_eq!(
        (
            out["user"].as_str(),
            out["mode"].as_str(),
            out["content"].as_str()
        ),
        (Some("robot"), Some("600"), Some("declared")),
        "{out}"
    );
    assert!(
        !Path::new(out["path"].as_str().unwrap()).exists(),
        "the credentials file is gone"
    );
    // The other one received nothing.
    let out = api.run(&process("Bare"), &bot_id).await;
    assert_eq!(out["content"], "{}", "{out}");
    assert_eq!(out["password"], hex_sha256(""), "{out}");

    drop(bot_proc);
    drop(server);
    server_log_writer.join().unwrap();
    // Never logged (debug level), never stored in clear.
    for (what, path) in [("server", &server_log), ("bot", &bot_log)] {
        let log = std::fs::read_to_string(path).unwrap();
        assert!(
            !log.is_empty() || what == "bot",
            "the {what} logged nothing at debug level"
        );
        for secret in [&password, &mail] {
            assert!(
                !log.contains(secret.as_str()),
                "the {what} log holds a secret"
            );
        }
    }
    if pg.is_none() {
        for entry in std::fs::read_dir(scratch.0.join("db")).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            for secret in [&password, &mail] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "stored in clear"
                );
            }
        }
    }
    if let Some((base, schema)) = pg {
        if let Ok(pool) = sqlx::PgPool::connect(&base).await {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&pool)
                .await;
            pool.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_receives_only_declared_credentials_on_sqlite() {
    scenario(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_receives_only_declared_credentials_on_postgres() {
    if let Some(pg) = pg_schema().await {
        scenario(Some(pg)).await;
    }
}
