//! The message and the block, as plain functions.

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
    use alloy_primitives::{Address, U256};

    pub fn number() -> u64 {
        crate::host::block_number()
    }
    /// Seconds since the Unix epoch.
    pub fn timestamp() -> u64 {
        crate::host::block_timestamp()
    }
    pub fn gas_limit() -> u64 {
        crate::host::block_gas_limit()
    }
    pub fn coinbase() -> Address {
        crate::host::coinbase()
    }
    pub fn chain_id() -> u64 {
        crate::host::chain_id()
    }
    pub fn base_fee() -> U256 {
        crate::host::base_fee()
    }
}

/// This contract.
pub mod contract {
    use alloy_primitives::{Address, U256};

    pub fn address() -> Address {
        crate::host::address()
    }
    pub fn balance() -> U256 {
        crate::host::balance(&crate::host::address())
    }
}
