//! The whole JSON-RPC path: request bodies POSTed to `orac_rpc::router`
//! (axum, driven with tower's `oneshot`, no socket) serving a real
//! `Chain` opened in a temporary directory — parsing, batches, dispatch,
//! every method's parameters, and what the chain does with them
//! (`eth_call` into the oracle registry with mutated calldata and
//! reports, raw transactions through admission, log queries, proofs).
//!
//! The chain is the dev spec (funded accounts) served as a production
//! node would be: no dev methods, no node-held keys. Before fuzzing it
//! holds a feed (created by a real transaction) with one transmitted
//! round, so registry reads and reports have something to act on.
//!
//! Properties:
//!
//! * the server answers every body with HTTP 200 and JSON-RPC: one reply
//!   per request that has an id, in a batch an array of them, each with
//!   `"jsonrpc": "2.0"`, the request's id, and either a result or an
//!   error with an integer code and a string message; a body that is not
//!   JSON gets -32700 with a null id;
//! * no reply is an internal error (-32603: a storage failure, or a
//!   handler that panicked);
//! * nothing panics, on this thread or on the runtime's;
//! * the node keeps serving: every 1,000 inputs, `eth_blockNumber` and a
//!   balance read still answer.

use orac_primitives::alloy::ToAlloy;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{FixedBytes, I256};
use alloy_sol_types::SolCall;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use orac_bench::vmkit::Rng;
use orac_chain::dev::{DEV_MNEMONIC, derive_keys};
use orac_chain::pool::PoolConfig;
use orac_chain::{Chain, ChainConfig, ChainSpec, MiningMode};
use orac_oracle::Kind;
use orac_oracle::REGISTRY;
use orac_oracle::abi::{FeedParams, IOracleRegistry as I};
use orac_primitives::{Address, H256, PrivateKey, RecoveredTx, Transaction, U256};
use orac_rpc::{Limits, RpcConfig};
use orac_state::DbConfig;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::params::mutate_request;
use super::report::{OracleFixture, T0};
use crate::harness::Target;

/// Every method orac serves, some it does not, and dev methods (refused
/// here: the node is not a dev node).
pub(crate) const METHOD_NAMES: &[&str] = &[
    "web3_clientVersion",
    "web3_sha3",
    "net_version",
    "net_listening",
    "net_peerCount",
    "eth_chainId",
    "eth_syncing",
    "eth_mining",
    "eth_hashrate",
    "eth_coinbase",
    "eth_accounts",
    "eth_blockNumber",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_feeHistory",
    "eth_getBlockByNumber",
    "eth_getBlockByHash",
    "eth_getBlockTransactionCountByNumber",
    "eth_getBlockTransactionCountByHash",
    "eth_getUncleCountByBlockNumber",
    "eth_getUncleByBlockNumberAndIndex",
    "eth_getTransactionByHash",
    "eth_getTransactionByBlockNumberAndIndex",
    "eth_getTransactionByBlockHashAndIndex",
    "eth_getTransactionReceipt",
    "eth_getBlockReceipts",
    "eth_getLogs",
    "eth_getBalance",
    "eth_getTransactionCount",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_getProof",
    "eth_call",
    "eth_estimateGas",
    "eth_sendRawTransaction",
    "eth_sendTransaction",
    "eth_newFilter",
    "eth_newBlockFilter",
    "eth_getFilterChanges",
    "eth_getFilterLogs",
    "eth_uninstallFilter",
    "eth_subscribe",
    "eth_unsubscribe",
    "txpool_status",
    "txpool_content",
    "txpool_contentFrom",
    "txpool_inspect",
    "eth_newPendingTransactionFilter",
    "eth_sign",
    "personal_sign",
    "eth_signTypedData_v4",
    "eth_signTransaction",
    "evm_mine",
    "anvil_setBalance",
    "",
];

/// Keys worth adding to request and parameter objects.
pub(crate) const FIELD_NAMES: &[&str] = &[
    "jsonrpc",
    "id",
    "method",
    "params",
    "from",
    "to",
    "gas",
    "gasPrice",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
    "value",
    "data",
    "input",
    "nonce",
    "type",
    "chainId",
    "accessList",
    "address",
    "storageKeys",
    "blockHash",
    "blockNumber",
    "fromBlock",
    "toBlock",
    "topics",
    "timestamp",
    "blocks",
    // EIP-712 typed data.
    "types",
    "primaryType",
    "domain",
    "message",
    "name",
    "EIP712Domain",
    "Mail",
];

/// Strings worth substituting into typed data: type names, recursive
/// and array ones among them.
pub(crate) const TYPE_STRINGS: &[&str] = &[
    "Mail",
    "Mail[]",
    "Person",
    "Person[2]",
    "Person[][]",
    "uint256",
    "uint7",
    "int256",
    "bytes32",
    "bytes33",
    "bytes",
    "string",
    "address",
    "bool",
    "tuple",
    "EIP712Domain",
];

/// EIP-712's example (Ether Mail), for `eth_signTypedData_v4`: the node
/// parses and hashes it before it looks for the key.
const TYPED_DATA: &str = r#"{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],"Person":[{"name":"name","type":"string"},{"name":"wallet","type":"address"}],"Mail":[{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]},"primaryType":"Mail","domain":{"name":"Ether Mail","version":"1","chainId":1,"verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},"message":{"from":{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},"to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},"contents":"Hello, Bob!"}}"#;

/// The chain-specific values seed requests refer to.
pub(crate) struct SeedValues {
    pub accounts: Vec<Address>,
    pub genesis: H256,
    pub tx_hash: H256,
    pub raw_txs: Vec<Vec<u8>>,
    /// Calldata for the registry (reads, a valid next report, a feed).
    pub registry_calls: Vec<Vec<u8>>,
    /// Creation data: a deploy envelope around a minimal contract.
    pub deploy: Vec<u8>,
}

impl SeedValues {
    /// Plausible values with no chain behind them (parameter fuzzing).
    pub(crate) fn placeholder() -> Self {
        let keys = derive_keys(DEV_MNEMONIC, 2).unwrap_or_default();
        let fixture = OracleFixture::new(
            31_337,
            keys.first().map_or(Address::zero(), |k| k.address()),
        );
        Self {
            accounts: keys.iter().map(PrivateKey::address).collect(),
            genesis: H256::repeat_byte(0x11),
            tx_hash: H256::repeat_byte(0x22),
            raw_txs: keys
                .iter()
                .map(|k| transfer(k, 31_337, 0).encoded().to_vec())
                .collect(),
            registry_calls: registry_calls(&fixture, 2),
            deploy: deploy_data(),
        }
    }
}

fn hex0x(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

fn transfer(key: &PrivateKey, chain_id: u64, nonce: u64) -> orac_primitives::SignedTransaction {
    orac_chain::testing::transfer(Address::repeat_byte(0x42), U256::from(5u64))
        .chain_id(chain_id)
        .nonce(nonce)
        .sign(key)
}

fn deploy_data() -> Vec<u8> {
    let module = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "call")))"#)
        .unwrap_or_default();
    orac_vm::envelope::wrap(&module)
}

fn feed_params(f: &OracleFixture) -> FeedParams {
    FeedParams {
        description: f.feed.description.clone(),
        decimals: f.feed.decimals,
        signers: f.feed.signers.iter().map(|s| s.to_alloy()).collect(),
        f: f.feed.f,
        heartbeat: f.feed.heartbeat_secs,
        deviationPpb: f.feed.deviation_ppb,
        minAnswer: I256::try_from(f.feed.min_answer).unwrap_or(I256::ZERO),
        maxAnswer: I256::try_from(f.feed.max_answer).unwrap_or(I256::ZERO),
    }
}

/// Registry calldata: reads, a report for `round`, a new feed.
fn registry_calls(f: &OracleFixture, round: u64) -> Vec<Vec<u8>> {
    let mut genuine = std::collections::HashSet::new();
    let report = f
        .report(
            Kind::Round,
            round,
            &[0, 1, 2],
            &[3, 4, 5],
            T0 + 100,
            &mut genuine,
        )
        .abi_encode();
    let response = f
        .report(
            Kind::Response,
            1,
            &[1, 2, 3],
            &[7, 8, 9],
            T0 + 100,
            &mut genuine,
        )
        .abi_encode();
    vec![
        I::feedCountCall {}.abi_encode(),
        I::feedConfigCall { feedId: 1 }.abi_encode(),
        I::latestRoundCall { feedId: 1 }.abi_encode(),
        I::getRoundCall {
            feedId: 1,
            roundId: 1,
        }
        .abi_encode(),
        I::nextRoundCall { feedId: 1 }.abi_encode(),
        I::subscribersCall { feedId: 1 }.abi_encode(),
        I::transmitCall {
            report: report.into(),
        }
        .abi_encode(),
        I::respondCall {
            report: response.into(),
        }
        .abi_encode(),
        I::createFeedCall {
            params: feed_params(f),
        }
        .abi_encode(),
        I::requestCall {
            feedId: 1,
            query: FixedBytes::ZERO,
            callbackGas: 100_000,
            expiresAt: u64::MAX,
        }
        .abi_encode(),
    ]
}

/// A request for every method, with parameters that make sense on the
/// chain `v` describes.
pub(crate) fn seed_requests(v: &SeedValues) -> Vec<Value> {
    let a0 = v.accounts.first().copied().unwrap_or_default();
    let a1 = v.accounts.get(1).copied().unwrap_or_default();
    let reg = REGISTRY;
    let filter = json!({"fromBlock": "0x0", "toBlock": "latest", "address": reg, "topics": [null]});
    let mut calls: Vec<(&str, Value)> = vec![
        ("web3_clientVersion", json!([])),
        ("web3_sha3", json!(["0x68656c6c6f"])),
        ("net_version", json!([])),
        ("net_listening", json!([])),
        ("eth_chainId", json!([])),
        ("eth_syncing", json!([])),
        ("eth_coinbase", json!([])),
        ("eth_accounts", json!([])),
        ("eth_blockNumber", json!([])),
        ("eth_gasPrice", json!([])),
        ("eth_maxPriorityFeePerGas", json!([])),
        ("eth_feeHistory", json!(["0x4", "latest", [25.0, 75.0]])),
        ("eth_getBlockByNumber", json!(["latest", true])),
        ("eth_getBlockByNumber", json!(["0x0", false])),
        ("eth_getBlockByHash", json!([v.genesis, false])),
        ("eth_getBlockTransactionCountByNumber", json!(["0x1"])),
        ("eth_getBlockTransactionCountByHash", json!([v.genesis])),
        ("eth_getUncleCountByBlockNumber", json!(["latest"])),
        (
            "eth_getUncleByBlockNumberAndIndex",
            json!(["latest", "0x0"]),
        ),
        ("eth_getTransactionByHash", json!([v.tx_hash])),
        (
            "eth_getTransactionByBlockNumberAndIndex",
            json!(["0x1", "0x0"]),
        ),
        (
            "eth_getTransactionByBlockHashAndIndex",
            json!([v.genesis, "0x0"]),
        ),
        ("eth_getTransactionReceipt", json!([v.tx_hash])),
        ("eth_getBlockReceipts", json!(["latest"])),
        ("eth_getLogs", json!([filter])),
        ("eth_getLogs", json!([{"blockHash": v.genesis}])),
        ("eth_getBalance", json!([a0, "latest"])),
        ("eth_getBalance", json!([a0, {"blockNumber": "0x0"}])),
        ("eth_getTransactionCount", json!([a0, "pending"])),
        ("eth_getCode", json!([reg, "latest"])),
        ("eth_getStorageAt", json!([reg, "0x0", "latest"])),
        ("eth_getProof", json!([a0, ["0x0", "0x1"], "latest"])),
        (
            "eth_call",
            json!([{"from": a0, "to": a1, "value": "0x1"}, "latest"]),
        ),
        (
            "eth_call",
            json!([{"from": a0, "data": hex0x(&v.deploy), "gas": "0x989680"}, "latest"]),
        ),
        (
            "eth_estimateGas",
            json!([{"from": a0, "to": a1, "value": "0x1"}]),
        ),
        (
            "eth_sendTransaction",
            json!([{"from": a0, "to": a1, "value": "0x1"}]),
        ),
        ("eth_newFilter", json!([filter])),
        ("eth_newBlockFilter", json!([])),
        ("eth_getFilterChanges", json!(["0x1"])),
        ("eth_getFilterLogs", json!(["0x1"])),
        ("eth_uninstallFilter", json!(["0x1"])),
        ("eth_subscribe", json!(["newHeads"])),
        ("txpool_status", json!([])),
        ("txpool_content", json!([])),
        ("txpool_contentFrom", json!([a0])),
        ("txpool_inspect", json!([])),
        ("eth_newPendingTransactionFilter", json!([])),
        ("eth_sign", json!([a0, "0xdeadbeef"])),
        ("personal_sign", json!(["0xdeadbeef", a0])),
        (
            "eth_signTypedData_v4",
            json!([
                a0,
                serde_json::from_str::<Value>(TYPED_DATA).unwrap_or_default()
            ]),
        ),
        ("eth_signTypedData_v4", json!([a0, TYPED_DATA])),
        (
            "eth_signTransaction",
            json!([{"from": a0, "to": a1, "value": "0x1", "gas": "0x5208"}]),
        ),
        ("evm_mine", json!([])),
    ];
    for raw in &v.raw_txs {
        calls.push(("eth_sendRawTransaction", json!([hex0x(raw)])));
    }
    for data in &v.registry_calls {
        calls.push((
            "eth_call",
            json!([{"from": a0, "to": reg, "data": hex0x(data)}, "latest"]),
        ));
        calls.push((
            "eth_estimateGas",
            json!([{"from": a0, "to": reg, "input": hex0x(data)}]),
        ));
    }
    calls
        .into_iter()
        .enumerate()
        .map(|(i, (method, params))| {
            let id = match i % 3 {
                0 => json!(i),
                1 => json!(format!("id-{i}")),
                _ => json!(i as f64 + 0.5),
            };
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
        })
        .collect()
}

pub(crate) struct RpcTarget {
    // Declared before `chain` and `dir`: the server goes first.
    router: Router,
    runtime: tokio::runtime::Runtime,
    chain: Arc<Chain>,
    _dir: tempfile::TempDir,
    seeds: Vec<Vec<u8>>,
    funded: Address,
    runs: u64,
    replies: u64,
    errors: u64,
}

/// Submits `tx` and waits for it to be mined (instant mining).
async fn submit(chain: &Chain, key: &PrivateKey, tx: Transaction) -> H256 {
    let signed = tx.sign(key);
    let rec = RecoveredTx {
        sender: key.address(),
        tx: signed,
    };
    chain.submit(rec).await.expect("setup transaction admitted")
}

impl RpcTarget {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = ChainSpec::dev();
        let chain_id = spec.chain_id;
        let keys = derive_keys(DEV_MNEMONIC, 2).expect("dev keys");
        let chain = Chain::open(ChainConfig {
            datadir: dir.path().to_path_buf(),
            spec,
            mining: MiningMode::Instant,
            pool: PoolConfig::default(),
            db: DbConfig {
                cache_size: 32 << 20,
                ..DbConfig::default()
            },
            // A production node: it holds no keys.
            dev_keys: Vec::new(),
            code_cache_bytes: 256 << 20,
            rules: orac_chain::ChainRules::standard(),
        })
        .expect("chain opens");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let fixture = OracleFixture::new(chain_id, keys[0].address());
        // A feed (id 1) and its first round, by real transactions.
        let registry_tx = |nonce: u64, input: Vec<u8>| {
            orac_chain::testing::call(REGISTRY, input, 2_000_000)
                .chain_id(chain_id)
                .nonce(nonce)
                .tx()
        };
        let mut genuine = std::collections::HashSet::new();
        let round1 = fixture
            .report(
                Kind::Round,
                1,
                &[0, 1, 2, 3],
                &[10, 20, 30, 40],
                T0,
                &mut genuine,
            )
            .abi_encode();
        let tx_hash = runtime.block_on(async {
            submit(
                &chain,
                &keys[0],
                registry_tx(
                    0,
                    I::createFeedCall {
                        params: feed_params(&fixture),
                    }
                    .abi_encode(),
                ),
            )
            .await;
            submit(
                &chain,
                &keys[0],
                registry_tx(
                    1,
                    I::transmitCall {
                        report: round1.into(),
                    }
                    .abi_encode(),
                ),
            )
            .await
        });
        let router = {
            // The router starts its filter-expiry task on the runtime.
            let _guard = runtime.enter();
            orac_rpc::router(
                chain.clone(),
                RpcConfig {
                    limits: Limits::default(),
                    client_version: "orac-fuzz".into(),
                    dev_methods: false,
                },
            )
        };
        let values = SeedValues {
            accounts: keys.iter().map(PrivateKey::address).collect(),
            genesis: chain.genesis_hash(),
            tx_hash,
            raw_txs: (2..6)
                .map(|n| transfer(&keys[0], chain_id, n).encoded().to_vec())
                .chain([transfer(&keys[1], chain_id, 0).encoded().to_vec()])
                .collect(),
            registry_calls: registry_calls(&fixture, 2),
            deploy: deploy_data(),
        };
        let seeds = seed_requests(&values)
            .into_iter()
            .map(|r| r.to_string().into_bytes())
            .collect();
        let target = Self {
            router,
            runtime,
            chain,
            _dir: dir,
            seeds,
            funded: keys[0].address(),
            runs: 0,
            replies: 0,
            errors: 0,
        };
        // The fixture's digest must be the one the registry stored, or
        // the report seeds would all fail on it.
        let digest = target.call(
            "eth_call",
            json!([{"to": REGISTRY, "data": hex0x(&I::feedConfigCall { feedId: 1 }.abi_encode())}, "latest"]),
        );
        let digest = digest["result"].as_str().unwrap_or_default().to_string();
        assert!(
            digest.contains(&hex::encode(fixture.digest())),
            "feed 1's config digest is not the fixture's: {digest}"
        );
        // And the next round's report (a seed) must pass the registry's
        // checks, so that mutants of it start from the accepting path.
        let transmit = &values.registry_calls[6];
        let reply = target.call(
            "eth_call",
            json!([{"from": target.funded, "to": REGISTRY, "data": hex0x(transmit)}, "latest"]),
        );
        assert!(reply.get("result").is_some(), "round 2 is refused: {reply}");
        target
    }

    fn post(&self, body: Vec<u8>) -> Result<(StatusCode, Vec<u8>), String> {
        let request = Request::post("/")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .map_err(|e| e.to_string())?;
        let router = self.router.clone();
        self.runtime.block_on(async move {
            let response = router
                .oneshot(request)
                .await
                .map_err(|e| format!("the router failed: {e}"))?;
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 64 << 20)
                .await
                .map_err(|e| format!("reading the body: {e}"))?;
            Ok((status, body.to_vec()))
        })
    }

    /// One call, for setup and health checks; panics if no JSON comes back.
    fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (_, reply) = self.post(body.to_string().into_bytes()).expect("served");
        serde_json::from_slice(&reply).expect("a JSON reply")
    }

    fn healthy(&self) -> Result<(), String> {
        let n = self.call("eth_blockNumber", json!([]));
        let b = self.call("eth_getBalance", json!([self.funded, "latest"]));
        if n["result"].as_str().is_none() || b["result"].as_str().is_none() {
            return Err(format!("the node stopped serving: {n} {b}"));
        }
        Ok(())
    }

    fn check_reply(&mut self, request: &Value, reply: &Value) -> Result<(), String> {
        let obj = reply
            .as_object()
            .ok_or_else(|| format!("a reply that is not an object: {reply}"))?;
        if obj.get("jsonrpc") != Some(&json!("2.0")) {
            return Err(format!("reply without jsonrpc 2.0: {reply}"));
        }
        let id = obj.get("id").ok_or("reply without an id")?;
        match (obj.get("result"), obj.get("error")) {
            (Some(_), None) => {}
            (None, Some(e)) => {
                self.errors += 1;
                let code = e["code"]
                    .as_i64()
                    .ok_or_else(|| format!("error without an integer code: {reply}"))?;
                let message = e["message"]
                    .as_str()
                    .ok_or_else(|| format!("error without a message: {reply}"))?;
                if code == orac_rpc::error::INTERNAL_ERROR {
                    return Err(format!("internal error: {message}"));
                }
            }
            _ => {
                return Err(format!(
                    "reply with neither or both of result and error: {reply}"
                ));
            }
        }
        // The id is echoed when the request had a valid one.
        if let Some(req_id) = request.as_object().and_then(|o| o.get("id"))
            && matches!(req_id, Value::Number(_) | Value::String(_) | Value::Null)
            && id != req_id
        {
            return Err(format!("reply id {id}, request id {req_id}"));
        }
        Ok(())
    }
}

/// Whether a request gets a reply: anything but a notification, a valid
/// call without an id. An invalid one is answered even without an id
/// (as geth does: the client could not have meant it as a notification).
fn answered(call: &Value) -> bool {
    match call {
        Value::Object(o) if !o.contains_key("id") => {
            let version_ok = o.get("jsonrpc").is_none_or(|v| v == "2.0");
            let method_ok = matches!(o.get("method"), Some(Value::String(_)));
            !(version_ok && method_ok)
        }
        _ => true,
    }
}

impl Target for RpcTarget {
    fn input(&mut self, rng: &mut Rng) -> Vec<u8> {
        mutate_request(&self.seeds, rng)
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        self.runs += 1;
        if self.runs.is_multiple_of(1_000) {
            self.healthy()?;
        }
        let (status, body) = self.post(input.to_vec())?;
        if std::env::var_os("ORAC_FUZZ_SHOW").is_some() {
            // For --replay: what the server said.
            println!("{status} {}", String::from_utf8_lossy(&body));
        }
        if input.len() > Limits::default().max_body {
            return match status {
                StatusCode::PAYLOAD_TOO_LARGE => Ok(()),
                s => Err(format!("HTTP {s} for a body past the size limit")),
            };
        }
        if status != StatusCode::OK {
            return Err(format!("HTTP {status} for a {}-byte body", input.len()));
        }
        let request: Option<Value> = std::str::from_utf8(input)
            .ok()
            .and_then(|t| serde_json::from_str(t).ok());
        if body.is_empty() {
            // Only notifications get no reply.
            return match &request {
                Some(Value::Array(calls)) if !calls.is_empty() && !calls.iter().any(answered) => {
                    Ok(())
                }
                Some(call @ Value::Object(_)) if !answered(call) => Ok(()),
                _ => Err("no reply to a request that needs one".into()),
            };
        }
        self.replies += 1;
        let reply: Value =
            serde_json::from_slice(&body).map_err(|e| format!("the reply is not JSON: {e}"))?;
        match (&request, &reply) {
            (None, r) => {
                if r["error"]["code"] != json!(orac_rpc::error::PARSE_ERROR)
                    || r["id"] != Value::Null
                {
                    return Err(format!("not JSON, but no parse error: {r}"));
                }
                Ok(())
            }
            (Some(Value::Array(calls)), Value::Array(replies))
                if !calls.is_empty() && calls.len() <= Limits::default().max_batch =>
            {
                let want: Vec<&Value> = calls.iter().filter(|c| answered(c)).collect();
                if want.len() != replies.len() {
                    return Err(format!(
                        "{} replies to a batch of {} requests that need one",
                        replies.len(),
                        want.len()
                    ));
                }
                for (c, r) in want.into_iter().zip(replies) {
                    self.check_reply(c, r)?;
                }
                Ok(())
            }
            (Some(Value::Array(_)), r) => {
                // An empty or oversized batch: one error.
                self.check_reply(&Value::Null, r)?;
                if r.get("error").is_none() {
                    return Err(format!("a batch answered with one result: {r}"));
                }
                Ok(())
            }
            (Some(call), r) => self.check_reply(call, r),
        }
    }

    fn stats(&self) -> String {
        format!(
            "{} replies ({} errors); head block {}",
            self.replies,
            self.errors,
            self.chain.head().number
        )
    }

    fn slow(&self) -> Duration {
        // Executions and estimates run real code (the estimate's binary
        // search, up to the 50M gas cap): bounded, but not in microseconds.
        Duration::from_secs(5)
    }
}

impl Drop for RpcTarget {
    fn drop(&mut self) {
        self.chain.shutdown();
    }
}
