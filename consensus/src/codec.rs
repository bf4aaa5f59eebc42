//! The wire and WAL encoding: borsh for every message Malachite sends or
//! logs. borsh is canonical (one encoding per value, checked on decode:
//! `de_strict_order`, trailing bytes refused) and bounds what a length
//! prefix can make it preallocate, so hostile bytes cost at most their own
//! size. Malachite's crates carry the borsh impls of their own types
//! (feature `borsh`); ours derive them.

use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use malachitebft_app_channel::app::consensus::LivenessMsg;
use malachitebft_app_channel::app::streaming::StreamMessage;
use malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use malachitebft_app_channel::app::types::{ProposedValue, SignedConsensusMsg};
use malachitebft_codec::{Codec, HasEncodedLen};
use malachitebft_core_types::{
    ExtendedCommitCertificate, ExtendedCommitSignature, PolkaCertificate, Round, SignedExtension,
    ValidatorProof,
};
use malachitebft_sync::ValueResponse;

use crate::context::OracContext;
use crate::messages::ProposalPart;
use crate::signing::Signature;
use crate::types::{Address, BlockHash, Height};

/// The codec for the network, value sync and the WAL.
#[derive(Clone, Copy, Debug, Default)]
pub struct BorshCodec;

/// A message that is not the borsh encoding of what was expected.
#[derive(Debug, thiserror::Error)]
#[error("undecodable consensus message: {0}")]
pub struct CodecError(#[from] borsh::io::Error);

macro_rules! borsh_codec {
    ($($t:ty),* $(,)?) => {$(
        impl Codec<$t> for BorshCodec {
            type Error = CodecError;

            fn decode(&self, bytes: Bytes) -> Result<$t, CodecError> {
                Ok(borsh::from_slice(&bytes)?)
            }

            fn encode(&self, msg: &$t) -> Result<Bytes, CodecError> {
                Ok(Bytes::from(borsh::to_vec(msg)?))
            }
        }
    )*};
}

borsh_codec!(
    ProposalPart,
    SignedConsensusMsg<OracContext>,
    LivenessMsg<OracContext>,
    StreamMessage<ProposalPart>,
    Status<OracContext>,
    Request<OracContext>,
    ProposedValue<OracContext>,
    PolkaCertificate<OracContext>,
);

/// A value-sync response as it goes on the wire. Malachite's
/// `ExtendedCommitCertificate` has no borsh impl, so the response is
/// written field by field.
#[derive(BorshSerialize, BorshDeserialize)]
struct ResponseWire {
    start_height: Height,
    values: Vec<DecidedWire>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct DecidedWire {
    value_bytes: Bytes,
    height: Height,
    round: Round,
    value_id: BlockHash,
    signatures: Vec<(Address, Signature, Option<SignedExtension<OracContext>>)>,
}

impl ResponseWire {
    fn of(msg: &Response<OracContext>) -> Self {
        let Response::ValueResponse(r) = msg;
        ResponseWire {
            start_height: r.start_height,
            values: r
                .values
                .iter()
                .map(|v| DecidedWire {
                    value_bytes: v.value_bytes.clone(),
                    height: v.certificate.height,
                    round: v.certificate.round,
                    value_id: v.certificate.value_id,
                    signatures: v
                        .certificate
                        .commit_signatures
                        .iter()
                        .map(|s| (s.address, s.signature, s.extension.clone()))
                        .collect(),
                })
                .collect(),
        }
    }

    fn into_response(self) -> Response<OracContext> {
        let values = self
            .values
            .into_iter()
            .map(|v| RawDecidedValue {
                value_bytes: v.value_bytes,
                certificate: ExtendedCommitCertificate {
                    height: v.height,
                    round: v.round,
                    value_id: v.value_id,
                    commit_signatures: v
                        .signatures
                        .into_iter()
                        .map(|(a, s, e)| ExtendedCommitSignature::new(a, s, e))
                        .collect(),
                },
            })
            .collect();
        Response::ValueResponse(ValueResponse::new(self.start_height, values))
    }
}

impl Codec<Response<OracContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<Response<OracContext>, CodecError> {
        Ok(borsh::from_slice::<ResponseWire>(&bytes)?.into_response())
    }

    fn encode(&self, msg: &Response<OracContext>) -> Result<Bytes, CodecError> {
        Ok(Bytes::from(borsh::to_vec(&ResponseWire::of(msg))?))
    }
}

impl HasEncodedLen<Response<OracContext>> for BorshCodec {
    fn encoded_len(&self, msg: &Response<OracContext>) -> Result<usize, CodecError> {
        Ok(borsh::object_length(&ResponseWire::of(msg))?)
    }
}

/// Malachite's validator proof has no borsh impl of its own: encoded here
/// as its three fields.
#[derive(BorshSerialize, BorshDeserialize)]
struct ProofFields {
    public_key: Vec<u8>,
    peer_id: Vec<u8>,
    signature: Signature,
}

impl Codec<ValidatorProof<OracContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<ValidatorProof<OracContext>, CodecError> {
        let p: ProofFields = borsh::from_slice(&bytes)?;
        Ok(ValidatorProof::new(p.public_key, p.peer_id, p.signature))
    }

    fn encode(&self, proof: &ValidatorProof<OracContext>) -> Result<Bytes, CodecError> {
        let fields = ProofFields {
            public_key: proof.public_key.clone(),
            peer_id: proof.peer_id.clone(),
            signature: proof.signature,
        };
        Ok(Bytes::from(borsh::to_vec(&fields)?))
    }
}
