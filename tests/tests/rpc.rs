//! The JSON-RPC surface over real HTTP and WebSocket: shapes, tags, errors,
//! limits, filters, subscriptions and dev methods.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use orac_primitives::Address;
use orac_tests::{Node, dev_keys, hex0x, qty, signed_transfer, signed_tx, test_contract};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn addr(a: Address) -> String {
    format!("{a:?}")
}

#[test]
fn node_basics_and_block_tags() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    assert_eq!(node.ok("eth_chainId", json!([])), "0x7a69");
    assert_eq!(node.ok("net_version", json!([])), "31337");
    assert!(
        node.ok("web3_clientVersion", json!([]))
            .as_str()
            .unwrap()
            .starts_with("orac/")
    );
    let accounts = node.ok("eth_accounts", json!([]));
    assert_eq!(accounts.as_array().unwrap().len(), 10);
    assert_eq!(accounts[0], "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    assert_eq!(
        qty(&node.ok("eth_getBalance", json!([accounts[0], "latest"]))),
        10_000 * 10u128.pow(18)
    );
    let keys = dev_keys();
    let hash = node.ok(
        "eth_sendRawTransaction",
        json!([signed_transfer(&keys[0], 0, Address::repeat_byte(1), 5)]),
    );
    for tag in ["latest", "safe", "finalized", "0x1"] {
        let b = node.ok("eth_getBlockByNumber", json!([tag, false]));
        assert_eq!(b["number"], "0x1", "{tag}");
        assert_eq!(b["transactions"][0], hash);
        assert!(qty(&b["baseFeePerGas"]) > 0);
    }
    // `pending` is the block after the head (anvil): empty while blocks are
    // sealed as transactions arrive.
    let latest = node.ok("eth_getBlockByNumber", json!(["latest", false]));
    let pending = node.ok("eth_getBlockByNumber", json!(["pending", false]));
    assert_eq!(pending["number"], "0x2");
    assert_eq!(pending["parentHash"], latest["hash"]);
    assert_eq!(pending["transactions"], json!([]));
    let genesis = node.ok("eth_getBlockByNumber", json!(["earliest", false]));
    assert_eq!(genesis["number"], "0x0");
    let b1 = node.ok("eth_getBlockByNumber", json!(["0x1", true]));
    assert_eq!(b1["parentHash"], genesis["hash"]);
    assert_eq!(node.ok("eth_getBlockByHash", json!([b1["hash"], true])), b1);
    assert_eq!(b1["transactions"][0]["hash"], hash);
    assert_eq!(b1["transactions"][0]["from"], accounts[0]);
    assert!(
        node.ok("eth_getBlockByNumber", json!(["0x99", false]))
            .is_null()
    );
    let receipt = node.ok("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["gasUsed"], "0x5208");
    assert_eq!(receipt["type"], "0x2");
    assert_eq!(receipt["blockHash"], b1["hash"]);
    assert_eq!(
        node.ok("eth_getBlockReceipts", json!(["latest"]))[0],
        receipt
    );
    let tx = node.ok("eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["blockNumber"], "0x1");
    assert_eq!(tx["transactionIndex"], "0x0");
    // History: the balance before and after block 1.
    let to = addr(Address::repeat_byte(1));
    assert_eq!(node.ok("eth_getBalance", json!([to, "0x0"])), "0x0");
    assert_eq!(node.ok("eth_getBalance", json!([to, "0x1"])), "0x5");
    assert_eq!(
        node.ok("eth_getTransactionCount", json!([accounts[0], "latest"])),
        "0x1"
    );
    assert_eq!(node.ok("eth_getCode", json!([to, "latest"])), "0x");
    assert_eq!(
        node.ok("eth_getStorageAt", json!([to, "0x0", "latest"])),
        format!("0x{}", "0".repeat(64))
    );
    let err = node
        .call("eth_getBalance", json!([to, "0x99"]))
        .unwrap_err();
    assert_eq!(err["message"], "header not found");
    // Fees.
    assert!(qty(&node.ok("eth_gasPrice", json!([]))) >= 10u128.pow(9));
    assert_eq!(node.ok("eth_maxPriorityFeePerGas", json!([])), "0x3b9aca00");
    let fh = node.ok("eth_feeHistory", json!(["0x2", "latest", [25.0, 75.0]]));
    assert_eq!(fh["oldestBlock"], "0x0");
    assert_eq!(fh["baseFeePerGas"].as_array().unwrap().len(), 3);
    assert_eq!(fh["reward"][1].as_array().unwrap().len(), 2);
    assert_eq!(fh["reward"][1][0], "0x3b9aca00");
    // Calls and estimates for a plain transfer.
    let call = json!({"from": accounts[0], "to": to, "value": "0x1"});
    assert_eq!(node.ok("eth_estimateGas", json!([call])), "0x5208");
    assert_eq!(node.ok("eth_call", json!([call, "latest"])), "0x");
    let broke = json!({"from": addr(Address::repeat_byte(9)), "to": to, "value": "0x1"});
    let err = node.call("eth_estimateGas", json!([broke])).unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("insufficient funds"),
        "{err}"
    );
    // Proofs of the account trie.
    let proof = node.ok("eth_getProof", json!([accounts[0], [], "latest"]));
    assert_eq!(proof["nonce"], "0x1");
    assert!(!proof["accountProof"].as_array().unwrap().is_empty());
}

#[test]
fn bad_input_gets_json_rpc_errors_and_the_node_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let err = |body: &str| -> Value { serde_json::from_str(&node.raw(body)).unwrap() };
    assert_eq!(err("{not json")["error"]["code"], -32700);
    assert_eq!(err("42")["error"]["code"], -32600);
    assert_eq!(err("[]")["error"]["code"], -32600);
    assert_eq!(err(r#"{"jsonrpc":"2.0","id":1}"#)["error"]["code"], -32600);
    let e = err(r#"{"jsonrpc":"2.0","id":1,"method":"eth_nope"}"#);
    assert_eq!(
        e["error"]["message"],
        "the method eth_nope does not exist/is not available"
    );
    let e = err(r#"{"jsonrpc":"2.0","id":7,"method":"eth_getBalance","params":["0x12"]}"#);
    assert_eq!(e["error"]["code"], -32602);
    assert_eq!(e["id"], 7);
    let e = err(r#"{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":{"a":1}}"#);
    assert_eq!(e["error"]["code"], -32602);
    // Batches: mixed results in order; notifications get no reply.
    let batch = node.raw(
        r#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},
            {"jsonrpc":"2.0","method":"eth_chainId"},
            {"jsonrpc":"2.0","id":"b","method":"nope"}, 5]"#,
    );
    let batch: Value = serde_json::from_str(&batch).unwrap();
    let replies = batch.as_array().unwrap();
    assert_eq!(replies.len(), 3);
    assert_eq!(replies[0]["result"], "0x7a69");
    assert_eq!(replies[1]["id"], "b");
    assert_eq!(replies[2]["error"]["code"], -32600);
    // Oversized batch and body.
    let big: Vec<Value> = (0..1001)
        .map(|i| json!({"jsonrpc":"2.0","id":i,"method":"eth_chainId"}))
        .collect();
    assert_eq!(
        err(&serde_json::to_string(&big).unwrap())["error"]["code"],
        -32005
    );
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":["{}"]}}"#,
        "a".repeat(6 << 20)
    );
    let reply = reqwest::blocking::Client::new()
        .post(&node.url)
        .body(huge)
        .send()
        .unwrap();
    assert_eq!(reply.status(), 413);
    // Hostile transactions.
    let keys = dev_keys();
    for (raw, want) in [
        ("0x", "typed transaction too short"),
        ("0x03c0", "transaction type not supported"),
        ("0xf8", "rlp"),
        // EIP-155's example is signed for chain 1.
        (
            "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83",
            "invalid chain id for signer",
        ),
    ] {
        let e = node
            .call("eth_sendRawTransaction", json!([raw]))
            .unwrap_err();
        assert_eq!(e["code"], -32000, "{raw}");
        assert!(e["message"].as_str().unwrap().contains(want), "{raw}: {e}");
    }
    let raw = signed_transfer(&keys[0], 0, Address::repeat_byte(3), 1);
    node.ok("eth_sendRawTransaction", json!([raw]));
    let e = node
        .call("eth_sendRawTransaction", json!([raw]))
        .unwrap_err();
    assert!(
        e["message"].as_str().unwrap().starts_with("nonce too low"),
        "{e}"
    );
    // Still serving.
    assert_eq!(node.ok("eth_blockNumber", json!([])), "0x1");
}

#[test]
fn filters_report_each_block_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let id = node.ok("eth_newBlockFilter", json!([]));
    let logs_id = node.ok("eth_newFilter", json!([{"fromBlock": "latest"}]));
    assert_eq!(node.ok("eth_getFilterChanges", json!([id])), json!([]));
    node.ok("evm_mine", json!([]));
    node.ok("evm_mine", json!([]));
    let changes = node.ok("eth_getFilterChanges", json!([id]));
    assert_eq!(changes.as_array().unwrap().len(), 2);
    let b2 = node.ok("eth_getBlockByNumber", json!(["0x2", false]));
    assert_eq!(changes[1], b2["hash"]);
    assert_eq!(node.ok("eth_getFilterChanges", json!([id])), json!([]));
    assert_eq!(node.ok("eth_getFilterChanges", json!([logs_id])), json!([]));
    assert_eq!(node.ok("eth_getFilterLogs", json!([logs_id])), json!([]));
    assert_eq!(node.ok("eth_uninstallFilter", json!([id])), true);
    assert_eq!(node.ok("eth_uninstallFilter", json!([id])), false);
    let e = node.call("eth_getFilterChanges", json!([id])).unwrap_err();
    assert_eq!(e["message"], "filter not found");
    assert_eq!(
        node.ok(
            "eth_getLogs",
            json!([{"fromBlock": "0x0", "toBlock": "latest"}])
        ),
        json!([])
    );
    let e = node
        .call(
            "eth_getLogs",
            json!([{"fromBlock": "0x2", "toBlock": "0x1"}]),
        )
        .unwrap_err();
    assert_eq!(e["code"], -32602);
}

/// Deploys the counter test contract from dev account 0 (nonce 0).
fn deploy_counter(node: &Node) -> Address {
    let keys = dev_keys();
    let me = addr(keys[0].address());
    let mut creation = orac_vm::envelope::wrap(&test_contract("counter"));
    creation.extend_from_slice(&[0u8; 32]); // constructor(uint256 0)
    let gas = qty(&node.ok(
        "eth_estimateGas",
        json!([{"from": me, "data": hex0x(&creation)}]),
    )) as u64;
    let hash = node.ok(
        "eth_sendRawTransaction",
        json!([signed_tx(&keys[0], 0, None, 0, creation, gas)]),
    );
    let receipt = node.ok("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    serde_json::from_value(receipt["contractAddress"].clone()).unwrap()
}

/// counter.increment() from dev account 0: one block with one log.
/// Returns the block number (a JSON quantity).
fn increment(node: &Node, counter: Address, nonce: u64) -> Value {
    const INCREMENT: [u8; 4] = [0xd0, 0x9d, 0xe0, 0x8a];
    let keys = dev_keys();
    let gas = qty(&node.ok(
        "eth_estimateGas",
        json!([{"from": addr(keys[0].address()), "to": addr(counter), "data": hex0x(&INCREMENT)}]),
    )) as u64;
    let h = node.ok(
        "eth_sendRawTransaction",
        json!([signed_tx(
            &keys[0],
            nonce,
            Some(counter),
            0,
            INCREMENT.to_vec(),
            gas
        )]),
    );
    let r = node.ok("eth_getTransactionReceipt", json!([h]));
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(r["logs"].as_array().unwrap().len(), 1, "{r}");
    r["blockNumber"].clone()
}

/// A log filter whose bounds are tags (web3.py's `create_filter` sends
/// `fromBlock` and `toBlock` "latest"; viem's sends none) reports every
/// matching log mined since the last poll, not only those of the head block
/// at the time of the poll, as geth and anvil do; fixed block numbers still
/// bound it.
#[test]
fn log_filters_report_every_new_log_since_the_last_poll() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let counter = deploy_counter(&node);
    let head = qty(&node.ok("eth_blockNumber", json!([]))) as u64;

    let latest = node.ok(
        "eth_newFilter",
        json!([{"fromBlock": "latest", "toBlock": "latest", "address": addr(counter)}]),
    );
    let unbounded = node.ok("eth_newFilter", json!([{"address": addr(counter)}]));
    // Fixed bounds still apply: only the second of the three blocks to come.
    let fixed = node.ok(
        "eth_newFilter",
        json!([{"fromBlock": qty_hex(head + 2), "toBlock": qty_hex(head + 2), "address": addr(counter)}]),
    );
    let blocks: Vec<Value> = (1..=3)
        .map(|nonce| increment(&node, counter, nonce))
        .collect();
    assert_ne!(blocks[0], blocks[2], "one block per transaction");
    for id in [&latest, &unbounded] {
        let changes = node.ok("eth_getFilterChanges", json!([id]));
        let got: Vec<&Value> = changes
            .as_array()
            .unwrap()
            .iter()
            .map(|l| &l["blockNumber"])
            .collect();
        assert_eq!(got, blocks.iter().collect::<Vec<_>>(), "{changes}");
        assert_eq!(node.ok("eth_getFilterChanges", json!([id])), json!([]));
    }
    let changes = node.ok("eth_getFilterChanges", json!([fixed]));
    assert_eq!(changes.as_array().unwrap().len(), 1, "{changes}");
    assert_eq!(changes[0]["blockNumber"], qty_hex(head + 2));
    // eth_getFilterLogs still resolves the tags now: "latest".."latest" is
    // the head block only.
    let logs = node.ok("eth_getFilterLogs", json!([latest]));
    assert_eq!(logs.as_array().unwrap().len(), 1, "{logs}");
    assert_eq!(logs[0]["blockNumber"], blocks[2]);
}

/// Logs subscriptions accept fromBlock / toBlock as geth does (cast's
/// `logs --subscribe` sends "earliest".."latest"): they stream new logs
/// only, and fixed block numbers bound the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_subscriptions_take_block_bounds_as_geth_does() {
    let dir = tempfile::tempdir().unwrap();
    let (node, counter, head) = tokio::task::spawn_blocking({
        let p = dir.path().to_path_buf();
        move || {
            let node = Node::dev(&p, &[]);
            let counter = deploy_counter(&node);
            increment(&node, counter, 1); // a past log: never streamed
            let head = qty(&node.ok("eth_blockNumber", json!([]))) as u64;
            (node, counter, head)
        }
    })
    .await
    .unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(node.ws_url.as_str())
        .await
        .unwrap();
    let mut id = 0;
    let mut request = async |ws: &mut tokio_tungstenite::WebSocketStream<_>, params: Value| {
        id += 1;
        let req = json!({"jsonrpc": "2.0", "id": id, "method": "eth_subscribe", "params": params});
        ws.send(Message::text(req.to_string())).await.unwrap();
    };
    let a = addr(counter);
    let mut subscribe = async |ws: &mut tokio_tungstenite::WebSocketStream<_>, filter: Value| {
        request(ws, json!(["logs", filter])).await;
        next(ws).await
    };
    let cast_like = subscribe(
        &mut ws,
        json!({"fromBlock": "earliest", "toBlock": "latest", "address": a}),
    )
    .await;
    let cast_like = cast_like["result"].clone();
    assert!(cast_like.is_string(), "{cast_like}");
    // Bounded to the first block to come.
    let first = qty_hex(head + 1);
    let bounded = subscribe(
        &mut ws,
        json!({"fromBlock": first, "toBlock": first, "address": a}),
    )
    .await;
    let bounded = bounded["result"].clone();
    assert!(bounded.is_string(), "{bounded}");
    let e = subscribe(&mut ws, json!({"fromBlock": "0x2", "toBlock": "0x1"})).await;
    assert_eq!(e["error"]["code"], -32602, "{e}");
    let e = subscribe(
        &mut ws,
        json!({"blockHash": format!("0x{}", "11".repeat(32))}),
    )
    .await;
    assert_eq!(e["error"]["code"], -32602, "{e}");

    // The node is handed back so that it lives until the end of the test.
    let (_node, blocks) = tokio::task::spawn_blocking(move || {
        let blocks: Vec<Value> = (2..=3)
            .map(|nonce| increment(&node, counter, nonce))
            .collect();
        (node, blocks)
    })
    .await
    .unwrap();
    // In block order: block 1 for both subscriptions, then block 2 for the
    // unbounded one only.
    let mut got = Vec::new();
    for _ in 0..3 {
        let note = next(&mut ws).await;
        assert_eq!(note["method"], "eth_subscription", "{note}");
        got.push((
            note["params"]["subscription"].clone(),
            note["params"]["result"]["blockNumber"].clone(),
        ));
    }
    got.sort_by_key(|(s, n)| (n.to_string(), s.to_string()));
    let mut want = vec![
        (cast_like.clone(), blocks[0].clone()),
        (bounded.clone(), blocks[0].clone()),
        (cast_like.clone(), blocks[1].clone()),
    ];
    want.sort_by_key(|(s, n)| (n.to_string(), s.to_string()));
    assert_eq!(got, want);
    // Nothing else arrives.
    let quiet = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
    assert!(quiet.is_err(), "unexpected message: {quiet:?}");
}

fn qty_hex(n: u64) -> String {
    format!("0x{n:x}")
}

#[test]
fn dev_methods_snapshot_revert_mine_time_balance() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let who = addr(Address::repeat_byte(0x33));
    let snap = node.ok("evm_snapshot", json!([]));
    assert_eq!(
        node.ok("anvil_setBalance", json!([who, "0xde0b6b3a7640000"])),
        true
    );
    assert_eq!(
        node.ok("hardhat_setBalance", json!([who, "0xde0b6b3a7640001"])),
        true
    );
    assert_eq!(
        node.ok("eth_getBalance", json!([who, "latest"])),
        "0xde0b6b3a7640001"
    );
    node.ok("evm_mine", json!([]));
    node.ok("evm_mine", json!([{"blocks": "0x3"}]));
    assert_eq!(node.ok("eth_blockNumber", json!([])), "0x4");
    let before = qty(&node.ok("eth_getBlockByNumber", json!(["latest", false]))["timestamp"]);
    let offset = node.ok("evm_increaseTime", json!(["0xe10"]));
    assert_eq!(offset, 3600);
    node.ok("evm_mine", json!([]));
    let after = qty(&node.ok("eth_getBlockByNumber", json!(["latest", false]))["timestamp"]);
    assert!(after >= before + 3600, "{before} -> {after}");
    node.ok("evm_mine", json!([format!("{:#x}", after + 100)]));
    assert_eq!(
        qty(&node.ok("eth_getBlockByNumber", json!(["latest", false]))["timestamp"]),
        after + 100
    );
    assert_eq!(node.ok("evm_revert", json!([snap])), true);
    assert_eq!(node.ok("eth_blockNumber", json!([])), "0x0");
    assert_eq!(node.ok("eth_getBalance", json!([who, "latest"])), "0x0");
    assert_eq!(node.ok("evm_revert", json!([snap])), false);
    // eth_sendTransaction signs with the node's key.
    let from = node.ok("eth_accounts", json!([]))[2].clone();
    let hash = node.ok(
        "eth_sendTransaction",
        json!([{"from": from, "to": who, "value": "0x10"}]),
    );
    let r = node.ok("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(r["from"], from);
    assert_eq!(r["type"], "0x2");
    let e = node
        .call(
            "eth_sendTransaction",
            json!([{"from": who, "to": who, "value": "0x1"}]),
        )
        .unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("unknown account"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_subscriptions_and_requests() {
    let dir = tempfile::tempdir().unwrap();
    let node = tokio::task::spawn_blocking({
        let p = dir.path().to_path_buf();
        move || Node::dev(&p, &[])
    })
    .await
    .unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(node.ws_url.as_str())
        .await
        .unwrap();
    ws.send(Message::text(
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#,
    ))
    .await
    .unwrap();
    let sub = next(&mut ws).await["result"].clone();
    assert!(sub.is_string());
    // Garbage on the socket gets an error and the connection lives on.
    ws.send(Message::text("garbage")).await.unwrap();
    assert_eq!(next(&mut ws).await["error"]["code"], -32700);
    ws.send(Message::text(r#"{"jsonrpc":"2.0","id":2,"method":"eth_subscribe","params":["logs",{"address":"0x0000000000000000000000000000000000000001"}]}"#))
        .await
        .unwrap();
    let logs_sub = next(&mut ws).await["result"].clone();
    assert!(logs_sub.is_string());
    // Three blocks: three notifications, in order.
    let url = node.url.clone();
    tokio::task::spawn_blocking(move || {
        let c = reqwest::blocking::Client::new();
        for _ in 0..3 {
            orac_tests::try_call(&c, &url, "evm_mine", json!([]))
                .unwrap()
                .unwrap();
        }
    })
    .await
    .unwrap();
    for n in 1..=3u64 {
        let note = next(&mut ws).await;
        assert_eq!(note["method"], "eth_subscription");
        assert_eq!(note["params"]["subscription"], sub);
        assert_eq!(note["params"]["result"]["number"], format!("{n:#x}"));
    }
    ws.send(Message::text(format!(
        r#"{{"jsonrpc":"2.0","id":3,"method":"eth_unsubscribe","params":["{}"]}}"#,
        sub.as_str().unwrap()
    )))
    .await
    .unwrap();
    assert_eq!(next(&mut ws).await["result"], true);
    // Plain requests work over the socket too, batches included.
    ws.send(Message::text(
        r#"[{"jsonrpc":"2.0","id":4,"method":"eth_blockNumber"}]"#,
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut ws).await[0]["result"], "0x3");
    // eth_subscribe over HTTP is refused.
    tokio::task::spawn_blocking(move || {
        let e = node.call("eth_subscribe", json!(["newHeads"])).unwrap_err();
        assert_eq!(e["message"], "notifications not supported");
    })
    .await
    .unwrap();
}

/// A chain spec with the first dev account funded, as a file in `dir`.
fn spec_file(dir: &std::path::Path) -> std::path::PathBuf {
    let funded = dev_keys()[0].address();
    let path = dir.join("spec.json");
    let spec = json!({
        "chainId": 31337,
        "alloc": { addr(funded): { "balance": "0x3635c9adc5dea00000" } }
    });
    std::fs::write(&path, spec.to_string()).unwrap();
    path
}

/// REPRO H2: `anvil_*`/`evm_*` were served on every chain; on a chain
/// that is not `--dev` they are "method not available" unless the
/// operator passes `--allow-dev-rpc`.
#[test]
fn dev_methods_are_served_only_on_dev_chains() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_file(dir.path());
    let who = addr(Address::repeat_byte(0x33));
    let node = Node::chain(&dir.path().join("a"), &spec, &[]);
    for (method, params) in [
        ("anvil_setBalance", json!([who, "0x1"])),
        ("hardhat_setBalance", json!([who, "0x1"])),
        (
            "anvil_setStorageAt",
            json!([who, "0x0", format!("0x{}", "00".repeat(32))]),
        ),
        ("evm_mine", json!([])),
        ("evm_snapshot", json!([])),
        ("evm_setNextBlockTimestamp", json!(["0x1"])),
    ] {
        let e = node.call(method, params).unwrap_err();
        assert_eq!(e["code"], -32601, "{method}: {e}");
    }
    assert_eq!(node.ok("eth_getBalance", json!([who, "latest"])), "0x0");
    assert_eq!(node.ok("eth_blockNumber", json!([])), "0x0");
    drop(node);
    let node = Node::chain(&dir.path().join("b"), &spec, &["--allow-dev-rpc"]);
    assert_eq!(node.ok("anvil_setBalance", json!([who, "0x1"])), true);
    assert_eq!(node.ok("eth_getBalance", json!([who, "latest"])), "0x1");
}

/// REPRO H2: a balance at 2^256-1 plus a 1-wei transfer made "balance
/// overflow" a block error: production halted for good and every
/// submitter hung. Now the transfer fails as a transaction.
#[test]
fn a_transfer_that_would_overflow_a_balance_fails_as_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let rich = Address::repeat_byte(0x44);
    let max = format!("{:#x}", orac_primitives::U256::MAX);
    node.ok("anvil_setBalance", json!([addr(rich), max]));
    let key = &dev_keys()[0];
    let hash = node.ok(
        "eth_sendRawTransaction",
        json!([signed_transfer(key, 0, rich, 1)]),
    );
    let r = node.ok("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(r["status"], "0x0", "{r}");
    assert_eq!(r["gasUsed"], "0x5208");
    assert_eq!(
        node.ok("eth_getBalance", json!([addr(rich), "latest"])),
        max
    );
    // Blocks go on.
    let other = Address::repeat_byte(0x45);
    let hash = node.ok(
        "eth_sendRawTransaction",
        json!([signed_transfer(key, 1, other, 5)]),
    );
    let r = node.ok("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(
        node.ok("eth_getBalance", json!([addr(other), "latest"])),
        "0x5"
    );
}

/// REPRO H2: storage patched onto an address with no account left a
/// storage row without an account, and the next start refused the
/// database. Such a patch is refused; an account emptied later takes its
/// storage with it; the node restarts.
#[test]
fn storage_never_outlives_its_account() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let who = addr(Address::repeat_byte(0x55));
    let one = format!("0x{}01", "00".repeat(31));
    let e = node
        .call("anvil_setStorageAt", json!([who, "0x0", one]))
        .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("no account"), "{e}");
    assert_eq!(
        qty(&node.ok("eth_getStorageAt", json!([who, "0x0", "latest"]))),
        0
    );
    node.ok("anvil_setBalance", json!([who, "0x1"]));
    assert_eq!(
        node.ok("anvil_setStorageAt", json!([who, "0x0", one])),
        true
    );
    assert_eq!(
        qty(&node.ok("eth_getStorageAt", json!([who, "0x0", "latest"]))),
        1
    );
    // Emptied: deleted (EIP-161), storage and all.
    node.ok("anvil_setBalance", json!([who, "0x0"]));
    assert_eq!(
        qty(&node.ok("eth_getStorageAt", json!([who, "0x0", "latest"]))),
        0
    );
    let node = Node::restart(node.stop());
    assert_eq!(
        qty(&node.ok("eth_getStorageAt", json!([who, "0x0", "latest"]))),
        0
    );
    node.ok("eth_blockNumber", json!([]));
}

/// A contract that emits as many logs as its calldata's first byte × 1,000
/// (one topic, no data).
fn log_spammer() -> Vec<u8> {
    wat::parse_str(
        r#"(module
          (import "orac" "calldata_copy" (func $copy (param i32 i32 i32)))
          (import "orac" "emit_log" (func $log (param i32 i32 i32 i32)))
          (memory (export "memory") 1)
          (func (export "call") (local $n i32)
            (call $copy (i32.const 64) (i32.const 0) (i32.const 1))
            (local.set $n (i32.mul (i32.load8_u (i32.const 64)) (i32.const 1000)))
            (loop $l
              (if (local.get $n) (then
                (call $log (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0))
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br $l))))))"#,
    )
    .unwrap()
}

/// REPRO L6: a polling filter whose poll passed 10,000 logs failed on
/// every poll and never advanced. It now returns the blocks that fit and
/// goes on from there. And eth_getLogs past the head is -32602 as in
/// geth (execution-apis filter-error-future-block-range).
#[test]
fn a_filter_over_the_result_cap_advances() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let key = &dev_keys()[0];
    let deploy = signed_tx(
        key,
        0,
        None,
        0,
        orac_vm::envelope::wrap(&log_spammer()),
        5_000_000,
    );
    let hash = node.ok("eth_sendRawTransaction", json!([deploy]));
    let spammer = node.ok("eth_getTransactionReceipt", json!([hash]))["contractAddress"].clone();
    let filter = node.ok("eth_newFilter", json!([{"address": spammer}]));
    let head = qty(&node.ok("eth_blockNumber", json!([])));
    // Two blocks of 6,000 logs each: 12,000 in one poll is over the cap.
    for nonce in 1..=2 {
        let tx = signed_tx(
            key,
            nonce,
            Some(spammer.as_str().unwrap().parse().unwrap()),
            0,
            vec![6],
            29_000_000,
        );
        let h = node.ok("eth_sendRawTransaction", json!([tx]));
        assert_eq!(
            node.ok("eth_getTransactionReceipt", json!([h]))["status"],
            "0x1"
        );
    }
    let first = node.ok("eth_getFilterChanges", json!([filter]));
    assert_eq!(first.as_array().unwrap().len(), 6_000);
    let second = node.ok("eth_getFilterChanges", json!([filter]));
    assert_eq!(second.as_array().unwrap().len(), 6_000);
    assert_ne!(first[0]["blockNumber"], second[0]["blockNumber"]);
    assert_eq!(node.ok("eth_getFilterChanges", json!([filter])), json!([]));
    // eth_getLogs over both is over the cap, with the geth error.
    let e = node
        .call(
            "eth_getLogs",
            json!([{"address": spammer, "fromBlock": qty_hex(head as u64 + 1)}]),
        )
        .unwrap_err();
    assert_eq!(e["code"], -32005, "{e}");
    let e = node
        .call(
            "eth_getLogs",
            json!([{"fromBlock": "0x1", "toBlock": qty_hex(head as u64 + 10)}]),
        )
        .unwrap_err();
    assert_eq!(e["code"], -32602, "{e}");
    assert_eq!(
        e["message"],
        "block range extends beyond current head block"
    );
}

/// With `--block-time` a block is sealed on every interval, empty or not
/// (anvil does; oracle heartbeats need time to move), and block timestamps
/// strictly increase: `evm_setNextBlockTimestamp` refuses the head's time.
/// Mined transactions and logs carry `blockTimestamp` (geth ≥ 1.16).
#[test]
fn interval_blocks_are_sealed_empty_and_time_strictly_increases() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &["--block-time", "1"]);
    std::thread::sleep(Duration::from_millis(3_500));
    let head = qty(&node.ok("eth_blockNumber", json!([])));
    assert!(head >= 2, "only {head} blocks after 3.5 s");
    let mut last = None;
    for n in 0..=head {
        let b = node.ok("eth_getBlockByNumber", json!([qty_hex(n as u64), false]));
        let ts = qty(&b["timestamp"]);
        if let Some(prev) = last {
            assert!(ts > prev, "block {n}: {ts} after {prev}");
        }
        last = Some(ts);
    }
    let latest = node.ok("eth_getBlockByNumber", json!(["latest", false]));
    let e = node
        .call("evm_setNextBlockTimestamp", json!([latest["timestamp"]]))
        .unwrap_err();
    assert_eq!(e["code"], -32602, "{e}");
    let key = &dev_keys()[0];
    let hash = node.ok(
        "eth_sendRawTransaction",
        json!([signed_transfer(key, 0, Address::repeat_byte(1), 1)]),
    );
    let tx = loop {
        let tx = node.ok("eth_getTransactionByHash", json!([hash]));
        if !tx["blockNumber"].is_null() {
            break tx;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let block = node.ok("eth_getBlockByNumber", json!([tx["blockNumber"], true]));
    assert_eq!(tx["blockTimestamp"], block["timestamp"]);
    assert_eq!(
        block["transactions"][0]["blockTimestamp"],
        block["timestamp"]
    );
}

/// A 65-byte `r ‖ s ‖ v` signature's signer over `hash`.
fn signer(sig: &Value, hash: orac_primitives::H256) -> Address {
    let bytes = hex::decode(sig.as_str().unwrap().trim_start_matches("0x")).unwrap();
    assert_eq!(bytes.len(), 65);
    let s = orac_primitives::Signature {
        r: orac_primitives::U256::from_big_endian(&bytes[..32]),
        s: orac_primitives::U256::from_big_endian(&bytes[32..64]),
        y_parity: bytes[64] == 28,
    };
    s.recover(&hash).unwrap()
}

/// The dev-account signing methods, txpool_content/contentFrom/inspect,
/// and pending-transaction filters and subscriptions (issue 12, item 6).
#[test]
fn signing_txpool_and_pending_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &["--block-time", "3600"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let call = |m: &str, p: Value| node.ok(m, p);
    let me = dev_keys()[0].address();
    // EIP-191: eth_sign(address, data) and personal_sign(data, address).
    let msg = b"hello orac";
    let mut prefixed = format!("\x19Ethereum Signed Message:\n{}", msg.len()).into_bytes();
    prefixed.extend_from_slice(msg);
    let hash = orac_primitives::keccak256(&prefixed);
    let a = call("eth_sign", json!([addr(me), hex0x(msg)]));
    let b = call("personal_sign", json!([hex0x(msg), addr(me)]));
    assert_eq!(a, b);
    assert_eq!(signer(&a, hash), me);
    // EIP-712's own example ("Ether Mail"), whose signing hash the EIP
    // gives: 0xbe609aee…57bd2.
    let mail = json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
            "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person"},
                     {"name": "contents", "type": "string"}]
        },
        "primaryType": "Mail",
        "domain": {"name": "Ether Mail", "version": "1", "chainId": 1,
                   "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
        "message": {
            "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
            "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
            "contents": "Hello, Bob!"
        }
    });
    let eip712: orac_primitives::H256 =
        "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
            .parse()
            .unwrap();
    let sig = call("eth_signTypedData_v4", json!([addr(me), mail]));
    assert_eq!(signer(&sig, eip712), me);
    let as_string = call("eth_signTypedData_v4", json!([addr(me), mail.to_string()]));
    assert_eq!(as_string, sig);
    let e = node
        .call(
            "personal_sign",
            json!([hex0x(msg), addr(Address::repeat_byte(9))]),
        )
        .unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("unknown account"),
        "{e}"
    );
    // eth_signTransaction signs without sending.
    let raw = call(
        "eth_signTransaction",
        json!([{"from": addr(me), "to": addr(Address::repeat_byte(7)), "value": "0x1", "gas": "0x5208"}]),
    );
    let decoded = orac_primitives::SignedTransaction::decode(
        &hex::decode(raw.as_str().unwrap().trim_start_matches("0x")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        orac_primitives::RecoveredTx::recover(decoded)
            .unwrap()
            .sender,
        me
    );
    assert_eq!(qty(&call("txpool_status", json!([]))["pending"]), 0);
    // Pending transactions: a filter and a subscription see the hash.
    let filter = call("eth_newPendingTransactionFilter", json!([]));
    let (mut ws, sub) = rt.block_on(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(node.ws_url.as_str())
            .await
            .unwrap();
        let m = r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newPendingTransactions"]}"#;
        ws.send(Message::text(m)).await.unwrap();
        loop {
            if let Some(Ok(Message::Text(t))) = ws.next().await {
                let sub = serde_json::from_str::<Value>(&t).unwrap()["result"].clone();
                break (ws, sub);
            }
        }
    });
    let key = &dev_keys()[1];
    let to = Address::repeat_byte(8);
    let ready = node.ok(
        "eth_sendRawTransaction",
        json!([signed_transfer(key, 0, to, 3)]),
    );
    let queued = node.ok(
        "eth_sendRawTransaction",
        json!([signed_transfer(key, 2, to, 4)]),
    );
    assert_eq!(
        call("eth_getFilterChanges", json!([filter])),
        json!([ready, queued])
    );
    assert_eq!(call("eth_getFilterChanges", json!([filter])), json!([]));
    let seen = rt.block_on(async {
        let mut seen = Vec::new();
        while seen.len() < 2 {
            let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .unwrap();
            if let Some(Ok(Message::Text(t))) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                assert_eq!(v["params"]["subscription"], sub);
                seen.push(v["params"]["result"].clone());
            }
        }
        seen
    });
    assert_eq!(seen, vec![ready.clone(), queued.clone()]);
    // txpool_*: grouped by pending/queued, sender, nonce.
    let from = addr(key.address());
    let content = call("txpool_content", json!([]));
    assert_eq!(content["pending"][&from]["0"]["hash"], ready);
    assert_eq!(content["queued"][&from]["2"]["hash"], queued);
    assert!(content["pending"][&from]["0"]["blockNumber"].is_null());
    let mine = call("txpool_contentFrom", json!([from]));
    assert_eq!(mine["queued"]["2"]["hash"], queued);
    let inspect = call("txpool_inspect", json!([]));
    assert_eq!(
        inspect["pending"][&from]["0"],
        format!("{}: 3 wei + 21000 gas × 100000000000 wei", addr(to))
    );
}

/// eth_createAccessList lists what a call touches, and a transaction sent
/// with that list uses exactly the gas it reports.
#[test]
fn create_access_list_lists_what_a_call_touches() {
    const INCREMENT: [u8; 4] = [0xd0, 0x9d, 0xe0, 0x8a];
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let counter = deploy_counter(&node);
    let me = addr(dev_keys()[0].address());
    let req = json!({"from": me, "to": addr(counter), "data": hex0x(&INCREMENT)});
    let r = node.ok("eth_createAccessList", json!([req, "latest"]));
    let list = r["accessList"].as_array().unwrap();
    let entry = list
        .iter()
        .find(|e| e["address"] == addr(counter))
        .unwrap_or_else(|| panic!("{r}"));
    assert!(!entry["storageKeys"].as_array().unwrap().is_empty(), "{r}");
    assert!(list.iter().all(|e| e["address"] != me), "{r}");
    let mut with = req.clone();
    with["accessList"] = r["accessList"].clone();
    with["gas"] = json!("0x100000");
    let hash = node.ok("eth_sendTransaction", json!([with]));
    let receipt = node.ok("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["gasUsed"], r["gasUsed"], "{r} vs {receipt}");
}

/// The `pending` tag reads the block the node would seal next, as anvil
/// does: its state (balances, code, calls), the block, its transactions and
/// receipts; the block later sealed has the roots the pending one showed.
#[test]
fn pending_tag_reads_the_block_the_node_would_seal_next() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &["--block-time", "3600"]);
    let keys = dev_keys();
    let (deployer, payer) = (&keys[0], &keys[1]);
    let mut creation = orac_vm::envelope::wrap(&test_contract("counter"));
    creation.extend_from_slice(&[0u8; 32]);
    let deploy = node.ok(
        "eth_sendRawTransaction",
        json!([signed_tx(deployer, 0, None, 0, creation, 5_000_000)]),
    );
    let to = Address::repeat_byte(0x77);
    let transfer = node.ok(
        "eth_sendRawTransaction",
        json!([signed_transfer(payer, 0, to, 5)]),
    );
    let counter = addr(orac_vm::create_address(&deployer.address(), 0));
    let at = |m: &str, p: Value| node.ok(m, p);

    // State: the transfer and the deploy are there at `pending` only.
    assert_eq!(qty(&at("eth_getBalance", json!([addr(to), "latest"]))), 0);
    assert_eq!(qty(&at("eth_getBalance", json!([addr(to), "pending"]))), 5);
    assert_eq!(at("eth_getCode", json!([counter, "latest"])), "0x");
    assert_ne!(at("eth_getCode", json!([counter, "pending"])), "0x");
    const INCREMENT: &str = "0xd09de08a";
    let call = json!({"from": addr(payer.address()), "to": counter, "data": INCREMENT});
    let pending_gas = qty(&at("eth_estimateGas", json!([call, "pending"])));
    let latest_gas = qty(&at("eth_estimateGas", json!([call, "latest"])));
    assert!(pending_gas > latest_gas, "{pending_gas} vs {latest_gas}");

    // The block itself, its transactions and receipts.
    let block = at("eth_getBlockByNumber", json!(["pending", false]));
    assert_eq!(block["number"], "0x1", "{block}");
    assert_eq!(block["transactions"], json!([deploy, transfer]));
    assert_eq!(
        at("eth_getBlockTransactionCountByNumber", json!(["pending"])),
        "0x2"
    );
    let second = at(
        "eth_getTransactionByBlockNumberAndIndex",
        json!(["pending", "0x1"]),
    );
    assert_eq!(second["hash"], transfer);
    let receipts = at("eth_getBlockReceipts", json!(["pending"]));
    assert_eq!(receipts[0]["status"], "0x1", "{receipts}");
    assert_eq!(receipts[0]["contractAddress"], counter);
    assert_eq!(receipts[1]["status"], "0x1");
    let e = node
        .call("eth_getProof", json!([addr(to), [], "pending"]))
        .unwrap_err();
    assert_eq!(e["code"], -32602, "{e}");
    // Latest is untouched.
    assert_eq!(at("eth_blockNumber", json!([])), "0x0");

    // Sealed, block 1 has the roots the pending block showed; the next
    // pending block is empty.
    at("evm_mine", json!([]));
    let mined = at("eth_getBlockByNumber", json!(["0x1", false]));
    for root in ["stateRoot", "transactionsRoot", "receiptsRoot", "gasUsed"] {
        assert_eq!(mined[root], block[root], "{root}");
    }
    let next = at("eth_getBlockByNumber", json!(["pending", false]));
    assert_eq!(next["number"], "0x2");
    assert_eq!(next["transactions"], json!([]));
    assert_eq!(next["stateRoot"], mined["stateRoot"]);
    assert_eq!(qty(&at("eth_getBalance", json!([addr(to), "latest"]))), 5);
}

/// The next JSON text message on the WebSocket `ws` (skipping pings and
/// the like), within 20 s.
async fn next<S>(ws: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("websocket reply in time")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}
