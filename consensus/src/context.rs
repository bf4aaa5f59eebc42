//! [`OracContext`]: the types Malachite runs consensus over, and the two
//! rules it leaves to the application: who proposes, and how proposals and
//! votes are built.

use malachitebft_core_types::{self as mc, LinearTimeouts, NilOrVal, Round, VoteType};

use crate::messages::{Proposal, ProposalPart, Vote};
use crate::signing::Ed25519;
use crate::types::{Address, BlockHash, Height, Validator, ValidatorSet};

/// orac's consensus context (stateless: everything it needs is in its
/// arguments).
#[derive(Clone, Copy, Debug, Default)]
pub struct OracContext;

impl mc::Context for OracContext {
    type Address = Address;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = BlockHash;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = Ed25519;

    /// Round robin over the validators in address order, shifted by one
    /// per height and per round: every validator proposes in turn, and a
    /// round that times out moves to the next one. Equal voting power is
    /// what `orac testnet init` writes; weighting by power (CometBFT's
    /// priority queue) is not needed until powers differ.
    fn select_proposer<'a>(
        &self,
        validator_set: &'a ValidatorSet,
        height: Height,
        round: Round,
    ) -> &'a Validator {
        let validators = validator_set.validators();
        let round = round.as_u32().unwrap_or(0) as u64;
        // A validator set is never empty (`ValidatorSet::new`).
        let index = height.0.wrapping_add(round) % validators.len() as u64;
        &validators[index as usize]
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockHash,
        pol_round: Round,
        address: Address,
    ) -> Proposal {
        Proposal {
            height,
            round,
            value,
            pol_round,
            validator_address: address,
        }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BlockHash>,
        address: Address,
    ) -> Vote {
        vote(VoteType::Prevote, height, round, value_id, address)
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BlockHash>,
        address: Address,
    ) -> Vote {
        vote(VoteType::Precommit, height, round, value_id, address)
    }
}

fn vote(
    typ: VoteType,
    height: Height,
    round: Round,
    value: NilOrVal<BlockHash>,
    validator_address: Address,
) -> Vote {
    Vote {
        typ,
        height,
        round,
        value,
        validator_address,
        extension: None,
    }
}
