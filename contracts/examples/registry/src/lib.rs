//! The name registry of the Ethereum whitepaper: the first account to
//! register a name owns it, and only its owner can hand it on.
//!
//! On top of the whitepaper's few lines: an optional registration fee, paid
//! as the value of `register` and withdrawable by an admin fixed at deploy,
//! and events, so wallets and indexers can follow who owns what.
#![no_std]

use orac_sdk::prelude::*;

abi! {
    // `nameHash` is keccak256(name), exactly what an `indexed string` topic
    // would hold, so logs can still be filtered by name; the name itself
    // travels in the data, where it stays readable.
    event Registered(bytes32 indexed nameHash, address indexed owner, string name, uint256 fee);
    event Transferred(bytes32 indexed nameHash, address indexed from, address indexed to, string name);
    event FeeChanged(uint256 oldFee, uint256 newFee);
    event Withdrawn(address indexed to, uint256 amount);
    error EmptyName();
    error NameTaken(string name, address owner);
    error NotNameOwner(string name, address caller);
    error WrongFee(uint256 sent, uint256 fee);
    error NotAdmin(address caller);
    error InvalidAddress(address account);
}

/// The registry: its admin, its fee and who owns each name.
#[storage]
pub struct Registry {
    admin: Value<Address>,
    fee: Value<U256>,
    /// Solidity's `mapping(string => address)`: the zero address means
    /// "unclaimed".
    owners: Map<str, Address>,
}

/// What an `indexed string` topic holds for `name`.
pub fn name_hash(name: &str) -> B256 {
    orac_sdk::host::keccak256(name.as_bytes())
}

#[contract]
impl Registry {
    /// Fixes the admin (nonzero: fees could never leave otherwise) and the
    /// starting fee.
    #[constructor]
    pub fn constructor(&mut self, admin: Address, fee: U256) -> Result<(), Revert> {
        // Nobody could ever withdraw the fees of a zero admin.
        ensure!(admin != Address::ZERO, InvalidAddress { account: admin });
        self.admin.set(admin);
        self.fee.set(fee);
        Ok(())
    }

    /// Claims an unclaimed name for the caller, who pays exactly the fee.
    #[payable]
    pub fn register(&mut self, name: String) -> Result<(), Revert> {
        ensure!(!name.is_empty(), EmptyName {});
        // Exactly the fee: anything more would be stuck here for nothing.
        let (sent, fee) = (msg::value(), self.fee.get());
        ensure!(sent == fee, WrongFee { sent, fee });
        let current = self.owners.get(&name);
        ensure!(
            current == Address::ZERO,
            NameTaken {
                name,
                owner: current
            }
        );
        let owner = msg::sender();
        self.owners.set(&name, owner);
        orac_sdk::emit(Registered {
            nameHash: name_hash(&name),
            owner,
            name,
            fee,
        });
        Ok(())
    }

    /// Who owns `name` (the zero address if nobody does).
    pub fn owner_of(&self, name: String) -> Address {
        self.owners.get(&name)
    }

    /// Hands `name` to `to`; only its current owner may.
    pub fn transfer(&mut self, name: String, to: Address) -> Result<(), Revert> {
        let from = msg::sender();
        // An unclaimed name is owned by the zero address, never a caller.
        ensure!(
            self.owners.get(&name) == from,
            NotNameOwner { name, caller: from }
        );
        // Giving a name to the zero address would quietly release it.
        ensure!(to != Address::ZERO, InvalidAddress { account: to });
        self.owners.set(&name, to);
        orac_sdk::emit(Transferred {
            nameHash: name_hash(&name),
            from,
            to,
            name,
        });
        Ok(())
    }

    /// Who changes the fee and withdraws the fees.
    pub fn admin(&self) -> Address {
        self.admin.get()
    }

    /// The fee `register` takes, in wei.
    pub fn fee(&self) -> U256 {
        self.fee.get()
    }

    /// Changes the fee for later registrations (admin only).
    pub fn set_fee(&mut self, fee: U256) -> Result<(), Revert> {
        self.only_admin()?;
        let old = self.fee.get();
        self.fee.set(fee);
        orac_sdk::emit(FeeChanged {
            oldFee: old,
            newFee: fee,
        });
        Ok(())
    }

    /// Sends every fee collected so far to `to` (admin only); returns the
    /// amount.
    pub fn withdraw(&mut self, to: Address) -> Result<U256, Revert> {
        self.only_admin()?;
        ensure!(to != Address::ZERO, InvalidAddress { account: to });
        let amount = this::balance();
        // If `to` refuses the value, the whole withdrawal reverts.
        Call::transfer(to, amount)?;
        orac_sdk::emit(Withdrawn { to, amount });
        Ok(amount)
    }

    fn only_admin(&self) -> Result<(), Revert> {
        let caller = msg::sender();
        ensure!(caller == self.admin.get(), NotAdmin { caller });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use orac_sdk::testing::{self, ALICE, BOB, CONTRACT};
    use orac_sdk::{SolCall, SolValue, sol};

    use super::*;

    const ADMIN: Address = Address::repeat_byte(0xad);

    fn deployed(fee: u64) -> Registry {
        testing::reset();
        testing::set_caller(ADMIN);
        let mut registry = Registry::at_root();
        testing::try_call(|| registry.constructor(ADMIN, U256::from(fee))).unwrap();
        registry
    }

    /// Deployed without a fee, and ALICE has registered "alice".
    fn alice_owns_alice() -> Registry {
        let mut registry = deployed(0);
        testing::set_caller(ALICE);
        registry.register("alice".into()).unwrap();
        registry
    }

    fn paying<T>(value: u64, f: impl FnOnce() -> Result<T, Revert>) -> Result<T, Revert> {
        testing::try_call_with_value(U256::from(value), f)
    }

    #[test]
    fn the_first_to_register_owns_the_name() {
        let mut registry = deployed(0);
        testing::set_caller(ALICE);
        assert_eq!(
            testing::try_call(|| registry.register("alice".into())),
            Ok(())
        );
        assert_eq!(registry.owner_of("alice".into()), ALICE);
        assert_eq!(registry.owner_of("bob".into()), Address::ZERO);

        let r = testing::events::<Registered>();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].nameHash, alloy_keccak(b"alice"));
        assert_eq!((r[0].owner, r[0].name.as_str()), (ALICE, "alice"));
        assert_eq!(r[0].fee, U256::ZERO);
    }

    #[test]
    fn taken_and_empty_names_are_refused() {
        let mut registry = alice_owns_alice();

        testing::set_caller(BOB);
        let e: NameTaken = testing::expect_revert(|| registry.register("alice".into()));
        assert_eq!((e.name.as_str(), e.owner), ("alice", ALICE));
        assert_eq!(registry.owner_of("alice".into()), ALICE);

        testing::expect_revert::<EmptyName, _>(|| registry.register(String::new()));
        assert_eq!(testing::events::<Registered>().len(), 1);
    }

    #[test]
    fn only_the_owner_transfers() {
        let mut registry = alice_owns_alice();

        testing::set_caller(BOB);
        let e: NotNameOwner = testing::expect_revert(|| registry.transfer("alice".into(), BOB));
        assert_eq!((e.name.as_str(), e.caller), ("alice", BOB));
        // Nobody owns an unclaimed name, so nobody can transfer it.
        testing::expect_revert::<NotNameOwner, _>(|| registry.transfer("nobody".into(), BOB));

        testing::set_caller(ALICE);
        testing::expect_revert::<InvalidAddress, _>(|| {
            registry.transfer("alice".into(), Address::ZERO)
        });
        assert_eq!(
            testing::try_call(|| registry.transfer("alice".into(), BOB)),
            Ok(())
        );
        assert_eq!(registry.owner_of("alice".into()), BOB);
        let t = testing::events::<Transferred>().pop().unwrap();
        assert_eq!(
            (t.nameHash, t.from, t.to, t.name.as_str()),
            (alloy_keccak(b"alice"), ALICE, BOB, "alice")
        );
        // The old owner has lost it.
        assert!(testing::try_call(|| registry.transfer("alice".into(), ALICE)).is_err());
    }

    #[test]
    fn fees_are_exact_and_only_the_admin_withdraws_them() {
        let mut registry = deployed(100);
        testing::set_caller(ALICE);
        for wrong in [0, 99, 101] {
            let err = paying(wrong, || registry.register("alice".into())).unwrap_err();
            let e: WrongFee = err.decode().unwrap();
            assert_eq!((e.sent, e.fee), (U256::from(wrong), U256::from(100)));
        }
        assert_eq!(
            testing::balance(CONTRACT),
            U256::ZERO,
            "refused fees go back"
        );
        paying(100, || registry.register("alice".into())).unwrap();
        testing::set_caller(BOB);
        paying(100, || registry.register("bob".into())).unwrap();
        assert_eq!(testing::balance(CONTRACT), U256::from(200));

        let e: NotAdmin = testing::expect_revert(|| registry.withdraw(BOB));
        assert_eq!(e.caller, BOB);
        testing::expect_revert::<NotAdmin, _>(|| registry.set_fee(U256::ZERO));

        testing::set_caller(ADMIN);
        assert_eq!(
            testing::try_call(|| registry.withdraw(ALICE)),
            Ok(U256::from(200))
        );
        assert_eq!(testing::balance(CONTRACT), U256::ZERO);
        assert_eq!(testing::balance(ALICE), U256::from(200));
        let w = testing::events::<Withdrawn>().pop().unwrap();
        assert_eq!((w.to, w.amount), (ALICE, U256::from(200)));

        assert_eq!(
            testing::try_call(|| registry.set_fee(U256::from(7))),
            Ok(())
        );
        assert_eq!(registry.fee(), U256::from(7));
        let f = testing::events::<FeeChanged>().pop().unwrap();
        assert_eq!((f.oldFee, f.newFee), (U256::from(100), U256::from(7)));
    }

    #[test]
    fn a_zero_admin_is_refused() {
        testing::reset();
        let mut registry = Registry::at_root();
        testing::expect_revert::<InvalidAddress, _>(|| {
            registry.constructor(Address::ZERO, U256::ZERO)
        });
    }

    #[test]
    fn owners_use_soliditys_string_mapping_layout() {
        alice_owns_alice();
        // mapping(string => address) at slot 2: keccak256("alice" ‖ 2).
        let mut preimage = b"alice".to_vec();
        preimage.extend_from_slice(&U256::from(2).to_be_bytes::<32>());
        let slot = alloy_keccak(&preimage);
        assert_eq!(testing::storage_at(CONTRACT, slot), ALICE.into_word());
    }

    #[test]
    fn abi_names_and_value_checks() {
        sol! {
            function ownerOf(string name) external view returns (address);
        }
        let mut registry = alice_owns_alice();
        let data = ownerOfCall {
            name: "alice".into(),
        }
        .abi_encode();
        let out = testing::try_call(|| registry.__orac_dispatch(&data)).unwrap();
        assert_eq!(Address::abi_decode(&out).unwrap(), ALICE);
        // A view refuses value: it could never give it back.
        testing::set_value(U256::from(1));
        let err = testing::try_call(|| registry.__orac_dispatch(&data)).unwrap_err();
        assert_eq!(err.message().as_deref(), Some("function is not payable"));
    }

    fn alloy_keccak(data: &[u8]) -> B256 {
        orac_sdk::primitives::keccak256(data)
    }
}
