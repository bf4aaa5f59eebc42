//! The loan and the example ERC-20 (as the stablecoin), built for wasm32
//! and run on the real VM against the chain's own oracle registry: a test
//! feed whose signer keys the test holds moves the price, and the
//! registry calls the loan back in each round's transaction, as it would
//! for real oracle nodes.

use loan::{
    BORROW_RATIO_PCT, Borrowed, CALLBACK_GAS, Closed, LIQUIDATION_RATIO_PCT, Liquidated, LoanOver,
    MAX_PRICE_AGE, NoDeposit, Undercollateralized,
};
use orac_sdk::oracle::{OracleNoData, OracleNotRegistry, OracleStale, OracleUnknownFeed};
use orac_sdk::{Address, I256, SolValue, U256, sol};
use orac_testkit::oracle::TestFeed;
use orac_testkit::oracle::abi::IOracleRegistry as Registry;
use orac_testkit::{Receipt, TestChain, ether};

sol! {
    interface IERC20 {
        function transfer(address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function balanceOf(address owner) external view returns (uint256);
    }

    interface ILoan {
        function fund(uint256 amount) external;
        function deposit() external payable;
        function borrow(uint256 amount) external returns (uint256);
        function repay(uint256 amount) external returns (uint256);
        function withdraw(uint256 amount) external returns (uint256);
        function onOracleUpdate(uint64 feedId, uint64 roundId, int256 answer, uint64 observedAt) external;
        function topUp() external payable;
        function close() external;
        function collateralValue() external view returns (uint256);
        function borrowLimit() external view returns (uint256);
        function collateral() external view returns (uint256);
        function debt() external view returns (uint256);
        function available() external view returns (uint256);
        function liquidated() external view returns (bool);
        function closed() external view returns (bool);
    }
}

const ETHER: u128 = 1_000_000_000_000_000_000;
/// The feed's answers have 8 decimals: `usd(3_000)` is 3000 USD.
const DECIMALS: u8 = 8;
/// The subscription deposit: about thirty callbacks at 2 gwei.
const DEPOSIT: u128 = ETHER / 100;

/// Stablecoin amounts: 18 decimals.
fn tokens(n: u128) -> U256 {
    U256::from(n * ETHER)
}

/// A feed answer: `dollars` USD per ether.
fn usd(dollars: i128) -> i128 {
    dollars * 10i128.pow(DECIMALS as u32)
}

struct World {
    chain: TestChain,
    feed: TestFeed,
    token: Address,
    loan: Address,
    lender: Address,
    borrower: Address,
    mallory: Address,
}

impl World {
    /// A 4-signer ETH/USD feed (no rounds yet), the stablecoin, and a loan
    /// funded with 10,000 tokens holding 2 ether of collateral.
    fn new() -> Self {
        let erc20 = orac_testkit::build(concat!(env!("CARGO_MANIFEST_DIR"), "/../erc20"));
        let artifact = orac_testkit::build(env!("CARGO_MANIFEST_DIR"));
        let mut chain = TestChain::new();
        let (lender, borrower, mallory) = (chain.account(0), chain.account(1), chain.account(2));
        let feed = TestFeed::create(&mut chain, 4, 1, DECIMALS);
        let token = chain
            .deploy(
                lender,
                &erc20,
                ("Dollar".to_string(), "USD".to_string(), tokens(1_000_000)),
            )
            .address();
        // The borrower has some tokens of their own, to pay interest with
        // in real life and to repay with here.
        let r = chain.call(
            lender,
            token,
            &IERC20::transferCall {
                to: borrower,
                value: tokens(1_000),
            },
        );
        assert!(r.success);

        let args = (token, feed.id(), borrower).abi_encode_params();
        let r = chain.deploy_raw(lender, &artifact.wasm, args, U256::from(DEPOSIT));
        assert!(r.success, "{:?} {:?}", r.error, r.revert_message());
        println!(
            "deploying the loan (and subscribing) used {} gas",
            r.gas_used
        );
        let subscribed = &r.events::<Registry::Subscribed>()[0];
        let loan = r.address();
        assert_eq!(
            (subscribed.subscriber, subscribed.callbackGas),
            (loan, CALLBACK_GAS)
        );
        assert_eq!(subscribed.deposit, U256::from(DEPOSIT));

        let mut w = Self {
            chain,
            feed,
            token,
            loan,
            lender,
            borrower,
            mallory,
        };
        w.approve(lender, tokens(10_000));
        let r = w.call(
            lender,
            &ILoan::fundCall {
                amount: tokens(10_000),
            },
        );
        assert!(r.success, "{:?}", r.revert_message());
        let r = w.send(borrower, ether(2), &ILoan::depositCall {});
        assert!(r.success, "{:?}", r.revert_message());
        assert_eq!(w.chain.balance(w.loan), ether(2));
        w
    }

    fn send<C: orac_sdk::SolCall>(&mut self, from: Address, value: U256, call: &C) -> Receipt {
        self.chain.call_with_value(from, self.loan, value, call)
    }

    fn call<C: orac_sdk::SolCall>(&mut self, from: Address, call: &C) -> Receipt {
        self.send(from, U256::ZERO, call)
    }

    fn view<C: orac_sdk::SolCall>(&mut self, call: &C) -> C::Return {
        self.chain.view(self.loan, call).unwrap()
    }

    fn approve(&mut self, owner: Address, value: U256) {
        let spender = self.loan;
        let r = self
            .chain
            .call(owner, self.token, &IERC20::approveCall { spender, value });
        assert!(r.success);
    }

    fn tokens_of(&mut self, who: Address) -> U256 {
        self.chain
            .view(self.token, &IERC20::balanceOfCall { owner: who })
            .unwrap()
    }

    /// A minute passes and the feed publishes `price`; returns the
    /// transmission and the gas the loan's callback used.
    fn price(&mut self, dollars: i128) -> (Receipt, u64) {
        self.chain.advance(60);
        let r = self.feed.push(&mut self.chain, usd(dollars));
        assert!(r.success, "{:?}", r.revert_message());
        assert!(
            r.events::<Registry::CallbackFailed>().is_empty(),
            "a callback failed: {:?}",
            r.events::<Registry::CallbackFailed>()
                .iter()
                .map(|e| String::from_utf8_lossy(&e.reason).into_owned())
                .collect::<Vec<_>>()
        );
        let delivered = r.events::<Registry::CallbackDelivered>();
        assert_eq!(delivered.len(), 1);
        assert_eq!(delivered[0].subscriber, self.loan);
        let used = delivered[0].gasUsed;
        (r, used)
    }

    fn borrow(&mut self, amount: U256) -> Receipt {
        let borrower = self.borrower;
        self.call(borrower, &ILoan::borrowCall { amount })
    }
}

#[test]
fn while_the_price_holds_nothing_is_liquidated() {
    let mut w = World::new();
    let (borrower, lender) = (w.borrower, w.lender);
    w.price(3_000);
    // $6,000 of collateral at 150%: $4,000 at most.
    assert_eq!(w.view(&ILoan::collateralValueCall {}), tokens(6_000));
    assert_eq!(w.view(&ILoan::borrowLimitCall {}), tokens(4_000));
    let r = w.borrow(tokens(4_001));
    let e = r.expect_revert::<Undercollateralized>();
    assert_eq!(
        (e.collateralValue, e.debt, e.requiredPct),
        (tokens(6_000), tokens(4_001), U256::from(BORROW_RATIO_PCT))
    );
    let r = w.borrow(tokens(3_000));
    assert!(r.success, "{:?}", r.revert_message());
    println!("borrowing used {} gas", r.gas_used);
    let b = &r.events::<Borrowed>()[0];
    assert_eq!(
        (b.amount, b.debt, b.price),
        (tokens(3_000), tokens(3_000), U256::from(usd(3_000) as u128))
    );
    assert_eq!(w.tokens_of(borrower), tokens(4_000));

    // $3,000 owed: liquidation only below 120%, $3,600 of collateral,
    // $1,800 an ether. Down to exactly that, every callback leaves it be.
    let threshold = 3_000 * LIQUIDATION_RATIO_PCT as i128 / 100 / 2;
    assert_eq!(threshold, 1_800);
    let mut gas = Vec::new();
    for dollars in [2_900, 2_500, threshold] {
        let (r, used) = w.price(dollars);
        assert!(r.events::<Liquidated>().is_empty());
        gas.push(used);
    }
    println!("an onOracleUpdate that does not liquidate used {gas:?} gas");
    assert!(!w.view(&ILoan::liquidatedCall {}));
    assert_eq!(w.view(&ILoan::collateralCall {}), ether(2));
    assert_eq!(w.view(&ILoan::debtCall {}), tokens(3_000));
    // At $1,800 the borrower may not take collateral out.
    let r = w.call(
        borrower,
        &ILoan::withdrawCall {
            amount: U256::from(1),
        },
    );
    assert!(r.revert::<Undercollateralized>().is_some());

    // Repaid: the collateral comes back, and the lender closes the loan,
    // getting the rest of the deposit and the unlent tokens.
    w.approve(borrower, tokens(3_000));
    let r = w.call(
        borrower,
        &ILoan::repayCall {
            amount: tokens(3_000),
        },
    );
    assert_eq!(r.decode::<ILoan::repayCall>(), U256::ZERO);
    let before = w.chain.balance(borrower);
    let r = w.call(borrower, &ILoan::withdrawCall { amount: ether(2) });
    assert!(r.success, "{:?}", r.revert_message());
    assert_eq!(w.chain.balance(borrower), before + ether(2) - r.fee());

    let lender_tokens = w.tokens_of(lender);
    let before = w.chain.balance(lender);
    let r = w.call(lender, &ILoan::closeCall {});
    assert!(r.success, "{:?}", r.revert_message());
    let refund = r.events::<Registry::Unsubscribed>()[0].refund;
    let closed = &r.events::<Closed>()[0];
    assert_eq!((closed.refund, closed.tokens), (refund, tokens(7_000)));
    // The deposit paid for the four callbacks, no more.
    assert!(refund < U256::from(DEPOSIT) && refund > U256::from(DEPOSIT * 9 / 10));
    assert_eq!(w.chain.balance(lender), before + refund - r.fee());
    assert_eq!(w.tokens_of(lender), lender_tokens + tokens(7_000));
    assert_eq!(w.chain.balance(w.loan), U256::ZERO);
    // Unsubscribed: later rounds call nobody.
    w.chain.advance(60);
    let r = w.feed.push(&mut w.chain, usd(1));
    assert!(r.events::<Registry::CallbackDelivered>().is_empty());
}

#[test]
fn a_price_drop_liquidates_in_the_callback() {
    let mut w = World::new();
    let (lender, borrower) = (w.lender, w.borrower);
    w.price(3_000);
    assert!(w.borrow(tokens(3_000)).success);

    // $1,700 an ether: $3,400 of collateral for $3,000 of debt, under 120%.
    let before = w.chain.balance(lender);
    let (r, used) = w.price(1_700);
    println!("an onOracleUpdate that liquidates used {used} gas (limit {CALLBACK_GAS})");
    let l = &r.events::<Liquidated>()[0];
    assert_eq!(
        (l.borrower, l.lender, l.collateral, l.debt),
        (borrower, lender, ether(2), tokens(3_000))
    );
    assert_eq!(l.price, U256::from(usd(1_700) as u128));
    assert_eq!((l.roundId, l.observedAt), (2, w.chain.block.timestamp));
    // The lender sent nothing: the collateral arrived, to the wei.
    assert_eq!(w.chain.balance(lender), before + ether(2));
    assert_eq!(w.chain.balance(w.loan), U256::ZERO);
    assert!(w.view(&ILoan::liquidatedCall {}));
    assert_eq!(w.view(&ILoan::collateralCall {}), U256::ZERO);
    assert_eq!(w.view(&ILoan::debtCall {}), U256::ZERO);
    // The borrower keeps the tokens; the liquidation ratio kept the
    // lender whole: $3,400 of ether for $3,000 lent.
    assert_eq!(w.tokens_of(borrower), tokens(4_000));

    // Later rounds still call back, and change nothing.
    let (r, _) = w.price(1_000);
    assert!(r.events::<Liquidated>().is_empty());
    // The loan takes no more business.
    let r = w.send(borrower, ether(1), &ILoan::depositCall {});
    assert!(r.expect_revert::<LoanOver>().liquidated);
    assert!(w.borrow(tokens(1)).revert::<LoanOver>().is_some());
}

#[test]
fn a_stale_feed_blocks_borrowing() {
    let mut w = World::new();
    // No round yet.
    let e = w.borrow(tokens(1)).expect_revert::<OracleNoData>();
    assert_eq!(e.feedId, w.feed.id());
    let r = w
        .chain
        .view(w.loan, &ILoan::collateralValueCall {})
        .unwrap_err();
    assert!(r.revert::<OracleNoData>().is_some());

    w.price(3_000);
    let observed = w.chain.block.timestamp;
    // The feed stops: past the heartbeat and its minute of slack.
    w.chain.advance(MAX_PRICE_AGE + 1);
    let r = w.borrow(tokens(1_000));
    let e = r.expect_revert::<OracleStale>();
    assert_eq!(
        (e.feedId, e.observedAt, e.now, e.maxAge),
        (
            w.feed.id(),
            observed,
            observed + MAX_PRICE_AGE + 1,
            MAX_PRICE_AGE
        )
    );
    assert_eq!(w.view(&ILoan::debtCall {}), U256::ZERO);
    // A fresh round and the same borrow goes through.
    w.price(3_000);
    assert!(w.borrow(tokens(1_000)).success);
    assert_eq!(w.view(&ILoan::debtCall {}), tokens(1_000));
}

#[test]
fn only_the_registry_may_call_on_oracle_update() {
    let mut w = World::new();
    w.price(3_000);
    assert!(w.borrow(tokens(3_000)).success);
    // A made-up crash, from an account and from the lender itself.
    for caller in [w.mallory, w.lender] {
        let now = w.chain.block.timestamp;
        let r = w.call(
            caller,
            &ILoan::onOracleUpdateCall {
                feedId: w.feed.id(),
                roundId: 99,
                answer: I256::ONE,
                observedAt: now,
            },
        );
        assert_eq!(r.expect_revert::<OracleNotRegistry>().caller, caller);
    }
    assert!(!w.view(&ILoan::liquidatedCall {}));
    assert_eq!(w.view(&ILoan::collateralCall {}), ether(2));
}

#[test]
fn deployment_needs_a_real_feed_and_a_deposit() {
    let artifact = orac_testkit::build(env!("CARGO_MANIFEST_DIR"));
    let mut chain = TestChain::new();
    let (lender, borrower) = (chain.account(0), chain.account(1));
    let feed = TestFeed::create(&mut chain, 4, 1, DECIMALS);
    let token = chain.account(3); // never called during deployment
    let deploy = |chain: &mut TestChain, feed: u64, deposit: u128| {
        let args = (token, feed, borrower).abi_encode_params();
        chain.deploy_raw(lender, &artifact.wasm, args, U256::from(deposit))
    };
    let r = deploy(&mut chain, 42, DEPOSIT);
    assert_eq!(r.expect_revert::<OracleUnknownFeed>().feedId, 42);
    let r = deploy(&mut chain, feed.id(), 0);
    assert!(r.revert::<NoDeposit>().is_some());
    assert!(deploy(&mut chain, feed.id(), DEPOSIT).success);
}

#[test]
fn the_abi_lists_the_callback_and_the_oracle_errors() {
    let abi = orac_testkit::build(env!("CARGO_MANIFEST_DIR")).abi;
    let entries = abi.as_array().unwrap();
    let find = |kind: &str, name: &str| {
        entries
            .iter()
            .find(|e| e["type"] == kind && e["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name} in {abi}"))
    };
    let callback = find("function", "onOracleUpdate");
    let types: Vec<&str> = callback["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["uint64", "uint64", "int256", "uint64"]);
    assert_eq!(callback["stateMutability"], "nonpayable");
    for error in [
        "OracleStale",
        "OracleNoData",
        "OracleNotRegistry",
        "OracleUnknownFeed",
    ] {
        find("error", error);
    }
    assert_eq!(
        find("error", "OracleStale")["inputs"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    find("event", "Liquidated");
    let constructor = entries.iter().find(|e| e["type"] == "constructor");
    assert_eq!(constructor.unwrap()["stateMutability"], "payable");
}
