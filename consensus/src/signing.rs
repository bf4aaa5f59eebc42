//! Consensus keys: Ed25519 with ZIP-215 verification (the `ed25519-consensus`
//! crate, as CometBFT and Malachite's own scheme), so every validator accepts
//! exactly the same signatures. Wrapped here because the wire codec (borsh)
//! must be implemented on the key and signature types.
//!
//! What is signed is a domain tag and the borsh encoding of the message
//! (see [`crate::messages`]); votes and proposals can never be confused
//! with one another or with a validator proof.

use async_trait::async_trait;
use borsh::{BorshDeserialize, BorshSerialize};
use malachitebft_core_types::{
    self as mc, SignedExtension, SignedProposal, SignedVote, ValidatorProof, VoteExtensionScope,
};
use malachitebft_signing::{Error, Signer, VerificationResult, Verifier};
use serde::{Deserialize, Serialize};

use crate::context::OracContext;
use crate::messages::{Proposal, Vote};

/// The signing scheme consensus messages use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519;

/// Why key or signature bytes were refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid Ed25519 {what}")]
pub struct KeyError {
    what: &'static str,
}

/// A validator's public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PublicKey(ed25519_consensus::VerificationKeyBytes);

impl PublicKey {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Checks that the bytes are a point on the curve.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        ed25519_consensus::VerificationKey::try_from(bytes)
            .map(|k| PublicKey(k.into()))
            .map_err(|_| KeyError { what: "public key" })
    }

    /// Whether `signature` signs `msg` under this key.
    pub fn verify(&self, msg: &[u8], signature: &Signature) -> bool {
        ed25519_consensus::VerificationKey::try_from(self.0)
            .and_then(|k| k.verify(&signature.0, msg))
            .is_ok()
    }
}

/// A signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature(ed25519_consensus::Signature);

impl Signature {
    /// The 64 bytes.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }
}

impl PartialOrd for Signature {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Signature {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.to_bytes().cmp(&other.to_bytes())
    }
}

/// A validator's private key. Its file holds the 32-byte seed as hex.
#[derive(Clone)]
pub struct PrivateKey(ed25519_consensus::SigningKey);

impl PrivateKey {
    /// A new key from the operating system's randomness.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)?;
        Ok(Self::from_seed(seed))
    }

    /// The key with this seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        PrivateKey(ed25519_consensus::SigningKey::from(seed))
    }

    /// The seed, to write to the key file.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Its public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verification_key().into())
    }

    /// Signs `msg`.
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature(self.0.sign(msg))
    }
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({:?})", self.public_key())
    }
}

impl mc::SigningScheme for Ed25519 {
    type DecodingError = KeyError;
    type Signature = Signature;
    type PublicKey = PublicKey;
    type PrivateKey = PrivateKey;

    fn decode_signature(bytes: &[u8]) -> Result<Signature, KeyError> {
        <[u8; 64]>::try_from(bytes)
            .map(|b| Signature(ed25519_consensus::Signature::from(b)))
            .map_err(|_| KeyError { what: "signature" })
    }

    fn encode_signature(signature: &Signature) -> Vec<u8> {
        signature.to_bytes().to_vec()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let b = <[u8; 32]>::try_from(bytes).map_err(|_| KeyError { what: "public key" })?;
        PublicKey::from_bytes(b)
    }

    fn encode_public_key(key: &PublicKey) -> Vec<u8> {
        key.as_bytes().to_vec()
    }
}

impl BorshSerialize for PublicKey {
    fn serialize<W: borsh::io::Write>(&self, w: &mut W) -> borsh::io::Result<()> {
        w.write_all(self.as_bytes())
    }
}

impl BorshDeserialize for PublicKey {
    fn deserialize_reader<R: borsh::io::Read>(r: &mut R) -> borsh::io::Result<Self> {
        let bytes = <[u8; 32]>::deserialize_reader(r)?;
        PublicKey::from_bytes(bytes)
            .map_err(|e| borsh::io::Error::new(borsh::io::ErrorKind::InvalidData, e.to_string()))
    }
}

impl BorshSerialize for Signature {
    fn serialize<W: borsh::io::Write>(&self, w: &mut W) -> borsh::io::Result<()> {
        w.write_all(&self.to_bytes())
    }
}

impl BorshDeserialize for Signature {
    fn deserialize_reader<R: borsh::io::Read>(r: &mut R) -> borsh::io::Result<Self> {
        let bytes = <[u8; 64]>::deserialize_reader(r)?;
        Ok(Signature(ed25519_consensus::Signature::from(bytes)))
    }
}

/// Public keys are written as `0x`-hex in the chain spec.
impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(self.as_bytes())))
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        let bytes = hex::decode(s.trim_start_matches("0x")).map_err(serde::de::Error::custom)?;
        let bytes = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| serde::de::Error::custom("an Ed25519 public key is 32 bytes"))?;
        PublicKey::from_bytes(bytes).map_err(serde::de::Error::custom)
    }
}

/// Domain tags: the first bytes of everything a validator signs.
pub(crate) mod domain {
    pub(crate) const VOTE: &[u8] = b"orac/consensus/vote/v1";
    pub(crate) const PROPOSAL: &[u8] = b"orac/consensus/proposal/v1";
    pub(crate) const EXTENSION: &[u8] = b"orac/consensus/extension/v1";
}

fn extension_bytes(scope: &VoteExtensionScope<OracContext>) -> Vec<u8> {
    let mut bytes = domain::EXTENSION.to_vec();
    let fields = (
        scope.height,
        scope.round.as_i64(),
        scope.value_id,
        scope.validator_address,
    );
    // Writing to a Vec cannot fail.
    let _ = BorshSerialize::serialize(&fields, &mut bytes);
    bytes
}

/// Checks signatures; holds no key.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ed25519Verifier;

#[async_trait]
impl Verifier<OracContext> for Ed25519Verifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, Error> {
        Ok(VerificationResult::from_bool(
            public_key.verify(&vote.sign_bytes(), signature),
        ))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, Error> {
        Ok(VerificationResult::from_bool(
            public_key.verify(&proposal.sign_bytes(), signature),
        ))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<OracContext>,
        _extension: &(),
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, Error> {
        Ok(VerificationResult::from_bool(
            public_key.verify(&extension_bytes(scope), signature),
        ))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<OracContext>,
    ) -> Result<VerificationResult, Error> {
        let key = proof
            .decoded_public_key()
            .map_err(|e| Error::from_source(e.to_string()))?;
        Ok(VerificationResult::from_bool(
            key.verify(&proof.preimage(), &proof.signature),
        ))
    }
}

/// Signs with a validator's key.
#[derive(Clone, Debug)]
pub struct Ed25519Signer {
    key: PrivateKey,
}

impl Ed25519Signer {
    /// A signer with this key.
    pub fn new(key: PrivateKey) -> Self {
        Ed25519Signer { key }
    }
}

#[async_trait]
impl Signer<OracContext> for Ed25519Signer {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedVote<OracContext>, Error> {
        let signature = self.key.sign(&vote.sign_bytes());
        Ok(SignedVote::new(vote, signature))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedProposal<OracContext>, Error> {
        let signature = self.key.sign(&proposal.sign_bytes());
        Ok(SignedProposal::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<OracContext>,
        extension: (),
    ) -> Result<SignedExtension<OracContext>, Error> {
        let signature = self.key.sign(&extension_bytes(&scope));
        Ok(SignedExtension::new(extension, signature))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<OracContext>, Error> {
        let preimage = ValidatorProof::<OracContext>::signing_bytes(&public_key, &peer_id);
        let signature = self.key.sign(&preimage);
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}
