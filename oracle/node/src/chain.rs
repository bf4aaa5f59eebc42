//! The chain, as an oracle node sees it: a JSON-RPC endpoint. Reads the
//! registry through `eth_call`, and sends signed EIP-1559 transactions with
//! its own nonce bookkeeping.
//!
//! Every call has a timeout and every answer is checked before use: the
//! RPC endpoint is outside the node and may be down, slow or wrong.

use std::time::Duration;

use orac_primitives::{Bytes, H160, H256, PrivateKey, Transaction, TxType, U256};
use reqwest::Url;
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// Longest wait for one RPC answer.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest RPC answer read (a log query is the biggest the node makes).
pub const MAX_RPC_RESPONSE: usize = 4 * 1024 * 1024;
/// Priority fee offered when the node cannot ask for one: 1 gwei.
const DEFAULT_TIP: u64 = 1_000_000_000;

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("RPC {0} unreachable: {1}")]
    Unreachable(String, String),
    #[error("RPC {method} failed: {message}")]
    Rpc { method: String, message: String },
    /// The call or transaction would revert, with the reason.
    #[error("reverted: {0}")]
    Reverted(String),
    #[error("RPC {method} answered something unexpected: {what}")]
    Unexpected { method: String, what: String },
}

/// A JSON-RPC client bound to one node key.
pub struct Chain {
    http: reqwest::Client,
    url: Url,
    key: PrivateKey,
    chain_id: u64,
    /// The next nonce to use, once known; refreshed from the chain when a
    /// send fails (the node may have restarted or another process may use
    /// the key).
    nonce: Mutex<Option<u64>>,
}

impl Chain {
    /// Connects and learns the chain id.
    pub async fn connect(url: Url, key: PrivateKey) -> Result<Self, ChainError> {
        let http = reqwest::Client::builder()
            .timeout(RPC_TIMEOUT)
            .build()
            .map_err(|e| ChainError::Unreachable(url.to_string(), e.to_string()))?;
        let mut chain = Self {
            http,
            url,
            key,
            chain_id: 0,
            nonce: Mutex::new(None),
        };
        chain.chain_id = hex_u64("eth_chainId", &chain.rpc("eth_chainId", json!([])).await?)?;
        Ok(chain)
    }

    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    pub fn address(&self) -> H160 {
        self.key.address()
    }

    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// One JSON-RPC request; a revert (geth's code 3, or a message saying
    /// so) comes back as [`ChainError::Reverted`].
    pub async fn rpc(&self, method: &str, params: Value) -> Result<Value, ChainError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let unreachable = |e: reqwest::Error| ChainError::Unreachable(method.into(), e.to_string());
        let mut resp = self
            .http
            .post(self.url.clone())
            .json(&body)
            .send()
            .await
            .map_err(unreachable)?;
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
            if bytes.len() + chunk.len() > MAX_RPC_RESPONSE {
                return Err(ChainError::Unexpected {
                    method: method.into(),
                    what: format!("an answer over {MAX_RPC_RESPONSE} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| ChainError::Unexpected {
            method: method.into(),
            what: format!("not JSON ({e})"),
        })?;
        if let Some(err) = v.get("error") {
            let message = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_string();
            if err.get("code").and_then(Value::as_i64) == Some(3)
                || message.starts_with("execution reverted")
            {
                let reason = message
                    .strip_prefix("execution reverted: ")
                    .unwrap_or(&message);
                return Err(ChainError::Reverted(reason.to_string()));
            }
            return Err(ChainError::Rpc {
                method: method.into(),
                message,
            });
        }
        Ok(v.get("result").cloned().unwrap_or(Value::Null))
    }

    /// `eth_call` from this node's address.
    pub async fn call(&self, to: H160, data: &[u8]) -> Result<Vec<u8>, ChainError> {
        let v = self
            .rpc(
                "eth_call",
                json!([{"from": self.address(), "to": to, "data": hex_bytes(data)}, "latest"]),
            )
            .await?;
        parse_bytes("eth_call", &v)
    }

    /// The latest block's number and timestamp.
    pub async fn head(&self) -> Result<(u64, u64), ChainError> {
        let b = self
            .rpc("eth_getBlockByNumber", json!(["latest", false]))
            .await?;
        let field = |name: &str| hex_u64("eth_getBlockByNumber", &b[name]);
        Ok((field("number")?, field("timestamp")?))
    }

    /// Logs of `address` with first topic `topic` in `[from, to]`.
    pub async fn logs(
        &self,
        address: H160,
        topic: H256,
        from: u64,
        to: u64,
    ) -> Result<Vec<Value>, ChainError> {
        let v = self
            .rpc(
                "eth_getLogs",
                json!([{"address": address, "topics": [topic],
                        "fromBlock": format!("{from:#x}"), "toBlock": format!("{to:#x}")}]),
            )
            .await?;
        v.as_array().cloned().ok_or_else(|| ChainError::Unexpected {
            method: "eth_getLogs".into(),
            what: "not a list".into(),
        })
    }

    /// Sends `data` to `to` as a transaction and reports whether it
    /// succeeded (see [`Chain::send_tx`]).
    pub async fn send(
        &self,
        to: H160,
        data: Vec<u8>,
        wait: Duration,
    ) -> Result<(H256, bool), ChainError> {
        let (hash, receipt) = self.send_tx(Some(to), U256::zero(), data, wait).await?;
        let ok = hex_u64("eth_getTransactionReceipt", &receipt["status"])? == 1;
        Ok((hash, ok))
    }

    /// Sends a transaction (`to: None` creates a contract): estimates gas (a
    /// refusal comes back as [`ChainError::Reverted`] before anything is
    /// spent), signs with the next nonce, and waits up to `wait` for the
    /// receipt, which it returns with the hash.
    pub async fn send_tx(
        &self,
        to: Option<H160>,
        value: U256,
        data: Vec<u8>,
        wait: Duration,
    ) -> Result<(H256, Value), ChainError> {
        let mut request = json!({"from": self.address(), "data": hex_bytes(&data), "value": format!("{value:#x}")});
        if let Some(to) = to {
            request["to"] = json!(to);
        }
        let estimate = hex_u64(
            "eth_estimateGas",
            &self.rpc("eth_estimateGas", json!([request])).await?,
        )?;
        // Headroom (within the block's limit): a subscriber may use more gas
        // than it did in the estimate, and the 63/64 rule bites deeper when
        // it does.
        let (block_gas_limit, base_fee) = self.fees().await?;
        let gas_limit = (estimate + estimate / 4 + 50_000).min(block_gas_limit.max(estimate));
        let tip = self.tip().await?;
        let mut nonce_slot = self.nonce.lock().await;
        let nonce = match *nonce_slot {
            Some(n) => n,
            None => self.pending_nonce().await?,
        };
        let tx = Transaction {
            tx_type: TxType::DynamicFee,
            chain_id: Some(self.chain_id),
            nonce,
            max_priority_fee_per_gas: tip,
            max_fee_per_gas: base_fee.saturating_mul(U256::from(2)).saturating_add(tip),
            gas_limit,
            to,
            value,
            input: Bytes(data),
            access_list: vec![],
        }
        .sign(&self.key);
        let sent = self
            .rpc("eth_sendRawTransaction", json!([hex_bytes(tx.encoded())]))
            .await;
        let hash = match sent {
            Ok(v) => parse_h256("eth_sendRawTransaction", &v)?,
            Err(e) => {
                // Whatever went wrong, learn the nonce again next time.
                *nonce_slot = None;
                return Err(e);
            }
        };
        *nonce_slot = Some(nonce + 1);
        drop(nonce_slot);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let r = self.rpc("eth_getTransactionReceipt", json!([hash])).await?;
            if !r.is_null() {
                return Ok((hash, r));
            }
            if tokio::time::Instant::now() >= deadline {
                // Not mined in time: the nonce may be stuck; relearn it.
                *self.nonce.lock().await = None;
                return Err(ChainError::Unexpected {
                    method: "eth_getTransactionReceipt".into(),
                    what: format!("{hash:?} not mined within {wait:?}"),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn pending_nonce(&self) -> Result<u64, ChainError> {
        let v = self
            .rpc(
                "eth_getTransactionCount",
                json!([self.address(), "pending"]),
            )
            .await?;
        hex_u64("eth_getTransactionCount", &v)
    }

    /// The gas price a transaction sent now would pay: the latest base fee
    /// plus the tip [`Chain::send_tx`] offers.
    pub async fn gas_price(&self) -> Result<U256, ChainError> {
        let (_, base_fee) = self.fees().await?;
        Ok(base_fee.saturating_add(self.tip().await?))
    }

    /// The priority fee to offer: the node's suggestion, or 1 gwei.
    async fn tip(&self) -> Result<U256, ChainError> {
        match self.rpc("eth_maxPriorityFeePerGas", json!([])).await {
            Ok(v) => hex_u256("eth_maxPriorityFeePerGas", &v),
            Err(_) => Ok(U256::from(DEFAULT_TIP)),
        }
    }

    /// The latest block's gas limit and base fee.
    async fn fees(&self) -> Result<(u64, U256), ChainError> {
        let b = self
            .rpc("eth_getBlockByNumber", json!(["latest", false]))
            .await?;
        Ok((
            hex_u64("eth_getBlockByNumber", &b["gasLimit"])?,
            hex_u256("eth_getBlockByNumber", &b["baseFeePerGas"])?,
        ))
    }
}

fn hex_bytes(data: &[u8]) -> String {
    format!("0x{}", hex::encode(data))
}

fn unexpected(method: &str, v: &Value) -> ChainError {
    ChainError::Unexpected {
        method: method.into(),
        what: format!("{v}"),
    }
}

fn hex_u64(method: &str, v: &Value) -> Result<u64, ChainError> {
    v.as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .and_then(|s| u64::from_str_radix(s, 16).ok())
        .ok_or_else(|| unexpected(method, v))
}

fn hex_u256(method: &str, v: &Value) -> Result<U256, ChainError> {
    v.as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .and_then(|s| U256::from_str_radix(s, 16).ok())
        .ok_or_else(|| unexpected(method, v))
}

fn parse_bytes(method: &str, v: &Value) -> Result<Vec<u8>, ChainError> {
    v.as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .and_then(|s| hex::decode(s).ok())
        .ok_or_else(|| unexpected(method, v))
}

fn parse_h256(method: &str, v: &Value) -> Result<H256, ChainError> {
    let b = parse_bytes(method, v)?;
    if b.len() != 32 {
        return Err(unexpected(method, v));
    }
    Ok(H256::from_slice(&b))
}

/// The bytes of a log's `data` field.
pub fn log_data(log: &Value) -> Option<Vec<u8>> {
    parse_bytes("eth_getLogs", &log["data"]).ok()
}

/// A log's topics.
pub fn log_topics(log: &Value) -> Option<Vec<H256>> {
    log["topics"]
        .as_array()?
        .iter()
        .map(|t| parse_h256("eth_getLogs", t).ok())
        .collect()
}
