//! The mempool.
//!
//! Transactions wait here, per sender, ordered by nonce. Those whose nonces
//! run on without a gap from the sender's state nonce are *ready*; the rest
//! are *queued* until the gap fills. A new transaction with a nonce already
//! taken replaces the old one only if it raises both fee fields by at least
//! [`PoolConfig::price_bump_percent`].
//!
//! Everything a sender pools must be affordable at once (the sum of their
//! `gas × maxFeePerGas + value` within the balance), so pooled transactions
//! are transactions that can pay. Queued ones cannot run until their gap
//! fills, so they are capped harder (per sender, overall, and by how far
//! past the ready run they reach) and expire. The pool is bounded by count
//! and by bytes; when full, a better-paying newcomer evicts the cheapest
//! transactions at the tails of other senders' queues (never one in the
//! middle, so no gap is opened).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use orac_primitives::{Address, H256, RecoveredTx, U256};

use crate::error::InvalidTx;

/// The pool's limits. The defaults follow geth's where it has one
/// (`--txpool.*`); each says why it exists.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// Transactions held in total (memory, and the work of building a
    /// block's candidate list).
    pub max_total: usize,
    /// Bytes of encoded transactions held in total. The pool journal on
    /// disk holds a subset of the pool, so this bounds it too. A count
    /// alone let 100,000 transactions of 128 KiB (12.5 GiB) in (REPRO H4).
    /// geth: 6,144 slots of 32 KiB, 192 MiB.
    pub max_bytes: usize,
    /// Transactions held per sender.
    pub max_per_sender: usize,
    /// Queued (not yet executable) transactions per sender (geth's
    /// `accountqueue`: 64).
    pub max_queued_per_sender: usize,
    /// Queued transactions in total (geth's `globalqueue`: 1,024).
    pub max_queued: usize,
    /// How far past the end of a sender's ready run a nonce may be: a
    /// transaction that needs more than this many others before it can run
    /// is refused.
    pub max_nonce_gap: u64,
    /// How long a queued transaction waits for its gap to fill before it
    /// is dropped (geth's `lifetime`: 3 hours).
    pub queued_lifetime: Duration,
    /// Minimum fee increase for a replacement, in percent (geth uses 10).
    pub price_bump_percent: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_total: 100_000,
            max_bytes: 192 << 20,
            max_per_sender: 16_384,
            max_queued_per_sender: 64,
            max_queued: 1_024,
            max_nonce_gap: 64,
            queued_lifetime: Duration::from_secs(3 * 3600),
            price_bump_percent: 10,
        }
    }
}

#[derive(Clone, Debug)]
struct Pooled {
    tx: Arc<RecoveredTx>,
    /// Arrival order, the tie-breaker between equal tips.
    seq: u64,
    /// When it arrived (or was reloaded), for the queued lifetime.
    arrived: Instant,
}

impl Pooled {
    fn size(&self) -> usize {
        self.tx.tx.encoded().len()
    }

    fn cost(&self) -> U256 {
        cost_of(&self.tx)
    }
}

/// What a transaction can cost its sender at most. Admission refuses a
/// transaction whose cost passes 2^256-1, so it saturates only in theory.
fn cost_of(tx: &RecoveredTx) -> U256 {
    tx.tx.tx.max_cost().unwrap_or(U256::MAX)
}

#[derive(Default, Debug)]
struct SenderQueue {
    /// The sender's nonce in the latest state, as last seen.
    state_nonce: u64,
    /// The end of the ready run: the first nonce from `state_nonce` on that
    /// is not pooled. Kept as the queue changes (recomputing it walks the
    /// run, and a sender can have thousands ready).
    next: u64,
    txs: BTreeMap<u64, Pooled>,
    /// Sum of [`Pooled::cost`] over `txs`.
    cost: U256,
    /// Sum of [`Pooled::size`] over `txs`.
    bytes: usize,
}

impl SenderQueue {
    fn new(state_nonce: u64) -> Self {
        Self {
            state_nonce,
            next: state_nonce,
            ..Default::default()
        }
    }

    /// Every pooled nonce is at least `state_nonce` and the run up to
    /// `next` is all there, so the rest is queued.
    fn queued(&self) -> usize {
        self.txs.len() - (self.next - self.state_nonce) as usize
    }

    fn advance(&mut self) {
        while self.txs.contains_key(&self.next) {
            self.next += 1;
        }
    }

    fn insert(&mut self, nonce: u64, p: Pooled) -> Option<Pooled> {
        self.cost = self.cost.saturating_add(p.cost());
        self.bytes += p.size();
        let old = self.txs.insert(nonce, p);
        if let Some(o) = &old {
            self.cost = self.cost.saturating_sub(o.cost());
            self.bytes -= o.size();
        }
        if nonce == self.next {
            self.advance();
        }
        old
    }

    fn remove(&mut self, nonce: u64) -> Option<Pooled> {
        let p = self.txs.remove(&nonce)?;
        self.cost = self.cost.saturating_sub(p.cost());
        self.bytes -= p.size();
        if nonce >= self.state_nonce && nonce < self.next {
            self.next = nonce;
        }
        Some(p)
    }

    /// Moves the state nonce to `n`, returning what it made stale.
    fn set_state_nonce(&mut self, n: u64) -> Vec<Pooled> {
        self.state_nonce = n;
        let keep = self.txs.split_off(&n);
        let stale: Vec<Pooled> = std::mem::replace(&mut self.txs, keep)
            .into_values()
            .collect();
        for p in &stale {
            self.cost = self.cost.saturating_sub(p.cost());
            self.bytes -= p.size();
        }
        if self.next < n {
            self.next = n;
            self.advance();
        }
        stale
    }
}

/// What admitting a transaction displaced.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Admitted {
    /// The sender's pooled transaction with the same nonce, replaced.
    pub replaced: Option<H256>,
    /// Cheaper transactions of other senders dropped to make room.
    pub evicted: Vec<H256>,
    /// The sender's own transactions below the state nonce, dropped.
    pub stale: Vec<H256>,
}

/// The mempool itself; see the [module docs](self). Not thread-safe: the
/// chain keeps it behind a lock.
#[derive(Default)]
pub struct Pool {
    config: PoolConfig,
    senders: HashMap<Address, SenderQueue>,
    by_hash: HashMap<H256, (Address, u64)>,
    seq: u64,
    /// Sum of the encoded sizes of everything pooled.
    bytes: usize,
    /// Queued transactions over all senders.
    queued: usize,
}

impl Pool {
    /// An empty pool with these limits.
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            ..Default::default()
        }
    }

    /// Transactions held, ready and queued.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether nothing is pooled.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Bytes of encoded transactions held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Queued (not yet executable) transactions held.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Whether the transaction with this hash is pooled.
    pub fn contains(&self, hash: &H256) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// The pooled transaction with this hash.
    pub fn get(&self, hash: &H256) -> Option<Arc<RecoveredTx>> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        Some(self.senders.get(sender)?.txs.get(nonce)?.tx.clone())
    }

    /// The nonce a sender's next transaction should use: the state nonce
    /// plus the ready run of pooled transactions.
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        match self.senders.get(sender) {
            Some(q) if q.state_nonce == state_nonce => q.next,
            Some(q) => {
                let mut n = state_nonce;
                while q.txs.contains_key(&n) {
                    n += 1;
                }
                n
            }
            None => state_nonce,
        }
    }

    /// Runs `f` on a sender's queue (made if missing, dropped if left
    /// empty), keeping the pool's byte and queued totals.
    fn edit<R>(&mut self, sender: Address, f: impl FnOnce(&mut SenderQueue) -> R) -> R {
        let queue = self.senders.entry(sender).or_default();
        let (bytes, queued) = (queue.bytes, queue.queued());
        let r = f(queue);
        let (new_bytes, new_queued) = (queue.bytes, queue.queued());
        if queue.txs.is_empty() {
            self.senders.remove(&sender);
        }
        self.bytes = self.bytes + new_bytes - bytes;
        self.queued = self.queued + new_queued - queued;
        r
    }

    /// Admits a transaction whose sender's state nonce is `state_nonce`
    /// and balance `balance`. Fee checks are the caller's; this enforces
    /// nonce order, replacement, affordability and the limits.
    pub fn add(
        &mut self,
        tx: RecoveredTx,
        state_nonce: u64,
        balance: U256,
    ) -> Result<Admitted, InvalidTx> {
        let hash = tx.hash();
        if self.by_hash.contains_key(&hash) {
            return Err(InvalidTx::AlreadyKnown);
        }
        let sender = tx.sender;
        let nonce = tx.tx.tx.nonce;
        if nonce < state_nonce {
            return Err(InvalidTx::NonceTooLow {
                address: sender,
                tx: nonce,
                state: state_nonce,
            });
        }
        let mut admitted = Admitted::default();
        // The state moved on since the pool last heard: drop what it mined.
        if self
            .senders
            .get(&sender)
            .is_some_and(|q| q.state_nonce < state_nonce)
        {
            admitted.stale = self.set_state_nonces([(sender, state_nonce)]);
        }
        let empty = SenderQueue::new(state_nonce);
        let queue = self.senders.get(&sender).unwrap_or(&empty);
        let old = queue.txs.get(&nonce);
        // Everything the sender has pooled must be affordable together.
        let cost = queue
            .cost
            .saturating_sub(old.map(Pooled::cost).unwrap_or_default())
            .saturating_add(cost_of(&tx));
        if cost > balance {
            return Err(InvalidTx::Overdraft {
                address: sender,
                have: balance,
                want: cost,
            });
        }
        let size = tx.tx.encoded().len();
        let freed = match old {
            Some(old) => {
                if !self.config.is_replacement(&old.tx, &tx) {
                    return Err(InvalidTx::ReplacementUnderpriced);
                }
                admitted.replaced = Some(old.tx.hash());
                old.size()
            }
            None => {
                if queue.txs.len() >= self.config.max_per_sender {
                    return Err(InvalidTx::AccountLimit {
                        address: sender,
                        count: queue.txs.len(),
                    });
                }
                if nonce > queue.next {
                    let gap = nonce - queue.next;
                    if gap > self.config.max_nonce_gap {
                        return Err(InvalidTx::NonceGap {
                            address: sender,
                            tx: nonce,
                            next: queue.next,
                            limit: self.config.max_nonce_gap,
                        });
                    }
                    if queue.queued() >= self.config.max_queued_per_sender {
                        return Err(InvalidTx::QueuedLimit {
                            address: sender,
                            count: queue.queued(),
                        });
                    }
                }
                0
            }
        };
        let queued = old.is_none() && nonce > queue.next;
        let victims = self.make_room(&tx, size - freed.min(size), old.is_none(), queued)?;
        for v in &victims {
            self.remove(v);
        }
        admitted.evicted = victims;
        if let Some(replaced) = admitted.replaced {
            self.by_hash.remove(&replaced);
        }
        self.seq += 1;
        let pooled = Pooled {
            tx: Arc::new(tx),
            seq: self.seq,
            arrived: Instant::now(),
        };
        self.senders
            .entry(sender)
            .or_insert_with(|| SenderQueue::new(state_nonce));
        self.edit(sender, |q| q.insert(nonce, pooled));
        self.by_hash.insert(hash, (sender, nonce));
        Ok(admitted)
    }

    /// The transactions to evict so that one more of `size` bytes fits
    /// (counting one more transaction if `adds`, and one more queued one
    /// if `queued`): the cheapest tails of other senders, each tipping
    /// less than `tx`. Nothing is removed here; `Err(PoolFull)` if no such
    /// set exists.
    fn make_room(
        &self,
        tx: &RecoveredTx,
        size: usize,
        adds: bool,
        queued: bool,
    ) -> Result<Vec<H256>, InvalidTx> {
        let c = &self.config;
        let mut count = self.by_hash.len() + usize::from(adds);
        let mut bytes = self.bytes + size;
        let mut queued_total = self.queued + usize::from(queued);
        let over = |count: usize, bytes: usize, q: usize| {
            count > c.max_total || bytes > c.max_bytes || (queued && q > c.max_queued)
        };
        if !over(count, bytes, queued_total) {
            return Ok(Vec::new());
        }
        // Each sender's queue from its tail back; the heap holds the
        // current tail of each, cheapest first.
        let tip = tip_of(tx);
        let mut tails: BinaryHeap<Reverse<(U256, u64, Address, u64)>> = BinaryHeap::new();
        // A queued newcomer over the queued cap displaces queued ones only.
        let only_queued = queued && queued_total > c.max_queued;
        let push = |tails: &mut BinaryHeap<_>, a: Address, q: &SenderQueue, below: u64| {
            if let Some((n, p)) = q.txs.range(..below).next_back()
                && (!only_queued || *n >= q.next)
            {
                tails.push(Reverse((tip_of(&p.tx), p.seq, a, *n)));
            }
        };
        for (a, q) in &self.senders {
            if *a != tx.sender {
                push(&mut tails, *a, q, u64::MAX);
            }
        }
        let mut victims = Vec::new();
        while over(count, bytes, queued_total) {
            let Some(Reverse((victim_tip, _, a, n))) = tails.pop() else {
                return Err(InvalidTx::PoolFull);
            };
            if victim_tip >= tip {
                return Err(InvalidTx::PoolFull);
            }
            let q = &self.senders[&a];
            let p = &q.txs[&n];
            victims.push(p.tx.hash());
            count -= 1;
            bytes -= p.size();
            if n >= q.next {
                queued_total = queued_total.saturating_sub(1);
            }
            push(&mut tails, a, q, n);
        }
        Ok(victims)
    }

    /// Takes the transaction with this hash out of the pool; the sender's
    /// later nonces become queued, since removing it opens a gap.
    pub fn remove(&mut self, hash: &H256) -> Option<Arc<RecoveredTx>> {
        let (sender, nonce) = self.by_hash.remove(hash)?;
        if !self.senders.contains_key(&sender) {
            return None;
        }
        self.edit(sender, |q| q.remove(nonce)).map(|p| p.tx)
    }

    /// Records new state nonces (after a block or a revert) and drops what
    /// they made stale. Returns the dropped hashes.
    pub fn set_state_nonces(
        &mut self,
        nonces: impl IntoIterator<Item = (Address, u64)>,
    ) -> Vec<H256> {
        let mut dropped = Vec::new();
        for (sender, state_nonce) in nonces {
            if !self.senders.contains_key(&sender) {
                continue;
            }
            let stale = self.edit(sender, |q| q.set_state_nonce(state_nonce));
            dropped.extend(stale.iter().map(|p| p.tx.hash()));
        }
        for h in &dropped {
            self.by_hash.remove(h);
        }
        dropped
    }

    /// Drops queued transactions that have waited longer than the queued
    /// lifetime for their gap to fill. Returns their hashes.
    pub fn expire_queued(&mut self, now: Instant) -> Vec<H256> {
        let lifetime = self.config.queued_lifetime;
        let old: Vec<(Address, u64)> = self
            .senders
            .iter()
            .flat_map(|(a, q)| {
                q.txs
                    .range(q.next..)
                    .filter(|(_, p)| now.saturating_duration_since(p.arrived) > lifetime)
                    .map(move |(n, _)| (*a, *n))
            })
            .collect();
        let mut dropped = Vec::new();
        for (a, n) in old {
            let hash = self.senders[&a].txs[&n].tx.hash();
            self.remove(&hash);
            dropped.push(hash);
        }
        dropped
    }

    /// Every sender with something pooled, so the caller can fetch their
    /// state nonces.
    pub fn senders(&self) -> Vec<Address> {
        self.senders.keys().copied().collect()
    }

    /// Ready transactions in the order a block should try them: by tip at
    /// `base_fee` (highest first), then arrival, keeping each sender's nonce
    /// order. A sender whose next fee cap is below the base fee waits.
    /// Stops once the listed gas limits reach `gas_budget`.
    pub fn ready(&self, base_fee: U256, gas_budget: u64) -> Vec<Arc<RecoveredTx>> {
        let mut heads = BinaryHeap::new();
        let mut runs: Vec<Vec<&Pooled>> = Vec::new();
        for queue in self.senders.values() {
            let run: Vec<&Pooled> = queue
                .txs
                .range(queue.state_nonce..)
                .enumerate()
                .take_while(|(i, (n, _))| **n == queue.state_nonce + *i as u64)
                .map(|(_, (_, p))| p)
                .collect();
            if run.is_empty() {
                continue;
            }
            runs.push(run);
        }
        let key = |p: &Pooled| -> Option<(U256, Reverse<u64>)> {
            let t = &p.tx.tx.tx;
            (t.max_fee_per_gas >= base_fee).then(|| (t.effective_tip(base_fee), Reverse(p.seq)))
        };
        for (r, run) in runs.iter().enumerate() {
            if let Some(k) = key(run[0]) {
                heads.push((k, r, 0usize));
            }
        }
        let mut out = Vec::new();
        let mut gas = 0u64;
        while let Some((_, r, i)) = heads.pop() {
            let p = runs[r][i];
            out.push(p.tx.clone());
            gas = gas.saturating_add(p.tx.tx.tx.gas_limit);
            if gas >= gas_budget {
                break;
            }
            if let Some(k) = runs[r].get(i + 1).and_then(|next| key(next)) {
                heads.push((k, r, i + 1));
            }
        }
        out
    }

    /// True if some ready transaction waits only because its fee cap is
    /// below `base_fee` (the base fee will fall if blocks stay empty).
    pub fn has_underpriced_ready(&self, base_fee: U256) -> bool {
        self.senders.values().any(|q| {
            q.txs
                .get(&q.state_nonce)
                .is_some_and(|p| p.tx.tx.tx.max_fee_per_gas < base_fee)
        })
    }

    /// How many pooled transactions are ready and how many queued
    /// (txpool_status): [`Self::content`]'s split, without the clones.
    pub fn counts(&self) -> (usize, usize) {
        let mut ready = 0;
        let mut queued = 0;
        for q in self.senders.values() {
            let r = q.txs.range(..q.next).count();
            ready += r;
            queued += q.txs.len() - r;
        }
        (ready, queued)
    }

    /// Every pooled transaction, grouped as ready or queued (txpool_content).
    pub fn content(&self) -> (Vec<Arc<RecoveredTx>>, Vec<Arc<RecoveredTx>>) {
        let mut ready = Vec::new();
        let mut queued = Vec::new();
        for q in self.senders.values() {
            let next = q.next;
            for (n, p) in &q.txs {
                if *n < next {
                    ready.push(p.tx.clone());
                } else {
                    queued.push(p.tx.clone());
                }
            }
        }
        (ready, queued)
    }
}

fn tip_of(tx: &RecoveredTx) -> U256 {
    tx.tx.tx.max_priority_fee_per_gas
}

impl PoolConfig {
    fn is_replacement(&self, old: &RecoveredTx, new: &RecoveredTx) -> bool {
        let bump = |v: U256| v + v * U256::from(self.price_bump_percent) / U256::from(100u64);
        let (o, n) = (&old.tx.tx, &new.tx.tx);
        n.max_fee_per_gas >= bump(o.max_fee_per_gas)
            && n.max_priority_fee_per_gas >= bump(o.max_priority_fee_per_gas)
            && (n.max_fee_per_gas > o.max_fee_per_gas || o.max_fee_per_gas.is_zero())
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
