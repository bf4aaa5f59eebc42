//! The decoder targets: everything orac decodes from bytes it did not
//! produce. Each one starts from valid seeds (real signed transactions,
//! requests, reports, configs), mutates them with [`crate::mutate`] and
//! checks properties, not only that nothing panics.

pub mod config;
pub mod params;
pub mod peer;
pub mod price;
pub mod report;
pub mod rpc;
pub mod spec;
pub mod tx;

use orac_primitives::PrivateKey;

use crate::harness::Target;

/// The targets `--target` names, in the order `--target decoders` runs them.
pub const NAMES: &[&str] = &[
    "tx",
    "rpc-params",
    "rpc",
    "report",
    "peer",
    "chain-spec",
    "oracle-config",
    "price",
];

pub fn make(name: &str, seed: u64) -> Option<Box<dyn Target>> {
    Some(match name {
        "tx" => Box::new(tx::TxTarget::new(seed)),
        "rpc-params" => Box::new(params::ParamsTarget::new()),
        "rpc" => Box::new(rpc::RpcTarget::new()),
        "report" => Box::new(report::ReportTarget::new()),
        "peer" => Box::new(peer::PeerTarget::new()),
        "chain-spec" => Box::new(spec::SpecTarget::new()),
        "oracle-config" => Box::new(config::ConfigTarget::new()),
        "price" => Box::new(price::PriceTarget::new()),
        _ => return None,
    })
}

/// A finding that is understood, reported and still open: its fix is
/// outside the fuzz crate. Runs report its hits apart from new findings
/// (and do not fail on them); `regressions::known_findings_still_reproduce`
/// fails as soon as it is fixed, so the entry cannot outlive the bug.
pub struct Known {
    pub target: &'static str,
    /// The start of the finding's message.
    pub message: &'static str,
    /// The ignored regression test that passes once it is fixed.
    pub test: &'static str,
    /// An input that shows it (hex; replayed by the regression tests).
    #[cfg_attr(not(test), allow(dead_code))]
    pub input: &'static str,
}

pub const KNOWN: &[Known] = &[
    // ChainSpec::validate takes any non-zero u64 chain id, but a legacy
    // (EIP-155) transaction carries chainId × 2 + 35 + parity in a u64
    // `v`: past (2^64 - 36) / 2 signing one overflows (a panic in debug
    // builds, a wrong `v` in release) and no client's legacy transaction
    // for the chain can be decoded. Fix: chain/src/spec.rs.
    Known {
        target: "chain-spec",
        message: "a Legacy transaction cannot be used on a valid spec's chain",
        test: "regressions::a_valid_chain_spec_has_an_eip155_chain_id",
        // {"chainId": 18446744073709551615}
        input: "7b22636861696e4964223a2031383434363734343037333730393535313631357d",
    },
    // Report::abi_decode says it refuses "anything that does not decode
    // exactly", but alloy's default (non-strict) decoding ignores the
    // high bytes of uint64/uint8 words and accepts trailing bytes and
    // overlapping offsets: one report has many encodings. Signatures bind
    // the decoded values, so nothing is forged; the encoding is
    // malleable. Fix: oracle/src/report.rs.
    Known {
        target: "report",
        message: "Report::abi_decode accepted a non-canonical encoding",
        test: "regressions::reports_decode_from_their_canonical_encoding_only",
        // A report with no observations whose feedId word has a dirty
        // high byte (0xff00…01): decoded as feed 1.
        input: "0000000000000000000000000000000000000000000000000000000000000020ff00000000000000000000000000000000000000000000000000000000000001c47cc2a10f402fd7e039d80982f7ba573902d9fef871b6520cb2f8e1f6485ec2000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000800000000000000000000000000000000000000000000000000000000000000000",
    },
];

pub fn known(target: &str, message: &str) -> Option<&'static Known> {
    KNOWN
        .iter()
        .find(|k| k.target == target && message.starts_with(k.message))
}

/// A fixed test key (never a real one): `[n; 32]`.
pub fn key(n: u8) -> PrivateKey {
    PrivateKey::from_bytes(&[n; 32]).expect("a valid test key")
}
