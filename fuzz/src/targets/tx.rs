//! Raw transactions, as `eth_sendRawTransaction` and stored blocks hand
//! them over: `SignedTransaction::decode`, sender recovery, and the
//! admission checks that follow.
//!
//! Seeds: the ethereum/tests TransactionTests vectors
//! (tests/conformance) and transactions generated and signed here with
//! edge values in every field. Properties:
//!
//! * a generated transaction decodes from its encoding to itself and
//!   recovers its signer;
//! * whatever decodes is canonical: it re-encodes to the input bytes, its
//!   hash is keccak of them, and decoding its encoding gives it back;
//! * intrinsic gas, cost, `check_static`, `check_fees` and
//!   `check_balance` run on anything decoded without panicking, and a
//!   transaction `check_static` admits has gas for its intrinsic cost;
//! * recovery gives the same sender twice.

use orac_bench::vmkit::Rng;
use orac_chain::executor::{check_balance, check_fees, check_static};
use orac_primitives::transaction::AccessListItem;
use orac_primitives::{
    Bytes, H160, H256, PrivateKey, RecoveredTx, SignedTransaction, Transaction, TxType, U256,
    keccak256,
};

use super::key;
use crate::harness::Target;
use crate::mutate::{self, chance, pick};

/// The largest chain id whose EIP-155 `v` (chainId × 2 + 36) fits the
/// u64 a legacy transaction's `v` is decoded into.
const MAX_LEGACY_CHAIN_ID: u64 = (u64::MAX - 36) / 2;

pub(crate) struct TxTarget {
    seeds: Vec<Vec<u8>>,
    keys: Vec<PrivateKey>,
    decoded: u64,
    recovered: u64,
    admitted: u64,
    generated: u64,
    /// The last generated transaction, checked when its bytes come back.
    expect: Option<(Vec<u8>, SignedTransaction, H160)>,
}

fn u64_edge(rng: &mut Rng) -> u64 {
    let (any, small) = (rng.next_u64(), rng.below(1 << 20));
    *pick(
        rng,
        &[
            0,
            1,
            21_000,
            30_000_000,
            u64::MAX,
            u64::MAX - 1,
            i64::MAX as u64,
            any,
            small,
        ],
    )
}

fn u256_edge(rng: &mut Rng) -> U256 {
    match rng.below(7) {
        0 => U256::zero(),
        1 => U256::one(),
        2 => U256::MAX,
        3 => U256::MAX / U256::from(21_000u64),
        4 => U256::from(rng.next_u64()) << (rng.below(200) as usize),
        5 => U256::from(1_000_000_000u64),
        _ => U256::from(rng.below(1 << 40)),
    }
}

/// A transaction with edge values, signed by one of `keys`.
pub(crate) fn generate(rng: &mut Rng, keys: &[PrivateKey]) -> (SignedTransaction, H160) {
    let tx_type = *pick(
        rng,
        &[TxType::Legacy, TxType::AccessList, TxType::DynamicFee],
    );
    let chain_id = match rng.below(6) {
        0 => 1,
        1 => 31_337,
        2 => MAX_LEGACY_CHAIN_ID,
        3 => rng.next_u64() % MAX_LEGACY_CHAIN_ID,
        4 if tx_type != TxType::Legacy => u64::MAX,
        _ => 0,
    };
    let chain_id = if tx_type == TxType::Legacy && chance(rng, 4) {
        None
    } else {
        Some(chain_id)
    };
    let (tip, cap) = (u256_edge(rng), u256_edge(rng));
    let input_len = match rng.below(8) {
        0 => 100_000 + rng.below(30_000) as usize,
        1..=3 => 0,
        _ => rng.below(300) as usize,
    };
    let access_list = if tx_type == TxType::Legacy || chance(rng, 2) {
        Vec::new()
    } else {
        (0..rng.below(4))
            .map(|_| AccessListItem {
                address: random_address(rng),
                storage_keys: (0..rng.below(4))
                    .map(|i| H256::from_low_u64_be(i.wrapping_mul(rng.next_u64())))
                    .collect(),
            })
            .collect()
    };
    let tx = Transaction {
        tx_type,
        chain_id,
        nonce: u64_edge(rng),
        max_priority_fee_per_gas: if tx_type == TxType::DynamicFee {
            tip
        } else {
            cap
        },
        max_fee_per_gas: cap,
        gas_limit: u64_edge(rng),
        to: (!chance(rng, 5)).then(|| random_address(rng)),
        value: u256_edge(rng),
        input: Bytes((0..input_len).map(|_| rng.next_u64() as u8).collect()),
        access_list,
    };
    let key = pick(rng, keys);
    (tx.sign(key), key.address())
}

fn random_address(rng: &mut Rng) -> H160 {
    let bytes: Vec<u8> = (0..20).map(|_| rng.next_u64() as u8).collect();
    H160::from_slice(&bytes)
}

/// The txbytes of every TransactionTests vector, if the data is there.
fn conformance_seeds() -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/conformance/TransactionTests");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            for test in json.as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(bytes) = test["txbytes"]
                    .as_str()
                    .and_then(|s| hex::decode(s.trim_start_matches("0x")).ok())
                {
                    out.push(bytes);
                }
            }
        }
    }
    out.sort();
    out
}

impl TxTarget {
    pub(crate) fn new(seed: u64) -> Self {
        let keys: Vec<PrivateKey> = (1..=8).map(key).collect();
        let mut rng = Rng(seed ^ 0x7478);
        let mut seeds = conformance_seeds();
        for _ in 0..256 {
            seeds.push(generate(&mut rng, &keys).0.encoded().to_vec());
        }
        Self {
            seeds,
            keys,
            decoded: 0,
            recovered: 0,
            admitted: 0,
            generated: 0,
            expect: None,
        }
    }
}

impl Target for TxTarget {
    fn input(&mut self, rng: &mut Rng) -> Vec<u8> {
        if chance(rng, 8) {
            let (tx, sender) = generate(rng, &self.keys);
            self.generated += 1;
            let bytes = tx.encoded().to_vec();
            self.expect = Some((bytes.clone(), tx, sender));
            return bytes;
        }
        let mut data = pick(rng, &self.seeds).clone();
        if chance(rng, 2) {
            let typed = data.first().is_some_and(|b| *b < 0x80) as usize;
            data = mutate::rlp(&data, rng, typed);
        }
        if chance(rng, 2) {
            mutate::bytes(&mut data, rng, &self.seeds);
        }
        data
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let expect = self.expect.take().filter(|(bytes, ..)| bytes == input);
        let tx = match SignedTransaction::decode(input) {
            Ok(tx) => tx,
            Err(e) => {
                return match expect {
                    // Generated ones too large to send are the only ones
                    // decoding may refuse.
                    Some(_) if input.len() > orac_primitives::transaction::MAX_TX_SIZE => Ok(()),
                    Some(_) => Err(format!("a generated transaction does not decode: {e}")),
                    None => Ok(()),
                };
            }
        };
        self.decoded += 1;
        if tx.encoded() != input {
            return Err("decode accepted bytes that re-encode differently".into());
        }
        if tx.hash() != keccak256(input) {
            return Err("hash is not keccak of the bytes".into());
        }
        match SignedTransaction::decode(tx.encoded()) {
            Ok(again) if again == tx => {}
            other => return Err(format!("decode(encode(tx)) != tx: {other:?}")),
        }
        if SignedTransaction::from_parts(tx.tx.clone(), tx.signature) != tx {
            return Err("from_parts(decoded fields) differs from the decoded tx".into());
        }
        if let Some((_, want, _)) = &expect
            && *want != tx
        {
            return Err("a generated transaction decodes to another".into());
        }
        let t = &tx.tx;
        let intrinsic = t.intrinsic_gas();
        let _ = t.max_cost();
        let _ = tx.v();
        if check_static(&tx, t.chain_id.unwrap_or(1), u64::MAX).is_ok() {
            self.admitted += 1;
            if t.gas_limit < intrinsic {
                return Err("admitted with less gas than its intrinsic cost".into());
            }
        }
        let _ = check_static(&tx, 31_337, 30_000_000);
        match RecoveredTx::recover(tx.clone()) {
            Ok(r) => {
                self.recovered += 1;
                if let Some((_, _, sender)) = expect
                    && r.sender != sender
                {
                    return Err(format!(
                        "a generated transaction recovers {:?}, signed by {sender:?}",
                        r.sender
                    ));
                }
                match RecoveredTx::recover(tx) {
                    Ok(again) if again.sender == r.sender => {}
                    other => return Err(format!("recovery is not deterministic: {other:?}")),
                }
                let _ = check_fees(&r, U256::from(1_000_000_000u64));
                let _ = check_balance(&r, U256::MAX);
            }
            Err(e) => {
                if expect.is_some() {
                    return Err(format!("a generated transaction does not recover: {e}"));
                }
            }
        }
        Ok(())
    }

    fn stats(&self) -> String {
        format!(
            "{} decoded, {} recovered, {} admitted (static), {} generated",
            self.decoded, self.recovered, self.admitted, self.generated
        )
    }
}
