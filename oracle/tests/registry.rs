//! The feed registry on the real VM, through signed transactions
//! (orac-testkit): feeds, rounds and every rejection, the AggregatorV3
//! view, subscriptions with honest, reverting, looping and unfunded
//! subscribers, and request/response. Subscribers are WAT contracts
//! (tests/contracts/consumer.wat).

use alloy_primitives::{Address, B256, I256, U256, Uint};
use alloy_sol_types::SolCall;
use orac_oracle::registry::abi::{AggregatorV3Interface as Agg, FeedParams, IOracleRegistry as I};
use orac_oracle::registry::{REGISTRY, feed_address};
use orac_oracle::{Domain, Kind, Observation, Report};
use orac_primitives::{H256, PrivateKey};
use orac_testkit::{Receipt, TestChain};

const GWEI: u64 = 1_000_000_000;

fn registry() -> Address {
    Address::from(REGISTRY.0)
}

fn key(i: u8) -> PrivateKey {
    PrivateKey::from_bytes(&[i + 1; 32]).unwrap()
}

fn params(signers: &[u8], f: u8) -> FeedParams {
    FeedParams {
        description: "ETH / USD".into(),
        decimals: 8,
        signers: signers
            .iter()
            .map(|i| Address::from(key(*i).address().0))
            .collect(),
        f,
        heartbeat: 3600,
        deviationPpb: 5_000_000,
        minAnswer: I256::try_from(1).unwrap(),
        maxAnswer: I256::try_from(100_000_000_000_000_i128).unwrap(),
    }
}

struct Fixture {
    chain: TestChain,
    admin: Address,
    transmitter: Address,
    feed: u64,
}

impl Fixture {
    /// Feed 1: four signers (keys 0-3), f = 1.
    fn new() -> Self {
        let mut chain = TestChain::new();
        let admin = chain.account(0);
        let transmitter = chain.account(1);
        let r = chain.call(
            admin,
            registry(),
            &I::createFeedCall {
                params: params(&[0, 1, 2, 3], 1),
            },
        );
        let feed = r.decode::<I::createFeedCall>();
        assert_eq!(feed, 1);
        Self {
            chain,
            admin,
            transmitter,
            feed,
        }
    }

    fn digest(&mut self) -> H256 {
        let c = self
            .chain
            .view(registry(), &I::feedConfigCall { feedId: self.feed })
            .unwrap();
        H256(c.configDigest.0)
    }

    fn domain(&self) -> Domain {
        Domain {
            chain_id: self.chain.block.chain_id,
            registry: REGISTRY,
        }
    }

    /// A report of `values` by signers `who`, observed at the block time.
    fn report(&mut self, kind: Kind, round: u64, who: &[u8], values: &[i128]) -> Report {
        let digest = self.digest();
        let at = self.chain.block.timestamp;
        let domain = self.domain();
        self.signed(&domain, kind, round, who, values, at, digest)
    }

    #[allow(clippy::too_many_arguments)]
    fn signed(
        &self,
        domain: &Domain,
        kind: Kind,
        round: u64,
        who: &[u8],
        values: &[i128],
        at: u64,
        digest: H256,
    ) -> Report {
        Report {
            feed_id: self.feed,
            config_digest: digest,
            round,
            observations: who
                .iter()
                .zip(values)
                .map(|(i, v)| {
                    domain.sign(
                        kind,
                        &key(*i),
                        self.feed,
                        digest,
                        &Observation {
                            round,
                            observed_at: at,
                            value: *v,
                        },
                    )
                })
                .collect(),
        }
    }

    /// Signs and transmits a round.
    fn round(&mut self, kind: Kind, round: u64, who: &[u8], values: &[i128]) -> Receipt {
        let report = self.report(kind, round, who, values);
        self.transmit(&report)
    }

    fn transmit(&mut self, report: &Report) -> Receipt {
        self.transmit_with_gas(report, 10_000_000)
    }

    fn transmit_with_gas(&mut self, report: &Report, gas: u64) -> Receipt {
        let data = I::transmitCall {
            report: report.abi_encode().into(),
        }
        .abi_encode();
        self.chain
            .transact(self.transmitter, Some(registry()), U256::ZERO, data, gas)
    }

    fn latest(&mut self) -> (u64, i128) {
        let r = self
            .chain
            .view(registry(), &I::latestRoundCall { feedId: self.feed })
            .unwrap();
        (r.roundId, i128::try_from(r.answer).unwrap())
    }

    /// Deploys a consumer whose callbacks end with `tail` and subscribes
    /// it with `deposit` wei and `callback_gas`.
    fn consumer(&mut self, tail: &str, subscribe: Option<(u64, u64)>) -> Address {
        let wasm =
            wat::parse_str(include_str!("contracts/consumer.wat").replace("CALLBACK_TAIL", tail))
                .unwrap();
        let (args, value) = match subscribe {
            Some((gas, deposit)) => (
                I::subscribeCall {
                    feedId: self.feed,
                    callbackGas: gas,
                }
                .abi_encode(),
                U256::from(deposit),
            ),
            // Constructor forwards an empty message, which the registry
            // refuses: give it a harmless view instead.
            None => (I::feedCountCall {}.abi_encode(), U256::ZERO),
        };
        let r = self.chain.deploy_raw(self.admin, &wasm, args, value);
        assert!(r.success, "{:?} {:?}", r.error, r.revert_message());
        r.address()
    }

    fn slot(&mut self, who: Address, i: u8) -> B256 {
        self.chain.storage(who, B256::with_last_byte(i))
    }
}

fn reason(r: &Receipt) -> String {
    assert!(!r.success, "expected a revert, it succeeded");
    r.revert_message()
        .unwrap_or_else(|| format!("{:?}", r.error))
}

#[test]
fn an_honest_round_is_stored_and_readable_as_aggregator_v3() {
    let mut fx = Fixture::new();
    let report = fx.report(Kind::Round, 1, &[0, 1, 2], &[300_000, 300_100, 299_900]);
    let r = fx.transmit(&report);
    assert!(r.success, "{}", reason(&r));
    let ev = r.events::<I::NewRound>();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].answer, I256::try_from(300_000).unwrap());
    assert_eq!(fx.latest(), (1, 300_000));

    fx.chain.advance(10);
    let report = fx.report(
        Kind::Round,
        2,
        &[3, 1, 0, 2],
        &[310_000, 310_100, 309_900, 310_050],
    );
    assert!(fx.transmit(&report).success);
    assert_eq!(fx.latest(), (2, 310_000));

    // History stays readable, through the registry and AggregatorV3.
    let one = fx
        .chain
        .view(
            registry(),
            &I::getRoundCall {
                feedId: 1,
                roundId: 1,
            },
        )
        .unwrap();
    assert_eq!(one.answer, I256::try_from(300_000).unwrap());
    assert_eq!(one.signers, 3);
    let agg = Address::from(feed_address(1).0);
    let latest = fx.chain.view(agg, &Agg::latestRoundDataCall {}).unwrap();
    assert_eq!(latest.roundId, Uint::<80, 2>::from(2u64));
    assert_eq!(latest.answer, I256::try_from(310_000).unwrap());
    assert_eq!(latest.updatedAt, U256::from(fx.chain.block.timestamp));
    let old = fx
        .chain
        .view(
            agg,
            &Agg::getRoundDataCall {
                roundId: Uint::from(1u64),
            },
        )
        .unwrap();
    assert_eq!(old.answer, I256::try_from(300_000).unwrap());
    assert_eq!(fx.chain.view(agg, &Agg::decimalsCall {}).unwrap(), 8);
    assert_eq!(
        fx.chain.view(agg, &Agg::descriptionCall {}).unwrap(),
        "ETH / USD"
    );
    let addr = fx
        .chain
        .view(registry(), &I::aggregatorCall { feedId: 1 })
        .unwrap();
    assert_eq!(addr, agg);
}

#[test]
fn a_lying_node_stays_outside_the_answer() {
    let mut fx = Fixture::new();
    for liar in 0..4u8 {
        let values: Vec<i128> = (0..4)
            .map(|i| {
                if i == liar {
                    30_000_000
                } else {
                    300_000 + i as i128
                }
            })
            .collect();
        let report = fx.report(Kind::Round, liar as u64 + 1, &[0, 1, 2, 3], &values);
        assert!(fx.transmit(&report).success);
        let (_, answer) = fx.latest();
        assert!((300_000..=300_003).contains(&answer), "answer {answer}");
        fx.chain.advance(1);
    }
}

#[test]
fn bad_reports_are_refused_with_reasons() {
    let mut fx = Fixture::new();
    let good = fx.report(Kind::Round, 1, &[0, 1, 2], &[100, 100, 100]);
    assert!(fx.transmit(&good).success);
    fx.chain.advance(5);

    // Replayed: the same report again.
    assert!(reason(&fx.transmit(&good)).contains("not above the last round"));
    // Forged: key 9 is not a signer.
    let forged = fx.report(Kind::Round, 2, &[0, 1, 9], &[100, 100, 100]);
    assert!(reason(&fx.transmit(&forged)).contains("not authorized"));
    // Duplicate signer.
    let dup = fx.report(Kind::Round, 2, &[0, 1, 1], &[100, 100, 100]);
    assert!(reason(&fx.transmit(&dup)).contains("appears twice"));
    // Too few.
    let few = fx.report(Kind::Round, 2, &[0, 1], &[100, 100]);
    assert!(reason(&fx.transmit(&few)).contains("needs at least 3"));
    // Wrong chain: signed for chain 1.
    let digest = fx.digest();
    let other = Domain {
        chain_id: 1,
        registry: REGISTRY,
    };
    let at = fx.chain.block.timestamp;
    let wrong_chain = fx.signed(&other, Kind::Round, 2, &[0, 1, 2], &[1, 1, 1], at, digest);
    assert!(reason(&fx.transmit(&wrong_chain)).contains("not authorized"));
    // Stale: observed before the last round.
    let domain = fx.domain();
    let stale = fx.signed(
        &domain,
        Kind::Round,
        2,
        &[0, 1, 2],
        &[1, 1, 1],
        at - 60,
        digest,
    );
    assert!(reason(&fx.transmit(&stale)).contains("before the last round"));
    // From the future.
    let ahead = fx.signed(
        &domain,
        Kind::Round,
        2,
        &[0, 1, 2],
        &[1, 1, 1],
        at + 600,
        digest,
    );
    assert!(reason(&fx.transmit(&ahead)).contains("after the block time"));
    // A response cannot pass for a round.
    let response = fx.report(Kind::Response, 2, &[0, 1, 2], &[100, 100, 100]);
    assert!(reason(&fx.transmit(&response)).contains("not authorized"));
    // Garbage.
    let r = fx.chain.transact(
        fx.transmitter,
        Some(registry()),
        U256::ZERO,
        I::transmitCall {
            report: vec![1, 2, 3].into(),
        }
        .abi_encode(),
        1_000_000,
    );
    assert!(reason(&r).contains("malformed"));
    // None of it moved the feed.
    assert_eq!(fx.latest(), (1, 100));
}

#[test]
fn reconfiguring_retires_old_signers_and_old_reports() {
    let mut fx = Fixture::new();
    let old = fx.report(Kind::Round, 1, &[0, 1, 2], &[5, 5, 5]);
    // Only the admin reconfigures.
    let r = fx.chain.call(
        fx.transmitter,
        registry(),
        &I::setConfigCall {
            feedId: 1,
            params: params(&[4, 5, 6, 7], 1),
        },
    );
    assert!(reason(&r).contains("not the admin"));
    let r = fx.chain.call(
        fx.admin,
        registry(),
        &I::setConfigCall {
            feedId: 1,
            params: params(&[4, 5, 6, 7], 1),
        },
    );
    assert!(r.success, "{}", reason(&r));
    assert!(reason(&fx.transmit(&old)).contains("is for config"));
    let new = fx.report(Kind::Round, 1, &[0, 1, 2], &[5, 5, 5]);
    assert!(reason(&fx.transmit(&new)).contains("not authorized"));
    let new = fx.report(Kind::Round, 1, &[4, 5, 6], &[5, 5, 5]);
    assert!(fx.transmit(&new).success);
    // Invalid configurations are refused.
    let r = fx.chain.call(
        fx.admin,
        registry(),
        &I::createFeedCall {
            params: params(&[0, 1, 2], 1),
        },
    );
    assert!(reason(&r).contains("3f + 1"));
}

#[test]
fn an_answer_outside_the_bounds_is_announced_not_stored() {
    let mut fx = Fixture::new();
    assert!(fx.round(Kind::Round, 1, &[0, 1, 2], &[7, 7, 7]).success);
    let wild = fx.report(Kind::Round, 2, &[0, 1, 2], &[-5, -5, -5]);
    let r = fx.transmit(&wild);
    assert!(r.success);
    assert_eq!(r.events::<I::AnswerOutOfBounds>().len(), 1);
    assert_eq!(fx.latest(), (1, 7));
    // Its round number is used up: the same report cannot come back.
    assert!(reason(&fx.transmit(&wild)).contains("not above"));
    let next = I::nextRoundCall { feedId: 1 };
    assert_eq!(fx.chain.view(registry(), &next).ok(), Some(3));
}

#[test]
fn latest_no_older_than_refuses_stale_answers() {
    let mut fx = Fixture::new();
    let r = fx
        .chain
        .view(registry(), &I::latestRoundCall { feedId: 1 })
        .err()
        .expect("a revert");
    assert!(reason(&r).contains("no data yet"));
    assert!(fx.round(Kind::Round, 1, &[0, 1, 2], &[7, 7, 7]).success);
    fx.chain.advance(100);
    let fresh = I::latestNoOlderThanCall {
        feedId: 1,
        maxAge: 200,
    };
    assert_eq!(
        fx.chain.view(registry(), &fresh).unwrap().answer,
        I256::try_from(7).unwrap()
    );
    let stale = I::latestNoOlderThanCall {
        feedId: 1,
        maxAge: 50,
    };
    let r = fx.chain.view(registry(), &stale).err().expect("a revert");
    assert!(reason(&r).contains("stale answer"));
}

#[test]
fn subscribers_are_called_back_and_bad_ones_block_nobody() {
    let mut fx = Fixture::new();
    let deposit = 10u64.pow(16); // 0.01 ETH: many callbacks at 2 gwei
    // Two new storage slots cost 44,200 gas, the instance 9,192.
    let good = fx.consumer("(nop)", Some((100_000, deposit)));
    let reverting = fx.consumer(
        "(call $revert (i32.const 0) (i32.const 0))",
        Some((50_000, deposit)),
    );
    let looping = fx.consumer("(loop $l (br $l))", Some((50_000, deposit)));
    // Funded for less than one callback.
    let poor = fx.consumer("(nop)", Some((50_000, 1_000)));
    let subs = fx
        .chain
        .view(registry(), &I::subscribersCall { feedId: 1 })
        .unwrap();
    assert_eq!(subs, vec![good, reverting, looping, poor]);

    let before = fx.chain.balance(fx.transmitter);
    let r = fx.round(Kind::Round, 1, &[0, 1, 2], &[4242, 4242, 4242]);
    assert!(r.success, "{}", reason(&r));
    let delivered = r.events::<I::CallbackDelivered>();
    let failed = r.events::<I::CallbackFailed>();
    let skipped = r.events::<I::CallbackSkipped>();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].subscriber, good);
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].subscriber, reverting);
    assert_eq!(failed[1].subscriber, looping);
    assert_eq!(failed[1].gasUsed, 50_000, "a loop uses its whole limit");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].subscriber, poor);
    // The honest subscriber saw round 1 and the answer; the reverting one's
    // writes were rolled back.
    assert_eq!(fx.slot(good, 0), B256::with_last_byte(1));
    assert_eq!(fx.slot(good, 1), B256::from(U256::from(4242)));
    assert_eq!(fx.slot(reverting, 1), B256::ZERO);
    // Fees came out of deposits and went to the transmitter.
    let fees: U256 =
        delivered.iter().map(|e| e.fee).sum::<U256>() + failed.iter().map(|e| e.fee).sum::<U256>();
    let Ok(sub) = fx.chain.view(
        registry(),
        &I::subscriptionCall {
            feedId: 1,
            subscriber: looping,
        },
    ) else {
        panic!("a subscription")
    };
    let left = sub.deposit;
    assert_eq!(left, U256::from(deposit) - failed[1].fee);
    let gas_cost = U256::from(r.gas_used) * U256::from(2 * GWEI);
    assert_eq!(fx.chain.balance(fx.transmitter), before - gas_cost + fees);

    // Unsubscribing pays back the rest of the deposit, as a balance credit.
    let good_left = U256::from(deposit) - delivered[0].fee;
    let r = fx
        .chain
        .call(fx.admin, good, &I::unsubscribeCall { feedId: 1 });
    assert!(r.success, "{}", reason(&r));
    assert_eq!(fx.chain.balance(good), good_left);
    let subs = fx
        .chain
        .view(registry(), &I::subscribersCall { feedId: 1 })
        .unwrap();
    assert_eq!(subs.len(), 3);
    assert!(!subs.contains(&good));
}

/// A subscriber's callback cannot reach past the deterministic stack
/// bound, and cannot leave the registry's frame higher for the next one
/// (REPRO H1: a callback that recursed near the limit and then made a call
/// made every later subscriber fail "stack limit exceeded" at full price).
#[test]
fn a_deep_callback_leaves_the_next_subscriber_its_whole_stack() {
    let mut fx = Fixture::new();
    let deposit = 10u64.pow(16);
    let deep = fx.consumer("(call $deep (i32.const 11000))", Some((1_000_000, deposit)));
    let endless = fx.consumer("(call $endless (i32.const 0))", Some((1_000_000, deposit)));
    let also_deep = fx.consumer("(call $deep (i32.const 11000))", Some((1_000_000, deposit)));
    let r = fx.round(Kind::Round, 1, &[0, 1, 2], &[7, 7, 7]);
    assert!(r.success, "{}", reason(&r));
    let delivered: Vec<Address> = r
        .events::<I::CallbackDelivered>()
        .iter()
        .map(|e| e.subscriber)
        .collect();
    assert_eq!(delivered, vec![deep, also_deep]);
    let failed = r.events::<I::CallbackFailed>();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].subscriber, endless);
    assert_eq!(&failed[0].reason[..], b"stack limit exceeded");
}

#[test]
fn a_transmitter_cannot_starve_subscribers_of_gas() {
    let mut fx = Fixture::new();
    fx.consumer("(nop)", Some((1_000_000, 10u64.pow(17))));
    let report = fx.report(Kind::Round, 1, &[0, 1, 2], &[1, 1, 1]);
    let r = fx.transmit_with_gas(&report, 400_000);
    assert!(reason(&r).contains("insufficient gas for delivery"));
    assert!(fx.transmit_with_gas(&report, 2_000_000).success);
}

#[test]
fn subscription_limits_are_enforced() {
    let mut fx = Fixture::new();
    let r = fx.chain.call_with_value(
        fx.admin,
        registry(),
        U256::from(1),
        &I::subscribeCall {
            feedId: 1,
            callbackGas: 100,
        },
    );
    assert!(reason(&r).contains("callback gas 100"));
    let r = fx.chain.call(
        fx.admin,
        registry(),
        &I::subscribeCall {
            feedId: 9,
            callbackGas: 50_000,
        },
    );
    assert!(reason(&r).contains("unknown feed 9"));
    // Value sent to a function that takes none comes back with the revert.
    let before = fx.chain.balance(fx.admin);
    let r = fx
        .chain
        .call_with_value(fx.admin, registry(), U256::from(5), &I::feedCountCall {});
    assert!(reason(&r).contains("does not take value"));
    let cost = U256::from(r.gas_used) * U256::from(2 * GWEI);
    assert_eq!(fx.chain.balance(fx.admin), before - cost);
}

#[test]
fn requests_are_answered_once_or_refunded_after_expiry() {
    let mut fx = Fixture::new();
    let requester = fx.consumer("(nop)", None);
    let now = fx.chain.block.timestamp;
    let fee = U256::from(10u64.pow(15));
    let ask = |expires: u64| I::requestCall {
        feedId: 1,
        query: B256::ZERO,
        callbackGas: 100_000,
        expiresAt: expires,
    };
    let r = fx
        .chain
        .call_with_value(fx.admin, requester, fee, &ask(now + 300));
    assert!(r.success, "{}", reason(&r));
    let req = r.events::<I::OracleRequest>();
    assert_eq!(req.len(), 1);
    let id = req[0].requestId;
    assert_eq!(req[0].requester, requester);

    // A feed round cannot answer a request.
    let wrong = fx.report(Kind::Round, id, &[0, 1, 2], &[77, 77, 77]);
    let respond = |r: &Report| {
        I::respondCall {
            report: r.abi_encode().into(),
        }
        .abi_encode()
    };
    let r = fx.chain.transact(
        fx.transmitter,
        Some(registry()),
        U256::ZERO,
        respond(&wrong),
        2_000_000,
    );
    assert!(reason(&r).contains("not authorized"));

    let before = fx.chain.balance(fx.transmitter);
    let answer = fx.report(Kind::Response, id, &[0, 1, 3], &[77, 78, 79]);
    let r = fx.chain.transact(
        fx.transmitter,
        Some(registry()),
        U256::ZERO,
        respond(&answer),
        2_000_000,
    );
    assert!(r.success, "{}", reason(&r));
    let resp = r.events::<I::OracleResponse>();
    assert_eq!(resp.len(), 1);
    assert!(resp[0].callbackSucceeded);
    assert_eq!(fx.slot(requester, 0), B256::from(U256::from(78)));
    let gas_cost = U256::from(r.gas_used) * U256::from(2 * GWEI);
    assert_eq!(fx.chain.balance(fx.transmitter), before - gas_cost + fee);
    // Answered once.
    let r = fx.chain.transact(
        fx.transmitter,
        Some(registry()),
        U256::ZERO,
        respond(&answer),
        2_000_000,
    );
    assert!(reason(&r).contains("already answered"));

    // A second request expires unanswered: cancel refunds it, once.
    let r = fx
        .chain
        .call_with_value(fx.admin, requester, fee, &ask(now + 60));
    let id = r.events::<I::OracleRequest>()[0].requestId;
    let cancel = I::cancelRequestCall { requestId: id };
    assert!(reason(&fx.chain.call(fx.admin, requester, &cancel)).contains("is open until"));
    fx.chain.advance(61);
    let late = fx.report(Kind::Response, id, &[0, 1, 2], &[1, 1, 1]);
    let r = fx.chain.transact(
        fx.transmitter,
        Some(registry()),
        U256::ZERO,
        respond(&late),
        2_000_000,
    );
    assert!(reason(&r).contains("expired"));
    // Only the requester may cancel.
    assert!(reason(&fx.chain.call(fx.admin, registry(), &cancel)).contains("only the requester"));
    let before = fx.chain.balance(requester);
    let r = fx.chain.call(fx.admin, requester, &cancel);
    assert!(r.success, "{}", reason(&r));
    assert_eq!(fx.chain.balance(requester), before + fee);
    assert!(reason(&fx.chain.call(fx.admin, requester, &cancel)).contains("cancelled"));
}
