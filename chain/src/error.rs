//! Why a transaction is refused, in the words geth uses: client libraries
//! match on these texts ("nonce too low", "insufficient funds ...").

use std::path::PathBuf;

use orac_primitives::{Address, H256, TxError, U256};
use orac_state::StateError;

use crate::executor::ExecOutcome;
use crate::spec::SpecError;

/// Why a transaction is refused, at admission or when a block runs it. The
/// `Display` texts are geth's, since client libraries match on them.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidTx {
    /// The bytes are not a well-formed signed transaction.
    #[error("{0}")]
    Decode(#[from] TxError),
    /// A legacy transaction without a chain id, which could be replayed on
    /// any chain.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// Signed for another chain.
    #[error("invalid chain id for signer: have {have} want {want}")]
    WrongChainId {
        /// The chain id the transaction was signed for.
        have: u64,
        /// This chain's id.
        want: u64,
    },
    /// The priority fee exceeds the fee cap, so no base fee could satisfy it.
    #[error(
        "max priority fee per gas higher than max fee per gas: address {address:?}, maxPriorityFeePerGas: {tip}, maxFeePerGas: {cap}"
    )]
    TipAboveFeeCap {
        /// The sender.
        address: Address,
        /// The priority fee, in wei per gas.
        tip: U256,
        /// The fee cap, in wei per gas.
        cap: U256,
    },
    /// More gas than a whole block may use, so it could never be mined.
    #[error("exceeds block gas limit: gas {gas}, block gas limit {limit}")]
    GasLimitTooHigh {
        /// The transaction's gas limit.
        gas: u64,
        /// The block gas limit.
        limit: u64,
    },
    /// The gas limit does not cover the intrinsic gas (base cost, calldata
    /// and access list) charged before anything runs.
    #[error("intrinsic gas too low: gas {have}, minimum needed {want}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        have: u64,
        /// Its intrinsic gas.
        want: u64,
    },
    /// The fee cap is below the base fee of the block it would go in.
    #[error(
        "max fee per gas less than block base fee: address {address:?}, maxFeePerGas: {cap}, baseFee: {base}"
    )]
    FeeCapTooLow {
        /// The sender.
        address: Address,
        /// The fee cap, in wei per gas.
        cap: U256,
        /// The block's base fee, in wei per gas.
        base: U256,
    },
    /// The nonce was already used by a mined transaction.
    #[error("nonce too low: address {address:?}, tx: {tx} state: {state}")]
    NonceTooLow {
        /// The sender.
        address: Address,
        /// The transaction's nonce.
        tx: u64,
        /// The sender's next nonce in the state.
        state: u64,
    },
    /// Run in a block ahead of the sender's next nonce.
    #[error("nonce too high: address {address:?}, tx: {tx} state: {state}")]
    NonceTooHigh {
        /// The sender.
        address: Address,
        /// The transaction's nonce.
        tx: u64,
        /// The sender's next nonce in the state.
        state: u64,
    },
    /// The sender's nonce is 2^64-1 and cannot be incremented (EIP-2681).
    #[error("nonce has max value")]
    NonceMax,
    /// The worst-case cost does not fit in 256 bits.
    #[error("gas * maxFeePerGas + value overflows 256 bits")]
    CostOverflow,
    /// A creation whose data cannot deploy a contract (the reason as text).
    #[error("invalid contract creation: {0}")]
    BadCreation(String),
    /// In a block: the transaction's gas limit is more than the block has
    /// left (geth's text).
    #[error("gas limit reached: transaction gas {gas}, block gas left {left}")]
    BlockGasExhausted {
        /// The transaction's gas limit.
        gas: u64,
        /// The block's gas limit less what earlier transactions used.
        left: u64,
    },
    /// The sender cannot pay for the gas limit at the fee cap plus the value.
    #[error(
        "insufficient funds for gas * price + value: address {address:?} have {have} want {want}"
    )]
    InsufficientFunds {
        /// The sender.
        address: Address,
        /// Its balance.
        have: U256,
        /// The transaction's worst-case cost.
        want: U256,
    },
    /// The same transaction is already in the pool.
    #[error("already known")]
    AlreadyKnown,
    /// A replacement must raise both the tip and the fee cap by the pool's
    /// price bump (10% by default), or replacing would be a free spam loop.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The pool is at a limit and the newcomer does not tip more than the
    /// transactions it would have to evict.
    #[error("txpool is full")]
    PoolFull,
    /// The sender already has its share of the pool.
    #[error("account limit exceeded: {address:?} already has {count} pooled transactions")]
    AccountLimit {
        /// The sender.
        address: Address,
        /// Its pooled transactions.
        count: usize,
    },
    /// geth's text: the sender's pooled transactions together would cost
    /// more than its balance.
    #[error(
        "transaction would cause overdraft: address {address:?} have {have} want {want} for all its pooled transactions"
    )]
    Overdraft {
        /// The sender.
        address: Address,
        /// Its balance.
        have: U256,
        /// What all its pooled transactions, this one included, could cost.
        want: U256,
    },
    /// A nonce so far ahead that the pool will not hold it for the gap.
    #[error(
        "nonce too high: address {address:?}, tx: {tx} is more than {limit} past the next nonce {next}"
    )]
    NonceGap {
        /// The sender.
        address: Address,
        /// The transaction's nonce.
        tx: u64,
        /// The end of the sender's ready run: its state nonce plus the
        /// pooled transactions that follow it without a gap.
        next: u64,
        /// How far past `next` the pool accepts.
        limit: u64,
    },
    /// The sender already has its share of queued (future-nonce)
    /// transactions.
    #[error(
        "account queue limit exceeded: {address:?} already has {count} transactions waiting for a nonce gap to fill"
    )]
    QueuedLimit {
        /// The sender.
        address: Address,
        /// Its queued transactions.
        count: usize,
    },
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
    /// The database failed underneath the request.
    #[error(transparent)]
    State(#[from] StateError),
    /// The node is stopping and takes no more requests.
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
    BadTimestamp {
        /// The timestamp asked for.
        timestamp: u64,
        /// The head block's timestamp.
        head: u64,
    },
    /// A storage patch for an account that does not exist (EIP-161 would
    /// delete it with its storage).
    #[error(
        "{address:?} has no account (no balance, nonce or code) to hold storage: give it a balance, nonce or code first"
    )]
    NoAccountForStorage {
        /// The account the patch names.
        address: Address,
    },
    /// Admitted to the pool, but the commit that would have made it
    /// durable failed (the reason, as text: it went to every waiter).
    #[error("transaction accepted but could not be made durable: {0}")]
    NotDurable(String),
    /// A request's parameter is out of range (-32602 at the RPC edge).
    #[error("{0}")]
    InvalidParams(String),
    /// A dev-chain command on a chain whose blocks a consensus engine
    /// decides ([`MiningMode::External`](crate::MiningMode::External)):
    /// mining, time travel, patches or reverts there would fork this node
    /// off its network.
    #[error("{method} is not available on a consensus network")]
    DevOnly {
        /// The JSON-RPC method the command serves (`evm_mine`, ...).
        method: &'static str,
    },
    /// A consensus-engine command on a chain that seals its own blocks
    /// (instant or interval mining).
    #[error("{method} needs a chain driven by a consensus engine (external mining mode)")]
    NotExternal {
        /// The `Chain` method called.
        method: &'static str,
    },
    /// A block handed to [`Chain::commit_block`](crate::Chain::commit_block)
    /// or asked of [`Chain::propose_block`](crate::Chain::propose_block) is
    /// not a valid next block (never a local failure: those keep their own
    /// variants).
    #[error("invalid block: {0}")]
    InvalidBlock(BlockError),
}

/// Why a block is not a valid next block for this chain
/// ([`Chain::verify_block`](crate::Chain::verify_block)). Every variant
/// but [`BlockError::Local`] is the block's fault: a peer that sent it is
/// wrong, or hostile. `Local` is this node failing, and says nothing about
/// the block.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// Its number is not the head's plus one.
    #[error("block number {got}, the next block is {expected}")]
    WrongNumber {
        /// The head's number plus one.
        expected: u64,
        /// The block's number.
        got: u64,
    },
    /// Its parent is not the head.
    #[error("parent {got:?} is not the head {expected:?}")]
    WrongParent {
        /// The head's hash.
        expected: H256,
        /// The block's parent hash.
        got: H256,
    },
    /// A block at or below the head that is not the block committed there.
    #[error("block {number} is already committed as {committed:?}")]
    Conflict {
        /// The block's number.
        number: u64,
        /// The hash of the block committed at that number.
        committed: H256,
    },
    /// Its timestamp is before its parent's.
    #[error("timestamp {timestamp} is before the parent's {parent}")]
    TimestampBeforeParent {
        /// The block's timestamp.
        timestamp: u64,
        /// The parent's timestamp.
        parent: u64,
    },
    /// A header field fixed by the chain spec and the parent (beneficiary,
    /// base fee, gas limit, mix hash, extra data, the constant fields)
    /// differs from what they give.
    #[error("header field {field} differs from what the parent and chain spec give")]
    EnvMismatch {
        /// The header field.
        field: &'static str,
    },
    /// Transaction `index` cannot be included: malformed, wrong chain,
    /// bad nonce, unaffordable, over the block's gas, ...
    #[error("transaction {index}: {reason}")]
    InvalidTransaction {
        /// Its position in the block.
        index: usize,
        /// Why.
        reason: InvalidTx,
    },
    /// Transaction `index`'s claimed sender is not who signed it.
    #[error("transaction {index}: sender {claimed:?} did not sign it")]
    WrongSender {
        /// Its position in the block.
        index: usize,
        /// The sender it came with.
        claimed: Address,
    },
    /// Executing the transactions gives a different header field
    /// (`state_root`, `receipts_root`, `transactions_root`, `gas_used`,
    /// `logs_bloom`, ...).
    #[error("header field {field} differs from the one executing the block gives")]
    HeaderMismatch {
        /// The header field.
        field: &'static str,
    },
    /// This node failed (database, shutdown): nothing is known about the
    /// block.
    #[error("could not verify the block: {0}")]
    Local(Box<ChainError>),
}

impl From<ChainError> for BlockError {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::InvalidBlock(b) => b,
            e => BlockError::Local(Box::new(e)),
        }
    }
}

impl From<StateError> for BlockError {
    fn from(e: StateError) -> Self {
        BlockError::Local(Box::new(e.into()))
    }
}

impl From<BlockError> for ChainError {
    /// A local failure stays the failure it was; the block's own faults
    /// become [`ChainError::InvalidBlock`].
    fn from(e: BlockError) -> Self {
        match e {
            BlockError::Local(e) => *e,
            e => ChainError::InvalidBlock(e),
        }
    }
}

impl From<crate::block::BuildError> for ChainError {
    fn from(e: crate::block::BuildError) -> Self {
        match e {
            crate::block::BuildError::State(s) => ChainError::State(s),
            crate::block::BuildError::Invalid { index, reason } => {
                ChainError::InvalidBlock(BlockError::InvalidTransaction { index, reason })
            }
        }
    }
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
    /// The chain spec is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The data directory cannot be created.
    #[error("cannot create data directory {}: {source}", path.display())]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why it cannot be created.
        source: std::io::Error,
    },
    /// The database names a head whose header it does not have.
    #[error("head header vanished")]
    HeadVanished,
    /// redb panicked on the file's pages.
    #[error("the database is damaged (its pages fail their checks); refusing to start")]
    DamagedDb,
    /// wasmtime refused the VM's configuration (its reason as text).
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
    /// The file that records which transaction the producer is running
    /// cannot be opened.
    #[error("cannot open the producer's black box in {}: {source}", path.display())]
    BlackBox {
        /// The data directory it lives in.
        path: PathBuf,
        /// Why it cannot be opened.
        source: std::io::Error,
    },
    /// The producer thread cannot be spawned.
    #[error("cannot start the block producer: {0}")]
    Producer(std::io::Error),
}
