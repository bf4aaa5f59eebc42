//! ethereum/tests `TransactionTests` against orac's transaction rules.
//!
//! The vectors live in `tests/conformance/TransactionTests` (copied
//! verbatim; `tests/conformance/SOURCES.md` says from where). Each one is
//! raw transaction bytes and, per fork, what Ethereum makes of them: an
//! exception, or the hash, sender and intrinsic gas. We take the Cancun
//! result (61 files were never refilled for Cancun; for those the latest
//! fork they list, all of whose results are exceptions) and run the bytes
//! through what orac does to a transaction that arrives from outside:
//!
//! 1. `SignedTransaction::decode` (canonical encodings only);
//! 2. `RecoveredTx::recover`;
//! 3. hash, sender and `Transaction::intrinsic_gas` against the vector;
//! 4. admission's checks that depend on nothing but the transaction:
//!    `executor::check_static` and `executor::check_fees` at base fee 0
//!    (only its tip-above-fee-cap rule can fire then).
//!
//! Every vector must give the same verdict as Ethereum, and a refusal must
//! come from the orac rule that matches Ethereum's exception (see
//! [`matches`]). Where orac differs on purpose, the vector is in
//! [`ALLOWED`] with the reason; an allowed vector that stops deviating
//! fails the test too, so the list cannot go stale.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use orac_chain::InvalidTx;
use orac_chain::executor::{check_fees, check_static};
use orac_primitives::{
    H160, H256, RecoveredTx, SignatureError, SignedTransaction, TxError, U256, keccak256,
};
use serde_json::Value;

/// The vectors are filled for Ethereum mainnet.
const CHAIN_ID: u64 = 1;

/// The vectors have no block, so no block gas limit applies (orac's own
/// limit is checked by the executor tests).
const BLOCK_GAS_LIMIT: u64 = u64::MAX;

/// Forks, newest first: the first one a vector lists is what it is
/// checked against.
const FORKS: &[&str] = &[
    "Cancun",
    "Shanghai",
    "Paris",
    "London",
    "Berlin",
    "Istanbul",
    "ConstantinopleFix",
    "Constantinople",
    "Byzantium",
    "EIP158",
    "EIP150",
    "Homestead",
    "Frontier",
];

/// Vectors where orac deliberately differs from Ethereum, keyed by
/// `folder/file` (without `.json`), with the reason. Everything else must
/// match.
const ALLOWED: &[(&str, &str)] = &[
    // Contract creation data on orac is a WebAssembly deploy envelope
    // (0xEF6F5701 ‖ module length ‖ module ‖ constructor arguments), not
    // EVM init code, and admission refuses a creation that is not one (it
    // could only fail, charging all its gas). `check_static` runs that
    // check last, so `BadCreation` also says every other rule passed;
    // decoding, sender, hash and intrinsic gas are still compared.
    ("ttData/dataTx_bcValidBlockTest", CREATION),
    ("ttEIP3860/DataTestEnoughGasInitCode", CREATION),
    ("ttEIP3860/DataTestInitCodeLimit", CREATION),
    ("ttSignature/Vitalik_12", CREATION),
    ("ttSignature/Vitalik_14", CREATION),
    ("ttSignature/libsecp256k1test", CREATION),
    // EIP-3860's 49,152-byte cap is EVM init code's; an orac deploy
    // envelope carries a WebAssembly module of up to 120 KiB
    // (orac_vm::limits::MAX_CODE_SIZE), bounded at admission by the
    // 128 KiB transaction size. orac refuses this one too, as not an
    // envelope, which is not the reason Ethereum gives.
    (
        "ttEIP3860/DataTestInitCodeTooBig",
        "no 49,152-byte init code cap: orac modules may be up to 120 KiB",
    ),
    // value = 2^256-1 at gas price 1: Ethereum's static rule bounds only
    // gas × maxFeePerGas, and the value part fails later, at execution,
    // as insufficient funds. orac refuses gas × maxFeePerGas + value past
    // 2^256-1 at admission (CostOverflow): no balance can pay it (a chain
    // spec's supply is at most 2^256-1), so it is refused where it is
    // cheapest, with the same outcome for the sender.
    (
        "ttValue/TransactionWithHighValue",
        "gas × fee + value past 2^256-1 refused at admission, not at execution",
    ),
];

const CREATION: &str = "creation with EVM init code: not an orac deploy envelope";

/// What Ethereum makes of a vector.
#[derive(Debug)]
enum Expected {
    Valid {
        hash: H256,
        sender: H160,
        intrinsic: u64,
    },
    Invalid {
        exception: String,
        /// Given when Ethereum decoded the transaction (0 otherwise).
        intrinsic: u64,
    },
}

struct Vector {
    /// `folder/file`, without `.json`.
    id: String,
    fork: String,
    txbytes: Vec<u8>,
    expected: Expected,
}

/// Where orac refused a transaction.
#[derive(Debug)]
enum Refusal {
    Decode(TxError),
    Recover(TxError),
    Admission(InvalidTx),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Decode(e) => write!(f, "decode: {e}"),
            Refusal::Recover(e) => write!(f, "recover: {e}"),
            Refusal::Admission(e) => write!(f, "admission: {}", short(&format!("{e:?}"))),
        }
    }
}

/// What orac makes of a vector.
struct Outcome {
    /// Hash, sender, intrinsic gas, once decoded and recovered.
    decoded: Option<(H256, H160, u64)>,
    refusal: Option<Refusal>,
    /// A pre-EIP-155 legacy transaction (checked as if protected, below).
    unprotected: bool,
    /// When the signature failed: what admission's static checks say of
    /// the decoded transaction, which orac would have run next.
    static_verdict: Option<Result<(), InvalidTx>>,
}

fn run(raw: &[u8]) -> Outcome {
    let refused = |r, static_verdict| Outcome {
        decoded: None,
        refusal: Some(r),
        unprotected: false,
        static_verdict,
    };
    let tx = match SignedTransaction::decode(raw) {
        Ok(tx) => tx,
        Err(e) => return refused(Refusal::Decode(e), None),
    };
    // Decoding is canonical-only: what decoded re-encodes to the input.
    assert_eq!(
        tx.encoded(),
        raw,
        "decode accepted a non-canonical encoding"
    );
    let recovered = match RecoveredTx::recover(tx.clone()) {
        Ok(r) => r,
        Err(e) => {
            let verdict = check_static(&tx, CHAIN_ID, BLOCK_GAS_LIMIT);
            return refused(Refusal::Recover(e), Some(verdict));
        }
    };
    let t = &recovered.tx.tx;
    let decoded = Some((recovered.hash(), recovered.sender, t.intrinsic_gas()));
    let unprotected = t.chain_id.is_none();
    let admitted = if unprotected {
        // orac admits only replay-protected transactions (an intended
        // rule). So that the remaining checks are still compared, run
        // them on the same transaction marked for chain 1: check_static
        // does not recover the sender, so the signature need not fit.
        assert_eq!(
            check_static(&recovered.tx, CHAIN_ID, BLOCK_GAS_LIMIT),
            Err(InvalidTx::Unprotected)
        );
        let mut protected = t.clone();
        protected.chain_id = Some(CHAIN_ID);
        let as_protected = SignedTransaction::from_parts(protected, recovered.tx.signature);
        check_static(&as_protected, CHAIN_ID, BLOCK_GAS_LIMIT)
    } else {
        check_static(&recovered.tx, CHAIN_ID, BLOCK_GAS_LIMIT)
    }
    .and_then(|()| check_fees(&recovered, U256::zero()));
    Outcome {
        decoded,
        refusal: admitted.err().map(Refusal::Admission),
        unprotected,
        static_verdict: None,
    }
}

/// Whether orac's refusal is the rule behind Ethereum's `exception`.
fn matches(exception: &str, refusal: &Refusal, got: &Outcome) -> bool {
    let name = exception
        .strip_prefix("TransactionException.")
        .unwrap_or(exception);
    let bad_signature = matches!(
        refusal,
        Refusal::Decode(_)
            | Refusal::Recover(_)
            | Refusal::Admission(InvalidTx::Decode(TxError::Signature(_)))
    );
    match name {
        // Malformed encodings, values too wide for their field (nonce and
        // gas are 64-bit, fees and value 256-bit, addresses 20 bytes),
        // unknown types: orac's decoder refuses them all.
        n if n.starts_with("RLP_") => matches!(refusal, Refusal::Decode(_)),
        "ADDRESS_TOO_LONG" | "ADDRESS_TOO_SHORT" | "TYPE_NOT_SUPPORTED" | "NONCE_OVERFLOW"
        | "GASLIMIT_OVERFLOW" | "GASPRICE_OVERFLOW" | "PRIORITY_OVERFLOW" | "VALUE_OVERFLOW" => {
            matches!(refusal, Refusal::Decode(_))
        }
        // A signature that is out of range (refused while decoding, when
        // `v` is, or by the EIP-2 range check) or does not recover.
        "INVALID_SIGNATURE_VRS" | "EC_RECOVERY_FAIL" => bad_signature,
        // A `v` that names no chain, or another chain than mainnet. orac
        // checks the signature before the chain id (geth the other way
        // round), so a bad signature for another chain fails recovery
        // first: it matches if admission would then have refused the
        // chain id too.
        "INVALID_CHAINID" => {
            matches!(
                refusal,
                Refusal::Decode(TxError::Signature(SignatureError::InvalidValues))
                    | Refusal::Admission(InvalidTx::WrongChainId { .. })
            ) || matches!(
                (refusal, &got.static_verdict),
                (
                    Refusal::Recover(_),
                    Some(Err(InvalidTx::WrongChainId { .. }))
                )
            )
        }
        "INTRINSIC_GAS_TOO_LOW" => matches!(
            refusal,
            Refusal::Admission(InvalidTx::IntrinsicGasTooLow { .. })
        ),
        "GASLIMIT_PRICE_PRODUCT_OVERFLOW" => {
            matches!(refusal, Refusal::Admission(InvalidTx::CostOverflow))
        }
        "NONCE_TOO_BIG" => matches!(refusal, Refusal::Admission(InvalidTx::NonceMax)),
        "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS" | "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS_2" => {
            matches!(
                refusal,
                Refusal::Admission(InvalidTx::TipAboveFeeCap { .. })
            )
        }
        // Anything not classified here is a deviation until someone says
        // which orac rule it corresponds to.
        _ => false,
    }
}

/// How orac's outcome differs from the vector; empty when it does not.
fn deviations(expected: &Expected, got: &Outcome) -> Vec<String> {
    let mut out = Vec::new();
    let want_intrinsic = match expected {
        Expected::Valid {
            hash,
            sender,
            intrinsic,
        } => {
            if let Some((h, s, _)) = got.decoded {
                if h != *hash {
                    out.push(format!("hash {h:?}, want {hash:?}"));
                }
                if s != *sender {
                    out.push(format!("sender {s:?}, want {sender:?}"));
                }
            }
            if let Some(r) = &got.refusal {
                out.push(format!("refused ({r}), Ethereum accepts"));
            }
            *intrinsic
        }
        Expected::Invalid {
            exception,
            intrinsic,
        } => {
            match &got.refusal {
                None => out.push(format!("accepted, Ethereum refuses ({exception})")),
                Some(r) if !matches(exception, r, got) => {
                    out.push(format!("refused for another reason ({r})"));
                }
                Some(_) => {}
            }
            *intrinsic
        }
    };
    // Intrinsic gas is compared whenever both sides decoded the
    // transaction (Ethereum gives 0 when it did not).
    if let Some((_, _, gas)) = got.decoded
        && want_intrinsic != 0
        && gas != want_intrinsic
    {
        out.push(format!("intrinsic gas {gas}, want {want_intrinsic}"));
    }
    out
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/TransactionTests")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn quantity(v: &Value, what: &str) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("{what}: {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn load() -> Vec<Vector> {
    let root = data_dir();
    let mut files = Vec::new();
    json_files(&root, &mut files);
    let mut vectors = Vec::new();
    for path in files {
        let folder = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .expect("folder name")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("read vector");
        let stem = path
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("file name");
        let tests: BTreeMap<String, Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // One test per file, so `folder/file` names it (test names inside
        // are not unique across files).
        assert_eq!(tests.len(), 1, "{}: tests in the file", path.display());
        for test in tests.into_values() {
            let id = format!("{folder}/{stem}");
            let raw = test["txbytes"].as_str().expect("txbytes");
            let txbytes = hex::decode(raw.trim_start_matches("0x"))
                .unwrap_or_else(|e| panic!("{id}: txbytes: {e}"));
            let results = &test["result"];
            let fork = FORKS
                .iter()
                .find(|f| results.get(**f).is_some())
                .unwrap_or_else(|| panic!("{id}: no known fork"));
            let r = &results[*fork];
            let expected = match r.get("exception").and_then(Value::as_str) {
                Some(e) => Expected::Invalid {
                    exception: e.to_string(),
                    intrinsic: r
                        .get("intrinsicGas")
                        .map_or(0, |g| quantity(g, "intrinsicGas")),
                },
                None => {
                    // An exception-free result carries all three.
                    let hash: H256 =
                        serde_json::from_value(r["hash"].clone()).expect("hash of a valid vector");
                    let sender: H160 = serde_json::from_value(r["sender"].clone())
                        .expect("sender of a valid vector");
                    // The data's own consistency: the hash is of the bytes.
                    assert_eq!(
                        keccak256(&txbytes),
                        hash,
                        "{id}: hash is not keccak(txbytes)"
                    );
                    Expected::Valid {
                        hash,
                        sender,
                        intrinsic: quantity(&r["intrinsicGas"], "intrinsicGas"),
                    }
                }
            };
            vectors.push(Vector {
                id,
                fork: fork.to_string(),
                txbytes,
                expected,
            });
        }
    }
    vectors
}

fn short(s: &str) -> String {
    const MAX: usize = 70;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn describe_expected(e: &Expected) -> String {
    match e {
        Expected::Valid { intrinsic, .. } => format!("valid (intrinsic {intrinsic})"),
        Expected::Invalid { exception, .. } => exception
            .strip_prefix("TransactionException.")
            .unwrap_or(exception)
            .to_string(),
    }
}

fn describe_outcome(o: &Outcome) -> String {
    let prefix = if o.unprotected { "unprotected; " } else { "" };
    match (&o.refusal, &o.decoded) {
        (Some(r), _) => format!("{prefix}{r}"),
        (None, Some((_, _, gas))) => format!("{prefix}valid (intrinsic {gas})"),
        (None, None) => unreachable!("an outcome is decoded or refused"),
    }
}

#[test]
fn ethereum_transaction_tests() {
    let vectors = load();
    // 210 files of one test each: fewer means the data went missing, and
    // a run over nothing would pass.
    assert_eq!(vectors.len(), 210, "TransactionTests vectors found");
    let allowed: BTreeMap<&str, &str> = ALLOWED.iter().copied().collect();
    assert_eq!(
        allowed.len(),
        ALLOWED.len(),
        "allow-list entry listed twice"
    );
    let mut table = String::new();
    let (mut failures, mut allowed_seen, mut valid, mut invalid) = (0, 0, 0, 0);
    let mut seen = std::collections::BTreeSet::new();
    // ORAC_TT_ALL=1 lists the vectors that match as well.
    let all = std::env::var_os("ORAC_TT_ALL").is_some();
    for v in &vectors {
        let outcome = run(&v.txbytes);
        match v.expected {
            Expected::Valid { .. } => valid += 1,
            Expected::Invalid { .. } => invalid += 1,
        }
        let found = deviations(&v.expected, &outcome);
        seen.insert(v.id.as_str());
        let status = match (found.is_empty(), allowed.get(v.id.as_str())) {
            (true, None) if all => "match".to_string(),
            (true, None) => continue,
            (true, Some(_)) => {
                failures += 1;
                "STALE ALLOW-LIST ENTRY: no longer deviates".to_string()
            }
            (false, Some(reason)) => {
                allowed_seen += 1;
                format!("allowed: {reason}")
            }
            (false, None) => {
                failures += 1;
                "DEVIATION".to_string()
            }
        };
        let _ = writeln!(
            table,
            "| {} | {} {} | {} | {} | {} |",
            v.id,
            v.fork,
            describe_expected(&v.expected),
            describe_outcome(&outcome),
            found.join("; "),
            status
        );
    }
    for id in allowed.keys() {
        if !seen.contains(id) {
            failures += 1;
            let _ = writeln!(
                table,
                "| {id} | | | | STALE ALLOW-LIST ENTRY: no such vector |"
            );
        }
    }
    println!(
        "TransactionTests: {} vectors ({valid} valid, {invalid} invalid), {allowed_seen} allowed deviations, {failures} failures",
        vectors.len()
    );
    if !table.is_empty() {
        println!(
            "| vector | Ethereum | orac | difference | status |\n|---|---|---|---|---|\n{table}"
        );
    }
    assert_eq!(failures, 0, "TransactionTests deviations (table above)");
}
