//! Crash safety: `kill -9` the node while it is under load, restart it on
//! the same data, and check that every transaction it acknowledged is there
//! with its receipt, and that the chain is exactly as it was last seen.
//! The node under load keeps only two states, so it prunes in every block
//! it commits: the kill lands mid-prune as often as mid-block.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orac_primitives::Address;
use orac_tests::{Node, dev_keys, qty, signed_transfer, try_call};
use serde_json::json;

#[test]
fn kill_dash_nine_under_load_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::dev_process(dir.path(), &["--state-history", "2"]);
    let keys = dev_keys();
    let to = Address::repeat_byte(0x5a);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut next_nonce = vec![0u64; keys.len()];

    for round in 0..3 {
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let key = key.clone();
            let url = node.url.clone();
            let stop = stop.clone();
            let acked = acked.clone();
            let start = next_nonce[i];
            workers.push(std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                let mut nonce = start;
                while !stop.load(Ordering::Relaxed) {
                    let raw = signed_transfer(&key, nonce, to, 1);
                    match try_call(&client, &url, "eth_sendRawTransaction", json!([raw])) {
                        Ok(Ok(hash)) => {
                            acked
                                .lock()
                                .unwrap()
                                .push(hash.as_str().unwrap().to_string());
                            nonce += 1;
                        }
                        // The node died mid-request: nothing was promised.
                        Err(_) => break,
                        Ok(Err(e)) => panic!("round {round}: rejected: {e}"),
                    }
                }
                nonce
            }));
        }
        // Let load build up, then pull the plug without warning.
        std::thread::sleep(Duration::from_millis(700 + 300 * round));
        let last_seen = node.ok("eth_getBlockByNumber", json!(["latest", false]));
        let state = node.kill9();
        stop.store(true, Ordering::Relaxed);
        for (i, w) in workers.into_iter().enumerate() {
            next_nonce[i] = w.join().unwrap();
        }

        node = Node::restart(state);
        let acked = acked.lock().unwrap().clone();
        assert!(!acked.is_empty(), "round {round}: no load was generated");
        for hash in &acked {
            let r = node.ok("eth_getTransactionReceipt", json!([hash]));
            assert!(
                !r.is_null(),
                "round {round}: acknowledged {hash} lost after kill -9"
            );
            assert_eq!(r["status"], "0x1");
        }
        // Every block seen before the kill is still there, unchanged.
        let n = &last_seen["number"];
        let again = node.ok("eth_getBlockByNumber", json!([n, false]));
        assert_eq!(again["hash"], last_seen["hash"], "round {round}");
        assert_eq!(again["stateRoot"], last_seen["stateRoot"], "round {round}");
        // The recipient holds exactly one wei per mined transfer.
        let head = qty(&node.ok("eth_blockNumber", json!([])));
        let mut mined = 0u128;
        for b in 1..=head {
            let block = node.ok("eth_getBlockByNumber", json!([format!("{b:#x}"), false]));
            mined += block["transactions"].as_array().unwrap().len() as u128;
        }
        let balance = qty(&node.ok("eth_getBalance", json!([format!("{to:?}"), "latest"])));
        assert_eq!(balance, mined, "round {round}");
        // The previous state is kept, older ones were pruned (the restart's
        // check walked the trie against the account table).
        let previous = json!([format!("{to:?}"), format!("{:#x}", head - 1)]);
        node.ok("eth_getBalance", previous);
        if head > 4 {
            let old = json!([format!("{:?}", keys[0].address()), "0x1"]);
            let e = node.call("eth_getBalance", old).unwrap_err();
            let message = e["message"].as_str().unwrap_or_default();
            assert!(
                message.starts_with("missing trie node"),
                "round {round}: {e}"
            );
        }
        assert!(mined >= acked.len() as u128);
        // Senders resume from the nonce the chain reports.
        for (i, k) in keys.iter().enumerate() {
            let n = qty(&node.ok(
                "eth_getTransactionCount",
                json!([format!("{:?}", k.address()), "pending"]),
            ));
            next_nonce[i] = n as u64;
        }
        eprintln!(
            "round {round}: {} acknowledged, {mined} mined, head {head}",
            acked.len()
        );
    }
}

#[test]
fn restart_after_kill_gives_identical_head_root_and_balances() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev_process(dir.path(), &[]);
    let keys = dev_keys();
    for i in 0..5u64 {
        node.ok(
            "eth_sendRawTransaction",
            json!([signed_transfer(
                &keys[1],
                i,
                Address::repeat_byte(0x11),
                1000 + i
            )]),
        );
    }
    node.ok(
        "anvil_setBalance",
        json!([format!("{:?}", Address::repeat_byte(0x22)), "0x1234"]),
    );
    let before_block = node.ok("eth_getBlockByNumber", json!(["latest", true]));
    let accounts = [
        keys[1].address(),
        Address::repeat_byte(0x11),
        Address::repeat_byte(0x22),
        Address::zero(),
    ];
    let before: Vec<_> = accounts
        .iter()
        .map(|a| node.ok("eth_getBalance", json!([format!("{a:?}"), "latest"])))
        .collect();
    let node = Node::restart(node.kill9());
    assert_eq!(
        node.ok("eth_getBlockByNumber", json!(["latest", true])),
        before_block
    );
    let after: Vec<_> = accounts
        .iter()
        .map(|a| node.ok("eth_getBalance", json!([format!("{a:?}"), "latest"])))
        .collect();
    assert_eq!(before, after);
    // A clean stop and start, too.
    let node = Node::restart(node.stop());
    assert_eq!(
        node.ok("eth_getBlockByNumber", json!(["latest", true])),
        before_block
    );
}
