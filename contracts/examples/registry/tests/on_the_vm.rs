//! The name registry, built for wasm32 and run on the real VM: claims,
//! refusals, transfers, exact fees and the admin's withdrawal, with every
//! balance checked to the wei (the sender pays gas at 2 gwei: the testkit's
//! 1 gwei base fee plus its 1 gwei tip).

use orac_sdk::{Address, U256, primitives::keccak256, sol};
use orac_testkit::{Receipt, TestChain};
use registry::{
    FeeChanged, InvalidAddress, NameTaken, NotAdmin, NotNameOwner, Registered, Transferred,
    Withdrawn, WrongFee,
};

sol! {
    interface IRegistry {
        function register(string name) external payable;
        function ownerOf(string name) external view returns (address);
        function transfer(string name, address to) external;
        function admin() external view returns (address);
        function fee() external view returns (uint256);
        function setFee(uint256 fee) external;
        function withdraw(address to) external returns (uint256);
    }
}

const FEE: u64 = 10_000_000_000_000_000; // 0.01 ether

fn setup() -> (TestChain, Address) {
    let artifact = orac_testkit::build(env!("CARGO_MANIFEST_DIR"));
    let mut chain = TestChain::new();
    let admin = chain.account(0);
    let r = chain.deploy(admin, &artifact, (admin, U256::from(FEE)));
    assert!(r.success, "{:?}", r.error);
    println!("deploy used {} gas", r.gas_used);
    (chain, r.address())
}

/// `who` registers `name`, paying exactly the fee.
fn register(chain: &mut TestChain, registry: Address, who: Address, name: &str) -> Receipt {
    let call = IRegistry::registerCall { name: name.into() };
    chain.call_with_value(who, registry, U256::from(FEE), &call)
}

fn owner_of(chain: &mut TestChain, registry: Address, name: &str) -> Address {
    chain
        .view(registry, &IRegistry::ownerOfCall { name: name.into() })
        .unwrap()
}

#[test]
fn register_transfer_and_refusals() {
    let (mut chain, registry) = setup();
    let (admin, bob, carol) = (chain.account(0), chain.account(1), chain.account(2));
    assert_eq!(
        chain.view(registry, &IRegistry::adminCall {}).unwrap(),
        admin
    );
    assert_eq!(
        chain.view(registry, &IRegistry::feeCall {}).unwrap(),
        U256::from(FEE)
    );

    let before = chain.balance(bob);
    let r = register(&mut chain, registry, bob, "bob");
    assert!(r.success, "{:?}", r.revert_message());
    println!("register used {} gas", r.gas_used);
    assert_eq!(chain.balance(bob), before - U256::from(FEE) - r.fee());
    assert_eq!(chain.balance(registry), U256::from(FEE));
    let e = &r.events::<Registered>()[0];
    assert_eq!(e.nameHash, keccak256("bob"));
    assert_eq!(
        (e.owner, e.name.as_str(), e.fee),
        (bob, "bob", U256::from(FEE))
    );
    // The hashed name is the log's first indexed topic, so `eth_getLogs`
    // can filter on it.
    assert_eq!(r.logs[0].topics[1], keccak256("bob"));
    assert_eq!(owner_of(&mut chain, registry, "bob"), bob);
    assert_eq!(owner_of(&mut chain, registry, "carol"), Address::ZERO);

    // Taken: refused, and the fee goes back with the revert.
    let before = chain.balance(carol);
    let r = register(&mut chain, registry, carol, "bob");
    let e = r.expect_revert::<NameTaken>();
    assert_eq!((e.name.as_str(), e.owner), ("bob", bob));
    assert!(r.logs.is_empty());
    assert_eq!(chain.balance(carol), before - r.fee());
    assert_eq!(chain.balance(registry), U256::from(FEE));

    // The fee is exact.
    let carol_name = IRegistry::registerCall {
        name: "carol".into(),
    };
    let r = chain.call_with_value(carol, registry, U256::from(FEE - 1), &carol_name);
    let e = r.expect_revert::<WrongFee>();
    assert_eq!((e.sent, e.fee), (U256::from(FEE - 1), U256::from(FEE)));
    let r = chain.call(carol, registry, &carol_name);
    assert_eq!(r.expect_revert::<WrongFee>().sent, U256::ZERO);
    assert_eq!(owner_of(&mut chain, registry, "carol"), Address::ZERO);

    // Only the owner transfers, and never to the zero address.
    let give = |to| IRegistry::transferCall {
        name: "bob".into(),
        to,
    };
    let r = chain.call(carol, registry, &give(carol));
    let e = r.expect_revert::<NotNameOwner>();
    assert_eq!((e.name.as_str(), e.caller), ("bob", carol));
    let r = chain.call(bob, registry, &give(Address::ZERO));
    assert_eq!(r.expect_revert::<InvalidAddress>().account, Address::ZERO);
    let r = chain.call(bob, registry, &give(carol));
    assert!(r.success);
    println!("transfer used {} gas", r.gas_used);
    let t = &r.events::<Transferred>()[0];
    assert_eq!((t.from, t.to, t.name.as_str()), (bob, carol, "bob"));
    assert_eq!(owner_of(&mut chain, registry, "bob"), carol);
    assert!(!chain.call(bob, registry, &give(bob)).success);

    // A name is hashed whole into its mapping slot, however long.
    let long = "a-name-well-beyond-thirty-two-bytes-long.orac";
    let r = register(&mut chain, registry, carol, long);
    assert!(r.success);
    assert_eq!(owner_of(&mut chain, registry, long), carol);
}

#[test]
fn the_admin_withdraws_the_fees() {
    let (mut chain, registry) = setup();
    let (admin, bob, carol, dave) = (
        chain.account(0),
        chain.account(1),
        chain.account(2),
        chain.account(3),
    );
    for (who, name) in [(bob, "bob"), (carol, "carol")] {
        assert!(register(&mut chain, registry, who, name).success);
    }
    assert_eq!(chain.balance(registry), U256::from(2 * FEE));

    let r = chain.call(bob, registry, &IRegistry::withdrawCall { to: bob });
    assert_eq!(r.expect_revert::<NotAdmin>().caller, bob);
    let r = chain.call(bob, registry, &IRegistry::setFeeCall { fee: U256::ZERO });
    assert!(r.revert::<NotAdmin>().is_some());

    let before = chain.balance(dave);
    let r = chain.call(admin, registry, &IRegistry::withdrawCall { to: dave });
    assert_eq!(r.decode::<IRegistry::withdrawCall>(), U256::from(2 * FEE));
    println!("withdraw used {} gas", r.gas_used);
    let w = &r.events::<Withdrawn>()[0];
    assert_eq!((w.to, w.amount), (dave, U256::from(2 * FEE)));
    assert_eq!(chain.balance(dave), before + U256::from(2 * FEE));
    assert_eq!(chain.balance(registry), U256::ZERO);

    // Registration made free: no value at all is the exact fee now.
    let r = chain.call(admin, registry, &IRegistry::setFeeCall { fee: U256::ZERO });
    let f = &r.events::<FeeChanged>()[0];
    assert_eq!((f.oldFee, f.newFee), (U256::from(FEE), U256::ZERO));
    let r = chain.call(
        dave,
        registry,
        &IRegistry::registerCall {
            name: "dave".into(),
        },
    );
    assert!(r.success);
    assert_eq!(r.events::<Registered>()[0].fee, U256::ZERO);
}

#[test]
fn views_refuse_value() {
    let (mut chain, registry) = setup();
    let bob = chain.account(1);
    let r = chain.call_with_value(
        bob,
        registry,
        U256::from(1),
        &IRegistry::ownerOfCall { name: "x".into() },
    );
    assert_eq!(
        r.revert_message().as_deref(),
        Some("function is not payable")
    );
    assert_eq!(chain.balance(registry), U256::ZERO);
}
