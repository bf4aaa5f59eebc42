//! Method table: one line per JSON-RPC method, delegating to thin handlers.
//!
//! [`dispatch`] routes on the namespace prefix (`web3_`, `net_`, `eth_`,
//! `personal_`, `txpool_`, then the dev controls); the `eth` namespace is
//! split again by concern (node and fees, blocks and transactions, state,
//! execution and signing, filters and subscriptions), one function each.

use std::sync::Arc;

use orac_chain::{BlockTag, Chain};
use orac_primitives::{Address, Bytes, H256, keccak256};
use serde_json::{Value, json};

use crate::blocks;
use crate::dev;
use crate::error::RpcError;
use crate::fees;
use crate::filters::Filters;
use crate::load::{Client, Heavy};
use crate::logs;
use crate::params::{BlockId, FilterJson, Params, Q256, TxRequest, U64, storage_key};
use crate::send;
use crate::sign;
use crate::state;
use crate::txpool;
use crate::types::Quantity;
use crate::ws::Connection;

/// What every handler may use.
pub struct Ctx {
    pub chain: Arc<Chain>,
    pub filters: Filters,
    pub client_version: String,
    /// Serve the dev-node controls ([`dev::dispatch_dev`]); off on any chain
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

/// A handler's answer, or `None` when the method is not in its group.
type Handled = Option<Result<Value, RpcError>>;

pub async fn dispatch(
    ctx: &Arc<Ctx>,
    method: &str,
    params: Params,
    conn: Option<&Arc<Connection>>,
    client: &Client,
) -> Result<Value, RpcError> {
    let handled = match method.split_once('_').map(|(ns, _)| ns) {
        Some("web3" | "net") => web3_net(ctx, method, &params),
        Some("eth") => return eth(ctx, method, params, conn, client).await,
        Some("personal") => eth_sign(ctx, method, &params, client).await,
        Some("txpool") => txpool(&ctx.chain, method, &params),
        _ if ctx.dev_methods => return dev::dispatch_dev(&ctx.chain, method, params).await,
        _ => None,
    };
    handled.unwrap_or_else(|| Err(RpcError::method_not_found(method)))
}

/// `web3_*` and `net_*`: node identity.
fn web3_net(ctx: &Ctx, method: &str, params: &Params) -> Handled {
    let chain = &ctx.chain;
    Some(match method {
        "web3_clientVersion" => Ok(json!(ctx.client_version)),
        "web3_sha3" => params.req::<Bytes>(0).map(|b| json!(keccak256(b))),
        "net_version" => Ok(json!(chain.chain_id().to_string())),
        "net_listening" => Ok(json!(true)),
        "net_peerCount" => Ok(json!(Quantity(0))),
        _ => return None,
    })
}

/// `eth_*`, group by group.
async fn eth(
    ctx: &Arc<Ctx>,
    method: &str,
    params: Params,
    conn: Option<&Arc<Connection>>,
    client: &Client,
) -> Result<Value, RpcError> {
    if let Some(r) = eth_node(ctx, method, &params, client).await {
        return r;
    }
    if let Some(r) = eth_blocks(ctx, method, &params, client).await {
        return r;
    }
    if let Some(r) = eth_state(ctx, method, &params, client).await {
        return r;
    }
    if let Some(r) = eth_sign(ctx, method, &params, client).await {
        return r;
    }
    eth_filters(ctx, method, params, conn, client)
        .await
        .unwrap_or_else(|| Err(RpcError::method_not_found(method)))
}

/// Node status and fees.
async fn eth_node(ctx: &Arc<Ctx>, method: &str, params: &Params, client: &Client) -> Handled {
    let chain = &ctx.chain;
    Some(match method {
        "eth_chainId" => Ok(json!(Quantity(chain.chain_id()))),
        "eth_syncing" => Ok(json!(false)),
        "eth_mining" => Ok(json!(true)),
        "eth_hashrate" => Ok(json!(Quantity(0))),
        "eth_coinbase" => Ok(json!(chain.spec().coinbase)),
        "eth_accounts" => Ok(json!(chain.dev_accounts())),
        "eth_blockNumber" => chain
            .head_pointer()
            .map(|h| json!(Quantity(h.number)))
            .map_err(Into::into),
        "eth_gasPrice" => Ok(fees::gas_price(chain)),
        "eth_baseFee" => Ok(fees::base_fee(chain)),
        "eth_maxPriorityFeePerGas" => Ok(fees::max_priority_fee()),
        "eth_feeHistory" => fee_history(ctx, params, client).await,
        _ => return None,
    })
}

async fn fee_history(ctx: &Arc<Ctx>, params: &Params, client: &Client) -> Result<Value, RpcError> {
    let count = params.req::<U64>(0)?.0;
    let newest = params.req::<BlockId>(1)?.0;
    let pct = params.opt::<Vec<f64>>(2)?;
    heavy(ctx, client, move |c| {
        fees::fee_history(&c.chain, count, newest, pct)
    })
    .await
}

/// Blocks, transactions, receipts and logs.
async fn eth_blocks(ctx: &Arc<Ctx>, method: &str, params: &Params, client: &Client) -> Handled {
    Some(match method {
        "eth_getBlockByNumber" | "eth_getBlockByHash" => block(ctx, params, client).await,
        "eth_getBlockTransactionCountByNumber" | "eth_getBlockTransactionCountByHash" => {
            match params.req::<BlockId>(0) {
                Ok(BlockId(id)) => {
                    read_at(ctx, client, id, move |c| {
                        blocks::block_tx_count(&c.chain, id)
                    })
                    .await
                }
                Err(e) => Err(e),
            }
        }
        "eth_getUncleCountByBlockNumber" | "eth_getUncleCountByBlockHash" => Ok(json!(Quantity(0))),
        "eth_getUncleByBlockNumberAndIndex" | "eth_getUncleByBlockHashAndIndex" => Ok(Value::Null),
        "eth_getTransactionByHash" => match params.req::<H256>(0) {
            Ok(h) => blocking(ctx, move |c| blocks::transaction_by_hash(&c.chain, h)).await,
            Err(e) => Err(e),
        },
        "eth_getTransactionByBlockNumberAndIndex" | "eth_getTransactionByBlockHashAndIndex" => {
            transaction_by_block_and_index(ctx, params, client).await
        }
        "eth_getTransactionReceipt" => match params.req::<H256>(0) {
            Ok(h) => blocking(ctx, move |c| blocks::receipt(&c.chain, h)).await,
            Err(e) => Err(e),
        },
        "eth_getBlockReceipts" => match params.req::<BlockId>(0) {
            Ok(BlockId(id)) => {
                read_at(ctx, client, id, move |c| {
                    blocks::block_receipts_at(&c.chain, id)
                })
                .await
            }
            Err(e) => Err(e),
        },
        "eth_getLogs" => match params.req::<FilterJson>(0) {
            Ok(f) => heavy(ctx, client, move |c| logs::logs(&c.chain, &f, false)).await,
            Err(e) => Err(e),
        },
        _ => return None,
    })
}

async fn block(ctx: &Arc<Ctx>, params: &Params, client: &Client) -> Result<Value, RpcError> {
    let id = params.req::<BlockId>(0)?.0;
    let full = params.opt::<bool>(1)?.unwrap_or(false);
    read_at(ctx, client, id, move |c| blocks::block(&c.chain, id, full)).await
}

async fn transaction_by_block_and_index(
    ctx: &Arc<Ctx>,
    params: &Params,
    client: &Client,
) -> Result<Value, RpcError> {
    let id = params.req::<BlockId>(0)?.0;
    let i = params.req::<U64>(1)?.0;
    read_at(ctx, client, id, move |c| {
        blocks::transaction_by_block_and_index(&c.chain, id, i)
    })
    .await
}

/// Account state at a block, and proofs of it.
async fn eth_state(ctx: &Arc<Ctx>, method: &str, params: &Params, client: &Client) -> Handled {
    let at = |i| Ok::<_, RpcError>((params.req::<Address>(0)?, tag(params, i)?));
    Some(match method {
        "eth_getBalance" => match at(1) {
            Ok((a, t)) => read_at(ctx, client, t, move |c| state::balance(&c.chain, a, t)).await,
            Err(e) => Err(e),
        },
        "eth_getTransactionCount" => match at(1) {
            Ok((a, t)) => blocking(ctx, move |c| state::nonce(&c.chain, a, t)).await,
            Err(e) => Err(e),
        },
        "eth_getCode" => match at(1) {
            Ok((a, t)) => read_at(ctx, client, t, move |c| state::code(&c.chain, a, t)).await,
            Err(e) => Err(e),
        },
        "eth_getStorageAt" => storage_at(ctx, params, client).await,
        "eth_getProof" => proof(ctx, params).await,
        _ => return None,
    })
}

async fn storage_at(ctx: &Arc<Ctx>, params: &Params, client: &Client) -> Result<Value, RpcError> {
    let a = params.req::<Address>(0)?;
    let slot = storage_key(&params.req::<Value>(1)?)?;
    let t = tag(params, 2)?;
    read_at(ctx, client, t, move |c| {
        state::storage_at(&c.chain, a, slot, t)
    })
    .await
}

async fn proof(ctx: &Arc<Ctx>, params: &Params) -> Result<Value, RpcError> {
    let a = params.req::<Address>(0)?;
    let slots: Vec<H256> = params
        .req::<Vec<Q256>>(1)?
        .into_iter()
        .map(|q| H256(q.0.to_big_endian()))
        .collect();
    let t = tag(params, 2)?;
    blocking(ctx, move |c| state::proof(&c.chain, a, slots, t)).await
}

/// Execution, submission and signing (`personal_sign` too).
async fn eth_sign(ctx: &Arc<Ctx>, method: &str, params: &Params, client: &Client) -> Handled {
    Some(match method {
        "eth_call" | "eth_createAccessList" | "eth_estimateGas" => {
            execute(ctx, method, params, client).await
        }
        "eth_sendRawTransaction" => match params.req::<Bytes>(0) {
            Ok(raw) => send::send_raw(&ctx.chain, raw.0).await,
            Err(e) => Err(e),
        },
        "eth_sign" | "personal_sign" | "eth_signTypedData_v4" => sign(&ctx.chain, method, params),
        "eth_signTransaction" | "eth_sendTransaction" => {
            send_transaction(ctx, method, params, client).await
        }
        _ => return None,
    })
}

/// eth_call, eth_createAccessList and eth_estimateGas: one execution each.
async fn execute(
    ctx: &Arc<Ctx>,
    method: &str,
    params: &Params,
    client: &Client,
) -> Result<Value, RpcError> {
    let (req, t) = (params.req::<TxRequest>(0)?, tag(params, 1)?);
    match method {
        "eth_call" => {
            if params.len() > 2 {
                return Err(RpcError::invalid_params(
                    "state overrides are not supported",
                ));
            }
            heavy(ctx, client, move |c| send::call(&c.chain, &req, t)).await
        }
        "eth_createAccessList" => {
            heavy(ctx, client, move |c| {
                send::create_access_list(&c.chain, &req, t)
            })
            .await
        }
        _ => heavy(ctx, client, move |c| send::estimate_gas(&c.chain, &req, t)).await,
    }
}

fn sign(chain: &Chain, method: &str, params: &Params) -> Result<Value, RpcError> {
    match method {
        "eth_sign" => {
            let (a, m) = (params.req::<Address>(0)?, params.req::<Bytes>(1)?);
            sign::personal_sign(chain, a, &m)
        }
        "personal_sign" => {
            let (m, a) = (params.req::<Bytes>(0)?, params.req::<Address>(1)?);
            sign::personal_sign(chain, a, &m)
        }
        _ => {
            let (a, data) = (params.req::<Address>(0)?, params.req::<Value>(1)?);
            sign::typed_data(chain, a, data)
        }
    }
}

/// eth_signTransaction, or with submission eth_sendTransaction.
async fn send_transaction(
    ctx: &Arc<Ctx>,
    method: &str,
    params: &Params,
    client: &Client,
) -> Result<Value, RpcError> {
    let req = params.req::<TxRequest>(0)?;
    let gas = gas_for(ctx, client, &req).await?;
    if method == "eth_signTransaction" {
        send::sign_only(&ctx.chain, req, gas)
    } else {
        send::send_transaction(&ctx.chain, req, gas).await
    }
}

/// Polling filters, and subscriptions (WebSocket only).
async fn eth_filters(
    ctx: &Arc<Ctx>,
    method: &str,
    params: Params,
    conn: Option<&Arc<Connection>>,
    client: &Client,
) -> Handled {
    let chain = &ctx.chain;
    Some(match method {
        "eth_newFilter" => params
            .req::<FilterJson>(0)
            .and_then(|f| ctx.filters.new_log_filter(chain, f)),
        "eth_newBlockFilter" => ctx.filters.new_block_filter(chain),
        "eth_newPendingTransactionFilter" => ctx.filters.new_pending_filter(chain),
        "eth_getFilterChanges" | "eth_getFilterLogs" => {
            filter_poll(ctx, method, &params, client).await
        }
        "eth_uninstallFilter" => params
            .req::<Q256>(0)
            .map(|id| json!(ctx.filters.uninstall(id.0))),
        "eth_subscribe" | "eth_unsubscribe" => match conn {
            Some(conn) if method == "eth_subscribe" => conn.subscribe(ctx, params),
            Some(conn) => params
                .req::<Q256>(0)
                .map(|id| json!(conn.unsubscribe(id.0))),
            None => Err(RpcError::new(
                crate::error::NOTIFICATIONS_UNSUPPORTED,
                "notifications not supported",
            )),
        },
        _ => return None,
    })
}

async fn filter_poll(
    ctx: &Arc<Ctx>,
    method: &str,
    params: &Params,
    client: &Client,
) -> Result<Value, RpcError> {
    let id = params.req::<Q256>(0)?.0;
    if method == "eth_getFilterChanges" {
        heavy(ctx, client, move |c| c.filters.changes(&c.chain, id)).await
    } else {
        heavy(ctx, client, move |c| c.filters.logs(&c.chain, id)).await
    }
}

/// `txpool_*`: pool inspection.
fn txpool(chain: &Chain, method: &str, params: &Params) -> Handled {
    Some(match method {
        "txpool_status" => Ok(txpool::status(chain)),
        "txpool_content" => txpool::content(chain),
        "txpool_contentFrom" => params
            .req::<Address>(0)
            .and_then(|a| txpool::content_from(chain, a)),
        "txpool_inspect" => txpool::inspect(chain),
        _ => return None,
    })
}
