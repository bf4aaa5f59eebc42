//! Safe wrappers over the host ABI (docs/host-abi.md). On wasm32 each one
//! is a host call; natively each one reads or changes the thread's test
//! environment ([`crate::testing`]).

#[cfg(target_arch = "wasm32")]
use alloc::vec;
use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};

#[cfg(target_arch = "wasm32")]
mod sys {
    #[link(wasm_import_module = "orac")]
    unsafe extern "C" {
        pub(crate) fn storage_read(key: *const u8, out: *mut u8);
        pub(crate) fn storage_write(key: *const u8, value: *const u8);
        pub(crate) fn storage_remove(key: *const u8);
        pub(crate) fn calldata_size() -> u32;
        pub(crate) fn calldata_copy(dst: *mut u8, offset: u32, len: u32);
        pub(crate) fn set_return(ptr: *const u8, len: u32);
        pub(crate) fn revert(ptr: *const u8, len: u32);
        pub(crate) fn caller(out: *mut u8);
        pub(crate) fn origin(out: *mut u8);
        pub(crate) fn address(out: *mut u8);
        pub(crate) fn call_value(out: *mut u8);
        pub(crate) fn balance(addr: *const u8, out: *mut u8);
        pub(crate) fn block_number() -> i64;
        pub(crate) fn block_timestamp() -> i64;
        pub(crate) fn block_gas_limit() -> i64;
        pub(crate) fn coinbase(out: *mut u8);
        pub(crate) fn chain_id() -> i64;
        pub(crate) fn base_fee(out: *mut u8);
        pub(crate) fn gas_price(out: *mut u8);
        pub(crate) fn prevrandao(out: *mut u8);
        pub(crate) fn gas_left() -> i64;
        pub(crate) fn emit_log(topics: *const u8, count: u32, data: *const u8, len: u32);
        pub(crate) fn call(
            addr: *const u8,
            value: *const u8,
            data: *const u8,
            len: u32,
            gas: i64,
        ) -> u32;
        pub(crate) fn static_call(addr: *const u8, data: *const u8, len: u32, gas: i64) -> u32;
        pub(crate) fn return_data_size() -> u32;
        pub(crate) fn return_data_copy(dst: *mut u8, offset: u32, len: u32);
        pub(crate) fn create(value: *const u8, data: *const u8, len: u32, out: *mut u8) -> u32;
        pub(crate) fn create2(
            value: *const u8,
            data: *const u8,
            len: u32,
            salt: *const u8,
            out: *mut u8,
        ) -> u32;
        pub(crate) fn keccak256(ptr: *const u8, len: u32, out: *mut u8);
        pub(crate) fn ecrecover(
            hash: *const u8,
            v: u32,
            r: *const u8,
            s: *const u8,
            out: *mut u8,
        ) -> u32;
    }
}

#[cfg(not(target_arch = "wasm32"))]
use crate::testing::with_env;

/// Reads a storage slot of this contract.
pub fn storage_read(key: &B256) -> B256 {
    #[cfg(target_arch = "wasm32")]
    {
        let mut out = [0u8; 32];
        unsafe { sys::storage_read(key.as_ptr(), out.as_mut_ptr()) };
        B256::from(out)
    }
    #[cfg(not(target_arch = "wasm32"))]
    with_env(|e| e.storage_read(key))
}

/// Writes a storage slot of this contract (zero deletes it).
pub fn storage_write(key: &B256, value: &B256) {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        sys::storage_write(key.as_ptr(), value.as_ptr())
    };
    #[cfg(not(target_arch = "wasm32"))]
    with_env(|e| e.storage_write(key, value))
}

/// Deletes a storage slot of this contract: the same effect and gas as
/// writing zero, without a zero word in memory to pass (the storage
/// containers' `clear` and `remove` use it).
pub fn storage_remove(key: &B256) {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        sys::storage_remove(key.as_ptr())
    };
    #[cfg(not(target_arch = "wasm32"))]
    with_env(|e| e.storage_write(key, &B256::ZERO))
}

/// The message's calldata.
pub fn calldata() -> Vec<u8> {
    #[cfg(target_arch = "wasm32")]
    {
        let n = unsafe { sys::calldata_size() };
        let mut v = vec![0u8; n as usize];
        unsafe { sys::calldata_copy(v.as_mut_ptr(), 0, n) };
        v
    }
    #[cfg(not(target_arch = "wasm32"))]
    with_env(|e| e.calldata.clone())
}

/// Sets the message's return data.
pub fn set_return(data: &[u8]) {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        sys::set_return(data.as_ptr(), data.len() as u32)
    };
    #[cfg(not(target_arch = "wasm32"))]
    with_env(|e| e.return_data = data.to_vec())
}

/// Ends the message with a revert carrying `data`. Never returns.
pub fn revert(data: &[u8]) -> ! {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        sys::revert(data.as_ptr(), data.len() as u32);
        // The host ends the instance; it never comes back here.
        core::arch::wasm32::unreachable()
    }
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::raise_revert(data.to_vec())
}

/// Calls a host import that writes an `N`-byte value to `out`.
#[cfg(target_arch = "wasm32")]
fn read_out<const N: usize>(import: unsafe extern "C" fn(out: *mut u8)) -> [u8; N] {
    let mut out = [0u8; N];
    unsafe { import(out.as_mut_ptr()) };
    out
}

/// What a getter's host import hands back, read into the SDK's type: the
/// word-sized values come through an out-pointer, the numbers as a return
/// value. Natively every getter reads the test environment's field.
#[cfg(target_arch = "wasm32")]
macro_rules! from_host {
    (Address, $name:ident) => {
        Address::from(read_out::<20>(sys::$name))
    };
    (U256, $name:ident) => {
        U256::from_be_bytes(read_out::<32>(sys::$name))
    };
    (B256, $name:ident) => {
        B256::from(read_out::<32>(sys::$name))
    };
    (u64, $name:ident) => {
        unsafe { sys::$name() as u64 }
    };
}

macro_rules! getters {
    ($($(#[$doc:meta])* $name:ident -> $ty:tt = $field:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name() -> $ty {
            #[cfg(target_arch = "wasm32")]
            {
                from_host!($ty, $name)
            }
            #[cfg(not(target_arch = "wasm32"))]
            with_env(|e| e.$field)
        }
    )*};
}

getters! {
    /// Who called this contract (a contract, for nested calls).
    caller -> Address = caller;
    /// The externally owned account that signed the transaction.
    origin -> Address = origin;
    /// This contract's address.
    address -> Address = address;
    /// The block producer's address.
    coinbase -> Address = coinbase;
    /// Value sent with this message, in wei.
    call_value -> U256 = value;
    /// The block's base fee per gas (EIP-1559), in wei.
    base_fee -> U256 = base_fee;
    /// The transaction's gas price.
    gas_price -> U256 = gas_price;
    /// The block's number.
    block_number -> u64 = block_number;
    /// The block's timestamp: seconds since the Unix epoch.
    block_timestamp -> u64 = timestamp;
    /// The block's gas limit.
    block_gas_limit -> u64 = gas_limit;
    /// The chain id (EIP-155), e.g. 31337 on a dev chain.
    chain_id -> u64 = chain_id;
    /// Gas left in this message, after this call's own cost.
    gas_left -> u64 = gas_left;
    /// The block's `prevrandao` (its header's `mixHash`): Solidity's
    /// `block.prevrandao`. On a chain with a single block producer it is
    /// known to that producer in advance: fine as a seed for something
    /// nobody profits from predicting, never as a source of randomness
    /// worth money.
    prevrandao -> B256 = prevrandao;
}

/// Balance of any account.
pub fn balance(of: &Address) -> U256 {
    #[cfg(target_arch = "wasm32")]
    {
        let mut out = [0u8; 32];
        unsafe { sys::balance(of.as_ptr(), out.as_mut_ptr()) };
        U256::from_be_bytes(out)
    }
    #[cfg(not(target_arch = "wasm32"))]
    with_env(|e| e.balance_of(of))
}

/// Emits a log with up to four topics.
pub fn emit_log(topics: &[[u8; 32]], data: &[u8]) {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        sys::emit_log(
            topics.as_ptr() as *const u8,
            topics.len() as u32,
            data.as_ptr(),
            data.len() as u32,
        )
    };
    #[cfg(not(target_arch = "wasm32"))]
    with_env(|e| e.emit(topics, data))
}

/// Outcome of a sub-call or creation: success, and the return or revert
/// data.
pub struct CallOutcome {
    /// Whether the callee returned (rather than reverted or failed).
    pub success: bool,
    /// Its return data, or its revert data when it failed.
    pub data: Vec<u8>,
}

#[cfg(target_arch = "wasm32")]
fn return_data() -> Vec<u8> {
    let n = unsafe { sys::return_data_size() };
    let mut v = vec![0u8; n as usize];
    unsafe { sys::return_data_copy(v.as_mut_ptr(), 0, n) };
    v
}

/// A message call. `gas: None` forwards as much as allowed (63/64).
pub fn call(
    to: &Address,
    value: &U256,
    data: &[u8],
    gas: Option<u64>,
    is_static: bool,
) -> CallOutcome {
    let gas = gas.map(|g| g.min(i64::MAX as u64) as i64).unwrap_or(-1);
    #[cfg(target_arch = "wasm32")]
    {
        let status = unsafe {
            if is_static {
                sys::static_call(to.as_ptr(), data.as_ptr(), data.len() as u32, gas)
            } else {
                let v = value.to_be_bytes::<32>();
                sys::call(
                    to.as_ptr(),
                    v.as_ptr(),
                    data.as_ptr(),
                    data.len() as u32,
                    gas,
                )
            }
        };
        CallOutcome {
            success: status == 0,
            data: return_data(),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = gas;
        with_env(|e| e.mock_call(to, value, data, is_static))
    }
}

/// Deploys a contract (deploy envelope + constructor arguments), with an
/// optional CREATE2 salt. Returns the new address, or the failure's data.
pub fn create(value: &U256, data: &[u8], salt: Option<&B256>) -> Result<Address, Vec<u8>> {
    #[cfg(target_arch = "wasm32")]
    {
        let mut out = [0u8; 20];
        let v = value.to_be_bytes::<32>();
        let status = unsafe {
            match salt {
                Some(s) => sys::create2(
                    v.as_ptr(),
                    data.as_ptr(),
                    data.len() as u32,
                    s.as_ptr(),
                    out.as_mut_ptr(),
                ),
                None => sys::create(
                    v.as_ptr(),
                    data.as_ptr(),
                    data.len() as u32,
                    out.as_mut_ptr(),
                ),
            }
        };
        if status == 0 {
            Ok(Address::from(out))
        } else {
            Err(return_data())
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (value, data, salt);
        Err(b"contract creation needs the real VM: use orac-testkit".to_vec())
    }
}

/// Keccak-256, by the host on wasm32.
pub fn keccak256(data: &[u8]) -> B256 {
    #[cfg(target_arch = "wasm32")]
    {
        let mut out = [0u8; 32];
        unsafe { sys::keccak256(data.as_ptr(), data.len() as u32, out.as_mut_ptr()) };
        B256::from(out)
    }
    #[cfg(not(target_arch = "wasm32"))]
    alloy_primitives::keccak256(data)
}

/// Recovers the signer of a 32-byte digest (v: 27/28 or 0/1), refusing
/// high-s signatures.
pub fn ecrecover(hash: &B256, v: u8, r: &B256, s: &B256) -> Option<Address> {
    #[cfg(target_arch = "wasm32")]
    {
        let mut out = [0u8; 20];
        let ok = unsafe {
            sys::ecrecover(
                hash.as_ptr(),
                v as u32,
                r.as_ptr(),
                s.as_ptr(),
                out.as_mut_ptr(),
            )
        };
        (ok == 1).then(|| Address::from(out))
    }
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::recover(hash, v, r, s)
}

/// alloy-primitives' keccak hook (feature `native-keccak`): route every
/// keccak alloy computes to the host function.
///
/// # Safety
///
/// `bytes` must be valid for `len` bytes and `output` for 32 (the host
/// checks both against linear memory and fails the message otherwise).
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn native_keccak256(bytes: *const u8, len: usize, output: *mut u8) {
    unsafe { sys::keccak256(bytes, len as u32, output) }
}
