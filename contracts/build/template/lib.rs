//! A counter: the smallest useful contract. Build with `orac build`,
//! unit-test with `cargo test`.
#![no_std]

use orac_sdk::prelude::*;

abi! {
    event Incremented(address indexed by, uint256 count);
    error TooBig(uint256 requested, uint256 limit);
}

#[storage]
pub struct Counter {
    count: Value<U256>,
}

#[contract]
impl Counter {
    #[constructor]
    pub fn constructor(&mut self, start: U256) {
        self.count.set(start);
    }

    /// Adds `by` (at most 1000) and returns the new count.
    pub fn add(&mut self, by: U256) -> Result<U256, Revert> {
        let limit = U256::from(1000);
        if by > limit {
            return Err(TooBig {
                requested: by,
                limit,
            }
            .into());
        }
        // `+` on U256 wraps around past 2^256 - 1; `try_add` reverts
        // instead (Solidity's Panic(0x11)), as Solidity >= 0.8 does.
        let count = self.count.get().try_add(by)?;
        self.count.set(count);
        orac_sdk::emit(Incremented {
            by: msg::sender(),
            count,
        });
        Ok(count)
    }

    pub fn count(&self) -> U256 {
        self.count.get()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use orac_sdk::revert::panic_code;
    use orac_sdk::testing;

    use super::*;

    #[test]
    fn adds_and_logs() {
        testing::reset();
        let mut c = Counter::at_root();
        c.constructor(U256::from(5));
        assert_eq!(
            testing::try_call(|| c.add(U256::from(2))),
            Ok(U256::from(7))
        );
        assert_eq!(c.count(), U256::from(7));
        assert_eq!(testing::events::<Incremented>()[0].count, U256::from(7));
    }

    #[test]
    fn refuses_too_much() {
        testing::reset();
        let mut c = Counter::at_root();
        let err = testing::try_call(|| c.add(U256::from(5000))).unwrap_err();
        assert_eq!(err.decode::<TooBig>().unwrap().requested, U256::from(5000));
        assert_eq!(c.count(), U256::ZERO);
    }

    #[test]
    fn overflow_reverts() {
        testing::reset();
        let mut c = Counter::at_root();
        c.constructor(U256::MAX - U256::from(1));
        let err = testing::try_call(|| c.add(U256::from(2))).unwrap_err();
        assert_eq!(err.panic_code(), Some(panic_code::ARITHMETIC));
        assert_eq!(c.count(), U256::MAX - U256::from(1));
        assert!(testing::logs().is_empty());
    }
}
