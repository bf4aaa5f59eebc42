//! Core orac types shared by every other crate.
//!
//! Everything here is pure data and pure functions: encodings (RLP, EIP-2718),
//! hashing, signatures and the Merkle Patricia Trie algorithm. Persistence and
//! execution live in `orac-state` and `orac-chain`.

/// Implements `Encodable` and `Decodable` for a struct stored as the RLP
/// list of its fields, in the order given: `val` appends one value, `list`
/// an RLP list of values. Decoding wants exactly that many items.
macro_rules! rlp_record {
    ($ty:ty { $($kind:ident $field:ident),+ $(,)? }) => {
        impl rlp::Encodable for $ty {
            fn rlp_append(&self, s: &mut rlp::RlpStream) {
                s.begin_list([$(stringify!($field)),+].len());
                $(rlp_record!(@append s, $kind, &self.$field);)+
            }
        }

        impl rlp::Decodable for $ty {
            fn decode(rlp: &rlp::Rlp) -> Result<Self, rlp::DecoderError> {
                if rlp.item_count()? != [$(stringify!($field)),+].len() {
                    return Err(rlp::DecoderError::RlpIncorrectListLen);
                }
                // Item 0, 1, ...: field initialisers run in the order written.
                let mut index = 0..;
                Ok(Self {
                    $($field: rlp_record!(@read rlp, $kind, index.next().unwrap_or_default()),)+
                })
            }
        }
    };
    (@append $s:ident, val, $v:expr) => {
        $s.append($v)
    };
    (@append $s:ident, list, $v:expr) => {
        $s.append_list($v)
    };
    (@read $rlp:ident, val, $i:expr) => {
        $rlp.val_at($i)?
    };
    (@read $rlp:ident, list, $i:expr) => {
        $rlp.list_at($i)?
    };
}

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
