//! Request/response (the Town Crier pattern): a contract asks a feed's
//! signer set for one datum, with a fee, a callback gas limit and an
//! expiry. The nodes answer with a quorum-signed response (observations
//! signed as [`Kind::Response`] with the request id as the round); the
//! registry checks it as it checks a round, runs the callback, and pays
//! the fee to the transmitter. After expiry the requester may cancel and
//! get the fee back. Exactly one of the two happens.
//!
//! `query` names the datum: zero asks for the feed's own value, now;
//! anything else is `keccak256(name)` of a query the oracle nodes have
//! configured (docs/oracle.md).

use alloy_sol_types::SolCall;
use orac_primitives::alloy::ToOrac;
use orac_primitives::{H160, U256};
use orac_vm::{SystemCall, SystemExit};

use super::abi::{IOracleConsumer, IOracleRegistry as I, RequestData};
use super::feeds::{check_report, decode_report, emit, require_feed};
use super::store::{RequestStatus, RequestTerms, Store};
use super::subs::check_callback_gas;
use orac_primitives::alloy::ToAlloy;

use super::{CALLBACK_OVERHEAD, MAX_REQUEST_TTL, fail};
use orac_oracle::report::Kind;

type R<T> = Result<T, SystemExit>;

pub(super) fn request(call: &mut SystemCall, c: I::requestCall) -> R<Vec<u8>> {
    check_callback_gas(c.callbackGas)?;
    let fee = call.value();
    if fee.is_zero() {
        return Err(fail("a request needs a fee (the message's value)"));
    }
    let now = call.block().timestamp;
    // Near the end of time the latest expiry is u64::MAX.
    if c.expiresAt <= now || c.expiresAt > now.saturating_add(MAX_REQUEST_TTL) {
        return Err(fail(format!(
            "expiry {} must be after the block time {now} and at most {MAX_REQUEST_TTL}s later",
            c.expiresAt
        )));
    }
    let requester = call.caller();
    let mut store = Store { call };
    require_feed(&mut store, c.feedId)?;
    let id = store
        .request_count()?
        .checked_add(1)
        .ok_or_else(|| fail("no request ids left"))?;
    store.set_request_count(id)?;
    store.set_request_owner(id, requester, RequestStatus::Pending)?;
    store.set_request_terms(
        id,
        &RequestTerms {
            feed: c.feedId,
            callback_gas: c.callbackGas,
            requested_at: now,
            expires_at: c.expiresAt,
        },
    )?;
    store.set_request_fee(id, fee)?;
    store.set_request_query(id, c.query.to_orac())?;
    emit(
        call,
        &I::OracleRequest {
            requestId: id,
            feedId: c.feedId,
            requester: requester.to_alloy(),
            query: c.query,
            fee: fee.to_alloy(),
            callbackGas: c.callbackGas,
            expiresAt: c.expiresAt,
        },
    )?;
    Ok(I::requestCall::abi_encode_returns(&id))
}

fn pending(store: &mut Store, id: u64) -> R<(H160, RequestTerms)> {
    let (requester, status) = store.request_owner(id)?;
    match status {
        RequestStatus::Pending => Ok((requester, store.request_terms(id)?)),
        RequestStatus::None => Err(fail(format!("no request {id}"))),
        RequestStatus::Fulfilled => Err(fail(format!("request {id} was already answered"))),
        RequestStatus::Cancelled => Err(fail(format!("request {id} was cancelled"))),
    }
}

/// A quorum-signed answer to a pending request.
pub(super) fn respond(call: &mut SystemCall, data: &[u8]) -> R<Vec<u8>> {
    let report = decode_report(data)?;
    let id = report.round;
    let (requester, terms) = pending(&mut Store { call }, id)?;
    let now = call.block().timestamp;
    if now > terms.expires_at {
        return Err(fail(format!(
            "request {id} expired at {}",
            terms.expires_at
        )));
    }
    if report.feed_id != terms.feed {
        return Err(fail(format!(
            "request {id} is for feed {}, the response is for feed {}",
            terms.feed, report.feed_id
        )));
    }
    // The round field is the request id: exactly this one, and only data
    // observed since the request was made.
    let (_, answer) = check_report(call, &report, Kind::Response, id, terms.requested_at)?;
    let need = terms
        .callback_gas
        .saturating_add(terms.callback_gas / 63)
        .saturating_add(CALLBACK_OVERHEAD);
    if call.gas_left() < need {
        return Err(fail(format!(
            "insufficient gas for the callback: need {need}, {} left",
            call.gas_left()
        )));
    }
    let mut store = Store { call };
    // Marked answered before the callback runs, so it cannot re-enter.
    store.set_request_owner(id, requester, RequestStatus::Fulfilled)?;
    let fee = store.request_fee(id)?;
    let input = IOracleConsumer::onOracleResponseCall {
        requestId: id,
        answer: alloy_primitives::I256::try_from(answer.answer).unwrap_or_default(),
        observedAt: answer.observed_at,
    }
    .abi_encode();
    let result = call.call(requester, U256::zero(), input, terms.callback_gas)?;
    let transmitter = call.caller();
    call.pay(transmitter, fee)?;
    emit(
        call,
        &I::OracleResponse {
            requestId: id,
            answer: alloy_primitives::I256::try_from(answer.answer).unwrap_or_default(),
            observedAt: answer.observed_at,
            callbackSucceeded: result.success,
        },
    )?;
    Ok(Vec::new())
}

/// The requester takes back the fee of a request nobody answered in time.
pub(super) fn cancel(call: &mut SystemCall, id: u64) -> R<Vec<u8>> {
    let caller = call.caller();
    let mut store = Store { call };
    let (requester, terms) = pending(&mut store, id)?;
    if requester != caller {
        return Err(fail(format!(
            "only the requester {requester:?} may cancel request {id}"
        )));
    }
    let now = store.call.block().timestamp;
    if now <= terms.expires_at {
        return Err(fail(format!(
            "request {id} is open until {}; the block time is {now}",
            terms.expires_at
        )));
    }
    store.set_request_owner(id, requester, RequestStatus::Cancelled)?;
    let fee = store.request_fee(id)?;
    call.pay(requester, fee)?;
    emit(
        call,
        &I::RequestCancelled {
            requestId: id,
            refund: fee.to_alloy(),
        },
    )?;
    Ok(Vec::new())
}

pub(super) fn get(call: &mut SystemCall, id: u64) -> R<Vec<u8>> {
    let mut store = Store { call };
    let (requester, status) = store.request_owner(id)?;
    if status == RequestStatus::None {
        return Err(fail(format!("no request {id}")));
    }
    let terms = store.request_terms(id)?;
    let data = RequestData {
        requester: requester.to_alloy(),
        feedId: terms.feed,
        query: store.request_query(id)?.0.into(),
        fee: store.request_fee(id)?.to_alloy(),
        callbackGas: terms.callback_gas,
        requestedAt: terms.requested_at,
        expiresAt: terms.expires_at,
        status: status as u8,
    };
    Ok(I::getRequestCall::abi_encode_returns(&data))
}
