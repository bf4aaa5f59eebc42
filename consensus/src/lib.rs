//! orac's validators, replicated by [Malachite] (Tendermint BFT in Rust).
//!
//! Malachite runs the protocol (rounds, proposals, prevotes, precommits,
//! locking, timeouts, the write-ahead log, networking and value sync) as
//! actors; this crate is the application it asks questions of:
//!
//! * [`context`], [`types`], [`messages`]: what consensus decides (a block
//!   hash per height), who proposes, and what validators sign;
//! * [`signing`]: Ed25519 consensus keys (separate from account keys);
//! * [`codec`]: the borsh wire and WAL encoding.
//!
//! The protocol in plain terms and what in orac is consensus-critical:
//! `docs/consensus.md`.
//!
//! [Malachite]: https://github.com/circlefin/malachite

pub mod codec;
pub mod context;
pub mod messages;
pub mod signing;
pub mod types;

pub use context::OracContext;
pub mod app;
pub mod block;
#[cfg(feature = "byzantine")]
pub mod byzantine;
pub mod config;
pub mod engine;
pub mod relay;
pub mod stream;
pub mod testnet;
