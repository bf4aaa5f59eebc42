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
//! [`Trie::take_replaced`]: orac_primitives::trie::Trie::take_replaced

use orac_primitives::H256;
use orac_primitives::trie::NewNodes;
use redb::{ReadableTable, Table};

use crate::StateError;

type NodeTable<'t> = Table<'t, &'static [u8], &'static [u8]>;

/// How many journal rows one commit applies at most. One commit adds one
/// row (two with a dev patch), so a backlog (after a snapshot pin is
/// released, or a smaller window at restart) drains a few rows per block
/// rather than in one long commit.
pub(crate) const MAX_ROWS_PER_COMMIT: usize = 4;

/// A `trie_nodes` value: the node's RLP, then its count (4 bytes, BE).
pub(crate) fn encode_value(raw: &[u8], count: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(raw.len() + 4);
    v.extend_from_slice(raw);
    v.extend_from_slice(&count.to_be_bytes());
    v
}

/// Splits a `trie_nodes` value into the node's RLP and its count.
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
        // One descent for the common case (a node not stored yet); a node
        // already there is written again with its count raised.
        let old_count = match table.insert(hash.as_bytes(), &encode_value(raw, 1)[..])? {
            Some(old) => Some(split_value(old.value())?.1),
            None => None,
        };
        if let Some(c) = old_count {
            let count = c.saturating_add(1);
            table.insert(hash.as_bytes(), &encode_value(raw, count)[..])?;
        }
    }
    Ok(())
}

/// Takes one reference from each node, deleting those left with none.
pub(crate) fn release(table: &mut NodeTable<'_>, hashes: &[H256]) -> Result<(), StateError> {
    for hash in hashes {
        let found = table
            .get(hash.as_bytes())?
            .map(|v| split_value(v.value()).map(|(raw, c)| (raw.to_vec(), c)))
            .transpose()?;
        let Some((raw, count)) = found else {
            return Err(StateError::corrupt(
                "trie_nodes",
                format!("released node {hash:?} is not stored"),
            ));
        };
        if count <= 1 {
            table.remove(hash.as_bytes())?;
        } else {
            table.insert(hash.as_bytes(), &encode_value(&raw, count - 1)[..])?;
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
        Some(v) => Ok(Some(split_value(v.value())?.0.to_vec())),
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

    #[test]
    fn values_carry_their_count() {
        let v = encode_value(b"node", 7);
        assert_eq!(split_value(&v).unwrap(), (&b"node"[..], 7));
        assert!(split_value(b"abc").is_err());
    }
}
