//! Reverts: ABI-encoded failure data the caller (and the RPC) can decode.

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

impl Revert {
    /// `Error(string)` with this message.
    pub fn msg(message: &str) -> Self {
        let mut data = ERROR_SELECTOR.to_vec();
        data.extend_from_slice(&(String::from(message),).abi_encode_params());
        Revert(data)
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

/// Reverts unless the condition holds, like Solidity's `require`.
#[macro_export]
macro_rules! require {
    ($cond:expr, $($rest:tt)+) => {
        if !$cond {
            $crate::revert!($($rest)+);
        }
    };
}
