//! Reports from four oracle nodes (f = 1), honest and otherwise, through
//! the same checks the registry applies.

use orac_oracle::testing::{example_feed, key, signed_report};
use orac_oracle::*;
use orac_primitives::H160;

const NOW: u64 = 1_800_000_000;

fn domain() -> Domain {
    Domain {
        chain_id: 31337,
        registry: H160::from_low_u64_be(0x0a),
    }
}

fn feed() -> FeedConfig {
    example_feed((0..4).map(|i| key(i).address()).collect())
}

fn feed_id() -> u64 {
    7
}

/// A report of `values` by nodes `who`, signed under `d`.
fn report(d: &Domain, round: u64, who: &[u8], values: &[i128], at: u64) -> Report {
    let digest = feed().digest(&domain(), feed_id());
    let signed = who.iter().map(|i| key(*i)).zip(values.iter().copied());
    signed_report(d, Kind::Round, feed_id(), digest, round, at, signed)
}

#[test]
fn an_honest_quorum_makes_a_round_with_the_median() {
    let r = report(&domain(), 1, &[0, 1, 2], &[300_000, 300_200, 299_900], NOW);
    let round = domain().verify(&r, &feed(), None, NOW).unwrap();
    assert_eq!(round.answer, 300_000);
    assert_eq!(round.observed_at, NOW);
    assert_eq!(
        round.signers,
        vec![key(0).address(), key(1).address(), key(2).address()]
    );
}

#[test]
fn one_node_lying_by_100x_stays_outside_the_answer() {
    for liar in 0..4u8 {
        let mut values = [300_000i128, 300_100, 299_950, 300_050];
        values[liar as usize] *= 100;
        let r = report(&domain(), 1, &[0, 1, 2, 3], &values, NOW);
        let a = domain().verify(&r, &feed(), None, NOW).unwrap().answer;
        assert!((299_950..=300_100).contains(&a), "liar {liar}: answer {a}");
        // Also when the liar is one of only three observations.
        let who: Vec<u8> = (0..4).filter(|i| *i != (liar + 1) % 4).collect();
        let vals: Vec<i128> = who.iter().map(|i| values[*i as usize]).collect();
        let r = report(&domain(), 1, &who, &vals, NOW);
        let a = domain().verify(&r, &feed(), None, NOW).unwrap().answer;
        assert!(
            (299_950..=300_100).contains(&a),
            "liar {liar} of 3: answer {a}"
        );
    }
}

#[test]
fn two_observations_are_not_a_quorum() {
    let r = report(&domain(), 1, &[0, 1], &[1, 1], NOW);
    assert_eq!(
        domain().verify(&r, &feed(), None, NOW),
        Err(ReportError::TooFewObservations { got: 2, need: 3 })
    );
}

#[test]
fn forged_and_tampered_observations_are_refused() {
    // Signed by a key that is not in the signer set.
    let mut r = report(&domain(), 1, &[0, 1, 9], &[5, 5, 5], NOW);
    assert!(matches!(
        domain().verify(&r, &feed(), None, NOW),
        Err(ReportError::UnknownSigner { index: 2, .. })
    ));
    // An honest signature whose value was changed afterwards recovers to
    // some other address.
    r = report(&domain(), 1, &[0, 1, 2], &[5, 5, 5], NOW);
    r.observations[1].value = 500;
    assert!(matches!(
        domain().verify(&r, &feed(), None, NOW),
        Err(ReportError::UnknownSigner { index: 1, .. })
    ));
    // A high-s (malleable) copy of a valid signature is invalid.
    r = report(&domain(), 1, &[0, 1, 2], &[5, 5, 5], NOW);
    let n = orac_primitives::U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let sig = &mut r.observations[0].signature;
    sig.s = n - sig.s;
    sig.y_parity = !sig.y_parity;
    assert_eq!(
        domain().verify(&r, &feed(), None, NOW),
        Err(ReportError::BadSignature { index: 0 })
    );
}

#[test]
fn duplicate_signers_are_refused() {
    let r = report(&domain(), 1, &[0, 1, 1], &[5, 5, 5], NOW);
    assert_eq!(
        domain().verify(&r, &feed(), None, NOW),
        Err(ReportError::DuplicateSigner {
            index: 2,
            signer: key(1).address()
        })
    );
}

#[test]
fn replayed_and_stale_reports_are_refused() {
    let r = report(&domain(), 7, &[0, 1, 2], &[5, 5, 5], NOW);
    // The same round again, or an older one.
    for last in [7, 8] {
        assert_eq!(
            domain().verify(&r, &feed(), Some((last, NOW - 10)), NOW),
            Err(ReportError::StaleRound { got: 7, last })
        );
    }
    // A newer round number, but observations older than the last round's.
    assert!(matches!(
        domain().verify(&r, &feed(), Some((6, NOW + 1)), NOW + 5),
        Err(ReportError::ObservationTooOld { index: 0, .. })
    ));
    // Observations from too far in the future.
    let r = report(&domain(), 7, &[0, 1, 2], &[5, 5, 5], NOW + 61);
    assert!(matches!(
        domain().verify(&r, &feed(), None, NOW),
        Err(ReportError::ObservationInFuture { .. })
    ));
    assert!(domain().verify(&r, &feed(), None, NOW + 1).is_ok());
}

#[test]
fn reports_for_another_chain_registry_or_config_are_refused() {
    // Signatures made for chain 1 carry chain 1 in their digest.
    let other_chain = Domain {
        chain_id: 1,
        ..domain()
    };
    let r = report(&other_chain, 1, &[0, 1, 2], &[5, 5, 5], NOW);
    assert!(matches!(
        domain().verify(&r, &feed(), None, NOW),
        Err(ReportError::UnknownSigner { index: 0, .. })
    ));
    let other_registry = Domain {
        registry: H160::repeat_byte(1),
        ..domain()
    };
    let r = report(&other_registry, 1, &[0, 1, 2], &[5, 5, 5], NOW);
    assert!(domain().verify(&r, &feed(), None, NOW).is_err());
    // A reconfigured feed (new version) refuses reports for the old one.
    let r = report(&domain(), 1, &[0, 1, 2], &[5, 5, 5], NOW);
    let mut newer = feed();
    newer.version = 2;
    assert!(matches!(
        domain().verify(&r, &newer, None, NOW),
        Err(ReportError::WrongConfig { .. })
    ));
    // And a report for another feed id.
    let mut r = report(&domain(), 1, &[0, 1, 2], &[5, 5, 5], NOW);
    r.feed_id = 1;
    assert!(matches!(
        domain().verify(&r, &feed(), None, NOW),
        Err(ReportError::WrongConfig { .. })
    ));
}

#[test]
fn reports_round_trip_through_the_solidity_abi() {
    let r = report(&domain(), 3, &[3, 0, 2], &[-5, i128::MAX, i128::MIN], NOW);
    let bytes = r.abi_encode();
    assert_eq!(Report::abi_decode(&bytes).unwrap(), r);
    // Truncated or garbage input is refused, never a panic.
    for cut in [0, 4, 31, 32, 100, bytes.len() - 1] {
        assert!(matches!(
            Report::abi_decode(&bytes[..cut]),
            Err(ReportError::Malformed(_))
        ));
    }
    // v must be 27 or 28: patch the first observation's v word.
    let mut bad = bytes.clone();
    let v_at = bad.len() - 3 * 5 * 32 + 4 * 32 + 31;
    assert!(bad[v_at] == 27 || bad[v_at] == 28);
    bad[v_at] = 29;
    assert!(matches!(
        Report::abi_decode(&bad),
        Err(ReportError::Malformed(_))
    ));
}

#[test]
fn feed_configs_are_checked() {
    let mut c = feed();
    assert_eq!(c.validate(), Ok(()));
    c.signers.pop();
    assert_eq!(
        c.validate(),
        Err(ConfigError::TooFewSigners {
            n: 3,
            f: 1,
            need: 4
        })
    );
    c = feed();
    c.signers[3] = c.signers[0];
    assert!(matches!(c.validate(), Err(ConfigError::DuplicateSigner(_))));
    c = feed();
    c.min_answer = 10;
    c.max_answer = 9;
    assert!(matches!(c.validate(), Err(ConfigError::EmptyBounds { .. })));
    assert!(feed().in_bounds(300_000) && !feed().in_bounds(0));
}
