//! The crowdfund, built for wasm32 and run on the real VM, through a met
//! goal and a missed one, with every balance checked to the wei. Whoever
//! sends a transaction pays `gas_used` × 2 gwei for it (the testkit's
//! 1 gwei base fee plus its 1 gwei tip, well under the 100 gwei cap).

use crowdfund::{
    AlreadyClaimed, CampaignNotOver, CampaignOver, Claimed, Contributed, DeadlineInThePast,
    GoalNotReached, GoalReached, InvalidGoal, NotBeneficiary, NothingSent, NothingToRefund,
    Refunded,
};
use orac_sdk::{Address, U256, sol};
use orac_testkit::{Receipt, TestChain, ether};

sol! {
    interface ICrowdfund {
        function contribute() external payable;
        function claim() external returns (uint256);
        function refund() external returns (uint256);
        function beneficiary() external view returns (address);
        function goal() external view returns (uint256);
        function deadline() external view returns (uint64);
        function raised() external view returns (uint256);
        function contributionOf(address contributor) external view returns (uint256);
        function claimed() external view returns (bool);
        function isOpen() external view returns (bool);
    }
}

const HOUR: u64 = 3_600;

struct Campaign {
    chain: TestChain,
    fund: Address,
    beneficiary: Address,
    alice: Address,
    bob: Address,
    carol: Address,
}

impl Campaign {
    /// A 10-ether goal, an hour from now, for account 5.
    fn start() -> Self {
        let artifact = orac_testkit::build(env!("CARGO_MANIFEST_DIR"));
        let mut chain = TestChain::new();
        let (alice, bob, carol, beneficiary) = (
            chain.account(0),
            chain.account(1),
            chain.account(2),
            chain.account(5),
        );
        let deadline = chain.block.timestamp + HOUR;
        let r = chain.deploy(carol, &artifact, (beneficiary, ether(10), deadline));
        println!("deploy used {} gas", r.gas_used);
        let fund = r.address();
        let mut c = Self {
            chain,
            fund,
            beneficiary,
            alice,
            bob,
            carol,
        };
        assert_eq!(c.view(&ICrowdfund::beneficiaryCall {}), beneficiary);
        assert_eq!(c.view(&ICrowdfund::goalCall {}), ether(10));
        assert_eq!(c.view(&ICrowdfund::deadlineCall {}), deadline);
        assert!(c.view(&ICrowdfund::isOpenCall {}));
        c
    }

    fn view<C: orac_sdk::SolCall>(&mut self, call: &C) -> C::Return {
        self.chain.view(self.fund, call).unwrap()
    }

    /// Contributes and checks what it cost the contributor, exactly.
    fn contribute(&mut self, from: Address, amount: U256) -> Receipt {
        let before = self.chain.balance(from);
        let r = self
            .chain
            .call_with_value(from, self.fund, amount, &ICrowdfund::contributeCall {});
        let spent = if r.success { amount } else { U256::ZERO };
        assert_eq!(self.chain.balance(from), before - spent - r.fee());
        r
    }

    /// Sends `call` and checks that `from`'s balance went up by exactly
    /// what it returned, less gas.
    fn payout<C: orac_sdk::SolCall<Return = U256>>(&mut self, from: Address, call: &C) -> Receipt {
        let before = self.chain.balance(from);
        let r = self.chain.call(from, self.fund, call);
        let paid = if r.success {
            r.decode::<C>()
        } else {
            U256::ZERO
        };
        assert_eq!(self.chain.balance(from), before + paid - r.fee());
        r
    }
}

#[test]
fn a_met_goal_goes_to_the_beneficiary() {
    let mut c = Campaign::start();
    let (alice, bob, beneficiary, fund) = (c.alice, c.bob, c.beneficiary, c.fund);

    let r = c.contribute(alice, ether(4));
    assert!(r.success, "{:?}", r.revert_message());
    println!("contribute used {} gas", r.gas_used);
    let e = &r.events::<Contributed>()[0];
    assert_eq!(
        (e.contributor, e.amount, e.total),
        (alice, ether(4), ether(4))
    );
    let r = c.contribute(bob, ether(7));
    assert_eq!(r.events::<Contributed>()[0].total, ether(11));
    assert!(
        c.contribute(alice, U256::ZERO)
            .revert::<NothingSent>()
            .is_some()
    );
    assert_eq!(c.chain.balance(fund), ether(11));
    assert_eq!(
        c.view(&ICrowdfund::contributionOfCall { contributor: alice }),
        ether(4)
    );
    assert_eq!(c.view(&ICrowdfund::raisedCall {}), ether(11));

    // Not before the deadline, and never by anyone else.
    let r = c.payout(beneficiary, &ICrowdfund::claimCall {});
    let e = r.expect_revert::<CampaignNotOver>();
    assert_eq!(e.deadline - e.now, HOUR);
    c.chain.advance(HOUR);
    assert!(!c.view(&ICrowdfund::isOpenCall {}));
    let r = c.payout(bob, &ICrowdfund::claimCall {});
    assert_eq!(r.expect_revert::<NotBeneficiary>().caller, bob);
    // The goal was met: no refunds, no late contributions.
    let r = c.payout(alice, &ICrowdfund::refundCall {});
    let e = r.expect_revert::<GoalReached>();
    assert_eq!((e.raised, e.goal), (ether(11), ether(10)));
    assert!(
        c.contribute(bob, ether(1))
            .revert::<CampaignOver>()
            .is_some()
    );

    let r = c.payout(beneficiary, &ICrowdfund::claimCall {});
    assert_eq!(r.decode::<ICrowdfund::claimCall>(), ether(11));
    println!("claim used {} gas", r.gas_used);
    let e = &r.events::<Claimed>()[0];
    assert_eq!((e.beneficiary, e.amount), (beneficiary, ether(11)));
    assert_eq!(c.chain.balance(fund), U256::ZERO);
    assert!(c.view(&ICrowdfund::claimedCall {}));
    let r = c.payout(beneficiary, &ICrowdfund::claimCall {});
    assert!(r.revert::<AlreadyClaimed>().is_some());
}

#[test]
fn a_missed_goal_is_refunded() {
    let mut c = Campaign::start();
    let (alice, bob, carol, beneficiary, fund) = (c.alice, c.bob, c.carol, c.beneficiary, c.fund);
    assert!(c.contribute(alice, ether(3)).success);
    assert!(c.contribute(bob, ether(2)).success);

    // Refunds wait for the deadline too.
    let r = c.payout(alice, &ICrowdfund::refundCall {});
    assert!(r.revert::<CampaignNotOver>().is_some());
    // The last second still counts; the deadline itself does not.
    c.chain.advance(HOUR - 1);
    assert!(c.contribute(bob, ether(1)).success);
    c.chain.advance(1);
    let r = c.contribute(bob, ether(1));
    let e = r.expect_revert::<CampaignOver>();
    assert_eq!(e.now, e.deadline);

    let r = c.payout(beneficiary, &ICrowdfund::claimCall {});
    let e = r.expect_revert::<GoalNotReached>();
    assert_eq!((e.raised, e.goal), (ether(6), ether(10)));
    let r = c.payout(carol, &ICrowdfund::refundCall {});
    assert_eq!(r.expect_revert::<NothingToRefund>().contributor, carol);

    let r = c.payout(alice, &ICrowdfund::refundCall {});
    assert_eq!(r.decode::<ICrowdfund::refundCall>(), ether(3));
    println!("refund used {} gas", r.gas_used);
    let e = &r.events::<Refunded>()[0];
    assert_eq!((e.contributor, e.amount), (alice, ether(3)));
    assert!(
        c.payout(alice, &ICrowdfund::refundCall {})
            .revert::<NothingToRefund>()
            .is_some()
    );
    let r = c.payout(bob, &ICrowdfund::refundCall {});
    assert_eq!(r.decode::<ICrowdfund::refundCall>(), ether(3));
    assert_eq!(c.chain.balance(fund), U256::ZERO);
    assert_eq!(
        c.view(&ICrowdfund::contributionOfCall { contributor: bob }),
        U256::ZERO
    );
}

#[test]
fn deployment_refuses_a_past_deadline_or_no_goal() {
    let artifact = orac_testkit::build(env!("CARGO_MANIFEST_DIR"));
    let mut chain = TestChain::new();
    let (alice, bob) = (chain.account(0), chain.account(1));
    let now = chain.block.timestamp;
    let r = chain.deploy(alice, &artifact, (bob, ether(1), now));
    assert!(r.contract_address.is_none());
    let e = r.expect_revert::<DeadlineInThePast>();
    assert_eq!((e.deadline, e.now), (now, now));
    let r = chain.deploy(alice, &artifact, (bob, U256::ZERO, now + HOUR));
    assert!(r.revert::<InvalidGoal>().is_some());
}
