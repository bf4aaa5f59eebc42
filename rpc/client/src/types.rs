//! What the node answers, as structs. Only the fields callers use are
//! read; every one is checked while decoding (a wrong type is an error,
//! not a default).

use orac_primitives::{Address, Bytes, H256, U256};
use serde::{Deserialize, Deserializer, Serialize};

/// A block's header fields (`eth_getBlockByNumber` without transactions).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Block {
    /// The block's height.
    #[serde(deserialize_with = "quantity")]
    pub number: u64,
    /// The block's hash.
    pub hash: H256,
    /// The hash of the block before it.
    pub parent_hash: H256,
    /// Seconds since the Unix epoch.
    #[serde(deserialize_with = "quantity")]
    pub timestamp: u64,
    /// Most gas the block's transactions may use together.
    #[serde(deserialize_with = "quantity")]
    pub gas_limit: u64,
    /// Gas its transactions used.
    #[serde(deserialize_with = "quantity")]
    pub gas_used: u64,
    /// The EIP-1559 base fee, in wei per gas.
    pub base_fee_per_gas: U256,
    /// The state root after the block.
    pub state_root: H256,
}

/// A transaction receipt.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The transaction's hash.
    pub transaction_hash: H256,
    /// The block that holds it.
    #[serde(deserialize_with = "quantity")]
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: H256,
    /// `true` when the transaction succeeded (`status` 0x1).
    #[serde(rename = "status", deserialize_with = "status")]
    pub success: bool,
    /// Gas the transaction used.
    #[serde(deserialize_with = "quantity")]
    pub gas_used: u64,
    /// What it paid per gas, in wei.
    pub effective_gas_price: U256,
    /// The created contract, for a deploy.
    pub contract_address: Option<Address>,
    /// The logs it emitted.
    pub logs: Vec<Log>,
}

/// A log, from a receipt or `eth_getLogs`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    /// The contract that emitted it.
    pub address: Address,
    /// Its indexed topics, the event's signature first.
    pub topics: Vec<H256>,
    /// Its non-indexed data.
    pub data: Bytes,
    /// The block holding it.
    #[serde(deserialize_with = "quantity")]
    pub block_number: u64,
    /// The transaction that emitted it.
    pub transaction_hash: H256,
    /// Its position among the block's logs.
    #[serde(deserialize_with = "quantity")]
    pub log_index: u64,
}

/// A message for `eth_call` and `eth_estimateGas`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CallRequest {
    /// The sender; the zero address when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Address>,
    /// The callee; `None` for a deploy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Address>,
    /// Wei sent along.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<U256>,
    /// A gas cap; the node picks one when absent.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_quantity"
    )]
    pub gas: Option<u64>,
    /// The call data (or creation code).
    pub data: Bytes,
}

/// An `eth_getLogs` filter over a block range.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    /// The first block searched.
    pub from_block: u64,
    /// The last block searched, inclusive.
    pub to_block: u64,
    /// Only logs of this contract, when set.
    pub address: Option<Address>,
    /// Topic positions; `None` matches anything there.
    pub topics: Vec<Option<H256>>,
}

impl LogFilter {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let mut f = serde_json::json!({
            "fromBlock": format!("{:#x}", self.from_block),
            "toBlock": format!("{:#x}", self.to_block),
            "topics": self.topics,
        });
        if let Some(a) = self.address {
            f["address"] = serde_json::json!(a);
        }
        f
    }
}

/// A `0x`-prefixed hex quantity as a u64.
pub(crate) fn parse_quantity(s: &str) -> Option<u64> {
    let digits = s.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = String::deserialize(d)?;
    parse_quantity(&s).ok_or_else(|| serde::de::Error::custom(format!("bad quantity {s:?}")))
}

fn status<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match quantity(d)? {
        0 => Ok(false),
        1 => Ok(true),
        n => Err(serde::de::Error::custom(format!("bad status {n}"))),
    }
}

fn opt_quantity<S: serde::Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(n) => s.serialize_str(&format!("{n:#x}")),
        None => s.serialize_none(),
    }
}
