//! `orac build`, `orac new` and `orac deploy`: contract crates in,
//! deployable files out, and on chain.

use std::path::PathBuf;

use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;

#[derive(Args, Debug)]
pub(crate) struct BuildArgs {
    /// The contract crate (a directory with Cargo.toml).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write <name>.wasm, <name>.bin and <name>.abi.json
    /// [default: <dir>/out].
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) fn build(args: BuildArgs) -> anyhow::Result<()> {
    let artifact = orac_build::build(&args.dir, None)
        .with_context(|| format!("building {}", args.dir.display()))?;
    let out = args.out.unwrap_or_else(|| args.dir.join("out"));
    let [wasm, bin, abi] = artifact.write(&out)?;
    println!("built {} with {}", artifact.name, artifact.toolchain);
    println!(
        "  {}  ({} bytes; passes the node's deploy checks)",
        wasm.display(),
        artifact.wasm.len()
    );
    println!("  {}  (deploy bytecode for cast and ethers)", bin.display());
    println!(
        "  {}  ({} entries)",
        abi.display(),
        artifact.abi.as_array().map(|a| a.len()).unwrap_or(0)
    );
    Ok(())
}

#[derive(Args, Debug)]
pub(crate) struct NewArgs {
    /// Name of the contract crate (and of its directory).
    name: String,
    /// Parent directory [default: the current one].
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Writes a new contract crate: the counter template, the SDK copied into
/// `vendor/` and a Cargo.lock, so that it builds on any machine, offline
/// too, with no orac checkout (orac_build::scaffold says why).
pub(crate) fn new(args: NewArgs) -> anyhow::Result<()> {
    let parent = args.dir.unwrap_or_else(|| PathBuf::from("."));
    let made = orac_build::scaffold::new_crate(&parent, &args.name)?;
    let root = made.root;
    println!(
        "created {}: build it with `orac build {}`, test it with `cargo test`",
        root.display(),
        root.display()
    );
    println!(
        "  (the orac SDK {} is copied into {}; see its README.md)",
        orac_build::scaffold::SDK_VERSION,
        root.join("vendor").display()
    );
    if !made.lock_trimmed {
        println!("  (cargo could not trim Cargo.lock offline; the first build will)");
    }
    Ok(())
}

#[derive(Args, Debug)]
pub(crate) struct DeployArgs {
    /// The deploy bytecode `orac build` wrote (<name>.bin, hex). Read from
    /// the file, so contracts of any size deploy: a module over 64 KB is
    /// more hex than one command-line argument may hold (`cast send
    /// --create` fails with "Argument list too long").
    bin: PathBuf,
    /// ABI-encoded constructor arguments, hex (e.g. from `cast abi-encode
    /// "constructor(address,uint64)" 0x… 1`).
    args: Option<String>,
    /// The chain's JSON-RPC endpoint.
    #[arg(long, env = "ETH_RPC_URL", default_value = "http://127.0.0.1:8545")]
    rpc_url: String,
    /// The deployer's key, hex.
    #[arg(long, env = "ORAC_PRIVATE_KEY")]
    private_key: String,
    /// Wei sent to the constructor.
    #[arg(long, default_value = "0")]
    value: String,
}

/// Deploys `<name>.bin` with constructor arguments; prints the contract's
/// address on stdout (and the transaction on stderr).
pub(crate) fn deploy(args: DeployArgs) -> anyhow::Result<()> {
    let hex_in = |what: &str, text: &str| {
        hex::decode(text.trim().trim_start_matches("0x"))
            .with_context(|| format!("{what} is not hex"))
    };
    let code = std::fs::read_to_string(&args.bin)
        .with_context(|| format!("reading {}", args.bin.display()))?;
    let mut data = hex_in(&args.bin.display().to_string(), &code)?;
    if let Some(a) = &args.args {
        data.extend(hex_in("the constructor arguments", a)?);
    }
    let key = orac_primitives::PrivateKey::from_hex(args.private_key.trim())
        .map_err(|e| anyhow::anyhow!("--private-key: {e}"))?;
    let value = orac_primitives::U256::from_dec_str(&args.value)
        .map_err(|_| anyhow::anyhow!("--value {:?}: give wei as a decimal integer", args.value))?;
    let client = orac_rpc_client::Client::with_timeout(&args.rpc_url, Duration::from_secs(60))
        .with_context(|| format!("--rpc-url {:?}", args.rpc_url))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (hash, receipt) = runtime.block_on(async {
        let wallet = orac_rpc_client::Wallet::connect(client, key).await?;
        wallet
            .send(None, value, data, Duration::from_secs(60))
            .await
    })?;
    let status = if receipt.success { "0x1" } else { "0x0" };
    eprintln!(
        "transaction {hash:?}: status \"{status}\", gas used \"{:#x}\"",
        receipt.gas_used
    );
    let Some(address) = receipt.contract_address.filter(|_| receipt.success) else {
        bail!("the deployment failed (transaction {hash:?})");
    };
    println!("{address:?}");
    Ok(())
}
