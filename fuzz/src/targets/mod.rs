//! The decoder targets: everything orac decodes from bytes it did not
//! produce. Each one starts from valid seeds (real signed transactions,
//! requests, reports, configs), mutates them with [`crate::mutate`] and
//! checks properties, not only that nothing panics.

pub(crate) mod config;
pub(crate) mod params;
pub(crate) mod peer;
pub(crate) mod price;
pub(crate) mod report;
pub(crate) mod rpc;
pub(crate) mod spec;
pub(crate) mod tx;

use orac_primitives::PrivateKey;

use crate::harness::Target;

/// The targets `--target` names, in the order `--target decoders` runs them.
pub(crate) const NAMES: &[&str] = &[
    "tx",
    "rpc-params",
    "rpc",
    "report",
    "peer",
    "chain-spec",
    "oracle-config",
    "price",
];

pub(crate) fn make(name: &str, seed: u64) -> Option<Box<dyn Target>> {
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
/// (and do not fail on them); `regressions::every_target_holds_its_properties_on_a_short_run`
/// replays its input and fails as soon as it is fixed, so the entry
/// cannot outlive the bug.
pub(crate) struct Known {
    pub target: &'static str,
    /// The start of the finding's message.
    pub message: &'static str,
    /// The ignored regression test that passes once it is fixed.
    pub test: &'static str,
    /// An input that shows it (hex; replayed by the regression tests).
    #[cfg_attr(not(test), allow(dead_code))]
    pub input: &'static str,
}

pub(crate) const KNOWN: &[Known] = &[
    // None open. Fixed, with their regression tests in `regressions`:
    // chain specs with a chain id past EIP-155's range
    // (`a_valid_chain_spec_has_an_eip155_chain_id`) and reports decoded
    // from non-canonical encodings
    // (`reports_decode_from_their_canonical_encoding_only`).
];

pub(crate) fn known(target: &str, message: &str) -> Option<&'static Known> {
    KNOWN
        .iter()
        .find(|k| k.target == target && message.starts_with(k.message))
}

/// A fixed test key (never a real one): `[n; 32]`.
pub(crate) fn key(n: u8) -> PrivateKey {
    PrivateKey::from_bytes(&[n; 32]).expect("a valid test key")
}
