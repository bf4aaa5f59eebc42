//! orac's chain logic, between the database (`orac-state`) and the RPC
//! server (`orac-rpc`).
//!
//! * [`rules`]: [`ChainRules`], the composition root: the VM, the system
//!   contracts and their genesis accounts, assembled in one place.
//! * [`spec`]: the JSON chain spec and the built-in `--dev` spec.
//! * [`executor`]: STARTGAS/GASPRICE rules: validation, gas purchase,
//!   intrinsic gas, refunds, fee payment and burning.
//! * [`pool`]: the mempool (per-sender nonce queues, replacement, limits).
//! * [`producer`]: the one writer thread: block building, group commit.
//! * [`external`]: blocks proposed, verified and committed when a BFT
//!   consensus engine asks ([`MiningMode::External`]).
//! * [`Chain`]: the shared handle the RPC server talks to.

pub mod basefee;
mod blackbox;
mod block;
mod chain;
pub mod dev;
pub mod error;
pub mod executor;
mod external;
mod pending;
pub mod pool;
mod producer;
pub mod rules;
mod slots;
pub mod spec;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;

pub use chain::{
    BlockTag, Chain, ChainConfig, ChainEvent, MAX_CONCURRENT_CALLS, MiningMode, RPC_GAS_CAP,
    StateView,
};
pub use error::{BlockError, ChainError, InvalidTx, StartupError};
pub use executor::{BlockEnv, CallRequest, ExecOutcome};
pub use external::ProposedBlock;
pub use pending::{PendingBlock, PendingState};
pub use producer::Patch;
pub use rules::ChainRules;
pub use spec::ChainSpec;
