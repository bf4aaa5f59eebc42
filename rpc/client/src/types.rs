//! What the node answers, as structs. Only the fields callers use are
//! read; every one is checked while decoding (a wrong type is an error,
//! not a default).

use orac_primitives::{Address, Bytes, H256, U256};
use serde::{Deserialize, Deserializer, Serialize};

/// A block's header fields (`eth_getBlockByNumber` without transactions).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Block {
    #[serde(deserialize_with = "quantity")]
    pub number: u64,
    pub hash: H256,
    pub parent_hash: H256,
    #[serde(deserialize_with = "quantity")]
    pub timestamp: u64,
    #[serde(deserialize_with = "quantity")]
    pub gas_limit: u64,
    #[serde(deserialize_with = "quantity")]
    pub gas_used: u64,
    pub base_fee_per_gas: U256,
    pub state_root: H256,
}

/// A transaction receipt.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub transaction_hash: H256,
    #[serde(deserialize_with = "quantity")]
    pub block_number: u64,
    pub block_hash: H256,
    /// `true` when the transaction succeeded (`status` 0x1).
    #[serde(rename = "status", deserialize_with = "status")]
    pub success: bool,
    #[serde(deserialize_with = "quantity")]
    pub gas_used: u64,
    pub effective_gas_price: U256,
    pub contract_address: Option<Address>,
    pub logs: Vec<Log>,
}

/// A log, from a receipt or `eth_getLogs`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    pub address: Address,
    pub topics: Vec<H256>,
    pub data: Bytes,
    #[serde(deserialize_with = "quantity")]
    pub block_number: u64,
    pub transaction_hash: H256,
    #[serde(deserialize_with = "quantity")]
    pub log_index: u64,
}

/// A message for `eth_call` and `eth_estimateGas`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CallRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<U256>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_quantity"
    )]
    pub gas: Option<u64>,
    pub data: Bytes,
}

/// An `eth_getLogs` filter over a block range.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    pub from_block: u64,
    pub to_block: u64,
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
