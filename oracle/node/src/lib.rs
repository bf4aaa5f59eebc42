//! The off-chain half of an orac oracle node (`orac oracle`).
//!
//! An oracle node polls HTTP price sources, turns each feed's sources into
//! one answer, signs it as an observation (see `orac-oracle`'s `report`
//! module for the format the chain checks) and, with its peers, gets a
//! quorum report on chain. This crate holds the parts that do not touch
//! the chain:
//!
//! * [`config`]: the TOML config file and its validation.
//! * [`keys`]: the node's signing key, from an env var or a v3 keystore.
//! * [`source`]: fetching one price source, bounded and retried, and the
//!   exact conversion of its value to the feed's fixed-point integer.
//! * [`aggregate`](mod@aggregate): median with outlier rejection across a feed's sources,
//!   and the deviation/heartbeat rule for when to report.
//! * [`metrics`]: counters and gauges in the Prometheus text format.
//!
//! and the parts that do:
//!
//! * JSON-RPC to the chain, transactions and nonces: `orac-rpc-client`.
//! * [`view`]: the registry's view of a feed.
//! * [`pool`]: observations gathered for open rounds and requests, bounded
//!   per kind and per signer.
//! * [`requests`]: the open-request table and which requests pay enough
//!   to be answered.
//! * [`peer`]: the observation exchange between nodes, `/metrics`, `/status`.
//! * [`runner`]: the node's loop — observe, share, transmit in rotation.
//!
//! With the `test-utils` feature, `testing` writes config files for tests
//! and fuzz seeds.

pub mod aggregate;
pub mod config;
pub mod keys;
pub mod metrics;
pub mod peer;
pub mod pool;
pub mod requests;
pub mod runner;
pub mod source;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;
pub mod view;

pub use aggregate::{
    Aggregate, AggregateError, LastRound, Trigger, aggregate, lower_median, should_report,
};
pub use config::{Config, ConfigError, FeedSpec, KeySource, Overrides, Setting, SourceSpec};
pub use keys::{KeyError, load_key};
pub use metrics::{Counter, Family, Gauge, Metrics};
pub use runner::{NodeError, run};
pub use source::{Fetcher, RetryPolicy, SourceError, to_fixed};
