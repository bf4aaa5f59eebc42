//! The HTTP + WebSocket server: JSON-RPC 2.0 on one port, with limits on
//! body size, batch length, and subscriptions per connection. Anything a
//! client sends gets a JSON-RPC answer; nothing a client sends stops the
//! server for anyone else.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::future::join_all;
use orac_chain::Chain;
use serde_json::{Value, json};
use tower_http::cors::CorsLayer;

use crate::dispatch::{Ctx, dispatch};
use crate::error::RpcError;
use crate::filters::Filters;
use crate::load::{Client, Heavy};
use crate::params::Params;
use crate::ws::{Connection, serve_socket};

/// Request limits, each with the reason it exists.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest HTTP body or WebSocket message (geth: 5 MiB). Bounds memory
    /// per request; a raw transaction is at most 128 KiB.
    pub max_body: usize,
    /// Most calls in one batch (geth: 1000). Bounds work per request.
    pub max_batch: usize,
    /// Most live subscriptions per WebSocket connection.
    pub max_subscriptions: usize,
    /// Most polling filters alive at once, over all clients.
    pub max_filters: usize,
    /// Heavy requests (executions, log queries: see `load`) running at
    /// once. Each takes a CPU; the rest of the machine serves cheap reads.
    pub heavy_slots: usize,
    /// Heavy requests waiting for a slot, node-wide; past it they are
    /// answered "server busy" at once.
    pub max_heavy_queued: usize,
    /// Longest a heavy request waits for a slot (geth's `RPCEVMTimeout`
    /// is 5 s of execution; execution itself is bounded by the gas cap).
    pub heavy_wait: Duration,
    /// Time an HTTP request (a batch) has for its heavy calls; those not
    /// started by then are answered "server busy" (geth's HTTP write
    /// timeout is 30 s).
    pub batch_budget: Duration,
    /// Requests one WebSocket connection has in flight; its reader waits
    /// past that, so a pipelining client slows itself down.
    pub max_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body: 5 * 1024 * 1024,
            max_batch: 1000,
            max_subscriptions: 128,
            max_filters: 10_000,
            heavy_slots: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(orac_chain::MAX_CONCURRENT_CALLS),
            max_heavy_queued: 256,
            heavy_wait: Duration::from_secs(5),
            batch_budget: Duration::from_secs(30),
            max_in_flight: 32,
        }
    }
}

/// How the server is set up.
#[derive(Clone, Debug)]
pub struct RpcConfig {
    /// Bounds on request size, batches, filters, subscriptions and heavy work.
    pub limits: Limits,
    /// What `web3_clientVersion` answers.
    pub client_version: String,
    /// Serve `anvil_*`, `hardhat_*` and `evm_*` (state and time edits):
    /// for dev chains only.
    pub dev_methods: bool,
}

#[derive(Clone)]
struct AppState {
    ctx: Arc<Ctx>,
    limits: Limits,
}

/// Builds the router serving `chain`.
pub fn router(chain: Arc<Chain>, config: RpcConfig) -> Router {
    let limits = config.limits;
    let ctx = Arc::new(Ctx {
        chain,
        filters: Filters::new(limits.max_filters),
        client_version: config.client_version,
        dev_methods: config.dev_methods,
        heavy: Heavy::new(&limits),
    });
    // Polling filters nobody polls expire on a timer, not only when the
    // next one is installed (REPRO L6).
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        let weak = Arc::downgrade(&ctx);
        rt.spawn(async move {
            let mut tick = tokio::time::interval(crate::filters::FILTER_TIMEOUT / 5);
            loop {
                tick.tick().await;
                let Some(ctx) = weak.upgrade() else { return };
                ctx.filters.expire();
            }
        });
    }
    let state = AppState {
        ctx,
        limits: limits.clone(),
    };
    Router::new()
        .route("/", get(ws_or_info).post(http_rpc))
        .layer(DefaultBodyLimit::max(limits.max_body))
        .layer(CorsLayer::permissive())
        .with_state(state)
}

/// Binds `addr` and serves until `shutdown` resolves. Returns the bound
/// address (useful with port 0) through `on_bound` before serving.
pub async fn serve(
    chain: Arc<Chain>,
    addr: SocketAddr,
    config: RpcConfig,
    on_bound: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    on_bound(listener.local_addr()?);
    axum::serve(listener, router(chain, config))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn http_rpc(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return json_response(
            error_object(Value::Null, RpcError::parse("body is not UTF-8")).to_string(),
        );
    };
    match handle_text(&state.ctx, text, None, &state.limits).await {
        Some(reply) => json_response(reply),
        // Only notifications: nothing to say.
        None => StatusCode::OK.into_response(),
    }
}

async fn ws_or_info(
    State(state): State<AppState>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    match upgrade {
        Ok(ws) => {
            let limits = state.limits.clone();
            ws.max_message_size(limits.max_body)
                .on_upgrade(move |socket| serve_socket(state.ctx, socket, limits))
        }
        Err(_) => (
            StatusCode::OK,
            "orac JSON-RPC: POST JSON-RPC 2.0 here, or connect a WebSocket\n",
        )
            .into_response(),
    }
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error_object(id: Value, e: RpcError) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": e })
}

/// Parses and answers one message (single call or batch). `None` when the
/// message held only notifications.
pub(crate) async fn handle_text(
    ctx: &Arc<Ctx>,
    text: &str,
    conn: Option<&Arc<Connection>>,
    limits: &Limits,
) -> Option<String> {
    let client = match conn {
        Some(c) => c.client.clone(),
        None => Client::request(limits.batch_budget),
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Some(error_object(Value::Null, RpcError::parse(e)).to_string()),
    };
    match value {
        Value::Array(calls) => {
            if calls.is_empty() {
                return Some(
                    error_object(Value::Null, RpcError::invalid_request("empty batch")).to_string(),
                );
            }
            if calls.len() > limits.max_batch {
                return Some(
                    error_object(
                        Value::Null,
                        RpcError::new(
                            crate::error::LIMIT_EXCEEDED,
                            format!(
                                "batch too large: {} calls, limit {}",
                                calls.len(),
                                limits.max_batch
                            ),
                        ),
                    )
                    .to_string(),
                );
            }
            let replies: Vec<Value> = join_all(
                calls
                    .into_iter()
                    .map(|c| handle_call(ctx, c, conn, &client)),
            )
            .await
            .into_iter()
            .flatten()
            .collect();
            if replies.is_empty() {
                None
            } else {
                Some(Value::Array(replies).to_string())
            }
        }
        single => handle_call(ctx, single, conn, &client)
            .await
            .map(|v| v.to_string()),
    }
}

async fn handle_call(
    ctx: &Arc<Ctx>,
    call: Value,
    conn: Option<&Arc<Connection>>,
    client: &Client,
) -> Option<Value> {
    let Value::Object(mut obj) = call else {
        return Some(error_object(
            Value::Null,
            RpcError::invalid_request("invalid request"),
        ));
    };
    let id = obj.remove("id");
    let is_notification = id.is_none();
    let id = id.unwrap_or(Value::Null);
    if !matches!(id, Value::Null | Value::Number(_) | Value::String(_)) {
        return Some(error_object(
            Value::Null,
            RpcError::invalid_request("invalid request id"),
        ));
    }
    if let Some(v) = obj.get("jsonrpc")
        && v != "2.0"
    {
        return Some(error_object(
            id,
            RpcError::invalid_request("invalid request: jsonrpc must be \"2.0\""),
        ));
    }
    let Some(Value::String(method)) = obj.remove("method") else {
        return Some(error_object(
            id,
            RpcError::invalid_request("invalid request: no method"),
        ));
    };
    let params = Params::new(obj.remove("params"));
    let result = dispatch(ctx, &method, params, conn, client).await;
    if is_notification {
        return None;
    }
    Some(match result {
        Ok(v) => json!({ "jsonrpc": "2.0", "id": id, "result": v }),
        Err(e) => error_object(id, e),
    })
}
