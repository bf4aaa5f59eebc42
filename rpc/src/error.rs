//! JSON-RPC errors, with geth's codes and texts (clients match on both).
//! Every internal error is converted here, once, at the edge: the code is
//! chosen from the error's variant, never from its text.

use orac_chain::{ChainError, ExecOutcome, InvalidTx};
use orac_primitives::trie::TrieError;
use orac_state::StateError;
use serde::Serialize;
use serde_json::Value;

/// The body is not JSON (JSON-RPC 2.0).
pub const PARSE_ERROR: i64 = -32700;
/// The JSON is not a JSON-RPC request object.
pub const INVALID_REQUEST: i64 = -32600;
/// No such method, or not served here (the dev controls off a dev chain).
pub const METHOD_NOT_FOUND: i64 = -32601;
/// A parameter is missing, malformed or out of range.
pub const INVALID_PARAMS: i64 = -32602;
/// A fault of the node, not of the request.
pub const INTERNAL_ERROR: i64 = -32603;
/// geth's code for transaction and state errors.
pub const SERVER_ERROR: i64 = -32000;
/// Request exceeds a limit (results, batch size).
pub const LIMIT_EXCEEDED: i64 = -32005;
/// geth's code for "notifications not supported" (subscriptions over a
/// transport without them).
pub const NOTIFICATIONS_UNSUPPORTED: i64 = -32001;
/// EIP-1474 / geth: execution reverted, with the revert data attached.
pub const EXECUTION_REVERTED: i64 = 3;

/// A JSON-RPC error object: what every failure becomes at the edge.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RpcError {
    /// The JSON-RPC code (geth's, where geth has one).
    pub code: i64,
    /// geth's text, where geth has one: clients match on it.
    pub message: String,
    /// Revert data, for code 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with this code and text.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The body could not be parsed as JSON.
    pub fn parse(detail: impl std::fmt::Display) -> Self {
        Self::new(PARSE_ERROR, format!("parse error: {detail}"))
    }

    /// The request object is malformed.
    pub fn invalid_request(detail: impl Into<String>) -> Self {
        Self::new(INVALID_REQUEST, detail)
    }

    /// geth's "does not exist/is not available" for `method`.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            METHOD_NOT_FOUND,
            format!("the method {method} does not exist/is not available"),
        )
    }

    /// A bad parameter; `detail` says which and why.
    pub fn invalid_params(detail: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, detail)
    }

    /// geth's -32000: state and transaction errors.
    pub fn server(detail: impl Into<String>) -> Self {
        Self::new(SERVER_ERROR, detail)
    }

    /// A node fault (a failed task, a serialisation bug).
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::new(INTERNAL_ERROR, format!("internal error: {detail}"))
    }

    /// A call that ran and failed, as geth reports it: a revert is code 3
    /// with its data ([`RpcError::reverted`]), a halt (out of gas, a trap,
    /// ...) is -32000 with the halt's text.
    pub fn failed(outcome: &ExecOutcome) -> Self {
        match &outcome.error {
            Some(halt) if outcome.output.is_empty() => RpcError::server(halt.to_string()),
            _ => RpcError::reverted(&outcome.output),
        }
    }

    /// An estimate that fails for `eth_sendTransaction`'s gas: -32000 with
    /// the failure's text (no revert data), as this node has always
    /// answered; `eth_estimateGas` itself answers [`RpcError::failed`].
    pub fn send_estimate(e: ChainError) -> Self {
        match e {
            ChainError::EstimateFailed(_) => RpcError::server(e.to_string()),
            e => e.into(),
        }
    }

    /// A revert as geth reports it: "execution reverted[: reason]" plus the
    /// raw revert data.
    pub fn reverted(data: &[u8]) -> Self {
        let message = match orac_primitives::revert::decode_revert_reason(data) {
            Some(reason) => format!("execution reverted: {reason}"),
            None => "execution reverted".to_string(),
        };
        Self {
            code: EXECUTION_REVERTED,
            message,
            data: Some(Value::String(format!("0x{}", hex::encode(data)))),
        }
    }
}

impl From<InvalidTx> for RpcError {
    fn from(e: InvalidTx) -> Self {
        RpcError::server(e.to_string())
    }
}

impl From<ChainError> for RpcError {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::Invalid(i) => i.into(),
            ChainError::State(s) => s.into(),
            ChainError::InvalidParams(m) => RpcError::invalid_params(m),
            // eth_estimateGas: why the call fails at the cap, as eth_call
            // would say it (revert data included).
            ChainError::EstimateFailed(outcome) => RpcError::failed(&outcome),
            e @ (ChainError::Shutdown
            | ChainError::Startup(_)
            | ChainError::HeaderNotFound
            | ChainError::BlockNotFound(_)
            | ChainError::BadTimestamp { .. }
            | ChainError::NoAccountForStorage { .. }
            | ChainError::NotDurable(_)) => RpcError::server(e.to_string()),
            // A variant added later (the enum is non-exhaustive): geth's
            // code for a request that failed.
            e => RpcError::server(e.to_string()),
        }
    }
}

impl From<StateError> for RpcError {
    fn from(e: StateError) -> Self {
        match e {
            StateError::TooManyResults { .. } => RpcError::new(LIMIT_EXCEEDED, e.to_string()),
            StateError::Invalid(m) => RpcError::server(m),
            // A state older than a full node's window: geth's words, so
            // tools that recognise a pruned state do here too.
            StateError::Trie(TrieError::MissingNode(h)) => RpcError::server(format!(
                "missing trie node {h:x} (path ) state is not available: this node keeps recent states only (an --archive node keeps them all)"
            )),
            s => {
                tracing::error!("storage error serving a request: {s}");
                RpcError::internal(s)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverts_read_as_geth() {
        let panic = hex::decode(format!("4e487b71{:0>64}", "1")).expect("hex");
        let r = RpcError::reverted(&panic);
        assert_eq!(r.message, "execution reverted: assert(false)");
        // Error("Not enough Ether provided.")
        let data = hex::decode("08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001a4e6f7420656e6f7567682045746865722070726f76696465642e000000000000").expect("hex");
        let e = RpcError::reverted(&data);
        assert_eq!(e.code, 3);
        assert_eq!(e.message, "execution reverted: Not enough Ether provided.");
        assert_eq!(RpcError::reverted(&[1, 2]).message, "execution reverted");
    }
}
