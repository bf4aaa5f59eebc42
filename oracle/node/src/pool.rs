//! Observations collected for open rounds and requests: this node's own
//! and its peers', each checked before it is kept, one per signer.
//!
//! The pool is bounded: it keeps only rounds near the feed's next round
//! and at most [`MAX_ENTRIES`] rounds and requests in all, so a peer (or
//! anyone who can reach the peer port) cannot grow it.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use orac_oracle::{Kind, SignedObservation};
use orac_primitives::{H160, H256};
use serde::{Deserialize, Serialize};

/// Most open rounds and requests tracked at once.
pub const MAX_ENTRIES: usize = 1_024;
/// How far past a feed's next round a peer's observation may be (a peer
/// whose chain view is slightly ahead of ours).
pub const MAX_ROUNDS_AHEAD: u64 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireKind {
    Round,
    Response,
}

impl From<WireKind> for Kind {
    fn from(k: WireKind) -> Kind {
        match k {
            WireKind::Round => Kind::Round,
            WireKind::Response => Kind::Response,
        }
    }
}

/// What names an open round or request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub kind: WireKind,
    pub feed: u64,
    /// The round, or the request id.
    pub round: u64,
}

#[derive(Debug)]
pub struct Entry {
    /// The config the observations were signed under.
    pub digest: H256,
    pub observations: BTreeMap<H160, SignedObservation>,
    /// When this node first held a quorum for it: the transmitter rotation
    /// counts from here.
    pub quorum_since: Option<Instant>,
    /// When this node last tried to transmit it.
    pub attempted: Option<Instant>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    #[error("the pool is full ({MAX_ENTRIES} open rounds)")]
    Full,
}

#[derive(Default, Debug)]
pub struct Pool {
    entries: HashMap<Key, Entry>,
}

impl Pool {
    /// Adds `obs` by `signer` (already verified). A later observation by
    /// the same signer for the same round replaces the earlier one; one
    /// signed under another config digest restarts the entry.
    pub fn add(
        &mut self,
        key: Key,
        digest: H256,
        signer: H160,
        obs: SignedObservation,
        quorum: usize,
    ) -> Result<(), PoolError> {
        if !self.entries.contains_key(&key) && self.entries.len() >= MAX_ENTRIES {
            return Err(PoolError::Full);
        }
        let entry = self.entries.entry(key).or_insert_with(|| Entry {
            digest,
            observations: BTreeMap::new(),
            quorum_since: None,
            attempted: None,
        });
        if entry.digest != digest {
            entry.digest = digest;
            entry.observations.clear();
            entry.quorum_since = None;
        }
        entry.observations.insert(signer, obs);
        if entry.quorum_since.is_none() && entry.observations.len() >= quorum {
            entry.quorum_since = Some(Instant::now());
        }
        Ok(())
    }

    pub fn get(&self, key: &Key) -> Option<&Entry> {
        self.entries.get(key)
    }

    pub fn get_mut(&mut self, key: &Key) -> Option<&mut Entry> {
        self.entries.get_mut(key)
    }

    pub fn has(&self, key: &Key, signer: &H160) -> bool {
        self.entries
            .get(key)
            .is_some_and(|e| e.observations.contains_key(signer))
    }

    /// Forgets the rounds of `feed` below `next` (landed or skipped).
    pub fn prune_rounds(&mut self, feed: u64, next: u64) {
        self.entries
            .retain(|k, _| !(k.kind == WireKind::Round && k.feed == feed && k.round < next));
    }

    /// Forgets request `id` (answered, cancelled or expired).
    pub fn forget(&mut self, key: &Key) {
        self.entries.remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orac_primitives::{Signature, U256};

    fn obs(v: i128) -> SignedObservation {
        SignedObservation {
            observed_at: 1,
            value: v,
            signature: Signature {
                r: U256::one(),
                s: U256::one(),
                y_parity: false,
            },
        }
    }

    #[test]
    fn quorum_time_is_kept_and_rounds_are_pruned() {
        let mut p = Pool::default();
        let key = |round| Key {
            kind: WireKind::Round,
            feed: 1,
            round,
        };
        let d = H256::repeat_byte(1);
        for i in 0..3u8 {
            p.add(key(5), d, H160::repeat_byte(i), obs(1), 3).unwrap();
            assert_eq!(p.get(&key(5)).unwrap().quorum_since.is_some(), i == 2);
        }
        // The same signer again replaces, it does not count twice.
        p.add(key(6), d, H160::repeat_byte(9), obs(1), 2).unwrap();
        p.add(key(6), d, H160::repeat_byte(9), obs(2), 2).unwrap();
        assert!(p.get(&key(6)).unwrap().quorum_since.is_none());
        // Another config restarts the round.
        p.add(
            key(5),
            H256::repeat_byte(2),
            H160::repeat_byte(7),
            obs(1),
            3,
        )
        .unwrap();
        assert_eq!(p.get(&key(5)).unwrap().observations.len(), 1);
        p.prune_rounds(1, 6);
        assert!(p.get(&key(5)).is_none());
        assert!(p.get(&key(6)).is_some());
        for r in 0..MAX_ENTRIES as u64 {
            let _ = p.add(key(100 + r), d, H160::zero(), obs(1), 3);
        }
        assert_eq!(
            p.add(key(99_999), d, H160::zero(), obs(1), 3),
            Err(PoolError::Full)
        );
    }
}
