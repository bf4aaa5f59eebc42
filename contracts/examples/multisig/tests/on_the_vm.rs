//! The multisig and the example ERC-20, both built for wasm32 and run on
//! the real VM: the wallet holds tokens and ether, and 2-of-3 owners move
//! them through nested messages (wallet → token, wallet → account).

use erc20::{InsufficientBalance, Transfer};
use multisig::{
    AlreadyExecuted, Confirmed, Deposit, Executed, ExecutionFailed, InvalidRequirement,
    NotConfirmed, NotEnoughConfirmations, NotOwner, NotWallet, RequirementChanged, Revoked,
    Submitted,
};
use orac_sdk::{Address, Bytes, Revert, SolCall, U256, sol};
use orac_testkit::{Receipt, TestChain, ether};

sol! {
    interface IERC20 {
        function transfer(address to, uint256 value) external returns (bool);
        function balanceOf(address owner) external view returns (uint256);
    }

    interface IMultisig {
        function submit(address to, uint256 value, bytes data) external returns (uint256);
        function submitTokenTransfer(address token, address to, uint256 amount) external returns (uint256);
        function confirm(uint256 id) external;
        function revoke(uint256 id) external;
        function execute(uint256 id) external returns (bool);
        function setRequired(uint256 required) external;
        function owners() external view returns (address[]);
        function isOwner(address who) external view returns (bool);
        function required() external view returns (uint256);
        function transactionCount() external view returns (uint256);
        function transaction(uint256 id) external view returns (address to, uint256 value, bytes data, bool executed, uint256 confirmations);
        function isConfirmed(uint256 id, address owner) external view returns (bool);
        function tokenBalance(address token) external view returns (uint256);
    }
}

struct World {
    chain: TestChain,
    token: Address,
    wallet: Address,
    alice: Address,
    bob: Address,
    carol: Address,
    /// Not an owner.
    dave: Address,
    /// Receives payments; never sends a transaction, so its balance
    /// changes only by what the wallet pays it.
    erin: Address,
}

/// A 2-of-3 wallet (alice, bob, carol) holding 1,000 tokens and 5 ether.
fn setup() -> World {
    let erc20 = orac_testkit::build(concat!(env!("CARGO_MANIFEST_DIR"), "/../erc20"));
    let multisig = orac_testkit::build(env!("CARGO_MANIFEST_DIR"));
    let mut chain = TestChain::new();
    let (alice, bob, carol, dave, erin) = (
        chain.account(0),
        chain.account(1),
        chain.account(2),
        chain.account(3),
        chain.account(4),
    );
    let token = chain
        .deploy(
            alice,
            &erc20,
            ("Orac".to_string(), "ORC".to_string(), U256::from(1_000_000)),
        )
        .address();
    let r = chain.deploy(alice, &multisig, (vec![alice, bob, carol], U256::from(2)));
    println!("deploying the wallet used {} gas", r.gas_used);
    let wallet = r.address();

    let r = chain.call(
        alice,
        token,
        &IERC20::transferCall {
            to: wallet,
            value: U256::from(1000),
        },
    );
    assert!(r.success);
    let r = chain.send(alice, wallet, ether(5));
    assert!(r.success, "{:?}", r.error);
    println!("a plain deposit used {} gas", r.gas_used);
    let d = &r.events::<Deposit>()[0];
    assert_eq!((d.sender, d.value), (alice, ether(5)));
    assert_eq!(chain.balance(wallet), ether(5));

    World {
        chain,
        token,
        wallet,
        alice,
        bob,
        carol,
        dave,
        erin,
    }
}

impl World {
    fn tokens(&mut self, who: Address) -> U256 {
        self.chain
            .view(self.token, &IERC20::balanceOfCall { owner: who })
            .unwrap()
    }

    fn call<C: SolCall>(&mut self, from: Address, call: &C) -> Receipt {
        self.chain.call(from, self.wallet, call)
    }

    fn tx(&mut self, id: u64) -> IMultisig::transactionReturn {
        self.chain
            .view(
                self.wallet,
                &IMultisig::transactionCall { id: U256::from(id) },
            )
            .unwrap()
    }

    /// Submits (as `from`) and returns the new id.
    fn submit<C: SolCall>(&mut self, from: Address, call: &C) -> U256 {
        let r = self.call(from, call);
        assert!(r.success, "{:?} {:?}", r.revert_message(), r.output);
        // Both submit functions return the id, a uint256.
        U256::from_be_slice(&r.output)
    }
}

/// Proposes sending `value` wei to `to`, with no calldata.
fn pay(to: Address, value: U256) -> IMultisig::submitCall {
    IMultisig::submitCall {
        to,
        value,
        data: Bytes::new(),
    }
}

fn confirm(n: u64) -> IMultisig::confirmCall {
    IMultisig::confirmCall { id: U256::from(n) }
}

fn execute(n: u64) -> IMultisig::executeCall {
    IMultisig::executeCall { id: U256::from(n) }
}

#[test]
fn views_and_the_typed_token_interface() {
    let mut w = setup();
    // The ABI JSON `orac build` collects lists the receive function and
    // the token helpers next to the rest.
    let abi = orac_testkit::build(env!("CARGO_MANIFEST_DIR")).abi;
    let entries = abi.as_array().unwrap();
    assert!(entries.iter().any(|e| e["type"] == "receive"));
    for name in ["submitTokenTransfer", "tokenBalance", "ExecutionFailed"] {
        assert!(entries.iter().any(|e| e["name"] == name), "{name}");
    }
    let owners = w.chain.view(w.wallet, &IMultisig::ownersCall {}).unwrap();
    assert_eq!(owners, vec![w.alice, w.bob, w.carol]);
    assert_eq!(
        w.chain.view(w.wallet, &IMultisig::requiredCall {}).unwrap(),
        U256::from(2)
    );
    assert!(
        !w.chain
            .view(w.wallet, &IMultisig::isOwnerCall { who: w.dave })
            .unwrap()
    );
    // The wallet asks the token itself, through `interface!` (a nested
    // static call with a gas cap).
    assert_eq!(
        w.chain
            .view(w.wallet, &IMultisig::tokenBalanceCall { token: w.token })
            .unwrap(),
        U256::from(1000)
    );
    // An account without code answers nothing, which is no uint256.
    let err = w
        .chain
        .view(w.wallet, &IMultisig::tokenBalanceCall { token: w.erin })
        .unwrap_err();
    assert_eq!(
        err.revert_message().as_deref(),
        Some("undecodable return data")
    );
    // Nor is a contract that is not a token: its revert comes back as ours.
    let err = w
        .chain
        .view(w.wallet, &IMultisig::tokenBalanceCall { token: w.wallet })
        .unwrap_err();
    assert_eq!(
        err.revert_message().as_deref(),
        Some("unknown function selector")
    );
}

#[test]
fn two_of_three_move_tokens_and_ether() {
    let mut w = setup();
    let (alice, bob, carol, dave, erin, token, wallet) =
        (w.alice, w.bob, w.carol, w.dave, w.erin, w.token, w.wallet);

    // Tokens: alice proposes, which confirms it for her.
    let r = w.call(
        alice,
        &IMultisig::submitTokenTransferCall {
            token,
            to: erin,
            amount: U256::from(300),
        },
    );
    println!("submitTokenTransfer used {} gas", r.gas_used);
    assert_eq!(r.decode::<IMultisig::submitTokenTransferCall>(), U256::ZERO);
    let s = &r.events::<Submitted>()[0];
    assert_eq!(
        (s.id, s.owner, s.to, s.value),
        (U256::ZERO, alice, token, U256::ZERO)
    );
    assert_eq!(
        s.data,
        Bytes::from(
            IERC20::transferCall {
                to: erin,
                value: U256::from(300)
            }
            .abi_encode()
        )
    );
    assert_eq!(r.events::<Confirmed>()[0].owner, alice);

    // Outsiders can neither confirm nor execute; one confirmation is not
    // enough.
    assert_eq!(
        w.call(dave, &confirm(0)).expect_revert::<NotOwner>().caller,
        dave
    );
    let r = w.call(alice, &execute(0));
    let e = r.expect_revert::<NotEnoughConfirmations>();
    assert_eq!(
        (e.confirmations, e.required),
        (U256::from(1), U256::from(2))
    );
    assert!(r.logs.is_empty());

    let r = w.call(bob, &confirm(0));
    assert!(r.success);
    println!("confirm used {} gas", r.gas_used);
    assert_eq!(r.events::<Confirmed>()[0].owner, bob);
    for (owner, confirmed) in [(alice, true), (bob, true), (carol, false)] {
        let asked = IMultisig::isConfirmedCall {
            id: U256::ZERO,
            owner,
        };
        assert_eq!(w.chain.view(wallet, &asked).unwrap(), confirmed);
    }
    assert_eq!(
        w.call(dave, &execute(0)).expect_revert::<NotOwner>().caller,
        dave
    );

    // Any owner executes: wallet → token, a nested message.
    let r = w.call(carol, &execute(0));
    assert!(r.decode::<IMultisig::executeCall>(), "{:?}", r.output);
    println!("execute (token transfer) used {} gas", r.gas_used);
    // The token's log comes first, from the token; then the wallet's.
    assert_eq!(r.logs.len(), 2);
    assert_eq!((r.logs[0].address, r.logs[1].address), (token, wallet));
    let t = &r.events::<Transfer>()[0];
    assert_eq!((t.from, t.to, t.value), (wallet, erin, U256::from(300)));
    let x = &r.events::<Executed>()[0];
    assert_eq!(x.id, U256::ZERO);
    // The token's `true`, as returned to the wallet.
    assert_eq!(
        x.result,
        Bytes::from(U256::from(1).to_be_bytes::<32>().to_vec())
    );
    assert_eq!(w.tokens(erin), U256::from(300));
    assert_eq!(w.tokens(wallet), U256::from(700));
    assert!(w.tx(0).executed);
    let r = w.call(alice, &execute(0));
    assert_eq!(r.expect_revert::<AlreadyExecuted>().id, U256::ZERO);

    // Ether: bob proposes, carol confirms, changes her mind, confirms again.
    let erin_before = w.chain.balance(erin);
    assert_eq!(w.submit(bob, &pay(erin, ether(1))), U256::from(1));
    assert!(w.call(carol, &confirm(1)).success);
    let r = w.call(carol, &IMultisig::revokeCall { id: U256::from(1) });
    assert!(r.success);
    println!("revoke used {} gas", r.gas_used);
    assert_eq!(r.events::<Revoked>()[0].owner, carol);
    assert_eq!(w.tx(1).confirmations, U256::from(1));
    let r = w.call(carol, &IMultisig::revokeCall { id: U256::from(1) });
    assert!(r.revert::<NotConfirmed>().is_some());
    assert!(
        w.call(bob, &execute(1))
            .revert::<NotEnoughConfirmations>()
            .is_some()
    );
    assert!(w.call(carol, &confirm(1)).success);
    let r = w.call(alice, &execute(1));
    assert!(r.decode::<IMultisig::executeCall>());
    println!("execute (ether transfer) used {} gas", r.gas_used);
    assert_eq!(r.events::<Executed>()[0].result, Bytes::new());
    assert_eq!(w.chain.balance(erin), erin_before + ether(1));
    assert_eq!(w.chain.balance(wallet), ether(4));
    assert_eq!(
        w.chain
            .view(wallet, &IMultisig::transactionCountCall {})
            .unwrap(),
        U256::from(2)
    );
}

#[test]
fn failed_calls_are_recorded_and_can_be_retried() {
    let mut w = setup();
    let (alice, bob, erin, token, wallet) = (w.alice, w.bob, w.erin, w.token, w.wallet);

    // More tokens than the wallet holds: the token reverts.
    let id0 = w.submit(
        alice,
        &IMultisig::submitTokenTransferCall {
            token,
            to: erin,
            amount: U256::from(1500),
        },
    );
    assert!(w.call(bob, &confirm(0)).success);
    let r = w.call(bob, &execute(0));
    assert!(r.success, "execute itself succeeds");
    assert!(
        !r.decode::<IMultisig::executeCall>(),
        "and reports the failure"
    );
    println!("execute (failing token transfer) used {} gas", r.gas_used);
    assert!(r.events::<Transfer>().is_empty());
    assert!(r.events::<Executed>().is_empty());
    let f = &r.events::<ExecutionFailed>()[0];
    assert_eq!(f.id, id0);
    // The token's own revert data, decodable as its custom error.
    let e: InsufficientBalance = Revert(f.reason.to_vec()).decode().unwrap();
    assert_eq!(
        (e.owner, e.balance, e.needed),
        (wallet, U256::from(1000), U256::from(1500))
    );
    let tx = w.tx(0);
    assert!(!tx.executed, "still pending");
    assert_eq!(tx.confirmations, U256::from(2));
    assert_eq!(w.tokens(wallet), U256::from(1000));
    assert_eq!(w.tokens(erin), U256::ZERO);

    // Fund the wallet and the very same transaction goes through.
    let r = w.chain.call(
        alice,
        token,
        &IERC20::transferCall {
            to: wallet,
            value: U256::from(500),
        },
    );
    assert!(r.success);
    let r = w.call(alice, &execute(0));
    assert!(r.decode::<IMultisig::executeCall>());
    assert_eq!(r.events::<Executed>()[0].id, id0);
    assert_eq!(w.tokens(erin), U256::from(1500));
    assert_eq!(w.tokens(wallet), U256::ZERO);

    // Value to a function that refuses it: the callee's `Error(string)`.
    let pay_token = IMultisig::submitCall {
        to: token,
        value: U256::from(1),
        data: IERC20::transferCall {
            to: erin,
            value: U256::ZERO,
        }
        .abi_encode()
        .into(),
    };
    assert_eq!(w.submit(alice, &pay_token), U256::from(1));
    assert!(w.call(bob, &confirm(1)).success);
    let r = w.call(alice, &execute(1));
    assert!(!r.decode::<IMultisig::executeCall>());
    let reason = Revert(r.events::<ExecutionFailed>()[0].reason.to_vec());
    assert_eq!(reason.message().as_deref(), Some("function is not payable"));
    assert_eq!(w.chain.balance(wallet), ether(5));

    // More ether than the wallet has: the value cannot move (no reason).
    let erin_before = w.chain.balance(erin);
    assert_eq!(w.submit(bob, &pay(erin, ether(8))), U256::from(2));
    assert!(w.call(alice, &confirm(2)).success);
    let r = w.call(alice, &execute(2));
    assert!(!r.decode::<IMultisig::executeCall>());
    assert_eq!(r.events::<ExecutionFailed>()[0].reason, Bytes::new());
    assert_eq!(w.chain.balance(erin), erin_before);
    assert_eq!(w.chain.balance(wallet), ether(5));
    assert!(!w.tx(2).executed);
    // A deposit later, it pays out.
    assert!(w.chain.send(bob, wallet, ether(3)).success);
    assert!(w.call(bob, &execute(2)).decode::<IMultisig::executeCall>());
    assert_eq!(w.chain.balance(erin), erin_before + ether(8));
    assert_eq!(w.chain.balance(wallet), U256::ZERO);
}

#[test]
fn the_wallet_changes_its_own_requirement() {
    let mut w = setup();
    let (alice, bob, carol, wallet) = (w.alice, w.bob, w.carol, w.wallet);
    let r = w.call(
        alice,
        &IMultisig::setRequiredCall {
            required: U256::from(1),
        },
    );
    assert_eq!(r.expect_revert::<NotWallet>().caller, alice);

    // A call from the wallet to itself, confirmed like any other.
    let set_required = |required: u64| IMultisig::submitCall {
        to: wallet,
        value: U256::ZERO,
        data: IMultisig::setRequiredCall {
            required: U256::from(required),
        }
        .abi_encode()
        .into(),
    };
    // Four of three owners: the inner call reverts, the wallet records it.
    w.submit(alice, &set_required(4));
    assert!(w.call(bob, &confirm(0)).success);
    let r = w.call(bob, &execute(0));
    let reason = Revert(r.events::<ExecutionFailed>()[0].reason.to_vec());
    let e: InvalidRequirement = reason.decode().unwrap();
    assert_eq!((e.owners, e.required), (U256::from(3), U256::from(4)));

    w.submit(alice, &set_required(3));
    assert!(w.call(carol, &confirm(1)).success);
    let r = w.call(carol, &execute(1));
    assert!(r.decode::<IMultisig::executeCall>());
    assert_eq!(r.events::<RequirementChanged>()[0].required, U256::from(3));
    assert_eq!(
        w.chain.view(wallet, &IMultisig::requiredCall {}).unwrap(),
        U256::from(3)
    );
    // From now on two confirmations are not enough.
    let send = IMultisig::submitCall {
        to: alice,
        value: U256::from(1),
        data: Bytes::new(),
    };
    w.submit(alice, &send);
    assert!(w.call(bob, &confirm(2)).success);
    let e = w
        .call(alice, &execute(2))
        .expect_revert::<NotEnoughConfirmations>();
    assert_eq!(
        (e.confirmations, e.required),
        (U256::from(2), U256::from(3))
    );
}
