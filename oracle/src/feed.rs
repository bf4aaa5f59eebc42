//! A feed's configuration: who may sign, how many must, and what answers
//! are believable. docs/oracle.md describes each field.

use alloy_primitives::{Address as AbiAddress, I256, U256 as AbiU256};
use alloy_sol_types::SolValue;
use orac_primitives::alloy::ToAlloy;
use orac_primitives::{H160, H256, keccak256};

use crate::report::Domain;

pub use orac_oracle_abi::report::{MAX_DECIMALS, MAX_SIGNERS};

/// A feed as the registry stores it and nodes read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedConfig {
    /// What is priced, for people ("ETH / USD").
    pub description: String,
    /// Answers are values times 10^decimals, as integers.
    pub decimals: u8,
    /// Authorized observation signers; n >= 3f + 1.
    pub signers: Vec<H160>,
    /// Faulty signers tolerated; a report needs 2f + 1 observations.
    pub f: u8,
    /// Seconds after which nodes report even if the value has not moved.
    pub heartbeat_secs: u64,
    /// Relative change, in parts per billion, that makes nodes report early.
    pub deviation_ppb: u64,
    /// Answers outside [min_answer, max_answer] are not stored.
    pub min_answer: i128,
    /// The upper sanity bound (see `min_answer`).
    pub max_answer: i128,
    /// May reconfigure the feed.
    pub admin: H160,
    /// Bumped by every reconfiguration, so reports signed for an older
    /// configuration stop verifying.
    pub version: u64,
}

/// Why a feed configuration was refused (`createFeed`, `reconfigure`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Fewer than 3f + 1 signers: f faulty ones could block or decide a
    /// quorum.
    #[error("{n} signers cannot tolerate f = {f}: need at least 3f + 1 = {need}")]
    TooFewSigners {
        /// Signers listed.
        n: usize,
        /// Faults to tolerate.
        f: u8,
        /// Signers needed for that f.
        need: usize,
    },
    /// More signers than [`MAX_SIGNERS`].
    #[error("{0} signers, at most {MAX_SIGNERS}")]
    TooManySigners(usize),
    /// A signer listed twice would count twice towards a quorum.
    #[error("signer {0:?} is listed twice")]
    DuplicateSigner(H160),
    /// The zero address listed: no known key signs for it.
    #[error("the zero address cannot sign")]
    ZeroSigner,
    /// No answer could ever be stored.
    #[error("min answer {min} is above max answer {max}")]
    EmptyBounds {
        /// The lower bound given.
        min: i128,
        /// The upper bound given.
        max: i128,
    },
    /// More decimals than [`MAX_DECIMALS`].
    #[error("{0} decimals, at most {MAX_DECIMALS}")]
    TooManyDecimals(u8),
}

impl FeedConfig {
    /// Observations a report needs: 2f + 1, so honest ones outnumber
    /// faulty ones and the median lies between two honest values.
    pub fn quorum(&self) -> usize {
        2 * self.f as usize + 1
    }

    /// Checks what the registry checks before it stores a configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let n = self.signers.len();
        let need = 3 * self.f as usize + 1;
        if n < need {
            return Err(ConfigError::TooFewSigners { n, f: self.f, need });
        }
        if n > MAX_SIGNERS {
            return Err(ConfigError::TooManySigners(n));
        }
        for (i, s) in self.signers.iter().enumerate() {
            if s.is_zero() {
                return Err(ConfigError::ZeroSigner);
            }
            if self.signers[..i].contains(s) {
                return Err(ConfigError::DuplicateSigner(*s));
            }
        }
        if self.min_answer > self.max_answer {
            return Err(ConfigError::EmptyBounds {
                min: self.min_answer,
                max: self.max_answer,
            });
        }
        if self.decimals > MAX_DECIMALS {
            return Err(ConfigError::TooManyDecimals(self.decimals));
        }
        Ok(())
    }

    /// Whether the registry stores `answer` (it announces others instead).
    pub fn in_bounds(&self, answer: i128) -> bool {
        (self.min_answer..=self.max_answer).contains(&answer)
    }

    /// Commits to the chain, the registry, the feed and everything in its
    /// configuration that decides whether a report is valid.
    pub fn digest(&self, domain: &Domain, feed_id: u64) -> H256 {
        let signers: Vec<AbiAddress> = self.signers.iter().map(|s| s.to_alloy()).collect();
        let encoded = (
            AbiU256::from(domain.chain_id),
            domain.registry.to_alloy(),
            feed_id,
            self.version,
            signers,
            AbiU256::from(self.f),
            I256::try_from(self.min_answer).unwrap_or(I256::ZERO),
            I256::try_from(self.max_answer).unwrap_or(I256::ZERO),
        )
            .abi_encode();
        keccak256(&encoded)
    }
}
