//! Signing with the node's dev accounts: `eth_sign`, `personal_sign`
//! (EIP-191 personal messages) and `eth_signTypedData_v4` (EIP-712). A
//! node without dev keys (any chain but `--dev`) signs nothing: "unknown
//! account".

use orac_chain::Chain;
use orac_primitives::alloy::ToOrac;
use orac_primitives::{Address, Bytes, H256, PrivateKey, keccak256};
use serde_json::Value;

use crate::error::RpcError;

fn key(chain: &Chain, address: &Address) -> Result<PrivateKey, RpcError> {
    chain
        .dev_key(address)
        .cloned()
        .ok_or_else(|| RpcError::server(format!("unknown account {address:?}")))
}

/// The 65-byte `r ‖ s ‖ v` signature wallets return, with v = 27 or 28.
fn signature(key: &PrivateKey, hash: &H256) -> Bytes {
    let sig = key.sign_prehash(hash);
    let mut out = Vec::with_capacity(65);
    out.extend_from_slice(&sig.r.to_big_endian());
    out.extend_from_slice(&sig.s.to_big_endian());
    out.push(27 + u8::from(sig.y_parity));
    Bytes(out)
}

/// EIP-191 version 0x45: `keccak256("\x19Ethereum Signed Message:\n" ‖
/// len ‖ message)`, so a signed message can never be a transaction.
pub(crate) fn personal_message_hash(message: &[u8]) -> H256 {
    let mut data = format!("\x19Ethereum Signed Message:\n{}", message.len()).into_bytes();
    data.extend_from_slice(message);
    keccak256(&data)
}

/// `eth_sign(address, message)` and `personal_sign(message, address)`.
pub(crate) fn personal_sign(
    chain: &Chain,
    address: Address,
    message: &[u8],
) -> Result<Bytes, RpcError> {
    Ok(signature(
        &key(chain, &address)?,
        &personal_message_hash(message),
    ))
}

/// `eth_signTypedData_v4(address, typedData)`; the typed data may be the
/// JSON object or a string holding it (MetaMask sends the string).
pub(crate) fn typed_data(chain: &Chain, address: Address, data: Value) -> Result<Bytes, RpcError> {
    let data = match data {
        Value::String(s) => serde_json::from_str(&s)
            .map_err(|e| RpcError::invalid_params(format!("invalid typed data: {e}")))?,
        v => v,
    };
    let typed: alloy_dyn_abi::eip712::TypedData = serde_json::from_value(data)
        .map_err(|e| RpcError::invalid_params(format!("invalid typed data: {e}")))?;
    let hash = typed
        .eip712_signing_hash()
        .map_err(|e| RpcError::invalid_params(format!("invalid typed data: {e}")))?;
    Ok(signature(&key(chain, &address)?, &hash.to_orac()))
}
