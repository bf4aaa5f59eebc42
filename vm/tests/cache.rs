//! The code caches: results and gas never depend on them, only committed
//! code reaches the disk (never what a simulation or a failed deploy
//! compiled), damaged entries are recompiled, and the disk cache is
//! bounded.

mod common;

use common::*;
use orac_primitives::H256;
use orac_vm::{Vm, VmConfig};

fn config(dir: &tempfile::TempDir, bytes: u64) -> VmConfig {
    VmConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        cache_bytes: bytes,
    }
}

fn entries(dir: &tempfile::TempDir) -> usize {
    std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "cwasm")
        })
        .count()
}

/// A module unlike any other (its data segment holds `n`).
fn numbered(n: u32) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module (memory (export "memory") 1) (data (i32.const 0) "{n:08}") (func (export "call")))"#
    ))
    .unwrap()
}

/// The same calls on fresh VMs — cold (compiled), warm from disk, warm in
/// memory — give identical results and gas.
#[test]
fn results_do_not_depend_on_the_code_cache() {
    let dir = tempfile::tempdir().unwrap();
    let run = |w: &mut World| {
        let (a, b) = (w.deploy(), w.deploy());
        w.vm.engine().persist(&[], |_| true);
        let mut out = vec![];
        for input in [
            op(1, &[&word(1), &word(2)]),
            call_op(b, 3, -1, &op(2, &[&word(1)])),
            vec![15],
            vec![13],
            vec![14],
            op(21, &[b.as_bytes(), &op(20, &[&word(8), &word(9)])]),
        ] {
            let r = w.call_with(a, &input, 5, 3_000_000);
            out.push((r.success, r.gas_left, r.output, r.error));
        }
        out
    };
    let cold = run(&mut World::with_vm(
        Vm::new(&config(&dir, 1 << 30)).unwrap(),
    ));
    assert!(entries(&dir) > 0, "artifacts were written");
    let vm = Vm::new(&config(&dir, 1 << 30)).unwrap();
    let from_disk = run(&mut World::with_vm(vm.clone()));
    let in_memory = run(&mut World::with_vm(vm));
    assert_eq!(cold, from_disk);
    assert_eq!(cold, in_memory);
}

/// HOSTILE B6: an `eth_call` of a deploy (or of anything) compiles in
/// memory only; nothing is written however often the chain persists.
#[test]
fn simulations_never_write_the_disk_cache() {
    let dir = tempfile::tempdir().unwrap();
    let vm = Vm::new(&config(&dir, 1 << 30)).unwrap();
    let mut w = World::with_vm(vm.for_simulation());
    for n in 0..10 {
        let (_, r) = w.deploy_with(&numbered(n), &[], 0);
        assert!(r.success);
    }
    vm.engine().persist(&[], |_| true);
    assert_eq!(entries(&dir), 0);
}

/// A module a simulation compiled first is written once the same code is
/// deployed for real (the chain names the code a block deployed).
#[test]
fn code_simulated_first_is_persisted_when_deployed() {
    let dir = tempfile::tempdir().unwrap();
    let vm = Vm::new(&config(&dir, 1 << 30)).unwrap();
    let code = numbered(7);
    let mut sim = World::with_vm(vm.for_simulation());
    assert!(sim.deploy_with(&code, &[], 0).1.success);
    vm.engine().persist(&[], |_| true);
    assert_eq!(entries(&dir), 0);
    let mut real = World::with_vm(vm.clone());
    assert!(real.deploy_with(&code, &[], 0).1.success);
    vm.engine()
        .persist(&[orac_primitives::keccak256(&code)], |_| false);
    assert_eq!(entries(&dir), 1);
}

/// A module whose code did not end up committed (a reverted or failed
/// deploy) is not written; committed code is.
#[test]
fn only_committed_code_is_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let vm = Vm::new(&config(&dir, 1 << 30)).unwrap();
    let mut w = World::with_vm(vm.clone());
    let kept = numbered(1);
    let (_, r) = w.deploy_with(&kept, &[], 0);
    assert!(r.success);
    let (_, r) = w.deploy_with(&numbered(2), &[], 0);
    assert!(r.success);
    let kept_hash = orac_primitives::keccak256(&kept);
    vm.engine().persist(&[], |h: &H256| *h == kept_hash);
    assert_eq!(entries(&dir), 1);
    let name = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".cwasm"))
        .unwrap();
    assert!(name.starts_with(&format!("{kept_hash:x}")));
    // Asked again, nothing new: each module is considered once.
    vm.engine().persist(&[], |_| true);
    assert_eq!(entries(&dir), 1);
}

#[test]
fn a_damaged_cache_entry_is_recompiled_not_run() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut w = World::with_vm(Vm::new(&config(&dir, 1 << 30)).unwrap());
        w.deploy();
        w.vm.engine().persist(&[], |_| true);
    }
    assert!(entries(&dir) > 0);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
    }
    let mut w = World::with_vm(Vm::new(&config(&dir, 1 << 30)).unwrap());
    let a = w.deploy();
    assert!(w.call(a, &op(1, &[&word(1), &word(2)])).success);
}

/// The disk cache stays within its bound, deleting what was used least
/// recently.
#[test]
fn the_disk_cache_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // Measure one entry, then allow about five.
    let one = {
        let vm = Vm::new(&config(&dir, 1 << 30)).unwrap();
        let mut w = World::with_vm(vm.clone());
        w.deploy_with(&numbered(0), &[], 0);
        vm.engine().persist(&[], |_| true);
        vm.engine().disk_cache_bytes()
    };
    assert!(one > 0);
    let bound = one * 5 + one / 2;
    let vm = Vm::new(&config(&dir, bound)).unwrap();
    let mut w = World::with_vm(vm.clone());
    for n in 1..20 {
        let (_, r) = w.deploy_with(&numbered(n), &[], 0);
        assert!(r.success);
        vm.engine().persist(&[], |_| true);
        let on_disk: u64 = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(on_disk <= bound, "{on_disk} bytes on disk, bound {bound}");
        assert_eq!(on_disk, vm.engine().disk_cache_bytes());
    }
    assert!(entries(&dir) >= 3, "recent entries are kept");
}
