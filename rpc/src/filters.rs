//! Polling filters (eth_newFilter, eth_newBlockFilter, eth_getFilterChanges).
//!
//! A filter remembers the last block it reported; each poll reads the
//! blocks after it from the database, so nothing is missed however rarely a
//! client polls. Filters nobody polls for five minutes are removed, as geth
//! does, and the number alive at once is bounded.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use orac_chain::{BlockTag, Chain};
use orac_primitives::H256;
use orac_primitives::U256;
use orac_state::{LogQuery, Snapshot};
use parking_lot::Mutex;
use serde::Serialize;

use crate::error::RpcError;
use crate::logs::{MAX_LOGS, log_query};
use crate::params::FilterJson;
use crate::types::RpcLog;

/// Filters not polled for this long are dropped.
pub(crate) const FILTER_TIMEOUT: Duration = Duration::from_secs(300);

/// What `eth_getFilterChanges` answers: block or transaction hashes, or
/// logs, as the filter's kind says.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum FilterChanges {
    /// New block hashes, or new pending transaction hashes.
    Hashes(Vec<H256>),
    /// New matching logs.
    Logs(Vec<RpcLog>),
}

#[derive(Clone)]
enum Kind {
    Blocks,
    Logs(FilterJson),
    /// Hashes of transactions admitted since the last poll, gathered from
    /// the chain's events.
    Pending,
}

struct Filter {
    kind: Kind,
    /// For [`Kind::Pending`]: the chain's events since the last poll. The
    /// channel is bounded; a filter polled too rarely loses the oldest
    /// hashes, as geth's does.
    events: Option<tokio::sync::broadcast::Receiver<orac_chain::ChainEvent>>,
    /// Last block reported.
    last: u64,
    polled: Instant,
}

/// The blocks a poll of a log filter (or a logs subscription) covers: those
/// after the last one reported (`from..=head`), within the filter's own
/// bounds where they are fixed blocks. A tag bound (`latest`, `pending`,
/// `safe`, `finalized`, or none) moves with the chain and so bounds nothing
/// here: a filter made with `fromBlock: "latest"` reports every new log, not
/// only those of the head block at the time of the poll, as in geth (its
/// `filterLogs` ignores negative, i.e. tag, bounds) and anvil.
pub(crate) fn new_blocks(
    chain: &Chain,
    snap: &Snapshot,
    f: &FilterJson,
    from: u64,
    head: u64,
) -> Result<Option<(u64, u64)>, RpcError> {
    let fixed = |id: Option<crate::params::BlockId>| -> Result<Option<u64>, RpcError> {
        Ok(match id.map(|b| b.0) {
            Some(BlockTag::Number(n)) => Some(n),
            Some(BlockTag::Earliest) => Some(0),
            Some(tag @ BlockTag::Hash(_)) => chain.resolve(snap, tag)?,
            _ => None,
        })
    };
    let (lo, hi) = match f.block_hash {
        Some(hash) => match snap.block_number(&hash)? {
            Some(n) => (n, n),
            None => return Ok(None),
        },
        None => (
            fixed(f.from_block)?.unwrap_or(0),
            fixed(f.to_block)?.unwrap_or(u64::MAX),
        ),
    };
    let (lo, hi) = (lo.max(from), hi.min(head));
    Ok((lo <= hi).then_some((lo, hi)))
}

pub(crate) struct Filters {
    max: usize,
    inner: Mutex<HashMap<U256, Filter>>,
}

impl Filters {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            inner: Mutex::new(HashMap::new()),
        }
    }

    fn install(&self, chain: &Chain, kind: Kind) -> Result<U256, RpcError> {
        let events = matches!(kind, Kind::Pending).then(|| chain.subscribe());
        let head = chain.head_pointer()?.number;
        let mut filters = self.inner.lock();
        filters.retain(|_, f| f.polled.elapsed() < FILTER_TIMEOUT);
        if filters.len() >= self.max {
            return Err(RpcError::new(
                crate::error::LIMIT_EXCEEDED,
                format!("too many filters installed (limit {})", self.max),
            ));
        }
        let id = U256::from(rand::random::<u128>());
        filters.insert(
            id,
            Filter {
                kind,
                events,
                last: head,
                polled: Instant::now(),
            },
        );
        Ok(id)
    }

    /// `eth_newBlockFilter`: the new filter's id.
    pub(crate) fn new_block_filter(&self, chain: &Chain) -> Result<U256, RpcError> {
        self.install(chain, Kind::Blocks)
    }

    /// `eth_newPendingTransactionFilter`: the new filter's id.
    pub(crate) fn new_pending_filter(&self, chain: &Chain) -> Result<U256, RpcError> {
        self.install(chain, Kind::Pending)
    }

    /// `eth_newFilter`: the new filter's id.
    pub(crate) fn new_log_filter(&self, chain: &Chain, f: FilterJson) -> Result<U256, RpcError> {
        // Validate now, so a bad filter fails at creation, not at poll.
        log_query(chain, &chain.snapshot()?, &f, true)?;
        self.install(chain, Kind::Logs(f))
    }

    /// Drops the filters nobody polled for [`FILTER_TIMEOUT`] (called on
    /// a timer by the server).
    pub(crate) fn expire(&self) {
        self.inner
            .lock()
            .retain(|_, f| f.polled.elapsed() < FILTER_TIMEOUT);
    }

    pub(crate) fn uninstall(&self, id: U256) -> bool {
        self.inner.lock().remove(&id).is_some()
    }

    fn not_found() -> RpcError {
        RpcError::server("filter not found")
    }

    /// What happened since the last poll.
    pub(crate) fn changes(&self, chain: &Chain, id: U256) -> Result<FilterChanges, RpcError> {
        let (kind, last) = {
            let mut filters = self.inner.lock();
            let f = filters.get_mut(&id).ok_or_else(Self::not_found)?;
            f.polled = Instant::now();
            if let Some(events) = &mut f.events {
                return Ok(FilterChanges::Hashes(pending_hashes(events)));
            }
            (f.kind.clone(), f.last)
        };
        let snap = chain.snapshot()?;
        let head = snap.head()?.number;
        // After a rewind the chain may be behind what was reported.
        let from = last.min(head) + 1;
        // What this poll covers: up to the head, or less when that would be
        // more than a poll may return; the next poll goes on from there.
        let (result, reached) = match kind {
            Kind::Blocks => {
                let to = head.min(from.saturating_add(MAX_LOGS as u64 - 1));
                let mut hashes = Vec::new();
                for n in from..=to {
                    if let Some(h) = snap.header(n)? {
                        hashes.push(h.hash());
                    }
                }
                (FilterChanges::Hashes(hashes), to.max(last.min(head)))
            }
            Kind::Pending => (FilterChanges::Hashes(Vec::new()), head),
            Kind::Logs(f) => match new_blocks(chain, &snap, &f, from, head)? {
                None => (FilterChanges::Logs(Vec::new()), head),
                Some((lo, hi)) => {
                    let q = LogQuery {
                        from: lo,
                        to: hi,
                        addresses: f.addresses(),
                        topics: f.topics()?,
                    };
                    match logs_up_to(&snap, q, MAX_LOGS) {
                        Ok((logs, reached)) => (
                            FilterChanges::Logs(logs.iter().map(RpcLog::from).collect()),
                            reached,
                        ),
                        Err(e) => {
                            // One block alone has more than a poll may
                            // return: the filter cannot go on.
                            self.uninstall(id);
                            return Err(e);
                        }
                    }
                }
            },
        };
        if let Some(f) = self.inner.lock().get_mut(&id) {
            f.last = reached;
        }
        Ok(result)
    }

    /// Every log the filter matches (eth_getFilterLogs).
    pub(crate) fn logs(&self, chain: &Chain, id: U256) -> Result<Vec<RpcLog>, RpcError> {
        let kind = {
            let mut filters = self.inner.lock();
            let f = filters.get_mut(&id).ok_or_else(Self::not_found)?;
            f.polled = Instant::now();
            f.kind.clone()
        };
        match kind {
            Kind::Logs(f) => crate::logs::logs(chain, &f, true),
            Kind::Blocks | Kind::Pending => Err(RpcError::server("filter not found")),
        }
    }
}

/// The logs of `q`, at most `limit`: all of them with `q.to`, or those of
/// the longest run of blocks from `q.from` that fits, with the last block
/// of that run. An error only if `q.from` alone has more than `limit`.
fn logs_up_to(
    snap: &Snapshot,
    q: LogQuery,
    limit: usize,
) -> Result<(Vec<orac_state::StoredLog>, u64), RpcError> {
    let mut to = q.to;
    loop {
        let range = LogQuery { to, ..q.clone() };
        match snap.logs(&range, limit) {
            Ok(logs) => return Ok((logs, to)),
            Err(orac_state::StateError::TooManyResults { .. }) if to > q.from => {
                to = q.from + (to - q.from) / 2
            }
            Err(e @ orac_state::StateError::TooManyResults { .. }) => {
                return Err(RpcError::new(
                    crate::error::LIMIT_EXCEEDED,
                    format!("filter ended: block {} alone: {e}", q.from),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The hashes of the transactions admitted since the last drain.
fn pending_hashes(
    events: &mut tokio::sync::broadcast::Receiver<orac_chain::ChainEvent>,
) -> Vec<H256> {
    use tokio::sync::broadcast::error::TryRecvError;
    let mut out = Vec::new();
    loop {
        match events.try_recv() {
            Ok(orac_chain::ChainEvent::Pending { hash }) => out.push(hash),
            Ok(_) | Err(TryRecvError::Lagged(_)) => {}
            Err(TryRecvError::Empty | TryRecvError::Closed) => return out,
        }
    }
}
