//! Generated WebAssembly for the compile-time measurements: ordinary
//! contract-like code, and "JIT bomb" shapes sized to pass orac's deploy
//! limits (vm/src/limits.rs).

use crate::vmkit::{COMPUTE_WASM, TOKEN_WASM};

/// A contract module (memory, `call` export) holding `funcs` (WAT text)
/// besides, so they are compiled but never run.
pub fn module(funcs: &[String]) -> Vec<u8> {
    let text = format!(
        "(module (memory (export \"memory\") 1) (func (export \"call\"))\n{}\n)",
        funcs.join("\n")
    );
    wat::parse_str(&text).expect("generated WAT parses")
}

/// `depth` nested loops in one function; with `backedge`, each loop body
/// starts with a conditional branch back to its header.
pub fn nested_loops(depth: usize, backedge: bool) -> String {
    let mut s = String::from("(func (param i32)\n");
    for _ in 0..depth {
        s.push_str(if backedge {
            "loop local.get 0 br_if 0\n"
        } else {
            "loop\n"
        });
    }
    for _ in 0..depth {
        s.push_str("end\n");
    }
    s.push(')');
    s
}

/// One function of `count` loops one after another, each branching back
/// when `backedge`.
pub fn sequential_loops(count: usize, backedge: bool) -> String {
    let mut s = String::from("(func (param i32)\n");
    for _ in 0..count {
        s.push_str(if backedge {
            "loop local.get 0 br_if 0 end\n"
        } else {
            "loop end\n"
        });
    }
    s.push(')');
    s
}

/// `depth` nested blocks; at the innermost, a br_table to every one of
/// them. With `locals` > 0, that many i64 locals are live across all of
/// it and every block's exit updates one of them.
pub fn br_table_bomb(depth: usize, locals: usize) -> String {
    let mut s = String::from("(func (param i32) (result i64)\n");
    if locals > 0 {
        s.push_str(&format!("(local {})\n", "i64 ".repeat(locals)));
        for l in 0..locals {
            s.push_str(&format!(
                "local.get 0 i64.extend_i32_u i64.const {} i64.mul local.set {}\n",
                l + 3,
                l + 1
            ));
        }
    }
    for _ in 0..depth {
        s.push_str("block\n");
    }
    s.push_str("local.get 0 br_table");
    for t in 0..depth {
        s.push_str(&format!(" {t}"));
    }
    s.push('\n');
    for d in 0..depth {
        s.push_str("end\n");
        if locals > 0 {
            let l = d % locals + 1;
            s.push_str(&format!(
                "local.get {l} i64.const {d} i64.add local.set {l}\n"
            ));
        }
    }
    if locals > 0 {
        s.push_str("local.get 1\n");
        for l in 2..=locals {
            s.push_str(&format!("local.get {l} i64.add\n"));
        }
    } else {
        s.push_str("i64.const 0\n");
    }
    s.push(')');
    s
}

/// `locals` i64 locals (the most allowed with one parameter), all live
/// from start to end, across `ifs` conditional blocks that each update one.
pub fn locals_bomb(locals: usize, ifs: usize) -> String {
    let mut s = format!(
        "(func (param i32) (result i64) (local {})\n",
        "i64 ".repeat(locals)
    );
    for l in 1..=locals {
        s.push_str(&format!(
            "local.get 0 i64.extend_i32_u i64.const {l} i64.add local.set {l}\n"
        ));
    }
    for i in 0..ifs {
        let l = i % locals + 1;
        let m = (i * 7) % locals + 1;
        s.push_str(&format!(
            "local.get 0 i32.const {i} i32.gt_u if local.get {l} local.get {m} i64.add local.set {l} end\n"
        ));
    }
    s.push_str("local.get 1\n");
    for l in 2..=locals {
        s.push_str(&format!("local.get {l} i64.add\n"));
    }
    s.push(')');
    s
}

/// Straight-line code with `width` values live on the operand stack at
/// once (the limit is 1,024), repeated `reps` times.
pub fn wide_stack(width: usize, reps: usize) -> String {
    let mut s = String::from("(func (param i64) (result i64)\ni64.const 0\n");
    let mut k = 1u64;
    for _ in 0..reps {
        for _ in 0..width {
            k += 2;
            s.push_str(&format!("local.get 0 i64.const {k} i64.mul\n"));
        }
        for _ in 0..width {
            s.push_str("i64.xor\n");
        }
    }
    s.push(')');
    s
}

/// A plausible contract-like function: a loop of integer work with memory
/// accesses, a conditional call to an earlier function, a small switch.
pub fn ordinary_function(i: usize) -> String {
    let callee = if i == 0 {
        String::new()
    } else {
        format!("local.get 2 local.get 1 call {i} local.set 2")
    };
    format!(
        "(func (param i64 i64) (result i64) (local i64 i32 i32)
  local.get 0 local.set 2
  block loop
    local.get 2 i64.const {c1} i64.mul local.get 1 i64.xor i64.const 13 i64.rotl local.set 2
    local.get 3 i32.const 8 i32.shl local.get 3 i32.const 1020 i32.and i32.add local.set 4
    local.get 4 local.get 2 i64.store offset=64
    local.get 4 i64.load offset=72 local.get 2 i64.add local.set 2
    local.get 3 i32.const 1 i32.add local.tee 3 i32.const {n} i32.lt_u br_if 0
  end end
  block block block
    local.get 1 i64.const 3 i64.rem_u i32.wrap_i64
    br_table 0 1 2
  end
    local.get 2 i64.const {c2} i64.add local.set 2
  end
    local.get 2 i64.const 7 i64.shr_u local.set 2
  end
  local.get 2 i64.const {c3} i64.gt_u
  if {callee} end
  local.get 2 local.get 1 i64.const 5 i64.div_u i64.add)",
        c1 = 0x9E37_79B9u64 + i as u64 * 2,
        c2 = i * 31 + 7,
        c3 = 1000 + i,
        n = 4 + i % 13,
    )
}

/// A module to compile, and how the report counts it.
pub struct Shape {
    /// What the report calls it.
    pub name: String,
    /// The module's bytes.
    pub code: Vec<u8>,
    /// Counted in the ms/KB figure of "ordinary" code.
    pub ordinary: bool,
}

/// Gas of a contract-creation transaction deploying `code` (no constructor
/// arguments, constructor not counted): intrinsic gas (21,000 + 32,000 +
/// calldata + EIP-3860 words) plus the VM's deploy cost.
pub fn deploy_tx_gas(code: &[u8]) -> u64 {
    let data = orac_vm::envelope::wrap(code);
    let calldata: u64 = data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum();
    21_000
        + 32_000
        + calldata
        + 2 * (data.len() as u64).div_ceil(32)
        + orac_vm::validate::validate(code)
            .map(|info| orac_vm::exec::deploy_cost(code.len(), info.trampolines))
            .unwrap_or(0)
}

/// The dev chain's block gas limit: a deploy transaction must fit in it.
pub const BLOCK_GAS_LIMIT: u64 = 30_000_000;

/// The compile-time shapes: contracts, a larger ordinary module, and JIT
/// bombs. Every bomb passes the deploy rules; all but the `extreme` ones
/// also fit one 30M-gas deploy transaction.
pub fn shapes(extreme: bool) -> Vec<Shape> {
    let mut v = vec![
        Shape {
            name: "compute.wasm (Rust contract)".into(),
            code: COMPUTE_WASM.to_vec(),
            ordinary: true,
        },
        Shape {
            name: "token.wasm (Rust contract)".into(),
            code: TOKEN_WASM.to_vec(),
            ordinary: true,
        },
        Shape {
            name: "generated, 560 ordinary functions".into(),
            code: module(&(0..560).map(ordinary_function).collect::<Vec<_>>()),
            ordinary: true,
        },
    ];
    let mut bombs: Vec<(String, Vec<String>)> = vec![
        (
            "1 fn, 4,096 nested empty loops".into(),
            vec![nested_loops(4096, false)],
        ),
        (
            "1 fn, 4,096 sequential empty loops".into(),
            vec![sequential_loops(4096, false)],
        ),
        (
            "1 fn, 4,096 nested loops + back-edges".into(),
            vec![nested_loops(4096, true)],
        ),
        (
            "2 fns x 4,096 nested loops + back-edges".into(),
            (0..2).map(|_| nested_loops(4096, true)).collect(),
        ),
        (
            "2 fns x 4,096 sequential loops + back-edges".into(),
            (0..2).map(|_| sequential_loops(4096, true)).collect(),
        ),
        (
            "1 fn, br_table to 4,096 nested blocks".into(),
            vec![br_table_bomb(4096, 0)],
        ),
        (
            "4 fns x br_table to 4,096 nested blocks".into(),
            (0..4).map(|_| br_table_bomb(4096, 0)).collect(),
        ),
        (
            "1 fn, br_table to 4,096 blocks, 64 live locals".into(),
            vec![br_table_bomb(4096, 64)],
        ),
        (
            "1 fn, br_table to 4,096 blocks, 256 live locals".into(),
            vec![br_table_bomb(4096, 256)],
        ),
        (
            "1 fn, br_table to 4,096 blocks, 1,024 live locals".into(),
            vec![br_table_bomb(4096, 1024)],
        ),
        (
            "1 fn, 2,047 live locals across 2,500 ifs".into(),
            vec![locals_bomb(2047, 2500)],
        ),
        // At the compile-weight limits (vm/src/limits.rs): the worst that
        // still deploys.
        (
            "1 fn, br_table to 256 blocks, 255 live locals".into(),
            vec![br_table_bomb(256, 255)],
        ),
        (
            "4 fns x br_table to 256 blocks, 255 live locals".into(),
            (0..4).map(|_| br_table_bomb(256, 255)).collect(),
        ),
        (
            "1 fn, 511 live locals across 512 ifs".into(),
            vec![locals_bomb(511, 512)],
        ),
        (
            "4 fns x 511 live locals across 512 ifs".into(),
            (0..4).map(|_| locals_bomb(511, 512)).collect(),
        ),
        (
            "1 fn, 1,000-wide operand stack x 10".into(),
            vec![wide_stack(1000, 10)],
        ),
        (
            "4,095 tiny functions (the function limit)".into(),
            (0..4095)
                .map(|k| {
                    format!("(func (param i64) (result i64) local.get 0 i64.const {k} i64.add)")
                })
                .collect(),
        ),
    ];
    if extreme {
        bombs.push((
            "4 fns x 4,096 nested loops + back-edges".into(),
            (0..4).map(|_| nested_loops(4096, true)).collect(),
        ));
        bombs.push((
            "1 fn, br_table to 4,096 blocks, 2,047 live locals".into(),
            vec![br_table_bomb(4096, 2047)],
        ));
    }
    for (name, funcs) in bombs {
        v.push(Shape {
            name,
            code: module(&funcs),
            ordinary: false,
        });
    }
    v
}
