//! Observations collected for open rounds and requests: this node's own
//! and its peers', each checked before it is kept, one per signer.
//!
//! The pool is bounded so that no peer (nor anyone who can reach the peer
//! port with validly signed observations, i.e. a faulty signer) can fill
//! it and crowd out the rounds the honest nodes are forming (REPRO H3: one
//! signer's 1,024 `response` observations for made-up request ids filled
//! the old 1,024-entry pool and stalled every feed):
//!
//! * the peer server only offers observations for keys this node knows
//!   (a round near the feed's next one, a request in its open-request
//!   table), so there are at most [`MAX_ROUND_ENTRIES`] round entries and
//!   [`MAX_RESPONSE_ENTRIES`] response entries, and the two kinds have
//!   separate limits: responses never take a round's place;
//! * a peer signer may hold at most [`MAX_PENDING_RESPONSES_PER_SIGNER`]
//!   response entries this node has not observed itself;
//! * this node's own observations are never refused;
//! * entries leave when their round lands or is passed, and when their
//!   request is answered, expires or is evicted from the table.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use orac_oracle::{Kind, SignedObservation};
use orac_primitives::{H160, H256};
use serde::{Deserialize, Serialize};

use crate::config::MAX_FEEDS;
use crate::requests::MAX_OPEN_REQUESTS;

/// How far past a feed's next round a peer's observation may be (a peer
/// whose chain view is slightly ahead of ours).
pub const MAX_ROUNDS_AHEAD: u64 = 2;
/// Most round entries at once: the next round and [`MAX_ROUNDS_AHEAD`]
/// more for each of at most [`MAX_FEEDS`] feeds.
pub const MAX_ROUND_ENTRIES: usize = (MAX_ROUNDS_AHEAD as usize + 1) * MAX_FEEDS;
/// Most response entries at once: one per open request this node tracks.
pub const MAX_RESPONSE_ENTRIES: usize = MAX_OPEN_REQUESTS;
/// Most response entries one peer signer may hold that this node has no
/// observation of its own in. A peer that noticed a burst of requests
/// before this node did is held back only until this node observes them
/// (its observations are sent again every poll); a faulty signer cannot
/// hold more than this many entries whatever it signs.
pub const MAX_PENDING_RESPONSES_PER_SIGNER: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
/// [`Kind`] as peers write it (`"round"`, `"response"`).
pub enum WireKind {
    /// A feed round's observation.
    Round,
    /// A request's response.
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
    /// A round or a request.
    pub kind: WireKind,
    /// The feed.
    pub feed: u64,
    /// The round, or the request id.
    pub round: u64,
}

/// The observations gathered for one round or request.
#[derive(Debug)]
pub struct Entry {
    /// The config the observations were signed under.
    pub digest: H256,
    /// At most one per signer, the latest it sent.
    pub observations: BTreeMap<H160, SignedObservation>,
    /// The signer whose observation opened the entry.
    pub opened_by: H160,
    /// When this node first held a quorum for it: the transmitter rotation
    /// counts from here.
    pub quorum_since: Option<Instant>,
    /// When this node last tried to transmit it.
    pub attempted: Option<Instant>,
}

/// Why an observation for a new round or request was not kept: the
/// bounds that stop a flood of validly signed observations.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    /// No room for another entry of this kind.
    #[error("the pool holds the most {kind:?} entries ({max})")]
    Full {
        /// Rounds or responses.
        kind: WireKind,
        /// The bound for that kind.
        max: usize,
    },
    /// The signer opened as many response entries as it may.
    #[error("{signer:?} already holds {max} response entries this node has not observed")]
    SignerQuota {
        /// The peer's signer.
        signer: H160,
        /// [`MAX_PENDING_RESPONSES_PER_SIGNER`].
        max: usize,
    },
}

/// Observations gathered for open rounds and requests, bounded per kind
/// and per signer.
#[derive(Debug)]
pub struct Pool {
    /// This node's signer address: its own observations are never refused.
    me: H160,
    entries: HashMap<Key, Entry>,
}

impl Pool {
    /// An empty pool of the node whose signer is `me`.
    pub fn new(me: H160) -> Self {
        Self {
            me,
            entries: HashMap::new(),
        }
    }

    /// Adds `obs` by `signer` (already verified, for a key the caller
    /// knows). A later observation by the same signer for the same round
    /// replaces the earlier one; one signed under another config digest
    /// restarts the entry.
    pub fn add(
        &mut self,
        key: Key,
        digest: H256,
        signer: H160,
        obs: SignedObservation,
        quorum: usize,
    ) -> Result<(), PoolError> {
        if signer != self.me && !self.entries.contains_key(&key) {
            self.admit_new(key.kind, signer)?;
        }
        let entry = self.entries.entry(key).or_insert_with(|| Entry {
            digest,
            observations: BTreeMap::new(),
            opened_by: signer,
            quorum_since: None,
            attempted: None,
        });
        if entry.digest != digest {
            entry.digest = digest;
            entry.observations.clear();
            entry.opened_by = signer;
            entry.quorum_since = None;
        }
        entry.observations.insert(signer, obs);
        if entry.quorum_since.is_none() && entry.observations.len() >= quorum {
            entry.quorum_since = Some(Instant::now());
        }
        Ok(())
    }

    /// Whether a peer `signer` may open a new entry of `kind`.
    fn admit_new(&self, kind: WireKind, signer: H160) -> Result<(), PoolError> {
        let max = match kind {
            WireKind::Round => MAX_ROUND_ENTRIES,
            WireKind::Response => MAX_RESPONSE_ENTRIES,
        };
        if self.entries.keys().filter(|k| k.kind == kind).count() >= max {
            return Err(PoolError::Full { kind, max });
        }
        if kind == WireKind::Response {
            let pending = self
                .entries
                .iter()
                .filter(|(k, e)| {
                    k.kind == WireKind::Response
                        && e.opened_by == signer
                        && !e.observations.contains_key(&self.me)
                })
                .count();
            if pending >= MAX_PENDING_RESPONSES_PER_SIGNER {
                return Err(PoolError::SignerQuota {
                    signer,
                    max: MAX_PENDING_RESPONSES_PER_SIGNER,
                });
            }
        }
        Ok(())
    }

    /// The entry of `key`, if one is open.
    pub fn get(&self, key: &Key) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// The entry of `key`, to record a transmission attempt.
    pub fn get_mut(&mut self, key: &Key) -> Option<&mut Entry> {
        self.entries.get_mut(key)
    }

    /// Whether `signer` has an observation for `key`.
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

    /// Forgets the responses whose request `open` no longer holds
    /// (answered, cancelled, expired or evicted).
    pub fn prune_responses(&mut self, open: impl Fn(u64) -> bool) {
        self.entries
            .retain(|k, _| k.kind != WireKind::Response || open(k.round));
    }

    /// Forgets one round or request.
    pub fn forget(&mut self, key: &Key) {
        self.entries.remove(key);
    }

    /// Open rounds and requests.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is open.
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

    fn key(kind: WireKind, round: u64) -> Key {
        Key {
            kind,
            feed: 1,
            round,
        }
    }

    #[test]
    fn quorum_time_is_kept_and_rounds_are_pruned() {
        let mut p = Pool::new(H160::repeat_byte(0xee));
        let key = |round| key(WireKind::Round, round);
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
        for r in 0..MAX_ROUND_ENTRIES as u64 {
            let _ = p.add(key(100 + r), d, H160::zero(), obs(1), 3);
        }
        assert_eq!(
            p.add(key(99_999), d, H160::zero(), obs(1), 3),
            Err(PoolError::Full {
                kind: WireKind::Round,
                max: MAX_ROUND_ENTRIES
            })
        );
    }

    /// One signer's responses cannot take the rounds' room, nor more than
    /// its quota of the responses' room; this node's own observations are
    /// always kept.
    #[test]
    fn one_signer_cannot_fill_the_pool() {
        let me = H160::repeat_byte(0xee);
        let faulty = H160::repeat_byte(0xfa);
        let mut p = Pool::new(me);
        let d = H256::repeat_byte(1);
        let mut kept = 0;
        for id in 0..2_000 {
            if p.add(key(WireKind::Response, id), d, faulty, obs(1), 3)
                .is_ok()
            {
                kept += 1;
            }
        }
        assert_eq!(kept, MAX_PENDING_RESPONSES_PER_SIGNER);
        assert_eq!(
            p.add(key(WireKind::Response, 5_000), d, faulty, obs(1), 3),
            Err(PoolError::SignerQuota {
                signer: faulty,
                max: MAX_PENDING_RESPONSES_PER_SIGNER
            })
        );
        // Rounds go on.
        for signer in 1..=3u8 {
            p.add(
                key(WireKind::Round, 7),
                d,
                H160::repeat_byte(signer),
                obs(1),
                3,
            )
            .unwrap();
        }
        assert!(
            p.get(&key(WireKind::Round, 7))
                .unwrap()
                .quorum_since
                .is_some()
        );
        // Once this node observes a request the faulty signer opened, that
        // entry no longer counts against it.
        p.add(key(WireKind::Response, 0), d, me, obs(1), 3).unwrap();
        assert!(
            p.add(key(WireKind::Response, 5_000), d, faulty, obs(1), 3)
                .is_ok()
        );
        // Its own observations are never refused.
        for id in 10_000..10_000 + MAX_RESPONSE_ENTRIES as u64 {
            p.add(key(WireKind::Response, id), d, me, obs(1), 3)
                .unwrap();
        }
        // Responses leave with their requests.
        p.prune_responses(|id| id == 0);
        assert_eq!(p.len(), 2);
    }
}
