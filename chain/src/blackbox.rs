//! The producer's black box: which pooled transaction it is executing,
//! written before each one runs and cleared once the block commits.
//!
//! A transaction that kills the process while it runs (a bug in the VM or
//! in native code it reaches; contracts themselves are bounded) would
//! otherwise be replayed from the pool journal at every start, and kill
//! the node again: a crash loop. At start the black box says which
//! transaction was running when the process died. The first time, it is
//! kept (the process may simply have been killed then) and marked; if the
//! node dies while running it a second time, it is dropped from the pool
//! with an error in the log that carries its raw bytes.
//!
//! The record is a fixed 36 bytes (hash, then strikes as u32 LE) written in
//! place: no fsync, since what matters is a process dying, after which the
//! kernel still writes its page-cache pages out.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use orac_primitives::H256;

/// Deaths while running a transaction after which it is dropped.
pub(crate) const MAX_STRIKES: u32 = 2;

pub(crate) struct BlackBox {
    file: File,
    /// The transaction that was running when the process last died, with
    /// how many times that has happened.
    suspect: Option<(H256, u32)>,
}

impl BlackBox {
    /// Opens `datadir/executing`, reading what a crashed run left there.
    pub(crate) fn open(datadir: &Path) -> std::io::Result<Self> {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(datadir.join("executing"))?;
        let mut record = [0u8; 36];
        let suspect = match file.read_exact_at(&mut record, 0) {
            Ok(()) if record != [0; 36] => {
                let strikes = u32::from_le_bytes([record[32], record[33], record[34], record[35]]);
                Some((H256::from_slice(&record[..32]), strikes.saturating_add(1)))
            }
            _ => None,
        };
        Ok(Self { file, suspect })
    }

    /// The transaction the last run died executing, and how many runs have
    /// died on it (this start's death included).
    pub(crate) fn suspect(&self) -> Option<(H256, u32)> {
        self.suspect
    }

    /// Notes that `hash` is about to run.
    pub(crate) fn executing(&self, hash: &H256) {
        let strikes = match self.suspect {
            Some((h, s)) if h == *hash => s,
            _ => 0,
        };
        let mut record = [0u8; 36];
        record[..32].copy_from_slice(hash.as_bytes());
        record[32..].copy_from_slice(&strikes.to_le_bytes());
        if let Err(e) = self.file.write_all_at(&record, 0) {
            tracing::warn!("cannot write the producer's black box: {e}");
        }
    }

    /// Nothing is running any more (the block committed).
    pub(crate) fn clear(&mut self) {
        if let Err(e) = self.file.write_all_at(&[0u8; 36], 0) {
            tracing::warn!("cannot clear the producer's black box: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_death_is_remembered_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let h = H256::repeat_byte(7);
        let b = BlackBox::open(dir.path()).unwrap();
        assert_eq!(b.suspect(), None);
        b.executing(&h);
        // The process dies here.
        let b = BlackBox::open(dir.path()).unwrap();
        assert_eq!(b.suspect(), Some((h, 1)));
        b.executing(&h);
        let mut b = BlackBox::open(dir.path()).unwrap();
        assert_eq!(b.suspect(), Some((h, 2)));
        b.clear();
        assert_eq!(BlackBox::open(dir.path()).unwrap().suspect(), None);
    }
}
