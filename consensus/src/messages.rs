//! What validators sign and gossip: proposals, votes, and the parts a
//! proposed block is streamed in.

use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use malachitebft_core_types::{self as mc, NilOrVal, Round, SignedExtension, VoteType};

use crate::context::OracContext;
use crate::signing::domain;
use crate::types::{Address, BlockHash, Height};

/// "At this height and round, I propose the block with this hash."
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
    /// The height (block number).
    pub height: Height,
    /// The round within the height.
    pub round: Round,
    /// The proposed block's hash.
    pub value: BlockHash,
    /// The round the value was locked in, if re-proposed (Tendermint's
    /// proof-of-lock round); `Nil` for a new block.
    pub pol_round: Round,
    /// The proposer.
    pub validator_address: Address,
}

impl Proposal {
    /// The bytes the proposer signs.
    pub fn sign_bytes(&self) -> Vec<u8> {
        let mut bytes = domain::PROPOSAL.to_vec();
        // Writing to a Vec cannot fail.
        let _ = BorshSerialize::serialize(self, &mut bytes);
        bytes
    }
}

impl mc::Proposal<OracContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockHash {
        &self.value
    }

    fn take_value(self) -> BlockHash {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &Address {
        &self.validator_address
    }
}

/// A prevote or precommit for a block hash, or for nil.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Vote {
    /// Prevote or precommit.
    pub typ: VoteType,
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The block voted for, or nil.
    pub value: NilOrVal<BlockHash>,
    /// The voter.
    pub validator_address: Address,
    /// Vote extensions are disabled ([`crate::app`] says so at every
    /// height), so this stays `None`; it exists because Malachite's vote
    /// type must be able to carry one.
    pub extension: Option<SignedExtension<OracContext>>,
}

impl Vote {
    /// The bytes the voter signs: everything but the extension, which
    /// carries its own signature.
    pub fn sign_bytes(&self) -> Vec<u8> {
        let mut bytes = domain::VOTE.to_vec();
        let fields = (
            self.typ,
            self.height,
            self.round,
            self.value,
            self.validator_address,
        );
        // Writing to a Vec cannot fail.
        let _ = BorshSerialize::serialize(&fields, &mut bytes);
        bytes
    }
}

impl mc::Vote<OracContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockHash> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockHash> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.typ
    }

    fn validator_address(&self) -> &Address {
        &self.validator_address
    }

    fn extension(&self) -> Option<&SignedExtension<OracContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<OracContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<OracContext>) -> Self {
        Vote {
            extension: Some(extension),
            ..self
        }
    }
}

/// A piece of a proposed block as it is streamed: a header naming the
/// height, round and proposer, then the RLP-encoded block in chunks, then
/// the end. Consensus matches the reassembled block's hash against the
/// proposer's signed [`Proposal`], so the parts themselves need no
/// signature.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ProposalPart {
    /// Opens the stream.
    Init {
        /// The height.
        height: Height,
        /// The round this stream proposes in.
        round: Round,
        /// The round the block was first proposed in, when re-proposed.
        valid_round: Round,
        /// Who proposes it.
        proposer: Address,
        /// Total length of the encoded block, checked against the limit
        /// before any chunk is kept.
        total_len: u32,
    },
    /// A chunk of the encoded block.
    Data(Bytes),
    /// Closes the stream.
    Fin,
}

impl mc::ProposalPart<OracContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, ProposalPart::Init { .. })
    }

    fn is_last(&self) -> bool {
        matches!(self, ProposalPart::Fin)
    }
}
