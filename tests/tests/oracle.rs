//! The oracle bridge end to end: a dev node, a local HTTP price source
//! driven by the test, and four `orac oracle` processes (f = 1), one of
//! which reports 100× the price. Covers: an honest update reaching a
//! subscriber's callback while a looping subscriber is isolated; the liar
//! staying outside the answer and unable to start rounds alone; a replayed
//! report refused; requests answered by the nodes (the feed's value and a
//! named query); the designated transmitter down and the next one in the
//! rotation lands the round; two nodes down, no update and a status that says why;
//! a node restarted from its config alone restores the quorum; the chain
//! stopped and restarted, and the nodes carry on. Also the hardening of
//! issue 12: a copied report cannot be transmitted by a stranger (REPRO
//! M2(c)); a request whose fee does not pay for its callback is not
//! answered (M3); one signer flooding the others with signed responses to
//! made-up requests does not stall the feed (H3); node 0 gets its RPC URL,
//! listen address and peers from the ORAC_ORACLE_* env vars only.

use orac_primitives::alloy::{ToAlloy, ToOrac};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_primitives::I256;
use alloy_sol_types::{SolCall, SolEvent};
use orac_oracle::REGISTRY;
use orac_oracle::abi::{FeedParams, IOracleRegistry as I};
use orac_oracle::{Domain, Kind, Observation};
use orac_primitives::{Address, PrivateKey};
use orac_tests::oracle::{
    Oracle, Sender, free_port, latest, logs_of, status_of, view, wait_for_round,
};
use orac_tests::{Node, dev_keys, hex0x, qty};
use orac_vm::{create_address, envelope};
use serde_json::json;

const DECIMALS: u32 = 8;

fn oracle_key(i: usize) -> PrivateKey {
    PrivateKey::from_bytes(&[i as u8 + 11; 32]).unwrap()
}

/// A price source the test moves: `/price/honest` and `/price/liar`
/// (100× the price), as `{"price": "<decimal>"}`.
struct PriceSource {
    price: Arc<Mutex<String>>,
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

impl PriceSource {
    fn start(initial: &str) -> Self {
        let price = Arc::new(Mutex::new(initial.to_string()));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let p = price.clone();
        let app = axum::Router::new().route(
            "/price/{who}",
            axum::routing::get(
                move |axum::extract::Path(who): axum::extract::Path<String>| {
                    let p = p.clone();
                    async move {
                        let honest: f64 = p.lock().unwrap().parse().unwrap();
                        let v = if who == "liar" {
                            honest * 100.0
                        } else {
                            honest
                        };
                        axum::Json(json!({ "price": format!("{v:.2}") }))
                    }
                },
            ),
        );
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            price,
            port,
            _runtime: runtime,
        }
    }

    fn set(&self, price: &str) {
        *self.price.lock().unwrap() = price.to_string();
    }
}

/// Writes the four nodes' configs and starts them. Node 0's file has an
/// RPC URL nothing answers, an address it cannot listen on and no peers:
/// it runs only because its env vars override all three.
fn start_oracles(dir: &Path, rpc: &str, source_port: u16) -> Vec<Option<Oracle>> {
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    for i in 0..4 {
        let peers: Vec<String> = ports
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| format!("http://127.0.0.1:{p}/"))
            .collect();
        let who = if i == 3 { "liar" } else { "honest" };
        let (file_rpc, file_listen, file_peers) = if i == 0 {
            std::fs::write(
                dir.join("oracle0.env"),
                format!(
                    "ORAC_ORACLE_RPC_URL={rpc}\nORAC_ORACLE_LISTEN=127.0.0.1:{}\nORAC_ORACLE_PEERS={}\n",
                    ports[0],
                    peers.join(",")
                ),
            )
            .unwrap();
            (
                "http://127.0.0.1:1/".to_string(),
                // TEST-NET-1: no local interface has it.
                "192.0.2.1:9".to_string(),
                String::new(),
            )
        } else {
            let quoted: Vec<String> = peers.iter().map(|p| format!("\"{p}\"")).collect();
            (
                rpc.to_string(),
                format!("127.0.0.1:{}", ports[i]),
                quoted.join(", "),
            )
        };
        let config = format!(
            r#"rpc_url = "{file_rpc}"
listen = "{file_listen}"
peers = [{file_peers}]
key_env = "ORAC_ORACLE_KEY"
poll_interval_ms = 300
transmit_timeout_ms = 1500

[[feeds]]
id = 1
decimals = {DECIMALS}
min_sources = 1
max_spread_ppm = 50000
heartbeat_secs = 3600
deviation_ppb = 10000000
  [[feeds.sources]]
  url = "http://127.0.0.1:{source_port}/price/{who}"
  pointer = "/price"
  [[feeds.queries]]
  name = "half"
    [[feeds.queries.sources]]
    url = "http://127.0.0.1:{source_port}/price/{who}"
    pointer = "/price"
    scale = 0.5
"#,
        );
        std::fs::File::create(dir.join(format!("oracle{i}.toml")))
            .unwrap()
            .write_all(config.as_bytes())
            .unwrap();
        std::fs::write(dir.join(format!("oracle{i}.port")), ports[i].to_string()).unwrap();
    }
    (0..4).map(|i| Some(start_one(dir, i))).collect()
}

fn alive(oracles: &[Option<Oracle>], i: usize) -> &Oracle {
    oracles[i].as_ref().expect("a running oracle node")
}

/// Starts oracle node `i` from the config written for it (and the env
/// vars written for it, if any).
fn start_one(dir: &Path, i: usize) -> Oracle {
    let env: Vec<(String, String)> =
        match std::fs::read_to_string(dir.join(format!("oracle{i}.env"))) {
            Ok(vars) => vars
                .lines()
                .map(|line| {
                    let (name, value) = line.split_once('=').unwrap();
                    (name.to_string(), value.to_string())
                })
                .collect(),
            Err(_) => Vec::new(),
        };
    let port = std::fs::read_to_string(dir.join(format!("oracle{i}.port")))
        .unwrap()
        .parse()
        .unwrap();
    Oracle::start(
        &dir.join(format!("oracle{i}.toml")),
        &hex::encode(oracle_key(i).to_bytes()),
        &env,
        port,
    )
}

fn scaled(price: i128) -> i128 {
    price * 10i128.pow(DECIMALS)
}

fn consumer(tail: &str) -> Vec<u8> {
    let wat = std::fs::read_to_string(
        orac_tests::workspace().join("oracle/registry/tests/contracts/consumer.wat"),
    )
    .unwrap();
    wat::parse_str(wat.replace("CALLBACK_TAIL", tail)).unwrap()
}

#[test]
fn four_oracle_nodes_keep_a_feed_honest_through_failures() {
    let dir = tempfile::tempdir().unwrap();
    // A fixed port, so the chain can be restarted where the nodes look.
    let rpc_addr = format!("127.0.0.1:{}", free_port());
    let node = Node::dev(dir.path(), &["--rpc-addr", &rpc_addr]);
    let keys = dev_keys();
    let admin = Sender {
        node: &node,
        key: keys[0].clone(),
    };
    // Fund the oracle nodes (they pay for their transmissions).
    for i in 0..4 {
        admin.send(Some(oracle_key(i).address()), 10u64.pow(18), vec![], 21_000);
    }
    let params = FeedParams {
        description: "ETH / USD".into(),
        decimals: DECIMALS as u8,
        signers: (0..4).map(|i| oracle_key(i).address().to_alloy()).collect(),
        f: 1,
        heartbeat: 3600,
        deviationPpb: 10_000_000,
        minAnswer: I256::ONE,
        maxAnswer: I256::try_from(scaled(1_000_000)).unwrap(),
    };
    admin.send(
        Some(REGISTRY),
        0,
        I::createFeedCall { params }.abi_encode(),
        1_000_000,
    );
    // Two subscribers: one honest, one that loops forever.
    let deploy = |tail: &str, nonce_key: &PrivateKey| {
        let sender = Sender {
            node: &node,
            key: nonce_key.clone(),
        };
        let mut data = envelope::wrap(&consumer(tail));
        data.extend(
            I::subscribeCall {
                feedId: 1,
                callbackGas: 100_000,
            }
            .abi_encode(),
        );
        let r = sender.send(None, 10u64.pow(16), data, 5_000_000);
        r["contractAddress"].as_str().unwrap().to_string()
    };
    let good = deploy("(nop)", &keys[2]);
    let looping = deploy("(loop $l (br $l))", &keys[3]);
    assert_eq!(good, format!("{:?}", create_address(&keys[2].address(), 0)));

    let source = PriceSource::start("3000.00");
    let mut oracles = start_oracles(dir.path(), &node.url, source.port);

    // 1. An honest round reaches the subscriber; the liar's 100× is outside
    //    the answer; the looping subscriber is recorded and isolated.
    let started = Instant::now();
    let (round, answer) = wait_for_round(&node, 1, Duration::from_secs(60));
    eprintln!("first round after {:?}", started.elapsed());
    assert_eq!(answer, scaled(3000), "round {round}");
    let slot = |addr: &str, i: u8| {
        qty(&node.ok(
            "eth_getStorageAt",
            json!([addr, format!("0x{i:x}"), "latest"]),
        ))
    };
    assert_eq!(slot(&good, 1) as i128, scaled(3000));
    assert!(!logs_of(&node, I::CallbackFailed::SIGNATURE_HASH.0).is_empty());
    assert!(!logs_of(&node, I::CallbackDelivered::SIGNATURE_HASH.0).is_empty());
    // The liar's trigger fires on every tick (its value is always 100× off
    // the answer), but one faulty signer alone cannot start rounds.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(latest(&node), Some((1, scaled(3000))));

    // Node 0 runs from its env vars: it listens where they say, reads the
    // chain at their URL...
    let status = status_of(alive(&oracles, 0).port);
    assert!(
        status["feeds"]["1"]
            .as_str()
            .is_some_and(|s| s.contains("last answer")),
        "{status}"
    );

    // 2. A replay of the landed report is refused; a stranger may not even
    //    send it (only signers and the admin transmit: REPRO M2(c)).
    let landed = &logs_of(&node, I::NewRound::SIGNATURE_HASH.0)[0];
    let tx = node.ok(
        "eth_getTransactionByHash",
        json!([landed["transactionHash"]]),
    );
    let replay = |from: &PrivateKey| {
        node.call(
            "eth_call",
            json!([{"from": format!("{:?}", from.address()), "to": format!("{REGISTRY:?}"),
                    "data": tx["input"]}, "latest"]),
        )
        .expect_err("a replay must revert")
        .to_string()
    };
    let err = replay(&keys[0]);
    assert!(err.contains("not above the last round"), "{err}");
    let err = replay(&keys[5]);
    assert!(err.contains("may not transmit"), "{err}");

    // 2b. Request/response: the honest consumer asks for the feed's value
    //     with a fee; the nodes answer with a quorum-signed response and
    //     its callback stores the answer (slot 0).
    let now = qty(&node.ok("eth_getBlockByNumber", json!(["latest", false]))["timestamp"]) as u64;
    let requester = Sender {
        node: &node,
        key: keys[4].clone(),
    };
    let good_address: Address = good.parse().unwrap();
    // Requests `query` and waits for the response (the `n`th so far).
    let ask = |query: [u8; 32], n: usize| {
        let call = I::requestCall {
            feedId: 1,
            query: query.into(),
            callbackGas: 100_000,
            expiresAt: now + 300,
        };
        requester.send(
            Some(good_address),
            10u64.pow(15),
            call.abi_encode(),
            1_000_000,
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while logs_of(&node, I::OracleResponse::SIGNATURE_HASH.0).len() < n {
            assert!(Instant::now() < deadline, "no response to request {n}");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    // REPRO M3: a request for 2M callback gas with a 1-wei fee would cost
    // its transmitter ~2.1M gas; nobody answers it.
    let cheap = I::requestCall {
        feedId: 1,
        query: [0; 32].into(),
        callbackGas: 2_000_000,
        expiresAt: now + 300,
    };
    let r = requester.send(Some(good_address), 1, cheap.abi_encode(), 1_000_000);
    let cheap_id =
        u64::from_str_radix(&r["logs"][0]["topics"][1].as_str().unwrap()[50..], 16).unwrap();
    ask([0; 32], 1);
    assert_eq!(slot(&good, 0) as i128, scaled(3000));
    let open = view(
        &node,
        &I::getRequestCall {
            requestId: cheap_id,
        },
    )
    .unwrap();
    assert_eq!(
        (open.callbackGas, open.status),
        (2_000_000, 1),
        "the cheap request was answered"
    );
    //     A named query: the nodes' [[feeds.queries]] "half" reads the same
    //     source at half the price; the request names it by keccak256.
    ask(orac_primitives::keccak256(b"half").0, 2);
    assert_eq!(slot(&good, 0) as i128, scaled(1500));

    // 3. One node down — round 2's designated transmitter (signer 2 mod 4):
    //    rounds go on, the next signer in the rotation transmits.
    assert_eq!(round, 1);
    oracles[2] = None;
    source.set("3100.00");
    let changed = Instant::now();
    let (_, answer) = wait_for_round(&node, round + 1, Duration::from_secs(60));
    eprintln!(
        "with one node down, the change landed after {:?}",
        changed.elapsed()
    );
    assert_eq!(answer, scaled(3100));
    assert_eq!(slot(&good, 1) as i128, scaled(3100));
    let rounds = logs_of(&node, I::NewRound::SIGNATURE_HASH.0);
    let last = rounds.last().unwrap();
    let data = hex::decode(last["data"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    // NewRound's data: answer, observedAt, signers, transmitter.
    assert_eq!(
        &data[3 * 32 + 12..4 * 32],
        oracle_key(3).address().as_bytes()
    );

    // 4. Two nodes down: no quorum, no update, and the status says why.
    let (stuck, _) = latest(&node).unwrap();
    oracles[0] = None;
    source.set("3300.00");
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(latest(&node).unwrap(), (stuck, scaled(3100)));
    let status = status_of(alive(&oracles, 1).port);
    let feed = status["feeds"]["1"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(feed.contains("waiting for quorum: 2 of 3"), "{status}");
    let metrics = reqwest::blocking::get(format!(
        "http://127.0.0.1:{}/metrics",
        alive(&oracles, 1).port
    ))
    .unwrap()
    .text()
    .unwrap();
    assert!(
        metrics.contains("orac_oracle_observations_signed_total"),
        "{metrics}"
    );

    // 5. A stopped node restarts with nothing but its config: the quorum is
    //    back and the pending price lands.
    oracles[2] = Some(start_one(dir.path(), 2));
    let (_, answer) = wait_for_round(&node, stuck + 1, Duration::from_secs(60));
    assert_eq!(answer, scaled(3300));

    // 6. The chain goes away and comes back: the nodes ride it out and the
    //    next change lands.
    let (before_outage, _) = latest(&node).unwrap();
    let state = node.stop();
    std::thread::sleep(Duration::from_secs(3));
    let node = Node::restart(state);
    source.set("3500.00");
    let (_, answer) = wait_for_round(&node, before_outage + 1, Duration::from_secs(60));
    assert_eq!(answer, scaled(3500));

    // 7. REPRO H3: node 3's key signs 1,100 `response` observations for
    //    request ids nobody made and posts them to the two honest nodes
    //    up. They keep none of them (the pool once took 1,024 of them and
    //    then refused the nodes' own observations), and the next price
    //    change lands.
    let chain_id = qty(&node.ok("eth_chainId", json!([]))) as u64;
    let digest = view(&node, &I::feedConfigCall { feedId: 1 })
        .unwrap()
        .configDigest;
    let domain = Domain {
        chain_id,
        registry: REGISTRY,
    };
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let http = reqwest::blocking::Client::new();
    for i in [1, 2] {
        let port = alive(&oracles, i).port;
        let mut kept = 0;
        for id in 1_000_000..1_001_100u64 {
            let obs = domain.sign(
                Kind::Response,
                &oracle_key(3),
                1,
                digest.to_orac(),
                &Observation {
                    round: id,
                    observed_at: at,
                    value: 42,
                },
            );
            let mut sig = obs.signature.r.to_big_endian().to_vec();
            sig.extend_from_slice(&obs.signature.s.to_big_endian());
            sig.push(27 + obs.signature.y_parity as u8);
            let wire = json!({
                "kind": "response", "feed": 1, "round": id,
                "config_digest": format!("{digest}"), "observed_at": at,
                "value": "42", "signature": hex0x(&sig),
            });
            let r = http
                .post(format!("http://127.0.0.1:{port}/observations"))
                .json(&wire)
                .send()
                .unwrap();
            if r.status().is_success() {
                kept += 1;
            } else {
                let reason = r.text().unwrap();
                assert!(reason.contains("is not open here"), "{reason}");
            }
        }
        assert_eq!(kept, 0, "node {i} kept responses to made-up requests");
        let pool = status_of(port)["pool"].as_u64().unwrap();
        assert!(pool < 10, "node {i}'s pool holds {pool} entries");
    }
    let (flooded, _) = latest(&node).unwrap();
    source.set("3700.00");
    let (_, answer) = wait_for_round(&node, flooded + 1, Duration::from_secs(60));
    assert_eq!(answer, scaled(3700));
    let _ = looping;
}
