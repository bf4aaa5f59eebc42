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
        }),
        // The server ended before binding: its error says why.
        Err(_) => {
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
