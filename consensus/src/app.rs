//! The application Malachite drives: it answers consensus's questions with
//! the chain's blocks.
//!
//! * **Propose** (`GetValue`): build a block from the pool with the same
//!   builder the dev node uses ([`Chain::propose_block`]), stream it to
//!   peers, and offer its hash.
//! * **Vote** (`ReceivedProposalPart`): reassemble a peer's block, execute
//!   it on our own head ([`Chain::verify_block`]) and call it valid only if
//!   every header field matches our execution. Consensus prevotes nil on an
//!   invalid value.
//! * **Commit** (`Decided`): commit the decided block together with its
//!   commit certificate in one database commit ([`Chain::commit_block`]).
//! * **Sync**: serve decided blocks with their certificates, and accept
//!   synced ones (Malachite checks their certificate before they are
//!   decided, and the commit executes them).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use eyre::eyre;
use malachitebft_app_channel::app::consensus::MisbehaviorEvidence;
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::streaming::StreamMessage;
use malachitebft_app_channel::app::types::core::{CommitCertificate, Round, Validity};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::{LocallyProposedValue, PeerId, ProposedValue};
use malachitebft_app_channel::{AppMsg, Channels, NetworkMsg};
use malachitebft_core_types::{ExtendedCommitCertificate, LinearTimeouts, VoteExtensions};
use orac_chain::{BlockError, Chain};

use crate::block::Block;
use crate::context::OracContext;
use crate::messages::ProposalPart;
use crate::stream::{self, Streams};
use crate::types::{Address, BlockHash, Height, ValidatorSet};

/// How far ahead of our clock a proposed block's timestamp may be before we
/// refuse to vote for it (geth accepts 15 s for future blocks). Only a
/// vote depends on it: decided blocks are executed whatever the clock says.
pub const MAX_FUTURE_SECS: u64 = 5;

/// Most decided blocks served per value-sync request.
pub const MAX_SYNC_BATCH: u64 = 64;

/// Candidate blocks kept while undecided (bounded against peers streaming
/// many).
pub const MAX_CANDIDATES: usize = 256;

/// How heights are paced and how long rounds wait.
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// Least time per height (Malachite's target time): the block interval
    /// when the network is healthy. A height ends early never, late when a
    /// round fails.
    pub block_time: Duration,
    /// Round timeouts.
    pub timeouts: LinearTimeouts,
}

/// A block consensus may decide.
struct Candidate {
    block: Arc<Block>,
    height: Height,
    round: Round,
    valid_round: Round,
    proposer: Address,
    /// `None` until checked against our head.
    validity: Option<Validity>,
}

impl Candidate {
    fn proposed_value(&self) -> Option<ProposedValue<OracContext>> {
        Some(ProposedValue {
            height: self.height,
            round: self.round,
            valid_round: self.valid_round,
            proposer: self.proposer,
            value: BlockHash::from(self.block.hash()),
            validity: self.validity?,
        })
    }
}

/// The application's state.
pub struct App {
    chain: Arc<Chain>,
    validators: ValidatorSet,
    me: Address,
    pacing: Pacing,
    candidates: HashMap<BlockHash, Candidate>,
    streams: Streams,
    /// Test-only (feature `byzantine`): propose invalid blocks.
    bad_proposals: Option<crate::config::BadProposal>,
}

impl App {
    /// An application for `chain`, run by the validator (or full node)
    /// `me`.
    pub fn new(chain: Arc<Chain>, validators: ValidatorSet, me: Address, pacing: Pacing) -> Self {
        App {
            chain,
            validators,
            me,
            pacing,
            candidates: HashMap::new(),
            streams: Streams::default(),
            bad_proposals: None,
        }
    }

    /// Makes this validator propose invalid blocks (tests only).
    #[cfg(feature = "byzantine")]
    pub fn propose_invalid(mut self, how: crate::config::BadProposal) -> Self {
        self.bad_proposals = Some(how);
        self
    }

    fn params(&self) -> HeightParams<OracContext> {
        HeightParams::new(
            self.validators.clone(),
            self.pacing.timeouts,
            Some(self.pacing.block_time),
        )
    }

    fn next_height(&self) -> Height {
        Height(self.chain.head().number + 1)
    }

    /// Answers consensus until its channel closes.
    pub async fn run(mut self, channels: &mut Channels<OracContext>) -> eyre::Result<()> {
        while let Some(msg) = channels.consensus.recv().await {
            self.handle(msg, channels).await?;
        }
        Err(eyre!("consensus stopped"))
    }

    async fn handle(
        &mut self,
        msg: AppMsg<OracContext>,
        channels: &mut Channels<OracContext>,
    ) -> eyre::Result<()> {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let height = self.next_height();
                tracing::info!(%height, "consensus ready");
                let _ = reply.send((height, self.params()));
            }
            AppMsg::StartedRound {
                height,
                round,
                proposer,
                role,
                reply_value,
            } => {
                tracing::debug!(%height, %round, %proposer, ?role, "round started");
                let values = self.values_for(height, round).await;
                let _ = reply_value.send(values);
            }
            AppMsg::GetValue {
                height,
                round,
                timeout,
                reply,
            } => {
                let proposal = tokio::time::timeout(timeout, self.propose(height)).await;
                match proposal {
                    Ok(Ok(block)) => {
                        let hash = BlockHash::from(block.hash());
                        let _ = reply.send(LocallyProposedValue::new(height, round, hash));
                        self.stream(channels, &block, height, round, Round::Nil, self.me)
                            .await?;
                    }
                    Ok(Err(e)) => tracing::error!(%height, %round, "cannot build a block: {e}"),
                    Err(_) => tracing::error!(%height, %round, "building a block timed out"),
                }
            }
            AppMsg::ReceivedProposalPart {
                from,
                published_by,
                part,
                reply,
            } => {
                // Parts of one stream can arrive through different
                // neighbours: they are grouped by who published them.
                let value = self.received_part(published_by.unwrap_or(from), part).await;
                let _ = reply.send(value);
            }
            AppMsg::RestreamProposal {
                height,
                round,
                valid_round,
                address,
                value_id,
            } => {
                if let Some(c) = self.candidates.get(&value_id) {
                    let block = c.block.clone();
                    self.stream(channels, &block, height, round, valid_round, address)
                        .await?;
                } else {
                    tracing::warn!(%height, %round, %value_id, "asked to restream a block we do not have");
                }
            }
            AppMsg::ExtendVote { reply, .. } => {
                // Vote extensions are disabled at every height.
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions {
                extensions, reply, ..
            } => {
                let verdicts = extensions.into_iter().map(|(a, _)| (a, Ok(()))).collect();
                let _ = reply.send(verdicts);
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                // Every decided block is kept with its certificate.
                let _ = reply.send(Height(1));
            }
            AppMsg::Decided {
                certificate, reply, ..
            } => {
                self.commit(certificate).await;
                let _ = reply.send(());
            }
            AppMsg::Finalized {
                certificate,
                evidence,
                reply,
                ..
            } => {
                log_evidence(&evidence);
                let next = self.next_height();
                let params = self.params();
                let next = if next > certificate.height {
                    Next::Start(next, params)
                } else {
                    tracing::error!(height = %certificate.height, "decided block not committed; restarting the height");
                    Next::Restart(certificate.height, params)
                };
                let _ = reply.send(next);
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let values = self.decided_values(*range.start(), *range.end());
                let _ = reply.send(values);
            }
            AppMsg::ProcessSyncedValue {
                height,
                round,
                proposer,
                value_bytes,
                reply,
            } => {
                let outcome = match Block::decode(&value_bytes) {
                    Ok(block) if block.header.number == height.0 => {
                        let c = Candidate {
                            block: Arc::new(block),
                            height,
                            round,
                            valid_round: Round::Nil,
                            proposer,
                            // Decided by a certificate Malachite checks; the
                            // commit executes it.
                            validity: Some(Validity::Valid),
                        };
                        let value = c.proposed_value();
                        self.keep(c);
                        value.map_or(
                            SyncedValueOutcome::LocalTransientError,
                            SyncedValueOutcome::Verdict,
                        )
                    }
                    Ok(_) => SyncedValueOutcome::PeerFault,
                    Err(e) => {
                        tracing::warn!(%height, "undecodable synced block: {e}");
                        SyncedValueOutcome::PeerFault
                    }
                };
                let _ = reply.send(outcome);
            }
        }
        Ok(())
    }

    async fn propose(&mut self, height: Height) -> eyre::Result<Arc<Block>> {
        // A block re-proposed in a later round of the same height keeps its
        // content: nothing new is built while ours is still a candidate.
        if let Some(c) = self
            .candidates
            .values()
            .find(|c| c.height == height && c.proposer == self.me)
        {
            return Ok(c.block.clone());
        }
        let parent = self.chain.head();
        // Whole seconds, never before the parent's: with blocks faster than one
        // a second, several share a second rather than run ahead of the clock.
        let timestamp = unix_now().max(parent.timestamp);
        let built = self.chain.propose_block(height.0, timestamp).await?;
        let block = Block {
            header: built.header,
            transactions: built.transactions,
        };
        let block = Arc::new(match self.bad_proposals {
            #[cfg(feature = "byzantine")]
            Some(how) => crate::byzantine::tamper(&self.chain, block, how),
            _ => block,
        });
        tracing::info!(%height, txs = block.transactions.len(), hash = ?block.hash(), "proposing");
        self.keep(Candidate {
            block: block.clone(),
            height,
            round: Round::Nil,
            valid_round: Round::Nil,
            proposer: self.me,
            validity: Some(Validity::Valid),
        });
        Ok(block)
    }

    async fn stream(
        &self,
        channels: &mut Channels<OracContext>,
        block: &Block,
        height: Height,
        round: Round,
        valid_round: Round,
        proposer: Address,
    ) -> eyre::Result<()> {
        let encoded = block.encode();
        for msg in stream::split(height, round, valid_round, proposer, &encoded) {
            channels
                .network
                .send(NetworkMsg::PublishProposalPart(msg))
                .await?;
        }
        Ok(())
    }

    async fn received_part(
        &mut self,
        from: PeerId,
        part: StreamMessage<ProposalPart>,
    ) -> Option<ProposedValue<OracContext>> {
        let assembled = match self.streams.insert(from, part) {
            Ok(Some(a)) => a,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(%from, "dropped a proposal stream: {e}");
                return None;
            }
        };
        let next = self.next_height();
        if assembled.height < next {
            return None;
        }
        let chain = &self.chain;
        let pooled = |h: &orac_primitives::H256| chain.pool_transaction(h).map(|t| t.sender);
        let block = match Block::decode_with(&assembled.encoded, pooled) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(%from, height = %assembled.height, "undecodable proposal: {e}");
                return None;
            }
        };
        if block.header.number != assembled.height.0 {
            tracing::warn!(%from, "proposal's block number is not its height");
            return None;
        }
        let hash = BlockHash::from(block.hash());
        if !self.candidates.contains_key(&hash) {
            self.keep(Candidate {
                block: Arc::new(block),
                height: assembled.height,
                round: assembled.round,
                valid_round: assembled.valid_round,
                proposer: assembled.proposer,
                validity: None,
            });
        }
        if assembled.height == next {
            let started = std::time::Instant::now();
            self.check(hash).await;
            if let Some(c) = self.candidates.get(&hash) {
                tracing::debug!(
                    height = %c.height,
                    round = %c.round,
                    proposer = %c.proposer,
                    txs = c.block.transactions.len(),
                    validity = ?c.validity,
                    checked_in = ?started.elapsed(),
                    "proposal received"
                );
            }
        }
        self.candidates.get(&hash)?.proposed_value()
    }

    /// Executes an unchecked candidate on our head and records whether it
    /// is valid. Leaves it unchecked if our node, not the block, failed.
    async fn check(&mut self, hash: BlockHash) {
        let Some(c) = self.candidates.get(&hash) else {
            return;
        };
        if c.validity.is_some() {
            return;
        }
        let block = c.block.clone();
        let too_far = block.header.timestamp > unix_now() + MAX_FUTURE_SECS;
        let verdict = if too_far {
            tracing::warn!(
                height = block.header.number,
                "proposal's timestamp is in the future"
            );
            Some(Validity::Invalid)
        } else {
            match self
                .chain
                .verify_block(block.header.clone(), block.transactions.clone())
                .await
            {
                Ok(()) => Some(Validity::Valid),
                Err(e @ BlockError::Local(_)) => {
                    tracing::error!("could not check a proposal: {e}");
                    None
                }
                Err(e) => {
                    tracing::warn!(height = block.header.number, hash = ?block.hash(), "invalid proposal: {e}");
                    Some(Validity::Invalid)
                }
            }
        };
        if let Some(c) = self.candidates.get_mut(&hash) {
            c.validity = verdict;
        }
    }

    /// The candidates for this round, checked now that their parent is our
    /// head.
    async fn values_for(
        &mut self,
        height: Height,
        round: Round,
    ) -> Vec<ProposedValue<OracContext>> {
        let hashes: Vec<BlockHash> = self
            .candidates
            .iter()
            .filter(|(_, c)| c.height == height && c.round == round && c.proposer != self.me)
            .map(|(h, _)| *h)
            .collect();
        let mut values = Vec::new();
        for h in hashes {
            self.check(h).await;
            if let Some(v) = self.candidates.get(&h).and_then(Candidate::proposed_value) {
                values.push(v);
            }
        }
        values
    }

    fn keep(&mut self, c: Candidate) {
        if self.candidates.len() >= MAX_CANDIDATES {
            // Drop the farthest-ahead candidate: the ones for the next
            // height are the ones that matter.
            if let Some(far) = self
                .candidates
                .iter()
                .max_by_key(|(_, c)| c.height)
                .map(|(h, _)| *h)
            {
                self.candidates.remove(&far);
            }
        }
        self.candidates.insert(BlockHash::from(c.block.hash()), c);
    }

    async fn commit(&mut self, certificate: CommitCertificate<OracContext>) {
        let height = certificate.height;
        let Some(c) = self.candidates.get(&certificate.value_id) else {
            tracing::error!(%height, value = %certificate.value_id, "decided a block we do not have");
            return;
        };
        let block = c.block.clone();
        let cert = match borsh::to_vec(&certificate) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("cannot encode a certificate: {e}");
                return;
            }
        };
        match self
            .chain
            .commit_block(block.header.clone(), block.transactions.clone(), cert)
            .await
        {
            Ok(()) => {
                tracing::info!(
                    %height,
                    round = %certificate.round,
                    txs = block.transactions.len(),
                    signatures = certificate.commit_signatures.len(),
                    hash = %certificate.value_id,
                    "committed"
                );
                self.candidates.retain(|_, c| c.height > height);
            }
            Err(e) => tracing::error!(%height, "cannot commit the decided block: {e}"),
        }
    }

    fn decided_values(&self, from: Height, to: Height) -> Vec<RawDecidedValue<OracContext>> {
        let head = self.chain.head().number;
        let to =
            to.0.min(head)
                .min(from.0.saturating_add(MAX_SYNC_BATCH - 1));
        let mut values = Vec::new();
        for n in from.0.max(1)..=to {
            match self.decided_value(n) {
                Ok(Some(v)) => values.push(v),
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(height = n, "cannot serve a decided block: {e}");
                    break;
                }
            }
        }
        values
    }

    fn decided_value(&self, number: u64) -> eyre::Result<Option<RawDecidedValue<OracContext>>> {
        // One snapshot, so the header and body agree.
        let snap = self.chain.snapshot()?;
        let (Some(header), Some(body), Some(cert)) = (
            snap.header(number)?,
            snap.body(number)?,
            snap.certificate(number)?,
        ) else {
            return Ok(None);
        };
        let certificate: CommitCertificate<OracContext> = borsh::from_slice(&cert)?;
        let block = Block {
            header,
            transactions: body.transactions,
        };
        Ok(Some(RawDecidedValue {
            value_bytes: block.encode().into(),
            certificate: ExtendedCommitCertificate::from_commit_certificate_and_extensions(
                certificate,
                VoteExtensions::default(),
            ),
        }))
    }
}

fn log_evidence(evidence: &MisbehaviorEvidence<OracContext>) {
    if evidence.is_empty() {
        return;
    }
    // Both signed messages are in Malachite's evidence; the log names the
    // validator and what it signed twice.
    for (address, list) in &evidence.votes {
        for (a, b) in list {
            let (a, b) = (&a.message, &b.message);
            tracing::warn!(
                validator = %address,
                height = %a.height,
                round = %a.round,
                kind = ?a.typ,
                first = ?a.value,
                second = ?b.value,
                "EVIDENCE: equivocating votes"
            );
        }
    }
    for (address, list) in &evidence.proposals {
        for (a, b) in list {
            let (a, b) = (&a.message, &b.message);
            tracing::warn!(
                validator = %address,
                height = %a.height,
                round = %a.round,
                first = %a.value,
                second = %b.value,
                "EVIDENCE: equivocating proposals"
            );
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
