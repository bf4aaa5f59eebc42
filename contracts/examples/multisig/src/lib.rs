//! An m-of-n multisig wallet: any owner proposes a call (destination,
//! value, calldata), owners confirm it, and once `required` of them have,
//! any owner executes it.
//!
//! * Proposing is agreeing: `submit` counts as the submitter's confirmation.
//! * Confirming does not execute: `execute` is a separate, explicit step.
//! * **A failing call is recorded, not lost.** If the called contract
//!   reverts (or the wallet lacks the value, or the call runs out of gas),
//!   `execute` still succeeds: it emits `ExecutionFailed` with the callee's
//!   revert data, returns `false`, and leaves the transaction pending, so
//!   the owners can execute it again once the cause is gone (say, the
//!   wallet has been funded) or abandon it by revoking. Nothing is lost by
//!   an executor who sends too little gas either: the call just stays
//!   pending.
//! * The wallet governs itself through its own transactions: `setRequired`
//!   can only be called by the wallet, i.e. by an executed transaction
//!   whose destination is the wallet.
//!
//! It also shows calling a contract through a typed interface:
//! `submitTokenTransfer` encodes an ERC-20 `transfer` for the owners to
//! confirm, and `tokenBalance` reads a token's `balanceOf` with a gas cap.
#![no_std]

use orac_sdk::SolCall;
use orac_sdk::prelude::*;

interface! {
    interface IERC20 {
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address owner) external view returns (uint256);
    }
}

abi! {
    event Deposit(address indexed sender, uint256 value);
    event Submitted(uint256 indexed id, address indexed owner, address indexed to, uint256 value, bytes data);
    event Confirmed(uint256 indexed id, address indexed owner);
    event Revoked(uint256 indexed id, address indexed owner);
    event Executed(uint256 indexed id, bytes result);
    event ExecutionFailed(uint256 indexed id, bytes reason);
    event RequirementChanged(uint256 required);
    error NotOwner(address caller);
    error NotWallet(address caller);
    error InvalidOwner(address owner);
    error DuplicateOwner(address owner);
    error InvalidRequirement(uint256 owners, uint256 required);
    error NoSuchTransaction(uint256 id);
    error AlreadyExecuted(uint256 id);
    error AlreadyConfirmed(uint256 id, address owner);
    error NotConfirmed(uint256 id, address owner);
    error NotEnoughConfirmations(uint256 id, uint256 confirmations, uint256 required);
}

/// Gas `tokenBalance` lets a token's `balanceOf` use: plenty for an honest
/// token (the example ERC-20 needs a few thousand to run, and ~25,000 to
/// load its 41 KB of code the first time a transaction calls it), and a
/// bound on what a hostile one can burn of the caller's gas.
pub const BALANCE_OF_GAS: u64 = 100_000;

/// A proposed call and who agreed to it.
#[storage]
pub struct Transaction {
    to: Value<Address>,
    value: Value<U256>,
    data: StorageBytes,
    executed: Value<bool>,
    /// How many owners have confirmed (kept so `execute` need not count).
    confirmations: Value<U256>,
    confirmed_by: Map<Address, bool>,
}

/// The wallet: its owners, how many must confirm, and every transaction
/// submitted.
#[storage]
pub struct Multisig {
    owners: StorageVec<Address>,
    is_owner: Map<Address, bool>,
    required: Value<U256>,
    /// Ids are indexes: the first transaction is 0.
    transactions: StorageVec<Transaction>,
}

#[contract]
impl Multisig {
    /// Sets the owners (distinct, nonzero) and how many of them must confirm
    /// (1 to all).
    #[constructor]
    pub fn constructor(&mut self, owners: Vec<Address>, required: U256) -> Result<(), Revert> {
        for &owner in &owners {
            ensure!(owner != Address::ZERO, InvalidOwner { owner });
            ensure!(!self.is_owner.get(&owner), DuplicateOwner { owner });
            self.is_owner.set(&owner, true);
            self.owners.push(owner);
        }
        self.check_requirement(required)?;
        self.required.set(required);
        Ok(())
    }

    /// Plain value transfers are deposits.
    #[receive]
    pub fn receive(&mut self) {
        orac_sdk::emit(Deposit {
            sender: msg::sender(),
            value: msg::value(),
        });
    }

    /// Proposes calling `to` with `value` and `data`; returns the id. The
    /// submitter's confirmation comes with it.
    pub fn submit(&mut self, to: Address, value: U256, data: Bytes) -> Result<U256, Revert> {
        let owner = self.only_owner()?;
        let id = U256::from(self.transactions.len());
        let mut tx = self.transactions.grow();
        tx.to.set(to);
        tx.value.set(value);
        tx.data.set(&data);
        orac_sdk::emit(Submitted {
            id,
            owner,
            to,
            value,
            data,
        });
        Self::add_confirmation(id, &mut tx, owner);
        Ok(id)
    }

    /// Proposes an ERC-20 `transfer(to, amount)` of `token` from the wallet.
    pub fn submit_token_transfer(
        &mut self,
        token: Address,
        to: Address,
        amount: U256,
    ) -> Result<U256, Revert> {
        // The same call types the typed handle `IERC20` uses to call.
        let data = IERC20Abi::transferCall { to, amount }.abi_encode();
        self.submit(token, U256::ZERO, data.into())
    }

    /// Adds the caller's confirmation (owners only, once each).
    pub fn confirm(&mut self, id: U256) -> Result<(), Revert> {
        let owner = self.only_owner()?;
        let mut tx = self.pending(id)?;
        ensure!(!tx.confirmed_by.get(&owner), AlreadyConfirmed { id, owner });
        Self::add_confirmation(id, &mut tx, owner);
        Ok(())
    }

    /// Withdraws the caller's confirmation of a transaction not executed
    /// yet.
    pub fn revoke(&mut self, id: U256) -> Result<(), Revert> {
        let owner = self.only_owner()?;
        let mut tx = self.pending(id)?;
        ensure!(tx.confirmed_by.get(&owner), NotConfirmed { id, owner });
        tx.confirmed_by.set(&owner, false);
        // Cannot underflow: the owner's confirmation is counted in it.
        tx.confirmations.set(tx.confirmations.get() - U256::from(1));
        orac_sdk::emit(Revoked { id, owner });
        Ok(())
    }

    /// Makes the call of a sufficiently confirmed transaction. Returns
    /// whether it succeeded; a failed call leaves the transaction pending
    /// (see the crate's documentation).
    pub fn execute(&mut self, id: U256) -> Result<bool, Revert> {
        self.only_owner()?;
        let mut tx = self.pending(id)?;
        let (confirmations, required) = (tx.confirmations.get(), self.required.get());
        ensure!(
            confirmations >= required,
            NotEnoughConfirmations {
                id,
                confirmations,
                required
            }
        );
        // Marked before the call, so a callee re-entering `execute` finds
        // it done and cannot run it twice.
        tx.executed.set(true);
        let outcome = Call::new()
            .value(tx.value.get())
            .raw(tx.to.get(), &tx.data.get());
        match outcome {
            Ok(result) => {
                orac_sdk::emit(Executed {
                    id,
                    result: result.into(),
                });
                Ok(true)
            }
            Err(Revert(reason)) => {
                // The callee's changes are gone; ours stay, so the
                // transaction goes back to pending and the failure is on
                // record.
                tx.executed.set(false);
                orac_sdk::emit(ExecutionFailed {
                    id,
                    reason: reason.into(),
                });
                Ok(false)
            }
        }
    }

    /// Changes how many confirmations a transaction needs. Only the wallet
    /// itself may call it: owners submit and confirm a call to the wallet.
    pub fn set_required(&mut self, required: U256) -> Result<(), Revert> {
        let caller = msg::sender();
        ensure!(caller == this::address(), NotWallet { caller });
        self.check_requirement(required)?;
        self.required.set(required);
        orac_sdk::emit(RequirementChanged { required });
        Ok(())
    }

    /// The owners, in the order the constructor got them.
    pub fn owners(&self) -> Vec<Address> {
        self.owners.iter().collect()
    }

    /// Whether `who` is an owner.
    pub fn is_owner(&self, who: Address) -> bool {
        self.is_owner.get(&who)
    }

    /// How many confirmations a transaction needs.
    pub fn required(&self) -> U256 {
        self.required.get()
    }

    /// How many transactions were submitted (ids run from 0).
    pub fn transaction_count(&self) -> U256 {
        U256::from(self.transactions.len())
    }

    /// (to, value, data, executed, confirmations) of transaction `id`.
    pub fn transaction(&self, id: U256) -> Result<(Address, U256, Bytes, bool, U256), Revert> {
        let tx = self.get(id)?;
        Ok((
            tx.to.get(),
            tx.value.get(),
            tx.data.get().into(),
            tx.executed.get(),
            tx.confirmations.get(),
        ))
    }

    /// Whether `owner` has confirmed transaction `id`.
    pub fn is_confirmed(&self, id: U256, owner: Address) -> Result<bool, Revert> {
        Ok(self.get(id)?.confirmed_by.get(&owner))
    }

    /// The wallet's balance of `token`, asked through the typed ERC-20
    /// interface with at most [`BALANCE_OF_GAS`] gas.
    pub fn token_balance(&self, token: Address) -> Result<U256, Revert> {
        IERC20::new(token)
            .with(Call::new().gas(BALANCE_OF_GAS))
            .balance_of(this::address())
    }

    fn only_owner(&self) -> Result<Address, Revert> {
        let caller = msg::sender();
        ensure!(self.is_owner.get(&caller), NotOwner { caller });
        Ok(caller)
    }

    fn check_requirement(&self, required: U256) -> Result<(), Revert> {
        let owners = U256::from(self.owners.len());
        ensure!(
            !required.is_zero() && required <= owners,
            InvalidRequirement { owners, required }
        );
        Ok(())
    }

    fn get(&self, id: U256) -> Result<Transaction, Revert> {
        // An id past usize saturates to usize::MAX, which is never an index.
        self.transactions
            .entry(id.saturating_to::<usize>())
            .ok_or_else(|| NoSuchTransaction { id }.into())
    }

    /// Transaction `id`, if it can still be confirmed or executed.
    fn pending(&self, id: U256) -> Result<Transaction, Revert> {
        let tx = self.get(id)?;
        ensure!(!tx.executed.get(), AlreadyExecuted { id });
        Ok(tx)
    }

    fn add_confirmation(id: U256, tx: &mut Transaction, owner: Address) {
        tx.confirmed_by.set(&owner, true);
        // Cannot wrap: it counts owners, once each.
        tx.confirmations.set(tx.confirmations.get() + U256::from(1));
        orac_sdk::emit(Confirmed { id, owner });
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::vec;

    use orac_sdk::testing::{self, ALICE, BOB, CAROL, CONTRACT as WALLET, DAVE};
    use orac_sdk::{SolError, SolValue, sol};

    use super::*;

    const TOKEN: Address = Address::repeat_byte(0x70);

    sol! {
        error Oops(uint256 code);
        function confirm(uint256 id) external;
    }

    fn deployed(required: u64) -> Multisig {
        testing::reset();
        testing::set_caller(ALICE);
        let mut wallet = Multisig::at_root();
        testing::try_call(|| wallet.constructor(vec![ALICE, BOB, CAROL], U256::from(required)))
            .unwrap();
        wallet
    }

    fn id(n: u64) -> U256 {
        U256::from(n)
    }

    #[test]
    fn constructor_checks_owners_and_requirement() {
        let wallet = deployed(2);
        assert_eq!(wallet.owners(), vec![ALICE, BOB, CAROL]);
        assert_eq!(wallet.required(), U256::from(2));
        assert!(wallet.is_owner(BOB) && !wallet.is_owner(DAVE));

        let deploy = |owners: std::vec::Vec<Address>, required: u64| {
            testing::reset();
            let mut w = Multisig::at_root();
            testing::try_call(|| w.constructor(owners, U256::from(required))).unwrap_err()
        };
        let e: InvalidRequirement = deploy(vec![ALICE, BOB], 3).decode().unwrap();
        assert_eq!((e.owners, e.required), (U256::from(2), U256::from(3)));
        assert!(
            deploy(vec![ALICE], 0)
                .decode::<InvalidRequirement>()
                .is_some()
        );
        assert!(deploy(vec![], 1).decode::<InvalidRequirement>().is_some());
        let e: DuplicateOwner = deploy(vec![ALICE, BOB, ALICE], 1).decode().unwrap();
        assert_eq!(e.owner, ALICE);
        let e: InvalidOwner = deploy(vec![ALICE, Address::ZERO], 1).decode().unwrap();
        assert_eq!(e.owner, Address::ZERO);
    }

    #[test]
    fn submit_confirm_revoke() {
        let mut wallet = deployed(2);
        let data = Bytes::from_static(&[1, 2, 3]);
        assert_eq!(
            testing::try_call(|| wallet.submit(DAVE, U256::from(5), data.clone())),
            Ok(id(0))
        );
        let s = testing::events::<Submitted>().pop().unwrap();
        assert_eq!(
            (s.id, s.owner, s.to, s.value, s.data.clone()),
            (id(0), ALICE, DAVE, U256::from(5), data.clone())
        );
        // Submitting confirms.
        assert_eq!(
            wallet.transaction(id(0)),
            Ok((DAVE, U256::from(5), data.clone(), false, U256::from(1)))
        );
        assert_eq!(wallet.is_confirmed(id(0), ALICE), Ok(true));
        let e: AlreadyConfirmed = testing::expect_revert(|| wallet.confirm(id(0)));
        assert_eq!((e.id, e.owner), (id(0), ALICE));

        testing::set_caller(BOB);
        testing::expect_revert::<NotConfirmed, _>(|| wallet.revoke(id(0)));
        assert_eq!(testing::try_call(|| wallet.confirm(id(0))), Ok(()));
        assert_eq!(wallet.transaction(id(0)).unwrap().4, U256::from(2));
        assert_eq!(testing::try_call(|| wallet.revoke(id(0))), Ok(()));
        assert_eq!(wallet.transaction(id(0)).unwrap().4, U256::from(1));
        assert_eq!(wallet.is_confirmed(id(0), BOB), Ok(false));
        let r = testing::events::<Revoked>().pop().unwrap();
        assert_eq!((r.id, r.owner), (id(0), BOB));
        let confirmed: std::vec::Vec<_> = testing::events::<Confirmed>()
            .iter()
            .map(|c| (c.id, c.owner))
            .collect();
        assert_eq!(confirmed, vec![(id(0), ALICE), (id(0), BOB)]);

        // A second transaction keeps its own fields (it lives right after
        // the first one's slots).
        testing::set_caller(CAROL);
        let long = Bytes::from(vec![7u8; 100]);
        assert_eq!(
            testing::try_call(|| wallet.submit(BOB, U256::ZERO, long.clone())),
            Ok(id(1))
        );
        assert_eq!(wallet.transaction_count(), U256::from(2));
        assert_eq!(
            wallet.transaction(id(1)),
            Ok((BOB, U256::ZERO, long, false, U256::from(1)))
        );
        assert_eq!(
            wallet.transaction(id(0)),
            Ok((DAVE, U256::from(5), data, false, U256::from(1)))
        );
        let err = wallet.transaction(id(2)).unwrap_err();
        assert_eq!(err.decode::<NoSuchTransaction>().unwrap().id, id(2));
        testing::expect_revert::<NoSuchTransaction, _>(|| wallet.confirm(U256::MAX));
    }

    #[test]
    fn non_owners_are_refused() {
        let mut wallet = deployed(1);
        wallet.submit(DAVE, U256::ZERO, Bytes::new()).unwrap();
        testing::set_caller(DAVE);
        let refused = [
            testing::try_call(|| wallet.submit(DAVE, U256::ZERO, Bytes::new())).map(|_| ()),
            testing::try_call(|| wallet.confirm(id(0))),
            testing::try_call(|| wallet.revoke(id(0))),
            testing::try_call(|| wallet.execute(id(0))).map(|_| ()),
            testing::try_call(|| wallet.submit_token_transfer(TOKEN, DAVE, U256::from(1)))
                .map(|_| ()),
        ];
        for r in refused {
            assert_eq!(r.unwrap_err().decode::<NotOwner>().unwrap().caller, DAVE);
        }
        assert_eq!(wallet.transaction_count(), U256::from(1));
        assert!(testing::calls().is_empty());
    }

    #[test]
    fn executes_once_with_enough_confirmations() {
        let mut wallet = deployed(2);
        testing::set_balance(WALLET, U256::from(100));
        let data = Bytes::from_static(&[0xab, 0xcd, 0xef, 0x01, 0x02]);
        wallet.submit(DAVE, U256::from(40), data.clone()).unwrap();

        let e: NotEnoughConfirmations = testing::expect_revert(|| wallet.execute(id(0)));
        assert_eq!(
            (e.id, e.confirmations, e.required),
            (id(0), U256::from(1), U256::from(2))
        );

        testing::set_caller(BOB);
        wallet.confirm(id(0)).unwrap();
        testing::mock_call(DAVE, &[0xab, 0xcd], true, vec![9, 9]);
        testing::set_caller(CAROL);
        assert_eq!(testing::try_call(|| wallet.execute(id(0))), Ok(true));
        assert_eq!(
            testing::calls(),
            vec![(DAVE, U256::from(40), data.to_vec())]
        );
        assert_eq!(testing::balance(WALLET), U256::from(60));
        assert_eq!(testing::balance(DAVE), U256::from(40));
        let x = testing::events::<Executed>().pop().unwrap();
        assert_eq!((x.id, x.result.to_vec()), (id(0), vec![9, 9]));
        assert!(wallet.transaction(id(0)).unwrap().3);

        for again in [
            testing::try_call(|| wallet.execute(id(0))).map(|_| ()),
            testing::try_call(|| wallet.confirm(id(0))),
        ] {
            assert_eq!(
                again.unwrap_err().decode::<AlreadyExecuted>().unwrap().id,
                id(0)
            );
        }
    }

    #[test]
    fn a_failing_call_is_recorded_and_stays_pending() {
        let mut wallet = deployed(1);
        testing::mock_call(
            DAVE,
            &[],
            false,
            Oops {
                code: U256::from(7),
            }
            .abi_encode(),
        );
        wallet.submit(DAVE, U256::ZERO, Bytes::new()).unwrap();

        assert_eq!(testing::try_call(|| wallet.execute(id(0))), Ok(false));
        let f = testing::events::<ExecutionFailed>().pop().unwrap();
        assert_eq!(f.id, id(0));
        assert_eq!(
            Revert(f.reason.to_vec()).decode::<Oops>().unwrap().code,
            U256::from(7)
        );
        assert!(testing::events::<Executed>().is_empty());
        assert!(!wallet.transaction(id(0)).unwrap().3, "still pending");

        // Once the callee accepts, the same transaction goes through.
        testing::mock_call(DAVE, &[], true, vec![]);
        assert_eq!(testing::try_call(|| wallet.execute(id(0))), Ok(true));
        assert!(wallet.transaction(id(0)).unwrap().3);

        // Value the wallet does not have fails the call the same way.
        wallet.submit(BOB, U256::from(1), Bytes::new()).unwrap();
        assert_eq!(testing::try_call(|| wallet.execute(id(1))), Ok(false));
        assert_eq!(testing::events::<ExecutionFailed>().len(), 2);
        assert_eq!(testing::balance(BOB), U256::ZERO);
    }

    #[test]
    fn token_helpers_use_the_erc20_abi() {
        let mut wallet = deployed(1);
        assert_eq!(
            wallet.submit_token_transfer(TOKEN, DAVE, U256::from(300)),
            Ok(id(0))
        );
        let (to, value, data, _, _) = wallet.transaction(id(0)).unwrap();
        assert_eq!((to, value), (TOKEN, U256::ZERO));
        // transfer(address,uint256) = 0xa9059cbb, then the two words.
        let mut expected = vec![0xa9, 0x05, 0x9c, 0xbb];
        expected.extend_from_slice(&DAVE.into_word().0);
        expected.extend_from_slice(&U256::from(300).to_be_bytes::<32>());
        assert_eq!(data.to_vec(), expected);

        // balanceOf(address) = 0x70a08231, asked about the wallet itself.
        testing::mock_call(
            TOKEN,
            &[0x70, 0xa0, 0x82, 0x31],
            true,
            U256::from(1234).abi_encode(),
        );
        assert_eq!(wallet.token_balance(TOKEN), Ok(U256::from(1234)));
        let (to, value, asked) = testing::calls().pop().unwrap();
        assert_eq!((to, value), (TOKEN, U256::ZERO));
        assert_eq!(&asked[4..], &WALLET.into_word().0);
        // No token there: nothing comes back, which is not a uint256.
        let err = wallet.token_balance(DAVE).unwrap_err();
        assert_eq!(err.message().as_deref(), Some("undecodable return data"));
    }

    #[test]
    fn only_the_wallet_changes_the_requirement() {
        let mut wallet = deployed(2);
        let err: NotWallet = testing::expect_revert(|| wallet.set_required(U256::from(1)));
        assert_eq!(err.caller, ALICE);
        testing::set_caller(WALLET);
        testing::expect_revert::<InvalidRequirement, _>(|| wallet.set_required(U256::from(4)));
        assert_eq!(
            testing::try_call(|| wallet.set_required(U256::from(3))),
            Ok(())
        );
        assert_eq!(wallet.required(), U256::from(3));
        assert_eq!(
            testing::events::<RequirementChanged>()
                .pop()
                .unwrap()
                .required,
            U256::from(3)
        );
    }

    #[test]
    fn plain_value_is_a_deposit() {
        let mut wallet = deployed(1);
        testing::set_caller(DAVE);
        testing::set_value(U256::from(77));
        assert_eq!(
            testing::try_call(|| wallet.__orac_dispatch(&[])),
            Ok(vec![])
        );
        let d = testing::events::<Deposit>().pop().unwrap();
        assert_eq!((d.sender, d.value), (DAVE, U256::from(77)));
        // Everything else refuses value.
        let call = confirmCall { id: id(0) }.abi_encode();
        let err = testing::try_call(|| wallet.__orac_dispatch(&call)).unwrap_err();
        assert_eq!(err.message().as_deref(), Some("function is not payable"));
    }
}
