//! `orac oracle --config FILE`: run an oracle node (oracle/node).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub struct OracleArgs {
    /// The node's TOML config: key, chain RPC URL, peers, feeds and their
    /// HTTP sources (docs/oracle.md, "Running an oracle node").
    #[arg(long)]
    config: PathBuf,
}

pub fn run(args: OracleArgs) -> anyhow::Result<()> {
    let config = orac_oracle_node::Config::load(&args.config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(orac_oracle_node::run(config))?;
    Ok(())
}
