//! Oracle peer messages: the JSON observations nodes POST to each other's
//! `/observations` (`orac_oracle_node::peer::WireObservation`), parsed as
//! the server's `Json` extractor does, then opened (value and signature
//! decoded, signer recovered).
//!
//! Seeds: real observations signed by the feed's signers, of both kinds.
//! Properties:
//!
//! * what parses serializes and parses back to the same message;
//! * what opens with a signature of one of the feed's signers (the node
//!   drops the rest) was really signed: its (kind, feed, digest, round,
//!   time, value, signer) is one the signers produced;
//! * opening is stable under re-encoding: the observation written again
//!   with `WireObservation::new` opens to the same signer and values.
//!   (Messages that open but are not in the form `new` writes, such as a
//!   `+` before the value or an upper-case signature, are counted.)

use std::collections::HashSet;

use orac_bench::vmkit::Rng;
use orac_oracle::{Kind, Observation};
use orac_oracle_node::peer::WireObservation;
use orac_oracle_node::pool::{Key, WireKind};
use orac_primitives::H160;

use super::report::{Genuine, OracleFixture, T0};
use crate::harness::Target;
use crate::mutate;

const FIELDS: &[&str] = &[
    "kind",
    "feed",
    "round",
    "config_digest",
    "observed_at",
    "value",
    "signature",
];
const STRINGS: &[&str] = &["round", "response", "Round", "+1", "-0", "007", "1e3", " 5"];

pub(crate) struct PeerTarget {
    fixture: OracleFixture,
    seeds: Vec<Vec<u8>>,
    genuine: HashSet<Genuine>,
    parsed: u64,
    opened: u64,
    authorized: u64,
    non_canonical: u64,
}

impl PeerTarget {
    pub(crate) fn new() -> Self {
        let fixture = OracleFixture::new(31_337, H160::repeat_byte(0xad));
        let mut genuine = HashSet::new();
        let digest = fixture.digest();
        let mut seeds = Vec::new();
        for (i, key) in fixture.signers.iter().enumerate() {
            for (kind, wire_kind) in [
                (Kind::Round, WireKind::Round),
                (Kind::Response, WireKind::Response),
            ] {
                for (round, value) in [(1u64, 300_000_000_000i128), (2, -1), (7, i128::MAX), (3, 0)]
                {
                    let obs = Observation {
                        round,
                        observed_at: T0 + i as u64,
                        value,
                    };
                    let signed = fixture
                        .domain
                        .sign(kind, key, fixture.feed_id, digest, &obs);
                    genuine.insert((
                        kind,
                        fixture.feed_id,
                        digest,
                        round,
                        obs.observed_at,
                        value,
                        key.address(),
                    ));
                    let wire = WireObservation::new(
                        Key {
                            kind: wire_kind,
                            feed: fixture.feed_id,
                            round,
                        },
                        digest,
                        &signed,
                    );
                    seeds.push(serde_json::to_vec(&wire).expect("serializes"));
                }
            }
        }
        Self {
            fixture,
            seeds,
            genuine,
            parsed: 0,
            opened: 0,
            authorized: 0,
            non_canonical: 0,
        }
    }
}

impl Target for PeerTarget {
    fn input(&mut self, rng: &mut Rng) -> Vec<u8> {
        mutate::json_seed(rng, &self.seeds, (4, 3), FIELDS, STRINGS)
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let Ok(wire) = serde_json::from_slice::<WireObservation>(input) else {
            return Ok(());
        };
        self.parsed += 1;
        let text = serde_json::to_vec(&wire).map_err(|e| format!("does not serialize: {e}"))?;
        match serde_json::from_slice::<WireObservation>(&text) {
            Ok(again) if again == wire => {}
            other => return Err(format!("serialize/parse round trip: {other:?}")),
        }
        let Ok((signer, obs)) = wire.open(&self.fixture.domain) else {
            return Ok(());
        };
        self.opened += 1;
        // Any signature recovers to some address; the node keeps only
        // those of the feed's signers (peer.rs `accept`). Those must be
        // real.
        if !self.fixture.feed.signers.contains(&signer) {
            return Ok(());
        }
        self.authorized += 1;
        let kind = match wire.kind {
            WireKind::Round => Kind::Round,
            WireKind::Response => Kind::Response,
        };
        let entry = (
            kind,
            wire.feed,
            wire.config_digest,
            wire.round,
            obs.observed_at,
            obs.value,
            signer,
        );
        if !self.genuine.contains(&entry) {
            return Err(format!("opened an observation nobody signed\n  {entry:?}"));
        }
        let rewritten = WireObservation::new(wire.key(), wire.config_digest, &obs);
        if rewritten != wire {
            self.non_canonical += 1;
        }
        match rewritten.open(&self.fixture.domain) {
            Ok((s, o)) if s == signer && o == obs => Ok(()),
            other => Err(format!(
                "the rewritten observation opens differently: {other:?}"
            )),
        }
    }

    fn stats(&self) -> String {
        format!(
            "{} parsed, {} opened, {} from a feed signer ({} not in the form nodes write)",
            self.parsed, self.opened, self.authorized, self.non_canonical
        )
    }
}
