//! Gas-schedule calibration: how many nanoseconds one unit of gas buys,
//! item by item — WebAssembly instruction mixes and every host function —
//! so the schedule (vm/src/gas.rs) can make a unit of gas cost about the
//! same time whatever spends it. Prints a table: item, gas charged per unit
//! (as the VM actually charged it), measured ns per unit, ns per gas.
//!
//! Method: every item is a small WebAssembly contract (WAT) whose `call`
//! runs a loop of N iterations of the item's body. It runs through the
//! whole VM (`Vm::call`, fresh overlay each run), and the same contract
//! with an empty body is the baseline: ns and gas of the item = (body run)
//! − (empty run), divided by N. Medians of several runs after a warm-up.
//!
//! `cargo run --release -p orac-bench --bin calibrate`
//!
//! It lives with the benchmarks, not beside the schedule, because it is a
//! measurement: it prints a table that a person reads when setting
//! vm/src/gas.rs (whose header points here) and generates nothing the node
//! loads. It runs on the bench library's kit (`MemState`, the benchmark
//! contracts, `wasmgen`'s compile shapes, `median`), as vm-bench does, and
//! its results are kept with theirs in bench/results/.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use orac_bench::vmkit::*;
use orac_chain::executor::execute_transaction;
use orac_primitives::{Account, Address, Bytes, H256, Header, RecoveredTx, U256, keccak256};
use orac_state::{Overlay, SharedReader};
use orac_vm::{Vm, VmConfig, gas};

#[derive(Parser)]
#[command(about = "orac gas-schedule calibration: ns per gas of WebAssembly and host functions")]
struct Args {
    /// Measured runs per item (after one warm-up); medians are reported.
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Scale every item's iteration count (e.g. 0.2 for a quick look).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Only items whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Skip the compile-time items (they take a while).
    #[arg(long)]
    no_compile: bool,
}

const ME: Address = Address::repeat_byte(0xaa);
const TOOL: Address = Address::repeat_byte(0xc0);
const CALLEE: Address = Address::repeat_byte(0xc1);
const RETURNER: Address = Address::repeat_byte(0xc2);
const GAS: u64 = 1 << 40;

/// Where a contract's parameters sit in its calldata (copied to memory 0):
/// 0: N (u32), 4: $v (u32), 8: $k, 16: $q, 24..56: $a $b $c $d (u64 each);
/// 64..: extra data.
struct Params {
    n: u32,
    v: u32,
    extra: Vec<u8>,
}

fn calldata(p: &Params) -> Vec<u8> {
    let mut d = vec![0u8; 64];
    d[0..4].copy_from_slice(&p.n.to_le_bytes());
    d[4..8].copy_from_slice(&p.v.to_le_bytes());
    d[8..16].copy_from_slice(&0x9E37_79B9_7F4A_7C15u64.to_le_bytes());
    d[16..24].copy_from_slice(&7u64.to_le_bytes());
    for (i, x) in [0x1234_5678_9abc_def1u64, 2, 3, 4].iter().enumerate() {
        d[24 + 8 * i..32 + 8 * i].copy_from_slice(&x.to_le_bytes());
    }
    d.extend_from_slice(&p.extra);
    d
}

/// The calibration contract: imports every host function, copies the
/// calldata to memory, reads the parameters into locals, runs `body` N
/// times, and stores the accumulators so nothing is dead code.
fn tool(pages: u32, extra: &str, setup: &str, body: &str) -> Vec<u8> {
    let mut imports = String::new();
    for sig in orac_vm::host::abi::HOST_FUNCTIONS {
        imports.push_str(&format!(
            "(import \"orac\" \"{0}\" (func ${0} (param {1}) (result {2})))\n",
            sig.name,
            type_list(sig.params),
            type_list(sig.results)
        ));
    }
    let text = format!(
        r#"(module
  {imports}
  (memory (export "memory") {pages})
  (type $t (func (param i64) (result i64)))
  (table 1 funcref)
  (elem (i32.const 0) $inc)
  (global $g0 (mut i64) (i64.const 1))
  (global $g1 (mut i64) (i64.const 2))
  (global $g2 (mut i64) (i64.const 3))
  (global $g3 (mut i64) (i64.const 4))
  (func $inc (param i64) (result i64) (i64.add (local.get 0) (i64.const 1)))
  {extra}
  (func (export "call")
    (local $n i32) (local $i i32) (local $v i32) (local $p i32) (local $len i32) (local $zero i32)
    (local $k i64) (local $q i64) (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local.set $len (call $calldata_size))
    (call $calldata_copy (i32.const 0) (i32.const 0) (local.get $len))
    (local.set $n (i32.load (i32.const 0)))
    (local.set $v (i32.load (i32.const 4)))
    (local.set $k (i64.load (i32.const 8)))
    (local.set $q (i64.load (i32.const 16)))
    (local.set $a (i64.load (i32.const 24)))
    (local.set $b (i64.load (i32.const 32)))
    (local.set $c (i64.load (i32.const 40)))
    (local.set $d (i64.load (i32.const 48)))
    (local.set $p (i32.const 1024))
    {setup}
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      {body}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $top)))
    (i64.store (i32.const 56)
      (i64.add (i64.add (local.get $a) (local.get $b)) (i64.add (local.get $c) (local.get $d))))
    (i64.store (i32.const 48)
      (i64.add (i64.add (global.get $g0) (global.get $g1)) (i64.add (global.get $g2) (global.get $g3))))
  ))"#
    );
    wat::parse_str(&text).unwrap_or_else(|e| panic!("calibration WAT: {e}\n{text}"))
}

/// "i32 i64 ..." for a list of host ABI value types.
fn type_list<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn repeat(s: &str, times: usize) -> String {
    (0..times)
        .map(|j| {
            s.replace("{j}", &j.to_string())
                .replace("{j8}", &(j * 8).to_string())
                .replace("{j4k}", &(j * 4096).to_string())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Four independent accumulators, each updated by `op` `unroll` times.
fn four(op: &str, unroll: usize) -> String {
    let mut s = String::new();
    for _ in 0..unroll {
        for acc in ["$a", "$b", "$c", "$d"] {
            s.push_str(&op.replace("$x", acc));
            s.push('\n');
        }
    }
    s
}

struct Item {
    name: String,
    /// What one iteration is ("op", "byte", "call", ...), for the table.
    unit: &'static str,
    /// Units per iteration (e.g. 32 adds, or 32,768 bytes).
    per_iter: f64,
    /// Iterations per measured call.
    n: u32,
    v: u32,
    extra: Vec<u8>,
    /// The state the contract runs on.
    base: SharedReader,
    /// Print under this section heading.
    section: &'static str,
}

struct Measured {
    ns_per_unit: f64,
    gas_per_unit: f64,
}

fn run_once(vm: &Vm, base: &SharedReader, input: &[u8]) -> (f64, u64) {
    let mut state = Overlay::new(base.clone());
    let t = Instant::now();
    let r = vm_call(vm, &mut state, ME, TOOL, input, GAS);
    let s = t.elapsed().as_secs_f64();
    assert!(r.success, "calibration call failed: {:?}", r.error);
    drop(state);
    (s, GAS - r.gas_left)
}

fn measure(vm: &Vm, item: &Item, runs: usize) -> Measured {
    let full = calldata(&Params {
        n: item.n,
        v: item.v,
        extra: item.extra.clone(),
    });
    let empty = calldata(&Params {
        n: 0,
        v: item.v,
        extra: item.extra.clone(),
    });
    let mut dt = Vec::new();
    let mut dg = Vec::new();
    for round in 0..=runs {
        let (t0, g0) = run_once(vm, &item.base, &empty);
        let (t1, g1) = run_once(vm, &item.base, &full);
        if round == 0 {
            continue;
        }
        dt.push(t1 - t0);
        dg.push(g1 as f64 - g0 as f64);
    }
    let units = item.n as f64 * item.per_iter;
    Measured {
        ns_per_unit: median(&dt) * 1e9 / units,
        gas_per_unit: median(&dg) / units,
    }
}

fn mem_base(s: MemState) -> SharedReader {
    Arc::new(s)
}

/// A storage key whose last four bytes are `i` little-endian (as the WAT
/// writes it with i32.store).
fn key_word(i: u32) -> H256 {
    let mut w = [0u8; 32];
    w[28..].copy_from_slice(&i.to_le_bytes());
    H256(w)
}

/// The same starting state as `mem`, in a real redb database (the node's
/// storage), read through `LatestState` like the block producer does.
fn redb_base(mem: &MemState, dir: &std::path::Path) -> SharedReader {
    use orac_state::{Db, DbConfig, StateChanges};
    std::fs::create_dir_all(dir).expect("tmp dir");
    let db = Db::open(&dir.join("calibrate.redb"), &DbConfig::default()).expect("open redb");
    let mut changes = StateChanges::default();
    for (a, acc) in &mem.accounts {
        changes.accounts.insert(*a, Some(acc.clone()));
    }
    for ((a, k), v) in &mem.storage {
        changes.storage.entry(*a).or_default().insert(*k, *v);
    }
    for (h, c) in &mem.code {
        changes.code.insert(*h, c.clone());
    }
    db.init_genesis(CHAIN_ID, &changes, |root| Header {
        beneficiary: COINBASE,
        timestamp: 0,
        base_fee_per_gas: U256::from(BASE_FEE),
        ..Header::test_header(0, H256::zero(), root)
    })
    .expect("genesis");
    let snap = db.snapshot().expect("snapshot");
    let state = snap.latest_state().expect("latest state");
    Arc::new(Redb { state, _db: db })
}

/// `LatestState` keeps the database open while it is read.
struct Redb {
    state: orac_state::LatestState,
    _db: orac_state::Db,
}

impl orac_state::StateReader for Redb {
    fn account(&self, a: &Address) -> Result<Option<Account>, orac_state::StateError> {
        self.state.account(a)
    }
    fn storage(&self, a: &Address, slot: &H256) -> Result<H256, orac_state::StateError> {
        self.state.storage(a, slot)
    }
    fn code(&self, hash: &H256) -> Result<Bytes, orac_state::StateError> {
        self.state.code(hash)
    }
}

const TRIVIAL_CALLEE: &str = r#"(module (memory (export "memory") 1) (func (export "call")))"#;
const RETURNER_WAT: &str = r#"(module
  (import "orac" "set_return" (func $set_return (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "call") (call $set_return (i32.const 0) (i32.const 32768))))"#;
const CHILD_WAT: &str =
    r#"(module (memory (export "memory") 1) (func (export "call")) (func (export "deploy")))"#;

/// Existing slots the cold-read and overwrite items touch.
const SLOTS: u32 = 20_000;

/// `n` scaled by `--scale` (at least 1).
fn scaled(scale: f64, n: u32) -> u32 {
    ((n as f64 * scale).round() as u32).max(1)
}

/// One calibration item as the lists below write it: the loop body and how
/// it is counted, with defaults for the rest (one page of memory, no setup,
/// `$v` = 0, no extra calldata).
struct Spec {
    name: &'static str,
    unit: &'static str,
    per_iter: f64,
    n: u32,
    body: String,
    pages: u32,
    setup: &'static str,
    v: u32,
    extra: Vec<u8>,
}

impl Spec {
    fn new(
        name: &'static str,
        unit: &'static str,
        per_iter: f64,
        n: u32,
        body: impl Into<String>,
    ) -> Spec {
        Spec {
            name,
            unit,
            per_iter,
            n,
            body: body.into(),
            pages: 1,
            setup: "",
            v: 0,
            extra: Vec::new(),
        }
    }

    /// Initial memory pages.
    fn pages(mut self, pages: u32) -> Spec {
        self.pages = pages;
        self
    }

    /// WAT run once before the loop.
    fn setup(mut self, setup: &'static str) -> Spec {
        self.setup = setup;
        self
    }

    /// The value of `$v` in the loop.
    fn v(mut self, v: u32) -> Spec {
        self.v = v;
        self
    }

    /// Calldata after the parameters (at memory offset 64).
    fn extra(mut self, extra: Vec<u8>) -> Spec {
        self.extra = extra;
        self
    }

    /// The item: the tool contract with this body installed on `base`.
    fn item(self, section: &'static str, base: &MemState) -> Item {
        let code = tool(self.pages, "", self.setup, &self.body);
        let mut b = base.clone();
        b.install(TOOL, &code);
        Item {
            name: self.name.to_string(),
            unit: self.unit,
            per_iter: self.per_iter,
            n: self.n,
            v: self.v,
            extra: self.extra,
            base: mem_base(b),
            section,
        }
    }
}

/// Every item, in the table's order.
fn items(scale: f64, tmp: &std::path::Path) -> Vec<Item> {
    let plain = plain_state();
    let section = |name: &'static str, specs: Vec<Spec>| -> Vec<Item> {
        specs.into_iter().map(|s| s.item(name, &plain)).collect()
    };
    let mut v = section("WebAssembly", wasm_specs(scale));
    v.extend(section("host", env_specs(scale)));
    v.extend(cold_storage_items(&plain, tmp, scale));
    v.extend(section("host", storage_specs(scale)));
    v.extend(section("host", crypto_specs(scale)));
    v.extend(section("host", log_specs(scale)));
    v.extend(section("host", call_specs(scale)));
    v.extend(section("host", data_specs(scale)));
    v
}

/// The state every item starts from: a funded caller, an empty callee, a
/// contract returning 32 KiB, and `SLOTS` existing slots of the tool.
fn plain_state() -> MemState {
    let trivial = wat::parse_str(TRIVIAL_CALLEE).expect("wat");
    let returner = wat::parse_str(RETURNER_WAT).expect("wat");
    let mut plain = MemState::default();
    plain.fund(ME, U256::from(10u64).pow(U256::from(24u64)));
    plain.install(CALLEE, &trivial);
    plain.install(RETURNER, &returner);
    for i in 0..SLOTS {
        plain
            .storage
            .insert((TOOL, key_word(i)), H256::repeat_byte(0x11));
    }
    plain
}

/// WebAssembly instruction mixes, memory bulk operations and growth.
fn wasm_specs(scale: f64) -> Vec<Spec> {
    let sc = |n| scaled(scale, n);
    vec![
        Spec::new(
            "loop overhead (compare, br_if, add, br)",
            "iteration",
            1.0,
            sc(2_000_000),
            "",
        ),
        Spec::new(
            "i64.add (4 independent chains)",
            "op",
            32.0,
            sc(200_000),
            four("(local.set $x (i64.add (local.get $x) (local.get $k)))", 8),
        ),
        Spec::new(
            "i64.mul (4 independent chains)",
            "op",
            32.0,
            sc(200_000),
            four("(local.set $x (i64.mul (local.get $x) (local.get $k)))", 8),
        ),
        Spec::new(
            "i64.xor/shl/shr mix (xorshift)",
            "round",
            4.0,
            sc(1_000_000),
            four(
                "(local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13)))) (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))",
                1,
            ),
        ),
        Spec::new(
            "i64.div_u (4 chains)",
            "op",
            16.0,
            sc(200_000),
            four(
                "(local.set $x (i64.add (i64.div_u (local.get $x) (local.get $q)) (local.get $k)))",
                4,
            ),
        ),
        Spec::new(
            "i64.rem_u (4 chains)",
            "op",
            16.0,
            sc(200_000),
            four(
                "(local.set $x (i64.add (i64.rem_u (local.get $x) (local.get $q)) (local.get $k)))",
                4,
            ),
        ),
        Spec::new(
            "i32.div_s (4 chains)",
            "op",
            16.0,
            sc(200_000),
            four(
                "(local.set $x (i64.extend_i32_s (i32.add (i32.div_s (i32.wrap_i64 (local.get $x)) (i32.wrap_i64 (local.get $q))) (i32.const 12345))))",
                4,
            ),
        ),
        Spec::new(
            "i64.load (32 addresses)",
            "load",
            32.0,
            sc(200_000),
            repeat(
                "(local.set $a (i64.add (local.get $a) (i64.load offset={j8} (local.get $p))))",
                32,
            ),
        ),
        Spec::new(
            "i64.store (32 addresses)",
            "store",
            32.0,
            sc(200_000),
            repeat("(i64.store offset={j8} (local.get $p) (local.get $a))", 32),
        ),
        Spec::new(
            "global.get/set (4 globals)",
            "update",
            32.0,
            sc(200_000),
            repeat(
                "(global.set $g0 (i64.add (global.get $g0) (local.get $k))) (global.set $g1 (i64.add (global.get $g1) (local.get $k))) (global.set $g2 (i64.add (global.get $g2) (local.get $k))) (global.set $g3 (i64.add (global.get $g3) (local.get $k)))",
                8,
            ),
        ),
        Spec::new(
            "local.get/set shuffles (compile to nothing)",
            "move",
            32.0,
            sc(200_000),
            repeat(
                "(local.set $b (local.get $a)) (local.set $a (local.get $c)) (local.set $c (local.get $d)) (local.set $d (local.get $b))",
                8,
            ),
        ),
        Spec::new(
            "call (i64 -> i64, with stack counter)",
            "call",
            16.0,
            sc(200_000),
            repeat("(local.set $a (call $inc (local.get $a)))", 16),
        ),
        Spec::new(
            "call_indirect (same)",
            "call",
            16.0,
            sc(200_000),
            repeat(
                "(local.set $a (call_indirect (type $t) (local.get $a) (local.get $zero)))",
                16,
            ),
        ),
        Spec::new(
            "memory.fill 32 KiB",
            "byte",
            32768.0,
            sc(2_000),
            "(memory.fill (i32.const 65536) (i32.wrap_i64 (local.get $a)) (local.get $v))",
        )
        .pages(3)
        .v(32768),
        Spec::new(
            "memory.copy 32 KiB",
            "byte",
            32768.0,
            sc(2_000),
            "(memory.copy (i32.const 65536) (i32.const 131072) (local.get $v))",
        )
        .pages(3)
        .v(32768),
        Spec::new(
            "memory.fill 64 B",
            "op",
            1.0,
            sc(500_000),
            "(memory.fill (i32.add (i32.const 4096) (i32.and (local.get $i) (i32.const 1023))) (i32.wrap_i64 (local.get $a)) (local.get $v))",
        )
        .v(64),
        Spec::new(
            "memory.grow 1 page (untouched)",
            "page",
            1.0,
            255,
            "(drop (memory.grow (i32.const 1)))",
        ),
        Spec::new(
            "memory.grow 1 page + write every 4 KiB",
            "page",
            1.0,
            255,
            format!(
                "(drop (memory.grow (i32.const 1))) (local.set $p (i32.mul (i32.sub (memory.size) (i32.const 1)) (i32.const 65536))) {}",
                repeat("(i64.store offset={j4k} (local.get $p) (local.get $a))", 16)
            ),
        ),
    ]
}

/// Reads of the environment.
fn env_specs(scale: f64) -> Vec<Spec> {
    let sc = |n| scaled(scale, n);
    vec![
        Spec::new(
            "env read (block_number)",
            "call",
            1.0,
            sc(500_000),
            "(local.set $a (i64.add (local.get $a) (call $block_number)))",
        ),
        Spec::new(
            "caller (20 bytes out)",
            "call",
            1.0,
            sc(500_000),
            "(call $caller (i32.const 2048))",
        ),
    ]
}

/// Cold storage reads and overwrites of existing slots, on an in-memory
/// base and on a real redb database.
fn cold_storage_items(plain: &MemState, tmp: &std::path::Path, scale: f64) -> Vec<Item> {
    let sc = |n| scaled(scale, n);
    let mut v = Vec::new();
    let redb_dir = tmp.join("redb");
    std::fs::create_dir_all(&redb_dir).expect("tmp");
    let ops = [
        (
            "storage_read",
            "read",
            "(call $storage_read (i32.const 1024) (i32.const 2048))",
            "cold",
        ),
        (
            "storage_write",
            "write",
            "(call $storage_write (i32.const 1024) (i32.const 8))",
            "wcold",
        ),
    ];
    for (label, redb) in [("in-memory base", false), ("redb base", true)] {
        for (op, unit, call, dir) in ops {
            let body = format!("(i32.store (i32.const 1052) (local.get $i)) {call}");
            let mut b = plain.clone();
            b.install(TOOL, &tool(1, "", "", &body));
            let base = if redb {
                redb_base(&b, &redb_dir.join(dir))
            } else {
                mem_base(b)
            };
            v.push(Item {
                name: format!("{op} cold, existing slot ({label})"),
                unit,
                per_iter: 1.0,
                n: sc(SLOTS),
                v: 0,
                extra: vec![],
                base,
                section: "host",
            });
        }
    }
    v
}

/// Warm storage reads and writes, and writes to new slots.
fn storage_specs(scale: f64) -> Vec<Spec> {
    let sc = |n| scaled(scale, n);
    vec![
        Spec::new(
            "storage_read warm",
            "read",
            1.0,
            sc(200_000),
            "(call $storage_read (i32.const 1024) (i32.const 2048))",
        ),
        Spec::new(
            "storage_write new slot (cold, 0 -> x)",
            "write",
            1.0,
            sc(20_000),
            "(i32.store (i32.const 1052) (i32.add (local.get $i) (i32.const 0x1000000))) (call $storage_write (i32.const 1024) (i32.const 8))",
        ),
        Spec::new(
            "storage_write warm, existing slot",
            "write",
            1.0,
            sc(100_000),
            "(call $storage_write (i32.const 1024) (i32.const 8))",
        ),
    ]
}

/// keccak256 and ecrecover.
fn crypto_specs(scale: f64) -> Vec<Spec> {
    let sc = |n| scaled(scale, n);
    let k = key("orac-calibrate/ecrecover");
    let hash = keccak256(b"calibration");
    let sig = k.sign_prehash(&hash);
    let mut extra = hash.as_bytes().to_vec();
    extra.extend_from_slice(&sig.r.to_big_endian());
    extra.extend_from_slice(&sig.s.to_big_endian());
    vec![
        Spec::new(
            "keccak256 of 32 bytes",
            "hash",
            1.0,
            sc(100_000),
            "(call $keccak256 (i32.const 1024) (i32.const 32) (i32.const 1024))",
        ),
        Spec::new(
            "keccak256 of 4 KiB (per 32-byte word)",
            "word",
            128.0,
            sc(5_000),
            "(call $keccak256 (i32.const 4096) (i32.const 4096) (i32.const 1024))",
        ),
        Spec::new(
            "ecrecover",
            "call",
            1.0,
            sc(300),
            "(local.set $a (i64.add (local.get $a) (i64.extend_i32_u (call $ecrecover (i32.const 64) (local.get $v) (i32.const 96) (i32.const 128) (i32.const 2048)))))",
        )
        .v(27 + sig.y_parity as u32)
        .extra(extra),
    ]
}

/// Logs, with and without topics and data.
fn log_specs(scale: f64) -> Vec<Spec> {
    let sc = |n| scaled(scale, n);
    vec![
        Spec::new(
            "emit_log, no topics, no data",
            "log",
            1.0,
            sc(100_000),
            "(call $emit_log (i32.const 1024) (i32.const 0) (i32.const 2048) (i32.const 0))",
        ),
        Spec::new(
            "emit_log, 4 topics, no data",
            "log",
            1.0,
            sc(100_000),
            "(call $emit_log (i32.const 1024) (i32.const 4) (i32.const 2048) (i32.const 0))",
        ),
        Spec::new(
            "emit_log, no topics, 1 KiB data",
            "log",
            1.0,
            sc(20_000),
            "(call $emit_log (i32.const 1024) (i32.const 0) (i32.const 4096) (i32.const 1024))",
        ),
    ]
}

/// Calls, a create, and balance reads.
fn call_specs(scale: f64) -> Vec<Spec> {
    let sc = |n| scaled(scale, n);
    let child = wat::parse_str(CHILD_WAT).expect("wat");
    let creation = orac_vm::envelope::wrap(&child);
    let len = creation.len() as u32;
    vec![
        Spec::new(
            "call to an empty contract (1 page)",
            "call",
            1.0,
            sc(10_000),
            "(drop (call $call (i32.const 64) (i32.const 2048) (i32.const 0) (i32.const 0) (i64.const -1)))",
        )
        .extra(CALLEE.as_bytes().to_vec()),
        Spec::new(
            "static_call to an empty contract",
            "call",
            1.0,
            sc(10_000),
            "(drop (call $static_call (i32.const 64) (i32.const 0) (i32.const 0) (i64.const -1)))",
        )
        .extra(CALLEE.as_bytes().to_vec()),
        Spec::new(
            "create (60-byte module with deploy, compiled once)",
            "create",
            1.0,
            sc(5_000),
            "(drop (call $create (i32.const 2048) (i32.const 64) (local.get $v) (i32.const 3072)))",
        )
        .v(len)
        .extra(creation),
        Spec::new(
            "balance, cold (absent account)",
            "call",
            1.0,
            sc(20_000),
            "(i32.store (i32.const 1040) (local.get $i)) (call $balance (i32.const 1024) (i32.const 2048))",
        ),
        Spec::new(
            "balance, warm",
            "call",
            1.0,
            sc(200_000),
            "(call $balance (i32.const 64) (i32.const 2048))",
        )
        .extra(ME.as_bytes().to_vec()),
    ]
}

/// Copies of calldata and return data, and setting return data.
fn data_specs(scale: f64) -> Vec<Spec> {
    let sc = |n| scaled(scale, n);
    vec![
        Spec::new(
            "calldata_copy 32 KiB (per byte)",
            "byte",
            32768.0,
            sc(5_000),
            "(call $calldata_copy (i32.const 65536) (i32.const 0) (local.get $v))",
        )
        .pages(2)
        .v(32768)
        .extra(vec![0x5a; 32768]),
        Spec::new(
            "set_return 32 KiB (per byte)",
            "byte",
            32768.0,
            sc(5_000),
            "(call $set_return (i32.const 0) (local.get $v))",
        )
        .v(32768),
        Spec::new(
            "return_data_copy 32 KiB (per byte)",
            "byte",
            32768.0,
            sc(5_000),
            "(call $return_data_copy (i32.const 65536) (i32.const 0) (local.get $v))",
        )
        .pages(2)
        .setup("(drop (call $call (i32.const 64) (i32.const 2048) (i32.const 0) (i32.const 0) (i64.const -1)))")
        .v(32768)
        .extra(RETURNER.as_bytes().to_vec()),
    ]
}

fn main() {
    let args = Args::parse();
    let vm = Vm::new(&VmConfig::default()).expect("engine");
    let tmp = tempfile::tempdir().expect("tmp");
    let items = items(args.scale, tmp.path());
    println!(
        "orac gas calibration (FUEL_PER_GAS = {}; {} runs per item after a warm-up, medians)",
        gas::FUEL_PER_GAS,
        args.runs
    );
    let mut rows: Vec<(String, String, f64, f64, &'static str)> = Vec::new();
    let runs = args.runs;
    let only = args.only.clone();
    orac_vm::on_execution_stack(|| {
        for item in &items {
            if let Some(o) = &only
                && !item.name.contains(o.as_str())
            {
                continue;
            }
            let m = measure(&vm, item, runs);
            rows.push((
                item.name.clone(),
                item.unit.to_string(),
                m.gas_per_unit,
                m.ns_per_unit,
                item.section,
            ));
            eprintln!("  measured {}", item.name);
        }
        if only.is_none() || only.as_deref() == Some("tx") {
            rows.extend(transaction_rows(&vm, runs));
        }
    });
    if !args.no_compile && only.is_none() {
        rows.extend(compile_rows(&vm));
    }
    print_table(&rows);
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        println!(
            "load average at the end: {}",
            l.split_whitespace().next().unwrap_or("?")
        );
    }
}

/// Sender recovery and whole value transfers, for the 21,000 intrinsic gas.
fn transaction_rows(vm: &Vm, runs: usize) -> Vec<(String, String, f64, f64, &'static str)> {
    let mut out = Vec::new();
    let k = key("orac-calibrate/sender");
    let to = Address::repeat_byte(0x77);
    const N: usize = 5_000;
    let txs: Vec<_> = (0..N)
        .map(|n| {
            orac_chain::testing::transfer(to, U256::from(1u64))
                .chain_id(CHAIN_ID)
                .nonce(n as u64)
                .fees(U256::from(1u64), U256::from(2 * BASE_FEE))
                .sign(&k)
        })
        .collect();
    let mut rec = Vec::new();
    for round in 0..=runs {
        let t = Instant::now();
        for tx in &txs[..1000] {
            black_box(tx.recover_sender().expect("recovers"));
        }
        if round > 0 {
            rec.push(t.elapsed().as_secs_f64() * 1e9 / 1000.0);
        }
    }
    let recover_ns = median(&rec);
    out.push((
        "sender recovery (libsecp256k1)".to_string(),
        "tx".to_string(),
        21_000.0,
        recover_ns,
        "transaction",
    ));
    let recovered: Vec<_> = txs
        .into_iter()
        .map(|tx| RecoveredTx {
            sender: k.address(),
            tx,
        })
        .collect();
    let mut exec = Vec::new();
    for round in 0..=runs {
        let mut base = MemState::default();
        base.fund(k.address(), U256::from(10u64).pow(U256::from(24u64)));
        let mut state = base.overlay();
        let env = block_env();
        let t = Instant::now();
        for tx in &recovered {
            let o = execute_transaction(&mut state, vm, &env, tx).expect("valid");
            assert!(o.success);
        }
        if round > 0 {
            exec.push(t.elapsed().as_secs_f64() * 1e9 / N as f64);
        }
    }
    let exec_ns = median(&exec);
    out.push((
        "value transfer, execute_transaction (no recovery)".to_string(),
        "tx".to_string(),
        21_000.0,
        exec_ns,
        "transaction",
    ));
    out.push((
        "value transfer incl. recovery".to_string(),
        "tx".to_string(),
        21_000.0,
        exec_ns + recover_ns,
        "transaction",
    ));
    let _ = Account::default();
    out
}

/// Compile cost per byte (COMPILE_BYTE): ordinary code, and the slowest
/// shape that passes the deploy limits.
fn compile_rows(vm: &Vm) -> Vec<(String, String, f64, f64, &'static str)> {
    let mut out = Vec::new();
    let mut worst = (0.0f64, String::new());
    let mut ordinary = (0.0, 0.0);
    for s in orac_bench::wasmgen::shapes(false) {
        if orac_vm::validate::validate(&s.code).is_err() {
            continue;
        }
        let mut ts = Vec::new();
        for _ in 0..3 {
            vm.engine().clear_memory_cache();
            let t = Instant::now();
            vm.precompile(&s.code).expect("compiles");
            ts.push(t.elapsed().as_secs_f64());
            if ts[0] > 2.0 {
                break;
            }
        }
        let ns_per_byte = median(&ts) * 1e9 / s.code.len() as f64;
        if s.ordinary {
            ordinary.0 += median(&ts);
            ordinary.1 += s.code.len() as f64;
        } else if ns_per_byte > worst.0 {
            worst = (ns_per_byte, s.name.clone());
        }
    }
    out.push((
        "compile, ordinary code (contracts + generated)".to_string(),
        "byte".to_string(),
        gas::COMPILE_BYTE as f64,
        ordinary.0 * 1e9 / ordinary.1,
        "deploy",
    ));
    out.push((
        format!("compile, worst shape: {}", worst.1),
        "byte".to_string(),
        gas::COMPILE_BYTE as f64,
        worst.0,
        "deploy",
    ));
    let _ = Arc::new(());
    out
}

fn print_table(rows: &[(String, String, f64, f64, &'static str)]) {
    // Reference rate: the median ns/gas of the WebAssembly arithmetic and
    // memory items (what most contract gas is spent on).
    let wasm: Vec<f64> = rows
        .iter()
        .filter(|r| r.4 == "WebAssembly" && r.2 > 0.0)
        .map(|r| r.3 / r.2)
        .collect();
    let reference = median(&wasm);
    println!();
    println!(
        "{:<58} {:>10} {:>12} {:>12} {:>9} {:>14}",
        "item", "unit", "gas/unit", "ns/unit", "ns/gas", "gas @ ref rate"
    );
    let mut section = "";
    for (name, unit, g, ns, sec) in rows {
        if *sec != section {
            println!("-- {sec}");
            section = sec;
        }
        let gas_str = if *g >= 100.0 {
            thousands(*g)
        } else {
            format!("{g:.3}")
        };
        let ns_str = if *ns >= 100.0 {
            thousands(*ns)
        } else {
            format!("{ns:.3}")
        };
        println!(
            "{:<58} {:>10} {:>12} {:>12} {:>9.3} {:>14}",
            name,
            unit,
            gas_str,
            ns_str,
            if *g > 0.0 { ns / g } else { f64::NAN },
            {
                let e = ns / reference;
                if e >= 100.0 {
                    thousands(e)
                } else {
                    format!("{e:.3}")
                }
            }
        );
    }
    println!(
        "\nreference rate (median ns/gas of the WebAssembly items): {reference:.3} ns/gas = {:.0} Mgas/s",
        1e3 / reference
    );
    println!(
        "'gas @ ref rate' = what the item would cost if it were priced at the reference rate (measured ns / reference ns per gas)."
    );
}
