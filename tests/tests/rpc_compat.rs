//! ethereum/execution-apis conformance, against the real `orac` binary.
//!
//! The material lives in `tests/conformance/execution-apis` (copied
//! verbatim; `tests/conformance/SOURCES.md` says from where):
//!
//! * hive's rpc-compat cases, `tests/<method>/<case>.io`: `>>` a request,
//!   `<<` the answer geth gave on hive's test chain, `//` comments (a
//!   `speconly` comment: hive itself only checks the answer's schema);
//! * the OpenRPC definitions of the methods, `src/{eth,txpool}/*.yaml`, with
//!   the JSON schemas of their results, `src/schemas/*.yaml`.
//!
//! [`hive_rpc_compat_cases`] runs every case against one node that mirrors
//! hive's chain as far as orac can (see [`build_chain`]): hive's chain id
//! (from its `genesis.json`), its funded accounts, WebAssembly ports of the
//! three hive contracts the cases call at their hive addresses, transactions
//! of the same kinds at the same heights, and the head at hive's height,
//! 0x36. hive's chain itself (`chain.rlp`, EVM blocks) cannot be imported,
//! so each case is classified in [`CASES`]:
//!
//! * **exact**: orac's answer must equal geth's, after hive's block hashes,
//!   transaction hashes, one address and two log topics in the request and
//!   the answer are replaced by orac's counterparts ([`Subst`]);
//! * **shape**: orac's answer must fit the method's result schema; a
//!   `ShapeSame` case also compares named fields with geth's answer; an
//!   answer geth gives as an error must be an error with the same code;
//! * **skip**, with the reason. A method orac does not serve must still
//!   answer -32601, and a request orac refuses on purpose must still be
//!   refused, so neither list can go stale silently.
//!
//! [`dev_node_answers_match_the_schemas`] checks the answers of the common
//! methods on a dev node, after a transfer, a deploy and a call with a log,
//! against the same schemas; the one deliberate difference is in
//! [`SCHEMA_DEVIATIONS`] with its reason.
//!
//! Schemas are checked with the `jsonschema` crate (drafts 4 to 2020-12, it
//! passes the official JSON-Schema-Test-Suite, and is the most used and
//! actively kept validator in Rust), built without default features so it
//! never fetches a remote `$ref`; the YAML is read with `yaml-rust2`, a
//! maintained pure-Rust YAML 1.2 parser (`serde_yaml` is deprecated by its
//! author, `serde_yml` has a RustSec advisory as unsound and unmaintained).
//! Neither was in Cargo.lock before; both are dev-dependencies of this crate
//! only.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use orac_primitives::transaction::AccessListItem;
use orac_primitives::{
    Address, Bytes, H256, PrivateKey, RecoveredTx, SignedTransaction, Transaction, TxType, U256,
    keccak256,
};
use orac_tests::{Node, dev_keys, hex0x, qty, signed_transfer, signed_tx};
use serde_json::{Map, Value, json};

fn data_dir() -> PathBuf {
    orac_tests::workspace().join("tests/conformance/execution-apis")
}

// ---------------------------------------------------------------------------
// The classification of every hive case.
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Class {
    Exact,
    Shape,
    /// Shape, and these fields of the answer (of each element, when it is
    /// an array, which must then be as long as geth's) equal geth's.
    ShapeSame(&'static [&'static str]),
    Skip(Skip),
}

#[derive(Clone, Copy, Debug)]
enum Skip {
    /// orac does not serve the method: it must answer -32601.
    NotServed(&'static str),
    /// orac refuses the request on purpose: it must answer an error whose
    /// message contains `.1`.
    Refused(&'static str, &'static str),
    /// Not sent: the case needs what orac's chain cannot have.
    Unreplayable(&'static str),
}

use Class::{Exact, Shape, ShapeSame};
use Skip::{NotServed, Refused, Unreplayable};

const NO_BLOBS: &str = "orac has no blob transactions or blob gas (EIP-4844)";
const NO_7702: &str = "orac has no EIP-7702 set-code transactions or delegations";
const CALLENV: &str = "hive's callenv contract returns the EVM environment (block number, \
                       timestamp, coinbase, base fee, prevrandao, chain id, …) of hive's head as \
                       32-byte words: the expected bytes are hive's chain, not a rule";
const STORAGE_VALUES: &str = "eth_getStorageValues (added to execution-apis in 2026) is not \
                              served; eth_getStorageAt reads the same slots one by one";
const LOG_FIELDS: &[&str] = &[
    "address",
    "topics",
    "data",
    "blockNumber",
    "blockHash",
    "removed",
];

// The classes many cases share, named for what the answer is.
/// A block: its number and hash equal geth's.
const BLOCK: Class = ShapeSame(&["number", "hash"]);
/// Receipts: each one's position equals geth's.
const BLOCK_RECEIPTS: Class = ShapeSame(&["blockNumber", "blockHash", "transactionIndex"]);
/// Logs: the fields of [`LOG_FIELDS`] equal geth's.
const LOGS: Class = ShapeSame(LOG_FIELDS);
/// An account proof: of the account asked for.
const PROOF: Class = ShapeSame(&["address"]);
/// A transaction by block and index: its position, hash and type equal geth's.
const TX_IN_BLOCK: Class = ShapeSame(&[
    "blockHash",
    "blockNumber",
    "transactionIndex",
    "hash",
    "type",
]);
/// A typed transaction: its hash, type, recipient and value equal geth's.
const TYPED_TX: Class = ShapeSame(&["hash", "type", "to", "value"]);
/// A mined transaction: its hash, type, recipient and position equal geth's.
const MINED_TX: Class = ShapeSame(&["hash", "type", "to", "blockNumber", "transactionIndex"]);
/// A receipt: its transaction, type, status and recipient equal geth's.
const RECEIPT: Class = ShapeSame(&["transactionHash", "type", "status", "to"]);
const SKIP_BLOBS: Class = Class::Skip(Unreplayable(NO_BLOBS));
const SKIP_7702: Class = Class::Skip(Unreplayable(NO_7702));
const SKIP_CALLENV: Class = Class::Skip(Unreplayable(CALLENV));
const SKIP_STORAGE_VALUES: Class = Class::Skip(NotServed(STORAGE_VALUES));

/// Every case under `tests/`, by `method/case`. A case missing here, or an
/// entry without its file, fails the test.
#[rustfmt::skip] // one case a line, so the table reads as one
const CASES: &[(&str, Class)] = &[
    ("eth_baseFee/get-current-basefee", Shape),
    ("eth_blobBaseFee/get-current-blobfee", Class::Skip(NotServed(NO_BLOBS))),
    ("eth_blockNumber/simple-test", Exact),
    ("eth_call/call-callenv-options-eip1559", SKIP_CALLENV),
    ("eth_call/call-callenv", SKIP_CALLENV),
    ("eth_call/call-contract", Exact),
    ("eth_call/call-eip7702-delegation", SKIP_7702),
    ("eth_call/call-revert-abi-error", Exact),
    ("eth_call/call-revert-abi-panic", Exact),
    (
        "eth_capabilities/get-capabilities",
        Class::Skip(NotServed(
            "history-expiry routing capabilities; orac keeps and serves all history",
        )),
    ),
    ("eth_chainId/get-chain-id", Exact),
    (
        "eth_config/get-config",
        Class::Skip(NotServed(
            "EIP-7910 fork configuration (fork ids, blob schedules, EVM precompiles and \
             system contracts): orac's chain has no Ethereum forks",
        )),
    ),
    ("eth_createAccessList/create-al-abi-revert", Shape),
    ("eth_createAccessList/create-al-contract-eip1559", Shape),
    ("eth_createAccessList/create-al-contract", Shape),
    ("eth_createAccessList/create-al-value-transfer", Exact),
    ("eth_estimateGas/estimate-call-abi-error", Shape),
    ("eth_estimateGas/estimate-failed-call", Shape),
    ("eth_estimateGas/estimate-simple-transfer", Exact),
    ("eth_estimateGas/estimate-successful-call", Shape),
    ("eth_estimateGas/estimate-with-eip4844", SKIP_BLOBS),
    ("eth_estimateGas/estimate-with-eip7702", SKIP_7702),
    ("eth_feeHistory/fee-history", ShapeSame(&["oldestBlock"])),
    ("eth_getBalance/get-balance-blockhash", Shape),
    ("eth_getBalance/get-balance-default-block", Shape),
    ("eth_getBalance/get-balance-unknown-account", Exact),
    ("eth_getBalance/get-balance", Shape),
    ("eth_getBlockByHash/get-block-by-empty-hash", Exact),
    ("eth_getBlockByHash/get-block-by-hash", BLOCK),
    ("eth_getBlockByHash/get-block-by-notfound-hash", Exact),
    ("eth_getBlockByNumber/get-block-cancun-fork", BLOCK),
    ("eth_getBlockByNumber/get-block-london-fork", BLOCK),
    ("eth_getBlockByNumber/get-block-merge-fork", BLOCK),
    ("eth_getBlockByNumber/get-block-notfound", Exact),
    ("eth_getBlockByNumber/get-block-prague-fork", BLOCK),
    ("eth_getBlockByNumber/get-block-shanghai-fork", BLOCK),
    ("eth_getBlockByNumber/get-finalized", BLOCK),
    ("eth_getBlockByNumber/get-genesis", BLOCK),
    ("eth_getBlockByNumber/get-latest", BLOCK),
    ("eth_getBlockByNumber/get-safe", BLOCK),
    ("eth_getBlockReceipts/get-block-receipts-0", Exact),
    ("eth_getBlockReceipts/get-block-receipts-by-hash", BLOCK_RECEIPTS),
    ("eth_getBlockReceipts/get-block-receipts-earliest", Exact),
    ("eth_getBlockReceipts/get-block-receipts-empty", Exact),
    ("eth_getBlockReceipts/get-block-receipts-future", Exact),
    ("eth_getBlockReceipts/get-block-receipts-latest", Shape),
    ("eth_getBlockReceipts/get-block-receipts-n", BLOCK_RECEIPTS),
    ("eth_getBlockReceipts/get-block-receipts-not-found", Exact),
    ("eth_getBlockTransactionCountByHash/get-block-n", Exact),
    ("eth_getBlockTransactionCountByHash/get-genesis", Exact),
    ("eth_getBlockTransactionCountByNumber/get-block-n", Exact),
    ("eth_getBlockTransactionCountByNumber/get-genesis", Exact),
    ("eth_getCode/get-code-default-block", Shape),
    ("eth_getCode/get-code-eip7702-delegation", SKIP_7702),
    ("eth_getCode/get-code-unknown-account", Exact),
    ("eth_getCode/get-code", Shape),
    ("eth_getLogs/contract-addr", LOGS),
    ("eth_getLogs/filter-error-future-block-range", Exact),
    ("eth_getLogs/filter-error-invalid-blockHash-and-range", Exact),
    ("eth_getLogs/filter-error-reversed-block-range", Exact),
    ("eth_getLogs/filter-with-blockHash-and-topics", LOGS),
    ("eth_getLogs/filter-with-blockHash", LOGS),
    ("eth_getLogs/topic-exact-match", LOGS),
    ("eth_getLogs/topic-null-wildcard", LOGS),
    ("eth_getLogs/topic-wildcard", LOGS),
    ("eth_getProof/get-account-proof-blockhash", PROOF),
    ("eth_getProof/get-account-proof-default-block", PROOF),
    ("eth_getProof/get-account-proof-latest", PROOF),
    ("eth_getProof/get-account-proof-with-storage", PROOF),
    ("eth_getStorageAt/get-storage-default-block", Shape),
    ("eth_getStorageAt/get-storage-invalid-key-too-large", Exact),
    ("eth_getStorageAt/get-storage-invalid-key", Exact),
    ("eth_getStorageAt/get-storage-unknown-account", Exact),
    ("eth_getStorageAt/get-storage", Shape),
    ("eth_getStorageValues/get-storage-values-default-block", SKIP_STORAGE_VALUES),
    ("eth_getStorageValues/get-storage-values-empty-request", SKIP_STORAGE_VALUES),
    ("eth_getStorageValues/get-storage-values-multiple-addresses", SKIP_STORAGE_VALUES),
    ("eth_getStorageValues/get-storage-values-unknown-account", SKIP_STORAGE_VALUES),
    ("eth_getStorageValues/get-storage-values", SKIP_STORAGE_VALUES),
    ("eth_getTransactionByBlockHashAndIndex/get-block-n", TX_IN_BLOCK),
    ("eth_getTransactionByBlockNumberAndIndex/get-block-n", TX_IN_BLOCK),
    ("eth_getTransactionByHash/get-access-list", TYPED_TX),
    ("eth_getTransactionByHash/get-blob-tx", SKIP_BLOBS),
    ("eth_getTransactionByHash/get-dynamic-fee", TYPED_TX),
    ("eth_getTransactionByHash/get-empty-tx", Exact),
    ("eth_getTransactionByHash/get-legacy-create", MINED_TX),
    ("eth_getTransactionByHash/get-legacy-input", MINED_TX),
    ("eth_getTransactionByHash/get-legacy-tx", ShapeSame(&["hash", "type"])),
    ("eth_getTransactionByHash/get-notfound-tx", Exact),
    ("eth_getTransactionByHash/get-setcode-tx", SKIP_7702),
    ("eth_getTransactionCount/get-nonce-default-block", Exact),
    ("eth_getTransactionCount/get-nonce-eip7702-account", SKIP_7702),
    ("eth_getTransactionCount/get-nonce-unknown-account", Exact),
    ("eth_getTransactionCount/get-nonce", Exact),
    ("eth_getTransactionReceipt/get-access-list", RECEIPT),
    ("eth_getTransactionReceipt/get-blob-tx", SKIP_BLOBS),
    ("eth_getTransactionReceipt/get-dynamic-fee", RECEIPT),
    ("eth_getTransactionReceipt/get-empty-tx", Exact),
    (
        "eth_getTransactionReceipt/get-legacy-contract",
        ShapeSame(&[
            "transactionHash",
            "type",
            "to",
            "blockNumber",
            "transactionIndex",
        ]),
    ),
    (
        "eth_getTransactionReceipt/get-legacy-input",
        ShapeSame(&[
            "transactionHash",
            "type",
            "to",
            "blockNumber",
            "transactionIndex",
        ]),
    ),
    ("eth_getTransactionReceipt/get-legacy-receipt", ShapeSame(&["transactionHash", "type"])),
    ("eth_getTransactionReceipt/get-notfound-tx", Exact),
    ("eth_getTransactionReceipt/get-setcode-tx", SKIP_7702),
    ("eth_sendRawTransaction/send-access-list-transaction", Exact),
    (
        "eth_sendRawTransaction/send-blob-tx",
        // Refused by size before its type is read: the one blob's sidecar
        // alone is 128 KiB, and orac's transactions are at most 128 KiB.
        Class::Skip(Refused(NO_BLOBS, "oversized data")),
    ),
    ("eth_sendRawTransaction/send-dynamic-fee-access-list-transaction", Exact),
    (
        "eth_sendRawTransaction/send-dynamic-fee-transaction",
        Class::Skip(Refused(
            "a creation whose data is EVM init code: orac refuses at admission any creation \
             that is not a WebAssembly deploy envelope (docs/rpc.md)",
            "invalid contract creation",
        )),
    ),
    ("eth_sendRawTransaction/send-legacy-transaction", Exact),
    ("eth_syncing/check-syncing", Exact),
    ("net_version/get-network-id", Exact),
    ("txpool_content/get-content", Shape),
    ("txpool_contentFrom/get-content-from-address", Shape),
    ("txpool_status/get-status", Shape),
];

// ---------------------------------------------------------------------------
// Reading the material.
// ---------------------------------------------------------------------------

/// One `.io` file: its request/answer pairs, in order.
struct Case {
    id: String,
    speconly: bool,
    exchanges: Vec<(String, Value)>,
}

fn load_cases() -> Vec<Case> {
    let root = data_dir().join("tests");
    orac_tests::files_under(&root, "io")
        .iter()
        .map(|path| {
            let id = path
                .strip_prefix(&root)
                .expect("under tests/")
                .with_extension("")
                .to_str()
                .expect("utf-8 path")
                .to_string();
            let text = std::fs::read_to_string(path).expect("read .io file");
            let mut speconly = false;
            let mut exchanges = Vec::new();
            let mut request: Option<String> = None;
            for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                if let Some(c) = line.strip_prefix("//") {
                    speconly |= c.trim_start().starts_with("speconly");
                } else if let Some(r) = line.strip_prefix(">> ") {
                    assert!(request.is_none(), "{id}: two requests in a row");
                    request = Some(r.to_string());
                } else if let Some(a) = line.strip_prefix("<< ") {
                    let r = request
                        .take()
                        .unwrap_or_else(|| panic!("{id}: answer first"));
                    let a: Value =
                        serde_json::from_str(a).unwrap_or_else(|e| panic!("{id}: answer: {e}"));
                    exchanges.push((r, a));
                } else {
                    panic!("{id}: unknown line {line:?}");
                }
            }
            assert!(request.is_none() && !exchanges.is_empty(), "{id}: unpaired");
            Case {
                id,
                speconly,
                exchanges,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The OpenRPC result schemas.
// ---------------------------------------------------------------------------

fn yaml_to_json(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(s.clone()), Value::Number),
        Yaml::Integer(i) => json!(i),
        Yaml::String(s) => json!(s),
        Yaml::Boolean(b) => json!(b),
        Yaml::Array(a) => Value::Array(a.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    let key = match yaml_to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Yaml::Null => Value::Null,
        Yaml::Alias(_) | Yaml::BadValue => panic!("unsupported YAML node {y:?}"),
    }
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read YAML");
    let docs = yaml_rust2::YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(docs.len(), 1, "{}: one document", path.display());
    yaml_to_json(&docs[0])
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// The result schema of every method in `src/eth` and `src/txpool`, each
/// able to resolve `#/components/schemas/…` against `src/schemas`.
struct Schemas {
    results: HashMap<String, jsonschema::Validator>,
}

impl Schemas {
    fn load() -> Schemas {
        let src = data_dir().join("src");
        let mut components = Map::new();
        for path in yaml_files(&src.join("schemas")) {
            let Value::Object(defs) = read_yaml(&path) else {
                panic!("{}: not a map of schemas", path.display());
            };
            for (name, schema) in defs {
                assert!(
                    components.insert(name.clone(), schema).is_none(),
                    "schema {name} defined twice"
                );
            }
        }
        let components = json!({ "schemas": components });
        let mut results = HashMap::new();
        for dir in ["eth", "txpool"] {
            for path in yaml_files(&src.join(dir)) {
                let Value::Array(methods) = read_yaml(&path) else {
                    panic!("{}: not a list of methods", path.display());
                };
                for m in methods {
                    let name = m["name"].as_str().expect("method name").to_string();
                    let mut schema = m["result"]["schema"].clone();
                    assert!(schema.is_object(), "{name}: no result schema");
                    schema["components"] = components.clone();
                    // OpenRPC's schemas are JSON Schema draft 7.
                    let v = jsonschema::draft7::new(&schema)
                        .unwrap_or_else(|e| panic!("{name}: result schema: {e}"));
                    results.insert(name, v);
                }
            }
        }
        Schemas { results }
    }

    /// Why `value` does not fit `method`'s result schema (empty if it does).
    fn check(&self, method: &str, value: &Value) -> Vec<String> {
        let v = self
            .results
            .get(method)
            .unwrap_or_else(|| panic!("execution-apis defines no method {method}"));
        v.iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Substituting orac's values for hive's.
// ---------------------------------------------------------------------------

/// Pairs of (hive's hex value, orac's), replaced wherever the hive value
/// stands as a whole hex string.
#[derive(Default)]
struct Subst(Vec<(String, String)>);

impl Subst {
    fn add(&mut self, hive: &str, orac: &str) {
        let hive = hive.to_ascii_lowercase();
        if let Some(p) = self.0.iter().find(|p| p.0 == hive) {
            assert_eq!(p.1, orac, "{hive} has two substitutes");
            return;
        }
        self.0.push((hive, orac.to_ascii_lowercase()));
    }

    fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (from, to) in &self.0 {
            let mut result = String::with_capacity(out.len());
            let mut rest = out.as_str();
            while let Some(i) = rest.find(from.as_str()) {
                let end = i + from.len();
                let whole = !rest[end..].starts_with(|c: char| c.is_ascii_hexdigit());
                result.push_str(&rest[..i]);
                result.push_str(if whole { to } else { from });
                rest = &rest[end..];
            }
            result.push_str(rest);
            out = result;
        }
        out
    }

    fn apply_value(&self, v: &Value) -> Value {
        serde_json::from_str(&self.apply(&v.to_string())).expect("substituted JSON")
    }
}

// ---------------------------------------------------------------------------
// orac's counterpart of hive's chain.
// ---------------------------------------------------------------------------

/// hive's contracts the cases call, ported to WebAssembly and placed at
/// their hive addresses in orac's genesis. The ports do what the hive
/// sources (ethereum/hive, cmd/hivechain/contracts/*.eas) describe.
const EMIT: &str = "0x7dcd17433742f4c0ca53122ab541d0ba67fc27df";
const CALLREVERT: &str = "0x0ee3ab1371c93e7c0c281cc0c2107cdebc8b1930";
const CALLME: &str = "0x17e7eedce4ac02ef114a7ed9fe6e2f33feba1667";

/// emit.eas: stores the running counter under keccak(calldata), bumps the
/// counter in slot 0, and logs the old counter with the topics
/// ("emit", keccak(calldata)).
fn emit_module() -> Vec<u8> {
    wat::parse_str(
        r#"(module
          (import "orac" "calldata_size" (func $size (result i32)))
          (import "orac" "calldata_copy" (func $copy (param i32 i32 i32)))
          (import "orac" "keccak256" (func $keccak (param i32 i32 i32)))
          (import "orac" "storage_read" (func $read (param i32 i32)))
          (import "orac" "storage_write" (func $write (param i32 i32)))
          (import "orac" "emit_log" (func $log (param i32 i32 i32 i32)))
          (memory (export "memory") 2)
          ;; 0: topic "emit"; 32: keccak(calldata); 64: slot 0 (zero);
          ;; 96: counter; 128: counter + 1; 256: calldata
          (data (i32.const 28) "emit")
          (func (export "call") (local $n i32) (local $i i32) (local $b i32)
            (local.set $n (call $size))
            (call $copy (i32.const 256) (i32.const 0) (local.get $n))
            (call $keccak (i32.const 256) (local.get $n) (i32.const 32))
            (call $read (i32.const 64) (i32.const 96))
            (call $write (i32.const 32) (i32.const 96))
            (i64.store (i32.const 128) (i64.load (i32.const 96)))
            (i64.store (i32.const 136) (i64.load (i32.const 104)))
            (i64.store (i32.const 144) (i64.load (i32.const 112)))
            (i64.store (i32.const 152) (i64.load (i32.const 120)))
            ;; big-endian + 1
            (local.set $i (i32.const 159))
            (block $done
              (loop $carry
                (local.set $b (i32.add (i32.load8_u (local.get $i)) (i32.const 1)))
                (i32.store8 (local.get $i) (local.get $b))
                (br_if $done (i32.lt_u (local.get $b) (i32.const 256)))
                (br_if $done (i32.eq (local.get $i) (i32.const 128)))
                (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                (br $carry)))
            (call $write (i32.const 64) (i32.const 128))
            (call $log (i32.const 0) (i32.const 2) (i32.const 96) (i32.const 32))))"#,
    )
    .expect("emit module")
}

/// callrevert.eas: reads slot 0x42ff, then reverts with `Panic(1)` when
/// the first calldata word is zero, else with `Error("user error")` (the
/// string not padded, as hive's contract leaves it).
fn callrevert_module() -> Vec<u8> {
    wat::parse_str(
        r#"(module
          (import "orac" "calldata_size" (func $size (result i32)))
          (import "orac" "calldata_copy" (func $copy (param i32 i32 i32)))
          (import "orac" "storage_read" (func $read (param i32 i32)))
          (import "orac" "revert" (func $revert (param i32 i32)))
          (memory (export "memory") 1)
          ;; 0: calldata word; 64: slot 0x42ff; 96: its value;
          ;; 128: Panic(1) (36 bytes); 192: Error("user error") (78 bytes)
          (data (i32.const 94) "\42\ff")
          (data (i32.const 128) "\4e\48\7b\71")
          (data (i32.const 163) "\01")
          (data (i32.const 192) "\08\c3\79\a0")
          (data (i32.const 227) "\20")
          (data (i32.const 259) "\0a")
          (data (i32.const 260) "user error")
          (func (export "call") (local $n i32)
            (local.set $n (call $size))
            (if (i32.gt_u (local.get $n) (i32.const 32)) (then (local.set $n (i32.const 32))))
            (call $copy (i32.const 0) (i32.const 0) (local.get $n))
            (call $read (i32.const 64) (i32.const 96))
            (if (i64.eqz (i64.or
                  (i64.or (i64.load (i32.const 0)) (i64.load (i32.const 8)))
                  (i64.or (i64.load (i32.const 16)) (i64.load (i32.const 24)))))
              (then (call $revert (i32.const 128) (i32.const 36)))
              (else (call $revert (i32.const 192) (i32.const 78))))))"#,
    )
    .expect("callrevert module")
}

/// callme.eas: returns 0xffee for the calldata 0xff01; reverts with the
/// bare text "wrong-calldatasize" for calldata of another length and
/// "wrong-calldata" for other two bytes.
fn callme_module() -> Vec<u8> {
    wat::parse_str(
        r#"(module
          (import "orac" "calldata_size" (func $size (result i32)))
          (import "orac" "calldata_copy" (func $copy (param i32 i32 i32)))
          (import "orac" "set_return" (func $return (param i32 i32)))
          (import "orac" "revert" (func $revert (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 32) "\ff\ee")
          (data (i32.const 64) "wrong-calldatasize")
          (data (i32.const 96) "wrong-calldata")
          (func (export "call")
            (if (i32.ne (call $size) (i32.const 2))
              (then (call $revert (i32.const 64) (i32.const 18)) (return)))
            (call $copy (i32.const 0) (i32.const 0) (i32.const 2))
            (if (i32.ne (i32.load16_u (i32.const 0)) (i32.const 0x01ff))
              (then (call $revert (i32.const 96) (i32.const 14)) (return)))
            (call $return (i32.const 32) (i32.const 2))))"#,
    )
    .expect("callme module")
}

fn address(s: &str) -> Address {
    s.parse().unwrap_or_else(|e| panic!("address {s}: {e:?}"))
}

fn addr_hex(a: Address) -> String {
    format!("{a:?}")
}

#[allow(clippy::too_many_arguments)]
fn signed(
    key: &PrivateKey,
    chain_id: u64,
    tx_type: TxType,
    nonce: u64,
    to: Option<Address>,
    value: u64,
    input: Vec<u8>,
    gas: u64,
) -> (String, H256) {
    // A typed call lists the slots emit touches, as hive's emit calls do.
    let access_list = match (tx_type, to) {
        (TxType::Legacy, _) | (_, None) => vec![],
        _ if input.is_empty() => vec![],
        (_, Some(to)) => vec![AccessListItem {
            address: to,
            storage_keys: vec![H256::zero(), keccak256(&input)],
        }],
    };
    let tx = Transaction {
        tx_type,
        chain_id: Some(chain_id),
        nonce,
        max_priority_fee_per_gas: U256::from(1_000_000_000u64),
        // A creation offers the most, so that it comes first in its block
        // (a block's transactions are ordered by tip), as hive's does.
        max_fee_per_gas: U256::from(match (tx_type, to) {
            (_, None) => 3_000_000_000u64,
            (TxType::DynamicFee, _) => 100_000_000_000,
            _ => 1_000_000_000,
        }),
        gas_limit: gas,
        to,
        value: U256::from(value),
        input: Bytes(input),
        access_list,
    }
    .sign(key);
    (hex0x(tx.encoded()), tx.hash())
}

fn h256_hex(h: H256) -> String {
    format!("{h:?}")
}

/// What [`build_chain`] leaves for the cases: orac's counterparts.
struct Chain {
    subst: Subst,
}

/// The calldata of orac's emit calls in blocks 2 and 4; hive's logs there
/// carry keccak of hive's (random) calldata as their second topic.
const CALL_A: &[u8] = b"\x00\x00\x00\x00\x00\x00\x00\x01emit";
const CALL_B: &[u8] = b"\x00\x00\x00\x00\x00\x00\x00\x02emit";

/// hive's transactions whose counterparts orac mines (same kind, same
/// role), and the one account whose nonce the cases read.
const HIVE_LEGACY_CREATE: &str =
    "0xc1d605c6612a5fe84dc95810030bfe5b1d327652b381bc695e28f50d13b2b09e";
const HIVE_LEGACY_TRANSFER: &str =
    "0x3fbac8b19b59077cd29bbacc3815d73577b45a4d976cae80b04c98c793684c07";
const HIVE_ACCESS_LIST_EMIT: &str =
    "0x695ad02907c9e13ab7c69963f723fa46ac13cd5e2314f61eab2cb2f07b946faa";
const HIVE_DYNAMIC_FEE_EMIT: &str =
    "0x205405746564cbcf1dd53fb5ac92c7622d3792d82f03c59d9baddf2443d91864";
/// Sent one transaction on hive's chain (nonce 1 at the head).
const HIVE_ONE_TX_ACCOUNT: &str = "0x0300100f529a704d19736a8714837adbc934db7f";
/// A block hash of hive's whose number no case gives (eth_getBalance at a
/// block hash): orac's block 4 stands in.
const HIVE_UNNUMBERED_BLOCK: &str =
    "0xa38f2a6f7d276298d8e7a9bfa28625e4dc8948021f5a7369d0a04571879e98d2";
const HIVE_TOPIC_BLOCK_2: &str =
    "0xf4da19d6c17928e683661a52829cf391d3dc26d581152b81ce595a1207944f09";
const HIVE_TOPIC_BLOCK_4: &str =
    "0x95b7276947f6331672b0c63eca28c1d39f25286d5e2793d6a487837ff1475ba0";
/// hive's head.
const HIVE_HEAD: u64 = 0x36;

/// The chain spec: hive's chain id, hive's funded accounts (those without
/// EVM code), the senders of hive's raw transactions, the dev keys, and
/// the three contract ports. The base fee floor is low enough for hive's
/// fee caps (hive's head base fee is 0x1a21397).
fn chain_spec(hive_genesis: &Value, cases: &[Case]) -> Value {
    let chain_id = hive_genesis["config"]["chainId"]
        .as_u64()
        .expect("hive chain id");
    let mut alloc = Map::new();
    for (a, acct) in hive_genesis["alloc"].as_object().expect("hive alloc") {
        if acct.get("code").is_none() && acct.get("storage").is_none() {
            alloc.insert(
                format!("0x{a}"),
                json!({ "balance": acct["balance"], "nonce": acct.get("nonce").cloned().unwrap_or(json!(0)) }),
            );
        }
    }
    let rich = json!({ "balance": "0xc097ce7bc90715b34b9f1000000000" });
    for case in cases
        .iter()
        .filter(|c| c.id.starts_with("eth_sendRawTransaction/"))
    {
        let req: Value = serde_json::from_str(&case.exchanges[0].0).expect("request");
        let raw = req["params"][0].as_str().expect("raw tx");
        let bytes = hex::decode(raw.trim_start_matches("0x")).expect("raw tx hex");
        // The blob transaction does not decode on orac (no type 3).
        if let Ok(tx) = SignedTransaction::decode(&bytes) {
            let sender = RecoveredTx::recover(tx).expect("hive signature").sender;
            alloc.entry(addr_hex(sender)).or_insert(rich.clone());
        }
    }
    for k in dev_keys() {
        alloc.insert(addr_hex(k.address()), rich.clone());
    }
    for (a, code) in [
        (EMIT, emit_module()),
        (CALLREVERT, callrevert_module()),
        (CALLME, callme_module()),
    ] {
        alloc.insert(a.to_string(), json!({ "code": hex0x(&code) }));
    }
    json!({
        "chainId": chain_id,
        "baseFeePerGas": "7",
        "minBaseFeePerGas": "7",
        "alloc": alloc,
    })
}

/// Mines orac's counterpart of hive's chain up to hive's head height:
///
/// | block | hive | orac |
/// |---|---|---|
/// | 1 | 4 transactions, the first a legacy creation | a legacy creation (an emit instance), a legacy transfer, an access-list transfer, and the one transaction of dev key 4 |
/// | 2, 4 | an emit call each, logged | an emit call each |
/// | 0x18 | an access-list emit call | the same |
/// | 0x1b | a dynamic-fee emit call | the same |
/// | 0x36 (head) | transactions | an emit call and a legacy transfer |
///
/// and leaves a pending and a queued transaction in the pool.
fn build_chain(node: &Node, chain_id: u64, cases: &[Case]) -> Chain {
    let keys = dev_keys();
    let emit = Some(address(EMIT));
    let send = |raw: &(String, H256)| {
        let h = node.ok("eth_sendRawTransaction", json!([raw.0]));
        assert_eq!(h, json!(h256_hex(raw.1)));
        raw.1
    };
    let mine = |to: u64| {
        let head = qty(&node.ok("eth_blockNumber", json!([]))) as u64;
        assert!(to > head, "mining to {to} from {head}");
        node.ok("anvil_mine", json!([format!("{:#x}", to - head)]));
    };
    let sign =
        |k: usize,
         t: TxType,
         nonce: u64,
         to: Option<Address>,
         value: u64,
         input: &[u8],
         gas: u64| { signed(&keys[k], chain_id, t, nonce, to, value, input.to_vec(), gas) };
    let creation = orac_vm::envelope::wrap(&emit_module());
    let legacy_create = send(&sign(0, TxType::Legacy, 0, None, 0, &creation, 3_000_000));
    let legacy_transfer = send(&sign(
        1,
        TxType::Legacy,
        0,
        Some(Address::repeat_byte(0xaa)),
        1,
        &[],
        21_000,
    ));
    send(&sign(
        2,
        TxType::AccessList,
        0,
        Some(Address::repeat_byte(0xab)),
        1,
        &[],
        30_000,
    ));
    send(&sign(
        4,
        TxType::DynamicFee,
        0,
        Some(Address::repeat_byte(0xac)),
        1,
        &[],
        21_000,
    ));
    mine(1);
    let receipt = node.ok(
        "eth_getTransactionReceipt",
        json!([h256_hex(legacy_create)]),
    );
    assert_eq!(receipt["status"], "0x1", "legacy creation: {receipt}");
    send(&sign(5, TxType::DynamicFee, 0, emit, 2, CALL_A, 200_000));
    mine(2);
    mine(3);
    send(&sign(5, TxType::DynamicFee, 1, emit, 2, CALL_B, 200_000));
    mine(4);
    mine(0x17);
    let access_list_emit = send(&sign(2, TxType::AccessList, 1, emit, 2, b"al", 200_000));
    mine(0x18);
    mine(0x1a);
    let dynamic_fee_emit = send(&sign(3, TxType::DynamicFee, 0, emit, 2, b"df", 200_000));
    mine(0x1b);
    mine(0x35);
    send(&sign(6, TxType::DynamicFee, 0, emit, 2, b"head", 200_000));
    send(&sign(
        7,
        TxType::Legacy,
        0,
        Some(Address::repeat_byte(0xad)),
        1,
        &[],
        21_000,
    ));
    mine(HIVE_HEAD);
    for (tx, block) in [
        (legacy_create, 1),
        (legacy_transfer, 1),
        (access_list_emit, 0x18),
        (dynamic_fee_emit, 0x1b),
    ] {
        let r = node.ok("eth_getTransactionReceipt", json!([h256_hex(tx)]));
        assert_eq!(r["status"], "0x1", "{r}");
        assert_eq!(qty(&r["blockNumber"]), block, "{r}");
    }
    // A pending and a queued transaction, for txpool_*.
    send(&sign(
        8,
        TxType::DynamicFee,
        0,
        Some(Address::repeat_byte(0xae)),
        1,
        &[],
        21_000,
    ));
    send(&sign(
        8,
        TxType::DynamicFee,
        2,
        Some(Address::repeat_byte(0xae)),
        1,
        &[],
        21_000,
    ));

    let mut subst = Subst::default();
    for (hive, orac) in [
        (HIVE_LEGACY_CREATE, legacy_create),
        (HIVE_LEGACY_TRANSFER, legacy_transfer),
        (HIVE_ACCESS_LIST_EMIT, access_list_emit),
        (HIVE_DYNAMIC_FEE_EMIT, dynamic_fee_emit),
        (HIVE_TOPIC_BLOCK_2, keccak256(CALL_A)),
        (HIVE_TOPIC_BLOCK_4, keccak256(CALL_B)),
    ] {
        subst.add(hive, &h256_hex(orac));
    }
    subst.add(HIVE_ONE_TX_ACCOUNT, &addr_hex(keys[4].address()));
    // hive's block hashes, by the numbers the answers give them.
    let orac_hash = |n: u64| -> String {
        let b = node.ok("eth_getBlockByNumber", json!([format!("{n:#x}"), false]));
        b["hash"].as_str().expect("orac block hash").to_string()
    };
    let mut numbers = BTreeMap::new();
    for case in cases {
        for (_, answer) in &case.exchanges {
            block_numbers(&answer["result"], &mut numbers);
        }
    }
    for (hash, n) in &numbers {
        assert!(*n <= HIVE_HEAD, "hive block {hash} at {n}");
        subst.add(hash, &orac_hash(*n));
    }
    subst.add(HIVE_UNNUMBERED_BLOCK, &orac_hash(4));
    Chain { subst }
}

/// Collects (block hash → number) from hive's answers: blocks
/// (`hash`/`number`), and transactions, receipts and logs
/// (`blockHash`/`blockNumber`).
fn block_numbers(v: &Value, out: &mut BTreeMap<String, u64>) {
    match v {
        Value::Object(o) => {
            let mut pair = |h: &str, n: &str| {
                if let (Some(Value::String(h)), Some(n @ Value::String(_))) = (o.get(h), o.get(n)) {
                    let n = qty(n) as u64;
                    if let Some(old) = out.insert(h.to_ascii_lowercase(), n) {
                        assert_eq!(old, n, "hive block {h} at two heights");
                    }
                }
            };
            pair("blockHash", "blockNumber");
            if o.contains_key("parentHash") {
                pair("hash", "number");
            }
            o.values().for_each(|x| block_numbers(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| block_numbers(x, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Running the cases.
// ---------------------------------------------------------------------------

fn reply(node: &Node, request: &str) -> Value {
    let text = node.raw(request);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("reply {text}: {e}"))
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// What is wrong with `got` as an answer in `class` to geth's `want`.
fn judge(class: Class, method: &str, got: &Value, want: &Value, schemas: &Schemas) -> Vec<String> {
    let mut out = Vec::new();
    match (want.get("error"), got.get("error")) {
        (Some(w), Some(g)) => {
            match class {
                Exact => {
                    for k in ["code", "message", "data"] {
                        if w.get(k) != g.get(k) {
                            out.push(format!("error {k}: {:?}, geth {:?}", g.get(k), w.get(k)));
                        }
                    }
                }
                _ if w["code"] != g["code"] => {
                    out.push(format!("error code {}, geth {}", g["code"], w["code"]));
                }
                _ => {}
            }
            return out;
        }
        (Some(w), None) => return vec![format!("answered {got}, geth refuses: {w}")],
        (None, Some(g)) => return vec![format!("error {g}")],
        (None, None) => {}
    }
    let (g, w) = (&got["result"], &want["result"]);
    match class {
        Exact => {
            if g != w {
                out.push(format!("result {g}, geth {w}"));
            }
        }
        Shape | ShapeSame(_) => {
            if is_empty(g) && !is_empty(w) {
                out.push(format!("empty result {g} where geth has one"));
            }
            out.extend(schemas.check(method, g));
            if let ShapeSame(fields) = class {
                let pairs: Vec<(&Value, &Value)> = match (g, w) {
                    (Value::Array(g), Value::Array(w)) => {
                        if g.len() != w.len() {
                            out.push(format!("{} elements, geth {}", g.len(), w.len()));
                        }
                        g.iter().zip(w).collect()
                    }
                    _ => vec![(g, w)],
                };
                for (i, (g, w)) in pairs.into_iter().enumerate() {
                    for f in fields {
                        if g.get(f) != w.get(f) {
                            out.push(format!(
                                "[{i}].{f}: {}, geth {}",
                                g.get(f).unwrap_or(&Value::Null),
                                w.get(f).unwrap_or(&Value::Null)
                            ));
                        }
                    }
                }
            }
        }
        Class::Skip(_) => unreachable!("skipped cases are not judged"),
    }
    out
}

#[test]
fn hive_rpc_compat_cases() {
    let cases = load_cases();
    let schemas = Schemas::load();
    // The table and the files agree, both ways.
    let table: BTreeMap<&str, Class> = CASES.iter().copied().collect();
    assert_eq!(table.len(), CASES.len(), "a case is listed twice");
    let missing: Vec<&str> = cases
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| !table.contains_key(id))
        .collect();
    assert!(missing.is_empty(), "cases not classified: {missing:?}");
    let stale: Vec<&&str> = table
        .keys()
        .filter(|k| !cases.iter().any(|c| c.id == **k))
        .collect();
    assert!(
        stale.is_empty(),
        "classified cases without a file: {stale:?}"
    );

    let hive_genesis: Value = serde_json::from_str(
        &std::fs::read_to_string(data_dir().join("tests/genesis.json")).expect("genesis.json"),
    )
    .expect("genesis.json is JSON");
    let chain_id = hive_genesis["config"]["chainId"]
        .as_u64()
        .expect("hive chain id");
    let dir = tempfile::tempdir().expect("temp dir");
    let spec_path = dir.path().join("hive-spec.json");
    std::fs::write(
        &spec_path,
        serde_json::to_string_pretty(&chain_spec(&hive_genesis, &cases)).expect("spec"),
    )
    .expect("write the spec");
    // Blocks are sealed by the test (anvil_mine), so that several
    // transactions share a block and the pool keeps what is left in it.
    let node = Node::chain(
        dir.path(),
        &spec_path,
        &["--allow-dev-rpc", "--block-time", "3600"],
    );
    let chain = build_chain(&node, chain_id, &cases);

    let (mut exact, mut shape, mut skipped) = (0, 0, 0);
    let mut failures = String::new();
    let mut skips = String::new();
    for case in &cases {
        let class = table[case.id.as_str()];
        let method = case.id.split('/').next().expect("method folder");
        if case.speconly {
            assert!(
                !matches!(class, Exact),
                "{}: hive checks only the schema of this one",
                case.id
            );
        }
        let mut problems = Vec::new();
        match class {
            Class::Skip(skip) => {
                skipped += 1;
                let (reason, check) = match skip {
                    NotServed(r) => (r, Some(None)),
                    Refused(r, text) => (r, Some(Some(text))),
                    Unreplayable(r) => (r, None),
                };
                let _ = writeln!(skips, "  skip {}: {reason}", case.id);
                if let Some(text) = check {
                    for (req, _) in &case.exchanges {
                        let got = reply(&node, &chain.subst.apply(req));
                        let e = &got["error"];
                        let ok = match text {
                            None => e["code"] == -32601,
                            Some(t) => e["message"].as_str().is_some_and(|m| m.contains(t)),
                        };
                        if !ok {
                            problems.push(format!(
                                "listed as {skip:?} but answered {got}: reclassify it"
                            ));
                        }
                    }
                }
            }
            _ => {
                if matches!(class, Exact) {
                    exact += 1;
                } else {
                    shape += 1;
                }
                for (req, want) in &case.exchanges {
                    let got = reply(&node, &chain.subst.apply(req));
                    let want = chain.subst.apply_value(want);
                    problems.extend(judge(class, method, &got, &want, &schemas));
                }
            }
        }
        for p in problems {
            let _ = writeln!(failures, "  {}: {p}", case.id);
        }
    }
    println!("{skips}");
    println!(
        "execution-apis rpc-compat: {} cases: {exact} exact, {shape} shape, {skipped} skipped",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "cases orac fails:\n{failures}(a deliberate difference is classified in CASES, with its reason)"
    );
}

// ---------------------------------------------------------------------------
// The common methods on a dev node, against the schemas.
// ---------------------------------------------------------------------------

/// Answers of orac's that do not fit the schema on purpose, by the label
/// [`dev_node_answers_match_the_schemas`] gives them. A listed answer that
/// fits fails the test too, so the list cannot go stale.
const SCHEMA_DEVIATIONS: &[(&str, &str)] = &[(
    "eth_signTransaction",
    "returns the raw signed transaction (as anvil does, and as ethers and viem \
     read it), not execution-apis' {raw, tx} object (docs/rpc.md)",
)];

#[test]
fn dev_node_answers_match_the_schemas() {
    let schemas = Schemas::load();
    let dir = tempfile::tempdir().expect("temp dir");
    let node = Node::dev(dir.path(), &[]);
    let keys = dev_keys();
    let me = addr_hex(keys[0].address());
    let to = addr_hex(Address::repeat_byte(0x11));

    // A transfer, a deploy, a call that logs: one block each.
    let transfer = node.ok(
        "eth_sendRawTransaction",
        json!([signed_transfer(&keys[0], 0, Address::repeat_byte(0x11), 5)]),
    );
    let creation = orac_vm::envelope::wrap(&emit_module());
    let deploy = node.ok(
        "eth_sendRawTransaction",
        json!([signed_tx(&keys[0], 1, None, 0, creation, 3_000_000)]),
    );
    let contract = node.ok("eth_getTransactionReceipt", json!([deploy]))["contractAddress"].clone();
    let contract_address = address(contract.as_str().expect("contract address"));
    // Filters that see the call's log and block. (An empty array fits
    // both branches of FilterResults' oneOf, so it fails the schema.)
    let log_filter = node.ok("eth_newFilter", json!([{"fromBlock": "0x0"}]));
    let block_filter = node.ok("eth_newBlockFilter", json!([]));
    let call = node.ok(
        "eth_sendRawTransaction",
        json!([signed_tx(
            &keys[0],
            2,
            Some(contract_address),
            0,
            b"hello".to_vec(),
            200_000
        )]),
    );
    let receipt = node.ok("eth_getTransactionReceipt", json!([call]));
    assert_eq!(
        receipt["logs"].as_array().map(Vec::len),
        Some(1),
        "{receipt}"
    );
    let block = receipt["blockHash"].clone();
    // A queued transaction (a nonce gap) for txpool_*.
    node.ok(
        "eth_sendRawTransaction",
        json!([signed_transfer(&keys[1], 1, Address::repeat_byte(0x12), 1)]),
    );
    let call_req = json!({"from": me, "to": contract, "input": "0x1234"});

    #[rustfmt::skip] // one check a line, so the table reads as one
    let checks: Vec<(&str, &str, Value)> = vec![
        ("eth_chainId", "eth_chainId", json!([])),
        ("eth_blockNumber", "eth_blockNumber", json!([])),
        ("eth_syncing", "eth_syncing", json!([])),
        ("eth_accounts", "eth_accounts", json!([])),
        ("eth_coinbase", "eth_coinbase", json!([])),
        ("net_version", "net_version", json!([])),
        ("eth_gasPrice", "eth_gasPrice", json!([])),
        ("eth_baseFee", "eth_baseFee", json!([])),
        ("eth_maxPriorityFeePerGas", "eth_maxPriorityFeePerGas", json!([])),
        ("eth_feeHistory", "eth_feeHistory", json!(["0x4", "latest", [25, 75]])),
        ("eth_getBlockByNumber full", "eth_getBlockByNumber", json!(["0x3", true])),
        ("eth_getBlockByNumber hashes", "eth_getBlockByNumber", json!(["0x3", false])),
        ("eth_getBlockByNumber genesis", "eth_getBlockByNumber", json!(["0x0", true])),
        ("eth_getBlockByNumber empty", "eth_getBlockByNumber", json!(["latest", true])),
        ("eth_getBlockByNumber pending", "eth_getBlockByNumber", json!(["pending", true])),
        ("eth_getBlockByHash", "eth_getBlockByHash", json!([block, true])),
        (
            "eth_getBlockTransactionCountByHash",
            "eth_getBlockTransactionCountByHash",
            json!([block]),
        ),
        (
            "eth_getBlockTransactionCountByNumber",
            "eth_getBlockTransactionCountByNumber",
            json!(["0x3"]),
        ),
        ("eth_getTransactionByHash transfer", "eth_getTransactionByHash", json!([transfer])),
        ("eth_getTransactionByHash deploy", "eth_getTransactionByHash", json!([deploy])),
        ("eth_getTransactionByHash call", "eth_getTransactionByHash", json!([call])),
        (
            "eth_getTransactionByBlockHashAndIndex",
            "eth_getTransactionByBlockHashAndIndex",
            json!([block, "0x0"]),
        ),
        (
            "eth_getTransactionByBlockNumberAndIndex",
            "eth_getTransactionByBlockNumberAndIndex",
            json!(["0x2", "0x0"]),
        ),
        ("eth_getTransactionReceipt transfer", "eth_getTransactionReceipt", json!([transfer])),
        ("eth_getTransactionReceipt deploy", "eth_getTransactionReceipt", json!([deploy])),
        ("eth_getTransactionReceipt call", "eth_getTransactionReceipt", json!([call])),
        ("eth_getBlockReceipts", "eth_getBlockReceipts", json!(["0x3"])),
        ("eth_getLogs", "eth_getLogs", json!([{"fromBlock": "0x0", "address": contract}])),
        ("eth_getFilterLogs", "eth_getFilterLogs", json!([log_filter])),
        ("eth_getFilterChanges logs", "eth_getFilterChanges", json!([log_filter])),
        ("eth_getFilterChanges blocks", "eth_getFilterChanges", json!([block_filter])),
        ("eth_call", "eth_call", json!([call_req, "latest"])),
        ("eth_estimateGas", "eth_estimateGas", json!([call_req])),
        ("eth_createAccessList", "eth_createAccessList", json!([call_req, "latest"])),
        ("eth_getBalance", "eth_getBalance", json!([me, "latest"])),
        ("eth_getCode", "eth_getCode", json!([contract, "latest"])),
        ("eth_getStorageAt", "eth_getStorageAt", json!([contract, "0x0", "latest"])),
        ("eth_getTransactionCount", "eth_getTransactionCount", json!([me, "latest"])),
        ("eth_getProof", "eth_getProof", json!([contract, ["0x0"], "latest"])),
        ("txpool_status", "txpool_status", json!([])),
        ("txpool_content", "txpool_content", json!([])),
        ("txpool_contentFrom", "txpool_contentFrom", json!([addr_hex(keys[1].address())])),
        ("eth_sign", "eth_sign", json!([me, "0xdeadbeef"])),
        (
            "eth_signTransaction",
            "eth_signTransaction",
            json!([{"from": me, "to": to, "value": "0x1", "gas": "0x5208"}]),
        ),
        (
            "eth_sendTransaction",
            "eth_sendTransaction",
            json!([{"from": me, "to": to, "value": "0x1"}]),
        ),
    ];
    // eth_baseFee is the next block's base fee: eth_gasPrice less the
    // suggested tip.
    let base_fee = qty(&node.ok("eth_baseFee", json!([])));
    let tip = qty(&node.ok("eth_maxPriorityFeePerGas", json!([])));
    assert!(base_fee > 0);
    assert_eq!(base_fee + tip, qty(&node.ok("eth_gasPrice", json!([]))));
    let mut failures = String::new();
    for (label, method, params) in &checks {
        let got = node.ok(method, params.clone());
        assert!(!got.is_null(), "{label}: null");
        let errors = schemas.check(method, &got);
        let allowed = SCHEMA_DEVIATIONS.iter().find(|d| d.0 == *label);
        match (errors.is_empty(), allowed) {
            (true, None) | (false, Some(_)) => {}
            (false, None) => {
                let _ = writeln!(failures, "  {label}: {got}\n    {}", errors.join("\n    "));
            }
            (true, Some(_)) => {
                let _ = writeln!(failures, "  {label}: fits the schema now; unlist it");
            }
        }
    }
    println!(
        "{} dev-node answers checked against the execution-apis schemas, {} known deviation(s)",
        checks.len(),
        SCHEMA_DEVIATIONS.len()
    );
    assert!(
        failures.is_empty(),
        "answers that do not fit the schemas:\n{failures}"
    );
}
