//! The client side of the bot protocol (docs/bot-protocol.md): typed calls under
//! `/api/v1/agent`, with failures sorted into "try again later" and "give up".

use super::claim::Claim;
use super::machine::Machine;
use super::progress::Progress;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

/// Extra time allowed beyond a long poll's `wait` before the request counts as lost.
const POLL_SLACK: Duration = Duration::from_secs(15);
/// Time allowed for an ordinary call (uploads get more).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached or is failing (connection refused, timeout, 5xx,
    /// 429): retry after a back-off.
    #[error("server unreachable: {0}")]
    Unreachable(String),
    /// The bot's secret (or the license key) was refused: 401.
    #[error("credentials refused: {0}")]
    Unauthorized(String),
    /// Any other refusal (4xx): retrying the same call will not help.
    #[error("refused with {status}: {message}")]
    Rejected { status: u16, message: String },
}

impl ClientError {
    pub fn is_transient(&self) -> bool {
        matches!(self, ClientError::Unreachable(_))
    }
}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        // Without the URL: it is harmless today, but errors end up in logs.
        ClientError::Unreachable(e.without_url().to_string())
    }
}

/// Answer of `activate`.
#[derive(Deserialize)]
pub struct Activation {
    pub bot_id: String,
    pub bot_secret: String,
    #[serde(default = "default_heartbeat")]
    pub heartbeat_seconds: u64,
}

/// Answer of `hello`.
#[derive(Debug, Deserialize)]
pub struct Hello {
    pub bot_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default = "default_heartbeat")]
    pub heartbeat_seconds: u64,
}

fn default_heartbeat() -> u64 {
    10
}

#[derive(Serialize)]
struct ActivateBody<'a> {
    license_key: &'a str,
    name: &'a str,
    #[serde(flatten)]
    machine: &'a Machine,
}

/// How a job ended, as `finish` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobResult {
    Success,
    Failure,
    Stopped,
    Timeout,
}

#[derive(Serialize)]
struct FinishBody<'a> {
    result: JobResult,
    outputs: &'a Map<String, Value>,
    message: &'a str,
}

#[derive(Deserialize)]
struct Control {
    #[serde(default)]
    stop: bool,
}

/// A connection to one server, with or without the bot's secret.
#[derive(Clone)]
pub struct AgentClient {
    http: reqwest::Client,
    /// `<server>/api/v1/agent`.
    base: reqwest::Url,
    secret: Option<String>,
}

impl AgentClient {
    pub fn new(server: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("sluice-bot/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        let base = reqwest::Url::parse(&format!("{}/api/v1/agent", server.trim_end_matches('/')))
            .map_err(|e| anyhow::anyhow!("--server is not a URL: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            anyhow::bail!("--server must be an http:// or https:// URL");
        }
        Ok(AgentClient {
            http,
            base,
            secret: None,
        })
    }

    /// The server's URL as configured (without the agent API's path): what a job's
    /// process gets as `SLUICE_SERVER`.
    pub fn server(&self) -> String {
        let url = self.base.as_str();
        url.strip_suffix("/api/v1/agent").unwrap_or(url).to_string()
    }

    /// The same connection, authenticated as the bot.
    pub fn with_secret(&self, secret: &str) -> Self {
        AgentClient {
            secret: Some(secret.to_string()),
            ..self.clone()
        }
    }

    /// A request to `<base>/<segments...>`; each segment is escaped, so an id can never
    /// change the path.
    fn request(&self, method: reqwest::Method, segments: &[&str]) -> reqwest::RequestBuilder {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.extend(segments);
        }
        let r = self.http.request(method, url);
        match &self.secret {
            Some(s) => r.bearer_auth(s),
            None => r,
        }
    }

    /// Binds a license to this bot (a new one, or the tenant's bot of that name).
    pub async fn activate(
        &self,
        license_key: &str,
        name: &str,
        machine: &Machine,
    ) -> Result<Activation, ClientError> {
        let body = ActivateBody {
            license_key,
            name,
            machine,
        };
        let res = self
            .request(reqwest::Method::POST, &["activate"])
            .timeout(CALL_TIMEOUT)
            .json(&body)
            .send()
            .await?;
        Ok(check(res).await?.json().await?)
    }

    /// Reports the machine of a restarted agent.
    pub async fn hello(&self, machine: &Machine) -> Result<Hello, ClientError> {
        let res = self
            .request(reqwest::Method::POST, &["hello"])
            .timeout(CALL_TIMEOUT)
            .json(machine)
            .send()
            .await?;
        Ok(check(res).await?.json().await?)
    }

    /// Waits up to `wait` for a job; `None` when none came.
    pub async fn next_job(&self, wait: Duration) -> Result<Option<Claim>, ClientError> {
        let res = self
            .request(reqwest::Method::POST, &["jobs", "next"])
            .query(&[("wait", wait.as_secs())])
            .timeout(wait + POLL_SLACK)
            .send()
            .await?;
        let res = check(res).await?;
        if res.status() == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let bytes = res.bytes().await?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ClientError::Rejected {
                status: 200,
                message: format!("unreadable job claim: {e}"),
            })
    }

    /// The bytes of the package with this SHA-256.
    pub async fn package(&self, sha256: &str) -> Result<Vec<u8>, ClientError> {
        let res = self
            .request(reqwest::Method::GET, &["packages", sha256])
            .timeout(UPLOAD_TIMEOUT)
            .send()
            .await?;
        Ok(check(res).await?.bytes().await?.to_vec())
    }

    /// Waits up to `wait` for a stop request of a running job: `true` when one came.
    pub async fn control(&self, job_id: &str, wait: Duration) -> Result<bool, ClientError> {
        let res = self
            .request(reqwest::Method::GET, &["jobs", job_id, "control"])
            .query(&[("wait", wait.as_secs())])
            .timeout(wait + POLL_SLACK)
            .send()
            .await?;
        let control: Control = check(res).await?.json().await?;
        Ok(control.stop)
    }

    pub async fn progress(&self, job_id: &str, progress: &Progress) -> Result<(), ClientError> {
        let res = self
            .request(reqwest::Method::POST, &["jobs", job_id, "progress"])
            .timeout(CALL_TIMEOUT)
            .json(&serde_json::json!({"step": progress.step, "percentage": progress.percentage}))
            .send()
            .await?;
        check(res).await.map(drop)
    }

    /// Uploads one result file.
    pub async fn upload(&self, job_id: &str, name: &str, body: Vec<u8>) -> Result<(), ClientError> {
        let res = self
            .request(reqwest::Method::POST, &["jobs", job_id, "files"])
            .query(&[("name", name)])
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .timeout(UPLOAD_TIMEOUT)
            .body(body)
            .send()
            .await?;
        check(res).await.map(drop)
    }

    pub async fn finish(
        &self,
        job_id: &str,
        result: JobResult,
        outputs: &Map<String, Value>,
        message: &str,
    ) -> Result<(), ClientError> {
        let res = self
            .request(reqwest::Method::POST, &["jobs", job_id, "finish"])
            .timeout(CALL_TIMEOUT)
            .json(&FinishBody {
                result,
                outputs,
                message,
            })
            .send()
            .await?;
        check(res).await.map(drop)
    }
}

/// Sorts an answer: success passes, the rest becomes a [`ClientError`] carrying the native
/// error's message (`{"code","message","type"}`) when there is one.
async fn check(res: reqwest::Response) -> Result<reqwest::Response, ClientError> {
    let status = res.status();
    if status.is_success() {
        return Ok(res);
    }
    let text = res.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| text.chars().take(200).collect());
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        Err(ClientError::Unreachable(format!("{status}: {message}")))
    } else if status == reqwest::StatusCode::UNAUTHORIZED {
        Err(ClientError::Unauthorized(message))
    } else {
        Err(ClientError::Rejected {
            status: status.as_u16(),
            message,
        })
    }
}
