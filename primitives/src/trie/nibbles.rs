//! Nibble paths and the hex-prefix encoding of the Yellow Paper (appendix C).

/// Splits bytes into 4-bit nibbles, high nibble first.
pub(crate) fn to_nibbles(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() * 2);
    for b in key {
        out.push(b >> 4);
        out.push(b & 0x0f);
    }
    out
}

/// Length of the common prefix of two nibble paths.
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Hex-prefix encodes a nibble path, flagging leaves.
pub(crate) fn encode_path(nibbles: &[u8], leaf: bool) -> Vec<u8> {
    let odd = nibbles.len() % 2 == 1;
    let flag = (if leaf { 2 } else { 0 }) + odd as u8;
    let mut out = Vec::with_capacity(nibbles.len() / 2 + 1);
    let rest = if odd {
        out.push((flag << 4) | nibbles[0]);
        &nibbles[1..]
    } else {
        out.push(flag << 4);
        nibbles
    };
    for pair in rest.chunks(2) {
        out.push((pair[0] << 4) | pair[1]);
    }
    out
}

/// Decodes a hex-prefix path into (nibbles, is_leaf). `None` if malformed.
pub(crate) fn decode_path(bytes: &[u8]) -> Option<(Vec<u8>, bool)> {
    let first = *bytes.first()?;
    let flag = first >> 4;
    if flag > 3 {
        return None;
    }
    let leaf = flag & 2 != 0;
    let odd = flag & 1 != 0;
    let mut nibbles = Vec::with_capacity(bytes.len() * 2);
    if odd {
        nibbles.push(first & 0x0f);
    } else if first & 0x0f != 0 {
        return None;
    }
    nibbles.extend(to_nibbles(&bytes[1..]));
    Some((nibbles, leaf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_prefix_examples() {
        // The Yellow Paper's examples.
        assert_eq!(encode_path(&[1, 2, 3, 4, 5], false), vec![0x11, 0x23, 0x45]);
        assert_eq!(
            encode_path(&[0, 1, 2, 3, 4, 5], false),
            vec![0x00, 0x01, 0x23, 0x45]
        );
        assert_eq!(
            encode_path(&[0, 0xf, 1, 0xc, 0xb, 8], true),
            vec![0x20, 0x0f, 0x1c, 0xb8]
        );
        assert_eq!(
            encode_path(&[0xf, 1, 0xc, 0xb, 8], true),
            vec![0x3f, 0x1c, 0xb8]
        );
        for (path, leaf) in [(vec![1, 2, 3], true), (vec![], false), (vec![9, 9], true)] {
            assert_eq!(decode_path(&encode_path(&path, leaf)), Some((path, leaf)));
        }
        assert_eq!(decode_path(&[0x45]), None);
        assert_eq!(decode_path(&[0x01]), None);
    }
}
