//! JSON-RPC errors, with geth's codes and texts (clients match on both).
//! Every internal error is converted here, once, at the edge.

use orac_chain::{ChainError, InvalidTx};
use orac_state::StateError;
use serde::Serialize;
use serde_json::Value;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// geth's code for transaction and state errors.
pub const SERVER_ERROR: i64 = -32000;
/// Request exceeds a limit (results, batch size).
pub const LIMIT_EXCEEDED: i64 = -32005;
/// EIP-1474 / geth: execution reverted, with the revert data attached.
pub const EXECUTION_REVERTED: i64 = 3;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn parse(detail: impl std::fmt::Display) -> Self {
        Self::new(PARSE_ERROR, format!("parse error: {detail}"))
    }

    pub fn invalid_request(detail: impl Into<String>) -> Self {
        Self::new(INVALID_REQUEST, detail)
    }

    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            METHOD_NOT_FOUND,
            format!("the method {method} does not exist/is not available"),
        )
    }

    pub fn invalid_params(detail: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, detail)
    }

    pub fn server(detail: impl Into<String>) -> Self {
        Self::new(SERVER_ERROR, detail)
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::new(INTERNAL_ERROR, format!("internal error: {detail}"))
    }

    /// A revert as geth reports it: "execution reverted[: reason]" plus the
    /// raw revert data.
    pub fn reverted(data: &[u8]) -> Self {
        let message = match decode_revert_reason(data) {
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

/// Decodes Solidity's `Error(string)` revert payload.
pub fn decode_revert_reason(data: &[u8]) -> Option<String> {
    const SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
    let body = data.strip_prefix(&SELECTOR)?;
    if body.len() < 64 {
        return None;
    }
    // Both words come from the contract: read them as the 256-bit numbers
    // they are, and index only within the data.
    let word = |w: &[u8]| -> Option<usize> {
        if w.len() != 32 || w[..24].iter().any(|b| *b != 0) {
            return None;
        }
        usize::try_from(u64::from_be_bytes(w[24..].try_into().ok()?)).ok()
    };
    let offset = word(body.get(..32)?)?;
    let start = offset.checked_add(32)?;
    let len = word(body.get(offset..start)?)?;
    let bytes = body.get(start..start.checked_add(len)?)?;
    String::from_utf8(bytes.to_vec()).ok()
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
            ChainError::Request(m) => RpcError::server(m),
            ChainError::InvalidParams(m) => RpcError::invalid_params(m),
            ChainError::Shutdown => RpcError::server("node is shutting down"),
            ChainError::State(StateError::Invalid(m)) => {
                let code = if m.contains("more than") {
                    LIMIT_EXCEEDED
                } else {
                    SERVER_ERROR
                };
                RpcError::new(code, m)
            }
            ChainError::State(s) => {
                tracing::error!("storage error serving a request: {s}");
                RpcError::internal(s)
            }
        }
    }
}

impl From<StateError> for RpcError {
    fn from(e: StateError) -> Self {
        ChainError::State(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_error_string() {
        // Error("Not enough Ether provided.")
        let data = hex::decode("08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001a4e6f7420656e6f7567682045746865722070726f76696465642e000000000000").unwrap();
        assert_eq!(
            decode_revert_reason(&data).as_deref(),
            Some("Not enough Ether provided.")
        );
        let e = RpcError::reverted(&data);
        assert_eq!(e.code, 3);
        assert_eq!(e.message, "execution reverted: Not enough Ether provided.");
        assert_eq!(RpcError::reverted(&[1, 2]).message, "execution reverted");
        assert_eq!(decode_revert_reason(&data[..40]), None);
        // An offset or length word that does not fit, or points past the
        // data, reads as no reason (it used to overflow `offset + 32`).
        for bad in [
            format!("08c379a0{}{}", "ff".repeat(32), "00".repeat(32)),
            format!(
                "08c379a0{}{}",
                "00".repeat(24) + &"ff".repeat(8),
                "00".repeat(32)
            ),
            format!(
                "08c379a0{}{}{}",
                "00".repeat(31) + "20",
                "00".repeat(24) + &"ff".repeat(8),
                "00".repeat(32)
            ),
            format!(
                "08c379a0{}{}",
                "01".to_string() + &"00".repeat(30) + "20",
                "00".repeat(32)
            ),
        ] {
            assert_eq!(decode_revert_reason(&hex::decode(bad).unwrap()), None);
        }
    }
}
