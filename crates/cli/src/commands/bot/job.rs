//! One claimed job from start to end: working folder, package, inputs and credentials
//! files, the process (with progress, stop and timeout), result files, outputs, `finish`,
//! and the clean-up. Nothing here logs inputs, credentials or outputs.

use super::backoff::Backoff;
use super::cache::PackageCache;
use super::claim::Claim;
use super::client::{AgentClient, ClientError, JobResult};
use super::process::{self, Ending, Launch};
use super::progress::Progress;
use super::workdir::JobDir;
use serde_json::{Map, Value};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

/// Largest result file uploaded, and most files a job keeps (the server's limits).
const MAX_RESULT_BYTES: u64 = 20 * 1024 * 1024;
const MAX_RESULT_FILES: usize = 100;
/// How long a call is retried while the server is unreachable, mid-job.
const RETRY_FOR: Duration = Duration::from_secs(120);
/// How long `finish` is retried: past the bot's lapse the server fails the job anyway.
const FINISH_RETRY_FOR: Duration = Duration::from_secs(900);
/// The stop control is first asked after this long: most short jobs end before, and a
/// stop requested meanwhile is answered at once by that first poll. (The claim itself was
/// the bot's latest heartbeat.)
const FIRST_CONTROL_AFTER: Duration = Duration::from_millis(250);
/// How long any call is retried once the agent is shutting down.
const SHUTDOWN_RETRY_FOR: Duration = Duration::from_secs(5);

/// What the agent needs to run jobs.
pub struct Runner<'a> {
    pub client: &'a AgentClient,
    pub cache: &'a PackageCache,
    pub work_dir: &'a Path,
    pub bot_id: &'a str,
    /// Long-poll wait of the stop control (also the bot's heartbeat while busy).
    pub poll_wait: Duration,
    /// Becomes `true` when the agent is asked to shut down.
    pub shutdown: watch::Receiver<bool>,
}

/// How a job ended, as reported to the server.
struct Outcome {
    result: JobResult,
    outputs: Map<String, Value>,
    message: String,
}

impl Outcome {
    fn failure(message: impl Into<String>) -> Self {
        Outcome {
            result: JobResult::Failure,
            outputs: Map::new(),
            message: message.into(),
        }
    }
}

/// Why the process was asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StopReason {
    Requested,
    /// The server no longer counts the job as this bot's (its lapse passed, say).
    Disowned,
    Shutdown,
}

impl Runner<'_> {
    /// How long to retry a call: `normal`, or briefly while shutting down.
    fn retry_for(&self, normal: Duration) -> Duration {
        if *self.shutdown.borrow() {
            SHUTDOWN_RETRY_FOR
        } else {
            normal
        }
    }

    /// Runs the job and reports its end. Never fails: every problem becomes the job's
    /// failure message.
    pub async fn run(&self, claim: Claim) {
        let started = Instant::now();
        tracing::info!(
            job = %claim.job_id,
            attempt = claim.attempt,
            process = %claim.process.name,
            process_id = %claim.process.id,
            work_type = %claim.process.work_type,
            version = %claim.process.version,
            project = %claim.process.project_name,
            "job claimed"
        );
        let outcome = match JobDir::create(self.work_dir, &claim.job_id, self.bot_id) {
            Ok(dir) => {
                let outcome = self.run_in(&claim, &dir).await;
                dir.remove_credentials();
                let root = dir.root().to_path_buf();
                let removed = tokio::task::spawn_blocking(move || dir.remove()).await;
                if !matches!(removed, Ok(Ok(()))) {
                    tracing::warn!(folder = %root.display(), "could not remove the job folder");
                }
                outcome
            }
            Err(e) => Outcome::failure(format!("preparing the working folder: {e:#}")),
        };
        tracing::info!(
            job = %claim.job_id,
            result = ?outcome.result,
            seconds = started.elapsed().as_secs_f64(),
            "job ended"
        );
        self.finish(&claim.job_id, &outcome).await;
    }

    async fn run_in(&self, claim: &Claim, dir: &JobDir) -> Outcome {
        let os = std::env::consts::OS;
        let Some(argv) = claim.process.command_for(os) else {
            return Outcome::failure(format!("the process has no command for {os}"));
        };
        // Watching for a stop starts before the package is fetched: its polls are the bot's
        // heartbeat while a large package downloads.
        let (stop_tx, mut stop_rx) = oneshot::channel();
        let watcher = AbortOnDrop(tokio::spawn(watch_stop(
            self.client.clone(),
            claim.job_id.clone(),
            self.poll_wait,
            self.shutdown.clone(),
            stop_tx,
        )));
        if let Err(message) = self.unpack(claim, dir).await {
            return Outcome::failure(message);
        }
        if let Ok(reason) = stop_rx.try_recv() {
            return judge(Ok(Ending::Stopped), Some(reason), 0, dir);
        }
        let (progress_tx, progress_rx) = watch::channel(None);
        let poster = tokio::spawn(post_progress(
            self.client.clone(),
            claim.job_id.clone(),
            progress_rx,
        ));
        let stop_reason = std::sync::Mutex::new(None);
        let stop = async {
            // A watcher that ends without a verdict is no stop.
            match stop_rx.await {
                Ok(reason) => *stop_reason.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason),
                Err(_) => std::future::pending().await,
            }
        };
        let timeout = claim.process.timeout_secs;
        let launch = Launch {
            argv,
            cwd: dir.root(),
            env: environment(claim, dir, self.bot_id, &self.client.server()),
            timeout: (timeout > 0).then(|| Duration::from_secs(timeout)),
        };
        let ending = process::run(launch, stop, progress_tx).await;
        dir.remove_credentials();
        drop(watcher);
        let _ = tokio::time::timeout(Duration::from_secs(5), poster).await;
        let reason = stop_reason.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut outcome = judge(ending, reason, timeout, dir);
        if let Some(problem) = self.upload_results(&claim.job_id, dir).await {
            append(&mut outcome.message, &problem);
        }
        outcome
    }

    /// Fetches (or reuses) the package and extracts it into the job folder, then writes
    /// the inputs and credentials files.
    async fn unpack(&self, claim: &Claim, dir: &JobDir) -> Result<(), String> {
        let sha = &claim.process.package_sha256;
        let bytes = self
            .cache
            .get(sha, || retry(RETRY_FOR, || self.client.package(sha)))
            .await
            .map_err(|e| format!("fetching the package: {e:#}"))?;
        let root = dir.root().to_path_buf();
        tokio::task::spawn_blocking(move || sluice_package::extract(&bytes, None, &root))
            .await
            .map_err(|e| format!("extracting the package: {e}"))?
            .map_err(|e| format!("extracting the package: {e}"))?;
        dir.prepare().map_err(|e| format!("{e:#}"))?;
        dir.write_inputs(&claim.inputs)
            .and_then(|()| dir.write_credentials(&claim.credentials))
            .map_err(|e| format!("writing the job's files: {e:#}"))
    }

    /// Uploads every file of the results folder; tells what could not be sent.
    async fn upload_results(&self, job_id: &str, dir: &JobDir) -> Option<String> {
        let mut problems = Vec::new();
        let files = dir.result_files();
        if files.len() > MAX_RESULT_FILES {
            problems.push(format!(
                "only the first {MAX_RESULT_FILES} of {} files (by name) were sent",
                files.len()
            ));
        }
        for path in files.into_iter().take(MAX_RESULT_FILES) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Err(e) = self.upload_one(job_id, &path, &name).await {
                tracing::warn!(job = %job_id, file = %name, error = %e, "result file not uploaded");
                problems.push(format!("{name}: {e}"));
            }
        }
        (!problems.is_empty())
            .then(|| format!("result files not uploaded: {}", problems.join("; ")))
    }

    async fn upload_one(&self, job_id: &str, path: &Path, name: &str) -> Result<(), String> {
        let size = tokio::fs::metadata(path)
            .await
            .map_err(|e| e.to_string())?
            .len();
        if size > MAX_RESULT_BYTES {
            return Err("larger than 20 MiB".into());
        }
        let body = tokio::fs::read(path).await.map_err(|e| e.to_string())?;
        retry(self.retry_for(RETRY_FOR), || {
            self.client.upload(job_id, name, body.clone())
        })
        .await
        .map_err(|e| e.to_string())
    }

    /// Reports the end, retrying while the server is unreachable.
    async fn finish(&self, job_id: &str, outcome: &Outcome) {
        let sent = retry(self.retry_for(FINISH_RETRY_FOR), || {
            self.client
                .finish(job_id, outcome.result, &outcome.outputs, &outcome.message)
        })
        .await;
        if let Err(e) = sent {
            tracing::warn!(job = %job_id, error = %e, "the job's end could not be reported");
        }
    }
}

/// The variables of the process contract (docs/package-format.md).
fn environment(
    claim: &Claim,
    dir: &JobDir,
    bot_id: &str,
    server: &str,
) -> Vec<(&'static str, std::ffi::OsString)> {
    let path = |p: PathBuf| p.into_os_string();
    vec![
        ("SLUICE_JOB_ID", claim.job_id.clone().into()),
        ("SLUICE_BOT_ID", bot_id.into()),
        ("SLUICE_INPUTS", path(dir.inputs_path())),
        ("SLUICE_OUTPUTS", path(dir.outputs_path())),
        ("SLUICE_RESULTS_DIR", path(dir.results_dir())),
        ("SLUICE_CREDENTIALS", path(dir.credentials_path())),
        // The queue endpoints of the server, for the process (docs/bot-protocol.md).
        ("SLUICE_SERVER", server.into()),
        ("SLUICE_JOB_TOKEN", claim.job_token.clone().into()),
    ]
}

/// Turns the way the process ended into the reported result.
fn judge(
    ending: std::io::Result<Ending>,
    reason: Option<StopReason>,
    timeout: u64,
    dir: &JobDir,
) -> Outcome {
    let outputs = dir.read_outputs();
    let mut outcome = match ending {
        Err(e) => return Outcome::failure(format!("the process could not be started: {e}")),
        Ok(Ending::Exited(Some(0))) => match outputs {
            Ok(outputs) => {
                return Outcome {
                    result: JobResult::Success,
                    outputs,
                    message: String::new(),
                }
            }
            Err(problem) => return Outcome::failure(problem),
        },
        Ok(Ending::Exited(Some(code))) => {
            Outcome::failure(format!("the process exited with code {code}"))
        }
        Ok(Ending::Exited(None)) => Outcome::failure("the process was ended by a signal"),
        Ok(Ending::TimedOut) => Outcome {
            result: JobResult::Timeout,
            outputs: Map::new(),
            message: format!("the process ran longer than its timeout of {timeout} s"),
        },
        Ok(Ending::Stopped) => match reason {
            Some(StopReason::Shutdown) => Outcome::failure("the bot agent was shut down"),
            Some(StopReason::Disowned) => {
                Outcome::failure("the server no longer counts this job as this bot's")
            }
            _ => Outcome {
                result: JobResult::Stopped,
                outputs: Map::new(),
                message: "stopped on request".into(),
            },
        },
    };
    // What a failed or stopped process managed to write is still worth reporting.
    if let Ok(outputs) = outputs {
        outcome.outputs = outputs;
    }
    outcome
}

fn append(message: &mut String, more: &str) {
    if !message.is_empty() {
        message.push_str("; ");
    }
    message.push_str(more);
}

/// Aborts a task when dropped (whichever way the job's run ends).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Posts the latest progress each time it changes (a burst of lines sends the last one).
async fn post_progress(
    client: AgentClient,
    job_id: String,
    mut rx: watch::Receiver<Option<Progress>>,
) {
    while rx.changed().await.is_ok() {
        let Some(progress) = rx.borrow_and_update().clone() else {
            continue;
        };
        if let Err(e) = client.progress(&job_id, &progress).await {
            tracing::debug!(job = %job_id, error = %e, "progress not sent");
        }
    }
}

/// Long-polls the stop control while the process runs (each poll is also a heartbeat);
/// sends the reason to stop, if one comes.
async fn watch_stop(
    client: AgentClient,
    job_id: String,
    wait: Duration,
    mut shutdown: watch::Receiver<bool>,
    stop: oneshot::Sender<StopReason>,
) {
    let mut backoff = Backoff::new();
    tokio::select! {
        () = tokio::time::sleep(FIRST_CONTROL_AFTER) => {}
        _ = shutdown.wait_for(|&down| down) => {
            let _ = stop.send(StopReason::Shutdown);
            return;
        }
    }
    let reason = loop {
        let polled = tokio::select! {
            r = client.control(&job_id, wait) => r,
            _ = shutdown.wait_for(|&down| down) => break StopReason::Shutdown,
        };
        match polled {
            Ok(true) => break StopReason::Requested,
            Ok(false) => backoff.reset(),
            Err(e) if e.is_transient() => {
                tracing::warn!(job = %job_id, error = %e, "stop control unreachable; retrying");
                tokio::select! {
                    () = backoff.wait() => {}
                    _ = shutdown.wait_for(|&down| down) => break StopReason::Shutdown,
                }
            }
            Err(e) => {
                tracing::warn!(job = %job_id, error = %e, "the server refused the job's control; stopping it");
                break StopReason::Disowned;
            }
        }
    };
    let _ = stop.send(reason);
}

/// Calls `f` until it succeeds, fails for good, or `within` has passed.
async fn retry<T, F, Fut>(within: Duration, mut f: F) -> Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ClientError>>,
{
    let deadline = Instant::now() + within;
    let mut backoff = Backoff::new();
    loop {
        match f().await {
            Err(e) if e.is_transient() && Instant::now() < deadline => {
                tracing::warn!(error = %e, "server unreachable; retrying");
                backoff.wait().await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> (PathBuf, JobDir) {
        let work =
            std::env::temp_dir().join(format!("sluice-bot-judge-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let d = JobDir::create(&work, "job", "BOT-1").unwrap();
        d.prepare().unwrap();
        (work, d)
    }

    #[test]
    fn endings_map_onto_results() {
        let (work, d) = dir("endings");
        let ok = judge(Ok(Ending::Exited(Some(0))), None, 0, &d);
        assert_eq!(ok.result, JobResult::Success);
        std::fs::write(d.outputs_path(), r#"{"total": "7"}"#).unwrap();
        let ok = judge(Ok(Ending::Exited(Some(0))), None, 0, &d);
        assert_eq!(ok.outputs["total"], "7");
        let failed = judge(Ok(Ending::Exited(Some(2))), None, 0, &d);
        assert_eq!(failed.result, JobResult::Failure);
        assert!(failed.message.contains("code 2"));
        assert_eq!(failed.outputs["total"], "7", "partial outputs are kept");
        let stopped = judge(Ok(Ending::Stopped), Some(StopReason::Requested), 0, &d);
        assert_eq!(stopped.result, JobResult::Stopped);
        let down = judge(Ok(Ending::Stopped), Some(StopReason::Shutdown), 0, &d);
        assert_eq!(down.result, JobResult::Failure);
        let late = judge(Ok(Ending::TimedOut), None, 5, &d);
        assert_eq!(late.result, JobResult::Timeout);
        assert!(late.message.contains("5 s"));
        std::fs::write(d.outputs_path(), "not json").unwrap();
        let bad = judge(Ok(Ending::Exited(Some(0))), None, 0, &d);
        assert_eq!(
            bad.result,
            JobResult::Failure,
            "outputs that cannot be read fail the job"
        );
        let unstartable = judge(Err(std::io::Error::other("no such file")), None, 0, &d);
        assert!(unstartable.message.contains("could not be started"));
        std::fs::remove_dir_all(&work).unwrap();
    }
}
