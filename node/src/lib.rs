//! The orac node as a library: what `orac node` runs, callable in process.
//!
//! [`NodeArgs`] are the command line's options; [`NodeArgs::into_config`]
//! turns them into a [`NodeConfig`] (chain spec, dev keys, mining mode,
//! data directory), and [`spawn`] opens the chain and serves JSON-RPC on a
//! thread of its own, returning a [`RunningNode`]. The `orac` binary is
//! [`cli::main`], a thin shell around these (banner, signals) and the other
//! subcommands; end-to-end tests that need
//! no separate process use them directly, and keep processes for what only
//! a process shows (`kill -9`, the command line itself, several nodes).

pub mod cli;
mod config;
mod running;

pub use config::{NetworkConfig, NodeArgs, NodeConfig};
pub use running::{RunningNode, spawn};
