//! The chain spec: everything that defines a chain's genesis and fixed
//! parameters. JSON, in the spirit of geth's genesis files:
//!
//! ```json
//! {
//!   "chainId": 31337,
//!   "gasLimit": 30000000,
//!   "baseFeePerGas": "1000000000",
//!   "minBaseFeePerGas": "1000000000",
//!   "timestamp": 0,
//!   "coinbase": "0x0000000000000000000000000000000000000000",
//!   "extraData": "0x",
//!   "alloc": {
//!     "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266": { "balance": "10000000000000000000000" }
//!   }
//! }
//! ```
//!
//! Numbers may be JSON numbers, decimal strings or `0x` hex strings.

use std::collections::BTreeMap;

pub use orac_primitives::GenesisAccount;
use orac_primitives::genesis::{de_u64, de_u256};
use orac_primitives::{
    Account, Address, Bytes, EMPTY_LIST_HASH, EMPTY_ROOT, H256, Header, U256, keccak256,
};
use orac_state::StateChanges;
use serde::Deserialize;

use crate::dev::{DEV_MNEMONIC, derive_keys};
use crate::rules::ChainRules;

/// The `--dev` chain's id: hardhat's and anvil's, so wallets and scripts
/// configured for them connect unchanged.
pub const DEV_CHAIN_ID: u64 = 31_337;
/// The block gas limit when a spec names none (mainnet's for years).
pub const DEFAULT_GAS_LIMIT: u64 = 30_000_000;
/// Wei in a gwei, the unit fees are quoted in.
pub const GWEI: u64 = 1_000_000_000;

/// A chain's genesis and fixed parameters, as read from the JSON above.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChainSpec {
    /// The EIP-155 chain id transactions are signed for; never 0.
    #[serde(deserialize_with = "de_u64")]
    pub chain_id: u64,
    /// Every block's gas limit (fixed: there is no voting on it).
    #[serde(default = "default_gas_limit", deserialize_with = "de_u64")]
    pub gas_limit: u64,
    /// The genesis block's base fee; defaults to 1 gwei.
    #[serde(default = "default_base_fee", deserialize_with = "de_u256")]
    pub base_fee_per_gas: U256,
    /// Floor under the EIP-1559 base fee; defaults to 1 wei.
    #[serde(default = "one", deserialize_with = "de_u256")]
    pub min_base_fee_per_gas: U256,
    /// The genesis block's timestamp, in seconds.
    #[serde(default, deserialize_with = "de_u64")]
    pub timestamp: u64,
    /// Who receives priority fees (the block producer).
    #[serde(default)]
    pub coinbase: Address,
    /// The genesis header's extra data, at most 32 bytes.
    #[serde(default)]
    pub extra_data: Bytes,
    /// The accounts at genesis; the rules add their system contracts.
    #[serde(default)]
    pub alloc: BTreeMap<Address, GenesisAccount>,
    /// The validators of a replicated chain (`orac node --config`); empty
    /// for a single-node chain. Their keys are consensus keys, checked by
    /// `orac-consensus`, not by the chain: blocks do not depend on them.
    #[serde(default)]
    pub validators: Vec<GenesisValidator>,
}

/// A validator as the chain spec names it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisValidator {
    /// A name for people (`node0`).
    #[serde(default)]
    pub name: String,
    /// Its Ed25519 consensus public key (32 bytes).
    pub public_key: Bytes,
    /// Its voting power.
    #[serde(deserialize_with = "de_u64")]
    pub power: u64,
}

fn default_gas_limit() -> u64 {
    DEFAULT_GAS_LIMIT
}
fn default_base_fee() -> U256 {
    U256::from(GWEI)
}
fn one() -> U256 {
    U256::one()
}

/// Why a chain spec cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file cannot be read.
    #[error("cannot read chain spec {path}: {source}")]
    Read {
        /// The file, as given.
        path: String,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// The file is not a spec's JSON (or has an unknown field).
    #[error("invalid chain spec: {0}")]
    Parse(#[from] serde_json::Error),
    /// The JSON parses but a value is out of range (the rule it breaks).
    #[error("invalid chain spec: {0}")]
    Invalid(String),
}

impl ChainSpec {
    /// Reads and checks a spec for a chain under `rules`.
    pub fn from_file(path: &std::path::Path, rules: &ChainRules) -> Result<Self, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let spec: ChainSpec = serde_json::from_str(&text)?;
        spec.validate(rules)?;
        Ok(spec)
    }

    /// Checks the spec for a chain under `rules` (whose system contracts
    /// complete its genesis allocations).
    pub fn validate(&self, rules: &ChainRules) -> Result<(), SpecError> {
        if self.chain_id == 0 {
            return Err(SpecError::Invalid("chainId must not be 0".into()));
        }
        // A legacy transaction carries v = chainId × 2 + 35 + parity in a
        // u64 (found by the chain-spec fuzz target).
        if self.chain_id > (u64::MAX - 36) / 2 {
            return Err(SpecError::Invalid(format!(
                "chainId {} is too large: EIP-155's v = chainId * 2 + 36 must fit 64 bits",
                self.chain_id
            )));
        }
        if self.gas_limit < 21_000 {
            return Err(SpecError::Invalid("gasLimit must be at least 21000".into()));
        }
        if self.base_fee_per_gas.is_zero() || self.min_base_fee_per_gas.is_zero() {
            return Err(SpecError::Invalid("base fees must be non-zero".into()));
        }
        if self.extra_data.len() > 32 {
            return Err(SpecError::Invalid(
                "extraData is limited to 32 bytes".into(),
            ));
        }
        let mut supply = U256::zero();
        // Checked as the rules complete the allocations: a system
        // contract's home gets the nonce it needs there.
        for (address, a) in &rules.genesis_alloc(&self.alloc) {
            // An empty account does not exist (EIP-161), so it cannot
            // hold storage: it would be left without an account.
            if !a.storage.is_empty() && a.balance.is_zero() && a.nonce == 0 && a.code.is_empty() {
                return Err(SpecError::Invalid(format!(
                    "alloc {address:?} has storage but no balance, nonce or code: an empty \
                     account cannot hold storage (give it a nonce of 1)"
                )));
            }
            // Balances never pass the supply, so if it fits no transfer can
            // overflow a balance.
            supply = supply.checked_add(a.balance).ok_or_else(|| {
                SpecError::Invalid("the alloc's balances add up to more than 2^256-1".into())
            })?;
        }
        Ok(())
    }

    /// The built-in `--dev` chain: chain id 31337 and the ten standard test
    /// accounts with 10,000 ETH each.
    pub fn dev() -> Self {
        let ether = U256::from(10u64).pow(U256::from(18));
        let alloc = derive_keys(DEV_MNEMONIC, 10)
            .expect("the built-in mnemonic is valid")
            .into_iter()
            .map(|k| {
                (
                    k.address(),
                    GenesisAccount {
                        balance: ether * U256::from(10_000u64),
                        ..Default::default()
                    },
                )
            })
            .collect();
        Self {
            chain_id: DEV_CHAIN_ID,
            gas_limit: DEFAULT_GAS_LIMIT,
            base_fee_per_gas: U256::from(GWEI),
            min_base_fee_per_gas: U256::from(GWEI),
            timestamp: 0,
            coinbase: Address::zero(),
            extra_data: Bytes::new(),
            alloc,
            validators: Vec::new(),
        }
    }

    /// Genesis allocations as state changes: the spec's, completed with
    /// the accounts the rules' system contracts need
    /// ([`ChainRules::genesis_alloc`]).
    pub fn genesis_changes(&self, rules: &ChainRules) -> StateChanges {
        let mut changes = StateChanges::default();
        for (address, acct) in &rules.genesis_alloc(&self.alloc) {
            let code_hash = keccak256(&acct.code);
            if !acct.code.is_empty() {
                changes.code.insert(code_hash, acct.code.clone());
            }
            let account = Account {
                nonce: acct.nonce,
                balance: acct.balance,
                storage_root: EMPTY_ROOT,
                code_hash,
            };
            if !acct.storage.is_empty() {
                changes.storage.insert(*address, acct.storage.clone());
            }
            changes
                .accounts
                .insert(*address, (!account.is_empty()).then_some(account));
        }
        changes
    }

    /// Block 0's header over the genesis state `state_root` (no parent,
    /// no transactions).
    pub fn genesis_header(&self, state_root: H256) -> Header {
        Header {
            parent_hash: H256::zero(),
            ommers_hash: EMPTY_LIST_HASH,
            beneficiary: self.coinbase,
            state_root,
            transactions_root: EMPTY_ROOT,
            receipts_root: EMPTY_ROOT,
            logs_bloom: Default::default(),
            difficulty: U256::zero(),
            number: 0,
            gas_limit: self.gas_limit,
            gas_used: 0,
            timestamp: self.timestamp,
            extra_data: self.extra_data.clone(),
            mix_hash: H256::zero(),
            nonce: [0; 8],
            base_fee_per_gas: self.base_fee_per_gas,
        }
    }
}

/// The genesis state root, computed in memory (to recognise the chain a
/// database holds without writing anything).
pub fn genesis_state_root(spec: &ChainSpec, rules: &ChainRules) -> H256 {
    use orac_primitives::trie::{EmptyStore, Trie};
    let store = EmptyStore;
    let mut accounts = Trie::new(&store, EMPTY_ROOT);
    let changes = spec.genesis_changes(rules);
    for (address, account) in &changes.accounts {
        let Some(mut account) = account.clone() else {
            continue;
        };
        if let Some(slots) = changes.storage.get(address) {
            let mut st = Trie::new(&store, EMPTY_ROOT);
            for (slot, value) in slots.iter().filter(|(_, v)| !v.is_zero()) {
                let v = U256::from_big_endian(value.as_bytes());
                st.insert(keccak256(slot).as_bytes(), rlp::encode(&v).to_vec())
                    .expect("in-memory trie");
            }
            account.storage_root = st.commit().0;
        }
        accounts
            .insert(
                keccak256(address).as_bytes(),
                rlp::encode(&account).to_vec(),
            )
            .expect("in-memory trie");
    }
    accounts.commit().0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_in_every_form() {
        let spec: ChainSpec = serde_json::from_str(
            r#"{"chainId": "0x539", "gasLimit": "30000000", "baseFeePerGas": 7,
                "alloc": {"0x00000000000000000000000000000000000000aa": {"balance": "0x10"}}}"#,
        )
        .unwrap();
        assert_eq!(spec.chain_id, 1337);
        assert_eq!(spec.gas_limit, 30_000_000);
        assert_eq!(spec.base_fee_per_gas, U256::from(7));
        assert_eq!(spec.alloc.values().next().unwrap().balance, U256::from(16));
        let err = serde_json::from_str::<ChainSpec>(r#"{"chainId": 1, "gasLimt": 5}"#).unwrap_err();
        assert!(err.to_string().contains("gasLimt"), "{err}");
    }

    #[test]
    fn dev_spec_has_the_standard_accounts() {
        let spec = ChainSpec::dev();
        assert_eq!(spec.chain_id, 31337);
        assert_eq!(spec.alloc.len(), 10);
        spec.validate(&ChainRules::standard()).unwrap();
    }

    /// REPRO L3: storage on an empty genesis account used to be accepted,
    /// leaving storage rows without an account that the second start
    /// refused.
    #[test]
    fn storage_on_an_empty_account_and_an_overflowing_supply_are_refused() {
        let parse = |alloc: &str| {
            serde_json::from_str::<ChainSpec>(&format!(r#"{{"chainId": 7, "alloc": {{{alloc}}}}}"#))
                .unwrap()
                .validate(&ChainRules::standard())
        };
        let word = |b: u8| format!("0x{}", hex::encode([b; 32]));
        let slot = format!(r#""storage": {{"{}": "{}"}}"#, word(1), word(42));
        let err = parse(&format!(
            r#""0x00000000000000000000000000000000000000aa": {{{slot}}}"#
        ))
        .unwrap_err();
        assert!(err.to_string().contains("cannot hold storage"), "{err}");
        parse(&format!(
            r#""0x00000000000000000000000000000000000000aa": {{"nonce": 1, {slot}}}"#
        ))
        .unwrap();
        let max = format!("{:#x}", U256::MAX);
        let err = parse(&format!(
            r#""0x00000000000000000000000000000000000000aa": {{"balance": "{max}"}},
               "0x00000000000000000000000000000000000000bb": {{"balance": "1"}}"#
        ))
        .unwrap_err();
        assert!(err.to_string().contains("2^256-1"), "{err}");
    }
}
