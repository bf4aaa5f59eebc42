//! Per-block blobs (a block's transactions, its receipts) stored as
//! page-sized chunks.
//!
//! redb keeps a value that does not fit one page in a run of 2^k pages: a
//! 44 KB block body took 64 KB, a 70 KB one 128 KB, and at a million
//! transfers a third of the bodies table was padding. Cut into chunks of
//! [`CHUNK`] bytes keyed `(block, i)`, every chunk but a block's last fills
//! one leaf page exactly, and blocks only ever append at the end of the
//! key space, so pages are never split half-full by later inserts.

use redb::{ReadableTable, Table};

use crate::StateError;

pub(crate) type ChunkTable<'t> = Table<'t, (u64, u32), &'static [u8]>;

/// The largest value one redb leaf page holds under a 12-byte fixed key:
/// the 4 KiB page less its 4-byte header, the value's 4-byte end offset
/// and the key. (`chunks_fill_whole_pages` checks it against redb.)
pub(crate) const CHUNK: usize = 4096 - 4 - 4 - 12;

/// Stores `blob` as block `n`'s. An empty blob keeps one empty chunk, so
/// it reads back as present.
pub(crate) fn put(table: &mut ChunkTable<'_>, n: u64, blob: &[u8]) -> Result<(), StateError> {
    if blob.is_empty() {
        table.insert((n, 0), &[][..])?;
    }
    for (i, chunk) in blob.chunks(CHUNK).enumerate() {
        let i = u32::try_from(i).map_err(|_| StateError::corrupt("chunks", "blob too long"))?;
        table.insert((n, i), chunk)?;
    }
    Ok(())
}

/// Block `n`'s blob, if stored.
pub(crate) fn get<T: ReadableTable<(u64, u32), &'static [u8]>>(
    table: &T,
    n: u64,
) -> Result<Option<Vec<u8>>, StateError> {
    let mut blob = None::<Vec<u8>>;
    for item in table.range((n, 0)..=(n, u32::MAX))? {
        let (_, chunk) = item?;
        blob.get_or_insert_with(Vec::new)
            .extend_from_slice(chunk.value());
    }
    Ok(blob)
}

/// Removes block `n`'s blob, returning it.
pub(crate) fn remove(table: &mut ChunkTable<'_>, n: u64) -> Result<Option<Vec<u8>>, StateError> {
    let mut blob = None::<Vec<u8>>;
    for item in table.extract_from_if((n, 0)..=(n, u32::MAX), |_, _| true)? {
        let (_, chunk) = item?;
        blob.get_or_insert_with(Vec::new)
            .extend_from_slice(chunk.value());
    }
    Ok(blob)
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::{ReadableDatabase, ReadableTableMetadata, TableDefinition};

    const BLOBS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("blobs");

    fn temp_db() -> (tempfile::TempDir, redb::Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("t.redb")).unwrap();
        (dir, db)
    }

    fn blob(n: u64, len: usize) -> Vec<u8> {
        (0..len).map(|i| (i as u64 * 31 + n) as u8).collect()
    }

    #[test]
    fn blobs_round_trip_and_remove_whole() {
        let (_dir, db) = temp_db();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(BLOBS).unwrap();
            let sizes = [
                (1, 0),
                (2, 1),
                (3, CHUNK),
                (4, CHUNK + 1),
                (5, 5 * CHUNK - 3),
            ];
            for (n, len) in sizes {
                put(&mut t, n, &blob(n, len)).unwrap();
            }
            for (n, len) in sizes {
                assert_eq!(get(&t, n).unwrap(), Some(blob(n, len)), "block {n}");
            }
            assert_eq!(get(&t, 6).unwrap(), None);
            assert_eq!(remove(&mut t, 4).unwrap(), Some(blob(4, CHUNK + 1)));
            assert_eq!(get(&t, 4).unwrap(), None);
            assert_eq!(remove(&mut t, 4).unwrap(), None);
            assert_eq!(get(&t, 5).unwrap(), Some(blob(5, 5 * CHUNK - 3)));
            assert_eq!(t.len().unwrap(), 1 + 1 + 1 + 5);
        }
        txn.commit().unwrap();
    }

    /// The point of chunking: block-sized blobs leave little padding. The
    /// same blobs stored whole waste ~30%; a wrong [`CHUNK`] (one byte too
    /// big makes every chunk a two-page run) wastes half.
    #[test]
    fn chunks_fill_whole_pages() {
        let (_dir, db) = temp_db();
        let txn = db.begin_write().unwrap();
        let mut stored = 0;
        {
            let mut t = txn.open_table(BLOBS).unwrap();
            for n in 0..300u64 {
                let len = 20_000 + (n as usize * 7919) % 90_000;
                stored += len;
                put(&mut t, n, &blob(n, len)).unwrap();
            }
        }
        txn.commit().unwrap();
        let read = db.begin_read().unwrap();
        let stats = read.open_table(BLOBS).unwrap().stats().unwrap();
        let waste = stats.fragmented_bytes() as f64 / stored as f64;
        // The last chunk of each block is part-filled: ~2 KB of ~65 KB.
        assert!(waste < 0.05, "{:.1}% padding", waste * 100.0);
    }
}
