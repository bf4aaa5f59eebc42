//! What can go wrong talking to a node.

/// A failed request. The endpoint is outside the caller's process: it may
/// be down, slow, wrong or hostile, so every answer is checked before use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No answer: connection refused, timed out, or the body broke off.
    #[error("RPC {method} unreachable: {detail}")]
    Unreachable {
        /// The method called (`connect` for a bad URL).
        method: String,
        /// Why, as the HTTP stack says it.
        detail: String,
    },
    /// The node answered with a JSON-RPC error other than a revert.
    #[error("RPC {method} failed: {message}")]
    Rpc {
        /// The method called.
        method: String,
        /// The JSON-RPC error code.
        code: i64,
        /// The node's message.
        message: String,
    },
    /// The call (or the estimate for a transaction) reverted. `reason` is
    /// the decoded `Error(string)`/`Panic(uint256)` when there is one.
    #[error("reverted: {reason}")]
    Reverted {
        /// The decoded reason, else the node's message.
        reason: String,
        /// The revert data as returned.
        data: Vec<u8>,
    },
    /// An answer that is not what the method returns.
    #[error("RPC {method} answered something unexpected: {what}")]
    Unexpected {
        /// The method called.
        method: String,
        /// What came back instead.
        what: String,
    },
    /// A transaction was sent but its receipt did not appear in time.
    #[error("transaction {hash} not mined within {waited_ms} ms")]
    NotMined {
        /// The transaction's hash.
        hash: String,
        /// How long the client polled for it.
        waited_ms: u128,
    },
    /// The node refused a whole batch with one error object (too many
    /// calls, for instance) instead of answering each call.
    #[error("batch rejected: {message} (code {code})")]
    BatchRejected {
        /// The JSON-RPC error code.
        code: i64,
        /// The node's message.
        message: String,
    },
}

impl ClientError {
    pub(crate) fn unexpected(method: &str, what: impl std::fmt::Display) -> Self {
        ClientError::Unexpected {
            method: method.into(),
            what: what.to_string(),
        }
    }
}
