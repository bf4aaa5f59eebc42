//! WebSocket connections and `eth_subscribe`.
//!
//! Each subscription remembers the last block it delivered and, on every
//! chain event, reads the blocks after it from the database. A slow client
//! or a burst of blocks therefore delays notifications but never drops
//! them, and a subscription cannot die silently: it ends only when the
//! client unsubscribes or disconnects.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures::{SinkExt, StreamExt};
use orac_chain::{BlockTag, Chain, ChainEvent};
use orac_primitives::U256;
use orac_state::LogQuery;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::dispatch::Ctx;
use crate::error::RpcError;
use crate::filters::new_blocks;
use crate::load::Client;
use crate::logs::MAX_LOGS;
use crate::params::{BlockId, FilterJson, Params, from_value};
use crate::server::{Limits, handle_text};
use crate::types::{RpcHeader, RpcLog};

/// Messages queued for one client before writers wait.
const OUTBOX: usize = 1024;

pub(crate) struct Connection {
    /// This connection's share of the heavy-request slots.
    pub(crate) client: Arc<Client>,
    outbox: mpsc::Sender<Message>,
    subs: Mutex<HashMap<U256, JoinHandle<()>>>,
    max_subs: usize,
}

enum Topic {
    NewHeads,
    Logs(FilterJson),
    /// Hashes of transactions as the pool admits them.
    PendingTransactions,
}

impl Connection {
    pub(crate) fn subscribe(
        self: &Arc<Self>,
        ctx: &Arc<Ctx>,
        params: Params,
    ) -> Result<Value, RpcError> {
        let kind: String = params.req(0)?;
        let topic = match kind.as_str() {
            "newHeads" => Topic::NewHeads,
            "logs" => {
                let filter: FilterJson = match params.opt::<Value>(1)? {
                    Some(v) => from_value(v, "logs filter")?,
                    None => FilterJson::default(),
                };
                // fromBlock / toBlock are accepted as geth accepts them
                // (cast's `logs --subscribe` sends "earliest".."latest"):
                // the subscription streams new logs only, and fixed block
                // numbers bound that stream.
                if filter.block_hash.is_some() {
                    return Err(RpcError::invalid_params(
                        "logs subscriptions take no blockHash",
                    ));
                }
                filter.topics()?;
                if let (Some(BlockId(BlockTag::Number(from))), Some(BlockId(BlockTag::Number(to)))) =
                    (filter.from_block, filter.to_block)
                    && from > to
                {
                    return Err(RpcError::invalid_params("invalid block range params"));
                }
                Topic::Logs(filter)
            }
            "newPendingTransactions" => {
                // geth's `true` (full transactions) is not offered.
                if params.opt::<bool>(1)? == Some(true) {
                    return Err(RpcError::invalid_params(
                        "newPendingTransactions gives hashes only",
                    ));
                }
                Topic::PendingTransactions
            }
            "syncing" => {
                return Err(RpcError::invalid_params(format!(
                    "subscription {kind} is not supported"
                )));
            }
            other => {
                return Err(RpcError::invalid_params(format!(
                    "no \"{other}\" subscription"
                )));
            }
        };
        let mut subs = self.subs.lock();
        subs.retain(|_, h| !h.is_finished());
        if subs.len() >= self.max_subs {
            return Err(RpcError::new(
                crate::error::LIMIT_EXCEEDED,
                format!(
                    "too many subscriptions on this connection (limit {})",
                    self.max_subs
                ),
            ));
        }
        let id = U256::from(rand::random::<u128>());
        let events = ctx.chain.subscribe();
        let start = ctx.chain.head_pointer()?.number;
        let task = tokio::spawn(feed(
            ctx.chain.clone(),
            self.outbox.clone(),
            id,
            topic,
            events,
            start,
        ));
        subs.insert(id, task);
        Ok(json!(id))
    }

    pub(crate) fn unsubscribe(&self, id: U256) -> bool {
        match self.subs.lock().remove(&id) {
            Some(h) => {
                h.abort();
                true
            }
            None => false,
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        for (_, h) in self.subs.lock().drain() {
            h.abort();
        }
    }
}

/// Delivers one subscription until its client goes away.
async fn feed(
    chain: Arc<Chain>,
    outbox: mpsc::Sender<Message>,
    id: U256,
    topic: Topic,
    mut events: broadcast::Receiver<ChainEvent>,
    mut last: u64,
) {
    loop {
        match events.recv().await {
            Ok(ChainEvent::Rewound { number }) => {
                last = last.min(number);
                continue;
            }
            Ok(ChainEvent::Pending { hash }) => {
                if matches!(topic, Topic::PendingTransactions)
                    && !notify(&outbox, id, "result", hash).await
                {
                    return;
                }
                continue;
            }
            // A pending-transaction feed that lagged lost hashes for good
            // (as in geth); a block feed re-reads from the database.
            Ok(ChainEvent::NewBlock { .. }) | Err(broadcast::error::RecvError::Lagged(_)) => {
                if matches!(topic, Topic::PendingTransactions) {
                    continue;
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
        let chain2 = chain.clone();
        let from = last;
        let topic_ref = match &topic {
            Topic::NewHeads | Topic::PendingTransactions => None,
            Topic::Logs(f) => Some(f.clone()),
        };
        let batch = tokio::task::spawn_blocking(move || collect(&chain2, from, topic_ref)).await;
        let (items, head) = match batch {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => {
                // Retrying would fail the same way on every block, on a
                // growing range: end the subscription and say why.
                tracing::warn!("subscription {id:#x} ended: {}", e.message);
                notify(&outbox, id, "error", e).await;
                return;
            }
            Err(e) => {
                tracing::warn!("subscription {id:#x}: reading new blocks failed: {e}");
                continue;
            }
        };
        for result in items {
            if !notify(&outbox, id, "result", result).await {
                return;
            }
        }
        last = head;
    }
}

/// Sends subscription `id` an `eth_subscription` notification whose
/// params carry `value` under `field` ("result", or "error" when the
/// subscription ends). False once the client has gone.
async fn notify(
    outbox: &mpsc::Sender<Message>,
    id: U256,
    field: &str,
    value: impl Serialize,
) -> bool {
    let msg = json!({
        "jsonrpc": "2.0",
        "method": "eth_subscription",
        "params": { "subscription": id, field: value },
    });
    outbox
        .send(Message::Text(msg.to_string().into()))
        .await
        .is_ok()
}

/// Notifications for the blocks after `from`, and the head they reach.
fn collect(
    chain: &Chain,
    from: u64,
    filter: Option<FilterJson>,
) -> Result<(Vec<Value>, u64), RpcError> {
    let snap = chain.snapshot()?;
    let head = snap.head()?.number;
    let mut out = Vec::new();
    if head <= from {
        return Ok((out, head));
    }
    match filter {
        None => {
            for n in from + 1..=head {
                if let Some(h) = snap.header(n)? {
                    out.push(
                        serde_json::to_value(RpcHeader::from(&h)).map_err(RpcError::internal)?,
                    );
                }
            }
        }
        Some(f) => {
            if let Some((from, to)) = new_blocks(chain, &snap, &f, from + 1, head)? {
                let q = LogQuery {
                    from,
                    to,
                    addresses: f.addresses(),
                    topics: f.topics()?,
                };
                // Block by block: the cap applies to one block's logs, which
                // a block's gas limit keeps far below it.
                for n in q.from..=q.to {
                    let one = LogQuery {
                        from: n,
                        to: n,
                        ..q.clone()
                    };
                    for l in snap.logs(&one, MAX_LOGS * 10)? {
                        out.push(
                            serde_json::to_value(RpcLog::from(&l)).map_err(RpcError::internal)?,
                        );
                    }
                }
            }
        }
    }
    Ok((out, head))
}

/// Serves one WebSocket connection: requests in, responses and
/// notifications out through one writer task.
pub(crate) async fn serve_socket(ctx: Arc<Ctx>, socket: WebSocket, limits: Limits) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Message>(OUTBOX);
    let writer = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.send(m).await.is_err() {
                break;
            }
        }
    });
    let conn = Arc::new(Connection {
        client: Client::connection(),
        outbox: tx.clone(),
        subs: Mutex::new(HashMap::new()),
        max_subs: limits.max_subscriptions,
    });
    // Requests in flight on this connection; the reader waits for a free
    // place, so a client pipelining thousands of messages (REPRO M1)
    // holds at most this many tasks.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(limits.max_in_flight.max(1)));
    while let Some(Ok(msg)) = stream.next().await {
        let text = match msg {
            Message::Text(t) => t.to_string(),
            Message::Binary(b) => match String::from_utf8(b.to_vec()) {
                Ok(t) => t,
                Err(_) => continue,
            },
            Message::Close(_) => break,
            _ => continue,
        };
        let ctx = ctx.clone();
        let conn2 = conn.clone();
        let tx = tx.clone();
        let limits = limits.clone();
        let Ok(place) = in_flight.clone().acquire_owned().await else {
            break;
        };
        // Requests run concurrently; a slow one does not hold up the rest.
        tokio::spawn(async move {
            if let Some(reply) = handle_text(&ctx, &text, Some(&conn2), &limits).await {
                let _ = tx.send(Message::Text(reply.into())).await;
            }
            drop(place);
        });
    }
    drop(conn);
    drop(tx);
    let _ = writer.await;
}
