//! secp256k1 signatures as Ethereum uses them: recoverable, low-s, and
//! addresses derived from the public key.

use k256::ecdsa::{SigningKey, VerifyingKey};
use primitive_types::{H160, H256, U256};

use crate::hash::keccak256;

/// Half the secp256k1 group order: EIP-2 rejects signatures with s above it.
const SECP256K1_HALF_N: U256 = U256([
    0xdfe92f46681b20a0,
    0x5d576e7357a4501d,
    0xffffffffffffffff,
    0x7fffffffffffffff,
]);

/// The secp256k1 group order n.
const SECP256K1_N: U256 = U256([
    0xbfd25e8cd0364141,
    0xbaaedce6af48a03b,
    0xfffffffffffffffe,
    0xffffffffffffffff,
]);

/// Why a signature or key is refused.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// r or s is zero, not below the group order, or s is in the upper half.
    #[error("invalid transaction v, r, s values")]
    InvalidValues,
    /// The signature does not recover to any public key.
    #[error("invalid signature: recovery failed")]
    RecoveryFailed,
    /// The bytes are not a valid secp256k1 private key.
    #[error("invalid private key")]
    InvalidKey,
}

/// An ECDSA signature with the parity bit needed to recover the signer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The signature's `r`.
    pub r: U256,
    /// The signature's `s` (in the lower half of the order: EIP-2).
    pub s: U256,
    /// Which of the two points with x = `r` signed: what recovery needs.
    pub y_parity: bool,
}

impl Signature {
    /// Checks the ranges EIP-2 demands (1 <= r < n, 1 <= s <= n/2).
    pub fn validate(&self) -> Result<(), SignatureError> {
        if self.r.is_zero()
            || self.r >= SECP256K1_N
            || self.s.is_zero()
            || self.s > SECP256K1_HALF_N
        {
            return Err(SignatureError::InvalidValues);
        }
        Ok(())
    }

    /// Recovers the address that produced this signature over `prehash`.
    /// Uses libsecp256k1, the fastest and most scrutinised implementation;
    /// ranges are checked first, so malleable (high-s) signatures never
    /// reach it.
    pub fn recover(&self, prehash: &H256) -> Result<H160, SignatureError> {
        use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
        self.validate()?;
        let mut bytes = [0u8; 64];
        self.r.write_as_big_endian(&mut bytes[..32]);
        self.s.write_as_big_endian(&mut bytes[32..]);
        let recid = RecoveryId::try_from(self.y_parity as i32)
            .map_err(|_| SignatureError::InvalidValues)?;
        let sig = RecoverableSignature::from_compact(&bytes, recid)
            .map_err(|_| SignatureError::InvalidValues)?;
        let key = sig
            .recover_ecdsa(secp256k1::Message::from_digest(prehash.0))
            .map_err(|_| SignatureError::RecoveryFailed)?;
        let point = key.serialize_uncompressed();
        Ok(H160::from_slice(&keccak256(&point[1..]).as_bytes()[12..]))
    }
}

/// The Ethereum address of a public key: the last 20 bytes of
/// keccak(uncompressed point without its 0x04 prefix).
pub fn public_key_to_address(key: &VerifyingKey) -> H160 {
    let point = key.to_sec1_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    H160::from_slice(&hash.as_bytes()[12..])
}

/// A secp256k1 private key that signs transactions and observations.
#[derive(Clone)]
pub struct PrivateKey {
    key: SigningKey,
    address: H160,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material by accident.
        write!(f, "PrivateKey({:?})", self.address)
    }
}

impl PrivateKey {
    /// A key from its 32 big-endian bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SignatureError> {
        let key = SigningKey::from_slice(bytes).map_err(|_| SignatureError::InvalidKey)?;
        let address = public_key_to_address(key.verifying_key());
        Ok(Self { key, address })
    }

    /// Parses a 32-byte key written as hex, with or without `0x`.
    pub fn from_hex(s: &str) -> Result<Self, SignatureError> {
        let bytes = crate::from_hex(s.trim()).map_err(|_| SignatureError::InvalidKey)?;
        Self::from_bytes(&bytes)
    }

    /// The address the key signs for.
    pub fn address(&self) -> H160 {
        self.address
    }

    /// The key's 32 big-endian bytes (secret: never log them).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes().into()
    }

    /// Signs a 32-byte digest deterministically (RFC 6979), always low-s.
    pub fn sign_prehash(&self, prehash: &H256) -> Signature {
        let (sig, recid) = self.key.sign_prehash_recoverable(prehash.as_bytes());
        let bytes = sig.to_bytes();
        let r = U256::from_big_endian(&bytes[..32]);
        let mut s = U256::from_big_endian(&bytes[32..]);
        let mut y_parity = recid.is_y_odd();
        if s > SECP256K1_HALF_N {
            // Negating s mirrors R, which flips the parity of its y.
            s = SECP256K1_N - s;
            y_parity = !y_parity;
        }
        Signature { r, s, y_parity }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_recover_roundtrip() {
        let key = PrivateKey::from_bytes(&[0x46; 32]).unwrap();
        // EIP-155's example key.
        assert_eq!(
            format!("{:?}", key.address()),
            "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f"
        );
        for i in 0..32u8 {
            let digest = keccak256([i]);
            let sig = key.sign_prehash(&digest);
            assert!(sig.s <= SECP256K1_HALF_N);
            assert_eq!(sig.recover(&digest).unwrap(), key.address());
        }
    }

    #[test]
    fn high_s_is_rejected() {
        let key = PrivateKey::from_bytes(&[0x11; 32]).unwrap();
        let digest = keccak256(b"malleable");
        let sig = key.sign_prehash(&digest);
        let flipped = Signature {
            r: sig.r,
            s: SECP256K1_N - sig.s,
            y_parity: !sig.y_parity,
        };
        assert_eq!(flipped.recover(&digest), Err(SignatureError::InvalidValues));
        let zero = Signature {
            r: U256::zero(),
            ..sig
        };
        assert_eq!(zero.recover(&digest), Err(SignatureError::InvalidValues));
    }

    #[test]
    fn half_n_constant() {
        assert_eq!(SECP256K1_HALF_N, SECP256K1_N / 2);
    }
}
