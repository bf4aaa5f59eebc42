//! The gas schedule: fuel costs of WebAssembly operators and gas costs of
//! host functions. docs/gas.md explains the numbers and how they were
//! calibrated (`cargo run --release -p orac-bench --bin calibrate`).
//!
//! wasmtime counts *fuel*; the chain counts *gas*. One gas buys
//! [`FUEL_PER_GAS`] fuel. Operators cost fuel (most cost 1); host functions
//! charge gas, before doing any work.

use wasmtime::OperatorCost;

/// Fuel bought by one unit of gas. The reference rate is what every
/// transaction already pays: 21,000 gas ≈ one sender recovery ≈ 28 µs, so
/// ~1.35 ns per gas. Operators are priced for latency-bound code (a chain
/// of dependent 64-bit multiplies and shifts: 0.15–0.18 ns per fuel), not
/// for the throughput of independent ones (0.04 ns): an attacker picks
/// the slow case. 8 fuel ≈ 1.3 ns (docs/gas.md, "Calibration").
pub const FUEL_PER_GAS: u64 = 8;

/// Gas for `amount` fuel, rounded up.
pub fn fuel_to_gas(fuel: u64) -> u64 {
    fuel.div_ceil(FUEL_PER_GAS)
}

/// Fuel for `gas`, saturating.
pub fn gas_to_fuel(gas: u64) -> u64 {
    gas.saturating_mul(FUEL_PER_GAS)
}

// Host function costs, in gas.

/// Reading the environment (caller, value, block fields, gas left).
pub const ENV: u64 = 8;
/// Per 32-byte word copied between the host and linear memory.
pub const COPY_WORD: u64 = 3;
/// Base cost of copying anything in or out.
pub const COPY_BASE: u64 = 3;
/// First read of a storage slot in a transaction (a database lookup).
pub const STORAGE_READ_COLD: u64 = 2_100;
/// Later reads of the same slot (served from the journal).
pub const STORAGE_READ_WARM: u64 = 100;
/// Writing a slot that already held a value (or clearing one).
pub const STORAGE_WRITE: u64 = 2_900;
/// Writing a non-zero value to an empty slot: the state grows for good.
pub const STORAGE_WRITE_NEW: u64 = 20_000;
/// Reading another account (balance, code) for the first time.
pub const ACCOUNT_COLD: u64 = 2_600;
/// Reading it again.
pub const ACCOUNT_WARM: u64 = 100;
/// Keccak-256: base and per 32-byte word.
pub const KECCAK_BASE: u64 = 175;
pub const KECCAK_WORD: u64 = 46;
/// secp256k1 public key recovery.
pub const ECRECOVER: u64 = 19_000;
/// Logs: base, per topic, per data byte.
pub const LOG_BASE: u64 = 375;
pub const LOG_TOPIC: u64 = 375;
pub const LOG_BYTE: u64 = 8;
/// A message call: base, plus a surcharge when it moves value.
pub const CALL_BASE: u64 = 700;
pub const CALL_VALUE: u64 = 9_000;
/// Gas handed to the callee on top of its budget when value moves (as on
/// Ethereum), so a plain value transfer to a contract can run a little code.
pub const CALL_STIPEND: u64 = 2_300;
/// Creating a contract from a contract (a transaction pays the intrinsic
/// creation cost instead).
pub const CREATE: u64 = 32_000;
/// Storing deployed code, per byte.
pub const CODE_DEPOSIT_BYTE: u64 = 200;
/// Validating, instrumenting and compiling code, per byte. Measured ~1.2
/// ms/KB for ordinary code and 6.2 ms/KB for the worst shape the deploy
/// limits admit, so this is a subsidy, not the reference rate: a 30M-gas
/// block of deploys compiles in at most ~0.5 s (docs/gas.md, "Deploys").
pub const COMPILE_BYTE: u64 = 150;
/// Each instance created (measured pooled instantiation).
pub const INSTANTIATE: u64 = 1_000;

/// Each 64 KiB page of linear memory, initial or grown: between an
/// untouched page (0.8 µs) and one written throughout (24 µs: sixteen page
/// faults, then the reset); Ethereum charges 14,336 gas to expand memory
/// by 64 KiB. Initial pages are charged before instantiation, grown ones by
/// the host function `memory.grow` runs as (`host/bulk.rs`) before they
/// exist.
pub const MEMORY_PAGE: u64 = 8_192;

/// `memory.grow`, on top of its pages (a call into the host).
pub const MEMORY_GROW_BASE: u64 = 2;

/// `memory.fill` and `memory.copy` run on the host (`host/bulk.rs`): a
/// fixed cost that covers the call into the host whatever the length, on
/// top of the `call` the instrumentation turns them into.
pub const MEMORY_BULK_BASE: u64 = 2;
/// ... and fuel per byte filled or copied.
pub const MEMORY_BULK_BYTE_FUEL: u64 = 1;

/// Gas to read a storage slot, first time in the transaction or again.
pub fn sload_cost(cold: bool) -> u64 {
    if cold {
        STORAGE_READ_COLD
    } else {
        STORAGE_READ_WARM
    }
}

/// Gas to write a storage slot: filling an empty slot grows the state for
/// good; a cold slot also pays its first read.
pub fn sstore_cost(cold: bool, current_is_zero: bool, new_is_zero: bool) -> u64 {
    let write = if current_is_zero && !new_is_zero {
        STORAGE_WRITE_NEW
    } else {
        STORAGE_WRITE
    };
    write + if cold { STORAGE_READ_COLD } else { 0 }
}

/// Gas to copy `bytes` bytes.
pub fn copy_cost(bytes: usize) -> u64 {
    COPY_BASE + COPY_WORD * (bytes as u64).div_ceil(32)
}

/// The 63/64 rule (EIP-150): a call may forward at most all but 1/64 of the
/// gas left, so each level of nesting keeps something back for its caller.
pub fn max_forwardable(gas_left: u64) -> u64 {
    gas_left - gas_left / 64
}

/// Fuel cost of every operator. Control flow that compiles to nothing is
/// free; arithmetic and memory access cost 1; slow instructions more.
pub fn operator_costs() -> OperatorCost {
    let mut c = OperatorCost::new();
    // Division and remainder take tens of cycles (measured: 2.3 ns for
    // 64-bit, 1.4 ns for 32-bit, against ~0.04 ns per ordinary operator).
    for op in [
        &mut c.I64DivS,
        &mut c.I64DivU,
        &mut c.I64RemS,
        &mut c.I64RemU,
    ] {
        *op = 16;
    }
    for op in [
        &mut c.I32DivS,
        &mut c.I32DivU,
        &mut c.I32RemS,
        &mut c.I32RemU,
        &mut c.F32Div,
        &mut c.F64Div,
        &mut c.F32Sqrt,
        &mut c.F64Sqrt,
    ] {
        *op = 8;
    }
    // Calls spill registers, set up a frame and run the stack-height
    // counter's prologue (measured 4.0 ns); indirect ones also check the
    // table and the signature (7.9 ns).
    c.Call = 24;
    c.CallIndirect = 48;
    // memory.fill, memory.copy and memory.grow never reach compiled code:
    // the instrumentation turns them into calls of host functions that
    // charge for their operands (MEMORY_BULK_*, MEMORY_GROW_BASE). The
    // table instructions whose work grows with an operand, memory.init and
    // data.drop are refused at deploy. Winch would meter only these fixed
    // costs, so none of the per-byte (`c.variable`) costs apply.
    c
}
