//! The open requests this node knows of (from the registry's
//! `OracleRequest` logs) and the rule for which of them it answers.
//!
//! The table is bounded ([`MAX_OPEN_REQUESTS`]); when it is full, the
//! request with the lowest fee goes, so a flood of cheap requests cannot
//! push out ones that pay (REPRO M3). It is also what the peer server
//! checks a `response` observation against: a peer's observation is kept
//! only for a request in this table, open and not expired (REPRO H3).
//!
//! A request is answered only if its fee covers answering it at the
//! current gas price: `(callbackGas + respond_gas(signers)) × gas price ×
//! fee_margin_pct / 100`, and at least the configured floor (see
//! [`FeePolicy`]). `respond_gas` is the registry's own bound on a
//! response's gas besides its callback, with every signer's observation
//! included.

use std::collections::BTreeMap;

use orac_oracle::registry::respond_gas;
use orac_primitives::U256;

/// Most open requests tracked at once. Each one may hold an entry in the
/// observation pool (`pool::MAX_RESPONSE_ENTRIES` is this), and every one
/// is re-checked on chain each poll, so this bounds both memory and the
/// node's RPC load.
pub const MAX_OPEN_REQUESTS: usize = 512;

/// A request this node may answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenRequest {
    pub feed: u64,
    pub expires_at: u64,
    /// Zero for the feed's own value, else a named query's id.
    pub query: [u8; 32],
    /// What the request pays its transmitter, in wei.
    pub fee: U256,
    pub callback_gas: u64,
}

/// What [`OpenRequests::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    Added,
    /// Already known: nothing changed.
    Known,
    /// Added, and the table was full: this request (the lowest fee) went.
    Evicted(u64),
    /// Not added: the table is full of requests that pay at least as much.
    Refused,
}

/// The open-request table.
#[derive(Debug, Default)]
pub struct OpenRequests {
    by_id: BTreeMap<u64, OpenRequest>,
}

impl OpenRequests {
    /// Adds request `id`. When the table is full, the lowest fee is
    /// evicted (between equal fees, the newest request, the highest id), and
    /// that may be `req` itself.
    pub fn insert(&mut self, id: u64, req: OpenRequest) -> Inserted {
        if self.by_id.contains_key(&id) {
            return Inserted::Known;
        }
        if self.by_id.len() < MAX_OPEN_REQUESTS {
            self.by_id.insert(id, req);
            return Inserted::Added;
        }
        let lowest = self
            .by_id
            .iter()
            .min_by(|(a_id, a), (b_id, b)| a.fee.cmp(&b.fee).then(b_id.cmp(a_id)))
            .map(|(id, r)| (*id, r.fee));
        match lowest {
            Some((low_id, low_fee)) if req.fee > low_fee || (req.fee == low_fee && id < low_id) => {
                self.by_id.remove(&low_id);
                self.by_id.insert(id, req);
                Inserted::Evicted(low_id)
            }
            _ => Inserted::Refused,
        }
    }

    pub fn get(&self, id: u64) -> Option<OpenRequest> {
        self.by_id.get(&id).copied()
    }

    /// Whether request `id` is known here, for `feed`, and not expired at
    /// `now` (Unix seconds).
    pub fn is_open(&self, id: u64, feed: u64, now: u64) -> bool {
        self.by_id
            .get(&id)
            .is_some_and(|r| r.feed == feed && r.expires_at >= now)
    }

    pub fn remove(&mut self, id: u64) -> Option<OpenRequest> {
        self.by_id.remove(&id)
    }

    /// Removes the requests expired at `now` and returns their ids.
    pub fn expire(&mut self, now: u64) -> Vec<u64> {
        let gone: Vec<u64> = self
            .by_id
            .iter()
            .filter(|(_, r)| r.expires_at < now)
            .map(|(id, _)| *id)
            .collect();
        for id in &gone {
            self.by_id.remove(id);
        }
        gone
    }

    /// The open requests, by id.
    pub fn snapshot(&self) -> Vec<(u64, OpenRequest)> {
        self.by_id.iter().map(|(k, v)| (*k, *v)).collect()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// When a request pays enough to be answered (`[requests]` in the config;
/// docs/oracle.md, Part 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeePolicy {
    /// The fee must be at least this percentage of what answering costs at
    /// the current gas price; 0 turns the price check off.
    pub fee_margin_pct: u64,
    /// And at least this many wei, whatever the price.
    pub min_fee_wei: U256,
}

impl Default for FeePolicy {
    fn default() -> Self {
        Self {
            fee_margin_pct: DEFAULT_FEE_MARGIN_PCT,
            min_fee_wei: U256::zero(),
        }
    }
}

/// Answering must be covered at least at cost.
pub const DEFAULT_FEE_MARGIN_PCT: u64 = 100;
/// Highest margin accepted (100×): above it the node would answer nothing.
pub const MAX_FEE_MARGIN_PCT: u64 = 10_000;

impl FeePolicy {
    /// The lowest fee at which this node answers a request with
    /// `callback_gas` to a feed of `signers` signers at `gas_price` wei.
    pub fn required_fee(&self, callback_gas: u64, signers: usize, gas_price: U256) -> U256 {
        let gas = callback_gas.saturating_add(respond_gas(signers as u64));
        let cost = gas_price
            .saturating_mul(U256::from(gas))
            .saturating_mul(U256::from(self.fee_margin_pct))
            / U256::from(100);
        cost.max(self.min_fee_wei)
    }

    /// Whether `req` pays enough for a feed of `signers` at `gas_price`.
    pub fn pays(&self, req: &OpenRequest, signers: usize, gas_price: U256) -> bool {
        req.fee >= self.required_fee(req.callback_gas, signers, gas_price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(fee: u64) -> OpenRequest {
        OpenRequest {
            feed: 1,
            expires_at: 1_000,
            query: [0; 32],
            fee: U256::from(fee),
            callback_gas: 100_000,
        }
    }

    /// REPRO M3: 512 one-wei requests with a day's expiry filled the
    /// table and every request after them was ignored. Lowest fee goes
    /// first: a request that pays pushes a cheap one out, a cheaper one is
    /// refused, and the table never grows past its bound.
    #[test]
    fn a_full_table_evicts_the_lowest_fee() {
        let mut t = OpenRequests::default();
        for id in 1..=MAX_OPEN_REQUESTS as u64 {
            assert_eq!(t.insert(id, req(1)), Inserted::Added);
        }
        assert_eq!(t.insert(1, req(1)), Inserted::Known);
        // As cheap as the cheapest: refused (the older ones stay).
        assert_eq!(t.insert(10_000, req(1)), Inserted::Refused);
        // Pays more: the newest of the cheapest goes.
        let last = MAX_OPEN_REQUESTS as u64;
        assert_eq!(t.insert(10_001, req(5)), Inserted::Evicted(last));
        assert_eq!(t.len(), MAX_OPEN_REQUESTS);
        assert!(t.get(last).is_none());
        assert_eq!(t.get(10_001).map(|r| r.fee), Some(U256::from(5)));
        // The flood cannot push out what pays.
        for id in 20_000..21_000 {
            t.insert(id, req(1));
        }
        assert!(t.get(10_001).is_some());
        assert_eq!(t.len(), MAX_OPEN_REQUESTS);
        // Enough paying requests replace every cheap one.
        for id in 30_000..30_000 + MAX_OPEN_REQUESTS as u64 {
            assert!(matches!(t.insert(id, req(7)), Inserted::Evicted(_)));
        }
        assert!(t.snapshot().iter().all(|(_, r)| r.fee >= U256::from(5)));
    }

    #[test]
    fn expired_requests_leave_and_are_not_open() {
        let mut t = OpenRequests::default();
        t.insert(1, req(1));
        t.insert(
            2,
            OpenRequest {
                expires_at: 2_000,
                ..req(1)
            },
        );
        assert!(t.is_open(1, 1, 1_000));
        assert!(!t.is_open(1, 2, 1_000), "another feed");
        assert!(!t.is_open(1, 1, 1_001), "expired");
        assert!(!t.is_open(3, 1, 0), "unknown");
        assert_eq!(t.expire(1_001), vec![1]);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn a_request_must_pay_for_its_callback_at_the_current_price() {
        let policy = FeePolicy::default();
        let gwei = U256::from(1_000_000_000u64);
        // 4 signers: respond_gas(4) = 158,000; 100,000 callback gas.
        let need = policy.required_fee(100_000, 4, gwei);
        assert_eq!(need, gwei * U256::from(258_000));
        let paying = OpenRequest {
            fee: need,
            ..req(0)
        };
        assert!(policy.pays(&paying, 4, gwei));
        assert!(!policy.pays(&paying, 4, gwei * U256::from(2)));
        // REPRO M3's 1-wei request for 2M callback gas is not answered.
        let spam = OpenRequest {
            callback_gas: 2_000_000,
            ..req(1)
        };
        assert!(!policy.pays(&spam, 4, gwei));
        // A margin, and a floor.
        let careful = FeePolicy {
            fee_margin_pct: 150,
            min_fee_wei: U256::zero(),
        };
        assert_eq!(
            careful.required_fee(100_000, 4, gwei),
            gwei * U256::from(387_000)
        );
        let floor = FeePolicy {
            fee_margin_pct: 0,
            min_fee_wei: U256::from(10u64.pow(15)),
        };
        assert_eq!(
            floor.required_fee(2_000_000, 31, gwei),
            U256::from(10u64.pow(15))
        );
        assert!(!floor.pays(&spam, 4, U256::zero()));
    }
}
