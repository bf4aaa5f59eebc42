//! Contracts through the node: deploy with a creation transaction, call
//! through eth_call and transactions, logs, reverts as geth reports them.

use orac_primitives::{Address, keccak256};
use orac_tests::{Node, dev_keys, hex0x, qty, signed_tx, test_contract};
use orac_vm::{create_address, envelope};
use serde_json::json;

const INCREMENT: [u8; 4] = [0xd0, 0x9d, 0xe0, 0x8a];
const COUNT: [u8; 4] = [0x06, 0x66, 0x1a, 0xbd];
const ADD: [u8; 4] = [0x10, 0x03, 0xe2, 0xd2];
const FAIL: [u8; 4] = [0xa9, 0xcc, 0x47, 0x18];

fn uint(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

fn with_arg(selector: [u8; 4], v: u64) -> Vec<u8> {
    let mut d = selector.to_vec();
    d.extend_from_slice(&uint(v));
    d
}

#[test]
fn deploy_call_log_and_revert_over_json_rpc() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let keys = dev_keys();
    let me = keys[0].address();
    let module = test_contract("counter");
    let mut creation = envelope::wrap(&module);
    creation.extend_from_slice(&uint(5));

    // Estimate, then deploy with exactly the estimate.
    let estimate = qty(&node.ok(
        "eth_estimateGas",
        json!([{"from": format!("{me:?}"), "data": hex0x(&creation)}]),
    )) as u64;
    assert!(estimate > 53_000, "{estimate}");
    let hash = node.ok(
        "eth_sendRawTransaction",
        json!([signed_tx(&keys[0], 0, None, 0, creation.clone(), estimate)]),
    );
    let receipt = node.ok("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let counter = create_address(&me, 0);
    assert_eq!(receipt["contractAddress"], format!("{counter:?}"));
    assert_eq!(
        qty(&receipt["gasUsed"]) as u64,
        estimate,
        "the estimate is exact"
    );
    assert_eq!(
        node.ok("eth_getCode", json!([format!("{counter:?}"), "latest"])),
        hex0x(&module)
    );
    // One gas less than the estimate fails.
    let short = signed_tx(&keys[1], 0, None, 0, creation.clone(), estimate - 1);
    let h = node.ok("eth_sendRawTransaction", json!([short]));
    assert_eq!(
        node.ok("eth_getTransactionReceipt", json!([h]))["status"],
        "0x0"
    );

    let to = format!("{counter:?}");
    let call = |data: Vec<u8>| {
        node.call(
            "eth_call",
            json!([{"to": to, "data": hex0x(&data)}, "latest"]),
        )
    };
    assert_eq!(call(COUNT.to_vec()).unwrap(), hex0x(&uint(5)));

    // A transaction that emits a log.
    let gas = qty(&node.ok(
        "eth_estimateGas",
        json!([{"from": format!("{me:?}"), "to": to, "data": hex0x(&INCREMENT)}]),
    )) as u64;
    let hash = node.ok(
        "eth_sendRawTransaction",
        json!([signed_tx(
            &keys[0],
            1,
            Some(counter),
            0,
            INCREMENT.to_vec(),
            gas
        )]),
    );
    let receipt = node.ok("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], "0x1");
    let log = &receipt["logs"][0];
    assert_eq!(log["address"], to);
    assert_eq!(
        log["topics"][0],
        format!("{:?}", keccak256(b"Incremented(address,uint256)"))
    );
    assert_eq!(
        log["topics"][1],
        hex0x(&[&[0u8; 12][..], me.as_bytes()].concat())
    );
    assert_eq!(log["data"], hex0x(&uint(6)));
    assert_eq!(call(COUNT.to_vec()).unwrap(), hex0x(&uint(6)));
    let logs = node.ok("eth_getLogs", json!([{"address": to, "fromBlock": "0x0"}]));
    assert_eq!(logs.as_array().unwrap().len(), 1);
    assert_eq!(logs[0]["transactionHash"], hash);
    let by_topic = node.ok(
        "eth_getLogs",
        json!([{"topics": [null, hex0x(&[&[0u8; 12][..], me.as_bytes()].concat())]}]),
    );
    assert_eq!(by_topic.as_array().unwrap().len(), 1);

    // Reverts reach clients as geth reports them.
    let e = call(FAIL.to_vec()).unwrap_err();
    assert_eq!(e["code"], 3);
    assert_eq!(e["message"], "execution reverted: nope");
    assert!(e["data"].as_str().unwrap().starts_with("0x08c379a0"));
    let e = call(with_arg(ADD, 5000)).unwrap_err();
    assert_eq!(e["code"], 3);
    assert_eq!(e["message"], "execution reverted");
    assert_eq!(
        e["data"],
        hex0x(&[&[0xe0, 0xa8, 0x9a, 0x3a][..], &uint(5000)].concat())
    );
    let e = node
        .call("eth_estimateGas", json!([{"to": to, "data": hex0x(&FAIL)}]))
        .unwrap_err();
    assert_eq!(e["message"], "execution reverted: nope");

    // A reverting transaction is mined with status 0 and pays for its gas.
    let before = qty(&node.ok("eth_getBalance", json!([format!("{me:?}"), "latest"])));
    let hash = node.ok(
        "eth_sendRawTransaction",
        json!([signed_tx(
            &keys[0],
            2,
            Some(counter),
            0,
            FAIL.to_vec(),
            100_000
        )]),
    );
    let receipt = node.ok("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], "0x0");
    assert!(receipt["logs"].as_array().unwrap().is_empty());
    let after = qty(&node.ok("eth_getBalance", json!([format!("{me:?}"), "latest"])));
    let fee = qty(&receipt["gasUsed"]) * qty(&receipt["effectiveGasPrice"]);
    assert_eq!(before - after, fee);
    assert!(
        qty(&receipt["gasUsed"]) < 100_000,
        "a revert refunds unused gas"
    );
    // Value sent to a contract arrives (the contract does not refuse it).
    let hash = node.ok(
        "eth_sendRawTransaction",
        json!([signed_tx(
            &keys[0],
            3,
            Some(counter),
            777,
            COUNT.to_vec(),
            100_000
        )]),
    );
    assert_eq!(
        node.ok("eth_getTransactionReceipt", json!([hash]))["status"],
        "0x1"
    );
    assert_eq!(node.ok("eth_getBalance", json!([to, "latest"])), "0x309");
    let _ = Address::zero();
}

/// `orac deploy` reads the bytecode from a file (so modules over 64 KB,
/// too long for one command-line argument, deploy too) and prints the
/// contract's address.
#[test]
fn orac_deploy_deploys_a_built_contract() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let key = &dev_keys()[3];
    let bin = dir.path().join("counter.bin");
    std::fs::write(&bin, hex0x(&envelope::wrap(&test_contract("counter")))).unwrap();
    let out = std::process::Command::new(orac_tests::orac_bin())
        .arg("deploy")
        .arg(&bin)
        .arg(hex0x(&uint(41)))
        .args(["--rpc-url", &node.url, "--private-key"])
        .arg(hex0x(&key.to_bytes()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let address = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(address, format!("{:?}", create_address(&key.address(), 0)));
    let count = node.ok(
        "eth_call",
        json!([{"to": address, "data": hex0x(&COUNT)}, "latest"]),
    );
    assert_eq!(count, hex0x(&uint(41)));
    // Bad input is an error, not a deployment.
    std::fs::write(&bin, "not hex").unwrap();
    let out = std::process::Command::new(orac_tests::orac_bin())
        .arg("deploy")
        .arg(&bin)
        .args(["--rpc-url", &node.url, "--private-key"])
        .arg(hex0x(&key.to_bytes()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not hex"));
}
