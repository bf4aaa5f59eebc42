//! An ERC-20 token: the standard interface and events, name, symbol and
//! decimals, and a constructor minting the initial supply to the deployer.
#![no_std]

use orac_sdk::prelude::*;

abi! {
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    error InsufficientBalance(address owner, uint256 balance, uint256 needed);
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    error InvalidReceiver(address receiver);
}

/// The token's state: metadata, supply, balances and allowances.
#[storage]
pub struct Erc20 {
    name: StorageString,
    symbol: StorageString,
    total_supply: Value<U256>,
    balances: Map<Address, U256>,
    allowances: Map<Address, Map<Address, U256>>,
}

#[contract]
impl Erc20 {
    /// Sets the name and symbol and mints `initial_supply` to the deployer.
    #[constructor]
    pub fn constructor(
        &mut self,
        name: String,
        symbol: String,
        initial_supply: U256,
    ) -> Result<(), Revert> {
        self.name.set(&name);
        self.symbol.set(&symbol);
        self.mint(msg::sender(), initial_supply)
    }

    /// The token's name, e.g. "Orac".
    pub fn name(&self) -> String {
        self.name.get()
    }

    /// The token's ticker, e.g. "ORC".
    pub fn symbol(&self) -> String {
        self.symbol.get()
    }

    /// Decimal places wallets show: 18, as for ether.
    pub fn decimals(&self) -> u8 {
        18
    }

    /// Every token in existence.
    pub fn total_supply(&self) -> U256 {
        self.total_supply.get()
    }

    /// The tokens `owner` holds.
    pub fn balance_of(&self, owner: Address) -> U256 {
        self.balances.get(&owner)
    }

    /// How much `spender` may still move from `owner`'s balance.
    pub fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.allowances.entry(&owner).get(&spender)
    }

    /// Moves `value` of the caller's tokens to `to`.
    pub fn transfer(&mut self, to: Address, value: U256) -> Result<bool, Revert> {
        self.move_tokens(msg::sender(), to, value)?;
        Ok(true)
    }

    /// Lets `spender` move up to `value` of the caller's tokens (replacing
    /// any earlier allowance; `U256::MAX` never runs down).
    pub fn approve(&mut self, spender: Address, value: U256) -> bool {
        let owner = msg::sender();
        self.allowances.entry(&owner).set(&spender, value);
        orac_sdk::emit(Approval {
            owner,
            spender,
            value,
        });
        true
    }

    /// Moves `value` tokens from `from` to `to` out of the caller's
    /// allowance.
    pub fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, Revert> {
        let spender = msg::sender();
        let mut allowances = self.allowances.entry(&from);
        let allowed = allowances.get(&spender);
        if allowed != U256::MAX {
            ensure!(
                allowed >= value,
                InsufficientAllowance {
                    spender,
                    allowance: allowed,
                    needed: value
                }
            );
            // Cannot underflow: allowed >= value, checked above.
            allowances.set(&spender, allowed - value);
        }
        self.move_tokens(from, to, value)?;
        Ok(true)
    }

    fn move_tokens(&mut self, from: Address, to: Address, value: U256) -> Result<(), Revert> {
        ensure!(to != Address::ZERO, InvalidReceiver { receiver: to });
        let balance = self.balances.get(&from);
        ensure!(
            balance >= value,
            InsufficientBalance {
                owner: from,
                balance,
                needed: value
            }
        );
        // Neither can wrap: value <= balance (checked above), and no
        // balance, nor the sum of two, exceeds the total supply, which
        // `mint` keeps below 2^256 (as OpenZeppelin's ERC-20 reasons).
        self.balances.set(&from, balance - value);
        let to_balance = self.balances.get(&to);
        self.balances.set(&to, to_balance + value);
        orac_sdk::emit(Transfer { from, to, value });
        Ok(())
    }

    /// Creates `value` tokens for `to`; reverts (Panic(0x11)) if the total
    /// supply would pass 2^256 - 1, which keeps every balance below it.
    fn mint(&mut self, to: Address, value: U256) -> Result<(), Revert> {
        self.total_supply
            .set(self.total_supply.get().try_add(value)?);
        // Cannot wrap: the balance is at most the total supply checked above.
        self.balances.set(&to, self.balances.get(&to) + value);
        orac_sdk::emit(Transfer {
            from: Address::ZERO,
            to,
            value,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use orac_sdk::testing::{self, ALICE, BOB};

    use super::*;

    fn deployed(supply: u64) -> Erc20 {
        testing::reset();
        testing::set_caller(ALICE);
        let mut token = Erc20::at_root();
        token
            .constructor("Orac".into(), "ORC".into(), U256::from(supply))
            .unwrap();
        token
    }

    #[test]
    fn constructor_mints_to_the_deployer() {
        let token = deployed(1000);
        assert_eq!(token.name(), "Orac");
        assert_eq!(token.symbol(), "ORC");
        assert_eq!(token.decimals(), 18);
        assert_eq!(token.total_supply(), U256::from(1000));
        assert_eq!(token.balance_of(ALICE), U256::from(1000));
        let minted = testing::events::<Transfer>();
        assert_eq!(minted.len(), 1);
        assert_eq!(minted[0].from, Address::ZERO);
        assert_eq!(minted[0].to, ALICE);
    }

    #[test]
    fn the_supply_cannot_wrap() {
        let mut token = deployed(1);
        let err = testing::try_call(|| token.mint(BOB, U256::MAX)).unwrap_err();
        assert_eq!(
            err.panic_code(),
            Some(orac_sdk::revert::panic_code::ARITHMETIC)
        );
        assert_eq!(token.total_supply(), U256::from(1));
        assert_eq!(token.balance_of(BOB), U256::ZERO);
        assert_eq!(
            testing::try_call(|| token.mint(BOB, U256::MAX - U256::from(1))),
            Ok(())
        );
        assert_eq!(token.total_supply(), U256::MAX);
    }

    #[test]
    fn transfer_moves_tokens_and_logs() {
        let mut token = deployed(1000);
        assert_eq!(
            testing::try_call(|| token.transfer(BOB, U256::from(300))),
            Ok(true)
        );
        assert_eq!(token.balance_of(ALICE), U256::from(700));
        assert_eq!(token.balance_of(BOB), U256::from(300));
        let t = testing::events::<Transfer>().pop().unwrap();
        assert_eq!((t.from, t.to, t.value), (ALICE, BOB, U256::from(300)));
    }

    #[test]
    fn overdrafts_revert_and_change_nothing() {
        let mut token = deployed(10);
        let e: InsufficientBalance = testing::expect_revert(|| token.transfer(BOB, U256::from(11)));
        assert_eq!(
            (e.owner, e.balance, e.needed),
            (ALICE, U256::from(10), U256::from(11))
        );
        assert_eq!(token.balance_of(ALICE), U256::from(10));
        assert!(testing::try_call(|| token.transfer(Address::ZERO, U256::from(1))).is_err());
    }

    #[test]
    fn approve_and_transfer_from() {
        let mut token = deployed(100);
        assert!(token.approve(BOB, U256::from(40)));
        assert_eq!(token.allowance(ALICE, BOB), U256::from(40));
        testing::set_caller(BOB);
        let err =
            testing::try_call(|| token.transfer_from(ALICE, BOB, U256::from(41))).unwrap_err();
        assert!(err.decode::<InsufficientAllowance>().is_some());
        assert_eq!(
            testing::try_call(|| token.transfer_from(ALICE, BOB, U256::from(40))),
            Ok(true)
        );
        assert_eq!(token.allowance(ALICE, BOB), U256::ZERO);
        assert_eq!(token.balance_of(BOB), U256::from(40));
        assert_eq!(testing::events::<Approval>().len(), 1);
    }

    #[test]
    fn abi_dispatch_by_selector() {
        let mut token = deployed(5);
        let call = |data: &[u8], t: &mut Erc20| testing::try_call(|| t.__orac_dispatch(data));
        // balanceOf(address) = 0x70a08231
        let mut data = [0x70, 0xa0, 0x82, 0x31].to_vec();
        data.extend_from_slice(&ALICE.into_word().0);
        let out = call(&data, &mut token).unwrap();
        assert_eq!(U256::from_be_slice(&out), U256::from(5));
        // Value sent to a non-payable function is refused.
        testing::set_value(U256::from(1));
        let mut t = [0xa9, 0x05, 0x9c, 0xbb].to_vec();
        t.extend_from_slice(&BOB.into_word().0);
        t.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
        let err = call(&t, &mut token).unwrap_err();
        assert_eq!(err.message().as_deref(), Some("function is not payable"));
        testing::set_value(U256::ZERO);
        assert!(call(&[1, 2, 3, 4], &mut token).is_err());
    }
}
