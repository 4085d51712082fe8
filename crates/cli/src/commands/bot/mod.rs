//! `sluice bot`: the bot agent. It activates a bot license (or reuses the identity saved
//! in `<state-dir>/bot.json`), reports its machine, long-polls the server for jobs and runs
//! each one as the process contract says (docs/package-format.md), one at a time. The
//! protocol is in docs/bot-protocol.md.

mod backoff;
mod cache;
mod claim;
mod client;
mod job;
mod machine;
mod process;
mod progress;
mod state;
mod workdir;

use super::serve::LogFormat;
use anyhow::{bail, Context};
use backoff::Backoff;
use clap::Args;
use client::{AgentClient, ClientError};
use machine::Machine;
use state::{BotState, StateDir};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

/// Longest long poll the protocol allows.
const MAX_WAIT_SECS: u64 = 30;

/// Every option is also read from the environment variable named beside it; prefer the
/// environment for the license key (flags are visible in process lists).
/// No `Debug`: it holds the license key.
#[derive(Args)]
pub struct BotArgs {
    /// URL of the Sluice server, e.g. `https://rpa.example.com`.
    #[arg(long, env = "SLUICE_BOT_SERVER")]
    pub server: String,
    /// Bot license key (`slu_lic_...`), needed only until the bot has activated (and again
    /// after its license is initialized).
    #[arg(long, env = "SLUICE_BOT_LICENSE", hide_env_values = true)]
    pub license: Option<String>,
    /// Name of the bot in its tenant (default: the computer name).
    #[arg(long, env = "SLUICE_BOT_NAME")]
    pub name: Option<String>,
    /// Folder where each job runs, in `<work-dir>/<job-id>/`.
    #[arg(long, env = "SLUICE_BOT_WORK_DIR")]
    pub work_dir: PathBuf,
    /// Folder for the bot's identity (`bot.json`) and package cache
    /// (default: `<work-dir>/.sluice-bot`). One per agent. Processes run as the agent's OS
    /// user and can read what it can, this folder included: give untrusted packages a bot
    /// of their own (docs/bot-protocol.md).
    #[arg(long, env = "SLUICE_BOT_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Log format.
    #[arg(long, env = "SLUICE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

pub fn run(args: BotArgs) -> anyhow::Result<()> {
    super::serve::init_logging(args.log_format);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(agent(args))
}

/// Who the agent is on the server, once connected.
struct Identity {
    client: AgentClient,
    bot_id: String,
    /// The bot's name on the server (empty when activation did not say).
    name: String,
    heartbeat_seconds: u64,
}

async fn agent(args: BotArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.work_dir)
        .with_context(|| format!("creating the work folder {}", args.work_dir.display()))?;
    // Absolute, so the paths handed to processes hold wherever they change directory.
    let work_dir = std::fs::canonicalize(&args.work_dir)?;
    let state_path = args
        .state_dir
        .clone()
        .unwrap_or_else(|| work_dir.join(".sluice-bot"));
    let state = StateDir::open(&state_path)?;
    let cache = cache::PackageCache::new(&state.path().join("packages"))?;
    let client = AgentClient::new(&args.server)?;
    let machine = Machine::detect(resolve(&args.server).await);

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = shutdown_tx.send(true);
    });

    let mut identity = tokio::select! {
        id = connect(&client, &state, &args, &machine) => id?,
        () = down(shutdown_rx.clone()) => return Ok(()),
    };
    workdir::clean_stale(&work_dir, &identity.bot_id);
    let mut backoff = Backoff::new();
    loop {
        let wait = Duration::from_secs(identity.heartbeat_seconds.clamp(1, MAX_WAIT_SECS));
        let polled = tokio::select! {
            r = identity.client.next_job(wait) => r,
            () = down(shutdown_rx.clone()) => return Ok(()),
        };
        match polled {
            Ok(Some(claim)) => {
                backoff.reset();
                let runner = job::Runner {
                    client: &identity.client,
                    cache: &cache,
                    work_dir: &work_dir,
                    bot_id: &identity.bot_id,
                    poll_wait: wait,
                    shutdown: shutdown_rx.clone(),
                };
                runner.run(claim).await;
                if *shutdown_rx.borrow() {
                    return Ok(());
                }
            }
            Ok(None) => backoff.reset(),
            Err(ClientError::Unauthorized(_)) => {
                tracing::warn!("the server refused the bot's secret; connecting again");
                identity = tokio::select! {
                    id = connect(&client, &state, &args, &machine) => id?,
                    () = down(shutdown_rx.clone()) => return Ok(()),
                };
            }
            Err(e) => {
                tracing::warn!(error = %e, "polling for jobs failed; retrying");
                tokio::select! {
                    () = backoff.wait() => {}
                    () = down(shutdown_rx.clone()) => return Ok(()),
                }
            }
        }
    }
}

/// Resolves when the agent is asked to shut down.
async fn down(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|&d| d).await;
}

/// Says hello with the saved identity, or activates the license when there is none (or
/// the saved secret was revoked); waits out an unreachable server.
async fn connect(
    client: &AgentClient,
    state: &StateDir,
    args: &BotArgs,
    machine: &Machine,
) -> anyhow::Result<Identity> {
    let server = args.server.trim_end_matches('/').to_string();
    let mut backoff = Backoff::new();
    loop {
        let saved = state.load().filter(|s| {
            let same = s.server == server;
            if !same {
                tracing::warn!(saved = %s.server, "bot.json belongs to another server; ignoring it");
            }
            same
        });
        let attempt = match saved {
            Some(saved) => hello(client, state, &saved, machine).await,
            None => match args.license.as_deref() {
                Some(license) => activate(client, state, args, license, &server, machine).await,
                None => bail!(
                    "no usable identity in {}: give --license (or SLUICE_BOT_LICENSE) to activate this bot",
                    state.path().join("bot.json").display()
                ),
            },
        };
        match attempt {
            Ok(Some(identity)) => {
                tracing::info!(bot = %identity.bot_id, name = %identity.name, server = %server, "connected");
                return Ok(identity);
            }
            // The secret was refused and forgotten: activate next time round.
            Ok(None) => continue,
            Err(ClientError::Unreachable(e)) => {
                tracing::warn!(error = %e, "server unreachable; retrying");
                backoff.wait().await;
            }
            Err(ClientError::Unauthorized(m) | ClientError::Rejected { message: m, .. }) => {
                bail!("the server refused this bot: {m}")
            }
        }
    }
}

async fn hello(
    client: &AgentClient,
    state: &StateDir,
    saved: &BotState,
    machine: &Machine,
) -> Result<Option<Identity>, ClientError> {
    let client = client.with_secret(&saved.bot_secret);
    match client.hello(machine).await {
        Ok(h) => Ok(Some(Identity {
            client,
            bot_id: h.bot_id,
            name: h.name,
            heartbeat_seconds: h.heartbeat_seconds,
        })),
        Err(ClientError::Unauthorized(_)) => {
            tracing::warn!(bot = %saved.bot_id, "the saved bot secret was refused (license initialized?); activating again");
            state.clear();
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

async fn activate(
    client: &AgentClient,
    state: &StateDir,
    args: &BotArgs,
    license: &str,
    server: &str,
    machine: &Machine,
) -> Result<Option<Identity>, ClientError> {
    let name = args.name.as_deref().unwrap_or(&machine.computer_name);
    let a = client.activate(license, name, machine).await?;
    let saved = BotState {
        server: server.to_string(),
        bot_id: a.bot_id.clone(),
        bot_secret: a.bot_secret.clone(),
    };
    if let Err(e) = state.save(&saved) {
        tracing::warn!(error = %format!("{e:#}"), "could not save bot.json; the license will be needed again");
    }
    Ok(Some(Identity {
        client: client.with_secret(&a.bot_secret),
        bot_id: a.bot_id,
        name: name.to_string(),
        heartbeat_seconds: a.heartbeat_seconds,
    }))
}

/// One address of the server, to learn which local address reaches it.
async fn resolve(server: &str) -> Option<std::net::SocketAddr> {
    let url = reqwest::Url::parse(server).ok()?;
    let host = url.host_str()?.trim_matches(['[', ']']).to_string();
    let port = url.port_or_known_default()?;
    let mut addrs = tokio::net::lookup_host((host.as_str(), port)).await.ok()?;
    addrs.next()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
