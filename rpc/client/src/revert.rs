//! Revert data as geth and the client libraries print it.

use orac_primitives::U256;

const ERROR_SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
const PANIC_SELECTOR: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];

/// Decodes Solidity's `Error(string)`, or `Panic(uint256)` as geth's text
/// for its code; `None` for anything else (custom errors, raw bytes). Every
/// offset and length comes from a contract and is checked.
pub fn decode_revert_reason(data: &[u8]) -> Option<String> {
    if let Some(code) = data.strip_prefix(&PANIC_SELECTOR) {
        return decode_panic(code);
    }
    let body = data.strip_prefix(&ERROR_SELECTOR)?;
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
    let known = match u64::try_from(code) {
        Ok(0x00) => Some("generic panic"),
        Ok(0x01) => Some("assert(false)"),
        Ok(0x11) => Some("arithmetic underflow or overflow"),
        Ok(0x12) => Some("division or modulo by zero"),
        Ok(0x21) => Some("enum overflow"),
        Ok(0x22) => Some("invalid encoded storage byte array accessed"),
        Ok(0x31) => Some("out-of-bounds array access; popping on an empty array"),
        Ok(0x32) => Some("out-of-bounds access of an array or bytesN"),
        Ok(0x41) => Some("out of memory"),
        Ok(0x51) => Some("uninitialized function"),
        _ => None,
    };
    Some(match known {
        Some(r) => r.to_string(),
        None => format!("unknown panic code: {code:#x}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_string(msg: &str) -> Vec<u8> {
        let mut d = ERROR_SELECTOR.to_vec();
        d.extend_from_slice(&[0u8; 31]);
        d.push(32);
        d.extend_from_slice(&[0u8; 24]);
        d.extend_from_slice(&(msg.len() as u64).to_be_bytes());
        d.extend_from_slice(msg.as_bytes());
        d.resize(4 + 64 + msg.len().div_ceil(32) * 32, 0);
        d
    }

    #[test]
    fn decodes_errors_and_panics() {
        assert_eq!(
            decode_revert_reason(&error_string("no")).as_deref(),
            Some("no")
        );
        let mut panic = PANIC_SELECTOR.to_vec();
        panic.extend_from_slice(&[0u8; 31]);
        panic.push(0x11);
        assert_eq!(
            decode_revert_reason(&panic).as_deref(),
            Some("arithmetic underflow or overflow")
        );
        // A hostile offset: no panic, no answer.
        let mut bad = ERROR_SELECTOR.to_vec();
        bad.extend_from_slice(&[0xff; 64]);
        assert_eq!(decode_revert_reason(&bad), None);
        assert_eq!(decode_revert_reason(&[1, 2, 3]), None);
    }
}
