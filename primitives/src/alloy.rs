//! Conversions between orac's core types (`primitive-types`, the node's
//! family) and alloy's (what the Solidity ABI code uses: `sol!`, the SDK,
//! the oracle's ABI), in one place. Both families are foreign to this
//! crate, so the orphan rule forbids `From` impls between them; these two
//! traits are the next best thing: `h.to_alloy()` and `a.to_orac()`.
//!
//! ```
//! use orac_primitives::alloy::{ToAlloy, ToOrac};
//! use orac_primitives::{Address, U256};
//!
//! let a = Address::repeat_byte(7);
//! assert_eq!(a.to_alloy().to_orac(), a);
//! let n = U256::from(1234u64);
//! assert_eq!(n.to_alloy(), alloy_primitives::U256::from(1234u64));
//! ```

use crate::{Address, Bytes, H256, U256};

/// An orac value as alloy's type.
pub trait ToAlloy {
    /// The alloy type.
    type Alloy;
    /// Converts to alloy's type (the same bytes or number).
    fn to_alloy(&self) -> Self::Alloy;
}

/// An alloy value as orac's type.
pub trait ToOrac {
    /// The orac type.
    type Orac;
    /// Converts to orac's type (the same bytes or number).
    fn to_orac(&self) -> Self::Orac;
}

macro_rules! pair {
    ($orac:ty, $alloy:ty, |$o:ident| $to_alloy:expr, |$a:ident| $to_orac:expr) => {
        impl ToAlloy for $orac {
            type Alloy = $alloy;
            fn to_alloy(&self) -> $alloy {
                let $o = self;
                $to_alloy
            }
        }
        impl ToOrac for $alloy {
            type Orac = $orac;
            fn to_orac(&self) -> $orac {
                let $a = self;
                $to_orac
            }
        }
    };
}

pair!(
    Address,
    alloy_primitives::Address,
    |o| alloy_primitives::Address::from(o.0),
    |a| Address::from(a.0.0)
);
pair!(
    H256,
    alloy_primitives::B256,
    |o| alloy_primitives::B256::from(o.0),
    |a| H256::from(a.0)
);
pair!(
    U256,
    alloy_primitives::U256,
    |o| alloy_primitives::U256::from_be_bytes(o.to_big_endian()),
    |a| U256::from_big_endian(&a.to_be_bytes::<32>())
);
pair!(
    Bytes,
    alloy_primitives::Bytes,
    |o| alloy_primitives::Bytes::copy_from_slice(&o.0),
    |a| Bytes(a.to_vec())
);

impl<T: ToAlloy> ToAlloy for [T] {
    type Alloy = Vec<T::Alloy>;
    fn to_alloy(&self) -> Self::Alloy {
        self.iter().map(ToAlloy::to_alloy).collect()
    }
}

impl<T: ToOrac> ToOrac for [T] {
    type Orac = Vec<T::Orac>;
    fn to_orac(&self) -> Self::Orac {
        self.iter().map(ToOrac::to_orac).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_keep_every_byte() {
        let a = Address::from_low_u64_be(0x0102_0304_0506_0708);
        assert_eq!(a.to_alloy().to_orac(), a);
        assert_eq!(a.to_alloy().as_slice(), a.as_bytes());
        let h = H256::repeat_byte(0xab);
        assert_eq!(h.to_alloy().to_orac(), h);
        let n = U256::MAX - U256::from(5u64);
        assert_eq!(n.to_alloy().to_orac(), n);
        assert_eq!(
            n.to_alloy(),
            alloy_primitives::U256::MAX - alloy_primitives::U256::from(5u64)
        );
        let b = Bytes(vec![1, 2, 3]);
        assert_eq!(b.to_alloy().to_orac(), b);
        let list = [h, H256::zero()];
        assert_eq!(list.to_alloy().to_orac(), list.to_vec());
    }
}
