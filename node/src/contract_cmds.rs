//! `orac build`, `orac new` and `orac deploy`: contract crates in,
//! deployable files out, and on chain.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// The contract crate (a directory with Cargo.toml).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write <name>.wasm, <name>.bin and <name>.abi.json
    /// [default: <dir>/out].
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn build(args: BuildArgs) -> anyhow::Result<()> {
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
pub struct NewArgs {
    /// Name of the contract crate (and of its directory).
    name: String,
    /// Parent directory [default: the current one].
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Where this orac checkout's SDK lives, for the new crate's path dependency.
fn sdk_path() -> anyhow::Result<PathBuf> {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/sdk");
    sdk.canonicalize().with_context(|| {
        format!(
            "the orac SDK is not at {} (run orac from its checkout)",
            sdk.display()
        )
    })
}

pub fn new(args: NewArgs) -> anyhow::Result<()> {
    let name = &args.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        bail!(
            "{name:?} is not a valid crate name (letters, digits, - and _, not starting with a digit)"
        );
    }
    let root = args.dir.unwrap_or_else(|| PathBuf::from(".")).join(name);
    if root.exists() {
        bail!("{} already exists", root.display());
    }
    let sdk = sdk_path()?;
    let type_name: String = name
        .split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    std::fs::create_dir_all(root.join("src"))?;
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
orac-sdk = {{ path = "{sdk}" }}

# A contract crate is its own workspace.
[workspace]
"#,
            sdk = sdk.display()
        ),
    )?;
    std::fs::write(root.join(".gitignore"), "/target\n/out\n")?;
    std::fs::write(
        root.join("src/lib.rs"),
        TEMPLATE.replace("Counter", &type_name),
    )?;
    println!(
        "created {}: build it with `orac build {}`, test it with `cargo test`",
        root.display(),
        root.display()
    );
    Ok(())
}

const TEMPLATE: &str = r#"//! A counter: the smallest useful contract. Build with `orac build`,
//! unit-test with `cargo test`.
#![no_std]

use orac_sdk::prelude::*;

abi! {
    event Incremented(address indexed by, uint256 count);
    error TooBig(uint256 requested, uint256 limit);
}

#[storage]
pub struct Counter {
    count: Value<U256>,
}

#[contract]
impl Counter {
    #[constructor]
    pub fn constructor(&mut self, start: U256) {
        self.count.set(start);
    }

    /// Adds `by` (at most 1000) and returns the new count.
    pub fn add(&mut self, by: U256) -> Result<U256, Revert> {
        let limit = U256::from(1000);
        if by > limit {
            return Err(TooBig { requested: by, limit }.into());
        }
        let count = self.count.get() + by;
        self.count.set(count);
        orac_sdk::emit(Incremented { by: msg::sender(), count });
        Ok(count)
    }

    pub fn count(&self) -> U256 {
        self.count.get()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use orac_sdk::testing;

    use super::*;

    #[test]
    fn adds_and_logs() {
        testing::reset();
        let mut c = Counter::at_root();
        c.constructor(U256::from(5));
        assert_eq!(testing::try_call(|| c.add(U256::from(2))), Ok(U256::from(7)));
        assert_eq!(c.count(), U256::from(7));
        assert_eq!(testing::events::<Incremented>()[0].count, U256::from(7));
    }

    #[test]
    fn refuses_too_much() {
        testing::reset();
        let mut c = Counter::at_root();
        let err = testing::try_call(|| c.add(U256::from(5000))).unwrap_err();
        assert_eq!(err.decode::<TooBig>().unwrap().requested, U256::from(5000));
        assert_eq!(c.count(), U256::ZERO);
    }
}
"#;

#[derive(Args, Debug)]
pub struct DeployArgs {
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
pub fn deploy(args: DeployArgs) -> anyhow::Result<()> {
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
    let url = args
        .rpc_url
        .parse()
        .with_context(|| format!("--rpc-url {:?}", args.rpc_url))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (hash, receipt) = runtime.block_on(async {
        let chain = orac_oracle_node::chain::Chain::connect(url, key).await?;
        chain
            .send_tx(None, value, data, std::time::Duration::from_secs(60))
            .await
    })?;
    eprintln!(
        "transaction {hash:?}: status {}, gas used {}",
        receipt["status"], receipt["gasUsed"]
    );
    if receipt["status"] != "0x1" {
        bail!("the deployment failed (transaction {hash:?})");
    }
    println!(
        "{}",
        receipt["contractAddress"].as_str().unwrap_or_default()
    );
    Ok(())
}
