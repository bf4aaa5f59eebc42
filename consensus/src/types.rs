//! The values consensus orders: heights, validator addresses, block hashes
//! and the validator set.
//!
//! Consensus decides a *block hash* per height; the block itself travels
//! beside it as proposal parts (see [`crate::stream`]) and through value
//! sync, and is checked by executing it ([`crate::app`]).

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use malachitebft_core_types as mc;
use orac_primitives::{H256, keccak256};

use crate::context::OracContext;
use crate::signing::PublicKey;

/// A block number, as consensus counts heights: height N decides block N
/// (genesis is block 0 and is never decided).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mc::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: the last 20 bytes of the Keccak-256 of its
/// Ed25519 public key, written as Ethereum addresses are, so logs and the
/// chain spec read alike. It names a consensus key, not an account.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The address of this consensus key.
    pub fn of(key: &PublicKey) -> Self {
        let digest = keccak256(key.as_bytes());
        let mut a = [0u8; 20];
        a.copy_from_slice(&digest.as_bytes()[12..]);
        Address(a)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl mc::Address for Address {}

/// The value consensus decides: the hash of a block's header (its
/// Ethereum block hash). It is also the value's id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct BlockHash(pub [u8; 32]);

impl BlockHash {
    /// As the chain's hash type.
    pub fn h256(&self) -> H256 {
        H256(self.0)
    }
}

impl From<H256> for BlockHash {
    fn from(h: H256) -> Self {
        BlockHash(h.0)
    }
}

impl fmt::Display for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl mc::Value for BlockHash {
    type Id = BlockHash;

    fn id(&self) -> BlockHash {
        *self
    }
}

/// One validator: its key and voting power.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    /// Derived from the key ([`Address::of`]).
    pub address: Address,
    /// The key its votes and proposals are signed with.
    pub public_key: PublicKey,
    /// Its weight in every quorum.
    pub voting_power: u64,
}

impl Validator {
    /// A validator with this key and power.
    pub fn new(public_key: PublicKey, voting_power: u64) -> Self {
        Validator {
            address: Address::of(&public_key),
            public_key,
            voting_power,
        }
    }
}

impl mc::Validator<OracContext> for Validator {
    fn address(&self) -> &Address {
        &self.address
    }

    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn voting_power(&self) -> u64 {
        self.voting_power
    }
}

/// The validators, sorted by address (lookups are binary searches; the
/// order is the proposer rotation's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
}

/// Why a validator set cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidatorSetError {
    /// No validator at all: nothing could ever be decided.
    #[error("the validator set is empty")]
    Empty,
    /// The same key twice would count its votes twice.
    #[error("validator {0} appears twice")]
    Duplicate(Address),
    /// A validator without power cannot vote.
    #[error("validator {0} has no voting power")]
    NoPower(Address),
    /// Quorum arithmetic is done in u64.
    #[error("total voting power overflows")]
    Overflow,
}

impl ValidatorSet {
    /// Checks and sorts the validators.
    pub fn new(mut validators: Vec<Validator>) -> Result<Self, ValidatorSetError> {
        if validators.is_empty() {
            return Err(ValidatorSetError::Empty);
        }
        validators.sort_by_key(|v| v.address);
        let mut total = 0u64;
        for (i, v) in validators.iter().enumerate() {
            if v.voting_power == 0 {
                return Err(ValidatorSetError::NoPower(v.address));
            }
            if i > 0 && validators[i - 1].address == v.address {
                return Err(ValidatorSetError::Duplicate(v.address));
            }
            total = total
                .checked_add(v.voting_power)
                .ok_or(ValidatorSetError::Overflow)?;
        }
        Ok(ValidatorSet { validators })
    }

    /// The validators, by address.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }
}

impl mc::ValidatorSet<OracContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> u64 {
        // Checked in `new`.
        self.validators.iter().map(|v| v.voting_power).sum()
    }

    fn get_by_address(&self, address: &Address) -> Option<&Validator> {
        self.validators
            .binary_search_by_key(address, |v| v.address)
            .ok()
            .map(|i| &self.validators[i])
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}
