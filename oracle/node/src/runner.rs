//! The oracle node at work (`orac oracle --config FILE`).
//!
//! Every poll interval, for each configured feed, the node:
//! 1. reads the feed from the registry (signers, digest, next round, last
//!    answer); a chain outage just skips the tick;
//! 2. fetches its sources and aggregates them; a source outage leaves the
//!    node without an observation of its own this tick;
//! 3. signs an observation of the next round when its deviation or
//!    heartbeat trigger fires, or when f + 1 peers have already started
//!    that round (so an honest node's trigger brings the quorum along,
//!    but a faulty one alone cannot), and sends it
//!    to its peers (again every tick while the round is open, so a peer
//!    that restarted catches up);
//! 4. once it holds observations from a quorum (2f + 1), transmits if it is
//!    its turn: the round's designated transmitter is signer
//!    `round mod n`; each next signer in the list steps in one
//!    `transmit_timeout` later if the round has still not landed. The
//!    registry accepts a round once (later transmissions are refused as
//!    stale before they are sent: each transmission is simulated first),
//!    so no round is paid twice.
//!
//! Requests (request/response) follow the same steps, keyed by request id,
//! found by scanning the registry's `OracleRequest` logs and kept in a
//! bounded table ranked by fee per unit of gas (the lowest leaves first
//! when it is full, and the best are answered first), with a cap per
//! requester. A request is answered (observed, and transmitted in turn)
//! only while its fee covers answering it at the current gas price
//! (`[requests]` policy, [`crate::requests`]).
//!
//! Who transmits: only a feed's signers (and its admin) may send `transmit`
//! and `respond`, so a node transmits with its signing key, and only for
//! feeds it signs for.
//!
//! All state is either on chain or rebuilt from peers within a tick, so a
//! restart loses nothing that matters.

use orac_primitives::alloy::{ToAlloy, ToOrac};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_sol_types::{SolCall, SolEvent};
use orac_oracle::REGISTRY;
use orac_oracle::abi::IOracleRegistry as I;
use orac_oracle::{Domain, Observation, Report};
use orac_primitives::{H160, U256};
use parking_lot::{Mutex, RwLock};
use serde_json::{Value, json};

use crate::aggregate::aggregate;
use crate::config::{Config, FeedSpec};
use crate::keys::{KeyError, load_key};
use crate::metrics::Metrics;
use crate::peer::{WireObservation, broadcast, router};
use crate::pool::{Key, Pool, WireKind};
use crate::requests::{Inserted, OpenRequest, OpenRequests, delivery_gas};
use crate::source::Fetcher;
use crate::view::{FeedView, read_feed};
use orac_rpc_client::{Client, ClientError, LogFilter, Wallet};

/// How many blocks back a starting node looks for open requests.
pub const REQUEST_LOOKBACK_BLOCKS: u64 = 10_000;
/// Longest wait for a transmission to be mined.
const MINING_WAIT: Duration = Duration::from_secs(30);

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The signing key did not load.
    #[error("key: {0}")]
    Key(#[from] KeyError),
    /// The peer server's address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The configured `listen` address.
        addr: std::net::SocketAddr,
        /// What binding it gave.
        source: std::io::Error,
    },
    /// The HTTP client (sources and peers) could not be built.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// The chain's JSON-RPC endpoint could not be used.
    #[error("RPC client: {0}")]
    Rpc(orac_rpc_client::ClientError),
}

/// State shared by the node's tasks and its HTTP server.
pub struct Shared {
    /// The checked config, overrides applied.
    pub config: Config,
    /// The chain, with this node's key for transmissions.
    pub chain: Wallet,
    /// The chain id and registry signatures are for.
    pub domain: Domain,
    /// Fetches the price sources.
    pub fetcher: Fetcher,
    /// What `/metrics` serves.
    pub metrics: Metrics,
    /// The configured feeds as last read from the registry, by id.
    pub views: RwLock<HashMap<u64, FeedView>>,
    /// Observations gathered from this node and its peers.
    pub pool: Mutex<Pool>,
    /// The client observations are sent to peers with.
    pub peer_http: reqwest::Client,
    status: Mutex<BTreeMap<u64, String>>,
    /// The open requests this node knows of: what it may answer, and what
    /// the peer server takes `response` observations for.
    pub(crate) requests: Mutex<OpenRequests>,
    /// The gas price a transaction would pay now, as last read (for the
    /// request fee policy); `None` until the chain answers.
    gas_price: Mutex<Option<U256>>,
}

impl Shared {
    /// What `/status` shows: per feed, what the node is doing or waiting for.
    pub fn status_json(&self) -> Value {
        // One lock at a time: no two of the node's locks are ever held
        // together.
        let open_requests = self.requests.lock().len();
        let pool = self.pool.lock().len();
        let feeds: serde_json::Map<String, Value> = self
            .status
            .lock()
            .iter()
            .map(|(id, s)| (id.to_string(), json!(s)))
            .collect();
        json!({
            "address": format!("{:?}", self.chain.address()),
            "feeds": feeds,
            "open_requests": open_requests,
            "pool": pool,
        })
    }

    fn set_status(&self, feed: u64, status: impl Into<String>) {
        self.status.lock().insert(feed, status.into());
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Runs the node until the process is stopped.
pub async fn run(config: Config) -> Result<(), NodeError> {
    let key = load_key(&config.key)?;
    let address = key.address();
    let client = Client::new(config.rpc_url.as_str()).map_err(NodeError::Rpc)?;
    let chain = loop {
        match Wallet::connect(client.clone(), key.clone()).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!(error = %e, "chain unreachable; retrying");
                tokio::time::sleep(config.poll_interval.max(Duration::from_secs(1))).await;
            }
        }
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| NodeError::Listen {
            addr: config.listen,
            source,
        })?;
    let bound = listener.local_addr().map_err(|source| NodeError::Listen {
        addr: config.listen,
        source,
    })?;
    let shared = Arc::new(Shared {
        domain: Domain {
            chain_id: chain.chain_id(),
            registry: REGISTRY,
        },
        chain,
        fetcher: Fetcher::new()?,
        metrics: Metrics::new(),
        views: RwLock::new(HashMap::new()),
        pool: Mutex::new(Pool::new(address)),
        peer_http: reqwest::Client::builder().build()?,
        status: Mutex::new(BTreeMap::new()),
        requests: Mutex::new(OpenRequests::new(config.max_open_requests_per_requester)),
        gas_price: Mutex::new(None),
        config,
    });
    tracing::info!(%bound, signer = ?address, chain_id = shared.domain.chain_id, "oracle node up");
    println!("Oracle node {address:?} listening on {bound}");
    let app = router(shared.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "peer server stopped");
        }
    });
    for spec in shared.config.feeds.clone() {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                feed_tick(&shared, &spec).await;
                tokio::time::sleep(shared.config.poll_interval).await;
            }
        });
    }
    let requests = shared.clone();
    tokio::spawn(async move { request_loop(&requests).await });
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("stopping");
    Ok(())
}

/// Fetches and aggregates `spec`'s sources, counting each outcome.
async fn observe(shared: &Shared, spec: &FeedSpec) -> Result<i128, String> {
    let results = shared.fetcher.fetch_feed(spec).await;
    let feed = spec.id.to_string();
    for (source, r) in spec.sources.iter().zip(&results) {
        let outcome = match r {
            Ok(_) => "ok",
            Err(e) => {
                tracing::warn!(feed = spec.id, source = %source.label(), error = %e, "source failed");
                e.kind()
            }
        };
        shared
            .metrics
            .source_fetch_total
            .with([&feed, &source.label(), outcome])
            .inc();
    }
    aggregate(&results, spec.min_sources, spec.max_spread_ppm)
        .map(|a| a.answer)
        .map_err(|e| e.to_string())
}

/// Signs this node's observation of `key` and puts it in the pool. It is
/// stamped now, but no earlier than `not_before`: the registry refuses an
/// observation older than the last round's (or than the request's block),
/// and this node's clock may be behind the chain's or its peers'. The
/// value was fetched after that moment either way.
fn sign(shared: &Shared, key: Key, view: &FeedView, value: i128, not_before: u64) {
    let obs = shared.domain.sign(
        key.kind.into(),
        shared.chain.key(),
        key.feed,
        view.digest,
        &Observation {
            round: key.round,
            observed_at: unix_now().max(not_before),
            value,
        },
    );
    let me = shared.chain.address();
    if let Err(e) = shared
        .pool
        .lock()
        .add(key, view.digest, me, obs, view.quorum())
    {
        tracing::warn!(error = %e, "own observation not kept");
        return;
    }
    shared
        .metrics
        .observations_signed_total
        .with([&key.feed.to_string()])
        .inc();
    tracing::info!(feed = key.feed, round = key.round, kind = ?key.kind, value, "observed");
}

/// Sends this node's observation of `key`, if it has one, to its peers.
async fn share(shared: &Shared, key: Key) {
    let me = shared.chain.address();
    let wire = shared.pool.lock().get(&key).and_then(|e| {
        e.observations
            .get(&me)
            .map(|o| WireObservation::new(key, e.digest, o))
    });
    if let Some(wire) = wire {
        broadcast(shared, &wire).await;
    }
}

async fn feed_tick(shared: &Arc<Shared>, spec: &FeedSpec) {
    let id = spec.id;
    let view = match read_feed(&shared.chain, id).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(feed = id, error = %e, "cannot read the feed");
            shared.set_status(id, format!("chain: {e}"));
            return;
        }
    };
    shared.views.write().insert(id, view.clone());
    let me = shared.chain.address();
    if view.index_of(&me).is_none() {
        shared.set_status(id, format!("{me:?} is not a signer of feed {id}"));
        return;
    }
    if let Some(last) = &view.last {
        let label = id.to_string();
        shared
            .metrics
            .last_answer
            .with([&label])
            .set(last.answer as f64);
        shared
            .metrics
            .last_round
            .with([&label])
            .set(view.next_round.saturating_sub(1) as f64);
    }
    shared.pool.lock().prune_rounds(id, view.next_round);
    let key = Key {
        kind: WireKind::Round,
        feed: id,
        round: view.next_round,
    };
    let observed = observe(shared, spec).await;
    // A round others started is joined once f + 1 signers are in it: at
    // least one of them is honest, so its trigger really fired. (Joining
    // on any single peer would let one faulty signer force a round every
    // tick.)
    let (mine, started) = {
        let pool = shared.pool.lock();
        (
            pool.has(&key, &me),
            pool.get(&key)
                .is_some_and(|e| e.observations.len() > view.config.f as usize),
        )
    };
    match &observed {
        Ok(value) if !mine => {
            let trigger = crate::aggregate::should_report(
                view.last,
                *value,
                unix_now(),
                spec.deviation_ppb,
                spec.heartbeat_secs,
            );
            if trigger.is_some() || started {
                let last = view.last.map_or(0, |l| l.at);
                sign(shared, key, &view, *value, last);
            }
        }
        _ => {}
    }
    share(shared, key).await;
    let status = describe(shared, &key, &view, observed.err());
    shared.set_status(id, status);
    maybe_transmit(shared.clone(), key, view);
}

fn describe(shared: &Shared, key: &Key, view: &FeedView, source_error: Option<String>) -> String {
    let have = shared
        .pool
        .lock()
        .get(key)
        .map(|e| e.observations.len())
        .unwrap_or(0);
    let last = match &view.last {
        Some(l) => format!("last answer {} observed at {}", l.answer, l.at),
        None => "no answer yet".into(),
    };
    let round = match have {
        0 => format!("round {} not started", key.round),
        n if n < view.quorum() => format!(
            "waiting for quorum: {n} of {} observations for round {}",
            view.quorum(),
            key.round
        ),
        n => format!("round {} has {n} observations; transmitting", key.round),
    };
    match source_error {
        Some(e) => format!("{round}; {last}; sources failing: {e}"),
        None => format!("{round}; {last}"),
    }
}

/// Transmits `key` if it has a quorum and it is this node's turn; the
/// transmission runs in its own task so polling goes on meanwhile. Called
/// every tick and whenever a peer's observation arrives.
pub(crate) fn maybe_transmit(shared: Arc<Shared>, key: Key, view: FeedView) {
    let Some(my_index) = view.index_of(&shared.chain.address()) else {
        return;
    };
    // A request that does not pay for its response is not transmitted,
    // whoever observed it.
    if key.kind == WireKind::Response && !request_pays(&shared, key.round, &view) {
        return;
    }
    let n = view.config.signers.len();
    let timeout = shared.config.transmit_timeout;
    let report = {
        let mut pool = shared.pool.lock();
        let Some(entry) = pool.get_mut(&key) else {
            return;
        };
        let Some(since) = entry.quorum_since else {
            return;
        };
        let offset = (my_index + n - (key.round % n as u64) as usize) % n;
        // After a full turn of the rotation everyone may try again.
        let waited = since.elapsed().as_millis() % (timeout.as_millis() * n as u128).max(1);
        if waited < timeout.as_millis() * offset as u128 {
            return;
        }
        if entry.attempted.is_some_and(|t| t.elapsed() < timeout) {
            return;
        }
        entry.attempted = Some(std::time::Instant::now());
        Report {
            feed_id: key.feed,
            config_digest: entry.digest,
            round: key.round,
            observations: entry.observations.values().copied().collect(),
        }
    };
    tokio::spawn(async move { transmit(&shared, key, report).await });
}

async fn transmit(shared: &Shared, key: Key, report: Report) {
    let data = match key.kind {
        WireKind::Round => I::transmitCall {
            report: report.abi_encode().into(),
        }
        .abi_encode(),
        WireKind::Response => I::respondCall {
            report: report.abi_encode().into(),
        }
        .abi_encode(),
    };
    let feed = key.feed.to_string();
    let count = |result: &str| {
        shared
            .metrics
            .reports_transmitted_total
            .with([&feed, result])
            .inc()
    };
    let sent = shared
        .chain
        .send(Some(REGISTRY), U256::zero(), data, MINING_WAIT)
        .await;
    match sent.map(|(hash, receipt)| (hash, receipt.success)) {
        Ok((hash, true)) => {
            count("ok");
            tracing::info!(feed = key.feed, round = key.round, kind = ?key.kind, tx = ?hash,
                observations = report.observations.len(), "transmitted");
            if key.kind == WireKind::Response {
                shared.requests.lock().remove(key.round);
                shared.pool.lock().forget(&key);
            }
        }
        Ok((hash, false)) => {
            count("failed");
            tracing::warn!(feed = key.feed, round = key.round, tx = ?hash, "transmission failed on chain");
        }
        Err(ClientError::Reverted { reason, .. }) => {
            // Usually another node landed it first: nothing is spent. A
            // request stays in the table until the chain says it is
            // answered (checked every poll): dropping it here would also
            // make this node refuse its peers' observations of it.
            count("refused");
            tracing::info!(feed = key.feed, round = key.round, %reason, "transmission not sent");
        }
        Err(e) => {
            count("error");
            tracing::warn!(feed = key.feed, round = key.round, error = %e, "transmission failed");
        }
    }
}

/// Whether open request `id` pays for its response under this node's
/// policy at the last gas price read (no price yet: not yet).
fn request_pays(shared: &Shared, id: u64, view: &FeedView) -> bool {
    let Some(req) = shared.requests.lock().get(id) else {
        return false;
    };
    let Some(price) = *shared.gas_price.lock() else {
        return false;
    };
    shared
        .config
        .requests
        .pays(&req, view.config.signers.len(), price)
}

/// Finds new requests in the registry's logs and answers the open ones.
async fn request_loop(shared: &Arc<Shared>) {
    let mut next_block: Option<u64> = None;
    loop {
        tokio::time::sleep(shared.config.poll_interval).await;
        let (head, now) = match shared.chain.client().latest().await {
            Ok(b) => (b.number, b.timestamp),
            Err(e) => {
                tracing::debug!(error = %e, "chain unreachable");
                continue;
            }
        };
        match shared.chain.gas_price().await {
            Ok(price) => *shared.gas_price.lock() = Some(price),
            Err(e) => tracing::debug!(error = %e, "cannot read the gas price"),
        }
        let from = next_block.unwrap_or(head.saturating_sub(REQUEST_LOOKBACK_BLOCKS));
        if from <= head {
            let filter = LogFilter {
                from_block: from,
                to_block: head,
                address: Some(REGISTRY),
                topics: vec![Some(orac_primitives::H256(
                    I::OracleRequest::SIGNATURE_HASH.0,
                ))],
            };
            match shared.chain.client().logs(&filter).await {
                Ok(logs) => {
                    for log in &logs {
                        note_request(shared, log);
                    }
                    next_block = Some(head + 1);
                }
                Err(e) => tracing::warn!(error = %e, "cannot read request logs"),
            }
        }
        shared.requests.lock().expire(now);
        forget_closed_requests(shared);
        // Best value first: answering is sequential, so when sources or
        // the chain are slow the requests that pay most per gas go first.
        let open = shared.requests.lock().by_rank();
        for (id, req) in open {
            answer_request(shared, id, req).await;
        }
    }
}

/// Drops the pool's responses to requests no longer in the table (taking
/// one lock at a time, as everywhere in the node).
fn forget_closed_requests(shared: &Shared) {
    let open: std::collections::BTreeSet<u64> = shared
        .requests
        .lock()
        .snapshot()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    shared.pool.lock().prune_responses(|id| open.contains(&id));
}

fn note_request(shared: &Shared, log: &orac_rpc_client::Log) {
    let topics = log.topics.iter().map(|t| t.to_alloy());
    let Ok(ev) = I::OracleRequest::decode_raw_log(topics, &log.data.0) else {
        return;
    };
    let Some(feed) = shared.config.feeds.iter().find(|f| f.id == ev.feedId) else {
        return;
    };
    let query = ev.query.0;
    if feed.for_query(&query).is_none() {
        tracing::warn!(request = ev.requestId, query = %ev.query,
            "request for a query this node does not serve (not in its config's [[feeds.queries]])");
        return;
    }
    // The feed's signers as last read (the feed ticks start before this
    // loop's first poll, so it is almost always known).
    let signers = shared
        .views
        .read()
        .get(&ev.feedId)
        .map(|v| v.config.signers.len());
    let req = OpenRequest {
        feed: ev.feedId,
        requester: ev.requester.to_orac(),
        expires_at: ev.expiresAt,
        query,
        fee: ev.fee.to_orac(),
        callback_gas: ev.callbackGas,
        delivery_gas: delivery_gas(signers),
    };
    let inserted = shared.requests.lock().insert(ev.requestId, req);
    match inserted {
        Inserted::Added | Inserted::Known => {}
        Inserted::Evicted(id) => {
            tracing::info!(
                request = id,
                "open-request table full: dropped the lowest fee per gas"
            );
        }
        Inserted::Displaced(id) => {
            tracing::info!(request = id, requester = ?req.requester,
                "requester at its open-request cap: dropped its lowest fee per gas");
        }
        Inserted::Refused => {
            tracing::info!(request = ev.requestId, fee = %req.fee, callback_gas = req.callback_gas,
                "open-request table full of requests paying as much or more per gas: not tracked");
        }
        Inserted::OverCap => {
            tracing::info!(request = ev.requestId, requester = ?req.requester,
                fee = %req.fee, callback_gas = req.callback_gas,
                "requester at its open-request cap with requests paying as much or more per gas: not tracked");
        }
    }
}

async fn answer_request(shared: &Arc<Shared>, id: u64, req: OpenRequest) {
    let Some(view) = shared.views.read().get(&req.feed).cloned() else {
        return;
    };
    let key = Key {
        kind: WireKind::Response,
        feed: req.feed,
        round: id,
    };
    if !request_pays(shared, id, &view) {
        tracing::debug!(request = id, fee = %req.fee,
            "request fee does not cover answering it at the current gas price; not answered");
        return;
    }
    // Still open on chain? (Another node may have answered it.)
    let onchain = shared
        .chain
        .call(REGISTRY, &I::getRequestCall { requestId: id }.abi_encode())
        .await
        .ok()
        .and_then(|d| I::getRequestCall::abi_decode_returns(&d).ok());
    let requested_at = match onchain {
        Some(r) if r.status == 1 => r.requestedAt,
        _ => {
            shared.requests.lock().remove(id);
            shared.pool.lock().forget(&key);
            return;
        }
    };
    let Some(spec) = shared
        .config
        .feeds
        .iter()
        .find(|f| f.id == req.feed)
        .and_then(|f| f.for_query(&req.query))
    else {
        return;
    };
    let me: H160 = shared.chain.address();
    if !shared.pool.lock().has(&key, &me) {
        match observe(shared, &spec).await {
            Ok(value) => sign(shared, key, &view, value, requested_at),
            Err(e) => tracing::warn!(request = id, error = %e, "cannot answer request"),
        }
    }
    share(shared, key).await;
    maybe_transmit(shared.clone(), key, view);
}
