//! Compile time and memory per KB of module. Every deploy (and every first
//! call of code a node has not compiled) runs validation, instrumentation
//! and Winch; a module the deploy rules admit must compile within a fixed
//! bound per KB whatever its shape. Known bombs (the shapes that were
//! superlinear under Cranelift), the ordinary contracts, and a random
//! search over control-flow-heavy functions.
//!
//! Memory is the peak of the process heap during the compile, counted by
//! [`Counting`], which the `vm-adversary` binary installs as its global
//! allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use orac_vm::Vm;
use orac_vm::limits::{MAX_BR_TABLE_TARGETS, MAX_CODE_SIZE, MAX_ESCAPING_FUNCTIONS, MAX_TYPES};

use super::wat::repeat;
use crate::vmkit::{Rng, median};
use crate::wasmgen;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting bytes in use and their peak.
pub struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = CURRENT.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// One module's compile.
pub struct Compiled {
    /// The module's name in the report.
    pub name: String,
    /// Its size, in KB.
    pub kb: f64,
    /// Milliseconds to validate, instrument and compile it.
    pub ms: f64,
    /// Peak heap above what was in use before, in MB (0 when the counting
    /// allocator is not installed).
    pub peak_mb: f64,
    /// Why the compile failed, if it did.
    pub error: Option<String>,
}

impl Compiled {
    /// Compile time per KB: the figure the deploy limits bound.
    pub fn ms_per_kb(&self) -> f64 {
        self.ms / self.kb
    }
    /// Peak memory per KB.
    pub fn mb_per_kb(&self) -> f64 {
        self.peak_mb / self.kb
    }
}

/// Validates, instruments and compiles `code` as a deploy does (median of
/// `runs` times; the peak of the last).
pub fn compile(vm: &Vm, name: &str, code: &[u8], runs: usize) -> Compiled {
    let kb = code.len() as f64 / 1024.0;
    let mut times = Vec::new();
    let mut peak = 0;
    let mut error = None;
    for _ in 0..runs.max(1) {
        vm.engine().clear_memory_cache();
        let before = CURRENT.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let t = Instant::now();
        let r = vm.precompile(code);
        times.push(t.elapsed().as_secs_f64());
        peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        if let Err(e) = r {
            error = Some(e.to_string());
            break;
        }
    }
    Compiled {
        name: name.into(),
        kb,
        ms: median(&times) * 1e3,
        peak_mb: peak as f64 / 1e6,
        error,
    }
}

fn module(funcs: &str) -> Vec<u8> {
    let text = format!("(module (memory (export \"memory\") 1) (func (export \"call\"))\n{funcs})");
    wat::parse_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

/// `depth` nested blocks of `results` i64 results; the inner `tables`
/// each end in a `br_table` to `targets` of the blocks around it (HOSTILE
/// B5's shape: every table edge carries every result, with no locals at
/// all). Needs `targets <= depth - tables`.
pub fn multivalue_br_table(depth: usize, results: usize, tables: usize, targets: usize) -> Vec<u8> {
    let ty = format!("(result {})", "i64 ".repeat(results));
    let labels = repeat(targets, |i| i.to_string());
    let f = format!(
        "(func {} {} {} {} {})",
        repeat(depth, |_| format!("(block {ty}")),
        repeat(results, |i| format!("(i64.const {i})")),
        repeat(tables, |_| format!("(br_table {labels} 0 (i32.const 0)))")),
        ")".repeat(depth - tables),
        "(drop) ".repeat(results),
    );
    module(&f)
}

/// Known shapes: the compile section of vm-bench (ordinary contracts,
/// loops, the Cranelift-era bombs at the deploy limits) and more.
pub fn shapes() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = wasmgen::shapes(false)
        .into_iter()
        .map(|s| (s.name, s.code))
        .collect();
    v.push((
        "multi-value br_table: 384 blocks x 16 results, 256 tables x 128 targets".into(),
        multivalue_br_table(384, 16, 256, 128),
    ));
    v.push((
        "multi-value br_table: 600 blocks x 16 results, 300 tables x 256 targets".into(),
        multivalue_br_table(600, 16, 300, MAX_BR_TABLE_TARGETS as usize),
    ));
    v.push((
        "4,000 nested blocks".into(),
        module(&format!(
            "(func {} {})",
            "(block ".repeat(4_000),
            ")".repeat(4_000)
        )),
    ));
    v.push((
        "straight line: 20,000 i64.add on a 1,000-deep stack".into(),
        module(&format!(
            "(func (result i64) {} {})",
            repeat(1_000, |i| format!("(i64.const {i})")),
            repeat(20_000, |_| "(i64.const 1) (i64.add)".into()) + &"(i64.add) ".repeat(999)
        )),
    ));
    v.push((
        "800 calls with 64 arguments".into(),
        module(&format!(
            "(func $f {}) (func {})",
            "(param i64) ".repeat(64),
            repeat(800, |_| format!(
                "(call $f {})",
                repeat(64, |i| format!("(i64.const {i})"))
            ))
        )),
    ));
    // The trampoline limits: distinct signatures, escaping functions.
    let sig = |i: usize, n: usize| {
        (0..n)
            .map(|b| {
                if (i >> (b % 7)) & 1 == 1 {
                    "i64 "
                } else {
                    "i32 "
                }
            })
            .collect::<String>()
    };
    v.push((
        format!("{MAX_TYPES} distinct 64-parameter signatures"),
        module(&repeat(MAX_TYPES as usize - 1, |i| {
            format!("(func (param {}) (result i64) (i64.const {i}))", sig(i, 64))
        })),
    ));
    v.push((
        format!("{MAX_TYPES} distinct 8-parameter signatures"),
        module(&repeat(MAX_TYPES as usize - 1, |i| {
            format!("(func (param {}) (result i32) (i32.const {i}))", sig(i, 8))
        })),
    ));
    let n = MAX_ESCAPING_FUNCTIONS as usize - 1;
    v.push((
        format!("{n} tiny functions in a table"),
        module(&format!(
            "{} (table {n} funcref) (elem (i32.const 0) {})",
            repeat(n, |i| format!("(func $f{i} (result i32) (i32.const {i}))")),
            repeat(n, |i| format!("$f{i}"))
        )),
    ));
    v.push((
        "1,000 data segments, 1,024 globals".into(),
        module(&format!(
            "{} {}",
            repeat(1_000, |i| format!(
                "(data (i32.const {}) \"abcdefgh\")",
                i * 8
            )),
            repeat(1_024, |i| format!("(global (mut i64) (i64.const {i}))"))
        )),
    ));
    v
}

/// A random function: nested blocks, loops and ifs with random block
/// types, branches and tables to random depths, locals of every type.
fn random_function(rng: &mut Rng) -> String {
    let locals = rng.below(500) as usize;
    let mut body = String::new();
    let mut depth = 0usize;
    let budget = 500 + rng.below(2_500) as usize;
    let mut n = 0;
    while n < budget {
        n += 1;
        match rng.below(10) {
            0 | 1 if depth < 1_000 => {
                let kind = ["block", "loop"][rng.below(2) as usize];
                body.push_str(&format!("({kind} "));
                depth += 1;
            }
            2 if depth > 0 => {
                body.push_str(") ");
                depth -= 1;
            }
            3 if depth > 0 => {
                let wide = rng.below(8) == 0;
                let t = 1 + rng.below(if wide {
                    MAX_BR_TABLE_TARGETS as u64
                } else {
                    32
                }) as usize;
                let labels = (0..t)
                    .map(|_| rng.below(depth as u64).to_string())
                    .collect::<Vec<_>>()
                    .join(" ");
                body.push_str(&format!("(br_table {labels} 0 (i32.const 0)) "));
            }
            4 if depth > 0 && locals > 0 => {
                body.push_str(&format!(
                    "(br_if {} (i32.eqz (local.get 0))) ",
                    rng.below(depth as u64)
                ));
            }
            5 if locals > 0 => body.push_str(&format!(
                "(local.set {} (local.get {})) ",
                rng.below(locals as u64),
                rng.below(locals as u64)
            )),
            6 if locals > 0 => body.push_str(&format!(
                "(if (local.get 0) (then (local.set {} (i32.const 1)))) ",
                rng.below(locals as u64)
            )),
            _ => body.push_str("(nop) "),
        }
    }
    body.push_str(&")".repeat(depth));
    format!("(func {} {body})", "(local i32) ".repeat(locals))
}

/// Random modules of a few functions, hill-climbed on ms/KB.
pub fn search(vm: &Vm, seed: u64, evaluations: usize) -> Compiled {
    let mut rng = Rng(seed);
    let mut worst: Option<Compiled> = None;
    for i in 0..evaluations {
        let funcs = (0..1 + rng.below(4))
            .map(|_| random_function(&mut rng))
            .collect::<Vec<_>>()
            .join("\n");
        let code = module(&funcs);
        if code.len() > MAX_CODE_SIZE {
            continue;
        }
        let c = compile(vm, &format!("random module #{i}"), &code, 1);
        if let Some(e) = &c.error {
            if i == 0 {
                println!("  (random module refused: {e})");
            }
            continue;
        }
        if worst.as_ref().is_none_or(|w| c.ms_per_kb() > w.ms_per_kb()) {
            worst = Some(c);
        }
    }
    worst.unwrap_or(Compiled {
        name: "nothing compiled".into(),
        kb: 1.0,
        ms: 0.0,
        peak_mb: 0.0,
        error: None,
    })
}
