//! A crowdfund with refunds: anyone contributes until the deadline; after
//! it, the beneficiary claims everything if the goal was met, and otherwise
//! every contributor takes their own contribution back.
//!
//! Time is the block's timestamp: contributions are taken while
//! `timestamp < deadline`, claims and refunds from `timestamp >= deadline`
//! on, so the two never overlap. Every wrong path reverts with a custom
//! error saying what was wrong.
#![no_std]

use orac_sdk::prelude::*;

abi! {
    event Contributed(address indexed contributor, uint256 amount, uint256 total);
    event Claimed(address indexed beneficiary, uint256 amount);
    event Refunded(address indexed contributor, uint256 amount);
    error InvalidBeneficiary(address beneficiary);
    error InvalidGoal(uint256 goal);
    error DeadlineInThePast(uint64 deadline, uint64 now);
    error NothingSent();
    error CampaignOver(uint64 deadline, uint64 now);
    error CampaignNotOver(uint64 deadline, uint64 now);
    error NotBeneficiary(address caller);
    error GoalNotReached(uint256 raised, uint256 goal);
    error GoalReached(uint256 raised, uint256 goal);
    error AlreadyClaimed();
    error NothingToRefund(address contributor);
}

/// The campaign: one beneficiary, one goal, one deadline.
#[storage]
pub struct Crowdfund {
    beneficiary: Value<Address>,
    goal: Value<U256>,
    /// Seconds since the Unix epoch.
    deadline: Value<u64>,
    /// Everything ever contributed: refunds do not lower it, so it keeps
    /// saying whether the goal was met.
    raised: Value<U256>,
    claimed: Value<bool>,
    /// What each contributor has in (zeroed when refunded).
    contributions: Map<Address, U256>,
}

#[contract]
impl Crowdfund {
    /// Starts a campaign for `beneficiary`: `goal` wei by `deadline` (Unix
    /// seconds, in the future).
    #[constructor]
    pub fn constructor(
        &mut self,
        beneficiary: Address,
        goal: U256,
        deadline: u64,
    ) -> Result<(), Revert> {
        ensure!(
            beneficiary != Address::ZERO,
            InvalidBeneficiary { beneficiary }
        );
        // A zero goal is met before anyone contributes: no refunds, ever.
        ensure!(!goal.is_zero(), InvalidGoal { goal });
        let now = block::timestamp();
        ensure!(deadline > now, DeadlineInThePast { deadline, now });
        self.beneficiary.set(beneficiary);
        self.goal.set(goal);
        self.deadline.set(deadline);
        Ok(())
    }

    /// Adds the value sent to the caller's contribution.
    #[payable]
    pub fn contribute(&mut self) -> Result<(), Revert> {
        let (deadline, now) = (self.deadline.get(), block::timestamp());
        ensure!(now < deadline, CampaignOver { deadline, now });
        let amount = msg::value();
        ensure!(!amount.is_zero(), NothingSent {});
        let contributor = msg::sender();
        // Checked: a sum past 2^256 - 1 reverts (Panic(0x11)) instead of
        // wrapping around to a small number.
        let total = self.raised.get().try_add(amount)?;
        // Cannot wrap: a contribution is at most `raised` (which refunds
        // do not lower), and that sum was checked just above.
        let mine = self.contributions.get(&contributor) + amount;
        self.contributions.set(&contributor, mine);
        self.raised.set(total);
        orac_sdk::emit(Contributed {
            contributor,
            amount,
            total,
        });
        Ok(())
    }

    /// Sends the whole balance to the beneficiary, once the deadline has
    /// passed with the goal met. Returns the amount.
    pub fn claim(&mut self) -> Result<U256, Revert> {
        let caller = msg::sender();
        let beneficiary = self.beneficiary.get();
        ensure!(caller == beneficiary, NotBeneficiary { caller });
        self.require_over()?;
        let (raised, goal) = (self.raised.get(), self.goal.get());
        ensure!(raised >= goal, GoalNotReached { raised, goal });
        ensure!(!self.claimed.get(), AlreadyClaimed {});
        // Recorded before the transfer, so a beneficiary contract calling
        // back in cannot claim twice.
        self.claimed.set(true);
        let amount = this::balance();
        // If the beneficiary refuses the value, the claim reverts whole and
        // can be tried again.
        Call::transfer(beneficiary, amount)?;
        orac_sdk::emit(Claimed {
            beneficiary,
            amount,
        });
        Ok(amount)
    }

    /// Sends the caller's contribution back, once the deadline has passed
    /// with the goal missed. Returns the amount.
    pub fn refund(&mut self) -> Result<U256, Revert> {
        self.require_over()?;
        let (raised, goal) = (self.raised.get(), self.goal.get());
        ensure!(raised < goal, GoalReached { raised, goal });
        let contributor = msg::sender();
        let amount = self.contributions.get(&contributor);
        ensure!(!amount.is_zero(), NothingToRefund { contributor });
        // Zeroed before the transfer, so calling back in refunds nothing.
        self.contributions.remove(&contributor);
        Call::transfer(contributor, amount)?;
        orac_sdk::emit(Refunded {
            contributor,
            amount,
        });
        Ok(amount)
    }

    /// Who receives the funds if the goal is met.
    pub fn beneficiary(&self) -> Address {
        self.beneficiary.get()
    }

    /// The amount to raise, in wei.
    pub fn goal(&self) -> U256 {
        self.goal.get()
    }

    /// When contributions stop and claims or refunds start (Unix seconds).
    pub fn deadline(&self) -> u64 {
        self.deadline.get()
    }

    /// Everything contributed so far (refunds included).
    pub fn raised(&self) -> U256 {
        self.raised.get()
    }

    /// What `contributor` has in and not yet refunded.
    pub fn contribution_of(&self, contributor: Address) -> U256 {
        self.contributions.get(&contributor)
    }

    /// Whether the beneficiary has claimed the funds.
    pub fn claimed(&self) -> bool {
        self.claimed.get()
    }

    /// Whether contributions are still taken.
    pub fn is_open(&self) -> bool {
        block::timestamp() < self.deadline.get()
    }

    fn require_over(&self) -> Result<(), Revert> {
        let (deadline, now) = (self.deadline.get(), block::timestamp());
        ensure!(now >= deadline, CampaignNotOver { deadline, now });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use orac_sdk::testing::{self, ALICE, BOB, CONTRACT as FUND};

    use super::*;

    const OWNER: Address = Address::repeat_byte(0x0e);
    const START: u64 = 1_700_000_000;
    const DEADLINE: u64 = START + 3_600;

    fn deployed(goal: u64) -> Crowdfund {
        testing::reset();
        testing::set_block(1, START);
        testing::set_caller(ALICE);
        let mut fund = Crowdfund::at_root();
        testing::try_call(|| fund.constructor(OWNER, U256::from(goal), DEADLINE)).unwrap();
        fund
    }

    /// `caller` contributes `value`.
    fn contribute(fund: &mut Crowdfund, caller: Address, value: u64) -> Result<(), Revert> {
        testing::set_caller(caller);
        testing::try_call_with_value(U256::from(value), || fund.contribute())
    }

    /// A 100-wei campaign with these contributions in.
    fn funded_by(contributions: &[(Address, u64)]) -> Crowdfund {
        let mut fund = deployed(100);
        for &(who, value) in contributions {
            contribute(&mut fund, who, value).unwrap();
        }
        fund
    }

    fn after_deadline() {
        testing::set_block(2, DEADLINE);
    }

    #[test]
    fn the_constructor_refuses_nonsense() {
        let fund = deployed(100);
        assert_eq!(
            (fund.beneficiary(), fund.goal(), fund.deadline()),
            (OWNER, U256::from(100), DEADLINE)
        );
        assert!(fund.is_open());

        let deploy = |beneficiary, goal: u64, deadline| {
            testing::reset();
            testing::set_block(1, START);
            let mut f = Crowdfund::at_root();
            testing::try_call(|| f.constructor(beneficiary, U256::from(goal), deadline))
                .unwrap_err()
        };
        let e = deploy(Address::ZERO, 1, DEADLINE);
        assert!(e.decode::<InvalidBeneficiary>().is_some());
        assert!(deploy(OWNER, 0, DEADLINE).decode::<InvalidGoal>().is_some());
        let e: DeadlineInThePast = deploy(OWNER, 1, START).decode().unwrap();
        assert_eq!((e.deadline, e.now), (START, START));
    }

    #[test]
    fn the_total_cannot_wrap() {
        let mut fund = deployed(100);
        contribute(&mut fund, ALICE, 1).unwrap();
        testing::set_caller(BOB);
        testing::set_value(U256::MAX);
        let err = testing::try_call(|| fund.contribute()).unwrap_err();
        assert_eq!(
            err.panic_code(),
            Some(orac_sdk::revert::panic_code::ARITHMETIC)
        );
        assert_eq!(fund.raised(), U256::from(1));
        assert_eq!(fund.contribution_of(BOB), U256::ZERO);
    }

    #[test]
    fn contributions_add_up_until_the_deadline() {
        let mut fund = deployed(100);
        contribute(&mut fund, ALICE, 30).unwrap();
        contribute(&mut fund, BOB, 50).unwrap();
        contribute(&mut fund, ALICE, 5).unwrap();
        assert_eq!(fund.contribution_of(ALICE), U256::from(35));
        assert_eq!(fund.contribution_of(BOB), U256::from(50));
        assert_eq!(fund.raised(), U256::from(85));
        let last = testing::events::<Contributed>().pop().unwrap();
        assert_eq!(
            (last.contributor, last.amount, last.total),
            (ALICE, U256::from(5), U256::from(85))
        );

        let e = contribute(&mut fund, BOB, 0).unwrap_err();
        assert!(e.decode::<NothingSent>().is_some());
        testing::set_block(2, DEADLINE - 1);
        contribute(&mut fund, BOB, 1).unwrap();
        after_deadline();
        assert!(!fund.is_open());
        let e: CampaignOver = contribute(&mut fund, BOB, 1).unwrap_err().decode().unwrap();
        assert_eq!((e.deadline, e.now), (DEADLINE, DEADLINE));
        assert_eq!(fund.raised(), U256::from(86));
        assert_eq!(testing::balance(FUND), U256::from(86));
    }

    #[test]
    fn the_beneficiary_claims_a_met_goal_after_the_deadline() {
        let mut fund = funded_by(&[(ALICE, 60), (BOB, 60)]);

        testing::set_caller(OWNER);
        let e: CampaignNotOver = testing::expect_revert(|| fund.claim());
        assert_eq!((e.deadline, e.now), (DEADLINE, START));
        after_deadline();
        testing::set_caller(ALICE);
        let e: NotBeneficiary = testing::expect_revert(|| fund.claim());
        assert_eq!(e.caller, ALICE);
        let e: GoalReached = testing::expect_revert(|| fund.refund());
        assert_eq!((e.raised, e.goal), (U256::from(120), U256::from(100)));

        testing::set_caller(OWNER);
        assert_eq!(testing::try_call(|| fund.claim()), Ok(U256::from(120)));
        assert_eq!(testing::balance(OWNER), U256::from(120));
        assert_eq!(testing::balance(FUND), U256::ZERO);
        assert!(fund.claimed());
        let c = testing::events::<Claimed>().pop().unwrap();
        assert_eq!((c.beneficiary, c.amount), (OWNER, U256::from(120)));
        testing::expect_revert::<AlreadyClaimed, _>(|| fund.claim());
    }

    #[test]
    fn contributors_get_their_money_back_when_the_goal_is_missed() {
        let mut fund = funded_by(&[(ALICE, 30), (BOB, 20)]);

        testing::set_caller(ALICE);
        testing::expect_revert::<CampaignNotOver, _>(|| fund.refund());
        after_deadline();
        testing::set_caller(OWNER);
        let e: GoalNotReached = testing::expect_revert(|| fund.claim());
        assert_eq!((e.raised, e.goal), (U256::from(50), U256::from(100)));
        let e: NothingToRefund = testing::expect_revert(|| fund.refund());
        assert_eq!(e.contributor, OWNER);

        testing::set_caller(ALICE);
        assert_eq!(testing::try_call(|| fund.refund()), Ok(U256::from(30)));
        assert_eq!(testing::balance(ALICE), U256::from(30));
        assert_eq!(fund.contribution_of(ALICE), U256::ZERO);
        let r = testing::events::<Refunded>().pop().unwrap();
        assert_eq!((r.contributor, r.amount), (ALICE, U256::from(30)));
        // Once only.
        testing::expect_revert::<NothingToRefund, _>(|| fund.refund());
        // Refunds do not make a missed goal look met, nor the reverse.
        assert_eq!(fund.raised(), U256::from(50));
        testing::set_caller(BOB);
        assert_eq!(testing::try_call(|| fund.refund()), Ok(U256::from(20)));
        assert_eq!(testing::balance(FUND), U256::ZERO);
    }

    #[test]
    fn a_refused_transfer_reverts_everything() {
        let mut fund = deployed(100);
        contribute(&mut fund, ALICE, 30).unwrap();
        after_deadline();
        // Alice is a contract that refuses value.
        testing::mock_call(ALICE, &[], false, Vec::new());
        testing::set_caller(ALICE);
        assert!(testing::try_call(|| fund.refund()).is_err());
        assert_eq!(fund.contribution_of(ALICE), U256::from(30));
        assert_eq!(testing::balance(FUND), U256::from(30));
    }
}
