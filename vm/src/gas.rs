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

/// Fuel a frame gets beyond what its gas buys, never spent. Compiled code
/// checks fuel only at function entries and loop headers, so a frame's
/// last straight run can take it past zero without trapping, and
/// wasmtime's `get_fuel` reads an overdrawn counter as 0. With this one
/// unit on top, a frame that ends with 0 fuel overdrew its gas (it ran out
/// of gas: without it, a frame ending in 3,000 straight-line adds
/// succeeded with a limit 200 gas below what it used), and any other count
/// is one more than what is left.
/// Host functions never charge this unit (`host::charge_fuel`).
pub const FUEL_SENTINEL: u64 = 1;

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
/// Keccak-256: base...
pub const KECCAK_BASE: u64 = 175;
/// ... and per 32-byte word hashed.
pub const KECCAK_WORD: u64 = 46;
/// secp256k1 public key recovery.
pub const ECRECOVER: u64 = 19_000;
/// Logs: base...
pub const LOG_BASE: u64 = 375;
/// ... per topic...
pub const LOG_TOPIC: u64 = 375;
/// ... and per data byte.
pub const LOG_BYTE: u64 = 8;
/// A message call: base...
pub const CALL_BASE: u64 = 700;
/// ... plus a surcharge when it moves value.
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
/// Each trampoline wasmtime compiles for a deployed module (one per
/// distinct signature, one per function exported or in a table;
/// `ModuleInfo::trampolines`): measured 60–110 µs each, so this too is a
/// subsidy (docs/gas.md, "Deploys").
pub const COMPILE_TRAMPOLINE: u64 = 20_000;
/// Loading a contract's code the first time a transaction runs it (on top
/// of the cold account access): reading its compiled form from the disk
/// cache and mapping it took ~200 µs for a tiny contract and 250–400 µs for
/// a 38 KB one, which a node that has the module in memory skips, but gas
/// cannot depend on that (REPRO M4; docs/gas.md, "Cold code"). A base
/// (the fixed part: files, mappings, a first instance)...
pub const CODE_LOAD_BASE: u64 = 15_000;
/// ... and per 32-byte word of the module (~3 µs per KB more): 24,800 gas
/// for that contract.
pub const CODE_LOAD_WORD: u64 = 8;

/// A value transfer that brings an account into existence (as Ethereum's
/// `G_newaccount`): the state grows by an account for good.
pub const NEW_ACCOUNT: u64 = 25_000;

/// Gas to load `len` bytes of code cold.
pub fn code_load_cost(len: usize) -> u64 {
    CODE_LOAD_BASE + CODE_LOAD_WORD * (len as u64).div_ceil(32)
}

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
pub const MEMORY_GROW_BASE: u64 = 16;

/// `memory.fill` and `memory.copy` run on the host (`host/bulk.rs`): a
/// fixed cost that covers the call into the host whatever the length, on
/// top of the `call` the instrumentation turns them into.
pub const MEMORY_BULK_BASE: u64 = 6;
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

/// Fuel of one `nop`. The instrumentation charges for work that no
/// instruction stands for (zeroing a function's locals on entry, the
/// latency of loads in a large memory) by adding `nop`s, which compile to
/// nothing.
pub const NOP_FUEL: u8 = 4;

/// Fuel per local a function's prologue zeroes on every call: 8 bytes each,
/// measured ~0.22 ns (a call of a function with 2,000 locals took 440 ns,
/// 80× the reference per gas when only the call was charged).
pub const LOCAL_ZEROING_FUEL: u64 = 2;

/// The `nop`s that pay for zeroing `locals` locals.
pub fn local_zeroing_nops(locals: u32) -> u32 {
    (u64::from(locals) * LOCAL_ZEROING_FUEL).div_ceil(u64::from(NOP_FUEL)) as u32
}

/// Fuel of a load from a memory of at most `SMALL_MEMORY_PAGES`. Loads are
/// priced for a dependent chain of them (a pointer chase), where each one
/// waits for the cache: an attacker chooses the access pattern, as it
/// chooses dependent multiplies. Over 256 KiB a hop takes 5–7 ns on the
/// reference machine (~1.2 ns per gas). Stores do not stall (measured at
/// or under the reference with random addresses) and cost 1.
pub const LOAD_FUEL: u8 = 6;

/// Fuel of a load from a memory that may grow past `SMALL_MEMORY_PAGES`
/// (up to `MAX_MEMORY_PAGES`, 1 MiB): a chase waits ~16 ns per hop. The
/// difference from `LOAD_FUEL` is charged with `nop`s before each load.
pub const LARGE_MEMORY_LOAD_FUEL: u8 = 18;

/// The `nop`s added before each load in a large memory.
pub const LARGE_MEMORY_LOAD_NOPS: u32 = ((LARGE_MEMORY_LOAD_FUEL - LOAD_FUEL) / NOP_FUEL) as u32;

/// Fuel cost of every operator. Control flow that compiles to nothing is
/// free; arithmetic and stores cost 1; slow instructions more, each priced
/// from `vm-adversary` (bench/README.md, "Adversarial shapes").
pub fn operator_costs() -> OperatorCost {
    let mut c = OperatorCost::new();
    // Division and remainder take tens of cycles (measured: 2.3 ns for
    // 64-bit, 1.4 ns for 32-bit, against ~0.04 ns per ordinary operator).
    for op in [
        &mut c.I64DivS,
        &mut c.I64DivU,
        &mut c.I64RemS,
        &mut c.I64RemU,
        &mut c.F32Sqrt,
        &mut c.F64Sqrt,
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
    ] {
        *op = 8;
    }
    // Rounding and float-to-int conversions are multi-instruction sequences
    // under Winch (range checks, NaN handling): a dependent chain ran at
    // 5–6× the reference per gas at 1 fuel each.
    for op in [
        &mut c.F32Ceil,
        &mut c.F32Floor,
        &mut c.F32Trunc,
        &mut c.F32Nearest,
        &mut c.F64Ceil,
        &mut c.F64Floor,
        &mut c.F64Trunc,
        &mut c.F64Nearest,
        &mut c.I32TruncF32S,
        &mut c.I32TruncF32U,
        &mut c.I32TruncF64S,
        &mut c.I32TruncF64U,
        &mut c.I64TruncF32S,
        &mut c.I64TruncF32U,
        &mut c.I64TruncF64S,
        &mut c.I64TruncF64U,
        &mut c.I32TruncSatF32S,
        &mut c.I32TruncSatF32U,
        &mut c.I32TruncSatF64S,
        &mut c.I32TruncSatF64U,
        &mut c.I64TruncSatF32S,
        &mut c.I64TruncSatF32U,
        &mut c.I64TruncSatF64S,
        &mut c.I64TruncSatF64U,
        &mut c.F32ConvertI64U,
        &mut c.F64ConvertI64U,
    ] {
        *op = 4;
    }
    for op in [
        &mut c.I32Load,
        &mut c.I64Load,
        &mut c.F32Load,
        &mut c.F64Load,
        &mut c.I32Load8S,
        &mut c.I32Load8U,
        &mut c.I32Load16S,
        &mut c.I32Load16U,
        &mut c.I64Load8S,
        &mut c.I64Load8U,
        &mut c.I64Load16S,
        &mut c.I64Load16U,
        &mut c.I64Load32S,
        &mut c.I64Load32U,
    ] {
        *op = LOAD_FUEL;
    }
    // A branch that loops back runs the fuel check at the loop's head (a
    // load, add, store and compare of the fuel counter: ~1.8 ns per
    // iteration); `(loop (br 0))` ran at 11× the reference at 1 fuel.
    c.Br = 3;
    c.BrIf = 3;
    c.BrTable = 3;
    // A call into the runtime under Winch (4.4× the reference at 1).
    c.MemorySize = 8;
    c.Nop = NOP_FUEL;
    // Calls spill registers, set up a frame and run the stack-height
    // counter's prologue (measured 4.0 ns); indirect ones also check the
    // table and the signature (7.9 ns). Zeroing the callee's locals is
    // charged in the callee (LOCAL_ZEROING_FUEL).
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
