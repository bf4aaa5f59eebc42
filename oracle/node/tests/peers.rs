//! What the peer server keeps of what peers send, through the same gate
//! `/observations` uses, with real signatures: one faulty signer flooding
//! validly signed observations cannot stall a feed (REPRO H3).

use std::collections::HashMap;

use orac_oracle::testing::{example_feed, key};
use orac_oracle::{Domain, FeedConfig, Kind, Observation};
use orac_oracle_node::peer::{Gate, WireObservation};
use orac_oracle_node::pool::{
    Key, MAX_PENDING_RESPONSES_PER_SIGNER, MAX_ROUNDS_AHEAD, Pool, WireKind,
};
use orac_oracle_node::requests::{OpenRequest, OpenRequests, delivery_gas};
use orac_oracle_node::view::FeedView;
use orac_primitives::{H160, U256};
use parking_lot::{Mutex, RwLock};

const FEED: u64 = 1;
const NOW: u64 = 1_800_000_000;
const NEXT_ROUND: u64 = 5;

struct Node {
    domain: Domain,
    view: FeedView,
    views: RwLock<HashMap<u64, FeedView>>,
    requests: Mutex<OpenRequests>,
    pool: Mutex<Pool>,
}

impl Node {
    /// Signer 0's node, for a feed of signers 0-3 (f = 1).
    fn new() -> Self {
        let domain = Domain {
            chain_id: 31337,
            registry: orac_oracle::REGISTRY,
        };
        let config = FeedConfig {
            max_answer: i128::MAX,
            ..example_feed((0..4).map(|i| key(i).address()).collect())
        };
        let view = FeedView {
            id: FEED,
            digest: config.digest(&domain, FEED),
            config,
            next_round: NEXT_ROUND,
            last: None,
        };
        Self {
            domain,
            views: RwLock::new(HashMap::from([(FEED, view.clone())])),
            view,
            requests: Mutex::new(OpenRequests::default()),
            pool: Mutex::new(Pool::new(key(0).address())),
        }
    }

    fn gate(&self) -> Gate<'_> {
        Gate {
            domain: &self.domain,
            views: &self.views,
            requests: &self.requests,
            pool: &self.pool,
        }
    }

    /// Signer `who`'s observation of `value` for `kind` `round`.
    fn wire(&self, who: u8, kind: WireKind, round: u64, value: i128) -> WireObservation {
        let obs = self.domain.sign(
            Kind::from(kind),
            &key(who),
            FEED,
            self.view.digest,
            &Observation {
                round,
                observed_at: NOW,
                value,
            },
        );
        WireObservation::new(
            Key {
                kind,
                feed: FEED,
                round,
            },
            self.view.digest,
            &obs,
        )
    }

    fn admit(&self, wire: &WireObservation) -> Result<(), String> {
        self.gate().admit(wire, NOW).map(|_| ())
    }

    fn open_request(&self, id: u64) {
        self.requests.lock().insert(
            id,
            OpenRequest {
                feed: FEED,
                // One requester per request: the per-requester cap is not
                // what this file tests.
                requester: H160::from_low_u64_be(id),
                expires_at: NOW + 300,
                query: [0; 32],
                fee: U256::from(10u64.pow(15)),
                callback_gas: 100_000,
                delivery_gas: delivery_gas(Some(4)),
            },
        );
    }
}

/// REPRO H3, replayed against the gate: signer 3 posts 2,000 validly
/// signed `response` observations for request ids nobody made, and
/// observations for rounds far ahead. None is kept; the honest signers'
/// round still forms, and this node keeps its own observation.
#[test]
fn a_flood_from_one_signer_does_not_stall_the_feed() {
    let node = Node::new();
    for id in 1_000..3_000 {
        let err = node
            .admit(&node.wire(3, WireKind::Response, id, 42))
            .unwrap_err();
        assert!(err.contains("is not open here"), "{err}");
    }
    let mut kept = 0;
    for round in 0..1_000 {
        if node
            .admit(&node.wire(3, WireKind::Round, round, 42))
            .is_ok()
        {
            kept += 1;
        }
    }
    // Only the rounds near the next one.
    assert_eq!(kept, MAX_ROUNDS_AHEAD + 1);
    assert_eq!(node.pool.lock().len(), kept as usize);

    // The honest round forms: this node's own observation, then two peers'.
    let round = Key {
        kind: WireKind::Round,
        feed: FEED,
        round: NEXT_ROUND,
    };
    let own = node.domain.sign(
        Kind::Round,
        &key(0),
        FEED,
        node.view.digest,
        &Observation {
            round: NEXT_ROUND,
            observed_at: NOW,
            value: 300_000,
        },
    );
    node.pool
        .lock()
        .add(round, node.view.digest, key(0).address(), own, 3)
        .unwrap();
    for who in [1, 2] {
        node.admit(&node.wire(who, WireKind::Round, NEXT_ROUND, 300_000))
            .unwrap();
    }
    let pool = node.pool.lock();
    let entry = pool.get(&round).unwrap();
    assert!(entry.quorum_since.is_some());
    assert_eq!(entry.observations.len(), 4, "signer 3's counts too");
}

/// Responses are kept only for requests this node tracks as open, and one
/// signer holds at most its quota of those this node has not observed.
#[test]
fn responses_only_for_open_requests_within_a_quota() {
    let node = Node::new();
    node.open_request(7);
    node.admit(&node.wire(1, WireKind::Response, 7, 9)).unwrap();
    // Open, but for another feed or expired: refused.
    let other_feed = {
        let mut w = node.wire(1, WireKind::Response, 7, 9);
        w.feed = 2;
        w
    };
    assert!(
        node.admit(&other_feed)
            .unwrap_err()
            .contains("not observed here")
    );
    assert!(
        node.gate()
            .admit(&node.wire(2, WireKind::Response, 7, 9), NOW + 301)
            .unwrap_err()
            .contains("is not open here")
    );
    // A signer that is not the feed's: refused whatever it signs.
    let stranger = {
        let obs = node.domain.sign(
            Kind::Response,
            &key(9),
            FEED,
            node.view.digest,
            &Observation {
                round: 7,
                observed_at: NOW,
                value: 9,
            },
        );
        WireObservation::new(
            Key {
                kind: WireKind::Response,
                feed: FEED,
                round: 7,
            },
            node.view.digest,
            &obs,
        )
    };
    assert!(
        node.admit(&stranger)
            .unwrap_err()
            .contains("is not a signer")
    );

    // Many open requests: signer 3 may open at most its quota of entries
    // this node has not observed; others still get in.
    for id in 100..400 {
        node.open_request(id);
    }
    let kept = (100..400)
        .filter(|id| {
            node.admit(&node.wire(3, WireKind::Response, *id, 1))
                .is_ok()
        })
        .count();
    assert_eq!(kept, MAX_PENDING_RESPONSES_PER_SIGNER);
    node.admit(&node.wire(1, WireKind::Response, 399, 1))
        .unwrap();
}
