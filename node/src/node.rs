//! `orac node`: open the chain, start the producer and the RPC server,
//! print the banner, and shut down cleanly on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use orac_chain::dev::{DEV_MNEMONIC, derive_keys};
use orac_chain::pool::PoolConfig;
use orac_chain::{Chain, ChainConfig, ChainRules, ChainSpec, MiningMode};
use orac_primitives::U256;
use orac_rpc::{Limits, RpcConfig};
use orac_state::DbConfig;

#[derive(Args, Debug)]
pub(crate) struct NodeArgs {
    /// Development chain: chain id 31337, ten funded accounts from the
    /// standard test mnemonic, blocks sealed as soon as transactions arrive.
    #[arg(long)]
    dev: bool,
    /// Address for JSON-RPC over HTTP and WebSocket.
    #[arg(long, default_value = "127.0.0.1:8545")]
    rpc_addr: SocketAddr,
    /// Where the chain is stored [default: ~/.orac/<dev|chain-ID>].
    #[arg(long)]
    datadir: Option<PathBuf>,
    /// Chain spec (JSON) for a chain other than the built-in dev chain.
    #[arg(long, conflicts_with = "dev")]
    chain: Option<PathBuf>,
    /// Seal a block every N seconds instead of as soon as transactions arrive.
    #[arg(long, value_name = "SECS")]
    block_time: Option<f64>,
    /// Mnemonic the dev accounts are derived from.
    #[arg(long, default_value = DEV_MNEMONIC, requires = "dev")]
    mnemonic: String,
    /// Number of dev accounts.
    #[arg(long, default_value_t = 10, requires = "dev")]
    accounts: u32,
    /// Disk space for compiled contracts (DATADIR/code-cache), in MiB.
    /// Least recently used ones are deleted past it and compiled again
    /// when next called.
    #[arg(long, value_name = "MIB", default_value_t = orac_vm::DEFAULT_CACHE_BYTES >> 20)]
    code_cache_mib: u64,
    /// Serve the dev controls (`anvil_*`, `hardhat_*`, `evm_*`: set
    /// balances, code, storage, nonces and time, mine, snapshot and
    /// revert) on a chain that is not `--dev`. Anyone who can reach the
    /// RPC port can then rewrite this node's state.
    #[arg(long)]
    allow_dev_rpc: bool,
}

pub(crate) fn run(args: NodeArgs) -> anyhow::Result<()> {
    let rules = ChainRules::standard();
    let (spec, keys) = if args.dev {
        let keys = derive_keys(&args.mnemonic, args.accounts.clamp(1, 1000))?;
        let mut spec = ChainSpec::dev();
        if args.mnemonic != DEV_MNEMONIC || args.accounts != 10 {
            let balance = U256::from(10u64).pow(U256::from(18)) * U256::from(10_000u64);
            spec.alloc = keys
                .iter()
                .map(|k| {
                    (
                        k.address(),
                        orac_chain::spec::GenesisAccount {
                            balance,
                            ..Default::default()
                        },
                    )
                })
                .collect();
        }
        (spec, keys)
    } else if let Some(path) = &args.chain {
        (ChainSpec::from_file(path, &rules)?, Vec::new())
    } else {
        bail!("say which chain to run: --dev, or --chain SPEC.json");
    };
    let mining = match args.block_time {
        None => MiningMode::Instant,
        Some(s) if s > 0.0 && s.is_finite() => MiningMode::Interval(Duration::from_secs_f64(s)),
        Some(s) => bail!("--block-time must be a positive number of seconds, not {s}"),
    };
    let datadir = match args.datadir {
        Some(d) => d,
        None => {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."));
            let name = if args.dev {
                "dev".to_string()
            } else {
                format!("chain-{}", spec.chain_id)
            };
            home.join(".orac").join(name)
        }
    };
    let chain = Chain::open(ChainConfig {
        datadir: datadir.clone(),
        spec: spec.clone(),
        mining,
        pool: PoolConfig::default(),
        db: DbConfig::default(),
        dev_keys: keys.clone(),
        code_cache_bytes: args.code_cache_mib.saturating_mul(1 << 20),
        rules,
    })
    .with_context(|| format!("cannot open the chain in {}", datadir.display()))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("orac-rpc")
        .build()?;
    let head = chain.head();
    let served = runtime.block_on(orac_rpc::serve(
        chain.clone(),
        args.rpc_addr,
        RpcConfig {
            limits: Limits::default(),
            client_version: format!("orac/v{}", env!("CARGO_PKG_VERSION")),
            dev_methods: args.dev || args.allow_dev_rpc,
        },
        |addr| banner(&spec, &keys, addr, &datadir, mining, head.number),
        shutdown_signal(),
    ));
    chain.shutdown();
    served.with_context(|| format!("JSON-RPC server on {}", args.rpc_addr))?;
    tracing::info!("stopped");
    Ok(())
}

fn banner(
    spec: &ChainSpec,
    keys: &[orac_primitives::PrivateKey],
    addr: SocketAddr,
    datadir: &std::path::Path,
    mining: MiningMode,
    head: u64,
) {
    let mut out = String::new();
    out.push_str("\n  orac node\n  =========\n\n");
    if !keys.is_empty() {
        out.push_str("Available Accounts\n==================\n");
        let wei = U256::from(10u64).pow(U256::from(18));
        for (i, k) in keys.iter().enumerate() {
            let bal = spec
                .alloc
                .get(&k.address())
                .map(|a| a.balance / wei)
                .unwrap_or_default();
            out.push_str(&format!("({i}) {:?} ({bal} ETH)\n", k.address()));
        }
        out.push_str("\nPrivate Keys\n==================\n");
        for (i, k) in keys.iter().enumerate() {
            out.push_str(&format!("({i}) 0x{}\n", hex::encode(k.to_bytes())));
        }
        out.push('\n');
    }
    let mode = match mining {
        MiningMode::Instant => "instant (a block as soon as transactions arrive)".to_string(),
        MiningMode::Interval(d) => format!("every {:?}", d),
    };
    out.push_str(&format!(
        "Chain ID:       {}\nBase fee:       {} wei\nGas limit:      {}\nMining:         {mode}\nData directory: {}\nHead block:     {head}\n\nListening on {addr}  (HTTP: http://{addr}  WebSocket: ws://{addr})\n",
        spec.chain_id,
        spec.base_fee_per_gas,
        spec.gas_limit,
        datadir.display(),
    ));
    println!("{out}");
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
            Err(_) => std::future::pending::<()>().await,
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
