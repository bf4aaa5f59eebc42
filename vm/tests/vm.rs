//! The VM end to end, in process: every host function, the message rules,
//! hostile contracts, and the deploy-time rules. Contracts are WAT
//! (tests/tool.wat is a multi-tool dispatching on its first calldata byte).

use orac_primitives::{Address, H256, PrivateKey, U256, keccak256};
use orac_vm::envelope;
use orac_vm::limits::{MAX_CALL_DEPTH, MAX_MEMORY_PAGES};
use orac_vm::{Halt, create_address, create2_address};

mod common;
use common::*;

#[test]
fn deploy_runs_the_constructor_and_storage_round_trips() {
    let mut w = World::new();
    let (a, r) = w.deploy_with(&tool(), &word(42), 0);
    assert!(r.success, "{:?}", r.error);
    assert_eq!(r.created, Some(a));
    // The constructor stored its argument under key 0x..ff.
    assert_eq!(w.slot(a, H256(word(0xff))), H256(word(42)));
    // The deployed code is the module itself; a contract starts at nonce 1.
    assert_eq!(w.state.code(&a).unwrap().0, tool());
    assert_eq!(w.state.nonce(&a).unwrap(), 1);
    assert!(w.call(a, &op(1, &[&word(1), &word(9)])).success);
    let r = w.call(a, &op(2, &[&word(1)]));
    assert!(r.success);
    assert_eq!(r.output, word(9));
    assert!(w.call(a, &op(3, &[&word(1)])).success);
    assert_eq!(w.call(a, &op(2, &[&word(1)])).output, word(0));
    // Unknown op: the contract reverts with no data.
    let r = w.call(a, &[0xee]);
    assert!(!r.success);
    assert!(r.output.is_empty());
    assert!(r.gas_left > 0, "a revert returns the unused gas");
}

#[test]
fn environment_reaches_the_contract() {
    let mut w = World::new();
    let a = w.deploy();
    let r = w.call_with(a, &[5, 1, 2, 3], 77, GAS);
    assert!(r.success, "{:?}", r.error);
    let o = &r.output;
    assert_eq!(&o[0..20], ALICE.as_bytes(), "caller");
    assert_eq!(&o[20..40], ALICE.as_bytes(), "origin");
    assert_eq!(&o[40..60], a.as_bytes(), "address");
    assert_eq!(U256::from_big_endian(&o[60..92]), U256::from(77), "value");
    let alice_balance = w.state.balance(&ALICE).unwrap();
    assert_eq!(U256::from_big_endian(&o[92..124]), alice_balance, "balance");
    let i64_at = |i: usize| i64::from_le_bytes(o[i..i + 8].try_into().unwrap());
    assert_eq!(i64_at(124), 7);
    assert_eq!(i64_at(132), 1_700_000_000);
    assert_eq!(i64_at(140), 30_000_000);
    assert_eq!(&o[148..168], Address::repeat_byte(0xcb).as_bytes());
    assert_eq!(i64_at(168), 31337);
    assert_eq!(
        U256::from_big_endian(&o[176..208]),
        U256::from(1_000_000_000u64)
    );
    assert_eq!(
        U256::from_big_endian(&o[208..240]),
        U256::from(2_000_000_000u64)
    );
    assert_eq!(&o[240..272], &[0x5e; 32]);
    let gas_left = i64_at(272) as u64;
    assert!(gas_left > 0 && gas_left < GAS);
    assert_eq!(u32::from_le_bytes(o[280..284].try_into().unwrap()), 4);
    // The value moved with the call.
    assert_eq!(w.state.balance(&a).unwrap(), U256::from(77));
}

#[test]
fn logs_carry_zero_to_four_topics_and_no_more() {
    let mut w = World::new();
    let a = w.deploy();
    for n in 0..=4u8 {
        let cp = w.state.checkpoint();
        let topics: Vec<u8> = (0..n).flat_map(|i| word(i + 1)).collect();
        let r = w.call(a, &op(6, &[&[n], &topics, b"data"]));
        assert!(r.success, "{n}: {:?}", r.error);
        let logs = w.state.logs_since(cp);
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].address, a);
        assert_eq!(logs[0].topics.len(), n as usize);
        assert_eq!(logs[0].data.0, b"data");
    }
    let topics: Vec<u8> = (0..5u8).flat_map(word).collect();
    let r = w.call(a, &op(6, &[&[5], &topics]));
    assert!(!r.success);
    assert!(error_text(r).contains("topic count too large"));
    let r = w.call(a, &[23]);
    assert!(error_text(r).contains("log data too large"));
}

#[test]
fn nested_calls_move_value_and_return_data() {
    let mut w = World::new();
    let (a, b) = (w.deploy(), w.deploy());
    assert!(w.call(b, &op(1, &[&word(3), &word(4)])).success);
    // Alice -> A (with 500) -> B (with 200): B returns its slot 3.
    let r = w.call_with(a, &call_op(b, 200, -1, &op(2, &[&word(3)])), 500, GAS);
    assert!(r.success, "{:?}", r.error);
    assert_eq!(r.output[0], 0, "inner status");
    assert_eq!(&r.output[1..], &word(4));
    assert_eq!(w.state.balance(&a).unwrap(), U256::from(300));
    assert_eq!(w.state.balance(&b).unwrap(), U256::from(200));
    // Value to a plain account.
    let bob = Address::repeat_byte(0xb0);
    let r = w.call(
        a,
        &op(19, &[bob.as_bytes(), &U256::from(50).to_big_endian()]),
    );
    assert!(r.success);
    assert_eq!(r.output[0], 0);
    assert_eq!(w.state.balance(&bob).unwrap(), U256::from(50));
    // More value than A has: the inner call fails, A carries on.
    let r = w.call(
        a,
        &op(19, &[bob.as_bytes(), &U256::from(10_000).to_big_endian()]),
    );
    assert!(r.success);
    assert_eq!(r.output[0], 1);
    assert_eq!(w.state.balance(&bob).unwrap(), U256::from(50));
}

#[test]
fn a_failed_inner_call_reverts_only_its_own_effects() {
    let mut w = World::new();
    let (a, b) = (w.deploy(), w.deploy());
    let cp = w.state.checkpoint();
    // A calls B, which stores, logs and reverts; A then records the status.
    let inner = op(20, &[&word(8), &word(9)]);
    let r = w.call(a, &op(21, &[b.as_bytes(), &inner]));
    assert!(r.success, "{:?}", r.error);
    assert_eq!(
        w.slot(b, H256(word(8))),
        H256::zero(),
        "B's write rolled back"
    );
    assert_eq!(
        w.slot(a, H256(word(1))),
        H256(word(2)),
        "A saw status 1 and went on"
    );
    let logs = w.state.logs_since(cp);
    assert_eq!(logs.len(), 1, "only A's log remains");
    assert_eq!(logs[0].address, a);
    // A top-level revert rolls back everything, including A's own writes.
    let r = w.call(a, &op(20, &[&word(5), &word(6)]));
    assert!(!r.success);
    assert_eq!(w.slot(a, H256(word(5))), H256::zero());
}

#[test]
fn static_calls_cannot_change_state() {
    let mut w = World::new();
    let (a, b) = (w.deploy(), w.deploy());
    let static_op = |data: &[u8]| op(8, &[b.as_bytes(), &(-1i64).to_le_bytes(), data]);
    let r = w.call(a, &static_op(&op(1, &[&word(1), &word(1)])));
    assert!(r.success);
    assert_eq!(r.output[0], 1, "a write inside a static call fails");
    let r = w.call(a, &static_op(&op(6, &[&[0]])));
    assert_eq!(r.output[0], 1, "a log inside a static call fails");
    let r = w.call(a, &static_op(&op(2, &[&word(1)])));
    assert_eq!(r.output[0], 0, "reads are fine");
    // A static call that makes a nested (non-static) call stays static.
    let nested = call_op(a, 0, -1, &op(1, &[&word(1), &word(1)]));
    let r = w.call(a, &static_op(&nested));
    assert_eq!(r.output[0], 0);
    assert_eq!(r.output[1], 1, "the nested write failed too");
}

#[test]
fn contracts_create_contracts_with_and_without_salt() {
    let mut w = World::new();
    let a = w.deploy();
    let code = envelope::wrap(&tool());
    let mut with_args = code.clone();
    with_args.extend_from_slice(&word(77));
    let nonce = w.state.nonce(&a).unwrap();
    let r = w.call(a, &op(9, &[&U256::zero().to_big_endian(), &with_args]));
    assert!(r.success, "{:?}", r.error);
    assert_eq!(r.output[0], 0);
    let child = Address::from_slice(&r.output[1..21]);
    assert_eq!(child, create_address(&a, nonce));
    assert_eq!(w.state.code(&child).unwrap().0, tool());
    assert_eq!(
        w.slot(child, H256(word(0xff))),
        H256(word(77)),
        "constructor ran"
    );
    // CREATE2: the address follows from creator, salt and creation data.
    let salt = H256::repeat_byte(7);
    let r = w.call(
        a,
        &op(10, &[&U256::zero().to_big_endian(), salt.as_bytes(), &code]),
    );
    assert_eq!(r.output[0], 0);
    let child2 = Address::from_slice(&r.output[1..21]);
    assert_eq!(child2, create2_address(&a, &salt, &code));
    // The same salt again collides and fails.
    let r = w.call(
        a,
        &op(10, &[&U256::zero().to_big_endian(), salt.as_bytes(), &code]),
    );
    assert_eq!(r.output[0], 1);
    // Garbage code fails to deploy, with a reason in the return data.
    let r = w.call(a, &op(9, &[&U256::zero().to_big_endian(), b"not wasm"]));
    assert_eq!(r.output[0], 1);
    assert!(String::from_utf8_lossy(&r.output[21..]).contains("envelope"));
}

#[test]
fn keccak_and_ecrecover() {
    let mut w = World::new();
    let a = w.deploy();
    let r = w.call(a, &op(11, &[b"hello orac"]));
    assert_eq!(r.output, keccak256(b"hello orac").0);
    let key = PrivateKey::from_bytes(&[3; 32]).unwrap();
    let digest = keccak256(b"observation");
    let sig = key.sign_prehash(&digest);
    let call = |sig: orac_primitives::Signature| {
        op(
            12,
            &[
                digest.as_bytes(),
                &[27 + sig.y_parity as u8],
                &sig.r.to_big_endian(),
                &sig.s.to_big_endian(),
            ],
        )
    };
    let r = w.call(a, &call(sig));
    assert_eq!(r.output[0], 1);
    assert_eq!(&r.output[1..21], key.address().as_bytes());
    // High-s (malleable) signatures are refused.
    let n = U256::from_dec_str(
        "115792089237316195423570985008687907852837564279074904382605163141518161494337",
    )
    .unwrap();
    let flipped = orac_primitives::Signature {
        s: n - sig.s,
        y_parity: !sig.y_parity,
        ..sig
    };
    assert_eq!(w.call(a, &call(flipped)).output[0], 0);
}

#[test]
fn gas_forwarding_keeps_one_sixty_fourth_back() {
    let mut w = World::new();
    let (a, b) = (w.deploy(), w.deploy());
    let r = w.call(a, &call_op(b, 0, -1, &[5]));
    assert!(r.success);
    let inner_left = i64::from_le_bytes(r.output[1 + 272..1 + 280].try_into().unwrap()) as u64;
    assert!(inner_left < GAS * 63 / 64, "callee saw {inner_left}");
    assert!(inner_left > GAS * 60 / 64);
    // Asking for a small budget gives exactly that budget (or less).
    let r = w.call(a, &call_op(b, 0, 50_000, &[5]));
    let inner_left = i64::from_le_bytes(r.output[1 + 272..1 + 280].try_into().unwrap()) as u64;
    assert!(inner_left < 50_000);
    // An inner call that runs out of gas fails; the caller continues with
    // what was kept back.
    let r = w.call(a, &call_op(b, 0, 100_000, &[13]));
    assert!(r.success);
    assert_eq!(r.output[0], 1);
}

#[test]
fn hostile_contracts_end_cleanly() {
    let mut w = World::new();
    let a = w.deploy();
    // Infinite loop: out of gas, all gas consumed.
    let r = w.call(a, &[13]);
    assert!(!r.success);
    assert_eq!(r.error, Some(Halt::OutOfGas));
    assert_eq!(r.gas_left, 0);
    // Memory bomb: growth stops at the cap.
    let r = w.call(a, &[14]);
    assert!(r.success, "{:?}", r.error);
    assert_eq!(
        u32::from_le_bytes(r.output[..4].try_into().unwrap()) as u64,
        MAX_MEMORY_PAGES
    );
    let r = w.call(a, &[22, 255]);
    assert_eq!(
        r.output[..4],
        (-1i32).to_le_bytes(),
        "growing past the cap returns -1"
    );
    // Growth is paid for: with little gas, the same bomb runs out of gas.
    let r = w.call_with(a, &[14], 0, 100_000);
    assert_eq!(r.error, Some(Halt::OutOfGas));
    // Unbounded recursion: the deterministic stack limit, not a crash.
    let r = w.call(a, &[15]);
    assert_eq!(r.error, Some(Halt::StackLimit));
    // Reentrancy loop: stops at the depth limit; every level counted.
    let r = w.call_with(a, &[16], 0, 30_000_000);
    assert!(r.success, "{:?}", r.error);
    let levels = w.slot(a, H256::zero());
    assert_eq!(levels.to_low_u64_be(), MAX_CALL_DEPTH as u64);
    // Huge return data and bad pointers fail the frame.
    let r = w.call(a, &[17]);
    assert!(error_text(r).contains("return data too large"));
    let r = w.call(a, &[18]);
    assert!(error_text(r).contains("out-of-bounds pointer"));
    // And the VM still serves normal calls afterwards.
    assert!(w.call(a, &op(2, &[&word(1)])).success);
}

fn deploy_error(module: &[u8]) -> String {
    let mut w = World::new();
    let (_, r) = w.deploy_with(module, &[], 0);
    assert!(!r.success);
    error_text(r)
}

#[test]
fn deploy_rules() {
    let e = deploy_error(b"\0asm garbage");
    assert!(e.contains("invalid contract code"), "{e}");
    let m = wat::parse_str(
        r#"(module (import "env" "x" (func)) (memory (export "memory") 1) (func (export "call")))"#,
    )
    .unwrap();
    assert!(deploy_error(&m).contains("unknown import env.x"));
    let m = wat::parse_str(r#"(module (import "orac" "caller" (func (param i64))) (memory (export "memory") 1) (func (export "call")))"#).unwrap();
    assert!(deploy_error(&m).contains("wrong type"));
    let m = wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap();
    assert!(deploy_error(&m).contains("missing export: call"));
    let m = wat::parse_str(r#"(module (func (export "call")))"#).unwrap();
    assert!(deploy_error(&m).contains("memory"));
    let m = wat::parse_str(
        r#"(module (memory (export "memory") 1) (func $s) (start $s) (func (export "call")))"#,
    )
    .unwrap();
    assert!(deploy_error(&m).contains("start function"));
    let m = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "call") (drop (v128.const i64x2 0 0))))"#).unwrap();
    assert!(
        deploy_error(&m).contains("unsupported"),
        "{}",
        deploy_error(&m)
    );
    let m = wat::parse_str(r#"(module (memory (export "memory") 300) (func (export "call")))"#)
        .unwrap();
    assert!(deploy_error(&m).contains("initial memory pages"));
    let m = wat::parse_str(r#"(module (memory (export "memory") 1) (global (export "__orac_stack") i32 (i32.const 0)) (func (export "call")))"#).unwrap();
    assert!(deploy_error(&m).contains("reserved"));
    let m = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "call")) (export "__orac_global_0" (func 0)))"#).unwrap();
    assert!(deploy_error(&m).contains("reserved"));
    // A JIT bomb: thousands of empty loops in one function.
    let loops = "(loop)".repeat(20_000);
    let m = wat::parse_str(format!(
        "(module (memory (export \"memory\") 1) (func (export \"call\") {loops}))"
    ))
    .unwrap();
    let e = deploy_error(&m);
    assert!(e.contains("blocks in one function"), "{e}");
    // Too big.
    let big = vec![0u8; orac_vm::limits::MAX_CODE_SIZE + 1];
    assert!(deploy_error(&big).contains("too large"));
    // Without the envelope.
    let mut w = World::new();
    let r = orac_vm::on_execution_stack(|| {
        VM.create(
            &mut w.state,
            env(),
            ALICE,
            Address::repeat_byte(1),
            U256::zero(),
            &tool(),
            GAS,
        )
        .unwrap()
    });
    assert!(error_text(r).contains("envelope"));
    // A module without a deploy export deploys (no constructor).
    let m =
        wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "call")))"#).unwrap();
    let mut w = World::new();
    let (_, r) = w.deploy_with(&m, &[], 0);
    assert!(r.success);
}

/// Instances are reset and reused between messages (`instance.rs`): every
/// message must still see exactly what a fresh instance holds, whatever the
/// previous one left behind and however it ended.
#[test]
fn a_reused_instance_starts_as_fresh() {
    let module = wat::parse_str(
        r#"(module
          (import "orac" "calldata_copy" (func $calldata_copy (param i32 i32 i32)))
          (import "orac" "set_return" (func $set_return (param i32 i32)))
          (import "orac" "revert" (func $revert (param i32 i32)))
          (memory (export "memory") 1)
          (global $g (mut i32) (i32.const 7))
          (global $h (mut i64) (i64.const -3))
          (data (i32.const 100) "\2a")
          (func (export "call")
            ;; Report what this instance holds...
            (i32.store8 (i32.const 200) (i32.load8_u (i32.const 100)))
            (i32.store8 (i32.const 201) (i32.load8_u (i32.const 5000)))
            (i32.store8 (i32.const 202) (i32.load8_u (i32.const 65535)))
            (i32.store8 (i32.const 203) (global.get $g))
            (i64.store (i32.const 204) (global.get $h))
            (i32.store8 (i32.const 212) (memory.size))
            ;; ...then leave a mess behind.
            (i32.store8 (i32.const 100) (i32.const 0xff))
            (i32.store8 (i32.const 5000) (i32.const 0xee))
            (i32.store8 (i32.const 65535) (i32.const 0xdd))
            (global.set $g (i32.const 99))
            (global.set $h (i64.const 12345))
            (call $calldata_copy (i32.const 300) (i32.const 0) (i32.const 1))
            (if (i32.eq (i32.load8_u (i32.const 300)) (i32.const 1))
              (then (call $revert (i32.const 200) (i32.const 13))))
            (if (i32.eq (i32.load8_u (i32.const 300)) (i32.const 2))
              (then (drop (memory.grow (i32.const 1)))))
            (if (i32.eq (i32.load8_u (i32.const 300)) (i32.const 3))
              (then unreachable))
            (call $set_return (i32.const 200) (i32.const 13))))"#,
    )
    .unwrap();
    let mut w = World::new();
    let (a, r) = w.deploy_with(&module, &[], 0);
    assert!(r.success, "{:?}", r.error);
    let mut fresh = vec![0x2a, 0, 0, 7];
    fresh.extend_from_slice(&(-3i64).to_le_bytes());
    fresh.push(1);
    let mut gas = None;
    for mode in [0u8, 0, 1, 0, 2, 0, 3, 0, 0] {
        let r = w.call(a, &[mode]);
        match mode {
            3 => assert!(!r.success && r.error.is_some()),
            1 => assert_eq!((r.success, &r.output), (false, &fresh)),
            _ => assert_eq!((r.success, &r.output), (true, &fresh), "mode {mode}"),
        }
        if mode == 0 {
            assert_eq!(*gas.get_or_insert(r.gas_left), r.gas_left, "same gas");
        }
    }
}

/// A module that writes its table is never reused (its table would keep
/// the write): each message still sees the table it was instantiated with.
#[test]
fn an_instance_that_changed_its_table_is_not_reused() {
    let module = wat::parse_str(
        r#"(module
          (import "orac" "set_return" (func $set_return (param i32 i32)))
          (memory (export "memory") 1)
          (type $t (func (result i32)))
          (table 1 funcref)
          (elem (i32.const 0) $one)
          (elem declare func $two)
          (func $one (result i32) (i32.const 1))
          (func $two (result i32) (i32.const 2))
          (func (export "call")
            (i32.store8 (i32.const 0) (call_indirect (type $t) (i32.const 0)))
            (table.set (i32.const 0) (ref.func $two))
            (call $set_return (i32.const 0) (i32.const 1))))"#,
    )
    .unwrap();
    let mut w = World::new();
    let (a, r) = w.deploy_with(&module, &[], 0);
    assert!(r.success, "{:?}", r.error);
    for _ in 0..3 {
        assert_eq!(w.call(a, &[]).output, vec![1]);
    }
}

/// Stores of every width at random places (chunk edges especially), bulk
/// fills and copies, and host writes: whatever a message wrote, the next
/// message to the same contract sees exactly a fresh instance's memory.
/// The contract returns keccak256 of its whole memory (and of a global) as
/// it found it, then writes where the calldata says.
#[test]
fn reset_restores_every_byte_a_message_wrote() {
    // One page, and two: the most a reused instance may have, where the
    // dirty mask's last bit (and its wrap-around arithmetic) is reached.
    for pages in [1u32, 2] {
        check_reset(pages);
    }
}

fn check_reset(pages: u32) {
    let len = pages * 65_536;
    let digest = len - 40;
    let wat = r#"(module
          (import "orac" "calldata_size" (func $calldata_size (result i32)))
          (import "orac" "calldata_copy" (func $calldata_copy (param i32 i32 i32)))
          (import "orac" "set_return" (func $set_return (param i32 i32)))
          (import "orac" "revert" (func $revert (param i32 i32)))
          (import "orac" "keccak256" (func $keccak256 (param i32 i32 i32)))
          (memory (export "memory") PAGES)
          (global $g (mut i64) (i64.const 5))
          (data (i32.const 2040) "initial bytes across a chunk edge")
          (data (i32.const 40960) "\01\02\03")
          (func (export "call")
            (local $n i32) (local $p i32) (local $end i32) (local $addr i32)
            (i64.store (i32.const GSLOT) (global.get $g))
            (call $keccak256 (i32.const 0) (i32.const MEMLEN) (i32.const DIGEST))
            (call $set_return (i32.const DIGEST) (i32.const 32))
            (global.set $g (i64.const 77))
            ;; calldata: [mode, (address: u32 LE, kind: u8)...], copied to 45000
            (local.set $n (call $calldata_size))
            (call $calldata_copy (i32.const 45000) (i32.const 0) (local.get $n))
            (local.set $p (i32.const 45001))
            (local.set $end (i32.add (i32.const 45000) (local.get $n)))
            (block $done
              (loop $next
                (br_if $done (i32.gt_u (i32.add (local.get $p) (i32.const 5)) (local.get $end)))
                (local.set $addr (i32.load (local.get $p)))
                (block $out
                  (block $b8 (block $b7 (block $b6 (block $b5 (block $b4 (block $b3 (block $b2 (block $b1 (block $b0
                    (br_table $b0 $b1 $b2 $b3 $b4 $b5 $b6 $b7 $b8 (i32.load8_u offset=4 (local.get $p))))
                    (i32.store8 (local.get $addr) (i32.const 0xab)) (br $out))
                    (i32.store16 (local.get $addr) (i32.const 0xabcd)) (br $out))
                    (i32.store offset=3 (local.get $addr) (i32.const -1)) (br $out))
                    (i64.store (local.get $addr) (i64.const -1)) (br $out))
                    (f32.store (local.get $addr) (f32.const 1.5)) (br $out))
                    (f64.store offset=1 (local.get $addr) (f64.const -2.5)) (br $out))
                    (i64.store32 (local.get $addr) (i64.const 0x12345678)) (br $out))
                    (memory.fill (local.get $addr) (i32.const 0x5a) (i32.const 3000)) (br $out))
                  (memory.copy (local.get $addr) (i32.const 2040) (i32.const 100)))
                (local.set $p (i32.add (local.get $p) (i32.const 5)))
                (br $next)))
            (if (i32.eq (i32.load8_u (i32.const 45000)) (i32.const 1))
              (then (call $revert (i32.const DIGEST) (i32.const 32))))
            (if (i32.eq (i32.load8_u (i32.const 45000)) (i32.const 3))
              (then unreachable))))"#
        .replace("PAGES", &pages.to_string())
        .replace("MEMLEN", &len.to_string())
        .replace("DIGEST", &digest.to_string())
        .replace("GSLOT", &(len - 8).to_string());
    let module = wat::parse_str(&wat).unwrap();
    // Bytes each kind writes from its address (offset included).
    const SIZE: [u32; 9] = [1, 2, 7, 8, 4, 9, 4, 3000, 100];
    let mut w = World::new();
    let (a, r) = w.deploy_with(&module, &[], 0);
    assert!(r.success, "{:?}", r.error);
    let fresh = w.call(a, &[0]).output;
    assert_eq!(fresh.len(), 32);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u32| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % u64::from(n)) as u32
    };
    for round in 0..300 {
        let mode = [0u8, 0, 0, 1, 3][next(5) as usize];
        let mut input = vec![mode];
        for _ in 0..1 + next(6) {
            let kind = next(9);
            let size = SIZE[kind as usize];
            let addr = loop {
                let addr = if next(2) == 0 {
                    // Near a chunk edge.
                    (1 + next(len / 2048 - 1)) * 2048 - next(12)
                } else {
                    next(len)
                };
                // Not over the calldata being read, nor the digest the
                // revert returns at the end.
                let clear_of_calldata = addr + size <= 45_000 || addr >= 45_100;
                if addr + size <= digest && clear_of_calldata {
                    break addr;
                }
            };
            input.extend_from_slice(&addr.to_le_bytes());
            input.push(kind as u8);
        }
        let r = w.call(a, &input);
        assert_eq!(r.success, mode == 0, "round {round}: {:?}", r.error);
        if mode != 3 {
            assert_eq!(
                r.output, fresh,
                "round {round}: the message saw a used memory"
            );
        }
    }
}
