//! orac's Ethereum JSON-RPC server: HTTP and WebSocket on one port,
//! JSON-RPC 2.0 with batches, geth's error codes and texts, the response
//! shapes ethers, viem and web3.py parse.
//!
//! Handlers are thin: they parse parameters ([`params`]), call the chain
//! ([`orac_chain::Chain`]) and shape the answer ([`types`]). Errors become
//! JSON-RPC errors in one place ([`error`]).

mod blocks;
mod dev;
mod dispatch;
pub mod error;
mod fees;
mod filters;
mod load;
mod logs;
pub mod params;
mod send;
mod server;
mod sign;
mod state;
mod txpool;
pub mod types;
mod ws;

pub use server::{Limits, RpcConfig, router, serve};
