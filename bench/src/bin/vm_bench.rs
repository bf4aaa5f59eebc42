//! The VM benchmark, in process, on one machine in one run (README.md, "VM
//! benchmark"):
//!
//! 1. token transfers per second: orac (`execute_transaction` on pre-built
//!    `RecoveredTx`s, and bare `Vm::call`) against revm (`transact_commit`
//!    on an in-memory `CacheDB`), the same transfers among the same accounts;
//! 2. a compute-heavy call (64-bit integer mix + keccak loop): orac vs revm;
//! 3. compile time per KB for the contracts, a larger generated module,
//!    and "JIT bomb" shapes (vm-adversary searches for worse ones);
//! 4. cached instantiation: store + instantiate, and a whole empty call.
//!
//! `cargo run --release -p orac-bench --bin vm-bench [-- --help]`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use orac_bench::vmkit::*;
use orac_bench::wasmgen::*;
use orac_chain::executor::execute_transaction;
use orac_primitives::{Address, H256, RecoveredTx, U256};
use orac_state::Overlay;
use orac_vm::{Vm, VmConfig};

#[derive(Parser, Clone)]
#[command(about = "orac VM benchmark: orac vs revm, compile and instantiation times")]
struct Args {
    /// Token transfers per measured run.
    #[arg(long, default_value_t = 20_000)]
    transfers: usize,
    /// Accounts the transfers are spread over.
    #[arg(long, default_value_t = 1_000)]
    accounts: usize,
    /// Measured runs of each token and compute measurement (after one
    /// warm-up run); medians are reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Rounds of the compute contract's integer loop.
    #[arg(long, default_value_t = 1_000_000)]
    compute_n: u64,
    /// Sections to run, comma-separated: token, compute, compile, instantiate.
    #[arg(long, default_value = "token,compute,compile,instantiate")]
    sections: String,
    /// Also compile the shapes that do not fit a 30M-gas deploy transaction.
    #[arg(long)]
    extreme: bool,
    /// Instead of the compile section's shapes, compile one
    /// "br_table to DEPTH nested blocks with LOCALS live locals" module per
    /// value (e.g. --bomb 4096,1024 --bomb 2048,2047).
    #[arg(long)]
    bomb: Vec<String>,
}

fn main() {
    let args = Args::parse();
    println!("orac VM benchmark (wasmtime 48, revm 43.0.3), release build");
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("load average at start: {}", load_average());
    let want = |s: &str| args.sections.split(',').any(|x| x.trim() == s);
    let a = args.clone();
    orac_vm::on_execution_stack(move || {
        if want("token") {
            token(&a);
            println!("  (load average: {})", load_average());
        }
        if want("compute") {
            compute(&a);
            println!("  (load average: {})", load_average());
        }
        if !a.bomb.is_empty() {
            explore_bombs(&a.bomb);
        } else if want("compile") {
            compile(a.extreme);
            println!("  (load average: {})", load_average());
        }
        if want("instantiate") {
            instantiate();
            println!("  (load average: {})", load_average());
        }
    });
}

/// The 1-minute load average, to tell whether something else ran meanwhile.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn vm() -> Vm {
    Vm::new(&VmConfig::default()).expect("engine")
}

// ---------------------------------------------------------------------------
// 1. Token transfers
// ---------------------------------------------------------------------------

const TX_GAS: u64 = 100_000;
const ETH: u128 = 1_000_000_000_000_000_000;

/// The same load for both VMs: who sends what to whom.
struct TokenLoad {
    deployer: Address,
    accounts: Vec<Address>,
    token: Address,
    /// orac: the deployment, the setup transfers, the measured transfers.
    deploy: RecoveredTx,
    setup: Vec<RecoveredTx>,
    txs: Vec<RecoveredTx>,
    /// (from, to, amount) of the setup and of the measured transfers.
    setup_plan: Vec<(usize, usize, U256)>,
    plan: Vec<(usize, usize, U256)>,
    /// Token balances of the accounts after the measured transfers.
    expected: Vec<U256>,
}

fn signed(
    key: &orac_primitives::PrivateKey,
    nonce: u64,
    to: Option<Address>,
    input: Vec<u8>,
    gas: u64,
) -> RecoveredTx {
    orac_chain::testing::call(Address::zero(), input, gas)
        .to(to)
        .chain_id(CHAIN_ID)
        .nonce(nonce)
        .fees(U256::from(1_000_000_000u64), U256::from(2 * BASE_FEE))
        .recovered(key)
}

impl TokenLoad {
    fn new(transfers: usize, accounts: usize) -> Self {
        let t = Instant::now();
        let deployer_key = key("orac-vm-bench/deployer");
        let deployer = deployer_key.address();
        let keys: Vec<_> = (0..accounts)
            .map(|i| key(&format!("orac-vm-bench/account/{i}")))
            .collect();
        let addrs: Vec<Address> = keys.iter().map(|k| k.address()).collect();
        let token = orac_vm::create_address(&deployer, 0);
        let deploy = signed(
            &deployer_key,
            0,
            None,
            orac_vm::envelope::wrap(TOKEN_WASM),
            5_000_000,
        );
        let initial = U256::from(1_000_000u64) * U256::from(ETH);
        let setup_plan: Vec<_> = (0..accounts).map(|i| (usize::MAX, i, initial)).collect();
        let setup = setup_plan
            .iter()
            .enumerate()
            .map(|(n, (_, to, amount))| {
                signed(
                    &deployer_key,
                    n as u64 + 1,
                    Some(token),
                    transfer_input(&addrs[*to], *amount),
                    TX_GAS,
                )
            })
            .collect();
        let mut rng = Rng(42);
        let mut balances = vec![initial; accounts];
        let mut nonces = vec![0u64; accounts];
        let mut plan = Vec::with_capacity(transfers);
        let mut txs = Vec::with_capacity(transfers);
        for i in 0..transfers {
            let from = i % accounts;
            let mut to = rng.below(accounts as u64) as usize;
            if to == from {
                to = (to + 1) % accounts;
            }
            let amount = U256::from(1 + rng.below(1_000)) * U256::from(1_000_000_000u64);
            balances[from] -= amount;
            balances[to] += amount;
            txs.push(signed(
                &keys[from],
                nonces[from],
                Some(token),
                transfer_input(&addrs[to], amount),
                TX_GAS,
            ));
            nonces[from] += 1;
            plan.push((from, to, amount));
        }
        println!(
            "  load: {transfers} transfers among {accounts} accounts (each sends {} with consecutive nonces, random recipients), signed in {:.1} s (not timed)",
            transfers.div_ceil(accounts),
            t.elapsed().as_secs_f64()
        );
        Self {
            deployer,
            accounts: addrs,
            token,
            deploy,
            setup,
            txs,
            setup_plan,
            plan,
            expected: balances,
        }
    }

    fn funded(&self) -> Vec<Address> {
        std::iter::once(self.deployer)
            .chain(self.accounts.iter().copied())
            .collect()
    }
}

/// orac: a fresh state with the token deployed and the accounts holding
/// tokens, all through the executor (not timed).
fn orac_token_world(vm: &Vm, load: &TokenLoad) -> Overlay {
    let mut base = MemState::default();
    for a in load.funded() {
        base.fund(a, U256::from(1_000_000u64) * U256::from(ETH));
    }
    let mut state = base.overlay();
    let env = block_env();
    let out = execute_transaction(&mut state, vm, &env, &load.deploy).expect("deploy");
    assert!(out.success, "token deploy failed: {:?}", out.error);
    assert_eq!(out.contract_address, Some(load.token));
    for tx in &load.setup {
        let out = execute_transaction(&mut state, vm, &env, tx).expect("setup");
        assert!(out.success, "setup transfer failed: {:?}", out.error);
    }
    state
}

fn orac_check_balances(state: &mut Overlay, load: &TokenLoad) {
    for (i, a) in load.accounts.iter().enumerate() {
        let v = state.storage(&load.token, &balance_slot(a)).expect("read");
        assert_eq!(
            U256::from_big_endian(v.as_bytes()),
            load.expected[i],
            "orac: wrong token balance for account {i}"
        );
    }
}

/// One measured orac run through the executor; returns tx/s and the gas of
/// the first transfer.
fn orac_executor_run(vm: &Vm, load: &TokenLoad) -> (f64, u64) {
    let mut state = orac_token_world(vm, load);
    let env = block_env();
    let mut ok = 0usize;
    let mut gas = 0;
    let s = secs(|| {
        for tx in &load.txs {
            let out = execute_transaction(&mut state, vm, &env, tx).expect("transfer");
            ok += out.success as usize;
            if gas == 0 {
                gas = out.gas_used;
            }
        }
    });
    assert_eq!(ok, load.txs.len(), "every transfer must succeed");
    orac_check_balances(&mut state, load);
    (load.txs.len() as f64 / s, gas)
}

/// One measured orac run through bare `Vm::call` (no nonce, fee or
/// refund accounting).
fn orac_vm_call_run(vm: &Vm, load: &TokenLoad) -> f64 {
    let mut state = orac_token_world(vm, load);
    let inputs: Vec<&[u8]> = load.txs.iter().map(|t| &t.tx.tx.input.0[..]).collect();
    let gas = TX_GAS - load.txs[0].tx.tx.intrinsic_gas();
    let mut ok = 0usize;
    let s = secs(|| {
        for (i, (from, _, _)) in load.plan.iter().enumerate() {
            let from = load.accounts[*from];
            let r = vm_call(vm, &mut state, from, load.token, inputs[i], gas);
            ok += r.success as usize;
        }
    });
    assert_eq!(ok, load.txs.len(), "every transfer must succeed");
    orac_check_balances(&mut state, load);
    load.txs.len() as f64 / s
}

mod evm {
    use orac_primitives::alloy::ToAlloy;
    use revm::context::result::ExecutionResult;
    use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
    use revm::database::{CacheDB, EmptyDB};
    use revm::handler::{MainnetContext, MainnetEvm};
    use revm::primitives::{Address, B256, Bytes, TxKind, U256};
    use revm::state::AccountInfo;
    use revm::{ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};

    pub(crate) type Evm = MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>;

    pub(crate) fn addr(a: &orac_primitives::Address) -> Address {
        a.to_alloy()
    }

    pub(crate) fn u256(v: orac_primitives::U256) -> U256 {
        v.to_alloy()
    }

    /// An EVM over an in-memory database with `funded` holding ether, and
    /// the same block as orac's benchmark block.
    pub(crate) fn new(funded: &[orac_primitives::Address], unlimited_gas: bool) -> Evm {
        let mut db = CacheDB::new(EmptyDB::default());
        for a in funded {
            db.insert_account_info(
                addr(a),
                AccountInfo {
                    balance: U256::from(10u64).pow(U256::from(24u64)),
                    nonce: 0,
                    ..Default::default()
                },
            );
        }
        Context::mainnet()
            .with_db(db)
            .modify_cfg_chained(|c: &mut CfgEnv| {
                c.chain_id = super::CHAIN_ID;
                if unlimited_gas {
                    c.tx_gas_limit_cap = Some(u64::MAX);
                }
            })
            .modify_block_chained(|b: &mut BlockEnv| {
                b.number = U256::from(1u64);
                b.timestamp = U256::from(1_700_000_000u64);
                b.beneficiary = addr(&super::COINBASE);
                b.basefee = if unlimited_gas { 0 } else { super::BASE_FEE };
                b.gas_limit = if unlimited_gas { u64::MAX } else { 30_000_000 };
                b.prevrandao = Some(B256::repeat_byte(0x5e));
            })
            .build_mainnet()
    }

    pub(crate) fn tx(
        caller: &orac_primitives::Address,
        nonce: u64,
        to: Option<Address>,
        data: Vec<u8>,
        gas_limit: u64,
        price: u128,
    ) -> TxEnv {
        TxEnv {
            tx_type: 2,
            caller: addr(caller),
            gas_limit,
            gas_price: price,
            gas_priority_fee: Some(if price == 0 { 0 } else { 1_000_000_000 }),
            kind: match to {
                Some(a) => TxKind::Call(a),
                None => TxKind::Create,
            },
            value: U256::ZERO,
            data: Bytes::from(data),
            nonce,
            chain_id: Some(super::CHAIN_ID),
            ..Default::default()
        }
    }

    pub(crate) fn run(evm: &mut Evm, tx: TxEnv) -> ExecutionResult {
        evm.transact_commit(tx).expect("revm: valid transaction")
    }

    /// Runs without committing (for calls whose effects do not matter).
    pub(crate) fn run_no_commit(evm: &mut Evm, tx: TxEnv) -> ExecutionResult {
        evm.transact(tx).expect("revm: valid transaction").result
    }

    pub(crate) fn storage(evm: &mut Evm, a: Address, slot: U256) -> U256 {
        use revm::Database;
        evm.ctx
            .journaled_state
            .database
            .storage(a, slot)
            .expect("in-memory")
    }
}

/// revm: a fresh database with the Solidity token deployed and the same
/// setup transfers (not timed).
fn revm_token_world(load: &TokenLoad) -> (evm::Evm, revm::primitives::Address) {
    let mut e = evm::new(&load.funded(), false);
    let price = 2 * BASE_FEE as u128;
    let r = evm::run(
        &mut e,
        evm::tx(&load.deployer, 0, None, unhex(TOKEN_BIN), 5_000_000, price),
    );
    let token = match r {
        revm::context::result::ExecutionResult::Success { .. } => {
            r.created_address().expect("created")
        }
        other => panic!("revm token deploy failed: {other:?}"),
    };
    for (n, (_, to, amount)) in load.setup_plan.iter().enumerate() {
        let r = evm::run(
            &mut e,
            evm::tx(
                &load.deployer,
                n as u64 + 1,
                Some(token),
                transfer_input(&load.accounts[*to], *amount),
                TX_GAS,
                price,
            ),
        );
        assert!(r.is_success(), "revm setup transfer failed: {r:?}");
    }
    (e, token)
}

fn revm_run(load: &TokenLoad) -> (f64, u64) {
    let (mut e, token) = revm_token_world(load);
    let price = 2 * BASE_FEE as u128;
    let mut nonces = vec![0u64; load.accounts.len()];
    let txs: Vec<_> = load
        .plan
        .iter()
        .map(|(from, to, amount)| {
            let n = nonces[*from];
            nonces[*from] += 1;
            evm::tx(
                &load.accounts[*from],
                n,
                Some(token),
                transfer_input(&load.accounts[*to], *amount),
                TX_GAS,
                price,
            )
        })
        .collect();
    let mut ok = 0usize;
    let mut gas = 0;
    let n = txs.len();
    let s = secs(|| {
        for tx in txs {
            let r = evm::run(&mut e, tx);
            ok += r.is_success() as usize;
            if gas == 0 {
                gas = r.tx_gas_used();
            }
        }
    });
    assert_eq!(ok, n, "every revm transfer must succeed");
    for (i, a) in load.accounts.iter().enumerate() {
        let slot = revm::primitives::U256::from_be_bytes(balance_slot(a).0);
        assert_eq!(
            evm::storage(&mut e, token, slot),
            evm::u256(load.expected[i]),
            "revm: wrong token balance for account {i}"
        );
    }
    (n as f64 / s, gas)
}

fn token(args: &Args) {
    println!("\n== 1. token transfers: transfer(address,uint256), 2 SLOAD + 2 SSTORE + LOG3 each");
    let load = TokenLoad::new(args.transfers, args.accounts);
    let vm = vm();
    let mut rows: Vec<(String, Vec<f64>, u64)> = vec![
        ("orac  execute_transaction".into(), vec![], 0),
        ("orac  Vm::call".into(), vec![], 0),
        ("revm  transact_commit (CacheDB)".into(), vec![], 0),
    ];
    for round in 0..=args.runs {
        // Interleaved, so drift (thermal, other load) hits every row alike.
        let (a, ga) = orac_executor_run(&vm, &load);
        let b = orac_vm_call_run(&vm, &load);
        let (d, gd) = revm_run(&load);
        if round == 0 {
            rows[0].2 = ga;
            rows[2].2 = gd;
            continue; // warm-up
        }
        rows[0].1.push(a);
        rows[1].1.push(b);
        rows[2].1.push(d);
    }
    println!(
        "  {:<40} {:>12} {:>12} {:>12} {:>10}",
        "", "median tx/s", "min", "max", "gas/tx"
    );
    for (name, v, gas) in &rows {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(0.0, f64::max);
        println!(
            "  {:<40} {:>12} {:>12} {:>12} {:>10}",
            name,
            thousands(median(v)),
            thousands(min),
            thousands(max),
            if *gas == 0 {
                "-".to_string()
            } else {
                thousands(*gas as f64)
            }
        );
    }
    for (name, v, gas) in &rows {
        if *gas > 0 {
            println!(
                "  {:<40} {:>7.2} µs/tx, {:.3} ns/gas",
                name,
                1e6 / median(v),
                1e9 / median(v) / *gas as f64
            );
        }
    }
    let revm = median(&rows[2].1);
    println!(
        "  ratio orac/revm (execute_transaction): {:.2}",
        median(&rows[0].1) / revm
    );
    println!(
        "  ratio orac/revm (Vm::call):            {:.2}",
        median(&rows[1].1) / revm
    );
    println!(
        "  ({} runs after a warm-up; each run: fresh state, deploy + {} setup transfers untimed, then the {} timed transfers; final balances checked on both sides)",
        args.runs, args.accounts, args.transfers
    );
}

// ---------------------------------------------------------------------------
// 2. Compute
// ---------------------------------------------------------------------------

fn compute(args: &Args) {
    println!(
        "\n== 2. compute: work({}) = {} rounds of 64-bit xorshift+LCG, then 1,000 chained keccak256",
        args.compute_n, args.compute_n
    );
    let me = Address::repeat_byte(0xaa);
    let contract = Address::repeat_byte(0xc0);
    let input = work_input(args.compute_n);
    let mut results: Vec<(String, f64, u64)> = Vec::new();
    let mut outputs = Vec::new();
    {
        let vm = vm();
        let mut base = MemState::default();
        base.install(contract, COMPUTE_WASM);
        let base = Arc::new(base);
        let mut times = Vec::new();
        let mut gas = 0;
        for round in 0..=args.runs.max(5) {
            let mut state = Overlay::new(base.clone());
            let mut r = None;
            let s = secs(|| r = Some(vm_call(&vm, &mut state, me, contract, &input, 1 << 40)));
            let r = r.expect("ran");
            assert!(r.success, "compute failed: {:?}", r.error);
            gas = (1u64 << 40) - r.gas_left;
            if round == 0 {
                outputs.push(r.output.clone());
                continue;
            }
            times.push(s);
        }
        results.push(("orac".into(), median(&times), gas));
    }
    {
        let mut e = evm::new(&[me], true);
        let r = evm::run(
            &mut e,
            evm::tx(&me, 0, None, unhex(COMPUTE_BIN), 10_000_000, 0),
        );
        let addr = r.created_address().expect("compute deployed");
        let mut times = Vec::new();
        let mut gas = 0;
        for round in 0..=args.runs {
            let tx = evm::tx(&me, 1, Some(addr), input.clone(), 1 << 40, 0);
            let mut r = None;
            let s = secs(|| r = Some(evm::run_no_commit(&mut e, tx)));
            let r = r.expect("ran");
            assert!(r.is_success(), "revm compute failed: {r:?}");
            gas = r.tx_gas_used();
            if round == 0 {
                outputs.push(r.output().expect("output").to_vec());
                continue;
            }
            times.push(s);
        }
        results.push(("revm".into(), median(&times), gas));
    }
    assert!(
        outputs.windows(2).all(|w| w[0] == w[1]),
        "orac and revm disagree on work(n): {:?}",
        outputs.iter().map(hex::encode).collect::<Vec<_>>()
    );
    println!(
        "  result 0x{} (identical on every engine)",
        hex::encode(&outputs[0])
    );
    println!(
        "  {:<18} {:>12} {:>10} {:>14} {:>10}",
        "", "ms/call", "calls/s", "gas used", "ns/gas"
    );
    for (name, s, gas) in &results {
        println!(
            "  {:<18} {:>12.3} {:>10.1} {:>14} {:>10.3}",
            name,
            s * 1e3,
            1.0 / s,
            thousands(*gas as f64),
            s * 1e9 / *gas as f64
        );
    }
    println!(
        "  ratio orac/revm (calls/s): {:.1}",
        results[1].1 / results[0].1
    );
}

// ---------------------------------------------------------------------------
// 3. Compile time
// ---------------------------------------------------------------------------

struct CompileTime {
    /// validate + instrument, seconds.
    front: f64,
    /// Whole `prepare`: validate, instrument, compile, link.
    total: f64,
}

fn compile_time(vm: &Vm, code: &[u8]) -> CompileTime {
    let once = || {
        vm.engine().clear_memory_cache();
        let front = secs(|| {
            let info = orac_vm::validate::validate(code).expect("valid");
            black_box(orac_vm::instrument::instrument(code, &info).expect("instrumented"));
        });
        let total = secs(|| vm.precompile(code).expect("compiles"));
        CompileTime { front, total }
    };
    let first = once();
    if first.total > 2.0 {
        return first;
    }
    let mut fronts = vec![first.front];
    let mut totals = vec![first.total];
    for _ in 0..4 {
        let t = once();
        fronts.push(t.front);
        totals.push(t.total);
    }
    CompileTime {
        front: median(&fronts),
        total: median(&totals),
    }
}

fn compile(extreme: bool) {
    println!(
        "\n== 3. compile time (validate + instrument + compile + link, i.e. Vm::precompile; median of 5, or 1 run if > 2 s)"
    );
    let shapes = shapes(extreme);
    let vm = vm();
    println!(
        "  {:<52} {:>8} {:>11} {:>9} {:>10} {:>12}",
        "module", "KB", "compile", "ms/KB", "front ms", "deploy tx gas"
    );
    let mut ordinary = (0.0, 0.0);
    let mut worst: (f64, &str, f64) = (0.0, "", 0.0);
    for s in &shapes {
        if let Err(e) = orac_vm::validate::validate(&s.code) {
            println!("  {:<52} refused at deploy: {e}", s.name);
            continue;
        }
        let kb = s.code.len() as f64 / 1024.0;
        let c = compile_time(&vm, &s.code);
        let gas = deploy_tx_gas(&s.code);
        println!(
            "  {:<52} {:>8.1} {:>8.1} ms {:>9.2} {:>10.1} {:>12}",
            s.name,
            kb,
            c.total * 1e3,
            c.total * 1e3 / kb,
            c.front * 1e3,
            format!(
                "{}{}",
                thousands(gas as f64),
                if gas > BLOCK_GAS_LIMIT { "*" } else { "" }
            )
        );
        if s.ordinary {
            ordinary.0 += c.total;
            ordinary.1 += kb;
        } else if c.total > worst.0 {
            worst = (c.total, &s.name, kb);
        }
    }
    println!(
        "  ordinary code {:.2} ms/KB (contracts + generated module together); worst shape: {} ({:.1} KB) {:.0} ms = {:.2} ms/KB",
        ordinary.0 * 1e3 / ordinary.1,
        worst.1,
        worst.2,
        worst.0 * 1e3,
        worst.0 * 1e3 / worst.2
    );
    println!(
        "  (* = the deploy transaction needs more than a 30M-gas block. Deploy tx gas = intrinsic + (CODE_DEPOSIT_BYTE + COMPILE_BYTE) x bytes = {} gas/byte; COMPILE_BYTE alone is {} gas/byte)",
        orac_vm::gas::CODE_DEPOSIT_BYTE + orac_vm::gas::COMPILE_BYTE,
        orac_vm::gas::COMPILE_BYTE
    );
}

fn explore_bombs(specs: &[String]) {
    println!("\n== br_table JIT bombs (validate + instrument + compile + link, one run each)");
    let vm = vm();
    for spec in specs {
        let (d, l) = spec
            .split_once(',')
            .and_then(|(d, l)| {
                Some((
                    d.trim().parse::<usize>().ok()?,
                    l.trim().parse::<usize>().ok()?,
                ))
            })
            .expect("--bomb DEPTH,LOCALS");
        let code = module(&[br_table_bomb(d, l)]);
        if let Err(e) = orac_vm::validate::validate(&code) {
            println!("  depth {d:>5}, locals {l:>5}: refused at deploy: {e}");
            continue;
        }
        let t = compile_time(&vm, &code);
        let gas = deploy_tx_gas(&code);
        println!(
            "  depth {d:>5}, locals {l:>5}: {:>6.1} KB, {:>10.1} ms, {:>8.1} ms/KB, deploy tx gas {}{}",
            code.len() as f64 / 1024.0,
            t.total * 1e3,
            t.total * 1e3 / (code.len() as f64 / 1024.0),
            thousands(gas as f64),
            if gas > BLOCK_GAS_LIMIT {
                " (> 30M)"
            } else {
                ""
            }
        );
    }
}

// ---------------------------------------------------------------------------
// 4. Instantiation
// ---------------------------------------------------------------------------

/// The store data of the bare instantiation measurement: a limiter like the
/// VM's frames, nothing else.
struct Host {
    memory_pages: u64,
}

impl wasmtime::ResourceLimiter for Host {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.memory_pages = (desired / 65_536) as u64;
        Ok(self.memory_pages <= orac_vm::limits::MAX_MEMORY_PAGES)
    }
    fn table_growing(
        &mut self,
        _: usize,
        desired: usize,
        _: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= orac_vm::limits::MAX_TABLE_ELEMENTS as usize)
    }
    fn instances(&self) -> usize {
        1
    }
    fn tables(&self) -> usize {
        1
    }
    fn memories(&self) -> usize {
        1
    }
}

/// orac's engine configuration (pooling allocator, fuel, ...) with every
/// host function defined as a no-op, and `code` validated, instrumented and
/// compiled as the VM does.
fn bare_instance_pre(code: &[u8]) -> (wasmtime::Engine, wasmtime::InstancePre<Host>) {
    bare_instance_pre_with(orac_vm::engine::engine_config(), code)
}

/// orac's engine configuration with `keep` bytes of each linear memory
/// reset with memset instead of madvise when an instance is freed (0: all
/// madvise, wasmtime's default; orac's own choice is in vm/src/engine.rs).
fn config_keep_resident(keep: usize) -> wasmtime::Config {
    let mut c = orac_vm::engine::engine_config();
    c.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(
        orac_vm::engine::pooling_config(keep),
    ));
    c
}

fn bare_instance_pre_with(
    config: wasmtime::Config,
    code: &[u8],
) -> (wasmtime::Engine, wasmtime::InstancePre<Host>) {
    use wasmtime::{Engine, FuncType, Linker, Module, ValType};
    let engine = Engine::new(&config).expect("engine");
    let mut linker: Linker<Host> = Linker::new(&engine);
    let ty = |t: &dyn std::fmt::Display| match t.to_string().as_str() {
        "i32" => ValType::I32,
        "i64" => ValType::I64,
        other => panic!("unexpected host ABI type {other}"),
    };
    for sig in orac_vm::host::abi::HOST_FUNCTIONS
        .iter()
        .chain(orac_vm::host::abi::INTERNAL_FUNCTIONS)
    {
        let f = FuncType::new(
            &engine,
            sig.params.iter().map(|t| ty(t)),
            sig.results.iter().map(|t| ty(t)),
        );
        linker
            .func_new(orac_vm::host::abi::MODULE, sig.name, f, |_, _, results| {
                for r in results.iter_mut() {
                    *r = match r {
                        wasmtime::Val::I64(_) => wasmtime::Val::I64(0),
                        _ => wasmtime::Val::I32(0),
                    };
                }
                Ok(())
            })
            .expect("define");
    }
    let info = orac_vm::validate::validate(code).expect("valid");
    let instrumented = orac_vm::instrument::instrument(code, &info).expect("instrumented");
    let module = Module::new(&engine, &instrumented).expect("compiles");
    let pre = linker.instantiate_pre(&module).expect("links");
    (engine, pre)
}

/// Median over batches of the mean µs per iteration of `f`.
fn per_iter_us(batches: usize, per_batch: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..per_batch {
        f(); // warm-up
    }
    let mut v = Vec::new();
    for _ in 0..batches {
        let t = Instant::now();
        for _ in 0..per_batch {
            f();
        }
        v.push(t.elapsed().as_secs_f64() * 1e6 / per_batch as f64);
    }
    median(&v)
}

const TRIVIAL: &str = r#"(module (memory (export "memory") 1) (func (export "call")))"#;
/// Writes one word in each 4 KiB OS page of its one 64 KiB wasm page, as a
/// Rust contract using its stack and data does to a few of them.
const TOUCH: &str = r#"(module (memory (export "memory") 1)
  (func (export "call") (local $p i32)
    (loop $l
      (i64.store (local.get $p) (i64.const 1))
      (local.set $p (i32.add (local.get $p) (i32.const 4096)))
      (br_if $l (i32.lt_u (local.get $p) (i32.const 65536))))))"#;

fn instantiate() {
    println!(
        "\n== 4. cached instantiation (module already compiled; pooling allocator; median of 15 batches)"
    );
    let trivial = wat::parse_str(TRIVIAL).expect("wat");
    // A large module whose `call` does nothing: what a call costs that
    // does not depend on the code running.
    let big = module(&(0..560).map(ordinary_function).collect::<Vec<_>>());
    let modules: [(&str, &[u8]); 3] = [
        ("trivial (1 page, empty call)", &trivial),
        ("token.wasm", TOKEN_WASM),
        ("generated 560-function module", &big),
    ];
    println!(
        "  {:<34} {:>10} {:>22} {:>18}",
        "module", "KB", "store+instantiate µs", "+ entry call µs"
    );
    for (name, code) in modules {
        {
            let (engine, pre) = bare_instance_pre(code);
            let inst = per_iter_us(15, 2_000, || {
                let mut store = wasmtime::Store::new(&engine, Host { memory_pages: 0 });
                store.limiter(|h| h);
                store.set_fuel(1_000_000).expect("fuel");
                black_box(pre.instantiate(&mut store).expect("instantiate"));
            });
            let with_call = per_iter_us(15, 2_000, || {
                let mut store = wasmtime::Store::new(&engine, Host { memory_pages: 0 });
                store.limiter(|h| h);
                store.set_fuel(1_000_000).expect("fuel");
                let i = pre.instantiate(&mut store).expect("instantiate");
                black_box(i.get_memory(&mut store, "memory"));
                if let Some(g) = i.get_global(&mut store, orac_vm::host::abi::STACK_GLOBAL) {
                    g.set(&mut store, wasmtime::Val::I32(16)).expect("set");
                }
                if name.starts_with("trivial") {
                    let f = i
                        .get_typed_func::<(), ()>(&mut store, "call")
                        .expect("call export");
                    f.call(&mut store, ()).expect("runs");
                }
            });
            println!(
                "  {:<34} {:>10.1} {:>22.2} {:>18}",
                name,
                code.len() as f64 / 1024.0,
                inst,
                if name.starts_with("trivial") {
                    format!("{with_call:.2}")
                } else {
                    format!("{with_call:.2} (no call)")
                }
            );
        }
    }
    println!(
        "  memory reset when an instance is freed (store + instantiate + call + drop; the call writes one word per 4 KiB of its 64 KiB page):"
    );
    let touch = wat::parse_str(TOUCH).expect("wat");
    for (label, keep) in [
        ("orac's pool config (madvise on free)", 0usize),
        ("+ linear_memory_keep_resident(64 KiB)", 64 << 10),
        ("+ linear_memory_keep_resident(1 MiB)", 1 << 20),
    ] {
        let (engine, pre) = bare_instance_pre_with(config_keep_resident(keep), &touch);
        let us = per_iter_us(15, 2_000, || {
            let mut store = wasmtime::Store::new(&engine, Host { memory_pages: 0 });
            store.limiter(|h| h);
            store.set_fuel(1_000_000).expect("fuel");
            let i = pre.instantiate(&mut store).expect("instantiate");
            let f = i
                .get_typed_func::<(), ()>(&mut store, "call")
                .expect("call export");
            f.call(&mut store, ()).expect("runs");
        });
        println!("    {label:<44} {us:>8.2} µs");
    }
    println!(
        "  whole Vm::call of a contract whose `call` does nothing (account lookup, module cache hit by code hash, an idle instance reused and reset, run):"
    );
    let me = Address::repeat_byte(0xaa);
    for (name, code) in [
        ("trivial", &trivial[..]),
        ("generated 560-function module, 'call' empty", &big[..]),
    ] {
        {
            let vm = vm();
            let to = Address::repeat_byte(0xc1);
            let mut base = MemState::default();
            base.install(to, code);
            let mut state = base.overlay();
            let us = per_iter_us(15, 2_000, || {
                let r = vm_call(&vm, &mut state, me, to, &[], 100_000);
                assert!(r.success);
            });
            println!(
                "  {:<48} {:>6.1} KB {:>8.2} µs/call",
                name,
                code.len() as f64 / 1024.0,
                us
            );
        }
    }
    // The part of a call that grows with the code: hashing it.
    let h = per_iter_us(15, 200, || {
        black_box(orac_primitives::keccak256(black_box(&big[..])));
    });
    println!(
        "  (keccak256 of the {:.1} KB module alone: {:.1} µs: what every call cost before the VM took the hash from the account)",
        big.len() as f64 / 1024.0,
        h
    );
    let _ = H256::zero();
}
