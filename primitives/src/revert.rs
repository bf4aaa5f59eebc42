//! Revert data as geth and the client libraries print it: Solidity's
//! `Error(string)`, and `Panic(uint256)` by geth's name for its code (the
//! SDK's checked arithmetic reverts with `Panic(0x11)`, as Solidity ≥ 0.8
//! does). Used by the node's RPC server and by `orac-rpc-client`.

use crate::U256;

/// Decodes a revert payload as geth does: Solidity's `Error(string)`, or
/// `Panic(uint256)` as geth's text for its code (the SDK's checked
/// arithmetic reverts with `Panic(0x11)`, as Solidity ≥ 0.8 does).
pub fn decode_revert_reason(data: &[u8]) -> Option<String> {
    const ERROR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
    const PANIC: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];
    if let Some(code) = data.strip_prefix(&PANIC) {
        return decode_panic(code);
    }
    let body = data.strip_prefix(&ERROR)?;
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

/// geth's names for Solidity's panic codes (accounts/abi `panicReasons`).
fn decode_panic(word: &[u8]) -> Option<String> {
    let word: &[u8; 32] = word.try_into().ok()?;
    let code = U256::from_big_endian(word);
    let reason = match code.low_u64() {
        _ if code > U256::from(u64::MAX) => None,
        0x00 => Some("generic panic"),
        0x01 => Some("assert(false)"),
        0x11 => Some("arithmetic underflow or overflow"),
        0x12 => Some("division or modulo by zero"),
        0x21 => Some("enum overflow"),
        0x22 => Some("invalid encoded storage byte array accessed"),
        0x31 => Some("out-of-bounds array access; popping on an empty array"),
        0x32 => Some("out-of-bounds access of an array or bytesN"),
        0x41 => Some("out of memory"),
        0x51 => Some("uninitialized function"),
        _ => None,
    };
    Some(match reason {
        Some(r) => r.to_string(),
        None => format!("unknown panic code: {code:#x}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_panic_codes_as_geth() {
        let panic = |code: &str| hex::decode(format!("4e487b71{code:0>64}")).expect("hex");
        let max = "f".repeat(64);
        let cases = [
            ("1", "assert(false)".to_string()),
            ("11", "arithmetic underflow or overflow".into()),
            ("12", "division or modulo by zero".into()),
            ("99", "unknown panic code: 0x99".into()),
            (&max, format!("unknown panic code: 0x{max}")),
        ];
        for (code, reason) in cases {
            assert_eq!(
                decode_revert_reason(&panic(code)).as_deref(),
                Some(reason.as_str()),
                "panic code {code}"
            );
        }
        // Not one word: not a panic.
        assert_eq!(decode_revert_reason(&panic("11")[..35]), None);
    }

    #[test]
    fn decodes_error_string() {
        // Error("Not enough Ether provided.")
        let data = hex::decode("08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001a4e6f7420656e6f7567682045746865722070726f76696465642e000000000000").expect("hex");
        assert_eq!(
            decode_revert_reason(&data).as_deref(),
            Some("Not enough Ether provided.")
        );
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
            assert_eq!(decode_revert_reason(&hex::decode(bad).expect("hex")), None);
        }
    }
}
