//! Subscriptions: contracts that prepay a deposit to be called back with
//! every new round of a feed, within their own gas limit.
//!
//! Delivery happens in the round's own transaction, to every subscriber in
//! the feed's delivery list, each in an isolated sub-call: a subscriber
//! that reverts, traps or runs out of its gas has its own effects rolled
//! back, an event records it, and the others go ahead. Nothing a
//! subscriber controls can make delivery fail or cost the transmitter more
//! than the subscriber pays:
//!
//! * each callback costs its subscriber `(its callback's gas + what the
//!   registry spent on it + its share of ROUND_DELIVERY_GAS) × gas price`,
//!   the registry's part measured as it is spent (at most
//!   CALLBACK_OVERHEAD), and the fees go to the transmitter;
//! * a failure's reason is cut to MAX_REASON bytes before it is logged;
//! * subscriptions of a feed cannot change while it delivers, so a
//!   callback cannot unsubscribe (or swap its deposit) to skip its fee;
//! * a subscriber may cap the gas price it pays; a round priced above the
//!   cap is not delivered to it (the transmitter would pay the difference);
//! * a subscriber that misses PARK_AFTER_MISSES rounds in a row, or whose
//!   deposit could not pay for its next callback, is parked: out of the
//!   list, costing nothing, until it calls `subscribe` again.

use alloy_sol_types::{SolCall, SolEvent};
use orac_primitives::alloy::ToAlloy;
use orac_primitives::{H160, U256};
use orac_vm::{SystemCall, SystemExit, gas};

use super::abi::{IOracleConsumer, IOracleRegistry as I, IOracleRegistryV2 as I2};
use super::feeds::{emit, require_feed};
use super::store::{Store, SubWord, SubsWord};
use super::{
    CALLBACK_OVERHEAD, MAX_CALLBACK_GAS, MAX_DELIVERY_GAS, MAX_REASON, MAX_SUBSCRIBERS,
    MIN_CALLBACK_GAS, PARK_AFTER_MISSES, ROUND_DELIVERY_GAS, fail,
};

type R<T> = Result<T, SystemExit>;

pub(super) fn check_callback_gas(gas: u64) -> R<()> {
    if !(MIN_CALLBACK_GAS..=MAX_CALLBACK_GAS).contains(&gas) {
        return Err(fail(format!(
            "callback gas {gas} outside [{MIN_CALLBACK_GAS}, {MAX_CALLBACK_GAS}]"
        )));
    }
    Ok(())
}

/// The most one callback with `callback_gas` can cost at `price`, when the
/// round's fixed delivery cost is shared `share` gas to a subscriber: what
/// a deposit must hold to be called.
pub fn max_fee(price: U256, callback_gas: u64, share: u64) -> U256 {
    price.saturating_mul(U256::from(
        callback_gas
            .saturating_add(CALLBACK_OVERHEAD)
            .saturating_add(share),
    ))
}

/// A broken invariant of the stored list: never expected, but consensus
/// code reverts rather than wrap or panic.
fn corrupt(what: &str) -> SystemExit {
    fail(format!("subscription list inconsistent: {what}"))
}

fn refuse_while_delivering(subs: &SubsWord, feed: u64) -> R<()> {
    if subs.delivering {
        return Err(fail(format!(
            "feed {feed} is delivering a round: its subscriptions cannot change until that is done"
        )));
    }
    Ok(())
}

/// Subscribes the caller, or changes its callback gas (and, with
/// `max_gas_price`, its cap), adding the message's value to its deposit.
/// A parked subscriber rejoins the delivery list. The deposit must cover
/// one callback at this transaction's gas price (capped), so nobody joins
/// the list without paying for the next round's work on it.
pub(super) fn subscribe(
    call: &mut SystemCall,
    feed: u64,
    callback_gas: u64,
    max_gas_price: Option<alloy_primitives::U256>,
) -> R<Vec<u8>> {
    check_callback_gas(callback_gas)?;
    if max_gas_price.is_some_and(|p| p.is_zero()) {
        return Err(fail(
            "maxGasPrice must be above zero (a subscriber capped at 0 would never be called)",
        ));
    }
    let who = call.caller();
    let value = call.value();
    let price = call.env().gas_price;
    let mut store = Store { call };
    require_feed(&mut store, feed)?;
    let mut subs = store.subs(feed)?;
    refuse_while_delivering(&subs, feed)?;
    let mut sub = store.sub(feed, who)?;
    let others = if sub.slot == 0 {
        if subs.count >= MAX_SUBSCRIBERS {
            return Err(fail(format!(
                "feed {feed} has the maximum of {MAX_SUBSCRIBERS} subscribers"
            )));
        }
        subs.count += 1;
        sub.slot = subs.count;
        store.set_sub_at(feed, subs.count - 1, who)?;
        subs.reserved_gas
    } else {
        subs.reserved_gas
            .checked_sub(sub.callback_gas)
            .ok_or_else(|| corrupt("reserved gas below a subscriber's"))?
    };
    let reserved = others.saturating_add(callback_gas);
    if reserved > MAX_DELIVERY_GAS {
        return Err(fail(format!(
            "feed {feed}'s subscribers already reserve {others} callback gas; \
             {callback_gas} more would pass the delivery limit of {MAX_DELIVERY_GAS}"
        )));
    }
    subs.reserved_gas = reserved;
    sub.callback_gas = callback_gas;
    sub.misses = 0;
    if let Some(cap) = max_gas_price {
        // A cap of 2^128 wei per gas or more is no cap in practice.
        sub.max_gas_price = u128::try_from(cap).unwrap_or(u128::MAX);
    }
    let deposit = store
        .deposit(feed, who)?
        .checked_add(value)
        .ok_or_else(|| fail("deposit overflows"))?;
    let price = sub.cap().map_or(price, |cap| cap.min(price));
    let needed = max_fee(price, callback_gas, ROUND_DELIVERY_GAS);
    if deposit < needed {
        return Err(fail(format!(
            "a deposit of {deposit} wei does not cover one callback: {needed} wei at a gas price of {price}"
        )));
    }
    store.set_subs(feed, &subs)?;
    store.set_sub(feed, who, &sub)?;
    store.set_deposit(feed, who, deposit)?;
    emit(
        call,
        &I::Subscribed {
            feedId: feed,
            subscriber: who.to_alloy(),
            callbackGas: callback_gas,
            deposit: deposit.to_alloy(),
        },
    )?;
    Ok(Vec::new())
}

/// Takes the subscriber recorded as `sub` out of the delivery list, moving
/// the last entry into its place; `subs` is updated here, written by the
/// caller.
fn unlist(store: &mut Store, feed: u64, subs: &mut SubsWord, sub: &SubWord) -> R<()> {
    let index = sub
        .slot
        .checked_sub(1)
        .ok_or_else(|| corrupt("unlisting a subscriber not in the list"))?;
    let last = subs
        .count
        .checked_sub(1)
        .ok_or_else(|| corrupt("unlisting from an empty list"))?;
    if index != last {
        let moved = store.sub_at(feed, last)?;
        store.set_sub_at(feed, index, moved)?;
        let mut moved_sub = store.sub(feed, moved)?;
        moved_sub.slot = sub.slot;
        store.set_sub(feed, moved, &moved_sub)?;
    }
    store.set_sub_at(feed, last, H160::zero())?;
    subs.count = last;
    subs.reserved_gas = subs
        .reserved_gas
        .checked_sub(sub.callback_gas)
        .ok_or_else(|| corrupt("reserved gas below a subscriber's"))?;
    Ok(())
}

/// Ends the caller's subscription (listed or parked) and pays back what is
/// left of its deposit (as a plain balance credit: no code runs, nothing
/// re-enters).
pub(super) fn unsubscribe(call: &mut SystemCall, feed: u64) -> R<Vec<u8>> {
    let who = call.caller();
    let mut store = Store { call };
    let sub = store.sub(feed, who)?;
    if !sub.subscribed() {
        return Err(fail(format!("{who:?} is not subscribed to feed {feed}")));
    }
    let mut subs = store.subs(feed)?;
    refuse_while_delivering(&subs, feed)?;
    if sub.slot != 0 {
        unlist(&mut store, feed, &mut subs, &sub)?;
        store.set_subs(feed, &subs)?;
    }
    store.set_sub(feed, who, &SubWord::default())?;
    let refund = store.deposit(feed, who)?;
    store.set_deposit(feed, who, U256::zero())?;
    if !refund.is_zero() {
        call.pay(who, refund)?;
    }
    emit(
        call,
        &I::Unsubscribed {
            feedId: feed,
            subscriber: who.to_alloy(),
            refund: refund.to_alloy(),
        },
    )?;
    Ok(Vec::new())
}

pub(super) fn subscription(call: &mut SystemCall, feed: u64, who: H160) -> R<Vec<u8>> {
    let s = subscription_state(call, feed, who)?;
    Ok(I::subscriptionCall::abi_encode_returns(
        &I::subscriptionReturn {
            callbackGas: s.callbackGas,
            deposit: s.deposit,
        },
    ))
}

pub(super) fn state(call: &mut SystemCall, feed: u64, who: H160) -> R<Vec<u8>> {
    let s = subscription_state(call, feed, who)?;
    Ok(I2::subscriptionStateCall::abi_encode_returns(&s))
}

/// What `subscriptionState` answers; `subscription` answers a part of it
/// (the same two storage reads).
fn subscription_state(
    call: &mut SystemCall,
    feed: u64,
    who: H160,
) -> R<I2::subscriptionStateReturn> {
    let mut store = Store { call };
    let sub = store.sub(feed, who)?;
    let deposit = store.deposit(feed, who)?;
    Ok(I2::subscriptionStateReturn {
        callbackGas: sub.callback_gas,
        deposit: deposit.to_alloy(),
        maxGasPrice: sub
            .cap()
            .map_or(alloy_primitives::U256::MAX, |c| c.to_alloy()),
        misses: sub.misses,
        active: sub.slot != 0,
    })
}

pub(super) fn list(call: &mut SystemCall, feed: u64) -> R<Vec<u8>> {
    let mut store = Store { call };
    let subs = store.subs(feed)?;
    let list = (0..subs.count)
        .map(|i| store.sub_at(feed, i).map(|a| a.to_alloy()))
        .collect::<R<Vec<_>>>()?;
    Ok(I::subscribersCall::abi_encode_returns(&list))
}

/// Gas a transmission must still have when delivery starts, so that every
/// subscriber gets its whole limit under the 63/64 rule and the registry
/// its worst-case overhead. A transmitter cannot starve subscribers by
/// sending too little gas: the transmission reverts instead.
pub fn delivery_gas(subs: &SubsWord) -> u64 {
    subs.reserved_gas
        .saturating_add(subs.reserved_gas / 63)
        .saturating_add(u64::from(subs.count).saturating_mul(CALLBACK_OVERHEAD))
        .saturating_add(ROUND_DELIVERY_GAS)
}

/// Gas of an event, as [`SystemCall::log`] charges it.
fn log_gas<E: SolEvent>(event: &E) -> u64 {
    let log = event.encode_log_data();
    gas::LOG_BASE
        .saturating_add(gas::LOG_TOPIC.saturating_mul(log.topics().len() as u64))
        .saturating_add(gas::LOG_BYTE.saturating_mul(log.data.len() as u64))
}

/// Calls every listed subscriber of `feed` with the new round, charges
/// each its fee and pays the fees to the transmitter.
pub(super) fn deliver(
    call: &mut SystemCall,
    feed: u64,
    round: u64,
    answer: i128,
    observed_at: u64,
) -> R<()> {
    let mut store = Store { call };
    let mut subs = store.subs(feed)?;
    if subs.delivering {
        // Only a callback of this very delivery can be transmitting now.
        return Err(fail(format!(
            "feed {feed} is delivering a round: no new round until that is done"
        )));
    }
    if subs.count == 0 {
        return Ok(());
    }
    let need = delivery_gas(&subs);
    if store.call.gas_left() < need {
        return Err(fail(format!(
            "insufficient gas for delivery: {} subscribers need {need} gas, {} left",
            subs.count,
            store.call.gas_left()
        )));
    }
    subs.delivering = true;
    store.set_subs(feed, &subs)?;
    // The whole list first: parking reorders it while it is walked. Each
    // entry's read is part of its subscriber's cost.
    let mut list = Vec::with_capacity(subs.count as usize);
    for i in 0..subs.count {
        let before = store.call.gas_left();
        let who = store.sub_at(feed, i)?;
        list.push((who, before.saturating_sub(store.call.gas_left())));
    }
    let round_ctx = Delivery {
        feed,
        round,
        price: store.call.env().gas_price,
        share: ROUND_DELIVERY_GAS.div_ceil(u64::from(subs.count)),
        input: IOracleConsumer::onOracleUpdateCall {
            feedId: feed,
            roundId: round,
            answer: alloy_primitives::I256::try_from(answer).unwrap_or_default(),
            observedAt: observed_at,
        }
        .abi_encode(),
    };
    let mut fees = U256::zero();
    for (who, list_read_gas) in list {
        let fee = round_ctx.one(call, &mut subs, who, list_read_gas)?;
        fees = fees.saturating_add(fee);
    }
    subs.delivering = false;
    Store { call }.set_subs(feed, &subs)?;
    if !fees.is_zero() {
        let transmitter = call.caller();
        call.pay(transmitter, fees)?;
    }
    Ok(())
}

/// One round's delivery.
struct Delivery {
    feed: u64,
    round: u64,
    /// The transmission's gas price.
    price: U256,
    /// Each subscriber's share of [`ROUND_DELIVERY_GAS`].
    share: u64,
    /// `onOracleUpdate(feed, round, answer, observedAt)`.
    input: Vec<u8>,
}

/// What happened to one subscriber in a round.
enum Outcome {
    Delivered,
    /// The callback reverted, trapped or ran out of gas: why, cut to
    /// [`MAX_REASON`] bytes.
    Failed(Vec<u8>),
    /// Not called: the round's gas price is above the subscriber's cap.
    OverPriced(U256),
    /// Not called: the deposit does not cover a callback at this price.
    Short(U256),
}

impl Delivery {
    /// Delivers the round to `who` and returns the fee it paid. Every gas
    /// the registry spends on `who` is measured (`list_read_gas` is its
    /// list entry's read) or, for the writes and events still to come
    /// when the fee is computed, priced exactly as they will be charged.
    fn one(
        &self,
        call: &mut SystemCall,
        subs: &mut SubsWord,
        who: H160,
        list_read_gas: u64,
    ) -> R<U256> {
        let start = call.gas_left();
        let mut store = Store { call };
        let mut sub = store.sub(self.feed, who)?;
        if sub.slot == 0 {
            // Unreachable: the list holds listed subscribers only, and it
            // cannot change during delivery.
            return Ok(U256::zero());
        }
        let deposit = store.deposit(self.feed, who)?;
        let cap = sub.cap();
        // A subscriber never pays more per gas than its cap; a round priced
        // above it is not delivered, so it never pays less than the
        // transmitter either.
        let fee_price = cap.map_or(self.price, |c| c.min(self.price));
        let needed = max_fee(fee_price, sub.callback_gas, self.share);
        let mut callback_gas_used = 0;
        let outcome = if cap.is_some_and(|c| self.price > c) {
            Outcome::OverPriced(cap.unwrap_or_default())
        } else if deposit < needed {
            Outcome::Short(needed)
        } else {
            // Delivery reserved enough for everyone; this only checks it.
            let limit = sub.callback_gas;
            let after_call = store
                .call
                .gas_left()
                .saturating_sub(gas::ACCOUNT_COLD + gas::CALL_BASE);
            if gas::max_forwardable(after_call) < limit {
                return Err(fail(format!(
                    "insufficient gas for delivery: {limit} for {who:?}, {} left",
                    store.call.gas_left()
                )));
            }
            let result = call.call(who, U256::zero(), self.input.clone(), limit)?;
            callback_gas_used = limit.saturating_sub(result.gas_left);
            if result.success {
                Outcome::Delivered
            } else {
                let mut reason = match result.error {
                    Some(e) => e.to_string().into_bytes(),
                    None => result.output,
                };
                reason.truncate(MAX_REASON);
                call.charge(gas::copy_cost(reason.len()))?;
                Outcome::Failed(reason)
            }
        };
        let before = sub;
        match outcome {
            Outcome::Delivered => sub.misses = 0,
            Outcome::Failed(_) | Outcome::OverPriced(_) => {
                sub.misses = sub.misses.saturating_add(1)
            }
            Outcome::Short(_) => {}
        }
        // Registry gas so far on this subscriber, less the callback's own.
        let spent = |call: &SystemCall| {
            list_read_gas
                .saturating_add(start.saturating_sub(call.gas_left()))
                .saturating_sub(callback_gas_used)
        };
        let sub_write = |sub: &SubWord| {
            if *sub != before {
                gas::STORAGE_WRITE
            } else {
                0
            }
        };
        // The event's size does not depend on the fee: a placeholder prices it.
        let event_gas = self
            .event(who, &outcome, deposit, callback_gas_used, U256::zero())
            .gas();
        let fee_for = |registry_gas: u64| {
            fee_price.saturating_mul(U256::from(
                callback_gas_used
                    .saturating_add(registry_gas)
                    .saturating_add(self.share),
            ))
        };
        // Parked if it missed too often, could not pay this round, or
        // could not pay the next one at this price after this fee.
        let fee_if_listed = fee_for(
            spent(call)
                .saturating_add(sub_write(&sub))
                .saturating_add(gas::STORAGE_WRITE)
                .saturating_add(event_gas),
        );
        let park = sub.misses >= PARK_AFTER_MISSES
            || matches!(outcome, Outcome::Short(_))
            || deposit.saturating_sub(fee_if_listed) < needed;
        let mut parked_gas = 0;
        if park {
            unlist(&mut Store { call }, self.feed, subs, &sub)?;
            sub.slot = 0;
            parked_gas = log_gas(&self.parked(who, &sub, deposit));
        }
        let registry_gas = spent(call)
            .saturating_add(sub_write(&sub))
            .saturating_add(gas::STORAGE_WRITE)
            .saturating_add(event_gas)
            .saturating_add(parked_gas);
        let charged = fee_for(registry_gas).min(deposit);
        let left = deposit.saturating_sub(charged);
        let mut store = Store { call };
        if sub != before {
            store.set_sub(self.feed, who, &sub)?;
        }
        store.set_deposit(self.feed, who, left)?;
        self.event(who, &outcome, deposit, callback_gas_used, charged)
            .emit(call)?;
        if park {
            let parked = self.parked(who, &sub, left);
            emit(call, &parked)?;
        }
        Ok(charged)
    }

    fn parked(&self, who: H160, sub: &SubWord, deposit: U256) -> I::SubscriberParked {
        I::SubscriberParked {
            feedId: self.feed,
            subscriber: who.to_alloy(),
            roundId: self.round,
            misses: sub.misses,
            deposit: deposit.to_alloy(),
        }
    }

    /// The event that records `outcome` for `who`.
    fn event(
        &self,
        who: H160,
        outcome: &Outcome,
        deposit: U256,
        gas_used: u64,
        fee: U256,
    ) -> Event {
        let (feed_id, subscriber, round_id) = (self.feed, who.to_alloy(), self.round);
        let fee = fee.to_alloy();
        match outcome {
            Outcome::Delivered => Event::Delivered(I::CallbackDelivered {
                feedId: feed_id,
                subscriber,
                roundId: round_id,
                gasUsed: gas_used,
                fee,
            }),
            Outcome::Failed(reason) => Event::Failed(I::CallbackFailed {
                feedId: feed_id,
                subscriber,
                roundId: round_id,
                gasUsed: gas_used,
                fee,
                reason: reason.clone().into(),
            }),
            Outcome::OverPriced(cap) => Event::OverPriced(I::CallbackOverPriced {
                feedId: feed_id,
                subscriber,
                roundId: round_id,
                gasPrice: self.price.to_alloy(),
                maxGasPrice: cap.to_alloy(),
                fee,
            }),
            Outcome::Short(needed) => Event::Skipped(I::CallbackSkipped {
                feedId: feed_id,
                subscriber,
                roundId: round_id,
                deposit: deposit.to_alloy(),
                needed: needed.to_alloy(),
                fee,
            }),
        }
    }
}

enum Event {
    Delivered(I::CallbackDelivered),
    Failed(I::CallbackFailed),
    OverPriced(I::CallbackOverPriced),
    Skipped(I::CallbackSkipped),
}

impl Event {
    fn gas(&self) -> u64 {
        match self {
            Event::Delivered(e) => log_gas(e),
            Event::Failed(e) => log_gas(e),
            Event::OverPriced(e) => log_gas(e),
            Event::Skipped(e) => log_gas(e),
        }
    }

    fn emit(&self, call: &mut SystemCall) -> R<()> {
        match self {
            Event::Delivered(e) => emit(call, e),
            Event::Failed(e) => emit(call, e),
            Event::OverPriced(e) => emit(call, e),
            Event::Skipped(e) => emit(call, e),
        }
    }
}
