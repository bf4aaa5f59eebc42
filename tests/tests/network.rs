//! A four-validator network (n = 4, f = 1) of real `orac node --config`
//! processes on loopback, as `orac testnet init` writes it: transactions
//! sent to any node are finalized and seen by every node; one validator
//! down does not stop it; two down halt it without a fork and it resumes
//! when one returns; a killed node restarts, catches up and loses nothing
//! it acknowledged. Every node's block hash and state root agree at every
//! height.

use std::time::{Duration, Instant};

use orac_tests::network::Testnet;
use orac_tests::{dev_keys, qty, signed_transfer};
use serde_json::json;

const DECIDE: Duration = Duration::from_secs(30);

fn send_transfer(net: &Testnet, node: usize, key: usize, nonce: u64) -> String {
    let keys = dev_keys();
    let to = keys[9].address();
    let raw = signed_transfer(&keys[key], nonce, to, 1_000);
    let hash = net
        .call(node, "eth_sendRawTransaction", json!([raw]))
        .unwrap_or_else(|e| panic!("node{node} refused a transfer: {e}"));
    hash.as_str().expect("a hash").to_string()
}

/// Subscribes to `newHeads` on `url` (WebSocket) and returns the numbers
/// of the next `n` headers announced.
fn announced_heads(url: &str, n: usize) -> Vec<u64> {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let ws_url = url.replace("http://", "ws://");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let (mut ws, _) = tokio_tungstenite::connect_async(ws_url.as_str())
            .await
            .expect("WebSocket");
        let sub = r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#;
        ws.send(Message::text(sub)).await.expect("subscribe");
        let mut numbers = Vec::new();
        while numbers.len() < n {
            let msg = tokio::time::timeout(DECIDE, ws.next())
                .await
                .expect("a header within the timeout")
                .expect("the socket stays open")
                .expect("a message");
            let v: serde_json::Value =
                serde_json::from_str(msg.to_text().expect("text")).expect("JSON");
            if v["method"] == "eth_subscription" {
                numbers.push(qty(&v["params"]["result"]["number"]) as u64);
            }
        }
        numbers
    })
}

fn heads(net: &Testnet, nodes: &[usize]) -> Vec<Option<u64>> {
    nodes.iter().map(|&i| net.head(i)).collect()
}

#[test]
fn four_validators_finalize_tolerate_one_fault_halt_at_two_and_catch_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut net = Testnet::init(tmp.path(), 4, 0);
    net.start_all();
    let all = [0, 1, 2, 3];
    assert!(
        net.wait_for_height(&all, 2, DECIDE),
        "the network decides blocks"
    );

    // Sent to one node, finalized within two heights, seen on every node.
    let head_before = net.head(1).expect("node1 answers");
    let hash = send_transfer(&net, 1, 0, 0);
    for i in all {
        let r = net
            .receipt(i, &hash, DECIDE)
            .unwrap_or_else(|| panic!("node{i} never saw the receipt"));
        assert_eq!(r["status"], "0x1");
        let included = qty(&r["blockNumber"]) as u64;
        assert!(
            included <= head_before + 2,
            "included at {included}, head was {head_before} when sent: not within two heights"
        );
    }
    // Subscriptions work on any node: each decided block is announced.
    let announced = announced_heads(&net.urls[2], 3);
    assert!(
        announced.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive heads announced: {announced:?}"
    );

    // "safe" and "finalized" are the last decided block: the head.
    for tag in ["safe", "finalized"] {
        let before = net.head(0).expect("node0 answers");
        let b = net
            .call(0, "eth_getBlockByNumber", json!([tag, false]))
            .expect("tagged block");
        let n = qty(&b["number"]) as u64;
        let after = net.head(0).expect("node0 answers");
        assert!(
            before <= n && n <= after,
            "{tag} is {n}, head {before}..{after}"
        );
    }

    // One validator down: the other three keep deciding.
    net.kill9(3);
    let h = net.head(0).expect("node0 answers");
    assert!(
        net.wait_for_height(&[0, 1, 2], h + 3, DECIDE),
        "three of four keep deciding"
    );
    let hash = send_transfer(&net, 2, 1, 0);
    assert!(
        net.receipt(0, &hash, DECIDE).is_some(),
        "a transfer is finalized with one down"
    );

    // Two down: nothing is decided, and the two left agree.
    net.kill9(2);
    std::thread::sleep(Duration::from_secs(3));
    let stalled = heads(&net, &[0, 1]);
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        heads(&net, &[0, 1]),
        stalled,
        "no block is decided with two of four down"
    );
    let top = stalled.iter().flatten().copied().min().expect("heads");
    net.assert_same_chain(&[0, 1], top);

    // One returns: decisions resume (it catches up first).
    net.start(2);
    assert!(
        net.wait_for_height(&[0, 1, 2], top + 2, Duration::from_secs(60)),
        "decisions resume with three of four"
    );

    // The node that was killed first catches up through value sync.
    net.start(3);
    let target = net.head(0).expect("node0 answers");
    assert!(
        net.wait_for_height(&all, target, Duration::from_secs(60)),
        "node3 catches up"
    );
    net.assert_same_chain(&all, target);
}

#[test]
fn a_node_killed_mid_height_restarts_rejoins_and_keeps_what_it_acknowledged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut net = Testnet::init(tmp.path(), 4, 1);
    net.start_all();
    let all = [0, 1, 2, 3, 4];
    assert!(
        net.wait_for_height(&all, 2, DECIDE),
        "the network decides blocks"
    );

    // Acknowledged by node0, which dies at once.
    let hashes: Vec<String> = (0..5).map(|n| send_transfer(&net, 0, 2, n)).collect();
    net.kill9(0);
    let t = Instant::now();
    net.start(0);
    for h in &hashes {
        for i in all {
            let r = net.receipt(i, h, Duration::from_secs(60));
            assert!(
                r.is_some(),
                "node{i} has no receipt for {h} ({:?} after restart)",
                t.elapsed()
            );
        }
    }
    // The full node (node4) followed through value sync, never voting.
    let target = net.head(1).expect("node1 answers");
    assert!(
        net.wait_for_height(&all, target, DECIDE),
        "everyone reaches {target}"
    );
    net.assert_same_chain(&all, target);

    // A node started fresh from genesis catches up from its peers.
    net.kill9(4);
    std::fs::remove_dir_all(net.dir.join("node4/data")).expect("remove node4's data");
    net.start(4);
    let target = net.head(1).expect("node1 answers");
    assert!(
        net.wait_for_height(&[4], target, Duration::from_secs(60)),
        "a node started from genesis catches up to {target}"
    );
    net.assert_same_chain(&all, target);
}

#[test]
fn a_byzantine_validator_proposes_invalid_blocks_and_equivocates_without_effect() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut net = Testnet::init(tmp.path(), 4, 0);
    // node0 proposes double spends and signs two votes for every one.
    let config = net.dir.join("node0/config.toml");
    let mut text = std::fs::read_to_string(&config).expect("node0 config");
    text.push_str(
        "\n[byzantine]\nbad_proposals = \"double-spend\"\n\
         [byzantine.engine]\nequivocate_votes = { mode = \"always\" }\n",
    );
    std::fs::write(&config, text).expect("write node0 config");
    net.start_all();
    let honest = [1, 2, 3];
    // node0 proposes at every fourth height or round: 12 heights give it
    // several turns, each of which the others must refuse.
    assert!(
        net.wait_for_height(&honest, 12, Duration::from_secs(90)),
        "the honest three decide"
    );
    let top = net.head(1).expect("node1 answers");
    net.assert_same_chain(&[0, 1, 2, 3], top.min(net.head(0).expect("node0 answers")));

    // No double spend was ever decided: the account the Byzantine proposer
    // spends from never sent a transaction, on any node.
    let spender = format!("{:?}", dev_keys()[9].address());
    for i in 0..4 {
        let n = net
            .call(i, "eth_getTransactionCount", json!([spender, "latest"]))
            .expect("nonce");
        assert_eq!(qty(&n), 0, "node{i}: a Byzantine block was decided");
    }
    let refused = honest
        .iter()
        .filter(|&&i| net.log(i).contains("invalid proposal"))
        .count();
    assert!(refused > 0, "the honest validators refused node0's blocks");
    let evidence = honest
        .iter()
        .filter(|&&i| net.log(i).contains("EVIDENCE: equivocating votes"))
        .count();
    assert!(
        evidence > 0,
        "node0's equivocating votes are logged as evidence"
    );
}
