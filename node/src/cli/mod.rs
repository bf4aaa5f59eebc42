//! The `orac` command line: `node`, `build`, `new`, `deploy`, `oracle`,
//! `testnet` and `db`.
//!
//! The `orac` binary is [`main`] and nothing else; the end-to-end tests
//! compile the same [`main`] into their own binary (`orac-under-test`), so
//! the command they run is built with the features of their own build.

mod contract_cmds;
mod db_cmd;
mod node;
mod oracle_cmd;
mod testnet_cmd;

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
    Node(crate::NodeArgs),
    /// Build a contract crate: <name>.wasm, <name>.bin (deploy bytecode) and
    /// <name>.abi.json, checked against the node's deploy rules.
    Build(contract_cmds::BuildArgs),
    /// Create a new contract crate that builds and tests out of the box.
    New(contract_cmds::NewArgs),
    /// Deploy a built contract (<name>.bin) with constructor arguments.
    Deploy(contract_cmds::DeployArgs),
    /// Set up a network of validators on this machine.
    Testnet(testnet_cmd::TestnetArgs),
    /// Run an oracle node: fetch prices, sign observations, exchange them
    /// with peers and transmit quorum reports to the feed registry.
    Oracle(oracle_cmd::OracleArgs),
    /// Look inside a stopped node's database.
    Db(db_cmd::DbArgs),
}

/// What is logged when `RUST_LOG` is unset: orac at info, and Malachite's
/// per-vote and per-message info lines (a dozen per block per validator)
/// only when they are warnings.
const DEFAULT_LOG: &str = "info,arc_malachitebft_core_consensus=warn,arc_malachitebft_engine=warn,\
arc_malachitebft_sync=warn,arc_malachitebft_network=warn,arc_malachitebft_discovery=warn,\
arc_malachitebft_wal=warn,libp2p=warn";

/// Parses the command line, sets up logging (`RUST_LOG`, default [`DEFAULT_LOG`],
/// to stderr) and runs the subcommand.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG)),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Node(args) => node::run(args),
        Command::Build(args) => contract_cmds::build(args),
        Command::New(args) => contract_cmds::new(args),
        Command::Deploy(args) => contract_cmds::deploy(args),
        Command::Oracle(args) => oracle_cmd::run(args),
        Command::Testnet(args) => testnet_cmd::run(args),
        Command::Db(args) => db_cmd::run(args),
    }
}
