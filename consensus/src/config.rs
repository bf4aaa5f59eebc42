//! A network node's configuration file (`DIR/nodeI/config.toml`, written by
//! `orac testnet init`). Paths in it are relative to the file's directory.
//!
//! ```toml
//! moniker = "node0"
//! chain = "../chain.json"          # the chain spec, with the validator set
//! datadir = "data"                 # database, code cache, consensus WAL
//! key_file = "validator_key.json"  # omit for a full node
//! dev_accounts = true              # sign eth_sendTransaction for the test accounts
//!
//! [rpc]
//! addr = "127.0.0.1:8545"
//!
//! [consensus]
//! listen_addr = "/ip4/127.0.0.1/tcp/8645"
//! peers = ["/ip4/127.0.0.1/tcp/8646"]
//! block_time_ms = 1000
//!
//! [relay]
//! addr = "127.0.0.1:8745"
//! peers = ["http://127.0.0.1:8746"]
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use malachitebft_core_types::LinearTimeouts;
use serde::{Deserialize, Serialize};

use crate::app::Pacing;
use crate::signing::{PrivateKey, PublicKey};
use crate::types::Address;

/// The file, as written.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFile {
    /// The node's name in logs and on the network.
    pub moniker: String,
    /// The chain spec (JSON), which holds the validator set.
    pub chain: PathBuf,
    /// Database, compiled-code cache and consensus WAL.
    pub datadir: PathBuf,
    /// The validator key; absent for a full node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// Whether the node signs `eth_sendTransaction` for the ten standard
    /// test accounts (test networks only: the keys are public).
    #[serde(default)]
    pub dev_accounts: bool,
    /// JSON-RPC.
    pub rpc: RpcSection,
    /// Consensus networking and pacing.
    pub consensus: ConsensusSection,
    /// Transaction relay between nodes ([`crate::relay`]).
    pub relay: RelaySection,
    /// Test-only misbehaviour; refused unless orac was built with the
    /// `byzantine` feature (the end-to-end tests' build).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byzantine: Option<ByzantineSection>,
}

/// `[byzantine]`: how a test validator misbehaves.
///
/// ```toml
/// [byzantine]
/// bad_proposals = "double-spend"          # or "state-root", "invalid-transaction"
/// [byzantine.engine]                      # Malachite's ByzantineConfig
/// equivocate_votes = { mode = "always" }
/// ```
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByzantineSection {
    /// Propose blocks other validators must refuse.
    #[serde(default)]
    pub bad_proposals: Option<BadProposal>,
    /// Malachite's Byzantine network proxy (equivocate or drop votes and
    /// proposals): its `ByzantineConfig`, as TOML.
    #[serde(default)]
    pub engine: Option<toml::Table>,
}

/// An invalid block a Byzantine proposer offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BadProposal {
    /// A correct block with a wrong state root.
    StateRoot,
    /// A block with a transaction whose nonce is far ahead.
    InvalidTransaction,
    /// A block spending the same account's nonce twice.
    DoubleSpend,
}

/// `[rpc]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpcSection {
    /// Where JSON-RPC (HTTP and WebSocket) listens.
    pub addr: SocketAddr,
}

/// `[consensus]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsensusSection {
    /// Where to listen for consensus peers (libp2p multiaddr).
    pub listen_addr: String,
    /// Peers to stay connected to (libp2p multiaddrs).
    pub peers: Vec<String>,
    /// Least time per height: the block interval, at least 1000 ms (block
    /// timestamps are whole seconds and strictly increase).
    #[serde(default = "default_block_time")]
    pub block_time_ms: u64,
    /// How long a round waits for the proposer's block (grows by half of
    /// it per round). A crashed proposer costs about this much.
    #[serde(default = "default_propose")]
    pub timeout_propose_ms: u64,
    /// How long a round waits for prevotes, then for precommits, once 2f+1
    /// have arrived for different values.
    #[serde(default = "default_vote")]
    pub timeout_vote_ms: u64,
    /// Connections accepted from one IP address.
    #[serde(default = "default_per_ip")]
    pub max_connections_per_ip: usize,
}

/// `[relay]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySection {
    /// Where this node accepts relayed transactions.
    pub addr: SocketAddr,
    /// Base URLs of the nodes this node forwards its submissions to.
    pub peers: Vec<String>,
}

pub(crate) fn default_block_time() -> u64 {
    1000
}
/// Half a second: a crashed proposer then costs about a block interval plus
/// this (measured by bench/network-bench), while a proposal of a few
/// thousand transactions still arrives and is checked in time on loopback.
pub(crate) fn default_propose() -> u64 {
    500
}
pub(crate) fn default_vote() -> u64 {
    500
}
pub(crate) fn default_per_ip() -> usize {
    32
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration file does not parse.
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// Why.
        source: toml::de::Error,
    },
    /// The key file does not parse.
    #[error("{path}: invalid validator key file: {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// A loaded configuration: the file plus where it was.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The file's contents.
    pub file: NodeFile,
    /// The directory relative paths start from.
    pub dir: PathBuf,
}

impl Loaded {
    /// Reads and checks `path`.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.into(),
            source,
        })?;
        let file: NodeFile = toml::from_str(&text).map_err(|source| ConfigError::Toml {
            path: path.into(),
            source,
        })?;
        if file.byzantine.is_some() && !cfg!(feature = "byzantine") {
            return Err(ConfigError::Invalid(
                "[byzantine] is for tests: this orac was built without the `byzantine` feature"
                    .into(),
            ));
        }
        if file.consensus.block_time_ms < 1000 {
            return Err(ConfigError::Invalid(
                "consensus.block_time_ms must be at least 1000 (timestamps are whole seconds)"
                    .into(),
            ));
        }
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Loaded { file, dir })
    }

    /// A path from the file, made relative to its directory.
    pub fn path(&self, p: &Path) -> PathBuf {
        self.dir.join(p)
    }

    /// The validator key, if the node has one.
    pub fn key(&self) -> Result<Option<PrivateKey>, ConfigError> {
        self.file
            .key_file
            .as_ref()
            .map(|p| KeyFile::read(&self.path(p)))
            .transpose()
    }

    /// Block interval and timeouts.
    pub fn pacing(&self) -> Pacing {
        let c = &self.file.consensus;
        let propose = Duration::from_millis(c.timeout_propose_ms);
        let vote = Duration::from_millis(c.timeout_vote_ms);
        Pacing {
            block_time: Duration::from_millis(c.block_time_ms),
            timeouts: LinearTimeouts {
                propose,
                propose_delta: propose / 2,
                prevote: vote,
                prevote_delta: vote / 2,
                precommit: vote,
                precommit_delta: vote / 2,
                rebroadcast: propose + vote + vote,
                max_timeout: Duration::from_secs(30),
            },
        }
    }
}

/// A validator key file: the seed, and the public key and address for
/// people to read.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Derived from the key.
    pub address: String,
    /// Derived from the key: what goes in the chain spec.
    pub public_key: PublicKey,
    /// The 32-byte Ed25519 seed, `0x`-hex. Keep it secret.
    pub private_key: String,
}

impl KeyFile {
    /// The file for `key`.
    pub fn of(key: &PrivateKey) -> Self {
        let public_key = key.public_key();
        KeyFile {
            address: Address::of(&public_key).to_string(),
            public_key,
            private_key: format!("0x{}", hex::encode(key.seed())),
        }
    }

    /// Reads a key file; the public key in it must match the seed.
    pub fn read(path: &Path) -> Result<PrivateKey, ConfigError> {
        let bad = |reason: String| ConfigError::Key {
            path: path.into(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.into(),
            source,
        })?;
        let file: KeyFile = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let seed = hex::decode(file.private_key.trim_start_matches("0x"))
            .map_err(|e| bad(e.to_string()))?;
        let seed = <[u8; 32]>::try_from(seed.as_slice())
            .map_err(|_| bad("private_key must be 32 bytes".into()))?;
        let key = PrivateKey::from_seed(seed);
        if key.public_key() != file.public_key {
            return Err(bad("public_key does not match private_key".into()));
        }
        Ok(key)
    }
}

/// The validator set a chain spec names.
pub fn validators(spec: &orac_chain::ChainSpec) -> Result<crate::types::ValidatorSet, ConfigError> {
    let mut set = Vec::with_capacity(spec.validators.len());
    for (i, v) in spec.validators.iter().enumerate() {
        let bytes = <[u8; 32]>::try_from(v.public_key.as_ref()).map_err(|_| {
            ConfigError::Invalid(format!(
                "validator {i} ({}): publicKey must be 32 bytes",
                v.name
            ))
        })?;
        let key = PublicKey::from_bytes(bytes)
            .map_err(|e| ConfigError::Invalid(format!("validator {i} ({}): {e}", v.name)))?;
        set.push(crate::types::Validator::new(key, v.power));
    }
    crate::types::ValidatorSet::new(set)
        .map_err(|e| ConfigError::Invalid(format!("the chain spec's validators: {e}")))
}
