//! Parsing request parameters, with geth's "invalid argument N: ..." errors.

use orac_chain::{BlockTag, CallRequest};
use orac_primitives::{Address, Bytes, H256, U256};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::RpcError;

/// Positional parameters. A `params` that is not an array is an error
/// only when a method reads it, so an unknown method is -32601 whatever
/// its params (as geth answers).
#[derive(Debug)]
pub struct Params {
    args: Vec<Value>,
    not_an_array: bool,
}

impl Params {
    /// The request's `params`: absent or null is no arguments.
    pub fn new(raw: Option<Value>) -> Self {
        match raw {
            None | Some(Value::Null) => Self::from(Vec::new()),
            Some(Value::Array(v)) => Self::from(v),
            Some(_) => Self {
                args: Vec::new(),
                not_an_array: true,
            },
        }
    }

    fn args(&self) -> Result<&[Value], RpcError> {
        if self.not_an_array {
            return Err(RpcError::invalid_params("non-array args"));
        }
        Ok(&self.args)
    }

    /// A required parameter.
    pub fn req<T: DeserializeOwned>(&self, i: usize) -> Result<T, RpcError> {
        match self.args()?.get(i) {
            None => Err(RpcError::invalid_params(format!(
                "missing value for required argument {i}"
            ))),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| RpcError::invalid_params(format!("invalid argument {i}: {e}"))),
        }
    }

    /// An optional parameter: absent or null gives `None`.
    pub fn opt<T: DeserializeOwned>(&self, i: usize) -> Result<Option<T>, RpcError> {
        match self.args()?.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|e| RpcError::invalid_params(format!("invalid argument {i}: {e}"))),
        }
    }

    /// How many arguments were sent.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// Whether no argument was sent.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// Refuses more parameters than the method takes.
    pub fn at_most(&self, n: usize) -> Result<&Self, RpcError> {
        if self.args()?.len() > n {
            return Err(RpcError::invalid_params(format!(
                "too many arguments, want at most {n}"
            )));
        }
        Ok(self)
    }
}

impl From<Vec<Value>> for Params {
    fn from(args: Vec<Value>) -> Self {
        Self {
            args,
            not_an_array: false,
        }
    }
}

fn parse_quantity(s: &str) -> Result<U256, String> {
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| format!("hex string without 0x prefix: {s:?}"))?;
    if hex.is_empty() {
        return Err("hex string \"0x\"".into());
    }
    if hex.len() > 64 {
        return Err("hex number > 256 bits".into());
    }
    U256::from_str_radix(hex, 16).map_err(|_| format!("invalid hex string {s:?}"))
}

/// A u64 quantity: "0x..." (or, leniently, a JSON number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct U64(pub u64);

/// A [`Q256`] that must fit 64 bits (a JSON number always does).
impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Q256(v) = Q256::deserialize(d)?;
        if v > U256::from(u64::MAX) {
            return Err(serde::de::Error::custom("hex number > 64 bits"));
        }
        Ok(U64(v.as_u64()))
    }
}

/// A 256-bit quantity, accepting the same forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Q256(pub U256);

impl<'de> Deserialize<'de> for Q256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_u64()
                .map(|v| Q256(U256::from(v)))
                .ok_or_else(|| serde::de::Error::custom("number out of range")),
            Value::String(s) => parse_quantity(&s)
                .map(Q256)
                .map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "expected a quantity, got {other}"
            ))),
        }
    }
}

/// A block selector: tag, number, or EIP-1898 object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockId(pub BlockTag);

impl<'de> Deserialize<'de> for BlockId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let tag = match &v {
            Value::String(s) => match s.as_str() {
                "latest" => BlockTag::Latest,
                "earliest" => BlockTag::Earliest,
                "pending" => BlockTag::Pending,
                "safe" => BlockTag::Safe,
                "finalized" => BlockTag::Finalized,
                s if s.len() == 66 => BlockTag::Hash(
                    serde_json::from_value(v.clone()).map_err(serde::de::Error::custom)?,
                ),
                s => {
                    let n = parse_quantity(s).map_err(serde::de::Error::custom)?;
                    if n > U256::from(u64::MAX) {
                        return Err(serde::de::Error::custom("block number > 64 bits"));
                    }
                    BlockTag::Number(n.as_u64())
                }
            },
            Value::Number(n) => BlockTag::Number(
                n.as_u64()
                    .ok_or_else(|| serde::de::Error::custom("invalid block number"))?,
            ),
            Value::Object(o) => {
                if let Some(h) = o.get("blockHash") {
                    BlockTag::Hash(
                        serde_json::from_value(h.clone()).map_err(serde::de::Error::custom)?,
                    )
                } else if let Some(n) = o.get("blockNumber") {
                    return serde_json::from_value::<BlockId>(n.clone())
                        .map_err(serde::de::Error::custom);
                } else {
                    return Err(serde::de::Error::custom(
                        "block object needs blockHash or blockNumber",
                    ));
                }
            }
            other => {
                return Err(serde::de::Error::custom(format!(
                    "invalid block selector {other}"
                )));
            }
        };
        Ok(BlockId(tag))
    }
}

/// A transaction-shaped request object (eth_call, eth_estimateGas,
/// eth_sendTransaction).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxRequest {
    /// The sender; a call without one runs from the zero address.
    pub from: Option<Address>,
    /// The callee; none creates a contract.
    pub to: Option<Address>,
    /// The gas limit; none means an estimate (or the cap, for calls).
    pub gas: Option<U64>,
    /// A legacy gas price; excludes the two EIP-1559 fees.
    pub gas_price: Option<Q256>,
    /// EIP-1559 fee cap per gas.
    pub max_fee_per_gas: Option<Q256>,
    /// EIP-1559 tip per gas.
    pub max_priority_fee_per_gas: Option<Q256>,
    /// Wei sent with the call.
    pub value: Option<Q256>,
    /// Call data under its older name; see [`TxRequest::input`].
    pub data: Option<Bytes>,
    /// Call data.
    pub input: Option<Bytes>,
    /// The sender's nonce; none means the next one.
    pub nonce: Option<U64>,
    /// Transaction type 0, 1 or 2.
    #[serde(rename = "type")]
    pub tx_type: Option<U64>,
    /// Must be this chain's id when given.
    pub chain_id: Option<U64>,
    /// EIP-2930 access list.
    pub access_list: Option<Vec<AccessListItemJson>>,
}

/// One EIP-2930 access list entry as sent.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessListItemJson {
    /// The account accessed.
    pub address: Address,
    /// Its storage slots accessed.
    #[serde(default)]
    pub storage_keys: Vec<H256>,
}

impl TxRequest {
    /// The call data, from `input` or its older name `data`.
    pub fn input(&self) -> Result<Bytes, RpcError> {
        match (&self.input, &self.data) {
            (Some(i), Some(d)) if i != d => Err(RpcError::invalid_params(
                "both \"data\" and \"input\" are set and not equal. Please use \"input\" to pass transaction call data",
            )),
            (Some(i), _) => Ok(i.clone()),
            (None, Some(d)) => Ok(d.clone()),
            (None, None) => Ok(Bytes::new()),
        }
    }

    /// The chain's call request; refuses a legacy price mixed with EIP-1559 fees.
    pub fn to_call(&self) -> Result<CallRequest, RpcError> {
        if self.gas_price.is_some()
            && (self.max_fee_per_gas.is_some() || self.max_priority_fee_per_gas.is_some())
        {
            return Err(RpcError::invalid_params(
                "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
            ));
        }
        Ok(CallRequest {
            from: self.from,
            to: self.to,
            gas: self.gas.map(|g| g.0),
            gas_price: self.gas_price.map(|g| g.0),
            max_fee_per_gas: self.max_fee_per_gas.map(|g| g.0),
            max_priority_fee_per_gas: self.max_priority_fee_per_gas.map(|g| g.0),
            value: self.value.map(|v| v.0),
            input: self.input()?,
            nonce: self.nonce.map(|n| n.0),
            access_list: self
                .access_list
                .iter()
                .flatten()
                .map(|i| (i.address, i.storage_keys.clone()))
                .collect(),
        })
    }
}

/// One or many of something (`address` in filters).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single item, not in a list.
    One(T),
    /// A list of items.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The items, one or many.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

/// A log filter object (eth_getLogs, eth_newFilter, logs subscriptions).
/// `blockHash` together with `fromBlock`/`toBlock` is refused while
/// parsing, so the error names the argument as geth's does ("invalid
/// argument 0: cannot specify both …", execution-apis
/// filter-error-invalid-blockHash-and-range).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(try_from = "FilterFields")]
pub struct FilterJson {
    /// First block, inclusive (default `latest`).
    pub from_block: Option<BlockId>,
    /// Last block, inclusive (default `latest`).
    pub to_block: Option<BlockId>,
    /// One block by hash, instead of a range.
    pub block_hash: Option<H256>,
    /// Emitting contracts; none means any.
    pub address: Option<OneOrMany<Address>>,
    /// Per position: null or `[]` matches anything, a list any of its topics.
    pub topics: Option<Vec<Option<OneOrMany<Option<H256>>>>>,
}

/// The filter object's fields as sent, before [`FilterJson`]'s check.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FilterFields {
    from_block: Option<BlockId>,
    to_block: Option<BlockId>,
    block_hash: Option<H256>,
    address: Option<OneOrMany<Address>>,
    topics: Option<Vec<Option<OneOrMany<Option<H256>>>>>,
}

impl TryFrom<FilterFields> for FilterJson {
    type Error = &'static str;

    fn try_from(f: FilterFields) -> Result<Self, Self::Error> {
        if f.block_hash.is_some() && (f.from_block.is_some() || f.to_block.is_some()) {
            return Err(
                "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other",
            );
        }
        Ok(FilterJson {
            from_block: f.from_block,
            to_block: f.to_block,
            block_hash: f.block_hash,
            address: f.address,
            topics: f.topics,
        })
    }
}

/// An `eth_getStorageAt` slot, read as geth reads it: a hex string of at
/// most 32 bytes, `0x` optional, odd lengths padded, left-padded to a word;
/// refused with geth's texts and -32602 (execution-apis
/// get-storage-invalid-key and get-storage-invalid-key-too-large). A JSON
/// number is still taken as the slot number.
pub fn storage_key(v: &Value) -> Result<H256, RpcError> {
    let s = match v {
        Value::String(s) => s,
        Value::Number(n) => {
            let n = n.as_u64().ok_or_else(|| {
                RpcError::invalid_params("invalid storage key: number out of range")
            })?;
            return Ok(H256(U256::from(n).to_big_endian()));
        }
        other => {
            return Err(RpcError::invalid_params(format!(
                "invalid storage key: expected a hex string, got {other}"
            )));
        }
    };
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if digits.len() > 64 {
        return Err(RpcError::invalid_params(format!(
            "storage key too long (want at most 32 bytes): {s:?}"
        )));
    }
    let invalid = || RpcError::invalid_params(format!("invalid hex in storage key: {s:?}"));
    let bytes = hex::decode(format!("{digits:0>64}")).map_err(|_| invalid())?;
    let word: [u8; 32] = bytes.as_slice().try_into().map_err(|_| invalid())?;
    Ok(H256(word))
}

impl FilterJson {
    /// The addresses matched, empty for any.
    pub fn addresses(&self) -> Vec<Address> {
        self.address
            .clone()
            .map(|a| a.into_vec())
            .unwrap_or_default()
    }

    /// Topic constraints: `None` at a position matches anything, as null,
    /// an empty list `[]` or a list containing null there does in geth
    /// (execution-apis topic-wildcard).
    pub fn topics(&self) -> Result<Vec<Option<Vec<H256>>>, RpcError> {
        let topics = self.topics.clone().unwrap_or_default();
        if topics.len() > 4 {
            return Err(RpcError::invalid_params("too many topics, at most 4"));
        }
        Ok(topics
            .into_iter()
            .map(|t| {
                let list = t?.into_vec();
                if list.is_empty() || list.iter().any(|x| x.is_none()) {
                    return None;
                }
                Some(list.into_iter().flatten().collect())
            })
            .collect())
    }
}

/// Parses one parameter of a known shape from a JSON value.
pub fn from_value<T: DeserializeOwned>(v: Value, what: &str) -> Result<T, RpcError> {
    serde_json::from_value(v).map_err(|e| RpcError::invalid_params(format!("invalid {what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_ids() {
        let p = |v: Value| serde_json::from_value::<BlockId>(v).map(|b| b.0);
        assert_eq!(p(json!("latest")).unwrap(), BlockTag::Latest);
        assert_eq!(p(json!("0x10")).unwrap(), BlockTag::Number(16));
        assert_eq!(
            p(json!({"blockNumber": "0x2"})).unwrap(),
            BlockTag::Number(2)
        );
        assert!(matches!(
            p(json!({"blockHash": format!("0x{}", "ab".repeat(32))})).unwrap(),
            BlockTag::Hash(_)
        ));
        assert!(p(json!("lattest")).is_err());
        assert!(p(json!("0x")).is_err());
        assert!(p(json!(true)).is_err());
    }

    #[test]
    fn storage_keys_as_geth() {
        let word = |last: u8| {
            let mut w = [0u8; 32];
            w[31] = last;
            H256(w)
        };
        assert_eq!(storage_key(&json!("0x0")).unwrap(), word(0));
        assert_eq!(storage_key(&json!("0x")).unwrap(), word(0));
        assert_eq!(storage_key(&json!("0x102")).unwrap().0[30..], [1, 2]);
        assert_eq!(storage_key(&json!("2a")).unwrap(), word(0x2a));
        assert_eq!(storage_key(&json!(7)).unwrap(), word(7));
        let full = format!("0x{}", "ab".repeat(32));
        assert_eq!(storage_key(&json!(full)).unwrap(), H256([0xab; 32]));
        // The texts of execution-apis' cases.
        let long = format!("0x{}", "0".repeat(65));
        let e = storage_key(&json!(long)).unwrap_err();
        assert_eq!(e.code, -32602);
        assert_eq!(
            e.message,
            format!("storage key too long (want at most 32 bytes): \"{long}\"")
        );
        let e = storage_key(&json!("0xasdf")).unwrap_err();
        assert_eq!(e.code, -32602);
        assert_eq!(e.message, "invalid hex in storage key: \"0xasdf\"");
        assert!(storage_key(&json!(true)).is_err());
    }

    #[test]
    fn filter_with_block_hash_and_range_is_refused_while_parsing() {
        let hash = format!("0x{}", "11".repeat(32));
        for range in [json!({"fromBlock": "0x1"}), json!({"toBlock": "latest"})] {
            let mut f = range.clone();
            f["blockHash"] = json!(hash);
            let p = Params::from(vec![f]);
            let e = p.req::<FilterJson>(0).unwrap_err();
            assert_eq!(e.code, -32602);
            assert_eq!(
                e.message,
                "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other"
            );
        }
        let f: FilterJson = serde_json::from_value(json!({"blockHash": hash})).unwrap();
        assert!(f.block_hash.is_some());
        assert!(serde_json::from_value::<FilterJson>(json!({"fromBlok": "0x1"})).is_err());
    }

    #[test]
    fn filters() {
        let f: FilterJson = serde_json::from_value(json!({
            "address": "0x00000000000000000000000000000000000000aa",
            "topics": [null, [format!("0x{}", "11".repeat(32)), null], format!("0x{}", "22".repeat(32))]
        }))
        .unwrap();
        assert_eq!(f.addresses().len(), 1);
        let t = f.topics().unwrap();
        assert_eq!(t[0], None);
        assert_eq!(t[1], None);
        assert_eq!(t[2].as_ref().unwrap().len(), 1);
        // `[]` at a position is a wildcard too, not "no topic matches".
        let f: FilterJson = serde_json::from_value(json!({
            "topics": [[], [format!("0x{}", "11".repeat(32))]]
        }))
        .unwrap();
        let t = f.topics().unwrap();
        assert_eq!(t[0], None);
        assert_eq!(t[1].as_ref().unwrap().len(), 1);
    }
}
