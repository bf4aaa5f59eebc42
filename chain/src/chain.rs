//! The shared chain handle: what the RPC server calls.
//!
//! Reads go straight to consistent database snapshots. Every write (blocks,
//! pool journal, dev-mode patches, reverts) goes through the single producer
//! thread, so writes never race and each commit can carry many of them.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use orac_primitives::{
    Address, Bytes, H256, Header, PrivateKey, RecoveredTx, SignedTransaction, U256,
};
use orac_state::{
    Db, DbConfig, HeadPointer, HistoricalState, LatestState, Overlay, SharedReader, Snapshot,
    StateReader,
};
use orac_vm::{Vm, VmConfig};
use parking_lot::{Mutex, RwLock};
use tokio::sync::{broadcast, oneshot};

use crate::basefee::next_base_fee;
use crate::blackbox::BlackBox;
use crate::block::{OnInvalid, build, next_env};
use crate::error::{ChainError, InvalidTx, StartupError};
use crate::executor::{self, BlockEnv, CallRequest, ExecOutcome};
use crate::pending::{PendingBlock, PendingKey, PendingState};
use crate::pool::{Pool, PoolConfig};
use crate::producer::{self, Command, Patch};
use crate::rules::ChainRules;
use crate::slots::Slots;
use crate::spec::ChainSpec;

/// Calls (`eth_call`, `eth_estimateGas`) running contracts at once. Each
/// holds up to `MAX_CALL_DEPTH` pooled instances; this keeps the pool from
/// running dry however many requests arrive.
pub const MAX_CONCURRENT_CALLS: usize = 4;

/// Most gas an `eth_call` may use (geth's default RPC gas cap).
pub const RPC_GAS_CAP: u64 = 50_000_000;

/// When blocks are sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MiningMode {
    /// As soon as transactions arrive, everything pending in one block.
    Instant,
    /// Every interval, whatever is pending.
    Interval(Duration),
    /// Blocks are built, verified and committed only when a consensus
    /// engine asks ([`Chain::propose_block`], [`Chain::verify_block`],
    /// [`Chain::commit_block`]); the producer never seals on its own.
    /// Admissions are journaled durably between blocks, as in interval
    /// mode. The dev-chain commands (mining, time travel, patches,
    /// snapshots) are refused with [`ChainError::DevOnly`].
    External,
}

/// Everything [`Chain::open`] needs.
pub struct ChainConfig {
    /// Holds the database (pool journal included), the compiled-code cache
    /// and the producer's black box.
    pub datadir: PathBuf,
    /// The chain to open or create; must match the database's genesis.
    pub spec: ChainSpec,
    /// When blocks are sealed.
    pub mining: MiningMode,
    /// The mempool's limits.
    pub pool: PoolConfig,
    /// The database's tuning.
    pub db: DbConfig,
    /// Keys the node signs with for `eth_sendTransaction`.
    pub dev_keys: Vec<PrivateKey>,
    /// Bound of the on-disk cache of compiled contracts
    /// (`orac_vm::VmConfig::cache_bytes`).
    pub code_cache_bytes: u64,
    /// What is consensus beyond the spec: the VM's system contracts and
    /// their genesis accounts ([`ChainRules::standard`] for orac).
    pub rules: ChainRules,
}

/// Something subscribers hear about.
#[derive(Clone, Debug)]
pub enum ChainEvent {
    /// A block became the head.
    NewBlock {
        /// The block's number.
        number: u64,
        /// The block's hash.
        hash: H256,
    },
    /// The chain was rewound (evm_revert) to this block.
    Rewound {
        /// The new head's number.
        number: u64,
    },
    /// A transaction was admitted to the pool (and made durable).
    Pending {
        /// The transaction's hash.
        hash: H256,
    },
}

/// A block selector as JSON-RPC names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockTag {
    /// The head block.
    Latest,
    /// The genesis block.
    Earliest,
    /// The block the node would seal next.
    Pending,
    /// The head: with one sealer and no reorgs every block is safe.
    Safe,
    /// The head, for the same reason.
    Finalized,
    /// The block with this number.
    Number(u64),
    /// The block with this hash.
    Hash(H256),
}

/// Pool plus the bookkeeping the producer needs to make admissions durable.
pub(crate) struct PoolState {
    pub pool: Pool,
    /// Admitted since the last commit: to journal (or mine) next.
    pub fresh: Vec<H256>,
    /// Journaled but since replaced, evicted or dropped: to unjournal.
    pub stale: Vec<H256>,
    /// Callers waiting for their transaction to become durable.
    pub waiters: HashMap<H256, oneshot::Sender<Result<(), ChainError>>>,
}

impl PoolState {
    /// `fresh` and `stale`, taken for the producer's next commit.
    pub(crate) fn take_bookkeeping(&mut self) -> (Vec<H256>, Vec<H256>) {
        (
            std::mem::take(&mut self.fresh),
            std::mem::take(&mut self.stale),
        )
    }
}

/// What the producer and the handle share.
pub(crate) struct Shared {
    pub db: Db,
    pub vm: Vm,
    /// The same VM for `eth_call` and `eth_estimateGas`: what they compile
    /// is never written to the on-disk code cache.
    pub sim_vm: Vm,
    pub spec: ChainSpec,
    pub pool: Mutex<PoolState>,
    /// The head header, updated after each commit.
    pub head: RwLock<Header>,
    pub events: broadcast::Sender<ChainEvent>,
}

impl Shared {
    /// The base fee the next block will have.
    pub(crate) fn next_base_fee(&self) -> U256 {
        let head = self.head.read();
        next_base_fee(
            head.base_fee_per_gas,
            head.gas_used,
            head.gas_limit,
            self.spec.min_base_fee_per_gas,
        )
    }
}

#[derive(Clone, Copy, Debug)]
struct SnapshotPoint {
    block: u64,
    patches: u32,
    time_offset: i64,
}

/// The running chain: reads go to database snapshots, every write through
/// the one producer thread, so writes never race. Shared as an `Arc`.
pub struct Chain {
    pub(crate) shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
    producer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// In derivation order: eth_accounts lists them as anvil does.
    dev_keys: Vec<PrivateKey>,
    snapshots: Mutex<(u64, BTreeMap<u64, SnapshotPoint>)>,
    genesis_hash: H256,
    pub(crate) mining: MiningMode,
    call_slots: Slots,
    /// The last pending block built, reused while its key holds.
    pending: Mutex<Option<Arc<PendingBlock>>>,
}

/// The state a read runs against.
pub enum StateView {
    /// The head's state (dev patches included), from the flat tables.
    Latest(LatestState),
    /// A past block's state, read through the trie at its state root.
    Historical(HistoricalState),
    /// The state after the pending block's transactions.
    Pending(PendingState),
}

impl StateReader for StateView {
    fn account(
        &self,
        a: &Address,
    ) -> Result<Option<orac_primitives::Account>, orac_state::StateError> {
        match self {
            StateView::Latest(s) => s.account(a),
            StateView::Historical(s) => s.account(a),
            StateView::Pending(s) => s.account(a),
        }
    }
    fn storage(&self, a: &Address, slot: &H256) -> Result<H256, orac_state::StateError> {
        match self {
            StateView::Latest(s) => s.storage(a, slot),
            StateView::Historical(s) => s.storage(a, slot),
            StateView::Pending(s) => s.storage(a, slot),
        }
    }
    fn code(&self, h: &H256) -> Result<Bytes, orac_state::StateError> {
        match self {
            StateView::Latest(s) => s.code(h),
            StateView::Historical(s) => s.code(h),
            StateView::Pending(s) => s.code(h),
        }
    }
}

impl Chain {
    /// Opens (or creates) the chain in `config.datadir`, checks the database,
    /// reloads the journaled pool and starts the producer.
    pub fn open(config: ChainConfig) -> Result<Arc<Chain>, ChainError> {
        config
            .spec
            .validate(&config.rules)
            .map_err(StartupError::Spec)?;
        std::fs::create_dir_all(&config.datadir).map_err(|source| StartupError::DataDir {
            path: config.datadir.clone(),
            source,
        })?;
        let path = config.datadir.join("chain.redb");
        // redb's debug builds assert on some corruptions; a damaged file
        // must become a refusal to start, never a crash with a backtrace.
        let spec = config.spec.clone();
        // Genesis as the rules complete it (in memory, before the database
        // is touched).
        let changes = spec.genesis_changes(&config.rules);
        let genesis_hash = spec
            .genesis_header(crate::spec::genesis_state_root(&spec, &config.rules))
            .hash();
        let db_config = config.db.clone();
        let opened = std::panic::catch_unwind(move || -> Result<(Db, Header), ChainError> {
            let db = Db::open(&path, &db_config)?;
            if !db.is_initialized()? {
                let written =
                    db.init_genesis(spec.chain_id, &changes, |root| spec.genesis_header(root))?;
                debug_assert_eq!(written.hash(), genesis_hash);
            }
            let head = db.check(genesis_hash, &db_config)?;
            let header = db
                .snapshot()?
                .header(head.number)?
                .ok_or(StartupError::HeadVanished)?;
            Ok((db, header))
        });
        let (db, head) = match opened {
            Ok(r) => r?,
            Err(_) => {
                return Err(StartupError::DamagedDb.into());
            }
        };
        let vm = config
            .rules
            .vm(&VmConfig {
                cache_dir: Some(config.datadir.join("code-cache")),
                cache_bytes: config.code_cache_bytes,
            })
            .map_err(|e| StartupError::Engine(e.to_string()))?;
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            db,
            sim_vm: vm.for_simulation(),
            vm,
            spec: config.spec,
            pool: Mutex::new(PoolState {
                pool: Pool::new(config.pool),
                fresh: Vec::new(),
                stale: Vec::new(),
                waiters: HashMap::new(),
            }),
            head: RwLock::new(head),
            events,
        });
        let blackbox =
            BlackBox::open(&config.datadir).map_err(|source| StartupError::BlackBox {
                path: config.datadir.clone(),
                source,
            })?;
        reload_pool(&shared, blackbox.suspect())?;
        let (tx, rx) = mpsc::channel();
        let handle = producer::spawn(shared.clone(), blackbox, rx, config.mining)?;
        let chain = Arc::new(Chain {
            shared,
            commands: tx,
            producer: Mutex::new(Some(handle)),
            dev_keys: config.dev_keys,
            snapshots: Mutex::new((1, BTreeMap::new())),
            genesis_hash,
            mining: config.mining,
            call_slots: Slots::new(MAX_CONCURRENT_CALLS),
            pending: Mutex::new(None),
        });
        // Anything reloaded from the journal may be minable now.
        let _ = chain.commands.send(Command::Wake);
        Ok(chain)
    }

    /// The spec the chain was opened with.
    pub fn spec(&self) -> &ChainSpec {
        &self.shared.spec
    }

    /// The EIP-155 chain id (`eth_chainId`).
    pub fn chain_id(&self) -> u64 {
        self.shared.spec.chain_id
    }

    /// Block 0's hash, which identifies the chain a database holds.
    pub fn genesis_hash(&self) -> H256 {
        self.genesis_hash
    }

    /// When blocks are sealed.
    pub fn mining_mode(&self) -> MiningMode {
        self.mining
    }

    /// The head header as of the last commit, without a database read.
    pub fn head(&self) -> Header {
        self.shared.head.read().clone()
    }

    /// The base fee the next block will have (`eth_gasPrice` and fee
    /// estimates start from it).
    pub fn next_base_fee(&self) -> U256 {
        self.shared.next_base_fee()
    }

    /// New blocks, rewinds and admitted transactions from now on (for
    /// `eth_subscribe` and filters); a slow receiver loses the oldest.
    pub fn subscribe(&self) -> broadcast::Receiver<ChainEvent> {
        self.shared.events.subscribe()
    }

    /// The addresses of the dev keys, in derivation order (`eth_accounts`).
    pub fn dev_accounts(&self) -> Vec<Address> {
        self.dev_keys.iter().map(|k| k.address()).collect()
    }

    /// The dev key of `address`, to sign for `eth_sendTransaction`.
    pub fn dev_key(&self, address: &Address) -> Option<&PrivateKey> {
        self.dev_keys.iter().find(|k| k.address() == *address)
    }

    /// A consistent read-only view of the database, unaffected by later
    /// commits.
    pub fn snapshot(&self) -> Result<Snapshot, ChainError> {
        Ok(self.shared.db.snapshot()?)
    }

    /// Resolves a tag to a block number that exists, or `None`. `pending`
    /// resolves to the head here (log and fee-history ranges, as geth);
    /// state and block reads at `pending` use [`Self::pending_block`].
    pub fn resolve(&self, snap: &Snapshot, tag: BlockTag) -> Result<Option<u64>, ChainError> {
        let head = snap.head()?.number;
        Ok(match tag {
            BlockTag::Latest | BlockTag::Pending | BlockTag::Safe | BlockTag::Finalized => {
                Some(head)
            }
            BlockTag::Earliest => Some(0),
            BlockTag::Number(n) => (n <= head).then_some(n),
            BlockTag::Hash(h) => snap.block_number(&h)?,
        })
    }

    /// The state after block `tag`: the flat tables for the head, the trie
    /// for earlier blocks.
    pub fn state_at(
        &self,
        snap: &Snapshot,
        tag: BlockTag,
    ) -> Result<Option<StateView>, ChainError> {
        if tag == BlockTag::Pending {
            let (base, block) = self.pending_block()?;
            return Ok(Some(StateView::Pending(PendingState { base, block })));
        }
        let Some(n) = self.resolve(snap, tag)? else {
            return Ok(None);
        };
        let head = snap.head()?;
        if n == head.number {
            return Ok(Some(StateView::Latest(snap.latest_state()?)));
        }
        let header = snap.header(n)?.ok_or(ChainError::BlockNotFound(n))?;
        Ok(Some(StateView::Historical(
            snap.state_at(header.state_root)?,
        )))
    }

    /// The block the node would seal next from the pool's ready
    /// transactions, with the latest state it was built on (see
    /// [`crate::pending`]). Built at most once per head, state and ready
    /// set.
    pub fn pending_block(&self) -> Result<(LatestState, Arc<PendingBlock>), ChainError> {
        // Snapshot and ready set read under the pool lock: they agree on
        // which nonces are mined (see `latest_account`).
        let (snap, parent, env, candidates) = {
            let ps = self.shared.pool.lock();
            let snap = self.snapshot()?;
            let number = snap.head()?.number;
            let parent = snap
                .header(number)?
                .ok_or(ChainError::BlockNotFound(number))?;
            let now = unix_now().max(parent.timestamp.saturating_add(1));
            let env = next_env(&self.shared.spec, &parent, now);
            let candidates = ps.pool.ready(env.base_fee, env.gas_limit);
            (snap, parent, env, candidates)
        };
        let key = PendingKey {
            head: parent.hash(),
            state_root: snap.state_root()?,
            candidates: candidates.iter().map(|t| t.hash()).collect(),
        };
        let base = snap.latest_state()?;
        if let Some(p) = self.pending.lock().as_ref().filter(|p| p.key == key) {
            return Ok((base, p.clone()));
        }
        let state: SharedReader = Arc::new(snap.latest_state()?);
        let run = || {
            build(
                state,
                &self.shared.sim_vm,
                env,
                key.head,
                &candidates,
                OnInvalid::Skip,
                &mut |_| {},
            )
        };
        // Nothing to execute needs no execution stack or call slot.
        let built = if candidates.is_empty() {
            run()
        } else {
            self.on_vm_thread(run)
        }?;
        let root = snap.root_after(&built.changes)?;
        let header = built.header(root, &self.shared.spec.extra_data);
        let block = Arc::new(PendingBlock::new(
            header,
            built.body,
            built.receipts,
            built.changes,
            key,
        ));
        *self.pending.lock() = Some(block.clone());
        Ok((base, block))
    }

    /// The nonce for the sender's next transaction, counting the pool.
    pub fn pending_nonce(&self, address: &Address) -> Result<u64, ChainError> {
        // State read under the pool lock: see `latest_account`.
        let ps = self.shared.pool.lock();
        let state_nonce = self.latest_account(address)?.nonce;
        Ok(ps.pool.pending_nonce(address, state_nonce))
    }

    /// The account in the latest committed state. Callers hold the pool
    /// lock while reading it: the producer commits a block first and then,
    /// under that lock, tells the pool the new nonces, so a read made under
    /// the lock is never older than what the pool knows. (Read outside it,
    /// a snapshot taken just before a commit could make the pool believe a
    /// mined nonce is still missing and hold later transactions back.)
    fn latest_account(&self, address: &Address) -> Result<orac_primitives::Account, ChainError> {
        Ok(self
            .snapshot()?
            .latest_state()?
            .account(address)?
            .unwrap_or_default())
    }

    /// The pooled transaction with this hash, ready or queued.
    pub fn pool_transaction(&self, hash: &H256) -> Option<Arc<RecoveredTx>> {
        self.shared.pool.lock().pool.get(hash)
    }

    /// How many pooled transactions are ready and how many queued.
    pub fn pool_counts(&self) -> (usize, usize) {
        self.shared.pool.lock().pool.counts()
    }

    /// Every pooled transaction: the ready ones, then the queued ones
    /// (`txpool_content`).
    pub fn pool_content(&self) -> (Vec<Arc<RecoveredTx>>, Vec<Arc<RecoveredTx>>) {
        self.shared.pool.lock().pool.content()
    }

    /// Decodes, checks and admits a raw transaction, and returns its hash
    /// once it is durable: mined (instant mode) or journaled (interval mode).
    pub async fn submit_raw(&self, raw: Vec<u8>) -> Result<H256, ChainError> {
        // Recovery takes ~30 µs with libsecp256k1: cheaper inline than a hop
        // to the blocking pool, and batches from many connections still
        // spread over the runtime's workers.
        let tx = SignedTransaction::decode(&raw).map_err(InvalidTx::from)?;
        let tx = RecoveredTx::recover(tx).map_err(InvalidTx::from)?;
        self.submit(tx).await
    }

    /// Admits a transaction whose sender is already known.
    pub async fn submit(&self, tx: RecoveredTx) -> Result<H256, ChainError> {
        let hash = tx.hash();
        let spec = &self.shared.spec;
        executor::check_static(&tx.tx, spec.chain_id, spec.gas_limit)?;
        let base_fee = self.shared.next_base_fee();
        executor::check_fees(&tx, base_fee)?;
        let done = {
            let mut ps = self.shared.pool.lock();
            let account = self.latest_account(&tx.sender)?;
            executor::check_balance(&tx, account.balance)?;
            let admitted = ps.pool.add(tx, account.nonce, account.balance)?;
            ps.stale.extend(admitted.replaced);
            ps.stale.extend(admitted.stale);
            for h in admitted.evicted {
                ps.stale.push(h);
                if let Some(w) = ps.waiters.remove(&h) {
                    let _ = w.send(Err(InvalidTx::PoolFull.into()));
                }
            }
            ps.fresh.push(hash);
            let (done_tx, done_rx) = oneshot::channel();
            ps.waiters.insert(hash, done_tx);
            done_rx
        };
        self.commands
            .send(Command::Wake)
            .map_err(|_| ChainError::Shutdown)?;
        match done.await {
            Ok(Ok(())) => {
                let _ = self.shared.events.send(ChainEvent::Pending { hash });
                Ok(hash)
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ChainError::Shutdown),
        }
    }

    /// The environment a call at `tag` runs in: the block after it, as a
    /// transaction sent now would see.
    pub fn call_env(&self, snap: &Snapshot, tag: BlockTag) -> Result<Option<BlockEnv>, ChainError> {
        let Some(n) = self.resolve(snap, tag)? else {
            return Ok(None);
        };
        let header = snap.header(n)?.ok_or(ChainError::BlockNotFound(n))?;
        let now = unix_now().max(header.timestamp.saturating_add(1));
        Ok(Some(next_env(&self.shared.spec, &header, now)))
    }

    /// The state a call at `tag` reads and the block it runs in.
    fn call_setup(&self, tag: BlockTag) -> Result<(SharedReader, BlockEnv), ChainError> {
        let snap = self.snapshot()?;
        match (self.state_at(&snap, tag)?, self.call_env(&snap, tag)?) {
            (Some(state), Some(env)) => Ok((Arc::new(state), env)),
            _ => Err(ChainError::HeaderNotFound),
        }
    }

    /// Runs `req` against the state at `tag` without committing anything.
    pub fn call(&self, req: &CallRequest, tag: BlockTag) -> Result<ExecOutcome, ChainError> {
        let (state, env) = self.call_setup(tag)?;
        let gas = req.gas.unwrap_or(env.gas_limit).min(RPC_GAS_CAP);
        self.on_vm_thread(|| simulate(&self.shared.sim_vm, &state, &env, req, gas))
    }

    /// The least gas with which `req` succeeds, by binary search (geth's
    /// method); an error if it fails even with the maximum.
    pub fn estimate_gas(&self, req: &CallRequest, tag: BlockTag) -> Result<u64, ChainError> {
        let (state, env) = self.call_setup(tag)?;
        let run = |gas: u64| simulate(&self.shared.sim_vm, &state, &env, req, gas);
        self.on_vm_thread(|| self.search_gas(req, &env, run))
    }

    /// `eth_createAccessList`: the accounts and slots `req` accesses, as an
    /// access list, with the gas it uses when sent with that list. As geth,
    /// it runs again with the list it found until the list stops changing
    /// (what a contract touches can depend on its gas), and leaves out the
    /// sender and the recipient unless they have slots to list.
    pub fn create_access_list(
        &self,
        req: &CallRequest,
        tag: BlockTag,
    ) -> Result<(orac_vm::AccessList, ExecOutcome), ChainError> {
        let (state, env) = self.call_setup(tag)?;
        let gas = req.gas.unwrap_or(env.gas_limit).min(RPC_GAS_CAP);
        let sink = Arc::new(parking_lot::Mutex::new(orac_vm::AccessList::new()));
        let vm = self.shared.sim_vm.recording_access(sink.clone());
        let from = req.from.unwrap_or_default();
        let mut req = req.clone();
        self.on_vm_thread(|| {
            for round in 1..=4 {
                let outcome = simulate(&vm, &state, &env, &req, gas)?;
                let mut list = std::mem::take(&mut *sink.lock());
                list.retain(|a, slots| !slots.is_empty() || (*a != from && Some(*a) != req.to));
                let as_request: Vec<_> = list
                    .iter()
                    .map(|(a, slots)| (*a, slots.iter().copied().collect()))
                    .collect();
                // At most four runs, the last one's list taken as it is.
                if as_request == req.access_list || round == 4 {
                    return Ok((list, outcome));
                }
                req.access_list = as_request;
            }
            unreachable!("the fourth round returns")
        })
    }

    /// Runs `f` on a thread with the stack contract execution needs, at most
    /// [`MAX_CONCURRENT_CALLS`] at a time (each holds pooled instances).
    fn on_vm_thread<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let _permit = self.call_slots.acquire();
        orac_vm::on_execution_stack(f)
    }

    fn search_gas(
        &self,
        req: &CallRequest,
        env: &BlockEnv,
        run: impl Fn(u64) -> Result<ExecOutcome, ChainError>,
    ) -> Result<u64, ChainError> {
        let mut hi = req.gas.unwrap_or(env.gas_limit).min(env.gas_limit);
        let top = run(hi)?;
        if !top.success {
            return Err(ChainError::EstimateFailed(Box::new(top)));
        }
        let mut lo = executor::intrinsic_gas_of(req).saturating_sub(1);
        // Most calls need exactly what they used: if that succeeds and one
        // less does not, three runs replace the ~25 of a full search
        // (REPRO M1). Otherwise the search goes on below it.
        if top.gas_used > lo && top.gas_used < hi && run(top.gas_used)?.success {
            hi = top.gas_used;
            if hi - 1 > lo && !matches!(run(hi - 1), Ok(o) if o.success) {
                lo = hi - 1;
            }
        }
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            match run(mid) {
                Ok(o) if o.success => hi = mid,
                Ok(_) => lo = mid,
                Err(ChainError::Invalid(InvalidTx::IntrinsicGasTooLow { .. })) => lo = mid,
                Err(e) => return Err(e),
            }
        }
        Ok(hi)
    }

    /// Sends the producer a command and waits for its answer.
    pub(crate) async fn request<T, E: From<ChainError>>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, E>>) -> Command,
    ) -> Result<T, E> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .map_err(|_| ChainError::Shutdown)?;
        rx.await.map_err(|_| ChainError::Shutdown)?
    }

    /// Refuses a dev-chain command (`method` names it) on a chain a
    /// consensus engine drives.
    fn dev_only(&self, method: &'static str) -> Result<(), ChainError> {
        match self.mining {
            MiningMode::External => Err(ChainError::DevOnly { method }),
            MiningMode::Instant | MiningMode::Interval(_) => Ok(()),
        }
    }

    /// Seals `blocks` blocks now (evm_mine / anvil_mine), the first at
    /// `timestamp` if given.
    pub async fn mine(&self, blocks: u64, timestamp: Option<u64>) -> Result<(), ChainError> {
        self.dev_only("evm_mine")?;
        self.request(|reply| Command::Mine {
            blocks,
            timestamp,
            reply,
        })
        .await
    }

    /// Edits an account in place (`anvil_set*`), through the producer so
    /// the edit is durable and ordered with blocks.
    pub async fn patch(&self, address: Address, patch: Patch) -> Result<(), ChainError> {
        self.dev_only(match patch {
            Patch::Balance(_) => "anvil_setBalance",
            Patch::Nonce(_) => "anvil_setNonce",
            Patch::Code(_) => "anvil_setCode",
            Patch::Storage(..) => "anvil_setStorageAt",
        })?;
        self.request(|reply| Command::Patch {
            address,
            patch,
            reply,
        })
        .await
    }

    /// Shifts every later block timestamp by `seconds`; returns the new
    /// total offset.
    pub async fn increase_time(&self, seconds: i64) -> Result<i64, ChainError> {
        self.dev_only("evm_increaseTime")?;
        self.request(|reply| Command::IncreaseTime { seconds, reply })
            .await
    }

    /// Makes the next block's timestamp `timestamp`
    /// (`evm_setNextBlockTimestamp`); it may not be before the head's.
    pub async fn set_next_timestamp(&self, timestamp: u64) -> Result<(), ChainError> {
        self.dev_only("evm_setNextBlockTimestamp")?;
        let head = self.head();
        if timestamp < head.timestamp {
            return Err(ChainError::BadTimestamp {
                timestamp,
                head: head.timestamp,
            });
        }
        self.request(|reply| Command::NextTimestamp { timestamp, reply })
            .await
    }

    /// Records the current head (evm_snapshot) and returns its id.
    pub fn take_snapshot(&self) -> Result<u64, ChainError> {
        self.dev_only("evm_snapshot")?;
        let snap = self.snapshot()?;
        let point = SnapshotPoint {
            block: snap.head()?.number,
            patches: snap.patches()?,
            time_offset: snap.time_offset()?,
        };
        let mut s = self.snapshots.lock();
        let id = s.0;
        s.0 += 1;
        s.1.insert(id, point);
        self.pin_history(&s.1);
        Ok(id)
    }

    /// Keeps the history the oldest snapshot needs from being pruned.
    fn pin_history(&self, snapshots: &BTreeMap<u64, SnapshotPoint>) {
        let oldest = snapshots.values().map(|p| (p.block, p.patches)).min();
        self.shared.db.pin_history(oldest);
    }

    /// Rewinds to snapshot `id` (evm_revert). As in hardhat and anvil, the
    /// snapshot and every later one are used up. `false` if unknown.
    pub async fn revert_to_snapshot(&self, id: u64) -> Result<bool, ChainError> {
        self.dev_only("evm_revert")?;
        let point = {
            let mut s = self.snapshots.lock();
            let Some(point) = s.1.get(&id).copied() else {
                return Ok(false);
            };
            s.1.retain(|k, _| *k < id);
            point
        };
        let rewound = self
            .request(|reply| Command::Rewind {
                block: point.block,
                patches: point.patches,
                time_offset: point.time_offset,
                reply,
            })
            .await;
        // Only now: the rewind needed what the pin kept.
        self.pin_history(&self.snapshots.lock().1);
        rewound?;
        Ok(true)
    }

    /// Stops the producer after it finishes what it is doing.
    pub fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(h) = self.producer.lock().take() {
            let _ = h.join();
        }
    }

    /// The head as the database records it, read from a fresh snapshot.
    pub fn head_pointer(&self) -> Result<HeadPointer, ChainError> {
        Ok(self.snapshot()?.head()?)
    }
}

/// Runs `req` on a fresh overlay of `state`, committing nothing.
fn simulate(
    vm: &Vm,
    state: &SharedReader,
    env: &BlockEnv,
    req: &CallRequest,
    gas: u64,
) -> Result<ExecOutcome, ChainError> {
    let mut overlay = Overlay::new(state.clone());
    Ok(executor::simulate_call(&mut overlay, vm, env, req, gas)?)
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Re-admits the journaled pool after a restart, re-validating each entry.
/// `suspect`: the transaction the last run died executing, and how many
/// runs have (`blackbox.rs`); one that has killed the node too often is
/// dropped rather than replayed into a crash loop.
fn reload_pool(shared: &Shared, suspect: Option<(H256, u32)>) -> Result<(), ChainError> {
    let snap = shared.db.snapshot()?;
    let state = snap.latest_state()?;
    let mut txs = Vec::new();
    for tx in snap.pool_transactions()? {
        match RecoveredTx::recover(tx) {
            Ok(t) => txs.push(t),
            Err(e) => tracing::warn!("dropping journaled transaction: {e}"),
        }
    }
    // Oldest nonces first so each sender's run rebuilds in order.
    txs.sort_by_key(|t| (t.sender, t.tx.tx.nonce));
    let mut ps = shared.pool.lock();
    let mut kept = 0;
    for tx in txs {
        let hash = tx.hash();
        if let Some((h, strikes)) = suspect
            && h == hash
        {
            if strikes >= crate::blackbox::MAX_STRIKES {
                tracing::error!(
                    "dropping transaction {hash:?} from the pool: the node died while executing it \
                     {strikes} times (raw: 0x{})",
                    hex::encode(tx.tx.encoded())
                );
                ps.stale.push(hash);
                continue;
            }
            tracing::warn!(
                "the node died while executing transaction {hash:?}; it is kept, and dropped if \
                 that happens again"
            );
        }
        let account = state.account(&tx.sender)?.unwrap_or_default();
        match ps.pool.add(tx, account.nonce, account.balance) {
            Ok(admitted) => {
                kept += 1;
                ps.stale.extend(admitted.evicted);
                ps.stale.extend(admitted.stale);
            }
            Err(e) => {
                tracing::info!("journaled transaction {hash:?} no longer valid: {e}");
                ps.stale.push(hash);
            }
        }
    }
    if kept > 0 {
        tracing::info!("reloaded {kept} pending transactions from the pool journal");
    }
    Ok(())
}
