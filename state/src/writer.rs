//! The single write path: one redb transaction per block (or per dev-mode
//! state patch), holding the state changes, the trie nodes, the block, its
//! indexes, the pool journal and the head pointer. Either all of it lands or
//! none of it does.

use std::collections::BTreeMap;

use orac_primitives::{Account, Address, Bytes, EMPTY_ROOT, H256, Header, SignedTransaction, U256};
use redb::{ReadableTable, Table, WriteTransaction};

use crate::codec::{BlockBody, ReverseDiff, StoredReceipt, TxLocation, encode_receipts};
use crate::db::{HeadPointer, StateHistory, read_meta_u64};
use crate::nodes::{self, JournalRow};
use crate::reader::{TableNodes, decode_flat_account, encode_flat_account};
use crate::roots::trie_update;
use crate::tables::*;
use crate::{StateChanges, StateError};

/// Accounts of a chain spec's genesis block.
pub type GenesisAlloc = BTreeMap<Address, (U256, u64, Bytes, BTreeMap<H256, H256>)>;

/// One atomic redb write: a block's changes and records, a dev patch,
/// or genesis, applied by [`BlockWriter::commit`] or dropped.
pub struct BlockWriter {
    txn: WriteTransaction,
    history: StateHistory,
    /// Pruning stops short of this point (a dev snapshot's).
    pin: Option<(u64, u32)>,
}

type BytesTable<'t> = Table<'t, &'static [u8], &'static [u8]>;

impl BlockWriter {
    pub(crate) fn new(
        txn: WriteTransaction,
        history: StateHistory,
        pin: Option<(u64, u32)>,
    ) -> Self {
        Self { txn, history, pin }
    }

    /// The state root of the current (uncommitted) state.
    pub fn state_root(&self) -> Result<H256, StateError> {
        let meta = self.txn.open_table(META)?;
        Ok(match meta.get(META_STATE_ROOT)? {
            Some(v) => H256::from_slice(v.value()),
            None => EMPTY_ROOT,
        })
    }

    /// Applies `changes` to the flat tables and the tries, records what they
    /// overwrote under `diff_key`, and returns the new state root.
    pub fn apply_state(
        &mut self,
        changes: &StateChanges,
        diff_key: (u64, u32),
    ) -> Result<H256, StateError> {
        let old_root = self.state_root()?;
        let mut diff = ReverseDiff {
            state_root: old_root,
            ..Default::default()
        };
        let mut accounts = self.txn.open_table(ACCOUNTS)?;
        let mut storage = self.txn.open_table(STORAGE)?;
        let mut nodes = self.txn.open_table(TRIE_NODES)?;
        let mut code = self.txn.open_table(CODE)?;

        // The tries first, from reads alone: nothing below changes what
        // they read (the nodes they add are new, the accounts table is
        // written last).
        let update = trie_update(
            &TableNodes(&nodes),
            old_root,
            |a| get_account(&accounts, a),
            changes,
        )?;
        nodes::add(&mut nodes, &update.nodes)?;
        if let StateHistory::Recent(_) = self.history {
            let row = JournalRow {
                added: update.nodes.iter().map(|(h, _)| *h).collect(),
                replaced: update.replaced,
            };
            if !row.is_empty() {
                self.txn
                    .open_table(TRIE_JOURNAL)?
                    .insert(diff_key, &row.encode()[..])?;
            }
        }

        for (hash, bytes) in &changes.code {
            code.insert(hash.as_bytes(), &bytes[..])?;
        }

        // A deleted account (EIP-161: left empty) takes its storage with
        // it; rows left behind would be storage without an account, which
        // the start-up check refuses (REPRO H2: a dev patch of storage on
        // an empty address bricked the next start).
        for address in &update.deleted {
            let from = storage_key(address.as_bytes(), &[0u8; 32]);
            let to = storage_key(address.as_bytes(), &[0xffu8; 32]);
            let mut rows = Vec::new();
            for row in storage.range(&from[..]..=&to[..])? {
                let (k, v) = row?;
                rows.push((
                    H256::from_slice(&k.value()[20..]),
                    H256::from_slice(v.value()),
                ));
            }
            for (slot, old) in rows {
                storage.remove(&storage_key(address.as_bytes(), slot.as_bytes())[..])?;
                diff.storage.push((*address, slot, old));
            }
        }
        for (address, slots) in &changes.storage {
            if update.deleted.contains(address) {
                continue;
            }
            for (slot, value) in slots {
                let key = storage_key(address.as_bytes(), slot.as_bytes());
                let old = match storage.get(&key[..])? {
                    Some(v) => H256::from_slice(v.value()),
                    None => H256::zero(),
                };
                diff.storage.push((*address, *slot, old));
                if value.is_zero() {
                    storage.remove(&key[..])?;
                } else {
                    storage.insert(&key[..], value.as_bytes())?;
                }
            }
        }
        for (address, new) in &update.accounts {
            diff.accounts
                .push((*address, get_account(&accounts, address)?));
            match new {
                Some(a) => {
                    accounts.insert(address.as_bytes(), &encode_flat_account(a)[..])?;
                }
                None => {
                    accounts.remove(address.as_bytes())?;
                }
            }
        }

        let mut meta = self.txn.open_table(META)?;
        meta.insert(META_STATE_ROOT, update.root.as_bytes())?;
        let mut diffs = self.txn.open_table(STATE_DIFFS)?;
        diffs.insert(diff_key, &diff.encode()[..])?;
        Ok(update.root)
    }

    /// Writes a sealed block and its indexes and makes it the head.
    pub fn put_block(
        &mut self,
        header: &Header,
        body: &BlockBody,
        receipts: &[StoredReceipt],
    ) -> Result<H256, StateError> {
        let hash = header.hash();
        let n = header.number;
        self.txn
            .open_table(HEADERS)?
            .insert(n, &rlp::encode(header)[..])?;
        self.txn
            .open_table(BLOCK_HASH)?
            .insert(hash.as_bytes(), n)?;
        crate::chunks::put(&mut self.txn.open_table(BODIES)?, n, &body.encode())?;
        crate::chunks::put(
            &mut self.txn.open_table(RECEIPTS)?,
            n,
            &encode_receipts(receipts),
        )?;
        {
            let mut lookup = self.txn.open_table(TX_LOOKUP)?;
            let mut pool = self.txn.open_table(POOL)?;
            for (i, tx) in body.transactions.iter().enumerate() {
                let loc = TxLocation {
                    block: n,
                    index: i as u32,
                };
                lookup.insert(tx.hash().as_bytes(), &loc.encode()[..])?;
                pool.remove(tx.hash().as_bytes())?;
            }
        }
        {
            let mut index = self.txn.open_table(LOG_INDEX)?;
            for r in receipts {
                for log in &r.receipt.logs {
                    index.insert(
                        &log_index_key(LOG_TAG_ADDRESS, log.address.as_bytes(), n)[..],
                        (),
                    )?;
                    for (pos, topic) in log.topics.iter().enumerate() {
                        index.insert(&log_index_key(pos as u8, topic.as_bytes(), n)[..], ())?;
                    }
                }
            }
        }
        {
            let mut meta = self.txn.open_table(META)?;
            meta.insert(META_HEAD, &HeadPointer { number: n, hash }.encode()[..])?;
            meta.insert(META_PATCHES, &0u64.to_be_bytes()[..])?;
        }
        if let StateHistory::Recent(keep) = self.history {
            self.prune(n, keep)?;
        }
        Ok(hash)
    }

    /// Releases the nodes that commits older than the window replaced, and
    /// drops their reverse diffs, a bounded number of rows per call. With
    /// head `n` the states of blocks `n + 1 - keep ..= n` stay whole.
    fn prune(&mut self, n: u64, keep: u64) -> Result<(), StateError> {
        let keep = keep.max(1);
        let Some(oldest_kept) = (n + 1).checked_sub(keep).filter(|b| *b > 0) else {
            return Ok(());
        };
        // Rows up to the oldest kept block's own commit: what they replaced
        // is in no kept state (a commit's replaced nodes belong to the
        // states before it).
        let mut bound = (oldest_kept, 0u32);
        if let Some(pin) = self.pin {
            bound = bound.min(pin);
        }
        let mut pruned = None;
        {
            let mut journal = self.txn.open_table(TRIE_JOURNAL)?;
            let mut nodes = self.txn.open_table(TRIE_NODES)?;
            let mut rows = Vec::new();
            for item in journal.range(..=bound)?.take(nodes::MAX_ROWS_PER_COMMIT) {
                let (k, v) = item?;
                rows.push((k.value(), JournalRow::decode(v.value())?));
            }
            for (key, row) in rows {
                nodes::release(&mut nodes, &row.replaced)?;
                journal.remove(key)?;
                pruned = pruned.max(Some(key));
            }
        }
        {
            // Diffs are small and one per commit, empty blocks included.
            let mut diffs = self.txn.open_table(STATE_DIFFS)?;
            let keys: Vec<(u64, u32)> = diffs
                .range(..=bound)?
                .take(4 * nodes::MAX_ROWS_PER_COMMIT)
                .map(|item| item.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()?;
            for key in keys {
                diffs.remove(key)?;
                pruned = pruned.max(Some(key));
            }
        }
        if let Some(key) = pruned {
            let mut meta = self.txn.open_table(META)?;
            let done = read_pruned(&meta)?.max(Some(key));
            if let Some((b, s)) = done {
                let mut v = [0u8; 12];
                v[..8].copy_from_slice(&b.to_be_bytes());
                v[8..].copy_from_slice(&s.to_be_bytes());
                meta.insert(META_PRUNED, &v[..])?;
            }
        }
        Ok(())
    }

    /// Records block `number`'s commit certificate (opaque bytes from the
    /// consensus engine). Called with [`Self::put_block`] in the same writer,
    /// so the block and its certificate land together or not at all.
    pub fn put_certificate(&mut self, number: u64, bytes: &[u8]) -> Result<(), StateError> {
        self.txn
            .open_table(COMMIT_CERTIFICATES)?
            .insert(number, bytes)?;
        Ok(())
    }

    /// Applies a dev-mode state patch (anvil_setBalance and friends) on top of
    /// the head, undoable by `evm_revert` like a block.
    pub fn apply_patch(&mut self, changes: &StateChanges) -> Result<H256, StateError> {
        let (head, patches) = {
            let meta = self.txn.open_table(META)?;
            let head = crate::db::read_head(&meta)?;
            (head, read_meta_u64(&meta, META_PATCHES)?)
        };
        let seq = patches + 1;
        let seq32 =
            u32::try_from(seq).map_err(|_| StateError::Invalid("too many patches".into()))?;
        let root = self.apply_state(changes, (head.number, seq32))?;
        self.txn
            .open_table(META)?
            .insert(META_PATCHES, &seq.to_be_bytes()[..])?;
        Ok(root)
    }

    /// Journals an accepted transaction so it survives a restart.
    pub fn pool_insert(&mut self, tx: &SignedTransaction) -> Result<(), StateError> {
        self.txn
            .open_table(POOL)?
            .insert(tx.hash().as_bytes(), tx.encoded())?;
        Ok(())
    }

    /// Drops a transaction from the pool journal (included or evicted).
    pub fn pool_remove(&mut self, hash: &H256) -> Result<(), StateError> {
        self.txn.open_table(POOL)?.remove(hash.as_bytes())?;
        Ok(())
    }

    /// Records how far the dev clock is shifted (see [`Snapshot::time_offset`](crate::Snapshot::time_offset)).
    pub fn set_time_offset(&mut self, offset: i64) -> Result<(), StateError> {
        self.txn
            .open_table(META)?
            .insert(META_TIME_OFFSET, &offset.to_be_bytes()[..])?;
        Ok(())
    }

    /// Undoes every block and patch after (`block`, `patches`) and deletes
    /// those blocks: the chain is as it was at that point.
    pub fn rewind_to(
        &mut self,
        block: u64,
        patches: u32,
    ) -> Result<Vec<SignedTransaction>, StateError> {
        let mut dropped_txs = Vec::new();
        if let Some((b, s)) = read_pruned(&self.txn.open_table(META)?)?
            && (block, patches) < (b, s)
        {
            return Err(StateError::Invalid(format!(
                "cannot rewind to block {block}: this node keeps the last {} states and has pruned the history of block {b} and before (start it with --archive to keep every state)",
                match self.history {
                    StateHistory::Recent(n) => n,
                    StateHistory::Archive => 0,
                }
            )));
        }
        {
            // Commits undone give back the nodes they added; what they
            // replaced was never released.
            let mut journal = self.txn.open_table(TRIE_JOURNAL)?;
            let mut nodes = self.txn.open_table(TRIE_NODES)?;
            let mut rows = Vec::new();
            for item in journal.range((block, patches + 1)..)? {
                let (k, v) = item?;
                rows.push((k.value(), JournalRow::decode(v.value())?));
            }
            for (key, row) in rows {
                nodes::release(&mut nodes, &row.added)?;
                journal.remove(key)?;
            }
        }
        let diffs_to_undo: Vec<((u64, u32), ReverseDiff)> = {
            let table = self.txn.open_table(STATE_DIFFS)?;
            let mut out = Vec::new();
            for item in table.range((block, patches + 1)..)? {
                let (k, v) = item?;
                out.push((k.value(), ReverseDiff::decode(v.value())?));
            }
            out
        };
        {
            let mut accounts = self.txn.open_table(ACCOUNTS)?;
            let mut storage = self.txn.open_table(STORAGE)?;
            let mut meta = self.txn.open_table(META)?;
            let mut diffs = self.txn.open_table(STATE_DIFFS)?;
            for (key, diff) in diffs_to_undo.iter().rev() {
                for (address, old) in &diff.accounts {
                    match old {
                        Some(a) => {
                            accounts.insert(address.as_bytes(), &encode_flat_account(a)[..])?
                        }
                        None => accounts.remove(address.as_bytes())?,
                    };
                }
                for (address, slot, old) in &diff.storage {
                    let k = storage_key(address.as_bytes(), slot.as_bytes());
                    if old.is_zero() {
                        storage.remove(&k[..])?;
                    } else {
                        storage.insert(&k[..], old.as_bytes())?;
                    }
                }
                meta.insert(META_STATE_ROOT, diff.state_root.as_bytes())?;
                diffs.remove(*key)?;
            }
        }
        let head = {
            let meta = self.txn.open_table(META)?;
            crate::db::read_head(&meta)?
        };
        let mut new_head = head;
        {
            let mut headers = self.txn.open_table(HEADERS)?;
            let mut hashes = self.txn.open_table(BLOCK_HASH)?;
            let mut bodies = self.txn.open_table(BODIES)?;
            let mut receipts = self.txn.open_table(RECEIPTS)?;
            let mut lookup = self.txn.open_table(TX_LOOKUP)?;
            let mut index = self.txn.open_table(LOG_INDEX)?;
            let mut certificates = self.txn.open_table(COMMIT_CERTIFICATES)?;
            for n in (block + 1..=head.number).rev() {
                certificates.remove(n)?;
                if let Some(raw) = headers.remove(n)? {
                    let header: Header =
                        rlp::decode(raw.value()).map_err(|e| StateError::corrupt("headers", e))?;
                    hashes.remove(header.hash().as_bytes())?;
                }
                if let Some(raw) = crate::chunks::remove(&mut bodies, n)? {
                    for tx in BlockBody::decode(&raw)?.transactions {
                        lookup.remove(tx.hash().as_bytes())?;
                        dropped_txs.push(tx.tx);
                    }
                }
                if let Some(raw) = crate::chunks::remove(&mut receipts, n)? {
                    for r in crate::codec::decode_receipts(&raw)? {
                        for log in &r.receipt.logs {
                            index.remove(
                                &log_index_key(LOG_TAG_ADDRESS, log.address.as_bytes(), n)[..],
                            )?;
                            for (pos, topic) in log.topics.iter().enumerate() {
                                index.remove(&log_index_key(pos as u8, topic.as_bytes(), n)[..])?;
                            }
                        }
                    }
                }
            }
            if block < head.number {
                let raw = headers
                    .get(block)?
                    .ok_or_else(|| StateError::Invalid(format!("unknown block {block}")))?;
                let header: Header =
                    rlp::decode(raw.value()).map_err(|e| StateError::corrupt("headers", e))?;
                new_head = HeadPointer {
                    number: block,
                    hash: header.hash(),
                };
            }
        }
        let mut meta = self.txn.open_table(META)?;
        meta.insert(META_HEAD, &new_head.encode()[..])?;
        meta.insert(META_PATCHES, &(patches as u64).to_be_bytes()[..])?;
        Ok(dropped_txs)
    }

    pub(crate) fn txn(&self) -> &WriteTransaction {
        &self.txn
    }

    /// Makes everything in this writer durable (fsync) in one step.
    pub fn commit(self) -> Result<(), StateError> {
        self.txn.commit()?;
        Ok(())
    }
}

fn get_account(table: &BytesTable<'_>, address: &Address) -> Result<Option<Account>, StateError> {
    match table.get(address.as_bytes())? {
        Some(v) => Ok(Some(decode_flat_account(v.value())?)),
        None => Ok(None),
    }
}

/// The newest (block, sequence) pruned, if any.
fn read_pruned<T: ReadableTable<&'static str, &'static [u8]>>(
    meta: &T,
) -> Result<Option<(u64, u32)>, StateError> {
    let Some(v) = meta.get(META_PRUNED)? else {
        return Ok(None);
    };
    let v = v.value();
    if v.len() != 12 {
        return Err(StateError::corrupt(
            "meta",
            "pruned_through must be 12 bytes",
        ));
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(&v[..8]);
    let mut s = [0u8; 4];
    s.copy_from_slice(&v[8..]);
    Ok(Some((u64::from_be_bytes(b), u32::from_be_bytes(s))))
}
