//! The ERC-20, built for wasm32 and run on the real VM through the node's
//! executor: the standard interface, events, allowances, reverts, and a
//! contract calling the token.

use erc20::{Approval, InsufficientAllowance, InsufficientBalance, Transfer};
use orac_sdk::{Address, U256, sol};
use orac_testkit::TestChain;

sol! {
    interface IERC20 {
        function name() external view returns (string);
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
    }
}

fn setup() -> (TestChain, Address, Address, Address) {
    let artifact = orac_testkit::build(env!("CARGO_MANIFEST_DIR"));
    let mut chain = TestChain::new();
    let (alice, bob) = (chain.account(0), chain.account(1));
    let receipt = chain.deploy(
        alice,
        &artifact,
        ("Orac".to_string(), "ORC".to_string(), U256::from(1_000_000)),
    );
    assert!(receipt.success, "{:?}", receipt.error);
    let minted = receipt.events::<Transfer>();
    assert_eq!(minted[0].to, alice);
    (chain, receipt.address(), alice, bob)
}

#[test]
fn standard_interface() {
    let (mut chain, token, alice, bob) = setup();
    assert_eq!(chain.view(token, &IERC20::nameCall {}).unwrap(), "Orac");
    assert_eq!(chain.view(token, &IERC20::symbolCall {}).unwrap(), "ORC");
    assert_eq!(chain.view(token, &IERC20::decimalsCall {}).unwrap(), 18);
    assert_eq!(
        chain.view(token, &IERC20::totalSupplyCall {}).unwrap(),
        U256::from(1_000_000)
    );

    let r = chain.call(
        alice,
        token,
        &IERC20::transferCall {
            to: bob,
            value: U256::from(250),
        },
    );
    assert!(r.decode::<IERC20::transferCall>());
    let t = &r.events::<Transfer>()[0];
    assert_eq!((t.from, t.to, t.value), (alice, bob, U256::from(250)));
    assert_eq!(
        chain
            .view(token, &IERC20::balanceOfCall { owner: bob })
            .unwrap(),
        U256::from(250)
    );
    println!("transfer used {} gas", r.gas_used);

    let r = chain.call(
        bob,
        token,
        &IERC20::approveCall {
            spender: alice,
            value: U256::from(100),
        },
    );
    assert_eq!(r.events::<Approval>()[0].value, U256::from(100));
    // Alice spends from what Bob allowed her.
    let take_from_bob = |chain: &mut TestChain, value: u64| {
        let call = IERC20::transferFromCall {
            from: bob,
            to: alice,
            value: U256::from(value),
        };
        chain.call(alice, token, &call)
    };
    let r = take_from_bob(&mut chain, 60);
    assert!(r.success);
    assert_eq!(
        chain
            .view(
                token,
                &IERC20::allowanceCall {
                    owner: bob,
                    spender: alice
                }
            )
            .unwrap(),
        U256::from(40)
    );
    let r = take_from_bob(&mut chain, 41);
    assert!(!r.success);
    assert_eq!(
        r.expect_revert::<InsufficientAllowance>().allowance,
        U256::from(40)
    );
    let r = chain.call(
        bob,
        token,
        &IERC20::transferCall {
            to: alice,
            value: U256::from(10_000),
        },
    );
    let e = r.expect_revert::<InsufficientBalance>();
    assert_eq!((e.owner, e.balance), (bob, U256::from(190)));
    assert!(r.logs.is_empty(), "a revert keeps no logs");
}

#[test]
fn value_is_refused_and_unknown_selectors_revert() {
    let (mut chain, token, alice, bob) = setup();
    let transfer = IERC20::transferCall {
        to: bob,
        value: U256::from(1),
    };
    let r = chain.call_with_value(alice, token, U256::from(1), &transfer);
    assert_eq!(
        r.revert_message().as_deref(),
        Some("function is not payable")
    );
    let r = chain.transact(alice, Some(token), U256::ZERO, vec![1, 2, 3, 4], 1_000_000);
    assert_eq!(
        r.revert_message().as_deref(),
        Some("unknown function selector")
    );
    let r = chain.send(alice, token, U256::from(5));
    assert!(!r.success, "the token has no receive function");
}
