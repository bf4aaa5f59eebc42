//! Price feeds and other oracle data, from inside a contract.
//!
//! orac's oracle bridge keeps its feeds in a registry that is part of the
//! chain: native code at the fixed address [`REGISTRY`]
//! (`0x6f726163…0`, "orac" and sixteen zero bytes), present from genesis.
//! Oracle nodes sign observations off chain; a transmitter puts a quorum
//! of them (2f + 1 of a feed's n signers) into a report, and the registry
//! checks the signatures and stores the median as the feed's next round.
//! This module is the contract side of that: typed wrappers over the
//! registry's Solidity interface (docs/oracle.md), so a contract reads a
//! feed in one line and gets errors it can match on.
//!
//! # Reading (pull)
//!
//! ```ignore
//! use orac_sdk::oracle;
//!
//! // Refuse to price anything with an answer observed over an hour ago.
//! let round = oracle::latest_no_older_than(ETH_USD, 3_600)?;
//! let price: i128 = round.answer; // scaled by oracle::decimals(ETH_USD)?
//! ```
//!
//! [`latest_no_older_than`] reads the latest round with a static call and
//! compares its observation time with the block's timestamp *here*,
//! rather than calling the registry's own `latestNoOlderThan`: the
//! registry reverts with a text reason, while this returns
//! [`OracleError::Stale`] with the times in it, which a contract can match
//! on, and which reaches the caller as the custom error [`OracleStale`].
//!
//! # Being called back (push)
//!
//! A contract that [`subscribe`]s to a feed, with a deposit, is called by
//! the registry with every new round, in the round's own transaction and
//! within the callback gas it asked for. The callback is an ordinary
//! `#[contract]` method with exactly this signature:
//!
//! ```ignore
//! pub fn on_oracle_update(
//!     &mut self,
//!     feed_id: u64,
//!     round_id: u64,
//!     answer: I256,
//!     observed_at: u64,
//! ) -> Result<(), Revert> {
//!     oracle::only_registry()?;          // anyone can call a public method
//!     let answer = oracle::answer(answer)?; // I256 → i128
//!     // … react to the new round …
//!     Ok(())
//! }
//! ```
//!
//! `#[contract]` names it `onOracleUpdate` (snake_case → camelCase) and
//! types it `(uint64,uint64,int256,uint64)`, so its selector is the one
//! the registry calls ([`ON_ORACLE_UPDATE`]). The answer must be declared
//! `I256`: an `i128` argument would make it `int128`, another selector,
//! and every callback would fail with "unknown function selector". A
//! contract that makes [`request`]s implements
//! `on_oracle_response(&mut self, request_id: u64, answer: I256,
//! observed_at: u64)` the same way ([`ON_ORACLE_RESPONSE`]).
//!
//! **Check the caller.** A callback is a public method: without
//! [`only_registry`], anyone could call it with any answer they like (and,
//! say, trigger a liquidation at a price they made up).
//!
//! What a callback costs: each one takes `(gas used, at most the callback
//! gas, + CALLBACK_OVERHEAD + a share of ROUND_DELIVERY_GAS) × the transmission's
//! gas price` from the
//! subscriber's deposit (see [`max_callback_fee`]); a subscriber whose
//! deposit cannot cover its whole limit is skipped until it tops up (by
//! subscribing again with more value). A callback that reverts or runs out
//! of gas has its own effects rolled back and does not hold up the round
//! or other subscribers. [`unsubscribe`] pays back what is left.
//!
//! To bound that price, subscribe with a cap:
//!
//! ```ignore
//! // Pay at most 50 gwei per gas; rounds transmitted above it are not
//! // delivered to this contract.
//! oracle::subscribe_with_max_gas_price(ETH_USD, 100_000, U256::from(50_000_000_000u64), deposit)?;
//! ```
//!
//! # Answers are `i128`
//!
//! The ABI carries answers as `int256`, but the registry only ever stores
//! answers that fit an `i128` (reports carry `i128` values and a feed's
//! sanity bounds are `i128`s). [`Round::answer`] is therefore an `i128`:
//! native arithmetic, comparisons and literals, and 38 digits — room for
//! any price at 18 decimals. Only the callback's argument is an `I256`,
//! because the selector says `int256`; [`answer`] converts it.
//!
//! # Errors
//!
//! Every function returns [`OracleError`], which converts into a
//! [`Revert`] (so `?` works in a contract method): the feed-level failures
//! become the custom errors [`OracleUnknownFeed`], [`OracleNoData`],
//! [`OracleStale`], [`OracleNotRegistry`] and [`OracleBadAnswer`], and any
//! other refusal keeps the registry's own reason (`Error(string)`,
//! starting with "oracle: "). Put [`oracle_abi!`](crate::oracle_abi) in a
//! contract to list those errors in its ABI JSON, so ethers, viem and cast
//! decode them.

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::{SolCall, sol};

use crate::call::Call;
use crate::revert::Revert;

// The registry's address, limits, gas figures and Solidity interface come
// from orac-oracle-abi, the crate the registry and the oracle nodes use
// too: there is no copy here to drift.

/// The feed registry: `0x6f72616300000000000000000000000000000000`.
pub use orac_oracle_abi::REGISTRY;
/// The address at which feed `feed` answers Chainlink's
/// `AggregatorV3Interface` (`latestRoundData`, `decimals`, …): "orac",
/// eight zero bytes, then the feed id as a big-endian `u64`.
pub use orac_oracle_abi::feed_address as aggregator;
/// The registry's Solidity interface (docs/oracle.md has all of it): a
/// contract uses the reading, subscription and request functions; the
/// rest (creating feeds, transmitting) is for feed admins and oracle
/// nodes.
pub use orac_oracle_abi::{
    AggregatorV3Interface, IOracleConsumer, IOracleRegistry, IOracleRegistryV2, RoundData,
};
pub use orac_oracle_abi::{
    CALLBACK_OVERHEAD, MAX_CALLBACK_GAS, MAX_REQUEST_TTL, MIN_CALLBACK_GAS, PAYOUT_GAS,
    ROUND_DELIVERY_GAS,
};

/// Declares the oracle errors once: alloy's `sol!` makes their Rust types,
/// and the same text gives [`ERRORS_ABI_JSON`].
macro_rules! oracle_errors {
    ($($decl:tt)*) => {
        sol! { $($decl)* }

        /// The ABI JSON entries of this module's errors, one per line, as
        /// [`oracle_abi!`](crate::oracle_abi) embeds them.
        pub const ERRORS_ABI_JSON: &str = orac_sdk_macros::abi_json_text! { $($decl)* };
    };
}

// In the order of their names: the order their ABI JSON has always had.
oracle_errors! {
    /// An answer that does not fit an `i128` (the registry never stores
    /// one).
    error OracleBadAnswer(int256 answer);
    /// The feed exists but no round has been stored yet.
    error OracleNoData(uint64 feedId);
    /// A callback came from someone other than the registry.
    error OracleNotRegistry(address caller);
    /// The latest answer was observed more than `maxAge` seconds before
    /// the block's timestamp `now`.
    error OracleStale(uint64 feedId, uint64 observedAt, uint64 now, uint64 maxAge);
    /// The feed does not exist.
    error OracleUnknownFeed(uint64 feedId);
}

/// Selector of `onOracleUpdate(uint64,uint64,int256,uint64)`: what a
/// `#[contract]` method `on_oracle_update(&mut self, feed_id: u64,
/// round_id: u64, answer: I256, observed_at: u64)` answers to.
pub const ON_ORACLE_UPDATE: [u8; 4] = IOracleConsumer::onOracleUpdateCall::SELECTOR;
/// Selector of `onOracleResponse(uint64,int256,uint64)`.
pub const ON_ORACLE_RESPONSE: [u8; 4] = IOracleConsumer::onOracleResponseCall::SELECTOR;

/// A feed's round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Round {
    /// Rounds count up from 1, per feed (a number can be skipped when an
    /// answer falls outside the feed's sanity bounds).
    pub round: u64,
    /// The median of the signers' observations, scaled by the feed's
    /// [`decimals`] (an ETH/USD feed with 8 decimals says 3000 USD as
    /// `300_000_000_000`). See the module docs for why `i128`.
    pub answer: i128,
    /// Unix seconds at which the nodes observed it (the median of their
    /// times): what staleness is measured from.
    pub observed_at: u64,
    /// The timestamp of the block that stored it.
    pub included_at: u64,
    /// How many signers' observations made it (at least 2f + 1).
    pub signers: u8,
}

impl Round {
    /// Seconds between the observation and `now` (0 if observed "after"
    /// `now`: nodes' clocks may run a little ahead of the block's).
    pub fn age(&self, now: u64) -> u64 {
        now.saturating_sub(self.observed_at)
    }
}

/// This contract's subscription to a feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// Gas each callback may use (0: not subscribed).
    pub callback_gas: u64,
    /// What is left of the deposit, in wei.
    pub deposit: U256,
}

/// Why an oracle read or call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OracleError {
    /// There is no feed with this id.
    UnknownFeed {
        /// The feed asked for.
        feed: u64,
    },
    /// The feed has no round yet.
    NoData {
        /// The feed asked for.
        feed: u64,
    },
    /// The latest answer is older than the caller accepts.
    Stale {
        /// The feed asked for.
        feed: u64,
        /// When the latest answer was observed (Unix seconds).
        observed_at: u64,
        /// The block's timestamp.
        now: u64,
        /// The oldest age accepted, in seconds.
        max_age: u64,
    },
    /// A callback was called by `caller`, not by the registry.
    NotRegistry {
        /// Who called instead.
        caller: Address,
    },
    /// An answer that does not fit an `i128`.
    BadAnswer {
        /// The answer as the registry gave it.
        answer: I256,
    },
    /// Any other refusal, with the registry's revert data unchanged
    /// (usually `Error(string)` with a reason starting with "oracle: ").
    Registry(Revert),
}

impl From<OracleError> for Revert {
    fn from(e: OracleError) -> Self {
        match e {
            OracleError::UnknownFeed { feed } => OracleUnknownFeed { feedId: feed }.into(),
            OracleError::NoData { feed } => OracleNoData { feedId: feed }.into(),
            OracleError::Stale {
                feed,
                observed_at,
                now,
                max_age,
            } => OracleStale {
                feedId: feed,
                observedAt: observed_at,
                now,
                maxAge: max_age,
            }
            .into(),
            OracleError::NotRegistry { caller } => OracleNotRegistry { caller }.into(),
            OracleError::BadAnswer { answer } => OracleBadAnswer { answer }.into(),
            OracleError::Registry(r) => r,
        }
    }
}

impl OracleError {
    /// Sorts a revert from the registry about `feed`: the feed-level
    /// failures a contract may want to handle become their own variants;
    /// the rest is passed on as it came.
    fn from_registry(feed: u64, revert: Revert) -> Self {
        match reason(&revert.0) {
            Some(m) if m.starts_with(b"oracle: unknown feed ") => OracleError::UnknownFeed { feed },
            Some(m) if m.ends_with(b" has no data yet") => OracleError::NoData { feed },
            _ => OracleError::Registry(revert),
        }
    }
}

/// The bytes of an `Error(string)` reason as the registry encodes it
/// (offset 32, length, bytes), read in place: [`Revert::message`] decodes
/// into a `String`, which costs a contract kilobytes of code (and every
/// byte of code costs gas to deploy) to compare two prefixes.
fn reason(data: &[u8]) -> Option<&[u8]> {
    let body = data.strip_prefix(&crate::revert::ERROR_SELECTOR)?;
    // A word holding a number below 2^32 (usize is 32 bits on wasm32).
    let word = |i: usize| -> Option<usize> {
        let w = body.get(i..i + 32)?;
        if w[..28].iter().any(|b| *b != 0) {
            return None;
        }
        Some(w[28..].iter().fold(0u32, |n, b| (n << 8) | *b as u32) as usize)
    };
    if word(0)? != 32 {
        return None;
    }
    let len = word(32)?;
    body.get(64..64usize.checked_add(len)?)
}

fn undecodable() -> OracleError {
    OracleError::Registry(Revert::msg("oracle: undecodable reply from the registry"))
}

/// A read-only call of `call` at `to`, sorting failures as for `feed`.
fn view<C: SolCall>(to: Address, feed: u64, call: &C) -> Result<C::Return, OracleError> {
    let out = Call::new()
        .raw_static(to, &call.abi_encode())
        .map_err(|r| OracleError::from_registry(feed, r))?;
    C::abi_decode_returns(&out).map_err(|_| undecodable())
}

/// A call of `call` on the registry with `value`.
fn send<C: SolCall>(feed: u64, value: U256, call: &C) -> Result<C::Return, OracleError> {
    let out = Call::new()
        .value(value)
        .raw(REGISTRY, &call.abi_encode())
        .map_err(|r| OracleError::from_registry(feed, r))?;
    C::abi_decode_returns(&out).map_err(|_| undecodable())
}

/// Converts an answer as the ABI carries it (`int256`, e.g. the argument
/// of `on_oracle_update`) into the `i128` the registry stores.
pub fn answer(answer: I256) -> Result<i128, OracleError> {
    // By hand rather than `i128::try_from`, whose generic conversion is
    // several times the code: an i128 is a 256-bit two's complement value
    // whose top 129 bits are all equal.
    let [lo, hi, w2, w3] = *answer.into_raw().as_limbs();
    let fill = if (hi as i64) < 0 { u64::MAX } else { 0 };
    if w2 != fill || w3 != fill {
        return Err(OracleError::BadAnswer { answer });
    }
    Ok((((hi as u128) << 64) | lo as u128) as i128)
}

fn round_of(d: RoundData) -> Result<Round, OracleError> {
    Ok(Round {
        round: d.roundId,
        answer: answer(d.answer)?,
        observed_at: d.observedAt,
        included_at: d.includedAt,
        signers: d.signers,
    })
}

/// The feed's latest round, however old. Prefer [`latest_no_older_than`]
/// for anything that moves value.
pub fn latest(feed: u64) -> Result<Round, OracleError> {
    round_of(view(
        REGISTRY,
        feed,
        &IOracleRegistry::latestRoundCall { feedId: feed },
    )?)
}

/// The feed's latest round if it was observed at most `max_age_secs`
/// before this block's timestamp; [`OracleError::Stale`] otherwise.
///
/// A feed's nodes report at least every heartbeat (and sooner when the
/// value moves), so a `max_age_secs` a little over the feed's heartbeat
/// refuses exactly the answers of a feed that has stopped.
pub fn latest_no_older_than(feed: u64, max_age_secs: u64) -> Result<Round, OracleError> {
    let round = latest(feed)?;
    let now = crate::env::block::timestamp();
    if round.age(now) > max_age_secs {
        return Err(OracleError::Stale {
            feed,
            observed_at: round.observed_at,
            now,
            max_age: max_age_secs,
        });
    }
    Ok(round)
}

/// One past round of the feed.
pub fn round(feed: u64, round: u64) -> Result<Round, OracleError> {
    round_of(view(
        REGISTRY,
        feed,
        &IOracleRegistry::getRoundCall {
            feedId: feed,
            roundId: round,
        },
    )?)
}

/// How many decimals the feed's answers are scaled by (read from its
/// AggregatorV3 address).
pub fn decimals(feed: u64) -> Result<u8, OracleError> {
    view(
        aggregator(feed),
        feed,
        &AggregatorV3Interface::decimalsCall {},
    )
}

/// Subscribes this contract to `feed` (or changes its callback gas),
/// adding `deposit_wei` of its balance to its deposit. From the next
/// round on, the registry calls `onOracleUpdate` on this contract with at
/// most `callback_gas` (between [`MIN_CALLBACK_GAS`] and
/// [`MAX_CALLBACK_GAS`]). A new subscription has no gas price cap (an
/// existing one keeps its cap): [`subscribe_with_max_gas_price`] sets one.
pub fn subscribe(feed: u64, callback_gas: u64, deposit_wei: U256) -> Result<(), OracleError> {
    send(
        feed,
        deposit_wei,
        &IOracleRegistry::subscribeCall {
            feedId: feed,
            callbackGas: callback_gas,
        },
    )
    .map(|_| ())
}

/// [`subscribe`] with a cap on the gas price this contract pays for its
/// callbacks: `max_gas_price` wei per gas, above zero. A callback is paid
/// at the gas price of the transaction that transmits the round; a round
/// transmitted at a higher price than the cap is *not delivered* to this
/// contract (the registry logs `CallbackOverPriced` and takes only its own
/// gas on the subscription, at the cap, from the deposit), and one at or
/// below the cap is delivered and costs at most the cap per gas. Without a
/// cap, a transmitter that is also the block producer can set any gas
/// price and drain the deposit.
///
/// A skipped round counts as a miss: after five in a row the subscription
/// is parked (taken off the delivery list, deposit kept) until this
/// contract subscribes again. So a cap trades freshness for cost: a
/// contract that must see every round (one that liquidates, say: prices
/// crash when gas is dear) is better served by [`subscribe`] and a deposit
/// it watches.
///
/// Calling it again changes the cap; a later [`subscribe`] keeps it. The
/// deposit must cover one callback at this transaction's gas price, or the
/// cap if lower (see [`max_callback_fee`]).
pub fn subscribe_with_max_gas_price(
    feed: u64,
    callback_gas: u64,
    max_gas_price: U256,
    deposit_wei: U256,
) -> Result<(), OracleError> {
    send(
        feed,
        deposit_wei,
        &IOracleRegistryV2::subscribeCall {
            feedId: feed,
            callbackGas: callback_gas,
            maxGasPrice: max_gas_price,
        },
    )
    .map(|_| ())
}

/// Ends this contract's subscription to `feed`; what is left of the
/// deposit comes back to this contract's balance (as a plain credit: no
/// code of this contract runs).
pub fn unsubscribe(feed: u64) -> Result<(), OracleError> {
    send(
        feed,
        U256::ZERO,
        &IOracleRegistry::unsubscribeCall { feedId: feed },
    )
    .map(|_| ())
}

/// `who`'s subscription to `feed` (zeroes if there is none).
pub fn subscription(feed: u64, who: Address) -> Result<Subscription, OracleError> {
    let s = view(
        REGISTRY,
        feed,
        &IOracleRegistry::subscriptionCall {
            feedId: feed,
            subscriber: who,
        },
    )?;
    Ok(Subscription {
        callback_gas: s.callbackGas,
        deposit: s.deposit,
    })
}

/// Asks `feed`'s signers for one datum, paying `fee` wei from this
/// contract's balance to whoever transmits the answer. `query` zero asks
/// for the feed's own value; anything else is `keccak256` of a query name
/// the feed's nodes serve (docs/oracle.md). The answer comes to
/// `onOracleResponse` with at most `callback_gas`, by `expires_at` (at
/// most [`MAX_REQUEST_TTL`] seconds away) or not at all, in which case
/// [`cancel_request`] takes the fee back. Returns the request id.
pub fn request(
    feed: u64,
    query: B256,
    callback_gas: u64,
    expires_at: u64,
    fee: U256,
) -> Result<u64, OracleError> {
    send(
        feed,
        fee,
        &IOracleRegistry::requestCall {
            feedId: feed,
            query,
            callbackGas: callback_gas,
            expiresAt: expires_at,
        },
    )
}

/// Cancels an expired, unanswered request of this contract; the fee
/// comes back to this contract's balance.
pub fn cancel_request(id: u64) -> Result<(), OracleError> {
    // Not about a feed: no failure of this call reads as a feed's.
    Call::new()
        .raw(
            REGISTRY,
            &IOracleRegistry::cancelRequestCall { requestId: id }.abi_encode(),
        )
        .map(|_| ())
        .map_err(OracleError::Registry)
}

/// `Ok` if this message comes from the registry, [`OracleError::NotRegistry`]
/// otherwise: the first line of every callback.
pub fn only_registry() -> Result<(), OracleError> {
    let caller = crate::env::msg::sender();
    if caller == REGISTRY {
        Ok(())
    } else {
        Err(OracleError::NotRegistry { caller })
    }
}

/// The most one callback with `callback_gas` can take from a deposit at
/// `gas_price` (the price of the transaction that transmits the round):
/// a deposit below this is skipped rather than called.
pub fn max_callback_fee(callback_gas: u64, gas_price: U256) -> U256 {
    gas_price.saturating_mul(U256::from(
        callback_gas
            .saturating_add(CALLBACK_OVERHEAD)
            .saturating_add(ROUND_DELIVERY_GAS),
    ))
}

#[doc(hidden)]
pub const ERRORS_ABI_LEN: usize = ERRORS_ABI_JSON.len();

#[doc(hidden)]
pub const fn errors_abi_bytes() -> [u8; ERRORS_ABI_LEN] {
    let src = ERRORS_ABI_JSON.as_bytes();
    let mut out = [0u8; ERRORS_ABI_LEN];
    let mut i = 0;
    while i < ERRORS_ABI_LEN {
        out[i] = src[i];
        i += 1;
    }
    out
}

/// Lists the oracle errors ([`OracleStale`](crate::oracle::OracleStale) and
/// the others of [`oracle`](crate::oracle)) in this contract's ABI JSON,
/// so that ethers, viem and cast decode them. Put it once in a contract
/// crate that uses the oracle module:
///
/// ```ignore
/// orac_sdk::oracle_abi!();
/// ```
///
/// (The SDK cannot list them itself: every contract, oracle user or not,
/// would get them.)
#[macro_export]
macro_rules! oracle_abi {
    () => {
        #[cfg(target_arch = "wasm32")]
        #[unsafe(link_section = "orac.abi")]
        #[used]
        #[doc(hidden)]
        static __ORAC_ORACLE_ERRORS_ABI: [u8; $crate::oracle::ERRORS_ABI_LEN] =
            $crate::oracle::errors_abi_bytes();
    };
}

/// Encodes what the registry's `latestRound` returns (for tests that mock
/// the registry with [`crate::testing::mock_call`]).
#[cfg(not(target_arch = "wasm32"))]
pub fn encode_round(round: &Round) -> alloc::vec::Vec<u8> {
    IOracleRegistry::latestRoundCall::abi_encode_returns(&RoundData {
        roundId: round.round,
        answer: I256::try_from(round.answer).unwrap_or_default(),
        observedAt: round.observed_at,
        includedAt: round.included_at,
        signers: round.signers,
    })
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use alloy_sol_types::SolError;

    use super::*;
    use crate::testing;

    const FEED: u64 = 7;
    const NOW: u64 = 1_700_000_000;

    fn round_at(observed_at: u64, answer: i128) -> Round {
        Round {
            round: 3,
            answer,
            observed_at,
            included_at: observed_at + 2,
            signers: 3,
        }
    }

    fn mock_latest(r: &Round) {
        testing::mock_call(
            REGISTRY,
            &IOracleRegistry::latestRoundCall::SELECTOR,
            true,
            encode_round(r),
        );
    }

    fn mock_refusal(selector: &[u8], reason: &str) {
        testing::mock_call(REGISTRY, selector, false, Revert::msg(reason).0);
    }

    fn fresh_env() {
        testing::reset();
        testing::set_block(10, NOW);
    }

    #[test]
    fn addresses_are_the_registrys() {
        assert_eq!(
            alloc::format!("{REGISTRY:?}"),
            "0x6f72616300000000000000000000000000000000"
        );
        assert_eq!(
            alloc::format!("{:?}", aggregator(0x0102)),
            "0x6f72616300000000000000000000000000000102"
        );
    }

    #[test]
    fn callback_selectors_are_what_the_macro_generates() {
        // `#[contract]` names `on_oracle_update` `onOracleUpdate` and types
        // u64 → uint64, I256 → int256: this is the signature it hashes.
        let sel = |s: &str| {
            let h = alloy_primitives::keccak256(s.as_bytes());
            [h[0], h[1], h[2], h[3]]
        };
        assert_eq!(
            ON_ORACLE_UPDATE,
            sel("onOracleUpdate(uint64,uint64,int256,uint64)")
        );
        assert_eq!(
            ON_ORACLE_RESPONSE,
            sel("onOracleResponse(uint64,int256,uint64)")
        );
    }

    #[test]
    fn latest_reads_and_decodes_the_round() {
        fresh_env();
        let r = round_at(NOW - 30, 300_000_000_000);
        mock_latest(&r);
        assert_eq!(latest(FEED), Ok(r));
        let (to, value, data) = testing::calls().pop().unwrap();
        assert_eq!((to, value), (REGISTRY, U256::ZERO));
        assert_eq!(
            IOracleRegistry::latestRoundCall::abi_decode(&data)
                .unwrap()
                .feedId,
            FEED
        );
        // Negative answers are answers too.
        let r = round_at(NOW, -5);
        mock_latest(&r);
        assert_eq!(latest(FEED).map(|r| r.answer), Ok(-5));
    }

    #[test]
    fn staleness_is_measured_from_the_observation() {
        fresh_env();
        mock_latest(&round_at(NOW - 100, 42));
        assert_eq!(latest_no_older_than(FEED, 100).map(|r| r.answer), Ok(42));
        let e = latest_no_older_than(FEED, 99).unwrap_err();
        assert_eq!(
            e,
            OracleError::Stale {
                feed: FEED,
                observed_at: NOW - 100,
                now: NOW,
                max_age: 99
            }
        );
        let stale = OracleStale::abi_decode(&Revert::from(e).0).unwrap();
        assert_eq!(
            (stale.feedId, stale.observedAt, stale.now, stale.maxAge),
            (FEED, NOW - 100, NOW, 99)
        );
        // Observed a little "ahead" of the block: age 0, fresh.
        mock_latest(&round_at(NOW + 20, 43));
        assert_eq!(latest_no_older_than(FEED, 0).map(|r| r.answer), Ok(43));
    }

    #[test]
    fn registry_refusals_are_sorted() {
        fresh_env();
        let sel = IOracleRegistry::latestRoundCall::SELECTOR;
        mock_refusal(&sel, "oracle: feed 7 has no data yet");
        assert_eq!(latest(FEED), Err(OracleError::NoData { feed: FEED }));
        assert!(
            OracleNoData::abi_decode(&Revert::from(OracleError::NoData { feed: FEED }).0).is_ok()
        );
        mock_refusal(&sel, "oracle: unknown feed 7");
        assert_eq!(
            latest_no_older_than(FEED, 60),
            Err(OracleError::UnknownFeed { feed: FEED })
        );
        // Anything else keeps the registry's reason, unchanged.
        mock_refusal(&sel, "oracle: something else");
        let Err(OracleError::Registry(r)) = latest(FEED) else {
            panic!("a registry error")
        };
        assert_eq!(r.message().as_deref(), Some("oracle: something else"));
        assert_eq!(Revert::from(OracleError::Registry(r.clone())), r);
        // A reply that does not decode.
        testing::mock_call(REGISTRY, &sel, true, alloc::vec![1, 2, 3]);
        assert!(matches!(latest(FEED), Err(OracleError::Registry(_))));
    }

    #[test]
    fn reasons_are_read_in_place() {
        for m in ["", "oracle: feed 7 has no data yet", &"x".repeat(100)] {
            assert_eq!(reason(&Revert::msg(m).0), Some(m.as_bytes()));
        }
        let mut cut = Revert::msg("oracle: unknown feed 1").0;
        cut.truncate(cut.len() - 20);
        assert_eq!(reason(&cut), None);
        assert_eq!(reason(&OracleStale::new((1, 2, 3, 4)).abi_encode()), None);
        assert_eq!(reason(&[]), None);
    }

    #[test]
    fn out_of_range_answers_are_refused() {
        let big = I256::try_from(i128::MAX).unwrap() + I256::ONE;
        assert_eq!(answer(big), Err(OracleError::BadAnswer { answer: big }));
        let small = I256::try_from(i128::MIN).unwrap() - I256::ONE;
        assert_eq!(answer(small), Err(OracleError::BadAnswer { answer: small }));
        for v in [
            0,
            1,
            -1,
            -7,
            i128::MAX,
            i128::MIN,
            1 << 64,
            -(1 << 64),
            u64::MAX as i128,
        ] {
            assert_eq!(answer(I256::try_from(v).unwrap()), Ok(v), "{v}");
        }
        let e =
            OracleBadAnswer::abi_decode(&Revert::from(OracleError::BadAnswer { answer: big }).0)
                .unwrap();
        assert_eq!(e.answer, big);
    }

    #[test]
    fn subscribing_sends_the_deposit() {
        fresh_env();
        let me = Address::repeat_byte(0xc0);
        testing::set_balance(me, U256::from(1_000));
        testing::mock_call(
            REGISTRY,
            &IOracleRegistry::subscribeCall::SELECTOR,
            true,
            Vec::new(),
        );
        subscribe(FEED, 50_000, U256::from(600)).unwrap();
        let (to, value, data) = testing::calls().pop().unwrap();
        assert_eq!((to, value), (REGISTRY, U256::from(600)));
        let c = IOracleRegistry::subscribeCall::abi_decode(&data).unwrap();
        assert_eq!((c.feedId, c.callbackGas), (FEED, 50_000));
        assert_eq!(testing::balance(REGISTRY), U256::from(600));

        mock_refusal(
            &IOracleRegistry::subscribeCall::SELECTOR,
            "oracle: unknown feed 8",
        );
        assert_eq!(
            subscribe(8, 50_000, U256::ZERO),
            Err(OracleError::UnknownFeed { feed: 8 })
        );

        testing::mock_call(
            REGISTRY,
            &IOracleRegistry::unsubscribeCall::SELECTOR,
            true,
            Vec::new(),
        );
        unsubscribe(FEED).unwrap();
        let c = IOracleRegistry::unsubscribeCall::abi_decode(&testing::calls().pop().unwrap().2)
            .unwrap();
        assert_eq!(c.feedId, FEED);

        testing::mock_call(
            REGISTRY,
            &IOracleRegistry::subscriptionCall::SELECTOR,
            true,
            IOracleRegistry::subscriptionCall::abi_encode_returns(
                &IOracleRegistry::subscriptionReturn {
                    callbackGas: 50_000,
                    deposit: U256::from(400),
                },
            ),
        );
        assert_eq!(
            subscription(FEED, me),
            Ok(Subscription {
                callback_gas: 50_000,
                deposit: U256::from(400)
            })
        );
    }

    #[test]
    fn a_capped_subscription_sends_its_cap() {
        fresh_env();
        testing::set_balance(Address::repeat_byte(0xc0), U256::from(1_000));
        let sel = IOracleRegistryV2::subscribeCall::SELECTOR;
        // The three-argument overload, not the two-argument one.
        assert_ne!(sel, IOracleRegistry::subscribeCall::SELECTOR);
        let h = alloy_primitives::keccak256(b"subscribe(uint64,uint64,uint256)");
        assert_eq!(sel, [h[0], h[1], h[2], h[3]]);
        testing::mock_call(REGISTRY, &sel, true, Vec::new());
        let cap = U256::from(3_000_000_000u64);
        subscribe_with_max_gas_price(FEED, 60_000, cap, U256::from(250)).unwrap();
        let (to, value, data) = testing::calls().pop().unwrap();
        assert_eq!((to, value), (REGISTRY, U256::from(250)));
        let c = IOracleRegistryV2::subscribeCall::abi_decode(&data).unwrap();
        assert_eq!(
            (c.feedId, c.callbackGas, c.maxGasPrice),
            (FEED, 60_000, cap)
        );
        // Refusals are sorted as for `subscribe`.
        mock_refusal(&sel, "oracle: unknown feed 8");
        assert_eq!(
            subscribe_with_max_gas_price(8, 60_000, cap, U256::ZERO),
            Err(OracleError::UnknownFeed { feed: 8 })
        );
        mock_refusal(
            &sel,
            "oracle: maxGasPrice must be above zero (a subscriber capped at 0 would never be called)",
        );
        let Err(OracleError::Registry(r)) =
            subscribe_with_max_gas_price(FEED, 60_000, U256::ZERO, U256::ZERO)
        else {
            panic!("a registry error")
        };
        assert!(r.message().unwrap().contains("maxGasPrice"));
    }

    #[test]
    fn requests_return_their_id_and_cancel() {
        fresh_env();
        testing::set_balance(Address::repeat_byte(0xc0), U256::from(1_000));
        testing::mock_call(
            REGISTRY,
            &IOracleRegistry::requestCall::SELECTOR,
            true,
            IOracleRegistry::requestCall::abi_encode_returns(&5u64),
        );
        let query = B256::repeat_byte(9);
        assert_eq!(
            request(FEED, query, 60_000, NOW + 300, U256::from(10)),
            Ok(5)
        );
        let (_, value, data) = testing::calls().pop().unwrap();
        assert_eq!(value, U256::from(10));
        let c = IOracleRegistry::requestCall::abi_decode(&data).unwrap();
        assert_eq!(
            (c.feedId, c.query, c.callbackGas, c.expiresAt),
            (FEED, query, 60_000, NOW + 300)
        );

        mock_refusal(
            &IOracleRegistry::cancelRequestCall::SELECTOR,
            "oracle: request 5 is open until 1700000300; the block time is 1700000000",
        );
        let Err(OracleError::Registry(r)) = cancel_request(5) else {
            panic!("a registry error")
        };
        assert!(r.message().unwrap().contains("open until"));
        testing::mock_call(
            REGISTRY,
            &IOracleRegistry::cancelRequestCall::SELECTOR,
            true,
            Vec::new(),
        );
        assert_eq!(cancel_request(5), Ok(()));
    }

    #[test]
    fn only_the_registry_may_call_back() {
        fresh_env();
        testing::set_caller(REGISTRY);
        assert_eq!(only_registry(), Ok(()));
        let mallory = Address::repeat_byte(0x66);
        testing::set_caller(mallory);
        assert_eq!(
            only_registry(),
            Err(OracleError::NotRegistry { caller: mallory })
        );
        let e =
            OracleNotRegistry::abi_decode(&Revert::from(only_registry().unwrap_err()).0).unwrap();
        assert_eq!(e.caller, mallory);
    }

    #[test]
    fn fees_and_the_abi_json() {
        assert_eq!(
            max_callback_fee(100_000, U256::from(2_000_000_000u64)),
            U256::from((100_000u64 + 33_423 + 14_900) * 2_000_000_000)
        );
        // Every error this module declares is in the ABI JSON, with its
        // exact signature.
        for (name, sig) in [
            ("OracleUnknownFeed", OracleUnknownFeed::SIGNATURE),
            ("OracleNoData", OracleNoData::SIGNATURE),
            ("OracleStale", OracleStale::SIGNATURE),
            ("OracleNotRegistry", OracleNotRegistry::SIGNATURE),
            ("OracleBadAnswer", OracleBadAnswer::SIGNATURE),
        ] {
            let line = ERRORS_ABI_JSON
                .lines()
                .find(|l| l.contains(&alloc::format!(r#""name":"{name}","type":"error""#)))
                .unwrap_or_else(|| panic!("{name} is missing"));
            let types: Vec<&str> = line
                .split(r#""type":""#)
                .skip(1)
                .map(|t| t.split('"').next().unwrap())
                .filter(|t| *t != "error")
                .collect();
            assert_eq!(alloc::format!("{name}({})", types.join(",")), sig);
        }
        assert_eq!(ERRORS_ABI_JSON.lines().count(), 5);
        assert_eq!(&errors_abi_bytes()[..], ERRORS_ABI_JSON.as_bytes());
    }
}
