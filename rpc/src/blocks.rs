//! Reading blocks, transactions and receipts.

use orac_chain::{BlockTag, Chain};
use orac_primitives::{H256, Header};
use orac_state::{BlockBody, Snapshot, StoredReceipt};

use crate::error::RpcError;
use crate::types::{Quantity, RpcBlock, RpcReceipt, RpcTransaction, TxPosition, block_receipts};

/// A block with its receipts: a stored one, or the pending one (anvil
/// serves the block it would seal next under `pending`).
struct Loaded {
    header: Header,
    body: BlockBody,
    receipts: Vec<StoredReceipt>,
}

/// Receipts are read only `with_receipts` (a stored block's can be large).
fn load(chain: &Chain, tag: BlockTag, with_receipts: bool) -> Result<Option<Loaded>, RpcError> {
    let snap = chain.snapshot()?;
    if tag == BlockTag::Pending {
        let (_, p) = chain.pending_block()?;
        return Ok(Some(Loaded {
            header: p.header.clone(),
            body: p.body.clone(),
            receipts: p.receipts.clone(),
        }));
    }
    let Some(n) = chain.resolve(&snap, tag)? else {
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

/// `eth_getBlockBy*`: the block, or `None` (null) if there is none.
pub(crate) fn block(
    chain: &Chain,
    tag: BlockTag,
    full: bool,
) -> Result<Option<RpcBlock>, RpcError> {
    Ok(load(chain, tag, false)?.map(|b| RpcBlock::new(&b.header, &b.body.transactions, full)))
}

/// `eth_getBlockTransactionCountBy*`.
pub(crate) fn block_tx_count(chain: &Chain, tag: BlockTag) -> Result<Option<Quantity>, RpcError> {
    Ok(load(chain, tag, false)?.map(|b| Quantity(b.body.transactions.len() as u64)))
}

/// `eth_getTransactionByHash`: mined, or else still in the pool.
pub(crate) fn transaction_by_hash(
    chain: &Chain,
    hash: H256,
) -> Result<Option<RpcTransaction>, RpcError> {
    let snap = chain.snapshot()?;
    if let Some(loc) = snap.tx_location(&hash)? {
        return tx_at(&snap, loc.block, loc.index as usize);
    }
    Ok(chain
        .pool_transaction(&hash)
        .map(|tx| RpcTransaction::new(&tx, None)))
}

/// `eth_getTransactionByBlock*AndIndex`.
pub(crate) fn transaction_by_block_and_index(
    chain: &Chain,
    tag: BlockTag,
    index: u64,
) -> Result<Option<RpcTransaction>, RpcError> {
    Ok(load(chain, tag, false)?.and_then(|b| in_block(&b.header, &b.body, index as usize)))
}

fn tx_at(snap: &Snapshot, block: u64, index: usize) -> Result<Option<RpcTransaction>, RpcError> {
    let (Some(header), Some(body)) = (snap.header(block)?, snap.body(block)?) else {
        return Ok(None);
    };
    Ok(in_block(&header, &body, index))
}

fn in_block(header: &Header, body: &BlockBody, index: usize) -> Option<RpcTransaction> {
    let tx = body.transactions.get(index)?;
    let pos = TxPosition {
        block_hash: header.hash(),
        block_number: header.number,
        block_timestamp: header.timestamp,
        index: index as u64,
        base_fee: header.base_fee_per_gas,
    };
    Some(RpcTransaction::new(tx, Some(pos)))
}

/// `eth_getTransactionReceipt`: mined transactions only.
pub(crate) fn receipt(chain: &Chain, hash: H256) -> Result<Option<RpcReceipt>, RpcError> {
    let snap = chain.snapshot()?;
    let Some(loc) = snap.tx_location(&hash)? else {
        return Ok(None);
    };
    let (Some(header), Some(body), Some(receipts)) = (
        snap.header(loc.block)?,
        snap.body(loc.block)?,
        snap.receipts(loc.block)?,
    ) else {
        return Ok(None);
    };
    let mut all = block_receipts(&header, &body.transactions, &receipts);
    if (loc.index as usize) >= all.len() {
        return Ok(None);
    }
    Ok(Some(all.swap_remove(loc.index as usize)))
}

/// `eth_getBlockReceipts`.
pub(crate) fn block_receipts_at(
    chain: &Chain,
    tag: BlockTag,
) -> Result<Option<Vec<RpcReceipt>>, RpcError> {
    Ok(load(chain, tag, true)?
        .map(|b| block_receipts(&b.header, &b.body.transactions, &b.receipts)))
}
