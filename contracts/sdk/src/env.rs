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

/// The message being executed.
pub mod msg {
    use alloy_primitives::{Address, U256};

    /// Who called this contract (a contract, for nested calls).
    pub fn sender() -> Address {
        crate::host::caller()
    }
    /// Value sent with this message.
    pub fn value() -> U256 {
        crate::host::call_value()
    }
    /// The externally owned account that signed the transaction.
    pub fn origin() -> Address {
        crate::host::origin()
    }
    /// Gas left in this message.
    pub fn gas_left() -> u64 {
        crate::host::gas_left()
    }
    /// The transaction's gas price.
    pub fn gas_price() -> U256 {
        crate::host::gas_price()
    }
    /// The raw calldata.
    pub fn data() -> alloc::vec::Vec<u8> {
        crate::host::calldata()
    }
}

/// The block the message runs in.
pub mod block {
    use alloy_primitives::{Address, B256, U256};

    /// The block's number.
    pub fn number() -> u64 {
        crate::host::block_number()
    }
    /// Seconds since the Unix epoch.
    pub fn timestamp() -> u64 {
        crate::host::block_timestamp()
    }
    /// The block's gas limit.
    pub fn gas_limit() -> u64 {
        crate::host::block_gas_limit()
    }
    /// The block producer's address.
    pub fn coinbase() -> Address {
        crate::host::coinbase()
    }
    /// The chain id (EIP-155), e.g. 31337 on a dev chain.
    pub fn chain_id() -> u64 {
        crate::host::chain_id()
    }
    /// The block's base fee per gas (EIP-1559), in wei.
    pub fn base_fee() -> U256 {
        crate::host::base_fee()
    }
    /// The block's `prevrandao` (its header's `mixHash`): Solidity's
    /// `block.prevrandao`. The block producer knows it in advance, so it is
    /// not a source of randomness anyone should bet on.
    pub fn prevrandao() -> B256 {
        crate::host::prevrandao()
    }
}

/// This contract.
pub mod contract {
    use alloy_primitives::{Address, U256};

    /// This contract's address.
    pub fn address() -> Address {
        crate::host::address()
    }
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
