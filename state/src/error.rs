use orac_primitives::trie::TrieError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    #[error("database: {0}")]
    Db(#[from] redb::Error),
    #[error(transparent)]
    Trie(#[from] TrieError),
    #[error("corrupt record in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    #[error("database check failed: {0}")]
    Inconsistent(String),
    #[error("{0}")]
    Invalid(String),
    /// A query matched more than the caller's limit (`Snapshot::logs`).
    #[error("query returned more than {limit} results")]
    TooManyResults { limit: usize },
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
