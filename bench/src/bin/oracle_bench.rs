//! The oracle bridge benchmark (README.md, "Oracle bridge"):
//!
//! * `updates` (in process): gas and wall time of one `transmit` — a
//!   signed report of n observations verified by the native feed registry,
//!   the round stored, and every subscriber called back — for n = 4, 7, 10
//!   signers (f = 1, 2, 3), with all n observations and with the 2f + 1
//!   minimum, and 0, 1, 10, 100 subscribers (WAT consumer contracts,
//!   oracle/registry/tests/contracts/consumer.wat, that store round and answer).
//!   Transactions are pre-signed; sender recovery and `execute_transaction`
//!   (the node's executor on an in-memory overlay, as orac-testkit's
//!   `TestChain::transact` runs it) are timed separately.
//! * `latency` (processes): `orac node --dev --block-time 1`, a local HTTP
//!   price source and four `orac oracle` nodes (f = 1); the source price
//!   moves by 2 % and the consumer's answer slot is polled every 50 ms
//!   until it holds the new value.
//!
//! `cargo run --release -p orac-bench --bin oracle-bench -- updates`
//! `cargo run --release -p orac-bench --bin oracle-bench -- latency`

use orac_primitives::alloy::ToAlloy;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy_primitives::I256;
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use clap::{Parser, Subcommand};
use orac_bench::vmkit::{self, MemState, median, thousands};
use orac_chain::ChainRules;
use orac_chain::executor::{CallRequest, ExecOutcome, execute_transaction, simulate_call};
use orac_oracle::REGISTRY;
use orac_oracle::abi::{BASE_GAS, CALLBACK_OVERHEAD, OBSERVATION_GAS};
use orac_oracle::abi::{FeedParams, IOracleRegistry as I};
use orac_oracle::{Domain, Expect, Kind, Observation, Report};
use orac_primitives::{Address, Bytes, H256, PrivateKey, RecoveredTx, SignedTransaction, U256};
use orac_rpc_client::{Client, LogFilter, Receipt};
use orac_state::Overlay;
use orac_vm::{BlockEnv, Vm, VmConfig, envelope, gas};
use serde_json::{Value, json};

/// The test consumer (also used by oracle/registry/tests and tests/tests/oracle.rs).
const CONSUMER_WAT: &str = include_str!("../../../oracle/registry/tests/contracts/consumer.wat");
const GWEI: u64 = 1_000_000_000;
const ETH: u128 = 1_000_000_000_000_000_000;
const DECIMALS: u8 = 8;
const CHAIN_ID: u64 = 31337;
/// Dev account that creates feeds and deploys consumers.
const ADMIN: usize = 0;
/// Dev account that transmits rounds (in `updates`): the feed's admin,
/// since only a feed's signers or its admin may transmit.
const TRANSMITTER: usize = ADMIN;
/// EVM's ecrecover precompile price, for the comparison with published
/// EVM figures.
const EVM_ECRECOVER: u64 = 3_000;

#[derive(Parser)]
#[command(
    about = "orac oracle bridge benchmark: gas and time per update, and source-to-callback latency"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Gas and time per transmitted update, in process.
    Updates(UpdatesArgs),
    /// Price change at the source to subscriber callback, with real
    /// processes: a dev node sealing every --block-time seconds and four
    /// oracle nodes.
    Latency(LatencyArgs),
}

#[derive(clap::Args, Clone)]
struct UpdatesArgs {
    /// Signer counts n (f = (n - 1) / 3), comma-separated.
    #[arg(long, default_value = "4,7,10", value_delimiter = ',')]
    signers: Vec<usize>,
    /// Subscriber counts, comma-separated.
    #[arg(long, default_value = "0,1,10,100", value_delimiter = ',')]
    subscribers: Vec<usize>,
    /// Callback gas each subscriber reserves. The first delivery writes
    /// two fresh slots (2 × 20,000) and loads the consumer's code cold
    /// (15,000 + 8 per word): 60,000, enough before code loading was
    /// charged, ran out of gas there.
    #[arg(long, default_value_t = 100_000)]
    callback_gas: u64,
    /// Measured rounds per configuration and sweep (medians over all
    /// sweeps are reported).
    #[arg(long, default_value_t = 50)]
    rounds: usize,
    /// Unmeasured rounds before them.
    #[arg(long, default_value_t = 10)]
    warmup: usize,
    /// Sweeps over all configurations (each on fresh chains); samples are
    /// pooled, so a burst of load during one sweep does not decide a row.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Deploy every subscriber with the same code (by default each is
    /// distinct code, as different contracts would be).
    #[arg(long)]
    same_code: bool,
}

#[derive(clap::Args, Clone)]
struct LatencyArgs {
    /// Price changes to time.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// The node's --block-time, seconds.
    #[arg(long, default_value_t = 1.0)]
    block_time: f64,
    /// The oracle nodes' poll_interval_ms.
    #[arg(long, default_value_t = 500)]
    poll_interval_ms: u64,
    /// The oracle nodes' transmit_timeout_ms (when the designated
    /// transmitter is late, the next signer steps in after this).
    #[arg(long, default_value_t = 1_500)]
    transmit_timeout_ms: u64,
    /// How often the consumer's storage is read, milliseconds.
    #[arg(long, default_value_t = 50)]
    poll_ms: u64,
    /// The `orac` binary to run; by default `cargo build --release -p
    /// orac-node --bin orac` is run first and target/release/orac used.
    #[arg(long)]
    orac: Option<PathBuf>,
}

fn main() {
    match Cli::parse().command {
        Cmd::Updates(a) => updates(&a),
        Cmd::Latency(a) => latency(&a),
    }
}

/// The 1-minute load average, to tell whether something else ran meanwhile.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// Signer key `i` of the benchmark feeds.
fn signer_key(i: usize) -> PrivateKey {
    vmkit::key(&format!("oracle-bench signer {i}"))
}

fn feed_params(keys: &[PrivateKey], f: u8) -> FeedParams {
    FeedParams {
        description: format!("BENCH / USD ({} signers, f = {f})", keys.len()),
        decimals: DECIMALS,
        signers: keys.iter().map(|k| k.address().to_alloy()).collect(),
        f,
        heartbeat: 3_600,
        deviationPpb: 10_000_000,
        minAnswer: I256::ONE,
        maxAnswer: I256::try_from(10i128.pow(30)).expect("fits"),
    }
}

/// Consumer `i`: the test consumer with callbacks that only store, plus a
/// data segment naming it, so every subscriber is distinct code (its own
/// code hash and compiled module), as different contracts would be.
fn consumer_wasm(i: usize) -> Vec<u8> {
    let wat = CONSUMER_WAT.replace("CALLBACK_TAIL", "(nop)").replace(
        "(memory (export \"memory\") 1)",
        &format!("(memory (export \"memory\") 1)\n  (data (i32.const 3000) \"oracle-bench consumer {i}\")"),
    );
    wat::parse_str(wat).expect("the consumer parses")
}

/// The `Error(string)` reason of a revert, or whatever explains a failure.
fn reason(output: &[u8], error: &Option<impl ToString>) -> String {
    output
        .strip_prefix(&[0x08, 0xc3, 0x79, 0xa0])
        .and_then(|b| <(String,)>::abi_decode_params(b).ok())
        .map(|(s,)| s)
        .or_else(|| error.as_ref().map(ToString::to_string))
        .unwrap_or_else(|| format!("revert data 0x{}", hex::encode(output)))
}

/// The `q` quantile (0 = min, 1 = max) of `v`, nearest rank.
fn pct(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    if s.is_empty() {
        return f64::NAN;
    }
    let i = ((s.len() - 1) as f64 * q).round() as usize;
    s[i]
}

// ---------------------------------------------------------------------------
// Part A: gas and time per update, in process
// ---------------------------------------------------------------------------

/// An in-process chain: the node's executor and VM (with the registry) on
/// an in-memory overlay, like orac-testkit's `TestChain`, but with
/// transactions signed before the clock starts.
struct Sim {
    vm: Vm,
    state: Overlay,
    block: BlockEnv,
    dev: Vec<PrivateKey>,
}

impl Sim {
    fn new() -> Self {
        let rules = ChainRules::standard();
        let vm = rules
            .vm(&VmConfig::default())
            .expect("the WebAssembly engine starts");
        let dev =
            orac_chain::dev::derive_keys(orac_chain::dev::DEV_MNEMONIC, 10).expect("dev keys");
        let mut mem = MemState::default();
        for k in &dev {
            mem.fund(k.address(), U256::from(10_000u64) * U256::from(ETH));
        }
        let mut block = vmkit::block_env();
        block.chain_id = CHAIN_ID;
        block.base_fee = U256::from(GWEI);
        let mut state = mem.overlay();
        // As in every chain's genesis: the system contracts' accounts.
        rules.write_genesis(&mut state).expect("in-memory state");
        Self {
            vm,
            state,
            block,
            dev,
        }
    }

    fn sign(
        &mut self,
        from: usize,
        to: Option<Address>,
        value: U256,
        data: Vec<u8>,
        gas: u64,
    ) -> SignedTransaction {
        let key = self.dev[from].clone();
        let nonce = self.state.nonce(&key.address()).expect("in-memory state");
        orac_chain::testing::call(Address::zero(), data, gas)
            .to(to)
            .chain_id(self.block.chain_id)
            .nonce(nonce)
            .value(value)
            .sign(&key)
    }

    fn execute(&mut self, tx: &RecoveredTx) -> ExecOutcome {
        execute_transaction(&mut self.state, &self.vm, &self.block, tx)
            .unwrap_or_else(|e| panic!("transaction refused: {e:?}"))
    }

    /// Recovers and executes `tx` (from [`Sim::sign`]); panics unless it
    /// succeeds.
    fn send(&mut self, tx: SignedTransaction) -> ExecOutcome {
        let tx = RecoveredTx::recover(tx).expect("a valid signature");
        let out = self.execute(&tx);
        assert!(out.success, "failed: {}", reason(&out.output.0, &out.error));
        out
    }

    fn view<C: SolCall>(&mut self, to: Address, call: &C) -> C::Return {
        let checkpoint = self.state.checkpoint();
        let req = CallRequest {
            to: Some(to),
            input: Bytes(call.abi_encode()),
            ..Default::default()
        };
        let out = simulate_call(&mut self.state, &self.vm, &self.block, &req, 30_000_000)
            .unwrap_or_else(|e| panic!("call refused: {e:?}"));
        self.state.revert_to(checkpoint);
        assert!(
            out.success,
            "view failed: {}",
            reason(&out.output.0, &out.error)
        );
        C::abi_decode_returns(&out.output.0).expect("return data of the declared type")
    }
}

/// A feed of the benchmark and what transmitting to it needs.
struct Feed {
    id: u64,
    n: usize,
    f: u8,
    keys: Vec<PrivateKey>,
    digest: H256,
    round: u64,
    last_at: u64,
    consumers: Vec<Address>,
}

fn create_feed(sim: &mut Sim, n: usize) -> Feed {
    let f = ((n - 1) / 3) as u8;
    let keys: Vec<PrivateKey> = (0..n).map(signer_key).collect();
    let tx = sim.sign(
        ADMIN,
        Some(REGISTRY),
        U256::zero(),
        I::createFeedCall {
            params: feed_params(&keys, f),
        }
        .abi_encode(),
        10_000_000,
    );
    let out = sim.send(tx);
    let id = I::createFeedCall::abi_decode_returns(&out.output.0).expect("a feed id");
    let digest = H256(
        sim.view(REGISTRY, &I::feedConfigCall { feedId: id })
            .configDigest
            .0,
    );
    Feed {
        id,
        n,
        f,
        keys,
        digest,
        round: 0,
        last_at: 0,
        consumers: Vec::new(),
    }
}

/// Deploys consumers (each subscribing itself from its constructor with a
/// 1 ETH deposit) until the feed has `count`.
fn add_consumers(sim: &mut Sim, feed: &mut Feed, count: usize, a: &UpdatesArgs) {
    while feed.consumers.len() < count {
        let which = if a.same_code { 0 } else { feed.consumers.len() };
        let mut data = envelope::wrap(&consumer_wasm(which));
        data.extend(
            I::subscribeCall {
                feedId: feed.id,
                callbackGas: a.callback_gas,
            }
            .abi_encode(),
        );
        let tx = sim.sign(ADMIN, None, U256::from(ETH), data, 30_000_000);
        let out = sim.send(tx);
        feed.consumers
            .push(out.contract_address.expect("a deployed consumer"));
    }
}

/// One transmitted round, measured.
struct Sample {
    gas: u64,
    intrinsic: u64,
    calldata: usize,
    recover_us: f64,
    exec_us: f64,
    verify_us: f64,
    callback_gas: Vec<u64>,
}

fn transmit_round(sim: &mut Sim, feed: &mut Feed, observations: usize) -> Sample {
    sim.block.number += 1;
    sim.block.timestamp += 1;
    let at = sim.block.timestamp;
    feed.round += 1;
    let round = feed.round;
    let domain = Domain {
        chain_id: sim.block.chain_id,
        registry: REGISTRY,
    };
    // Around 3,000.00000000, a little different every round and signer.
    let base = 300_000_000_000i128 + (round as i128 % 13) * 1_000_000;
    let report = Report {
        feed_id: feed.id,
        config_digest: feed.digest,
        round,
        observations: (0..observations)
            .map(|i| {
                domain.sign(
                    Kind::Round,
                    &feed.keys[i],
                    feed.id,
                    feed.digest,
                    &Observation {
                        round,
                        observed_at: at,
                        value: base + i as i128 * 10_000,
                    },
                )
            })
            .collect(),
    };
    let encoded = report.abi_encode();
    let data = I::transmitCall {
        report: encoded.clone().into(),
    }
    .abi_encode();
    let signed = sim.sign(TRANSMITTER, Some(REGISTRY), U256::zero(), data, 30_000_000);
    let intrinsic = signed.tx.intrinsic_gas();
    let calldata = signed.tx.input.len();

    let t = Instant::now();
    let tx = RecoveredTx::recover(signed).expect("a valid signature");
    let recover_us = t.elapsed().as_secs_f64() * 1e6;

    let t = Instant::now();
    let out = sim.execute(&tx);
    let exec_us = t.elapsed().as_secs_f64() * 1e6;
    assert!(
        out.success,
        "transmit failed: {}",
        reason(&out.output.0, &out.error)
    );

    // What the registry does to check the report, natively and alone:
    // decode, then per observation the digest and one recovery.
    let expect = Expect {
        kind: Kind::Round,
        config_digest: feed.digest,
        quorum: 2 * feed.f as usize + 1,
        signers: feed.n,
        min_round: round,
        min_time: feed.last_at,
        now: at,
    };
    let t = Instant::now();
    let decoded = Report::abi_decode(black_box(&encoded)).expect("decodes");
    let checked = domain.check(&decoded, &expect).expect("verifies");
    black_box(checked);
    let verify_us = t.elapsed().as_secs_f64() * 1e6;
    feed.last_at = at;

    let mut callback_gas = Vec::new();
    let mut new_rounds = 0;
    for log in &out.logs {
        let topics = log.topics.iter().map(|t| t.to_alloy());
        let first = log.topics.first().map(|t| t.0);
        if first == Some(I::CallbackDelivered::SIGNATURE_HASH.0) {
            let ev = I::CallbackDelivered::decode_raw_log(topics, &log.data.0).expect("event");
            callback_gas.push(ev.gasUsed);
        } else if first == Some(I::CallbackFailed::SIGNATURE_HASH.0) {
            let ev = I::CallbackFailed::decode_raw_log(topics, &log.data.0).expect("event");
            panic!(
                "a callback failed ({} gas used): {}",
                ev.gasUsed,
                String::from_utf8_lossy(&ev.reason)
            );
        } else if first == Some(I::CallbackSkipped::SIGNATURE_HASH.0) {
            panic!("a callback was skipped (deposit too low)");
        } else if first == Some(I::NewRound::SIGNATURE_HASH.0) {
            new_rounds += 1;
        }
    }
    assert_eq!(new_rounds, 1, "one NewRound per transmit");
    assert_eq!(
        callback_gas.len(),
        feed.consumers.len(),
        "every subscriber called"
    );
    Sample {
        gas: out.gas_used,
        intrinsic,
        calldata,
        recover_us,
        exec_us,
        verify_us,
        callback_gas,
    }
}

/// One configuration's results.
struct Row {
    n: usize,
    f: u8,
    observations: usize,
    subscribers: usize,
    calldata: usize,
    intrinsic: u64,
    gas: u64,
    gas_spread: (u64, u64),
    recover_us: f64,
    exec_us: f64,
    exec_p10: f64,
    exec_p90: f64,
    verify_us: f64,
    callback_gas: f64,
}

impl Row {
    fn total_us(&self) -> f64 {
        self.recover_us + self.exec_us
    }
    fn quorum(&self) -> usize {
        2 * self.f as usize + 1
    }
}

/// Configuration key: (n, observations, subscribers).
type Key = (usize, usize, usize);

/// Transmits `a.warmup` unmeasured and `a.rounds` measured rounds.
fn measure(sim: &mut Sim, feed: &mut Feed, observations: usize, a: &UpdatesArgs) -> Vec<Sample> {
    for _ in 0..a.warmup {
        transmit_round(sim, feed, observations);
    }
    (0..a.rounds)
        .map(|_| transmit_round(sim, feed, observations))
        .collect()
}

/// One row from the samples of every repetition of a configuration.
fn row(key: Key, f: u8, samples: &[Sample]) -> Row {
    let mut gases: Vec<u64> = samples.iter().map(|s| s.gas).collect();
    gases.sort_unstable();
    let exec: Vec<f64> = samples.iter().map(|s| s.exec_us).collect();
    let cb: Vec<f64> = samples
        .iter()
        .flat_map(|s| s.callback_gas.iter().map(|g| *g as f64))
        .collect();
    Row {
        n: key.0,
        f,
        observations: key.1,
        subscribers: key.2,
        calldata: samples[0].calldata,
        intrinsic: samples[0].intrinsic,
        gas: gases[gases.len() / 2],
        gas_spread: (gases[0], gases[gases.len() - 1]),
        recover_us: median(&samples.iter().map(|s| s.recover_us).collect::<Vec<_>>()),
        exec_us: median(&exec),
        exec_p10: pct(&exec, 0.1),
        exec_p90: pct(&exec, 0.9),
        verify_us: median(&samples.iter().map(|s| s.verify_us).collect::<Vec<_>>()),
        callback_gas: if cb.is_empty() { 0.0 } else { median(&cb) },
    }
}

/// One sweep over every configuration, on fresh chains (one per n).
fn sweep(a: &UpdatesArgs, pooled: &mut Vec<(Key, u8, Vec<Sample>)>) {
    for &n in &a.signers {
        assert!(n >= 4, "a feed needs at least 4 signers (3f + 1, f >= 1)");
        let mut sim = Sim::new();
        let mut feed = create_feed(&mut sim, n);
        let quorum = 2 * feed.f as usize + 1;
        let mut subs = a.subscribers.clone();
        subs.sort_unstable();
        subs.dedup();
        for &k in &subs {
            add_consumers(&mut sim, &mut feed, k, a);
            for obs in [n, quorum] {
                if obs == quorum && quorum == n {
                    continue;
                }
                let samples = measure(&mut sim, &mut feed, obs, a);
                let exec: Vec<f64> = samples.iter().map(|s| s.exec_us).collect();
                eprintln!(
                    "  n={n} obs={obs} subs={k}: {} gas, exec median {:.1} µs",
                    samples[0].gas,
                    median(&exec)
                );
                let key = (n, obs, k);
                match pooled.iter_mut().find(|(k2, _, _)| *k2 == key) {
                    Some((_, _, all)) => all.extend(samples),
                    None => pooled.push((key, feed.f, samples)),
                }
            }
        }
    }
}

/// Microseconds per libsecp256k1 sender recovery in a tight loop (median
/// of 21 batches of 200): how fast this machine is right now, against the
/// ~28 µs the gas schedule was calibrated on (21,000 gas at 1.35 ns/gas).
fn recovery_speed() -> f64 {
    let mut sim = Sim::new();
    // A plain transfer, the transaction the anchor was measured on.
    let to = sim.dev[2].address();
    let tx = sim.sign(TRANSMITTER, Some(to), U256::one(), vec![], 21_000);
    let batches: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..200 {
                black_box(black_box(&tx).recover_sender().expect("valid"));
            }
            t.elapsed().as_secs_f64() * 1e6 / 200.0
        })
        .collect();
    median(&batches)
}

fn updates(a: &UpdatesArgs) {
    println!("# orac oracle bridge: gas and time per update (in process)");
    println!();
    println!(
        "{} cores; load average at start {}; {} sweeps × {} measured rounds per configuration (after {} warm-up rounds each), pooled; callback gas {} per subscriber; every subscriber distinct code: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average(),
        a.repeat,
        a.rounds,
        a.warmup,
        thousands(a.callback_gas as f64),
        !a.same_code,
    );
    let args = a.clone();
    let (rows, speed) = orac_vm::on_execution_stack(move || {
        let before = recovery_speed();
        let mut pooled = Vec::new();
        for rep in 0..args.repeat {
            eprintln!("sweep {}/{}", rep + 1, args.repeat);
            sweep(&args, &mut pooled);
        }
        let after = recovery_speed();
        let rows: Vec<Row> = pooled.iter().map(|(k, f, s)| row(*k, *f, s)).collect();
        (rows, (before, after))
    });
    println!("load average at end {}", load_average());
    println!(
        "machine speed: a sender recovery in a tight loop took {:.1} µs before and {:.1} µs after the sweeps (the gas schedule's anchor: ~28 µs = 21,000 gas at 1.35 ns/gas)",
        speed.0, speed.1
    );
    print_updates(&rows, a, (speed.0 + speed.1) / 2.0);
}

fn find(rows: &[Row], n: usize, obs: usize, subs: usize) -> Option<&Row> {
    rows.iter()
        .find(|r| r.n == n && r.observations == obs && r.subscribers == subs)
}

/// Prints the `updates` report: four tables, in this order.
fn print_updates(rows: &[Row], a: &UpdatesArgs, recovery_us: f64) {
    print_transmits(rows, a);
    print_gas_breakdown(rows);
    print_per_subscriber(rows);
    print_against_evm(rows, recovery_us);
}

/// "Gas and time per transmit": one row per configuration.
fn print_transmits(rows: &[Row], a: &UpdatesArgs) {
    println!();
    println!("## Gas and time per transmit");
    println!();
    println!(
        "gas = the receipt's gas used (21,000 + calldata + the registry + callbacks); exec = `execute_transaction` (median, p10–p90 of {} rounds); sender recovery = the transaction's (done at admission in a node); µs/update = sender recovery + exec; ns/gas = µs/update / gas.",
        a.rounds * a.repeat
    );
    println!();
    println!(
        "| signers n | f | observations | subscribers | calldata B | gas used | exec µs (p10–p90) | sender recovery µs | µs/update | ns/gas |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let gas = if r.gas_spread.0 == r.gas_spread.1 {
            thousands(r.gas as f64)
        } else {
            format!(
                "{} ({}–{})",
                thousands(r.gas as f64),
                thousands(r.gas_spread.0 as f64),
                thousands(r.gas_spread.1 as f64)
            )
        };
        let obs = if r.observations == r.quorum() {
            format!("{} (2f+1)", r.observations)
        } else {
            format!("{} (all)", r.observations)
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} ({:.1}–{:.1}) | {:.1} | {:.1} | {:.2} |",
            r.n,
            r.f,
            obs,
            r.subscribers,
            thousands(r.calldata as f64),
            gas,
            r.exec_us,
            r.exec_p10,
            r.exec_p90,
            r.recover_us,
            r.total_us(),
            r.total_us() * 1000.0 / r.gas as f64,
        );
    }
}

/// "Where the gas goes": the rows without subscribers split into base,
/// calldata, signature checks and the registry, and the marginal cost of one
/// more observation.
fn print_gas_breakdown(rows: &[Row]) {
    println!();
    println!("## Where the gas goes (no subscribers)");
    println!();
    println!(
        "signature checks = observations × {} ({} ecrecover + keccak of the 8-word digest); registry = dispatch ({BASE_GAS}) + input copy + storage + the NewRound log; verify µs = `Report::abi_decode` + `Domain::check` run natively on the same report (the registry's signature work, alone).",
        thousands(OBSERVATION_GAS as f64),
        thousands(gas::ECRECOVER as f64)
    );
    println!();
    println!(
        "| signers n | observations | gas used | 21,000 base | calldata | signature checks | registry: storage, log, dispatch | verify µs | exec µs | verify / exec |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows.iter().filter(|r| r.subscribers == 0) {
        let sig = OBSERVATION_GAS * r.observations as u64;
        let rest = r.gas as i64 - r.intrinsic as i64 - sig as i64;
        println!(
            "| {} | {} | {} | 21,000 | {} | {} ({:.0} %) | {} | {:.1} | {:.1} | {:.0} % |",
            r.n,
            r.observations,
            thousands(r.gas as f64),
            thousands((r.intrinsic - 21_000) as f64),
            thousands(sig as f64),
            100.0 * sig as f64 / r.gas as f64,
            thousands(rest as f64),
            r.verify_us,
            r.exec_us,
            100.0 * r.verify_us / r.exec_us,
        );
    }
    // Marginal cost of one more observation, from the all-n and 2f+1 rows.
    let mut marginal = Vec::new();
    for r in rows
        .iter()
        .filter(|r| r.subscribers == 0 && r.observations == r.n)
    {
        if let Some(q) = find(rows, r.n, r.quorum(), 0) {
            let extra = (r.observations - q.observations) as f64;
            marginal.push((
                r.n,
                (r.gas as f64 - q.gas as f64) / extra,
                (r.intrinsic as f64 - q.intrinsic as f64) / extra,
                (r.exec_us - q.exec_us) / extra,
                (r.verify_us - q.verify_us) / extra,
            ));
        }
    }
    if !marginal.is_empty() {
        println!();
        println!(
            "One more observation in the report (all n minus 2f+1, no subscribers): of its gas, {} is the signature check, the rest calldata (5 words) and its signer-authorization storage read.",
            thousands(OBSERVATION_GAS as f64)
        );
        println!();
        println!(
            "| signers n | gas per extra observation | of which calldata | exec µs per extra observation | native verify µs per extra observation |"
        );
        println!("|---:|---:|---:|---:|---:|");
        for (n, g, c, e, v) in &marginal {
            println!(
                "| {n} | {} | {} | {e:.1} | {v:.1} |",
                thousands(*g),
                thousands(*c)
            );
        }
    }
}

/// "Per subscriber": average and marginal gas and time per subscriber.
fn print_per_subscriber(rows: &[Row]) {
    println!();
    println!("## Per subscriber");
    println!();
    println!(
        "All n observations. average = (gas(k) − gas(0)) / k; marginal = the same between this k and the previous one (what one more subscriber adds; the difference from the average is a fixed cost of delivering at all); callback = the consumer's own gas (`CallbackDelivered.gasUsed`: instantiation, calldata copy, two storage writes), the rest of the marginal is the registry's (the call, the cold account, the subscription and deposit reads and the deposit write, the event). A subscriber's deposit pays its callback gas + CALLBACK_OVERHEAD ({}) × gas price.",
        thousands(CALLBACK_OVERHEAD as f64)
    );
    println!();
    println!(
        "| signers n | subscribers k | gas(k) − gas(0) | average per subscriber | marginal per subscriber | of which callback | exec µs per subscriber (average) | marginal µs |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows
        .iter()
        .filter(|r| r.subscribers > 0 && r.observations == r.n)
    {
        let Some(z) = find(rows, r.n, r.observations, 0) else {
            continue;
        };
        // The previous subscriber count measured for this n.
        let prev = rows
            .iter()
            .filter(|p| p.n == r.n && p.observations == r.n && p.subscribers < r.subscribers)
            .max_by_key(|p| p.subscribers)
            .unwrap_or(z);
        let k = r.subscribers as f64;
        let dk = (r.subscribers - prev.subscribers) as f64;
        let total = r.gas as f64 - z.gas as f64;
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} | {:.1} |",
            r.n,
            r.subscribers,
            thousands(total),
            thousands(total / k),
            thousands((r.gas as f64 - prev.gas as f64) / dk),
            thousands(r.callback_gas),
            (r.exec_us - z.exec_us) / k,
            (r.exec_us - prev.exec_us) / dk,
        );
    }
}

/// "Against published EVM figures": gas as charged and EVM-priced, beside
/// the published figures of other oracles.
fn print_against_evm(rows: &[Row], recovery_us: f64) {
    println!();
    println!("## Against published EVM figures");
    println!();
    println!(
        "orac prices ecrecover at {} gas (its time, at 1 gas ≈ 1.35 ns) where the EVM charges {}; \"EVM-priced\" replaces that one price ({} gas less per observation), nothing else.",
        thousands(gas::ECRECOVER as f64),
        thousands(EVM_ECRECOVER as f64),
        thousands((gas::ECRECOVER - EVM_ECRECOVER) as f64)
    );
    println!();
    println!(
        "| system | signatures verified | gas | EVM-priced gas | µs per update (this machine) |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!("| Chainlink Data Streams (published) | 11 | ~183,000 (EVM) | ~183,000 | — |");
    println!("| RedStone, 10 signers (published) | 10 | ~130,000 (EVM) | ~130,000 | — |");
    for r in rows.iter().filter(|r| r.subscribers == 0) {
        let evm = r.gas - (gas::ECRECOVER - EVM_ECRECOVER) * r.observations as u64;
        println!(
            "| orac, n = {}, {} observations, no subscribers | {} | {} | {} | {:.1} |",
            r.n,
            r.observations,
            r.observations,
            thousands(r.gas as f64),
            thousands(evm as f64),
            r.total_us(),
        );
    }
    println!();
    println!(
        "One secp256k1 recovery (libsecp256k1, tight loop) takes {recovery_us:.1} µs on this machine now, so checking 11 signatures is ≈ {:.0} µs of work on any chain, whatever its gas price; the EVM charges that work 11 × 3,000 = 33,000 gas, orac 11 × {} = {} gas.",
        11.0 * recovery_us,
        thousands(OBSERVATION_GAS as f64),
        thousands(11.0 * OBSERVATION_GAS as f64),
    );
}

// ---------------------------------------------------------------------------
// Part B: source change to subscriber callback, with processes
// ---------------------------------------------------------------------------

/// A child process killed (and reaped) when dropped, also on panic.
struct Proc {
    child: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn orac_binary(given: &Option<PathBuf>) -> PathBuf {
    if let Some(p) = given {
        return p.clone();
    }
    eprintln!("building the release orac binary (cargo build --release -p orac-node --bin orac)");
    orac_tests::build_orac(true)
}

/// Starts `orac node --dev` and returns it with its HTTP URL (read from
/// the banner's "Listening on ADDR").
fn start_node(orac: &Path, datadir: &Path, block_time: f64, log: &Path) -> (Proc, String) {
    let mut child = Command::new(orac)
        .args(["node", "--dev", "--rpc-addr", "127.0.0.1:0", "--block-time"])
        .arg(block_time.to_string())
        .arg("--datadir")
        .arg(datadir)
        .env("RUST_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("node log file"))
        .spawn()
        .expect("start orac node");
    let stdout = child.stdout.take().expect("piped stdout");
    let proc = Proc { child };
    let addr = orac_tests::listening_addr(stdout, Duration::from_secs(60));
    let addr = addr.unwrap_or_else(|| {
        panic!(
            "orac node did not print its address; its log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    });
    (proc, format!("http://{addr}"))
}

fn oracle_key(i: usize) -> PrivateKey {
    vmkit::key(&format!("oracle-bench oracle node {i}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn oracle_config(a: &LatencyArgs, rpc: &str, port: u16, peers: &[u16], source_port: u16) -> String {
    let peers: Vec<String> = peers
        .iter()
        .map(|p| format!("\"http://127.0.0.1:{p}/\""))
        .collect();
    format!(
        r#"rpc_url = "{rpc}"
listen = "127.0.0.1:{port}"
peers = [{peers}]
key_env = "ORAC_ORACLE_KEY"
poll_interval_ms = {poll}
transmit_timeout_ms = {timeout}

[[feeds]]
id = 1
decimals = {DECIMALS}
min_sources = 1
max_spread_ppm = 50000
heartbeat_secs = 3600
deviation_ppb = 10000000
  [[feeds.sources]]
  url = "http://127.0.0.1:{source_port}/price"
  pointer = "/price"
"#,
        peers = peers.join(", "),
        poll = a.poll_interval_ms,
        timeout = a.transmit_timeout_ms,
    )
}

/// The node, through the shared client. A failure ends the run with the
/// method's error: the benchmark has nothing to fall back on.
struct Rpc {
    client: Client,
}

impl Rpc {
    async fn ok(&self, method: &str, params: Value) -> Value {
        self.client
            .raw(method, params)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Signs and sends a transaction and waits for its successful receipt.
    async fn send(
        &self,
        key: &PrivateKey,
        to: Option<Address>,
        value: U256,
        data: Vec<u8>,
        gas: u64,
    ) -> Receipt {
        let nonce = self
            .client
            .pending_nonce(key.address())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let tx = orac_chain::testing::call(Address::zero(), data, gas)
            .to(to)
            .chain_id(CHAIN_ID)
            .nonce(nonce)
            .value(value)
            .sign(key);
        let hash = self
            .client
            .send_raw(tx.encoded())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let r = self
            .client
            .wait_for_receipt(hash, Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.success, "transaction failed: {r:?}");
        r
    }

    /// Storage slot `slot` of `who`, as a number.
    async fn slot(&self, who: Address, slot: u64) -> u128 {
        let word: H256 = self
            .client
            .request(
                "eth_getStorageAt",
                json!([who, format!("0x{slot:x}"), "latest"]),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        U256::from_big_endian(word.as_bytes()).as_u128()
    }
}

fn qty(v: &Value) -> u128 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    let s = s.trim_start_matches("0x");
    let s = s.trim_start_matches('0');
    if s.is_empty() {
        return 0;
    }
    u128::from_str_radix(s, 16).unwrap_or_else(|_| panic!("bad quantity {v}"))
}

/// The price source: `GET /price` → `{"price": "<decimal>"}`.
async fn price_source(price: Arc<Mutex<String>>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the price source");
    let port = listener.local_addr().expect("bound").port();
    let app = axum::Router::new().route(
        "/price",
        axum::routing::get(move || {
            let p = price.lock().expect("price lock").clone();
            async move { axum::Json(json!({ "price": p })) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

fn cents_str(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Unix seconds (fractional) of a tracing timestamp such as
/// `2026-01-05T10:11:12.123456Z`.
fn parse_rfc3339(s: &str) -> Option<f64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (h, mi, sec) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3_600 + mi * 60) as f64 + sec)
}

/// Without ANSI colour sequences.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Per round, the unix times at which oracle nodes signed their
/// observation (their "observed" log lines), sorted.
fn observed_times(logs: &[PathBuf]) -> BTreeMap<u64, Vec<f64>> {
    let mut out: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for path in logs {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for line in text.lines() {
            let line = strip_ansi(line);
            if !line.contains(": observed ") || !line.contains("kind=Round") {
                continue;
            }
            let Some(at) = line.split_whitespace().next().and_then(parse_rfc3339) else {
                continue;
            };
            let Some(round) = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("round="))
                .and_then(|r| r.parse::<u64>().ok())
            else {
                continue;
            };
            out.entry(round).or_default().push(at);
        }
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    }
    out
}

fn unix_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// One timed price change.
struct Change {
    cents: u64,
    /// Source change (unix seconds).
    t0: f64,
    /// When the transmission was first seen in the node's pool.
    in_pool_ms: Option<f64>,
    /// When the consumer's answer slot first held the new value.
    latency_ms: f64,
    round: u64,
}

fn latency(a: &LatencyArgs) {
    let orac = orac_binary(&a.orac);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(latency_run(a, &orac));
}

async fn latency_run(a: &LatencyArgs, orac: &Path) {
    let dir = tempfile::tempdir().expect("temp dir");
    let node_log = dir.path().join("node.log");
    let (_node, url) = start_node(orac, &dir.path().join("data"), a.block_time, &node_log);
    let rpc = Rpc {
        client: Client::with_timeout(&url, Duration::from_secs(30)).expect("RPC client"),
    };
    let dev = orac_chain::dev::derive_keys(orac_chain::dev::DEV_MNEMONIC, 10).expect("dev keys");
    let chain_id = rpc.client.chain_id().await.expect("eth_chainId");
    assert_eq!(chain_id, CHAIN_ID, "a dev node");
    println!("# orac oracle bridge: source change to subscriber callback");
    println!();
    println!(
        "{} cores; load average at start {}; orac node --dev --block-time {} ({url}); 4 oracle nodes (f = 1), poll_interval_ms {}, transmit_timeout_ms {}; consumer polled every {} ms",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average(),
        a.block_time,
        a.poll_interval_ms,
        a.transmit_timeout_ms,
        a.poll_ms,
    );

    let consumer = setup_feed(&rpc, &dev).await;
    let cents: u64 = 300_000;
    let price = Arc::new(Mutex::new(cents_str(cents)));
    let source_port = price_source(price.clone()).await;
    let (oracles, logs) = start_oracles(a, orac, dir.path(), &url, source_port).await;
    let watch = Watch {
        rpc: &rpc,
        consumer,
        logs: &logs,
        node_log: &node_log,
    };
    let changes = measure_changes(a, watch, &price, cents).await;
    let landed = landed_rounds(&rpc).await;
    // Stop the oracle nodes first so their logs are complete.
    drop(oracles);
    let observed = observed_times(&logs);
    println!("load average at end {}", load_average());
    print_latency(a, &changes, &landed, &observed);
}

/// Setup: dev account 0 funds the four oracle nodes and creates feed 1;
/// dev account 1 deploys a consumer subscribed to it. Returns the
/// consumer's address.
async fn setup_feed(rpc: &Rpc, dev: &[PrivateKey]) -> Address {
    for i in 0..4 {
        rpc.send(
            &dev[0],
            Some(oracle_key(i).address()),
            U256::from(ETH),
            vec![],
            21_000,
        )
        .await;
    }
    let keys: Vec<PrivateKey> = (0..4).map(oracle_key).collect();
    rpc.send(
        &dev[0],
        Some(REGISTRY),
        U256::zero(),
        I::createFeedCall {
            params: feed_params(&keys, 1),
        }
        .abi_encode(),
        2_000_000,
    )
    .await;
    let mut data = envelope::wrap(&consumer_wasm(0));
    data.extend(
        I::subscribeCall {
            feedId: 1,
            callbackGas: 100_000,
        }
        .abi_encode(),
    );
    let r = rpc
        .send(&dev[1], None, U256::from(ETH / 10), data, 5_000_000)
        .await;
    r.contract_address.expect("a deployed consumer")
}

/// Starts the four `orac oracle` processes, each with its config and log
/// file in `dir`, peered with the other three. Returns them and their logs.
async fn start_oracles(
    a: &LatencyArgs,
    orac: &Path,
    dir: &Path,
    url: &str,
    source_port: u16,
) -> (Vec<Proc>, Vec<PathBuf>) {
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let mut logs = Vec::new();
    let mut oracles = Vec::new();
    for i in 0..4 {
        // Independent operators' poll cycles are not in phase: start the
        // nodes a quarter of a poll interval apart.
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(a.poll_interval_ms / 4)).await;
        }
        let peers: Vec<u16> = ports
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| *p)
            .collect();
        let path = dir.join(format!("oracle{i}.toml"));
        std::fs::write(&path, oracle_config(a, url, ports[i], &peers, source_port))
            .expect("write the oracle config");
        let log = dir.join(format!("oracle{i}.log"));
        let child = Command::new(orac)
            .args(["oracle", "--config"])
            .arg(&path)
            .env("ORAC_ORACLE_KEY", hex::encode(oracle_key(i).to_bytes()))
            .env("RUST_LOG", "warn,orac_oracle_node=info")
            .env("RUST_BACKTRACE", "0")
            .env("RUST_LIB_BACKTRACE", "0")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("oracle log file"))
            .spawn()
            .expect("start orac oracle");
        oracles.push(Proc { child });
        logs.push(log);
    }
    (oracles, logs)
}

/// Prints the last lines of each oracle node's log and the node's, for a
/// run about to fail.
fn show_logs(logs: &[PathBuf], node_log: &Path) {
    for l in logs.iter().map(PathBuf::as_path).chain([node_log]) {
        let text = std::fs::read_to_string(l).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        eprintln!("--- {} (last lines)", l.display());
        for line in tail.iter().rev() {
            eprintln!("{line}");
        }
    }
}

/// What the measuring loop watches: the consumer's answer slot, and the
/// logs to show when it waits too long.
struct Watch<'a> {
    rpc: &'a Rpc,
    consumer: Address,
    logs: &'a [PathBuf],
    node_log: &'a Path,
}

/// The consumer's answer for a price in cents (8 decimals).
fn scaled(cents: u64) -> u128 {
    cents as u128 * 1_000_000
}

/// Waits for the first round to reach the consumer, then makes
/// `a.rounds` price changes of +2 % and times each until the consumer
/// holds the new answer.
async fn measure_changes(
    a: &LatencyArgs,
    w: Watch<'_>,
    price: &Mutex<String>,
    mut cents: u64,
) -> Vec<Change> {
    // The first round (no answer yet: any observation triggers it).
    let started = Instant::now();
    loop {
        if w.rpc.slot(w.consumer, 1).await == scaled(cents) {
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            show_logs(w.logs, w.node_log);
            panic!("the first round did not reach the consumer within 90 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "first round reached the consumer {:.1} s after the oracle nodes started",
        started.elapsed().as_secs_f64()
    );

    let mut rng = vmkit::Rng(0x0ac1e);
    let mut changes = Vec::new();
    for k in 0..a.rounds {
        // A pause of 1.5-2.5 s, so changes fall anywhere in the nodes'
        // poll cycles and the block interval.
        let pause = 1_500 + rng.below(1_000);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let old = scaled(cents);
        let old_cents = cents;
        cents = cents * 102 / 100;
        let want = scaled(cents);
        let t0_wall = SystemTime::now();
        let t0 = Instant::now();
        *price.lock().expect("price lock") = cents_str(cents);
        let mut in_pool = None;
        let latency = loop {
            let v = w.rpc.slot(w.consumer, 1).await;
            let now = t0.elapsed();
            if v == want {
                break now;
            }
            assert!(v == old, "the consumer holds {v}, neither {old} nor {want}");
            if in_pool.is_none() {
                let status = w.rpc.ok("txpool_status", json!([])).await;
                if qty(&status["pending"]) + qty(&status["queued"]) > 0 {
                    in_pool = Some(t0.elapsed());
                }
            }
            if now > Duration::from_secs(60) {
                show_logs(w.logs, w.node_log);
                panic!("change {k} did not reach the consumer within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(a.poll_ms)).await;
        };
        let round = w.rpc.slot(w.consumer, 0).await as u64;
        eprintln!(
            "  change {}: {} -> {} reached the consumer after {:.0} ms (round {round})",
            k + 1,
            cents_str(old_cents),
            cents_str(cents),
            latency.as_secs_f64() * 1e3
        );
        changes.push(Change {
            cents,
            t0: unix_secs(t0_wall),
            in_pool_ms: in_pool.map(|d| d.as_secs_f64() * 1e3),
            latency_ms: latency.as_secs_f64() * 1e3,
            round,
        });
    }
    changes
}

/// The transmissions that landed, by round: observations in the report,
/// gas used and block, from the registry's `NewRound` logs and receipts.
async fn landed_rounds(rpc: &Rpc) -> BTreeMap<u64, (u8, u64, u64)> {
    let filter = LogFilter {
        from_block: 0,
        to_block: rpc.client.block_number().await.expect("eth_blockNumber"),
        address: Some(REGISTRY),
        topics: vec![Some(H256(I::NewRound::SIGNATURE_HASH.0))],
    };
    let new_rounds = rpc.client.logs(&filter).await.expect("eth_getLogs");
    let mut landed: BTreeMap<u64, (u8, u64, u64)> = BTreeMap::new();
    for log in new_rounds {
        let topics = log.topics.iter().map(|t| t.to_alloy());
        let ev = I::NewRound::decode_raw_log(topics, &log.data.0).expect("a NewRound event");
        let receipt = rpc
            .client
            .receipt(log.transaction_hash)
            .await
            .expect("eth_getTransactionReceipt")
            .expect("the receipt of a logged transaction");
        landed.insert(
            ev.roundId,
            (ev.signers, receipt.gas_used, receipt.block_number),
        );
    }
    landed
}

fn print_latency(
    a: &LatencyArgs,
    changes: &[Change],
    landed: &BTreeMap<u64, (u8, u64, u64)>,
    observed: &BTreeMap<u64, Vec<f64>>,
) {
    println!();
    println!("## Source change → subscriber callback");
    println!();
    println!(
        "t = 0 when the source's price changes (by +2 %). first/quorum signed = the 1st and 3rd (2f+1) oracle node's \"observed\" log line for the round; in pool = `txpool_status` first non-empty; consumer = `eth_getStorageAt(consumer, 1)` first returns the new answer. Polls every {} ms, so the last two are late by up to ~{} ms.",
        a.poll_ms, a.poll_ms
    );
    println!();
    println!(
        "| # | new price | round | observations in report | transmit gas | first signed ms | quorum signed ms | in pool ms | consumer ms |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ms = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.0}"));
    let mut firsts = Vec::new();
    let mut quorums = Vec::new();
    let mut pools = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        let (obs, gas_used) = landed
            .get(&c.round)
            .map_or(("—".into(), "—".into()), |(s, g, _)| {
                (s.to_string(), thousands(*g as f64))
            });
        let times = observed.get(&c.round);
        let first = times.and_then(|t| t.first()).map(|t| (t - c.t0) * 1e3);
        let quorum = times.and_then(|t| t.get(2)).map(|t| (t - c.t0) * 1e3);
        firsts.extend(first);
        quorums.extend(quorum);
        pools.extend(c.in_pool_ms);
        println!(
            "| {} | {} | {} | {obs} | {gas_used} | {} | {} | {} | {:.0} |",
            i + 1,
            cents_str(c.cents),
            c.round,
            ms(first),
            ms(quorum),
            ms(c.in_pool_ms),
            c.latency_ms,
        );
    }
    let lat: Vec<f64> = changes.iter().map(|c| c.latency_ms).collect();
    let stats = |v: &[f64]| {
        if v.is_empty() {
            "— | — | —".to_string()
        } else {
            format!("{:.0} | {:.0} | {:.0}", pct(v, 0.0), median(v), pct(v, 1.0))
        }
    };
    println!();
    println!("| stage (ms after the change) | min | median | max |");
    println!("|---|---:|---:|---:|");
    println!("| first oracle node signed | {} |", stats(&firsts));
    println!("| quorum (2f+1 = 3) signed | {} |", stats(&quorums));
    println!("| transmission in the pool | {} |", stats(&pools));
    println!("| **consumer holds the new answer** | {} |", stats(&lat));
}
