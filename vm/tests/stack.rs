//! The deterministic stack bound: whether a call is too deep is decided by
//! the instrumented counter alone, at the same frame on every machine, and
//! no contract shape, however its frames are laid out, reaches wasmtime's
//! own stack check or the end of the thread's stack.

mod common;

use std::sync::Arc;

use common::*;
use orac_primitives::{Address, U256};
use orac_vm::limits::MAX_STACK_SLOTS;
use orac_vm::{Halt, SystemCall, SystemContract, SystemExit, Vm, VmConfig};

/// A module whose `call` reads `n` (u32 LE) from calldata and recurses into
/// `$rec` n + 1 times. `$rec` has the given extra locals, and runs `body`
/// before recursing and `after` once the recursion returns; `params` and
/// `results` let the shape change `$rec`'s signature (the recursive call
/// passes `args` and drops the results).
struct Shape {
    name: &'static str,
    locals: String,
    params: String,
    results: String,
    args: String,
    body: String,
    after: String,
    /// Runs where the recursion bottoms out (e.g. a self-call).
    bottom: String,
}

impl Shape {
    fn plain(name: &'static str) -> Self {
        Self {
            name,
            locals: String::new(),
            params: String::new(),
            results: String::new(),
            args: String::new(),
            body: String::new(),
            after: String::new(),
            bottom: String::new(),
        }
    }

    fn wat(&self) -> String {
        let Shape {
            locals,
            params,
            results,
            args,
            body,
            after,
            bottom,
            ..
        } = self;
        let drops = "(drop) ".repeat(results.matches("i64").count());
        format!(
            r#"(module
  (import "orac" "calldata_copy" (func $cc (param i32 i32 i32)))
  (import "orac" "address" (func $address (param i32)))
  (import "orac" "call" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (global $z (mut i32) (i32.const 0))
  (func $rec (param $n i32) {params} {results} {locals}
    {body}
    (if (local.get $n)
      (then (call $rec (i32.sub (local.get $n) (i32.const 1)) {args}) {drops})
      (else {bottom}))
    {after})
  (func (export "call")
    (call $cc (i32.const 0) (i32.const 0) (i32.const 8))
    (call $rec (i32.load (i32.const 0)) {args}) {drops}))"#
        )
    }

    fn module(&self) -> Vec<u8> {
        wat::parse_str(self.wat()).unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }
}

fn repeat(n: usize, f: impl Fn(usize) -> String) -> String {
    (0..n).map(f).collect::<Vec<_>>().join(" ")
}

/// Frames with many values in them, each the worst of its kind the deploy
/// limits admit, and the two reproductions of the stack bomb that used to
/// crash the node: locals redefined across many `if`s, which made
/// Cranelift's frames ~6 KiB per charged slot.
fn shapes() -> Vec<Shape> {
    let mut v = vec![Shape::plain("no locals")];
    v.push(Shape {
        locals: repeat(2_000, |i| format!("(local $x{i} i64)")),
        ..Shape::plain("2,000 i64 locals")
    });
    // A deep operand stack of computed values (registers that must spill),
    // live across the recursive call.
    let pushes = |ty: &str| {
        repeat(1_000, |i| match ty {
            "f64" => format!("(f64.add (f64.convert_i32_u (local.get $n)) (f64.const {i}))"),
            _ => format!("(i64.add (i64.extend_i32_u (local.get $n)) (i64.const {i}))"),
        })
    };
    for (name, ty) in [("1,000 i64 operands", "i64"), ("1,000 f64 operands", "f64")] {
        v.push(Shape {
            body: pushes(ty),
            after: "(drop) ".repeat(1_000),
            ..Shape::plain(name)
        });
    }
    // The widest signature: 63 more parameters, 16 results.
    v.push(Shape {
        params: repeat(63, |_| "(param i64)".into()),
        results: format!("(result {})", "i64 ".repeat(16)),
        args: repeat(63, |i| format!("(i64.const {i})")),
        after: repeat(16, |i| format!("(i64.const {i})")),
        ..Shape::plain("63 i64 params, 16 results")
    });
    // Blocks with 16 results, their values live across the call.
    v.push(Shape {
        body: repeat(60, |_| {
            format!(
                "(block (result {}) {})",
                "i64 ".repeat(16),
                repeat(16, |i| format!("(i64.const {i})"))
            )
        }),
        after: "(drop) ".repeat(16 * 60),
        ..Shape::plain("60 16-result blocks")
    });
    // REPRO C1 / HOSTILE B1: locals redefined in many never-taken branches.
    let fat = |locals: usize, ifs: usize, name| {
        let tee = format!(
            "(global.get $z) {} (local.set $l{})",
            repeat(locals - 1, |i| format!("(local.tee $l{i})")),
            locals - 1
        );
        Shape {
            locals: repeat(locals, |i| format!("(local $l{i} i32)")),
            body: repeat(ifs, |_| format!("(if (global.get $z) (then {tee}))")),
            after: format!(
                "(if (global.get $z) (then {}))",
                repeat(locals, |i| format!("(drop (local.get $l{i}))"))
            ),
            ..Shape::plain(name)
        }
    };
    v.push(fat(16, 1_536, "16 locals x 1,536 ifs (HOSTILE B1)"));
    v.push(fat(121, 200, "121 locals x 200 ifs (REPRO C1)"));
    v
}

fn world() -> World {
    World::with_vm(Vm::new(&VmConfig::default()).unwrap())
}

/// The deepest `n` the counter allows, from the frame costs validation
/// computed: `call` plus n + 1 frames of `$rec` must fit.
fn deepest(module: &[u8]) -> u32 {
    let info = orac_vm::validate::validate(module).unwrap();
    let rec = info.frame_cost(info.imported_funcs);
    let call = info.frame_cost(info.call_index);
    (MAX_STACK_SLOTS - call) / rec - 1
}

fn recurse(w: &mut World, a: Address, n: u32) -> orac_vm::FrameResult {
    let mut input = n.to_le_bytes().to_vec();
    input.extend_from_slice(&0u32.to_le_bytes());
    w.call_with(a, &input, 0, 1_000_000_000)
}

/// The regression test `limits.rs` cites: every shape recurses exactly as
/// deep as the counter allows and fails, cleanly and with the counter's
/// own error, one frame further. wasmtime's stack limit is set just above
/// the counter's bound (`limits::WASM_STACK_BYTES`), so a frame larger than
/// `BYTES_PER_SLOT` per charged slot would make it fire here first.
#[test]
fn deep_recursion_hits_the_deterministic_limit() {
    let mut w = world();
    for shape in shapes() {
        let module = shape.module();
        let (a, r) = w.deploy_with(&module, &[], 0);
        assert!(r.success, "{}: deploy {:?}", shape.name, r.error);
        let n = deepest(&module);
        let r = recurse(&mut w, a, n);
        assert!(r.success, "{}: depth {n}: {:?}", shape.name, r.error);
        let r = recurse(&mut w, a, n + 1);
        assert_eq!(
            r.error,
            Some(Halt::StackLimit),
            "{}: depth {}",
            shape.name,
            n + 1
        );
        assert_eq!(r.gas_left, 0);
    }
}

/// The stack bomb across nested calls (HOSTILE B1, REPRO C1): each level
/// recurses to near the limit and then calls itself, 64 levels deep. This
/// used to overflow the thread's stack and abort the process; now the
/// shared counter stops the deepest frames and every level ends cleanly.
#[test]
fn the_stack_bomb_across_nested_calls_ends_cleanly() {
    let mut w = world();
    for shape in shapes().into_iter().filter(|s| s.name.contains("ifs")) {
        let bomb = Shape {
            bottom: "(if (i32.load (i32.const 4)) (then (call $address (i32.const 64)) \
                     (drop (call $call (i32.const 64) (i32.const 128) (i32.const 0) \
                     (i32.const 8) (i64.const -1)))))"
                .into(),
            ..shape
        };
        let module = bomb.module();
        let (a, r) = w.deploy_with(&module, &[], 0);
        assert!(r.success, "{}: {:?}", bomb.name, r.error);
        // Frames per level: just under what one level alone may use, and
        // a few, so the levels rather than the frames run out first.
        for frames in [deepest(&module), 64, 8] {
            let mut input = frames.to_le_bytes().to_vec();
            input.extend_from_slice(&1u32.to_le_bytes());
            let r = w.call_with(a, &input, 0, 1_000_000_000);
            assert!(
                r.success || r.error == Some(Halt::StackLimit),
                "{}: {frames} frames per level: {:?}",
                bomb.name,
                r.error
            );
        }
    }
}

/// A system contract that calls two addresses in turn with all its gas and
/// returns whether each succeeded (the shape of the oracle registry
/// delivering to two subscribers).
struct TwoCalls;

const FANOUT: Address = Address::repeat_byte(0x5c);

impl SystemContract for TwoCalls {
    fn serves(&self, address: &Address) -> bool {
        *address == FANOUT
    }
    fn home(&self) -> Address {
        FANOUT
    }
    fn call(&self, sys: &mut SystemCall) -> Result<Vec<u8>, SystemExit> {
        let input = sys.input().to_vec();
        let mut out = vec![];
        for target in input.chunks(28) {
            let to = Address::from_slice(&target[..20]);
            let r = sys.call(to, U256::zero(), target[20..].to_vec(), 100_000_000)?;
            out.push(r.success as u8);
        }
        Ok(out)
    }
}

/// REPRO H1: a sub-call that ends near the stack limit must not leave the
/// next sibling starting from its height. The first callee recurses as
/// deep as it can and calls a plain account at the bottom; the second then
/// recurses as deep as a first call may.
#[test]
fn every_sub_call_starts_from_its_callers_height() {
    let vm = Vm::new(&VmConfig::default())
        .unwrap()
        .with_system(Arc::new(TwoCalls));
    let mut w = World::with_vm(vm);
    let deep = Shape {
        bottom: "(call $address (i32.const 64)) \
                 (drop (call $call (i32.const 64) (i32.const 128) (i32.const 0) (i32.const 0) (i64.const -1)))"
            .into(),
        ..Shape::plain("deep, then a call")
    };
    let module = deep.module();
    let (a, r) = w.deploy_with(&module, &[], 0);
    assert!(r.success);
    // Called from the system frame (one frame's overhead above zero), the
    // deepest recursion that fits.
    let n = deepest(&module) - 1;
    let mut input = vec![];
    for _ in 0..2 {
        input.extend_from_slice(a.as_bytes());
        input.extend_from_slice(&n.to_le_bytes());
        input.extend_from_slice(&0u32.to_le_bytes());
    }
    let r = w.call_with(FANOUT, &input, 0, 1_000_000_000);
    assert!(r.success, "{:?}", r.error);
    assert_eq!(r.output, vec![1, 1], "both sub-calls fit");
}
