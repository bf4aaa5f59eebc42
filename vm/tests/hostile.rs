//! The hostile shapes whose harm shows in gas or in an outcome, each a
//! test that failed before its fix (HOSTILE.md, REPRO.md). The ones whose
//! harm is time alone are measured by `vm-adversary` and by the hostile
//! suite against the real node (tests/tests/hostile.rs).

mod common;

use common::*;
use orac_primitives::{Address, H256, U256};
use orac_vm::limits::{MAX_ESCAPING_FUNCTIONS, MAX_TYPES, SMALL_MEMORY_PAGES};
use orac_vm::{Halt, Trap, gas};

const IMPORTS: &str = r#"
  (import "orac" "calldata_size" (func $calldata_size (result i32)))
  (import "orac" "calldata_copy" (func $calldata_copy (param i32 i32 i32)))
  (import "orac" "set_return" (func $set_return (param i32 i32)))
  (import "orac" "revert" (func $revert (param i32 i32)))
  (import "orac" "gas_left" (func $gas_left (result i64)))
  (import "orac" "storage_read" (func $storage_read (param i32 i32)))
  (import "orac" "call" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (import "orac" "return_data_copy" (func $return_data_copy (param i32 i32 i32)))
"#;

/// A module with the test imports, `memory`, extra `fields`, and a `call`
/// export of `body`.
fn module(memory: &str, fields: &str, body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        "(module {IMPORTS} (memory (export \"memory\") {memory}) {fields} (func (export \"call\") {body}))"
    ))
    .unwrap()
}

fn deployed(w: &mut World, code: &[u8]) -> Address {
    let (a, r) = w.deploy_with(code, &[], 0);
    assert!(r.success, "deploy: {:?}", r.error);
    a
}

/// Gas of calling a freshly deployed `code` with no input.
fn measured(w: &mut World, code: &[u8]) -> u64 {
    let a = deployed(w, code);
    gas_used(w, a, &[])
}

fn gas_used(w: &mut World, to: Address, input: &[u8]) -> u64 {
    let r = w.call_with(to, input, 0, GAS);
    assert!(r.success, "{:?}", r.error);
    GAS - r.gas_left
}

/// HOSTILE B4: growth is paid when it happens. A frame that cannot pay
/// for the pages fails at `memory.grow` ("out of gas"), before it can
/// touch them; it used to grow, run on, and fail only when the frame ended
/// (here: at the `unreachable` that follows).
#[test]
fn memory_growth_is_paid_before_the_pages_exist() {
    let mut w = World::new();
    let a = deployed(
        &mut w,
        &module("1", "", "(drop (memory.grow (i32.const 15))) unreachable"),
    );
    let r = w.call_with(a, &[], 0, 50_000);
    assert_eq!(r.error, Some(Halt::OutOfGas));
    let r = w.call_with(a, &[], 0, 1_000_000);
    assert_eq!(
        r.error,
        Some(Halt::Trap(Trap::UnreachableCodeReached)),
        "with gas for the pages, the growth succeeds"
    );
}

/// HOSTILE B7: `memory.fill` and `memory.copy` of 0 bytes pay the fixed
/// cost of the call into the host they run as (they used to cost 4 fuel,
/// half a gas, for ~180 ns of work).
#[test]
fn empty_bulk_operations_pay_their_fixed_cost() {
    let mut w = World::new();
    let n = 100;
    let fills = "(memory.fill (i32.const 0) (i32.const 1) (call $calldata_size)) ".repeat(n);
    let copies = "(memory.copy (i32.const 0) (i32.const 8) (call $calldata_size)) ".repeat(n);
    let sizes = "(drop (call $calldata_size)) ".repeat(n);
    let base = measured(&mut w, &module("1", "", &sizes));
    for body in [fills, copies] {
        let used = measured(&mut w, &module("1", "", &body));
        assert!(
            used - base >= n as u64 * gas::MEMORY_BULK_BASE,
            "{} gas for {n} empty bulk operations",
            used - base
        );
    }
}

/// HOSTILE B8: every iteration of a loop pays for the fuel check at its
/// head, not 1 fuel.
#[test]
fn loop_iterations_pay_for_their_branch() {
    let mut w = World::new();
    let looped = |n: u32| {
        format!(
            "(local $i i32) (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) \
             (br_if $l (i32.lt_u (local.get $i) (i32.const {n}))))"
        )
    };
    let short = module("1", "", &looped(1_000));
    let long = module("1", "", &looped(11_000));
    let extra = measured(&mut w, &long) - measured(&mut w, &short);
    // 10,000 iterations of local.get, i32.const, i32.add, local.set,
    // local.get, i32.const, i32.lt_u (1 each) and br_if (3).
    assert_eq!(extra, 10_000 * 10 / gas::FUEL_PER_GAS);
}

/// Calling a function zeroes its locals: a call of a function with 2,000
/// locals cost 24 fuel and took 440 ns (80× the reference per gas).
#[test]
fn a_call_pays_for_zeroing_the_callees_locals() {
    let mut w = World::new();
    let calls = |locals: usize| {
        let callee = format!("(func $f {})", "(local i64) ".repeat(locals));
        module("1", &callee, &"(call $f) ".repeat(100))
    };
    let extra = measured(&mut w, &calls(2_000)) - measured(&mut w, &calls(0));
    assert!(
        extra >= 100 * 2_000 * gas::LOCAL_ZEROING_FUEL / gas::FUEL_PER_GAS,
        "{extra} gas for zeroing 200,000 locals"
    );
}

/// HOSTILE B3: a load's price follows the memory it can reach; one that
/// may grow past the small tier pays for the cache misses of a large one.
#[test]
fn loads_cost_more_in_a_memory_that_can_grow_large() {
    let mut w = World::new();
    let loads = "(drop (i64.load (i32.const 64))) ".repeat(1_000);
    let small = module(&format!("1 {SMALL_MEMORY_PAGES}"), "", &loads);
    let large = module("1", "", &loads);
    let extra = measured(&mut w, &large) - measured(&mut w, &small);
    let per_load = u64::from(gas::LARGE_MEMORY_LOAD_FUEL - gas::LOAD_FUEL);
    assert_eq!(extra, 1_000 * per_load / gas::FUEL_PER_GAS);
}

/// HOSTILE B10: a deploy pays for the trampolines wasmtime compiles for
/// it (110 µs each), and a module cannot have more than the limits allow.
#[test]
fn deploys_pay_for_trampolines_within_limits() {
    let deploy_gas = |code: &[u8]| {
        let mut w = World::new();
        let (_, r) = w.deploy_with(code, &[], 0);
        (
            r.success,
            100_000_000 - r.gas_left,
            r.error.map(|h| h.to_string()),
        )
    };
    let table = |n: usize| {
        let funcs: String = (0..n)
            .map(|i| format!("(func $f{i} (result i32) (i32.const {i}))"))
            .collect();
        let elems: String = (0..n).map(|i| format!("$f{i} ")).collect();
        module(
            "1",
            &format!(
                "{funcs} (table {} funcref) (elem (i32.const 0) {elems})",
                n.max(1)
            ),
            "",
        )
    };
    let (ok_few, few, _) = deploy_gas(&table(1));
    let (ok_many, many, _) = deploy_gas(&table(64));
    assert!(ok_few && ok_many);
    assert!(
        many - few >= 63 * gas::COMPILE_TRAMPOLINE,
        "63 more table functions cost {} more gas",
        many - few
    );
    let (ok, _, e) = deploy_gas(&table(MAX_ESCAPING_FUNCTIONS as usize + 1));
    assert!(
        !ok && e
            .unwrap()
            .contains("functions exported or in element segments")
    );
    let types: String = (0..=MAX_TYPES)
        .map(|i| {
            let params: String = (0..12)
                .map(|b| if (i >> b) & 1 == 1 { "i64 " } else { "i32 " })
                .collect();
            format!("(type (func (param {params})))")
        })
        .collect();
    let (ok, _, e) = deploy_gas(&module("1", &types, ""));
    assert!(!ok && e.unwrap().contains("function types"));
}

/// HOSTILE B11: an envelope around an empty module is refused, not turned
/// into an account without code.
#[test]
fn an_empty_module_is_not_a_contract() {
    let mut w = World::new();
    let (_, r) = w.deploy_with(b"", &[], 0);
    assert!(!r.success);
    assert!(error_text(r).contains("empty module"));
}

/// A contract that calls the contract at calldata[0..20] calldata[20]
/// times, with no input.
fn caller() -> Vec<u8> {
    module(
        "1",
        "",
        "(local $i i32) (call $calldata_copy (i32.const 0) (i32.const 0) (i32.const 21)) \
         (block $done (loop $l \
           (br_if $done (i32.ge_u (local.get $i) (i32.load8_u (i32.const 20)))) \
           (drop (call $call (i32.const 0) (i32.const 64) (i32.const 0) (i32.const 0) (i64.const -1))) \
           (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))",
    )
}

/// REPRO M4: the first run of a contract's code in a transaction pays for
/// loading it, per word, whether this node had it in memory or not; later
/// runs in the same transaction do not.
#[test]
fn code_is_charged_for_loading_once_per_transaction() {
    let mut w = World::new();
    let c = deployed(&mut w, &caller());
    let target_code = module("1", "", "");
    let target = deployed(&mut w, &target_code);
    let run = |w: &mut World, times: u8| {
        let mut input = target.as_bytes().to_vec();
        input.push(times);
        gas_used(w, c, &input)
    };
    let (none, once, twice) = (run(&mut w, 0), run(&mut w, 1), run(&mut w, 2));
    let first = once - none;
    let again = twice - once;
    // (Give or take the rounding of fuel to gas.)
    let expected = gas::code_load_cost(target_code.len()) + gas::ACCOUNT_COLD - gas::ACCOUNT_WARM;
    assert!(
        (first - again).abs_diff(expected) <= 1,
        "the first call also pays for the code and the cold account: {} vs {expected}",
        first - again
    );
    // The same with every module evicted from memory: gas does not depend
    // on what the node had cached.
    w.vm.engine().clear_memory_cache();
    assert_eq!(run(&mut w, 2), twice);
}

/// A contract whose `call` reads slot 0 and returns what the read cost
/// (u64 LE); it reverts with the same data if calldata[0] != 0.
fn slot_reader() -> Vec<u8> {
    module(
        "1",
        "",
        "(local $g i64) (call $calldata_copy (i32.const 100) (i32.const 0) (call $calldata_size)) \
         (local.set $g (call $gas_left)) (call $storage_read (i32.const 0) (i32.const 32)) \
         (i64.store (i32.const 0) (i64.sub (local.get $g) (call $gas_left))) \
         (if (i32.load8_u (i32.const 100)) (then (call $revert (i32.const 0) (i32.const 8)))) \
         (call $set_return (i32.const 0) (i32.const 8))",
    )
}

/// Calls `target` twice: first with input 0x01 (it reverts), then with
/// 0x00; returns the second call's output.
fn twice_caller(target: Address) -> Vec<u8> {
    module(
        "1",
        &format!(
            "(data (i32.const 0) \"{}\") (data (i32.const 40) \"\\01\")",
            hex_bytes(target)
        ),
        "(drop (call $call (i32.const 0) (i32.const 64) (i32.const 40) (i32.const 1) (i64.const -1))) \
         (drop (call $call (i32.const 0) (i32.const 64) (i32.const 41) (i32.const 1) (i64.const -1))) \
         (call $return_data_copy (i32.const 200) (i32.const 0) (i32.const 8)) \
         (call $set_return (i32.const 200) (i32.const 8))",
    )
}

/// `a` as a WAT string escape.
fn hex_bytes(a: Address) -> String {
    a.as_bytes().iter().map(|b| format!("\\{b:02x}")).collect()
}

fn cost(output: &[u8]) -> u64 {
    u64::from_le_bytes(output[..8].try_into().unwrap())
}

/// REPRO L1: warmth is rolled back with a failed sub-call (EIP-2929): the
/// second read of a slot whose first read was reverted is cold again.
#[test]
fn warm_sets_roll_back_with_a_failed_sub_call() {
    let mut w = World::new();
    let reader = deployed(&mut w, &slot_reader());
    let r = w.call_with(reader, &[0], 0, GAS);
    let cold = cost(&r.output);
    assert!(
        cold >= gas::STORAGE_READ_COLD,
        "a first read is cold: {cold}"
    );
    let outer = deployed(&mut w, &twice_caller(reader));
    let r = w.call_with(outer, &[], 0, GAS);
    assert!(r.success, "{:?}", r.error);
    assert_eq!(cost(&r.output), cold, "the reverted read's warmth is gone");
}

/// REPRO L1: an access list warms what the transaction paid for in its
/// intrinsic gas: the account and the slot read cost the warm price.
#[test]
fn an_access_list_warms_what_it_paid_for() {
    let mut w = World::new();
    let reader = deployed(&mut w, &slot_reader());
    let mut env = env();
    env.access_list = vec![(reader, vec![H256::zero()])];
    let vm = w.vm.clone();
    let state = &mut w.state;
    let r = orac_vm::on_execution_stack(|| {
        vm.call(state, env, ALICE, reader, U256::zero(), &[0], GAS, false)
            .unwrap()
    });
    assert!(r.success, "{:?}", r.error);
    assert!(
        cost(&r.output) < gas::STORAGE_READ_COLD,
        "the listed slot is warm: {}",
        cost(&r.output)
    );
}

/// REPRO L4: a value call that brings an account into existence pays for
/// the state it adds (Ethereum's 25,000), one to an existing account does
/// not.
#[test]
fn value_to_a_new_account_pays_for_the_account() {
    let mut w = World::new();
    let sender = module(
        "1",
        "(data (i32.const 63) \"\\01\")",
        "(call $calldata_copy (i32.const 0) (i32.const 0) (i32.const 20)) \
         (drop (call $call (i32.const 0) (i32.const 32) (i32.const 0) (i32.const 0) (i64.const 0)))",
    );
    let (s, r) = w.deploy_with(&sender, &[], 1_000);
    assert!(r.success);
    let existing = gas_used(&mut w, s, ALICE.as_bytes());
    let fresh = gas_used(&mut w, s, Address::repeat_byte(0x77).as_bytes());
    assert_eq!(
        fresh - existing,
        gas::NEW_ACCOUNT + gas::ACCOUNT_COLD - gas::ACCOUNT_WARM
    );
}

/// Compiled code checks fuel only at function entries and loop headers, so
/// a frame's last straight run could take it past its gas and still
/// succeed, reporting all its gas used: a counter deploy given 2,202 gas
/// less than it needed succeeded, and its gas used grew with its limit.
/// Now a frame succeeds exactly when its limit covers what it uses, and
/// what it uses does not depend on the limit.
#[test]
fn a_frame_never_ends_past_its_gas() {
    let mut w = World::new();
    // 3,000 dependent adds, no call and no loop after the entry check.
    let body = format!(
        "(local $x i64) {} (drop (local.get $x))",
        "(local.set $x (i64.add (local.get $x) (i64.const 3))) ".repeat(3_000)
    );
    let a = deployed(&mut w, &module("1", "", &body));
    let used = gas_used(&mut w, a, &[]);
    assert!(used > 1_000, "{used}");
    for limit in (used - 200)..used {
        let r = w.call_with(a, &[], 0, limit);
        assert!(!r.success, "limit {limit} < {used} succeeded");
        assert_eq!(r.error, Some(Halt::OutOfGas), "limit {limit}");
        assert_eq!(r.gas_left, 0);
    }
    for limit in used..used + 50 {
        let r = w.call_with(a, &[], 0, limit);
        assert!(r.success, "limit {limit} ≥ {used}: {:?}", r.error);
        assert_eq!(limit - r.gas_left, used, "limit {limit}");
    }
}
