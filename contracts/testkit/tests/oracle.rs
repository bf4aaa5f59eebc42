//! `TestFeed` against the real registry: rounds, medians, refused reports,
//! request/response; and the SDK's subscriptions, capped and not, from a
//! contract on the VM (`subscriber/`).

use std::path::Path;

use alloy_primitives::{Address, B256, I256, U256, Uint};
use alloy_sol_types::sol;
use orac_oracle::Kind;
use orac_oracle::abi::{
    AggregatorV3Interface as Agg, IOracleRegistry as I, IOracleRegistryV2 as I2,
};
use orac_testkit::oracle::{FEED_ACCOUNT, TestFeed, registry};
use orac_testkit::{Artifact, TestChain};

sol! {
    interface ISubscriber {
        event Updated(uint64 indexed feedId, uint64 roundId, int256 answer);
        function subscribe(uint64 feed, uint64 callbackGas) external payable;
        function subscribeCapped(uint64 feed, uint64 callbackGas, uint256 maxGasPrice) external payable;
        function lastRound() external view returns (uint64);
    }
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

fn subscriber() -> Artifact {
    orac_testkit::build_standalone(Path::new(env!("CARGO_MANIFEST_DIR")).join("subscriber"))
}

const GWEI: u64 = 1_000_000_000;
/// The subscriber's callback gas: a callback uses 43,000 to 64,000
/// (measured), most of it instantiating the contract.
const CALLBACK_GAS: u64 = 150_000;

/// `oracle::subscribe_with_max_gas_price` on the VM against the registry's
/// rule (docs/oracle.md, "A gas price cap"): the testkit transmits at
/// 2 gwei, so a subscription capped at 1 gwei is not called back (it gets
/// `CallbackOverPriced` and pays the registry's gas on it at its cap),
/// while ones capped at 2 gwei (the price: not above the cap) and 3 gwei,
/// and one without a cap, are. Subscribing again changes the cap; the
/// two-argument `oracle::subscribe` keeps it; a zero cap is refused.
#[test]
fn a_capped_subscription_is_called_back_only_at_or_below_its_cap() {
    let artifact = subscriber();
    let mut chain = TestChain::new();
    let mut feed = TestFeed::create(&mut chain, 4, 1, 8);
    let id = feed.id();
    let alice = chain.account(0);
    let deposit = U256::from(10u64.pow(16));
    let gwei = |n: u64| U256::from(n * GWEI);

    let deploy = |chain: &mut TestChain, cap: Option<U256>| -> Address {
        let at = chain.deploy(alice, &artifact, ()).address();
        let r = match cap {
            Some(cap) => chain.call_with_value(
                alice,
                at,
                deposit,
                &ISubscriber::subscribeCappedCall {
                    feed: id,
                    callbackGas: CALLBACK_GAS,
                    maxGasPrice: cap,
                },
            ),
            None => chain.call_with_value(
                alice,
                at,
                deposit,
                &ISubscriber::subscribeCall {
                    feed: id,
                    callbackGas: CALLBACK_GAS,
                },
            ),
        };
        assert!(r.success, "{:?}", r.revert_message());
        at
    };
    let below = deploy(&mut chain, Some(gwei(1)));
    let at_price = deploy(&mut chain, Some(gwei(2)));
    let above = deploy(&mut chain, Some(gwei(3)));
    let uncapped = deploy(&mut chain, None);

    let state = |chain: &mut TestChain, who: Address| {
        chain
            .view(
                registry(),
                &I2::subscriptionStateCall {
                    feedId: id,
                    subscriber: who,
                },
            )
            .unwrap_or_else(|r| panic!("subscriptionState: {:?}", r.revert_message()))
    };
    for (who, cap) in [
        (below, gwei(1)),
        (at_price, gwei(2)),
        (above, gwei(3)),
        (uncapped, U256::MAX),
    ] {
        let s = state(&mut chain, who);
        assert_eq!((s.callbackGas, s.maxGasPrice), (CALLBACK_GAS, cap));
        assert_eq!(s.deposit, deposit);
        assert!(s.active);
    }

    let last_round = |chain: &mut TestChain, who: Address| {
        chain
            .view(who, &ISubscriber::lastRoundCall {})
            .unwrap_or_else(|r| panic!("lastRound: {:?}", r.revert_message()))
    };
    let r = feed.push(&mut chain, 300_000_000_000);
    assert!(r.success, "{:?}", r.revert_message());
    let over = r.events::<I::CallbackOverPriced>();
    assert_eq!(
        over.len(),
        1,
        "only the subscription capped below the price"
    );
    assert_eq!(over[0].subscriber, below);
    assert_eq!((over[0].gasPrice, over[0].maxGasPrice), (gwei(2), gwei(1)));
    let mut delivered: Vec<Address> = r
        .events::<I::CallbackDelivered>()
        .iter()
        .map(|e| e.subscriber)
        .collect();
    delivered.sort();
    let mut expected = vec![at_price, above, uncapped];
    expected.sort();
    assert_eq!(delivered, expected);
    let updated = r.events::<ISubscriber::Updated>();
    assert_eq!(updated.len(), 3);
    assert!(
        updated
            .iter()
            .all(|u| u.roundId == 1 && u.answer == I256::try_from(300_000_000_000i128).unwrap())
    );
    assert_eq!(last_round(&mut chain, below), 0, "not called back");
    for who in [at_price, above, uncapped] {
        assert_eq!(last_round(&mut chain, who), 1);
    }
    // The skipped subscription paid only the registry's gas on it, at its
    // cap, and counts a miss.
    let s = state(&mut chain, below);
    assert_eq!(s.deposit, deposit - over[0].fee);
    assert!(!over[0].fee.is_zero());
    assert_eq!(over[0].fee % gwei(1), U256::ZERO);
    assert!(
        over[0].fee
            <= gwei(1)
                * U256::from(
                    orac_sdk::oracle::CALLBACK_OVERHEAD + orac_sdk::oracle::ROUND_DELIVERY_GAS
                )
    );
    assert_eq!(s.misses, 1);

    // Raising the cap through the SDK again: called back from the next
    // round on; a later uncapped `subscribe` keeps the cap.
    let r = chain.call(
        alice,
        below,
        &ISubscriber::subscribeCappedCall {
            feed: id,
            callbackGas: CALLBACK_GAS,
            maxGasPrice: gwei(2),
        },
    );
    assert!(r.success, "{:?}", r.revert_message());
    let r = chain.call(
        alice,
        below,
        &ISubscriber::subscribeCall {
            feed: id,
            callbackGas: CALLBACK_GAS,
        },
    );
    assert!(r.success, "{:?}", r.revert_message());
    let s = state(&mut chain, below);
    assert_eq!((s.maxGasPrice, s.misses), (gwei(2), 0));
    chain.advance(60);
    let r = feed.push(&mut chain, 301_000_000_000);
    assert!(r.success, "{:?}", r.revert_message());
    assert!(r.events::<I::CallbackOverPriced>().is_empty());
    assert_eq!(r.events::<I::CallbackDelivered>().len(), 4);
    assert_eq!(last_round(&mut chain, below), 2);

    // A zero cap is refused, with the registry's reason.
    let r = chain.call(
        alice,
        above,
        &ISubscriber::subscribeCappedCall {
            feed: id,
            callbackGas: CALLBACK_GAS,
            maxGasPrice: U256::ZERO,
        },
    );
    assert!(!r.success);
    let reason = r.revert_message().unwrap_or_default();
    assert!(
        reason.contains("maxGasPrice must be above zero"),
        "{reason}"
    );
}
