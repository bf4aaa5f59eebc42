//! Checked arithmetic: overflow reverts, as it does in Solidity ≥ 0.8.
//!
//! `U256`'s operators wrap around silently. alloy's `U256` is ruint's,
//! whose `+`, `-` and `*` are `wrapping_add` and friends in every build
//! profile, so in a contract `U256::MAX + U256::from(1)` is zero and
//! `U256::ZERO - U256::from(1)` is `U256::MAX`: a balance or a counter
//! computed that way can be made to wrap by whoever chooses an operand.
//! Primitive integers are no safer: contracts are built in release, where
//! Rust's own overflow checks are off. Wherever an operand is not already
//! bounded by an earlier check, use these instead:
//!
//! ```
//! use orac_sdk::prelude::*; // brings CheckedMath
//!
//! let count = U256::from(41).try_add(U256::from(1))?;
//! assert_eq!(count, U256::from(42));
//! // Overflow is Solidity's Panic(0x11), a revert `?` carries out.
//! assert!(U256::MAX.try_add(U256::from(1)).is_err());
//! assert!(U256::ZERO.try_sub(U256::from(1)).is_err());
//! # Ok::<(), Revert>(())
//! ```
//!
//! A failure is an `Err(Revert)` carrying Solidity's own `Panic(uint256)`
//! (0x11 for overflow and underflow, 0x12 for division by zero), so `?`
//! takes it out of the method, the transaction reverts, and ethers, viem
//! and cast decode it as they do a Solidity contract's ("arithmetic
//! underflow or overflow").

use alloy_primitives::{I256, U256};

use crate::revert::{Revert, panic_code};

/// Arithmetic that reverts instead of wrapping around.
pub trait CheckedMath: Sized {
    /// `self + rhs`, or a `Panic(0x11)` revert if it overflows.
    fn try_add(self, rhs: Self) -> Result<Self, Revert>;
    /// `self - rhs`, or a `Panic(0x11)` revert if it underflows.
    fn try_sub(self, rhs: Self) -> Result<Self, Revert>;
    /// `self * rhs`, or a `Panic(0x11)` revert if it overflows.
    fn try_mul(self, rhs: Self) -> Result<Self, Revert>;
    /// `self / rhs` (rounded towards zero), or a `Panic(0x12)` revert if
    /// `rhs` is zero (`Panic(0x11)` for a signed `MIN / -1`).
    fn try_div(self, rhs: Self) -> Result<Self, Revert>;
}

fn overflow() -> Revert {
    Revert::panic(panic_code::ARITHMETIC)
}

macro_rules! checked_math {
    ($($t:ty),*) => {$(
        impl CheckedMath for $t {
            #[inline]
            fn try_add(self, rhs: Self) -> Result<Self, Revert> {
                self.checked_add(rhs).ok_or_else(overflow)
            }
            #[inline]
            fn try_sub(self, rhs: Self) -> Result<Self, Revert> {
                self.checked_sub(rhs).ok_or_else(overflow)
            }
            #[inline]
            fn try_mul(self, rhs: Self) -> Result<Self, Revert> {
                self.checked_mul(rhs).ok_or_else(overflow)
            }
            #[inline]
            fn try_div(self, rhs: Self) -> Result<Self, Revert> {
                if rhs == <$t>::default() {
                    return Err(Revert::panic(panic_code::DIVISION_BY_ZERO));
                }
                self.checked_div(rhs).ok_or_else(overflow)
            }
        }
    )*};
}

checked_math!(
    U256, I256, u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: core::fmt::Debug>(r: Result<T, Revert>) -> Option<u64> {
        r.unwrap_err().panic_code()
    }

    #[test]
    fn u256_reverts_where_its_operators_wrap() {
        let one = U256::from(1);
        // What the operators do, and why this module exists.
        assert_eq!(U256::MAX + one, U256::ZERO);
        assert_eq!(U256::ZERO - one, U256::MAX);
        assert_eq!(code(U256::MAX.try_add(one)), Some(0x11));
        assert_eq!(code(U256::ZERO.try_sub(one)), Some(0x11));
        assert_eq!(
            code((U256::MAX >> 1usize).try_mul(U256::from(3))),
            Some(0x11)
        );
        assert_eq!(code(one.try_div(U256::ZERO)), Some(0x12));
        // In range they are the operators.
        assert_eq!((U256::MAX - one).try_add(one), Ok(U256::MAX));
        assert_eq!(one.try_sub(one), Ok(U256::ZERO));
        assert_eq!(U256::from(6).try_mul(U256::from(7)), Ok(U256::from(42)));
        assert_eq!(U256::from(43).try_div(U256::from(7)), Ok(U256::from(6)));
    }

    #[test]
    fn signed_and_primitive_types() {
        assert_eq!(code(I256::MAX.try_add(I256::ONE)), Some(0x11));
        assert_eq!(code(I256::MIN.try_sub(I256::ONE)), Some(0x11));
        assert_eq!(code(I256::MIN.try_div(I256::MINUS_ONE)), Some(0x11));
        assert_eq!(code(I256::ONE.try_div(I256::ZERO)), Some(0x12));
        assert_eq!(I256::MINUS_ONE.try_mul(I256::MINUS_ONE), Ok(I256::ONE));
        assert_eq!(code(u64::MAX.try_add(1)), Some(0x11));
        assert_eq!(code(0u8.try_sub(1)), Some(0x11));
        assert_eq!(code(i128::MIN.try_div(-1)), Some(0x11));
        assert_eq!(code(5u32.try_div(0)), Some(0x12));
        assert_eq!(250u8.try_add(5), Ok(255));
    }

    #[test]
    fn the_revert_is_soliditys_panic() {
        let r = Revert::panic(panic_code::ARITHMETIC);
        // Panic(uint256) with 0x11, as solc's checked arithmetic reverts.
        let mut expected = [0u8; 36];
        expected[..4].copy_from_slice(&[0x4e, 0x48, 0x7b, 0x71]);
        expected[35] = 0x11;
        assert_eq!(r.0, expected);
        assert_eq!(
            crate::primitives::keccak256(b"Panic(uint256)")[..4],
            crate::revert::PANIC_SELECTOR
        );
        assert_eq!(r.message(), None);
        assert_eq!(Revert::msg("x").panic_code(), None);
    }
}
