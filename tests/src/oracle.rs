//! Helpers for the oracle end-to-end tests: `orac oracle` processes, the
//! registry read and written over JSON-RPC, against a dev node
//! ([`crate::Node`]) or any node of a network ([`Endpoint`]).
//!
//! Nothing here assumes a block is mined when a transaction is sent:
//! [`Sender::send`] polls for its receipt, so the same calls work against
//! a dev node that mines at once and against validators that decide a
//! block about once a second.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy_sol_types::SolCall;
use orac_oracle::REGISTRY;
use orac_oracle::abi::IOracleRegistry as I;
use orac_primitives::{Address, PrivateKey};
use serde_json::{Value, json};

use crate::{Node, hex0x, qty, signed_tx, try_call};

/// How long a sent transaction may take to get a receipt.
pub const RECEIPT_WAIT: Duration = Duration::from_secs(60);

/// A port nothing listens on right now (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A JSON-RPC endpoint: `Err` carries the JSON-RPC error object; a
/// transport failure panics.
pub trait Rpc {
    /// One JSON-RPC call.
    fn call(&self, method: &str, params: Value) -> Result<Value, Value>;

    /// A call that must succeed.
    fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params)
            .unwrap_or_else(|e| panic!("{method} failed: {e}"))
    }
}

impl Rpc for Node {
    fn call(&self, method: &str, params: Value) -> Result<Value, Value> {
        Node::call(self, method, params)
    }
}

/// A node known by its URL only (a validator of a
/// [`crate::network::Testnet`]).
pub struct Endpoint {
    /// JSON-RPC over HTTP.
    pub url: String,
    client: reqwest::blocking::Client,
}

impl Endpoint {
    /// The node at `url`.
    pub fn new(url: &str) -> Endpoint {
        Endpoint {
            url: url.to_string(),
            client: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("http client"),
        }
    }
}

impl Rpc for Endpoint {
    fn call(&self, method: &str, params: Value) -> Result<Value, Value> {
        try_call(&self.client, &self.url, method, params)
            .unwrap_or_else(|e| panic!("{method} to {}: {e}", self.url))
    }
}

/// An account sending transactions through one node.
pub struct Sender<'a, R: Rpc + ?Sized> {
    /// The node it sends through.
    pub node: &'a R,
    /// Its key.
    pub key: PrivateKey,
}

impl<R: Rpc + ?Sized> Sender<'_, R> {
    /// Sends a transaction (nonce from the node's pending state) and waits
    /// for its receipt, which must report success.
    pub fn send(&self, to: Option<Address>, value: u64, data: Vec<u8>, gas: u64) -> Value {
        let me = format!("{:?}", self.key.address());
        let nonce = qty(&self
            .node
            .ok("eth_getTransactionCount", json!([me, "pending"]))) as u64;
        let hash = self.node.ok(
            "eth_sendRawTransaction",
            json!([signed_tx(&self.key, nonce, to, value, data, gas)]),
        );
        let receipt = wait_for_receipt(self.node, &hash);
        assert_eq!(receipt["status"], "0x1", "{receipt}");
        receipt
    }
}

/// Polls `node` for `hash`'s receipt for up to [`RECEIPT_WAIT`].
pub fn wait_for_receipt<R: Rpc + ?Sized>(node: &R, hash: &Value) -> Value {
    let deadline = Instant::now() + RECEIPT_WAIT;
    loop {
        let receipt = node.ok("eth_getTransactionReceipt", json!([hash]));
        if !receipt.is_null() {
            return receipt;
        }
        assert!(
            Instant::now() < deadline,
            "no receipt for {hash} within {RECEIPT_WAIT:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `eth_call` of `call` to `to` at the latest block.
pub fn view_at<R: Rpc + ?Sized, C: SolCall>(
    node: &R,
    to: Address,
    call: &C,
) -> Result<C::Return, Value> {
    node.call(
        "eth_call",
        json!([{"to": format!("{to:?}"), "data": hex0x(&call.abi_encode())}, "latest"]),
    )
    .map(|v| {
        let bytes = hex::decode(v.as_str().unwrap().trim_start_matches("0x")).unwrap();
        C::abi_decode_returns(&bytes).unwrap()
    })
}

/// `eth_call` of `call` to the registry.
pub fn view<R: Rpc + ?Sized, C: SolCall>(node: &R, call: &C) -> Result<C::Return, Value> {
    view_at(node, REGISTRY, call)
}

/// Feed 1's latest round: (round id, answer).
pub fn latest<R: Rpc + ?Sized>(node: &R) -> Option<(u64, i128)> {
    view(node, &I::latestRoundCall { feedId: 1 })
        .ok()
        .map(|r| (r.roundId, i128::try_from(r.answer).unwrap()))
}

/// Polls until `done(latest round)` (of feed 1) holds, for up to `within`.
pub fn wait_for_latest<R: Rpc + ?Sized>(
    node: &R,
    what: &str,
    within: Duration,
    done: impl Fn(u64, i128) -> bool,
) -> (u64, i128) {
    let deadline = Instant::now() + within;
    loop {
        if let Some(l) = latest(node)
            && done(l.0, l.1)
        {
            return l;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not land within {within:?}; latest {:?}",
            latest(node)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits for feed 1 to reach round `round` (or a later one).
pub fn wait_for_round<R: Rpc + ?Sized>(node: &R, round: u64, within: Duration) -> (u64, i128) {
    wait_for_latest(node, &format!("round {round}"), within, |r, _| r >= round)
}

/// Every log of `address` whose first topic is `topic`.
pub fn logs_at<R: Rpc + ?Sized>(node: &R, address: Address, topic: [u8; 32]) -> Vec<Value> {
    node.ok(
        "eth_getLogs",
        json!([{"address": format!("{address:?}"), "fromBlock": "0x0", "toBlock": "latest",
                "topics": [hex0x(&topic)]}]),
    )
    .as_array()
    .unwrap()
    .clone()
}

/// Every registry log whose first topic is `topic`.
pub fn logs_of<R: Rpc + ?Sized>(node: &R, topic: [u8; 32]) -> Vec<Value> {
    logs_at(node, REGISTRY, topic)
}

/// An `orac oracle --config FILE` process, killed when dropped.
pub struct Oracle {
    child: Child,
    /// The port of its HTTP endpoint (peers, `/status`, `/metrics`).
    pub port: u16,
}

impl Oracle {
    /// Starts `orac oracle --config CONFIG` with its key (hex) in
    /// `ORAC_ORACLE_KEY` and `env` set; it listens on `port` (as its
    /// config or env says).
    pub fn start(config: &Path, key_hex: &str, env: &[(String, String)], port: u16) -> Oracle {
        let child = Command::new(crate::orac_bin())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .args(["oracle", "--config"])
            .arg(config)
            .env("ORAC_ORACLE_KEY", key_hex)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start orac oracle");
        Oracle { child, port }
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `/status` of the oracle node listening on `port`.
pub fn status_of(port: u16) -> Value {
    reqwest::blocking::get(format!("http://127.0.0.1:{port}/status"))
        .unwrap()
        .json()
        .unwrap()
}
