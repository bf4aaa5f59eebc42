//! The trie half of applying a block's [`StateChanges`]: new storage roots,
//! the new state root and the nodes that produce them, computed from reads
//! alone. The writer stores what this returns; a snapshot uses it to give
//! the root a block would have without writing anything (the pending block).

use std::collections::{BTreeMap, BTreeSet};

use orac_primitives::trie::{NewNodes, NodeStore, Trie};
use orac_primitives::{Account, Address, EMPTY_ROOT, H256, U256, keccak256};

use crate::{StateChanges, StateError};

/// What applying a set of changes does to the tries.
pub(crate) struct TrieUpdate {
    pub root: H256,
    /// Each account's new record (`None`: removed), its storage root set.
    pub accounts: Vec<(Address, Option<Account>)>,
    /// Every node the new roots need that the store may not have yet.
    pub nodes: NewNodes,
    /// Stored nodes the new roots no longer use, once per place they left
    /// (a deleted account's whole storage trie included).
    pub replaced: Vec<H256>,
    /// Accounts the changes delete (EIP-161), whose storage goes with them.
    pub deleted: BTreeSet<Address>,
}

/// Computes the tries after `changes` on top of the state rooted at
/// `old_root`, reading nodes from `store` and the accounts' previous records
/// through `old_account`.
pub(crate) fn trie_update(
    store: &impl NodeStore,
    old_root: H256,
    old_account: impl Fn(&Address) -> Result<Option<Account>, StateError>,
    changes: &StateChanges,
) -> Result<TrieUpdate, StateError> {
    let deleted: BTreeSet<Address> = changes
        .accounts
        .iter()
        .filter(|(_, new)| new.is_none())
        .map(|(a, _)| *a)
        .collect();
    let mut nodes = NewNodes::new();
    let mut replaced = Vec::new();
    for address in &deleted {
        if let Some(old) = old_account(address)?
            && old.storage_root != EMPTY_ROOT
        {
            replaced.extend(Trie::new(store, old.storage_root).stored_nodes()?);
        }
    }

    // Storage first: each touched account gets a new storage root.
    let mut storage_roots: BTreeMap<Address, H256> = BTreeMap::new();
    for (address, slots) in &changes.storage {
        if deleted.contains(address) {
            continue;
        }
        let root = old_account(address)?
            .map(|a| a.storage_root)
            .unwrap_or(EMPTY_ROOT);
        let mut trie = Trie::new(store, root);
        for (slot, value) in slots {
            let key = keccak256(slot);
            if value.is_zero() {
                trie.remove(key.as_bytes())?;
            } else {
                let v = U256::from_big_endian(value.as_bytes());
                trie.insert(key.as_bytes(), rlp::encode(&v).to_vec())?;
            }
        }
        let (new_root, new_nodes) = trie.commit();
        nodes.extend(new_nodes);
        replaced.extend(trie.take_replaced());
        storage_roots.insert(*address, new_root);
    }

    // Then the accounts.
    let mut accounts = Vec::with_capacity(changes.accounts.len());
    for (address, new) in &changes.accounts {
        let new = match new {
            None => None,
            Some(a) => {
                let mut a = a.clone();
                a.storage_root = match storage_roots.get(address) {
                    Some(r) => *r,
                    None => old_account(address)?
                        .map(|o| o.storage_root)
                        .unwrap_or(EMPTY_ROOT),
                };
                Some(a)
            }
        };
        accounts.push((*address, new));
    }
    let mut trie = Trie::new(store, old_root);
    for (address, new) in &accounts {
        let key = keccak256(address);
        match new {
            Some(a) => trie.insert(key.as_bytes(), rlp::encode(a).to_vec())?,
            None => {
                trie.remove(key.as_bytes())?;
            }
        }
    }
    let (root, new_nodes) = trie.commit();
    nodes.extend(new_nodes);
    replaced.extend(trie.take_replaced());
    Ok(TrieUpdate {
        root,
        accounts,
        nodes,
        replaced,
        deleted,
    })
}
