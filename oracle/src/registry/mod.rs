//! The feed registry: native chain code at a fixed address, present from
//! genesis (a [`SystemContract`]).
//!
//! Why native rather than a WebAssembly contract built with the SDK: the
//! registry is part of the chain's rules, like Ethereum's precompiles or
//! Arbitrum's ArbOS ones. As native code it ships inside the node with no
//! compiled artifact to keep byte-identical across compiler versions (two
//! supported toolchains produce different WebAssembly for the same source),
//! it reuses the report checks in [`crate::report`] that oracle nodes run
//! before they transmit, and it verifies signatures natively. It still
//! pays its way exactly like a contract: its storage, logs and sub-calls go
//! through [`SystemCall`] at the host ABI's gas prices, in the same journal,
//! so a revert rolls it back and a subscriber's callback is an ordinary,
//! isolated message.
//!
//! Addresses: the registry is [`REGISTRY`]; feed `id` also answers at
//! [`feed_address`]`(id)` with Chainlink's AggregatorV3 interface.
//! docs/oracle.md has the interface, the storage layout and the rules.

pub mod abi;
mod feeds;
mod requests;
pub mod store;
mod subs;

pub use subs::{delivery_gas, max_fee};

use alloy_sol_types::{Revert, SolCall, SolError, SolInterface};
use orac_primitives::{Address, H160, U256};
use orac_vm::{SystemCall, SystemContract, SystemExit, gas};

use abi::{
    AggregatorV3Interface::AggregatorV3InterfaceCalls, IOracleRegistry::IOracleRegistryCalls,
    IOracleRegistryV2::IOracleRegistryV2Calls,
};

/// The first four bytes of every registry address: "orac".
const PREFIX: [u8; 4] = *b"orac";

/// The registry: `0x6f72616300000000000000000000000000000000`.
pub const REGISTRY: Address = feed_address(0);

/// The address at which feed `id` answers AggregatorV3 calls:
/// "orac", eight zero bytes, then the id as a big-endian u64.
pub const fn feed_address(id: u64) -> Address {
    let mut a = [0u8; 20];
    let mut i = 0;
    while i < 4 {
        a[i] = PREFIX[i];
        i += 1;
    }
    let id = id.to_be_bytes();
    let mut j = 0;
    while j < 8 {
        a[12 + j] = id[j];
        j += 1;
    }
    H160(a)
}

/// The feed an address belongs to (0: the registry itself).
fn feed_of(address: &Address) -> Option<u64> {
    let b = address.as_bytes();
    if b[..4] != PREFIX || b[4..12] != [0; 8] {
        return None;
    }
    let mut id = [0u8; 8];
    id.copy_from_slice(&b[12..]);
    Some(u64::from_be_bytes(id))
}

/// Most subscribers one feed may have.
pub const MAX_SUBSCRIBERS: u32 = 128;
/// Bounds on one subscriber's or requester's callback gas. The floor pays
/// for instantiating a small contract (1,000 + 8,192 per page).
pub const MIN_CALLBACK_GAS: u64 = 20_000;
pub const MAX_CALLBACK_GAS: u64 = 2_000_000;
/// The most callback gas all of a feed's subscribers may reserve together:
/// with [`MAX_SUBSCRIBERS`] × [`CALLBACK_OVERHEAD`] on top (12M + 4.3M +
/// the 63/64 margin ≈ 16.5M), one round's delivery stays well inside a
/// 30M-gas block, so delivery is *bounded* (every subscriber is called in
/// the round's own transaction), never batched over later blocks.
pub const MAX_DELIVERY_GAS: u64 = 12_000_000;
/// Longest revert reason a `CallbackFailed` event carries, in bytes: the
/// rest is cut. What a subscriber reverts with is its own to choose (up to
/// 1 MiB), and logging it whole once made the event too large to emit,
/// which reverted the round (REPRO C2); cut, its cost is part of
/// [`CALLBACK_OVERHEAD`].
pub const MAX_REASON: usize = 256;
/// Consecutive missed rounds (a callback that failed, or a round priced
/// above the subscriber's cap) after which a subscriber is parked: taken
/// out of the delivery list, its deposit and settings kept, until it calls
/// `subscribe` again. Five: a callback that fails now and then is not
/// parked, one that fails on every round stops spending its deposit within
/// a few rounds.
pub const PARK_AFTER_MISSES: u8 = 5;

/// Gas of an event with three topics (signature, feed, subscriber) and
/// `data` bytes, as the host ABI charges it.
const fn log3_gas(data: u64) -> u64 {
    gas::LOG_BASE + 3 * gas::LOG_TOPIC + data * gas::LOG_BYTE
}

/// Gas of taking a subscriber out of the delivery list, at most: the last
/// entry (read warm: delivery read the whole list first) moves into its
/// place, the moved subscriber's record (possibly cold) gets its new place,
/// the last entry is cleared; then `SubscriberParked` (three words).
pub const PARK_GAS: u64 = gas::STORAGE_READ_WARM
    + gas::STORAGE_WRITE
    + gas::STORAGE_READ_COLD
    + gas::STORAGE_WRITE
    + gas::STORAGE_WRITE
    + log3_gas(3 * 32);

/// The most gas the registry spends on one subscriber in one round, on top
/// of the callback's own gas, on the costliest path (a callback that fails
/// with a long reason and gets the subscriber parked), everything cold:
/// its list entry, subscription and deposit reads (3 × 2,100), the call to
/// a cold account (2,600 + 700), copying the cut reason (27), the
/// subscription and deposit writes (2 × 2,900), `CallbackFailed` with a
/// [`MAX_REASON`]-byte reason (4,828), and parking ([`PARK_GAS`], 13,168):
/// 33,423 gas. Delivery reserves this per subscriber, and a deposit must
/// cover it; a subscriber pays what the registry really spent on it,
/// usually about 14,800 (no parking, a short event).
/// `callback_overhead_covers_what_the_registry_really_spends`
/// (oracle/tests/registry.rs) measures the real charges per callback on
/// every path from transmissions' gas and fails if they exceed this.
pub const CALLBACK_OVERHEAD: u64 = 3 * gas::STORAGE_READ_COLD
    + gas::ACCOUNT_COLD
    + gas::CALL_BASE
    + gas::COPY_BASE
    + gas::COPY_WORD * (MAX_REASON as u64 / 32)
    + 2 * gas::STORAGE_WRITE
    // CallbackFailed: roundId, gasUsed, fee, the bytes' offset and
    // length, then the reason.
    + log3_gas(5 * 32 + MAX_REASON as u64)
    + PARK_GAS;
/// Gas of paying a round's collected fees to the transmitter (a value
/// transfer to a warm account), shared equally by the subscribers called.
pub const PAYOUT_GAS: u64 = gas::ACCOUNT_WARM + gas::CALL_VALUE;
/// Gas of marking a feed as delivering before its callbacks and clearing
/// the mark after (two writes of its warm subscriber-list word), shared
/// like [`PAYOUT_GAS`].
pub const DELIVERY_LOCK_GAS: u64 = 2 * gas::STORAGE_WRITE;
/// What one round's delivery costs besides its subscribers, shared equally
/// by them: [`PAYOUT_GAS`] + [`DELIVERY_LOCK_GAS`].
pub const ROUND_DELIVERY_GAS: u64 = PAYOUT_GAS + DELIVERY_LOCK_GAS;
/// Longest a request may stay open.
pub const MAX_REQUEST_TTL: u64 = 86_400;
/// Longest feed description, in bytes.
pub const MAX_DESCRIPTION: usize = 128;
/// An upper bound on the gas of a `respond` transaction carrying
/// `observations` observations, besides its callback's own gas (intrinsic
/// gas included). Oracle nodes use it to tell whether a request's fee
/// covers answering it. `a_response_costs_no_more_than_respond_gas`
/// (oracle/tests/registry.rs) measures real responses against it: 143,095
/// gas with 4 observations, 771,897 with 31 (sent by the feed's admin,
/// whose transmitter check reads one more word), against bounds of
/// 158,000 and 819,500.
pub const fn respond_gas(observations: u64) -> u64 {
    RESPOND_BASE_GAS.saturating_add(observations.saturating_mul(RESPOND_GAS_PER_OBSERVATION))
}
/// [`respond_gas`]'s fixed part: the transaction (21,000 and the report's
/// fixed calldata), dispatch, the request's, feed's and transmitter's
/// words (cold), marking the request answered, the call to a cold account,
/// the payout and `OracleResponse`: about 50,000 measured, plus margin.
pub const RESPOND_BASE_GAS: u64 = 60_000;
/// [`respond_gas`]'s part per observation: one recovery and digest hash
/// ([`OBSERVATION_GAS`], 19,543), a cold signer-version read (2,100) and
/// 160 calldata bytes (1,600 to 2,560 by how many are zero): 23,289
/// measured, at most 24,203 with every byte nonzero.
pub const RESPOND_GAS_PER_OBSERVATION: u64 = 24_500;

/// Gas every message to the registry pays for decoding and dispatch, on
/// top of the storage, logs, signature recoveries and calls it makes.
pub const BASE_GAS: u64 = 200;
/// Gas per observation in a report: one signature recovery plus hashing
/// its digest (eight words).
pub const OBSERVATION_GAS: u64 = gas::ECRECOVER + gas::KECCAK_BASE + 8 * gas::KECCAK_WORD;

/// The registry as a system contract. Stateless: all state is in the
/// chain, in [`REGISTRY`]'s storage.
#[derive(Default)]
pub struct Registry;

impl SystemContract for Registry {
    fn serves(&self, address: &Address) -> bool {
        feed_of(address).is_some()
    }

    fn home(&self) -> Address {
        REGISTRY
    }

    fn call(&self, call: &mut SystemCall) -> Result<Vec<u8>, SystemExit> {
        call.charge(BASE_GAS + gas::copy_cost(call.input().len()))?;
        match feed_of(&call.address()) {
            Some(0) => registry_call(call),
            Some(feed) => {
                no_value(call)?;
                feeds::aggregator_call(call, feed)
            }
            None => Err(fail("not a registry address")),
        }
    }
}

fn registry_call(call: &mut SystemCall) -> Result<Vec<u8>, SystemExit> {
    let input = call.input().to_vec();
    if input.len() >= 4
        && IOracleRegistryV2Calls::valid_selector(input[..4].try_into().unwrap_or_default())
    {
        return registry_v2_call(call, &input);
    }
    let decoded = IOracleRegistryCalls::abi_decode(&input)
        .map_err(|e| fail(format!("unknown or malformed call: {e}")))?;
    use IOracleRegistryCalls as C;
    if !matches!(decoded, C::subscribe(_) | C::request(_)) {
        no_value(call)?;
    }
    match decoded {
        C::createFeed(c) => feeds::create(call, c),
        C::setConfig(c) => feeds::set_config(call, c),
        C::transferAdmin(c) => feeds::transfer_admin(call, c),
        C::transmit(c) => feeds::transmit(call, &c.report),
        C::feedCount(_) => feeds::feed_count(call),
        C::feedConfig(c) => feeds::feed_config(call, c.feedId),
        C::aggregator(c) => {
            feeds::require_feed(&mut store::Store { call }, c.feedId)?;
            Ok(abi::IOracleRegistry::aggregatorCall::abi_encode_returns(
                &alloy_primitives::Address::from(feed_address(c.feedId).0),
            ))
        }
        C::latestRound(c) => feeds::latest_round(call, c.feedId, None),
        C::latestNoOlderThan(c) => feeds::latest_round(call, c.feedId, Some(c.maxAge)),
        C::getRound(c) => feeds::get_round(call, c.feedId, c.roundId),
        C::nextRound(c) => feeds::next_round(call, c.feedId),
        C::subscribe(c) => subs::subscribe(call, c.feedId, c.callbackGas, None),
        C::unsubscribe(c) => subs::unsubscribe(call, c.feedId),
        C::subscription(c) => subs::subscription(call, c.feedId, H160(c.subscriber.0.0)),
        C::subscribers(c) => subs::list(call, c.feedId),
        C::request(c) => requests::request(call, c),
        C::respond(c) => requests::respond(call, &c.report),
        C::cancelRequest(c) => requests::cancel(call, c.requestId),
        C::getRequest(c) => requests::get(call, c.requestId),
    }
}

/// The functions of [`abi::IOracleRegistryV2`].
fn registry_v2_call(call: &mut SystemCall, input: &[u8]) -> Result<Vec<u8>, SystemExit> {
    let decoded = IOracleRegistryV2Calls::abi_decode(input)
        .map_err(|e| fail(format!("unknown or malformed call: {e}")))?;
    use IOracleRegistryV2Calls as C;
    match decoded {
        C::subscribe(c) => subs::subscribe(call, c.feedId, c.callbackGas, Some(c.maxGasPrice)),
        C::subscriptionState(c) => {
            no_value(call)?;
            subs::state(call, c.feedId, H160(c.subscriber.0.0))
        }
    }
}

/// Decodes an AggregatorV3 call (used by [`feeds::aggregator_call`]).
fn decode_aggregator(input: &[u8]) -> Result<AggregatorV3InterfaceCalls, SystemExit> {
    AggregatorV3InterfaceCalls::abi_decode(input)
        .map_err(|e| fail(format!("unknown or malformed call: {e}")))
}

fn no_value(call: &SystemCall) -> Result<(), SystemExit> {
    if !call.value().is_zero() {
        return Err(fail("this function does not take value"));
    }
    Ok(())
}

/// A revert with a readable reason (`Error(string)`), as clients show it.
fn fail(reason: impl Into<String>) -> SystemExit {
    SystemExit::Revert(
        Revert {
            reason: format!("oracle: {}", reason.into()),
        }
        .abi_encode(),
    )
}

fn to_abi_address(a: H160) -> alloy_primitives::Address {
    alloy_primitives::Address::from(a.0)
}

fn to_abi_u256(v: U256) -> alloy_primitives::U256 {
    alloy_primitives::U256::from_be_bytes(v.to_big_endian())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            format!("{REGISTRY:?}"),
            "0x6f72616300000000000000000000000000000000"
        );
        assert_eq!(feed_of(&feed_address(7)), Some(7));
        assert_eq!(feed_of(&REGISTRY), Some(0));
        assert_eq!(feed_of(&H160::repeat_byte(1)), None);
        let mut near = feed_address(7);
        near.0[5] = 1;
        assert_eq!(feed_of(&near), None);
    }
}
