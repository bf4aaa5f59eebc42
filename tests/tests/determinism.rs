//! Determinism is a consensus property: the same block of contract
//! transactions, executed in fresh processes — once with a cold
//! compiled-code cache and once with a warm one — gives the same gas,
//! receipts, logs and state root, so the same block hash.

use orac_primitives::Address;
use orac_tests::{Node, dev_keys, signed_tx, test_contract};
use orac_vm::{create_address, envelope};
use serde_json::{Value, json};

fn word(b: u8) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[31] = b;
    w
}

/// The transactions of the block: deployments, calls that log, revert,
/// nest, loop forever, recurse without end and grow memory to the cap.
fn transactions() -> Vec<String> {
    let keys = dev_keys();
    let (k, me) = (&keys[3], keys[3].address());
    let tool = wat::parse_str(include_str!("../../vm/tests/tool.wat")).unwrap();
    let counter = test_contract("counter");
    let counter_addr = create_address(&me, 0);
    let tool_addr = create_address(&me, 1);
    let tool2_addr = create_address(&me, 2);
    let mut counter_creation = envelope::wrap(&counter);
    counter_creation.extend_from_slice(&word(41));
    let calls: Vec<(Address, Vec<u8>)> = vec![
        (counter_addr, vec![0xd0, 0x9d, 0xe0, 0x8a]), // increment(): logs
        (counter_addr, vec![0xa9, 0xcc, 0x47, 0x18]), // fail(): reverts
        (tool_addr, [&[1u8][..], &word(1), &word(2)].concat()), // store
        (
            tool_addr,
            [&[6u8, 2][..], &word(7), &word(8), b"x"].concat(),
        ), // log, 2 topics
        (tool_addr, vec![13]),                        // loops forever
        (tool_addr, vec![15]),                        // recursion
        (tool_addr, vec![14]),                        // memory bomb
        (tool_addr, vec![16]),                        // reentrancy to the depth limit
        // tool calls tool2, which stores, logs and reverts; tool goes on.
        (
            tool_addr,
            [
                &[21u8][..],
                tool2_addr.as_bytes(),
                &[20u8],
                &word(8),
                &word(9),
            ]
            .concat(),
        ),
    ];
    let mut txs = vec![
        signed_tx(k, 0, None, 0, counter_creation, 2_000_000),
        signed_tx(k, 1, None, 0, envelope::wrap(&tool), 2_000_000),
        signed_tx(k, 2, None, 0, envelope::wrap(&tool), 2_000_000),
    ];
    for (i, (to, data)) in calls.into_iter().enumerate() {
        // The memory bomb needs room to pay for 256 pages (8,192 gas each)
        // so that it reaches the 16 MiB cap rather than running out of gas.
        let gas = if data == [14] { 3_000_000 } else { 1_500_000 };
        txs.push(signed_tx(k, 3 + i as u64, Some(to), 1, data, gas));
    }
    txs
}

/// Mines `txs` into one block at a fixed timestamp and returns the block
/// and its receipts.
fn execute(node: &Node, txs: &[String]) -> (Value, Value) {
    for tx in txs {
        node.ok("eth_sendRawTransaction", json!([tx]));
    }
    node.ok("evm_mine", json!([1_800_000_000u64]));
    let block = node.ok("eth_getBlockByNumber", json!(["0x1", false]));
    let receipts = node.ok("eth_getBlockReceipts", json!(["0x1"]));
    (block, receipts)
}

#[test]
fn same_block_same_result_with_cold_and_warm_code_cache() {
    let txs = transactions();
    let dir = tempfile::tempdir().unwrap();
    // Interval mining far in the future: the block is sealed by evm_mine.
    let manual = ["--block-time", "86400"];
    let a = Node::dev(&dir.path().join("a"), &manual);
    let (block_a, receipts_a) = execute(&a, &txs);
    let cache_a = a.datadir.join("code-cache");
    drop(a);
    assert_eq!(block_a["transactions"].as_array().unwrap().len(), txs.len());
    let statuses: Vec<&str> = receipts_a
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    // Deploys, increment, store, log, the nested call succeed; fail(),
    // the endless loop and the unbounded recursion fail.
    assert_eq!(
        statuses,
        [
            "0x1", "0x1", "0x1", "0x1", "0x0", "0x1", "0x1", "0x0", "0x0", "0x1", "0x1", "0x1"
        ]
    );

    // A fresh process with a cold cache.
    let b = Node::dev(&dir.path().join("b"), &manual);
    let (block_b, receipts_b) = execute(&b, &txs);
    drop(b);
    // A fresh chain whose code cache is already warm (copied from the
    // first run), so nothing is compiled.
    let warm = dir.path().join("c").join("data").join("code-cache");
    std::fs::create_dir_all(&warm).unwrap();
    let mut copied = 0;
    for entry in std::fs::read_dir(&cache_a).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), warm.join(entry.file_name())).unwrap();
        copied += 1;
    }
    assert!(copied >= 2, "the first run cached its compiled code");
    let c = Node::dev(&dir.path().join("c"), &manual);
    let (block_c, receipts_c) = execute(&c, &txs);
    drop(c);
    for (name, block, receipts) in [
        ("cold", &block_b, &receipts_b),
        ("warm", &block_c, &receipts_c),
    ] {
        assert_eq!(block["stateRoot"], block_a["stateRoot"], "{name}");
        assert_eq!(block["receiptsRoot"], block_a["receiptsRoot"], "{name}");
        assert_eq!(block["gasUsed"], block_a["gasUsed"], "{name}");
        assert_eq!(block["hash"], block_a["hash"], "{name}");
        assert_eq!(receipts, &receipts_a, "{name}");
    }
    eprintln!(
        "block {} gasUsed {} stateRoot {}",
        block_a["hash"], block_a["gasUsed"], block_a["stateRoot"]
    );
}
