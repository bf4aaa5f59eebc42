//! The account record committed to by the state trie.

use primitive_types::{H256, U256};

use crate::hash::{EMPTY_CODE_HASH, EMPTY_ROOT};

/// An account as Ethereum stores it in the state trie:
/// `rlp([nonce, balance, storageRoot, codeHash])`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Transactions sent from this account (for a contract: contracts created).
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Root of the account's storage trie ([`EMPTY_ROOT`](crate::EMPTY_ROOT) if none).
    pub storage_root: H256,
    /// Keccak of the account's code ([`EMPTY_CODE_HASH`] for a plain account).
    pub code_hash: H256,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            nonce: 0,
            balance: U256::zero(),
            storage_root: EMPTY_ROOT,
            code_hash: EMPTY_CODE_HASH,
        }
    }
}

impl Account {
    /// EIP-161: an account with no nonce, balance or code is "empty" and is
    /// removed from the trie rather than stored.
    pub fn is_empty(&self) -> bool {
        self.nonce == 0 && self.balance.is_zero() && self.code_hash == EMPTY_CODE_HASH
    }

    /// Whether the account holds contract code.
    pub fn has_code(&self) -> bool {
        self.code_hash != EMPTY_CODE_HASH
    }
}

// rlp([nonce, balance, storageRoot, codeHash])
rlp_record!(Account {
    val nonce,
    val balance,
    val storage_root,
    val code_hash,
});
