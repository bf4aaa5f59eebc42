//! Reading account state: the flat tables for the head, the trie for history.

use orac_primitives::trie::{NodeStore, Trie, TrieError};
use orac_primitives::{
    Account, Address, Bytes, EMPTY_CODE_HASH, EMPTY_ROOT, H256, U256, keccak256,
};
use redb::{ReadOnlyTable, ReadTransaction, ReadableTable};

use crate::StateError;
use crate::tables::{ACCOUNTS, CODE, STORAGE, TRIE_NODES, storage_key};

/// The seam between execution and storage: everything the executor and
/// the VM (through an [`Overlay`](crate::Overlay)) may ask of the state
/// they start from.
pub trait StateReader {
    /// The account at `address`, if it exists.
    fn account(&self, address: &Address) -> Result<Option<Account>, StateError>;
    /// A storage slot; zero when unset.
    fn storage(&self, address: &Address, slot: &H256) -> Result<H256, StateError>;
    /// Code by its hash (empty for [`EMPTY_CODE_HASH`]).
    fn code(&self, code_hash: &H256) -> Result<Bytes, StateError>;
}

/// A state with nothing in it: no accounts, every slot zero, no code. The
/// base of a chain built up in an overlay (testkit), and the VM's stand-in
/// while an overlay is lent out.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmptyState;

impl StateReader for EmptyState {
    fn account(&self, _: &Address) -> Result<Option<Account>, StateError> {
        Ok(None)
    }
    fn storage(&self, _: &Address, _: &H256) -> Result<H256, StateError> {
        Ok(H256::zero())
    }
    fn code(&self, _: &H256) -> Result<Bytes, StateError> {
        Ok(Bytes::new())
    }
}

/// Trie nodes read from any redb table view (read or write transaction).
pub(crate) struct TableNodes<'a, T>(pub &'a T);

impl<T: ReadableTable<&'static [u8], &'static [u8]>> NodeStore for TableNodes<'_, T> {
    fn node(&self, hash: &H256) -> Result<Option<Vec<u8>>, TrieError> {
        crate::nodes::node_rlp(self.0, hash).map_err(|e| TrieError::Store(e.to_string()))
    }
}

/// An account as the state trie holds it: `rlp([nonce, balance,
/// storageRoot, codeHash])`.
pub(crate) fn decode_account(bytes: &[u8]) -> Result<Account, StateError> {
    rlp::decode(bytes).map_err(|e| StateError::corrupt("accounts", e))
}

/// An account as the `accounts` table holds it: a plain account (no code,
/// no storage, most of a chain's accounts) as `rlp([nonce, balance])`,
/// without the two 32-byte hashes every plain account shares; any other
/// as in the trie. Saves ~65 bytes per plain account.
pub(crate) fn encode_flat_account(a: &Account) -> Vec<u8> {
    if a.storage_root == EMPTY_ROOT && a.code_hash == EMPTY_CODE_HASH {
        let mut s = rlp::RlpStream::new_list(2);
        s.append(&a.nonce);
        s.append(&a.balance);
        s.out().to_vec()
    } else {
        rlp::encode(a).to_vec()
    }
}

/// Reads what [`encode_flat_account`] wrote.
pub(crate) fn decode_flat_account(bytes: &[u8]) -> Result<Account, StateError> {
    let r = rlp::Rlp::new(bytes);
    if r.item_count().ok() != Some(2) {
        return decode_account(bytes);
    }
    let bad = |e: rlp::DecoderError| StateError::corrupt("accounts", e);
    Ok(Account {
        nonce: r.val_at(0).map_err(bad)?,
        balance: r.val_at(1).map_err(bad)?,
        storage_root: EMPTY_ROOT,
        code_hash: EMPTY_CODE_HASH,
    })
}

pub(crate) fn read_code<T: ReadableTable<&'static [u8], &'static [u8]>>(
    table: &T,
    hash: &H256,
) -> Result<Bytes, StateError> {
    if *hash == EMPTY_CODE_HASH {
        return Ok(Bytes::new());
    }
    match table.get(hash.as_bytes()).map_err(redb::Error::from)? {
        Some(v) => Ok(Bytes(v.value().to_vec())),
        None => Err(StateError::corrupt(
            "code",
            format!("missing code {hash:?}"),
        )),
    }
}

/// The state after the head block (plus any dev-mode patches), read from
/// the flat tables of one consistent redb snapshot.
pub struct LatestState {
    accounts: ReadOnlyTable<&'static [u8], &'static [u8]>,
    storage: ReadOnlyTable<&'static [u8], &'static [u8]>,
    code: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl LatestState {
    pub(crate) fn open(txn: &ReadTransaction) -> Result<Self, StateError> {
        Ok(Self {
            accounts: txn.open_table(ACCOUNTS)?,
            storage: txn.open_table(STORAGE)?,
            code: txn.open_table(CODE)?,
        })
    }
}

impl StateReader for LatestState {
    fn account(&self, address: &Address) -> Result<Option<Account>, StateError> {
        match self.accounts.get(address.as_bytes())? {
            Some(v) => Ok(Some(decode_flat_account(v.value())?)),
            None => Ok(None),
        }
    }

    fn storage(&self, address: &Address, slot: &H256) -> Result<H256, StateError> {
        let key = storage_key(address.as_bytes(), slot.as_bytes());
        match self.storage.get(&key[..])? {
            Some(v) => Ok(H256::from_slice(v.value())),
            None => Ok(H256::zero()),
        }
    }

    fn code(&self, code_hash: &H256) -> Result<Bytes, StateError> {
        read_code(&self.code, code_hash)
    }
}

/// Trie nodes from root to leaf, each as its RLP.
pub type Proof = Vec<Vec<u8>>;

/// The state at a past block, read through the trie at that block's state
/// root. On a full node, a state older than the kept window is missing
/// nodes: reads fail with [`TrieError::MissingNode`].
pub struct HistoricalState {
    root: H256,
    nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    code: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl HistoricalState {
    pub(crate) fn open(txn: &ReadTransaction, root: H256) -> Result<Self, StateError> {
        Ok(Self {
            root,
            nodes: txn.open_table(TRIE_NODES)?,
            code: txn.open_table(CODE)?,
        })
    }

    /// EIP-1186 proofs: the account proof and one proof per storage key.
    pub fn proof(
        &self,
        address: &Address,
        slots: &[H256],
    ) -> Result<(Proof, Vec<Proof>), StateError> {
        let store = TableNodes(&self.nodes);
        let account_proof = Trie::new(&store, self.root).proof(keccak256(address).as_bytes())?;
        let storage_root = self
            .account(address)?
            .map(|a| a.storage_root)
            .unwrap_or(orac_primitives::EMPTY_ROOT);
        let storage_trie = Trie::new(&store, storage_root);
        let storage_proofs = slots
            .iter()
            .map(|s| storage_trie.proof(keccak256(s).as_bytes()))
            .collect::<Result<_, _>>()?;
        Ok((account_proof, storage_proofs))
    }
}

impl StateReader for HistoricalState {
    fn account(&self, address: &Address) -> Result<Option<Account>, StateError> {
        let store = TableNodes(&self.nodes);
        match Trie::new(&store, self.root).get(keccak256(address).as_bytes())? {
            Some(raw) => Ok(Some(decode_account(&raw)?)),
            None => Ok(None),
        }
    }

    fn storage(&self, address: &Address, slot: &H256) -> Result<H256, StateError> {
        let Some(account) = self.account(address)? else {
            return Ok(H256::zero());
        };
        let store = TableNodes(&self.nodes);
        match Trie::new(&store, account.storage_root).get(keccak256(slot).as_bytes())? {
            Some(raw) => {
                let v: U256 = rlp::decode(&raw).map_err(|e| StateError::corrupt("trie", e))?;
                Ok(H256(v.to_big_endian()))
            }
            None => Ok(H256::zero()),
        }
    }

    fn code(&self, code_hash: &H256) -> Result<Bytes, StateError> {
        read_code(&self.code, code_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_accounts_are_stored_short_and_others_whole() {
        let plain = Account {
            nonce: 5,
            balance: U256::from(1_000_000u64),
            storage_root: EMPTY_ROOT,
            code_hash: EMPTY_CODE_HASH,
        };
        let contract = Account {
            code_hash: H256::repeat_byte(7),
            ..plain.clone()
        };
        let short = encode_flat_account(&plain);
        assert!(short.len() < 10, "{}", short.len());
        assert_eq!(decode_flat_account(&short).unwrap(), plain);
        let whole = encode_flat_account(&contract);
        assert_eq!(whole, rlp::encode(&contract).to_vec());
        assert_eq!(decode_flat_account(&whole).unwrap(), contract);
        // The trie's decoder stays strict.
        assert!(decode_account(&short).is_err());
        assert!(decode_flat_account(&[0xc3, 0x01, 0x02, 0x03]).is_err());
    }
}
