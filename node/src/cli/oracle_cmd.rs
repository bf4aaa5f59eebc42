//! `orac oracle --config FILE`: run an oracle node (oracle/node).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub(crate) struct OracleArgs {
    /// The node's TOML config: key, chain RPC URL, peers, feeds and their
    /// HTTP sources (docs/oracle.md, "Running an oracle node").
    #[arg(long)]
    config: PathBuf,
    /// Address the peer and status server listens on (overrides the
    /// config's `listen` and ORAC_ORACLE_LISTEN).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Peer base URLs, comma-separated; empty for none (overrides the
    /// config's `peers` and ORAC_ORACLE_PEERS).
    #[arg(long, value_name = "URLS")]
    peers: Option<String>,
    /// The chain's JSON-RPC URL (overrides the config's `rpc_url` and
    /// ORAC_ORACLE_RPC_URL).
    #[arg(long, value_name = "URL")]
    rpc_url: Option<String>,
}

pub(crate) fn run(args: OracleArgs) -> anyhow::Result<()> {
    use orac_oracle_node::config::{Overrides, Setting};
    // The file, then the environment (in `load`), then these flags.
    let mut config = orac_oracle_node::Config::load(&args.config)?;
    config.apply(&Overrides {
        rpc_url: args.rpc_url.map(|v| Setting::new("--rpc-url", v)),
        listen: args.listen.map(|v| Setting::new("--listen", v)),
        peers: args.peers.map(|v| Setting::new("--peers", v)),
        // No flag: the file or ORAC_ORACLE_MAX_OPEN_REQUESTS_PER_REQUESTER.
        ..Overrides::default()
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(orac_oracle_node::run(config))?;
    Ok(())
}
