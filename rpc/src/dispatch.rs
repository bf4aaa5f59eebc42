//! Runs a parsed [`Request`]: one `match` arm per method, each calling a
//! thin handler that returns a typed answer. Answers become JSON here and
//! nowhere else ([`answer`]), errors in [`crate::error`].
//!
//! Where a handler runs is part of the node's defence: quick in-memory
//! answers run inline, database reads off the async workers
//! ([`blocking`]), executions and wide reads through the queue and slots of
//! [`crate::load`] ([`heavy`]), reads at `pending` as heavy (the pending
//! block may have to be built).

use std::sync::Arc;

use orac_chain::{BlockTag, Chain};
use orac_primitives::keccak256;
use serde::Serialize;
use serde_json::Value;

use crate::blocks;
use crate::dev;
use crate::error::RpcError;
use crate::fees;
use crate::filters::Filters;
use crate::load::{Client, Heavy};
use crate::logs;
use crate::params::{Params, Q256, TxRequest};
use crate::request::{
    BlockRequest, ExecRequest, FilterRequest, NodeRequest, PoolRequest, Request, StateRequest,
};
use crate::send;
use crate::sign;
use crate::state;
use crate::txpool;
use crate::types::Quantity;
use crate::ws::Connection;

/// What every handler may use.
pub(crate) struct Ctx {
    /// The chain the node serves.
    pub(crate) chain: Arc<Chain>,
    /// Polling filters installed by clients.
    pub(crate) filters: Filters,
    /// What `web3_clientVersion` answers.
    pub(crate) client_version: String,
    /// Serve the dev-node controls ([`crate::request::DevRequest`]); off on
    /// any chain but `--dev` unless the operator asks (`--allow-dev-rpc`).
    pub(crate) dev_methods: bool,
    /// The queue and slots heavy methods go through.
    pub(crate) heavy: Heavy,
}

/// A handler's typed answer as the JSON `result`.
pub(crate) fn answer<T: Serialize>(v: T) -> Result<Value, RpcError> {
    serde_json::to_value(v).map_err(RpcError::internal)
}

/// Runs a synchronous (database-reading) handler off the async workers.
async fn blocking<T, F>(ctx: &Arc<Ctx>, f: F) -> Result<Value, RpcError>
where
    T: Serialize,
    F: FnOnce(&Ctx) -> Result<T, RpcError> + Send + 'static,
{
    let ctx = ctx.clone();
    tokio::task::spawn_blocking(move || f(&ctx).and_then(answer))
        .await
        .map_err(|e| RpcError::internal(format!("handler failed: {e}")))?
}

/// Runs a heavy handler (an execution or a wide read) through the
/// node's queue and slots (`load`).
async fn heavy<T, F>(ctx: &Arc<Ctx>, client: &Client, f: F) -> Result<Value, RpcError>
where
    T: Serialize,
    F: FnOnce(&Ctx) -> Result<T, RpcError> + Send + 'static,
{
    let c = ctx.clone();
    ctx.heavy.run(client, move || f(&c).and_then(answer)).await
}

/// A read at `tag`. At `pending` the pending block may have to be built
/// (an execution of up to a block's gas), so it queues as heavy requests do.
async fn read_at<T, F>(
    ctx: &Arc<Ctx>,
    client: &Client,
    tag: BlockTag,
    f: F,
) -> Result<Value, RpcError>
where
    T: Serialize,
    F: FnOnce(&Ctx) -> Result<T, RpcError> + Send + 'static,
{
    if tag == BlockTag::Pending {
        heavy(ctx, client, f).await
    } else {
        blocking(ctx, f).await
    }
}

/// Parses one call and answers it by its group's handler. `conn` is the
/// WebSocket it came on, if any (subscriptions need one); `client` is who
/// asked, for the heavy queue.
pub(crate) async fn dispatch(
    ctx: &Arc<Ctx>,
    method: &str,
    params: Params,
    conn: Option<&Arc<Connection>>,
    client: &Client,
) -> Result<Value, RpcError> {
    match Request::parse(method, params, ctx.dev_methods)? {
        Request::Node(r) => node(ctx, r, client).await,
        Request::Blocks(r) => blocks(ctx, r, client).await,
        Request::State(r) => state(ctx, r, client).await,
        Request::Exec(r) => exec(ctx, r, client).await,
        Request::Filters(r) => filters(ctx, r, conn, client).await,
        Request::Pool(r) => pool(&ctx.chain, r),
        Request::Dev(r) => dev::run(&ctx.chain, r).await,
    }
}

/// Node identity, status and fees: answered from memory, except fee
/// history (a read of up to 1,024 headers and bodies).
async fn node(ctx: &Arc<Ctx>, r: NodeRequest, client: &Client) -> Result<Value, RpcError> {
    let chain = &ctx.chain;
    match r {
        NodeRequest::ClientVersion => answer(&ctx.client_version),
        NodeRequest::Sha3(b) => answer(keccak256(b)),
        NodeRequest::NetVersion => answer(chain.chain_id().to_string()),
        NodeRequest::NetListening | NodeRequest::Mining => answer(true),
        NodeRequest::Syncing => answer(false),
        NodeRequest::NetPeerCount | NodeRequest::Hashrate => answer(Quantity(0)),
        NodeRequest::ChainId => answer(Quantity(chain.chain_id())),
        NodeRequest::Coinbase => answer(chain.spec().coinbase),
        NodeRequest::Accounts => answer(chain.dev_accounts()),
        NodeRequest::BlockNumber => answer(Quantity(chain.head_pointer()?.number)),
        NodeRequest::GasPrice => answer(fees::gas_price(chain)),
        NodeRequest::BaseFee => answer(fees::base_fee(chain)),
        NodeRequest::MaxPriorityFee => answer(fees::max_priority_fee()),
        NodeRequest::FeeHistory {
            count,
            newest,
            percentiles,
        } => {
            heavy(ctx, client, move |c| {
                fees::fee_history(&c.chain, count, newest, percentiles)
            })
            .await
        }
    }
}

/// Blocks, transactions, receipts and logs.
async fn blocks(ctx: &Arc<Ctx>, r: BlockRequest, client: &Client) -> Result<Value, RpcError> {
    match r {
        BlockRequest::Block { at, full } => {
            read_at(ctx, client, at, move |c| blocks::block(&c.chain, at, full)).await
        }
        BlockRequest::TxCount(at) => {
            read_at(ctx, client, at, move |c| {
                blocks::block_tx_count(&c.chain, at)
            })
            .await
        }
        BlockRequest::UncleCount => answer(Quantity(0)),
        BlockRequest::Uncle => Ok(Value::Null),
        BlockRequest::TransactionByHash(h) => {
            blocking(ctx, move |c| blocks::transaction_by_hash(&c.chain, h)).await
        }
        BlockRequest::TransactionByBlockAndIndex(at, i) => {
            read_at(ctx, client, at, move |c| {
                blocks::transaction_by_block_and_index(&c.chain, at, i)
            })
            .await
        }
        BlockRequest::Receipt(h) => blocking(ctx, move |c| blocks::receipt(&c.chain, h)).await,
        BlockRequest::Receipts(at) => {
            read_at(ctx, client, at, move |c| {
                blocks::block_receipts_at(&c.chain, at)
            })
            .await
        }
        BlockRequest::Logs(f) => heavy(ctx, client, move |c| logs::logs(&c.chain, &f, false)).await,
    }
}

/// Account state at a block, and proofs of it.
async fn state(ctx: &Arc<Ctx>, r: StateRequest, client: &Client) -> Result<Value, RpcError> {
    match r {
        StateRequest::Balance(a, at) => {
            read_at(ctx, client, at, move |c| state::balance(&c.chain, a, at)).await
        }
        // At `pending` the nonce comes from the pool, not a built block.
        StateRequest::Nonce(a, at) => blocking(ctx, move |c| state::nonce(&c.chain, a, at)).await,
        StateRequest::Code(a, at) => {
            read_at(ctx, client, at, move |c| state::code(&c.chain, a, at)).await
        }
        StateRequest::StorageAt(a, slot, at) => {
            read_at(ctx, client, at, move |c| {
                state::storage_at(&c.chain, a, slot, at)
            })
            .await
        }
        StateRequest::Proof(a, slots, at) => {
            blocking(ctx, move |c| state::proof(&c.chain, a, slots, at)).await
        }
    }
}

/// Execution, submission and signing (`personal_sign` too).
async fn exec(ctx: &Arc<Ctx>, r: ExecRequest, client: &Client) -> Result<Value, RpcError> {
    let chain = &ctx.chain;
    match r {
        ExecRequest::Call(req, at) => {
            heavy(ctx, client, move |c| send::call(&c.chain, &req, at)).await
        }
        ExecRequest::CreateAccessList(req, at) => {
            heavy(ctx, client, move |c| {
                send::create_access_list(&c.chain, &req, at)
            })
            .await
        }
        ExecRequest::EstimateGas(req, at) => {
            heavy(ctx, client, move |c| send::estimate_gas(&c.chain, &req, at)).await
        }
        ExecRequest::SendRawTransaction(raw) => answer(send::send_raw(chain, raw.0).await?),
        ExecRequest::PersonalSign { address, message } => {
            answer(sign::personal_sign(chain, address, &message)?)
        }
        ExecRequest::SignTypedData(address, data) => {
            answer(sign::typed_data(chain, address, data)?)
        }
        ExecRequest::SignTransaction(req) => {
            let gas = gas_for(ctx, client, &req).await?;
            answer(send::sign_only(chain, req, gas)?)
        }
        ExecRequest::SendTransaction(req) => {
            let gas = gas_for(ctx, client, &req).await?;
            answer(send::send_transaction(chain, req, gas).await?)
        }
    }
}

/// Polling filters, and subscriptions (WebSocket only).
async fn filters(
    ctx: &Arc<Ctx>,
    r: FilterRequest,
    conn: Option<&Arc<Connection>>,
    client: &Client,
) -> Result<Value, RpcError> {
    let chain = &ctx.chain;
    match r {
        FilterRequest::NewFilter(f) => answer(ctx.filters.new_log_filter(chain, f)?),
        FilterRequest::NewBlockFilter => answer(ctx.filters.new_block_filter(chain)?),
        FilterRequest::NewPendingTransactionFilter => {
            answer(ctx.filters.new_pending_filter(chain)?)
        }
        FilterRequest::Changes(id) => {
            heavy(ctx, client, move |c| c.filters.changes(&c.chain, id)).await
        }
        FilterRequest::Logs(id) => heavy(ctx, client, move |c| c.filters.logs(&c.chain, id)).await,
        FilterRequest::Uninstall(id) => answer(ctx.filters.uninstall(id)),
        FilterRequest::Subscribe(params) => match conn {
            Some(conn) => conn.subscribe(ctx, params),
            None => Err(notifications_unsupported()),
        },
        FilterRequest::Unsubscribe(params) => match conn {
            Some(conn) => answer(conn.unsubscribe(params.req::<Q256>(0)?.0)),
            None => Err(notifications_unsupported()),
        },
    }
}

/// `txpool_*`: pool inspection, from memory.
fn pool(chain: &Chain, r: PoolRequest) -> Result<Value, RpcError> {
    match r {
        PoolRequest::Status => answer(txpool::status(chain)),
        PoolRequest::Content => answer(txpool::content(chain)),
        PoolRequest::ContentFrom(a) => answer(txpool::content_from(chain, a)),
        PoolRequest::Inspect => answer(txpool::inspect(chain)),
    }
}

fn notifications_unsupported() -> RpcError {
    RpcError::new(
        crate::error::NOTIFICATIONS_UNSUPPORTED,
        "notifications not supported",
    )
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
