//! The VM benchmark's compute-heavy contract, by hand against the orac host
//! ABI, doing what bench/solidity/Compute.sol does:
//!
//! ```solidity
//! function work(uint256 n) pure returns (uint256);
//! ```
//!
//! `n` rounds of a 64-bit xorshift + LCG mix (wrapping arithmetic), then
//! 1,000 chained keccak256 of the 32-byte big-endian word, through the host
//! function. Returns the final hash; both contracts return the same word for
//! the same `n` (the benchmark checks). Only the low 64 bits of `n` count.
#![no_std]

#[link(wasm_import_module = "orac")]
unsafe extern "C" {
    fn calldata_size() -> u32;
    fn calldata_copy(dst: *mut u8, offset: u32, len: u32);
    fn set_return(ptr: *const u8, len: u32);
    fn revert(ptr: *const u8, len: u32);
    fn call_value(out: *mut u8);
    fn keccak256(ptr: *const u8, len: u32, out: *mut u8);
}

/// keccak256("work(uint256)")[..4]
const WORK: [u8; 4] = [0x58, 0x58, 0xd1, 0x61];

fn fail() {
    unsafe { revert(core::ptr::null(), 0) };
}

#[inline(never)]
fn mix(n: u64) -> u64 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
    }
    x
}

#[unsafe(no_mangle)]
pub extern "C" fn call() {
    let mut value = [0u8; 32];
    unsafe { call_value(value.as_mut_ptr()) };
    let mut input = [0u8; 36];
    let n = unsafe { calldata_size() };
    if value != [0u8; 32] || n < 36 {
        return fail();
    }
    unsafe { calldata_copy(input.as_mut_ptr(), 0, 36) };
    if input[..4] != WORK {
        return fail();
    }
    let mut low = [0u8; 8];
    low.copy_from_slice(&input[28..36]);
    let x = mix(u64::from_be_bytes(low));
    let mut h = [0u8; 32];
    h[24..].copy_from_slice(&x.to_be_bytes());
    for _ in 0..1000 {
        let p = h.as_mut_ptr();
        unsafe { keccak256(p, 32, p) };
    }
    unsafe { set_return(h.as_ptr(), 32) };
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
