//! The bot protocol under `/api/v1/agent` (docs/bot-protocol.md): a `sluice bot` agent
//! activates a license, reports its machine, long-polls for jobs, fetches packages, reports
//! progress and result files, watches for stop requests and reports the end of each job.
//! Every call but `activate` carries `Authorization: Bearer <bot secret>`.

use super::body::json_body_max;
use super::error::ErrorBody;
use super::ApiError;
use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sluice_domain::Error as DomainError;
use sluice_store::rpa::bots::{BotAuth, BotEnv};
use sluice_store::rpa::dispatch::{Claim, Finish, JobUpdate, MAX_OUTPUTS_BYTES, MAX_WAIT};
use sluice_store::rpa::job_end::JobOutcome;
use sluice_store::rpa::job_files::MAX_FILE_BYTES;
use sluice_store::Error as StoreError;
use std::time::Duration;

/// A bot that presented its secret.
pub(crate) struct BotBearer(pub BotAuth);

impl FromRequestParts<AppState> for BotBearer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::missing_token());
        };
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::invalid_token("The Authorization header is not a bearer token.")
            })?;
        match state.store.bot_for_secret(secret).await? {
            // Every authenticated call is a heartbeat (throttled in the store), so a bot
            // busy downloading a package or uploading results is not taken for down.
            Some(bot) => {
                state.store.touch_bot(&bot).await?;
                Ok(BotBearer(bot))
            }
            None => Err(ApiError::invalid_token(
                "The bot secret is unknown or was revoked; activate the bot again.",
            )),
        }
    }
}

fn refused(e: DomainError) -> ApiError {
    ApiError::from(StoreError::Domain(e))
}

/// A query parameter by name.
fn query_param(query: &Option<String>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `wait` in seconds, 0 to 30 (absent: 30).
fn wait_of(query: &Option<String>) -> Result<Duration, ApiError> {
    match query_param(query, "wait") {
        None => Ok(MAX_WAIT),
        Some(w) => w
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| *s <= MAX_WAIT.as_secs())
            .map(Duration::from_secs)
            .ok_or_else(|| refused(DomainError::invalid("wait must be 0 to 30 (seconds)."))),
    }
}

/// Refuses a NUL character (PostgreSQL cannot store one in text; it would surface as a 500).
fn no_nul(field: &str, value: &str) -> Result<(), ApiError> {
    if value.contains('\0') {
        return Err(refused(DomainError::invalid(format!(
            "{field} must not contain NUL characters."
        ))));
    }
    Ok(())
}

/// A job id or package hash from a path: at most 200 characters, no control characters.
fn path_id(field: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().any(char::is_control) || value.chars().count() > 200 {
        return Err(refused(DomainError::invalid(format!(
            "{field} must be at most 200 characters without control characters."
        ))));
    }
    Ok(())
}

fn job_update(u: JobUpdate, done: StatusCode) -> Result<StatusCode, ApiError> {
    match u {
        JobUpdate::Done => Ok(done),
        JobUpdate::NotFound => Err(ApiError::not_found("This bot has no such job.")),
        JobUpdate::NotRunning => Err(refused(DomainError::conflict(
            "The job is no longer running (stopped, or failed while the bot was silent).",
        ))),
    }
}

/// An agent's machine, as it reports it.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct EnvIn {
    #[serde(default)]
    computer_name: String,
    #[serde(default)]
    ip_addr: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    agent_version: String,
}

impl EnvIn {
    fn env(&self) -> Result<BotEnv, ApiError> {
        no_nul("computer_name", &self.computer_name)?;
        no_nul("ip_addr", &self.ip_addr)?;
        no_nul("os", &self.os)?;
        no_nul("agent_version", &self.agent_version)?;
        Ok(BotEnv {
            computer_name: self.computer_name.clone(),
            ip_addr: self.ip_addr.clone(),
            os: self.os.clone(),
            agent_version: self.agent_version.clone(),
        })
    }
}

/// Activation of a bot license.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct ActivateIn {
    /// The license key (`slu_lic_...`).
    license_key: String,
    /// The bot's name, unique in the tenant; activating again under the same name re-issues
    /// that bot's secret.
    name: String,
    #[serde(flatten)]
    env: EnvIn,
}

/// A bot's credential, shown once.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ActivateOut {
    bot_id: String,
    /// The bot's bearer secret (`slu_bot_...`); keep it, it is not shown again.
    bot_secret: String,
    /// How often the server must hear from the bot (a poll, at most this many seconds
    /// apart); three missed intervals and the bot is down.
    heartbeat_seconds: u64,
}

/// Binds a bot license to a bot and issues the bot's secret.
#[utoipa::path(post, path = "/api/v1/agent/activate", tag = "bots",
    request_body = ActivateIn,
    responses(
        (status = 200, description = "The bot and its secret", body = ActivateOut),
        (status = 400, description = "Invalid body or field", body = ErrorBody),
        (status = 401, description = "Unknown license key", body = ErrorBody),
        (status = 403, description = "The license is expired", body = ErrorBody),
        (status = 409, description = "The license is bound to another bot, the bot holds another license, or it is not a bot license", body = ErrorBody),
    ))]
pub(crate) async fn activate(
    State(app): State<AppState>,
    body: Body,
) -> Result<Json<ActivateOut>, ApiError> {
    let input: ActivateIn = json_body_max(body, 64 * 1024).await?;
    no_nul("license_key", &input.license_key)?;
    no_nul("name", &input.name)?;
    let a = app
        .store
        .activate_bot(&input.license_key, &input.name, &input.env.env()?)
        .await?;
    Ok(Json(ActivateOut {
        bot_id: a.bot_id,
        bot_secret: a.bot_secret,
        heartbeat_seconds: app.store.rpa_settings().heartbeat().as_secs(),
    }))
}

/// The bot, as the server knows it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct HelloOut {
    bot_id: String,
    name: String,
    heartbeat_seconds: u64,
}

/// A (re)started agent reports its machine; a job the bot was running is failed (the
/// agent that ran it is gone).
#[utoipa::path(post, path = "/api/v1/agent/hello", tag = "bots",
    security(("bearer" = [])),
    request_body = EnvIn,
    responses(
        (status = 200, description = "The bot", body = HelloOut),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Unknown or revoked bot secret", body = ErrorBody),
    ))]
pub(crate) async fn hello(
    State(app): State<AppState>,
    BotBearer(bot): BotBearer,
    body: Body,
) -> Result<Json<HelloOut>, ApiError> {
    let input: EnvIn = json_body_max(body, 64 * 1024).await?;
    app.store.bot_hello(&bot, &input.env()?).await?;
    Ok(Json(HelloOut {
        bot_id: bot.id,
        name: bot.name,
        heartbeat_seconds: app.store.rpa_settings().heartbeat().as_secs(),
    }))
}

/// The process a claimed job runs.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ClaimProcess {
    id: String,
    version: String,
    name: String,
    project_name: String,
    /// argv, run in the extracted package's root.
    command: Vec<String>,
    command_windows: Option<Vec<String>>,
    command_macos: Option<Vec<String>>,
    /// 0: no limit.
    timeout_secs: i64,
    work_type: String,
    /// Fetch with `GET /api/v1/agent/packages/{sha256}` (and cache by it).
    package_sha256: String,
}

/// A job for the bot.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ClaimOut {
    job_id: String,
    /// 0 for the requested run, n for its n-th retry.
    attempt: i64,
    process: ClaimProcess,
    /// Input name → value.
    #[schema(value_type = Object)]
    inputs: serde_json::Map<String, serde_json::Value>,
    /// Credential name → fields; only those the process declares.
    #[schema(value_type = Object)]
    credentials: serde_json::Map<String, serde_json::Value>,
    /// The job's token for the queue endpoints (`slu_job_...`), valid while the job runs;
    /// the agent hands it to the process as `SLUICE_JOB_TOKEN`.
    job_token: String,
}

impl From<Claim> for ClaimOut {
    fn from(c: Claim) -> Self {
        ClaimOut {
            job_id: c.job_id,
            attempt: c.attempt,
            process: ClaimProcess {
                id: c.process_id,
                version: c.version,
                name: c.process_name,
                project_name: c.project_name,
                command: c.run.command,
                command_windows: c.run.command_windows,
                command_macos: c.run.command_macos,
                timeout_secs: c.run.timeout_secs,
                work_type: c.run.work_type,
                package_sha256: c.run.package_sha256,
            },
            inputs: c.inputs,
            credentials: serde_json::Map::new(),
            job_token: c.job_token,
        }
    }
}

/// Long poll for a job: answers with a claimed job as soon as one is waiting for this bot,
/// else 204 after `wait` (or sooner, after the heartbeat interval). Counts as a heartbeat.
#[utoipa::path(post, path = "/api/v1/agent/jobs/next", tag = "bots",
    security(("bearer" = [])),
    params(("wait" = Option<u64>, Query, description = "Seconds to wait for a job, 0 to 30 (default 30)")),
    responses(
        (status = 200, description = "A job, now running on this bot", body = ClaimOut),
        (status = 204, description = "No job within the wait"),
        (status = 400, description = "Invalid wait", body = ErrorBody),
        (status = 401, description = "Unknown or revoked bot secret", body = ErrorBody),
    ))]
pub(crate) async fn next_job(
    State(app): State<AppState>,
    BotBearer(bot): BotBearer,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let wait = wait_of(&query)?;
    let claimed = app.store.next_job(&bot, wait, &app.secret_key).await?;
    Ok(match claimed {
        Some(claim) => {
            // Opened here, on their way to the bot; never logged.
            let credentials = app
                .store
                .claim_credentials(
                    &app.secret_key,
                    bot.org(),
                    &claim.process_id,
                    &claim.version,
                    &claim.credentials,
                )
                .await?;
            let mut out = ClaimOut::from(claim);
            out.credentials = credentials.0;
            Json(out).into_response()
        }
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Downloads the package of the job the bot runs.
#[utoipa::path(get, path = "/api/v1/agent/packages/{sha256}", tag = "bots",
    security(("bearer" = [])),
    params(("sha256" = String, Path, description = "The package's SHA-256, from the claim")),
    responses(
        (status = 200, description = "The package (a zip)", content_type = "application/zip"),
        (status = 401, description = "Unknown or revoked bot secret", body = ErrorBody),
        (status = 404, description = "Not the package of a job this bot runs", body = ErrorBody),
    ))]
pub(crate) async fn package(
    State(app): State<AppState>,
    BotBearer(bot): BotBearer,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    path_id("sha256", &sha256)?;
    // Only the package of the job this bot runs: a bot (or whoever holds its secret) may
    // not browse its tenant's other packages.
    if !app.store.runs_package(&bot, &sha256).await? {
        return Err(ApiError::not_found(
            "No such package among this bot's jobs.",
        ));
    }
    let content = app
        .store
        .package_content(bot.org(), &sha256)
        .await?
        .ok_or_else(|| ApiError::not_found("No such package."))?;
    let mut res = content.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    Ok(res)
}

/// Whether the bot should stop its job.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ControlOut {
    stop: bool,
}

/// Long poll while a job runs: `{"stop": true}` as soon as a stop is requested (or the job
/// no longer runs on this bot), else `{"stop": false}` after `wait`. Counts as a heartbeat.
#[utoipa::path(get, path = "/api/v1/agent/jobs/{job_id}/control", tag = "bots",
    security(("bearer" = [])),
    params(
        ("job_id" = String, Path, description = "The running job"),
        ("wait" = Option<u64>, Query, description = "Seconds to wait, 0 to 30 (default 30)"),
    ),
    responses(
        (status = 200, description = "Whether to stop", body = ControlOut),
        (status = 400, description = "Invalid wait", body = ErrorBody),
        (status = 401, description = "Unknown or revoked bot secret", body = ErrorBody),
        (status = 404, description = "This bot has no such job", body = ErrorBody),
    ))]
pub(crate) async fn control(
    State(app): State<AppState>,
    BotBearer(bot): BotBearer,
    Path(job_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<ControlOut>, ApiError> {
    path_id("job_id", &job_id)?;
    let wait = wait_of(&query)?;
    match app.store.job_control(&bot, &job_id, wait).await? {
        Some(stop) => Ok(Json(ControlOut { stop })),
        None => Err(ApiError::not_found("This bot has no such job.")),
    }
}

/// Progress of a running job.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct ProgressIn {
    /// The current step's name.
    #[serde(default)]
    step: String,
    /// 0 to 100.
    percentage: i64,
}

/// Reports the current step and percentage of the bot's running job.
#[utoipa::path(post, path = "/api/v1/agent/jobs/{job_id}/progress", tag = "bots",
    security(("bearer" = [])),
    params(("job_id" = String, Path, description = "The running job")),
    request_body = ProgressIn,
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Unknown or revoked bot secret", body = ErrorBody),
        (status = 404, description = "This bot has no such job", body = ErrorBody),
        (status = 409, description = "The job is no longer running", body = ErrorBody),
    ))]
pub(crate) async fn progress(
    State(app): State<AppState>,
    BotBearer(bot): BotBearer,
    Path(job_id): Path<String>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    path_id("job_id", &job_id)?;
    let input: ProgressIn = json_body_max(body, 64 * 1024).await?;
    no_nul("step", &input.step)?;
    if !(0..=100).contains(&input.percentage) {
        return Err(refused(DomainError::invalid(
            "percentage must be 0 to 100.",
        )));
    }
    let u = app
        .store
        .job_progress(&bot, &job_id, &input.step, input.percentage)
        .await?;
    job_update(u, StatusCode::NO_CONTENT)
}

/// Uploads a result file of the bot's running job (`.png`/`.jpg` files are its images).
#[utoipa::path(post, path = "/api/v1/agent/jobs/{job_id}/files", tag = "bots",
    security(("bearer" = [])),
    params(
        ("job_id" = String, Path, description = "The running job"),
        ("name" = String, Query, description = "The file's name (no folders)"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file, at most 20 MiB"),
    responses(
        (status = 201, description = "Stored (a file of the same name is replaced)"),
        (status = 400, description = "Invalid name, or too many files", body = ErrorBody),
        (status = 401, description = "Unknown or revoked bot secret", body = ErrorBody),
        (status = 404, description = "This bot has no such job", body = ErrorBody),
        (status = 409, description = "The job is no longer running", body = ErrorBody),
        (status = 413, description = "Larger than 20 MiB", body = ErrorBody),
    ))]
pub(crate) async fn upload_file(
    State(app): State<AppState>,
    BotBearer(bot): BotBearer,
    Path(job_id): Path<String>,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    path_id("job_id", &job_id)?;
    let name = query_param(&query, "name").ok_or_else(|| {
        refused(DomainError::invalid(
            "The name query parameter is required.",
        ))
    })?;
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FILE_BYTES).await else {
        let body = ErrorBody {
            code: "payload_too_large",
            message: format!("A file may be at most {MAX_FILE_BYTES} bytes."),
            kind: "invalid_request",
        };
        return Ok((StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response());
    };
    let u = app.store.add_job_file(&bot, &job_id, &name, &bytes).await?;
    Ok(job_update(u, StatusCode::CREATED)?.into_response())
}

/// How a job ended, as its bot reports it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FinishIn {
    /// `success`, `failure`, `stopped` or `timeout`.
    result: String,
    /// The process's outputs.
    #[serde(default)]
    #[schema(value_type = Object)]
    outputs: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    message: String,
}

/// Reports the end of the bot's running job.
#[utoipa::path(post, path = "/api/v1/agent/jobs/{job_id}/finish", tag = "bots",
    security(("bearer" = [])),
    params(("job_id" = String, Path, description = "The running job")),
    request_body = FinishIn,
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Unknown or revoked bot secret", body = ErrorBody),
        (status = 404, description = "This bot has no such job", body = ErrorBody),
        (status = 409, description = "The job is no longer running", body = ErrorBody),
    ))]
pub(crate) async fn finish(
    State(app): State<AppState>,
    BotBearer(bot): BotBearer,
    Path(job_id): Path<String>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    path_id("job_id", &job_id)?;
    let input: FinishIn = json_body_max(body, MAX_OUTPUTS_BYTES + 64 * 1024).await?;
    no_nul("message", &input.message)?;
    let outcome = match input.result.as_str() {
        "success" => JobOutcome::Success,
        "failure" => JobOutcome::Failure,
        "stopped" => JobOutcome::Stopped,
        "timeout" => JobOutcome::Timeout,
        _ => {
            return Err(refused(DomainError::invalid(
                "result must be success, failure, stopped or timeout.",
            )))
        }
    };
    let finish = Finish {
        outcome,
        outputs: input.outputs,
        message: input.message,
    };
    let u = app.store.finish_job(&bot, &job_id, &finish).await?;
    job_update(u, StatusCode::NO_CONTENT)
}
