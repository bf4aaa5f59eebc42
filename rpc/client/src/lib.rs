//! A small typed JSON-RPC client for orac nodes (and any Ethereum node).
//!
//! * [`Client`]: reads and calls with typed answers ([`Block`],
//!   [`Receipt`], [`Log`]), a bounded answer size and a timeout, reverts
//!   decoded as geth prints them ([`decode_revert_reason`]).
//! * [`Wallet`]: a key bound to a client that signs EIP-1559 transactions
//!   with its own nonce bookkeeping, sends them and waits for receipts.
//! * [`Client::batch`] and [`Batch`]: many calls in one request, the
//!   answers in request order (load generators, bookkeeping over many
//!   accounts).
//!
//! The endpoint is outside the caller's process, so every answer is
//! checked before use and a failure is a [`ClientError`], never a panic.

mod batch;
mod error;
mod types;
mod wallet;

use std::time::Duration;

use orac_primitives::{Address, Bytes, H256, U256};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub use batch::{Batch, BatchAnswer, RpcErrorObject};
pub use error::ClientError;
pub use orac_primitives::revert::decode_revert_reason;
pub use types::{Block, CallRequest, Log, LogFilter, Receipt};
pub use wallet::Wallet;

/// Longest wait for one answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read (a wide log query is the biggest a caller makes).
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// geth's code for a reverted call.
const EXECUTION_REVERTED: i64 = 3;

/// A JSON-RPC endpoint. Cloning is cheap and shares the connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    url: reqwest::Url,
    max_response_bytes: usize,
}

impl Client {
    /// A client for `url` with [`DEFAULT_TIMEOUT`].
    pub fn new(url: &str) -> Result<Self, ClientError> {
        Self::with_timeout(url, DEFAULT_TIMEOUT)
    }

    /// A client for `url` that gives up on an answer after `timeout` (a
    /// deploy or a load test waits longer than a read).
    pub fn with_timeout(url: &str, timeout: Duration) -> Result<Self, ClientError> {
        let bad = |detail: String| ClientError::Unreachable {
            method: "connect".into(),
            detail,
        };
        let url = reqwest::Url::parse(url).map_err(|e| bad(format!("{url}: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            http,
            url,
            max_response_bytes: MAX_RESPONSE_BYTES,
        })
    }

    /// The same client reading answers of up to `bytes` instead of
    /// [`MAX_RESPONSE_BYTES`] (a batch of block receipts can be larger).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The endpoint this client talks to.
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// One request, its result decoded as `T`.
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, ClientError> {
        let v = self.raw(method, params).await?;
        serde_json::from_value(v.clone())
            .map_err(|e| ClientError::unexpected(method, format!("{e} in {v}")))
    }

    /// One request, its result as JSON. A revert (geth's code 3) comes back
    /// as [`ClientError::Reverted`] with its data and decoded reason.
    pub async fn raw(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let mut v = self.post(method, body.to_string()).await?;
        if let Some(err) = v.get("error") {
            return Err(rpc_error(method, err));
        }
        match v.get_mut("result") {
            Some(r) => Ok(r.take()),
            None => Err(ClientError::unexpected(method, "neither result nor error")),
        }
    }

    /// Posts a JSON body and reads the JSON answer, at most
    /// `max_response_bytes` of it. `method` names the request in errors.
    async fn post(&self, method: &str, body: String) -> Result<Value, ClientError> {
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            method: method.into(),
            detail: error_chain(&e),
        };
        let mut resp = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(unreachable)?;
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
            if bytes.len() + chunk.len() > self.max_response_bytes {
                return Err(ClientError::unexpected(
                    method,
                    format!("an answer over {} bytes", self.max_response_bytes),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::unexpected(method, format!("not JSON ({e})")))
    }

    /// The chain id (`eth_chainId`), which transactions must be signed for.
    pub async fn chain_id(&self) -> Result<u64, ClientError> {
        self.quantity("eth_chainId", json!([])).await
    }

    /// The latest block's number.
    pub async fn block_number(&self) -> Result<u64, ClientError> {
        self.quantity("eth_blockNumber", json!([])).await
    }

    /// The block at `tag` ("latest", "pending", "0x1f", …), if it exists.
    pub async fn block(&self, tag: &str) -> Result<Option<Block>, ClientError> {
        self.request("eth_getBlockByNumber", json!([tag, false]))
            .await
    }

    /// The latest block (always exists).
    pub async fn latest(&self) -> Result<Block, ClientError> {
        self.block("latest")
            .await?
            .ok_or_else(|| ClientError::unexpected("eth_getBlockByNumber", "no latest block"))
    }

    /// `who`'s balance at the latest block, in wei.
    pub async fn balance(&self, who: Address) -> Result<U256, ClientError> {
        self.request("eth_getBalance", json!([who, "latest"])).await
    }

    /// The nonce of `who`'s next transaction, counting its pooled ones.
    pub async fn pending_nonce(&self, who: Address) -> Result<u64, ClientError> {
        self.quantity("eth_getTransactionCount", json!([who, "pending"]))
            .await
    }

    /// The code deployed at `who` (empty for an account without code).
    pub async fn code(&self, who: Address) -> Result<Bytes, ClientError> {
        self.request("eth_getCode", json!([who, "latest"])).await
    }

    /// `eth_call` at the latest block: the return data, or
    /// [`ClientError::Reverted`].
    pub async fn call(&self, req: &CallRequest) -> Result<Bytes, ClientError> {
        self.request("eth_call", json!([req, "latest"])).await
    }

    /// The gas `req` would use as a transaction; a revert is
    /// [`ClientError::Reverted`].
    pub async fn estimate_gas(&self, req: &CallRequest) -> Result<u64, ClientError> {
        self.quantity("eth_estimateGas", json!([req])).await
    }

    /// The node's suggested priority fee.
    pub async fn max_priority_fee(&self) -> Result<U256, ClientError> {
        self.request("eth_maxPriorityFeePerGas", json!([])).await
    }

    /// Submits a signed transaction; its hash.
    pub async fn send_raw(&self, raw: &[u8]) -> Result<H256, ClientError> {
        let hex = format!("0x{}", hex::encode(raw));
        self.request("eth_sendRawTransaction", json!([hex])).await
    }

    /// `hash`'s receipt, or `None` while it is not mined.
    pub async fn receipt(&self, hash: H256) -> Result<Option<Receipt>, ClientError> {
        self.request("eth_getTransactionReceipt", json!([hash]))
            .await
    }

    /// Polls for `hash`'s receipt for up to `wait`.
    pub async fn wait_for_receipt(
        &self,
        hash: H256,
        wait: Duration,
    ) -> Result<Receipt, ClientError> {
        let start = tokio::time::Instant::now();
        loop {
            if let Some(r) = self.receipt(hash).await? {
                return Ok(r);
            }
            if start.elapsed() >= wait {
                return Err(ClientError::NotMined {
                    hash: format!("{hash:?}"),
                    waited_ms: wait.as_millis(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The logs matching `filter`.
    pub async fn logs(&self, filter: &LogFilter) -> Result<Vec<Log>, ClientError> {
        self.request("eth_getLogs", json!([filter.to_json()])).await
    }

    async fn quantity(&self, method: &str, params: Value) -> Result<u64, ClientError> {
        let v = self.raw(method, params).await?;
        v.as_str()
            .and_then(types::parse_quantity)
            .ok_or_else(|| ClientError::unexpected(method, &v))
    }
}

/// `e` and its sources, joined: reqwest's own message alone ("error
/// sending request") hides whether the connection was refused or timed out.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// A JSON-RPC error object as a [`ClientError`].
fn rpc_error(method: &str, err: &Value) -> ClientError {
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no message")
        .to_string();
    let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
    if code == EXECUTION_REVERTED || message.starts_with("execution reverted") {
        let data = err
            .get("data")
            .and_then(Value::as_str)
            .and_then(|s| orac_primitives::from_hex(s).ok())
            .unwrap_or_default();
        let reason = decode_revert_reason(&data).unwrap_or_else(|| {
            message
                .strip_prefix("execution reverted: ")
                .unwrap_or(&message)
                .to_string()
        });
        return ClientError::Reverted { reason, data };
    }
    ClientError::Rpc {
        method: method.into(),
        code,
        message,
    }
}
