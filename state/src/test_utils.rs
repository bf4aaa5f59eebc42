//! Starting states held in memory, for tests and benchmarks (feature
//! `test-utils`).

use std::collections::HashMap;
use std::sync::Arc;

use orac_primitives::{Account, Address, Bytes, H256, U256, keccak256};

use crate::{Overlay, StateError, StateReader};

/// A starting state held in memory: accounts, storage slots and code, read
/// through by an [`Overlay`]. Unset storage reads as zero and unknown code
/// as empty, as in an empty chain.
#[derive(Default, Clone, Debug)]
pub struct MemState {
    /// Accounts by address.
    pub accounts: HashMap<Address, Account>,
    /// Storage slots by (account, slot).
    pub storage: HashMap<(Address, H256), H256>,
    /// Code by hash.
    pub code: HashMap<H256, Bytes>,
}

impl From<HashMap<Address, Account>> for MemState {
    /// Only accounts: no storage, no code.
    fn from(accounts: HashMap<Address, Account>) -> Self {
        Self {
            accounts,
            ..Self::default()
        }
    }
}

impl StateReader for MemState {
    fn account(&self, a: &Address) -> Result<Option<Account>, StateError> {
        Ok(self.accounts.get(a).cloned())
    }
    fn storage(&self, a: &Address, slot: &H256) -> Result<H256, StateError> {
        Ok(self.storage.get(&(*a, *slot)).copied().unwrap_or_default())
    }
    fn code(&self, hash: &H256) -> Result<Bytes, StateError> {
        Ok(self.code.get(hash).cloned().unwrap_or_default())
    }
}

impl MemState {
    /// Sets `a`'s balance, creating the account if need be.
    pub fn fund(&mut self, a: Address, wei: U256) {
        self.accounts.entry(a).or_default().balance = wei;
    }

    /// Installs `code` at `a` as if deployed (nonce 1), without running a
    /// constructor.
    pub fn install(&mut self, a: Address, code: &[u8]) {
        let hash = keccak256(code);
        self.code.insert(hash, Bytes(code.to_vec()));
        let acc = self.accounts.entry(a).or_default();
        acc.code_hash = hash;
        acc.nonce = 1;
    }

    /// An overlay reading through this state.
    pub fn overlay(self) -> Overlay {
        Overlay::new(Arc::new(self))
    }
}
