//! `orac-bench`: a JSON-RPC load generator measuring how many plain value
//! transfers per second an Ethereum dev node (orac, anvil, ...) takes in
//! *and mines*.
//!
//! 1. Setup (not timed): reads the chain id, derives `--senders` keys
//!    deterministically (keccak of an index), funds them with
//!    `anvil_setBalance` and waits until the balances show, reads their
//!    nonces, pre-signs all `--txs` type-2 transfers (21,000 gas each, one
//!    distinct fresh recipient per transaction) and pre-serialises them into
//!    JSON-RPC batch bodies of `--batch` `eth_sendRawTransaction` calls.
//! 2. Timed: `--concurrency` workers post the batches over HTTP keep-alive
//!    connections; then the tool polls `eth_getTransactionCount` (batched)
//!    until every sender's nonce has reached its last accepted transaction.
//!    The clock stops there.
//! 3. Check (not timed): fetches the receipt of every transaction (batched),
//!    counts the distinct blocks they landed in and checks each succeeded.
//!
//! Exit status: 0 when every transaction was accepted and has a successful
//! receipt, 1 when any was rejected, failed or not mined within `--timeout`,
//! 2 when the setup itself failed.

use std::collections::{BTreeSet, HashMap};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use clap::Parser;
use orac_bench::load::{
    GWEI, Rpc, TransferTerms, hex_addr, hex_hash, hex_u256, nonces, parse_u64, per_address,
    recipient, sender_key, sign_transfers, wait_balances,
};
use orac_primitives::{Address, H256, PrivateKey, U256};
use orac_rpc_client::{Batch, BatchAnswer, ClientError};
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// How many error messages the report quotes.
const QUOTED_ERRORS: usize = 5;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "orac-bench",
    about = "Send pre-signed value transfers to an Ethereum JSON-RPC node as fast as it takes them and measure mined tx/s"
)]
struct Args {
    /// JSON-RPC HTTP endpoint of the node under test.
    #[arg(long, default_value = "http://127.0.0.1:8545")]
    rpc: String,
    /// Number of transactions to send.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Number of distinct sender accounts (each sends about txs/senders,
    /// with consecutive nonces).
    #[arg(long, default_value_t = 100)]
    senders: usize,
    /// eth_sendRawTransaction calls per JSON-RPC batch (at most 1000).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Concurrent HTTP requests in flight.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// maxFeePerGas of every transaction, in gwei.
    #[arg(long, default_value_t = 100)]
    max_fee_gwei: u64,
    /// maxPriorityFeePerGas of every transaction, in gwei.
    #[arg(long, default_value_t = 1)]
    tip_gwei: u64,
    /// Seconds allowed for submitting and mining everything (and for any
    /// single HTTP request); past it the run fails.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Seconds to keep retrying the first call (eth_chainId) while the node
    /// starts up.
    #[arg(long, default_value_t = 30)]
    wait: u64,
    /// Name for this node in the report (defaults to web3_clientVersion).
    #[arg(long)]
    label: Option<String>,
    /// How transactions are spread over the connections. `sharded`: each
    /// connection owns a disjoint set of senders and sends its batches one
    /// after another, so every sender's nonces reach the node in order (as
    /// from clients that each manage their own account). `interleaved`: all
    /// connections take batches from one shared nonce-major queue, so a
    /// sender's nonce k+1 can reach the node before its nonce k.
    #[arg(long, value_enum, default_value_t = Order::Sharded)]
    order: Order,
    /// When a connection sends its next batch. `mined`: once the previous
    /// batch's replies are in *and* its transactions are mined (checked
    /// with eth_getTransactionCount), so at most concurrency x batch
    /// transactions are in flight; `open`: as soon as the replies are in,
    /// however many transactions wait in the node's pool. (A node whose
    /// eth_sendRawTransaction replies only once the transaction is mined,
    /// as orac's does, behaves the same under both.)
    #[arg(long, value_enum, default_value_t = Pace::Mined)]
    pace: Pace,
    /// Longest pause between two eth_getTransactionCount polls while a
    /// connection waits for its batch to be mined (pauses start at 1 ms and
    /// double up to this).
    #[arg(long, default_value_t = 16)]
    poll_max_ms: u64,
    /// Number of distinct recipient addresses; 0 (the default) gives every
    /// transaction its own fresh recipient, so each one creates an account.
    #[arg(long, default_value_t = 0)]
    recipients: usize,
    /// Seed mixed into the sender keys, so runs against one long-lived node
    /// can use fresh accounts.
    #[arg(long, default_value = "orac-bench")]
    seed: String,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Sharded,
    Interleaved,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Pace {
    Mined,
    Open,
}

impl Pace {
    fn name(self) -> &'static str {
        match self {
            Pace::Mined => "mined",
            Pace::Open => "open",
        }
    }
}

impl Order {
    fn name(self) -> &'static str {
        match self {
            Order::Sharded => "sharded",
            Order::Interleaved => "interleaved",
        }
    }
}

/// One pre-signed transaction.
struct Planned {
    sender: usize,
    nonce: u64,
    hash: H256,
    raw_hex: String,
}

/// Shared tallies of the submission phase.
#[derive(Default)]
struct Tally {
    accepted: Vec<bool>,
    errors: usize,
    messages: Vec<String>,
    hash_mismatch: usize,
    /// Senders with a rejected transaction: their later nonces cannot be
    /// mined, so nobody waits for them.
    broken: Vec<bool>,
}

impl Tally {
    fn error(&mut self, n: usize, msg: String) {
        self.errors += n;
        if self.messages.len() < QUOTED_ERRORS && !self.messages.contains(&msg) {
            self.messages.push(msg);
        }
    }
}

/// The report of one run.
struct Report {
    label: String,
    client: String,
    chain_id: u64,
    submitted: usize,
    errors: usize,
    error_messages: Vec<String>,
    accepted: usize,
    mined: usize,
    failed_status: usize,
    submit_s: f64,
    elapsed_s: f64,
    blocks: usize,
    first_block: Option<u64>,
    last_block: Option<u64>,
    max_txs_per_block: usize,
    timed_out: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(report) => {
            let ok = print_report(&args, &report);
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("orac-bench: setup failed: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// What the untimed setup learned and prepared: the node, the funded
/// senders and their starting nonces.
struct Setup {
    chain_id: u64,
    client: String,
    label: String,
    senders: usize,
    keys: Vec<PrivateKey>,
    addrs: Vec<Address>,
    start_nonces: Vec<u64>,
}

/// The pre-signed transactions and the batch bodies that carry them.
struct Plan {
    /// Nonce-major within each lane, lanes one after another.
    planned: Vec<Planned>,
    /// (index of the first transaction, the serialised batch of it and
    /// the transactions after it).
    bodies: Vec<(usize, Batch)>,
    /// `lane_batches[l]` lists lane l's batches (indices into `bodies`) in
    /// sending order; a batch never spans two lanes.
    lane_batches: Vec<Vec<usize>>,
}

/// What the untimed receipt check counted.
struct Checked {
    mined: usize,
    failed_status: usize,
    per_block: HashMap<u64, usize>,
}

/// Sender `i`'s share of the transactions: txs/senders, the first
/// txs%senders one more.
fn share(args: &Args, senders: usize, i: usize) -> usize {
    args.txs / senders + usize::from(i < args.txs % senders)
}

async fn run(args: &Args) -> Result<Report> {
    if args.txs == 0 || args.senders == 0 || args.batch == 0 || args.concurrency == 0 {
        bail!("--txs, --senders, --batch and --concurrency must all be positive");
    }
    if args.batch > 1000 {
        bail!("--batch must be at most 1000 (the usual server limit)");
    }
    let timeout = Duration::from_secs(args.timeout);
    let rpc = Rpc::new(&args.rpc, timeout)?;

    // ---- Setup (not timed) ---------------------------------------------
    let setup = setup(args, &rpc).await?;
    let plan = plan(args, &setup);
    let head_before = parse_u64(&rpc.call("eth_blockNumber", json!([])).await?)?;

    // ---- Timed: submit, then wait until mined -----------------------------
    let planned = Arc::new(plan.planned);
    let tally = Arc::new(Mutex::new(Tally {
        accepted: vec![false; planned.len()],
        broken: vec![false; setup.senders],
        ..Tally::default()
    }));
    let done = Arc::new(AtomicUsize::new(0));
    let clock = Instant::now();
    let deadline = clock + timeout;
    let progress = progress(clock, done.clone(), planned.len());
    let addrs = Arc::new(setup.addrs);
    let submitting = Submitting {
        rpc: &rpc,
        planned: &planned,
        addrs: &addrs,
        tally: &tally,
        done: &done,
        deadline,
    };
    submit(args, submitting, plan.bodies, plan.lane_batches).await?;
    let submit_s = clock.elapsed().as_secs_f64();
    let tally = Arc::try_unwrap(tally)
        .map_err(|_| anyhow!("workers still hold the tally"))?
        .into_inner();
    let targets = final_nonces(&planned, &tally, &setup.start_nonces, setup.senders);
    let timed_out = wait_all_mined(args, &rpc, &addrs, &targets, deadline).await;
    let elapsed_s = clock.elapsed().as_secs_f64();
    progress.abort();

    // ---- Check (not timed): every receipt ----------------------------------
    let checked = check_receipts(args, &rpc, &planned, &tally, &addrs, head_before).await?;
    let blocks: BTreeSet<u64> = checked.per_block.keys().copied().collect();
    Ok(Report {
        label: setup.label,
        client: setup.client,
        chain_id: setup.chain_id,
        submitted: planned.len(),
        errors: tally.errors,
        error_messages: tally.messages,
        accepted: tally.accepted.iter().filter(|a| **a).count(),
        mined: checked.mined,
        failed_status: checked.failed_status,
        submit_s,
        elapsed_s,
        blocks: blocks.len(),
        first_block: blocks.first().copied(),
        last_block: blocks.last().copied(),
        max_txs_per_block: checked.per_block.values().copied().max().unwrap_or(0),
        timed_out,
    })
}

/// Setup: waits for the node, reads its chain id and client, derives the
/// sender keys, funds them and reads their nonces.
async fn setup(args: &Args, rpc: &Rpc) -> Result<Setup> {
    let senders = args.senders.min(args.txs);
    let up_by = Instant::now() + Duration::from_secs(args.wait);
    let chain_id = loop {
        match rpc.call("eth_chainId", json!([])).await {
            Ok(v) => break parse_u64(&v)?,
            Err(e) if Instant::now() >= up_by => {
                return Err(e.context(format!("eth_chainId at {}", args.rpc)));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let client = rpc
        .call("web3_clientVersion", json!([]))
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    let label = args.label.clone().unwrap_or_else(|| client.clone());
    eprintln!(
        "orac-bench: {label} at {} (chain {chain_id}): {} txs from {senders} senders, batches of {}, {} concurrent, {} order, {} pacing",
        args.rpc,
        args.txs,
        args.batch,
        args.concurrency,
        args.order.name(),
        args.pace.name()
    );

    let keys: Vec<PrivateKey> = (0..senders)
        .map(|i| sender_key(&args.seed, i))
        .collect::<Result<_>>()?;
    let addrs: Vec<Address> = keys.iter().map(PrivateKey::address).collect();
    let start_nonces = fund(args, rpc, &addrs).await?;
    Ok(Setup {
        chain_id,
        client,
        label,
        senders,
        keys,
        addrs,
        start_nonces,
    })
}

/// Funds every sender with `anvil_setBalance`, waits until the node reports
/// the balances, and returns the senders' nonces.
async fn fund(args: &Args, rpc: &Rpc, addrs: &[Address]) -> Result<Vec<u64>> {
    let senders = addrs.len();
    let (max_fee, _, value) = fees(args);
    // Enough for every transaction at the fee cap, with a wide margin.
    let need = |i: usize| {
        (max_fee * U256::from(21_000u64) + value) * U256::from(share(args, senders, i) as u64)
    };
    let fund = U256::from(10u64).pow(U256::from(24u64)); // 1,000,000 ETH
    for i in 0..senders {
        if need(i) > fund {
            bail!("sender {i} would need more than 1,000,000 ETH; lower --max-fee-gwei");
        }
    }

    let t = Instant::now();
    let calls: Vec<(&'static str, Value)> = addrs
        .iter()
        .map(|a| ("anvil_setBalance", json!([hex_addr(a), hex_u256(fund)])))
        .collect();
    for (i, r) in rpc
        .batches(calls, args.concurrency)
        .await?
        .into_iter()
        .enumerate()
    {
        if let Err(e) = r {
            bail!("anvil_setBalance for sender {i}: {e}");
        }
    }
    // Wait until the node reports the balances.
    wait_balances(rpc, addrs, fund, args.concurrency, Duration::from_secs(60)).await?;
    let start_nonces = nonces(rpc, addrs, args.concurrency).await?;
    eprintln!(
        "orac-bench: funded {senders} senders in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    Ok(start_nonces)
}

/// Every transaction's fee cap, tip and value.
fn fees(args: &Args) -> (U256, U256, U256) {
    let max_fee = U256::from(args.max_fee_gwei) * U256::from(GWEI);
    let tip = U256::from(args.tip_gwei) * U256::from(GWEI);
    (max_fee, tip, U256::from(1u64))
}

/// Pre-signs every transaction and serialises the batch bodies.
///
/// Within a lane the order is nonce-major: every sender's nonce k comes
/// before any nonce k+1, so a batch carries consecutive nonces of many
/// senders. Sharded: one lane per connection, holding the senders s with
/// s % concurrency == lane; interleaved: one lane for everyone.
fn plan(args: &Args, setup: &Setup) -> Plan {
    let senders = setup.senders;
    let t = Instant::now();
    let lanes = match args.order {
        Order::Sharded => args.concurrency.min(senders),
        Order::Interleaved => 1,
    };
    let mut order: Vec<(usize, u64)> = Vec::with_capacity(args.txs);
    let mut lane_len = vec![0usize; lanes];
    let rounds = share(args, senders, 0);
    for (lane, len) in lane_len.iter_mut().enumerate() {
        for k in 0..rounds {
            for s in (lane..senders).step_by(lanes) {
                if k < share(args, senders, s) {
                    order.push((s, setup.start_nonces[s] + k as u64));
                    *len += 1;
                }
            }
        }
    }
    let planned = sign_all(args, setup, &order);
    // Batch bodies; a batch never spans two lanes. `lane_batches[l]` lists
    // lane l's batches in sending order.
    let mut bodies: Vec<(usize, Batch)> = Vec::new();
    let mut lane_batches: Vec<Vec<usize>> = vec![Vec::new(); lanes];
    let mut lane_start = 0;
    for (lane, len) in lane_len.iter().enumerate() {
        for first in (lane_start..lane_start + len).step_by(args.batch) {
            let end = (first + args.batch).min(lane_start + len);
            let batch = Batch::new(
                planned[first..end]
                    .iter()
                    .map(|p| ("eth_sendRawTransaction", json!([p.raw_hex]))),
            );
            lane_batches[lane].push(bodies.len());
            bodies.push((first, batch));
        }
        lane_start += len;
    }
    eprintln!(
        "orac-bench: pre-signed {} txs into {} batches in {:.2} s",
        planned.len(),
        bodies.len(),
        t.elapsed().as_secs_f64()
    );
    Plan {
        planned,
        bodies,
        lane_batches,
    }
}

/// Signs the transfers `order` lists (sender, nonce), on every core.
fn sign_all(args: &Args, setup: &Setup, order: &[(usize, u64)]) -> Vec<Planned> {
    let (max_fee, tip, value) = fees(args);
    let terms = TransferTerms {
        chain_id: setup.chain_id,
        value,
        tip,
        max_fee,
    };
    let with_recipients: Vec<(usize, u64, Address)> = order
        .iter()
        .enumerate()
        .map(|(index, &(s, nonce))| (s, nonce, recipient(&args.seed, index, args.recipients)))
        .collect();
    sign_transfers(&setup.keys, terms, &with_recipients)
        .into_iter()
        .zip(order)
        .map(|(signed, &(sender, nonce))| Planned {
            sender,
            nonce,
            hash: signed.hash,
            raw_hex: signed.raw_hex,
        })
        .collect()
}

/// Prints how many replies are in every 5 s while the run is timed.
fn progress(clock: Instant, done: Arc<AtomicUsize>, total: usize) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.tick().await;
        loop {
            tick.tick().await;
            eprintln!(
                "orac-bench:   {:>6.1} s: {} / {total} replied",
                clock.elapsed().as_secs_f64(),
                done.load(Ordering::Relaxed)
            );
        }
    })
}

/// What the submitting workers share.
#[derive(Clone, Copy)]
struct Submitting<'a> {
    rpc: &'a Rpc,
    planned: &'a Arc<Vec<Planned>>,
    addrs: &'a Arc<Vec<Address>>,
    tally: &'a Arc<Mutex<Tally>>,
    done: &'a Arc<AtomicUsize>,
    deadline: Instant,
}

/// The timed submission: posts every batch and tallies the replies.
/// Sharded: one worker per lane, in the lane's order; interleaved:
/// `concurrency` workers taking batches from the one shared lane. Under
/// `--pace mined` a worker sends its next batch only once the previous one
/// is mined.
async fn submit(
    args: &Args,
    shared: Submitting<'_>,
    bodies: Vec<(usize, Batch)>,
    lane_batches: Vec<Vec<usize>>,
) -> Result<()> {
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let lanes = lane_batches.len();
    let lane_batches = Arc::new(lane_batches);
    let pace = args.pace;
    let poll_max = Duration::from_millis(args.poll_max_ms.max(1));
    let deadline = shared.deadline;
    let shared_queue = args.order == Order::Interleaved;
    let n_workers = if shared_queue {
        args.concurrency
    } else {
        lanes
    };
    let workers: Vec<_> = (0..n_workers.min(bodies.len()))
        .map(|w| {
            let addrs = shared.addrs.clone();
            let (rpc, planned, bodies, lane_batches, tally, next, done) = (
                shared.rpc.clone(),
                shared.planned.clone(),
                bodies.clone(),
                lane_batches.clone(),
                shared.tally.clone(),
                next.clone(),
                shared.done.clone(),
            );
            tokio::spawn(async move {
                let mut mine = 0;
                loop {
                    // Sharded: this worker's own lane, in order. Interleaved:
                    // the next batch of the single shared lane.
                    let b = if shared_queue {
                        next.fetch_add(1, Ordering::Relaxed)
                    } else {
                        mine += 1;
                        match lane_batches.get(w).and_then(|l| l.get(mine - 1)) {
                            Some(&b) => b,
                            None => break,
                        }
                    };
                    let Some((first, batch)) = bodies.get(b) else {
                        break;
                    };
                    let reply = rpc.client.send_batch(batch).await;
                    let targets = {
                        let mut t = tally.lock().await;
                        t.record(&planned, *first, batch.len(), reply)
                    };
                    done.fetch_add(batch.len(), Ordering::Relaxed);
                    if pace == Pace::Mined {
                        wait_mined(&rpc, &addrs, targets, deadline, poll_max).await;
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await?;
    }
    Ok(())
}

impl Tally {
    /// Records the reply to the batch of transactions `first..first + len`
    /// and returns the nonce each (unbroken) sender of the batch must reach
    /// for the whole batch to be mined.
    fn record(
        &mut self,
        planned: &[Planned],
        first: usize,
        len: usize,
        reply: Result<Vec<BatchAnswer>, ClientError>,
    ) -> HashMap<usize, u64> {
        let ids = first..first + len;
        match reply {
            Err(e) => self.error(len, e.to_string()),
            Ok(answers) => {
                for (id, answer) in ids.clone().zip(answers) {
                    match answer {
                        Ok(v) => {
                            if v.as_str() != Some(hex_hash(&planned[id].hash).as_str()) {
                                self.hash_mismatch += 1;
                            }
                            self.accepted[id] = true;
                        }
                        Err(e) => self.error(1, e.message),
                    }
                }
            }
        }
        let mut targets: HashMap<usize, u64> = HashMap::new();
        for id in ids {
            let p = &planned[id];
            if !self.accepted[id] {
                self.broken[p.sender] = true;
            }
            let e = targets.entry(p.sender).or_default();
            *e = (*e).max(p.nonce + 1);
        }
        targets.retain(|s, _| !self.broken[*s]);
        targets
    }
}

/// The nonce each sender must reach once everything is mined: the nonce
/// after its last transaction, counting only the unbroken run of accepted
/// ones (a rejected nonce blocks the rest).
fn final_nonces(
    planned: &[Planned],
    tally: &Tally,
    start_nonces: &[u64],
    senders: usize,
) -> Vec<u64> {
    let mut target: Vec<u64> = start_nonces.to_vec();
    let mut broken = vec![false; senders];
    // `planned` is nonce-major, so per sender it is in nonce order.
    for (i, p) in planned.iter().enumerate() {
        if broken[p.sender] || tally.broken[p.sender] {
            continue;
        }
        if tally.accepted[i] {
            target[p.sender] += 1;
        } else {
            broken[p.sender] = true;
        }
    }
    target
}

/// Polls every sender's nonce until all reach `target` (false) or the
/// deadline passes (true: timed out).
async fn wait_all_mined(
    args: &Args,
    rpc: &Rpc,
    addrs: &[Address],
    target: &[u64],
    deadline: Instant,
) -> bool {
    loop {
        let calls = per_address("eth_getTransactionCount", addrs);
        let mut behind = 0;
        let mut left = 0u64;
        match rpc.batches(calls, args.concurrency).await {
            Ok(answers) => {
                for (i, r) in answers.into_iter().enumerate() {
                    let n = r.ok().and_then(|v| parse_u64(&v).ok()).unwrap_or(0);
                    if n < target[i] {
                        behind += 1;
                        left += target[i] - n;
                    }
                }
            }
            Err(e) => {
                eprintln!("orac-bench: polling nonces: {e:#}");
                behind = 1;
            }
        }
        if behind == 0 {
            return false;
        }
        if Instant::now() > deadline {
            eprintln!(
                "orac-bench: TIMEOUT after {} s: {behind} senders still behind, {left} accepted transactions not mined",
                args.timeout
            );
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The check after the clock stops: fetches every receipt, counts the mined
/// and failed ones and the transactions per block, and says what is amiss.
async fn check_receipts(
    args: &Args,
    rpc: &Rpc,
    planned: &[Planned],
    tally: &Tally,
    addrs: &[Address],
    head_before: u64,
) -> Result<Checked> {
    let t = Instant::now();
    let head_after = parse_u64(&rpc.call("eth_blockNumber", json!([])).await?)?;
    let hashes: Vec<H256> = planned.iter().map(|p| p.hash).collect();
    let (receipts, how) =
        fetch_receipts(rpc, &hashes, head_before, head_after, args.concurrency).await?;
    let mut mined = 0;
    let mut failed_status = 0;
    let mut per_block: HashMap<u64, usize> = HashMap::new();
    let mut receipt_errors = Vec::new();
    let mut accepted_unmined = 0;
    for (i, r) in receipts.into_iter().enumerate() {
        match r {
            Ok(Value::Null) => {
                if tally.accepted[i] {
                    accepted_unmined += 1;
                    if accepted_unmined <= QUOTED_ERRORS {
                        let p = &planned[i];
                        eprintln!(
                            "orac-bench: accepted but no receipt: {} (sender {}, nonce {})",
                            hex_hash(&p.hash),
                            hex_addr(&addrs[p.sender]),
                            p.nonce
                        );
                    }
                }
            }
            Ok(receipt) => {
                mined += 1;
                if receipt.get("status").and_then(Value::as_str) != Some("0x1") {
                    failed_status += 1;
                }
                if let Some(n) = receipt.get("blockNumber").and_then(|v| parse_u64(v).ok()) {
                    *per_block.entry(n).or_default() += 1;
                }
            }
            Err(e) => {
                if receipt_errors.len() < QUOTED_ERRORS {
                    receipt_errors.push(e.message);
                }
            }
        }
    }
    if accepted_unmined > 0 {
        eprintln!("orac-bench: {accepted_unmined} accepted transactions have no receipt");
    }
    if !receipt_errors.is_empty() {
        eprintln!("orac-bench: eth_getTransactionReceipt errors: {receipt_errors:?}");
    }
    if tally.hash_mismatch > 0 {
        eprintln!(
            "orac-bench: {} eth_sendRawTransaction replies named another hash than the signed transaction's",
            tally.hash_mismatch
        );
    }
    eprintln!(
        "orac-bench: head block {head_before} -> {head_after}; receipts found for {mined} of {} txs ({how}, checked in {:.2} s)",
        planned.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(Checked {
        mined,
        failed_status,
        per_block,
    })
}

/// The receipt of each of `hashes` (`Null` when there is none). Reads the
/// receipts of every block mined during the run with eth_getBlockReceipts
/// and cross-checks a sample with eth_getTransactionReceipt; falls back to
/// eth_getTransactionReceipt for every hash when the node lacks
/// eth_getBlockReceipts. Also says which way it went.
async fn fetch_receipts(
    rpc: &Rpc,
    hashes: &[H256],
    head_before: u64,
    head_after: u64,
    concurrency: usize,
) -> Result<(Vec<BatchAnswer>, String)> {
    let per_tx = |hs: &[H256]| -> Vec<(&'static str, Value)> {
        hs.iter()
            .map(|h| ("eth_getTransactionReceipt", json!([hex_hash(h)])))
            .collect()
    };
    let calls: Vec<(&'static str, Value)> = (head_before + 1..=head_after)
        .map(|n| ("eth_getBlockReceipts", json!([format!("{n:#x}")])))
        .collect();
    let by_block = rpc.batches(calls, concurrency).await?;
    let mut found: HashMap<String, Value> = HashMap::new();
    let mut unsupported = None;
    for r in by_block {
        match r {
            Ok(Value::Array(receipts)) => {
                for receipt in receipts {
                    if let Some(h) = receipt.get("transactionHash").and_then(Value::as_str) {
                        found.insert(h.to_lowercase(), receipt);
                    }
                }
            }
            Ok(other) => unsupported = Some(format!("eth_getBlockReceipts returned {other}")),
            Err(e) => unsupported = Some(e.message),
        }
    }
    if let Some(why) = unsupported {
        eprintln!("orac-bench: eth_getBlockReceipts unusable ({why}); asking for each receipt");
        let receipts = rpc.batches(per_tx(hashes), concurrency).await?;
        return Ok((receipts, "eth_getTransactionReceipt for each".into()));
    }
    let receipts: Vec<BatchAnswer> = hashes
        .iter()
        .map(|h| Ok(found.remove(&hex_hash(h)).unwrap_or(Value::Null)))
        .collect();
    // Cross-check a sample (spread over the run) one by one.
    let step = (hashes.len() / 500).max(1);
    let sample: Vec<usize> = (0..hashes.len()).step_by(step).collect();
    let sample_hashes: Vec<H256> = sample.iter().map(|&i| hashes[i]).collect();
    let single = rpc.batches(per_tx(&sample_hashes), concurrency).await?;
    let mut disagree = 0;
    for (&i, one) in sample.iter().zip(single) {
        let block_of = |v: &Value| v.get("blockNumber").cloned().unwrap_or(Value::Null);
        let agree = match (&receipts[i], &one) {
            (Ok(a), Ok(b)) => block_of(a) == block_of(b) && a.get("status") == b.get("status"),
            _ => false,
        };
        if !agree {
            disagree += 1;
            if disagree <= QUOTED_ERRORS {
                eprintln!(
                    "orac-bench: receipts disagree for {}: eth_getBlockReceipts {:?} vs eth_getTransactionReceipt {:?}",
                    hex_hash(&hashes[i]),
                    receipts[i].as_ref().map(block_of),
                    one.as_ref().map(block_of)
                );
            }
        }
    }
    if disagree > 0 {
        bail!(
            "{disagree} of {} sampled receipts disagree between eth_getBlockReceipts and eth_getTransactionReceipt",
            sample.len()
        );
    }
    Ok((
        receipts,
        format!(
            "eth_getBlockReceipts for blocks {}..={head_after}, {} cross-checked with eth_getTransactionReceipt",
            head_before + 1,
            sample.len()
        ),
    ))
}

/// Polls until every sender in `targets` has reached its nonce (or the
/// deadline passes; the final check then reports what is missing).
async fn wait_mined(
    rpc: &Rpc,
    addrs: &[Address],
    mut targets: HashMap<usize, u64>,
    deadline: Instant,
    poll_max: Duration,
) {
    let mut pause = Duration::from_millis(1);
    while !targets.is_empty() && Instant::now() < deadline {
        let senders: Vec<usize> = targets.keys().copied().collect();
        let calls: Vec<(&str, Value)> = senders
            .iter()
            .map(|s| {
                (
                    "eth_getTransactionCount",
                    json!([hex_addr(&addrs[*s]), "latest"]),
                )
            })
            .collect();
        if let Ok(answers) = rpc.batch(&calls).await {
            for (s, a) in senders.iter().zip(answers) {
                if let Some(n) = a.ok().and_then(|v| parse_u64(&v).ok())
                    && n >= targets[s]
                {
                    targets.remove(s);
                }
            }
        }
        if targets.is_empty() {
            break;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(poll_max);
    }
}

/// Prints the report; true when the run passed.
fn print_report(args: &Args, r: &Report) -> bool {
    let tps = if r.elapsed_s > 0.0 {
        r.mined as f64 / r.elapsed_s
    } else {
        0.0
    };
    let ok = !r.timed_out && r.errors == 0 && r.mined == r.submitted && r.failed_status == 0;
    println!("== orac-bench: {} ({})", r.label, args.rpc);
    println!("   client       {} (chain id {})", r.client, r.chain_id);
    println!(
        "   load         {} txs, {} senders, batches of {}, {} concurrent requests, {} order, {} pacing",
        r.submitted,
        args.senders.min(args.txs),
        args.batch,
        args.concurrency,
        args.order.name(),
        args.pace.name()
    );
    println!("   submitted    {}", r.submitted);
    println!("   errors       {}", r.errors);
    for m in &r.error_messages {
        println!("                - {m}");
    }
    println!("   accepted     {}", r.accepted);
    println!(
        "   mined        {}{}",
        r.mined,
        if r.failed_status > 0 {
            format!(" ({} with status != 1)", r.failed_status)
        } else {
            String::new()
        }
    );
    println!(
        "   elapsed      {:.3} s (all replies in {:.3} s)",
        r.elapsed_s, r.submit_s
    );
    println!("   throughput   {tps:.1} tx/s (mined / elapsed)");
    match (r.first_block, r.last_block) {
        (Some(a), Some(b)) => println!(
            "   blocks       {} (#{a}..#{b}), {:.1} tx/block on average, {} at most",
            r.blocks,
            r.mined as f64 / r.blocks.max(1) as f64,
            r.max_txs_per_block
        ),
        _ => println!("   blocks       0"),
    }
    if r.timed_out {
        println!(
            "   RESULT       FAILED: timed out after {} s with {} of {} txs mined",
            args.timeout, r.mined, r.submitted
        );
    } else if !ok {
        println!(
            "   RESULT       FAILED: {} errors, {} of {} mined, {} failed",
            r.errors, r.mined, r.submitted, r.failed_status
        );
    } else {
        println!("   RESULT       ok: every transaction mined");
    }
    let line = json!({
        "bench": "orac-bench",
        "label": r.label,
        "client": r.client,
        "rpc": args.rpc,
        "chain_id": r.chain_id,
        "txs": args.txs,
        "senders": args.senders.min(args.txs),
        "batch": args.batch,
        "concurrency": args.concurrency,
        "order": args.order.name(),
        "pace": args.pace.name(),
        "submitted": r.submitted,
        "errors": r.errors,
        "error_messages": r.error_messages,
        "accepted": r.accepted,
        "mined": r.mined,
        "failed_status": r.failed_status,
        "submit_s": round3(r.submit_s),
        "elapsed_s": round3(r.elapsed_s),
        "tps": (tps * 10.0).round() / 10.0,
        "blocks": r.blocks,
        "first_block": r.first_block,
        "last_block": r.last_block,
        "max_txs_per_block": r.max_txs_per_block,
        "timed_out": r.timed_out,
        "ok": ok,
    });
    println!("{line}");
    ok
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
