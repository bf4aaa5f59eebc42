//! `orac testnet init`: write a local network's keys, chain spec and
//! configs (see `orac_consensus::testnet`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use orac_consensus::testnet::{self, Options};

#[derive(Args)]
pub(crate) struct TestnetArgs {
    #[command(subcommand)]
    command: TestnetCommand,
}

#[derive(Subcommand)]
enum TestnetCommand {
    /// Write validator keys, one chain spec (validator set and the ten
    /// standard test accounts funded), one config per node and
    /// DIR/testnet.json. Start each node with `orac node --config
    /// DIR/nodeI/config.toml`.
    Init(InitArgs),
}

#[derive(Args)]
struct InitArgs {
    /// Number of validators (4 tolerates one faulty or down).
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// Full nodes to add (no key: they follow the validators and serve RPC).
    #[arg(long, default_value_t = 0)]
    full_nodes: usize,
    /// Where to write.
    #[arg(long)]
    dir: PathBuf,
    /// Node I serves JSON-RPC on P+I, consensus on P+100+I, the
    /// transaction relay on P+200+I.
    #[arg(long, value_name = "P", default_value_t = 8545)]
    base_port: u16,
    /// The chain id (default: 31337, as the dev chain, so wallets set up
    /// for it work).
    #[arg(long, value_name = "ID", default_value_t = orac_chain::spec::DEV_CHAIN_ID)]
    chain_id: u64,
    /// Every block's gas limit.
    #[arg(long, default_value_t = orac_chain::spec::DEFAULT_GAS_LIMIT)]
    gas_limit: u64,
    /// The block interval: each height takes at least this long.
    #[arg(long, value_name = "MS", default_value_t = Options::default().block_time_ms)]
    block_time_ms: u64,
}

pub(crate) fn run(args: TestnetArgs) -> anyhow::Result<()> {
    let TestnetCommand::Init(a) = args.command;
    let options = Options {
        validators: a.validators,
        full_nodes: a.full_nodes,
        dir: a.dir.clone(),
        base_port: a.base_port,
        chain_id: a.chain_id,
        gas_limit: a.gas_limit,
        block_time_ms: a.block_time_ms,
    };
    let nodes = testnet::init(&options)?;
    println!(
        "Wrote a {}-validator network to {}:",
        a.validators,
        a.dir.display()
    );
    for n in &nodes {
        println!(
            "  {}: orac node --config {}   (RPC {})",
            n.name,
            a.dir.join(&n.config).display(),
            n.rpc
        );
    }
    Ok(())
}
