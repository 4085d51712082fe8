//! `sluice-bench`: a load generator that starts a real `sluice serve` process and drives its
//! HTTP APIs the way clients do, reporting throughput, latency percentiles and the server's
//! peak memory. See docs/performance.md for the commands and the numbers measured.

mod cases;
mod identity_search;
mod jobs;
mod message_starts;
mod omni;
mod queues;
mod schedules;
mod server;
mod stats;
mod users;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "sluice-bench", about = "Load generator for Sluice's HTTP APIs")]
struct Cli {
    /// `sqlite` (a fresh file) or a `postgres://...` URL (a fresh organization each run).
    #[arg(long, default_value = "sqlite", global = true)]
    database: String,
    /// The sluice binary to start (default: next to this one).
    #[arg(long, global = true)]
    sluice_bin: Option<std::path::PathBuf>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32, global = true)]
    clients: usize,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// OmniBPM `user/create` of N users, then repeated `user/list` of all of them.
    Users(users::UsersArgs),
    /// OmniBPM cases: create a document in a three-node workflow and submit it to the end.
    Cases(cases::CasesArgs),
    /// Identity searches of PlusWorkflow, Questetra and Bonita over N named users.
    IdentitySearch(identity_search::IdentitySearchArgs),
    /// Brity jobs run by real `sluice bot` agents: dispatch latency and throughput.
    Jobs(jobs::JobsArgs),
    /// Brity queues: producers and consumers of one queue through the HTTP API.
    Queues(queues::QueuesArgs),
    /// Brity reservations: how late the scheduler fires occurrences with many active.
    Schedules(schedules::SchedulesArgs),
    /// Questetra message starts over the webhook form of an imported BPMN model.
    MessageStarts(message_starts::MessageStartsArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let server = server::Server::start(&cli.database, cli.sluice_bin.as_deref()).await?;
    let result = match &cli.scenario {
        Scenario::Users(args) => users::run(&server, cli.clients, args).await,
        Scenario::Cases(args) => cases::run(&server, cli.clients, args).await,
        Scenario::IdentitySearch(args) => identity_search::run(&server, cli.clients, args).await,
        Scenario::Jobs(args) => jobs::run(&server, &server.bin, cli.clients, args).await,
        Scenario::Queues(args) => queues::run(&server, args).await,
        Scenario::Schedules(args) => schedules::run(&server, cli.clients, args).await,
        Scenario::MessageStarts(args) => message_starts::run(&server, cli.clients, args).await,
    };
    println!(
        "server peak RSS: {:.1} MiB",
        server.peak_rss_mib().unwrap_or(f64::NAN)
    );
    println!(
        "server CPU: {:.1} s",
        server.cpu_seconds().unwrap_or(f64::NAN)
    );
    server.stop();
    result
}
