//! `state-bench`: what one plain transfer costs as the state grows, on one
//! `orac node --dev` (and anvil beside it, as far as anvil gets).
//!
//! 1. Starts the node on a fresh data directory, derives `--senders` keys
//!    and funds them with `anvil_setBalance` (not timed).
//! 2. Grows the state with fresh-recipient transfers (each creates an
//!    account) up to every `--checkpoints` value in turn, signing at most
//!    `--sign-chunk` transactions at a time so the bench's own memory stays
//!    bounded; the clock runs only while a chunk is sent and mined, so the
//!    fill throughput of each segment excludes signing.
//! 3. At every checkpoint, a measured window of `--window` more
//!    fresh-recipient transfers: tx/s, wall µs per tx, node CPU and
//!    producer-thread CPU per tx (`/proc/PID/stat`,
//!    `/proc/PID/task/*/stat`), bytes written per tx (`/proc/PID/io`
//!    `write_bytes`), the largest VmRSS and VmHWM seen (sampled every
//!    second) and the data directory's allocated size.
//! 4. Ratio lines: each checkpoint's per-tx cost over the first one's.
//!
//! Sending: `--lanes` HTTP connections, each owning a disjoint set of
//! senders and posting JSON-RPC batches of `--batch`
//! `eth_sendRawTransaction` one after another (orac answers once the block
//! holding the batch is committed, anvil at once); a chunk is done when every
//! sender's `latest` nonce has reached its last transaction.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use orac_bench::load::{
    GWEI, Rpc, TransferTerms, hex_addr, hex_u256, nonces, parse_quantity, parse_u64, recipient,
    sender_key, sign_transfers, wait_balances,
};
use orac_bench::procfs::{load_average, process_ticks, thread_ticks};
use orac_primitives::{Address, PrivateKey, U256};
use orac_rpc_client::Batch;
use serde_json::{Value, json};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "state-bench",
    about = "Per-transaction cost (time, CPU, bytes written, RSS, disk) of orac's dev node as the state grows to 1k / 100k / 1M accounts, with anvil beside it where it gets"
)]
struct Args {
    /// The orac binary.
    #[arg(long, default_value = "target/release/orac")]
    orac: PathBuf,
    /// Fresh accounts the bench has created before each measured window.
    #[arg(long, value_delimiter = ',', default_value = "1000,100000,1000000")]
    checkpoints: Vec<usize>,
    /// Fresh-recipient transfers of each measured window (signed in one
    /// go, before the window's clock starts).
    #[arg(long, default_value_t = 20_000)]
    window: usize,
    /// Extra arguments for `orac node`, split on whitespace (e.g.
    /// `--node-args=--archive`), so runs with different node settings
    /// compare.
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    node_args: String,
    /// After the orac run, run the same checkpoints against anvil (its
    /// binary from `--anvil-bin`, PATH or bench/.peers; skipped with a note
    /// when there is none).
    #[arg(long)]
    anvil: bool,
    /// anvil binary (default: `anvil` on PATH, else the one run.sh installs
    /// under bench/.peers).
    #[arg(long)]
    anvil_bin: Option<PathBuf>,
    /// anvil's checkpoints stop here (it falls to ~136 tx/s with 20,000
    /// fresh accounts, so 1M would take days); the cap itself becomes its
    /// last checkpoint.
    #[arg(long, default_value_t = 20_000)]
    anvil_max_accounts: usize,
    /// Concurrent HTTP connections, each with its own senders.
    #[arg(long, default_value_t = 8)]
    lanes: usize,
    /// eth_sendRawTransaction calls per JSON-RPC batch (at most 1000).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Sender accounts (funded with anvil_setBalance).
    #[arg(long, default_value_t = 128)]
    senders: usize,
    /// Most transactions signed (and held) at a time while filling.
    #[arg(long, default_value_t = 100_000)]
    sign_chunk: usize,
    /// Seconds allowed for one chunk to be sent and mined (and for any one
    /// HTTP request).
    #[arg(long, default_value_t = 900)]
    timeout: u64,
    /// Put the data directories (and node logs) here and keep them
    /// (default: a temporary directory, removed at the end).
    #[arg(long)]
    keep_dir: Option<PathBuf>,
}

/// Fee cap of every transfer, in gwei.
const MAX_FEE_GWEI: u64 = 100;
/// Seed of the sender keys and recipients (every run starts a fresh node, so
/// one seed serves all).
const SEED: &str = "state-bench";
/// Linux USER_HZ: the unit of the tick counts in /proc/PID/stat.
const TICKS_PER_S: f64 = 100.0;
/// The orac thread that builds, executes and commits blocks.
const PRODUCER_THREAD: &str = "orac-producer";

// ---------------------------------------------------------------- processes

/// A node under test, SIGKILLed when dropped (the measurements are taken
/// by then; nothing of its data is needed afterwards).
struct NodeProc {
    child: Child,
    url: String,
    /// The directory whose allocated size is the node's disk usage.
    data: PathBuf,
}

impl NodeProc {
    /// `orac node --dev` on `data`, on a free loopback port read from its
    /// banner.
    fn orac(orac: &Path, extra: &[String], data: &Path, log: &Path) -> Result<NodeProc> {
        let mut child = Command::new(orac)
            .args(["node", "--dev", "--rpc-addr", "127.0.0.1:0", "--datadir"])
            .arg(data)
            .args(extra)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .with_context(|| format!("start {}", orac.display()))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            bail!("no stdout pipe from orac");
        };
        let Some(addr) = orac_tests::listening_addr(stdout, Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("orac node did not start: see {}", log.display());
        };
        Ok(NodeProc {
            child,
            url: format!("http://{addr}"),
            data: data.to_path_buf(),
        })
    }

    /// anvil with default settings (automine) on a free port, with `home`
    /// as its HOME: it spills per-block state snapshots under
    /// `$HOME/.foundry/anvil/tmp`, which is its disk usage.
    fn anvil(anvil: &Path, home: &Path, log: &Path) -> Result<NodeProc> {
        std::fs::create_dir_all(home)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(anvil)
            .args(["--port", &port.to_string(), "--silent"])
            .env("HOME", home)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .with_context(|| format!("start {}", anvil.display()))?;
        Ok(NodeProc {
            child,
            url: format!("http://127.0.0.1:{port}"),
            data: home.to_path_buf(),
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The anvil to run: `--anvil-bin`, else `anvil` on PATH, else the one
/// run.sh installs from npm.
fn find_anvil(args: &Args) -> Option<PathBuf> {
    if let Some(p) = &args.anvil_bin {
        return p.is_file().then(|| p.clone());
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("anvil"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let dir = orac_tests::workspace().join("bench/.peers/node_modules/@foundry-rs");
        std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin/anvil"))
            .find(|p| p.is_file())
    })
}

// ---------------------------------------------------------------- /proc

/// CPU ticks of the threads of `pid` named `name` (summed); `None` when
/// there is no such thread (anvil has no producer thread).
fn named_thread_ticks(pid: u32, name: &str) -> Option<u64> {
    thread_ticks(pid).get(name).copied()
}

/// Bytes the process caused to be written to storage (`write_bytes` of
/// `/proc/PID/io`): what reaches the disk, not what sits in `write` calls.
fn write_bytes(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
}

/// (VmRSS, VmHWM) in bytes.
fn rss(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| -> Option<u64> {
        let line = status.lines().find_map(|l| l.strip_prefix(key))?;
        line.split_whitespace().next()?.parse::<u64>().ok()
    };
    Some((kb("VmRSS:")? * 1024, kb("VmHWM:")? * 1024))
}

/// Allocated bytes under `dir` (st_blocks × 512 of every entry, symlinks
/// not followed): what the data takes on disk, sparse or preallocated
/// files counted as the filesystem counts them. Entries that vanish while
/// the tree is walked (the node keeps writing) are skipped.
fn disk_usage(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&d) else {
            continue;
        };
        total += meta.blocks() * 512;
        if !meta.is_dir() {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        stack.extend(entries.flatten().map(|e| e.path()));
    }
    total
}

/// The largest VmRSS and VmHWM seen, sampled every second in the
/// background while a window runs.
struct RssSampler {
    max: Arc<Mutex<(u64, u64)>>,
    task: tokio::task::JoinHandle<()>,
    pid: u32,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let max = Arc::new(Mutex::new((0, 0)));
        let shared = max.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                record_rss(&shared, pid);
            }
        });
        RssSampler { max, task, pid }
    }

    /// Stops sampling (after one last sample) and returns the maxima.
    fn stop(self) -> (u64, u64) {
        self.task.abort();
        record_rss(&self.max, self.pid);
        *self.max.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn record_rss(max: &Mutex<(u64, u64)>, pid: u32) {
    if let Some((now, hwm)) = rss(pid) {
        let mut m = max.lock().unwrap_or_else(|e| e.into_inner());
        m.0 = m.0.max(now);
        m.1 = m.1.max(hwm);
    }
}

/// CPU and I/O counters at one instant.
struct Counters {
    node: Option<u64>,
    producer: Option<u64>,
    bench: Option<u64>,
    written: Option<u64>,
}

impl Counters {
    fn read(pid: u32) -> Counters {
        Counters {
            node: process_ticks(pid),
            producer: named_thread_ticks(pid, PRODUCER_THREAD),
            bench: process_ticks(std::process::id()),
            written: write_bytes(pid),
        }
    }
}

/// µs per transaction of a tick delta.
fn ticks_us_per_tx(before: Option<u64>, after: Option<u64>, txs: usize) -> Option<f64> {
    let d = after?.checked_sub(before?)?;
    Some(d as f64 / TICKS_PER_S * 1e6 / txs.max(1) as f64)
}

// ---------------------------------------------------------------- load

/// The accounts that send, and how far the bench has got.
struct Load {
    rpc: Rpc,
    chain_id: u64,
    keys: Vec<PrivateKey>,
    addrs: Vec<Address>,
    /// The nonce of each sender's next transaction.
    next_nonce: Vec<u64>,
    /// Fresh recipients created so far (the index of the next one).
    created: usize,
    /// The sender of the next transaction (round robin, so senders' nonces
    /// advance evenly).
    next_sender: usize,
}

/// One chunk, signed and cut into each lane's batches.
struct Signed {
    lanes: Vec<Vec<Batch>>,
}

impl Load {
    /// Reads the chain id, funds the senders and reads their nonces.
    async fn setup(url: &str, args: &Args) -> Result<Load> {
        let rpc = Rpc::new(url, Duration::from_secs(args.timeout))?;
        let up_by = Instant::now() + Duration::from_secs(30);
        let chain_id = loop {
            // anvil gives no banner to wait for: retry until it answers.
            match rpc.call("eth_chainId", json!([])).await {
                Ok(v) => break parse_u64(&v)?,
                Err(e) if Instant::now() >= up_by => return Err(e.context("eth_chainId")),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let keys: Vec<PrivateKey> = (0..args.senders)
            .map(|i| sender_key(SEED, i))
            .collect::<Result<_>>()?;
        let addrs: Vec<Address> = keys.iter().map(PrivateKey::address).collect();
        let fund = U256::from(10u64).pow(U256::from(24u64)); // 1,000,000 ETH each
        let calls: Vec<(&'static str, Value)> = addrs
            .iter()
            .map(|a| ("anvil_setBalance", json!([hex_addr(a), hex_u256(fund)])))
            .collect();
        for (i, r) in rpc.batches(calls, 4).await?.into_iter().enumerate() {
            r.map_err(|e| anyhow!("anvil_setBalance for sender {i}: {e}"))?;
        }
        wait_balances(&rpc, &addrs, fund, 4, Duration::from_secs(60)).await?;
        let next_nonce = nonces(&rpc, &addrs, 4).await?;
        Ok(Load {
            rpc,
            chain_id,
            keys,
            addrs,
            next_nonce,
            created: 0,
            next_sender: 0,
        })
    }

    /// Signs the next `n` fresh-recipient transfers: lane l gets the
    /// senders s with s % lanes == l, each sender's nonces in order.
    fn sign(&mut self, n: usize, lanes: usize, batch: usize) -> Signed {
        let senders = self.keys.len();
        let lanes = lanes.min(senders).max(1);
        let mut per_lane: Vec<Vec<(usize, u64, Address)>> = vec![Vec::new(); lanes];
        for _ in 0..n {
            let s = self.next_sender;
            self.next_sender = (s + 1) % senders;
            per_lane[s % lanes].push((s, self.next_nonce[s], recipient(SEED, self.created, 0)));
            self.next_nonce[s] += 1;
            self.created += 1;
        }
        let lens: Vec<usize> = per_lane.iter().map(Vec::len).collect();
        let order: Vec<(usize, u64, Address)> = per_lane.into_iter().flatten().collect();
        let terms = TransferTerms {
            chain_id: self.chain_id,
            value: U256::one(),
            tip: U256::from(GWEI),
            max_fee: U256::from(MAX_FEE_GWEI * GWEI),
        };
        let signed = sign_transfers(&self.keys, terms, &order);
        let mut out = Vec::with_capacity(lanes);
        let mut at = 0;
        for len in lens {
            let lane = &signed[at..at + len];
            at += len;
            out.push(
                lane.chunks(batch.max(1))
                    .map(|c| {
                        Batch::new(
                            c.iter()
                                .map(|s| ("eth_sendRawTransaction", json!([s.raw_hex]))),
                        )
                    })
                    .collect(),
            );
        }
        Signed { lanes: out }
    }

    /// Sends a signed chunk (every lane at once) and waits until every
    /// sender's nonce shows it mined; the seconds this took. Fails on any
    /// rejected transaction: a gap in a sender's nonces would leave the rest
    /// unmined, and the figures would not be per mined transaction.
    async fn deliver(&self, chunk: Signed, timeout: Duration) -> Result<f64> {
        let clock = Instant::now();
        let deadline = clock + timeout;
        let tasks: Vec<_> = chunk
            .lanes
            .into_iter()
            .map(|bodies| {
                let rpc = self.rpc.clone();
                tokio::spawn(async move {
                    let mut errors = 0usize;
                    let mut first = None;
                    for body in bodies {
                        match rpc.client.send_batch(&body).await {
                            Err(e) => {
                                errors += body.len();
                                first.get_or_insert(e.to_string());
                            }
                            Ok(answers) => {
                                for a in answers {
                                    if let Err(e) = a {
                                        errors += 1;
                                        first.get_or_insert(e.message);
                                    }
                                }
                            }
                        }
                        if errors > 0 {
                            break;
                        }
                    }
                    (errors, first)
                })
            })
            .collect();
        for t in tasks {
            let (errors, first) = t.await?;
            if errors > 0 {
                bail!(
                    "{errors} transactions rejected: {}",
                    first.unwrap_or_default()
                );
            }
        }
        // orac has mined everything by now (it answers once the block is
        // committed), anvil maybe not: poll, from often to every 100 ms.
        let mut pause = Duration::from_millis(2);
        loop {
            let got = nonces(&self.rpc, &self.addrs, 4).await?;
            let behind = got
                .iter()
                .zip(&self.next_nonce)
                .filter(|(g, want)| g < want)
                .count();
            if behind == 0 {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "{behind} senders' transactions not mined after {} s",
                    timeout.as_secs()
                );
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
        let secs = clock.elapsed().as_secs_f64();
        // A mined transfer to a fresh address created it: check the last
        // recipient holds its wei, so "accounts" means accounts.
        if let Some(last) = self.created.checked_sub(1) {
            let to = recipient(SEED, last, 0);
            let balance = self
                .rpc
                .call("eth_getBalance", json!([hex_addr(&to), "latest"]))
                .await?;
            if parse_quantity(&balance)? != U256::one() {
                bail!("recipient {last} holds {balance}, not 1 wei");
            }
        }
        Ok(secs)
    }

    /// Creates fresh accounts until `target` exist, signing at most
    /// `chunk` at a time; (transactions, seconds sent and mined).
    async fn fill(&mut self, target: usize, args: &Args) -> Result<(usize, f64)> {
        let timeout = Duration::from_secs(args.timeout);
        let mut txs = 0;
        let mut secs = 0.0;
        while self.created < target {
            let n = (target - self.created).min(args.sign_chunk.max(1));
            let signed = self.sign(n, args.lanes, args.batch);
            secs += self.deliver(signed, timeout).await?;
            txs += n;
            eprintln!(
                "state-bench:   {} accounts ({:.0} tx/s so far, load average {})",
                self.created,
                txs as f64 / secs.max(1e-9),
                load_average()
            );
        }
        Ok((txs, secs))
    }
}

// ---------------------------------------------------------------- runs

/// One checkpoint: the fill that reached it and the window measured there.
struct Point {
    checkpoint: usize,
    fill_txs: usize,
    fill_s: f64,
    before: usize,
    after: usize,
    txs: usize,
    secs: f64,
    node_us: Option<f64>,
    producer_us: Option<f64>,
    bench_us: Option<f64>,
    written_per_tx: Option<f64>,
    rss_max: u64,
    hwm: u64,
    disk_before: u64,
    disk_after: u64,
}

impl Point {
    fn tps(&self) -> f64 {
        self.txs as f64 / self.secs.max(1e-9)
    }

    fn wall_us(&self) -> f64 {
        self.secs * 1e6 / self.txs.max(1) as f64
    }
}

/// The checkpoints and windows against one node.
async fn run_node(
    name: &str,
    node: &NodeProc,
    checkpoints: &[usize],
    args: &Args,
) -> Result<Vec<Point>> {
    let pid = node.pid();
    let mut load = Load::setup(&node.url, args)
        .await
        .with_context(|| format!("{name}: setup"))?;
    let timeout = Duration::from_secs(args.timeout);
    let mut points = Vec::new();
    for &checkpoint in checkpoints {
        let start = load.created;
        eprintln!("state-bench: {name}: filling {start} -> {checkpoint} accounts");
        let (fill_txs, fill_s) = load.fill(checkpoint, args).await?;
        if fill_txs > 0 {
            println!(
                "{name}: fill {start} -> {} accounts: {fill_txs} txs in {fill_s:.2} s = {:.0} tx/s",
                load.created,
                fill_txs as f64 / fill_s.max(1e-9)
            );
        }

        let before = load.created;
        let signed = load.sign(args.window, args.lanes, args.batch);
        let disk_before = disk_usage(&node.data);
        let sampler = RssSampler::start(pid);
        let c0 = Counters::read(pid);
        let secs = load.deliver(signed, timeout).await?;
        let c1 = Counters::read(pid);
        let (rss_max, hwm) = sampler.stop();
        let disk_after = disk_usage(&node.data);
        let txs = args.window;
        let p = Point {
            checkpoint,
            fill_txs,
            fill_s,
            before,
            after: load.created,
            txs,
            secs,
            node_us: ticks_us_per_tx(c0.node, c1.node, txs),
            producer_us: ticks_us_per_tx(c0.producer, c1.producer, txs),
            bench_us: ticks_us_per_tx(c0.bench, c1.bench, txs),
            written_per_tx: c0
                .written
                .zip(c1.written)
                .and_then(|(a, b)| b.checked_sub(a))
                .map(|d| d as f64 / txs.max(1) as f64),
            rss_max,
            hwm,
            disk_before,
            disk_after,
        };
        print_point(name, &p);
        points.push(p);
    }
    Ok(points)
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:.decimals$}"))
}

fn print_point(name: &str, p: &Point) {
    println!(
        "{name}: window at {} accounts ({} -> {}): {} txs in {:.2} s = {:.0} tx/s, {:.1} µs/tx wall",
        p.checkpoint,
        p.before,
        p.after,
        p.txs,
        p.secs,
        p.tps(),
        p.wall_us()
    );
    println!(
        "    CPU µs/tx: node {}, {PRODUCER_THREAD} {}, state-bench {}; written {} B/tx",
        opt(p.node_us, 1),
        opt(p.producer_us, 1),
        opt(p.bench_us, 1),
        opt(p.written_per_tx, 0)
    );
    println!(
        "    RSS max {:.1} MiB (VmHWM {:.1} MiB); disk {:.1} -> {:.1} MiB ({:.0} B/account)",
        mib(p.rss_max),
        mib(p.hwm),
        mib(p.disk_before),
        mib(p.disk_after),
        p.disk_after as f64 / p.after.max(1) as f64
    );
}

/// The table, the ratios to the first checkpoint, and one JSON line per
/// checkpoint.
fn print_summary(name: &str, node_args: &str, points: &[Point]) {
    println!();
    println!("== {name} summary{node_args}");
    println!(
        "{:>10} {:>10} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "accounts",
        "after",
        "tx/s",
        "wall µs",
        "node µs",
        "prod µs",
        "B wr/tx",
        "RSS MiB",
        "HWM MiB",
        "disk MiB",
        "fill tx/s"
    );
    for p in points {
        println!(
            "{:>10} {:>10} {:>9.0} {:>10.1} {:>9} {:>9} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>9}",
            p.before,
            p.after,
            p.tps(),
            p.wall_us(),
            opt(p.node_us, 1),
            opt(p.producer_us, 1),
            opt(p.written_per_tx, 0),
            mib(p.rss_max),
            mib(p.hwm),
            mib(p.disk_after),
            if p.fill_txs > 0 {
                format!("{:.0}", p.fill_txs as f64 / p.fill_s.max(1e-9))
            } else {
                "-".into()
            }
        );
    }
    if let Some(first) = points.first() {
        for p in &points[1..] {
            let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
                _ => "-".into(),
            };
            println!(
                "ratio {} / {} accounts: wall per tx {:.2}x, {PRODUCER_THREAD} CPU per tx {}, node CPU per tx {}",
                p.before,
                first.before,
                p.wall_us() / first.wall_us().max(1e-9),
                ratio(p.producer_us, first.producer_us),
                ratio(p.node_us, first.node_us)
            );
        }
    }
    for p in points {
        let line = json!({
            "bench": "state-bench",
            "node": name,
            "node_args": node_args.trim(),
            "checkpoint": p.checkpoint,
            "accounts_before": p.before,
            "accounts_after": p.after,
            "txs": p.txs,
            "secs": (p.secs * 1000.0).round() / 1000.0,
            "tps": p.tps().round(),
            "wall_us_per_tx": (p.wall_us() * 10.0).round() / 10.0,
            "node_cpu_us_per_tx": p.node_us,
            "producer_cpu_us_per_tx": p.producer_us,
            "bench_cpu_us_per_tx": p.bench_us,
            "write_bytes_per_tx": p.written_per_tx,
            "rss_max_bytes": p.rss_max,
            "hwm_bytes": p.hwm,
            "disk_bytes": p.disk_after,
            "fill_txs": p.fill_txs,
            "fill_secs": (p.fill_s * 1000.0).round() / 1000.0,
        });
        println!("{line}");
    }
}

fn git_head() -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(orac_tests::workspace())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown".into(), |s| s.trim().to_string())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.checkpoints.is_empty() || args.window == 0 || args.senders == 0 {
        bail!("--checkpoints, --window and --senders must be non-empty / positive");
    }
    if args.batch == 0 || args.batch > 1000 {
        bail!("--batch must be 1..=1000");
    }
    let mut checkpoints = args.checkpoints.clone();
    checkpoints.sort_unstable();
    checkpoints.dedup();
    let node_args: Vec<String> = args
        .node_args
        .split_whitespace()
        .map(String::from)
        .collect();
    let tmp = tempfile::tempdir()?;
    let dir = args
        .keep_dir
        .clone()
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;

    let date = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)?
        .as_secs();
    println!(
        "state-bench: unix time {date}, {} cores, load average {}, git {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average(),
        git_head()
    );
    println!(
        "state-bench: {} node --dev{}; checkpoints {checkpoints:?}, window {} txs, {} lanes x batches of {}, {} senders",
        args.orac.display(),
        node_args
            .iter()
            .map(|a| format!(" {a}"))
            .collect::<String>(),
        args.window,
        args.lanes,
        args.batch,
        args.senders
    );

    let shown_args = if node_args.is_empty() {
        String::new()
    } else {
        format!(" (orac node --dev {})", node_args.join(" "))
    };
    let orac_points = {
        let node = NodeProc::orac(
            &args.orac,
            &node_args,
            &dir.join("orac-data"),
            &dir.join("orac.log"),
        )?;
        println!(
            "state-bench: orac pid {} at {}, datadir {}",
            node.pid(),
            node.url,
            node.data.display()
        );
        run_node("orac", &node, &checkpoints, &args).await?
    };
    print_summary("orac", &shown_args, &orac_points);

    if args.anvil {
        println!();
        match find_anvil(&args) {
            None => println!(
                "state-bench: anvil skipped: no anvil binary (--anvil-bin, PATH, bench/.peers; bench/run.sh installs one)"
            ),
            Some(bin) => {
                let mut anvil_points: Vec<usize> = checkpoints
                    .iter()
                    .copied()
                    .filter(|&c| c <= args.anvil_max_accounts)
                    .collect();
                if anvil_points.len() < checkpoints.len()
                    && anvil_points.last() != Some(&args.anvil_max_accounts)
                {
                    anvil_points.push(args.anvil_max_accounts);
                }
                println!(
                    "state-bench: anvil {} (checkpoints {anvil_points:?}, capped at --anvil-max-accounts {})",
                    bin.display(),
                    args.anvil_max_accounts
                );
                let node = NodeProc::anvil(&bin, &dir.join("anvil-home"), &dir.join("anvil.log"))?;
                match run_node("anvil", &node, &anvil_points, &args).await {
                    Ok(points) => {
                        print_summary("anvil", "", &points);
                        let by_before: HashMap<usize, &Point> =
                            orac_points.iter().map(|p| (p.checkpoint, p)).collect();
                        for a in &points {
                            if let Some(o) = by_before.get(&a.checkpoint) {
                                println!(
                                    "orac / anvil at {} accounts: throughput {:.2}x",
                                    a.checkpoint,
                                    o.tps() / a.tps().max(1e-9)
                                );
                            }
                        }
                    }
                    Err(e) => println!("state-bench: anvil run FAILED: {e:#}"),
                }
            }
        }
    }
    Ok(())
}
