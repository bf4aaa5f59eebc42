//! Counter, by hand against the orac host ABI (docs/host-abi.md):
//!
//! ```solidity
//! constructor(uint256 initial);
//! function increment();                     // emits Incremented
//! function add(uint256 x);                  // reverts TooBig(x) if x > 1000
//! function count() view returns (uint256);
//! function fail();                          // reverts Error("nope")
//! event Incremented(address indexed by, uint256 count);
//! error TooBig(uint256 x);
//! ```
#![no_std]

#[link(wasm_import_module = "orac")]
unsafe extern "C" {
    fn storage_read(key: *const u8, out: *mut u8);
    fn storage_write(key: *const u8, value: *const u8);
    fn calldata_size() -> u32;
    fn calldata_copy(dst: *mut u8, offset: u32, len: u32);
    fn set_return(ptr: *const u8, len: u32);
    fn revert(ptr: *const u8, len: u32);
    fn caller(out: *mut u8);
    fn emit_log(topics: *const u8, count: u32, data: *const u8, len: u32);
}

const SLOT: [u8; 32] = [0; 32];
const INCREMENT: [u8; 4] = [0xd0, 0x9d, 0xe0, 0x8a];
const COUNT: [u8; 4] = [0x06, 0x66, 0x1a, 0xbd];
const ADD: [u8; 4] = [0x10, 0x03, 0xe2, 0xd2];
const FAIL: [u8; 4] = [0xa9, 0xcc, 0x47, 0x18];
const INCREMENTED: [u8; 32] = [
    0x38, 0xac, 0x78, 0x9e, 0xd4, 0x45, 0x72, 0x70, 0x17, 0x65, 0x27, 0x7c, 0x4d, 0x09, 0x70, 0xf2,
    0xdb, 0x1c, 0x1a, 0x57, 0x1e, 0xd3, 0x9e, 0x84, 0x35, 0x80, 0x95, 0xae, 0x4e, 0xaa, 0x54, 0x20,
];
const TOO_BIG: [u8; 4] = [0xe0, 0xa8, 0x9a, 0x3a];

fn load() -> u128 {
    let mut out = [0u8; 32];
    unsafe { storage_read(SLOT.as_ptr(), out.as_mut_ptr()) };
    u128::from_be_bytes(out[16..].try_into().unwrap_or([0; 16]))
}

fn store(v: u128) {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&v.to_be_bytes());
    unsafe { storage_write(SLOT.as_ptr(), w.as_ptr()) };
}

fn word(v: u128) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&v.to_be_bytes());
    w
}

/// The first 32-byte argument after the selector, as u128 (or max if it
/// does not fit).
fn arg(input: &[u8]) -> u128 {
    if input.len() < 36 || input[4..20].iter().any(|b| *b != 0) {
        return u128::MAX;
    }
    u128::from_be_bytes(input[20..36].try_into().unwrap_or([0xff; 16]))
}

fn fail_with(data: &[u8]) {
    unsafe { revert(data.as_ptr(), data.len() as u32) };
}

#[unsafe(no_mangle)]
pub extern "C" fn deploy() {
    let mut args = [0u8; 32];
    let n = unsafe { calldata_size() };
    if n >= 32 {
        unsafe { calldata_copy(args.as_mut_ptr(), 0, 32) };
        store(u128::from_be_bytes(args[16..].try_into().unwrap_or([0; 16])));
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn call() {
    let mut input = [0u8; 68];
    let n = unsafe { calldata_size() }.min(68);
    unsafe { calldata_copy(input.as_mut_ptr(), 0, n) };
    let input = &input[..n as usize];
    if input.len() < 4 {
        return fail_with(&[]);
    }
    let selector: [u8; 4] = [input[0], input[1], input[2], input[3]];
    match selector {
        INCREMENT => {
            let c = load() + 1;
            store(c);
            let mut topics = [0u8; 64];
            topics[..32].copy_from_slice(&INCREMENTED);
            unsafe { caller(topics[44..].as_mut_ptr()) };
            let data = word(c);
            unsafe { emit_log(topics.as_ptr(), 2, data.as_ptr(), 32) };
        }
        ADD => {
            let x = arg(input);
            if x > 1000 {
                let mut err = [0u8; 36];
                err[..4].copy_from_slice(&TOO_BIG);
                let end = input.len().min(36);
                err[4..end].copy_from_slice(&input[4..end]);
                return fail_with(&err);
            }
            store(load() + x);
        }
        COUNT => {
            let w = word(load());
            unsafe { set_return(w.as_ptr(), 32) };
        }
        FAIL => {
            // Error("nope"), ABI-encoded.
            let mut err = [0u8; 100];
            err[..4].copy_from_slice(&[0x08, 0xc3, 0x79, 0xa0]);
            err[35] = 0x20;
            err[67] = 4;
            err[68..72].copy_from_slice(b"nope");
            fail_with(&err);
        }
        _ => fail_with(&[]),
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
