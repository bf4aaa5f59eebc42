//! A network of `orac node --config` processes on loopback, as
//! `orac testnet init` writes it: start, kill -9, restart, and ask every
//! node the same question.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{listening_addr, orac_bin, qty, try_call};

/// A testnet directory and its node processes (index = node number).
pub struct Testnet {
    /// The directory `orac testnet init` wrote.
    pub dir: PathBuf,
    /// Node I's JSON-RPC URL.
    pub urls: Vec<String>,
    nodes: Vec<Option<Child>>,
    client: reqwest::blocking::Client,
    /// Held while the network runs ([`Testnet::init`]).
    _turn: MutexGuard<'static, ()>,
}

/// A base port with the whole layout free (RPC P+I, consensus P+100+I,
/// relay P+200+I), probed by binding each.
fn free_base_port(nodes: usize) -> u16 {
    let seed = std::process::id() as u64 ^ Instant::now().elapsed().as_nanos() as u64;
    for attempt in 0..200u64 {
        let base = 20_000 + ((seed.wrapping_mul(7919) + attempt * 331) % 30_000) as u16;
        let all_free = (0..nodes).all(|i| {
            [0, 100, 200]
                .iter()
                .all(|off| TcpListener::bind(("127.0.0.1", base + off + i as u16)).is_ok())
        });
        if all_free {
            return base;
        }
    }
    panic!("no free port range for a testnet");
}

impl Testnet {
    /// Runs `orac testnet init` into `dir` (validators, plus full nodes)
    /// on free ports; starts nothing.
    pub fn init(dir: &Path, validators: usize, full_nodes: usize) -> Testnet {
        // One network at a time: four or five node processes already keep
        // both cores of a CI machine busy.
        static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
        let turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let total = validators + full_nodes;
        let base = free_base_port(total);
        let dir = dir.join("testnet");
        let status = Command::new(orac_bin())
            .args(["testnet", "init", "--dir"])
            .arg(&dir)
            .args(["--validators", &validators.to_string()])
            .args(["--full-nodes", &full_nodes.to_string()])
            .args(["--base-port", &base.to_string()])
            .stdout(Stdio::null())
            .status()
            .expect("run orac testnet init");
        assert!(status.success(), "orac testnet init failed");
        let listing: Value =
            serde_json::from_slice(&std::fs::read(dir.join("testnet.json")).expect("testnet.json"))
                .expect("testnet.json is JSON");
        let urls: Vec<String> = listing["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["rpc"].as_str().expect("rpc").to_string())
            .collect();
        assert_eq!(urls.len(), total);
        Testnet {
            _turn: turn,
            dir,
            nodes: (0..total).map(|_| None).collect(),
            urls,
            client: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
        }
    }

    /// Starts every node.
    pub fn start_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.start(i);
        }
    }

    /// Starts node `i` (`orac node --config DIR/nodeI/config.toml`) and
    /// waits for its RPC.
    pub fn start(&mut self, i: usize) {
        assert!(self.nodes[i].is_none(), "node{i} is running");
        let log = std::fs::File::create(self.dir.join(format!("node{i}.log"))).expect("log file");
        let mut cmd = Command::new(orac_bin());
        cmd.arg("node")
            .arg("--config")
            .arg(self.dir.join(format!("node{i}/config.toml")));
        // The node's own default filter unless the run asks for another.
        match std::env::var("ORAC_TEST_LOG") {
            Ok(filter) => cmd.env("RUST_LOG", filter),
            Err(_) => cmd.env_remove("RUST_LOG"),
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start orac node");
        let stdout = child.stdout.take().expect("piped stdout");
        if listening_addr(stdout, Duration::from_secs(60)).is_none() {
            let _ = child.kill();
            panic!(
                "node{i} did not start: see {}",
                self.dir.join(format!("node{i}.log")).display()
            );
        }
        self.nodes[i] = Some(child);
    }

    /// SIGKILL node `i`.
    pub fn kill9(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Node `i`'s log so far (its stderr).
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.dir.join(format!("node{i}.log"))).unwrap_or_default()
    }

    /// One call to node `i`; `Err` on a JSON-RPC error or transport failure.
    pub fn call(&self, i: usize, method: &str, params: Value) -> Result<Value, String> {
        match try_call(&self.client, &self.urls[i], method, params) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e),
        }
    }

    /// Node `i`'s head block number.
    pub fn head(&self, i: usize) -> Option<u64> {
        self.call(i, "eth_blockNumber", json!([]))
            .ok()
            .map(|v| qty(&v) as u64)
    }

    /// Block `n` as node `i` has it (`None` if it has not got it).
    pub fn block(&self, i: usize, n: u64) -> Option<Value> {
        self.call(
            i,
            "eth_getBlockByNumber",
            json!([format!("0x{n:x}"), false]),
        )
        .ok()
        .filter(|b| !b.is_null())
    }

    /// Block `n` from node `i`, waiting up to 30 s for it (a loaded
    /// machine can be slow to answer or to commit).
    fn block_eventually(&self, i: usize, n: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(b) = self.block(i, n) {
                return b;
            }
            assert!(Instant::now() < deadline, "node{i} lacks block {n}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until every listed node's head is at least `n`.
    pub fn wait_for_height(&self, nodes: &[usize], n: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if nodes.iter().all(|&i| self.head(i).is_some_and(|h| h >= n)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Asserts that the listed nodes agree on the hash and state root of
    /// every block from 1 to `n`.
    pub fn assert_same_chain(&self, nodes: &[usize], n: u64) {
        for h in 1..=n {
            let blocks: Vec<Value> = nodes.iter().map(|&i| self.block_eventually(i, h)).collect();
            for (b, &i) in blocks.iter().zip(nodes) {
                assert_eq!(
                    b["hash"], blocks[0]["hash"],
                    "node{i} block {h} hash differs"
                );
                assert_eq!(
                    b["stateRoot"], blocks[0]["stateRoot"],
                    "node{i} block {h} state root differs"
                );
            }
        }
    }

    /// Waits for a receipt on node `i`.
    pub fn receipt(&self, i: usize, hash: &str, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(r) = self.call(i, "eth_getTransactionReceipt", json!([hash]))
                && !r.is_null()
            {
                return Some(r);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Testnet {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill9(i);
        }
    }
}
