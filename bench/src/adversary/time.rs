//! Hand-written shape families for time per gas. Each is a `call` that
//! loops until its gas is gone, so a run measures the steady state of one
//! loop body; most come at several sizes. Together they cover what the
//! hardening reports found (HOSTILE.md B2–B10) and the classes around
//! them: control flow, values live across edges, memory access patterns,
//! bulk memory, every cheap host function, calls, growth and creation.

use orac_vm::limits::{MAX_MEMORY_PAGES, SMALL_MEMORY_PAGES};

use super::Shape;
use super::wat::{contract, contract_with, forever, repeat};

/// The yardstick: a dependent chain of 64-bit multiplies, xors and shifts
/// (what docs/gas.md prices fuel for), unrolled eight times so the loop
/// around it costs next to nothing.
pub fn reference() -> Shape {
    let step = "(local.set $x (i64.xor (i64.mul (local.get $x) (i64.const 6364136223846793005)) \
                (i64.shr_u (local.get $x) (i64.const 7))))";
    Shape::new(
        "reference: dependent i64 mul/xor/shr",
        contract(
            1,
            "",
            "(local $x i64)",
            &format!("(local.set $x (i64.const 7)) {}", forever(&step.repeat(8))),
        ),
    )
}

/// Every family, at its sizes.
pub fn shapes() -> Vec<Shape> {
    let mut v = Vec::new();
    v.extend(control());
    v.extend(locals());
    v.extend(memory());
    v.extend(bulk());
    v.extend(arithmetic());
    v.extend(calls());
    v.extend(host());
    v.extend(growth());
    v.extend(creation());
    v
}

fn simple(name: &str, locals: &str, body: &str) -> Shape {
    Shape::new(name, contract(1, "", locals, body))
}

fn control() -> Vec<Shape> {
    vec![
        simple("control: (loop (br 0))", "", &forever("")),
        simple(
            "control: br_if back-edge",
            "",
            "(loop $l (br_if $l (i32.const 1)))",
        ),
        simple(
            "control: 3 nested blocks, br out of each",
            "",
            &forever("(block $a (block $b (block $c (br $c)) (br $b)) (br $a))"),
        ),
        simple(
            "control: br_table to 3 targets",
            "(local $i i32)",
            &forever(
                "(local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (i32.const 3))) \
                 (block $a (block $b (br_table $a $b $a (local.get $i))))",
            ),
        ),
        simple(
            "control: if/else on a counter",
            "(local $i i32)",
            &forever(
                "(local.set $i (i32.add (local.get $i) (i32.const 1))) \
                 (if (i32.and (local.get $i) (i32.const 1)) (then (nop)) (else (nop)))",
            ),
        ),
        simple(
            "control: 16-result block, br with values",
            "",
            &forever(&format!(
                "(block (result {}) {} (br 0)) {}",
                "i64 ".repeat(16),
                repeat(16, |i| format!("(i64.const {i})")),
                "(drop) ".repeat(16)
            )),
        ),
        simple(
            "control: br_table carrying 16 values",
            "(local $i i32)",
            &forever(&format!(
                "(block (result {t}) (block (result {t}) {} (br_table 0 1 0 (local.get $i))) (br 0)) {}",
                repeat(16, |i| format!("(i64.const {i})")),
                "(drop) ".repeat(16),
                t = "i64 ".repeat(16),
            )),
        ),
    ]
}

/// Locals live across a loop whose never-taken branch redefines them
/// (HOSTILE B2: under Cranelift each became a value copied at every edge).
fn locals() -> Vec<Shape> {
    [16, 256, 2_000]
        .into_iter()
        .map(|n| {
            let locals = format!(
                "(local $c i32) (local $acc i64) {}",
                repeat(n, |i| format!("(local $x{i} i64)"))
            );
            let body = format!(
                "(local.set $c (call $calldata_size)) {} \
                 (loop $l (if (local.get $c) (then {})) (br_if $l (i32.eqz (local.get $c)))) {}",
                repeat(n, |i| format!(
                    "(local.set $x{i} (i64.extend_i32_u (i32.add (local.get $c) (i32.const {i}))))"
                )),
                repeat(n, |i| format!("(local.set $x{i} (i64.const {i}))")),
                repeat(n, |i| format!(
                    "(local.set $acc (i64.add (local.get $acc) (local.get $x{i})))"
                )),
            );
            simple(
                &format!("locals: {n} i64 live across a loop"),
                &locals,
                &body,
            )
        })
        .collect()
}

/// Sizes of memory to walk, in pages: one, a few, and the cap.
fn sizes() -> Vec<u64> {
    let mut v = vec![1, 4, 16, 64, MAX_MEMORY_PAGES];
    v.retain(|p| *p <= MAX_MEMORY_PAGES);
    v.dedup();
    v
}

/// A full-period permutation of the memory's 64-byte lines, as a pointer
/// chain: `load(p)` is the next line, in LCG order.
fn build_chain(pages: u64) -> String {
    let lines = pages * 1024;
    format!(
        "(loop $s \
           (i32.store (i32.shl (local.get $i) (i32.const 6)) \
             (i32.shl (i32.and (i32.add (i32.mul (local.get $i) (i32.const 1103515245)) (i32.const 12345)) \
               (i32.const {mask})) (i32.const 6))) \
           (local.set $i (i32.add (local.get $i) (i32.const 1))) \
           (br_if $s (i32.lt_u (local.get $i) (i32.const {lines}))))",
        mask = lines - 1
    )
}

fn tier(pages: u64) -> &'static str {
    if pages <= SMALL_MEMORY_PAGES {
        " (small memory)"
    } else {
        ""
    }
}

/// Memory latency (HOSTILE B3): dependent loads, independent random loads
/// and stores, at each size.
fn memory() -> Vec<Shape> {
    let mut v = Vec::new();
    for pages in sizes() {
        let mask = pages * 65_536 - 1;
        let chain = build_chain(pages);
        // Memories that fit the small tier declare it (cheaper loads).
        let contract = |pages: u64, extra: &str, locals: &str, body: &str| {
            if pages <= SMALL_MEMORY_PAGES {
                contract_with(
                    &format!("{pages} {SMALL_MEMORY_PAGES}"),
                    extra,
                    locals,
                    body,
                )
            } else {
                contract(pages, extra, locals, body)
            }
        };
        // A dependent chain of `hops` loads per loop iteration.
        let chase = |hops: usize, suffix: &str| {
            let load = (0..hops).fold("(local.get $p)".to_string(), |e, _| {
                format!("(i32.load {e})")
            });
            Shape::new(
                format!(
                    "memory: pointer chase over {pages} pages{}{suffix}",
                    tier(pages)
                ),
                contract(
                    pages,
                    "",
                    "(local $i i32) (local $p i32)",
                    &format!("{chain} {}", forever(&format!("(local.set $p {load})"))),
                ),
            )
        };
        v.push(chase(1, ""));
        v.push(chase(8, ", 8 hops unrolled"));
        let lcg = "(local.set $r (i32.add (i32.mul (local.get $r) (i32.const 1103515245)) (i32.const 12345)))";
        v.push(Shape::new(
            format!("memory: random independent loads over {pages} pages"),
            contract(
                pages,
                "",
                "(local $r i32) (local $s i64)",
                &forever(&format!(
                    "{lcg} (local.set $s (i64.add (local.get $s) \
                     (i64.load (i32.and (local.get $r) (i32.const {})))))",
                    mask & !7
                )),
            ),
        ));
        v.push(Shape::new(
            format!("memory: random stores over {pages} pages"),
            contract(
                pages,
                "",
                "(local $r i32)",
                &forever(&format!(
                    "{lcg} (i64.store (i32.and (local.get $r) (i32.const {})) (i64.const 1))",
                    mask & !7
                )),
            ),
        ));
    }
    v
}

/// Bulk memory at small and large lengths, including 0 (HOSTILE B7).
fn bulk() -> Vec<Shape> {
    let mut v = Vec::new();
    for len in [0u32, 1, 64, 4096, 65_536] {
        for (op, args) in [
            ("memory.fill", "(i32.const 0) (i32.const 1)"),
            ("memory.copy", "(i32.const 0) (i32.const 8)"),
        ] {
            v.push(Shape::new(
                format!("bulk: {op} of {len} bytes"),
                contract(
                    2,
                    "",
                    "(local $n i32)",
                    &format!(
                        "(local.set $n (i32.add (call $calldata_size) (i32.const {len}))) {}",
                        forever(&format!("({op} {args} (local.get $n))"))
                    ),
                ),
            ));
        }
    }
    v.push(simple(
        "bulk: memory.size",
        "",
        &forever("(drop (memory.size))"),
    ));
    v
}

/// Instructions that compile to more than one machine instruction.
fn arithmetic() -> Vec<Shape> {
    let unary = |name: &str, ty: &str, init: &str, op: &str| {
        simple(
            &format!("arith: {name}"),
            &format!("(local $x {ty})"),
            &format!(
                "(local.set $x {init}) {}",
                forever(&format!("(local.set $x {op})"))
            ),
        )
    };
    vec![
        unary(
            "i64.div_u chain",
            "i64",
            "(i64.const -1)",
            "(i64.div_u (i64.const -1) (i64.or (local.get $x) (i64.const 3)))",
        ),
        unary(
            "i64.rem_s chain",
            "i64",
            "(i64.const -1)",
            "(i64.rem_s (i64.const -7777777) (i64.or (local.get $x) (i64.const 3)))",
        ),
        unary(
            "i32.div_s chain",
            "i32",
            "(i32.const -1)",
            "(i32.div_s (i32.const -7777777) (i32.or (local.get $x) (i32.const 3)))",
        ),
        unary(
            "f64.sqrt chain",
            "f64",
            "(f64.const 2)",
            "(f64.sqrt (f64.add (local.get $x) (f64.const 1)))",
        ),
        unary(
            "f64.div chain",
            "f64",
            "(f64.const 2)",
            "(f64.div (f64.const 1e10) (f64.add (local.get $x) (f64.const 1)))",
        ),
        unary(
            "f64 NaN arithmetic (canonicalised)",
            "f64",
            "(f64.const nan:0x4)",
            "(f64.mul (f64.add (local.get $x) (f64.const nan)) (f64.const 3))",
        ),
        unary(
            "f32 min/max chain",
            "f32",
            "(f32.const 1)",
            "(f32.max (f32.min (local.get $x) (f32.const 3)) (f32.const -0))",
        ),
        unary(
            "f64.nearest/trunc chain",
            "f64",
            "(f64.const 2.5)",
            "(f64.nearest (f64.trunc (f64.add (local.get $x) (f64.const 0.7))))",
        ),
        unary(
            "i64.trunc_sat_f64_s round trip",
            "i64",
            "(i64.const 1)",
            "(i64.trunc_sat_f64_s (f64.add (f64.convert_i64_s (local.get $x)) (f64.const 1.5)))",
        ),
        unary(
            "i32.trunc_sat_f32_u round trip",
            "i32",
            "(i32.const 1)",
            "(i32.trunc_sat_f32_u (f32.add (f32.convert_i32_u (local.get $x)) (f32.const 1.5)))",
        ),
        unary(
            "i64.trunc_f64_u round trip",
            "i64",
            "(i64.const 1)",
            "(i64.trunc_f64_u (f64.add (f64.convert_i64_u (local.get $x)) (f64.const 1.5)))",
        ),
        unary(
            "popcnt/clz/ctz chain",
            "i64",
            "(i64.const 12345)",
            "(i64.add (i64.popcnt (local.get $x)) (i64.add (i64.clz (local.get $x)) (i64.ctz (i64.or (local.get $x) (i64.const 1)))))",
        ),
        unary(
            "rotl/select chain",
            "i64",
            "(i64.const 12345)",
            "(select (i64.rotl (local.get $x) (i64.const 13)) (i64.const 5) (i64.ne (local.get $x) (i64.const 0)))",
        ),
        Shape::new(
            "arith: global.get/set",
            contract(
                1,
                "(global (mut i32) (i32.const 0))",
                "",
                &forever("(global.set 0 (i32.add (global.get 0) (i32.const 1)))"),
            ),
        ),
        simple(
            "arith: i64.load8/store8 same address",
            "",
            &forever(
                "(i64.store8 (i32.const 8) (i64.add (i64.load8_u (i32.const 8)) (i64.const 1)))",
            ),
        ),
    ]
}

fn calls() -> Vec<Shape> {
    let params = "(param i64) ".repeat(64);
    let args = repeat(64, |i| format!("(i64.const {i})"));
    vec![
        Shape::new(
            "calls: empty function",
            contract(1, "(func $f)", "", &forever("(call $f)")),
        ),
        Shape::new(
            "calls: call_indirect",
            contract(
                1,
                "(type $t (func)) (func $f) (table 1 funcref) (elem (i32.const 0) $f)",
                "",
                &forever("(call_indirect (type $t) (i32.const 0))"),
            ),
        ),
        Shape::new(
            "calls: 64 parameters",
            contract(
                1,
                &format!("(func $f {params})"),
                "",
                &forever(&format!("(call $f {args})")),
            ),
        ),
        Shape::new(
            "calls: 16 results",
            contract(
                1,
                &format!(
                    "(func $f (result {}) {})",
                    "i64 ".repeat(16),
                    repeat(16, |i| format!("(i64.const {i})"))
                ),
                "",
                &forever(&format!("(call $f) {}", "(drop) ".repeat(16))),
            ),
        ),
        Shape::new(
            "calls: a function with 2,000 locals",
            contract(
                1,
                &format!("(func $f {})", "(local i64) ".repeat(2_000)),
                "",
                &forever("(call $f)"),
            ),
        ),
        Shape::new(
            "calls: a function with 2,000 locals, indirectly",
            contract(
                1,
                &format!(
                    "(type $t (func)) (func $f {}) (table 1 funcref) (elem (i32.const 0) $f)",
                    "(local i64) ".repeat(2_000)
                ),
                "",
                &forever("(call_indirect (type $t) (i32.const 0))"),
            ),
        ),
        Shape::new(
            "calls: recursion 100 deep with 200 locals",
            contract(
                1,
                &format!(
                    "(func $r (param $n i32) {} (if (local.get $n) (then (call $r (i32.sub (local.get $n) (i32.const 1))))))",
                    "(local i64) ".repeat(200)
                ),
                "",
                &forever("(call $r (i32.const 100))"),
            ),
        ),
    ]
}

/// One loop per cheap host function (the expensive ones are priced for
/// state growth and take far less time than they are charged).
fn host() -> Vec<Shape> {
    let h = |name: &str, locals: &str, call: &str| {
        simple(&format!("host: {name}"), locals, &forever(call))
    };
    let next_key = "(i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))";
    vec![
        h("calldata_size", "", "(drop (call $calldata_size))"),
        h(
            "calldata_copy 0 bytes",
            "",
            "(call $calldata_copy (i32.const 0) (i32.const 0) (i32.const 0))",
        ),
        h("gas_left", "", "(drop (call $gas_left))"),
        h("block_number", "", "(drop (call $block_number))"),
        h(
            "address (20-byte write)",
            "",
            "(call $address (i32.const 64))",
        ),
        h(
            "call_value (32-byte write)",
            "",
            "(call $call_value (i32.const 64))",
        ),
        h("return_data_size", "", "(drop (call $return_data_size))"),
        h(
            "set_return 0 bytes",
            "",
            "(call $set_return (i32.const 0) (i32.const 0))",
        ),
        h(
            "set_return 4 KiB",
            "",
            "(call $set_return (i32.const 0) (i32.const 4096))",
        ),
        h(
            "keccak256 of 0 bytes",
            "",
            "(call $keccak256 (i32.const 0) (i32.const 0) (i32.const 64))",
        ),
        h(
            "keccak256 of 32 bytes",
            "",
            "(call $keccak256 (i32.const 0) (i32.const 32) (i32.const 64))",
        ),
        h(
            "keccak256 of 136 bytes",
            "",
            "(call $keccak256 (i32.const 0) (i32.const 136) (i32.const 256))",
        ),
        h(
            "keccak256 of 4 KiB",
            "",
            "(call $keccak256 (i32.const 0) (i32.const 4096) (i32.const 8192))",
        ),
        h(
            "ecrecover (invalid signature)",
            "",
            "(drop (call $ecrecover (i32.const 0) (i32.const 27) (i32.const 32) (i32.const 64) (i32.const 128)))",
        ),
        h(
            "storage_read, same slot (warm)",
            "",
            "(call $storage_read (i32.const 0) (i32.const 64))",
        ),
        h(
            "storage_read, new slot each (cold)",
            "",
            &format!("{next_key} (call $storage_read (i32.const 0) (i32.const 64))"),
        ),
        h(
            "storage_write, new slot each",
            "",
            &format!("{next_key} (call $storage_write (i32.const 0) (i32.const 0))"),
        ),
        h(
            "balance, same account (warm)",
            "",
            "(call $balance (i32.const 0) (i32.const 64))",
        ),
        h(
            "balance, new account each (cold)",
            "",
            &format!("{next_key} (call $balance (i32.const 0) (i32.const 64))"),
        ),
        h(
            "emit_log, no data",
            "",
            "(call $emit_log (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))",
        ),
        h(
            "emit_log, 4 topics + 1 KiB",
            "",
            "(call $emit_log (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 1024))",
        ),
        h(
            "call an empty account (warm)",
            "",
            "(drop (call $call (i32.const 0) (i32.const 256) (i32.const 0) (i32.const 0) (i64.const 0)))",
        ),
        h(
            "call a new account each (cold)",
            "",
            &format!(
                "{next_key} (drop (call $call (i32.const 0) (i32.const 256) (i32.const 0) (i32.const 0) (i64.const 0)))"
            ),
        ),
        h(
            "static_call of itself, no gas",
            "",
            "(call $address (i32.const 0)) (drop (call $static_call (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))",
        ),
    ]
}

/// Memory growth (HOSTILE B4): in the running frame, and in sub-calls with
/// a budget too small for the pages they grow.
fn growth() -> Vec<Shape> {
    let grower = contract(
        0,
        "",
        "(local $i i32)",
        &format!(
            "(drop (memory.grow (i32.const {MAX_MEMORY_PAGES}))) \
             (loop $l (i32.store8 (local.get $i) (i32.const 1)) \
               (local.set $i (i32.add (local.get $i) (i32.const 4096))) \
               (br_if $l (i32.lt_u (local.get $i) (i32.const {}))))",
            MAX_MEMORY_PAGES * 65_536
        ),
    );
    let helper = super::HELPER;
    let mut addr = String::new();
    for b in helper.as_bytes() {
        addr.push_str(&format!("\\{b:02x}"));
    }
    let caller = |budget: u64| {
        contract(
            1,
            &format!("(data (i32.const 0) \"{addr}\")"),
            "",
            &forever(&format!(
                "(drop (call $call (i32.const 0) (i32.const 64) (i32.const 0) (i32.const 0) (i64.const {budget})))"
            )),
        )
    };
    vec![
        simple(
            "growth: memory.grow 0 pages",
            "",
            &forever("(drop (memory.grow (i32.const 0)))"),
        ),
        Shape::new(
            "growth: memory.grow past the cap (fails)",
            contract(
                1,
                "",
                "",
                &forever(&format!(
                    "(drop (memory.grow (i32.const {MAX_MEMORY_PAGES})))"
                )),
            ),
        ),
        Shape::new(
            "growth: sub-calls grow the cap and touch it, 14k gas each",
            caller(14_000),
        )
        .helper(grower.clone()),
        Shape::new(
            "growth: sub-calls grow the cap and touch it, all gas",
            caller(u64::MAX >> 1),
        )
        .helper(grower),
    ]
}

/// `create` in a loop: the same module, and a new module each time (a
/// compile every iteration; HOSTILE B10).
fn creation() -> Vec<Shape> {
    let child = wat::parse_str(
        r#"(module (memory (export "memory") 1) (data (i32.const 0) "01234567") (func (export "call")))"#,
    )
    .expect("child parses");
    let envelope = orac_vm::envelope::wrap(&child);
    // Where the data segment's bytes sit in the envelope, to change them.
    let at = envelope
        .windows(8)
        .position(|w| w == b"01234567")
        .expect("data in module");
    let mut data = String::new();
    for b in &envelope {
        data.push_str(&format!("\\{b:02x}"));
    }
    let base = 1024;
    let create = format!(
        "(drop (call $create (i32.const 0) (i32.const {base}) (i32.const {}) (i32.const 64)))",
        envelope.len()
    );
    let bump = format!(
        "(i64.store (i32.const {p}) (i64.add (i64.load (i32.const {p})) (i64.const 1)))",
        p = base + at
    );
    vec![
        Shape::new(
            "create: the same module each time",
            contract(
                1,
                &format!("(data (i32.const {base}) \"{data}\")"),
                "",
                &forever(&create),
            ),
        ),
        Shape::cold(
            "create: a new module each time (compiled each time)",
            contract(
                1,
                &format!("(data (i32.const {base}) \"{data}\")"),
                "",
                &forever(&format!("{bump} {create}")),
            ),
        ),
    ]
}
