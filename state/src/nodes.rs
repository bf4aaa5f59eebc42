//! Trie nodes with reference counts, and the journal that prunes them.
//!
//! Nodes are keyed by hash, so one stored node can sit at several places in
//! the state (two contracts with the same storage share every node). Each
//! `trie_nodes` value therefore ends in a count: how many places in the
//! current state use the node, plus the places recent blocks took it out of
//! that are still kept for history. Every commit adds one per new node at
//! once; the nodes it replaced ([`Trie::take_replaced`]) are written to
//! `trie_journal` under the commit's key and released only when that commit
//! leaves the kept window. A node whose count reaches zero is deleted. So
//! the states of the last `N` blocks stay whole, older ones lose the nodes
//! they do not share with a newer state, and the table holds the current
//! state plus what changed in the window.
//!
//! An archive node writes the counts but never a journal: nothing is
//! released, every state stays readable.
//!
//! Most nodes of a used chain are account leaves of plain accounts (no
//! code, no storage), and two thirds of such a leaf are the two hashes
//! every plain account shares. Those leaves are stored without them (see
//! [`stored_form`]) and rebuilt on read, byte for byte.
//!
//! [`Trie::take_replaced`]: orac_primitives::trie::Trie::take_replaced

use std::borrow::Cow;

use orac_primitives::trie::NewNodes;
use orac_primitives::{EMPTY_CODE_HASH, EMPTY_ROOT, H256};
use redb::{ReadableTable, Table};

use crate::StateError;
use crate::reader::{decode_account, decode_flat_account, encode_flat_account};

type NodeTable<'t> = Table<'t, &'static [u8], &'static [u8]>;

/// How many journal rows one commit applies at most. One commit adds one
/// row (two with a dev patch), so a backlog (after a snapshot pin is
/// released, or a smaller window at restart) drains a few rows per block
/// rather than in one long commit.
pub(crate) const MAX_ROWS_PER_COMMIT: usize = 4;

/// First byte of a compact account leaf. A node's RLP is a list, so it
/// starts at 0xc0 or above and is never mistaken for one.
const COMPACT_LEAF: u8 = 0;

/// The bytes a node is stored as. The leaf of a plain account,
/// `rlp([path, rlp([nonce, balance, EMPTY_ROOT, EMPTY_CODE_HASH])])`, is
/// stored as `0x00 ‖ rlp([path, rlp([nonce, balance])])`: ~68 bytes less,
/// a third of the table at a million accounts. Any other node is stored
/// as its RLP. A compact form is only used when [`expand`] gives back the
/// exact bytes, so a node that merely looks like such a leaf (a storage
/// leaf, an unusual encoding) is stored as it is.
pub(crate) fn stored_form(raw: &[u8]) -> Cow<'_, [u8]> {
    match compact_leaf(raw) {
        Some(compact) if expand(&compact).ok().as_deref() == Some(raw) => Cow::Owned(compact),
        _ => Cow::Borrowed(raw),
    }
}

fn compact_leaf(raw: &[u8]) -> Option<Vec<u8>> {
    let node = rlp::Rlp::new(raw);
    if node.item_count().ok()? != 2 {
        return None;
    }
    let path = node.at(0).ok()?.data().ok()?;
    let account = decode_account(node.at(1).ok()?.data().ok()?).ok()?;
    if account.storage_root != EMPTY_ROOT || account.code_hash != EMPTY_CODE_HASH {
        return None;
    }
    let mut s = rlp::RlpStream::new_list(2);
    s.append(&path);
    s.append(&encode_flat_account(&account));
    let mut out = vec![COMPACT_LEAF];
    out.extend_from_slice(&s.out());
    Some(out)
}

/// The node's RLP from what [`stored_form`] made of it.
pub(crate) fn expand(stored: &[u8]) -> Result<Cow<'_, [u8]>, StateError> {
    let Some((&COMPACT_LEAF, body)) = stored.split_first() else {
        return Ok(Cow::Borrowed(stored));
    };
    let bad = |e: rlp::DecoderError| StateError::corrupt("trie_nodes", e);
    let node = rlp::Rlp::new(body);
    if node.item_count().map_err(bad)? != 2 {
        return Err(StateError::corrupt(
            "trie_nodes",
            "compact leaf is not a pair",
        ));
    }
    let path: Vec<u8> = node.val_at(0).map_err(bad)?;
    let flat: Vec<u8> = node.val_at(1).map_err(bad)?;
    let account = decode_flat_account(&flat)?;
    let mut s = rlp::RlpStream::new_list(2);
    s.append(&path);
    s.append(&rlp::encode(&account).to_vec());
    Ok(Cow::Owned(s.out().to_vec()))
}

/// A `trie_nodes` value: the node's [stored form](stored_form), then its
/// count (4 bytes, BE).
pub(crate) fn encode_value(stored: &[u8], count: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(stored.len() + 4);
    v.extend_from_slice(stored);
    v.extend_from_slice(&count.to_be_bytes());
    v
}

/// Splits a `trie_nodes` value into the node's stored form and its count.
pub(crate) fn split_value(value: &[u8]) -> Result<(&[u8], u32), StateError> {
    let Some(at) = value.len().checked_sub(4) else {
        return Err(StateError::corrupt(
            "trie_nodes",
            "value shorter than its count",
        ));
    };
    let mut count = [0u8; 4];
    count.copy_from_slice(&value[at..]);
    Ok((&value[..at], u32::from_be_bytes(count)))
}

/// Adds one reference to each node, storing those not there yet.
pub(crate) fn add(table: &mut NodeTable<'_>, nodes: &NewNodes) -> Result<(), StateError> {
    for (hash, raw) in nodes {
        let stored = stored_form(raw);
        // One descent for the common case (a node not stored yet); a node
        // already there is written again with its count raised.
        let old_count = match table.insert(hash.as_bytes(), &encode_value(&stored, 1)[..])? {
            Some(old) => Some(split_value(old.value())?.1),
            None => None,
        };
        if let Some(c) = old_count {
            let count = c.saturating_add(1);
            table.insert(hash.as_bytes(), &encode_value(&stored, count)[..])?;
        }
    }
    Ok(())
}

/// Takes one reference from each node, deleting those left with none.
pub(crate) fn release(table: &mut NodeTable<'_>, hashes: &[H256]) -> Result<(), StateError> {
    for hash in hashes {
        // One descent for the common case (a node used once, now deleted);
        // a shared node is put back with its count lowered.
        let lowered = match table.remove(hash.as_bytes())? {
            None => {
                return Err(StateError::corrupt(
                    "trie_nodes",
                    format!("released node {hash:?} is not stored"),
                ));
            }
            Some(old) => match split_value(old.value())? {
                (_, 0 | 1) => None,
                (stored, count) => Some(encode_value(stored, count - 1)),
            },
        };
        if let Some(value) = lowered {
            table.insert(hash.as_bytes(), &value[..])?;
        }
    }
    Ok(())
}

/// One commit's row in `trie_journal`: the nodes it added (released again
/// if the commit is rewound) and the nodes it replaced (released when the
/// commit leaves the window).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct JournalRow {
    pub added: Vec<H256>,
    pub replaced: Vec<H256>,
}

impl JournalRow {
    /// Count of `added` (4 bytes, BE), then the hashes of both lists.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(4 + 32 * (self.added.len() + self.replaced.len()));
        v.extend_from_slice(&(self.added.len() as u32).to_be_bytes());
        for h in self.added.iter().chain(&self.replaced) {
            v.extend_from_slice(h.as_bytes());
        }
        v
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        let bad = |d: &str| StateError::corrupt("trie_journal", d);
        if bytes.len() < 4 || !(bytes.len() - 4).is_multiple_of(32) {
            return Err(bad("row is not a count and whole hashes"));
        }
        let mut n = [0u8; 4];
        n.copy_from_slice(&bytes[..4]);
        let added = u32::from_be_bytes(n) as usize;
        let hashes: Vec<H256> = bytes[4..].chunks_exact(32).map(H256::from_slice).collect();
        if added > hashes.len() {
            return Err(bad("more added nodes than hashes"));
        }
        let replaced = hashes[added..].to_vec();
        let mut added_list = hashes;
        added_list.truncate(added);
        Ok(Self {
            added: added_list,
            replaced,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.added.is_empty() && self.replaced.is_empty()
    }
}

/// Node RLP from a `trie_nodes` lookup, for the trie's `NodeStore`.
pub(crate) fn node_rlp<T: ReadableTable<&'static [u8], &'static [u8]>>(
    table: &T,
    hash: &H256,
) -> Result<Option<Vec<u8>>, StateError> {
    match table.get(hash.as_bytes())? {
        Some(v) => Ok(Some(expand(split_value(v.value())?.0)?.into_owned())),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_rows_round_trip_and_refuse_garbage() {
        let row = JournalRow {
            added: vec![H256::repeat_byte(1), H256::repeat_byte(2)],
            replaced: vec![H256::repeat_byte(3)],
        };
        assert_eq!(JournalRow::decode(&row.encode()).unwrap(), row);
        assert!(JournalRow::decode(&[0, 0, 0, 9]).is_err());
        assert!(JournalRow::decode(&[0, 0]).is_err());
        assert!(JournalRow::decode(&[0, 0, 0, 0, 1]).is_err());
    }

    fn leaf(path: &[u8], value: &[u8]) -> Vec<u8> {
        let mut s = rlp::RlpStream::new_list(2);
        s.append(&path);
        s.append(&value);
        s.out().to_vec()
    }

    #[test]
    fn plain_account_leaves_are_stored_short_and_read_back_exactly() {
        use orac_primitives::{Account, U256};
        let plain = Account {
            nonce: 7,
            balance: U256::from(10u64).pow(U256::from(20u64)),
            storage_root: EMPTY_ROOT,
            code_hash: EMPTY_CODE_HASH,
        };
        let contract = Account {
            code_hash: H256::repeat_byte(9),
            ..plain.clone()
        };
        // A leaf deep in the trie (short path) and one near the top.
        for path in [vec![0x35u8, 0xab], vec![0x20; 33]] {
            let raw = leaf(&path, &rlp::encode(&plain));
            let stored = stored_form(&raw);
            assert_eq!(stored[0], COMPACT_LEAF);
            assert!(
                raw.len() - stored.len() >= 60,
                "{} -> {}",
                raw.len(),
                stored.len()
            );
            assert_eq!(expand(&stored).unwrap(), &raw[..]);

            // Left as they are: a contract's leaf, a storage leaf, a branch.
            let raw = leaf(&path, &rlp::encode(&contract));
            assert_eq!(stored_form(&raw), &raw[..]);
            let raw = leaf(&path, &rlp::encode(&U256::from(5u64)));
            assert_eq!(stored_form(&raw), &raw[..]);
        }
        let mut branch = rlp::RlpStream::new_list(17);
        for _ in 0..17 {
            branch.append_empty_data();
        }
        let branch = branch.out().to_vec();
        assert_eq!(stored_form(&branch), &branch[..]);
        assert_eq!(expand(&branch).unwrap(), &branch[..]);

        // A damaged compact leaf is an error, never a panic.
        for bad in [&[0u8][..], &[0, 0xc1, 0x80], &[0, 0xc4, 0x80, 0xc2, 0x01]] {
            assert!(expand(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_carry_their_count() {
        let v = encode_value(b"node", 7);
        assert_eq!(split_value(&v).unwrap(), (&b"node"[..], 7));
        assert!(split_value(b"abc").is_err());
    }
}
