//! A collateralized loan between one lender and one borrower, priced by an
//! ETH/USD oracle feed and liquidated by it.
//!
//! * The lender deploys it, naming a USD stablecoin (an ERC-20 with 18
//!   decimals, 1 token = 1 USD), the feed and the borrower, and sends a
//!   deposit with the deployment: the constructor subscribes the loan to
//!   the feed with it, so the registry calls the loan back with every new
//!   price. The lender then `fund`s it with tokens.
//! * The borrower `deposit`s ether as collateral and `borrow`s tokens, up
//!   to two thirds of the collateral's value (a 150% collateral ratio) at
//!   a price no older than [`MAX_PRICE_AGE`]: a stale price (the feed has
//!   stopped) blocks borrowing, with the SDK's `OracleStale` error. The
//!   borrower `repay`s (tokens go straight to the lender) and `withdraw`s
//!   collateral the debt does not need.
//! * With every new round the registry calls `onOracleUpdate`. If the
//!   collateral is then worth less than 120% of the debt, the loan is
//!   liquidated there and then, in the round's own transaction: the
//!   lender gets all the collateral, the debt is settled, `Liquidated` is
//!   emitted, and the loan takes no more business. Only the registry can
//!   make that call: anyone else calling `onOracleUpdate` (with a made-up
//!   crash price, say) is refused.
//! * Each callback is paid for out of the deposit; anyone may `topUp` it.
//!   A deposit that can no longer cover a whole callback ([`CALLBACK_GAS`])
//!   is skipped by the registry, and then nothing is liquidated: keeping
//!   it funded is the lender's interest.
//! * Once no debt is left, the lender `close`s the loan: it unsubscribes
//!   (the rest of the deposit comes back) and returns the unlent tokens.
//!
//! Why push and not only pull: a loan that checks prices only when someone
//! calls it can sit under water until a keeper notices; subscribed, it is
//! checked with every price the oracle publishes, and the check costs the
//! lender only the callback's gas, out of the deposit.
#![no_std]

use orac_sdk::oracle::{self, Round};
use orac_sdk::prelude::*;

// The SDK's oracle errors (`OracleStale`, …) in this contract's ABI JSON.
orac_sdk::oracle_abi!();

interface! {
    interface IERC20 {
        function transfer(address to, uint256 amount) external returns (bool);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
    }
}

abi! {
    event Funded(address indexed lender, uint256 amount, uint256 available);
    event Deposited(address indexed borrower, uint256 amount, uint256 collateral);
    event Borrowed(address indexed borrower, uint256 amount, uint256 debt, uint256 price);
    event Repaid(address indexed payer, uint256 amount, uint256 debt);
    event Withdrawn(address indexed borrower, uint256 amount, uint256 collateral);
    event Liquidated(address indexed borrower, address indexed lender, uint256 collateral, uint256 debt, uint256 price, uint64 roundId, uint64 observedAt);
    event Closed(address indexed lender, uint256 refund, uint256 tokens);
    error InvalidAddress(address who);
    error UnsupportedFeed(uint64 feedId, uint8 decimals);
    error NoDeposit();
    error NotLender(address caller);
    error NotBorrower(address caller);
    error LoanOver(bool liquidated);
    error NothingSent();
    error NotEnoughFunds(uint256 available, uint256 requested);
    error Undercollateralized(uint256 collateralValue, uint256 debt, uint256 requiredPct);
    error RepayingTooMuch(uint256 debt, uint256 amount);
    error NotEnoughCollateral(uint256 collateral, uint256 requested);
    error DebtOutstanding(uint256 debt);
    error TokenRefused(address token);
}

/// Borrowing (and withdrawing collateral) must leave the collateral worth
/// at least this percentage of the debt.
pub const BORROW_RATIO_PCT: u64 = 150;
/// A callback finding the collateral worth less than this percentage of
/// the debt liquidates. The gap to [`BORROW_RATIO_PCT`] is the borrower's
/// room for the price to move.
pub const LIQUIDATION_RATIO_PCT: u64 = 120;
/// Oldest price, in seconds, that borrowing and withdrawing accept: the
/// feed's one-hour heartbeat, plus a minute for transmission.
pub const MAX_PRICE_AGE: u64 = 3_660;
/// Gas the registry gives each `onOracleUpdate`. A callback that finds
/// the loan healthy uses about 42,000 (mostly instantiating the contract),
/// one that liquidates about 86,000 (the VM tests print both): the rest is
/// headroom, which costs nothing unless used — the deposit pays for gas
/// used, but must cover the whole limit for the callback to be made.
pub const CALLBACK_GAS: u64 = 150_000;
/// Most decimals a feed may have: its unit, 10^decimals, must fit a u64.
pub const MAX_DECIMALS: u8 = 18;

/// One loan between a lender and a borrower, collateralised in ether.
#[storage]
pub struct Loan {
    /// The stablecoin lent (18 decimals, 1 token = 1 USD).
    token: Value<Address>,
    /// The ETH/USD feed.
    feed: Value<u64>,
    /// 10^decimals of the feed's answers.
    price_unit: Value<u64>,
    lender: Value<Address>,
    borrower: Value<Address>,
    /// Tokens funded and not lent out.
    available: Value<U256>,
    /// Collateral, in wei.
    collateral: Value<U256>,
    /// Tokens owed.
    debt: Value<U256>,
    liquidated: Value<bool>,
    closed: Value<bool>,
}

#[contract]
impl Loan {
    /// Deployed by the lender, with the subscription deposit as value.
    #[constructor]
    #[payable]
    pub fn constructor(
        &mut self,
        token: Address,
        feed: u64,
        borrower: Address,
    ) -> Result<(), Revert> {
        for who in [token, borrower] {
            ensure!(who != Address::ZERO, InvalidAddress { who });
        }
        // Without a deposit the registry would skip every callback, and
        // the loan would never be liquidated.
        let deposit = msg::value();
        ensure!(!deposit.is_zero(), NoDeposit {});
        // Prices are divided by 10^decimals as a u64 (see `div_u64`).
        let decimals = oracle::decimals(feed)?;
        ensure!(
            decimals <= MAX_DECIMALS,
            UnsupportedFeed {
                feedId: feed,
                decimals
            }
        );
        self.price_unit.set(10u64.pow(decimals as u32));
        // No gas price cap (`oracle::subscribe_with_max_gas_price`): a
        // capped subscription misses the rounds transmitted above its cap,
        // and prices crash when gas is dear, which is when a liquidation
        // must not wait. The deposit bounds what the lender can lose.
        oracle::subscribe(feed, CALLBACK_GAS, deposit)?;
        self.token.set(token);
        self.feed.set(feed);
        self.lender.set(msg::sender());
        self.borrower.set(borrower);
        Ok(())
    }

    /// The lender adds `amount` tokens to lend (approve the loan first).
    pub fn fund(&mut self, amount: U256) -> Result<(), Revert> {
        let lender = self.only_lender()?;
        self.require_open()?;
        let available = self.available.get().try_add(amount)?;
        self.available.set(available);
        self.pull_tokens(lender, this::address(), amount)?;
        orac_sdk::emit(Funded {
            lender,
            amount,
            available,
        });
        Ok(())
    }

    /// The borrower adds the ether sent as collateral.
    #[payable]
    pub fn deposit(&mut self) -> Result<(), Revert> {
        let borrower = self.only_borrower()?;
        self.require_open()?;
        let amount = msg::value();
        ensure!(!amount.is_zero(), NothingSent {});
        let collateral = self.collateral.get().try_add(amount)?;
        self.collateral.set(collateral);
        orac_sdk::emit(Deposited {
            borrower,
            amount,
            collateral,
        });
        Ok(())
    }

    /// The borrower borrows `amount` tokens against the collateral, at the
    /// feed's latest price if it is fresh. Returns the debt.
    pub fn borrow(&mut self, amount: U256) -> Result<U256, Revert> {
        let borrower = self.only_borrower()?;
        self.require_open()?;
        let available = self.available.get();
        ensure!(
            amount <= available,
            NotEnoughFunds {
                available,
                requested: amount
            }
        );
        let debt = self.debt.get().try_add(amount)?;
        let price = self.fresh_price()?;
        self.require_covered(self.collateral.get(), debt, price)?;
        // Cannot underflow: amount <= available, checked above.
        self.available.set(available - amount);
        self.debt.set(debt);
        self.send_tokens(borrower, amount)?;
        orac_sdk::emit(Borrowed {
            borrower,
            amount,
            debt,
            price,
        });
        Ok(debt)
    }

    /// Pays back `amount` of the debt, from the caller's tokens (approve
    /// the loan first) to the lender. Anyone may repay. Returns the debt.
    pub fn repay(&mut self, amount: U256) -> Result<U256, Revert> {
        let debt = self.debt.get();
        ensure!(amount <= debt, RepayingTooMuch { debt, amount });
        let debt = debt - amount; // amount <= debt, checked above
        self.debt.set(debt);
        let payer = msg::sender();
        self.pull_tokens(payer, self.lender.get(), amount)?;
        orac_sdk::emit(Repaid {
            payer,
            amount,
            debt,
        });
        Ok(debt)
    }

    /// The borrower takes back `amount` wei of collateral, if what is left
    /// still covers the debt at a fresh price (no price is needed without
    /// debt). Returns the collateral left.
    pub fn withdraw(&mut self, amount: U256) -> Result<U256, Revert> {
        let borrower = self.only_borrower()?;
        let collateral = self.collateral.get();
        ensure!(
            amount <= collateral,
            NotEnoughCollateral {
                collateral,
                requested: amount
            }
        );
        let left = collateral - amount; // amount <= collateral, checked above
        let debt = self.debt.get();
        if !debt.is_zero() {
            let price = self.fresh_price()?;
            self.require_covered(left, debt, price)?;
        }
        // Lowered before the transfer: calling back in finds it gone.
        self.collateral.set(left);
        Call::transfer(borrower, amount)?;
        orac_sdk::emit(Withdrawn {
            borrower,
            amount,
            collateral: left,
        });
        Ok(left)
    }

    /// The registry's callback with each new round of the feed: liquidates
    /// if the collateral no longer covers the debt at
    /// [`LIQUIDATION_RATIO_PCT`]. `answer` is an `I256` because the
    /// registry calls `onOracleUpdate(uint64,uint64,int256,uint64)`.
    pub fn on_oracle_update(
        &mut self,
        feed_id: u64,
        round_id: u64,
        answer: I256,
        observed_at: u64,
    ) -> Result<(), Revert> {
        oracle::only_registry()?;
        let debt = self.debt.get();
        if feed_id != self.feed.get() || debt.is_zero() || self.liquidated.get() {
            return Ok(());
        }
        let price = price_of(oracle::answer(answer)?);
        let collateral = self.collateral.get();
        if self.covers(collateral, debt, price, LIQUIDATION_RATIO_PCT) {
            return Ok(());
        }
        // Settled before the transfer: calling back in finds nothing.
        self.liquidated.set(true);
        self.collateral.set(U256::ZERO);
        self.debt.set(U256::ZERO);
        let lender = self.lender.get();
        // Were the lender a contract refusing the ether, this callback
        // would revert whole and the next round would try again.
        Call::transfer(lender, collateral)?;
        orac_sdk::emit(Liquidated {
            borrower: self.borrower.get(),
            lender,
            collateral,
            debt,
            price,
            roundId: round_id,
            observedAt: observed_at,
        });
        Ok(())
    }

    /// Adds the value sent to the subscription's deposit (anyone may).
    #[payable]
    pub fn top_up(&mut self) -> Result<(), Revert> {
        oracle::subscribe(self.feed.get(), CALLBACK_GAS, msg::value())?;
        Ok(())
    }

    /// The lender ends the loan once no debt is left: unsubscribes, and
    /// sends the lender the rest of the deposit and the unlent tokens.
    /// Collateral left stays the borrower's to withdraw.
    pub fn close(&mut self) -> Result<(), Revert> {
        let lender = self.only_lender()?;
        ensure!(
            !self.closed.get(),
            LoanOver {
                liquidated: self.liquidated.get()
            }
        );
        let debt = self.debt.get();
        ensure!(debt.is_zero(), DebtOutstanding { debt });
        self.closed.set(true);
        let tokens = self.available.get();
        self.available.set(U256::ZERO);
        // The registry pays the deposit back as a plain balance credit.
        let before = this::balance();
        oracle::unsubscribe(self.feed.get())?;
        let refund = this::balance().saturating_sub(before);
        if !refund.is_zero() {
            Call::transfer(lender, refund)?;
        }
        if !tokens.is_zero() {
            self.send_tokens(lender, tokens)?;
        }
        orac_sdk::emit(Closed {
            lender,
            refund,
            tokens,
        });
        Ok(())
    }

    /// The collateral's value in tokens at the feed's latest fresh price.
    pub fn collateral_value(&self) -> Result<U256, Revert> {
        let price = self.fresh_price()?;
        Ok(self.value_of(self.collateral.get(), price))
    }

    /// The most the borrower could owe at the latest fresh price.
    pub fn borrow_limit(&self) -> Result<U256, Revert> {
        let value = self.collateral_value()?;
        Ok(div_u64(
            value.saturating_mul(U256::from(100)),
            BORROW_RATIO_PCT,
        ))
    }

    /// Tokens funded and not lent out.
    pub fn available(&self) -> U256 {
        self.available.get()
    }

    /// The borrower's collateral, in wei.
    pub fn collateral(&self) -> U256 {
        self.collateral.get()
    }

    /// Tokens the borrower owes.
    pub fn debt(&self) -> U256 {
        self.debt.get()
    }

    /// Whether the collateral went to the lender.
    pub fn liquidated(&self) -> bool {
        self.liquidated.get()
    }

    /// Whether the lender has closed the loan.
    pub fn closed(&self) -> bool {
        self.closed.get()
    }

    fn erc20(&self) -> IERC20 {
        IERC20::new(self.token.get())
    }

    fn only_lender(&self) -> Result<Address, Revert> {
        let caller = msg::sender();
        ensure!(caller == self.lender.get(), NotLender { caller });
        Ok(caller)
    }

    fn only_borrower(&self) -> Result<Address, Revert> {
        let caller = msg::sender();
        ensure!(caller == self.borrower.get(), NotBorrower { caller });
        Ok(caller)
    }

    fn require_open(&self) -> Result<(), Revert> {
        let liquidated = self.liquidated.get();
        ensure!(!liquidated && !self.closed.get(), LoanOver { liquidated });
        Ok(())
    }

    /// Sends `amount` of the loan's tokens to `to`.
    fn send_tokens(&self, to: Address, amount: U256) -> Result<(), Revert> {
        let ok = self.erc20().transfer(to, amount)?;
        self.require_token(ok)
    }

    /// Moves `amount` tokens from `from`, who approved the loan, to `to`.
    fn pull_tokens(&self, from: Address, to: Address, amount: U256) -> Result<(), Revert> {
        let ok = self.erc20().transfer_from(from, to, amount)?;
        self.require_token(ok)
    }

    /// A token that answers `false` instead of reverting is refused too.
    fn require_token(&self, ok: bool) -> Result<(), Revert> {
        let token = self.token.get();
        ensure!(ok, TokenRefused { token });
        Ok(())
    }

    /// The latest price, refusing one observed more than
    /// [`MAX_PRICE_AGE`] ago (`OracleStale`) or none at all
    /// (`OracleNoData`).
    fn fresh_price(&self) -> Result<U256, Revert> {
        let Round { answer, .. } = oracle::latest_no_older_than(self.feed.get(), MAX_PRICE_AGE)?;
        Ok(price_of(answer))
    }

    /// `collateral` wei in tokens at `price` (USD per ether, scaled by the
    /// feed's decimals): 18 decimals each side, so only the price's scale
    /// divides out. Saturating rather than reverting: it only reports a
    /// value (in `Undercollateralized` and `collateralValue`), and no
    /// balance of ether times a price comes near 2^256.
    fn value_of(&self, collateral: U256, price: U256) -> U256 {
        div_u64(collateral.saturating_mul(price), self.price_unit.get())
    }

    /// Whether `collateral` at `price` is worth at least `pct`% of `debt`:
    /// `collateral × price / unit × 100 >= debt × pct`, multiplied out so
    /// that nothing is rounded. Neither side may wrap around: a value past
    /// 2^256 - 1 saturates (it covers any requirement that fits), and a
    /// requirement past it is covered by nothing, so when both overflow
    /// the answer is the lender's side, "not covered".
    fn covers(&self, collateral: U256, debt: U256, price: U256, pct: u64) -> bool {
        let unit = U256::from(self.price_unit.get());
        let value = collateral
            .saturating_mul(price)
            .saturating_mul(U256::from(100));
        let needed = debt
            .checked_mul(U256::from(pct))
            .and_then(|d| d.checked_mul(unit));
        needed.is_some_and(|needed| value >= needed)
    }

    fn require_covered(&self, collateral: U256, debt: U256, price: U256) -> Result<(), Revert> {
        ensure!(
            self.covers(collateral, debt, price, BORROW_RATIO_PCT),
            Undercollateralized {
                collateralValue: self.value_of(collateral, price),
                debt,
                requiredPct: U256::from(BORROW_RATIO_PCT)
            }
        );
        Ok(())
    }
}

/// `x / d` by long division on 64-bit limbs. `U256`'s own `/` takes any
/// divisor, and its general algorithm is 8 KiB of code: an eighth more
/// contract to pay for, per byte, at deployment.
fn div_u64(x: U256, d: u64) -> U256 {
    let mut limbs = x.into_limbs();
    let mut rem = 0u128;
    for limb in limbs.iter_mut().rev() {
        let n = (rem << 64) | *limb as u128;
        *limb = (n / d as u128) as u64;
        rem = n % d as u128;
    }
    U256::from_limbs(limbs)
}

/// A feed answer as a price: zero or negative means the collateral is
/// worth nothing (borrowing stops, debt is liquidated).
fn price_of(answer: i128) -> U256 {
    if answer > 0 {
        U256::from(answer as u128)
    } else {
        U256::ZERO
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use orac_sdk::SolCall;
    use orac_sdk::oracle::{
        IOracleConsumer, IOracleRegistry, OracleNoData, OracleNotRegistry, OracleStale, REGISTRY,
    };
    use orac_sdk::testing;

    use super::*;

    const LENDER: Address = Address::repeat_byte(0x1e);
    const BORROWER: Address = Address::repeat_byte(0xb0);
    const TOKEN: Address = Address::repeat_byte(0x70);
    const FEED: u64 = 1;
    const NOW: u64 = 1_700_000_000;
    const ETHER: u128 = 1_000_000_000_000_000_000;
    /// 3000 USD with the feed's 8 decimals.
    const PRICE: i128 = 300_000_000_000;

    fn ether(n: u128) -> U256 {
        U256::from(n * ETHER)
    }

    fn tokens(n: u128) -> U256 {
        U256::from(n * ETHER)
    }

    /// The registry's latest round: `answer`, observed `age` seconds ago.
    fn price(answer: i128, age: u64) {
        let round = Round {
            round: 1,
            answer,
            observed_at: NOW - age,
            included_at: NOW - age,
            signers: 3,
        };
        testing::mock_call(
            REGISTRY,
            &IOracleRegistry::latestRoundCall::SELECTOR,
            true,
            oracle::encode_round(&round),
        );
    }

    /// Runs `f` as `caller` sending `value` (which reaches the contract
    /// before its code runs, and goes back if it reverts).
    fn send<T>(
        caller: Address,
        value: U256,
        f: impl FnOnce() -> Result<T, Revert>,
    ) -> Result<T, Revert> {
        testing::set_caller(caller);
        testing::try_call_with_value(value, f)
    }

    /// Deployed with 0.01 ether of deposit, funded with 10,000 tokens, and
    /// 2 ether of collateral ($6,000 at the test price).
    fn deployed() -> Loan {
        testing::reset();
        testing::set_block(1, NOW);
        // The feed has 8 decimals; subscribing and the token succeed.
        testing::mock_call(
            oracle::aggregator(FEED),
            &[],
            true,
            U256::from(8).to_be_bytes::<32>().to_vec(),
        );
        testing::mock_call(
            REGISTRY,
            &IOracleRegistry::subscribeCall::SELECTOR,
            true,
            Vec::new(),
        );
        testing::mock_call(TOKEN, &[], true, U256::from(1).to_be_bytes::<32>().to_vec());
        price(PRICE, 0);
        let mut loan = Loan::at_root();
        send(LENDER, ether(1) / U256::from(100), || {
            loan.constructor(TOKEN, FEED, BORROWER)
        })
        .unwrap();
        send(LENDER, U256::ZERO, || loan.fund(tokens(10_000))).unwrap();
        send(BORROWER, ether(2), || loan.deposit()).unwrap();
        loan
    }

    #[test]
    fn sums_past_2_256_revert() {
        let mut loan = deployed();
        let err = send(LENDER, U256::ZERO, || loan.fund(U256::MAX)).unwrap_err();
        assert_eq!(
            err.panic_code(),
            Some(orac_sdk::revert::panic_code::ARITHMETIC)
        );
        assert_eq!(loan.available(), tokens(10_000));
    }

    #[test]
    fn coverage_never_wraps() {
        let loan = deployed();
        let max = U256::MAX;
        // Saturated value, requirement that fits: covered.
        assert!(loan.covers(max, U256::from(1), max, BORROW_RATIO_PCT));
        // A requirement past 2^256 - 1 is covered by nothing, even a value
        // that saturated too (wrapping would have made both small).
        assert!(!loan.covers(max, max, max, BORROW_RATIO_PCT));
        assert!(!loan.covers(max, max / U256::from(100), U256::from(1), BORROW_RATIO_PCT));
    }

    #[test]
    fn long_division_matches_u256s() {
        let big = U256::MAX - U256::from(12345);
        for x in [U256::ZERO, U256::from(7), ether(3), big] {
            for d in [1, 3, 10u64.pow(8), 10u64.pow(18), u64::MAX] {
                assert_eq!(div_u64(x, d), x / U256::from(d), "{x} / {d}");
            }
        }
    }

    #[test]
    fn the_constructor_subscribes_with_the_deposit() {
        let loan = deployed();
        assert_eq!(
            (loan.lender.get(), loan.borrower.get(), loan.feed.get()),
            (LENDER, BORROWER, FEED)
        );
        let subscribe = testing::calls()
            .into_iter()
            .find(|(to, _, data)| {
                *to == REGISTRY && data.starts_with(&IOracleRegistry::subscribeCall::SELECTOR)
            })
            .unwrap();
        assert_eq!(subscribe.1, ether(1) / U256::from(100));
        let c = IOracleRegistry::subscribeCall::abi_decode(&subscribe.2).unwrap();
        assert_eq!((c.feedId, c.callbackGas), (FEED, CALLBACK_GAS));
        assert_eq!(testing::balance(REGISTRY), ether(1) / U256::from(100));

        testing::reset();
        let mut fresh = Loan::at_root();
        let e = send(LENDER, U256::ZERO, || {
            fresh.constructor(TOKEN, FEED, BORROWER)
        })
        .unwrap_err();
        assert!(e.decode::<NoDeposit>().is_some());
        let e = send(LENDER, U256::from(1), || {
            fresh.constructor(TOKEN, FEED, Address::ZERO)
        })
        .unwrap_err();
        assert_eq!(e.decode::<InvalidAddress>().unwrap().who, Address::ZERO);
    }

    #[test]
    fn borrowing_is_capped_by_the_collateral_ratio() {
        let mut loan = deployed();
        // $6,000 of collateral at 150%: at most $4,000.
        assert_eq!(loan.borrow_limit(), Ok(tokens(4_000)));
        let e: Undercollateralized = send(BORROWER, U256::ZERO, || loan.borrow(tokens(4_001)))
            .unwrap_err()
            .decode()
            .unwrap();
        assert_eq!((e.collateralValue, e.debt), (tokens(6_000), tokens(4_001)));
        assert_eq!(
            send(BORROWER, U256::ZERO, || loan.borrow(tokens(4_000))),
            Ok(tokens(4_000))
        );
        assert_eq!(loan.available(), tokens(6_000));
        let b = testing::events::<Borrowed>().pop().unwrap();
        assert_eq!(
            (b.amount, b.price),
            (tokens(4_000), U256::from(PRICE as u128))
        );
        // Only the borrower borrows.
        let e = send(LENDER, U256::ZERO, || loan.borrow(tokens(1))).unwrap_err();
        assert_eq!(e.decode::<NotBorrower>().unwrap().caller, LENDER);
    }

    #[test]
    fn a_stale_or_missing_price_blocks_borrowing() {
        let mut loan = deployed();
        price(PRICE, MAX_PRICE_AGE + 1);
        let e: OracleStale = send(BORROWER, U256::ZERO, || loan.borrow(tokens(1)))
            .unwrap_err()
            .decode()
            .unwrap();
        assert_eq!(
            (e.feedId, e.observedAt, e.now, e.maxAge),
            (FEED, NOW - MAX_PRICE_AGE - 1, NOW, MAX_PRICE_AGE)
        );
        testing::mock_call(
            REGISTRY,
            &IOracleRegistry::latestRoundCall::SELECTOR,
            false,
            Revert::msg("oracle: feed 1 has no data yet").0,
        );
        let e = send(BORROWER, U256::ZERO, || loan.borrow(tokens(1))).unwrap_err();
        assert_eq!(e.decode::<OracleNoData>().unwrap().feedId, FEED);
        price(PRICE, MAX_PRICE_AGE);
        assert!(send(BORROWER, U256::ZERO, || loan.borrow(tokens(1))).is_ok());
    }

    /// Calldata of the registry's callback: what the macro's dispatch must
    /// answer to.
    fn update(answer: i128) -> Vec<u8> {
        IOracleConsumer::onOracleUpdateCall {
            feedId: FEED,
            roundId: 2,
            answer: I256::try_from(answer).unwrap(),
            observedAt: NOW,
        }
        .abi_encode()
    }

    #[test]
    fn a_price_drop_liquidates_through_the_callback() {
        let mut loan = deployed();
        send(BORROWER, U256::ZERO, || loan.borrow(tokens(3_000))).unwrap();
        // $3,000 owed: liquidation below $3,600 of collateral, $1,800/ETH.
        for answer in [250_000_000_000, 180_000_000_000] {
            send(REGISTRY, U256::ZERO, || {
                loan.__orac_dispatch(&update(answer))
            })
            .unwrap();
            assert!(!loan.liquidated());
        }
        send(REGISTRY, U256::ZERO, || {
            loan.__orac_dispatch(&update(179_999_999_999))
        })
        .unwrap();
        assert!(loan.liquidated());
        assert_eq!((loan.collateral(), loan.debt()), (U256::ZERO, U256::ZERO));
        assert_eq!(testing::balance(LENDER), ether(2));
        let l = testing::events::<Liquidated>().pop().unwrap();
        assert_eq!(
            (l.borrower, l.lender, l.collateral, l.debt, l.roundId),
            (BORROWER, LENDER, ether(2), tokens(3_000), 2)
        );
        // Over: no more business, and later rounds change nothing.
        send(REGISTRY, U256::ZERO, || loan.__orac_dispatch(&update(1))).unwrap();
        assert_eq!(testing::events::<Liquidated>().len(), 1);
        let e = send(BORROWER, ether(1), || loan.deposit()).unwrap_err();
        assert!(e.decode::<LoanOver>().unwrap().liquidated);
    }

    #[test]
    fn only_the_registry_calls_back() {
        let mut loan = deployed();
        send(BORROWER, U256::ZERO, || loan.borrow(tokens(3_000))).unwrap();
        let mallory = Address::repeat_byte(0x66);
        let e = send(mallory, U256::ZERO, || loan.__orac_dispatch(&update(1))).unwrap_err();
        assert_eq!(e.decode::<OracleNotRegistry>().unwrap().caller, mallory);
        assert!(!loan.liquidated());
        assert_eq!(loan.collateral(), ether(2));
    }

    #[test]
    fn withdrawing_keeps_the_ratio_and_closing_needs_no_debt() {
        let mut loan = deployed();
        send(BORROWER, U256::ZERO, || loan.borrow(tokens(2_000))).unwrap();
        // $2,000 owed needs $3,000: one of the two ether.
        let e = send(BORROWER, U256::ZERO, || {
            loan.withdraw(ether(1) + U256::from(1))
        })
        .unwrap_err();
        assert!(e.decode::<Undercollateralized>().is_some());
        assert_eq!(
            send(BORROWER, U256::ZERO, || loan.withdraw(ether(1))),
            Ok(ether(1))
        );
        assert_eq!(testing::balance(BORROWER), ether(1));

        let e = send(LENDER, U256::ZERO, || loan.close()).unwrap_err();
        assert_eq!(e.decode::<DebtOutstanding>().unwrap().debt, tokens(2_000));
        assert_eq!(
            send(BORROWER, U256::ZERO, || loan.repay(tokens(2_000))),
            Ok(U256::ZERO)
        );
        testing::mock_call(
            REGISTRY,
            &IOracleRegistry::unsubscribeCall::SELECTOR,
            true,
            Vec::new(),
        );
        send(LENDER, U256::ZERO, || loan.close()).unwrap();
        assert!(loan.closed());
        let c = testing::events::<Closed>().pop().unwrap();
        assert_eq!(c.tokens, tokens(8_000));
        // Collateral left is still the borrower's, without a price.
        price(PRICE, 10 * MAX_PRICE_AGE);
        assert_eq!(
            send(BORROWER, U256::ZERO, || loan.withdraw(ether(1))),
            Ok(U256::ZERO)
        );
    }
}
