//! An account as a chain's genesis allocates it: what a chain spec's
//! `alloc` entries and a system contract's own genesis accounts
//! (`orac_vm::SystemContract::genesis`) are written in.
//!
//! Numbers may be JSON numbers, decimal strings or `0x` hex strings.

use std::collections::BTreeMap;

use primitive_types::{H256, U256};
use serde::{Deserialize, Deserializer};

use crate::bytes::Bytes;

/// One account at genesis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisAccount {
    /// Starting balance in wei.
    #[serde(default, deserialize_with = "de_u256")]
    pub balance: U256,
    /// Starting nonce.
    #[serde(default, deserialize_with = "de_u64")]
    pub nonce: u64,
    /// Contract code deployed at genesis (empty for a plain account).
    #[serde(default)]
    pub code: Bytes,
    /// Starting storage slots of that contract.
    #[serde(default)]
    pub storage: BTreeMap<H256, H256>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrString {
    Num(u64),
    Str(String),
}

fn parse_u256(s: &str) -> Result<U256, String> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        U256::from_str_radix(hex, 16).map_err(|e| format!("bad hex number {s:?}: {e}"))
    } else {
        U256::from_dec_str(s).map_err(|e| format!("bad number {s:?}: {e:?}"))
    }
}

/// A `U256` from a JSON number, a decimal string or a `0x` hex string
/// (`#[serde(deserialize_with = "…")]`).
pub fn de_u256<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
    match NumOrString::deserialize(d)? {
        NumOrString::Num(n) => Ok(U256::from(n)),
        NumOrString::Str(s) => parse_u256(&s).map_err(serde::de::Error::custom),
    }
}

/// A `u64` written as [`de_u256`] reads numbers, refused past 64 bits.
pub fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumOrString::deserialize(d)? {
        NumOrString::Num(n) => Ok(n),
        NumOrString::Str(s) => {
            let v = parse_u256(&s).map_err(serde::de::Error::custom)?;
            if v > U256::from(u64::MAX) {
                return Err(serde::de::Error::custom(format!(
                    "{s} does not fit in 64 bits"
                )));
            }
            Ok(v.as_u64())
        }
    }
}
