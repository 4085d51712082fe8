//! Brity jobs run by real bots: a release `sluice serve`, N real `sluice bot` agents (4 by
//! default) and a trivial process (a shell script that records when it started, in
//! nanoseconds, as its output). Measures
//! - dispatch latency: jobs requested one at a time while every bot is idle and waiting in
//!   its long poll; from the moment `POST /scheduler/api/v1/jobs` answered (the job is
//!   accepted) to the moment the process started, as the process itself records it;
//! - end-to-end throughput: `--jobs` trivial jobs requested by `--clients` concurrent
//!   clients, from the first request to the last job's end.

use crate::omni::{call, client, organization, url};
use crate::server::Server;
use crate::stats::Latencies;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Records its start (nanoseconds since the epoch) as the output `started`.
const SCRIPT: &str = "printf '{\"started\":\"%s\"}' \"$(date +%s%N)\" > \"$SLUICE_OUTPUTS\"\n";

#[derive(clap::Args)]
pub struct JobsArgs {
    /// Bots (real `sluice bot` processes) to start.
    #[arg(long, default_value_t = 4)]
    bots: usize,
    /// Jobs requested one at a time for the dispatch latency.
    #[arg(long, default_value_t = 200)]
    dispatches: usize,
    /// Jobs requested at once for the throughput.
    #[arg(long, default_value_t = 2_000)]
    jobs: usize,
}

/// Bot agents killed (and their folders removed) on drop.
struct Bots {
    children: Vec<Child>,
    dir: PathBuf,
}

impl Drop for Bots {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A tenant user's Brity API.
pub(crate) struct Api {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: String,
}

impl Api {
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{path}: {status} {v}");
        }
        Ok(v)
    }

    /// Requests a job of `process`; its id.
    async fn run(&self, process: &str) -> anyhow::Result<String> {
        let v = self
            .send(
                reqwest::Method::POST,
                "/scheduler/api/v1/jobs",
                Some(
                    json!({"jobType": "1", "processId": process, "botSelectType": 1, "botId": "",
                    "userAuthentication": format!("Bearer {}", self.token)}),
                ),
            )
            .await?;
        v["jobId"].as_str().map(str::to_string).context("jobId")
    }

    /// Waits for the job's end; its process start time (ns since the epoch).
    async fn started(&self, id: &str) -> anyhow::Result<u128> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let j = self
                .send(
                    reqwest::Method::GET,
                    &format!("/scheduler/api/v1/jobs/{id}"),
                    None,
                )
                .await?;
            if j["statusCode"] == "4" {
                if j["detailCode"] != "1" {
                    bail!("job {id} did not succeed: {j}");
                }
                let out: Value = serde_json::from_str(j["result"].as_str().context("result")?)?;
                return out["started"]
                    .as_str()
                    .context("started")?
                    .parse()
                    .map_err(Into::into);
            }
            if Instant::now() > deadline {
                bail!("job {id} did not end within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Waits until `n` bots are up and idle (Brity botRunningStatus 2).
    async fn wait_idle(&self, n: usize) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let v = self
                .send(
                    reqwest::Method::POST,
                    "/communication/api/v1/botList",
                    Some(json!({})),
                )
                .await?;
            let idle = v["list"].as_array().map_or(0, |l| {
                l.iter().filter(|b| b["botRunningStatus"] == 2).count()
            });
            if idle >= n {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("only {idle} of {n} bots came up within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Completed jobs of `process`.
    async fn completed(&self, process: &str) -> anyhow::Result<u64> {
        let v = self
            .send(
                reqwest::Method::POST,
                "/scheduler/api/v1/jobs/list",
                Some(json!({"limit": 1, "parameter": {"processId": process}})),
            )
            .await?;
        v["totalCount"].as_u64().context("totalCount")
    }
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

pub async fn run(
    server: &Server,
    sluice: &Path,
    clients: usize,
    args: &JobsArgs,
) -> anyhow::Result<()> {
    let http = client(clients)?;
    let api = tenant(&http, server).await?;
    let dir = std::env::temp_dir().join(format!("sluice-bench-bots-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let process = upload(&api, &package(sluice, &dir)?).await?;
    let licenses = api
        .send(
            reqwest::Method::POST,
            "/api/v1/licenses",
            Some(json!({"kind": "bot", "count": args.bots})),
        )
        .await?;
    let mut bots = Bots {
        children: Vec::new(),
        dir: dir.clone(),
    };
    for i in 0..args.bots {
        let key = licenses[i]["key"].as_str().context("license key")?;
        bots.children.push(
            Command::new(sluice)
                .args([
                    "bot",
                    "--server",
                    &server.url,
                    "--name",
                    &format!("bench-{i}"),
                    "--work-dir",
                ])
                .arg(dir.join(format!("bot-{i}")))
                .env("SLUICE_BOT_LICENSE", key)
                .env("SLUICE_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .context("starting sluice bot")?,
        );
    }
    api.wait_idle(args.bots).await?;
    // Warm-up: every bot has its package cached and is polling.
    for _ in 0..args.bots * 3 {
        let id = api.run(&process).await?;
        api.started(&id).await?;
    }

    let mut accepted_to_start = Latencies::new();
    let mut request_to_start = Latencies::new();
    let started = Instant::now();
    for _ in 0..args.dispatches {
        let sent = now_ns();
        let id = api.run(&process).await?;
        let accepted = now_ns();
        let began = api.started(&id).await?;
        let ns = |from: u128| Duration::from_nanos(began.saturating_sub(from) as u64);
        accepted_to_start.record(ns(accepted));
        request_to_start.record(ns(sent));
    }
    let elapsed = started.elapsed();
    accepted_to_start.report("dispatch (job accepted -> process started)", elapsed);
    request_to_start.report("dispatch (job requested -> process started)", elapsed);

    let before = api.completed(&process).await?;
    let api = Arc::new(api);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (api, next, process) = (api.clone(), next.clone(), process.clone());
        let total = args.jobs;
        tasks.push(tokio::spawn(async move {
            let mut lat = Latencies::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t = Instant::now();
                api.run(&process).await?;
                lat.record(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut requests = Latencies::new();
    for t in tasks {
        requests.merge(&t.await??);
    }
    let requested = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    while api.completed(&process).await? < before + args.jobs as u64 {
        if Instant::now() > deadline {
            bail!("the jobs did not all end within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    requests.report("job requests (POST /scheduler/api/v1/jobs)", requested);
    println!(
        "end to end: {} trivial jobs on {} bots in {:.2} s = {:.0} jobs/s",
        args.jobs,
        args.bots,
        elapsed.as_secs_f64(),
        args.jobs as f64 / elapsed.as_secs_f64()
    );
    let cpu: f64 = bots
        .children
        .iter()
        .filter_map(|c| cpu_seconds(c.id()))
        .sum();
    println!("bots' CPU (all {}): {cpu:.1} s", args.bots);
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average: {}", load.trim());
    }
    drop(bots);
    Ok(())
}

/// CPU time (user + system) a process has used, in seconds (Linux).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// A tenant with an administrator; the administrator's personal API token.
pub(crate) async fn tenant(http: &reqwest::Client, server: &Server) -> anyhow::Result<Api> {
    let (abbr, key) = organization(http, server, "JOBS").await?;
    let k = |mut body: Value| {
        body["api_key"] = json!(key);
        body
    };
    let api = |p: &str| url(server, p);
    let depts = call(http, &api("department/list"), &k(json!({}))).await?;
    let ranks = call(http, &api("rank/list"), &k(json!({}))).await?;
    let dept = depts["departments"][1]["__id__"]
        .as_i64()
        .context("department")?;
    let rank = ranks["ranks"][3]["__id__"].as_i64().context("rank")?;
    call(
        http,
        &api("user/create"),
        &k(json!({"with_admin_permissions": true, "user": {
            "username": format!("boss@{abbr}"), "display_name": "Boss",
            "email": "boss@example.com", "password": "bench-password",
            "rank": {"__id__": rank}, "department": {"__id__": dept}}})),
    )
    .await?;
    let oauth: Value = http
        .post(format!("{}/oauth2/token", server.url))
        .form(&[
            ("grant_type", "password"),
            ("username", &format!("boss@{abbr}")),
            ("password", "bench-password"),
        ])
        .send()
        .await?
        .json()
        .await?;
    let access = oauth["access_token"].as_str().context("access token")?;
    let personal: Value = http
        .post(format!("{}/api/v1/me/tokens", server.url))
        .bearer_auth(access)
        .json(&json!({"name": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    Ok(Api {
        http: http.clone(),
        base: server.url.clone(),
        token: personal["token"].as_str().context("token")?.to_string(),
    })
}

/// Builds the trivial process's package with `sluice package`.
pub(crate) fn package(sluice: &Path, dir: &Path) -> anyhow::Result<Vec<u8>> {
    let src = dir.join("project");
    std::fs::create_dir_all(&src)?;
    let manifest = json!({"format": 1, "type": "project", "name": "Trivial", "mainProcess": "Main",
        "processes": [{"name": "Main", "command": ["sh", "main.sh"], "workType": "background",
            "outputs": [{"name": "started"}]}]});
    std::fs::write(src.join("sluice-project.json"), manifest.to_string())?;
    std::fs::write(src.join("main.sh"), SCRIPT)?;
    let out = dir.join("Trivial.zip");
    let status = Command::new(sluice)
        .arg("package")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .status()?;
    if !status.success() {
        bail!("sluice package failed");
    }
    Ok(std::fs::read(out)?)
}

/// Uploads the package, activated; the id of its process.
pub(crate) async fn upload(api: &Api, bytes: &[u8]) -> anyhow::Result<String> {
    let boundary = "sluice-bench-boundary-91ac";
    let mut body = Vec::new();
    for (name, value) in [("type", "project"), ("data", r#"{"autoActivation":"Y"}"#)] {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )?;
    }
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Trivial.zip\"\r\n\
         Content-Type: application/zip\r\n\r\n"
    )?;
    body.extend_from_slice(bytes);
    write!(body, "\r\n--{boundary}--\r\n")?;
    let v: Value = api
        .http
        .post(format!("{}/asset/api/v1/ipaUpload/upload", api.base))
        .bearer_auth(&api.token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await?
        .json()
        .await?;
    if v["resultType"] != "SUCCESS" {
        bail!("upload: {v}");
    }
    let list = api
        .send(
            reqwest::Method::GET,
            "/asset/api/v1/objects/type/process",
            None,
        )
        .await?;
    list.as_array()
        .and_then(|l| l.iter().find(|p| p["name"] == "Main"))
        .and_then(|p| p["id"].as_str())
        .map(str::to_string)
        .context("process Main")
}
