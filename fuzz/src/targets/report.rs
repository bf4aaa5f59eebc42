//! Oracle reports, as a transmitter hands them to the registry
//! (`transmit(bytes report)`, `respond(bytes report)`):
//! `Report::abi_decode`, then `Domain::verify` / `Domain::check`.
//!
//! Seeds: real reports signed by a feed's four signers (f = 1), for
//! rounds and for responses. Mutations work on the ABI's 32-byte words
//! (offsets, lengths, values set to edges, words dropped, duplicated and
//! swapped) as well as on bytes. Properties:
//!
//! * what decodes re-encodes to a report that decodes to the same report;
//! * what decodes was in the canonical encoding (`Report::abi_decode`
//!   documents that it refuses "anything that does not decode exactly");
//! * a report that verifies holds only observations that were really
//!   signed (kind, feed, config digest, round, time, value, signer), from
//!   distinct authorized signers, at least a quorum of them, and its
//!   answer and time are the lower medians of what they observed.

use std::collections::HashSet;

use orac_bench::vmkit::Rng;
use orac_oracle::REGISTRY;
use orac_oracle::testing::example_feed;
use orac_oracle::{Domain, Expect, FeedConfig, Kind, Observation, Report, Round};
use orac_primitives::{H160, H256, PrivateKey};

use super::key;
use crate::harness::Target;
use crate::mutate::{self, chance, pick};

/// A signed observation as the registry would accept it: (kind, feed,
/// config digest, round, observed at, value, signer).
pub(crate) type Genuine = (Kind, u64, H256, u64, u64, i128, H160);

/// A feed with four signers (keys 0x51..=0x54), f = 1, on `chain_id`.
pub(crate) struct OracleFixture {
    pub domain: Domain,
    pub feed_id: u64,
    pub feed: FeedConfig,
    pub signers: Vec<PrivateKey>,
}

/// A fixed time inside every bound (2025-01-01).
pub(crate) const T0: u64 = 1_735_689_600;

impl OracleFixture {
    pub(crate) fn new(chain_id: u64, admin: H160) -> Self {
        let signers: Vec<PrivateKey> = (0x51..=0x54).map(key).collect();
        Self {
            domain: Domain {
                chain_id,
                registry: REGISTRY,
            },
            feed_id: 1,
            feed: FeedConfig {
                admin,
                ..example_feed(signers.iter().map(PrivateKey::address).collect())
            },
            signers,
        }
    }

    pub(crate) fn digest(&self) -> H256 {
        self.feed.digest(&self.domain, self.feed_id)
    }

    /// A report of `values` by signers `who` (indexes), observed at `at`;
    /// what it signs is added to `genuine`.
    pub(crate) fn report(
        &self,
        kind: Kind,
        round: u64,
        who: &[usize],
        values: &[i128],
        at: u64,
        genuine: &mut HashSet<Genuine>,
    ) -> Report {
        let digest = self.digest();
        let observations = who
            .iter()
            .zip(values)
            .map(|(i, v)| {
                let obs = Observation {
                    round,
                    observed_at: at + *i as u64,
                    value: *v,
                };
                let key = &self.signers[*i];
                genuine.insert((
                    kind,
                    self.feed_id,
                    digest,
                    round,
                    obs.observed_at,
                    *v,
                    key.address(),
                ));
                self.domain.sign(kind, key, self.feed_id, digest, &obs)
            })
            .collect();
        Report {
            feed_id: self.feed_id,
            config_digest: digest,
            round,
            observations,
        }
    }

    /// Seeds of both kinds, over several rounds and value shapes.
    pub(crate) fn seeds(&self, genuine: &mut HashSet<Genuine>) -> Vec<Report> {
        let mut out = Vec::new();
        let shapes: [(&[usize], &[i128]); 5] = [
            (
                &[0, 1, 2],
                &[300_000_000_000, 300_100_000_000, 299_900_000_000],
            ),
            (&[0, 1, 2, 3], &[1, 2, 3, 4]),
            (&[3, 1, 0], &[100_000_000_000_000, 5, 7]),
            (&[2, 3, 0, 1], &[-5, i128::MAX, i128::MIN, 0]),
            (&[1, 2, 3], &[42, 42, 42]),
        ];
        for round in 1..=4 {
            for (who, values) in shapes {
                for kind in [Kind::Round, Kind::Response] {
                    out.push(self.report(kind, round, who, values, T0, genuine));
                }
            }
        }
        out
    }
}

pub(crate) struct ReportTarget {
    fixture: OracleFixture,
    seeds: Vec<Vec<u8>>,
    genuine: HashSet<Genuine>,
    decoded: u64,
    non_canonical: u64,
    verified: u64,
}

impl ReportTarget {
    pub(crate) fn new() -> Self {
        let fixture = OracleFixture::new(31_337, H160::repeat_byte(0xad));
        let mut genuine = HashSet::new();
        let seeds = fixture
            .seeds(&mut genuine)
            .iter()
            .map(Report::abi_encode)
            .collect();
        Self {
            fixture,
            seeds,
            genuine,
            decoded: 0,
            non_canonical: 0,
            verified: 0,
        }
    }

    fn check_round(&self, kind: Kind, report: &Report, round: &Round) -> Result<(), String> {
        let n = report.observations.len();
        if round.signers.len() != n || n < self.fixture.feed.quorum() {
            return Err(format!(
                "verified with {} signers for {n} observations",
                round.signers.len()
            ));
        }
        for (i, (o, s)) in report.observations.iter().zip(&round.signers).enumerate() {
            if round.signers[..i].contains(s) {
                return Err(format!("signer {s:?} counted twice"));
            }
            let entry = (
                kind,
                report.feed_id,
                report.config_digest,
                report.round,
                o.observed_at,
                o.value,
                *s,
            );
            if !self.genuine.contains(&entry) {
                return Err(format!(
                    "verified an observation nobody signed\n  {entry:?}"
                ));
            }
        }
        let mut values: Vec<i128> = report.observations.iter().map(|o| o.value).collect();
        let mut times: Vec<u64> = report.observations.iter().map(|o| o.observed_at).collect();
        values.sort_unstable();
        times.sort_unstable();
        if round.answer != values[(n - 1) / 2] || round.observed_at != times[(n - 1) / 2] {
            return Err("answer or time is not the lower median".into());
        }
        if round.round != report.round {
            return Err("round number changed".into());
        }
        Ok(())
    }
}

/// Edits one 32-byte word of ABI data: an offset or length set to an
/// edge (zero, past the end, 2^64, 2^256-1), or words dropped,
/// duplicated or swapped, which moves everything after them.
pub(crate) fn abi_words(data: &mut Vec<u8>, rng: &mut Rng) {
    let words = data.len() / 32;
    if words == 0 {
        return;
    }
    let w = rng.below(words as u64) as usize * 32;
    match rng.below(6) {
        0 => {
            let mut word = [0u8; 32];
            let edge: u64 = *pick(
                rng,
                &[
                    0,
                    1,
                    0x20,
                    0x40,
                    data.len() as u64,
                    data.len() as u64 + 32,
                    u32::MAX as u64,
                    u64::MAX,
                    31,
                ],
            );
            word[24..].copy_from_slice(&edge.to_be_bytes());
            data[w..w + 32].copy_from_slice(&word);
        }
        1 => data[w..w + 32].fill(0xff),
        2 => {
            // A dirty high byte in a word that holds a small number.
            data[w] = rng.next_u64() as u8 | 1;
        }
        3 => {
            data.drain(w..w + 32);
        }
        4 => {
            let copy = data[w..w + 32].to_vec();
            data.splice(w..w, copy);
        }
        _ => {
            let v = rng.below(words as u64) as usize * 32;
            for i in 0..32 {
                data.swap(w + i, v + i);
            }
        }
    }
}

impl Target for ReportTarget {
    fn input(&mut self, rng: &mut Rng) -> Vec<u8> {
        let mut data = pick(rng, &self.seeds).clone();
        if chance(rng, 8) {
            return data;
        }
        for _ in 0..=rng.below(2) {
            abi_words(&mut data, rng);
        }
        if chance(rng, 3) {
            mutate::bytes(&mut data, rng, &self.seeds);
        }
        data
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let Ok(report) = Report::abi_decode(input) else {
            return Ok(());
        };
        self.decoded += 1;
        let encoded = report.abi_encode();
        match Report::abi_decode(&encoded) {
            Ok(again) if again == report => {}
            other => return Err(format!("decode(encode(report)) != report: {other:?}")),
        }
        let f = &self.fixture;
        let now = T0 + 30;
        for last in [None, Some((1, T0))] {
            if let Ok(round) = f.domain.verify(&report, &f.feed, last, now) {
                self.verified += 1;
                self.check_round(Kind::Round, &report, &round)?;
            }
        }
        let expect = Expect {
            kind: Kind::Response,
            config_digest: f.digest(),
            quorum: f.feed.quorum(),
            signers: f.feed.signers.len(),
            min_round: 2,
            min_time: T0,
            now,
        };
        if let Ok(round) = f.domain.check(&report, &expect) {
            // `check` leaves signer membership to the registry, which
            // looks each signer up in storage: any signature recovers to
            // some address, and only the feed's signers count.
            if round.signers.iter().all(|s| f.feed.signers.contains(s)) {
                self.verified += 1;
                self.check_round(Kind::Response, &report, &round)?;
            }
        }
        // Last, as the checks above hold for such input too: the decoder
        // promises to refuse "anything that does not decode exactly".
        if encoded != input {
            self.non_canonical += 1;
            return Err(format!(
                "Report::abi_decode accepted a non-canonical encoding\n  {} bytes, canonical {}",
                input.len(),
                encoded.len()
            ));
        }
        Ok(())
    }

    fn stats(&self) -> String {
        format!(
            "{} decoded ({} not in canonical encoding), {} verified",
            self.decoded, self.non_canonical, self.verified
        )
    }
}
