//! The `pending` block: what the node would seal next, built from the
//! pool's ready transactions on top of the head, as anvil and geth serve
//! it. Reads at the `pending` tag (balances, code, storage, calls, the
//! block itself) see its state; nothing of it is written.
//!
//! Building it runs up to a block's gas of transactions, so it is kept
//! until the head, the state (dev patches move the root without a block)
//! or the ready set changes: a flood of `pending` reads builds it once.

use std::sync::Arc;

use orac_primitives::{Address, Bytes, H256, Header};
use orac_state::{BlockBody, LatestState, StateChanges, StateError, StateReader, StoredReceipt};

/// What decides the pending block: the state it starts from and the
/// transactions it tries, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PendingKey {
    pub head: H256,
    pub state_root: H256,
    pub candidates: Vec<H256>,
}

/// The block the node would seal next.
pub struct PendingBlock {
    /// A header as sealing would write it, state root included.
    pub header: Header,
    /// The transactions it would include, in order.
    pub body: BlockBody,
    /// Their receipts, one per transaction.
    pub receipts: Vec<StoredReceipt>,
    pub(crate) changes: StateChanges,
    pub(crate) key: PendingKey,
}

impl PendingBlock {
    pub(crate) fn new(
        header: Header,
        body: BlockBody,
        receipts: Vec<StoredReceipt>,
        changes: StateChanges,
        key: PendingKey,
    ) -> Self {
        Self {
            header,
            body,
            receipts,
            changes,
            key,
        }
    }
}

/// The state after the pending block: its changes over the latest state
/// it was built on.
pub struct PendingState {
    pub(crate) base: LatestState,
    pub(crate) block: Arc<PendingBlock>,
}

impl StateReader for PendingState {
    fn account(&self, a: &Address) -> Result<Option<orac_primitives::Account>, StateError> {
        match self.block.changes.accounts.get(a) {
            Some(changed) => Ok(changed.clone()),
            None => self.base.account(a),
        }
    }

    fn storage(&self, a: &Address, slot: &H256) -> Result<H256, StateError> {
        if let Some(v) = self.block.changes.storage.get(a).and_then(|s| s.get(slot)) {
            return Ok(*v);
        }
        // A deleted account's storage went with it.
        if matches!(self.block.changes.accounts.get(a), Some(None)) {
            return Ok(H256::zero());
        }
        self.base.storage(a, slot)
    }

    fn code(&self, h: &H256) -> Result<Bytes, StateError> {
        match self.block.changes.code.get(h) {
            Some(code) => Ok(code.clone()),
            None => self.base.code(h),
        }
    }
}
