//! Observations, reports and the checks the feed registry applies to them.
//! The byte-level format is in docs/oracle.md.
//!
//! An oracle node signs its own observation of a feed; a transmitter puts
//! at least 2f+1 of them from distinct signers into one report. Every check
//! here is what the chain does before a round is stored, so a node can run
//! the same code before it spends gas on a report that would be refused.

use alloy_primitives::{B256, I256, U256 as AbiU256};
use alloy_sol_types::SolValue;
use orac_oracle_abi::report::{AbiObservation, AbiReport};
use orac_primitives::alloy::{ToAlloy, ToOrac};
use orac_primitives::{H160, H256, PrivateKey, Signature, U256, keccak256};

use crate::feed::FeedConfig;

pub use orac_oracle_abi::report::{OBSERVATION_TYPE, RESPONSE_TYPE};

/// What a signature is about: a feed's round, or the answer to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An observation for a feed's next round.
    Round,
    /// An answer to a request: the "round" is the request id.
    Response,
}

impl Kind {
    fn type_hash(self) -> H256 {
        keccak256(match self {
            Kind::Round => OBSERVATION_TYPE.as_bytes(),
            Kind::Response => RESPONSE_TYPE.as_bytes(),
        })
    }
}

/// What one oracle node saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The round observed (the request id, for a response).
    pub round: u64,
    /// Unix seconds at which the node fetched its sources.
    pub observed_at: u64,
    /// The value scaled by the feed's decimals.
    pub value: i128,
}

/// One node's observation as a report carries it: the round, feed and
/// digest are the report's, so only what differs per node is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedObservation {
    /// Unix seconds at which the node fetched its sources.
    pub observed_at: u64,
    /// The value scaled by the feed's decimals.
    pub value: i128,
    /// The node's signature of [`Domain::observation_digest`].
    pub signature: Signature,
}

/// What a transmitter sends the registry: a quorum of signed observations
/// of one round (or request) of one feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The feed reported on.
    pub feed_id: u64,
    /// The feed configuration the observations were signed under
    /// ([`FeedConfig::digest`]).
    pub config_digest: H256,
    /// The round (or request id) observed.
    pub round: u64,
    /// At least a quorum of observations from distinct signers.
    pub observations: Vec<SignedObservation>,
}

/// What a valid report stores as the feed's new round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    /// The round number.
    pub round: u64,
    /// The median of the observed values.
    pub answer: i128,
    /// The median of the observation times.
    pub observed_at: u64,
    /// The signers whose observations made the round, in report order.
    pub signers: Vec<H160>,
}

/// Why a report was refused. Every variant is a revert reason the
/// registry returns, so transmitters and tests can tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The bytes are not a report's canonical ABI encoding, or hold a
    /// value out of range; says what.
    #[error("malformed report: {0}")]
    Malformed(String),
    /// Signed under another configuration (an old one, or another feed's).
    #[error("report is for config {got:?}, the feed's is {want:?}")]
    WrongConfig {
        /// The report's digest.
        got: H256,
        /// The feed's current digest.
        want: H256,
    },
    /// A round already stored (or passed) is reported again.
    #[error("round {got} is not above the last round {last}")]
    StaleRound {
        /// The report's round.
        got: u64,
        /// The last round used.
        last: u64,
    },
    /// Fewer observations than the 2f + 1 quorum.
    #[error("{got} observations, the feed needs at least {need}")]
    TooFewObservations {
        /// Observations in the report.
        got: usize,
        /// The quorum.
        need: usize,
    },
    /// More observations than the feed has signers, so some must repeat.
    #[error("{got} observations, the feed has only {max} signers")]
    TooManyObservations {
        /// Observations in the report.
        got: usize,
        /// The feed's signer count.
        max: usize,
    },
    /// A signature that recovers no key.
    #[error("observation {index}: invalid signature")]
    BadSignature {
        /// Position of the observation in the report.
        index: usize,
    },
    /// A valid signature from a key that is not one of the feed's signers.
    #[error("observation {index}: signer {signer:?} is not authorized for this feed")]
    UnknownSigner {
        /// Position of the observation in the report.
        index: usize,
        /// The recovered signer.
        signer: H160,
    },
    /// Two observations from one signer: it would count twice in the quorum.
    #[error("observation {index}: signer {signer:?} appears twice")]
    DuplicateSigner {
        /// Position of the second observation in the report.
        index: usize,
        /// The repeated signer.
        signer: H160,
    },
    /// Observed before the last round was, so it may be a replayed value.
    #[error("observation {index}: observed at {at}, before the last round's {last}")]
    ObservationTooOld {
        /// Position of the observation in the report.
        index: usize,
        /// Its observation time (unix seconds).
        at: u64,
        /// The earliest time accepted.
        last: u64,
    },
    /// Claims a time further past the block's than clocks drift.
    #[error(
        "observation {index}: observed at {at}, more than {max_ahead}s after the block time {now}"
    )]
    ObservationInFuture {
        /// Position of the observation in the report.
        index: usize,
        /// Its observation time (unix seconds).
        at: u64,
        /// The including block's timestamp.
        now: u64,
        /// The allowance, [`MAX_OBSERVATION_AHEAD_SECS`].
        max_ahead: u64,
    },
}

/// Where the registry lives and which chain it is on: part of every
/// signed digest, so a report for another chain or registry never verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Domain {
    /// The chain's EIP-155 id.
    pub chain_id: u64,
    /// The registry's address.
    pub registry: H160,
}

/// How far past the block's timestamp an observation may claim to be
/// (clocks of oracle nodes and the block producer differ a little).
pub const MAX_OBSERVATION_AHEAD_SECS: u64 = 60;

impl Domain {
    /// The digest a node signs for `obs` of `feed` under `config_digest`.
    pub fn observation_digest(
        &self,
        kind: Kind,
        feed_id: u64,
        config_digest: H256,
        obs: &Observation,
    ) -> H256 {
        let encoded = (
            kind.type_hash().to_alloy(),
            AbiU256::from(self.chain_id),
            self.registry.to_alloy(),
            feed_id,
            config_digest.to_alloy(),
            obs.round,
            obs.observed_at,
            I256::try_from(obs.value).unwrap_or(I256::ZERO),
        )
            .abi_encode();
        keccak256(&encoded)
    }

    /// Signs `obs` with `key`: what a node shares with its peers.
    pub fn sign(
        &self,
        kind: Kind,
        key: &PrivateKey,
        feed_id: u64,
        config_digest: H256,
        obs: &Observation,
    ) -> SignedObservation {
        let digest = self.observation_digest(kind, feed_id, config_digest, obs);
        SignedObservation {
            observed_at: obs.observed_at,
            value: obs.value,
            signature: key.sign_prehash(&digest),
        }
    }

    /// Checks `report` against the feed's configuration and last round and
    /// returns the round it makes. `now` is the including block's
    /// timestamp. Sanity bounds are not checked here: an answer outside them
    /// is a valid report whose round the registry declines to store (see
    /// [`FeedConfig::in_bounds`]).
    pub fn verify(
        &self,
        report: &Report,
        feed: &FeedConfig,
        last: Option<(u64, u64)>,
        now: u64,
    ) -> Result<Round, ReportError> {
        let (last_round, last_time) = last.unwrap_or((0, 0));
        let expect = Expect {
            kind: Kind::Round,
            config_digest: feed.digest(self, report.feed_id),
            quorum: feed.quorum(),
            signers: feed.signers.len(),
            min_round: last_round.saturating_add(1),
            min_time: last_time,
            now,
        };
        let round = self.check(report, &expect)?;
        for (index, signer) in round.signers.iter().enumerate() {
            if !feed.signers.contains(signer) {
                return Err(ReportError::UnknownSigner {
                    index,
                    signer: *signer,
                });
            }
        }
        Ok(round)
    }

    /// Every check but signer membership, which the registry answers from
    /// storage (one lookup per signature rather than reading the whole
    /// signer list): the digest, the round, the count of observations,
    /// their times, and that every signature is valid and from a distinct
    /// signer. Returns the round with the recovered signers in order.
    pub fn check(&self, report: &Report, expect: &Expect) -> Result<Round, ReportError> {
        if report.config_digest != expect.config_digest {
            return Err(ReportError::WrongConfig {
                got: report.config_digest,
                want: expect.config_digest,
            });
        }
        if report.round < expect.min_round {
            return Err(ReportError::StaleRound {
                got: report.round,
                last: expect.min_round.saturating_sub(1),
            });
        }
        let n = report.observations.len();
        if n < expect.quorum {
            return Err(ReportError::TooFewObservations {
                got: n,
                need: expect.quorum,
            });
        }
        if n > expect.signers {
            return Err(ReportError::TooManyObservations {
                got: n,
                max: expect.signers,
            });
        }
        let mut signers = Vec::with_capacity(n);
        for (index, o) in report.observations.iter().enumerate() {
            if o.observed_at < expect.min_time {
                return Err(ReportError::ObservationTooOld {
                    index,
                    at: o.observed_at,
                    last: expect.min_time,
                });
            }
            if o.observed_at > expect.now.saturating_add(MAX_OBSERVATION_AHEAD_SECS) {
                return Err(ReportError::ObservationInFuture {
                    index,
                    at: o.observed_at,
                    now: expect.now,
                    max_ahead: MAX_OBSERVATION_AHEAD_SECS,
                });
            }
            let obs = Observation {
                round: report.round,
                observed_at: o.observed_at,
                value: o.value,
            };
            let digest =
                self.observation_digest(expect.kind, report.feed_id, report.config_digest, &obs);
            let signer = o
                .signature
                .recover(&digest)
                .map_err(|_| ReportError::BadSignature { index })?;
            if signers.contains(&signer) {
                return Err(ReportError::DuplicateSigner { index, signer });
            }
            signers.push(signer);
        }
        let mut values: Vec<i128> = report.observations.iter().map(|o| o.value).collect();
        let mut times: Vec<u64> = report.observations.iter().map(|o| o.observed_at).collect();
        Ok(Round {
            round: report.round,
            answer: median_i128(&mut values),
            observed_at: median_u64(&mut times),
            signers,
        })
    }
}

/// What a report must match: see [`Domain::check`].
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    /// Rounds or responses: the two are signed under different types.
    pub kind: Kind,
    /// The digest the observations must be signed under.
    pub config_digest: H256,
    /// Observations needed (2f + 1).
    pub quorum: usize,
    /// Authorized signers (n): no report can hold more observations.
    pub signers: usize,
    /// The lowest acceptable round (or the request id, for a response).
    pub min_round: u64,
    /// No observation may be older (the last round's observation time, or
    /// the time a request was made).
    pub min_time: u64,
    /// The including block's timestamp.
    pub now: u64,
}

/// The lower median: with 2f+1 or more values of which at most f lie, it
/// lies between two honest values.
fn median_i128(v: &mut [i128]) -> i128 {
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

fn median_u64(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

impl Report {
    /// The Solidity ABI encoding: `abi.encode(AbiReport)`.
    pub fn abi_encode(&self) -> Vec<u8> {
        AbiReport {
            feedId: self.feed_id,
            configDigest: self.config_digest.to_alloy(),
            round: self.round,
            observations: self
                .observations
                .iter()
                .map(|o| AbiObservation {
                    observedAt: o.observed_at,
                    value: I256::try_from(o.value).unwrap_or(I256::ZERO),
                    r: B256::from(o.signature.r.to_big_endian()),
                    s: B256::from(o.signature.s.to_big_endian()),
                    v: 27 + o.signature.y_parity as u8,
                })
                .collect(),
        }
        .abi_encode()
    }

    /// Decodes and range-checks what [`Report::abi_encode`] wrote. Input is
    /// hostile: anything that does not decode exactly, a value beyond i128,
    /// or a `v` other than 27/28 is refused.
    pub fn abi_decode(data: &[u8]) -> Result<Self, ReportError> {
        let r = AbiReport::abi_decode(data).map_err(|e| ReportError::Malformed(e.to_string()))?;
        // The decoder tolerates dirty high bytes in narrow words and bytes
        // past the end; one report must have one encoding, so anything but
        // the exact re-encoding is refused (found by the report fuzz target).
        if r.abi_encode() != data {
            return Err(ReportError::Malformed(
                "not the canonical ABI encoding of a report".into(),
            ));
        }
        let observations = r
            .observations
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let value = i128::try_from(o.value).map_err(|_| {
                    ReportError::Malformed(format!("observation {i}: value out of range"))
                })?;
                let y_parity = match o.v {
                    27 => false,
                    28 => true,
                    v => return Err(ReportError::Malformed(format!("observation {i}: v = {v}"))),
                };
                Ok(SignedObservation {
                    observed_at: o.observedAt,
                    value,
                    signature: Signature {
                        r: U256::from_big_endian(o.r.as_slice()),
                        s: U256::from_big_endian(o.s.as_slice()),
                        y_parity,
                    },
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Report {
            feed_id: r.feedId,
            config_digest: r.configDigest.to_orac(),
            round: r.round,
            observations,
        })
    }
}
