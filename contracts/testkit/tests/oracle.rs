//! `TestFeed` against the real registry: rounds, medians, refused reports,
//! request/response; and the SDK's copy of the registry's constants.

use alloy_primitives::{Address, B256, I256, U256, Uint};
use alloy_sol_types::SolCall;
use orac_oracle::Kind;
use orac_oracle::registry::abi::{AggregatorV3Interface as Agg, IOracleRegistry as I};
use orac_testkit::TestChain;
use orac_testkit::oracle::{FEED_ACCOUNT, TestFeed, registry};

#[test]
fn the_sdk_agrees_with_the_registry() {
    use orac_oracle::registry as r;
    use orac_sdk::oracle as sdk;
    assert_eq!(sdk::REGISTRY.0.0, r::REGISTRY.0);
    for id in [0, 1, 7, u64::MAX] {
        assert_eq!(sdk::aggregator(id).0.0, r::feed_address(id).0);
    }
    assert_eq!(sdk::MIN_CALLBACK_GAS, r::MIN_CALLBACK_GAS);
    assert_eq!(sdk::MAX_CALLBACK_GAS, r::MAX_CALLBACK_GAS);
    assert_eq!(sdk::CALLBACK_OVERHEAD, r::CALLBACK_OVERHEAD);
    assert_eq!(sdk::PAYOUT_GAS, r::PAYOUT_GAS);
    assert_eq!(sdk::ROUND_DELIVERY_GAS, r::ROUND_DELIVERY_GAS);
    assert_eq!(sdk::MAX_REQUEST_TTL, r::MAX_REQUEST_TTL);
    assert_eq!(
        sdk::ON_ORACLE_UPDATE,
        r::abi::IOracleConsumer::onOracleUpdateCall::SELECTOR
    );
    assert_eq!(
        sdk::ON_ORACLE_RESPONSE,
        r::abi::IOracleConsumer::onOracleResponseCall::SELECTOR
    );
    // The SDK's slice of the interface has the registry's selectors.
    assert_eq!(
        sdk::IOracleRegistry::latestRoundCall::SELECTOR,
        I::latestRoundCall::SELECTOR
    );
    assert_eq!(
        sdk::IOracleRegistry::subscribeCall::SELECTOR,
        I::subscribeCall::SELECTOR
    );
    assert_eq!(
        sdk::IOracleRegistry::requestCall::SELECTOR,
        I::requestCall::SELECTOR
    );
}

#[test]
fn pushes_become_rounds() {
    let mut chain = TestChain::new();
    let mut feed = TestFeed::create(&mut chain, 4, 1, 8);
    assert_eq!(feed.id(), 1);
    assert_eq!(feed.transmitter(), chain.account(FEED_ACCOUNT));
    assert!(feed.latest(&mut chain).is_err(), "no data yet");

    let r = feed.push(&mut chain, 300_000_000_000);
    assert!(r.success, "{:?}", r.revert_message());
    let ev = &r.events::<I::NewRound>()[0];
    assert_eq!((ev.feedId, ev.roundId, ev.signers), (1, 1, 3));
    chain.advance(30);
    assert!(feed.push(&mut chain, -5).success, "any i128 is in bounds");
    let latest = feed.latest(&mut chain).unwrap();
    assert_eq!(
        (latest.roundId, latest.answer, latest.observedAt),
        (2, I256::try_from(-5).unwrap(), chain.block.timestamp)
    );

    // Four signers, one lying: the median is an honest value.
    chain.advance(30);
    let r = feed.push_values(&mut chain, &[100, 101, 1_000_000, 102]);
    assert!(r.success);
    assert_eq!(feed.round(), 3);
    let agg = chain
        .view(feed.aggregator(), &Agg::latestRoundDataCall {})
        .unwrap();
    assert_eq!(agg.roundId, Uint::<80, 2>::from(3u64));
    assert_eq!(agg.answer, I256::try_from(101).unwrap());
    assert_eq!(
        chain
            .view(feed.aggregator(), &Agg::decimalsCall {})
            .unwrap(),
        8
    );

    // Too few observations: refused, and the round number stays free.
    let r = feed.push_values(&mut chain, &[1, 1]);
    assert!(!r.success);
    assert!(r.revert_message().unwrap().contains("needs at least 3"));
    assert_eq!(feed.round(), 3);
    assert!(feed.push(&mut chain, 7).success);
    assert_eq!(feed.round(), 4);

    // A second feed gets the next id and its own rounds.
    let mut other = TestFeed::create(&mut chain, 7, 2, 18);
    assert_eq!(other.id(), 2);
    let r = other.push(&mut chain, 1);
    assert_eq!(r.events::<I::NewRound>()[0].signers, 5);
    // A hand-made report: a replay of round 1 is refused.
    let old = other.report(&mut chain, Kind::Round, 1, &[1, 1, 1, 1, 1], 0);
    let r = other.transmit(&mut chain, &old);
    assert!(
        r.revert_message()
            .unwrap()
            .contains("not above the last round")
    );
}

#[test]
fn requests_are_answered_by_respond() {
    let mut chain = TestChain::new();
    let mut feed = TestFeed::create(&mut chain, 4, 1, 8);
    // An account can ask too; its "callback" is a call to an account
    // without code, which succeeds.
    let asker = chain.account(0);
    let fee = U256::from(10u64.pow(15));
    let r = chain.call_with_value(
        asker,
        registry(),
        fee,
        &I::requestCall {
            feedId: feed.id(),
            query: B256::ZERO,
            callbackGas: 50_000,
            expiresAt: chain.block.timestamp + 60,
        },
    );
    let id = r.decode::<I::requestCall>();
    let before = chain.balance(feed.transmitter());
    let r = feed.respond(&mut chain, id, 42);
    assert!(r.success, "{:?}", r.revert_message());
    let ev = &r.events::<I::OracleResponse>()[0];
    assert_eq!((ev.requestId, ev.answer), (id, I256::try_from(42).unwrap()));
    let gas = U256::from(r.gas_used) * U256::from(2_000_000_000u64);
    assert_eq!(chain.balance(feed.transmitter()), before - gas + fee);
    let _: Address = feed.aggregator();
}
