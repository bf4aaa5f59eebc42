//! The feed registry: native chain code at a fixed address, present from
//! genesis (a [`SystemContract`]).
//!
//! Why native rather than a WebAssembly contract built with the SDK: the
//! registry is part of the chain's rules, like Ethereum's precompiles or
//! Arbitrum's ArbOS ones. As native code it ships inside the node with no
//! compiled artifact to keep byte-identical across compiler versions (two
//! supported toolchains produce different WebAssembly for the same source),
//! it reuses the report checks in [`orac_oracle::report`] that oracle nodes run
//! before they transmit, and it verifies signatures natively. It still
//! pays its way exactly like a contract: its storage, logs and sub-calls go
//! through [`SystemCall`] at the host ABI's gas prices, in the same journal,
//! so a revert rolls it back and a subscriber's callback is an ordinary,
//! isolated message.
//!
//! Addresses: the registry is [`REGISTRY`]; feed `id` also answers at
//! [`feed_address`]`(id)` with Chainlink's AggregatorV3 interface.
//! docs/oracle.md has the interface, the storage layout and the rules.

mod feeds;
mod requests;
mod store;
mod subs;

pub use store::SubsWord;
pub use subs::{delivery_gas, max_fee};

pub use orac_oracle::{REGISTRY, feed_address};
pub use orac_oracle_abi::{
    BASE_GAS, CALLBACK_OVERHEAD, DELIVERY_LOCK_GAS, MAX_CALLBACK_GAS, MAX_DELIVERY_GAS,
    MAX_DESCRIPTION, MAX_REASON, MAX_REQUEST_TTL, MAX_SUBSCRIBERS, MIN_CALLBACK_GAS,
    OBSERVATION_GAS, PARK_AFTER_MISSES, PARK_GAS, PAYOUT_GAS, ROUND_DELIVERY_GAS, respond_gas,
};

use alloy_sol_types::{Revert, SolCall, SolError, SolInterface};
use orac_oracle_abi as abi;
use orac_primitives::alloy::ToOrac;
use orac_primitives::{Address, GenesisAccount};
use orac_vm::{SystemCall, SystemContract, SystemExit, gas};

use abi::{
    AggregatorV3Interface::AggregatorV3InterfaceCalls, IOracleRegistry::IOracleRegistryCalls,
    IOracleRegistryV2::IOracleRegistryV2Calls,
};

/// The feed an address belongs to (0: the registry itself).
fn feed_of(address: &Address) -> Option<u64> {
    abi::feed_of(&address.0)
}

// What the registry charges, from the VM's gas schedule. Callers plan with
// the figures in orac-oracle-abi (contracts cannot depend on the VM); these
// assertions fail the build if the schedule and those figures part.

/// Gas of an event with three topics (signature, feed, subscriber) and
/// `data` bytes, as the host ABI charges it.
const fn log3_gas(data: u64) -> u64 {
    gas::LOG_BASE + 3 * gas::LOG_TOPIC + data * gas::LOG_BYTE
}

const _: () = assert!(
    OBSERVATION_GAS == gas::ECRECOVER + gas::KECCAK_BASE + 8 * gas::KECCAK_WORD,
    "OBSERVATION_GAS: one recovery and an eight-word digest"
);
const _: () = assert!(
    PARK_GAS
        == gas::STORAGE_READ_WARM
            + gas::STORAGE_WRITE
            + gas::STORAGE_READ_COLD
            + gas::STORAGE_WRITE
            + gas::STORAGE_WRITE
            + log3_gas(3 * 32),
    "PARK_GAS: the list rewrite and SubscriberParked"
);
const _: () = assert!(
    CALLBACK_OVERHEAD
        == 3 * gas::STORAGE_READ_COLD
            + gas::ACCOUNT_COLD
            + gas::CALL_BASE
            + gas::COPY_BASE
            + gas::COPY_WORD * (MAX_REASON as u64 / 32)
            + 2 * gas::STORAGE_WRITE
            // CallbackFailed: roundId, gasUsed, fee, the bytes' offset and
            // length, then the reason.
            + log3_gas(5 * 32 + MAX_REASON as u64)
            + PARK_GAS,
    "CALLBACK_OVERHEAD: the costliest path per subscriber"
);
const _: () = assert!(
    PAYOUT_GAS == gas::ACCOUNT_WARM + gas::CALL_VALUE,
    "PAYOUT_GAS: a value transfer to a warm account"
);
const _: () = assert!(
    DELIVERY_LOCK_GAS == 2 * gas::STORAGE_WRITE,
    "DELIVERY_LOCK_GAS: two writes of the warm subscriber-list word"
);

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

    /// The registry's home exists from genesis with a nonce of 1, so it is
    /// never an "empty" account, which EIP-161 would delete from under
    /// its storage.
    fn genesis(&self) -> Vec<(Address, GenesisAccount)> {
        vec![(
            REGISTRY,
            GenesisAccount {
                nonce: 1,
                ..Default::default()
            },
        )]
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
                &abi::feed_address(c.feedId),
            ))
        }
        C::latestRound(c) => feeds::latest_round(call, c.feedId, None),
        C::latestNoOlderThan(c) => feeds::latest_round(call, c.feedId, Some(c.maxAge)),
        C::getRound(c) => feeds::get_round(call, c.feedId, c.roundId),
        C::nextRound(c) => feeds::next_round(call, c.feedId),
        C::subscribe(c) => subs::subscribe(call, c.feedId, c.callbackGas, None),
        C::unsubscribe(c) => subs::unsubscribe(call, c.feedId),
        C::subscription(c) => subs::subscription(call, c.feedId, c.subscriber.to_orac()),
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
            subs::state(call, c.feedId, c.subscriber.to_orac())
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
