//! Block production driven from outside, by a BFT consensus engine
//! ([`MiningMode::External`]).
//!
//! The engine asks the chain to propose the next block (built from the
//! pool, committed nowhere), to verify a block another validator proposed
//! (re-executed strictly: every transaction must go in), and to commit a
//! block it has finalized, with the engine's commit certificate, in one
//! database commit. All three run on the producer thread, which stays the
//! one writer. A block proposed or verified here is cached by hash, so
//! committing it does not execute it again.
//!
//! Blocks from peers are hostile input: nothing in them is trusted, the
//! senders they claim included.

use std::collections::VecDeque;
use std::sync::Arc;

use orac_primitives::{Address, H256, Header, RecoveredTx};
use orac_state::{BlockBody, StateChanges};

use crate::block::{BuildError, BuiltBlock, OnInvalid, next_env};
use crate::chain::{Chain, MiningMode};
use crate::error::{BlockError, ChainError, InvalidTx};
use crate::executor::{BlockEnv, check_static};
use crate::producer::{Command, Producer};

/// A block [`Chain::propose_block`] built on the head, not committed.
/// Owned values (no `Arc`): the engine serialises them for its peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposedBlock {
    /// The header, state root included: its hash is the block's id.
    pub header: Header,
    /// The transactions, in order, with their senders.
    pub transactions: Vec<RecoveredTx>,
}

/// Most blocks kept executed on one head: a round may see a few proposals
/// (one per round of the height); more would only hold memory.
const MAX_CACHED: usize = 8;

/// A block executed on the head, with the header it was found to have.
pub(crate) struct Verified {
    pub header: Header,
    pub built: BuiltBlock,
}

/// Blocks proposed or verified on the current head, by hash, oldest first.
#[derive(Default)]
pub(crate) struct BuiltCache {
    entries: VecDeque<(H256, Verified)>,
}

impl BuiltCache {
    /// Keeps `v`, dropping what is not built on `head` and, past
    /// [`MAX_CACHED`], the oldest.
    fn insert(&mut self, head: H256, v: Verified) {
        let hash = v.header.hash();
        self.entries
            .retain(|(h, e)| e.header.parent_hash == head && *h != hash);
        if self.entries.len() >= MAX_CACHED {
            self.entries.pop_front();
        }
        self.entries.push_back((hash, v));
    }

    fn contains(&self, hash: &H256) -> bool {
        self.entries.iter().any(|(h, _)| h == hash)
    }

    fn take(&mut self, hash: &H256) -> Option<Verified> {
        let i = self.entries.iter().position(|(h, _)| h == hash)?;
        self.entries.remove(i).map(|(_, v)| v)
    }

    /// Forgets everything (the head or its state moved).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

impl From<BuildError> for BlockError {
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::State(s) => s.into(),
            BuildError::Invalid { index, reason } => {
                BlockError::InvalidTransaction { index, reason }
            }
        }
    }
}

impl Chain {
    /// Refuses a consensus-engine command on a chain that seals its own
    /// blocks: two block sources would fork it.
    fn external_only(&self, method: &'static str) -> Result<(), ChainError> {
        match self.mining {
            MiningMode::External => Ok(()),
            MiningMode::Instant | MiningMode::Interval(_) => {
                Err(ChainError::NotExternal { method })
            }
        }
    }

    /// Builds block `number` (the head's plus one) at `timestamp` (not
    /// before the head's) from the pool's ready transactions, as the dev sealer
    /// would, and commits nothing. [`ChainError::InvalidBlock`] with
    /// [`BlockError::WrongNumber`] or [`BlockError::TimestampBeforeParent`]
    /// when the head is not where the engine thinks.
    pub async fn propose_block(
        &self,
        number: u64,
        timestamp: u64,
    ) -> Result<ProposedBlock, ChainError> {
        self.external_only("propose_block")?;
        self.request(|reply| Command::Propose {
            number,
            timestamp,
            reply,
        })
        .await
    }

    /// Whether `header` with `transactions` is a valid next block: it
    /// extends the head, its environment is the one the parent and the
    /// spec give, every transaction executes validly in order, and the
    /// header matches what executing them gives, field by field. Commits
    /// nothing. [`BlockError::Local`] means this node failed, not the block.
    pub async fn verify_block(
        &self,
        header: Header,
        transactions: Vec<RecoveredTx>,
    ) -> Result<(), BlockError> {
        self.request(|reply| Command::Verify {
            header,
            transactions,
            reply,
        })
        .await
    }

    /// Commits a block the consensus engine finalized, with its commit
    /// `certificate`, in one database commit (with the pool journal's
    /// pending updates). A block already committed at its height is `Ok`
    /// (an engine replaying after a restart); otherwise it must be the next
    /// block, and one not proposed or verified here is verified first
    /// ([`ChainError::InvalidBlock`] if it is not valid).
    pub async fn commit_block(
        &self,
        header: Header,
        transactions: Vec<RecoveredTx>,
        certificate: Vec<u8>,
    ) -> Result<(), ChainError> {
        self.external_only("commit_block")?;
        self.request(|reply| Command::Commit {
            header,
            transactions,
            certificate,
            reply,
        })
        .await
    }

    /// The commit certificate stored with block `number`, if any. The block
    /// itself, to send to a peer: `snapshot()?.header(n)` and `.body(n)`
    /// (one snapshot, so they agree).
    pub fn certificate(&self, number: u64) -> Result<Option<Vec<u8>>, ChainError> {
        Ok(self.snapshot()?.certificate(number)?)
    }
}

/// A block numbered `number` at `timestamp` can follow `parent`.
fn check_follows(parent: &Header, number: u64, timestamp: u64) -> Result<(), BlockError> {
    if number != parent.number.saturating_add(1) {
        return Err(BlockError::WrongNumber {
            expected: parent.number.saturating_add(1),
            got: number,
        });
    }
    // Equal is allowed: timestamps are whole seconds, and a network
    // deciding more than one block a second gives some the same second.
    if timestamp < parent.timestamp {
        return Err(BlockError::TimestampBeforeParent {
            timestamp,
            parent: parent.timestamp,
        });
    }
    Ok(())
}

/// Checks what the pool checks at admission, which a block from a peer
/// never went through, and that each claimed sender signed its
/// transaction; returns them as build candidates. `pooled` gives the sender
/// of a transaction this node's pool admitted (recovered then from its
/// signature, which its hash covers), so only transactions the node has
/// not seen cost a recovery here: the one costly step, on the one writer
/// thread.
fn admissible(
    transactions: Vec<RecoveredTx>,
    env: &BlockEnv,
    pooled: impl Fn(&H256) -> Option<Address>,
) -> Result<Vec<Arc<RecoveredTx>>, BlockError> {
    let mut out = Vec::with_capacity(transactions.len());
    for (index, tx) in transactions.into_iter().enumerate() {
        let invalid = |reason: InvalidTx| BlockError::InvalidTransaction { index, reason };
        check_static(&tx.tx, env.chain_id, env.gas_limit).map_err(invalid)?;
        let signer = match pooled(&tx.hash()) {
            Some(sender) => sender,
            None => tx
                .tx
                .recover_sender()
                .map_err(|e| invalid(InvalidTx::Decode(e)))?,
        };
        if signer != tx.sender {
            return Err(BlockError::WrongSender {
                index,
                claimed: tx.sender,
            });
        }
        out.push(Arc::new(tx));
    }
    Ok(out)
}

/// The first header field (in header order) in which `a` and `b` differ.
fn first_difference(a: &Header, b: &Header) -> Option<&'static str> {
    [
        ("parent_hash", a.parent_hash == b.parent_hash),
        ("ommers_hash", a.ommers_hash == b.ommers_hash),
        ("beneficiary", a.beneficiary == b.beneficiary),
        ("state_root", a.state_root == b.state_root),
        (
            "transactions_root",
            a.transactions_root == b.transactions_root,
        ),
        ("receipts_root", a.receipts_root == b.receipts_root),
        ("logs_bloom", a.logs_bloom == b.logs_bloom),
        ("difficulty", a.difficulty == b.difficulty),
        ("number", a.number == b.number),
        ("gas_limit", a.gas_limit == b.gas_limit),
        ("gas_used", a.gas_used == b.gas_used),
        ("timestamp", a.timestamp == b.timestamp),
        ("extra_data", a.extra_data == b.extra_data),
        ("mix_hash", a.mix_hash == b.mix_hash),
        ("nonce", a.nonce == b.nonce),
        ("base_fee_per_gas", a.base_fee_per_gas == b.base_fee_per_gas),
    ]
    .into_iter()
    .find(|(_, same)| !same)
    .map(|(field, _)| field)
}

impl Producer {
    /// Executes `candidates` as the next block and works out its header
    /// (the state root without writing anything).
    fn build_next(
        &mut self,
        parent: &Header,
        env: BlockEnv,
        candidates: &[Arc<RecoveredTx>],
        on_invalid: OnInvalid,
    ) -> Result<Verified, BuildError> {
        let result = self.execute(env, parent.hash(), candidates, on_invalid);
        // Nothing runs now: a death from here on is not the last
        // transaction's doing (`blackbox`).
        self.blackbox.clear();
        let (built, snap) = result?;
        let root = snap.root_after(&built.changes)?;
        let header = built.header(root, &self.shared.spec.extra_data);
        Ok(Verified { header, built })
    }

    pub(crate) fn propose(
        &mut self,
        number: u64,
        timestamp: u64,
    ) -> Result<ProposedBlock, ChainError> {
        let parent = self.shared.head.read().clone();
        check_follows(&parent, number, timestamp)?;
        let env = next_env(&self.shared.spec, &parent, timestamp);
        let candidates = self
            .shared
            .pool
            .lock()
            .pool
            .ready(env.base_fee, env.gas_limit);
        let v = self.build_next(&parent, env, &candidates, OnInvalid::Skip)?;
        let proposed = ProposedBlock {
            header: v.header.clone(),
            transactions: v.built.body.transactions.clone(),
        };
        self.cache.insert(parent.hash(), v);
        Ok(proposed)
    }

    /// Verifies `header` with `transactions` as the next block and caches
    /// the result; returns its hash.
    pub(crate) fn verify(
        &mut self,
        header: &Header,
        transactions: Vec<RecoveredTx>,
    ) -> Result<H256, BlockError> {
        let hash = header.hash();
        if self.cache.contains(&hash) {
            return Ok(hash);
        }
        let parent = self.shared.head.read().clone();
        check_follows(&parent, header.number, header.timestamp)?;
        if header.parent_hash != parent.hash() {
            return Err(BlockError::WrongParent {
                expected: parent.hash(),
                got: header.parent_hash,
            });
        }
        let spec = &self.shared.spec;
        let env = next_env(spec, &parent, header.timestamp);
        // What the parent and the spec fix, before any execution: the
        // header an empty block would have, with the execution-derived
        // fields taken from `header`.
        let empty = BuiltBlock {
            env: env.clone(),
            parent_hash: parent.hash(),
            body: BlockBody::default(),
            receipts: Vec::new(),
            changes: StateChanges::default(),
            gas_used: 0,
            dropped: Vec::new(),
        };
        let fixed = Header {
            state_root: header.state_root,
            transactions_root: header.transactions_root,
            receipts_root: header.receipts_root,
            logs_bloom: header.logs_bloom,
            gas_used: header.gas_used,
            ..empty.header(header.state_root, &spec.extra_data)
        };
        if let Some(field) = first_difference(&fixed, header) {
            return Err(BlockError::EnvMismatch { field });
        }
        // Looked up first, so the pool is not locked while the others are
        // recovered.
        let pooled: std::collections::HashMap<H256, Address> = {
            let ps = self.shared.pool.lock();
            transactions
                .iter()
                .filter_map(|t| ps.pool.get(&t.hash()).map(|p| (p.hash(), p.sender)))
                .collect()
        };
        let candidates = admissible(transactions, &env, |h| pooled.get(h).copied())?;
        let v = self.build_next(&parent, env, &candidates, OnInvalid::Reject)?;
        if let Some(field) = first_difference(&v.header, header) {
            return Err(BlockError::HeaderMismatch { field });
        }
        self.cache.insert(parent.hash(), v);
        Ok(hash)
    }

    pub(crate) fn commit_external(
        &mut self,
        header: &Header,
        transactions: Vec<RecoveredTx>,
        certificate: &[u8],
    ) -> Result<(), ChainError> {
        let head = self.shared.head.read().clone();
        if header.number <= head.number {
            let committed = if header.number == head.number {
                head.hash()
            } else {
                self.shared
                    .db
                    .snapshot()?
                    .header(header.number)?
                    .ok_or(ChainError::BlockNotFound(header.number))?
                    .hash()
            };
            if committed == header.hash() {
                return Ok(());
            }
            return Err(BlockError::Conflict {
                number: header.number,
                committed,
            }
            .into());
        }
        let hash = self.verify(header, transactions)?;
        let v = self.cache.take(&hash).ok_or_else(|| {
            ChainError::State(orac_state::StateError::Inconsistent(format!(
                "verified block {hash:?} left the cache"
            )))
        })?;
        let taken = self.shared.pool.lock().take_bookkeeping();
        self.with_bookkeeping(taken, |this, fresh, stale| {
            this.commit_built(&v.built, Some(&v.header), Some(certificate), fresh, stale)
        })?;
        Ok(())
    }
}
