//! Reading blocks, transactions and receipts.

use orac_chain::{BlockTag, Chain};
use orac_primitives::{H256, Header};
use orac_state::{BlockBody, Snapshot, StoredReceipt};
use serde_json::Value;

use crate::error::RpcError;
use crate::types::{Quantity, RpcBlock, RpcTransaction, TxPosition, block_receipts};

/// A handler's answer as JSON.
pub(crate) fn to_value<T: serde::Serialize>(v: T) -> Result<Value, RpcError> {
    serde_json::to_value(v).map_err(RpcError::internal)
}

/// A block with its receipts: a stored one, or the pending one (anvil
/// serves the block it would seal next under `pending`).
struct Loaded {
    header: Header,
    body: BlockBody,
    receipts: Vec<StoredReceipt>,
}

/// Receipts are read only `with_receipts` (a stored block's can be large).
fn load(
    chain: &Chain,
    snap: &Snapshot,
    tag: BlockTag,
    with_receipts: bool,
) -> Result<Option<Loaded>, RpcError> {
    if tag == BlockTag::Pending {
        let (_, p) = chain.pending_block()?;
        return Ok(Some(Loaded {
            header: p.header.clone(),
            body: p.body.clone(),
            receipts: p.receipts.clone(),
        }));
    }
    let Some(n) = chain.resolve(snap, tag)? else {
        return Ok(None);
    };
    let (Some(header), Some(body)) = (snap.header(n)?, snap.body(n)?) else {
        return Ok(None);
    };
    let receipts = match with_receipts {
        true => match snap.receipts(n)? {
            Some(r) => r,
            None => return Ok(None),
        },
        false => Vec::new(),
    };
    Ok(Some(Loaded {
        header,
        body,
        receipts,
    }))
}

pub(crate) fn block(chain: &Chain, tag: BlockTag, full: bool) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    match load(chain, &snap, tag, false)? {
        Some(b) => to_value(RpcBlock::new(&b.header, &b.body.transactions, full)),
        None => Ok(Value::Null),
    }
}

pub(crate) fn block_tx_count(chain: &Chain, tag: BlockTag) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    match load(chain, &snap, tag, false)? {
        Some(b) => to_value(Quantity(b.body.transactions.len() as u64)),
        None => Ok(Value::Null),
    }
}

pub(crate) fn transaction_by_hash(chain: &Chain, hash: H256) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    if let Some(loc) = snap.tx_location(&hash)? {
        return tx_at(&snap, loc.block, loc.index as usize);
    }
    match chain.pool_transaction(&hash) {
        Some(tx) => to_value(RpcTransaction::new(&tx, None)),
        None => Ok(Value::Null),
    }
}

pub(crate) fn transaction_by_block_and_index(
    chain: &Chain,
    tag: BlockTag,
    index: u64,
) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    match load(chain, &snap, tag, false)? {
        Some(b) => in_block(&b.header, &b.body, index as usize),
        None => Ok(Value::Null),
    }
}

fn tx_at(snap: &Snapshot, block: u64, index: usize) -> Result<Value, RpcError> {
    let (Some(header), Some(body)) = (snap.header(block)?, snap.body(block)?) else {
        return Ok(Value::Null);
    };
    in_block(&header, &body, index)
}

fn in_block(header: &Header, body: &BlockBody, index: usize) -> Result<Value, RpcError> {
    let Some(tx) = body.transactions.get(index) else {
        return Ok(Value::Null);
    };
    let pos = TxPosition {
        block_hash: header.hash(),
        block_number: header.number,
        block_timestamp: header.timestamp,
        index: index as u64,
        base_fee: header.base_fee_per_gas,
    };
    to_value(RpcTransaction::new(tx, Some(pos)))
}

pub(crate) fn receipt(chain: &Chain, hash: H256) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    let Some(loc) = snap.tx_location(&hash)? else {
        return Ok(Value::Null);
    };
    let (Some(header), Some(body), Some(receipts)) = (
        snap.header(loc.block)?,
        snap.body(loc.block)?,
        snap.receipts(loc.block)?,
    ) else {
        return Ok(Value::Null);
    };
    let mut all = block_receipts(&header, &body.transactions, &receipts);
    if (loc.index as usize) >= all.len() {
        return Ok(Value::Null);
    }
    to_value(all.swap_remove(loc.index as usize))
}

pub(crate) fn block_receipts_at(chain: &Chain, tag: BlockTag) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    match load(chain, &snap, tag, true)? {
        Some(b) => to_value(block_receipts(&b.header, &b.body.transactions, &b.receipts)),
        None => Ok(Value::Null),
    }
}
