//! Regression tests: inputs the decoder targets found, kept so the bug
//! they showed stays fixed (or, while it is open, so it stays tracked),
//! and a short run of every target, whose seeds and mutants must hold its
//! properties (a target whose own seeds fail would only report noise).

use orac_bench::vmkit::Rng;
use orac_chain::ChainSpec;

use crate::harness::{Limits, check, fuzz};
use crate::targets::{self, KNOWN, NAMES};

/// A short seeded run of every target finds nothing new; every known,
/// open finding (`targets::KNOWN`) still shows with its input — when one
/// stops showing, its bug was fixed: take it out of the list and
/// un-ignore its regression test.
#[test]
fn every_target_holds_its_properties_on_a_short_run() {
    for name in NAMES {
        let execs = if *name == "rpc" { 300 } else { 3_000 };
        let mut target = targets::make(name, 7).expect("a target");
        let summary = fuzz(
            name,
            target.as_mut(),
            &mut Rng(7),
            &Limits {
                execs: Some(execs),
                seconds: None,
                findings_dir: None,
                save_each: false,
            },
        );
        assert_eq!(summary.execs, execs);
        assert!(
            summary.findings.is_empty(),
            "{name}: {:?}",
            summary.findings
        );
        for k in KNOWN.iter().filter(|k| k.target == *name) {
            let input = hex::decode(k.input).expect("hex input");
            match check(target.as_mut(), &input) {
                Err(msg) if msg.starts_with(k.message) => {}
                other => panic!(
                    "{name}: {:?} no longer gives {:?} ({other:?}): fixed? Remove it from KNOWN and un-ignore {}",
                    k.input, k.message, k.test
                ),
            }
        }
    }
}

/// Found by the chain-spec target: `ChainSpec::validate` accepts a chain
/// id no legacy (EIP-155) transaction can carry, as `v`, which is
/// chainId × 2 + 35 + parity, must fit the u64 it is decoded into. Either
/// the spec is refused or every transaction type works for its chain.
#[test]
fn a_valid_chain_spec_has_an_eip155_chain_id() {
    for id in [
        u64::MAX,
        (u64::MAX - 36) / 2 + 1,
        11_341_604_459_428_299_149,
    ] {
        let spec: ChainSpec =
            serde_json::from_str(&format!(r#"{{"chainId": {id}}}"#)).expect("parses");
        if spec.validate(&orac_chain::ChainRules::standard()).is_ok() {
            crate::targets::spec::chain_id_usable(id).unwrap();
        }
    }
    // The largest id that fits is fine.
    crate::targets::spec::chain_id_usable((u64::MAX - 36) / 2).unwrap();
}

/// Found by the report target: `Report::abi_decode` takes encodings
/// other than the one `abi_encode` writes — dirty high bytes in the
/// uint64 and uint8 words, bytes after the end — though it documents that
/// it refuses anything that does not decode exactly.
#[test]
fn reports_decode_from_their_canonical_encoding_only() {
    use orac_oracle::{Kind, Report};

    use crate::targets::report::{OracleFixture, T0};
    let f = OracleFixture::new(31_337, orac_primitives::H160::repeat_byte(1));
    let report = f.report(
        Kind::Round,
        1,
        &[0, 1, 2],
        &[1, 2, 3],
        T0,
        &mut Default::default(),
    );
    let canonical = report.abi_encode();
    assert_eq!(Report::abi_decode(&canonical), Ok(report));
    // feedId, round, each observedAt and v: a dirty high byte each.
    for word in [1, 3, 6, 10, 11, 15, 16, 20] {
        let mut dirty = canonical.clone();
        dirty[word * 32] = 0x01;
        assert!(Report::abi_decode(&dirty).is_err(), "word {word}");
    }
    let mut trailing = canonical.clone();
    trailing.extend([0; 32]);
    assert!(Report::abi_decode(&trailing).is_err(), "trailing bytes");
}

/// The tx target takes a refusal and a valid transaction as they are.
#[test]
fn the_tx_target_accepts_refusals_and_valid_transactions() {
    let mut target = targets::make("tx", 1).expect("tx");
    let valid = crate::targets::tx::generate(&mut Rng(3), &[targets::key(1)])
        .0
        .encoded()
        .to_vec();
    assert_eq!(check(target.as_mut(), &valid), Ok(()));
    assert_eq!(check(target.as_mut(), &[0xc0]), Ok(()));
}
