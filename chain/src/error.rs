//! Why a transaction is refused, in the words geth uses: client libraries
//! match on these texts ("nonce too low", "insufficient funds ...").

use orac_primitives::{Address, TxError, U256};
use orac_state::StateError;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
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

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error(transparent)]
    Invalid(#[from] InvalidTx),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("node is shutting down")]
    Shutdown,
    #[error("{0}")]
    Request(String),
    /// A request's parameter is out of range (-32602 at the RPC edge).
    #[error("{0}")]
    InvalidParams(String),
}
