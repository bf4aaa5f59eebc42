//! Why a transaction is refused, in the words geth uses: client libraries
//! match on these texts ("nonce too low", "insufficient funds ...").

use std::path::PathBuf;

use orac_primitives::{Address, TxError, U256};
use orac_state::StateError;

use crate::executor::ExecOutcome;
use crate::spec::SpecError;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidTx {
    #[error("{0}")]
    Decode(#[from] TxError),
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    #[error("invalid chain id for signer: have {have} want {want}")]
    WrongChainId { have: u64, want: u64 },
    #[error(
        "max priority fee per gas higher than max fee per gas: address {address:?}, maxPriorityFeePerGas: {tip}, maxFeePerGas: {cap}"
    )]
    TipAboveFeeCap {
        address: Address,
        tip: U256,
        cap: U256,
    },
    #[error("exceeds block gas limit: gas {gas}, block gas limit {limit}")]
    GasLimitTooHigh { gas: u64, limit: u64 },
    #[error("intrinsic gas too low: gas {have}, minimum needed {want}")]
    IntrinsicGasTooLow { have: u64, want: u64 },
    #[error(
        "max fee per gas less than block base fee: address {address:?}, maxFeePerGas: {cap}, baseFee: {base}"
    )]
    FeeCapTooLow {
        address: Address,
        cap: U256,
        base: U256,
    },
    #[error("nonce too low: address {address:?}, tx: {tx} state: {state}")]
    NonceTooLow {
        address: Address,
        tx: u64,
        state: u64,
    },
    #[error("nonce too high: address {address:?}, tx: {tx} state: {state}")]
    NonceTooHigh {
        address: Address,
        tx: u64,
        state: u64,
    },
    #[error("nonce has max value")]
    NonceMax,
    #[error("gas * maxFeePerGas + value overflows 256 bits")]
    CostOverflow,
    #[error("invalid contract creation: {0}")]
    BadCreation(String),
    #[error(
        "insufficient funds for gas * price + value: address {address:?} have {have} want {want}"
    )]
    InsufficientFunds {
        address: Address,
        have: U256,
        want: U256,
    },
    #[error("already known")]
    AlreadyKnown,
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    #[error("txpool is full")]
    PoolFull,
    #[error("account limit exceeded: {address:?} already has {count} pooled transactions")]
    AccountLimit { address: Address, count: usize },
    /// geth's text: the sender's pooled transactions together would cost
    /// more than its balance.
    #[error(
        "transaction would cause overdraft: address {address:?} have {have} want {want} for all its pooled transactions"
    )]
    Overdraft {
        address: Address,
        have: U256,
        want: U256,
    },
    #[error(
        "nonce too high: address {address:?}, tx: {tx} is more than {limit} past the next nonce {next}"
    )]
    NonceGap {
        address: Address,
        tx: u64,
        next: u64,
        limit: u64,
    },
    #[error(
        "account queue limit exceeded: {address:?} already has {count} transactions waiting for a nonce gap to fill"
    )]
    QueuedLimit { address: Address, count: usize },
}

/// Why a request to the chain failed. Each variant is one kind of
/// failure; `Display` is the text JSON-RPC clients see (geth's where geth
/// has one), and `orac-rpc` picks the code from the variant alone.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The transaction (or call) is refused before anything runs.
    #[error(transparent)]
    Invalid(#[from] InvalidTx),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("node is shutting down")]
    Shutdown,
    /// The chain could not open (never the answer to a request).
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// The block a request names is not (or no longer) there (geth's text).
    #[error("header not found")]
    HeaderNotFound,
    /// Block `n` is at or below the head but its header cannot be read.
    #[error("block {0} not found")]
    BlockNotFound(u64),
    /// `estimate_gas`: the call fails even with the most gas it may have.
    /// The failing run's outcome, so its revert data or halt is at hand
    /// without running it again.
    #[error("{}", estimate_failure(.0))]
    EstimateFailed(Box<ExecOutcome>),
    /// `evm_setNextBlockTimestamp` before the head.
    #[error("timestamp {timestamp} is before the head block's {head}")]
    BadTimestamp { timestamp: u64, head: u64 },
    /// A storage patch for an account that does not exist (EIP-161 would
    /// delete it with its storage).
    #[error(
        "{address:?} has no account (no balance, nonce or code) to hold storage: give it a balance, nonce or code first"
    )]
    NoAccountForStorage { address: Address },
    /// Admitted to the pool, but the commit that would have made it
    /// durable failed (the reason, as text: it went to every waiter).
    #[error("transaction accepted but could not be made durable: {0}")]
    NotDurable(String),
    /// A request's parameter is out of range (-32602 at the RPC edge).
    #[error("{0}")]
    InvalidParams(String),
}

impl From<crate::executor::ExecError> for ChainError {
    fn from(e: crate::executor::ExecError) -> Self {
        match e {
            crate::executor::ExecError::Invalid(i) => ChainError::Invalid(i),
            crate::executor::ExecError::State(s) => ChainError::State(s),
        }
    }
}

fn estimate_failure(outcome: &ExecOutcome) -> String {
    match &outcome.error {
        Some(halt) => halt.to_string(),
        None => "execution reverted".into(),
    }
}

/// Why the chain could not start: the spec, the data directory, a damaged
/// database, the engine or the producer thread.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("cannot create data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The database names a head whose header it does not have.
    #[error("head header vanished")]
    HeadVanished,
    /// redb panicked on the file's pages.
    #[error("the database is damaged (its pages fail their checks); refusing to start")]
    DamagedDb,
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
    #[error("cannot open the producer's black box in {}: {source}", path.display())]
    BlackBox {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the block producer: {0}")]
    Producer(std::io::Error),
}
