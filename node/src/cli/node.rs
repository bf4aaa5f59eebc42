//! `orac node`: start the node ([`crate::spawn`]), print the banner,
//! and shut down cleanly on Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use crate::NodeArgs;
use orac_chain::{ChainSpec, MiningMode};
use orac_primitives::U256;

pub(crate) fn run(args: NodeArgs) -> anyhow::Result<()> {
    let config = args.into_config()?;
    let (spec, keys) = (config.chain.spec.clone(), config.chain.dev_keys.clone());
    let (datadir, mining) = (config.chain.datadir.clone(), config.chain.mining);
    let role = config.network.as_ref().map(role);
    let node = crate::spawn(config)?;
    let head = node.chain().head().number;
    banner(&spec, &keys, node.addr(), &datadir, mining, head);
    if let Some(role) = role {
        println!("Consensus:      {role}\n");
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(shutdown_signal());
    node.stop()?;
    tracing::info!("stopped");
    Ok(())
}
/// What this node is in its network, for the banner.
fn role(n: &crate::NetworkConfig) -> String {
    let s = &n.consensus;
    let count = s.validators.validators().len();
    let me = s
        .key
        .as_ref()
        .map(|k| orac_consensus::types::Address::of(&k.public_key()));
    let listen = &s.listen_addr;
    match me {
        Some(a) if s.validators.validators().iter().any(|v| v.address == a) => {
            format!(
                "validator {a} of {count}, peers on {listen}, block time {:?}",
                s.pacing.block_time
            )
        }
        Some(a) => {
            format!("key {a} is not one of the {count} validators: following as a full node")
        }
        None => format!("full node following {count} validators, peers on {listen}"),
    }
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
        MiningMode::External => "by consensus (Malachite)".to_string(),
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
