//! The on-disk cache of compiled modules.
//!
//! Only code that is in committed state is written here (the chain calls
//! [`VmEngine::persist`](crate::VmEngine::persist) after each block):
//! what `eth_call` and `eth_estimateGas` compile, and what reverted or
//! failed deploys compiled, stays in memory and is forgotten. The cache is
//! bounded: past `max_bytes`, the oldest entries are deleted (an evicted
//! module is compiled again the next time it runs). Oldest written, not
//! least recently used: keeping a use time would cost a file operation per
//! load, a fifth of what a load costs.
//!
//! An entry is two files named by code hash and engine fingerprint (so a
//! different wasmtime, configuration or gas schedule never reuses one):
//!
//! * `<hash>-<fingerprint>.cwasm`: wasmtime's serialized module, mapped
//!   into memory when loaded;
//! * `<hash>-<fingerprint>.meta`: what validation learned about the module
//!   (so loading skips validation) and a CRC-32 of the `.cwasm`, checked
//!   before wasmtime sees it: `Module::deserialize_file` trusts its input,
//!   so a damaged file must never reach it.
//!
//! Loading an entry (read, checksum, map) takes ~0.2 ms for a 40 KB
//! contract, against ~4 ms when it was re-validated and keccak-hashed.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use orac_primitives::H256;
use parking_lot::Mutex;
use wasmtime::{Engine, Module};

use crate::validate::ModuleInfo;

/// Format of the `.meta` files.
const META_MAGIC: &[u8; 8] = b"oracmet1";

pub(crate) struct DiskCache {
    dir: PathBuf,
    fingerprint: String,
    max_bytes: u64,
    /// Bytes of entries on disk, as far as this process knows.
    used: Mutex<u64>,
}

impl DiskCache {
    /// Opens (creating) the cache in `dir`, deleting temporary files a
    /// crash left behind.
    pub(crate) fn open(dir: &Path, fingerprint: String, max_bytes: u64) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut used = 0;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.contains(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            } else {
                used += entry.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
        let cache = Self {
            dir: dir.to_path_buf(),
            fingerprint,
            max_bytes,
            used: Mutex::new(used),
        };
        cache.evict_if_full();
        Ok(cache)
    }

    fn path(&self, code_hash: &H256, ext: &str) -> PathBuf {
        self.dir
            .join(format!("{code_hash:x}-{}.{ext}", self.fingerprint))
    }

    /// The module for `code_hash`, if a sound entry is on disk. A damaged
    /// entry is deleted (and compiled again by the caller).
    pub(crate) fn load(&self, engine: &Engine, code_hash: &H256) -> Option<(Module, ModuleInfo)> {
        let (art, meta) = (self.path(code_hash, "cwasm"), self.path(code_hash, "meta"));
        let meta_bytes = std::fs::read(&meta).ok()?;
        let Some((crc, info)) = decode_meta(&meta_bytes) else {
            return self.damaged(&art, &meta);
        };
        let bytes = std::fs::read(&art).ok()?;
        if crc32fast::hash(&bytes) != crc {
            return self.damaged(&art, &meta);
        }
        // SAFETY: the file is an artifact this node serialised with an
        // engine of the same fingerprint (the name encodes it), and its
        // checksum matches what was recorded when it was written. It is
        // mapped rather than copied (the code pages stay shared with the
        // page cache).
        match unsafe { Module::deserialize_file(engine, &art) } {
            Ok(module) => Some((module, info)),
            Err(e) => {
                tracing::warn!("cannot load {}: {e}; recompiling", art.display());
                self.damaged(&art, &meta)
            }
        }
    }

    fn damaged<T>(&self, art: &Path, meta: &Path) -> Option<T> {
        tracing::warn!(
            "compiled-code cache entry {} is damaged; recompiling",
            art.display()
        );
        self.remove(art, meta);
        None
    }

    fn remove(&self, art: &Path, meta: &Path) {
        let mut freed = 0;
        for p in [art, meta] {
            if let Ok(m) = std::fs::metadata(p)
                && std::fs::remove_file(p).is_ok()
            {
                freed += m.len();
            }
        }
        let mut used = self.used.lock();
        *used = used.saturating_sub(freed);
    }

    /// Writes `module` for `code_hash`. Failures are logged, not fatal:
    /// the module is compiled again when next needed.
    pub(crate) fn store(&self, code_hash: &H256, module: &Module, info: &ModuleInfo) {
        let (art, meta) = (self.path(code_hash, "cwasm"), self.path(code_hash, "meta"));
        let Ok(bytes) = module.serialize() else {
            return;
        };
        let meta_bytes = encode_meta(crc32fast::hash(&bytes), info);
        // The artifact first, the meta last: an entry is complete only once
        // its meta exists, and each file is written then renamed, so a
        // crash never leaves a half-written file under a final name.
        let written =
            write_atomically(&art, &bytes).and_then(|_| write_atomically(&meta, &meta_bytes));
        if let Err(e) = written {
            tracing::warn!(
                "could not write compiled-code cache entry {}: {e}",
                art.display()
            );
            self.remove(&art, &meta);
            return;
        }
        *self.used.lock() += (bytes.len() + meta_bytes.len()) as u64;
        self.evict_if_full();
    }

    /// Deletes least recently used entries until the cache holds at most
    /// 90% of its bound.
    fn evict_if_full(&self) {
        if *self.used.lock() <= self.max_bytes {
            return;
        }
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return;
        };
        // Entries by when they were written.
        let mut entries: Vec<(SystemTime, PathBuf)> = dir
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "meta"))
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        entries.sort();
        let target = self.max_bytes / 10 * 9;
        for (_, meta) in entries {
            if *self.used.lock() <= target {
                break;
            }
            self.remove(&meta.with_extension("cwasm"), &meta);
        }
    }

    /// Bytes the cache holds.
    pub(crate) fn used_bytes(&self) -> u64 {
        *self.used.lock()
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_list(out: &mut Vec<u8>, v: &[u32]) {
    put_u32(out, v.len() as u32);
    for x in v {
        put_u32(out, *x);
    }
}

/// The meta file: magic, the artifact's CRC-32, `info`, and a CRC-32 of
/// everything before it (the frame costs in `info` decide consensus
/// questions, so a damaged meta must not be believed either).
fn encode_meta(crc: u32, info: &ModuleInfo) -> Vec<u8> {
    let mut out = META_MAGIC.to_vec();
    put_u32(&mut out, crc);
    put_u32(&mut out, info.imported_funcs);
    put_u32(&mut out, info.call_index);
    put_u32(&mut out, info.deploy_index.map_or(u32::MAX, |d| d));
    put_u32(&mut out, info.initial_pages as u32);
    put_u32(&mut out, info.max_pages as u32);
    put_u32(&mut out, info.globals);
    put_u32(&mut out, info.resettable as u32);
    put_u32(&mut out, info.trampolines);
    for list in [
        &info.func_types,
        &info.frame_costs,
        &info.local_counts,
        &info.declared_locals,
        &info.type_canon,
        &info.mutable_globals,
    ] {
        put_list(&mut out, list);
    }
    let own = crc32fast::hash(&out);
    put_u32(&mut out, own);
    out
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_le_bytes(*head))
    }
    fn list(&mut self) -> Option<Vec<u32>> {
        let n = self.u32()? as usize;
        // Each element takes 4 bytes: a length beyond what is left is a
        // damaged file, not an allocation to attempt.
        if n > self.0.len() / 4 {
            return None;
        }
        (0..n).map(|_| self.u32()).collect()
    }
}

fn decode_meta(bytes: &[u8]) -> Option<(u32, ModuleInfo)> {
    let (body, own) = bytes.split_last_chunk::<4>()?;
    if crc32fast::hash(body) != u32::from_le_bytes(*own) {
        return None;
    }
    let mut r = Reader(body.strip_prefix(META_MAGIC)?);
    let crc = r.u32()?;
    let mut info = ModuleInfo {
        imported_funcs: r.u32()?,
        call_index: r.u32()?,
        deploy_index: Some(r.u32()?).filter(|d| *d != u32::MAX),
        initial_pages: u64::from(r.u32()?),
        max_pages: u64::from(r.u32()?),
        globals: r.u32()?,
        resettable: r.u32()? != 0,
        trampolines: r.u32()?,
        ..Default::default()
    };
    info.func_types = r.list()?;
    info.frame_costs = r.list()?;
    info.local_counts = r.list()?;
    info.declared_locals = r.list()?;
    info.type_canon = r.list()?;
    info.mutable_globals = r.list()?;
    r.0.is_empty().then_some((crc, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trips_and_refuses_damage() {
        let info = ModuleInfo {
            imported_funcs: 3,
            func_types: vec![0, 1, 1],
            frame_costs: vec![20, 40],
            local_counts: vec![2, 4],
            declared_locals: vec![1, 3],
            type_canon: vec![0, 1],
            call_index: 4,
            deploy_index: Some(5),
            initial_pages: 2,
            max_pages: 4,
            globals: 1,
            mutable_globals: vec![0],
            resettable: true,
            trampolines: 7,
        };
        let bytes = encode_meta(0xdead_beef, &info);
        let (crc, back) = decode_meta(&bytes).unwrap();
        assert_eq!(crc, 0xdead_beef);
        assert_eq!(format!("{back:?}"), format!("{info:?}"));
        for cut in 0..bytes.len() {
            assert!(decode_meta(&bytes[..cut]).is_none(), "truncated at {cut}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode_meta(&long).is_none());
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 1;
            assert!(decode_meta(&flipped).is_none(), "bit flipped at {i}");
        }
    }
}
