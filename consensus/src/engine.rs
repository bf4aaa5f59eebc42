//! Starting Malachite for a chain: the network identity, the engine's
//! configuration, and the application task.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use malachitebft_app_channel::app::config::{
    ConsensusConfig, NodeConfig, P2pConfig, ValueSyncConfig,
};
pub use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::{
    ConsensusContext, EngineHandle, NetworkContext, NetworkIdentity, RequestContext, Signer,
    SyncContext, WalContext,
};
use malachitebft_codec::Codec;
use orac_chain::Chain;
use tokio::task::JoinHandle;

use crate::app::{App, Pacing};
use crate::codec::BorshCodec;
use crate::context::OracContext;
use crate::signing::{Ed25519Signer, Ed25519Verifier, PrivateKey};
use crate::types::{Address, ValidatorSet};

/// Everything a node needs to take part in consensus.
pub struct Settings {
    /// The node's name in logs and on the network.
    pub moniker: String,
    /// Where the consensus write-ahead log lives (`DIR/wal`).
    pub home: PathBuf,
    /// Where to listen for peers (a libp2p multiaddr, e.g.
    /// `/ip4/127.0.0.1/tcp/27000`).
    pub listen_addr: Multiaddr,
    /// Peers to stay connected to.
    pub peers: Vec<Multiaddr>,
    /// The validator key; `None` for a full node, which follows through
    /// value sync and never votes.
    pub key: Option<PrivateKey>,
    /// The validator set (from the chain spec).
    pub validators: ValidatorSet,
    /// Block interval and round timeouts.
    pub pacing: Pacing,
    /// Connections accepted from one IP address. Every node of a loopback
    /// testnet shares 127.0.0.1, so this must exceed twice the peers.
    pub max_connections_per_ip: usize,
    /// Test-only misbehaviour (refused without the `byzantine` feature).
    pub byzantine: Option<crate::config::ByzantineSection>,
}

/// Malachite's node configuration, built from [`Settings`].
#[derive(Clone, Debug)]
struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl NodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }
    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }
    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }
    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }
    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

/// A running consensus engine and the application answering it.
pub struct Running {
    engine: EngineHandle,
    app: JoinHandle<()>,
}

impl Running {
    /// Stops both.
    pub async fn stop(self) {
        self.engine.actor.stop(None);
        self.app.abort();
        self.engine.handle.abort();
    }
}

/// Starts consensus for `chain`.
pub async fn start(chain: Arc<Chain>, settings: Settings) -> eyre::Result<Running> {
    let ctx = OracContext;
    let mut p2p = P2pConfig {
        listen_addr: settings.listen_addr.clone(),
        persistent_peers: settings.peers.clone(),
        ..P2pConfig::default()
    };
    p2p.discovery.max_connections_per_ip = settings.max_connections_per_ip;
    let config = EngineConfig {
        moniker: settings.moniker.clone(),
        consensus: ConsensusConfig {
            p2p,
            ..ConsensusConfig::default()
        },
        value_sync: ValueSyncConfig {
            // A node that fell behind learns of new heights from its peers'
            // status: often enough to catch up within a few blocks.
            status_update_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            ..ValueSyncConfig::default()
        },
    };

    // The network key is separate from the consensus key and fresh at every
    // start; peers are found by address, and a validator proves which
    // consensus key it holds with a signed proof of its peer id.
    let mut net_seed = [0u8; 32];
    getrandom::fill(&mut net_seed).map_err(|e| eyre::eyre!("no randomness: {e}"))?;
    let keypair = Keypair::ed25519_from_bytes(net_seed)?;
    let peer_id = keypair.public().to_peer_id().to_bytes();

    let (identity, consensus_ctx, me) = match &settings.key {
        Some(key) => {
            let public = key.public_key();
            let address = Address::of(&public);
            if settings
                .validators
                .validators()
                .iter()
                .all(|v| v.address != address)
            {
                tracing::warn!(%address, "this key is not in the validator set: following as a full node would");
            }
            let signer = Ed25519Signer::new(key.clone());
            let proof = signer
                .sign_validator_proof(public.as_bytes().to_vec(), peer_id)
                .await
                .map_err(|e| eyre::eyre!("cannot sign the validator proof: {e}"))?;
            let proof = BorshCodec.encode(&proof)?;
            let identity = NetworkIdentity::new_validator(
                settings.moniker.clone(),
                keypair,
                address.to_string(),
                proof,
            );
            let ctx = ConsensusContext::new_validator(
                address,
                Box::new(Ed25519Verifier),
                Box::new(signer),
            );
            (identity, ctx, address)
        }
        None => {
            // A full node has no consensus key; its address only names it
            // in logs and matches no validator.
            let address = Address([0; 20]);
            let identity = NetworkIdentity::new(settings.moniker.clone(), keypair, None);
            let ctx = ConsensusContext::new_full_node(address, Box::new(Ed25519Verifier));
            (identity, ctx, address)
        }
    };

    let wal = settings.home.join("wal").join("consensus.wal");
    #[cfg(feature = "byzantine")]
    let engine_byzantine = match settings.byzantine.as_ref().and_then(|b| b.engine.as_ref()) {
        Some(table) => Some(crate::byzantine::engine_config(table)?),
        None => None,
    };
    #[cfg(not(feature = "byzantine"))]
    if settings.byzantine.is_some() {
        eyre::bail!("[byzantine] needs orac built with the `byzantine` feature");
    }
    let (mut channels, engine) = match &settings.key {
        #[cfg(feature = "byzantine")]
        Some(key) if engine_byzantine.is_some() => {
            byzantine_engine(
                ctx,
                config,
                wal,
                identity,
                consensus_ctx,
                key,
                me,
                engine_byzantine,
            )
            .await?
        }
        _ => {
            malachitebft_app_channel::start_engine(
                ctx,
                config,
                WalContext::new(wal, BorshCodec),
                NetworkContext::new(identity, BorshCodec),
                consensus_ctx,
                SyncContext::new(BorshCodec),
                RequestContext::new(100),
            )
            .await?
        }
    };

    let app = App::new(chain, settings.validators, me, settings.pacing);
    #[cfg(feature = "byzantine")]
    let app = match settings.byzantine.as_ref().and_then(|b| b.bad_proposals) {
        Some(how) => app.propose_invalid(how),
        None => app,
    };
    let span = tracing::info_span!("consensus", node = %settings.moniker);
    let app = tokio::spawn(tracing::Instrument::instrument(
        async move {
            if let Err(e) = app.run(&mut channels).await {
                tracing::error!("consensus application stopped: {e}");
            }
        },
        span,
    ));
    Ok(Running { engine, app })
}

/// The engine with Malachite's Byzantine network proxy in front of the real
/// network: it equivocates or drops this validator's messages as `config`
/// says (tests only).
#[cfg(feature = "byzantine")]
#[allow(clippy::too_many_arguments)]
async fn byzantine_engine(
    ctx: OracContext,
    config: EngineConfig,
    wal: PathBuf,
    identity: NetworkIdentity,
    consensus_ctx: ConsensusContext<OracContext>,
    key: &PrivateKey,
    me: Address,
    byzantine: Option<malachitebft_engine_byzantine::ByzantineConfig>,
) -> eyre::Result<(
    malachitebft_app_channel::Channels<OracContext>,
    EngineHandle,
)> {
    use crate::types::BlockHash;
    tracing::warn!(
        ?byzantine,
        "BYZANTINE: this validator misbehaves on the network"
    );
    let flip = |h: &BlockHash| {
        let mut b = h.0;
        b[31] ^= 1;
        BlockHash(b)
    };
    malachitebft_app_channel::EngineBuilder::new(ctx, config)
        .with_default_wal(WalContext::new(wal, BorshCodec))
        .with_byzantine_network(malachitebft_app_channel::ByzantineContext {
            identity,
            codec: BorshCodec,
            config: byzantine.unwrap_or_default(),
            signer: Box::new(Ed25519Signer::new(key.clone())),
            address: me,
            conflicting_value_fn: Some(Box::new(flip)),
            conflicting_vote_value_fn: Some(Box::new(move |id: Option<&BlockHash>| {
                id.map(flip).unwrap_or(BlockHash([0xee; 32]))
            })),
        })
        .await?
        .with_default_consensus(consensus_ctx)
        .with_default_sync(SyncContext::new(BorshCodec))
        .with_default_request(RequestContext::new(100))
        .build()
        .await
}
