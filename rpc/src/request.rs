//! The methods this server answers, defined once: each JSON-RPC method
//! name maps here to a typed [`Request`] (its parameters parsed), and
//! [`crate::dispatch`] runs a `Request` with one exhaustive `match`.
//!
//! Why not a serde-tagged enum as anvil has: geth's answers to bad
//! parameters name the argument ("invalid argument 1: hex string without
//! 0x prefix"), optional trailing arguments may be absent or `null`, and
//! wallets and the execution-apis conformance suite compare those texts.
//! [`Params`] produces them; this module only says, per method, which
//! argument is which.

use orac_chain::{BlockTag, Patch};
use orac_primitives::{Address, Bytes, H256, U256};
use serde_json::Value;

use crate::error::RpcError;
use crate::params::{BlockId, FilterJson, Params, Q256, TxRequest, U64, storage_key};

/// Most blocks one `evm_mine` / `anvil_mine` / `hardhat_mine` may mine.
pub const MAX_MINE_BLOCKS: u64 = 100_000;

/// One JSON-RPC call, parsed: one enum per group of methods, so each
/// group's handler matches all of its own methods and nothing else.
#[derive(Debug)]
#[non_exhaustive]
#[expect(
    clippy::large_enum_variant,
    reason = "a request lives for one call and is moved once; boxing the large ones buys nothing"
)]
pub enum Request {
    /// `web3_`, `net_` and the node's own `eth_` status and fees.
    Node(NodeRequest),
    /// Blocks, transactions, receipts and logs.
    Blocks(BlockRequest),
    /// Account state at a block, and proofs of it.
    State(StateRequest),
    /// Calls, estimates, submission and signing.
    Exec(ExecRequest),
    /// Polling filters and subscriptions.
    Filters(FilterRequest),
    /// `txpool_`: what the mempool holds.
    Pool(PoolRequest),
    /// The dev-node controls, served only where the node allows them.
    Dev(DevRequest),
}

/// Node identity, status and fees.
#[derive(Debug)]
#[non_exhaustive]
pub enum NodeRequest {
    /// `web3_clientVersion`.
    ClientVersion,
    /// `web3_sha3`: the Keccak-256 of the bytes.
    Sha3(Bytes),
    /// `net_version`: the chain id as a decimal string.
    NetVersion,
    /// `net_listening`: always true (the node answers, so it listens).
    NetListening,
    /// `net_peerCount`: zero on a single node.
    NetPeerCount,
    /// `eth_chainId`.
    ChainId,
    /// `eth_syncing`: always false (a single node is never behind).
    Syncing,
    /// `eth_mining`: always true (the node seals its own blocks).
    Mining,
    /// `eth_hashrate`: zero (no proof of work).
    Hashrate,
    /// `eth_coinbase`: the chain spec's block producer address.
    Coinbase,
    /// `eth_accounts`: the dev accounts this node signs for.
    Accounts,
    /// `eth_blockNumber`: the head's number.
    BlockNumber,
    /// `eth_gasPrice`: next base fee plus the suggested tip.
    GasPrice,
    /// `eth_baseFee`: the next block's base fee per gas.
    BaseFee,
    /// `eth_maxPriorityFeePerGas`: the suggested tip.
    MaxPriorityFee,
    /// `eth_feeHistory(count, newest, percentiles?)`.
    FeeHistory {
        /// How many blocks, ending at `newest`.
        count: u64,
        /// The last block covered.
        newest: BlockTag,
        /// Tip percentiles to report per block, if any.
        percentiles: Option<Vec<f64>>,
    },
}

/// Blocks, transactions, receipts and logs.
#[derive(Debug)]
#[non_exhaustive]
pub enum BlockRequest {
    /// `eth_getBlockByNumber` / `eth_getBlockByHash`.
    Block {
        /// Which block.
        at: BlockTag,
        /// Whole transactions rather than their hashes.
        full: bool,
    },
    /// `eth_getBlockTransactionCountBy{Number,Hash}`.
    TxCount(BlockTag),
    /// `eth_getUncleCountBy{BlockNumber,BlockHash}`: zero, there are none.
    UncleCount,
    /// `eth_getUncleBy{BlockNumber,BlockHash}AndIndex`: null.
    Uncle,
    /// `eth_getTransactionByHash`: mined or in the pool.
    TransactionByHash(H256),
    /// `eth_getTransactionBy{BlockNumber,BlockHash}AndIndex`.
    TransactionByBlockAndIndex(BlockTag, u64),
    /// `eth_getTransactionReceipt`.
    Receipt(H256),
    /// `eth_getBlockReceipts`.
    Receipts(BlockTag),
    /// `eth_getLogs`.
    Logs(FilterJson),
}

/// Account state at a block.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateRequest {
    /// `eth_getBalance`.
    Balance(Address, BlockTag),
    /// `eth_getTransactionCount`.
    Nonce(Address, BlockTag),
    /// `eth_getCode`.
    Code(Address, BlockTag),
    /// `eth_getStorageAt(address, slot, block)`.
    StorageAt(Address, H256, BlockTag),
    /// `eth_getProof(address, slots, block)` (EIP-1186).
    Proof(Address, Vec<H256>, BlockTag),
}

/// Execution, submission and signing.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExecRequest {
    /// `eth_call`.
    Call(TxRequest, BlockTag),
    /// `eth_createAccessList`.
    CreateAccessList(TxRequest, BlockTag),
    /// `eth_estimateGas`.
    EstimateGas(TxRequest, BlockTag),
    /// `eth_sendRawTransaction`: a signed, encoded transaction.
    SendRawTransaction(Bytes),
    /// `eth_sign(address, message)` and `personal_sign(message, address)`
    /// (the same EIP-191 signature, arguments in either order).
    PersonalSign {
        /// The dev account that signs.
        address: Address,
        /// The message, unhashed.
        message: Bytes,
    },
    /// `eth_signTypedData_v4(address, typedData)` (EIP-712).
    SignTypedData(Address, Value),
    /// `eth_signTransaction`: filled in and signed by a dev key, not sent.
    SignTransaction(TxRequest),
    /// `eth_sendTransaction`: filled in, signed by a dev key, and sent.
    SendTransaction(TxRequest),
}

/// Polling filters and subscriptions.
#[derive(Debug)]
#[non_exhaustive]
pub enum FilterRequest {
    /// `eth_newFilter`.
    NewFilter(FilterJson),
    /// `eth_newBlockFilter`.
    NewBlockFilter,
    /// `eth_newPendingTransactionFilter`.
    NewPendingTransactionFilter,
    /// `eth_getFilterChanges`: what happened since the last poll.
    Changes(U256),
    /// `eth_getFilterLogs`: every log the filter matches.
    Logs(U256),
    /// `eth_uninstallFilter`.
    Uninstall(U256),
    /// `eth_subscribe`; its parameters are the subscription's business
    /// ([`crate::ws`]), and over HTTP it is refused before they are read.
    Subscribe(Params),
    /// `eth_unsubscribe`; parsed, like `Subscribe`, only over a WebSocket.
    Unsubscribe(Params),
}

/// `txpool_*`: pool inspection.
#[derive(Debug)]
#[non_exhaustive]
pub enum PoolRequest {
    /// `txpool_status`: how many transactions are ready and queued.
    Status,
    /// `txpool_content`: every pooled transaction.
    Content,
    /// `txpool_contentFrom`: one sender's pooled transactions.
    ContentFrom(Address),
    /// `txpool_inspect`: geth's one-line summaries.
    Inspect,
}

/// Dev-node controls (anvil and hardhat compatible): they rewrite state
/// and time at will, so a chain that is not a dev chain never serves them
/// (REPRO H2: on a `--chain` node anyone could set a balance to 2^256-1).
#[derive(Debug)]
#[non_exhaustive]
pub enum DevRequest {
    /// `evm_snapshot`: remember the current state, answer its id.
    Snapshot,
    /// `evm_revert(id)`: go back to a snapshot. Ids are u64s; a larger
    /// one names no snapshot (it is `None`, answered `false`).
    Revert(Option<u64>),
    /// `evm_mine(timestamp | {timestamp, blocks})`: answers `"0x0"`.
    EvmMine {
        /// Blocks to seal.
        blocks: u64,
        /// The first block's timestamp, if set.
        timestamp: Option<u64>,
    },
    /// `anvil_mine` / `hardhat_mine(blocks?)`: answers null.
    Mine(u64),
    /// `evm_increaseTime(seconds)`: moves the clock forward.
    IncreaseTime(i64),
    /// `evm_setNextBlockTimestamp` / `anvil_setNextBlockTimestamp`.
    SetNextBlockTimestamp(u64),
    /// `anvil_set{Balance,Nonce,Code,StorageAt}` and their `hardhat_`
    /// names: one account field rewritten.
    Patch(Address, Patch),
}

impl Request {
    /// The request `method` names, with its parameters parsed; `dev` says
    /// whether the dev controls are served. An unknown method is -32601
    /// whatever its params (as geth answers).
    pub fn parse(method: &str, p: Params, dev: bool) -> Result<Request, RpcError> {
        if let Some(r) = NodeRequest::parse(method, &p)? {
            return Ok(Request::Node(r));
        }
        if let Some(r) = BlockRequest::parse(method, &p)? {
            return Ok(Request::Blocks(r));
        }
        if let Some(r) = StateRequest::parse(method, &p)? {
            return Ok(Request::State(r));
        }
        if let Some(r) = ExecRequest::parse(method, &p)? {
            return Ok(Request::Exec(r));
        }
        if let Some(r) = PoolRequest::parse(method, &p)? {
            return Ok(Request::Pool(r));
        }
        let p = match FilterRequest::parse(method, p)? {
            Ok(r) => return Ok(Request::Filters(r)),
            Err(p) => p,
        };
        match dev {
            true => DevRequest::parse(method, &p).map(Request::Dev),
            false => Err(RpcError::method_not_found(method)),
        }
    }
}

impl NodeRequest {
    fn parse(method: &str, p: &Params) -> Result<Option<Self>, RpcError> {
        Ok(Some(match method {
            "web3_clientVersion" => Self::ClientVersion,
            "web3_sha3" => Self::Sha3(p.req(0)?),
            "net_version" => Self::NetVersion,
            "net_listening" => Self::NetListening,
            "net_peerCount" => Self::NetPeerCount,
            "eth_chainId" => Self::ChainId,
            "eth_syncing" => Self::Syncing,
            "eth_mining" => Self::Mining,
            "eth_hashrate" => Self::Hashrate,
            "eth_coinbase" => Self::Coinbase,
            "eth_accounts" => Self::Accounts,
            "eth_blockNumber" => Self::BlockNumber,
            "eth_gasPrice" => Self::GasPrice,
            "eth_baseFee" => Self::BaseFee,
            "eth_maxPriorityFeePerGas" => Self::MaxPriorityFee,
            "eth_feeHistory" => Self::FeeHistory {
                count: p.req::<U64>(0)?.0,
                newest: p.req::<BlockId>(1)?.0,
                percentiles: p.opt(2)?,
            },
            _ => return Ok(None),
        }))
    }
}

impl BlockRequest {
    fn parse(method: &str, p: &Params) -> Result<Option<Self>, RpcError> {
        Ok(Some(match method {
            "eth_getBlockByNumber" | "eth_getBlockByHash" => Self::Block {
                at: block(p, 0)?,
                full: p.opt(1)?.unwrap_or(false),
            },
            "eth_getBlockTransactionCountByNumber" | "eth_getBlockTransactionCountByHash" => {
                Self::TxCount(block(p, 0)?)
            }
            "eth_getUncleCountByBlockNumber" | "eth_getUncleCountByBlockHash" => Self::UncleCount,
            "eth_getUncleByBlockNumberAndIndex" | "eth_getUncleByBlockHashAndIndex" => Self::Uncle,
            "eth_getTransactionByHash" => Self::TransactionByHash(p.req(0)?),
            "eth_getTransactionByBlockNumberAndIndex" | "eth_getTransactionByBlockHashAndIndex" => {
                Self::TransactionByBlockAndIndex(block(p, 0)?, p.req::<U64>(1)?.0)
            }
            "eth_getTransactionReceipt" => Self::Receipt(p.req(0)?),
            "eth_getBlockReceipts" => Self::Receipts(block(p, 0)?),
            "eth_getLogs" => Self::Logs(p.req(0)?),
            _ => return Ok(None),
        }))
    }
}

impl StateRequest {
    fn parse(method: &str, p: &Params) -> Result<Option<Self>, RpcError> {
        Ok(Some(match method {
            "eth_getBalance" => Self::Balance(p.req(0)?, tag(p, 1)?),
            "eth_getTransactionCount" => Self::Nonce(p.req(0)?, tag(p, 1)?),
            "eth_getCode" => Self::Code(p.req(0)?, tag(p, 1)?),
            "eth_getStorageAt" => {
                Self::StorageAt(p.req(0)?, storage_key(&p.req::<Value>(1)?)?, tag(p, 2)?)
            }
            "eth_getProof" => Self::Proof(
                p.req(0)?,
                p.req::<Vec<Q256>>(1)?
                    .into_iter()
                    .map(|q| H256(q.0.to_big_endian()))
                    .collect(),
                tag(p, 2)?,
            ),
            _ => return Ok(None),
        }))
    }
}

impl ExecRequest {
    fn parse(method: &str, p: &Params) -> Result<Option<Self>, RpcError> {
        Ok(Some(match method {
            "eth_call" => {
                let (req, at) = (p.req(0)?, tag(p, 1)?);
                if p.len() > 2 {
                    return Err(RpcError::invalid_params(
                        "state overrides are not supported",
                    ));
                }
                Self::Call(req, at)
            }
            "eth_createAccessList" => Self::CreateAccessList(p.req(0)?, tag(p, 1)?),
            "eth_estimateGas" => Self::EstimateGas(p.req(0)?, tag(p, 1)?),
            "eth_sendRawTransaction" => Self::SendRawTransaction(p.req(0)?),
            "eth_sign" => Self::PersonalSign {
                address: p.req(0)?,
                message: p.req(1)?,
            },
            "personal_sign" => {
                let message = p.req(0)?;
                Self::PersonalSign {
                    address: p.req(1)?,
                    message,
                }
            }
            "eth_signTypedData_v4" => Self::SignTypedData(p.req(0)?, p.req(1)?),
            "eth_signTransaction" => Self::SignTransaction(p.req(0)?),
            "eth_sendTransaction" => Self::SendTransaction(p.req(0)?),
            _ => return Ok(None),
        }))
    }
}

impl FilterRequest {
    /// Takes `p` because subscriptions keep their parameters unread; hands
    /// it back when `method` is not a filter method.
    fn parse(method: &str, p: Params) -> Result<Result<Self, Params>, RpcError> {
        Ok(Ok(match method {
            "eth_newFilter" => Self::NewFilter(p.req(0)?),
            "eth_newBlockFilter" => Self::NewBlockFilter,
            "eth_newPendingTransactionFilter" => Self::NewPendingTransactionFilter,
            "eth_getFilterChanges" => Self::Changes(p.req::<Q256>(0)?.0),
            "eth_getFilterLogs" => Self::Logs(p.req::<Q256>(0)?.0),
            "eth_uninstallFilter" => Self::Uninstall(p.req::<Q256>(0)?.0),
            "eth_subscribe" => Self::Subscribe(p),
            "eth_unsubscribe" => Self::Unsubscribe(p),
            _ => return Ok(Err(p)),
        }))
    }
}

impl PoolRequest {
    fn parse(method: &str, p: &Params) -> Result<Option<Self>, RpcError> {
        Ok(Some(match method {
            "txpool_status" => Self::Status,
            "txpool_content" => Self::Content,
            "txpool_contentFrom" => Self::ContentFrom(p.req(0)?),
            "txpool_inspect" => Self::Inspect,
            _ => return Ok(None),
        }))
    }
}

impl DevRequest {
    fn parse(method: &str, p: &Params) -> Result<Self, RpcError> {
        Ok(match method {
            "evm_snapshot" => DevRequest::Snapshot,
            "evm_revert" => DevRequest::Revert(u64::try_from(p.req::<Q256>(0)?.0).ok()),
            "evm_mine" => {
                let (blocks, timestamp) = evm_mine(p)?;
                DevRequest::EvmMine { blocks, timestamp }
            }
            "anvil_mine" | "hardhat_mine" => {
                DevRequest::Mine(mine_count(p.opt::<U64>(0)?.map(|b| b.0).unwrap_or(1))?)
            }
            "evm_increaseTime" => DevRequest::IncreaseTime(
                i64::try_from(p.req::<U64>(0)?.0)
                    .map_err(|_| RpcError::invalid_params("time increase too large"))?,
            ),
            "evm_setNextBlockTimestamp" | "anvil_setNextBlockTimestamp" => {
                DevRequest::SetNextBlockTimestamp(p.req::<U64>(0)?.0)
            }
            "anvil_setBalance" | "hardhat_setBalance" => {
                DevRequest::Patch(p.req(0)?, Patch::Balance(p.req::<Q256>(1)?.0))
            }
            "anvil_setNonce" | "hardhat_setNonce" => {
                DevRequest::Patch(p.req(0)?, Patch::Nonce(p.req::<U64>(1)?.0))
            }
            "anvil_setCode" | "hardhat_setCode" => {
                DevRequest::Patch(p.req(0)?, Patch::Code(p.req(1)?))
            }
            "anvil_setStorageAt" | "hardhat_setStorageAt" => {
                let (a, slot) = (p.req(0)?, H256(p.req::<Q256>(1)?.0.to_big_endian()));
                DevRequest::Patch(a, Patch::Storage(slot, p.req(2)?))
            }
            _ => return Err(RpcError::method_not_found(method)),
        })
    }
}

/// A required block selector.
fn block(p: &Params, i: usize) -> Result<BlockTag, RpcError> {
    Ok(p.req::<BlockId>(i)?.0)
}

/// An optional block selector: `latest` when absent or null.
fn tag(p: &Params, i: usize) -> Result<BlockTag, RpcError> {
    Ok(p.opt::<BlockId>(i)?
        .map(|b| b.0)
        .unwrap_or(BlockTag::Latest))
}

/// evm_mine takes nothing, a timestamp, or `{timestamp, blocks}`.
fn evm_mine(p: &Params) -> Result<(u64, Option<u64>), RpcError> {
    #[derive(serde::Deserialize)]
    struct Opts {
        timestamp: Option<U64>,
        blocks: Option<U64>,
    }
    if let Ok(Some(ts)) = p.opt::<U64>(0) {
        return Ok((1, Some(ts.0)));
    }
    match p.opt::<Opts>(0)? {
        Some(o) => Ok((
            mine_count(o.blocks.map(|b| b.0).unwrap_or(1))?,
            o.timestamp.map(|t| t.0),
        )),
        None => Ok((1, None)),
    }
}

fn mine_count(blocks: u64) -> Result<u64, RpcError> {
    if blocks > MAX_MINE_BLOCKS {
        return Err(RpcError::invalid_params(format!(
            "at most {MAX_MINE_BLOCKS} blocks at once"
        )));
    }
    Ok(blocks)
}
