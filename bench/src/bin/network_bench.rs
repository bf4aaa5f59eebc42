//! `network-bench`: batched transfers against a single `orac node --dev` and
//! against four Malachite validators on loopback, in one run, on the same
//! machine: sustained throughput, finality latency (submit to one node →
//! the block holding the transaction visible on another node), and the
//! liveness gap when one validator is killed with SIGKILL.
//!
//! Phases, each on its own fresh senders (funded by transfers from the ten
//! dev accounts, not timed) with every transaction pre-signed and
//! pre-serialised before the clock starts:
//!
//! * `dev-light`, `dev`: a release `orac node --dev`; light load (a few
//!   small batches in flight), then saturating load.
//! * `net-light`, `net`: `orac testnet init --validators 4 --gas-limit G`,
//!   four `orac node --config` processes; lanes bound to each node's RPC,
//!   each transaction observed on the *next* node.
//! * `net-crash`: load on nodes 0..2 only; node 3 is SIGKILLed mid-phase;
//!   the longest interval between consecutive blocks seen on node 0.
//!
//! A lane sends a JSON-RPC batch of `eth_sendRawTransaction`, then waits
//! until every transaction of it is in a block its observer node serves
//! (one watcher per node polls `eth_blockNumber` every `--poll-ms` and reads
//! each new block's transaction hashes), then sends its next batch: a
//! closed loop with lanes × batch transactions in flight. A transaction's
//! latency is (first seen in a block on the observer) − (its batch sent).
//! Throughput is the transactions in the blocks node 0 showed during the
//! steady window divided by the time between the first and last of those
//! blocks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use orac_bench::load::{
    GWEI, Rpc, SignedTransfer, TransferTerms, hex_addr, nonces, parse_u64, recipient, sender_key,
    sign_transfers, wait_balances,
};
use orac_bench::procfs::{load_average, process_ticks, thread_ticks};
use orac_primitives::{Address, PrivateKey, U256};
use orac_rpc_client::Batch;
use serde_json::{Value, json};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "network-bench",
    about = "Throughput, finality latency and crash liveness of four orac validators against one dev node, in one run"
)]
struct Args {
    /// The orac binary (default: cargo build --release -p orac-node --bin orac).
    #[arg(long)]
    orac: Option<PathBuf>,
    /// Block gas limit of the testnet (`orac testnet init --gas-limit`).
    /// 200M = 9,523 transfers per block, above what the network executes
    /// in one block interval here, so the limit does not cap throughput.
    #[arg(long, default_value_t = 200_000_000)]
    gas_limit: u64,
    /// The testnet's block interval (`orac testnet init --block-time-ms`;
    /// default: orac's).
    #[arg(long, value_name = "MS")]
    block_time_ms: Option<u64>,
    /// Seconds of the saturating phases, warm-up included.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds at the start of each phase left out of the steady window.
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// Seconds of the light-load phases.
    #[arg(long, default_value_t = 12)]
    light_seconds: u64,
    /// Seconds of the crash phase; the kill comes `--kill-after` in.
    #[arg(long, default_value_t = 30)]
    crash_seconds: u64,
    /// When node 3 is killed in the crash phase (seconds into it).
    #[arg(long, default_value_t = 10)]
    kill_after: u64,
    /// Transactions pre-signed for the dev phase (it stops early, and says
    /// so, when they run out).
    #[arg(long, default_value_t = 300_000)]
    dev_txs: usize,
    /// Transactions pre-signed for each saturating network phase.
    #[arg(long, default_value_t = 200_000)]
    net_txs: usize,
    /// The network load steps, each a phase: LANESxBATCH = lanes per node
    /// (closed-loop connections) x eth_sendRawTransaction calls per batch,
    /// so 4 x LANES x BATCH transactions in flight.
    #[arg(long, value_delimiter = ',', default_value = "1x250,1x1000,4x1000")]
    net_loads: Vec<String>,
    /// The load of the crash phase (LANESxBATCH per surviving node).
    #[arg(long, default_value = "1x250")]
    crash_load: String,
    /// Lanes and batch size of the dev phase (as orac-bench's defaults).
    #[arg(long, default_value_t = 8)]
    dev_lanes: usize,
    /// Batch size of the dev phase.
    #[arg(long, default_value_t = 100)]
    dev_batch: usize,
    /// Batch size of the light phases (one lane per node).
    #[arg(long, default_value_t = 10)]
    light_batch: usize,
    /// Least milliseconds between two batches of a lane in the light
    /// phases.
    #[arg(long, default_value_t = 250)]
    light_pace_ms: u64,
    /// Sender accounts per saturating phase.
    #[arg(long, default_value_t = 400)]
    senders: usize,
    /// Watchers' eth_blockNumber poll interval.
    #[arg(long, default_value_t = 10)]
    poll_ms: u64,
    /// Skip the dev node phases.
    #[arg(long)]
    no_dev: bool,
    /// Where the testnet and data directories go (default: a temporary
    /// directory, removed at the end).
    #[arg(long)]
    keep_dir: Option<PathBuf>,
}

/// How long a lane waits for its batch to show up before giving up.
const SEEN_TIMEOUT: Duration = Duration::from_secs(30);
/// Fee cap of every transfer, in gwei.
const MAX_FEE_GWEI: u64 = 100;
/// What the nodes log: orac's default filter plus the round starts.
const NODE_LOG: &str = "info,orac_consensus=debug,arc_malachitebft_core_consensus=warn,\
arc_malachitebft_engine=warn,arc_malachitebft_sync=warn,arc_malachitebft_network=warn,\
arc_malachitebft_discovery=warn,arc_malachitebft_wal=warn,libp2p=warn";

// ---------------------------------------------------------------- processes

/// A node process, SIGKILLed when dropped.
struct NodeProc {
    child: Option<Child>,
    log: PathBuf,
    url: String,
}

impl NodeProc {
    fn start(orac: &Path, args: &[&str], extra: &[&Path], log: &Path) -> Result<NodeProc> {
        let mut cmd = Command::new(orac);
        cmd.args(args)
            .args(extra)
            .env("RUST_LOG", NODE_LOG)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?);
        let mut child = cmd.spawn().context("start orac node")?;
        let stdout = child.stdout.take().expect("piped stdout");
        let Some(addr) = orac_tests::listening_addr(stdout, Duration::from_secs(60)) else {
            let _ = child.kill();
            bail!("node did not start: see {}", log.display());
        };
        Ok(NodeProc {
            child: Some(child),
            log: log.to_path_buf(),
            url: format!("http://{addr}"),
        })
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A base port with RPC P+I, consensus P+100+I and relay P+200+I free.
fn free_base_port(nodes: u16) -> Result<u16> {
    let seed = u64::from(std::process::id()).wrapping_mul(2_654_435_761);
    for attempt in 0..500u64 {
        let base = 20_000 + ((seed + attempt * 337) % 30_000) as u16;
        let free = (0..nodes).all(|i| {
            [0u16, 100, 200]
                .iter()
                .all(|off| std::net::TcpListener::bind(("127.0.0.1", base + off + i)).is_ok())
        });
        if free {
            return Ok(base);
        }
    }
    bail!("no free port range")
}

fn ticks_per_s() -> f64 {
    100.0 // USER_HZ on Linux
}

// ---------------------------------------------------------------- watchers

/// A block as one node showed it.
#[derive(Clone, Debug)]
struct SeenBlock {
    number: u64,
    at: Instant,
    txs: usize,
}

/// What a watcher learned from one node.
#[derive(Default)]
struct NodeView {
    /// Transaction hash (lower-case hex) → when its block first showed.
    seen: HashMap<String, Instant>,
    blocks: Vec<SeenBlock>,
}

/// Polls every node's head and reads each new block's transaction hashes.
struct Watchers {
    views: Vec<Arc<Mutex<NodeView>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Watchers {
    async fn start(urls: &[String], poll: Duration) -> Result<Watchers> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut views = Vec::new();
        let mut tasks = Vec::new();
        for url in urls {
            let rpc = Rpc::new(url, Duration::from_secs(10))?;
            let mut next = parse_u64(&rpc.call("eth_blockNumber", json!([])).await?)? + 1;
            let view = Arc::new(Mutex::new(NodeView::default()));
            views.push(view.clone());
            let stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let head = match rpc.call("eth_blockNumber", json!([])).await {
                        Ok(v) => parse_u64(&v).unwrap_or(0),
                        Err(_) => {
                            tokio::time::sleep(poll * 10).await;
                            continue;
                        }
                    };
                    while next <= head {
                        let Ok(b) = rpc
                            .call("eth_getBlockByNumber", json!([format!("{next:#x}"), false]))
                            .await
                        else {
                            break;
                        };
                        let at = Instant::now();
                        let hashes: Vec<String> = b["transactions"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|h| h.as_str().map(str::to_lowercase))
                                    .collect()
                            })
                            .unwrap_or_default();
                        let mut v = view.lock().expect("view");
                        v.blocks.push(SeenBlock {
                            number: next,
                            at,
                            txs: hashes.len(),
                        });
                        for h in hashes {
                            v.seen.entry(h).or_insert(at);
                        }
                        next += 1;
                    }
                    tokio::time::sleep(poll).await;
                }
            }));
        }
        Ok(Watchers { views, stop, tasks })
    }

    fn seen(&self, node: usize, hash: &str) -> Option<Instant> {
        self.views[node]
            .lock()
            .expect("view")
            .seen
            .get(hash)
            .copied()
    }

    fn blocks(&self, node: usize) -> Vec<SeenBlock> {
        self.views[node].lock().expect("view").blocks.clone()
    }

    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

// ---------------------------------------------------------------- load

/// A phase's load: which node each lane submits to and which node it
/// observes, and how.
struct Phase {
    name: &'static str,
    /// (submit node, observer node) per lane.
    lanes: Vec<(usize, usize)>,
    batch: usize,
    senders: usize,
    txs: usize,
    seconds: u64,
    warmup: u64,
    /// Wait until the batch shows on the observer before the next one
    /// (false on the dev node, whose eth_sendRawTransaction answers once
    /// the block is committed: its reply time is the latency).
    wait_seen: bool,
    /// SIGKILL this node this many seconds in.
    kill: Option<(usize, u64)>,
    /// Least time between two batches of one lane (light load).
    pace: Duration,
}

impl Phase {
    /// A light phase: 40 senders, paced batches of `--light-batch`.
    fn light(
        name: &'static str,
        lanes: Vec<(usize, usize)>,
        args: &Args,
        wait_seen: bool,
    ) -> Phase {
        Phase {
            name,
            lanes,
            batch: args.light_batch,
            senders: 40,
            txs: 20_000,
            seconds: args.light_seconds,
            warmup: 2,
            wait_seen,
            kill: None,
            pace: Duration::from_millis(args.light_pace_ms),
        }
    }

    /// A saturating phase: `--senders`, `txs` pre-signed, back-to-back
    /// batches for `seconds`.
    fn saturating(
        name: &'static str,
        lanes: Vec<(usize, usize)>,
        batch: usize,
        txs: usize,
        seconds: u64,
        args: &Args,
    ) -> Phase {
        Phase {
            name,
            lanes,
            batch,
            senders: args.senders,
            txs,
            seconds,
            warmup: args.warmup,
            wait_seen: true,
            kill: None,
            pace: Duration::ZERO,
        }
    }
}

/// One lane's pre-serialised batches: (hashes, batch body).
type LaneBatches = Vec<(Vec<String>, Batch)>;

/// Per-transaction latency samples and tallies of one lane.
#[derive(Default)]
struct LaneResult {
    /// (batch sent, hashes, reply time).
    sent: Vec<(Instant, Vec<String>, Instant)>,
    errors: usize,
    first_error: Option<String>,
    ran_out: Option<Instant>,
    unseen: usize,
}

struct PhaseResult {
    name: &'static str,
    /// txpool_status (pending/queued) of each running node after the phase.
    pools: Vec<String>,
    lanes: usize,
    batch: usize,
    accepted: usize,
    errors: usize,
    first_error: Option<String>,
    unseen: usize,
    tps: f64,
    window_s: f64,
    window_blocks: usize,
    window_txs: usize,
    lat_p50: f64,
    lat_p99: f64,
    lat_max: f64,
    lat_n: usize,
    ran_out: bool,
    /// Longest interval between consecutive blocks on node 0 (s), with the
    /// block that ended it, before and after the kill.
    gap_before: Option<(f64, u64)>,
    gap_after: Option<(f64, u64)>,
    /// Intervals > 1.5 s after the kill.
    long_gaps: Vec<(u64, f64)>,
    tps_after_kill: Option<f64>,
    cpu: Vec<(String, f64)>,
    threads: Vec<(String, f64)>,
    blocks_per_s: f64,
    max_block_txs: usize,
}

/// Funds `n` fresh senders (seed `seed`) with transfers from the ten dev
/// accounts sent to `rpc`, waits until `check` shows every balance, and
/// returns the keys and nonces.
async fn fund(
    rpc: &Rpc,
    check: &[Rpc],
    chain_id: u64,
    seed: &str,
    n: usize,
    per_sender: usize,
) -> Result<(Vec<PrivateKey>, Vec<u64>)> {
    let keys: Vec<PrivateKey> = (0..n).map(|i| sender_key(seed, i)).collect::<Result<_>>()?;
    let addrs: Vec<Address> = keys.iter().map(PrivateKey::address).collect();
    let dev = orac_tests::dev_keys();
    let dev_addrs: Vec<Address> = dev.iter().map(PrivateKey::address).collect();
    let mut dev_nonces = Vec::new();
    for r in rpc
        .batch(&per_address_pending(&dev_addrs))
        .await
        .context("dev nonces")?
    {
        dev_nonces.push(parse_u64(&r.map_err(|e| anyhow!("nonce: {}", e.message))?)?);
    }
    let mut order = Vec::new();
    for (i, to) in addrs.iter().enumerate() {
        let d = i % dev.len();
        order.push((d, dev_nonces[d], *to));
        dev_nonces[d] += 1;
    }
    // Twice what `per_sender` transfers can cost at the fee cap, plus 1 ETH:
    // the ten dev accounts fund every phase of the run.
    let fund = U256::from(2 * per_sender as u64 * 21_000 * MAX_FEE_GWEI) * U256::from(GWEI)
        + U256::from(10u64).pow(U256::from(18u64));
    let terms = TransferTerms {
        chain_id,
        value: fund,
        tip: U256::from(GWEI),
        max_fee: U256::from(MAX_FEE_GWEI * GWEI),
    };
    let signed = sign_transfers(&dev, terms, &order);
    for chunk in signed.chunks(500) {
        let batch = Batch::new(
            chunk
                .iter()
                .map(|s| ("eth_sendRawTransaction", json!([s.raw_hex]))),
        );
        for a in rpc.client.send_batch(&batch).await? {
            a.map_err(|e| anyhow!("funding transfer rejected: {}", e.message))?;
        }
    }
    for c in check {
        wait_balances(c, &addrs, fund, 4, Duration::from_secs(60)).await?;
    }
    let start = nonces(rpc, &addrs, 4).await?;
    Ok((keys, start))
}

fn per_address_pending(addrs: &[Address]) -> Vec<(&'static str, Value)> {
    addrs
        .iter()
        .map(|a| ("eth_getTransactionCount", json!([hex_addr(a), "pending"])))
        .collect()
}

/// Pre-signs the phase's transactions: lane l owns the senders s with
/// s % lanes == l, nonce-major, cut into batches.
fn plan(
    phase: &Phase,
    keys: &[PrivateKey],
    start: &[u64],
    chain_id: u64,
    seed: &str,
) -> Vec<LaneBatches> {
    let lanes = phase.lanes.len();
    let per_sender = phase.txs.div_ceil(phase.senders);
    let mut order = Vec::new();
    let mut lane_len = vec![0usize; lanes];
    for (l, len) in lane_len.iter_mut().enumerate() {
        for k in 0..per_sender {
            for s in (l..phase.senders).step_by(lanes) {
                order.push((s, start[s] + k as u64, recipient(seed, order.len(), 100)));
                *len += 1;
            }
        }
    }
    let terms = TransferTerms {
        chain_id,
        value: U256::one(),
        tip: U256::from(GWEI),
        max_fee: U256::from(MAX_FEE_GWEI * GWEI),
    };
    let t = Instant::now();
    let signed: Vec<SignedTransfer> = sign_transfers(keys, terms, &order);
    let mut out = Vec::new();
    let mut at = 0;
    for len in lane_len {
        let lane = &signed[at..at + len];
        at += len;
        out.push(
            lane.chunks(phase.batch)
                .map(|c| {
                    let hashes = c
                        .iter()
                        .map(|s| orac_bench::load::hex_hash(&s.hash))
                        .collect();
                    let body = Batch::new(
                        c.iter()
                            .map(|s| ("eth_sendRawTransaction", json!([s.raw_hex]))),
                    );
                    (hashes, body)
                })
                .collect(),
        );
    }
    eprintln!(
        "network-bench: {}: pre-signed {} txs for {lanes} lanes in {:.1} s",
        phase.name,
        signed.len(),
        t.elapsed().as_secs_f64()
    );
    out
}

/// Runs one phase against `nodes` (URLs by node index) and measures it.
async fn run_phase(
    phase: Phase,
    nodes: &mut [NodeProc],
    chain_id: u64,
    poll: Duration,
) -> Result<PhaseResult> {
    let urls: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();
    let submit_nodes: Vec<usize> = {
        let mut v: Vec<usize> = phase.lanes.iter().map(|l| l.0).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let rpcs: Vec<Rpc> = urls
        .iter()
        .map(|u| Rpc::new(u, Duration::from_secs(120)))
        .collect::<Result<_>>()?;
    let seed = format!("network-bench/{}", phase.name);
    let check: Vec<Rpc> = submit_nodes.iter().map(|&i| rpcs[i].clone()).collect();
    let (keys, start) = fund(
        &rpcs[submit_nodes[0]],
        &check,
        chain_id,
        &seed,
        phase.senders,
        phase.txs.div_ceil(phase.senders),
    )
    .await
    .with_context(|| format!("{}: funding", phase.name))?;
    let batches = plan(&phase, &keys, &start, chain_id, &seed);

    let watchers = Arc::new(Watchers::start(&urls, poll).await?);
    let clock = Instant::now();
    let stop_at = clock + Duration::from_secs(phase.seconds);
    let warm_at = clock + Duration::from_secs(phase.warmup);
    eprintln!(
        "network-bench: {}: {} lanes x batches of {}, {} s (load average {})",
        phase.name,
        phase.lanes.len(),
        phase.batch,
        phase.seconds,
        load_average()
    );
    let mut tasks = Vec::new();
    for (lane, ((submit, observe), bodies)) in phase.lanes.iter().zip(batches).enumerate() {
        let rpc = rpcs[*submit].clone();
        let observe = *observe;
        let watchers = watchers.clone();
        let wait_seen = phase.wait_seen;
        let pace = phase.pace;
        tasks.push(tokio::spawn(async move {
            let mut r = LaneResult::default();
            let mut left = bodies.len();
            for (hashes, body) in bodies {
                left -= 1;
                if Instant::now() >= stop_at {
                    break;
                }
                let t0 = Instant::now();
                let reply = rpc.client.send_batch(&body).await;
                let t1 = Instant::now();
                let mut accepted = Vec::new();
                match reply {
                    Err(e) => {
                        r.errors += hashes.len();
                        r.first_error.get_or_insert(format!("lane {lane}: {e}"));
                    }
                    Ok(answers) => {
                        for (h, a) in hashes.into_iter().zip(answers) {
                            match a {
                                Ok(_) => accepted.push(h),
                                Err(e) => {
                                    r.errors += 1;
                                    r.first_error.get_or_insert(e.message);
                                }
                            }
                        }
                    }
                }
                if wait_seen {
                    let by = Instant::now() + SEEN_TIMEOUT;
                    let mut i = 0;
                    while i < accepted.len() && Instant::now() < by {
                        if watchers.seen(observe, &accepted[i]).is_some() {
                            i += 1;
                        } else {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                    }
                    r.unseen += accepted.len() - i;
                }
                if r.errors > 0 && accepted.is_empty() {
                    // Nonces after a rejected batch cannot be mined.
                    r.sent.push((t0, accepted, t1));
                    break;
                }
                r.sent.push((t0, accepted, t1));
                if left == 0 {
                    r.ran_out = Some(Instant::now());
                }
                tokio::time::sleep_until((t0 + pace).into()).await;
                if !pace.is_zero() {
                    // A closed-loop lane sends as soon as it sees its
                    // block, so every batch would wait a whole interval for
                    // the next proposal. A spread of 0-1 s (a block
                    // interval) puts light-load batches at every phase of
                    // the interval, as independent users would; the spread
                    // is a fixed sequence, so runs compare.
                    let spread = (lane as u64 * 7_919 + r.sent.len() as u64 * 104_729) % 1_000;
                    tokio::time::sleep(Duration::from_millis(spread)).await;
                }
            }
            r
        }));
    }
    // The crash: SIGKILL a node mid-phase.
    let mut killed_at = None;
    if let Some((victim, after)) = phase.kill {
        tokio::time::sleep_until((clock + Duration::from_secs(after)).into()).await;
        nodes[victim].kill9();
        killed_at = Some(Instant::now());
        eprintln!(
            "network-bench: {}: SIGKILLed node{victim} at {after} s",
            phase.name
        );
    }
    // CPU over the steady window.
    tokio::time::sleep_until(warm_at.into()).await;
    let pids: Vec<Option<u32>> = nodes.iter().map(NodeProc::pid).collect();
    let cpu0: Vec<Option<u64>> = pids.iter().map(|p| p.and_then(process_ticks)).collect();
    let me = std::process::id();
    let me0 = process_ticks(me);
    let thr0 = pids[0].map(thread_ticks).unwrap_or_default();
    let cpu_t0 = Instant::now();
    // Until the end of the phase, or until every lane has stopped.
    while Instant::now() < stop_at && !tasks.iter().all(|t| t.is_finished()) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cpu_s = cpu_t0.elapsed().as_secs_f64();
    let pids: Vec<Option<u32>> = nodes.iter().map(NodeProc::pid).collect();
    let mut cpu = Vec::new();
    for (i, (p, c0)) in pids.iter().zip(&cpu0).enumerate() {
        if let (Some(p), Some(c0)) = (p, c0)
            && let Some(c1) = process_ticks(*p)
        {
            cpu.push((format!("node{i}"), (c1 - c0) as f64 / ticks_per_s() / cpu_s));
        }
    }
    if let (Some(a), Some(b)) = (me0, process_ticks(me)) {
        cpu.push((
            "load generator".into(),
            (b - a) as f64 / ticks_per_s() / cpu_s,
        ));
    }
    let thr1 = pids[0].map(thread_ticks).unwrap_or_default();
    let mut threads: Vec<(String, f64)> = thr1
        .iter()
        .map(|(k, v)| {
            let d = v.saturating_sub(thr0.get(k).copied().unwrap_or(0));
            (k.clone(), d as f64 / ticks_per_s() / cpu_s)
        })
        .filter(|(_, c)| *c >= 0.01)
        .collect();
    threads.sort_by(|a, b| b.1.total_cmp(&a.1));

    let mut lanes = Vec::new();
    for t in tasks {
        lanes.push(t.await?);
    }
    // Let the last batches land before reading the views.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let watchers = Arc::try_unwrap(watchers).map_err(|_| anyhow!("watchers still shared"))?;

    // Latency per transaction.
    let mut lat = Vec::new();
    let mut accepted = 0;
    let mut unseen = 0;
    for (l, r) in lanes.iter().enumerate() {
        let observe = phase.lanes[l].1;
        for (t0, hashes, t1) in &r.sent {
            accepted += hashes.len();
            for h in hashes {
                if !phase.wait_seen {
                    lat.push(t1.duration_since(*t0).as_secs_f64());
                } else if let Some(at) = watchers.seen(observe, h) {
                    lat.push(at.saturating_duration_since(*t0).as_secs_f64());
                } else if phase.wait_seen {
                    unseen += 1;
                }
            }
        }
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return f64::NAN;
        }
        lat[((lat.len() - 1) as f64 * p).round() as usize]
    };
    // Throughput over the steady window, on node 0's blocks.
    let ran_out = lanes.iter().filter_map(|r| r.ran_out).min();
    let window_end = ran_out.map_or(stop_at, |r| r.min(stop_at));
    let window_start = killed_at.unwrap_or(warm_at).max(warm_at);
    let blocks = watchers.blocks(0);
    let in_window: Vec<&SeenBlock> = blocks
        .iter()
        .filter(|b| b.at >= warm_at && b.at <= window_end)
        .collect();
    let (tps, window_s, window_blocks, window_txs) = rate(&in_window);
    let after_kill: Vec<&SeenBlock> = blocks
        .iter()
        .filter(|b| b.at >= window_start && b.at <= window_end)
        .collect();
    let tps_after_kill = killed_at.map(|_| rate(&after_kill).0);
    let gaps = |from: Instant, to: Instant| -> Vec<(u64, f64)> {
        blocks
            .windows(2)
            .filter(|w| w[1].at >= from && w[1].at <= to)
            .map(|w| (w[1].number, w[1].at.duration_since(w[0].at).as_secs_f64()))
            .collect()
    };
    let longest = |g: &[(u64, f64)]| {
        g.iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|&(n, s)| (s, n))
    };
    let before = gaps(warm_at, killed_at.unwrap_or(window_end));
    let after = killed_at.map(|k| gaps(k, window_end)).unwrap_or_default();
    let phase_blocks: Vec<&SeenBlock> = blocks.iter().filter(|b| b.at >= clock).collect();
    let blocks_per_s = if window_s > 0.0 {
        window_blocks as f64 / window_s
    } else {
        0.0
    };
    let max_block_txs = phase_blocks.iter().map(|b| b.txs).max().unwrap_or(0);
    watchers.stop().await;
    let mut pools = Vec::new();
    for (i, rpc) in rpcs.iter().enumerate() {
        if nodes[i].pid().is_some()
            && let Ok(v) = rpc.call("txpool_status", json!([])).await
        {
            let n = |k: &str| parse_u64(&v[k]).unwrap_or(0);
            pools.push(format!("node{i} {}/{}", n("pending"), n("queued")));
        }
    }
    Ok(PhaseResult {
        pools,
        name: phase.name,
        lanes: phase.lanes.len(),
        batch: phase.batch,
        accepted,
        errors: lanes.iter().map(|r| r.errors).sum(),
        first_error: lanes.iter().find_map(|r| r.first_error.clone()),
        unseen: unseen.max(lanes.iter().map(|r| r.unseen).sum()),
        tps,
        window_s,
        window_blocks,
        window_txs,
        lat_p50: pct(0.5),
        lat_p99: pct(0.99),
        lat_max: lat.last().copied().unwrap_or(f64::NAN),
        lat_n: lat.len(),
        ran_out: ran_out.is_some_and(|r| r < stop_at),
        gap_before: longest(&before),
        gap_after: longest(&after),
        long_gaps: after.into_iter().filter(|g| g.1 > 1.5).collect(),
        tps_after_kill,
        cpu,
        threads,
        blocks_per_s,
        max_block_txs,
    })
}

/// Transactions per second between the first and last of `blocks` (the
/// first block's transactions excluded: they landed before the interval),
/// the interval, the blocks and the transactions counted.
fn rate(blocks: &[&SeenBlock]) -> (f64, f64, usize, usize) {
    if blocks.len() < 2 {
        return (0.0, 0.0, blocks.len(), 0);
    }
    let s = blocks[blocks.len() - 1]
        .at
        .duration_since(blocks[0].at)
        .as_secs_f64();
    let txs: usize = blocks[1..].iter().map(|b| b.txs).sum();
    (txs as f64 / s, s, blocks.len() - 1, txs)
}

// ---------------------------------------------------------------- logs

/// Seconds since midnight of a log line's leading RFC 3339 timestamp.
fn log_time(line: &str) -> Option<f64> {
    let t = line.split_whitespace().next()?;
    let time = t.split('T').nth(1)?.trim_end_matches('Z');
    let mut p = time.split(':');
    let h: f64 = p.next()?.parse().ok()?;
    let m: f64 = p.next()?.parse().ok()?;
    let s: f64 = p.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let i = line.find(&format!(" {name}="))? + name.len() + 2;
    line[i..].split_whitespace().next()
}

/// Per-height timings from the validators' logs: round start → proposal
/// built on the proposer, proposal built → committed on the proposer, and
/// the spread of the commits across nodes.
fn log_breakdown(logs: &[PathBuf]) -> String {
    // height → (round start on the proposer, proposing, txs, commits)
    #[derive(Default)]
    struct H {
        started: HashMap<usize, f64>,
        proposing: Option<(usize, f64, usize)>,
        committed: Vec<f64>,
        round: u64,
        builds: Vec<f64>,
    }
    let mut heights: HashMap<u64, H> = HashMap::new();
    for (i, path) in logs.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for line in text.lines() {
            let Some(t) = log_time(line) else { continue };
            let Some(height) = field(line, "height").and_then(|h| h.parse::<u64>().ok()) else {
                continue;
            };
            let h = heights.entry(height).or_default();
            if line.contains("round started") {
                h.started.insert(i, t);
            } else if line.contains(" proposing ") {
                let txs = field(line, "txs").and_then(|x| x.parse().ok()).unwrap_or(0);
                if txs >= 100
                    && let Some(ts) = h.started.get(&i)
                {
                    h.builds.push(t - ts);
                }
                h.proposing = Some((i, t, txs));
            } else if line.contains(" committed ") {
                h.committed.push(t);
                if let Some(r) = field(line, "round").and_then(|r| r.parse().ok()) {
                    h.round = h.round.max(r);
                }
            }
        }
    }
    let mut build = Vec::new();
    let mut to_commit = Vec::new();
    let mut spread = Vec::new();
    let mut interval = Vec::new();
    let mut rounds = 0;
    let mut busy = 0;
    let mut nums: Vec<u64> = heights.keys().copied().collect();
    nums.sort_unstable();
    let mut prev_commit: Option<f64> = None;
    for n in nums {
        let h = &heights[&n];
        if h.committed.is_empty() {
            prev_commit = None;
            continue;
        }
        let first = h.committed.iter().copied().fold(f64::INFINITY, f64::min);
        let last = h
            .committed
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if let Some(p) = prev_commit {
            interval.push(first - p);
        }
        prev_commit = Some(first);
        if h.round > 0 {
            rounds += 1;
        }
        build.extend(&h.builds);
        let Some((_, tp, txs)) = h.proposing else {
            continue;
        };
        if txs < 100 {
            continue;
        }
        busy += 1;
        spread.push(last - first);
        // Only one proposal at a height decided in round 0.
        if h.round == 0 {
            to_commit.push(first - tp);
        }
    }
    let med = |v: &mut Vec<f64>| -> String {
        if v.is_empty() {
            return "-".into();
        }
        v.sort_by(f64::total_cmp);
        format!(
            "p50 {:.0} ms, p90 {:.0} ms",
            v[v.len() / 2] * 1e3,
            v[(v.len() - 1) * 9 / 10] * 1e3
        )
    };
    format!(
        "   blocks with >= 100 txs: {busy}; heights decided in a later round: {rounds}\n   \
         round start -> block built, proposals of >= 100 txs (select, execute, state root): {}\n   \
         block built -> first commit, heights decided in round 0 (stream, re-execute, votes, commit): {}\n   \
         first -> last node committed: {}\n   \
         commit -> next commit (block interval): {}",
        med(&mut build),
        med(&mut to_commit),
        med(&mut spread),
        med(&mut interval)
    )
}

// ---------------------------------------------------------------- report

fn print_phase(r: &PhaseResult) {
    println!("== {}: {} lanes x batches of {}", r.name, r.lanes, r.batch);
    println!(
        "   accepted {} (errors {}{}), not seen on the observer {}",
        r.accepted,
        r.errors,
        r.first_error
            .as_ref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default(),
        r.unseen
    );
    println!(
        "   throughput {:.0} tx/s over {:.1} s ({} blocks, {} txs, {:.2} blocks/s, largest block {} txs){}",
        r.tps,
        r.window_s,
        r.window_blocks,
        r.window_txs,
        r.blocks_per_s,
        r.max_block_txs,
        if r.ran_out {
            " [ran out of pre-signed txs before the end]"
        } else {
            ""
        }
    );
    println!(
        "   latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} txs)",
        r.lat_p50 * 1e3,
        r.lat_p99 * 1e3,
        r.lat_max * 1e3,
        r.lat_n
    );
    if let Some((g, n)) = r.gap_before {
        println!("   longest block interval on node0 (steady): {g:.2} s (before #{n})");
    }
    if let Some(t) = r.tps_after_kill {
        if let Some((g, n)) = r.gap_after {
            println!("   LIVENESS GAP after the kill: {g:.2} s (before #{n}) on node0");
        }
        let gaps: Vec<String> = r
            .long_gaps
            .iter()
            .map(|(n, s)| format!("#{n}: {s:.2} s"))
            .collect();
        println!("   intervals > 1.5 s after the kill: {}", gaps.join(", "));
        println!("   throughput after the kill: {t:.0} tx/s");
    }
    let percents = |v: &[(String, f64)]| -> String {
        v.iter()
            .map(|(n, c)| format!("{n} {:.0}%", c * 100.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("   CPU (of one core, steady window): {}", percents(&r.cpu));
    println!("   node0 threads: {}", percents(&r.threads));
    println!(
        "   pools after the phase (pending/queued): {}",
        r.pools.join(", ")
    );
}

// ---------------------------------------------------------------- main

/// "LxB" → (L, B).
fn lanes_x_batch(s: &str) -> Result<(usize, usize)> {
    let (l, b) = s
        .split_once('x')
        .ok_or_else(|| anyhow!("a load is LANESxBATCH, not {s}"))?;
    let (l, b): (usize, usize) = (l.parse()?, b.parse()?);
    if l == 0 || b == 0 || b > 1000 {
        bail!("bad load {s}: lanes >= 1, 1 <= batch <= 1000");
    }
    Ok((l, b))
}

/// A phase name made at run time (phases live for the whole run).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let orac = match &args.orac {
        Some(p) => p.clone(),
        None => {
            eprintln!("network-bench: cargo build --release -p orac-node --bin orac");
            orac_tests::build_orac(true)
        }
    };
    let tmp = tempfile::tempdir()?;
    let dir = args
        .keep_dir
        .clone()
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let poll = Duration::from_millis(args.poll_ms);
    let date = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)?
        .as_secs();
    println!(
        "network-bench: unix time {date}, {} cores, load average {}, orac {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average(),
        orac.display()
    );
    let mut results = Vec::new();

    // ---- the single dev node
    if !args.no_dev {
        let mut dev = vec![NodeProc::start(
            &orac,
            &["node", "--dev", "--rpc-addr", "127.0.0.1:0", "--datadir"],
            &[&dir.join("dev-data")],
            &dir.join("dev.log"),
        )?];
        let chain_id = parse_u64(
            &Rpc::new(&dev[0].url, Duration::from_secs(10))?
                .call("eth_chainId", json!([]))
                .await?,
        )?;
        let light = Phase::light("dev-light", vec![(0, 0); 4], &args, false);
        results.push(run_phase(light, &mut dev, chain_id, poll).await?);
        print_phase(results.last().expect("result"));
        let full = Phase {
            wait_seen: false,
            ..Phase::saturating(
                "dev",
                vec![(0, 0); args.dev_lanes],
                args.dev_batch,
                args.dev_txs,
                args.seconds,
                &args,
            )
        };
        results.push(run_phase(full, &mut dev, chain_id, poll).await?);
        print_phase(results.last().expect("result"));
    }

    // ---- four validators
    let base = free_base_port(4)?;
    let net = dir.join("testnet");
    let status = Command::new(&orac)
        .args(["testnet", "init", "--validators", "4", "--dir"])
        .arg(&net)
        .args(["--base-port", &base.to_string()])
        .args(["--gas-limit", &args.gas_limit.to_string()])
        .args(
            args.block_time_ms
                .map(|ms| ["--block-time-ms".to_string(), ms.to_string()])
                .into_iter()
                .flatten(),
        )
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("orac testnet init failed");
    }
    let mut nodes = Vec::new();
    for i in 0..4 {
        nodes.push(NodeProc::start(
            &orac,
            &["node", "--config"],
            &[&net.join(format!("node{i}/config.toml"))],
            &net.join(format!("node{i}.log")),
        )?);
    }
    let rpc0 = Rpc::new(&nodes[0].url, Duration::from_secs(10))?;
    let chain_id = parse_u64(&rpc0.call("eth_chainId", json!([])).await?)?;
    // Let the network settle: eight decided blocks on every node.
    let up_by = Instant::now() + Duration::from_secs(60);
    for n in &nodes {
        let rpc = Rpc::new(&n.url, Duration::from_secs(10))?;
        while parse_u64(&rpc.call("eth_blockNumber", json!([])).await?)? < 8 {
            if Instant::now() > up_by {
                bail!("the testnet decided no block in 60 s");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let ring = |n: usize, per: usize| -> Vec<(usize, usize)> {
        (0..n * per).map(|l| (l % n, (l % n + 1) % n)).collect()
    };
    let light = Phase::light("net-light", ring(4, 1), &args, true);
    results.push(run_phase(light, &mut nodes, chain_id, poll).await?);
    print_phase(results.last().expect("result"));
    let net_phase = |name, lanes, batch, seconds| {
        Phase::saturating(name, lanes, batch, args.net_txs, seconds, &args)
    };
    for load in &args.net_loads {
        let (per, batch) = lanes_x_batch(load)?;
        let full = net_phase(
            leak(format!("net-{load}")),
            ring(4, per),
            batch,
            args.seconds,
        );
        match run_phase(full, &mut nodes, chain_id, poll).await {
            Ok(r) => {
                print_phase(&r);
                results.push(r);
            }
            Err(e) => println!("== {load}: FAILED: {e:#}"),
        }
    }
    let logs: Vec<PathBuf> = nodes.iter().map(|n| n.log.clone()).collect();
    println!("== validators' logs (all heights so far)");
    println!("{}", log_breakdown(&logs));
    let (per, batch) = lanes_x_batch(&args.crash_load)?;
    let crash = Phase {
        kill: Some((3, args.kill_after)),
        ..net_phase("net-crash", ring(3, per), batch, args.crash_seconds)
    };
    match run_phase(crash, &mut nodes, chain_id, poll).await {
        Ok(r) => {
            print_phase(&r);
            results.push(r);
        }
        Err(e) => println!("== net-crash: FAILED: {e:#}"),
    }
    drop(nodes);

    // ---- summary
    println!("== summary");
    println!(
        "{:<14} {:>10} {:>12} {:>12} {:>12}",
        "phase", "tx/s", "latency p50", "latency p99", "crash gap"
    );
    for r in &results {
        println!(
            "{:<14} {:>10.0} {:>9.0} ms {:>9.0} ms {:>12}",
            r.name,
            r.tps,
            r.lat_p50 * 1e3,
            r.lat_p99 * 1e3,
            r.gap_after
                .map(|(g, _)| format!("{g:.2} s"))
                .unwrap_or_else(|| "-".into())
        );
    }
    let find = |n: &str| results.iter().find(|r| r.name == n);
    if let Some(d) = find("dev") {
        for n in results.iter().filter(|r| r.name.starts_with("net")) {
            println!(
                "ratio {} / dev: throughput {:.3}, latency p50 {:.1}x",
                n.name,
                n.tps / d.tps,
                n.lat_p50 / d.lat_p50
            );
        }
    }
    if let (Some(d), Some(n)) = (find("dev-light"), find("net-light")) {
        println!(
            "light load: latency p50 dev {:.0} ms vs network {:.0} ms",
            d.lat_p50 * 1e3,
            n.lat_p50 * 1e3
        );
    }
    for r in &results {
        println!(
            "{}",
            json!({
                "bench": "network-bench", "phase": r.name, "tps": (r.tps * 10.0).round() / 10.0,
                "lat_p50_ms": (r.lat_p50 * 1e3).round(), "lat_p99_ms": (r.lat_p99 * 1e3).round(),
                "accepted": r.accepted, "errors": r.errors, "unseen": r.unseen,
                "gap_after_kill_s": r.gap_after.map(|g| g.0), "gas_limit": args.gas_limit,
            })
        );
    }
    Ok(())
}
