//! The deploy envelope: how a WebAssembly module travels in the data of a
//! contract-creation transaction, followed by the constructor's arguments.
//!
//! ```text
//! 0xEF 'o' 'W' 0x01   magic: 0xEF (never the start of EVM init code, EIP-3541),
//!                     "oW" (orac WebAssembly), envelope version 1
//! u32 big-endian      length of the module in bytes
//! module              the WebAssembly module (starts with \0asm)
//! args                ABI-encoded constructor arguments, to the end
//! ```
//!
//! So the "bytecode" that ethers' `ContractFactory` or `cast send --create`
//! take is `envelope(module)`, and they append the encoded arguments
//! themselves, exactly as they do for EVM init code.

use crate::validate::DeployError;

/// The magic a deploy envelope starts with (see the module docs).
pub const MAGIC: [u8; 4] = [0xEF, b'o', b'W', 0x01];

/// Wraps a module for deployment (without constructor arguments).
pub fn wrap(module: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(module.len() + 8);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(module.len() as u32).to_be_bytes());
    out.extend_from_slice(module);
    out
}

/// Splits creation data into (module, constructor arguments).
pub fn unwrap(data: &[u8]) -> Result<(&[u8], &[u8]), DeployError> {
    let bad = |m: &str| DeployError::Envelope(m.to_string());
    if data.len() < 8 || data[..4] != MAGIC {
        return Err(bad(
            "creation data must start with the orac deploy envelope (0xEF 6F 57 01); build contracts with `orac build`",
        ));
    }
    let len = u32::from_be_bytes([data[4], data[5], data[6], data[7]]) as usize;
    let end = 8usize
        .checked_add(len)
        .filter(|e| *e <= data.len())
        .ok_or_else(|| bad("module length runs past the end of the data"))?;
    // An empty module would create an account without code: not a
    // contract, and not what anyone deploying meant.
    if len == 0 {
        return Err(bad("the envelope holds an empty module"));
    }
    Ok((&data[8..end], &data[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_rejections() {
        let module = b"\0asm\x01\0\0\0";
        let mut data = wrap(module);
        data.extend_from_slice(&[1, 2, 3]);
        assert_eq!(unwrap(&data).unwrap(), (&module[..], &[1u8, 2, 3][..]));
        assert!(unwrap(b"\0asm").is_err());
        let mut short = wrap(module);
        short.truncate(10);
        assert!(unwrap(&short).is_err());
        assert!(unwrap(&wrap(b"")).is_err());
    }
}
