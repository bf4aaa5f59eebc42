//! The orac contract SDK.
//!
//! A contract is a plain struct holding typed storage, and an impl block of
//! methods; two attributes do the plumbing:
//!
//! ```
//! use orac_sdk::prelude::*;
//!
//! #[storage]
//! pub struct Counter {
//!     count: Value<U256>,
//!     owners: Map<Address, bool>,
//! }
//!
//! #[contract]
//! impl Counter {
//!     #[constructor]
//!     pub fn constructor(&mut self, start: U256) {
//!         self.count.set(start);
//!     }
//!
//!     pub fn increment(&mut self) -> Result<U256, Revert> {
//!         let next = self.count.get().try_add(U256::from(1))?;
//!         self.count.set(next);
//!         Ok(next)
//!     }
//!
//!     pub fn count(&self) -> U256 {
//!         self.count.get()
//!     }
//! }
//!
//! // Natively, the same contract runs as plain Rust (see [`testing`]):
//! orac_sdk::testing::reset();
//! let mut counter = Counter::at_root();
//! counter.constructor(U256::from(41));
//! assert_eq!(counter.increment(), Ok(U256::from(42)));
//! assert_eq!(counter.count(), U256::from(42));
//! ```
//!
//! * Arguments and results use the Solidity ABI (alloy-sol-types), so cast,
//!   ethers, viem and web3.py call the contract with a plain ABI JSON.
//! * Methods taking `&self` are `view`; `#[payable]` ones accept value; the
//!   others refuse it. Rust names become camelCase Solidity names
//!   (`balance_of` → `balanceOf`) unless `#[selector(name = "...")]` says
//!   otherwise.
//! * Events and errors are declared with [`sol!`] (alloy's macro, unchanged)
//!   and listed in the ABI with [`abi!`].
//! * Storage layout: see [`storage`].
//! * `U256`'s `+`, `-` and `*` wrap around; [`math::CheckedMath`]
//!   (`try_add`, `try_sub`, `try_mul`, `try_div`) reverts on overflow as
//!   Solidity ≥ 0.8 does.
//! * Oracle feeds (prices and other data the chain's oracle bridge signs
//!   on chain): read, subscribe and request with [`oracle`].
//!
//! Built for `wasm32-unknown-unknown` (with `orac build`), the SDK talks to
//! the node's host functions (docs/host-abi.md). Built natively, it talks to
//! an in-memory test environment ([`testing`]), so contracts unit-test as
//! plain Rust.
#![no_std]

extern crate alloc;
#[cfg(not(target_arch = "wasm32"))]
extern crate std;

pub mod call;
pub mod env;
pub mod host;
pub mod math;
pub mod oracle;
pub mod revert;
pub mod storage;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

#[cfg(all(target_arch = "wasm32", feature = "allocator"))]
mod bump;
#[cfg(all(target_arch = "wasm32", feature = "panic-handler"))]
mod panic;

#[doc(hidden)]
pub mod __private;

pub use alloy_primitives::{
    self as primitives, Address, B256, Bytes, FixedBytes, I256, U256, address, b256,
};
pub use alloy_sol_types::{self as sol_types, SolCall, SolError, SolEvent, SolType, SolValue};
pub use orac_sdk_macros::{abi, contract, interface, sol, storage};

pub use call::Call;
pub use env::{block, contract as this, msg};
pub use revert::Revert;

/// Everything a contract usually needs.
pub mod prelude {
    pub use crate::call::Call;
    pub use crate::env::{block, contract as this, msg};
    pub use crate::math::CheckedMath;
    pub use crate::revert::Revert;
    pub use crate::storage::{Map, StorageBytes, StorageString, StorageVec, Value};
    pub use crate::{Address, B256, Bytes, FixedBytes, I256, U256};
    pub use crate::{abi, contract, emit, ensure, interface, require, revert, sol, storage};
    pub use alloc::string::String;
    pub use alloc::vec::Vec;
}

/// Emits an event declared with [`sol!`] as an Ethereum log.
pub fn emit<E: SolEvent>(event: E) {
    use alloy_sol_types::TopicList;
    // Not `encode_topics()`: it unwraps, and an unwrap's formatting drags
    // `core::fmt` and alloy's `Debug` impls into every contract emitting
    // an event (kilobytes of code, paid for per byte at deployment).
    let mut topics = [sol_types::abi::token::WordToken(B256::ZERO); 4];
    let count = <E::TopicList as TopicList>::COUNT.min(4);
    if event.encode_topics_raw(&mut topics[..count]).is_err() {
        // Only a too-small buffer fails, and a log has at most 4 topics.
        host::revert(&Revert::msg("cannot encode event topics").0);
    }
    let words = topics.map(|t| t.0.0);
    host::emit_log(&words[..count], &event.encode_data());
}
