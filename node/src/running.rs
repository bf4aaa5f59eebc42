//! A node running in this process: the chain and its JSON-RPC server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;
use orac_chain::Chain;
use tokio::sync::oneshot;

use crate::NodeConfig;

/// A node serving JSON-RPC from this process. Dropping it stops it as
/// [`RunningNode::stop`] does.
pub struct RunningNode {
    chain: Arc<Chain>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    network: Option<Network>,
}

/// Consensus and the transaction relay, on the server's runtime.
struct Network {
    runtime: tokio::runtime::Handle,
    consensus: orac_consensus::engine::Running,
    relay: [tokio::task::JoinHandle<()>; 2],
}

/// Starts consensus and the relay for a node of a replicated network.
fn start_network(
    chain: &Arc<Chain>,
    runtime: &tokio::runtime::Runtime,
    config: crate::NetworkConfig,
) -> anyhow::Result<Network> {
    let relay_addr = config.relay_addr;
    let listener = runtime
        .block_on(orac_consensus::relay::bind(relay_addr))
        .with_context(|| format!("transaction relay on {relay_addr}"))?;
    let relay = {
        let _entered = runtime.enter();
        let (a, b) = orac_consensus::relay::start(chain.clone(), listener, config.relay_peers);
        [a, b]
    };
    let consensus = runtime
        .block_on(orac_consensus::engine::start(
            chain.clone(),
            config.consensus,
        ))
        .map_err(|e| anyhow::anyhow!("cannot start consensus: {e:#}"))?;
    Ok(Network {
        runtime: runtime.handle().clone(),
        consensus,
        relay,
    })
}

/// Opens the chain `config` names and serves JSON-RPC on a thread of its
/// own (its own tokio runtime, so callers need none). Returns once the
/// server listens; fails if the chain cannot be opened or the address
/// cannot be bound.
pub fn spawn(config: NodeConfig) -> anyhow::Result<RunningNode> {
    let datadir = config.chain.datadir.clone();
    let chain = Chain::open(config.chain)
        .with_context(|| format!("cannot open the chain in {}", datadir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("orac-rpc")
        .build()?;
    let network = match config.network {
        Some(n) => match start_network(&chain, &runtime, n) {
            Ok(n) => Some(n),
            Err(e) => {
                chain.shutdown();
                return Err(e);
            }
        },
        None => None,
    };
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let served = chain.clone();
    let (addr, rpc) = (config.rpc_addr, config.rpc);
    let server = std::thread::Builder::new()
        .name("orac-node".into())
        .spawn(move || {
            let on_bound = move |a: SocketAddr| {
                let _ = bound_tx.send(a);
            };
            let stopped = async move {
                let _ = stop_rx.await;
            };
            runtime.block_on(orac_rpc::serve(served, addr, rpc, on_bound, stopped))
        })?;
    match bound_rx.recv() {
        Ok(addr) => Ok(RunningNode {
            chain,
            addr,
            stop: Some(stop_tx),
            server: Some(server),
            network,
        }),
        // The server ended before binding: its error says why.
        Err(_) => {
            if let Some(n) = network {
                n.stop();
            }
            chain.shutdown();
            let err = match server.join() {
                Ok(Err(e)) => anyhow::Error::from(e),
                Ok(Ok(())) => anyhow::anyhow!("the server stopped before listening"),
                Err(_) => anyhow::anyhow!("the server thread panicked"),
            };
            Err(err.context(format!("JSON-RPC server on {addr}")))
        }
    }
}

impl Network {
    /// Consensus first (no decision may start committing after this), then
    /// the relay.
    fn stop(self) {
        let Network {
            runtime,
            consensus,
            relay,
        } = self;
        runtime.block_on(consensus.stop());
        for task in relay {
            task.abort();
        }
    }
}

impl RunningNode {
    /// The address JSON-RPC (HTTP and WebSocket) listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The chain it serves.
    pub fn chain(&self) -> &Arc<Chain> {
        &self.chain
    }

    /// Stops serving (requests in flight are answered), then shuts the
    /// chain down cleanly: what `orac node` does on Ctrl-C.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown()
    }

    /// Runs once: a stopped node's `Drop` finds nothing left to do.
    fn shutdown(&mut self) -> anyhow::Result<()> {
        let Some(server) = self.server.take() else {
            return Ok(());
        };
        if let Some(n) = self.network.take() {
            n.stop();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = match server.join() {
            Ok(r) => r.with_context(|| format!("JSON-RPC server on {}", self.addr)),
            Err(_) => Err(anyhow::anyhow!("the server thread panicked")),
        };
        self.chain.shutdown();
        served
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::warn!("stopping the node: {e:#}");
        }
    }
}
