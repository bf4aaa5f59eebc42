//! Calling other contracts (and sending value), typed by their ABI.
//!
//! ```
//! use orac_sdk::prelude::*;
//! use orac_sdk::{SolCall, SolValue, testing};
//!
//! orac_sdk::interface! {
//!     interface IERC20 {
//!         function transfer(address to, uint256 amount) external returns (bool);
//!         function balanceOf(address owner) external view returns (uint256);
//!     }
//! }
//!
//! let (token_address, recipient) = (Address::repeat_byte(7), Address::repeat_byte(8));
//! let amount = U256::from(10);
//! // Calldata without calling (alloy's types for the interface):
//! let data = IERC20Abi::transferCall { to: recipient, amount }.abi_encode();
//! // Natively, calls answer from mocks (`testing::mock_call`).
//! testing::reset();
//! testing::mock_call(token_address, &data[..4], true, true.abi_encode());
//! let token = IERC20::new(token_address);
//! let ok = token.transfer(recipient, amount)?;
//! let ok_again = token.with(Call::new().gas(50_000)).transfer(recipient, amount)?;
//! assert!(ok && ok_again);
//! assert_eq!(testing::calls()[0].2, data);
//! # Ok::<(), Revert>(())
//! ```

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;

use crate::host;
use crate::revert::Revert;

/// Options of a call: value to send and gas to forward.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Call {
    value: U256,
    gas: Option<u64>,
}

impl Call {
    /// No value; as much gas as allowed (all but 1/64 of what is left).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `value` wei with the call.
    pub fn value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }

    /// Forwards at most `gas`.
    pub fn gas(mut self, gas: u64) -> Self {
        self.gas = Some(gas);
        self
    }

    /// Calls `to` with raw calldata; the callee's revert data becomes ours.
    pub fn raw(&self, to: Address, data: &[u8]) -> Result<Vec<u8>, Revert> {
        let out = host::call(&to, &self.value, data, self.gas, false);
        if out.success {
            Ok(out.data)
        } else {
            Err(Revert(out.data))
        }
    }

    /// A read-only call (no value; the callee cannot change state).
    pub fn raw_static(&self, to: Address, data: &[u8]) -> Result<Vec<u8>, Revert> {
        let out = host::call(&to, &U256::ZERO, data, self.gas, true);
        if out.success {
            Ok(out.data)
        } else {
            Err(Revert(out.data))
        }
    }

    /// Calls a function declared with `sol!`, decoding what it returns.
    pub fn call<C: SolCall>(&self, to: Address, call: &C) -> Result<C::Return, Revert> {
        let out = self.raw(to, &call.abi_encode())?;
        C::abi_decode_returns(&out).map_err(|_| Revert::msg("undecodable return data"))
    }

    /// A read-only call of a function declared with `sol!`.
    pub fn static_call<C: SolCall>(&self, to: Address, call: &C) -> Result<C::Return, Revert> {
        let out = self.raw_static(to, &call.abi_encode())?;
        C::abi_decode_returns(&out).map_err(|_| Revert::msg("undecodable return data"))
    }

    /// Sends value with no calldata (a contract must accept it).
    pub fn transfer(to: Address, value: U256) -> Result<(), Revert> {
        Call::new().value(value).raw(to, &[]).map(|_| ())
    }

    /// Deploys `creation_data` (deploy envelope + constructor arguments,
    /// e.g. the contents of a `.bin` from `orac build`), with this call's
    /// value, optionally at a CREATE2 salt.
    pub fn create(&self, creation_data: &[u8], salt: Option<B256>) -> Result<Address, Revert> {
        host::create(&self.value, creation_data, salt.as_ref()).map_err(Revert)
    }
}
