//! How oracle nodes talk to each other: each node POSTs its signed
//! observations to every peer's `/observations`; the same HTTP server
//! serves `/metrics` (Prometheus text) and `/status` (JSON).
//!
//! Nothing a peer sends is trusted: an observation is kept only if its
//! signature recovers to an authorized signer of the feed under the
//! feed's current config digest, for a round near the feed's next one or
//! for a request this node tracks as open (see [`crate::pool`] for the
//! quotas behind that). Bodies are capped at [`MAX_BODY`] bytes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use orac_oracle::{Domain, Observation, SignedObservation};
use orac_primitives::{H160, H256, Signature, U256};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::pool::{Key, MAX_ROUNDS_AHEAD, Pool, WireKind};
use crate::requests::OpenRequests;
use crate::runner::Shared;
use crate::view::FeedView;

/// Largest request body the peer server reads.
pub const MAX_BODY: usize = 16 * 1024;
/// Longest wait for a peer to take an observation.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(2);

/// One signed observation as it travels between nodes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WireObservation {
    /// A round's observation or a request's response.
    pub kind: WireKind,
    /// The feed observed.
    pub feed: u64,
    /// The round, or the request id of a response.
    pub round: u64,
    /// The feed configuration it was signed under.
    pub config_digest: H256,
    /// Unix seconds at which the sources were fetched.
    pub observed_at: u64,
    /// The fixed-point value, as a decimal string (an i128 does not fit a
    /// JSON number).
    pub value: String,
    /// r ‖ s ‖ v (v = 27 or 28), hex.
    pub signature: String,
}

impl WireObservation {
    /// `obs`, signed for `key` under `digest`, in the wire form.
    pub fn new(key: Key, digest: H256, obs: &SignedObservation) -> Self {
        let mut sig = Vec::with_capacity(65);
        sig.extend_from_slice(&obs.signature.r.to_big_endian());
        sig.extend_from_slice(&obs.signature.s.to_big_endian());
        sig.push(27 + obs.signature.y_parity as u8);
        Self {
            kind: key.kind,
            feed: key.feed,
            round: key.round,
            config_digest: digest,
            observed_at: obs.observed_at,
            value: obs.value.to_string(),
            signature: format!("0x{}", hex::encode(sig)),
        }
    }

    /// What it is an observation of: where the pool keeps it.
    pub fn key(&self) -> Key {
        Key {
            kind: self.kind,
            feed: self.feed,
            round: self.round,
        }
    }

    /// Decodes the value and signature and recovers the signer.
    pub fn open(&self, domain: &Domain) -> Result<(H160, SignedObservation), String> {
        let value: i128 = self
            .value
            .parse()
            .map_err(|_| format!("value {:?} is not an integer", self.value))?;
        let raw = hex::decode(self.signature.trim_start_matches("0x"))
            .map_err(|_| "signature is not hex".to_string())?;
        if raw.len() != 65 {
            return Err(format!("signature of {} bytes, want 65", raw.len()));
        }
        let y_parity = match raw[64] {
            27 => false,
            28 => true,
            v => return Err(format!("signature v = {v}")),
        };
        let signature = Signature {
            r: U256::from_big_endian(&raw[..32]),
            s: U256::from_big_endian(&raw[32..64]),
            y_parity,
        };
        let digest = domain.observation_digest(
            self.kind.into(),
            self.feed,
            self.config_digest,
            &Observation {
                round: self.round,
                observed_at: self.observed_at,
                value,
            },
        );
        let signer = signature
            .recover(&digest)
            .map_err(|e| format!("invalid signature: {e}"))?;
        Ok((
            signer,
            SignedObservation {
                observed_at: self.observed_at,
                value,
                signature,
            },
        ))
    }
}

/// The peer server's routes: `POST /observations` from other nodes,
/// `GET /metrics` (Prometheus) and `GET /status`.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/observations", post(receive))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    Json(wire): Json<WireObservation>,
) -> (StatusCode, String) {
    match accept(&shared, &wire) {
        Ok(view) => {
            // Transmit as soon as this observation completes a quorum (if
            // it is this node's turn), not at the next poll tick.
            crate::runner::maybe_transmit(shared.clone(), wire.key(), view);
            (StatusCode::OK, "ok".into())
        }
        Err(reason) => {
            tracing::debug!(feed = wire.feed, round = wire.round, %reason, "observation refused");
            (StatusCode::UNPROCESSABLE_ENTITY, reason)
        }
    }
}

/// Checks a peer's observation against the feed as this node last read it.
fn accept(shared: &Shared, wire: &WireObservation) -> Result<FeedView, String> {
    Gate {
        domain: &shared.domain,
        views: &shared.views,
        requests: &shared.requests,
        pool: &shared.pool,
    }
    .admit(wire, crate::runner::unix_now())
}

/// What a peer's observation is checked against, and where it is kept:
/// the node's feed views, its open-request table and its pool (each
/// locked on its own, one at a time).
pub struct Gate<'a> {
    /// The chain and registry signatures must be for.
    pub domain: &'a Domain,
    /// The feeds this node observes, by id, as last read from the chain.
    pub views: &'a RwLock<HashMap<u64, FeedView>>,
    /// Requests a response may answer.
    pub requests: &'a Mutex<OpenRequests>,
    /// Where accepted observations are kept.
    pub pool: &'a Mutex<Pool>,
}

impl Gate<'_> {
    /// Keeps `wire` if it is for a key this node knows (a round near the
    /// feed's next one; a request open in its table at `now`, Unix
    /// seconds) and signed under the feed's current digest by one of its
    /// signers, within the pool's quotas. Returns the feed's view.
    pub fn admit(&self, wire: &WireObservation, now: u64) -> Result<FeedView, String> {
        let view = self
            .views
            .read()
            .get(&wire.feed)
            .cloned()
            .ok_or_else(|| format!("feed {} is not observed here", wire.feed))?;
        if wire.config_digest != view.digest {
            return Err("signed under another config digest".into());
        }
        match wire.kind {
            WireKind::Round => {
                if !(view.next_round..=view.next_round.saturating_add(MAX_ROUNDS_AHEAD))
                    .contains(&wire.round)
                {
                    return Err(format!(
                        "round {} is not open (next is {})",
                        wire.round, view.next_round
                    ));
                }
            }
            // Only requests this node has seen open on chain and not
            // expired: made-up request ids once filled the pool (REPRO H3).
            WireKind::Response => {
                if !self.requests.lock().is_open(wire.round, wire.feed, now) {
                    return Err(format!(
                        "request {} is not open here (unknown, expired, answered or not tracked)",
                        wire.round
                    ));
                }
            }
        }
        let (signer, obs) = wire.open(self.domain)?;
        if view.index_of(&signer).is_none() {
            return Err(format!("{signer:?} is not a signer of feed {}", wire.feed));
        }
        self.pool
            .lock()
            .add(wire.key(), wire.config_digest, signer, obs, view.quorum())
            .map_err(|e| e.to_string())?;
        Ok(view)
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> String {
    shared.metrics.render()
}

async fn status(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    Json(shared.status_json())
}

/// Sends `wire` to every peer, concurrently; failures are counted, not
/// fatal (a peer may be down; it will get the next rebroadcast).
pub async fn broadcast(shared: &Shared, wire: &WireObservation) {
    let sends = shared.config.peers.iter().map(|peer| async move {
        let Ok(url) = peer.join("observations") else {
            return;
        };
        let result = shared
            .peer_http
            .post(url)
            .json(wire)
            .timeout(PEER_TIMEOUT)
            .send()
            .await;
        let ok = matches!(&result, Ok(r) if r.status().is_success());
        if !ok {
            shared.metrics.peer_errors_total.with([peer.as_str()]).inc();
            match result {
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    tracing::debug!(%peer, %status, %body, "peer refused an observation");
                }
                Err(e) => tracing::debug!(%peer, error = %e, "peer unreachable"),
            }
        }
    });
    futures::future::join_all(sends).await;
}
