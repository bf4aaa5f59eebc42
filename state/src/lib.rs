//! Durable chain state for orac.
//!
//! * [`Db`] owns the redb file: accounts, storage, code, trie nodes, blocks,
//!   receipts, the transaction and log indexes, and the pending-pool journal.
//! * [`Overlay`] is the journaled in-memory view execution runs on, with
//!   nested checkpoints; it reads through a [`StateReader`].
//! * [`BlockWriter`] turns an overlay's [`StateChanges`] plus a block into one
//!   atomic redb transaction, updating the Merkle Patricia state root
//!   incrementally (work grows with the keys touched, not the state size).

mod chunks;
mod codec;
mod db;
mod error;
mod nodes;
mod overlay;
#[cfg(test)]
mod prune_tests;
mod reader;
mod roots;
mod tables;
#[cfg(feature = "test-utils")]
mod test_utils;
mod writer;

pub use codec::{BlockBody, StoredReceipt, TxLocation};
pub use db::{
    Db, DbConfig, HeadPointer, JournalChurn, LogQuery, Snapshot, StateHistory, StoredLog, TableSize,
};
pub use error::StateError;
pub use overlay::{Checkpoint, Overlay, SharedReader, StateChanges, Transfer};
pub use reader::{EmptyState, HistoricalState, LatestState, Proof, StateReader};
#[cfg(feature = "test-utils")]
pub use test_utils::MemState;
pub use writer::{BlockWriter, GenesisAlloc};
