//! Oracle feeds in tests: a [`TestFeed`] is a real feed in the chain's
//! registry with deterministic signer keys held by the test, so a test
//! moves a price with one line and the registry checks the report — and
//! calls back subscribers — exactly as it does for real oracle nodes.
//!
//! ```ignore
//! let mut chain = TestChain::new();
//! let mut eth_usd = TestFeed::create(&mut chain, 4, 1, 8); // 4 signers, f = 1, 8 decimals
//! let r = eth_usd.push(&mut chain, 300_000_000_000);       // round 1: 3000.00000000
//! assert!(r.success);
//! chain.advance(60);
//! eth_usd.push(&mut chain, 295_000_000_000);               // round 2, observed a minute later
//! ```
//!
//! Dev account 9 creates every test feed (it is their admin) and
//! transmits every round, so it pays the transmissions' gas and collects
//! subscribers' callback fees: keep it out of balance checks, or pick
//! another with [`TestFeed::set_transmitter`].

use alloy_primitives::{Address, Bytes, I256, U256};
use alloy_sol_types::SolCall;
use orac_oracle::abi::{FeedParams, IOracleRegistry as I, RoundData};
use orac_oracle::{Domain, Observation};
use orac_oracle::{REGISTRY, feed_address};
use orac_primitives::alloy::{ToAlloy, ToOrac};
use orac_primitives::{H256, PrivateKey, keccak256};

use crate::{Receipt, TestChain};

/// The registry's Solidity interface and events (`NewRound`,
/// `CallbackDelivered`, …), to decode what a transmission did.
pub use orac_oracle::abi;
/// Reports and their signing, for tests that build odd ones.
pub use orac_oracle::{Kind, Report};

/// The registry's address.
pub fn registry() -> Address {
    REGISTRY.to_alloy()
}

/// Signer key `i` of test feeds: the same for every feed and every run.
pub fn signer_key(i: usize) -> PrivateKey {
    let seed = keccak256(format!("orac-testkit oracle signer {i}"));
    PrivateKey::from_bytes(seed.as_bytes()).expect("a keccak digest is a valid secp256k1 key")
}

/// The dev account that creates test feeds and transmits their rounds.
pub const FEED_ACCOUNT: usize = 9;

/// A feed in the test chain's registry, with its signers' keys.
#[derive(Clone, Debug)]
pub struct TestFeed {
    id: u64,
    keys: Vec<PrivateKey>,
    f: u8,
    decimals: u8,
    /// The last round number this feed transmitted (0: none yet).
    round: u64,
    transmitter: Address,
}

impl TestFeed {
    /// Creates a feed with `signers` deterministic keys tolerating `f`
    /// faulty ones (`signers >= 3f + 1`), answers scaled by `decimals`,
    /// a one-hour heartbeat and no sanity bounds (every `i128` is stored).
    /// Panics with the registry's reason if it refuses.
    pub fn create(chain: &mut TestChain, signers: usize, f: u8, decimals: u8) -> TestFeed {
        let admin = chain.account(FEED_ACCOUNT);
        let keys: Vec<PrivateKey> = (0..signers).map(signer_key).collect();
        let params = FeedParams {
            description: format!("TEST / USD ({signers} signers, f = {f})"),
            decimals,
            signers: keys.iter().map(|k| k.address().to_alloy()).collect(),
            f,
            heartbeat: 3_600,
            deviationPpb: 5_000_000,
            minAnswer: I256::try_from(i128::MIN).unwrap_or(I256::MIN),
            maxAnswer: I256::try_from(i128::MAX).unwrap_or(I256::MAX),
        };
        let r = chain.call(admin, registry(), &I::createFeedCall { params });
        assert!(r.success, "createFeed refused: {}", reason(&r));
        TestFeed {
            id: r.decode::<I::createFeedCall>(),
            keys,
            f,
            decimals,
            round: 0,
            transmitter: admin,
        }
    }

    /// The feed's id in the registry.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Where the feed answers Chainlink's AggregatorV3 interface.
    pub fn aggregator(&self) -> Address {
        feed_address(self.id).to_alloy()
    }

    /// Decimal places of the feed's answers.
    pub fn decimals(&self) -> u8 {
        self.decimals
    }

    /// Faulty signers tolerated: a round needs 2f + 1 observations.
    pub fn f(&self) -> u8 {
        self.f
    }

    /// The last round number transmitted successfully (0: none yet).
    pub fn round(&self) -> u64 {
        self.round
    }

    /// The signers' keys, in the feed's order.
    pub fn keys(&self) -> &[PrivateKey] {
        &self.keys
    }

    /// The dev account that transmits this feed's rounds.
    pub fn transmitter(&self) -> Address {
        self.transmitter
    }

    /// Transmits from another dev account from now on.
    pub fn set_transmitter(&mut self, who: Address) {
        self.transmitter = who;
    }

    /// Transmits the next round with `answer`: 2f + 1 signers each observe
    /// `answer` at the block's timestamp. Returns the transmission's
    /// receipt (its logs hold `NewRound` and, for each subscriber,
    /// `CallbackDelivered`/`CallbackFailed`/`CallbackSkipped`, and the
    /// events subscribers emitted in their callbacks).
    pub fn push(&mut self, chain: &mut TestChain, answer: i128) -> Receipt {
        let quorum = 2 * self.f as usize + 1;
        self.push_values(chain, &vec![answer; quorum])
    }

    /// Transmits the next round from `values.len()` signers, signer `i`
    /// observing `values[i]` at the block's timestamp: the stored answer is
    /// their (lower) median. Fewer than 2f + 1 values, or more than there
    /// are signers, make a report the registry refuses (the receipt says
    /// why, and the round number is not used up).
    pub fn push_values(&mut self, chain: &mut TestChain, values: &[i128]) -> Receipt {
        assert!(
            values.len() <= self.keys.len(),
            "{} values for a feed of {} signers",
            values.len(),
            self.keys.len()
        );
        let at = chain.block.timestamp;
        let report = self.report(chain, Kind::Round, self.round + 1, values, at);
        let r = self.send(
            chain,
            I::transmitCall {
                report: report.abi_encode().into(),
            },
        );
        if r.success {
            self.round += 1;
        }
        r
    }

    /// Answers request `request_id` (made to this feed) with `answer`,
    /// from 2f + 1 signers at the block's timestamp; the registry runs the
    /// requester's `onOracleResponse` and pays the fee to the transmitter.
    pub fn respond(&mut self, chain: &mut TestChain, request_id: u64, answer: i128) -> Receipt {
        let quorum = 2 * self.f as usize + 1;
        let at = chain.block.timestamp;
        let report = self.report(chain, Kind::Response, request_id, &vec![answer; quorum], at);
        self.send(
            chain,
            I::respondCall {
                report: report.abi_encode().into(),
            },
        )
    }

    /// A report of `values` (signer `i` observing `values[i]` at `at`) for
    /// `round` — a round number, or a request id for a response — signed
    /// for the feed's current configuration. For tests of odd reports;
    /// send it with [`TestFeed::transmit`].
    pub fn report(
        &self,
        chain: &mut TestChain,
        kind: Kind,
        round: u64,
        values: &[i128],
        at: u64,
    ) -> Report {
        let digest = self.config_digest(chain);
        let domain = Domain {
            chain_id: chain.block.chain_id,
            registry: REGISTRY,
        };
        Report {
            feed_id: self.id,
            config_digest: digest,
            round,
            observations: self
                .keys
                .iter()
                .zip(values)
                .map(|(key, value)| {
                    let obs = Observation {
                        round,
                        observed_at: at,
                        value: *value,
                    };
                    domain.sign(kind, key, self.id, digest, &obs)
                })
                .collect(),
        }
    }

    /// Transmits a report as it is (round numbering is the caller's).
    pub fn transmit(&mut self, chain: &mut TestChain, report: &Report) -> Receipt {
        self.send(
            chain,
            I::transmitCall {
                report: report.abi_encode().into(),
            },
        )
    }

    /// The feed's latest round as the registry returns it, or the refusal.
    pub fn latest(&self, chain: &mut TestChain) -> Result<RoundData, Receipt> {
        chain.view(registry(), &I::latestRoundCall { feedId: self.id })
    }

    /// The feed's current configuration digest (what reports are signed
    /// for; it changes with every reconfiguration).
    pub fn config_digest(&self, chain: &mut TestChain) -> H256 {
        let config = chain
            .view(registry(), &I::feedConfigCall { feedId: self.id })
            .unwrap_or_else(|r| panic!("feedConfig refused: {}", reason(&r)));
        config.configDigest.to_orac()
    }

    /// Sends `call` to the registry from the transmitter with the block's
    /// whole gas limit: delivery to every subscriber always fits, and only
    /// the gas used is paid for.
    fn send<C: SolCall>(&self, chain: &mut TestChain, call: C) -> Receipt {
        let gas = chain.block.gas_limit;
        chain.transact(
            self.transmitter,
            Some(registry()),
            U256::ZERO,
            call.abi_encode(),
            gas,
        )
    }
}

/// Why a call failed, for panic messages.
fn reason(r: &Receipt) -> String {
    r.revert_message()
        .or_else(|| r.error.clone())
        .unwrap_or_else(|| format!("revert data {}", Bytes::from(r.output.clone())))
}
