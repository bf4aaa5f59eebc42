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
    /// Least time per height: the block interval, at least
    /// [`MIN_BLOCK_TIME_MS`]. Below a second, consecutive blocks may share
    /// a timestamp (whole seconds, never decreasing).
    #[serde(default = "default_block_time")]
    pub block_time_ms: u64,
    /// How long a round waits for the proposer's block (grows by half of
    /// it per round). A crashed proposer costs about this much.
    #[serde(default = "default_propose")]
    pub timeout_propose_ms: u64,
    /// How long a round waits for more prevotes once 2f+1 have arrived
    /// for different values (a validator still checking a large block
    /// prevotes late), before precommitting nil.
    #[serde(default = "default_prevote", alias = "timeout_vote_ms")]
    pub timeout_prevote_ms: u64,
    /// How long a round waits for more precommits once 2f+1 have arrived
    /// without a decision, before the next round. A crashed proposer's turn
    /// ends with 2f+1 nil precommits, so this adds to what a crash costs.
    #[serde(default = "default_precommit")]
    pub timeout_precommit_ms: u64,
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

/// The shortest block interval a config may ask for: below it, on the
/// loopback networks measured, a height's fixed cost (proposal, two vote
/// rounds, a durable commit) would be most of the interval.
pub const MIN_BLOCK_TIME_MS: u64 = 100;

pub(crate) fn default_block_time() -> u64 {
    1000
}
/// Half a second: a crashed proposer then costs about a block interval plus
/// this (measured by bench/network-bench), while a proposal of a few
/// thousand transactions still arrives and is checked in time on loopback.
pub(crate) fn default_propose() -> u64 {
    500
}
/// Half a second: under overload (blocks of ~10,000 transfers) a quarter
/// second made more heights need a second round (network-bench).
pub(crate) fn default_prevote() -> u64 {
    500
}
/// A quarter second: when 2f+1 precommits are nil, as on a crashed
/// proposer's turn, Tendermint still waits this long for late precommits
/// before the next round; on loopback and LAN votes take milliseconds.
pub(crate) fn default_precommit() -> u64 {
    250
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
        if file.consensus.block_time_ms < MIN_BLOCK_TIME_MS {
            return Err(ConfigError::Invalid(format!(
                "consensus.block_time_ms must be at least {MIN_BLOCK_TIME_MS}"
            )));
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
        let prevote = Duration::from_millis(c.timeout_prevote_ms);
        let precommit = Duration::from_millis(c.timeout_precommit_ms);
        Pacing {
            block_time: Duration::from_millis(c.block_time_ms),
            timeouts: LinearTimeouts {
                propose,
                propose_delta: propose / 2,
                prevote,
                prevote_delta: prevote / 2,
                precommit,
                precommit_delta: precommit / 2,
                rebroadcast: propose + prevote + precommit,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A config file with `consensus` lines added to the required ones.
    fn read(consensus_lines: &str) -> Result<Loaded, ConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        let text = format!(
            "moniker = \"n\"\nchain = \"chain.json\"\ndatadir = \"data\"\n\
             [rpc]\naddr = \"127.0.0.1:8545\"\n\
             [consensus]\nlisten_addr = \"/ip4/127.0.0.1/tcp/8645\"\npeers = []\n{consensus_lines}\n\
             [relay]\naddr = \"127.0.0.1:8745\"\npeers = []\n"
        );
        std::fs::write(&path, text).expect("write config");
        Loaded::read(&path)
    }

    #[test]
    fn timeouts_default_and_split_prevote_from_precommit() {
        let t = read("").expect("defaults").pacing();
        assert_eq!(t.block_time, Duration::from_millis(1000));
        assert_eq!(t.timeouts.propose, Duration::from_millis(500));
        assert_eq!(t.timeouts.prevote, Duration::from_millis(500));
        assert_eq!(t.timeouts.precommit, Duration::from_millis(250));
        assert_eq!(t.timeouts.precommit_delta, Duration::from_millis(125));
        // Files written before the split name one vote timeout: the prevote.
        let old = read("timeout_vote_ms = 700").expect("old name").pacing();
        assert_eq!(old.timeouts.prevote, Duration::from_millis(700));
        assert_eq!(old.timeouts.precommit, Duration::from_millis(250));
    }

    #[test]
    fn sub_second_block_times_down_to_the_minimum() {
        let t = read("block_time_ms = 500").expect("500 ms").pacing();
        assert_eq!(t.block_time, Duration::from_millis(500));
        let err = read("block_time_ms = 50").expect_err("below the minimum");
        assert!(err.to_string().contains("at least 100"), "{err}");
        let err = crate::testnet::init(&crate::testnet::Options {
            block_time_ms: 50,
            dir: tempfile::tempdir().expect("tempdir").path().join("net"),
            ..Default::default()
        })
        .expect_err("testnet init refuses it too");
        assert!(err.to_string().contains("--block-time-ms"), "{err}");
    }
}
