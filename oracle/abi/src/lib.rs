//! What everyone who talks to orac's oracle registry shares: contracts
//! (through `orac-sdk`), the off-chain oracle node, the testkit and the
//! registry itself. One copy, so nothing can drift.
//!
//! * [`interface`]: the registry's Solidity interface (`sol!`): its
//!   functions, events and structs, the AggregatorV3 interface each feed
//!   answers, and what the registry calls on consumers.
//! * [`REGISTRY`] and [`feed_address`]: where the registry answers.
//! * The limits and gas figures callers plan with: callback gas bounds,
//!   [`CALLBACK_OVERHEAD`], [`ROUND_DELIVERY_GAS`], [`respond_gas`], …
//! * [`report`]: the wire format of reports (`transmit`, `respond`) and
//!   the domain strings of what oracle nodes sign.
//!
//! `no_std` (with `alloc`), so it builds for `wasm32-unknown-unknown`.
//! Signing and checking reports needs secp256k1 and lives in `orac-oracle`;
//! the registry, which charges the gas figures here, is the system
//! contract in `orac-oracle-registry` (and checks at compile time that
//! they are what the VM's gas schedule makes them). docs/oracle.md has the
//! interface, the storage layout and the rules.

#![no_std]

extern crate alloc;

pub mod interface;
pub mod report;

pub use interface::*;

use alloy_primitives::Address;

/// The first four bytes of every registry address: "orac".
const PREFIX: [u8; 4] = *b"orac";

/// The registry: `0x6f72616300000000000000000000000000000000`.
pub const REGISTRY: Address = feed_address(0);

/// The address at which feed `id` answers Chainlink's
/// `AggregatorV3Interface` (`latestRoundData`, `decimals`, …): "orac",
/// eight zero bytes, then the id as a big-endian `u64`. Feed 0 is the
/// registry itself.
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
    Address::new(a)
}

/// The feed an address belongs to (0: the registry itself), if it is one
/// of the registry's.
pub fn feed_of(address: &[u8; 20]) -> Option<u64> {
    if address[..4] != PREFIX || address[4..12] != [0; 8] {
        return None;
    }
    let mut id = [0u8; 8];
    id.copy_from_slice(&address[12..]);
    Some(u64::from_be_bytes(id))
}

/// Most subscribers one feed may have.
pub const MAX_SUBSCRIBERS: u32 = 128;
/// The smallest callback gas the registry accepts from a subscriber or a
/// requester: it pays for instantiating a small contract (1,000 + 8,192
/// per page).
pub const MIN_CALLBACK_GAS: u64 = 20_000;
/// The largest callback gas the registry accepts.
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
/// Longest a request may stay open, in seconds.
pub const MAX_REQUEST_TTL: u64 = 86_400;
/// Longest feed description, in bytes.
pub const MAX_DESCRIPTION: usize = 128;

// The gas figures below are what the registry charges; it derives each
// from the VM's gas schedule and asserts at compile time that it equals
// the figure here (orac-oracle-registry's lib.rs), so the two cannot
// disagree.

/// Gas every message to the registry pays for decoding and dispatch, on
/// top of the storage, logs, signature recoveries and calls it makes.
pub const BASE_GAS: u64 = 200;
/// Gas per observation in a report: one signature recovery plus hashing
/// its digest (eight words).
pub const OBSERVATION_GAS: u64 = 19_543;
/// Gas of taking a subscriber out of the delivery list, at most: the last
/// entry (read warm: delivery read the whole list first) moves into its
/// place, the moved subscriber's record (possibly cold) gets its new place,
/// the last entry is cleared; then `SubscriberParked` (three words).
pub const PARK_GAS: u64 = 13_168;
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
/// (oracle/registry/tests/registry.rs) measures the real charges per
/// callback on every path from transmissions' gas and fails if they exceed
/// this.
pub const CALLBACK_OVERHEAD: u64 = 33_423;
/// Gas of paying a round's collected fees to the transmitter (a value
/// transfer to a warm account), shared equally by the subscribers called
/// in that round (all of it when there is one).
pub const PAYOUT_GAS: u64 = 9_100;
/// Gas of marking a feed as delivering before its callbacks and clearing
/// the mark after (two writes of its warm subscriber-list word), shared
/// like [`PAYOUT_GAS`].
pub const DELIVERY_LOCK_GAS: u64 = 5_800;
/// What one round's delivery costs besides its subscribers, shared equally
/// by them: [`PAYOUT_GAS`] + [`DELIVERY_LOCK_GAS`].
pub const ROUND_DELIVERY_GAS: u64 = PAYOUT_GAS + DELIVERY_LOCK_GAS;

/// An upper bound on the gas of a `respond` transaction carrying
/// `observations` observations, besides its callback's own gas (intrinsic
/// gas included). Oracle nodes use it to tell whether a request's fee
/// covers answering it. `a_response_costs_no_more_than_respond_gas`
/// (oracle/registry/tests/registry.rs) measures real responses against it:
/// 143,095 gas with 4 observations, 771,897 with 31 (sent by the feed's
/// admin, whose transmitter check reads one more word), against bounds of
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            alloc::format!("{REGISTRY:?}"),
            "0x6f72616300000000000000000000000000000000"
        );
        assert_eq!(
            alloc::format!("{:?}", feed_address(0x0102)),
            "0x6f72616300000000000000000000000000000102"
        );
        assert_eq!(feed_of(&feed_address(7).0.0), Some(7));
        assert_eq!(feed_of(&REGISTRY.0.0), Some(0));
        assert_eq!(feed_of(&[1; 20]), None);
        let mut near = feed_address(7).0.0;
        near[5] = 1;
        assert_eq!(feed_of(&near), None);
    }
}
