//! The open requests this node knows of (from the registry's
//! `OracleRequest` logs) and the rule for which of them it answers.
//!
//! The table is bounded ([`MAX_OPEN_REQUESTS`]) and ranks requests by what
//! they pay per unit of gas they make the transmitter spend: `fee /
//! (callbackGas + respond_gas(n))`, the same gas the fee policy prices
//! (see [`OpenRequest::gas`]). A fee of F for a 2M-gas callback is worth
//! about an eighth of F for a 100k-gas one (2,158,000 against 258,000 gas
//! with 4 signers), so ranking by the raw fee would let large requests,
//! each paying a little more than the rest, keep out requests that pay
//! better for what they cost.
//! Values are compared exactly, by cross-multiplication in 512 bits (no
//! rounding, no floats); between equal values the older request (lower id)
//! ranks first. The ranking decides:
//!
//! * eviction: when the table is full, the lowest-ranked request goes (and
//!   that may be the new one), so a flood of cheap requests cannot push out
//!   ones that pay (REPRO M3);
//! * the order requests are answered in each poll: best first, so a slow
//!   poll (sources, RPC) spends its time on what pays most;
//! * the per-requester cap: one requester (the `requester` of the log)
//!   holds at most `max_open_requests_per_requester` entries. At its cap a
//!   requester competes only with itself: a new request displaces that
//!   requester's lowest-ranked one if it ranks above it and is refused
//!   otherwise. So a requester can always swap its cheap requests for
//!   better ones, but cannot take more than its share of the table however
//!   much it pays, and never pushes anyone else out once at its cap. (The
//!   cap alone does not stop a requester with many addresses; the ranking
//!   does: to displace others it must pay more per gas than they do.)
//!
//! The table is also what the peer server checks a `response` observation
//! against: a peer's observation is kept only for a request in this table,
//! open and not expired (REPRO H3).
//!
//! A request is answered only if its fee covers answering it at the
//! current gas price: `(callbackGas + respond_gas(signers)) × gas price ×
//! fee_margin_pct / 100`, and at least the configured floor (see
//! [`FeePolicy`]). `respond_gas` is the registry's own bound on a
//! response's gas besides its callback, with every signer's observation
//! included.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use orac_oracle::abi::respond_gas;
use orac_oracle::feed::MAX_SIGNERS;
use orac_primitives::{H160, U256};

/// Most open requests tracked at once. Each one may hold an entry in the
/// observation pool (`pool::MAX_RESPONSE_ENTRIES` is this), and every one
/// is re-checked on chain each poll, so this bounds both memory and the
/// node's RPC load.
pub const MAX_OPEN_REQUESTS: usize = 512;

/// Default for `max_open_requests_per_requester`: a sixteenth of the
/// table, so it takes at least sixteen requesters to fill it. A contract
/// with that many requests in flight at once is rare (each is answered
/// within a few polls), and one that needs more can be given a higher cap.
pub const DEFAULT_MAX_OPEN_PER_REQUESTER: usize = 32;

/// The gas a response costs besides its callback, for a feed of `signers`
/// signers: the registry's `respond_gas`, as [`FeePolicy`] prices it. When
/// the feed has not been read yet, the most signers a feed may have: the
/// request then ranks as low as it could ever deserve, never higher.
pub fn delivery_gas(signers: Option<usize>) -> u64 {
    respond_gas(signers.unwrap_or(MAX_SIGNERS) as u64)
}

/// A request this node may answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenRequest {
    /// The feed asked.
    pub feed: u64,
    /// Who made it (the log's `requester`): what the per-requester cap
    /// counts.
    pub requester: H160,
    /// Unix seconds after which the registry refuses a response (and
    /// refunds the requester).
    pub expires_at: u64,
    /// Zero for the feed's own value, else a named query's id.
    pub query: [u8; 32],
    /// What the request pays its transmitter, in wei.
    pub fee: U256,
    /// Gas the requester's callback may use.
    pub callback_gas: u64,
    /// The response's own gas besides the callback ([`delivery_gas`] for
    /// the feed's signers when the request was noted). Kept with the
    /// request so its rank does not move while it is in the table; the fee
    /// check itself uses the feed's current signers.
    pub delivery_gas: u64,
}

impl OpenRequest {
    /// The gas the fee pays for: the callback's and the response's own
    /// (at least 1, so a value is always defined).
    pub fn gas(&self) -> u64 {
        self.callback_gas.saturating_add(self.delivery_gas).max(1)
    }

    /// Compares what `self` and `other` pay per gas, `fee / gas`, exactly:
    /// `self.fee × other.gas` against `other.fee × self.gas`, whose 512-bit
    /// products cannot overflow (a U256 fee times a u64 gas).
    pub fn cmp_value(&self, other: &OpenRequest) -> Ordering {
        let mine = self.fee.full_mul(U256::from(other.gas()));
        let theirs = other.fee.full_mul(U256::from(self.gas()));
        mine.cmp(&theirs)
    }
}

/// The table's ranking: `Less` when request `a` ranks above `b` (pays
/// more per gas; at equal value, is older). A total order over distinct
/// ids, so eviction and answering order are deterministic.
fn rank((a_id, a): (u64, &OpenRequest), (b_id, b): (u64, &OpenRequest)) -> Ordering {
    b.cmp_value(a).then(a_id.cmp(&b_id))
}

/// What [`OpenRequests::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// Added, with room to spare.
    Added,
    /// Already known: nothing changed.
    Known,
    /// Added, and the table was full: this request (the lowest-ranked)
    /// went.
    Evicted(u64),
    /// Added, and its requester was at its cap: this request of the same
    /// requester (its lowest-ranked) went.
    Displaced(u64),
    /// Not added: the table is full of requests that rank at least as
    /// high.
    Refused,
    /// Not added: its requester is at its cap with requests that rank at
    /// least as high.
    OverCap,
}

/// The open-request table.
#[derive(Debug)]
pub struct OpenRequests {
    by_id: BTreeMap<u64, OpenRequest>,
    /// Most entries one requester may hold (1 to [`MAX_OPEN_REQUESTS`]).
    per_requester: usize,
}

impl Default for OpenRequests {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_OPEN_PER_REQUESTER)
    }
}

impl OpenRequests {
    /// An empty table holding at most `per_requester` requests of any one
    /// requester (kept within 1 to [`MAX_OPEN_REQUESTS`]; the config
    /// refuses values outside that).
    pub fn new(per_requester: usize) -> Self {
        Self {
            by_id: BTreeMap::new(),
            per_requester: per_requester.clamp(1, MAX_OPEN_REQUESTS),
        }
    }

    /// The lowest-ranked request among those `keep` selects.
    fn lowest(&self, keep: impl Fn(&OpenRequest) -> bool) -> Option<(u64, OpenRequest)> {
        self.by_id
            .iter()
            .filter(|(_, r)| keep(r))
            .max_by(|(a_id, a), (b_id, b)| rank((**a_id, a), (**b_id, b)))
            .map(|(id, r)| (*id, *r))
    }

    /// Adds request `id`, by the module's rules: at its requester's cap it
    /// replaces that requester's lowest-ranked request or is refused; in a
    /// full table it replaces the lowest-ranked request or is refused.
    pub fn insert(&mut self, id: u64, req: OpenRequest) -> Inserted {
        if self.by_id.contains_key(&id) {
            return Inserted::Known;
        }
        if self.open_by(&req.requester) >= self.per_requester {
            return match self.lowest(|r| r.requester == req.requester) {
                Some((low_id, low)) if rank((id, &req), (low_id, &low)).is_lt() => {
                    self.by_id.remove(&low_id);
                    self.by_id.insert(id, req);
                    Inserted::Displaced(low_id)
                }
                _ => Inserted::OverCap,
            };
        }
        if self.by_id.len() < MAX_OPEN_REQUESTS {
            self.by_id.insert(id, req);
            return Inserted::Added;
        }
        match self.lowest(|_| true) {
            Some((low_id, low)) if rank((id, &req), (low_id, &low)).is_lt() => {
                self.by_id.remove(&low_id);
                self.by_id.insert(id, req);
                Inserted::Evicted(low_id)
            }
            _ => Inserted::Refused,
        }
    }

    /// How many of the open requests `requester` made.
    pub fn open_by(&self, requester: &H160) -> usize {
        self.by_id
            .values()
            .filter(|r| r.requester == *requester)
            .count()
    }

    /// Request `id`, if the table holds it.
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

    /// Forgets request `id` (answered or cancelled), returning it.
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

    /// The open requests, best-ranked first: the order they are answered
    /// in.
    pub fn by_rank(&self) -> Vec<(u64, OpenRequest)> {
        let mut all = self.snapshot();
        all.sort_by(|(a_id, a), (b_id, b)| rank((*a_id, a), (*b_id, b)));
        all
    }

    /// Requests held.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no request is held.
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
        let gas = callback_gas.saturating_add(delivery_gas(Some(signers)));
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

    /// respond_gas(4): the delivery gas of the 4-signer feed these tests
    /// use.
    const DELIVERY: u64 = 158_000;

    fn req(fee: u64) -> OpenRequest {
        OpenRequest {
            feed: 1,
            requester: H160::zero(),
            expires_at: 1_000,
            query: [0; 32],
            fee: U256::from(fee),
            callback_gas: 100_000,
            delivery_gas: delivery_gas(Some(4)),
        }
    }

    /// `r` made by requester `who`.
    fn by(who: u64, r: OpenRequest) -> OpenRequest {
        OpenRequest {
            requester: H160::from_low_u64_be(who),
            ..r
        }
    }

    /// A request for `callback_gas` paying `fee`.
    fn sized(fee: u64, callback_gas: u64) -> OpenRequest {
        OpenRequest {
            callback_gas,
            ..req(fee)
        }
    }

    /// A table whose per-requester cap is out of the way (tests of it
    /// also give each request its own requester: one requester holding
    /// the whole table would be at its cap).
    fn uncapped() -> OpenRequests {
        OpenRequests::new(MAX_OPEN_REQUESTS)
    }

    #[test]
    fn delivery_gas_is_the_fee_policys() {
        assert_eq!(delivery_gas(Some(4)), DELIVERY);
        assert_eq!(delivery_gas(Some(4)), respond_gas(4));
        // Not read yet: priced as the largest feed, never ranked higher
        // than it deserves.
        assert_eq!(delivery_gas(None), respond_gas(MAX_SIGNERS as u64));
        assert!(delivery_gas(None) >= delivery_gas(Some(1)));
    }

    /// REPRO M3: 512 one-wei requests with a day's expiry filled the
    /// table and every request after them was ignored. Lowest value goes
    /// first: a request that pays pushes a cheap one out, a cheaper one is
    /// refused, and the table never grows past its bound.
    #[test]
    fn a_full_table_evicts_the_lowest_fee() {
        let mut t = uncapped();
        for id in 1..=MAX_OPEN_REQUESTS as u64 {
            assert_eq!(t.insert(id, by(id, req(1))), Inserted::Added);
        }
        assert_eq!(t.insert(1, by(1, req(1))), Inserted::Known);
        // As cheap as the cheapest: refused (the older ones stay).
        assert_eq!(t.insert(10_000, by(10_000, req(1))), Inserted::Refused);
        // Pays more: the newest of the cheapest goes.
        let last = MAX_OPEN_REQUESTS as u64;
        assert_eq!(
            t.insert(10_001, by(10_001, req(5))),
            Inserted::Evicted(last)
        );
        assert_eq!(t.len(), MAX_OPEN_REQUESTS);
        assert!(t.get(last).is_none());
        assert_eq!(t.get(10_001).map(|r| r.fee), Some(U256::from(5)));
        // The flood cannot push out what pays.
        for id in 20_000..21_000 {
            t.insert(id, by(id, req(1)));
        }
        assert!(t.get(10_001).is_some());
        assert_eq!(t.len(), MAX_OPEN_REQUESTS);
        // Enough paying requests replace every cheap one.
        for id in 30_000..30_000 + MAX_OPEN_REQUESTS as u64 {
            assert!(matches!(t.insert(id, by(id, req(7))), Inserted::Evicted(_)));
        }
        assert!(t.snapshot().iter().all(|(_, r)| r.fee >= U256::from(5)));
    }

    /// The same fee buys less from a request that asks for more gas: a
    /// table full of 2M-gas requests gives way to 100k-gas ones paying the
    /// same, even a little less, while a large request must pay for its
    /// size to stay.
    #[test]
    fn a_full_table_evicts_by_fee_per_gas() {
        const FEE: u64 = 10u64.pow(15);
        let mut t = uncapped();
        for id in 1..=MAX_OPEN_REQUESTS as u64 {
            assert_eq!(t.insert(id, by(id, sized(FEE, 2_000_000))), Inserted::Added);
        }
        // Same fee, 100k gas: worth 2,158,000 / 258,000 ≈ 8.4× as much per
        // gas. The newest large request goes.
        let last = MAX_OPEN_REQUESTS as u64;
        assert_eq!(
            t.insert(10_000, by(10_000, sized(FEE, 100_000))),
            Inserted::Evicted(last)
        );
        // Half the fee for a twentieth of the callback gas still ranks
        // above the large ones (a raw-fee table would refuse it).
        assert_eq!(
            t.insert(10_001, by(10_001, sized(FEE / 2, 100_000))),
            Inserted::Evicted(last - 1)
        );
        // A large request that pays for its size gets in: 8 × FEE for
        // 2,158,000 gas beats the large ones at FEE and the small one at
        // FEE / 2, but not the small one at FEE.
        assert_eq!(
            t.insert(10_002, by(10_002, sized(8 * FEE, 2_000_000))),
            Inserted::Evicted(last - 2)
        );
        let best: Vec<u64> = t.by_rank().iter().take(4).map(|(id, _)| *id).collect();
        assert_eq!(best, [10_000, 10_002, 10_001, 1]);
        // Equal value in other terms: double the gas for double the fee
        // (258,000 gas for FEE against 516,000 for 2 FEE) ties, and a tie
        // does not displace an older request.
        let mut small = uncapped();
        for id in 1..=MAX_OPEN_REQUESTS as u64 {
            small.insert(id, by(id, sized(FEE, 100_000)));
        }
        assert_eq!(
            small.insert(10_000, by(10_000, sized(2 * FEE, 358_000))),
            Inserted::Refused
        );
        assert_eq!(
            small.insert(10_001, by(10_001, sized(2 * FEE + 1, 358_000))),
            Inserted::Evicted(last)
        );
    }

    /// Values are compared exactly: fees near 2^256 and gas that differs
    /// by one unit still order, where a float (53 bits) would call them
    /// equal.
    #[test]
    fn values_compare_exactly() {
        let max = OpenRequest {
            fee: U256::MAX,
            ..req(0)
        };
        let one_more_gas = OpenRequest {
            callback_gas: 100_001,
            ..max
        };
        let one_wei_less = OpenRequest {
            fee: U256::MAX - 1,
            ..max
        };
        assert_eq!(max.cmp_value(&one_more_gas), Ordering::Greater);
        assert_eq!(one_more_gas.cmp_value(&max), Ordering::Less);
        assert_eq!(one_wei_less.cmp_value(&max), Ordering::Less);
        assert_eq!(max.cmp_value(&max), Ordering::Equal);
        let big = U256::from(10u64).pow(U256::from(30));
        let a = OpenRequest { fee: big, ..req(0) };
        let b = OpenRequest {
            fee: big + 1,
            ..req(0)
        };
        assert_eq!(a.cmp_value(&b), Ordering::Less);
        // Gas is never zero, so a value is always defined.
        let nothing = OpenRequest {
            callback_gas: 0,
            delivery_gas: 0,
            ..req(5)
        };
        assert_eq!(nothing.gas(), 1);
        assert_eq!(nothing.cmp_value(&req(5)), Ordering::Greater);
    }

    /// Ties are broken by id (older first), so the ranking is a total
    /// order: the table keeps the same requests whatever order they
    /// arrive in, and answers them in the same order.
    #[test]
    fn ties_are_deterministic() {
        // Four values, each in two equal-valued shapes (fee and gas both
        // doubled), plus plain duplicates: many ties.
        let shapes = |i: u64| -> OpenRequest {
            let base = 258_000 * (1 + i % 4);
            if (i / 4).is_multiple_of(2) {
                sized(base, 100_000)
            } else {
                sized(2 * base, 358_000)
            }
        };
        let ids: Vec<u64> = (1..=2 * MAX_OPEN_REQUESTS as u64).collect();
        let fill = |order: &[u64]| {
            let mut t = uncapped();
            for id in order {
                t.insert(*id, by(*id, shapes(*id)));
            }
            t
        };
        let forward = fill(&ids);
        let mut reversed = ids.clone();
        reversed.reverse();
        let backward = fill(&reversed);
        // A fixed shuffle: multiply by a unit mod the count.
        let n = ids.len() as u64;
        let shuffled: Vec<u64> = (0..n).map(|i| (i * 389) % n + 1).collect();
        let mixed = fill(&shuffled);
        assert_eq!(forward.snapshot(), backward.snapshot());
        assert_eq!(forward.snapshot(), mixed.snapshot());
        let order = forward.by_rank();
        assert_eq!(order, backward.by_rank());
        assert_eq!(order, mixed.by_rank());
        // Best value first; among equals, lower ids first.
        for pair in order.windows(2) {
            let ((a_id, a), (b_id, b)) = (pair[0], pair[1]);
            match a.cmp_value(&b) {
                Ordering::Greater => {}
                Ordering::Equal => assert!(a_id < b_id),
                Ordering::Less => panic!("{a_id} ranks above {b_id} but is worth less"),
            }
        }
    }

    /// Requests are answered best value first, not by id or raw fee.
    #[test]
    fn requests_are_answered_best_value_first() {
        let mut t = uncapped();
        t.insert(1, sized(1_000, 2_000_000));
        t.insert(2, sized(400, 100_000));
        t.insert(3, sized(1_000, 100_000));
        t.insert(4, sized(400, 100_000));
        let ids: Vec<u64> = t.by_rank().iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [3, 2, 4, 1]);
    }

    /// One requester holds at most its cap, however much it pays: at the
    /// cap a better request displaces that requester's worst one, a worse
    /// or equal one is refused, and nobody else's request is touched.
    #[test]
    fn a_requester_cannot_take_the_table() {
        let cap = DEFAULT_MAX_OPEN_PER_REQUESTER;
        let mut t = OpenRequests::default();
        for id in 1..=cap as u64 {
            assert_eq!(t.insert(id, by(1, req(1_000))), Inserted::Added);
        }
        assert_eq!(t.open_by(&H160::from_low_u64_be(1)), cap);
        // Paying as much: refused.
        assert_eq!(t.insert(100, by(1, req(1_000))), Inserted::OverCap);
        // Paying more: the requester's newest lowest goes.
        assert_eq!(
            t.insert(101, by(1, req(5_000))),
            Inserted::Displaced(cap as u64)
        );
        assert_eq!(t.open_by(&H160::from_low_u64_be(1)), cap);
        // Others still get in.
        assert_eq!(t.insert(200, by(2, req(1))), Inserted::Added);

        // A full table: sixteen requesters at their caps with cheap
        // requests. A capped requester paying 100× only displaces its
        // own; a requester below its cap evicts the table's lowest.
        let mut t = OpenRequests::default();
        let mut id = 0;
        for who in 1..=(MAX_OPEN_REQUESTS / cap) as u64 {
            for _ in 0..cap {
                id += 1;
                assert_eq!(t.insert(id, by(who, req(10 + who))), Inserted::Added);
            }
        }
        assert_eq!(t.len(), MAX_OPEN_REQUESTS);
        let before = t.open_by(&H160::from_low_u64_be(1));
        assert_eq!(
            t.insert(10_000, by(16, req(100_000))),
            Inserted::Displaced(id)
        );
        assert_eq!(t.open_by(&H160::from_low_u64_be(16)), cap);
        assert_eq!(t.open_by(&H160::from_low_u64_be(1)), before);
        // Requester 1's requests are the cheapest (fee 11): its newest
        // goes for a newcomer.
        assert_eq!(
            t.insert(10_001, by(99, req(100_000))),
            Inserted::Evicted(cap as u64)
        );
        assert_eq!(t.open_by(&H160::from_low_u64_be(1)), cap - 1);
        assert_eq!(t.len(), MAX_OPEN_REQUESTS);
        // A requester under its cap but worse than everything: refused.
        assert_eq!(t.insert(10_002, by(98, req(1))), Inserted::Refused);
    }

    #[test]
    fn the_cap_is_kept_in_range() {
        let mut one = OpenRequests::new(0);
        assert_eq!(one.insert(1, req(1)), Inserted::Added);
        assert_eq!(one.insert(2, req(1)), Inserted::OverCap);
        let mut all = OpenRequests::new(usize::MAX);
        for id in 1..=MAX_OPEN_REQUESTS as u64 {
            assert_eq!(all.insert(id, req(1)), Inserted::Added);
        }
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
