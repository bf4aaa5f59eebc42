//! `orac testnet init`: the files for a network of validators on one
//! machine (keys, one chain spec with the validator set and the funded test
//! accounts, one config per node, and `testnet.json` listing them).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use orac_chain::dev::{DEV_MNEMONIC, derive_keys};
use orac_chain::spec::{DEFAULT_GAS_LIMIT, DEV_CHAIN_ID, GWEI};
use serde_json::json;

use crate::config::{ConfigError, ConsensusSection, KeyFile, NodeFile, RelaySection, RpcSection};
use crate::signing::PrivateKey;

/// What to write.
#[derive(Clone, Debug)]
pub struct Options {
    /// How many validators (at least 1; 4 tolerates one faulty).
    pub validators: usize,
    /// Full nodes to add beside them (no key: they follow and serve RPC).
    pub full_nodes: usize,
    /// Where to write.
    pub dir: PathBuf,
    /// Node I's RPC port is `base_port + I`, its consensus port
    /// `base_port + 100 + I`, its relay port `base_port + 200 + I`.
    pub base_port: u16,
    /// The chain id.
    pub chain_id: u64,
    /// Every block's gas limit.
    pub gas_limit: u64,
    /// Each node's `consensus.block_time_ms`.
    pub block_time_ms: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            validators: 4,
            full_nodes: 0,
            dir: PathBuf::from("testnet"),
            base_port: 8545,
            chain_id: DEV_CHAIN_ID,
            gas_limit: DEFAULT_GAS_LIMIT,
            block_time_ms: crate::config::default_block_time(),
        }
    }
}

/// One node as `testnet.json` lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeEntry {
    /// `nodeI`.
    pub name: String,
    /// Its config file, relative to the testnet directory.
    pub config: String,
    /// Its JSON-RPC URL.
    pub rpc: String,
}

fn write(path: &Path, contents: &str) -> Result<(), ConfigError> {
    std::fs::write(path, contents).map_err(|source| ConfigError::Io {
        path: path.into(),
        source,
    })
}

fn mkdir(path: &Path) -> Result<(), ConfigError> {
    std::fs::create_dir_all(path).map_err(|source| ConfigError::Io {
        path: path.into(),
        source,
    })
}

/// Writes the testnet; returns its nodes. Refuses to overwrite an existing
/// `testnet.json` (keys would be lost).
pub fn init(o: &Options) -> Result<Vec<NodeEntry>, ConfigError> {
    if o.validators == 0 {
        return Err(ConfigError::Invalid("at least one validator".into()));
    }
    let total = o.validators + o.full_nodes;
    if total > 100 {
        return Err(ConfigError::Invalid(
            "at most 100 nodes (the port layout)".into(),
        ));
    }
    if o.block_time_ms < crate::config::MIN_BLOCK_TIME_MS {
        return Err(ConfigError::Invalid(format!(
            "--block-time-ms must be at least {}",
            crate::config::MIN_BLOCK_TIME_MS
        )));
    }
    if o.base_port as usize + 200 + total > u16::MAX as usize {
        return Err(ConfigError::Invalid("--base-port too high".into()));
    }
    if o.dir.join("testnet.json").exists() {
        return Err(ConfigError::Invalid(format!(
            "{} already holds a testnet; remove it first",
            o.dir.display()
        )));
    }
    mkdir(&o.dir)?;
    let port = |offset: usize, i: usize| o.base_port as usize + offset + i;
    let localhost = Ipv4Addr::LOCALHOST;

    let mut keys = Vec::new();
    for _ in 0..o.validators {
        keys.push(
            PrivateKey::generate()
                .map_err(|e| ConfigError::Invalid(format!("no randomness: {e}")))?,
        );
    }
    let ether = 10u128.pow(18);
    let alloc: serde_json::Map<String, serde_json::Value> = derive_keys(DEV_MNEMONIC, 10)
        .map_err(|e| ConfigError::Invalid(e.to_string()))?
        .into_iter()
        .map(|k| {
            (
                format!("{:?}", k.address()),
                json!({ "balance": (10_000 * ether).to_string() }),
            )
        })
        .collect();
    let validators: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            json!({
                "name": format!("node{i}"),
                "publicKey": format!("0x{}", hex::encode(k.public_key().as_bytes())),
                "power": 1,
            })
        })
        .collect();
    let spec = json!({
        "chainId": o.chain_id,
        "gasLimit": o.gas_limit,
        "baseFeePerGas": GWEI.to_string(),
        "minBaseFeePerGas": GWEI.to_string(),
        "timestamp": 0,
        "alloc": alloc,
        "validators": validators,
    });
    let spec_text =
        serde_json::to_string_pretty(&spec).map_err(|e| ConfigError::Invalid(e.to_string()))?;
    write(&o.dir.join("chain.json"), &spec_text)?;

    let mut nodes = Vec::new();
    for i in 0..total {
        let name = format!("node{i}");
        let dir = o.dir.join(&name);
        mkdir(&dir)?;
        let key_file = if let Some(key) = keys.get(i) {
            let path = dir.join("validator_key.json");
            let text = serde_json::to_string_pretty(&KeyFile::of(key))
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
            write(&path, &text)?;
            restrict(&path)?;
            Some(PathBuf::from("validator_key.json"))
        } else {
            None
        };
        let others = (0..total).filter(|&j| j != i);
        let file = NodeFile {
            moniker: name.clone(),
            chain: PathBuf::from("../chain.json"),
            datadir: PathBuf::from("data"),
            key_file,
            dev_accounts: true,
            rpc: RpcSection {
                addr: SocketAddr::from((localhost, port(0, i) as u16)),
            },
            consensus: ConsensusSection {
                listen_addr: format!("/ip4/127.0.0.1/tcp/{}", port(100, i)),
                peers: others
                    .clone()
                    .map(|j| format!("/ip4/127.0.0.1/tcp/{}", port(100, j)))
                    .collect(),
                block_time_ms: o.block_time_ms,
                timeout_propose_ms: crate::config::default_propose(),
                timeout_prevote_ms: crate::config::default_prevote(),
                timeout_precommit_ms: crate::config::default_precommit(),
                max_connections_per_ip: 4 * total + 8,
            },
            relay: RelaySection {
                addr: SocketAddr::from((localhost, port(200, i) as u16)),
                // Full nodes forward to validators; validators to each other.
                peers: others
                    .filter(|&j| j < o.validators)
                    .map(|j| format!("http://127.0.0.1:{}", port(200, j)))
                    .collect(),
            },
            byzantine: None,
        };
        let text =
            toml::to_string_pretty(&file).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        write(&dir.join("config.toml"), &text)?;
        nodes.push(NodeEntry {
            config: format!("{name}/config.toml"),
            rpc: format!("http://127.0.0.1:{}", port(0, i)),
            name,
        });
    }
    let listing = json!({ "chain_id": o.chain_id, "nodes": nodes });
    let listing =
        serde_json::to_string_pretty(&listing).map_err(|e| ConfigError::Invalid(e.to_string()))?;
    write(&o.dir.join("testnet.json"), &listing)?;
    Ok(nodes)
}

#[cfg(unix)]
fn restrict(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
        ConfigError::Io {
            path: path.into(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> Result<(), ConfigError> {
    Ok(())
}
