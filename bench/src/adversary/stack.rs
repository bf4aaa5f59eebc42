//! Native stack per charged stack slot. The deterministic counter charges
//! each frame `frame_cost` slots and assumes at most
//! `limits::BYTES_PER_SLOT` bytes of native stack per slot; this measures
//! what compiled frames really use, on the module as the VM runs it
//! (validated, instrumented, compiled with the consensus configuration).
//!
//! A shape's `$rec` recurses `depth` times and calls a host function at
//! the bottom; `call` calls the same host function before recursing. The
//! host function notes the native stack pointer, so the difference between
//! the two notes is exactly `depth + 1` frames of `$rec`.

use std::sync::atomic::{AtomicUsize, Ordering};

use orac_vm::host::abi::{HOST_FUNCTIONS, INTERNAL_FUNCTIONS, MODULE, STACK_GLOBAL};
use orac_vm::limits::MAX_STACK_SLOTS;
use wasmtime::{Engine, FuncType, Linker, Module, Store, Val, ValType};

use super::wat::repeat;
use crate::vmkit::Rng;

/// A frame shape: `$rec`'s extra locals, parameters and results, what it
/// pushes before recursing (live across the call) and pops after.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The shape's name in the report.
    pub name: String,
    /// Declarations of `$rec`'s extra locals (WAT).
    pub locals: String,
    /// `$rec`'s extra parameters (WAT).
    pub params: String,
    /// The arguments passed for them on each recursive call.
    pub args: String,
    /// How many i64 results `$rec` returns.
    pub results: usize,
    /// Pushed before the recursive call, live across it.
    pub before: String,
    /// Run after the call, popping what `before` pushed.
    pub after: String,
}

impl Frame {
    fn plain(name: &str) -> Self {
        Self {
            name: name.into(),
            locals: String::new(),
            params: String::new(),
            args: String::new(),
            results: 0,
            before: String::new(),
            after: String::new(),
        }
    }

    /// The shape as a module exporting `rec`, which the measurement calls
    /// directly with a depth (its `call` does nothing).
    pub fn module(&self) -> Vec<u8> {
        self.module_calling("")
    }

    /// The shape as a contract: `call` recurses as many times as its
    /// calldata has bytes (for the fuzzer).
    pub fn module_with_call(&self) -> Vec<u8> {
        self.module_calling(&format!(
            "(call $rec (call $calldata_size) {}) {}",
            self.args,
            "(drop) ".repeat(self.results)
        ))
    }

    fn module_calling(&self, call_body: &str) -> Vec<u8> {
        let results = if self.results == 0 {
            String::new()
        } else {
            format!("(result {})", "i64 ".repeat(self.results))
        };
        let drops = "(drop) ".repeat(self.results);
        let ret = repeat(self.results, |i| format!("(i64.const {i})"));
        let text = format!(
            r#"(module
  (import "orac" "gas_left" (func $note (result i64)))
  (import "orac" "calldata_size" (func $calldata_size (result i32)))
  (memory (export "memory") 1)
  (func $rec (export "rec") (param $n i32) {params} {results} {locals}
    {before}
    (if (local.get $n)
      (then (call $rec (i32.sub (local.get $n) (i32.const 1)) {args}) {drops})
      (else (drop (call $note))))
    {after}
    {ret})
  (func (export "call") {call_body}))"#,
            params = self.params,
            locals = self.locals,
            before = self.before,
            args = self.args,
            after = self.after,
        );
        wat::parse_str(&text).unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }
}

/// The hand-written worst cases, as in vm/tests/stack.rs.
pub fn frames() -> Vec<Frame> {
    let operands = |ty: &str| {
        repeat(1_000, |i| match ty {
            "f64" => format!("(f64.add (f64.convert_i32_u (local.get $n)) (f64.const {i}))"),
            _ => format!("(i64.add (i64.extend_i32_u (local.get $n)) (i64.const {i}))"),
        })
    };
    let fat = |locals: usize, ifs: usize| {
        let tee = format!(
            "(i32.const 0) {} (local.set $l{})",
            repeat(locals - 1, |i| format!("(local.tee $l{i})")),
            locals - 1
        );
        Frame {
            locals: repeat(locals, |i| format!("(local $l{i} i32)")),
            before: repeat(ifs, |_| {
                format!("(if (i32.eqz (local.get $n)) (then {tee}))")
            }),
            ..Frame::plain(&format!("{locals} locals x {ifs} ifs (the stack bomb)"))
        }
    };
    vec![
        Frame::plain("no locals"),
        Frame {
            locals: repeat(2_000, |i| format!("(local $x{i} i64)")),
            ..Frame::plain("2,000 i64 locals")
        },
        Frame {
            before: operands("i64"),
            after: "(drop) ".repeat(1_000),
            ..Frame::plain("1,000 i64 operands live across the call")
        },
        Frame {
            before: operands("f64"),
            after: "(drop) ".repeat(1_000),
            ..Frame::plain("1,000 f64 operands live across the call")
        },
        Frame {
            params: "(param i64) ".repeat(63),
            args: repeat(63, |i| format!("(i64.const {i})")),
            results: 16,
            ..Frame::plain("63 more params, 16 results")
        },
        fat(16, 1_536),
        fat(121, 200),
    ]
}

/// A random frame: locals of every type, live operands of every type,
/// parameters, results, and result blocks around the call.
pub fn random_frame(rng: &mut Rng) -> Frame {
    const TYPES: [&str; 4] = ["i32", "i64", "f32", "f64"];
    let nl = rng.below(1_500) as usize;
    let locals: Vec<String> = (0..nl)
        .map(|_| format!("(local {})", TYPES[rng.below(4) as usize]))
        .collect();
    let locals = locals.join(" ");
    let np = rng.below(63) as usize;
    let results = rng.below(17) as usize;
    let nv = rng.below(900) as usize;
    let mut before = String::new();
    for _ in 0..nv {
        before.push_str(match rng.below(4) {
            0 => "(i32.add (local.get $n) (i32.const 1)) ",
            1 => "(i64.extend_i32_u (local.get $n)) ",
            2 => "(f32.convert_i32_u (local.get $n)) ",
            _ => "(f64.convert_i32_u (local.get $n)) ",
        });
    }
    Frame {
        name: format!("random: {nl} locals, {nv} operands, {np} more params, {results} results"),
        locals,
        params: "(param i64) ".repeat(np),
        args: repeat(np, |i| format!("(i64.const {i})")),
        results,
        before,
        after: "(drop) ".repeat(nv),
    }
}

/// What one shape measured.
pub struct Measured {
    /// The shape's name.
    pub name: String,
    /// Slots the counter charges per frame of `$rec`.
    pub charged_slots: u32,
    /// Native bytes per frame of `$rec`.
    pub bytes: f64,
}

impl Measured {
    /// Native bytes per charged slot: must stay at or under
    /// `BYTES_PER_SLOT`.
    pub fn bytes_per_slot(&self) -> f64 {
        self.bytes / self.charged_slots as f64
    }
}

static NOTED: AtomicUsize = AtomicUsize::new(0);

/// Measures one frame shape.
pub fn measure(engine: &Engine, frame: &Frame) -> Result<Measured, String> {
    let code = frame.module();
    let info = orac_vm::validate::validate(&code).map_err(|e| e.to_string())?;
    let instrumented = orac_vm::instrument::instrument(&code, &info).map_err(|e| e.to_string())?;
    let module = Module::new(engine, &instrumented).map_err(|e| e.to_string())?;
    let mut linker: Linker<()> = Linker::new(engine);
    for sig in HOST_FUNCTIONS.iter().chain(INTERNAL_FUNCTIONS) {
        let ty = |t: &dyn std::fmt::Display| match t.to_string().as_str() {
            "i64" => ValType::I64,
            _ => ValType::I32,
        };
        let f = FuncType::new(
            engine,
            sig.params.iter().map(|t| ty(t)),
            sig.results.iter().map(|t| ty(t)),
        );
        let note = sig.name == "gas_left";
        let zeros: Vec<Val> = sig
            .results
            .iter()
            .map(|t| match ty(t) {
                ValType::I64 => Val::I64(0),
                _ => Val::I32(0),
            })
            .collect();
        linker
            .func_new(MODULE, sig.name, f, move |_, _, results| {
                if note {
                    let here = 0u8;
                    NOTED.store(
                        std::hint::black_box(&here) as *const u8 as usize,
                        Ordering::SeqCst,
                    );
                }
                results.clone_from_slice(&zeros);
                Ok(())
            })
            .map_err(|e| e.to_string())?;
    }
    let charged = info.frame_cost(info.imported_funcs);
    let depth = (MAX_STACK_SLOTS / charged / 2).clamp(1, 64);
    let run = |n: i32| -> Result<usize, String> {
        let mut store = Store::new(engine, ());
        store.set_fuel(u64::MAX / 4).map_err(|e| e.to_string())?;
        let instance = linker
            .instantiate(&mut store, &module)
            .map_err(|e| e.to_string())?;
        if let Some(g) = instance.get_global(&mut store, STACK_GLOBAL) {
            g.set(&mut store, Val::I32(0)).map_err(|e| e.to_string())?;
        }
        let rec = instance
            .get_func(&mut store, "rec")
            .ok_or("no rec export")?;
        let mut args = vec![Val::I32(n)];
        args.extend((0..rec.ty(&store).params().len() - 1).map(|_| Val::I64(0)));
        let mut results = vec![Val::I64(0); frame.results];
        rec.call(&mut store, &args, &mut results)
            .map_err(|e| format!("{e:?}"))?;
        Ok(NOTED.load(Ordering::SeqCst))
    };
    // The note at depth 0 and at `depth`: `depth` more frames of `$rec`.
    let shallow = run(0)?;
    let deep = run(depth as i32)?;
    Ok(Measured {
        name: frame.name.clone(),
        charged_slots: charged,
        bytes: shallow.saturating_sub(deep) as f64 / depth as f64,
    })
}

/// Measures the hand-written shapes and `random` generated ones; returns
/// them worst first.
pub fn run(random: usize, seed: u64) -> Vec<Measured> {
    let engine = Engine::new(&orac_vm::engine::engine_config()).expect("engine");
    let mut rng = Rng(seed);
    let mut out: Vec<Measured> = frames()
        .into_iter()
        .chain((0..random).map(|_| random_frame(&mut rng)))
        .filter_map(|f| match measure(&engine, &f) {
            Ok(m) => Some(m),
            Err(e) => {
                println!("  {}: {e}", f.name);
                None
            }
        })
        .collect();
    out.sort_by(|a, b| b.bytes_per_slot().total_cmp(&a.bytes_per_slot()));
    out
}
