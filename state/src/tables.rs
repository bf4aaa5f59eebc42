//! Table layout. Keys are big-endian so ranges scan in block order.
//!
//! | table        | key                               | value                         |
//! |--------------|-----------------------------------|-------------------------------|
//! | meta         | name                              | bytes                         |
//! | headers      | block number                      | rlp(header)                   |
//! | block_hash   | block hash                        | block number                  |
//! | bodies       | (block number, chunk)             | rlp([[raw tx, sender], ...])  |
//! | receipts     | (block number, chunk)             | rlp([receipt sans bloom, ...])|
//! | tx_lookup    | tx hash                           | block number ‖ index (12 B)   |
//! | log_index    | tag ‖ address-or-topic ‖ block    | ()                            |
//! | accounts     | address                           | rlp(account) (plain: [n, bal])|
//! | storage      | address ‖ slot                    | value (32 B, never zero)      |
//! | code         | code hash                         | code                          |
//! | trie_nodes   | node hash                         | node (plain leaf short) ‖ count|
//! | trie_journal | (block number, sequence)          | nodes added ‖ nodes replaced  |
//! | state_diffs  | (block number, sequence)          | rlp(reverse diff)             |
//! | pool         | tx hash                           | raw tx                        |
//! | commit_certificates | block number               | opaque bytes                  |
//!
//! `commit_certificates` holds what a BFT consensus engine produced to
//! finalize a block (its signatures over the block hash), opaque to the
//! database. It is written in the block's own transaction, so a committed
//! block is never without its proof of finality, and peers syncing from this
//! node can be sent both. Dev chains (no consensus) leave it empty. Old
//! databases gain the (empty) table when opened: no schema bump.
//!
//! `trie_nodes` counts references and `trie_journal` says when to drop
//! them (see `nodes.rs`). A full node trims `trie_journal` and
//! `state_diffs` to the kept window; an archive node writes no journal and
//! keeps every diff.

use redb::TableDefinition;

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(crate) const HEADERS: TableDefinition<u64, &[u8]> = TableDefinition::new("headers");
pub(crate) const BLOCK_HASH: TableDefinition<&[u8], u64> = TableDefinition::new("block_hash");
/// Bodies and receipts are cut into page-sized chunks (`chunks.rs`).
pub(crate) const BODIES: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("bodies");
pub(crate) const RECEIPTS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("receipts");
pub(crate) const TX_LOOKUP: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tx_lookup");
pub(crate) const LOG_INDEX: TableDefinition<&[u8], ()> = TableDefinition::new("log_index");
pub(crate) const ACCOUNTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("accounts");
pub(crate) const STORAGE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("storage");
pub(crate) const CODE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("code");
pub(crate) const TRIE_NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("trie_nodes");
pub(crate) const STATE_DIFFS: TableDefinition<(u64, u32), &[u8]> =
    TableDefinition::new("state_diffs");
pub(crate) const TRIE_JOURNAL: TableDefinition<(u64, u32), &[u8]> =
    TableDefinition::new("trie_journal");
pub(crate) const POOL: TableDefinition<&[u8], &[u8]> = TableDefinition::new("pool");
pub(crate) const COMMIT_CERTIFICATES: TableDefinition<u64, &[u8]> =
    TableDefinition::new("commit_certificates");

/// Meta keys.
pub(crate) const META_SCHEMA: &str = "schema_version";
pub(crate) const META_GENESIS: &str = "genesis_hash";
pub(crate) const META_CHAIN_ID: &str = "chain_id";
pub(crate) const META_HEAD: &str = "head";
pub(crate) const META_STATE_ROOT: &str = "state_root";
pub(crate) const META_PATCHES: &str = "patches_after_head";
pub(crate) const META_TIME_OFFSET: &str = "time_offset";
/// `b"archive"` or `b"full"`, fixed when the database is created.
pub(crate) const META_HISTORY_MODE: &str = "history_mode";
/// The newest (block, sequence) whose journal row or reverse diff is gone:
/// the chain cannot be rewound to before it (8 + 4 bytes, BE).
pub(crate) const META_PRUNED: &str = "pruned_through";

/// Bumped whenever a table's encoding changes.
/// 2: trie node values end in a reference count; receipts drop the bloom;
/// plain accounts drop their empty storage root and code hash.
/// 3: plain accounts' trie leaves likewise; bodies and receipts in chunks.
pub(crate) const SCHEMA_VERSION: u64 = 3;

/// Log index tags: which field of a log the indexed value came from.
pub(crate) const LOG_TAG_ADDRESS: u8 = 0xff;

pub(crate) fn storage_key(address: &[u8], slot: &[u8]) -> [u8; 52] {
    let mut k = [0u8; 52];
    k[..20].copy_from_slice(address);
    k[20..].copy_from_slice(slot);
    k
}

/// Log index key: tag (topic position 0-3, or `LOG_TAG_ADDRESS`), the value
/// left-padded to 32 bytes, then the block number.
pub(crate) fn log_index_key(tag: u8, value: &[u8], block: u64) -> [u8; 41] {
    let mut k = [0u8; 41];
    k[0] = tag;
    k[1 + 32 - value.len()..33].copy_from_slice(value);
    k[33..].copy_from_slice(&block.to_be_bytes());
    k
}
