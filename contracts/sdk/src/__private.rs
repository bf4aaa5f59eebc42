//! Support for macro expansions. Not a public API.

pub use alloc::format;
pub use alloc::string::String;
pub use alloc::vec::Vec;

use crate::revert::Revert;

/// Runs a message: hands the calldata to `dispatch` and returns its output,
/// or reverts with its error.
pub fn entry(dispatch: impl FnOnce(&[u8]) -> Result<Vec<u8>, Revert>) {
    let input = crate::host::calldata();
    match dispatch(&input) {
        Ok(out) => {
            if !out.is_empty() {
                crate::host::set_return(&out);
            }
        }
        Err(e) => crate::host::revert(&e.0),
    }
}

/// Refuses value sent to a method that is not `#[payable]`.
pub fn non_payable() -> Result<(), Revert> {
    if crate::host::call_value().is_zero() {
        Ok(())
    } else {
        Err(Revert::msg("function is not payable"))
    }
}

pub fn bad_arguments() -> Revert {
    Revert::msg("invalid arguments")
}

pub fn unknown_selector() -> Revert {
    Revert::msg("unknown function selector")
}
