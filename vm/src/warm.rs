//! What a transaction has already touched (EIP-2929): accounts, storage
//! slots, and code. The first access to each is "cold" and costs more;
//! later ones are "warm". Insertions are journaled, so a frame that fails
//! gives back its warmth with the rest of its effects, as on Ethereum.

use foldhash::HashSet;
use orac_primitives::{Address, H256};

#[derive(Default)]
pub(crate) struct Warm {
    // Membership only in consensus (iterated only by `accessed`, which
    // sorts, for an RPC answer), so a randomly seeded fast hash is safe.
    accounts: HashSet<Address>,
    slots: HashSet<(Address, H256)>,
    code: HashSet<H256>,
    /// Every insertion since the transaction started, in order.
    journal: Vec<Touched>,
}

enum Touched {
    Account(Address),
    Slot(Address, H256),
    Code(H256),
}

impl Warm {
    /// Marks `a` warm; true if it was cold.
    pub(crate) fn account(&mut self, a: Address) -> bool {
        let cold = self.accounts.insert(a);
        if cold {
            self.journal.push(Touched::Account(a));
        }
        cold
    }

    /// Marks slot `key` of `a` warm; true if it was cold.
    pub(crate) fn slot(&mut self, a: Address, key: H256) -> bool {
        let cold = self.slots.insert((a, key));
        if cold {
            self.journal.push(Touched::Slot(a, key));
        }
        cold
    }

    /// Marks code `hash` loaded; true if this is its first run in the
    /// transaction.
    pub(crate) fn code(&mut self, hash: H256) -> bool {
        let cold = self.code.insert(hash);
        if cold {
            self.journal.push(Touched::Code(hash));
        }
        cold
    }

    /// Every account and slot now warm, sorted (for `eth_createAccessList`).
    pub(crate) fn accessed(&self) -> crate::AccessList {
        let mut out = crate::AccessList::new();
        for a in &self.accounts {
            out.entry(*a).or_default();
        }
        for (a, k) in &self.slots {
            out.entry(*a).or_default().insert(*k);
        }
        out
    }

    pub(crate) fn checkpoint(&self) -> usize {
        self.journal.len()
    }

    /// Forgets everything marked since `checkpoint`.
    pub(crate) fn revert(&mut self, checkpoint: usize) {
        for t in self.journal.drain(checkpoint..) {
            match t {
                Touched::Account(a) => {
                    self.accounts.remove(&a);
                }
                Touched::Slot(a, k) => {
                    self.slots.remove(&(a, k));
                }
                Touched::Code(h) => {
                    self.code.remove(&h);
                }
            }
        }
    }
}
