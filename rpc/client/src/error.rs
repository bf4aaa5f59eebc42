//! What can go wrong talking to a node.

/// A failed request. The endpoint is outside the caller's process: it may
/// be down, slow, wrong or hostile, so every answer is checked before use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No answer: connection refused, timed out, or the body broke off.
    #[error("RPC {method} unreachable: {detail}")]
    Unreachable { method: String, detail: String },
    /// The node answered with a JSON-RPC error other than a revert.
    #[error("RPC {method} failed: {message}")]
    Rpc {
        method: String,
        code: i64,
        message: String,
    },
    /// The call (or the estimate for a transaction) reverted. `reason` is
    /// the decoded `Error(string)`/`Panic(uint256)` when there is one.
    #[error("reverted: {reason}")]
    Reverted { reason: String, data: Vec<u8> },
    /// An answer that is not what the method returns.
    #[error("RPC {method} answered something unexpected: {what}")]
    Unexpected { method: String, what: String },
    /// A transaction was sent but its receipt did not appear in time.
    #[error("transaction {hash} not mined within {waited_ms} ms")]
    NotMined { hash: String, waited_ms: u128 },
}

impl ClientError {
    pub(crate) fn unexpected(method: &str, what: impl std::fmt::Display) -> Self {
        ClientError::Unexpected {
            method: method.into(),
            what: what.to_string(),
        }
    }
}
