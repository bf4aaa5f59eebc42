//! orac's oracle bridge.
//!
//! * [`feed`]: a feed's configuration and its digest.
//! * [`report`]: signed observations, quorum reports, their ABI encoding
//!   and the checks the registry applies before storing a round.
//!
//! The formats are specified in docs/oracle.md. Still to come (issue
//! "Oracle bridge"): the on-chain registry with subscriptions and
//! request/response, and the `orac oracle` node.

pub mod feed;
pub mod registry;
pub mod report;

pub use feed::{ConfigError, FeedConfig};
pub use report::{
    Domain, Expect, Kind, Observation, Report, ReportError, Round, SignedObservation,
};
