//! Cold code (REPRO M4): calls to contracts whose compiled module is on
//! disk but not in memory pay the same gas as calls to warm ones, so the
//! load must cost about what a warm call does. `contracts` distinct
//! ~40 KB contracts are compiled and written to the disk cache, then
//! called round robin from a fresh VM: more than the memory cache holds,
//! so every call loads its module from disk. The same calls to one
//! contract are the warm comparison.

use std::time::Instant;

use orac_primitives::{Address, U256};
use orac_vm::{Vm, VmConfig};

use crate::vmkit::{MemState, tx_env};
use crate::wasmgen::ordinary_function;

/// A contract of `functions` ordinary functions (280: ~38 KB) whose `call`
/// returns at once, unlike any other (its data segment holds `n`).
pub fn contract(n: usize, functions: usize) -> Vec<u8> {
    let funcs: String = (0..functions).map(ordinary_function).collect();
    wat::parse_str(format!(
        "(module (memory (export \"memory\") 1) (data (i32.const 0) \"{n:08}\") (func (export \"call\")) {funcs})"
    ))
    .expect("generated contract parses")
}

/// What loading one contract's code from the disk cost.
pub struct Cold {
    /// The contract's size, in KB.
    pub kb: f64,
    /// Gas one call to it used.
    pub gas_per_call: u64,
    /// Microseconds for a call that loads the code from the disk cache.
    pub cold_us: f64,
    /// Microseconds for a call with the code already loaded.
    pub warm_us: f64,
}

fn address(i: usize) -> Address {
    let mut a = [0u8; 20];
    a[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    Address::from(a)
}

/// Must run on the execution stack.
pub fn run(contracts: usize, functions: usize) -> Cold {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = VmConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        cache_bytes: 1 << 40,
    };
    let from = Address::repeat_byte(0xa1);
    let mut base = MemState::default();
    base.fund(from, U256::from(10u64).pow(U256::from(24)));
    let codes: Vec<Vec<u8>> = (0..contracts).map(|n| contract(n, functions)).collect();
    for (i, code) in codes.iter().enumerate() {
        base.install(address(i), code);
    }
    let base = std::sync::Arc::new(base);
    let call = |vm: &Vm, i: usize| {
        let mut state = orac_state::Overlay::new(base.clone());
        let to = address(i);
        let r = vm
            .call(
                &mut state,
                tx_env(from),
                from,
                to,
                U256::zero(),
                &[],
                1_000_000,
                false,
            )
            .expect("in-memory state never fails");
        assert!(r.success, "{:?}", r.error);
        1_000_000 - r.gas_left
    };
    {
        // Compile every contract once and write it to disk.
        let vm = Vm::new(&config).expect("engine");
        for i in 0..contracts {
            call(&vm, i);
        }
        vm.engine().persist(&[], |_| true);
    }
    let vm = Vm::new(&config).expect("engine");
    let t = Instant::now();
    let mut gas = 0;
    for i in 0..contracts {
        gas = call(&vm, i);
    }
    let cold_us = t.elapsed().as_secs_f64() * 1e6 / contracts as f64;
    let t = Instant::now();
    for _ in 0..contracts {
        call(&vm, 0);
    }
    let warm_us = t.elapsed().as_secs_f64() * 1e6 / contracts as f64;
    Cold {
        kb: codes[0].len() as f64 / 1024.0,
        gas_per_call: gas,
        cold_us,
        warm_us,
    }
}
