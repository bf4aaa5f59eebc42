//! Subscriptions: contracts that prepay a deposit to be called back with
//! every new round of a feed, within their own gas limit.
//!
//! Delivery happens in the round's own transaction, to every subscriber,
//! each in an isolated sub-call: a subscriber that reverts, traps or runs
//! out of its gas has its own effects rolled back, an event records it,
//! and the others go ahead. Each callback costs its subscriber
//! `(gas used, at most its limit, + CALLBACK_OVERHEAD + its share of
//! PAYOUT_GAS) × gas price` from its deposit, paid to the transmitter; a
//! subscriber whose deposit cannot cover its limit is skipped (with an
//! event) until it tops up.

use alloy_sol_types::SolCall;
use orac_primitives::{H160, U256};
use orac_vm::{SystemCall, SystemExit};

use super::abi::{IOracleConsumer, IOracleRegistry as I};
use super::feeds::{emit, require_feed};
use super::store::{Store, SubWord, SubsWord};
use super::{
    CALLBACK_OVERHEAD, MAX_CALLBACK_GAS, MAX_DELIVERY_GAS, MAX_SUBSCRIBERS, MIN_CALLBACK_GAS,
    PAYOUT_GAS, fail, to_abi_address, to_abi_u256,
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

/// Subscribes the caller (or changes its callback gas), adding the
/// message's value to its deposit.
pub(super) fn subscribe(call: &mut SystemCall, feed: u64, callback_gas: u64) -> R<Vec<u8>> {
    check_callback_gas(callback_gas)?;
    let who = call.caller();
    let value = call.value();
    let mut store = Store { call };
    require_feed(&mut store, feed)?;
    let mut subs = store.subs(feed)?;
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
        subs.reserved_gas - sub.callback_gas
    };
    if others + callback_gas > MAX_DELIVERY_GAS {
        return Err(fail(format!(
            "feed {feed}'s subscribers already reserve {others} callback gas; \
             {callback_gas} more would pass the delivery limit of {MAX_DELIVERY_GAS}"
        )));
    }
    subs.reserved_gas = others + callback_gas;
    sub.callback_gas = callback_gas;
    store.set_subs(feed, &subs)?;
    store.set_sub(feed, who, &sub)?;
    let deposit = store.deposit(feed, who)?.saturating_add(value);
    store.set_deposit(feed, who, deposit)?;
    emit(
        call,
        &I::Subscribed {
            feedId: feed,
            subscriber: to_abi_address(who),
            callbackGas: callback_gas,
            deposit: to_abi_u256(deposit),
        },
    )?;
    Ok(Vec::new())
}

/// Ends the caller's subscription and pays back what is left of its
/// deposit (as a plain balance credit: no code runs, nothing re-enters).
pub(super) fn unsubscribe(call: &mut SystemCall, feed: u64) -> R<Vec<u8>> {
    let who = call.caller();
    let mut store = Store { call };
    let sub = store.sub(feed, who)?;
    if sub.slot == 0 {
        return Err(fail(format!("{who:?} is not subscribed to feed {feed}")));
    }
    let mut subs = store.subs(feed)?;
    let (index, last) = (sub.slot - 1, subs.count - 1);
    if index != last {
        // Swap the last subscriber into the freed place.
        let moved = store.sub_at(feed, last)?;
        store.set_sub_at(feed, index, moved)?;
        let mut moved_sub = store.sub(feed, moved)?;
        moved_sub.slot = sub.slot;
        store.set_sub(feed, moved, &moved_sub)?;
    }
    store.set_sub_at(feed, last, H160::zero())?;
    subs.count -= 1;
    subs.reserved_gas -= sub.callback_gas;
    store.set_subs(feed, &subs)?;
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
            subscriber: to_abi_address(who),
            refund: to_abi_u256(refund),
        },
    )?;
    Ok(Vec::new())
}

pub(super) fn subscription(call: &mut SystemCall, feed: u64, who: H160) -> R<Vec<u8>> {
    let mut store = Store { call };
    let sub = store.sub(feed, who)?;
    let deposit = store.deposit(feed, who)?;
    Ok(I::subscriptionCall::abi_encode_returns(
        &I::subscriptionReturn {
            callbackGas: sub.callback_gas,
            deposit: to_abi_u256(deposit),
        },
    ))
}

pub(super) fn list(call: &mut SystemCall, feed: u64) -> R<Vec<u8>> {
    let mut store = Store { call };
    let subs = store.subs(feed)?;
    let list = (0..subs.count)
        .map(|i| store.sub_at(feed, i).map(to_abi_address))
        .collect::<R<Vec<_>>>()?;
    Ok(I::subscribersCall::abi_encode_returns(&list))
}

/// Gas a transmission must still have when delivery starts, so that every
/// subscriber gets its whole limit under the 63/64 rule. A transmitter
/// cannot starve subscribers by sending too little gas: the transmission
/// reverts instead.
pub fn delivery_gas(subs: &SubsWord) -> u64 {
    subs.reserved_gas + subs.reserved_gas / 63 + subs.count as u64 * CALLBACK_OVERHEAD
}

/// Calls every subscriber of `feed` with the new round.
pub(super) fn deliver(
    call: &mut SystemCall,
    feed: u64,
    round: u64,
    answer: i128,
    observed_at: u64,
) -> R<()> {
    let mut store = Store { call };
    let subs = store.subs(feed)?;
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
    // A snapshot: callbacks may subscribe or unsubscribe (re-entering the
    // registry) while the list is being walked.
    let list = (0..subs.count)
        .map(|i| store.sub_at(feed, i))
        .collect::<R<Vec<_>>>()?;
    let price = call.env().gas_price;
    let input = IOracleConsumer::onOracleUpdateCall {
        feedId: feed,
        roundId: round,
        answer: alloy_primitives::I256::try_from(answer).unwrap_or_default(),
        observedAt: observed_at,
    }
    .abi_encode();
    // Paying the collected fees to the transmitter is one value transfer
    // per round; each subscriber's fee carries an equal share of it.
    let payout_share = PAYOUT_GAS.div_ceil(list.len() as u64);
    let mut fees = U256::zero();
    for who in list {
        let mut store = Store { call };
        let sub = store.sub(feed, who)?;
        if sub.slot == 0 {
            continue;
        }
        let deposit = store.deposit(feed, who)?;
        let max_fee = price.saturating_mul(U256::from(
            sub.callback_gas + CALLBACK_OVERHEAD + payout_share,
        ));
        if deposit < max_fee {
            emit(
                call,
                &I::CallbackSkipped {
                    feedId: feed,
                    subscriber: to_abi_address(who),
                    roundId: round,
                    deposit: to_abi_u256(deposit),
                    needed: to_abi_u256(max_fee),
                },
            )?;
            continue;
        }
        let before = call.gas_left();
        let result = call.call(who, U256::zero(), input.clone(), sub.callback_gas)?;
        let used = before.saturating_sub(call.gas_left()).min(sub.callback_gas);
        let fee = price.saturating_mul(U256::from(used + CALLBACK_OVERHEAD + payout_share));
        // Read again: the callback may have topped up or unsubscribed.
        let mut store = Store { call };
        let charged = if store.sub(feed, who)?.slot != 0 {
            let deposit = store.deposit(feed, who)?;
            let charged = fee.min(deposit);
            store.set_deposit(feed, who, deposit - charged)?;
            charged
        } else {
            U256::zero()
        };
        fees = fees.saturating_add(charged);
        let (subscriber, fee) = (to_abi_address(who), to_abi_u256(charged));
        if result.success {
            emit(
                call,
                &I::CallbackDelivered {
                    feedId: feed,
                    subscriber,
                    roundId: round,
                    gasUsed: used,
                    fee,
                },
            )?;
        } else {
            let reason = match result.error {
                Some(e) => e.into_bytes(),
                None => result.output,
            };
            emit(
                call,
                &I::CallbackFailed {
                    feedId: feed,
                    subscriber,
                    roundId: round,
                    gasUsed: used,
                    fee,
                    reason: reason.into(),
                },
            )?;
        }
    }
    if !fees.is_zero() {
        let transmitter = call.caller();
        call.pay(transmitter, fees)?;
    }
    Ok(())
}
