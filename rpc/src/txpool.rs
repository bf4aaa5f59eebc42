//! `txpool_*`: what the mempool holds, in geth's shapes. Transactions are
//! grouped as `pending` (ready to run) or `queued` (waiting for a nonce
//! gap), then by sender, then by nonce (a decimal string key).

use std::collections::BTreeMap;
use std::sync::Arc;

use orac_chain::Chain;
use orac_primitives::{Address, RecoveredTx};
use serde_json::{Value, json};

use crate::error::RpcError;
use crate::types::{Quantity, RpcTransaction};

type BySender<T> = BTreeMap<Address, BTreeMap<String, T>>;

fn group<T>(txs: &[Arc<RecoveredTx>], f: impl Fn(&RecoveredTx) -> T) -> BySender<T> {
    let mut out: BySender<T> = BTreeMap::new();
    for t in txs {
        out.entry(t.sender)
            .or_default()
            .insert(t.tx.tx.nonce.to_string(), f(t));
    }
    out
}

pub fn status(chain: &Chain) -> Value {
    let (ready, queued) = chain.pool_counts();
    json!({ "pending": Quantity(ready as u64), "queued": Quantity(queued as u64) })
}

pub fn content(chain: &Chain) -> Result<Value, RpcError> {
    let (ready, queued) = chain.pool_content();
    let tx = |t: &RecoveredTx| RpcTransaction::new(t, None);
    Ok(json!({ "pending": group(&ready, tx), "queued": group(&queued, tx) }))
}

pub fn content_from(chain: &Chain, from: Address) -> Result<Value, RpcError> {
    let (ready, queued) = chain.pool_content();
    let tx = |t: &RecoveredTx| RpcTransaction::new(t, None);
    let mut pending = group(&ready, tx);
    let mut waiting = group(&queued, tx);
    Ok(json!({
        "pending": pending.remove(&from).unwrap_or_default(),
        "queued": waiting.remove(&from).unwrap_or_default(),
    }))
}

/// geth's one-line summaries: `0xTO: VALUE wei + GAS gas × PRICE wei`.
pub fn inspect(chain: &Chain) -> Result<Value, RpcError> {
    let (ready, queued) = chain.pool_content();
    let line = |t: &RecoveredTx| {
        let tx = &t.tx.tx;
        let to = match tx.to {
            Some(a) => format!("{a:?}"),
            None => "contract creation".to_string(),
        };
        format!(
            "{to}: {} wei + {} gas × {} wei",
            tx.value, tx.gas_limit, tx.max_fee_per_gas
        )
    };
    Ok(json!({ "pending": group(&ready, line), "queued": group(&queued, line) }))
}
