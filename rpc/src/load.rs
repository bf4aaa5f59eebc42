//! Admission control for heavy methods.
//!
//! Executions (`eth_call`, `eth_estimateGas`, `eth_createAccessList`) and
//! wide reads (`eth_getLogs`, `eth_getFilterLogs`, `eth_feeHistory`) can
//! each take a CPU for a large fraction of a second. Run as they come, a
//! few batches of them used to hold every blocking thread, so balances,
//! receipts and logs stopped being served (REPRO M1: one batch held them
//! for 44 s). Here a heavy request passes three gates before it runs:
//!
//! 1. its client's own slots ([`Client`]): a batch, or a WebSocket
//!    connection, runs at most [`PER_CLIENT_SLOTS`] heavy requests at once,
//!    so one client's thousand calls queue behind each other, not in front
//!    of everyone else;
//! 2. the node-wide queue: at most [`Limits::max_heavy_queued`] wait for
//!    an execution slot; past that, and past [`Limits::heavy_wait`] of
//!    waiting, the answer is -32005 "server busy" at once;
//! 3. an execution slot: [`Limits::heavy_slots`] run at a time, each on a
//!    blocking thread.
//!
//! Cheap reads never pass these gates, so they keep the rest of the
//! blocking pool and the CPU's other share.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::error::{LIMIT_EXCEEDED, RpcError};
use crate::server::Limits;

/// Heavy requests one client (a batch, or a WebSocket connection) runs at
/// once.
pub(crate) const PER_CLIENT_SLOTS: usize = 2;

/// The node-wide queue and slots.
pub(crate) struct Heavy {
    slots: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
}

impl Heavy {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            slots: Semaphore::new(limits.heavy_slots.max(1)),
            waiting: AtomicUsize::new(0),
            max_waiting: limits.max_heavy_queued,
            wait: limits.heavy_wait,
        }
    }

    /// Runs `f` on a blocking thread once the client and the node have a
    /// slot for it.
    pub(crate) async fn run<T, F>(&self, client: &Client, f: F) -> Result<T, RpcError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, RpcError> + Send + 'static,
    {
        let _mine = within(client.deadline, client.slots.acquire())
            .await
            .ok_or_else(|| busy("this batch ran out of its time budget"))?
            .map_err(RpcError::internal)?;
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(busy(&format!(
                "{} heavy requests (calls, estimates, log queries) already queued",
                self.max_waiting
            )));
        }
        let deadline = Some(Instant::now() + self.wait);
        let slot = within(deadline, self.slots.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let _slot = slot
            .ok_or_else(|| {
                busy(&format!(
                    "no execution slot free within {}s",
                    self.wait.as_secs()
                ))
            })?
            .map_err(RpcError::internal)?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| RpcError::internal(format!("handler failed: {e}")))?
    }
}

/// One client's share: its slots and, for a batch, when its time is up.
pub(crate) struct Client {
    slots: Semaphore,
    deadline: Option<Instant>,
}

impl Client {
    /// A WebSocket connection: slots, no deadline (its reader waits for
    /// replies instead).
    pub(crate) fn connection() -> Arc<Self> {
        Arc::new(Self {
            slots: Semaphore::new(PER_CLIENT_SLOTS),
            deadline: None,
        })
    }

    /// An HTTP request (single call or batch), answered within `budget`.
    pub(crate) fn request(budget: Duration) -> Arc<Self> {
        Arc::new(Self {
            slots: Semaphore::new(PER_CLIENT_SLOTS),
            deadline: Some(Instant::now() + budget),
        })
    }
}

/// `fut`'s output, or `None` if `deadline` passes first.
async fn within<T>(deadline: Option<Instant>, fut: impl Future<Output = T>) -> Option<T> {
    match deadline {
        None => Some(fut.await),
        Some(d) => tokio::time::timeout_at(d.into(), fut).await.ok(),
    }
}

fn busy(why: &str) -> RpcError {
    RpcError::new(
        LIMIT_EXCEEDED,
        format!("server busy: {why}; try again later"),
    )
}
