//! `sluice`: the business-process and RPA orchestration server in one binary.

mod commands;

use clap::{Parser, Subcommand};

/// Sluice: approval workflows, cases and software robots, speaking the REST APIs of
/// OmniBPM, Questetra, PlusWorkflow, Brity RPA and Bonita over one domain model.
#[derive(Parser)]
#[command(name = "sluice", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server: every API on one listener, background work included.
    Serve(commands::serve::ServeArgs),
    /// Print the OpenAPI document of the native API.
    Openapi,
    /// Build a project package (docs/package-format.md) from a folder.
    Package(commands::package::PackageArgs),
    /// Run a bot agent: take jobs from a server and run their processes on this machine.
    Bot(commands::bot::BotArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Package(args) => commands::package::run(args),
        Command::Bot(args) => commands::bot::run(args),
        Command::Openapi => {
            let doc = sluice_http::openapi();
            println!("{}", doc.to_pretty_json()?);
            Ok(())
        }
    }
}
