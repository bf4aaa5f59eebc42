//! Reverts: ABI-encoded failure data the caller (and the RPC) can decode.
//!
//! A method fails by returning `Err(Revert)` (`?` works on anything that
//! converts), by `revert!`, or by `require!`; errors declared in [`abi!`]
//! encode as Solidity's custom errors, messages as `Error(string)`:
//!
//! ```
//! use orac_sdk::prelude::*;
//! use orac_sdk::{SolError, testing};
//!
//! abi! {
//!     error TooLarge(uint256 amount, uint256 limit);
//! }
//!
//! #[storage]
//! pub struct Limits {
//!     limit: Value<U256>,
//! }
//!
//! #[contract]
//! impl Limits {
//!     pub fn check(&self, amount: U256) -> Result<(), Revert> {
//!         require!(!amount.is_zero(), "zero amount");
//!         let limit = self.limit.get();
//!         if amount > limit {
//!             return Err(TooLarge { amount, limit }.into());
//!         }
//!         Ok(())
//!     }
//! }
//!
//! testing::reset();
//! let limits = Limits::at_root();
//! assert_eq!(
//!     testing::try_call(|| limits.check(U256::ZERO)),
//!     Err(Revert::msg("zero amount"))
//! );
//! let err = testing::try_call(|| limits.check(U256::from(5))).unwrap_err();
//! assert_eq!(err.0[..4], TooLarge::SELECTOR);
//! ```
//!
//! [`abi!`]: crate::abi

use alloc::string::String;
use alloc::vec::Vec;

use alloy_sol_types::{SolError, SolValue};

/// Why a method failed: the revert data, ABI-encoded. Build one from a
/// message (`Error(string)`, what Solidity's `require` produces) or from
/// any error declared with `sol!`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revert(pub Vec<u8>);

/// Selector of Solidity's `Error(string)`.
pub const ERROR_SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];

/// Selector of Solidity's `Panic(uint256)`: `keccak256("Panic(uint256)")`.
pub const PANIC_SELECTOR: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];

/// Solidity's panic codes that the SDK raises ([`crate::math`]); ethers,
/// viem and cast print them by name.
pub mod panic_code {
    /// Arithmetic overflow or underflow.
    pub const ARITHMETIC: u64 = 0x11;
    /// Division or modulo by zero.
    pub const DIVISION_BY_ZERO: u64 = 0x12;
}

impl Revert {
    /// `Error(string)` with this message.
    pub fn msg(message: &str) -> Self {
        let mut data = ERROR_SELECTOR.to_vec();
        data.extend_from_slice(&(String::from(message),).abi_encode_params());
        Revert(data)
    }

    /// `Panic(uint256)` with `code` (see [`panic_code`]): what Solidity
    /// reverts with when checked arithmetic fails. Out of line and cold: it
    /// is the unlikely path of every checked operation, and one copy keeps
    /// contracts small.
    #[cold]
    #[inline(never)]
    pub fn panic(code: u64) -> Self {
        let mut data = PANIC_SELECTOR.to_vec();
        data.extend_from_slice(&[0u8; 24]);
        data.extend_from_slice(&code.to_be_bytes());
        Revert(data)
    }

    /// The code, if this is a `Panic(uint256)` whose code fits in a u64.
    pub fn panic_code(&self) -> Option<u64> {
        let body = self.0.strip_prefix(&PANIC_SELECTOR)?;
        let word: &[u8; 32] = body.try_into().ok()?;
        if word[..24].iter().any(|b| *b != 0) {
            return None;
        }
        Some(u64::from_be_bytes(word[24..].try_into().ok()?))
    }

    /// The message, if this is an `Error(string)`.
    pub fn message(&self) -> Option<String> {
        let body = self.0.strip_prefix(&ERROR_SELECTOR)?;
        <(String,)>::abi_decode_params(body).ok().map(|(s,)| s)
    }

    /// Decodes a custom error of type `E`.
    pub fn decode<E: SolError>(&self) -> Option<E> {
        E::abi_decode(&self.0).ok()
    }
}

impl<E: SolError> From<E> for Revert {
    fn from(e: E) -> Self {
        Revert(e.abi_encode())
    }
}

/// Reverts now with an `Error(string)` message, or a `sol!` error value.
#[macro_export]
macro_rules! revert {
    ($msg:literal $(,)?) => {
        $crate::host::revert(&$crate::Revert::msg($msg).0)
    };
    ($msg:literal, $($arg:tt)+) => {
        $crate::host::revert(&$crate::Revert::msg(&::alloc::format!($msg, $($arg)+)).0)
    };
    ($err:expr $(,)?) => {
        $crate::host::revert(&$crate::Revert::from($err).0)
    };
}

/// Returns `Err` with a `sol!` error value (or an `Error(string)` message)
/// unless the condition holds: Solidity's `require(cond, Error(...))` for
/// methods returning `Result<_, Revert>`. Unlike [`require!`], which reverts
/// on the spot, the failure travels up through `?`, so Rust callers and
/// native tests see an `Err`; on chain both revert with the same data.
///
/// ```
/// use orac_sdk::prelude::*;
///
/// sol! {
///     error NotOwner(address caller);
/// }
///
/// fn only(owner: Address) -> Result<Address, Revert> {
///     let caller = msg::sender();
///     ensure!(caller == owner, NotOwner { caller });
///     Ok(caller)
/// }
///
/// orac_sdk::testing::reset();
/// let err = only(Address::ZERO).unwrap_err();
/// assert_eq!(err.decode::<NotOwner>().unwrap().caller, msg::sender());
/// ```
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $msg:literal $(,)?) => {
        if !$cond {
            return ::core::result::Result::Err($crate::Revert::msg($msg).into());
        }
    };
    ($cond:expr, $err:expr $(,)?) => {
        if !$cond {
            return ::core::result::Result::Err($crate::Revert::from($err).into());
        }
    };
}

/// Reverts unless the condition holds, like Solidity's `require`.
#[macro_export]
macro_rules! require {
    ($cond:expr, $($rest:tt)+) => {
        if !$cond {
            $crate::revert!($($rest)+);
        }
    };
}
