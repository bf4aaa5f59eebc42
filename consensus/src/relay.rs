//! Transaction relay: how a transaction sent to any node reaches every
//! validator's pool, whichever of them proposes next.
//!
//! Malachite's channel API gossips only consensus messages, so orac relays
//! transactions itself, over HTTP between nodes: each node serves
//! `POST /relay` (an RLP list of raw transactions) on its relay address, and
//! forwards in batches every transaction a user submitted to it (not those
//! relayed to it, so nothing circulates) to its relay peers. A relayed
//! transaction goes through the same admission as `eth_sendRawTransaction`.
//! Batches leave every [`FLUSH_EVERY`] or at [`MAX_BATCH`] transactions.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use orac_chain::{Chain, ChainEvent};
use orac_primitives::{H256, SignedTransaction};
use parking_lot::Mutex;
use rlp::{Rlp, RlpStream};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

/// Longest a submitted transaction waits before it is forwarded.
pub const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Most transactions per forwarded batch.
pub const MAX_BATCH: usize = 2_000;
/// Largest batch accepted (bytes).
pub const MAX_BODY: usize = 16 << 20;
/// Hashes remembered (relayed in, or forwarded), oldest forgotten first.
const REMEMBERED: usize = 200_000;

/// A bounded set of transaction hashes: those that arrived by relay (never
/// forwarded again), or those already forwarded.
#[derive(Default)]
pub struct Relayed {
    inner: Mutex<(HashSet<H256>, VecDeque<H256>)>,
}

impl Relayed {
    /// Remembers `hash`; false if it was already there.
    fn insert(&self, hash: H256) -> bool {
        let mut g = self.inner.lock();
        if !g.0.insert(hash) {
            return false;
        }
        g.1.push_back(hash);
        if g.1.len() > REMEMBERED
            && let Some(old) = g.1.pop_front()
        {
            g.0.remove(&old);
        }
        true
    }

    fn contains(&self, hash: &H256) -> bool {
        self.inner.lock().0.contains(hash)
    }
}

#[derive(Clone)]
struct Inbound {
    chain: Arc<Chain>,
    relayed: Arc<Relayed>,
}

/// Serves `POST /relay` on `listener` and forwards local submissions to
/// `peers` (base URLs such as `http://127.0.0.1:27100`).
pub fn start(
    chain: Arc<Chain>,
    listener: tokio::net::TcpListener,
    peers: Vec<String>,
) -> (JoinHandle<()>, JoinHandle<()>) {
    let relayed = Arc::new(Relayed::default());
    let inbound = Inbound {
        chain: chain.clone(),
        relayed: relayed.clone(),
    };
    let app = Router::new()
        .route("/relay", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(inbound);
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("transaction relay stopped: {e}");
        }
    });
    let forwarder = tokio::spawn(forward(chain, peers, relayed));
    (server, forwarder)
}

/// Binds the relay address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}

/// Why a relay request was refused.
#[derive(Debug, PartialEq, Eq)]
enum BadBatch {
    /// Not an RLP list of byte strings.
    Malformed,
    /// More than [`MAX_BATCH`] transactions: each costs a signature
    /// recovery, so a request is bounded as a JSON-RPC batch is.
    TooMany(usize),
}

/// The raw transactions of a relay request.
fn parse_batch(body: &[u8]) -> Result<Vec<&[u8]>, BadBatch> {
    let rlp = Rlp::new(body);
    match rlp.item_count() {
        Ok(n) if rlp.is_list() && n <= MAX_BATCH => {}
        Ok(n) if rlp.is_list() => return Err(BadBatch::TooMany(n)),
        _ => return Err(BadBatch::Malformed),
    }
    rlp.iter()
        .map(|item| match item.is_data() {
            true => item.data().map_err(|_| BadBatch::Malformed),
            false => Err(BadBatch::Malformed),
        })
        .collect()
}

async fn receive(State(s): State<Inbound>, body: Bytes) -> (StatusCode, String) {
    let raws = match parse_batch(&body) {
        Ok(r) => r,
        Err(BadBatch::Malformed) => {
            let why = "expected an RLP list of transactions";
            return (StatusCode::BAD_REQUEST, why.into());
        }
        Err(BadBatch::TooMany(n)) => {
            let why = format!("{n} transactions: at most {MAX_BATCH} per request");
            return (StatusCode::PAYLOAD_TOO_LARGE, why);
        }
    };
    let mut submissions = Vec::with_capacity(raws.len());
    for raw in raws {
        // Remembered before admission, so the admission's event is not
        // forwarded again.
        if let Ok(tx) = SignedTransaction::decode(raw) {
            s.relayed.insert(tx.hash());
        }
        let chain = s.chain.clone();
        let raw = raw.to_vec();
        submissions.push(async move { chain.submit_raw(raw).await });
    }
    let admitted = futures::future::join_all(submissions)
        .await
        .into_iter()
        .filter(Result::is_ok)
        .count();
    (StatusCode::OK, admitted.to_string())
}

async fn forward(chain: Arc<Chain>, peers: Vec<String>, relayed: Arc<Relayed>) {
    if peers.is_empty() {
        return;
    }
    let client = reqwest::Client::new();
    let mut events = chain.subscribe();
    let mut batch: Vec<H256> = Vec::new();
    // What has been forwarded, so a resync after missed events does not
    // send it again.
    let forwarded = Relayed::default();
    loop {
        let event = if batch.is_empty() {
            events.recv().await
        } else {
            match tokio::time::timeout(FLUSH_EVERY, events.recv()).await {
                Ok(e) => e,
                Err(_) => {
                    send(&client, &chain, &peers, std::mem::take(&mut batch));
                    continue;
                }
            }
        };
        match event {
            Ok(ChainEvent::Pending { hash }) => {
                if !relayed.contains(&hash) && forwarded.insert(hash) {
                    batch.push(hash);
                }
            }
            Ok(_) => {}
            Err(RecvError::Lagged(n)) => {
                // Admissions came faster than events are read (the event
                // channel keeps the last 1,024): take the pool itself.
                tracing::debug!("relay missed {n} admission events: resyncing from the pool");
                let (pending, queued) = chain.pool_content();
                for tx in pending.iter().chain(&queued) {
                    let hash = tx.hash();
                    if !relayed.contains(&hash) && forwarded.insert(hash) {
                        batch.push(hash);
                    }
                }
            }
            Err(RecvError::Closed) => return,
        }
        while batch.len() >= MAX_BATCH {
            let rest = batch.split_off(MAX_BATCH);
            send(&client, &chain, &peers, std::mem::replace(&mut batch, rest));
        }
    }
}

fn send(client: &reqwest::Client, chain: &Chain, peers: &[String], hashes: Vec<H256>) {
    let txs: Vec<_> = hashes
        .iter()
        .filter_map(|h| chain.pool_transaction(h))
        .collect();
    if txs.is_empty() {
        return;
    }
    let mut s = RlpStream::new_list(txs.len());
    for tx in &txs {
        s.append(&tx.tx.encoded());
    }
    let body = Bytes::from(s.out().to_vec());
    for peer in peers {
        let request = client
            .post(format!("{}/relay", peer.trim_end_matches('/')))
            .body(body.clone());
        let peer = peer.clone();
        tokio::spawn(async move {
            match request.send().await {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => tracing::warn!(%peer, status = %r.status(), "relay refused a batch"),
                Err(e) => tracing::debug!(%peer, "relay unreachable: {e}"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(n: usize) -> Vec<u8> {
        let mut s = RlpStream::new_list(n);
        for _ in 0..n {
            s.append(&&b"tx"[..]);
        }
        s.out().to_vec()
    }

    #[test]
    fn a_batch_is_a_bounded_list_of_byte_strings() {
        assert_eq!(parse_batch(&list(3)).map(|v| v.len()), Ok(3));
        assert_eq!(
            parse_batch(&list(MAX_BATCH)).map(|v| v.len()),
            Ok(MAX_BATCH)
        );
        assert_eq!(
            parse_batch(&list(MAX_BATCH + 1)),
            Err(BadBatch::TooMany(MAX_BATCH + 1))
        );
        assert_eq!(parse_batch(b"\x83abc"), Err(BadBatch::Malformed));
        assert_eq!(parse_batch(&[0xc2, 0xc0, 0xc0]), Err(BadBatch::Malformed));
        assert_eq!(parse_batch(&[]), Err(BadBatch::Malformed));
    }
}
