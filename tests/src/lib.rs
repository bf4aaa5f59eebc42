//! Harness for end-to-end tests: start a node on an ephemeral port with its
//! own data directory (in this process through `orac_node::spawn`, or as the
//! real `orac` binary where only a process will do), talk JSON-RPC to it,
//! stop it (gracefully, or a process with SIGKILL) and restart it on the
//! same data.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub mod network;
pub mod oracle;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// The `orac` command the tests run: `orac-under-test`
/// (`tests/src/bin/orac-under-test.rs`, the same `orac_node::cli::main`),
/// which cargo builds with this package's tests and puts beside the
/// profile's `deps/`, where the test executable runs from.
pub fn orac_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|profile| profile.join(format!("orac-under-test{}", std::env::consts::EXE_SUFFIX)))
        .expect("the test executable sits in target/PROFILE/deps");
    assert!(
        bin.is_file(),
        "{} is missing: run the end-to-end tests through cargo test -p orac-tests",
        bin.display()
    );
    bin
}

/// Runs `cargo build -p orac-node --bin orac` (debug, or `--release`) in
/// the workspace and returns the binary's path (`$CARGO_TARGET_DIR` is
/// honoured): for the benchmarks that start nodes.
pub fn build_orac(release: bool) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "orac-node", "--bin", "orac"])
        .args(release.then_some("--release"))
        .current_dir(workspace())
        .status()
        .expect("run cargo build");
    assert!(status.success(), "building orac failed");
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace().join("target"))
        .join(if release { "release" } else { "debug" })
        .join("orac")
}

/// Reads an `orac node`'s stdout up to its banner's "Listening on ADDR"
/// line (for at most `timeout`) and returns ADDR; then keeps draining the
/// pipe in the background so the node never blocks on a full one.
pub fn listening_addr(stdout: ChildStdout, timeout: Duration) -> Option<String> {
    let mut reader = BufReader::new(stdout);
    let mut addr = None;
    let deadline = Instant::now() + timeout;
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(rest) = line.trim().strip_prefix("Listening on ") {
            addr = rest.split_whitespace().next().map(str::to_string);
            break;
        }
    }
    std::thread::spawn(move || {
        let mut sink = String::new();
        while reader.read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
    });
    addr
}

/// A running node: in this test process ([`orac_node::spawn`]) unless the
/// test needs what only a separate `orac node` process shows (`kill -9`,
/// the command line a user types).
pub struct Node {
    running: Option<Running>,
    /// JSON-RPC over HTTP, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The same port over WebSocket, `ws://127.0.0.1:PORT`.
    pub ws_url: String,
    /// The node's data directory (it survives [`Node::kill9`]).
    pub datadir: PathBuf,
    /// The arguments after `orac node`, minus the RPC address and datadir.
    extra: Vec<String>,
    client: reqwest::blocking::Client,
}

enum Running {
    /// `orac node` as a child process.
    Process(Child),
    /// The same node, served by threads of this process.
    InProcess(orac_node::RunningNode),
}

/// Where a node ran and what it was started with: [`Node::restart`] starts
/// it again on the same data, the same way.
pub struct Stopped {
    /// The data directory, as the node left it.
    pub datadir: PathBuf,
    extra: Vec<String>,
    process: bool,
}

impl Node {
    /// Starts a `--dev` node in this process with a fresh data directory
    /// inside `dir`; `extra` are `orac node` options.
    pub fn dev(dir: &Path, extra: &[&str]) -> Node {
        Self::start(dir.join("data"), dev_args(extra), false)
    }

    /// Starts `orac node --dev` as a separate process (for [`Node::kill9`],
    /// or to run the binary a user runs).
    pub fn dev_process(dir: &Path, extra: &[&str]) -> Node {
        Self::start(dir.join("data"), dev_args(extra), true)
    }

    /// Starts a node for the chain spec `spec` (not a dev chain) in this
    /// process, with a fresh data directory inside `dir`.
    pub fn chain(dir: &Path, spec: &Path, extra: &[&str]) -> Node {
        let mut args = vec!["--chain".to_string(), spec.display().to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::start(dir.join("data"), args, false)
    }

    fn start(datadir: PathBuf, extra: Vec<String>, process: bool) -> Node {
        // An ephemeral port, unless the test pins one (to restart the node
        // where its clients expect it).
        let mut args: Vec<String> = Vec::new();
        if !extra.iter().any(|a| a == "--rpc-addr") {
            args.extend(["--rpc-addr".into(), "127.0.0.1:0".into()]);
        }
        args.extend(["--datadir".into(), datadir.display().to_string()]);
        args.extend(extra.iter().cloned());
        let (running, addr) = match process {
            true => start_process(&args),
            false => start_in_process(&args),
        };
        Node {
            running: Some(running),
            url: format!("http://{addr}"),
            ws_url: format!("ws://{addr}"),
            datadir,
            extra,
            client: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("http client"),
        }
    }

    /// One JSON-RPC call; `Err` carries the JSON-RPC error object. The
    /// end-to-end tests speak raw JSON on purpose (they check the wire
    /// format); typed callers use `orac-rpc-client`.
    pub fn call(&self, method: &str, params: Value) -> Result<Value, Value> {
        try_call(&self.client, &self.url, method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// A call that must succeed.
    pub fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params)
            .unwrap_or_else(|e| panic!("{method} failed: {e}"))
    }

    /// Posts a raw body and returns the raw reply text.
    pub fn raw(&self, body: &str) -> String {
        self.client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .and_then(|r| r.text())
            .unwrap_or_else(|e| panic!("raw post: {e}"))
    }

    /// SIGKILL: no chance to flush or clean up. Only a node process can be
    /// killed so (start it with [`Node::dev_process`]).
    pub fn kill9(mut self) -> Stopped {
        match self.running.take() {
            Some(Running::Process(mut child)) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            _ => panic!("kill9 needs a node process: start it with Node::dev_process"),
        }
        self.stopped(true)
    }

    /// A clean stop: SIGTERM to a process and wait for it to exit, or
    /// [`orac_node::RunningNode::stop`] in process.
    pub fn stop(mut self) -> Stopped {
        let process = match self.running.take() {
            Some(Running::Process(child)) => {
                terminate(child);
                true
            }
            Some(Running::InProcess(node)) => {
                node.stop().expect("the node stops cleanly");
                false
            }
            None => unreachable!("a Node runs until stopped"),
        };
        self.stopped(process)
    }

    fn stopped(&self, process: bool) -> Stopped {
        Stopped {
            datadir: self.datadir.clone(),
            extra: self.extra.clone(),
            process,
        }
    }

    /// Starts a node again on the same data directory, as it ran before.
    pub fn restart(stopped: Stopped) -> Node {
        Self::start(stopped.datadir, stopped.extra, stopped.process)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        match self.running.take() {
            Some(Running::Process(mut child)) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            // Its own Drop stops it.
            Some(Running::InProcess(node)) => drop(node),
            None => {}
        }
    }
}

fn dev_args(extra: &[&str]) -> Vec<String> {
    let args = std::iter::once("--dev").chain(extra.iter().copied());
    args.map(str::to_string).collect()
}

fn start_in_process(args: &[String]) -> (Running, String) {
    let config = orac_node::NodeArgs::from_args(args)
        .unwrap_or_else(|e| panic!("orac node {args:?}: {e}"))
        .into_config()
        .unwrap_or_else(|e| panic!("orac node {args:?}: {e:#}"));
    let node = orac_node::spawn(config).unwrap_or_else(|e| panic!("orac node {args:?}: {e:#}"));
    let addr = node.addr().to_string();
    (Running::InProcess(node), addr)
}

fn start_process(args: &[String]) -> (Running, String) {
    let mut child = Command::new(orac_bin())
        .arg("node")
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start orac");
    // The banner ends with the address actually bound.
    let stdout = child.stdout.take().expect("piped stdout");
    match listening_addr(stdout, Duration::from_secs(60)) {
        Some(addr) => (Running::Process(child), addr),
        None => {
            let _ = child.kill();
            panic!("orac did not report its listening address");
        }
    }
}

/// SIGTERM, then up to 30 s for a clean exit before SIGKILL.
fn terminate(mut child: Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// One JSON-RPC call to `url` that reports transport failures instead of
/// panicking (for tests that kill the node mid-request).
pub fn try_call(
    client: &reqwest::blocking::Client,
    url: &str,
    method: &str,
    params: Value,
) -> Result<Result<Value, Value>, String> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let reply: Value = client
        .post(url)
        .json(&body)
        .send()
        .and_then(|r| r.json())
        .map_err(|e| e.to_string())?;
    Ok(match reply.get("error") {
        Some(e) => Err(e.clone()),
        None => Ok(reply["result"].clone()),
    })
}

/// Parses a JSON-RPC quantity.
pub fn qty(v: &Value) -> u128 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    u128::from_str_radix(s.trim_start_matches("0x"), 16)
        .unwrap_or_else(|_| panic!("bad quantity {s}"))
}

/// The standard dev keys (hex) and addresses.
pub fn dev_keys() -> Vec<orac_primitives::PrivateKey> {
    orac_chain::dev::derive_keys(orac_chain::dev::DEV_MNEMONIC, 10).expect("dev keys")
}

/// The dev chain's id (`orac node --dev`).
pub const CHAIN_ID: u64 = orac_chain::spec::DEV_CHAIN_ID;
/// The priority fee every test transaction offers: 1 gwei.
pub const PRIORITY_FEE: u64 = orac_chain::spec::GWEI;
/// The fee cap every test transaction sets: 100 gwei, far above the dev
/// chain's base fee.
pub const MAX_FEE: u64 = 100 * orac_chain::spec::GWEI;

/// Signs a plain transfer on the dev chain (21,000 gas, no data), returning
/// raw hex.
pub fn signed_transfer(
    key: &orac_primitives::PrivateKey,
    nonce: u64,
    to: orac_primitives::Address,
    value: u64,
) -> String {
    let gas = orac_primitives::transaction::TX_BASE_GAS;
    signed_tx(key, nonce, Some(to), value, Vec::new(), gas)
}

/// Signs a type-2 transaction on the dev chain: a call (`to`) or a
/// creation, returning raw hex.
pub fn signed_tx(
    key: &orac_primitives::PrivateKey,
    nonce: u64,
    to: Option<orac_primitives::Address>,
    value: u64,
    data: Vec<u8>,
    gas: u64,
) -> String {
    let tx = orac_chain::testing::call(orac_primitives::Address::zero(), data, gas)
        .to(to)
        .nonce(nonce)
        .value(orac_primitives::U256::from(value))
        .sign(key);
    hex0x(tx.encoded())
}

/// Builds the test contract `tests/contracts/<name>` with `orac build`'s
/// own pipeline (`orac_build::build`: rustup's wasm32 target, or Debian's
/// packaged Rust when that is all there is) once per test process, and
/// returns its deployable module.
pub fn test_contract(name: &str) -> Vec<u8> {
    static BUILT: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap();
    built
        .entry(name.to_string())
        .or_insert_with(|| {
            let dir = workspace().join("tests/contracts").join(name);
            let artifact = orac_build::build(&dir, orac_build::test_target_dir().as_deref())
                .unwrap_or_else(|e| panic!("building the test contract {name}: {e}"));
            eprintln!("built test contract {name} with {}", artifact.toolchain);
            artifact.wasm
        })
        .clone()
}

/// `0x`-hex of bytes.
pub fn hex0x(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

/// Where the client-library tests keep their installed packages.
pub fn clients_dir() -> PathBuf {
    workspace().join("tests").join("clients")
}

/// Whether to skip instead of failing when a client toolchain is absent
/// (only ever for local runs; CI sets nothing and so requires them).
pub fn allow_missing_clients() -> bool {
    std::env::var("ORAC_ALLOW_MISSING_CLIENTS").is_ok()
}

/// Every file under `dir` (recursively) whose name ends in `.ext`, in path
/// order: conformance suites are trees of case files, and a fixed order
/// keeps failure reports comparable between runs.
pub fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for path in entries {
        if path.is_dir() {
            out.extend(files_under(&path, ext));
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out
}
