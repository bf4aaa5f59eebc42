use orac_primitives::trie::TrieError;

/// Why a state operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// redb failed (I/O, a full disk, a damaged file).
    #[error("database: {0}")]
    Db(#[from] redb::Error),
    /// A trie walk failed: a node missing or not decoding.
    #[error(transparent)]
    Trie(#[from] TrieError),
    /// A stored record does not decode.
    #[error("corrupt record in {table}: {detail}")]
    Corrupt {
        /// The table the record is in.
        table: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The start-up checks found tables that disagree.
    #[error("database check failed: {0}")]
    Inconsistent(String),
    /// A caller asked for something the database refuses (the reason, in
    /// words).
    #[error("{0}")]
    Invalid(String),
    /// A query matched more than the caller's limit (`Snapshot::logs`).
    #[error("query returned more than {limit} results")]
    TooManyResults {
        /// The most results the caller would take.
        limit: usize,
    },
}

impl StateError {
    pub(crate) fn corrupt(table: &'static str, detail: impl ToString) -> Self {
        StateError::Corrupt {
            table,
            detail: detail.to_string(),
        }
    }
}

/// redb reports through several error types; funnel them all into one.
macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StateError {
            fn from(e: $t) -> Self {
                StateError::Db(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
