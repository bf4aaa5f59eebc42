//! Every host function of docs/host-abi.md, reached through the SDK, so
//! that ../tests/host_functions.rs can check each against the real VM.
#![no_std]

use orac_sdk::host;
use orac_sdk::prelude::*;

abi! {
    event Seen(bytes32 indexed topic, bytes data);
}

#[storage]
pub struct Probe {
    /// A typed slot (slot 0), to check that `Value::clear` deletes it.
    kept: Value<U256>,
}

#[contract]
impl Probe {
    /// caller, origin, address, call_value, balance (of this contract),
    /// calldata_size/calldata_copy.
    #[payable]
    pub fn message(&mut self) -> (Address, Address, Address, U256, U256, u64) {
        (
            msg::sender(),
            msg::origin(),
            this::address(),
            msg::value(),
            this::balance(),
            msg::data().len() as u64,
        )
    }

    /// block_number, block_timestamp, block_gas_limit, coinbase, chain_id,
    /// base_fee, prevrandao.
    pub fn block_env(&self) -> (u64, u64, u64, Address, u64, U256, B256) {
        (
            block::number(),
            block::timestamp(),
            block::gas_limit(),
            block::coinbase(),
            block::chain_id(),
            block::base_fee(),
            block::prevrandao(),
        )
    }

    /// gas_price, gas_left.
    pub fn gas(&self) -> (U256, u64) {
        (msg::gas_price(), msg::gas_left())
    }

    /// balance, of any account.
    pub fn balance_of(&self, who: Address) -> U256 {
        host::balance(&who)
    }

    /// storage_write.
    pub fn store(&mut self, key: B256, value: B256) {
        host::storage_write(&key, &value);
    }

    /// storage_read.
    pub fn load(&self, key: B256) -> B256 {
        host::storage_read(&key)
    }

    /// storage_remove.
    pub fn remove(&mut self, key: B256) {
        host::storage_remove(&key);
    }

    /// storage_remove, through a typed slot: sets slot 0, then clears it.
    pub fn set_and_clear(&mut self, value: U256) -> U256 {
        self.kept.set(value);
        let seen = self.kept.get();
        self.kept.clear();
        seen
    }

    /// keccak256.
    pub fn hash(&self, data: Bytes) -> B256 {
        host::keccak256(&data)
    }

    /// ecrecover (zero for an invalid signature).
    pub fn recover(&self, hash: B256, v: u8, r: B256, s: B256) -> Address {
        host::ecrecover(&hash, v, &r, &s).unwrap_or(Address::ZERO)
    }

    /// emit_log.
    pub fn log(&mut self, topic: B256, data: Bytes) {
        orac_sdk::emit(Seen { topic, data });
    }

    /// create and create2 (with `salt`) of the same creation code.
    pub fn deploy(&mut self, code: Bytes, salt: B256) -> Result<(Address, Address), Revert> {
        let plain = Call::new().create(&code, None)?;
        let salted = Call::new().create(&code, Some(salt))?;
        Ok((plain, salted))
    }

    /// call (with the value sent along), return_data_size/return_data_copy.
    #[payable]
    pub fn relay(&mut self, to: Address, data: Bytes) -> Result<Bytes, Revert> {
        Call::new().value(msg::value()).raw(to, &data).map(Bytes::from)
    }

    /// static_call.
    pub fn peek(&self, to: Address, data: Bytes) -> Result<Bytes, Revert> {
        Call::new().raw_static(to, &data).map(Bytes::from)
    }

    /// revert (set_return is every other method's way out).
    pub fn fail(&self) -> Result<(), Revert> {
        Err(Revert::msg("no"))
    }
}
