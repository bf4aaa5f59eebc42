//! The journaled in-memory state execution runs on.
//!
//! Every write records what it overwrote; a [`Checkpoint`] is a position in
//! that journal, and reverting to it undoes everything after, including logs.
//! Checkpoints nest freely, which is what contract messages need: a failed
//! inner call reverts to its own checkpoint and leaves the caller's effects.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use foldhash::fast::RandomState;
use std::sync::Arc;

use orac_primitives::{Account, Address, Bytes, EMPTY_CODE_HASH, H256, Log, U256, keccak256};

use crate::{StateError, StateReader};

/// A point in an overlay's journal and logs to roll back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Checkpoint {
    journal: usize,
    logs: usize,
}

enum JournalEntry {
    Account {
        address: Address,
        prev: Option<Account>,
    },
    Storage {
        address: Address,
        slot: H256,
        prev: H256,
    },
}

struct Tracked<T> {
    original: T,
    current: T,
}

/// How a value transfer ended ([`Overlay::transfer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    /// The value moved.
    Done,
    /// The payer's balance is short; nothing moved.
    InsufficientBalance,
    /// The recipient's balance would pass 2^256-1; nothing moved.
    RecipientOverflow,
}

impl Transfer {
    /// Whether the value moved.
    pub fn is_done(self) -> bool {
        self == Transfer::Done
    }

    /// Why a message fails when its value cannot move.
    pub fn reason(self) -> &'static str {
        match self {
            Transfer::Done => "",
            Transfer::InsufficientBalance => "insufficient balance for transfer",
            Transfer::RecipientOverflow => "transfer overflows the recipient's balance",
        }
    }
}

/// Everything a block changed, ready to be committed.
#[derive(Clone, Debug, Default)]
pub struct StateChanges {
    /// New account records; `None` deletes. Storage roots are recomputed at
    /// commit, so whatever this carries in `storage_root` is ignored.
    pub accounts: BTreeMap<Address, Option<Account>>,
    /// Changed storage slots by account; a zero value deletes the slot.
    pub storage: BTreeMap<Address, BTreeMap<H256, H256>>,
    /// New code by its hash.
    pub code: BTreeMap<H256, Bytes>,
}

impl StateChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.storage.is_empty() && self.code.is_empty()
    }
}

/// The state an overlay starts from, shared so the overlay can be owned
/// (and moved into a VM store, which must own its data).
pub type SharedReader = Arc<dyn StateReader + Send + Sync>;

/// The journaled in-memory state execution runs on: changes over a
/// [`StateReader`], with nested checkpoints to roll back to.
pub struct Overlay {
    base: SharedReader,
    accounts: HashMap<Address, Tracked<Option<Account>>, RandomState>,
    storage: HashMap<(Address, H256), Tracked<H256>, RandomState>,
    code: HashMap<H256, Bytes, RandomState>,
    journal: Vec<JournalEntry>,
    logs: Vec<Log>,
}

impl Overlay {
    /// An overlay with no changes over `base`.
    pub fn new(base: SharedReader) -> Self {
        Self {
            base,
            accounts: HashMap::default(),
            storage: HashMap::default(),
            code: HashMap::default(),
            journal: Vec::new(),
            logs: Vec::new(),
        }
    }

    fn load_account(
        &mut self,
        address: &Address,
    ) -> Result<&mut Tracked<Option<Account>>, StateError> {
        // One hash per access: this runs several times per transaction.
        Ok(match self.accounts.entry(*address) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => {
                let original = self.base.account(address)?;
                v.insert(Tracked {
                    current: original.clone(),
                    original,
                })
            }
        })
    }

    /// The account at `address`, if it exists.
    pub fn account(&mut self, address: &Address) -> Result<Option<Account>, StateError> {
        Ok(self.load_account(address)?.current.clone())
    }

    /// The balance at `address` (zero if no account).
    pub fn balance(&mut self, address: &Address) -> Result<U256, StateError> {
        Ok(self
            .account(address)?
            .map(|a| a.balance)
            .unwrap_or_default())
    }

    /// The nonce at `address` (zero if no account).
    pub fn nonce(&mut self, address: &Address) -> Result<u64, StateError> {
        Ok(self.account(address)?.map(|a| a.nonce).unwrap_or_default())
    }

    /// Replaces the account at `address`; `None` deletes it (journaled).
    pub fn set_account(
        &mut self,
        address: &Address,
        account: Option<Account>,
    ) -> Result<(), StateError> {
        let entry = self.load_account(address)?;
        let prev = std::mem::replace(&mut entry.current, account);
        self.journal.push(JournalEntry::Account {
            address: *address,
            prev,
        });
        Ok(())
    }

    /// Changes the account (created if absent) through `f`, journaling what
    /// it was; nothing changes if `f` returns false or fails. One map lookup.
    fn modify_account(
        &mut self,
        address: &Address,
        f: impl FnOnce(&mut Account) -> Result<bool, StateError>,
    ) -> Result<bool, StateError> {
        let entry = self.load_account(address)?;
        let mut account = entry.current.clone().unwrap_or_default();
        if !f(&mut account)? {
            return Ok(false);
        }
        let prev = entry.current.replace(account);
        self.journal.push(JournalEntry::Account {
            address: *address,
            prev,
        });
        Ok(true)
    }

    /// Applies `f` to the account, creating it if absent.
    pub fn update_account(
        &mut self,
        address: &Address,
        f: impl FnOnce(&mut Account),
    ) -> Result<(), StateError> {
        self.modify_account(address, |a| {
            f(a);
            Ok(true)
        })?;
        Ok(())
    }

    /// Credits `amount`; an error if the balance would pass 2^256-1.
    pub fn add_balance(&mut self, address: &Address, amount: U256) -> Result<(), StateError> {
        self.modify_account(address, |a| {
            a.balance = a
                .balance
                .checked_add(amount)
                .ok_or_else(|| StateError::Invalid("balance overflow".into()))?;
            Ok(true)
        })?;
        Ok(())
    }

    /// Debits `amount`; `Ok(false)` (and no change) if the balance is short.
    pub fn sub_balance(&mut self, address: &Address, amount: U256) -> Result<bool, StateError> {
        self.modify_account(address, |a| {
            Ok(match a.balance.checked_sub(amount) {
                Some(b) => {
                    a.balance = b;
                    true
                }
                None => false,
            })
        })
    }

    /// Moves value between accounts. Nothing changes unless it returns
    /// [`Transfer::Done`].
    pub fn transfer(
        &mut self,
        from: &Address,
        to: &Address,
        amount: U256,
    ) -> Result<Transfer, StateError> {
        // Balances only pass 2^256-1 if the supply does, which a genesis
        // cannot (the spec is checked) but a dev-node patch can; then the
        // transfer fails like a short balance, never the block.
        if from != to && self.balance(to)?.checked_add(amount).is_none() {
            return Ok(Transfer::RecipientOverflow);
        }
        if !self.sub_balance(from, amount)? {
            return Ok(Transfer::InsufficientBalance);
        }
        self.add_balance(to, amount)?;
        Ok(Transfer::Done)
    }

    /// Credits `amount`, stopping at 2^256-1: for fee credits, which a
    /// transaction has already paid for and must not fail on.
    pub fn credit_saturating(&mut self, address: &Address, amount: U256) -> Result<(), StateError> {
        self.update_account(address, |a| a.balance = a.balance.saturating_add(amount))
    }

    /// A storage slot's current value (zero if unset).
    pub fn storage(&mut self, address: &Address, slot: &H256) -> Result<H256, StateError> {
        Ok(self.load_slot(address, slot)?.current)
    }

    /// The slot's value when this overlay started (for refund rules).
    pub fn original_storage(&mut self, address: &Address, slot: &H256) -> Result<H256, StateError> {
        Ok(self.load_slot(address, slot)?.original)
    }

    fn load_slot(
        &mut self,
        address: &Address,
        slot: &H256,
    ) -> Result<&mut Tracked<H256>, StateError> {
        Ok(match self.storage.entry((*address, *slot)) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => {
                let original = self.base.storage(address, slot)?;
                v.insert(Tracked {
                    original,
                    current: original,
                })
            }
        })
    }

    /// Writes a storage slot (journaled).
    pub fn set_storage(
        &mut self,
        address: &Address,
        slot: &H256,
        value: H256,
    ) -> Result<(), StateError> {
        let entry = self.load_slot(address, slot)?;
        let prev = std::mem::replace(&mut entry.current, value);
        self.journal.push(JournalEntry::Storage {
            address: *address,
            slot: *slot,
            prev,
        });
        Ok(())
    }

    /// The code of the account at `address` (empty if none).
    pub fn code(&mut self, address: &Address) -> Result<Bytes, StateError> {
        let Some(account) = self.account(address)? else {
            return Ok(Bytes::new());
        };
        self.code_by_hash(&account.code_hash)
    }

    /// Code by its hash (empty for [`EMPTY_CODE_HASH`]).
    pub fn code_by_hash(&self, hash: &H256) -> Result<Bytes, StateError> {
        if *hash == EMPTY_CODE_HASH {
            return Ok(Bytes::new());
        }
        match self.code.get(hash) {
            Some(c) => Ok(c.clone()),
            None => self.base.code(hash),
        }
    }

    /// Installs code on an account. Code is content-addressed, so keeping it
    /// after a revert is harmless: only the account's code hash is journaled.
    /// Returns the code's hash.
    pub fn set_code(&mut self, address: &Address, code: Bytes) -> Result<H256, StateError> {
        let hash = keccak256(&code);
        self.code.entry(hash).or_insert(code);
        self.update_account(address, |a| a.code_hash = hash)?;
        Ok(hash)
    }

    /// Records a log (rolled back with its checkpoint).
    pub fn add_log(&mut self, log: Log) {
        self.logs.push(log);
    }

    /// Every log recorded so far, in order.
    pub fn logs(&self) -> &[Log] {
        &self.logs
    }

    /// Takes the logs emitted since `from` (a transaction's own logs).
    pub fn logs_since(&self, from: Checkpoint) -> Vec<Log> {
        self.logs[from.logs..].to_vec()
    }

    /// The current point, for [`Overlay::revert_to`].
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            journal: self.journal.len(),
            logs: self.logs.len(),
        }
    }

    /// Undoes every change and log made since `cp`.
    pub fn revert_to(&mut self, cp: Checkpoint) {
        while self.journal.len() > cp.journal {
            match self.journal.pop() {
                Some(JournalEntry::Account { address, prev }) => {
                    if let Some(t) = self.accounts.get_mut(&address) {
                        t.current = prev;
                    }
                }
                Some(JournalEntry::Storage {
                    address,
                    slot,
                    prev,
                }) => {
                    if let Some(t) = self.storage.get_mut(&(address, slot)) {
                        t.current = prev;
                    }
                }
                None => break,
            }
        }
        self.logs.truncate(cp.logs);
    }

    /// The net effect of everything not reverted.
    pub fn into_changes(mut self) -> Result<StateChanges, StateError> {
        let mut changes = StateChanges::default();
        for ((address, slot), t) in &self.storage {
            if t.current != t.original {
                changes
                    .storage
                    .entry(*address)
                    .or_default()
                    .insert(*slot, t.current);
            }
        }
        // A storage change must reach the account's storage root even if
        // nothing else about the account changed, so load such accounts.
        let storage_owners: Vec<Address> = changes.storage.keys().copied().collect();
        for address in &storage_owners {
            self.load_account(address)?;
        }
        for (address, t) in &self.accounts {
            // EIP-161: accounts left empty are deleted.
            let value = t.current.clone().filter(|a| !a.is_empty());
            if value != t.original || changes.storage.contains_key(address) {
                changes.accounts.insert(*address, value);
            }
        }
        let used: std::collections::HashSet<H256> = changes
            .accounts
            .values()
            .flatten()
            .map(|a| a.code_hash)
            .collect();
        changes.code = self
            .code
            .into_iter()
            .filter(|(h, _)| used.contains(h))
            .collect();
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EmptyState;

    #[test]
    fn a_transfer_that_would_overflow_moves_nothing() {
        let mut o = Overlay::new(Arc::new(EmptyState));
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        o.add_balance(&a, U256::from(5)).unwrap();
        o.add_balance(&b, U256::MAX).unwrap();
        assert_eq!(
            o.transfer(&a, &b, U256::one()).unwrap(),
            Transfer::RecipientOverflow
        );
        assert_eq!(o.balance(&a).unwrap(), U256::from(5));
        assert_eq!(o.balance(&b).unwrap(), U256::MAX);
        // To oneself nothing is added, so nothing can overflow.
        assert!(o.transfer(&b, &b, U256::one()).unwrap().is_done());
        o.credit_saturating(&b, U256::one()).unwrap();
        assert_eq!(o.balance(&b).unwrap(), U256::MAX);
    }

    #[test]
    fn nested_checkpoints_revert_only_their_own_effects() {
        let mut o = Overlay::new(Arc::new(EmptyState));
        let a = Address::repeat_byte(1);
        let b = Address::repeat_byte(2);
        o.add_balance(&a, U256::from(100)).unwrap();
        let outer = o.checkpoint();
        assert!(o.transfer(&a, &b, U256::from(30)).unwrap().is_done());
        o.add_log(Log {
            address: a,
            topics: vec![],
            data: Bytes::new(),
        });
        let inner = o.checkpoint();
        o.set_storage(&b, &H256::repeat_byte(9), H256::repeat_byte(1))
            .unwrap();
        assert!(o.transfer(&b, &a, U256::from(10)).unwrap().is_done());
        o.revert_to(inner);
        assert_eq!(o.balance(&a).unwrap(), U256::from(70));
        assert_eq!(o.storage(&b, &H256::repeat_byte(9)).unwrap(), H256::zero());
        assert_eq!(o.logs().len(), 1);
        assert_eq!(
            o.transfer(&b, &a, U256::from(31)).unwrap(),
            Transfer::InsufficientBalance
        );
        o.revert_to(outer);
        assert_eq!(o.balance(&b).unwrap(), U256::zero());
        assert!(o.logs().is_empty());
        let changes = o.into_changes().unwrap();
        assert_eq!(changes.accounts.len(), 1);
        assert_eq!(
            changes.accounts[&a].as_ref().unwrap().balance,
            U256::from(100)
        );
        // b was touched but ended as it began: not a change.
        assert!(!changes.accounts.contains_key(&b));
        assert!(changes.storage.is_empty());
    }

    #[test]
    fn emptied_accounts_are_deleted() {
        let mut o = Overlay::new(Arc::new(EmptyState));
        let a = Address::repeat_byte(1);
        o.add_balance(&a, U256::zero()).unwrap();
        o.update_account(&a, |acct| acct.nonce = 0).unwrap();
        let changes = o.into_changes().unwrap();
        // Created empty and left empty: no net change at all.
        assert!(changes.accounts.is_empty());
    }
}
