//! Reading blocks, transactions, receipts, logs, state and proofs.

use orac_chain::{BlockTag, Chain};
use orac_primitives::{Address, H256, Header, U256};
use orac_state::{BlockBody, LogQuery, Snapshot, StateReader, StoredReceipt};
use serde_json::{Value, json};

use crate::error::RpcError;
use crate::params::FilterJson;
use crate::types::{Quantity, RpcBlock, RpcLog, RpcTransaction, TxPosition, block_receipts};

/// Most logs one query returns (clients split the range when they see the
/// "more than N results" error).
pub const MAX_LOGS: usize = 10_000;
/// Widest block range one eth_getLogs may scan without an address or topic.
pub const MAX_LOG_RANGE: u64 = 100_000;
/// Widest block range with an address or topic: the index lists the
/// matching blocks (8 bytes each in memory) before any is read.
pub const MAX_LOG_RANGE_INDEXED: u64 = 1_000_000;

fn to_value<T: serde::Serialize>(v: T) -> Result<Value, RpcError> {
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

pub fn block(chain: &Chain, tag: BlockTag, full: bool) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    match load(chain, &snap, tag, false)? {
        Some(b) => to_value(RpcBlock::new(&b.header, &b.body.transactions, full)),
        None => Ok(Value::Null),
    }
}

pub fn block_tx_count(chain: &Chain, tag: BlockTag) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    match load(chain, &snap, tag, false)? {
        Some(b) => to_value(Quantity(b.body.transactions.len() as u64)),
        None => Ok(Value::Null),
    }
}

pub fn transaction_by_hash(chain: &Chain, hash: H256) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    if let Some(loc) = snap.tx_location(&hash)? {
        return tx_at(&snap, loc.block, loc.index as usize);
    }
    match chain.pool_transaction(&hash) {
        Some(tx) => to_value(RpcTransaction::new(&tx, None)),
        None => Ok(Value::Null),
    }
}

pub fn transaction_by_block_and_index(
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

pub fn receipt(chain: &Chain, hash: H256) -> Result<Value, RpcError> {
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

pub fn block_receipts_at(chain: &Chain, tag: BlockTag) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    match load(chain, &snap, tag, true)? {
        Some(b) => to_value(block_receipts(&b.header, &b.body.transactions, &b.receipts)),
        None => Ok(Value::Null),
    }
}

/// Turns a filter object into a concrete query against the current head.
/// A `toBlock` past the head is refused (eth_getLogs, as geth), unless
/// `future_ok` (a polling filter waits for those blocks).
pub fn log_query(
    chain: &Chain,
    snap: &Snapshot,
    f: &FilterJson,
    future_ok: bool,
) -> Result<LogQuery, RpcError> {
    let head = snap.head()?.number;
    let (from, to) = if let Some(hash) = f.block_hash {
        if f.from_block.is_some() || f.to_block.is_some() {
            return Err(RpcError::invalid_params(
                "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other",
            ));
        }
        let n = snap
            .block_number(&hash)?
            .ok_or_else(|| RpcError::server("unknown block"))?;
        (n, n)
    } else {
        let resolve = |id: Option<crate::params::BlockId>| -> Result<u64, RpcError> {
            match id.map(|b| b.0) {
                None => Ok(head),
                Some(BlockTag::Number(n)) if future_ok => Ok(n.min(head)),
                Some(BlockTag::Number(n)) => Ok(n),
                Some(tag) => chain
                    .resolve(snap, tag)?
                    .ok_or_else(|| RpcError::server("unknown block")),
            }
        };
        (resolve(f.from_block)?, resolve(f.to_block)?)
    };
    // geth's checks and texts (execution-apis filter-error-* cases).
    if to > head {
        return Err(RpcError::invalid_params(
            "block range extends beyond current head block",
        ));
    }
    if from > to {
        return Err(RpcError::invalid_params("invalid block range params"));
    }
    let query = LogQuery {
        from,
        to,
        addresses: f.addresses(),
        topics: f.topics()?,
    };
    // Without an address or topic every block in range is read; with one,
    // the index lists every matching block in range before any is read
    // (a popular address matches most blocks). Both are bounded.
    let constrained = !query.addresses.is_empty() || query.topics.iter().any(|t| t.is_some());
    let (cap, what) = if constrained {
        (MAX_LOG_RANGE_INDEXED, "with")
    } else {
        (MAX_LOG_RANGE, "without")
    };
    if to - from >= cap {
        return Err(RpcError::new(
            crate::error::LIMIT_EXCEEDED,
            format!(
                "block range too large: at most {cap} blocks {what} an address or topic filter"
            ),
        ));
    }
    Ok(query)
}

/// eth_getLogs, or with `future_ok` eth_getFilterLogs (see [`log_query`]).
pub fn logs(chain: &Chain, f: &FilterJson, future_ok: bool) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    let q = log_query(chain, &snap, f, future_ok)?;
    let logs = snap.logs(&q, MAX_LOGS)?;
    to_value(logs.iter().map(RpcLog::from).collect::<Vec<_>>())
}

fn state(chain: &Chain, snap: &Snapshot, tag: BlockTag) -> Result<orac_chain::StateView, RpcError> {
    chain
        .state_at(snap, tag)?
        .ok_or_else(|| RpcError::server("header not found"))
}

pub fn balance(chain: &Chain, address: Address, tag: BlockTag) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    let b = state(chain, &snap, tag)?
        .account(&address)?
        .map(|a| a.balance)
        .unwrap_or_default();
    to_value(b)
}

pub fn nonce(chain: &Chain, address: Address, tag: BlockTag) -> Result<Value, RpcError> {
    if tag == BlockTag::Pending {
        return to_value(Quantity(chain.pending_nonce(&address)?));
    }
    let snap = chain.snapshot()?;
    let n = state(chain, &snap, tag)?
        .account(&address)?
        .map(|a| a.nonce)
        .unwrap_or_default();
    to_value(Quantity(n))
}

pub fn code(chain: &Chain, address: Address, tag: BlockTag) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    let st = state(chain, &snap, tag)?;
    let code = match st.account(&address)? {
        Some(a) => st.code(&a.code_hash)?,
        None => Default::default(),
    };
    to_value(code)
}

pub fn storage_at(
    chain: &Chain,
    address: Address,
    slot: H256,
    tag: BlockTag,
) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    to_value(state(chain, &snap, tag)?.storage(&address, &slot)?)
}

/// EIP-1186 `eth_getProof`.
pub fn proof(
    chain: &Chain,
    address: Address,
    slots: Vec<H256>,
    tag: BlockTag,
) -> Result<Value, RpcError> {
    if tag == BlockTag::Pending {
        // Its state was never written, so its trie nodes are nowhere to
        // prove from; saying so beats a proof against the wrong root.
        return Err(RpcError::invalid_params(
            "proofs are served for mined blocks, not the pending block",
        ));
    }
    let snap = chain.snapshot()?;
    let n = chain
        .resolve(&snap, tag)?
        .ok_or_else(|| RpcError::server("header not found"))?;
    let head = snap.head()?;
    let root = if n == head.number {
        snap.state_root()?
    } else {
        snap.header(n)?
            .ok_or_else(|| RpcError::server("header not found"))?
            .state_root
    };
    let st = snap.state_at(root)?;
    let (account_proof, storage_proofs) = st.proof(&address, &slots)?;
    let account = st.account(&address)?.unwrap_or_default();
    let hex = |p: &Vec<Vec<u8>>| {
        p.iter()
            .map(|n| format!("0x{}", hex::encode(n)))
            .collect::<Vec<_>>()
    };
    let mut storage = Vec::new();
    for (slot, p) in slots.iter().zip(&storage_proofs) {
        let value = U256::from_big_endian(st.storage(&address, slot)?.as_bytes());
        storage.push(json!({ "key": slot, "value": value, "proof": hex(p) }));
    }
    Ok(json!({
        "address": address,
        "accountProof": hex(&account_proof),
        "balance": account.balance,
        "codeHash": account.code_hash,
        "nonce": Quantity(account.nonce),
        "storageHash": account.storage_root,
        "storageProof": storage,
    }))
}
