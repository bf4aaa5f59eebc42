//! Opening, initialising and checking the database, and consistent reads.

use std::collections::BTreeSet;
use std::path::Path;

use orac_primitives::trie::{EmptyStore, Trie};
use orac_primitives::{Address, EMPTY_ROOT, H256, Header, Log, SignedTransaction, U256, keccak256};
use parking_lot::Mutex;
use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableHandle,
};

use crate::codec::{BlockBody, StoredReceipt, TxLocation, decode_receipts};
use crate::reader::{HistoricalState, LatestState, decode_flat_account};
use crate::tables::*;
use crate::{BlockWriter, StateError, StateReader};

/// Accounts the start-up check reads through the trie as well as the flat
/// table.
const TRIE_SAMPLE: usize = 1_000;

/// What a full node's kept window of trie-journal rows says about node
/// lifetimes, from [`Snapshot::journal_churn`]: how many of the nodes the
/// window's commits wrote were already replaced within it. Those are the
/// writes a cache of dirty nodes spanning the window would keep off disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JournalChurn {
    /// Journal rows (commits) in the window.
    pub rows: u64,
    /// Nodes the window's commits added.
    pub added: u64,
    /// Nodes the window's commits replaced.
    pub replaced: u64,
    /// Of `replaced`, those added by an earlier commit of the window.
    pub replaced_from_window: u64,
}

/// One table's footprint, from [`Snapshot::table_sizes`].
#[derive(Clone, Debug)]
pub struct TableSize {
    /// The table's name.
    pub name: String,
    /// Rows.
    pub entries: u64,
    /// Bytes of keys and values.
    pub stored_bytes: u64,
    /// Bytes of B-tree structure (branch pages, headers).
    pub metadata_bytes: u64,
    /// Unused bytes inside the table's pages.
    pub fragmented_bytes: u64,
}

/// How to open the database.
#[derive(Clone, Debug)]
pub struct DbConfig {
    /// redb page cache in bytes.
    pub cache_size: usize,
    /// Verify every page checksum when opening (slower start, catches disk
    /// damage before anything is served).
    pub check_integrity_on_open: bool,
    /// Rebuild the state root from the flat tables at start-up when the state
    /// holds at most this many accounts; larger states only get the cheap checks.
    pub full_state_check_limit: u64,
    /// Which past states to keep. Fixed for archive nodes when the database
    /// is created; a full node may change its window between runs.
    pub history: StateHistory,
}

impl Default for DbConfig {
    fn default() -> Self {
        Self {
            cache_size: 256 << 20,
            check_integrity_on_open: true,
            full_state_check_limit: 1_000_000,
            history: StateHistory::default(),
        }
    }
}

/// Which past states the database keeps readable (`eth_call`,
/// `eth_getProof`, `eth_getBalance` at a block, `evm_revert`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateHistory {
    /// Every state since genesis: an archive node. Disk grows with every
    /// block's changes.
    Archive,
    /// The states of the last `n` blocks, head included (`n` at least 1;
    /// a dev snapshot holds pruning back until it is reverted). Older
    /// trie nodes are deleted in the commit that moves them out of the
    /// window: disk grows with the state, not its history.
    Recent(u64),
}

impl StateHistory {
    /// geth's default for a full node (`--history.state` aside): the last
    /// 128 states.
    pub const DEFAULT_RECENT: u64 = 128;

    fn mode_name(self) -> &'static [u8] {
        match self {
            StateHistory::Archive => b"archive",
            StateHistory::Recent(_) => b"full",
        }
    }
}

impl Default for StateHistory {
    fn default() -> Self {
        StateHistory::Recent(Self::DEFAULT_RECENT)
    }
}

/// Number and hash of the head block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadPointer {
    /// The head block's number.
    pub number: u64,
    /// The head block's hash.
    pub hash: H256,
}

impl HeadPointer {
    pub(crate) fn encode(&self) -> [u8; 40] {
        let mut out = [0u8; 40];
        out[..8].copy_from_slice(&self.number.to_be_bytes());
        out[8..].copy_from_slice(self.hash.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        if bytes.len() != 40 {
            return Err(StateError::corrupt("meta", "head pointer must be 40 bytes"));
        }
        let mut n = [0u8; 8];
        n.copy_from_slice(&bytes[..8]);
        Ok(Self {
            number: u64::from_be_bytes(n),
            hash: H256::from_slice(&bytes[8..]),
        })
    }
}

pub(crate) fn read_head<T: ReadableTable<&'static str, &'static [u8]>>(
    meta: &T,
) -> Result<HeadPointer, StateError> {
    match meta.get(META_HEAD)? {
        Some(v) => HeadPointer::decode(v.value()),
        None => Err(StateError::Inconsistent("no head block recorded".into())),
    }
}

/// The schema version a database records, if it has one yet.
fn stored_schema(db: &Database) -> Result<Option<u64>, StateError> {
    let txn = db.begin_read()?;
    let meta = match txn.open_table(META) {
        Ok(meta) => meta,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(Some(read_meta_u64(&meta, META_SCHEMA)?).filter(|&v| v != 0))
}

fn schema_mismatch(schema: u64) -> StateError {
    StateError::Inconsistent(format!(
        "database schema version {schema}, this orac reads version {SCHEMA_VERSION}: \
         use the orac that wrote it, or start this one on a new --datadir"
    ))
}

pub(crate) fn read_meta_u64<T: ReadableTable<&'static str, &'static [u8]>>(
    meta: &T,
    key: &str,
) -> Result<u64, StateError> {
    match meta.get(key)? {
        Some(v) => {
            let b: [u8; 8] = v
                .value()
                .try_into()
                .map_err(|_| StateError::corrupt("meta", format!("{key} must be 8 bytes")))?;
            Ok(u64::from_be_bytes(b))
        }
        None => Ok(0),
    }
}

/// A log with the position facts `eth_getLogs` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLog {
    /// The log itself.
    pub log: Log,
    /// Number of the block that emitted it.
    pub block_number: u64,
    /// Hash of that block.
    pub block_hash: H256,
    /// Timestamp of that block.
    pub block_timestamp: u64,
    /// Hash of the transaction that emitted it.
    pub tx_hash: H256,
    /// Index of that transaction in its block.
    pub tx_index: u32,
    /// Position among all logs of the block.
    pub log_index: u32,
}

/// A log filter over an inclusive block range. `topics[i] == None` matches
/// anything at position i; `Some(list)` matches any of the list.
#[derive(Clone, Debug, Default)]
pub struct LogQuery {
    /// First block of the range.
    pub from: u64,
    /// Last block of the range (inclusive).
    pub to: u64,
    /// Emitting contracts to match; empty matches any.
    pub addresses: Vec<Address>,
    /// Topic filters by position (see the type's docs).
    pub topics: Vec<Option<Vec<H256>>>,
}

impl LogQuery {
    /// Whether `log` passes the address and topic filters (the block
    /// range is checked by the caller).
    pub fn matches(&self, log: &Log) -> bool {
        if !self.addresses.is_empty() && !self.addresses.contains(&log.address) {
            return false;
        }
        for (i, want) in self.topics.iter().enumerate() {
            if let Some(options) = want {
                match log.topics.get(i) {
                    Some(t) if options.contains(t) => {}
                    _ => return false,
                }
            }
        }
        true
    }
}

/// The chain database. Cheap to share: all methods take `&self`; redb
/// serialises writers and gives readers consistent snapshots.
pub struct Db {
    inner: Database,
    history: StateHistory,
    /// The oldest dev snapshot point (block, sequence) still to be
    /// reverted to: pruning stops short of it.
    pin: Mutex<Option<(u64, u32)>>,
}

impl Db {
    /// Opens (or creates) the database file. redb repairs an interrupted
    /// commit by falling back to the last complete one.
    pub fn open(path: &Path, config: &DbConfig) -> Result<Self, StateError> {
        let mut builder = Database::builder();
        builder.set_cache_size(config.cache_size);
        builder.set_check_integrity_on_open(config.check_integrity_on_open);
        let inner = builder.create(path)?;
        // Another schema's tables may have other key or value types, which
        // redb refuses to open with a message about types: name the
        // version before touching them.
        if let Some(schema) = stored_schema(&inner)?
            && schema != SCHEMA_VERSION
        {
            return Err(schema_mismatch(schema));
        }
        let db = Self {
            inner,
            history: config.history,
            pin: Mutex::new(None),
        };
        // Create every table so readers never meet a missing one.
        let txn = db.inner.begin_write()?;
        {
            // Grouped by key and value types (one array, one type).
            for table in [TX_LOOKUP, ACCOUNTS, STORAGE, CODE, TRIE_NODES, POOL] {
                txn.open_table(table)?;
            }
            for table in [HEADERS, COMMIT_CERTIFICATES] {
                txn.open_table(table)?;
            }
            for table in [BODIES, RECEIPTS, STATE_DIFFS, TRIE_JOURNAL] {
                txn.open_table(table)?;
            }
            txn.open_table(META)?;
            txn.open_table(BLOCK_HASH)?;
            txn.open_table(LOG_INDEX)?;
        }
        txn.commit()?;
        Ok(db)
    }

    /// Whether a genesis block has been written.
    pub fn is_initialized(&self) -> Result<bool, StateError> {
        let txn = self.inner.begin_read()?;
        Ok(txn.open_table(META)?.get(META_HEAD)?.is_some())
    }

    /// Starts the one write transaction: a block, a patch, or genesis.
    pub fn writer(&self) -> Result<BlockWriter, StateError> {
        Ok(BlockWriter::new(
            self.inner.begin_write()?,
            self.history,
            *self.pin.lock(),
        ))
    }

    /// Keeps what rewinding to `point` (block, sequence) needs until the
    /// pin is moved or cleared: dev snapshots call this with the oldest
    /// point they may revert to.
    pub fn pin_history(&self, point: Option<(u64, u32)>) {
        *self.pin.lock() = point;
    }

    /// Which past states this database keeps.
    pub fn history(&self) -> StateHistory {
        self.history
    }

    /// A consistent read view, unaffected by later writes.
    pub fn snapshot(&self) -> Result<Snapshot, StateError> {
        Ok(Snapshot {
            txn: self.inner.begin_read()?,
        })
    }

    /// Writes the genesis block: `changes` for the allocations, then the
    /// header built by `make_header` from the resulting state root.
    pub fn init_genesis(
        &self,
        chain_id: u64,
        changes: &crate::StateChanges,
        make_header: impl FnOnce(H256) -> Header,
    ) -> Result<Header, StateError> {
        let mut w = self.writer()?;
        let root = w.apply_state(changes, (0, 0))?;
        let header = make_header(root);
        let hash = w.put_block(&header, &BlockBody::default(), &[])?;
        {
            let mut meta = w.txn().open_table(META)?;
            meta.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes()[..])?;
            meta.insert(META_CHAIN_ID, &chain_id.to_be_bytes()[..])?;
            meta.insert(META_GENESIS, hash.as_bytes())?;
            meta.insert(META_HISTORY_MODE, self.history.mode_name())?;
        }
        w.commit()?;
        Ok(header)
    }

    /// Start-up consistency check. Refuses, with the reason, a database that
    /// is from another chain or schema, or whose head, block links or state
    /// do not agree.
    pub fn check(&self, genesis_hash: H256, config: &DbConfig) -> Result<HeadPointer, StateError> {
        let snap = self.snapshot()?;
        let meta = snap.txn.open_table(META)?;
        let schema = read_meta_u64(&meta, META_SCHEMA)?;
        if schema != SCHEMA_VERSION {
            return Err(schema_mismatch(schema));
        }
        let stored_genesis = meta
            .get(META_GENESIS)?
            .map(|v| H256::from_slice(v.value()))
            .ok_or_else(|| StateError::Inconsistent("no genesis hash recorded".into()))?;
        if stored_genesis != genesis_hash {
            return Err(StateError::Inconsistent(format!(
                "database holds a different chain (genesis {stored_genesis:?}, chain spec gives {genesis_hash:?})"
            )));
        }
        let mode = meta.get(META_HISTORY_MODE)?.map(|v| v.value().to_vec());
        if mode.as_deref() != Some(config.history.mode_name()) {
            let stored =
                String::from_utf8_lossy(mode.as_deref().unwrap_or(b"unknown")).into_owned();
            return Err(StateError::Inconsistent(match config.history {
                StateHistory::Archive => format!(
                    "this database is a {stored} node's: it has pruned old states, which --archive cannot bring back (use a new data directory for an archive node)"
                ),
                StateHistory::Recent(_) => format!(
                    "this database is an {stored} node's: start it with --archive (a full node cannot take over an archive's unpruned history)"
                ),
            }));
        }
        let head = read_head(&meta)?;
        let header = snap.header(head.number)?.ok_or_else(|| {
            StateError::Inconsistent(format!("head block {} is missing", head.number))
        })?;
        if header.hash() != head.hash {
            return Err(StateError::Inconsistent(format!(
                "head block {} hashes to {:?}, head pointer says {:?}",
                head.number,
                header.hash(),
                head.hash
            )));
        }
        // The recent chain must link up and have its bodies and receipts.
        let mut child = header.clone();
        for n in (head.number.saturating_sub(64)..head.number).rev() {
            let parent = snap
                .header(n)?
                .ok_or_else(|| StateError::Inconsistent(format!("block {n} is missing")))?;
            if child.parent_hash != parent.hash() {
                return Err(StateError::Inconsistent(format!(
                    "block {} does not link to block {n}",
                    child.number
                )));
            }
            child = parent;
        }
        for n in head.number.saturating_sub(64)..=head.number {
            let body = snap.body(n)?;
            let receipts = snap.receipts(n)?;
            if body.is_none() || receipts.is_none() {
                return Err(StateError::Inconsistent(format!(
                    "block {n} lost its body or receipts"
                )));
            }
        }
        let state_root = snap.state_root()?;
        let patches = read_meta_u64(&meta, META_PATCHES)?;
        if patches == 0 && state_root != header.state_root {
            return Err(StateError::Inconsistent(format!(
                "state root {state_root:?} differs from head block's {:?}",
                header.state_root
            )));
        }
        let accounts = snap.txn.open_table(ACCOUNTS)?;
        if accounts.len()? <= config.full_state_check_limit {
            let rebuilt = snap.rebuild_state_root()?;
            if rebuilt != state_root {
                return Err(StateError::Inconsistent(format!(
                    "account tables give state root {rebuilt:?}, recorded root is {state_root:?}"
                )));
            }
        }
        // The trie must hold the current state: the first accounts of the
        // flat table, read through it, give the same records (pruning that
        // deleted a live node would fail here, not on a later read).
        let trie = snap.state_at(state_root)?;
        trie.account(&Address::zero())?;
        for item in accounts.iter()?.take(TRIE_SAMPLE) {
            let (k, v) = item?;
            let address = Address::from_slice(k.value());
            if trie.account(&address)? != Some(decode_flat_account(v.value())?) {
                return Err(StateError::Inconsistent(format!(
                    "account {address:?} differs between the account table and the state trie"
                )));
            }
        }
        Ok(head)
    }
}

/// One consistent read view of the database.
pub struct Snapshot {
    pub(crate) txn: ReadTransaction,
}

impl Snapshot {
    /// Number and hash of the head block.
    pub fn head(&self) -> Result<HeadPointer, StateError> {
        read_head(&self.txn.open_table(META)?)
    }

    /// The chain id recorded at genesis.
    pub fn chain_id(&self) -> Result<u64, StateError> {
        read_meta_u64(&self.txn.open_table(META)?, META_CHAIN_ID)
    }

    /// Seconds the dev clock is shifted by (dev mode's time travel).
    pub fn time_offset(&self) -> Result<i64, StateError> {
        Ok(read_meta_u64(&self.txn.open_table(META)?, META_TIME_OFFSET)? as i64)
    }

    /// Patches applied on top of the head block (dev mode).
    pub fn patches(&self) -> Result<u32, StateError> {
        Ok(read_meta_u64(&self.txn.open_table(META)?, META_PATCHES)? as u32)
    }

    /// Root of the current state (the head's, plus any dev patches).
    pub fn state_root(&self) -> Result<H256, StateError> {
        let meta = self.txn.open_table(META)?;
        Ok(match meta.get(META_STATE_ROOT)? {
            Some(v) => H256::from_slice(v.value()),
            None => EMPTY_ROOT,
        })
    }

    /// The state after the head block, read from the flat tables.
    pub fn latest_state(&self) -> Result<LatestState, StateError> {
        LatestState::open(&self.txn)
    }

    /// The state root the current state would have after `changes`,
    /// computed without writing anything (the pending block's root).
    pub fn root_after(&self, changes: &crate::StateChanges) -> Result<H256, StateError> {
        let nodes = self.txn.open_table(TRIE_NODES)?;
        let accounts = self.txn.open_table(ACCOUNTS)?;
        let update = crate::roots::trie_update(
            &crate::reader::TableNodes(&nodes),
            self.state_root()?,
            |a| match accounts.get(a.as_bytes())? {
                Some(v) => Ok(Some(crate::reader::decode_flat_account(v.value())?)),
                None => Ok(None),
            },
            changes,
        )?;
        Ok(update.root)
    }

    /// The state whose trie root is `root` (any past block's).
    pub fn state_at(&self, root: H256) -> Result<HistoricalState, StateError> {
        HistoricalState::open(&self.txn, root)
    }

    /// The header of block `number`, if stored.
    pub fn header(&self, number: u64) -> Result<Option<Header>, StateError> {
        match self.txn.open_table(HEADERS)?.get(number)? {
            Some(v) => Ok(Some(
                rlp::decode(v.value()).map_err(|e| StateError::corrupt("headers", e))?,
            )),
            None => Ok(None),
        }
    }

    /// The number of the block with this hash, if stored.
    pub fn block_number(&self, hash: &H256) -> Result<Option<u64>, StateError> {
        Ok(self
            .txn
            .open_table(BLOCK_HASH)?
            .get(hash.as_bytes())?
            .map(|v| v.value()))
    }

    /// The transactions of block `number`, if stored.
    pub fn body(&self, number: u64) -> Result<Option<BlockBody>, StateError> {
        match crate::chunks::get(&self.txn.open_table(BODIES)?, number)? {
            Some(v) => Ok(Some(BlockBody::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// The receipts of block `number`, if stored.
    pub fn receipts(&self, number: u64) -> Result<Option<Vec<StoredReceipt>>, StateError> {
        match crate::chunks::get(&self.txn.open_table(RECEIPTS)?, number)? {
            Some(v) => Ok(Some(decode_receipts(&v)?)),
            None => Ok(None),
        }
    }

    /// The consensus engine's commit certificate for block `number`, if one
    /// was written with it (never on dev chains).
    pub fn certificate(&self, number: u64) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self
            .txn
            .open_table(COMMIT_CERTIFICATES)?
            .get(number)?
            .map(|v| v.value().to_vec()))
    }

    /// Where the transaction with this hash landed, if it did.
    pub fn tx_location(&self, hash: &H256) -> Result<Option<TxLocation>, StateError> {
        match self.txn.open_table(TX_LOOKUP)?.get(hash.as_bytes())? {
            Some(v) => Ok(Some(TxLocation::decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// Transactions journaled as accepted but not yet mined.
    pub fn pool_transactions(&self) -> Result<Vec<SignedTransaction>, StateError> {
        let table = self.txn.open_table(POOL)?;
        let mut out = Vec::new();
        for item in table.iter()? {
            let (_, v) = item?;
            match SignedTransaction::decode(v.value()) {
                Ok(tx) => out.push(tx),
                Err(e) => tracing::warn!("dropping undecodable pool journal entry: {e}"),
            }
        }
        Ok(out)
    }

    /// Logs matching `query`, at most `limit` of them (error beyond).
    pub fn logs(&self, query: &LogQuery, limit: usize) -> Result<Vec<StoredLog>, StateError> {
        let mut out = Vec::new();
        for n in self.candidate_blocks(query)? {
            let (Some(header), Some(body), Some(receipts)) =
                (self.header(n)?, self.body(n)?, self.receipts(n)?)
            else {
                continue;
            };
            let block_hash = header.hash();
            let mut log_index = 0u32;
            for (i, r) in receipts.iter().enumerate() {
                for log in &r.receipt.logs {
                    if query.matches(log) {
                        if out.len() == limit {
                            return Err(StateError::TooManyResults { limit });
                        }
                        out.push(StoredLog {
                            log: log.clone(),
                            block_number: n,
                            block_hash,
                            block_timestamp: header.timestamp,
                            tx_hash: body
                                .transactions
                                .get(i)
                                .map(|t| t.hash())
                                .unwrap_or_default(),
                            tx_index: i as u32,
                            log_index,
                        });
                    }
                    log_index += 1;
                }
            }
        }
        Ok(out)
    }

    /// Blocks that may hold matching logs: from the index when the query
    /// names addresses or topics, else every block in range that has logs.
    fn candidate_blocks(&self, q: &LogQuery) -> Result<BTreeSet<u64>, StateError> {
        let index = self.txn.open_table(LOG_INDEX)?;
        let scan = |tag: u8, value: &[u8], set: &mut BTreeSet<u64>| -> Result<(), StateError> {
            let lo = log_index_key(tag, value, q.from);
            let hi = log_index_key(tag, value, q.to);
            for item in index.range(&lo[..]..=&hi[..])? {
                let (k, _) = item?;
                let mut b = [0u8; 8];
                b.copy_from_slice(&k.value()[33..41]);
                set.insert(u64::from_be_bytes(b));
            }
            Ok(())
        };
        let mut constrained: Option<BTreeSet<u64>> = None;
        if !q.addresses.is_empty() {
            let mut set = BTreeSet::new();
            for a in &q.addresses {
                scan(LOG_TAG_ADDRESS, a.as_bytes(), &mut set)?;
            }
            constrained = Some(set);
        }
        for (pos, want) in q.topics.iter().enumerate().take(4) {
            if let Some(options) = want {
                let mut set = BTreeSet::new();
                for t in options {
                    scan(pos as u8, t.as_bytes(), &mut set)?;
                }
                constrained = Some(match constrained {
                    Some(c) => c.intersection(&set).copied().collect(),
                    None => set,
                });
            }
        }
        if let Some(c) = constrained {
            return Ok(c);
        }
        // No constraint: walk headers, skipping blocks whose bloom is empty.
        let headers = self.txn.open_table(HEADERS)?;
        let mut set = BTreeSet::new();
        for item in headers.range(q.from..=q.to)? {
            let (k, v) = item?;
            let header: Header =
                rlp::decode(v.value()).map_err(|e| StateError::corrupt("headers", e))?;
            if header.logs_bloom != orac_primitives::Bloom::default() {
                set.insert(k.value());
            }
        }
        Ok(set)
    }

    /// Node lifetimes in the kept window (`orac db inspect`); all zero on
    /// an archive node, which keeps no journal.
    pub fn journal_churn(&self) -> Result<JournalChurn, StateError> {
        let mut churn = JournalChurn::default();
        let mut added = std::collections::HashSet::new();
        // Keys are (block, sequence): oldest commit first.
        for item in self.txn.open_table(TRIE_JOURNAL)?.iter()? {
            let row = crate::nodes::JournalRow::decode(item?.1.value())?;
            churn.rows += 1;
            churn.replaced += row.replaced.len() as u64;
            churn.replaced_from_window +=
                row.replaced.iter().filter(|h| added.contains(*h)).count() as u64;
            churn.added += row.added.len() as u64;
            added.extend(row.added);
        }
        Ok(churn)
    }

    /// What each table holds on disk (`orac db inspect`): entries, the
    /// bytes of keys and values, of the B-tree's own pages, and free space
    /// inside its pages.
    pub fn table_sizes(&self) -> Result<Vec<TableSize>, StateError> {
        fn size(name: String, t: &impl ReadableTableMetadata) -> Result<TableSize, StateError> {
            let s = t.stats()?;
            Ok(TableSize {
                name,
                entries: t.len()?,
                stored_bytes: s.stored_bytes(),
                metadata_bytes: s.metadata_bytes(),
                fragmented_bytes: s.fragmented_bytes(),
            })
        }
        let t = &self.txn;
        let mut out = Vec::new();
        for def in [TX_LOOKUP, ACCOUNTS, STORAGE, CODE, TRIE_NODES, POOL] {
            let name = def.name().to_string();
            out.push(size(name, &t.open_table(def)?)?);
        }
        for def in [HEADERS, COMMIT_CERTIFICATES] {
            let name = def.name().to_string();
            out.push(size(name, &t.open_table(def)?)?);
        }
        for def in [BODIES, RECEIPTS, STATE_DIFFS, TRIE_JOURNAL] {
            let name = def.name().to_string();
            out.push(size(name, &t.open_table(def)?)?);
        }
        out.push(size("meta".into(), &t.open_table(META)?)?);
        out.push(size("block_hash".into(), &t.open_table(BLOCK_HASH)?)?);
        out.push(size("log_index".into(), &t.open_table(LOG_INDEX)?)?);
        Ok(out)
    }

    /// Recomputes the state root from the flat account and storage tables.
    fn rebuild_state_root(&self) -> Result<H256, StateError> {
        let accounts = self.txn.open_table(ACCOUNTS)?;
        let storage = self.txn.open_table(STORAGE)?;
        let store = EmptyStore;
        let mut account_trie = Trie::new(&store, EMPTY_ROOT);
        let mut slots = storage.iter()?.peekable();
        for item in accounts.iter()? {
            let (k, v) = item?;
            let address = k.value().to_vec();
            let account = decode_flat_account(v.value())?;
            let mut storage_trie = Trie::new(&store, EMPTY_ROOT);
            while let Some(Ok((sk, _))) = slots.peek() {
                if sk.value()[..20] < address[..] {
                    return Err(StateError::Inconsistent(format!(
                        "storage of 0x{} has no account",
                        hex_str(&sk.value()[..20])
                    )));
                }
                if sk.value()[..20] != address[..] {
                    break;
                }
                let Some(Ok((sk, sv))) = slots.next() else {
                    break;
                };
                let value = U256::from_big_endian(sv.value());
                storage_trie.insert(
                    keccak256(&sk.value()[20..]).as_bytes(),
                    rlp::encode(&value).to_vec(),
                )?;
            }
            let root = storage_trie.commit().0;
            if root != account.storage_root {
                return Err(StateError::Inconsistent(format!(
                    "storage of 0x{} gives root {root:?}, its account says {:?}",
                    hex_str(&address),
                    account.storage_root
                )));
            }
            account_trie.insert(
                keccak256(&address).as_bytes(),
                rlp::encode(&account).to_vec(),
            )?;
        }
        Ok(account_trie.commit().0)
    }
}

fn hex_str(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use orac_primitives::Account;

    fn genesis_header(root: H256) -> Header {
        Header {
            base_fee_per_gas: U256::one(),
            ..Header::test_header(0, H256::zero(), root)
        }
    }

    fn setup() -> (tempfile::TempDir, Db, H256) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("c.redb"), &DbConfig::default()).unwrap();
        let mut changes = crate::StateChanges::default();
        changes.accounts.insert(
            Address::repeat_byte(3),
            Some(Account {
                balance: U256::from(5),
                ..Default::default()
            }),
        );
        let genesis = db.init_genesis(1, &changes, genesis_header).unwrap();
        db.check(genesis.hash(), &DbConfig::default()).unwrap();
        (dir, db, genesis.hash())
    }

    #[test]
    fn balance_edited_behind_the_trie_is_caught() {
        let (_dir, db, genesis) = setup();
        let txn = db.inner.begin_write().unwrap();
        {
            let mut t = txn.open_table(ACCOUNTS).unwrap();
            let forged = Account {
                balance: U256::from(6),
                ..Default::default()
            };
            t.insert(
                Address::repeat_byte(3).as_bytes(),
                &rlp::encode(&forged)[..],
            )
            .unwrap();
        }
        txn.commit().unwrap();
        let err = db.check(genesis, &DbConfig::default()).unwrap_err();
        assert!(
            err.to_string().contains("account tables give state root"),
            "{err}"
        );
    }

    /// The genesis account is plain, so its leaf is stored short; its
    /// proof must still be the standard nodes that hash up to the root.
    #[test]
    fn proofs_of_short_stored_leaves_hash_to_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("c.redb"), &DbConfig::default()).unwrap();
        let mut changes = crate::StateChanges::default();
        for i in 1..=40u8 {
            let account = Account {
                balance: U256::from(i),
                ..Default::default()
            };
            changes
                .accounts
                .insert(Address::repeat_byte(i), Some(account));
        }
        db.init_genesis(1, &changes, genesis_header).unwrap();
        let snap = db.snapshot().unwrap();
        let root = snap.state_root().unwrap();
        let (proof, _) = snap
            .state_at(root)
            .unwrap()
            .proof(&Address::repeat_byte(5), &[])
            .unwrap();
        assert!(proof.len() >= 2, "a branch above the leaf");
        assert_eq!(keccak256(&proof[0]), root);
        for pair in proof.windows(2) {
            let h = keccak256(&pair[1]);
            assert!(pair[0].windows(32).any(|w| w == h.as_bytes()));
        }
        let leaf = proof.last().unwrap();
        let account = Account {
            balance: U256::from(5u8),
            ..Default::default()
        };
        assert!(leaf.ends_with(&rlp::encode(&account)), "{leaf:02x?}");
        let nodes = snap.txn.open_table(TRIE_NODES).unwrap();
        let stored = nodes.get(keccak256(leaf).as_bytes()).unwrap().unwrap();
        assert_eq!(stored.value()[0], 0, "the leaf is stored short");
    }

    /// A schema-2 directory had `bodies` keyed by block number alone; redb
    /// would refuse the table with a message about key types. The version
    /// is named first.
    #[test]
    fn another_schema_is_named_before_its_tables_are_opened() {
        let (dir, db, _) = setup();
        let path = dir.path().join("c.redb");
        drop(db);
        let raw = Database::create(&path).unwrap();
        let txn = raw.begin_write().unwrap();
        txn.delete_table(BODIES).unwrap();
        txn.open_table(redb::TableDefinition::<u64, &[u8]>::new("bodies"))
            .unwrap();
        txn.open_table(META)
            .unwrap()
            .insert(META_SCHEMA, &2u64.to_be_bytes()[..])
            .unwrap();
        txn.commit().unwrap();
        drop(raw);
        let err = Db::open(&path, &DbConfig::default())
            .err()
            .expect("a schema-2 directory opened");
        assert!(
            err.to_string()
                .contains("schema version 2, this orac reads version 3"),
            "{err}"
        );
    }

    #[test]
    fn missing_head_block_is_caught() {
        let (_dir, db, genesis) = setup();
        let txn = db.inner.begin_write().unwrap();
        txn.open_table(HEADERS).unwrap().remove(0).unwrap();
        txn.commit().unwrap();
        let err = db.check(genesis, &DbConfig::default()).unwrap_err();
        assert!(err.to_string().contains("head block 0 is missing"), "{err}");
    }

    #[test]
    fn certificate_lands_with_its_block_and_survives_reopening() {
        let (dir, db, genesis) = setup();
        let child = Header {
            base_fee_per_gas: U256::one(),
            ..Header::test_header(1, genesis, db.snapshot().unwrap().state_root().unwrap())
        };
        // A writer dropped without commit writes neither.
        {
            let mut w = db.writer().unwrap();
            w.put_block(&child, &BlockBody::default(), &[]).unwrap();
            w.put_certificate(1, b"cert-1").unwrap();
        }
        assert_eq!(db.snapshot().unwrap().certificate(1).unwrap(), None);
        let mut w = db.writer().unwrap();
        w.put_block(&child, &BlockBody::default(), &[]).unwrap();
        w.put_certificate(1, b"cert-1").unwrap();
        w.commit().unwrap();
        drop(db);
        let db = Db::open(&dir.path().join("c.redb"), &DbConfig::default()).unwrap();
        let snap = db.snapshot().unwrap();
        assert_eq!(
            snap.certificate(1).unwrap().as_deref(),
            Some(&b"cert-1"[..])
        );
        assert_eq!(snap.certificate(0).unwrap(), None);
        // A rewind past the block takes its certificate with it.
        drop(snap);
        let mut w = db.writer().unwrap();
        w.rewind_to(0, 0).unwrap();
        w.commit().unwrap();
        assert_eq!(db.snapshot().unwrap().certificate(1).unwrap(), None);
    }
}
