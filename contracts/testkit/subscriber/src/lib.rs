//! A feed subscriber reached only through the SDK's oracle module
//! (`oracle::subscribe`, `oracle::subscribe_with_max_gas_price`,
//! `oracle::only_registry`, `oracle::answer`), so that
//! ../tests/oracle.rs can check them against the real registry.
#![no_std]

use orac_sdk::oracle;
use orac_sdk::prelude::*;

orac_sdk::oracle_abi!();

abi! {
    event Updated(uint64 indexed feedId, uint64 roundId, int256 answer);
}

#[storage]
pub struct Subscriber {
    /// The last round delivered (0: none yet).
    last_round: Value<u64>,
}

#[contract]
impl Subscriber {
    /// Subscribes without a cap; the value sent is the deposit.
    #[payable]
    pub fn subscribe(&mut self, feed: u64, callback_gas: u64) -> Result<(), Revert> {
        oracle::subscribe(feed, callback_gas, msg::value())?;
        Ok(())
    }

    /// Subscribes paying at most `max_gas_price` wei per gas; the value
    /// sent is the deposit.
    #[payable]
    pub fn subscribe_capped(
        &mut self,
        feed: u64,
        callback_gas: u64,
        max_gas_price: U256,
    ) -> Result<(), Revert> {
        oracle::subscribe_with_max_gas_price(feed, callback_gas, max_gas_price, msg::value())?;
        Ok(())
    }

    /// The registry's callback.
    pub fn on_oracle_update(
        &mut self,
        feed_id: u64,
        round_id: u64,
        answer: I256,
        observed_at: u64,
    ) -> Result<(), Revert> {
        oracle::only_registry()?;
        let _ = (oracle::answer(answer)?, observed_at);
        self.last_round.set(round_id);
        orac_sdk::emit(Updated {
            feedId: feed_id,
            roundId: round_id,
            answer,
        });
        Ok(())
    }

    /// The last round delivered (0: none yet).
    pub fn last_round(&self) -> u64 {
        self.last_round.get()
    }
}
