//! The node under attack (HOSTILE.md, REPRO C1/H1/M4), as a user meets it:
//! the real `orac node --dev` over JSON-RPC. Attackers deploy the hostile
//! shapes and run them as transactions, `eth_call`s and `eth_estimateGas`
//! at full gas, several at once, while a monitor checks that the node
//! answers `eth_blockNumber` within 1 s, that a plain transfer sent meanwhile
//! is mined within 2 s, and, at the end, that every transaction it
//! acknowledged has its receipt.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use orac_primitives::{Address, PrivateKey};
use orac_tests::{Node, dev_keys, hex0x, qty, signed_transfer, signed_tx, try_call};
use serde_json::json;

const IMPORTS: &str = r#"
  (import "orac" "calldata_size" (func $calldata_size (result i32)))
  (import "orac" "calldata_copy" (func $calldata_copy (param i32 i32 i32)))
  (import "orac" "address" (func $address (param i32)))
  (import "orac" "call" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (import "orac" "create" (func $create (param i32 i32 i32 i32) (result i32)))
"#;

/// Tests that time a node under load take the machine one at a time.
static ALONE: Mutex<()> = Mutex::new(());

fn repeat(n: usize, f: impl Fn(usize) -> String) -> String {
    (0..n).map(f).collect::<Vec<_>>().join(" ")
}

fn module(memory: &str, fields: &str, body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        "(module {IMPORTS} (memory (export \"memory\") {memory}) {fields} (func (export \"call\") {body}))"
    ))
    .unwrap()
}

fn forever(body: &str) -> String {
    format!("(loop $l {body} (br $l))")
}

/// The attack contracts, by name. Each runs until its gas is gone (or, for
/// the stack bomb, until the stack counter stops it).
fn attacks() -> Vec<(&'static str, Vec<u8>)> {
    // HOSTILE B1 / REPRO C1: frames charged ~40 slots that used ~240 KiB of
    // native stack under Cranelift; recursion, then a self-call, 64 levels.
    let tee = format!(
        "(global.get $z) {} (local.set $l15)",
        repeat(15, |i| format!("(local.tee $l{i})"))
    );
    let stack_bomb = module(
        "1",
        &format!(
            "(global $z (mut i32) (i32.const 0)) \
             (func $f (param $n i32) {} {} \
               (if (global.get $z) (then {})) \
               (if (i32.lt_u (local.get $n) (i32.const 64)) \
                 (then (call $f (i32.add (local.get $n) (i32.const 1)))) \
                 (else (call $address (i32.const 64)) \
                   (drop (call $call (i32.const 64) (i32.const 128) (i32.const 0) (i32.const 0) (i64.const -1))))))",
            repeat(16, |i| format!("(local $l{i} i32)")),
            repeat(1_536, |_| format!("(if (global.get $z) (then {tee}))")),
            repeat(16, |i| format!("(drop (local.get $l{i}))")),
        ),
        "(call $f (i32.const 0))",
    );
    // HOSTILE B2: 2,000 locals live across a loop that redefines them.
    let n = 2_000;
    let phi = module(
        "1",
        "",
        &format!(
            "(local $c i32) {} (local.set $c (call $calldata_size)) {} \
             (loop $l (if (local.get $c) (then {})) (br_if $l (i32.eqz (local.get $c))))",
            repeat(n, |i| format!("(local $x{i} i64)")),
            repeat(n, |i| format!(
                "(local.set $x{i} (i64.extend_i32_u (local.get $c)))"
            )),
            repeat(n, |i| format!("(local.set $x{i} (i64.const {i}))")),
        ),
    );
    // HOSTILE B3: a pointer chase over the largest memory, unrolled.
    let lines = 16 * 1024;
    let chase = module(
        "16",
        "",
        &format!(
            "(local $i i32) (local $p i32) \
             (loop $s (i32.store (i32.shl (local.get $i) (i32.const 6)) \
               (i32.shl (i32.and (i32.add (i32.mul (local.get $i) (i32.const 1103515245)) (i32.const 12345)) \
                 (i32.const {})) (i32.const 6))) \
               (local.set $i (i32.add (local.get $i) (i32.const 1))) \
               (br_if $s (i32.lt_u (local.get $i) (i32.const {lines})))) {}",
            lines - 1,
            forever(&format!(
                "(local.set $p {})",
                (0..8).fold("(local.get $p)".to_string(), |e, _| format!(
                    "(i32.load {e})"
                ))
            ))
        ),
    );
    // HOSTILE B7 and B8: empty bulk operations, an empty loop.
    let fill = module(
        "1",
        "",
        &forever("(memory.fill (i32.const 0) (i32.const 1) (call $calldata_size))"),
    );
    let empty_loop = module("1", "", &forever(""));
    // Calls of a function with 2,000 locals (zeroed on every call).
    let locals_call = module(
        "1",
        &format!("(func $f {})", "(local i64) ".repeat(2_000)),
        &forever("(call $f)"),
    );
    // HOSTILE B10: create a new module every iteration.
    let child = wat::parse_str(
        r#"(module (memory (export "memory") 1) (data (i32.const 0) "01234567") (func (export "call")))"#,
    )
    .unwrap();
    let envelope = orac_vm::envelope::wrap(&child);
    let at = envelope.windows(8).position(|w| w == b"01234567").unwrap() + 1024;
    let data: String = envelope.iter().map(|b| format!("\\{b:02x}")).collect();
    let creator = module(
        "1",
        &format!("(data (i32.const 1024) \"{data}\")"),
        &forever(&format!(
            "(i64.store (i32.const {at}) (i64.add (i64.load (i32.const {at})) (i64.const 1))) \
             (drop (call $create (i32.const 0) (i32.const 1024) (i32.const {}) (i32.const 64)))",
            envelope.len()
        )),
    );
    vec![
        ("stack bomb", stack_bomb),
        ("2,000 live locals", phi),
        ("pointer chase", chase),
        ("empty memory.fill", fill),
        ("empty loop", empty_loop),
        ("2,000-local calls", locals_call),
        ("create new modules", creator),
    ]
}

/// HOSTILE B4's pair: a contract that grows memory to the cap and touches
/// every page, and one that calls it in a loop with too little gas.
fn grower_and_caller(grower: Address) -> (Vec<u8>, Vec<u8>) {
    let grower_code = module(
        "0",
        "",
        "(local $i i32) (drop (memory.grow (i32.const 16))) \
         (loop $l (i32.store8 (local.get $i) (i32.const 1)) \
           (local.set $i (i32.add (local.get $i) (i32.const 4096))) \
           (br_if $l (i32.lt_u (local.get $i) (i32.const 1048576))))",
    );
    let addr: String = grower
        .as_bytes()
        .iter()
        .map(|b| format!("\\{b:02x}"))
        .collect();
    let caller = module(
        "1",
        &format!("(data (i32.const 0) \"{addr}\")"),
        &forever(
            "(drop (call $call (i32.const 0) (i32.const 64) (i32.const 0) (i32.const 0) (i64.const 14000)))",
        ),
    );
    (grower_code, caller)
}

/// A deploy transaction's data for `module`.
fn deploy_data(module: &[u8]) -> Vec<u8> {
    orac_vm::envelope::wrap(module)
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// Sends `raw` and, in instant mode, gets back its hash once mined.
fn send(c: &reqwest::blocking::Client, url: &str, raw: String) -> String {
    match try_call(c, url, "eth_sendRawTransaction", json!([raw])) {
        Ok(Ok(h)) => h.as_str().unwrap().to_string(),
        other => panic!("transaction refused: {other:?}"),
    }
}

struct Deployer<'a> {
    node: &'a Node,
    key: PrivateKey,
    nonce: u64,
}

impl<'a> Deployer<'a> {
    /// Deploys from dev account 9, which nothing else in these tests sends
    /// from, so its nonces are the deployer's alone.
    fn new(node: &'a Node) -> Self {
        Self {
            node,
            key: dev_keys()[9].clone(),
            nonce: 0,
        }
    }

    fn deploy(&mut self, name: &str, module: &[u8]) -> Address {
        let raw = signed_tx(
            &self.key,
            self.nonce,
            None,
            0,
            deploy_data(module),
            29_000_000,
        );
        self.nonce += 1;
        let hash = send(&client(), &self.node.url, raw);
        let r = self.node.ok("eth_getTransactionReceipt", json!([hash]));
        assert_eq!(r["status"], "0x1", "{name} did not deploy: {r}");
        r["contractAddress"].as_str().unwrap().parse().unwrap()
    }
}

/// A fresh dev node for a timing test, with the lock that keeps the other
/// timing tests off the cores while it runs (hold both to the end).
fn node_alone() -> (MutexGuard<'static, ()>, tempfile::TempDir, Node) {
    let alone = ALONE.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    (alone, dir, node)
}

#[test]
fn the_node_keeps_serving_while_attacked() {
    let (_alone, _dir, node) = node_alone();
    let keys = dev_keys();
    let mut deployer = Deployer::new(&node);
    let mut targets: Vec<(String, Address, Vec<u8>)> = attacks()
        .into_iter()
        .map(|(name, code)| {
            let a = deployer.deploy(name, &code);
            (name.to_string(), a, Vec::new())
        })
        .collect();
    let grower_at = orac_vm::create_address(&keys[9].address(), deployer.nonce);
    let (grower, caller) = grower_and_caller(grower_at);
    assert_eq!(deployer.deploy("grower", &grower), grower_at);
    let caller = deployer.deploy("grow-and-touch caller", &caller);
    targets.push(("grow in sub-calls".into(), caller, Vec::new()));
    // HOSTILE B5: a compile bomb of multi-value br_tables, deployed for
    // real and simulated, as an attacker would send it again and again.
    let bomb = {
        let ty = format!("(result {})", "i64 ".repeat(16));
        let labels = repeat(128, |i| i.to_string());
        wat::parse_str(format!(
            "(module (memory (export \"memory\") 1) (func (export \"call\")) (func {} {} {} {} {}))",
            repeat(384, |_| format!("(block {ty}")),
            repeat(16, |i| format!("(i64.const {i})")),
            repeat(256, |_| format!("(br_table {labels} 0 (i32.const 0)))")),
            ")".repeat(128),
            "(drop) ".repeat(16),
        ))
        .unwrap()
    };

    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut attackers = Vec::new();
    // Transactions: each attack at 10M gas, from four senders.
    for (i, key) in keys[1..5].iter().enumerate() {
        let (key, url, stop, acked) = (key.clone(), node.url.clone(), stop.clone(), acked.clone());
        let targets: Vec<Address> = targets.iter().map(|t| t.1).collect();
        let bomb = bomb.clone();
        attackers.push(std::thread::spawn(move || {
            let c = client();
            let mut nonce = 0;
            let mut k = i;
            while !stop.load(Ordering::Relaxed) {
                let raw = if k % (targets.len() + 1) == targets.len() {
                    signed_tx(&key, nonce, None, 0, deploy_data(&bomb), 20_000_000)
                } else {
                    let to = targets[k % targets.len()];
                    signed_tx(&key, nonce, Some(to), 0, Vec::new(), 10_000_000)
                };
                acked.lock().unwrap().push(send(&c, &url, raw));
                nonce += 1;
                k += 1;
            }
        }));
    }
    // Simulations at the RPC's full gas: every attack, the stack bomb in
    // particular (one such call used to abort the node), and estimates.
    for i in 0..3 {
        let (url, stop) = (node.url.clone(), stop.clone());
        let targets: Vec<Address> = targets.iter().map(|t| t.1).collect();
        let bomb = hex0x(&deploy_data(&bomb));
        attackers.push(std::thread::spawn(move || {
            let c = client();
            let mut k = i;
            while !stop.load(Ordering::Relaxed) {
                let call = if k % (targets.len() + 1) == targets.len() {
                    json!({"data": bomb, "gas": "0x2faf080"})
                } else {
                    json!({"to": format!("{:?}", targets[k % targets.len()]), "gas": "0x2faf080"})
                };
                let method = if k % 3 == 2 {
                    "eth_estimateGas"
                } else {
                    "eth_call"
                };
                let params = if method == "eth_call" {
                    json!([call, "latest"])
                } else {
                    json!([call])
                };
                // Errors (out of gas, stack limit) are the expected answers;
                // what matters is that one comes back.
                let _answer = try_call(&c, &url, method, params).expect("the node answers");
                k += 1;
            }
        }));
    }

    // The monitor: latency of a cheap read, and of a plain transfer.
    let c = client();
    let started = Instant::now();
    let mut worst_read = Duration::ZERO;
    let mut worst_transfer = Duration::ZERO;
    let mut transfers = 0;
    let to = Address::repeat_byte(0x5b);
    while started.elapsed() < Duration::from_secs(25) {
        let t = Instant::now();
        try_call(&c, &node.url, "eth_blockNumber", json!([]))
            .expect("the node answers")
            .expect("eth_blockNumber");
        worst_read = worst_read.max(t.elapsed());
        if started.elapsed() > Duration::from_secs(2 * transfers + 3) {
            let t = Instant::now();
            let hash = send(&c, &node.url, signed_transfer(&keys[0], transfers, to, 1));
            worst_transfer = worst_transfer.max(t.elapsed());
            acked.lock().unwrap().push(hash);
            transfers += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        a.join().expect("an attacker failed");
    }
    eprintln!(
        "worst eth_blockNumber {worst_read:?}, worst transfer-to-receipt {worst_transfer:?}, {} transactions acknowledged",
        acked.lock().unwrap().len()
    );
    assert!(transfers >= 5);
    assert!(
        worst_read <= Duration::from_secs(1),
        "eth_blockNumber took {worst_read:?}"
    );
    assert!(
        worst_transfer <= Duration::from_secs(2),
        "a transfer took {worst_transfer:?} to be mined"
    );
    // Nothing acknowledged is lost, and the attacks really ran (each used
    // its gas, none crashed anything).
    for hash in acked.lock().unwrap().iter() {
        let r = node.ok("eth_getTransactionReceipt", json!([hash]));
        assert!(!r.is_null(), "acknowledged {hash} has no receipt");
    }
    assert_eq!(
        qty(&node.ok("eth_getBalance", json!([format!("{to:?}"), "latest"]))),
        u128::from(transfers)
    );
}

/// HOSTILE B6: simulating a deploy compiles it, but never writes it to the
/// node's code cache on disk (it used to leave an artifact per call,
/// forever); deploying it for real does.
#[test]
fn simulated_deploys_leave_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev(dir.path(), &[]);
    let cache = node.datadir.join("code-cache");
    let artifacts = || {
        std::fs::read_dir(&cache)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
                    .count()
            })
            .unwrap_or(0)
    };
    let numbered = |n: u32| module("1", &format!("(data (i32.const 0) \"{n:08}\")"), "");
    let before = artifacts();
    for n in 0..10 {
        let call = json!({"data": hex0x(&deploy_data(&numbered(n)))});
        let r = node.ok("eth_call", json!([call, "latest"]));
        assert_eq!(r, "0x");
        node.ok("eth_estimateGas", json!([call]));
    }
    assert_eq!(artifacts(), before, "simulations wrote to the code cache");
    let mut deployer = Deployer {
        node: &node,
        key: dev_keys()[0].clone(),
        nonce: 0,
    };
    deployer.deploy("a numbered module", &numbered(3));
    // The producer writes the cache after it publishes the block (a cache
    // write is not part of what the receipt acknowledges), so the artifact
    // may land a moment after the receipt does.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while artifacts() < before + 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(artifacts(), before + 1, "a deployed module is cached");
}

/// REPRO H4: a funded sender could park 16,384 transactions behind a nonce
/// gap, forever, in memory and in the pool journal. Queued transactions
/// are capped per sender and in how far past the ready run they reach,
/// every pooled transaction must be affordable together, and after a
/// `kill -9` the journal gives back exactly the pool.
#[test]
fn a_sender_cannot_park_transactions_behind_a_nonce_gap() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::dev_process(dir.path(), &["--block-time", "3600"]);
    let key = dev_keys()[1].clone();
    let to = Some(Address::repeat_byte(0x66));
    let send = |nonce: u64| {
        node.call(
            "eth_sendRawTransaction",
            json!([signed_tx(&key, nonce, to, 0, vec![], 21_000)]),
        )
    };
    // Refused outright: too far past the sender's next nonce.
    let too_far = |nonce: u64| {
        let e = send(nonce).unwrap_err();
        let message = e["message"].as_str().unwrap();
        assert!(message.contains("past the next nonce"), "{nonce}: {e}");
    };
    too_far(66);
    for n in 1..=64 {
        send(n).unwrap_or_else(|e| panic!("queued {n}: {e}"));
    }
    // 65 would be the 65th queued, and 65 past the next nonce (0).
    too_far(65);
    let status = node.ok("txpool_status", json!([]));
    assert_eq!((qty(&status["pending"]), qty(&status["queued"])), (0, 64));
    // Affordable together: a poor sender's second transaction overdraws.
    let poor = orac_primitives::PrivateKey::from_bytes(&[0x77; 32]).unwrap();
    let fee = 21_000u128 * 100_000_000_000;
    node.ok(
        "anvil_setBalance",
        json!([
            format!("{:?}", poor.address()),
            format!("{:#x}", fee * 3 / 2)
        ]),
    );
    node.ok(
        "eth_sendRawTransaction",
        json!([signed_tx(&poor, 0, to, 0, vec![], 21_000)]),
    );
    let e = node
        .call(
            "eth_sendRawTransaction",
            json!([signed_tx(&poor, 1, to, 0, vec![], 21_000)]),
        )
        .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("overdraft"), "{e}");
    let node = Node::restart(node.kill9());
    let status = node.ok("txpool_status", json!([]));
    assert_eq!((qty(&status["pending"]), qty(&status["queued"])), (1, 64));
}

/// The p99 of `samples`.
fn p99(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

/// REPRO M1: batches of `eth_call`s held every blocking thread, and a
/// WebSocket client pipelining calls spawned a task per message, so
/// balances, receipts and logs stopped being served. Heavy requests now
/// queue per client and node-wide; cheap reads stay fast while they flood,
/// and every flooder gets an answer (a result or "server busy").
#[test]
fn cheap_reads_stay_fast_while_heavy_requests_flood() {
    let (_alone, _dir, node) = node_alone();
    let keys = dev_keys();
    let mut deployer = Deployer::new(&node);
    let burner = deployer.deploy("an empty loop", &module("1", "", &forever("")));
    let call = json!({"to": format!("{burner:?}"), "gas": "0x2faf080"});
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut flooders = Vec::new();
    // Six HTTP clients, each a batch of 150 calls at the RPC's gas cap
    // (900 at once: more than the blocking pool's 512 threads).
    for _ in 0..6 {
        let (url, stop, answered, call) = (
            node.url.clone(),
            stop.clone(),
            answered.clone(),
            call.clone(),
        );
        flooders.push(std::thread::spawn(move || {
            let c = client();
            let batch: Vec<_> = (0..150)
                .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "eth_call", "params": [call, "latest"]}))
                .collect();
            let mut slowest = Duration::ZERO;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let replies: Vec<serde_json::Value> =
                    c.post(&url).json(&batch).send().unwrap().json().unwrap();
                slowest = slowest.max(t.elapsed());
                assert_eq!(replies.len(), 150);
                for r in &replies {
                    let e = &r["error"];
                    let busy = e["code"] == -32005;
                    let out_of_gas = e["message"].as_str().is_some_and(|m| m.contains("gas"));
                    assert!(busy || out_of_gas, "{r}");
                }
                answered.fetch_add(replies.len(), Ordering::Relaxed);
            }
            slowest
        }));
    }
    // A WebSocket client pipelining 2,000 calls without waiting.
    let ws_url = node.ws_url.clone();
    let ws_call = call.clone();
    let ws = std::thread::spawn(move || {
        use futures::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (ws, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await.unwrap();
            let (mut tx, mut rx) = ws.split();
            let sender = tokio::spawn(async move {
                for i in 0..2_000 {
                    let m = json!({"jsonrpc": "2.0", "id": i, "method": "eth_call", "params": [ws_call, "latest"]});
                    if tx.send(Message::text(m.to_string())).await.is_err() {
                        break;
                    }
                }
                tx
            });
            let mut replies = 0;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(25);
            while let Ok(Some(Ok(_))) = tokio::time::timeout_at(deadline, rx.next()).await {
                replies += 1;
            }
            drop(sender.await);
            replies
        })
    });
    // Meanwhile: cheap reads, timed, and a transfer.
    let receipt_of =
        node.ok("eth_getBlockByNumber", json!(["0x1", false]))["transactions"][0].clone();
    let c = client();
    let mut samples = Vec::new();
    let start = Instant::now();
    let to = Address::repeat_byte(0x5a);
    std::thread::sleep(Duration::from_secs(2));
    let sent = Instant::now();
    let transfer = send(&c, &node.url, signed_transfer(&keys[3], 0, to, 7));
    let transfer_took = sent.elapsed();
    while start.elapsed() < Duration::from_secs(20) {
        for (method, params) in [
            ("eth_getBalance", json!([format!("{to:?}"), "latest"])),
            ("eth_blockNumber", json!([])),
            ("eth_getTransactionReceipt", json!([receipt_of])),
        ] {
            let t = Instant::now();
            let r = try_call(&c, &node.url, method, params);
            samples.push(t.elapsed());
            assert!(matches!(r, Ok(Ok(_))), "{method}: {r:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    let slowest: Vec<Duration> = flooders.into_iter().map(|t| t.join().unwrap()).collect();
    let ws_replies = ws.join().unwrap();
    let p = p99(&mut samples);
    println!(
        "cheap reads: {} samples, p99 {p:?}, worst {:?}; transfer mined in {transfer_took:?}; \
         {} batch answers, slowest batch {:?}; {ws_replies} WebSocket replies",
        samples.len(),
        samples.last().unwrap(),
        answered.load(Ordering::Relaxed),
        slowest.iter().max().unwrap(),
    );
    assert!(p <= Duration::from_millis(100), "p99 of cheap reads {p:?}");
    assert!(
        transfer_took < Duration::from_secs(2),
        "transfer took {transfer_took:?}"
    );
    assert_eq!(
        node.ok("eth_getTransactionReceipt", json!([transfer]))["status"],
        "0x1"
    );
    assert!(
        answered.load(Ordering::Relaxed) >= 150,
        "no batch was answered"
    );
    assert!(ws_replies > 0, "the WebSocket client got no answer");
}
