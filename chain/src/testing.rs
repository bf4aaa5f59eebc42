//! Dev transactions for tests and benchmarks (feature `test-utils`).
//!
//! [`transfer`] and [`call`] start a type-2 transaction on the dev chain
//! (chain id [`DEV_CHAIN_ID`]) with a 1 gwei tip under a 100 gwei cap and
//! nonce 0; the setters change one field each, and [`DevTx::sign`] or
//! [`DevTx::recovered`] finish it. [`dev_config`] opens the dev chain.

use orac_primitives::{
    Address, Bytes, PrivateKey, RecoveredTx, SignedTransaction, Transaction, TxType, U256,
};

use crate::spec::{DEV_CHAIN_ID, GWEI};
use crate::{ChainConfig, ChainRules, ChainSpec, MiningMode};

/// The dev chain (spec, ten dev keys, default limits) in `datadir`.
pub fn dev_config(datadir: &std::path::Path, mining: MiningMode) -> ChainConfig {
    ChainConfig {
        datadir: datadir.to_path_buf(),
        spec: ChainSpec::dev(),
        mining,
        pool: crate::pool::PoolConfig::default(),
        db: orac_state::DbConfig::default(),
        dev_keys: crate::dev::derive_keys(crate::dev::DEV_MNEMONIC, 10)
            .expect("the dev mnemonic derives"),
        code_cache_bytes: orac_vm::DEFAULT_CACHE_BYTES,
        rules: ChainRules::standard(),
    }
}

/// A dev transaction being built; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct DevTx(Transaction);

/// A plain transfer of `value` wei to `to`: 21,000 gas, no data.
pub fn transfer(to: Address, value: U256) -> DevTx {
    DevTx(Transaction {
        tx_type: TxType::DynamicFee,
        chain_id: Some(DEV_CHAIN_ID),
        nonce: 0,
        max_priority_fee_per_gas: U256::from(GWEI),
        max_fee_per_gas: U256::from(100 * GWEI),
        gas_limit: 21_000,
        to: Some(to),
        value,
        input: Bytes::new(),
        access_list: vec![],
    })
}

/// A call of `to` with `input`, no value, and `gas` gas.
pub fn call(to: Address, input: Vec<u8>, gas: u64) -> DevTx {
    transfer(to, U256::zero()).input(input).gas_limit(gas)
}

/// A creation running `code` (an envelope or a module) with `gas` gas.
pub fn create(code: Vec<u8>, gas: u64) -> DevTx {
    DevTx(Transaction {
        to: None,
        ..call(Address::zero(), code, gas).0
    })
}

impl DevTx {
    /// One field (or a pair that goes together) changed by `edit`: the
    /// setters below differ only in that.
    fn with(mut self, edit: impl FnOnce(&mut Transaction)) -> Self {
        edit(&mut self.0);
        self
    }
    /// The recipient, or `None` for a creation.
    pub fn to(self, to: Option<Address>) -> Self {
        self.with(|t| t.to = to)
    }
    /// The sender's nonce.
    pub fn nonce(self, nonce: u64) -> Self {
        self.with(|t| t.nonce = nonce)
    }
    /// Another chain id (signed into the transaction, EIP-155).
    pub fn chain_id(self, chain_id: u64) -> Self {
        self.with(|t| t.chain_id = Some(chain_id))
    }
    /// No chain id: a pre-EIP-155 signature, valid on every chain, which
    /// nodes refuse over RPC. Only a legacy transaction can be unprotected.
    pub fn unprotected(self) -> Self {
        self.with(|t| t.chain_id = None)
    }
    /// Another envelope: legacy or EIP-2930 (both pay the fee cap as their
    /// gas price) instead of EIP-1559.
    pub fn tx_type(self, tx_type: TxType) -> Self {
        self.with(|t| t.tx_type = tx_type)
    }
    /// The priority fee (tip) and the fee cap, in wei per gas.
    pub fn fees(self, tip: U256, cap: U256) -> Self {
        self.with(|t| {
            t.max_priority_fee_per_gas = tip;
            t.max_fee_per_gas = cap;
        })
    }
    /// The gas limit.
    pub fn gas_limit(self, gas: u64) -> Self {
        self.with(|t| t.gas_limit = gas)
    }
    /// The wei sent.
    pub fn value(self, value: U256) -> Self {
        self.with(|t| t.value = value)
    }
    /// The calldata.
    pub fn input(self, input: Vec<u8>) -> Self {
        self.with(|t| t.input = Bytes(input))
    }
    /// The unsigned transaction.
    pub fn tx(self) -> Transaction {
        self.0
    }
    /// Signed by `key`.
    pub fn sign(self, key: &PrivateKey) -> SignedTransaction {
        self.0.sign(key)
    }
    /// Signed by `key`, with `key`'s address as the sender.
    pub fn recovered(self, key: &PrivateKey) -> RecoveredTx {
        RecoveredTx {
            sender: key.address(),
            tx: self.sign(key),
        }
    }
}
