//! The VM benchmark's token, by hand against the orac host ABI
//! (docs/host-abi.md), with the semantics of bench/solidity/Token.sol:
//!
//! ```solidity
//! mapping(address => uint256) public balanceOf;   // slot 0
//! uint256 public totalSupply;                      // slot 1
//! event Transfer(address indexed from, address indexed to, uint256 value);
//! constructor();                                   // mints 1e27 to the deployer
//! function transfer(address to, uint256 amount) returns (bool);
//! ```
//!
//! Storage layout as solc's: the balance of `a` is at
//! keccak256(pad32(a) ‖ pad32(0)), computed with the host's keccak256. A
//! transfer reads and writes the sender's slot, then the recipient's (2
//! reads, 2 writes), and emits one log with 3 topics. Reverts like the
//! Solidity code: value sent to a non-payable function, short calldata or
//! an address with dirty high bits (no data), `insufficient balance`
//! (Error(string)), overflow of the recipient's balance (Panic(0x11)),
//! unknown selector (no data).
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
    fn call_value(out: *mut u8);
    fn emit_log(topics: *const u8, count: u32, data: *const u8, len: u32);
    fn keccak256(ptr: *const u8, len: u32, out: *mut u8);
}

const TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
const BALANCE_OF: [u8; 4] = [0x70, 0xa0, 0x82, 0x31];
const TOTAL_SUPPLY: [u8; 4] = [0x18, 0x16, 0x0d, 0xdd];
/// keccak256("Transfer(address,address,uint256)")
const TRANSFER_EVENT: [u8; 32] = [
    0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b, 0x69, 0xc2, 0xb0, 0x68, 0xfc, 0x37, 0x8d, 0xaa,
    0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4, 0xa1, 0x16, 0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef,
];
/// Slot of totalSupply.
const TOTAL_SUPPLY_SLOT: [u8; 32] = {
    let mut s = [0u8; 32];
    s[31] = 1;
    s
};
/// 1e27: a billion tokens of 18 decimals.
const SUPPLY: u128 = 1_000_000_000_000_000_000_000_000_000;

type Word = [u8; 32];

/// 256-bit big-endian words as four little-endian u64 limbs.
fn limbs(w: &Word) -> [u64; 4] {
    let mut l = [0u64; 4];
    for (i, limb) in l.iter_mut().enumerate() {
        let at = 24 - 8 * i;
        *limb = u64::from_be_bytes([
            w[at],
            w[at + 1],
            w[at + 2],
            w[at + 3],
            w[at + 4],
            w[at + 5],
            w[at + 6],
            w[at + 7],
        ]);
    }
    l
}

fn word(l: &[u64; 4]) -> Word {
    let mut w = [0u8; 32];
    for (i, limb) in l.iter().enumerate() {
        let at = 24 - 8 * i;
        w[at..at + 8].copy_from_slice(&limb.to_be_bytes());
    }
    w
}

/// a - b, and whether it borrowed (a < b).
fn sub(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], bool) {
    let mut out = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(borrow as u64);
        out[i] = d;
        borrow = b1 | b2;
    }
    (out, borrow)
}

/// a + b, and whether it overflowed.
fn add(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], bool) {
    let mut out = [0u64; 4];
    let mut carry = false;
    for i in 0..4 {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(carry as u64);
        out[i] = s;
        carry = c1 | c2;
    }
    (out, carry)
}

/// The storage slot of `balanceOf[address]`, `address` as a 32-byte word.
fn balance_slot(address: &Word) -> Word {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(address);
    let mut slot = [0u8; 32];
    unsafe { keccak256(preimage.as_ptr(), 64, slot.as_mut_ptr()) };
    slot
}

fn load(slot: &Word) -> Word {
    let mut v = [0u8; 32];
    unsafe { storage_read(slot.as_ptr(), v.as_mut_ptr()) };
    v
}

fn store(slot: &Word, v: &Word) {
    unsafe { storage_write(slot.as_ptr(), v.as_ptr()) };
}

fn transfer_log(from: &Word, to: &Word, amount: &Word) {
    let mut topics = [0u8; 96];
    topics[..32].copy_from_slice(&TRANSFER_EVENT);
    topics[32..64].copy_from_slice(from);
    topics[64..].copy_from_slice(to);
    unsafe { emit_log(topics.as_ptr(), 3, amount.as_ptr(), 32) };
}

fn sender() -> Word {
    let mut w = [0u8; 32];
    unsafe { caller(w[12..].as_mut_ptr()) };
    w
}

fn fail(data: &[u8]) {
    unsafe { revert(data.as_ptr(), data.len() as u32) };
}

fn ret(w: &Word) {
    unsafe { set_return(w.as_ptr(), 32) };
}

/// Error("insufficient balance"), ABI-encoded.
fn insufficient_balance() {
    let mut e = [0u8; 100];
    e[..4].copy_from_slice(&[0x08, 0xc3, 0x79, 0xa0]);
    e[35] = 0x20;
    e[67] = 20;
    e[68..88].copy_from_slice(b"insufficient balance");
    fail(&e);
}

/// Panic(0x11): arithmetic overflow.
fn overflow() {
    let mut e = [0u8; 36];
    e[..4].copy_from_slice(&[0x4e, 0x48, 0x7b, 0x71]);
    e[35] = 0x11;
    fail(&e);
}

/// An ABI address argument: a word whose 12 high bytes are zero.
fn address_arg(w: &[u8]) -> Option<Word> {
    if w[..12].iter().any(|b| *b != 0) {
        return None;
    }
    let mut a = [0u8; 32];
    a.copy_from_slice(w);
    Some(a)
}

#[unsafe(no_mangle)]
pub extern "C" fn deploy() {
    let mut supply = [0u8; 32];
    supply[16..].copy_from_slice(&SUPPLY.to_be_bytes());
    let owner = sender();
    store(&TOTAL_SUPPLY_SLOT, &supply);
    store(&balance_slot(&owner), &supply);
    transfer_log(&[0u8; 32], &owner, &supply);
}

#[unsafe(no_mangle)]
pub extern "C" fn call() {
    let mut value = [0u8; 32];
    unsafe { call_value(value.as_mut_ptr()) };
    if value != [0u8; 32] {
        return fail(&[]);
    }
    let mut input = [0u8; 68];
    let n = unsafe { calldata_size() };
    let len = n.min(68);
    unsafe { calldata_copy(input.as_mut_ptr(), 0, len) };
    if n < 4 {
        return fail(&[]);
    }
    let selector = [input[0], input[1], input[2], input[3]];
    match selector {
        TRANSFER => {
            if n < 68 {
                return fail(&[]);
            }
            let Some(to) = address_arg(&input[4..36]) else {
                return fail(&[]);
            };
            let mut amount = [0u8; 32];
            amount.copy_from_slice(&input[36..68]);
            let amount_l = limbs(&amount);
            let from = sender();
            let from_slot = balance_slot(&from);
            let (left, short) = sub(&limbs(&load(&from_slot)), &amount_l);
            if short {
                return insufficient_balance();
            }
            store(&from_slot, &word(&left));
            let to_slot = balance_slot(&to);
            let (sum, over) = add(&limbs(&load(&to_slot)), &amount_l);
            if over {
                return overflow();
            }
            store(&to_slot, &word(&sum));
            transfer_log(&from, &to, &amount);
            let mut t = [0u8; 32];
            t[31] = 1;
            ret(&t);
        }
        BALANCE_OF => {
            if n < 36 {
                return fail(&[]);
            }
            let Some(who) = address_arg(&input[4..36]) else {
                return fail(&[]);
            };
            ret(&load(&balance_slot(&who)));
        }
        TOTAL_SUPPLY => ret(&load(&TOTAL_SUPPLY_SLOT)),
        _ => fail(&[]),
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
