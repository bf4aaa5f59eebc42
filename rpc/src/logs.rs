//! Logs and log queries (eth_getLogs, and the filters' ranges).

use orac_chain::{BlockTag, Chain};
use orac_state::{LogQuery, Snapshot};

use crate::error::RpcError;
use crate::params::FilterJson;
use crate::types::RpcLog;

/// Most logs one query returns (clients split the range when they see the
/// "more than N results" error).
pub(crate) const MAX_LOGS: usize = 10_000;
/// Widest block range one eth_getLogs may scan without an address or topic.
pub(crate) const MAX_LOG_RANGE: u64 = 100_000;
/// Widest block range with an address or topic: the index lists the
/// matching blocks (8 bytes each in memory) before any is read.
pub(crate) const MAX_LOG_RANGE_INDEXED: u64 = 1_000_000;

/// Turns a filter object into a concrete query against the current head.
/// A `toBlock` past the head is refused (eth_getLogs, as geth), unless
/// `future_ok` (a polling filter waits for those blocks).
pub(crate) fn log_query(
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
    check_range(&query)?;
    Ok(query)
}

/// Without an address or topic every block in range is read; with one,
/// the index lists every matching block in range before any is read
/// (a popular address matches most blocks). Both are bounded.
fn check_range(query: &LogQuery) -> Result<(), RpcError> {
    let constrained = !query.addresses.is_empty() || query.topics.iter().any(|t| t.is_some());
    let (cap, what) = if constrained {
        (MAX_LOG_RANGE_INDEXED, "with")
    } else {
        (MAX_LOG_RANGE, "without")
    };
    if query.to - query.from >= cap {
        return Err(RpcError::new(
            crate::error::LIMIT_EXCEEDED,
            format!(
                "block range too large: at most {cap} blocks {what} an address or topic filter"
            ),
        ));
    }
    Ok(())
}

/// eth_getLogs, or with `future_ok` eth_getFilterLogs (see [`log_query`]).
pub(crate) fn logs(
    chain: &Chain,
    f: &FilterJson,
    future_ok: bool,
) -> Result<Vec<RpcLog>, RpcError> {
    let snap = chain.snapshot()?;
    let q = log_query(chain, &snap, f, future_ok)?;
    let logs = snap.logs(&q, MAX_LOGS)?;
    Ok(logs.iter().map(RpcLog::from).collect())
}
