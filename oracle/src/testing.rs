//! Feeds and reports for tests, benchmarks and fuzz seeds (feature
//! `test-utils`): one place for the example feed and for signing a whole
//! report with keys a test holds, which no real node ever does.

use std::borrow::Borrow;

use orac_primitives::{H160, H256, PrivateKey};

use crate::{Domain, FeedConfig, Kind, Observation, Report};

/// The test key `i` (below 255): the secret `[i + 1; 32]`, never the
/// invalid zero key.
pub fn key(i: u8) -> PrivateKey {
    PrivateKey::from_bytes(&[i + 1; 32]).expect("a nonzero secret below the order")
}

/// The example feed (docs/oracle.md): "ETH / USD" at 8 decimals, signed by
/// `signers` of which f = 1 may be faulty, a one-hour heartbeat, a 0.5%
/// deviation trigger, answers from 1 to 10^6 dollars, admin `0xadad…`,
/// version 1. Change a field with `FeedConfig { field, ..example_feed(s) }`.
pub fn example_feed(signers: Vec<H160>) -> FeedConfig {
    FeedConfig {
        description: "ETH / USD".into(),
        decimals: 8,
        signers,
        f: 1,
        heartbeat_secs: 3600,
        deviation_ppb: 5_000_000,
        min_answer: 1,
        max_answer: 1_000_000 * 100_000_000,
        admin: H160::repeat_byte(0xad),
        version: 1,
    }
}

/// A report for `round` of feed `feed_id` under `config_digest`: one
/// observation per `(key, value)`, in order, each observed at
/// `observed_at` and signed for `kind` under `domain`.
pub fn signed_report<K: Borrow<PrivateKey>>(
    domain: &Domain,
    kind: Kind,
    feed_id: u64,
    config_digest: H256,
    round: u64,
    observed_at: u64,
    signed: impl IntoIterator<Item = (K, i128)>,
) -> Report {
    let observations = signed
        .into_iter()
        .map(|(key, value)| {
            let obs = Observation {
                round,
                observed_at,
                value,
            };
            domain.sign(kind, key.borrow(), feed_id, config_digest, &obs)
        })
        .collect();
    Report {
        feed_id,
        config_digest,
        round,
        observations,
    }
}
