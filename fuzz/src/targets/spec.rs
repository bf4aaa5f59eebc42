//! Chain specs (`orac node --chain SPEC.json`): `ChainSpec` from JSON,
//! `validate`, and the genesis built from a valid one.
//!
//! Seeds: the dev spec and the shapes docs/chain-spec.md shows (numbers
//! as JSON numbers, decimal and hex strings; code and storage in the
//! alloc). Properties:
//!
//! * parsing and validation never panic, nor does building the genesis
//!   state root and header of a spec that validates;
//! * a valid spec's chain can carry every transaction type: a transaction
//!   of each type for its chain id, signed, decodes from its encoding to
//!   itself and recovers its signer (EIP-155 puts chainId × 2 + 35 in a
//!   legacy transaction's `v`, so not every u64 chain id fits);
//! * the balances of a valid spec add up to at most 2^256-1.

use orac_bench::vmkit::Rng;
use orac_chain::ChainSpec;
use orac_chain::spec::genesis_state_root;
use orac_primitives::{Bytes, H160, RecoveredTx, SignedTransaction, Transaction, TxType, U256};

use super::key;
use crate::harness::Target;
use crate::mutate;

const FIELDS: &[&str] = &[
    "chainId",
    "gasLimit",
    "baseFeePerGas",
    "minBaseFeePerGas",
    "timestamp",
    "coinbase",
    "extraData",
    "alloc",
    "balance",
    "nonce",
    "code",
    "storage",
    "0x00000000000000000000000000000000000000aa",
    "0x6f72616300000000000000000000000000000000",
];
const STRINGS: &[&str] = &[
    "0x539",
    "1000000000",
    "0x",
    "0xffffffffffffffff",
    "9223372036854775790",
    "18446744073709551615",
    "0x7fffffffffffffed",
    " 0x10 ",
    "0X10",
];

const DOC_SPEC: &str = r#"{
  "chainId": 1337,
  "gasLimit": 30000000,
  "baseFeePerGas": "1000000000",
  "minBaseFeePerGas": "0x3b9aca00",
  "timestamp": 0,
  "coinbase": "0x0000000000000000000000000000000000000000",
  "extraData": "0x6f726163",
  "alloc": {
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266": { "balance": "0x21e19e0c9bab2400000" },
    "0x00000000000000000000000000000000000000aa": {
      "balance": "1", "nonce": 1, "code": "0xef6f570100000008",
      "storage": { "0x0000000000000000000000000000000000000000000000000000000000000001": "0x000000000000000000000000000000000000000000000000000000000000002a" }
    }
  }
}"#;

pub(crate) struct SpecTarget {
    seeds: Vec<Vec<u8>>,
    parsed: u64,
    valid: u64,
}

impl SpecTarget {
    pub(crate) fn new() -> Self {
        let dev = ChainSpec::dev();
        let mut alloc = serde_json::Map::new();
        for (a, acct) in &dev.alloc {
            alloc.insert(
                format!("{a:?}"),
                serde_json::json!({ "balance": acct.balance.to_string() }),
            );
        }
        let dev_json = serde_json::json!({
            "chainId": dev.chain_id,
            "gasLimit": dev.gas_limit,
            "baseFeePerGas": format!("{:#x}", dev.base_fee_per_gas),
            "alloc": alloc,
        });
        Self {
            seeds: vec![
                dev_json.to_string().into_bytes(),
                DOC_SPEC.as_bytes().to_vec(),
                br#"{"chainId": "0x7a69"}"#.to_vec(),
            ],
            parsed: 0,
            valid: 0,
        }
    }
}

/// Every transaction type for `chain_id`, signed; each must decode to
/// itself and recover its signer.
pub(crate) fn chain_id_usable(chain_id: u64) -> Result<(), String> {
    let signer = key(0x61);
    for tx_type in [TxType::Legacy, TxType::AccessList, TxType::DynamicFee] {
        let fail = |problem: String| {
            Err(format!(
                "a {tx_type:?} transaction cannot be used on a valid spec's chain\n  chain {chain_id}: {problem}"
            ))
        };
        let tx = Transaction {
            tx_type,
            chain_id: Some(chain_id),
            nonce: 0,
            max_priority_fee_per_gas: U256::one(),
            max_fee_per_gas: U256::one(),
            gas_limit: 21_000,
            to: Some(H160::repeat_byte(1)),
            value: U256::one(),
            input: Bytes::new(),
            access_list: Vec::new(),
        };
        let Ok(signed) = std::panic::catch_unwind(|| tx.clone().sign(&signer)) else {
            return fail("signing it panics".into());
        };
        match SignedTransaction::decode(signed.encoded()) {
            Ok(back) if back == signed => {}
            Ok(back) => return fail(format!("decodes as one for chain {:?}", back.tx.chain_id)),
            Err(e) => return fail(format!("does not decode: {e}")),
        }
        match RecoveredTx::recover(signed) {
            Ok(r) if r.sender == signer.address() => {}
            other => return fail(format!("recovers {other:?}")),
        }
    }
    Ok(())
}

impl Target for SpecTarget {
    fn input(&mut self, rng: &mut Rng) -> Vec<u8> {
        mutate::json_seed(rng, &self.seeds, (5, 4), FIELDS, STRINGS)
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let Ok(spec) = serde_json::from_slice::<ChainSpec>(input) else {
            return Ok(());
        };
        self.parsed += 1;
        if spec.validate(&orac_chain::ChainRules::standard()).is_err() {
            return Ok(());
        }
        self.valid += 1;
        let supply = spec
            .alloc
            .values()
            .try_fold(U256::zero(), |a, acct| a.checked_add(acct.balance));
        if supply.is_none() {
            return Err("a valid spec's balances pass 2^256-1".into());
        }
        let root = genesis_state_root(&spec, &orac_chain::ChainRules::standard());
        let _ = spec.genesis_header(root).hash();
        chain_id_usable(spec.chain_id)
    }

    fn stats(&self) -> String {
        format!("{} parsed, {} valid", self.parsed, self.valid)
    }
}
