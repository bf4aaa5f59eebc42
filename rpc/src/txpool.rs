//! `txpool_*`: what the mempool holds, in geth's shapes. Transactions are
//! grouped as `pending` (ready to run) or `queued` (waiting for a nonce
//! gap), then by sender, then by nonce (a decimal string key).

use std::collections::BTreeMap;
use std::sync::Arc;

use orac_chain::Chain;
use orac_primitives::{Address, RecoveredTx};
use serde::Serialize;

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

/// `txpool_status`: how many transactions are ready and how many wait.
#[derive(Serialize)]
pub(crate) struct PoolStatus {
    pending: Quantity,
    queued: Quantity,
}

/// The pool split as geth splits it: `pending` (ready to run) and
/// `queued` (waiting for a nonce gap to fill).
#[derive(Serialize)]
pub(crate) struct PoolSplit<T> {
    pending: T,
    queued: T,
}

/// `txpool_status`.
pub(crate) fn status(chain: &Chain) -> PoolStatus {
    let (ready, queued) = chain.pool_counts();
    PoolStatus {
        pending: Quantity(ready as u64),
        queued: Quantity(queued as u64),
    }
}

fn tx(t: &RecoveredTx) -> RpcTransaction {
    RpcTransaction::new(t, None)
}

/// `txpool_content`: every pooled transaction, by sender and nonce.
pub(crate) fn content(chain: &Chain) -> PoolSplit<BySender<RpcTransaction>> {
    let (ready, queued) = chain.pool_content();
    PoolSplit {
        pending: group(&ready, tx),
        queued: group(&queued, tx),
    }
}

/// `txpool_contentFrom`: one sender's pooled transactions, by nonce.
pub(crate) fn content_from(
    chain: &Chain,
    from: Address,
) -> PoolSplit<BTreeMap<String, RpcTransaction>> {
    let (ready, queued) = chain.pool_content();
    PoolSplit {
        pending: group(&ready, tx).remove(&from).unwrap_or_default(),
        queued: group(&queued, tx).remove(&from).unwrap_or_default(),
    }
}

/// geth's one-line summaries: `0xTO: VALUE wei + GAS gas × PRICE wei`.
pub(crate) fn inspect(chain: &Chain) -> PoolSplit<BySender<String>> {
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
    PoolSplit {
        pending: group(&ready, line),
        queued: group(&queued, line),
    }
}
