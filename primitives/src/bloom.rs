//! The 2048-bit log bloom filter of receipts and headers.

use primitive_types::H160;
use rlp::{Decodable, DecoderError, Encodable, Rlp, RlpStream};

use crate::hash::keccak256;

/// A 256-byte bloom filter as defined in the Yellow Paper (M3:2048).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Bloom(pub [u8; 256]);

impl Default for Bloom {
    fn default() -> Self {
        Bloom([0u8; 256])
    }
}

impl std::fmt::Debug for Bloom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl Bloom {
    /// Sets the three bits selected by keccak(`input`).
    pub fn accrue(&mut self, input: &[u8]) {
        for (byte, bit) in Self::positions(input) {
            self.0[byte] |= bit;
        }
    }

    /// Adds an emitting contract's address to the filter.
    pub fn accrue_address(&mut self, address: &H160) {
        self.accrue(address.as_bytes());
    }

    /// Adds every bit of `other` (a receipt's bloom into its block's).
    pub fn accrue_bloom(&mut self, other: &Bloom) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a |= *b;
        }
    }

    /// True if `input` may have been added (no false negatives).
    pub fn contains_input(&self, input: &[u8]) -> bool {
        Self::positions(input).all(|(byte, bit)| self.0[byte] & bit != 0)
    }

    fn positions(input: &[u8]) -> impl Iterator<Item = (usize, u8)> {
        let h = keccak256(input);
        (0..3).map(move |i| {
            let v = (((h.0[2 * i] as usize) << 8) | h.0[2 * i + 1] as usize) & 2047;
            (255 - v / 8, 1u8 << (v % 8))
        })
    }
}

impl Encodable for Bloom {
    fn rlp_append(&self, s: &mut RlpStream) {
        s.encoder().encode_value(&self.0);
    }
}

impl Decodable for Bloom {
    fn decode(rlp: &Rlp) -> Result<Self, DecoderError> {
        rlp.decoder().decode_value(|b| {
            <[u8; 256]>::try_from(b)
                .map(Bloom)
                .map_err(|_| DecoderError::Custom("bloom must be 256 bytes"))
        })
    }
}
