//! `orac`: the command-line entry point.

mod node;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "orac",
    version,
    about = "orac: a WebAssembly smart-contract chain with an oracle bridge"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node: the chain, its block producer and the JSON-RPC server.
    Node(node::NodeArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Node(args) => node::run(args),
    }
}
