//! A random search for slow loop bodies. A body is a list of statements
//! built from the whole instruction set the deploy rules admit (integer
//! and float arithmetic, conversions, loads and stores at random addresses,
//! bulk memory, branches, calls, indirect calls and cheap host calls),
//! wrapped in a loop that runs until the gas is gone. Hill climbing:
//! mutate the slowest body found so far (replace, insert or delete a
//! statement, or change the memory size) and keep the mutant if it is
//! slower per gas; restart from a random body now and then.

use orac_vm::limits::MAX_MEMORY_PAGES;

use super::wat::contract;
use super::{Runner, Shape};
use crate::vmkit::Rng;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    I32,
    I64,
    F32,
    F64,
}

const TYPES: [Ty; 4] = [Ty::I32, Ty::I64, Ty::F32, Ty::F64];

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
        }
    }
    /// Local-name prefix: four locals of each type.
    fn local(self) -> char {
        match self {
            Ty::I32 => 'i',
            Ty::I64 => 'l',
            Ty::F32 => 'f',
            Ty::F64 => 'd',
        }
    }
    fn is_int(self) -> bool {
        matches!(self, Ty::I32 | Ty::I64)
    }
}

/// A loop body and the memory it runs over.
#[derive(Clone)]
pub struct Body {
    /// The loop's statements (WAT), run in order each iteration.
    pub stmts: Vec<String>,
    /// Memory pages the module declares.
    pub pages: u64,
}

impl Body {
    /// The contract running this body in an endless loop (until out of gas).
    pub fn module(&self) -> Vec<u8> {
        let locals: String = TYPES
            .iter()
            .flat_map(|t| (0..4).map(move |i| format!("(local ${}{i} {}) ", t.local(), t.name())))
            .collect();
        let extra = "(global $g (mut i32) (i32.const 1)) \
             (type $ht (func (param i64) (result i64))) \
             (func $h (type $ht) (i64.add (i64.mul (local.get 0) (i64.const 3)) (i64.const 1))) \
             (table 1 funcref) (elem (i32.const 0) $h)";
        let body = format!("(loop $l {} (br $l))", self.stmts.join("\n"));
        contract(self.pages, extra, &locals, &body)
    }
}

/// Random WAT generator for loop bodies; its choices all come from `rng`,
/// so a seed replays a search.
pub struct Gen {
    /// The source of every choice.
    pub rng: Rng,
    /// Memory of the body being generated: addresses stay inside it.
    pub pages: u64,
}

impl Gen {
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.rng.below(v.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.rng.below(100) < percent
    }

    /// An address expression within `pages`, 8-byte aligned.
    fn addr(&mut self, depth: u32) -> String {
        let mask = (self.pages * 65_536 - 8) as i32;
        format!("(i32.and {} (i32.const {mask}))", self.expr(Ty::I32, depth))
    }

    fn constant(&mut self, ty: Ty) -> String {
        let r = self.rng.next_u64();
        match ty {
            Ty::I32 => format!("(i32.const {})", r as i32),
            Ty::I64 => format!("(i64.const {})", r as i64),
            Ty::F32 => format!("(f32.const {})", (r % 1000) as f32 / 7.0),
            Ty::F64 => format!("(f64.const {})", (r % 100_000) as f64 / 3.0),
        }
    }

    fn expr(&mut self, ty: Ty, depth: u32) -> String {
        let t = ty.name();
        if depth == 0 || self.chance(25) {
            return match self.rng.below(3) {
                0 => self.constant(ty),
                _ => format!("(local.get ${}{})", ty.local(), self.rng.below(4)),
            };
        }
        let d = depth - 1;
        match self.rng.below(12) {
            // Binary arithmetic.
            0..=3 => {
                let ops: &[&str] = if ty.is_int() {
                    &[
                        "add", "sub", "mul", "and", "or", "xor", "shl", "shr_u", "shr_s", "rotl",
                        "rotr", "div_u", "rem_u", "div_s", "rem_s",
                    ]
                } else {
                    &["add", "sub", "mul", "div", "min", "max", "copysign"]
                };
                let op = self.pick(ops);
                let a = self.expr(ty, d);
                let mut b = self.expr(ty, d);
                if ty.is_int() && (op.starts_with("div") || op.starts_with("rem")) {
                    // Never zero, never -1 (no trap).
                    b = format!("({t}.or ({t}.and {b} ({t}.const 0x7fff)) ({t}.const 2))");
                }
                format!("({t}.{op} {a} {b})")
            }
            // Unary.
            4 => {
                let ops: &[&str] = if ty.is_int() {
                    &["clz", "ctz", "popcnt", "extend8_s", "extend16_s"]
                } else {
                    &["abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest"]
                };
                let op = self.pick(ops);
                format!("({t}.{op} {})", self.expr(ty, d))
            }
            // Loads.
            5 | 6 => {
                let load = match ty {
                    Ty::I32 => self.pick(&["i32.load", "i32.load8_u", "i32.load16_s"]),
                    Ty::I64 => self.pick(&["i64.load", "i64.load32_u", "i64.load8_s"]),
                    Ty::F32 => "f32.load",
                    Ty::F64 => "f64.load",
                };
                let a = self.addr(d);
                format!("({load} {a})")
            }
            // Conversions from another type.
            7 => {
                let src = self.pick(match ty {
                    Ty::I32 => &[
                        "i32.wrap_i64 (EI64)",
                        "i32.trunc_sat_f64_s (EF64)",
                        "i32.trunc_sat_f32_u (EF32)",
                        "i32.reinterpret_f32 (EF32)",
                        "i64.eqz (EI64)",
                        "f64.lt (EF64) (EF64)",
                    ],
                    Ty::I64 => &[
                        "i64.extend_i32_u (EI32)",
                        "i64.trunc_sat_f64_u (EF64)",
                        "i64.trunc_sat_f32_s (EF32)",
                        "i64.reinterpret_f64 (EF64)",
                    ],
                    Ty::F32 => &[
                        "f32.demote_f64 (EF64)",
                        "f32.convert_i64_u (EI64)",
                        "f32.convert_i32_s (EI32)",
                        "f32.reinterpret_i32 (EI32)",
                    ],
                    Ty::F64 => &[
                        "f64.promote_f32 (EF32)",
                        "f64.convert_i64_s (EI64)",
                        "f64.convert_i32_u (EI32)",
                        "f64.reinterpret_i64 (EI64)",
                    ],
                });
                self.fill(src, d)
            }
            // Select.
            8 => format!(
                "(select {} {} {})",
                self.expr(ty, d),
                self.expr(ty, d),
                self.expr(Ty::I32, d)
            ),
            // Calls.
            9 if ty == Ty::I64 => match self.rng.below(3) {
                0 => format!("(call $h {})", self.expr(Ty::I64, d)),
                1 => format!(
                    "(call_indirect (type $ht) {} (i32.const 0))",
                    self.expr(Ty::I64, d)
                ),
                _ => "(call $gas_left)".into(),
            },
            10 if ty == Ty::I32 => self
                .pick(&[
                    "(global.get $g)",
                    "(memory.size)",
                    "(call $calldata_size)",
                    "(call $return_data_size)",
                ])
                .into(),
            _ => self.expr(ty, d),
        }
    }

    /// Replaces each `(E<TY>)` placeholder in `template` with an expression.
    fn fill(&mut self, template: &str, depth: u32) -> String {
        let mut out = format!("({template})");
        for ty in TYPES {
            let key = format!("(E{})", ty.name().to_uppercase());
            while let Some(at) = out.find(&key) {
                let e = self.expr(ty, depth);
                out.replace_range(at..at + key.len(), &e);
            }
        }
        out
    }

    /// A random statement, with expressions nested up to `depth`.
    pub fn stmt(&mut self, depth: u32) -> String {
        match self.rng.below(14) {
            0..=4 => {
                let ty = self.pick(&TYPES);
                let e = self.expr(ty, 3);
                format!("(local.set ${}{} {e})", ty.local(), self.rng.below(4))
            }
            5 | 6 => {
                let ty = self.pick(&TYPES);
                let store = match ty {
                    Ty::I32 => self.pick(&["i32.store", "i32.store8", "i32.store16"]),
                    Ty::I64 => self.pick(&["i64.store", "i64.store32"]),
                    Ty::F32 => "f32.store",
                    Ty::F64 => "f64.store",
                };
                let a = self.addr(2);
                let v = self.expr(ty, 2);
                format!("({store} {a} {v})")
            }
            7 if depth > 0 => {
                let c = self.expr(Ty::I32, 2);
                let a = self.stmt(depth - 1);
                let b = self.stmt(depth - 1);
                format!("(if {c} (then {a}) (else {b}))")
            }
            8 if depth > 0 => {
                let c = self.expr(Ty::I32, 2);
                let a = self.stmt(depth - 1);
                format!("(block (br_if 0 {c}) {a})")
            }
            9 if depth > 0 => {
                let i = self.expr(Ty::I32, 1);
                let a = self.stmt(depth - 1);
                format!("(block (block (br_table 0 1 0 1 (i32.and {i} (i32.const 3)))) {a})")
            }
            10 => {
                let op = self.pick(&["memory.fill", "memory.copy"]);
                let d = self.addr(1);
                let s = match op {
                    "memory.fill" => self.expr(Ty::I32, 1),
                    _ => self.addr(1),
                };
                let n = format!("(i32.and {} (i32.const 63))", self.expr(Ty::I32, 1));
                format!("({op} {d} {s} {n})")
            }
            11 => self
                .pick(&[
                    "(call $address (i32.const 256))",
                    "(call $keccak256 (i32.const 0) (i32.const 32) (i32.const 256))",
                    "(call $storage_read (i32.const 0) (i32.const 256))",
                    "(call $calldata_copy (i32.const 256) (i32.const 0) (i32.const 0))",
                    "(call $set_return (i32.const 0) (i32.const 0))",
                ])
                .into(),
            12 => format!("(global.set $g {})", self.expr(Ty::I32, 2)),
            _ => {
                let ty = self.pick(&TYPES);
                format!("(drop {})", self.expr(ty, 3))
            }
        }
    }

    /// A fresh random body of 1 to 6 statements.
    pub fn body(&mut self) -> Body {
        self.pages = self.pick(&[1, MAX_MEMORY_PAGES]);
        let n = 1 + self.rng.below(6) as usize;
        let stmts = (0..n).map(|_| self.stmt(2)).collect();
        Body {
            stmts,
            pages: self.pages,
        }
    }

    /// `body` changed in one place: a statement removed, added or replaced,
    /// or the memory grown to the maximum.
    pub fn mutate(&mut self, body: &Body) -> Body {
        let mut b = body.clone();
        self.pages = b.pages;
        match self.rng.below(5) {
            0 if b.stmts.len() > 1 => {
                let i = self.rng.below(b.stmts.len() as u64) as usize;
                b.stmts.remove(i);
            }
            1 | 2 if b.stmts.len() < 12 => {
                let i = self.rng.below(b.stmts.len() as u64 + 1) as usize;
                let s = self.stmt(2);
                b.stmts.insert(i, s);
            }
            // Grow the memory (addresses masked for a smaller one stay in
            // bounds; shrinking could put them out).
            3 => b.pages = MAX_MEMORY_PAGES,
            _ => {
                let i = self.rng.below(b.stmts.len() as u64) as usize;
                b.stmts[i] = self.stmt(2);
            }
        }
        b
    }
}

/// The result of a search: the slowest body found, its ns/gas, and how
/// many bodies were measured.
pub struct Found {
    /// The slowest body found.
    pub body: Body,
    /// Its time per gas, in nanoseconds.
    pub ns_per_gas: f64,
    /// How many bodies were measured.
    pub evaluated: usize,
}

/// Searches for `evaluations` bodies, each run `runs` times with `gas`.
pub fn search(runner: &Runner, seed: u64, evaluations: usize, gas: u64, runs: usize) -> Found {
    let mut g = Gen {
        rng: Rng(seed),
        pages: 1,
    };
    let measure = |body: &Body| -> f64 {
        let shape = Shape::new("search", body.module());
        let (ns, run) = runner.measure(&shape, gas, runs);
        // A body that traps ends early: it measured nothing.
        if run.result.error == Some(orac_vm::Halt::OutOfGas) {
            ns
        } else {
            0.0
        }
    };
    let mut best = g.body();
    let mut best_ns = measure(&best);
    for i in 1..evaluations {
        let candidate = if i % 25 == 0 {
            g.body()
        } else {
            g.mutate(&best)
        };
        let ns = measure(&candidate);
        if ns > best_ns {
            best = candidate;
            best_ns = ns;
        }
    }
    Found {
        body: best,
        ns_per_gas: best_ns,
        evaluated: evaluations,
    }
}
