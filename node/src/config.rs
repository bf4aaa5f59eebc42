//! A node's configuration, from the command line or built in code.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use orac_chain::dev::{DEV_MNEMONIC, derive_keys};
use orac_chain::pool::PoolConfig;
use orac_chain::spec::GenesisAccount;
use orac_chain::{ChainConfig, ChainRules, ChainSpec, MiningMode};
use orac_consensus::config::Loaded;
use orac_consensus::engine::Multiaddr;
use orac_consensus::engine::Settings;
use orac_primitives::U256;
use orac_rpc::{Limits, RpcConfig};
use orac_state::{DbConfig, StateHistory};

/// `orac node`'s options.
#[derive(Args, Debug, Clone)]
pub struct NodeArgs {
    /// Development chain: chain id 31337, ten funded accounts from the
    /// standard test mnemonic, blocks sealed as soon as transactions arrive.
    #[arg(long)]
    pub dev: bool,
    /// Run a node of a replicated network from its config file (written by
    /// `orac testnet init`): a validator if the file names a key, else a
    /// full node that follows the validators and serves RPC.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dev", "chain", "block_time", "datadir"])]
    pub config: Option<PathBuf>,
    /// Address for JSON-RPC over HTTP and WebSocket.
    #[arg(long, default_value = "127.0.0.1:8545")]
    pub rpc_addr: SocketAddr,
    /// Where the chain is stored [default: ~/.orac/<dev|chain-ID>].
    #[arg(long)]
    pub datadir: Option<PathBuf>,
    /// Chain spec (JSON) for a chain other than the built-in dev chain.
    #[arg(long, conflicts_with = "dev")]
    pub chain: Option<PathBuf>,
    /// Seal a block every N seconds instead of as soon as transactions arrive.
    #[arg(long, value_name = "SECS")]
    pub block_time: Option<f64>,
    /// Mnemonic the dev accounts are derived from.
    #[arg(long, default_value = DEV_MNEMONIC, requires = "dev")]
    pub mnemonic: String,
    /// Number of dev accounts.
    #[arg(long, default_value_t = 10, requires = "dev")]
    pub accounts: u32,
    /// Disk space for compiled contracts (DATADIR/code-cache), in MiB.
    /// Least recently used ones are deleted past it and compiled again
    /// when next called.
    #[arg(long, value_name = "MIB", default_value_t = orac_vm::DEFAULT_CACHE_BYTES >> 20)]
    pub code_cache_mib: u64,
    /// Memory for the database's page cache, in MiB. The node's resident
    /// memory grows with it: about 430 MiB at 64, 0.9 GiB at 256 and
    /// 2.5 GiB at 1024 with a million accounts, where a bigger cache did
    /// not make transfers faster (docs/storage.md).
    #[arg(long, value_name = "MIB", default_value_t = DbConfig::default().cache_size as u64 >> 20,
          value_parser = clap::value_parser!(u64).range(16..=1 << 20))]
    pub db_cache_mib: u64,
    /// Keep every past state (an archive node). Without it the node keeps
    /// the states of the last `--state-history` blocks and deletes older
    /// trie nodes as it goes, so disk grows with the state, not with its
    /// history. Fixed when the data directory is created.
    #[arg(long, conflicts_with = "state_history")]
    pub archive: bool,
    /// How many recent blocks' states a full node keeps readable
    /// (`eth_call`, `eth_getBalance`, `eth_getProof` at a block). Older
    /// states answer "missing trie node". A dev snapshot holds pruning
    /// back until it is reverted.
    #[arg(long, value_name = "BLOCKS", default_value_t = StateHistory::DEFAULT_RECENT,
          value_parser = clap::value_parser!(u64).range(1..=1 << 32))]
    pub state_history: u64,
    /// Serve the dev controls (`anvil_*`, `hardhat_*`, `evm_*`: set
    /// balances, code, storage, nonces and time, mine, snapshot and
    /// revert) on a chain that is not `--dev`. Anyone who can reach the
    /// RPC port can then rewrite this node's state.
    #[arg(long)]
    pub allow_dev_rpc: bool,
}

/// Everything [`crate::spawn`] needs: the chain to open and how to serve it.
pub struct NodeConfig {
    /// The chain: spec, rules, data directory, mining, pool and keys.
    pub chain: ChainConfig,
    /// Where JSON-RPC listens (port 0: any free port, see
    /// [`crate::RunningNode::addr`]).
    pub rpc_addr: SocketAddr,
    /// The RPC server's limits, version string and dev controls.
    pub rpc: RpcConfig,
    /// Consensus and transaction relay, for a node of a replicated network
    /// (`--config`); `None` for a single-node chain.
    pub network: Option<NetworkConfig>,
}

/// What a node of a replicated network runs beside the chain.
pub struct NetworkConfig {
    /// Malachite's settings: key, peers, validators, pacing.
    pub consensus: orac_consensus::engine::Settings,
    /// Where relayed transactions are accepted.
    pub relay_addr: SocketAddr,
    /// Where this node's submissions are relayed to.
    pub relay_peers: Vec<String>,
}

/// `orac node`'s command line alone, for [`NodeArgs::from_args`].
#[derive(clap::Parser)]
#[command(name = "orac node")]
struct NodeCommand {
    #[command(flatten)]
    args: NodeArgs,
}

impl NodeArgs {
    /// Parses the arguments `orac node` would take (without the program
    /// and subcommand names), with the same defaults, checks and errors:
    /// how code that starts a node in process says what it wants.
    pub fn from_args<I, T>(args: I) -> Result<NodeArgs, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::Parser;
        let argv = std::iter::once(std::ffi::OsString::from("orac node"))
            .chain(args.into_iter().map(Into::into));
        NodeCommand::try_parse_from(argv).map(|c| c.args)
    }

    /// The database settings: the defaults, with the page cache asked for.
    fn db(&self) -> DbConfig {
        DbConfig {
            cache_size: usize::try_from(self.db_cache_mib << 20).unwrap_or(usize::MAX),
            history: if self.archive {
                StateHistory::Archive
            } else {
                StateHistory::Recent(self.state_history)
            },
            ..DbConfig::default()
        }
    }

    /// The configuration these options describe. Fails on options that
    /// cannot run (no chain named, a bad block time, an unreadable spec).
    pub fn into_config(self) -> anyhow::Result<NodeConfig> {
        if let Some(path) = &self.config {
            return network_config(path, self.db(), self.code_cache_mib, self.allow_dev_rpc);
        }
        let rules = ChainRules::standard();
        let (spec, keys) = if self.dev {
            let keys = derive_keys(&self.mnemonic, self.accounts.clamp(1, 1000))?;
            let mut spec = ChainSpec::dev();
            if self.mnemonic != DEV_MNEMONIC || self.accounts != 10 {
                let balance = U256::from(10u64).pow(U256::from(18)) * U256::from(10_000u64);
                spec.alloc = keys
                    .iter()
                    .map(|k| {
                        let account = GenesisAccount {
                            balance,
                            ..Default::default()
                        };
                        (k.address(), account)
                    })
                    .collect();
            }
            (spec, keys)
        } else if let Some(path) = &self.chain {
            (ChainSpec::from_file(path, &rules)?, Vec::new())
        } else {
            bail!("say which chain to run: --dev, or --chain SPEC.json");
        };
        let mining = match self.block_time {
            None => MiningMode::Instant,
            Some(s) if s > 0.0 && s.is_finite() => MiningMode::Interval(Duration::from_secs_f64(s)),
            Some(s) => bail!("--block-time must be a positive number of seconds, not {s}"),
        };
        let db = self.db();
        let datadir = self
            .datadir
            .unwrap_or_else(|| default_datadir(self.dev, spec.chain_id));
        Ok(NodeConfig {
            chain: ChainConfig {
                datadir,
                spec,
                mining,
                pool: PoolConfig::default(),
                db,
                dev_keys: keys,
                code_cache_bytes: self.code_cache_mib.saturating_mul(1 << 20),
                rules,
            },
            rpc_addr: self.rpc_addr,
            rpc: RpcConfig {
                limits: Limits::default(),
                client_version: format!("orac/v{}", env!("CARGO_PKG_VERSION")),
                dev_methods: self.dev || self.allow_dev_rpc,
            },
            network: None,
        })
    }
}

/// `orac node --config FILE`.
fn network_config(
    path: &Path,
    db: DbConfig,
    code_cache_mib: u64,
    dev_rpc: bool,
) -> anyhow::Result<NodeConfig> {
    let loaded = Loaded::read(path)?;
    let file = &loaded.file;
    let rules = ChainRules::standard();
    let spec = ChainSpec::from_file(&loaded.path(&file.chain), &rules)?;
    let validators = orac_consensus::config::validators(&spec)?;
    let keys = match file.dev_accounts {
        true => derive_keys(DEV_MNEMONIC, 10)?,
        false => Vec::new(),
    };
    let datadir = loaded.path(&file.datadir);
    let parse = |a: &str| {
        a.parse::<Multiaddr>()
            .with_context(|| format!("{}: invalid multiaddr {a:?}", path.display()))
    };
    let consensus = Settings {
        moniker: file.moniker.clone(),
        home: datadir.clone(),
        listen_addr: parse(&file.consensus.listen_addr)?,
        peers: file
            .consensus
            .peers
            .iter()
            .map(|p| parse(p))
            .collect::<anyhow::Result<_>>()?,
        key: loaded.key()?,
        validators,
        pacing: loaded.pacing(),
        max_connections_per_ip: file.consensus.max_connections_per_ip,
        byzantine: file.byzantine.clone(),
    };
    Ok(NodeConfig {
        chain: ChainConfig {
            datadir,
            spec,
            mining: MiningMode::External,
            pool: PoolConfig::default(),
            db,
            dev_keys: keys,
            code_cache_bytes: code_cache_mib.saturating_mul(1 << 20),
            rules,
        },
        rpc_addr: file.rpc.addr,
        rpc: RpcConfig {
            limits: Limits::default(),
            client_version: format!("orac/v{}", env!("CARGO_PKG_VERSION")),
            // Blocks come from consensus: the dev controls that write
            // (mine, set state, revert) answer an error on a network.
            dev_methods: dev_rpc,
        },
        network: Some(NetworkConfig {
            consensus,
            relay_addr: file.relay.addr,
            relay_peers: file.relay.peers.clone(),
        }),
    })
}

/// `~/.orac/dev` or `~/.orac/chain-<id>`.
fn default_datadir(dev: bool, chain_id: u64) -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = match dev {
        true => "dev".to_string(),
        false => format!("chain-{chain_id}"),
    };
    home.join(".orac").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The database settings `orac node ARGS` would open with.
    fn db_config(args: &[&str]) -> Result<DbConfig, String> {
        let args = NodeArgs::from_args(args).map_err(|e| e.to_string())?;
        let config = args.into_config().map_err(|e| e.to_string())?;
        Ok(config.chain.db)
    }

    fn db_cache(args: &[&str]) -> Result<usize, String> {
        db_config(args).map(|c| c.cache_size)
    }

    #[test]
    fn db_cache_is_set_in_mib_and_bounded() {
        assert_eq!(db_cache(&["--dev"]), Ok(256 << 20));
        assert_eq!(db_cache(&["--dev", "--db-cache-mib", "64"]), Ok(64 << 20));
        let err = db_cache(&["--dev", "--db-cache-mib", "1"]).unwrap_err();
        assert!(err.contains("--db-cache-mib"), "{err}");
    }

    fn history(args: &[&str]) -> Result<StateHistory, String> {
        db_config(args).map(|c| c.history)
    }

    #[test]
    fn full_by_default_archive_on_request() {
        assert_eq!(history(&["--dev"]), Ok(StateHistory::Recent(128)));
        assert_eq!(
            history(&["--dev", "--state-history", "16"]),
            Ok(StateHistory::Recent(16))
        );
        assert_eq!(history(&["--dev", "--archive"]), Ok(StateHistory::Archive));
        for bad in [
            &["--dev", "--state-history", "0"][..],
            &["--dev", "--archive", "--state-history", "16"],
        ] {
            let err = history(bad).unwrap_err();
            assert!(err.contains("--state-history"), "{err}");
        }
    }
}
