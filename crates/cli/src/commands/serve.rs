//! `sluice serve`: configuration, bootstrap, and the HTTP listener.

use anyhow::Context;
use clap::{Args, ValueEnum};
use sluice_http::AppState;
use sluice_store::bootstrap::BootstrapOptions;
use sluice_store::{Durability, Store, StoreOptions};
use std::sync::Arc;
use std::time::Duration;

/// Every option is also read from the environment variable named beside it.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SLUICE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// `sqlite://PATH` (created on first start) or `postgres://...`.
    #[arg(
        long,
        env = "SLUICE_DATABASE_URL",
        default_value = "sqlite://sluice-data/sluice.db"
    )]
    pub database_url: String,
    /// Master API key (OmniBPM organization endpoints, platform administration).
    /// Generated on first start and printed once when not given.
    #[arg(long, env = "SLUICE_MASTER_API_KEY", hide_env_values = true)]
    pub master_api_key: Option<String>,
    /// Password of the platform administrator `admin`. Generated on first start and
    /// printed once when not given; giving it later resets it.
    #[arg(long, env = "SLUICE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Key (32+ characters) that encrypts credentials at rest. Generated and stored on
    /// first start when not given; it cannot change once data is encrypted with it.
    #[arg(long, env = "SLUICE_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// `full`: an acknowledged write survives a power loss (default). `relaxed`: faster,
    /// the last writes may be lost on a power loss.
    #[arg(long, env = "SLUICE_DURABILITY", value_enum, default_value_t = DurabilityArg::Full)]
    pub durability: DurabilityArg,
    /// Most database connections to open [default: 16 SQLite readers; PostgreSQL twice
    /// the CPUs plus two, from 4 to 16].
    #[arg(long, env = "SLUICE_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,
    /// Log format.
    #[arg(long, env = "SLUICE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Seconds without a poll after which a bot is down and its running job fails (bots
    /// are asked to poll every third of it). At least 1.
    #[arg(long, env = "SLUICE_BOT_LAPSE_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub bot_lapse_seconds: u64,
    /// Let job callbacks (Brity `callbackInfo`) go to loopback and private addresses
    /// (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7). Link-local, unspecified and
    /// multicast addresses are always refused.
    #[arg(long, env = "SLUICE_CALLBACK_ALLOW_PRIVATE")]
    pub callback_allow_private: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DurabilityArg {
    Full,
    Relaxed,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(args))
}

pub(crate) fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SLUICE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let options = StoreOptions {
        database_url: args.database_url.clone(),
        durability: match args.durability {
            DurabilityArg::Full => Durability::Full,
            DurabilityArg::Relaxed => Durability::Relaxed,
        },
        max_connections: args.database_max_connections,
    };
    let store = Store::connect(&options)
        .await
        .context("opening the database")?;
    tracing::info!(backend = store.backend_name(), durability = ?options.durability, "store ready");
    let boot = store
        .bootstrap(&BootstrapOptions {
            master_api_key: args.master_api_key.clone(),
            admin_password: args.admin_password.clone(),
            secret_key: args.secret_key.clone(),
        })
        .await
        .context("bootstrapping")?;
    // Shown once, on the start that generated them, straight to the operator's terminal:
    // never through the log pipeline.
    if let Some(key) = &boot.generated_master_api_key {
        println!("Generated master API key (shown once, store it now): {key}");
    }
    if let Some(pw) = &boot.generated_admin_password {
        println!("Generated password of the administrator 'admin' (shown once): {pw}");
    }
    spawn_token_purge(store.clone());
    tokio::spawn(store.clone().run_deadline_worker());
    store.configure_rpa(sluice_store::rpa::runtime::RpaSettings {
        bot_lapse: Duration::from_secs(args.bot_lapse_seconds),
        callback_allow_private: args.callback_allow_private,
        ..Default::default()
    });
    tokio::spawn(store.clone().run_bot_worker());
    tokio::spawn(store.clone().run_scheduler());
    tokio::spawn(sluice_http::run_callback_worker(store.clone()));
    tokio::spawn(sluice_http::service_tasks::run(store.clone()));
    let app = sluice_http::router(AppState {
        store: store.clone(),
        secret_key: Arc::new(boot.secret_key),
    });
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, "sluice listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    store.close().await;
    tracing::info!("sluice stopped");
    Ok(())
}

/// Deletes expired OAuth2 tokens every ten minutes.
fn spawn_token_purge(store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            match store.purge_expired_tokens().await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired tokens deleted"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "token purge failed"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
