//! The producer: the one thread that writes.
//!
//! It wakes when transactions are admitted or a command arrives, takes
//! everything waiting, and makes it durable in ONE database commit — a block
//! in instant mode (group commit: under load each block carries everything
//! that arrived while the previous one was being written), or a pool-journal
//! entry in interval and external mode (blocks sealed on the timer, or
//! when a consensus engine commits one: see [`crate::external`]). Only
//! after that commit are submitters answered, so an acknowledged
//! transaction survives `kill -9`.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

use orac_primitives::{Address, Bytes, H256, Header, RecoveredTx, U256};
use orac_state::{Overlay, Snapshot, StateError};
use tokio::sync::oneshot;

use crate::blackbox::BlackBox;
use crate::block::{BuildError, BuiltBlock, OnInvalid, build, next_env};
use crate::chain::{ChainEvent, MiningMode, Shared, unix_now};
use crate::error::{BlockError, ChainError, StartupError};
use crate::executor::BlockEnv;
use crate::external::{BuiltCache, ProposedBlock};

/// A dev-mode state edit (anvil_set*).
#[derive(Clone, Debug)]
pub enum Patch {
    /// Sets the balance, in wei (`anvil_setBalance`).
    Balance(U256),
    /// Sets the nonce (`anvil_setNonce`).
    Nonce(u64),
    /// Replaces the code (`anvil_setCode`).
    Code(Bytes),
    /// Sets one storage slot: the key, then the value
    /// (`anvil_setStorageAt`).
    Storage(H256, H256),
}

pub(crate) type Reply<T> = oneshot::Sender<Result<T, ChainError>>;

pub(crate) enum Command {
    /// Transactions were admitted.
    Wake,
    Mine {
        blocks: u64,
        timestamp: Option<u64>,
        reply: Reply<()>,
    },
    Patch {
        address: Address,
        patch: Patch,
        reply: Reply<()>,
    },
    IncreaseTime {
        seconds: i64,
        reply: Reply<i64>,
    },
    NextTimestamp {
        timestamp: u64,
        reply: Reply<()>,
    },
    Rewind {
        block: u64,
        patches: u32,
        time_offset: i64,
        reply: Reply<()>,
    },
    /// External mode: build the next block, commit nothing.
    Propose {
        number: u64,
        timestamp: u64,
        reply: Reply<ProposedBlock>,
    },
    /// Re-execute someone else's next block, commit nothing.
    Verify {
        header: Header,
        transactions: Vec<RecoveredTx>,
        reply: oneshot::Sender<Result<(), BlockError>>,
    },
    /// External mode: commit a block the consensus engine finalized.
    Commit {
        header: Header,
        transactions: Vec<RecoveredTx>,
        certificate: Vec<u8>,
        reply: Reply<()>,
    },
    Shutdown,
}

/// How often queued transactions past their lifetime are dropped.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Safety bound on back-to-back blocks sealed in one wake-up.
const MAX_BLOCKS_PER_WAKE: usize = 10_000;

pub(crate) struct Producer {
    pub(crate) shared: Arc<Shared>,
    /// Which transaction is running, should the process die (`blackbox`).
    pub(crate) blackbox: BlackBox,
    mode: MiningMode,
    time_offset: i64,
    next_timestamp: Option<u64>,
    /// Blocks proposed or verified on the head, so committing one does not
    /// execute it again.
    pub(crate) cache: BuiltCache,
}

pub(crate) fn spawn(
    shared: Arc<Shared>,
    blackbox: BlackBox,
    rx: Receiver<Command>,
    mode: MiningMode,
) -> Result<std::thread::JoinHandle<()>, ChainError> {
    let time_offset = shared.db.snapshot()?.time_offset()?;
    let mut producer = Producer {
        shared,
        blackbox,
        mode,
        time_offset,
        next_timestamp: None,
        cache: BuiltCache::default(),
    };
    std::thread::Builder::new()
        .name("orac-producer".into())
        // Contracts run on this thread; nested calls need a deep stack.
        .stack_size(orac_vm::limits::EXECUTION_THREAD_STACK)
        .spawn(move || producer.run(rx))
        .map_err(|e| StartupError::Producer(e).into())
}

impl Producer {
    fn run(&mut self, rx: Receiver<Command>) {
        let mut next_seal = match self.mode {
            MiningMode::Interval(d) => Some(Instant::now() + d),
            MiningMode::Instant | MiningMode::External => None,
        };
        let mut next_sweep = Instant::now() + SWEEP_EVERY;
        loop {
            let wake_at = next_seal.map_or(next_sweep, |at| at.min(next_sweep));
            let first = rx.recv_timeout(wake_at.saturating_duration_since(Instant::now()));
            let mut commands = Vec::new();
            let mut timer = false;
            match first {
                Ok(c) => commands.push(c),
                Err(RecvTimeoutError::Timeout) => {
                    timer = next_seal.is_some_and(|at| Instant::now() >= at)
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if Instant::now() >= next_sweep {
                next_sweep = Instant::now() + SWEEP_EVERY;
                self.sweep_pool();
            }
            commands.extend(rx.try_iter());
            let mut wake = false;
            let mut stop = false;
            for cmd in commands {
                match cmd {
                    Command::Wake => wake = true,
                    Command::Shutdown => stop = true,
                    other => self.handle(other),
                }
            }
            if let (MiningMode::Interval(d), Some(at)) = (self.mode, next_seal)
                && (timer || Instant::now() >= at)
            {
                timer = true;
                next_seal = Some(Instant::now() + d);
            }
            let result = if timer || (wake && self.mode == MiningMode::Instant) {
                self.seal_pending(self.mode == MiningMode::Instant)
            } else if wake {
                self.journal()
            } else {
                Ok(())
            };
            if let Err(e) = result {
                tracing::error!("block production failed: {e}");
                self.fail_waiters(&e);
            }
            if stop {
                tracing::info!("block producer stopped");
                return;
            }
        }
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Mine {
                blocks,
                timestamp,
                reply,
            } => {
                let mut result = match timestamp {
                    Some(t) => self.check_next_timestamp(t),
                    None => Ok(()),
                };
                for i in 0..blocks {
                    if result.is_err() {
                        break;
                    }
                    if i == 0 && timestamp.is_some() {
                        self.next_timestamp = timestamp;
                    }
                    if let Err(e) = self.seal_one(true) {
                        result = Err(e);
                        break;
                    }
                }
                let _ = reply.send(result);
            }
            Command::Patch {
                address,
                patch,
                reply,
            } => {
                let _ = reply.send(self.patch(address, patch));
            }
            Command::IncreaseTime { seconds, reply } => {
                self.time_offset = self.time_offset.saturating_add(seconds);
                // As hardhat and anvil: the next block is at least this much
                // after the head, even when fast sealing (parent + 1) has put
                // the head ahead of the clock.
                if seconds > 0 {
                    let head = self.shared.head.read().timestamp;
                    let at = head.saturating_add(seconds as u64);
                    self.next_timestamp = Some(self.next_timestamp.map_or(at, |t| t.max(at)));
                }
                let offset = self.time_offset;
                let r = self
                    .shared
                    .db
                    .writer()
                    .and_then(|mut w| {
                        w.set_time_offset(offset)?;
                        w.commit()
                    })
                    .map(|_| offset)
                    .map_err(ChainError::from);
                let _ = reply.send(r);
            }
            Command::NextTimestamp { timestamp, reply } => {
                let r = self.check_next_timestamp(timestamp);
                if r.is_ok() {
                    self.next_timestamp = Some(timestamp);
                }
                let _ = reply.send(r);
            }
            Command::Rewind {
                block,
                patches,
                time_offset,
                reply,
            } => {
                let _ = reply.send(self.rewind(block, patches, time_offset));
            }
            Command::Propose {
                number,
                timestamp,
                reply,
            } => {
                let _ = reply.send(self.propose(number, timestamp));
            }
            Command::Verify {
                header,
                transactions,
                reply,
            } => {
                let _ = reply.send(self.verify(&header, transactions).map(|_| ()));
            }
            Command::Commit {
                header,
                transactions,
                certificate,
                reply,
            } => {
                let _ = reply.send(self.commit_external(&header, transactions, &certificate));
            }
            Command::Wake | Command::Shutdown => {}
        }
    }

    /// Block timestamps strictly increase (geth refuses a block whose time
    /// is not after its parent's; anvil seals parent + 1 when the clock
    /// has not moved on).
    fn timestamp(&mut self, parent: u64) -> u64 {
        let earliest = parent.saturating_add(1);
        if let Some(ts) = self.next_timestamp.take() {
            return ts.max(earliest);
        }
        let now = (unix_now() as i64).saturating_add(self.time_offset).max(0) as u64;
        now.max(earliest)
    }

    /// A timestamp asked for the next block must come after the head's.
    fn check_next_timestamp(&self, timestamp: u64) -> Result<(), ChainError> {
        let head = self.shared.head.read().timestamp;
        if timestamp <= head {
            return Err(ChainError::InvalidParams(format!(
                "timestamp {timestamp} is not after the head block's ({head})"
            )));
        }
        Ok(())
    }

    /// Seals blocks until nothing ready is left (instant mode) or once
    /// (interval mode).
    fn seal_pending(&mut self, until_empty: bool) -> Result<(), ChainError> {
        for _ in 0..MAX_BLOCKS_PER_WAKE {
            // On the interval a block is sealed even if empty, as anvil
            // does: time moves on chain (oracle heartbeats need it).
            let included = self.seal_one(!until_empty)?;
            if !until_empty {
                return Ok(());
            }
            let base_fee = self.shared.next_base_fee();
            let floor = self.shared.spec.min_base_fee_per_gas;
            let (more_ready, underpriced) = {
                let ps = self.shared.pool.lock();
                (
                    !ps.pool
                        .ready(base_fee, self.shared.spec.gas_limit)
                        .is_empty(),
                    ps.pool.has_underpriced_ready(base_fee),
                )
            };
            // Keep going while blocks make progress; empty blocks are worth
            // sealing only while they lower the base fee toward a waiting
            // transaction's fee cap.
            let progress = included > 0 && more_ready;
            let lowering = underpriced && base_fee > floor;
            if !progress && !lowering {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Builds, commits and announces one block with whatever is ready.
    /// Returns how many transactions it included. Empty blocks are sealed
    /// only when `force` (evm_mine, the interval timer) or when lowering
    /// the base fee.
    fn seal_one(&mut self, force: bool) -> Result<usize, ChainError> {
        let shared = self.shared.clone();
        let parent = shared.head.read().clone();
        let timestamp = self.timestamp(parent.timestamp);
        let env = next_env(&shared.spec, &parent, timestamp);
        // The ready set and the bookkeeping taken under one lock: every
        // admission the block may include is in `fresh`.
        let (candidates, taken) = {
            let mut ps = shared.pool.lock();
            (
                ps.pool.ready(env.base_fee, env.gas_limit),
                ps.take_bookkeeping(),
            )
        };
        self.with_bookkeeping(taken, |this, fresh, stale| {
            this.seal_these(force, env, &candidates, fresh, stale)
        })
    }

    /// Runs `write` with the pool's bookkeeping taken from it (admissions
    /// to journal, removals to unjournal). On `Err` nothing landed: the
    /// bookkeeping goes back, so the next attempt journals them and
    /// `fail_waiters` answers their submitters.
    pub(crate) fn with_bookkeeping<T>(
        &mut self,
        (fresh, stale): (Vec<H256>, Vec<H256>),
        write: impl FnOnce(&mut Self, &[H256], &[H256]) -> Result<T, ChainError>,
    ) -> Result<T, ChainError> {
        let result = write(self, &fresh, &stale);
        if result.is_err() {
            let mut ps = self.shared.pool.lock();
            ps.fresh.extend(fresh);
            ps.stale.extend(stale);
        }
        result
    }

    /// Executes `candidates` as the block after the head in `env`, on a
    /// fresh snapshot, which comes back too (for the state root of a block
    /// not yet written).
    pub(crate) fn execute(
        &self,
        env: BlockEnv,
        parent_hash: H256,
        candidates: &[Arc<RecoveredTx>],
        on_invalid: OnInvalid,
    ) -> Result<(BuiltBlock, Snapshot), BuildError> {
        let snap = self.shared.db.snapshot()?;
        let state: orac_state::SharedReader = Arc::new(snap.latest_state()?);
        let blackbox = &self.blackbox;
        let built = build(
            state,
            &self.shared.vm,
            env,
            parent_hash,
            candidates,
            on_invalid,
            &mut |h| blackbox.executing(h),
        )?;
        Ok((built, snap))
    }

    /// [`Self::seal_one`] once the pool's bookkeeping is taken: on `Err`
    /// nothing was committed.
    fn seal_these(
        &mut self,
        force: bool,
        env: BlockEnv,
        candidates: &[Arc<RecoveredTx>],
        fresh: &[H256],
        stale: &[H256],
    ) -> Result<usize, ChainError> {
        let shared = self.shared.clone();
        let parent = shared.head.read().clone();
        let has_underpriced = shared.pool.lock().pool.has_underpriced_ready(env.base_fee);
        if candidates.is_empty() && !force && !has_underpriced {
            self.journal_these(fresh, stale)?;
            return Ok(0);
        }
        let (built, snap) = self.execute(env, parent.hash(), candidates, OnInvalid::Skip)?;
        drop(snap);
        let (_, included) = self.commit_built(&built, None, None, fresh, stale)?;
        Ok(included)
    }

    /// Writes `built` (state, block, `certificate` if any, and the pool
    /// journal's updates) in ONE commit, then moves the head, updates the
    /// pool, answers submitters and announces the block. `expected`: the
    /// header `built` was verified against; a mismatch aborts before
    /// anything is written. On `Err` nothing was committed. Returns the
    /// header and how many transactions the block holds.
    pub(crate) fn commit_built(
        &mut self,
        built: &BuiltBlock,
        expected: Option<&Header>,
        certificate: Option<&[u8]>,
        fresh: &[H256],
        stale: &[H256],
    ) -> Result<(Header, usize), ChainError> {
        let shared = self.shared.clone();
        let included: HashSet<H256> = built.body.transactions.iter().map(|t| t.hash()).collect();
        let dropped: HashSet<H256> = built.dropped.iter().map(|(h, _)| *h).collect();
        let mut w = shared.db.writer()?;
        let state_root = w.apply_state(&built.changes, (built.env.number, 0))?;
        let header = built.header(state_root, &shared.spec.extra_data);
        if let Some(want) = expected
            && *want != header
        {
            // The trie update disagrees with the root computed when the
            // block was verified: a bug, never a reason to write it.
            return Err(StateError::Inconsistent(format!(
                "block {} writes state root {state_root:?}, verified with {:?}",
                header.number, want.state_root
            ))
            .into());
        }
        let hash = w.put_block(&header, &built.body, &built.receipts)?;
        if let Some(bytes) = certificate {
            w.put_certificate(header.number, bytes)?;
        }
        {
            let ps = shared.pool.lock();
            for h in fresh
                .iter()
                .filter(|h| !included.contains(h) && !dropped.contains(h))
            {
                if let Some(tx) = ps.pool.get(h) {
                    w.pool_insert(&tx.tx)?;
                }
            }
        }
        for h in stale.iter().chain(dropped.iter()) {
            w.pool_remove(h)?;
        }
        w.commit()?;

        self.blackbox.clear();
        // Whatever was built on the old head is built on a parent that is
        // no longer the head.
        self.cache.clear();
        // Durable. The head moves first, so a submitter who hears back sees
        // the block that holds its transaction; then the pool and the
        // submitters; then subscribers.
        *shared.head.write() = header.clone();
        let new_nonces: Vec<(Address, u64)> = built
            .changes
            .accounts
            .iter()
            .map(|(a, acct)| (*a, acct.as_ref().map(|x| x.nonce).unwrap_or(0)))
            .collect();
        {
            let mut ps = shared.pool.lock();
            for h in &included {
                ps.pool.remove(h);
            }
            for (h, _) in &built.dropped {
                ps.pool.remove(h);
            }
            let gone = ps.pool.set_state_nonces(new_nonces);
            ps.stale
                .extend(gone.iter().copied().filter(|h| !included.contains(h)));
            for (h, reason) in &built.dropped {
                if let Some(w) = ps.waiters.remove(h) {
                    let _ = w.send(Err(reason.clone().into()));
                }
            }
            for h in fresh {
                if let Some(w) = ps.waiters.remove(h) {
                    let _ = w.send(Ok(()));
                }
            }
        }
        tracing::debug!(
            number = header.number,
            txs = included.len(),
            gas_used = header.gas_used,
            "sealed block {hash:?}"
        );
        let _ = shared.events.send(ChainEvent::NewBlock {
            number: header.number,
            hash,
        });
        // Modules the block compiled go to the disk cache if their code is
        // now committed (deployed here, or called and already in state); a
        // reverted deploy's module does not.
        if let Ok(state) = shared.db.snapshot().and_then(|s| s.latest_state()) {
            let deployed: Vec<H256> = built.changes.code.keys().copied().collect();
            shared.vm.engine().persist(&deployed, |h| {
                orac_state::StateReader::code(&state, h).is_ok_and(|c| !c.is_empty())
            });
        }
        let count = included.len();
        Ok((header, count))
    }

    /// Interval mode between blocks: make new admissions durable now.
    fn journal(&mut self) -> Result<(), ChainError> {
        let taken = self.shared.pool.lock().take_bookkeeping();
        self.with_bookkeeping(taken, |this, fresh, stale| this.journal_these(fresh, stale))
    }

    /// Writes admissions and removals to the pool journal; on `Err`
    /// nothing was committed.
    fn journal_these(&mut self, fresh: &[H256], stale: &[H256]) -> Result<(), ChainError> {
        if fresh.is_empty() && stale.is_empty() {
            return Ok(());
        }
        let mut w = self.shared.db.writer()?;
        {
            let ps = self.shared.pool.lock();
            for h in fresh {
                if let Some(tx) = ps.pool.get(h) {
                    w.pool_insert(&tx.tx)?;
                }
            }
        }
        for h in stale {
            w.pool_remove(h)?;
        }
        w.commit()?;
        let mut ps = self.shared.pool.lock();
        for h in fresh {
            if let Some(w) = ps.waiters.remove(h) {
                let _ = w.send(Ok(()));
            }
        }
        Ok(())
    }

    fn patch(&mut self, address: Address, patch: Patch) -> Result<(), ChainError> {
        let snap = self.shared.db.snapshot()?;
        let mut overlay = Overlay::new(Arc::new(snap.latest_state()?));
        match patch {
            Patch::Balance(b) => overlay.update_account(&address, |a| a.balance = b)?,
            Patch::Nonce(n) => overlay.update_account(&address, |a| a.nonce = n)?,
            Patch::Code(c) => {
                overlay.set_code(&address, c)?;
            }
            Patch::Storage(slot, value) => {
                // Storage lives in an account; an empty one does not exist
                // (EIP-161) and would be deleted with it.
                if overlay.account(&address)?.is_none_or(|a| a.is_empty()) {
                    return Err(ChainError::NoAccountForStorage { address });
                }
                overlay.set_storage(&address, &slot, value)?
            }
        }
        let changes = overlay.into_changes()?;
        drop(snap);
        let mut w = self.shared.db.writer()?;
        w.apply_patch(&changes)?;
        w.commit()?;
        // Built on the state before the patch.
        self.cache.clear();
        let nonces: Vec<(Address, u64)> = changes
            .accounts
            .iter()
            .map(|(a, acct)| (*a, acct.as_ref().map(|x| x.nonce).unwrap_or(0)))
            .collect();
        let mut ps = self.shared.pool.lock();
        let gone = ps.pool.set_state_nonces(nonces);
        ps.stale.extend(gone);
        Ok(())
    }

    fn rewind(&mut self, block: u64, patches: u32, time_offset: i64) -> Result<(), ChainError> {
        let mut w = self.shared.db.writer()?;
        w.rewind_to(block, patches)?;
        w.set_time_offset(time_offset)?;
        w.commit()?;
        self.cache.clear();
        self.time_offset = time_offset;
        let snap = self.shared.db.snapshot()?;
        let head = snap.head()?;
        let header = snap
            .header(head.number)?
            .ok_or_else(|| StateError::Inconsistent("head header missing after rewind".into()))?;
        *self.shared.head.write() = header;
        // Nonces went back: re-read them for everyone in the pool.
        let state = snap.latest_state()?;
        let mut ps = self.shared.pool.lock();
        let mut nonces = Vec::new();
        for sender in ps.pool.senders() {
            let n = orac_state::StateReader::account(&state, &sender)?
                .map(|a| a.nonce)
                .unwrap_or(0);
            nonces.push((sender, n));
        }
        let gone = ps.pool.set_state_nonces(nonces);
        ps.stale.extend(gone);
        drop(ps);
        let _ = self.shared.events.send(ChainEvent::Rewound {
            number: head.number,
        });
        Ok(())
    }

    /// Drops queued transactions that waited too long; the journal
    /// forgets them with the next commit.
    fn sweep_pool(&mut self) {
        let mut ps = self.shared.pool.lock();
        let expired = ps.pool.expire_queued(Instant::now());
        if expired.is_empty() {
            return;
        }
        tracing::info!("{} queued transactions expired", expired.len());
        ps.stale.extend(expired);
        drop(ps);
        if let Err(e) = self.journal() {
            tracing::error!("could not journal expired transactions: {e}");
        }
    }

    /// After a failed commit, nobody waiting may be told "durable".
    fn fail_waiters(&mut self, e: &ChainError) {
        let mut ps = self.shared.pool.lock();
        tracing::warn!("failing {} waiting submitters: {e}", ps.waiters.len());
        let fresh: Vec<H256> = ps.fresh.clone();
        for h in fresh {
            if let Some(w) = ps.waiters.remove(&h) {
                let _ = w.send(Err(ChainError::NotDurable(e.to_string())));
            }
        }
    }
}
