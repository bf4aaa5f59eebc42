//! The message and the block, as plain functions.
//!
//! ```
//! use orac_sdk::prelude::*;
//! use orac_sdk::testing;
//!
//! testing::reset();
//! testing::set_caller(Address::repeat_byte(1));
//! testing::set_block(7, 1_700_000_012);
//! assert_eq!(msg::sender(), Address::repeat_byte(1));
//! assert_eq!(block::number(), 7);
//! assert_eq!(block::timestamp(), 1_700_000_012);
//! assert_eq!(block::chain_id(), 31337);
//! ```

// The getters are the host's own (`crate::host`), under the names
// Solidity gives them (`msg.sender`, `block.number`, ...).

/// The message being executed.
pub mod msg {
    #[doc(inline)]
    pub use crate::host::{
        call_value as value, calldata as data, caller as sender, gas_left, gas_price, origin,
    };
}

/// The block the message runs in.
pub mod block {
    #[doc(inline)]
    pub use crate::host::{
        base_fee, block_gas_limit as gas_limit, block_number as number,
        block_timestamp as timestamp, chain_id, coinbase, prevrandao,
    };
}

/// This contract.
pub mod contract {
    use alloy_primitives::U256;

    #[doc(inline)]
    pub use crate::host::address;

    /// This contract's balance, in wei (value sent with this message
    /// included). Any other account's: [`crate::host::balance`].
    pub fn balance() -> U256 {
        crate::host::balance(&crate::host::address())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use alloy_primitives::B256;

    use crate::testing;

    #[test]
    fn prevrandao_reads_the_blocks() {
        testing::reset();
        assert_eq!(super::block::prevrandao(), B256::ZERO);
        testing::set_prevrandao(B256::repeat_byte(0x5a));
        assert_eq!(super::block::prevrandao(), B256::repeat_byte(0x5a));
    }
}
