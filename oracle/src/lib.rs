//! orac's oracle bridge: the formats oracle nodes and the registry agree
//! on, with the signing and the checks.
//!
//! * [`feed`]: a feed's configuration and its digest.
//! * [`report`]: signed observations, quorum reports, their ABI encoding
//!   and the checks the registry applies before storing a round, so a node
//!   runs the same code before it spends gas on a report.
//!
//! The formats are specified in docs/oracle.md. Around this crate:
//! `orac-oracle-abi` (no_std: the registry's Solidity interface, address,
//! gas figures and report wire format, shared with contracts),
//! `orac-oracle-registry` (the registry, a system contract in the VM) and
//! `orac-oracle-node` (the off-chain node, `orac oracle`). Neither this
//! crate nor the node links the VM.
//!
//! With the `test-utils` feature, `testing` holds the example feed and
//! signs whole reports for tests, benchmarks and fuzz seeds.

pub mod feed;
pub mod report;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;

pub use feed::{ConfigError, FeedConfig};
pub use report::{
    Domain, Expect, Kind, Observation, Report, ReportError, Round, SignedObservation,
};

/// The ABI shared with contracts: interfaces, addresses, gas figures.
pub use orac_oracle_abi as abi;

use orac_primitives::H160;

/// The registry, [`abi::REGISTRY`], as the node's address type.
pub const REGISTRY: H160 = H160(abi::REGISTRY.0.0);

/// [`abi::feed_address`] as the node's address type: where feed `id`
/// answers AggregatorV3 calls.
pub const fn feed_address(id: u64) -> H160 {
    H160(abi::feed_address(id).0.0)
}
