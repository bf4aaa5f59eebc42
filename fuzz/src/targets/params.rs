//! JSON-RPC parameters: the shapes in `orac_rpc::params` (block
//! selectors, quantities, transaction requests, log filters), parsed from
//! request text the way the server does (`params::from_value`, what
//! `Params::req` runs per position), without a chain behind them. The
//! positional `Params` wrapper itself is exercised by the `rpc` target,
//! through the server.
//!
//! Properties, for every parameter position and every shape:
//!
//! * nothing panics (parsing, `TxRequest::to_call`, `FilterJson::topics`);
//! * what parses re-encodes canonically (`0x` quantities, tags, objects)
//!   and parses back to the same value;
//! * the shapes agree: a value `U64` takes, `Q256` takes as the same
//!   number, and as a block selector (unless it is a 66-character string,
//!   which is a block hash, as in geth) it is that block number.

use orac_bench::vmkit::Rng;
use orac_chain::BlockTag;
use orac_primitives::{Address, Bytes, H256, U256};
use orac_rpc::params::{BlockId, FilterJson, OneOrMany, Q256, TxRequest, U64, from_value};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::rpc::{FIELD_NAMES, METHOD_NAMES, SeedValues, TYPE_STRINGS, seed_requests};
use crate::harness::Target;
use crate::mutate::{self, chance, pick};

pub(crate) struct ParamsTarget {
    seeds: Vec<Vec<u8>>,
    parsed: u64,
    accepted: u64,
}

impl ParamsTarget {
    pub(crate) fn new() -> Self {
        let seeds = seed_requests(&SeedValues::placeholder())
            .into_iter()
            .map(|r| r.to_string().into_bytes())
            .collect();
        Self {
            seeds,
            parsed: 0,
            accepted: 0,
        }
    }
}

/// Mutates a request: its JSON tree, usually, then maybe its text.
pub(crate) fn mutate_request(seeds: &[Vec<u8>], rng: &mut Rng) -> Vec<u8> {
    let mut data = pick(rng, seeds).clone();
    if chance(rng, 4) {
        // A batch of a few requests.
        let n = 1 + rng.below(4);
        let items: Vec<String> = (0..n)
            .map(|_| String::from_utf8_lossy(pick(rng, seeds).as_slice()).into_owned())
            .collect();
        data = format!("[{}]", items.join(",")).into_bytes();
    }
    if let Ok(mut v) = serde_json::from_slice::<Value>(&data)
        && !chance(rng, 5)
    {
        let strings = if chance(rng, 3) {
            TYPE_STRINGS
        } else {
            METHOD_NAMES
        };
        mutate::json(&mut v, rng, FIELD_NAMES, strings);
        data = v.to_string().into_bytes();
    }
    if chance(rng, 4) {
        mutate::bytes(&mut data, rng, seeds);
    }
    if chance(rng, 50) {
        // Deep nesting at the text level, past any value-level depth.
        let depth = 1 + rng.below(5_000) as usize;
        let mut deep = "[".repeat(depth).into_bytes();
        deep.extend_from_slice(&data);
        deep.extend("]".repeat(depth).into_bytes());
        data = deep;
    }
    data
}

fn tag_json(t: BlockTag) -> Value {
    match t {
        BlockTag::Latest => json!("latest"),
        BlockTag::Earliest => json!("earliest"),
        BlockTag::Pending => json!("pending"),
        BlockTag::Safe => json!("safe"),
        BlockTag::Finalized => json!("finalized"),
        BlockTag::Number(n) => json!(format!("{n:#x}")),
        BlockTag::Hash(h) => json!({ "blockHash": h }),
    }
}

fn q(v: U256) -> Value {
    json!(format!("{v:#x}"))
}

fn tx_request_json(t: &TxRequest) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put("from", t.from.map(|a| json!(a)));
    put("to", t.to.map(|a| json!(a)));
    put("gas", t.gas.map(|g| json!(format!("{:#x}", g.0))));
    put("gasPrice", t.gas_price.map(|g| q(g.0)));
    put("maxFeePerGas", t.max_fee_per_gas.map(|g| q(g.0)));
    put(
        "maxPriorityFeePerGas",
        t.max_priority_fee_per_gas.map(|g| q(g.0)),
    );
    put("value", t.value.map(|g| q(g.0)));
    put("data", t.data.as_ref().map(|d| json!(d)));
    put("input", t.input.as_ref().map(|d| json!(d)));
    put("nonce", t.nonce.map(|n| json!(format!("{:#x}", n.0))));
    put("type", t.tx_type.map(|n| json!(format!("{:#x}", n.0))));
    put("chainId", t.chain_id.map(|n| json!(format!("{:#x}", n.0))));
    put(
        "accessList",
        t.access_list.as_ref().map(|l| {
            Value::Array(
                l.iter()
                    .map(|i| json!({ "address": i.address, "storageKeys": i.storage_keys }))
                    .collect(),
            )
        }),
    );
    Value::Object(m)
}

fn one_or_many<T: serde::Serialize>(v: &OneOrMany<T>) -> Value {
    match v {
        OneOrMany::One(t) => json!(t),
        OneOrMany::Many(ts) => json!(ts),
    }
}

fn filter_json(f: &FilterJson) -> Value {
    let mut m = Map::new();
    if let Some(b) = f.from_block {
        m.insert("fromBlock".into(), tag_json(b.0));
    }
    if let Some(b) = f.to_block {
        m.insert("toBlock".into(), tag_json(b.0));
    }
    if let Some(h) = f.block_hash {
        m.insert("blockHash".into(), json!(h));
    }
    if let Some(a) = &f.address {
        m.insert("address".into(), one_or_many(a));
    }
    if let Some(t) = &f.topics {
        m.insert(
            "topics".into(),
            Value::Array(
                t.iter()
                    .map(|x| x.as_ref().map_or(Value::Null, one_or_many))
                    .collect(),
            ),
        );
    }
    Value::Object(m)
}

/// Parses a parameter as the server does.
fn parse<T: DeserializeOwned>(v: &Value) -> Option<T> {
    from_value(v.clone(), "parameter").ok()
}

/// `value`, written canonically as `canonical`, parses back to itself
/// (compared by `Debug`: the request shapes do not implement `PartialEq`).
fn reparses<T: DeserializeOwned + std::fmt::Debug>(
    what: &str,
    value: &T,
    canonical: Value,
) -> Result<(), String> {
    let back: T = serde_json::from_value(canonical.clone())
        .map_err(|e| format!("{what} {canonical} does not parse back: {e}"))?;
    if format!("{back:?}") != format!("{value:?}") {
        return Err(format!("{what} round trip: {value:?} -> {back:?}"));
    }
    Ok(())
}

/// Parses `v` as every shape a parameter can have and checks each one
/// that parses. Returns how many shapes took it.
fn check_value(v: &Value) -> Result<u64, String> {
    let mut took = 0;
    let u64_ = parse::<U64>(v);
    let q256 = parse::<Q256>(v);
    let block = parse::<BlockId>(v);
    if let Some(u) = u64_ {
        took += 1;
        let back: U64 = serde_json::from_value(json!(format!("{:#x}", u.0)))
            .map_err(|e| format!("U64 {} does not parse back: {e}", u.0))?;
        if back != u {
            return Err(format!("U64 round trip: {} -> {}", u.0, back.0));
        }
        if q256 != Some(Q256(U256::from(u.0))) {
            return Err(format!("U64 takes {v} as {}, Q256 as {q256:?}", u.0));
        }
        let is_hash = v.as_str().is_some_and(|s| s.len() == 66);
        if !is_hash && block != Some(BlockId(BlockTag::Number(u.0))) {
            return Err(format!(
                "U64 takes {v} as {}, the block selector as {block:?}",
                u.0
            ));
        }
    }
    if let Some(x) = q256 {
        took += 1;
        let back: Q256 =
            serde_json::from_value(q(x.0)).map_err(|e| format!("Q256 does not parse back: {e}"))?;
        if back != x {
            return Err("Q256 round trip".into());
        }
    }
    if let Some(b) = block {
        took += 1;
        let back: BlockId = serde_json::from_value(tag_json(b.0))
            .map_err(|e| format!("block selector {b:?} does not parse back: {e}"))?;
        if back != b {
            return Err(format!("block selector round trip: {b:?} -> {back:?}"));
        }
    }
    if let Some(t) = parse::<TxRequest>(v) {
        took += 1;
        let _ = t.to_call();
        let _ = t.input();
        reparses("TxRequest", &t, tx_request_json(&t))?;
    }
    if let Some(f) = parse::<FilterJson>(v) {
        took += 1;
        let _ = f.topics();
        let _ = f.addresses();
        reparses("filter", &f, filter_json(&f))?;
    }
    if let Ok(h) = parse::<H256>(v).ok_or(()) {
        took += 1;
        if serde_json::from_value::<H256>(json!(h)).ok() != Some(h) {
            return Err("H256 round trip".into());
        }
    }
    if let Some(a) = parse::<Address>(v) {
        took += 1;
        if serde_json::from_value::<Address>(json!(a)).ok() != Some(a) {
            return Err("address round trip".into());
        }
    }
    if let Some(b) = parse::<Bytes>(v) {
        took += 1;
        if serde_json::from_value::<Bytes>(json!(b)).ok() != Some(b) {
            return Err("bytes round trip".into());
        }
    }
    let _ = parse::<Vec<Q256>>(v);
    let _ = parse::<Vec<f64>>(v);
    let _ = parse::<bool>(v);
    Ok(took)
}

impl Target for ParamsTarget {
    fn input(&mut self, rng: &mut Rng) -> Vec<u8> {
        mutate_request(&self.seeds, rng)
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let Ok(value) = serde_json::from_slice::<Value>(input) else {
            return Ok(());
        };
        self.parsed += 1;
        let calls = match value {
            Value::Array(calls) => calls,
            other => vec![other],
        };
        for call in calls {
            // A request's params, or the value itself as if it were.
            let raw = match call {
                Value::Object(mut m) => m.remove("params"),
                other => Some(other),
            };
            let Some(Value::Array(args)) = raw else {
                continue;
            };
            for v in args.iter().take(5) {
                self.accepted += check_value(v)?;
            }
        }
        Ok(())
    }

    fn stats(&self) -> String {
        format!(
            "{} parsed as JSON, {} parameter shapes accepted",
            self.parsed, self.accepted
        )
    }
}
