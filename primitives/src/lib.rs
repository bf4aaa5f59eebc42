//! Core orac types shared by every other crate.
//!
//! Everything here is pure data and pure functions: encodings (RLP, EIP-2718),
//! hashing, signatures and the Merkle Patricia Trie algorithm. Persistence and
//! execution live in `orac-state` and `orac-chain`.

pub mod account;
#[cfg(feature = "alloy")]
pub mod alloy;
pub mod bloom;
pub mod bytes;
pub mod genesis;
pub mod hash;
pub mod header;
pub mod receipt;
pub mod revert;
pub mod signature;
pub mod transaction;
pub mod trie;

pub use account::Account;
pub use bloom::Bloom;
pub use bytes::Bytes;
pub use genesis::GenesisAccount;
pub use hash::{EMPTY_CODE_HASH, EMPTY_LIST_HASH, EMPTY_ROOT, keccak256, keccak256_concat};
pub use header::Header;
pub use primitive_types::{H160, H256, U256};
pub use receipt::{Log, Receipt};
pub use signature::{PrivateKey, Signature, SignatureError};
pub use transaction::{RecoveredTx, SignedTransaction, Transaction, TxError, TxType};

/// A 20-byte account address.
pub type Address = H160;

/// Parses a `0x`-prefixed (or bare) hex string into bytes.
pub fn from_hex(s: &str) -> Result<Vec<u8>, hex::FromHexError> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s))
}
