//! The mempool.
//!
//! Transactions wait here, per sender, ordered by nonce. Those whose nonces
//! run on without a gap from the sender's state nonce are *ready*; the rest
//! are *queued* until the gap fills. A new transaction with a nonce already
//! taken replaces the old one only if it raises both fee fields by at least
//! [`PoolConfig::price_bump_percent`]. The pool is bounded per sender and
//! overall; when full, a better-paying newcomer evicts the cheapest
//! transaction at the tail of some sender's queue (never one in the middle,
//! so no gap is opened).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;

use orac_primitives::{Address, H256, RecoveredTx, U256};

use crate::error::InvalidTx;

#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// Transactions held in total.
    pub max_total: usize,
    /// Transactions held per sender.
    pub max_per_sender: usize,
    /// Minimum fee increase for a replacement, in percent (geth uses 10).
    pub price_bump_percent: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_total: 100_000,
            max_per_sender: 16_384,
            price_bump_percent: 10,
        }
    }
}

#[derive(Clone, Debug)]
struct Pooled {
    tx: Arc<RecoveredTx>,
    /// Arrival order, the tie-breaker between equal tips.
    seq: u64,
}

#[derive(Default, Debug)]
struct SenderQueue {
    /// The sender's nonce in the latest state, as last seen.
    state_nonce: u64,
    txs: BTreeMap<u64, Pooled>,
}

impl SenderQueue {
    /// The next nonce after the ready run starting at the state nonce.
    fn next_nonce(&self) -> u64 {
        let mut n = self.state_nonce;
        for (&nonce, _) in self.txs.range(self.state_nonce..) {
            if nonce != n {
                break;
            }
            n += 1;
        }
        n
    }
}

/// What admitting a transaction displaced.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Admitted {
    pub replaced: Option<H256>,
    pub evicted: Option<H256>,
}

#[derive(Default)]
pub struct Pool {
    config: PoolConfig,
    senders: HashMap<Address, SenderQueue>,
    by_hash: HashMap<H256, (Address, u64)>,
    seq: u64,
}

impl Pool {
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    pub fn contains(&self, hash: &H256) -> bool {
        self.by_hash.contains_key(hash)
    }

    pub fn get(&self, hash: &H256) -> Option<Arc<RecoveredTx>> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        Some(self.senders.get(sender)?.txs.get(nonce)?.tx.clone())
    }

    /// The nonce a sender's next transaction should use: the state nonce
    /// plus the ready run of pooled transactions.
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let Some(queue) = self.senders.get(sender) else {
            return state_nonce;
        };
        let mut n = state_nonce;
        for (&nonce, _) in queue.txs.range(state_nonce..) {
            if nonce != n {
                break;
            }
            n += 1;
        }
        n
    }

    /// Admits a transaction whose sender's state nonce is `state_nonce`.
    /// Stateful checks (balance, fees) are the caller's; this enforces
    /// nonce order, replacement and the limits.
    pub fn add(&mut self, tx: RecoveredTx, state_nonce: u64) -> Result<Admitted, InvalidTx> {
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
        let queue = self.senders.entry(sender).or_default();
        queue.state_nonce = queue.state_nonce.max(state_nonce);
        if let Some(old) = queue.txs.get(&nonce) {
            if !self.config.is_replacement(&old.tx, &tx) {
                return Err(InvalidTx::ReplacementUnderpriced);
            }
            admitted.replaced = Some(old.tx.hash());
        } else {
            if queue.txs.len() >= self.config.max_per_sender {
                return Err(InvalidTx::AccountLimit {
                    address: sender,
                    count: queue.txs.len(),
                });
            }
            if self.by_hash.len() >= self.config.max_total {
                let victim = self
                    .cheapest_tail(&sender)
                    .filter(|(_, tip)| *tip < tip_of(&tx));
                let Some((victim, _)) = victim else {
                    return Err(InvalidTx::PoolFull);
                };
                self.remove(&victim);
                admitted.evicted = Some(victim);
            }
        }
        if let Some(replaced) = admitted.replaced {
            self.by_hash.remove(&replaced);
        }
        self.seq += 1;
        let queue = self.senders.entry(sender).or_default();
        queue.txs.insert(
            nonce,
            Pooled {
                tx: Arc::new(tx),
                seq: self.seq,
            },
        );
        self.by_hash.insert(hash, (sender, nonce));
        Ok(admitted)
    }

    /// The lowest-tipping transaction that is last in its sender's queue,
    /// excluding `except`'s queue.
    fn cheapest_tail(&self, except: &Address) -> Option<(H256, U256)> {
        self.senders
            .iter()
            .filter(|(a, _)| *a != except)
            .filter_map(|(_, q)| q.txs.values().next_back())
            .map(|p| (p.tx.hash(), tip_of(&p.tx)))
            .min_by_key(|(_, tip)| *tip)
    }

    pub fn remove(&mut self, hash: &H256) -> Option<Arc<RecoveredTx>> {
        let (sender, nonce) = self.by_hash.remove(hash)?;
        let queue = self.senders.get_mut(&sender)?;
        let removed = queue.txs.remove(&nonce).map(|p| p.tx);
        if queue.txs.is_empty() {
            self.senders.remove(&sender);
        }
        removed
    }

    /// Records new state nonces (after a block or a revert) and drops what
    /// they made stale. Returns the dropped hashes.
    pub fn set_state_nonces(
        &mut self,
        nonces: impl IntoIterator<Item = (Address, u64)>,
    ) -> Vec<H256> {
        let mut dropped = Vec::new();
        for (sender, state_nonce) in nonces {
            let Some(queue) = self.senders.get_mut(&sender) else {
                continue;
            };
            queue.state_nonce = state_nonce;
            let keep = queue.txs.split_off(&state_nonce);
            for (_, p) in std::mem::replace(&mut queue.txs, keep) {
                dropped.push(p.tx.hash());
            }
            if queue.txs.is_empty() {
                self.senders.remove(&sender);
            }
        }
        for h in &dropped {
            self.by_hash.remove(h);
        }
        dropped
    }

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

    /// Every pooled transaction, grouped as ready or queued (txpool_content).
    pub fn content(&self) -> (Vec<Arc<RecoveredTx>>, Vec<Arc<RecoveredTx>>) {
        let mut ready = Vec::new();
        let mut queued = Vec::new();
        for q in self.senders.values() {
            let next = q.next_nonce();
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
