//! Method table: one line per JSON-RPC method, delegating to thin handlers.

use std::sync::Arc;

use orac_chain::{BlockTag, Chain, Patch};
use orac_primitives::{Address, Bytes, H256, keccak256};
use serde_json::{Value, json};

use crate::blocks;
use crate::error::RpcError;
use crate::fees;
use crate::filters::Filters;
use crate::load::{Client, Heavy};
use crate::params::{BlockId, FilterJson, Params, Q256, TxRequest, U64, storage_key};
use crate::send;
use crate::sign;
use crate::txpool;
use crate::types::Quantity;
use crate::ws::Connection;

/// What every handler may use.
pub struct Ctx {
    pub chain: Arc<Chain>,
    pub filters: Filters,
    pub client_version: String,
    /// Serve the dev-node controls ([`dispatch_dev`]); off on any chain
    /// but `--dev` unless the operator asks (`--allow-dev-rpc`).
    pub dev_methods: bool,
    /// The queue and slots heavy methods go through.
    pub heavy: Heavy,
}

fn tag(p: &Params, i: usize) -> Result<BlockTag, RpcError> {
    Ok(p.opt::<BlockId>(i)?
        .map(|b| b.0)
        .unwrap_or(BlockTag::Latest))
}

/// Runs a synchronous (database-reading) handler off the async workers.
async fn blocking<F>(ctx: &Arc<Ctx>, f: F) -> Result<Value, RpcError>
where
    F: FnOnce(&Ctx) -> Result<Value, RpcError> + Send + 'static,
{
    let ctx = ctx.clone();
    tokio::task::spawn_blocking(move || f(&ctx))
        .await
        .map_err(|e| RpcError::internal(format!("handler failed: {e}")))?
}

/// Runs a heavy handler (an execution or a wide read) through the
/// node's queue and slots (`load`).
async fn heavy<F>(ctx: &Arc<Ctx>, client: &Client, f: F) -> Result<Value, RpcError>
where
    F: FnOnce(&Ctx) -> Result<Value, RpcError> + Send + 'static,
{
    let c = ctx.clone();
    ctx.heavy.run(client, move || f(&c)).await
}

/// A read at `tag`. At `pending` the pending block may have to be built
/// (an execution of up to a block's gas), so it queues as heavy requests do.
async fn read_at<F>(ctx: &Arc<Ctx>, client: &Client, tag: BlockTag, f: F) -> Result<Value, RpcError>
where
    F: FnOnce(&Ctx) -> Result<Value, RpcError> + Send + 'static,
{
    if tag == BlockTag::Pending {
        heavy(ctx, client, f).await
    } else {
        blocking(ctx, f).await
    }
}

/// The gas limit of a transaction request: its own, or an estimate (an
/// execution: never on the async workers).
async fn gas_for(ctx: &Arc<Ctx>, client: &Client, req: &TxRequest) -> Result<u64, RpcError> {
    if let Some(g) = req.gas {
        return Ok(g.0);
    }
    let (r, c) = (req.clone(), ctx.clone());
    ctx.heavy
        .run(client, move || send::estimate_for_send(&c.chain, &r))
        .await
}

pub async fn dispatch(
    ctx: &Arc<Ctx>,
    method: &str,
    params: Params,
    conn: Option<&Arc<Connection>>,
    client: &Client,
) -> Result<Value, RpcError> {
    let chain = &ctx.chain;
    match method {
        // Node identity.
        "web3_clientVersion" => Ok(json!(ctx.client_version)),
        "web3_sha3" => Ok(json!(keccak256(params.req::<Bytes>(0)?))),
        "net_version" => Ok(json!(chain.chain_id().to_string())),
        "net_listening" => Ok(json!(true)),
        "net_peerCount" => Ok(json!(Quantity(0))),
        "eth_chainId" => Ok(json!(Quantity(chain.chain_id()))),
        "eth_syncing" => Ok(json!(false)),
        "eth_mining" => Ok(json!(true)),
        "eth_hashrate" => Ok(json!(Quantity(0))),
        "eth_coinbase" => Ok(json!(chain.spec().coinbase)),
        "eth_accounts" => Ok(json!(chain.dev_accounts())),
        "eth_blockNumber" => Ok(json!(Quantity(chain.head_pointer()?.number))),

        // Fees.
        "eth_gasPrice" => Ok(fees::gas_price(chain)),
        "eth_baseFee" => Ok(fees::base_fee(chain)),
        "eth_maxPriorityFeePerGas" => Ok(fees::max_priority_fee()),
        "eth_feeHistory" => {
            let count = params.req::<U64>(0)?.0;
            let newest = params.req::<BlockId>(1)?.0;
            let pct = params.opt::<Vec<f64>>(2)?;
            heavy(ctx, client, move |c| {
                fees::fee_history(&c.chain, count, newest, pct)
            })
            .await
        }

        // Blocks and transactions.
        "eth_getBlockByNumber" | "eth_getBlockByHash" => {
            let id = params.req::<BlockId>(0)?.0;
            let full = params.opt::<bool>(1)?.unwrap_or(false);
            read_at(ctx, client, id, move |c| blocks::block(&c.chain, id, full)).await
        }
        "eth_getBlockTransactionCountByNumber" | "eth_getBlockTransactionCountByHash" => {
            let id = params.req::<BlockId>(0)?.0;
            read_at(ctx, client, id, move |c| {
                blocks::block_tx_count(&c.chain, id)
            })
            .await
        }
        "eth_getUncleCountByBlockNumber" | "eth_getUncleCountByBlockHash" => Ok(json!(Quantity(0))),
        "eth_getUncleByBlockNumberAndIndex" | "eth_getUncleByBlockHashAndIndex" => Ok(Value::Null),
        "eth_getTransactionByHash" => {
            let h = params.req::<H256>(0)?;
            blocking(ctx, move |c| blocks::transaction_by_hash(&c.chain, h)).await
        }
        "eth_getTransactionByBlockNumberAndIndex" | "eth_getTransactionByBlockHashAndIndex" => {
            let id = params.req::<BlockId>(0)?.0;
            let i = params.req::<U64>(1)?.0;
            read_at(ctx, client, id, move |c| {
                blocks::transaction_by_block_and_index(&c.chain, id, i)
            })
            .await
        }
        "eth_getTransactionReceipt" => {
            let h = params.req::<H256>(0)?;
            blocking(ctx, move |c| blocks::receipt(&c.chain, h)).await
        }
        "eth_getBlockReceipts" => {
            let id = params.req::<BlockId>(0)?.0;
            read_at(ctx, client, id, move |c| {
                blocks::block_receipts_at(&c.chain, id)
            })
            .await
        }
        "eth_getLogs" => {
            let f = params.req::<FilterJson>(0)?;
            heavy(ctx, client, move |c| blocks::logs(&c.chain, &f, false)).await
        }

        // State.
        "eth_getBalance" => {
            let (a, t) = (params.req::<Address>(0)?, tag(&params, 1)?);
            read_at(ctx, client, t, move |c| blocks::balance(&c.chain, a, t)).await
        }
        "eth_getTransactionCount" => {
            let (a, t) = (params.req::<Address>(0)?, tag(&params, 1)?);
            blocking(ctx, move |c| blocks::nonce(&c.chain, a, t)).await
        }
        "eth_getCode" => {
            let (a, t) = (params.req::<Address>(0)?, tag(&params, 1)?);
            read_at(ctx, client, t, move |c| blocks::code(&c.chain, a, t)).await
        }
        "eth_getStorageAt" => {
            let a = params.req::<Address>(0)?;
            let slot = storage_key(&params.req::<Value>(1)?)?;
            let t = tag(&params, 2)?;
            read_at(ctx, client, t, move |c| {
                blocks::storage_at(&c.chain, a, slot, t)
            })
            .await
        }
        "eth_getProof" => {
            let a = params.req::<Address>(0)?;
            let slots: Vec<H256> = params
                .req::<Vec<Q256>>(1)?
                .into_iter()
                .map(|q| H256(q.0.to_big_endian()))
                .collect();
            let t = tag(&params, 2)?;
            blocking(ctx, move |c| blocks::proof(&c.chain, a, slots, t)).await
        }

        // Execution and submission.
        "eth_call" => {
            let (req, t) = (params.req::<TxRequest>(0)?, tag(&params, 1)?);
            if params.len() > 2 {
                return Err(RpcError::invalid_params(
                    "state overrides are not supported",
                ));
            }
            heavy(ctx, client, move |c| send::call(&c.chain, &req, t)).await
        }
        "eth_createAccessList" => {
            let (req, t) = (params.req::<TxRequest>(0)?, tag(&params, 1)?);
            heavy(ctx, client, move |c| {
                send::create_access_list(&c.chain, &req, t)
            })
            .await
        }
        "eth_estimateGas" => {
            let (req, t) = (params.req::<TxRequest>(0)?, tag(&params, 1)?);
            heavy(ctx, client, move |c| send::estimate_gas(&c.chain, &req, t)).await
        }
        "eth_sendRawTransaction" => send::send_raw(chain, params.req::<Bytes>(0)?.0).await,
        "eth_sign" => {
            let (a, m) = (params.req::<Address>(0)?, params.req::<Bytes>(1)?);
            sign::personal_sign(chain, a, &m)
        }
        "personal_sign" => {
            let (m, a) = (params.req::<Bytes>(0)?, params.req::<Address>(1)?);
            sign::personal_sign(chain, a, &m)
        }
        "eth_signTypedData_v4" => {
            let (a, data) = (params.req::<Address>(0)?, params.req::<Value>(1)?);
            sign::typed_data(chain, a, data)
        }
        "eth_signTransaction" => {
            let req = params.req::<TxRequest>(0)?;
            let gas = gas_for(ctx, client, &req).await?;
            send::sign_only(chain, req, gas)
        }
        "eth_sendTransaction" => {
            let req = params.req::<TxRequest>(0)?;
            let gas = gas_for(ctx, client, &req).await?;
            send::send_transaction(chain, req, gas).await
        }

        // Polling filters.
        "eth_newFilter" => ctx
            .filters
            .new_log_filter(chain, params.req::<FilterJson>(0)?),
        "eth_newBlockFilter" => ctx.filters.new_block_filter(chain),
        "eth_newPendingTransactionFilter" => ctx.filters.new_pending_filter(chain),
        "eth_getFilterChanges" => {
            let id = params.req::<Q256>(0)?.0;
            heavy(ctx, client, move |c| c.filters.changes(&c.chain, id)).await
        }
        "eth_getFilterLogs" => {
            let id = params.req::<Q256>(0)?.0;
            heavy(ctx, client, move |c| c.filters.logs(&c.chain, id)).await
        }
        "eth_uninstallFilter" => Ok(json!(ctx.filters.uninstall(params.req::<Q256>(0)?.0))),

        // Subscriptions (WebSocket only).
        "eth_subscribe" | "eth_unsubscribe" => match conn {
            Some(conn) if method == "eth_subscribe" => conn.subscribe(ctx, params),
            Some(conn) => Ok(json!(conn.unsubscribe(params.req::<Q256>(0)?.0))),
            None => Err(RpcError::new(
                crate::error::NOTIFICATIONS_UNSUPPORTED,
                "notifications not supported",
            )),
        },

        // Pool inspection.
        "txpool_status" => Ok(txpool::status(chain)),
        "txpool_content" => txpool::content(chain),
        "txpool_contentFrom" => txpool::content_from(chain, params.req::<Address>(0)?),
        "txpool_inspect" => txpool::inspect(chain),

        _ if ctx.dev_methods => dispatch_dev(chain, method, params).await,
        _ => Err(RpcError::method_not_found(method)),
    }
}

/// Dev-node controls (anvil / hardhat compatible): they rewrite state and
/// time at will, so a chain that is not a dev chain never serves them
/// (REPRO H2: on a `--chain` node anyone could set a balance to 2^256-1).
async fn dispatch_dev(chain: &Chain, method: &str, params: Params) -> Result<Value, RpcError> {
    match method {
        "evm_snapshot" => Ok(json!(Quantity(chain.take_snapshot()?))),
        "evm_revert" => {
            // Ids are u64s; a larger one names no snapshot (it used to be
            // cut to its low 64 bits, reverting to some other one).
            let id = params.req::<Q256>(0)?.0;
            match u64::try_from(id) {
                Ok(id) => Ok(json!(chain.revert_to_snapshot(id).await?)),
                Err(_) => Ok(json!(false)),
            }
        }
        "evm_mine" => {
            let (blocks, ts) = mine_params(&params)?;
            chain.mine(blocks, ts).await?;
            Ok(json!("0x0"))
        }
        "anvil_mine" | "hardhat_mine" => {
            let blocks = params.opt::<U64>(0)?.map(|b| b.0).unwrap_or(1);
            if blocks > 100_000 {
                return Err(RpcError::invalid_params("at most 100000 blocks at once"));
            }
            chain.mine(blocks, None).await?;
            Ok(Value::Null)
        }
        "evm_increaseTime" => {
            let secs = params.req::<U64>(0)?.0;
            let secs = i64::try_from(secs)
                .map_err(|_| RpcError::invalid_params("time increase too large"))?;
            Ok(json!(chain.increase_time(secs).await?))
        }
        "evm_setNextBlockTimestamp" | "anvil_setNextBlockTimestamp" => {
            chain.set_next_timestamp(params.req::<U64>(0)?.0).await?;
            Ok(Value::Null)
        }
        "anvil_setBalance" | "hardhat_setBalance" => {
            let (a, v) = (params.req::<Address>(0)?, params.req::<Q256>(1)?.0);
            chain.patch(a, Patch::Balance(v)).await?;
            Ok(json!(true))
        }
        "anvil_setNonce" | "hardhat_setNonce" => {
            let (a, n) = (params.req::<Address>(0)?, params.req::<U64>(1)?.0);
            chain.patch(a, Patch::Nonce(n)).await?;
            Ok(json!(true))
        }
        "anvil_setCode" | "hardhat_setCode" => {
            let (a, code) = (params.req::<Address>(0)?, params.req::<Bytes>(1)?);
            chain.patch(a, Patch::Code(code)).await?;
            Ok(json!(true))
        }
        "anvil_setStorageAt" | "hardhat_setStorageAt" => {
            let a = params.req::<Address>(0)?;
            let slot = H256(params.req::<Q256>(1)?.0.to_big_endian());
            let value = params.req::<H256>(2)?;
            chain.patch(a, Patch::Storage(slot, value)).await?;
            Ok(json!(true))
        }
        _ => Err(RpcError::method_not_found(method)),
    }
}

/// evm_mine takes nothing, a timestamp, or `{timestamp, blocks}`.
fn mine_params(p: &Params) -> Result<(u64, Option<u64>), RpcError> {
    #[derive(serde::Deserialize)]
    struct Opts {
        timestamp: Option<U64>,
        blocks: Option<U64>,
    }
    if let Ok(Some(ts)) = p.opt::<U64>(0) {
        return Ok((1, Some(ts.0)));
    }
    match p.opt::<Opts>(0)? {
        Some(o) => {
            let blocks = o.blocks.map(|b| b.0).unwrap_or(1);
            if blocks > 100_000 {
                return Err(RpcError::invalid_params("at most 100000 blocks at once"));
            }
            Ok((blocks, o.timestamp.map(|t| t.0)))
        }
        None => Ok((1, None)),
    }
}
