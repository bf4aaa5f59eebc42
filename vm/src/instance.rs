//! Instances kept between messages.
//!
//! Creating a wasmtime store, instantiating a module into it and tearing it
//! down again costs about as much as a whole token transfer's work (about
//! 3 µs: the store, the instance, the pooled slot's bookkeeping and reset;
//! bench/results/vm.md). So when a frame ends cleanly its instance is reset to
//! the state it had right after instantiation and kept, by code hash, for
//! the next message to the same code.
//!
//! The reset restores everything a message can change in an instance of a
//! module that validation marked `resettable`:
//!
//! * linear memory: the instance is only kept if its memory still has its
//!   initial size; every 2 KiB chunk the message may have written (the
//!   instrumentation's dirty mask, plus what host functions wrote) is
//!   rewritten from a snapshot of a fresh instance (zeros plus the data
//!   segments);
//! * mutable globals: rewritten from the same snapshot (the instrumentation
//!   exports them for this);
//! * tables: nothing to do, a resettable module has no passive segments and
//!   no instruction that writes a table;
//! * fuel, the stack counter and the store's [`Frame`] are set by every
//!   frame anyway.
//!
//! A reused instance is therefore indistinguishable from a fresh one, and
//! gas is identical: instantiation is charged whether it happens or not.
//! Anything else (a trap, grown memory, a module that is not resettable or
//! whose memory is too big to reset cheaply) drops the instance, which
//! gives its slot back to wasmtime's pooling allocator as before.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

use orac_primitives::H256;
use parking_lot::Mutex;
use wasmtime::{Global, Memory, Store, TypedFunc, Val};

use crate::engine::{Compiled, VmEngine};
use crate::exec::Frame;
use crate::host::abi::{DIRTY_GLOBAL, GLOBAL_EXPORT_PREFIX, STACK_GLOBAL};
use crate::limits::{IDLE_INSTANCES, REUSE_MAX_GLOBALS, REUSE_MAX_PAGES};

/// log2 of the granularity at which writes to memory are tracked: 2 KiB
/// chunks, so the 64 bits of the dirty mask cover 128 KiB (two pages, the
/// most [`REUSE_MAX_PAGES`] allows).
pub(crate) const DIRTY_CHUNK_SHIFT: u32 = 11;
const CHUNK: usize = 1 << DIRTY_CHUNK_SHIFT;

/// The widest single store (i64/f64): it may spill this many bytes minus
/// one past the end of the chunk its address is in.
const MAX_STORE: usize = 8;

/// Output buffers larger than this are freed rather than kept idle.
const KEPT_BUFFER_BYTES: usize = 4096;

/// The dirty-mask bits of the chunks `[start, start + len)` touches.
pub(crate) fn chunk_bits(start: usize, len: usize) -> u64 {
    if len == 0 {
        return 0;
    }
    let (lo, hi) = (
        start >> DIRTY_CHUNK_SHIFT,
        (start + len - 1) >> DIRTY_CHUNK_SHIFT,
    );
    if hi >= 64 {
        // Beyond what reuse allows: the instance will not be kept.
        return u64::MAX;
    }
    (u64::MAX >> (63 - hi)) & (u64::MAX << lo)
}

/// A fresh instance's memory and mutable globals, to reset reused ones to.
pub(crate) struct Snapshot {
    memory_len: usize,
    /// The initial contents of each chunk, `None` for all zeros.
    chunks: Vec<Option<Box<[u8]>>>,
    globals: Vec<Val>,
}

impl Snapshot {
    fn take(store: &mut Store<Frame>, memory: &Memory, globals: &[Global]) -> Self {
        let data = memory.data(&*store);
        let chunks = data
            .chunks(CHUNK)
            .map(|c| c.iter().any(|b| *b != 0).then(|| c.into()))
            .collect();
        let memory_len = data.len();
        Self {
            memory_len,
            chunks,
            globals: globals.iter().map(|g| g.get(&mut *store)).collect(),
        }
    }

    /// Restores `data[start..end]` (within one chunk) to its initial bytes.
    fn restore(&self, data: &mut [u8], start: usize, end: usize) {
        let c = start >> DIRTY_CHUNK_SHIFT;
        match self.chunks.get(c).and_then(Option::as_ref) {
            Some(initial) => {
                let base = c << DIRTY_CHUNK_SHIFT;
                data[start..end].copy_from_slice(&initial[start - base..end - base]);
            }
            None => data[start..end].fill(0),
        }
    }
}

/// An instance in its own store, with the handles a frame needs.
pub(crate) struct Live {
    pub(crate) store: Store<Frame>,
    pub(crate) call: TypedFunc<(), ()>,
    pub(crate) deploy: Option<TypedFunc<(), ()>>,
    /// The injected stack counter.
    pub(crate) stack: Option<Global>,
    /// The injected dirty mask (`instrument.rs`).
    dirty: Option<Global>,
    memory: Memory,
    globals: Vec<Global>,
    compiled: Arc<Compiled>,
}

impl Live {
    /// Instantiates `compiled` in a new store. The first instance of a
    /// module that can be reused also takes the module's snapshot.
    pub(crate) fn new(engine: &VmEngine, compiled: &Arc<Compiled>) -> wasmtime::Result<Self> {
        let mut store = Store::new(&engine.engine, Frame::idle());
        store.limiter(|f| f);
        let instance = compiled.pre.instantiate(&mut store)?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| wasmtime::Error::msg("no exported memory"))?;
        let call = instance.get_typed_func::<(), ()>(&mut store, "call")?;
        let deploy = match compiled.info.deploy_index {
            Some(_) => Some(instance.get_typed_func::<(), ()>(&mut store, "deploy")?),
            None => None,
        };
        let stack = instance.get_global(&mut store, STACK_GLOBAL);
        let dirty = instance.get_global(&mut store, DIRTY_GLOBAL);
        let info = &compiled.info;
        let reusable = info.resettable
            && dirty.is_some()
            && info.initial_pages <= REUSE_MAX_PAGES
            && info.mutable_globals.len() <= REUSE_MAX_GLOBALS;
        let globals = if reusable {
            info.mutable_globals
                .iter()
                .map(|g| {
                    instance
                        .get_global(&mut store, &format!("{GLOBAL_EXPORT_PREFIX}{g}"))
                        .ok_or_else(|| wasmtime::Error::msg("mutable global not exported"))
                })
                .collect::<wasmtime::Result<Vec<_>>>()?
        } else {
            Vec::new()
        };
        if reusable {
            compiled
                .snapshot
                .get_or_init(|| Snapshot::take(&mut store, &memory, &globals));
        }
        let frame = store.data_mut();
        frame.memory = Some(memory);
        frame.stack = stack;
        Ok(Self {
            store,
            call,
            deploy,
            stack,
            dirty,
            memory,
            globals,
            compiled: compiled.clone(),
        })
    }

    /// Resets the instance to its state after instantiation; false if it
    /// cannot be (then it must be dropped, not reused). Only the chunks of
    /// memory marked dirty are restored, each with the few bytes a store
    /// at its end can spill into the next.
    fn reset(&mut self) -> bool {
        let Some(snap) = self.compiled.snapshot.get() else {
            return false;
        };
        let Some(dirty_global) = self.dirty else {
            return false;
        };
        let marked = match dirty_global.get(&mut self.store).i64() {
            Some(bits) => bits as u64,
            None => return false,
        };
        let host = std::mem::take(&mut self.store.data_mut().host_dirty);
        let dirty = marked | host;
        let data = self.memory.data_mut(&mut self.store);
        if data.len() != snap.memory_len {
            return false;
        }
        let chunks = snap.memory_len.div_ceil(CHUNK);
        for c in (0..chunks.min(64)).filter(|c| dirty & (1 << c) != 0) {
            let start = c * CHUNK;
            let end = (start + CHUNK).min(data.len());
            snap.restore(data, start, end);
            let next = c + 1;
            if next < chunks && dirty & (1u64 << next.min(63)) == 0 {
                snap.restore(data, end, (end + MAX_STORE - 1).min(data.len()));
            }
        }
        if dirty_global.set(&mut self.store, Val::I64(0)).is_err() {
            return false;
        }
        for (g, v) in self.globals.iter().zip(&snap.globals) {
            if g.set(&mut self.store, *v).is_err() {
                return false;
            }
        }
        // Idle stores should not hold on to a large return value.
        let frame = self.store.data_mut();
        for buf in [&mut frame.output, &mut frame.return_data] {
            if buf.capacity() > KEPT_BUFFER_BYTES {
                *buf = Vec::new();
            }
        }
        frame.input = Arc::from(&[][..]);
        true
    }
}

/// Idle instances of one engine, most recently used last. Bounded by
/// [`IDLE_INSTANCES`]: each holds a pooled instance slot and its memory.
#[derive(Default)]
pub(crate) struct IdleInstances {
    idle: Mutex<VecDeque<(H256, Live)>>,
}

impl IdleInstances {
    /// An idle instance of `code_hash`, if one is kept.
    pub(crate) fn take(&self, code_hash: &H256) -> Option<Live> {
        let mut idle = self.idle.lock();
        let i = idle.iter().rposition(|(h, _)| h == code_hash)?;
        idle.remove(i).map(|(_, live)| live)
    }

    /// Resets `live` and keeps it, or drops it if it cannot be reset.
    pub(crate) fn put(&self, live: Live) {
        let mut live = live;
        if !live.reset() {
            return;
        }
        let evicted = {
            let mut idle = self.idle.lock();
            idle.push_back((live.compiled.code_hash, live));
            if idle.len() > IDLE_INSTANCES {
                idle.pop_front()
            } else {
                None
            }
        };
        // Dropped outside the lock: freeing a store resets its slot.
        drop(evicted);
    }

    /// Drops every idle instance.
    pub(crate) fn clear(&self) {
        let drained: Vec<_> = self.idle.lock().drain(..).collect();
        drop(drained);
    }
}

/// Set on [`Compiled`]: the snapshot is taken once per compiled module.
pub(crate) type SnapshotCell = OnceLock<Snapshot>;
