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
/// JSON-RPC error codes and the conversions into them.
pub mod error;
mod fees;
mod filters;
mod load;
mod logs;
/// Parameter shapes and geth's "invalid argument" errors.
pub mod params;
/// The methods served, each parsed into a typed request.
pub mod request;
mod send;
mod server;
mod sign;
mod state;
mod txpool;
/// The JSON shapes of blocks, transactions, receipts and logs.
pub mod types;
mod ws;

pub use server::{Limits, RpcConfig, router, serve};
