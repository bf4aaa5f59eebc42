//! The wasmtime engine, configured for consensus, and the code caches.
//!
//! Compilation happens once per code hash: at deploy, or the first time a
//! node meets code it has not compiled. Ready-to-instantiate modules are
//! kept in a bounded in-memory cache; modules of committed code are also
//! kept on disk (`cache.rs`), written only once the chain says the code is
//! committed ([`VmEngine::persist`]), never for simulations.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

use orac_primitives::H256;
use parking_lot::Mutex;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module, OptLevel,
    PoolingAllocationConfig, Strategy,
};

use crate::cache::DiskCache;
use crate::exec::Frame;
use crate::gas;
use crate::instance::{IdleInstances, SnapshotCell};
use crate::limits::*;
use crate::validate::{DeployError, ModuleInfo, validate};

/// How to set up a [`VmEngine`]: where and how much compiled code to
/// keep on disk.
#[derive(Clone, Debug)]
pub struct VmConfig {
    /// Where compiled artifacts are kept; `None` keeps them only in memory.
    pub cache_dir: Option<PathBuf>,
    /// Bytes the on-disk cache may hold (least recently used entries go
    /// first). An artifact is ~10× its module; a module evicted from here is
    /// compiled again when next called, which costs the node time, not the
    /// caller gas, so size it for the chain's code.
    pub cache_bytes: u64,
}

/// Default bound of the on-disk cache: 4 GiB, about 10,000 contracts the
/// size of the example ERC-20.
pub const DEFAULT_CACHE_BYTES: u64 = 4 << 30;

impl Default for VmConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VmError {
    /// wasmtime refused the configuration.
    #[error("wasmtime: {0}")]
    Engine(String),
    /// The on-disk cache could not be opened or created.
    #[error("compiled-code cache: {0}")]
    Cache(String),
}

/// A module ready to instantiate.
pub struct Compiled {
    /// Keccak of the module, which names it in the caches.
    pub code_hash: H256,
    /// Bytes of the module (what loading it cold is charged by).
    pub code_len: usize,
    /// The module linked against the host functions, ready to instantiate.
    pub pre: InstancePre<Frame>,
    /// What validation learned about the module.
    pub info: ModuleInfo,
    /// Memory and globals of a fresh instance, once one was made, if the
    /// module's instances can be reset and reused (`instance.rs`).
    pub(crate) snapshot: SnapshotCell,
}

/// Bumped whenever instrumentation or the gas schedule changes, so cached
/// artifacts compiled under the old rules are never used.
const SCHEDULE_VERSION: u32 = 7;

/// wasmtime configured for consensus, with the host functions linked and
/// the compiled-code caches (memory and disk).
pub struct VmEngine {
    pub(crate) engine: Engine,
    linker: Linker<Frame>,
    disk: Option<DiskCache>,
    modules: Mutex<Lru>,
    /// Modules evicted from memory before [`Self::persist`] saw them (a
    /// block that compiled more than the memory cache holds): kept until
    /// the next call to it.
    evicted: Mutex<Vec<Arc<Compiled>>>,
    /// Instances kept for reuse after their message ended.
    pub(crate) idle: IdleInstances,
}

/// A module in the memory cache.
struct Entry {
    compiled: Arc<Compiled>,
    /// Last use, for eviction.
    tick: u64,
    /// Compiled here by a block's execution and not yet looked at by
    /// [`VmEngine::persist`].
    unpersisted: bool,
    /// Loaded from, or written to, the disk cache.
    on_disk: bool,
}

/// A small LRU of compiled modules: a map plus a use counter.
struct Lru {
    map: HashMap<H256, Entry>,
    tick: u64,
}

impl Lru {
    fn get(&mut self, k: &H256) -> Option<Arc<Compiled>> {
        self.tick += 1;
        let tick = self.tick;
        self.map.get_mut(k).map(|e| {
            e.tick = tick;
            e.compiled.clone()
        })
    }

    /// Adds a module; returns the one it evicted if that was still
    /// waiting to be persisted.
    fn put(
        &mut self,
        k: H256,
        compiled: Arc<Compiled>,
        unpersisted: bool,
        on_disk: bool,
    ) -> Option<Arc<Compiled>> {
        let mut evicted = None;
        if self.map.len() >= MODULE_CACHE_ENTRIES
            && let Some(oldest) = self.map.iter().min_by_key(|(_, e)| e.tick).map(|(k, _)| *k)
        {
            evicted = self
                .map
                .remove(&oldest)
                .filter(|e| e.unpersisted)
                .map(|e| e.compiled);
        }
        self.tick += 1;
        self.map.insert(
            k,
            Entry {
                compiled,
                tick: self.tick,
                unpersisted,
                on_disk,
            },
        );
        evicted
    }
}

/// The engine configuration. Every choice here is a consensus choice.
pub fn engine_config() -> Config {
    let mut c = Config::new();
    // Winch, wasmtime's baseline compiler, is the consensus compiler. It
    // translates each operator on its own: locals live in fixed frame
    // slots and the operand stack spills to the frame, so a function's
    // native frame is bounded by its locals and operand-stack depth, which
    // is what the deterministic stack counter charges (`limits.rs`), and
    // compile time and memory are linear in the code. Cranelift builds SSA
    // form: every value live across a control-flow merge becomes a block
    // parameter, copied at every edge and (with its single-pass register
    // allocator) given a stack slot of its own. Frames then grow with
    // locals × merges (254 KB for a 16-local function with 1,536 `if`s,
    // against 128 bytes under Winch), a loop carrying 2,000 locals ran
    // 2,000× slower per gas than the reference, and SSA construction is
    // superlinear (a 34 KB module took 0.9 s). Winch ran the benchmark
    // token transfer and compute loop as fast as unoptimised Cranelift
    // (docs/gas.md, "Compiler").
    c.strategy(Strategy::Winch);
    // Deterministic metering: fuel, with our per-operator costs. Winch
    // ignores the per-byte costs of bulk instructions, so the
    // instrumentation routes those through host functions that charge them
    // (`instrument.rs`).
    c.consume_fuel(true);
    c.operator_cost(gas::operator_costs());
    // Floats are deterministic in WebAssembly except for NaN bit patterns;
    // canonicalising NaNs removes that (a shared code-generator flag that
    // Winch honours too).
    c.cranelift_nan_canonicalization(true);
    // Cranelift still compiles the trampolines between host and wasm (one
    // per signature and per exported or table function): unoptimised, with
    // the single-pass register allocator, a 64-parameter trampoline takes
    // 110 µs instead of 377 (they are pure argument shuffles).
    c.cranelift_opt_level(OptLevel::None);
    c.cranelift_regalloc_algorithm(wasmtime::RegallocAlgorithm::SinglePass);
    // Native-code-to-wasm address maps serve debuggers and wasm backtraces,
    // unwind tables serve native unwinders and profilers; the VM reports
    // traps by kind, not by backtrace. Without them artifacts are ~12%
    // smaller and a module loads and unloads with less work.
    c.generate_address_map(false);
    c.native_unwind_info(false);
    // At least the features rustc emits by default (validate::features);
    // the deploy validator refuses anything beyond them before wasmtime
    // sees a module. Reference types (funcref tables) need no `gc` feature,
    // and threads, GC and exceptions are not compiled into this wasmtime.
    c.wasm_multi_value(true);
    c.wasm_bulk_memory(true);
    c.wasm_simd(false);
    c.wasm_relaxed_simd(false);
    c.wasm_memory64(false);
    c.wasm_multi_memory(false);
    c.wasm_tail_call(false);
    c.wasm_wide_arithmetic(false);
    c.wasm_extended_const(false);
    c.wasm_custom_page_sizes(false);
    // Just above what the instrumented stack counter allows, so that
    // wasmtime's own (machine-dependent) check can never decide a call's
    // fate unless the counter's bound is wrong (see limits).
    c.max_wasm_stack(WASM_STACK_BYTES);
    // Only checked against max_wasm_stack; nothing here runs async.
    c.async_stack_size(WASM_STACK_BYTES);
    // Compile on the calling thread: compile time stays attributable and
    // never competes with block production behind its back.
    c.parallel_compilation(false);
    c.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config(
        KEEP_RESIDENT_BYTES,
    )));
    c
}

/// The pooling allocator's slots, sized by the limits in `limits.rs`, with
/// `keep_resident` bytes of each memory reset in place on reuse (the engine
/// uses `KEEP_RESIDENT_BYTES`; benchmarks vary it).
pub fn pooling_config(keep_resident: usize) -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(POOL_INSTANCES);
    pool.total_memories(POOL_INSTANCES);
    pool.total_tables(POOL_INSTANCES);
    pool.max_memories_per_module(1);
    pool.max_tables_per_module(MAX_TABLES);
    pool.max_memory_size((MAX_MEMORY_PAGES * 65_536) as usize);
    pool.table_elements(MAX_TABLE_ELEMENTS as usize);
    pool.total_component_instances(0);
    // When a slot is reused its memory must read as fresh. By default
    // wasmtime gives every page back with madvise and the next call faults
    // them in again: about a quarter of a token transfer's time. Instead the
    // low `keep_resident` bytes are reset in place with memset (contracts built
    // by `orac build` have a 64 KiB stack at the bottom of memory, so that is
    // where their calls write). Only the cost of the reset changes: contents
    // are identical either way. PAGEMAP_SCAN (reset only dirty pages) was
    // measured slower here: the scan syscall costs more than the memset.
    pool.linear_memory_keep_resident(keep_resident);
    // Keep every freed slot warm (wasmtime's default is 100, shared out
    // between per-core shards): a block that calls more distinct contracts
    // than that otherwise re-maps a cold slot for each call (two mmaps;
    // measured 3x slower per callback past ~50 subscriber contracts in
    // oracle-bench). At most POOL_INSTANCES × keep_resident stays resident.
    pool.max_unused_warm_slots(POOL_INSTANCES);
    pool.table_keep_resident(16 * 1024);
    pool
}

/// Bytes of each pooled linear memory reset with memset rather than madvise
/// when its slot is reused (see `engine_config`).
const KEEP_RESIDENT_BYTES: usize = 128 * 1024;

impl VmEngine {
    /// An engine with the host functions linked and the disk cache (if
    /// any) opened.
    pub fn new(config: &VmConfig) -> Result<Self, VmError> {
        let engine = Engine::new(&engine_config()).map_err(|e| VmError::Engine(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        crate::host::define(&mut linker).map_err(|e| VmError::Engine(e.to_string()))?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let fingerprint = format!("{:016x}-winch-s{SCHEDULE_VERSION}", h.finish());
        let disk = match &config.cache_dir {
            Some(dir) => Some(
                DiskCache::open(dir, fingerprint, config.cache_bytes)
                    .map_err(|e| VmError::Cache(format!("{}: {e}", dir.display())))?,
            ),
            None => None,
        };
        Ok(Self {
            engine,
            linker,
            disk,
            evicted: Mutex::new(Vec::new()),
            modules: Mutex::new(Lru {
                map: HashMap::new(),
                tick: 0,
            }),
            idle: IdleInstances::default(),
        })
    }

    /// The ready module for `code`, from memory, disk, or a fresh compile.
    /// `validated`: what `validate(code)` returned, if the caller already
    /// has it. `persistable`: a fresh compile may later be written to disk
    /// by [`Self::persist`] (false for simulations).
    pub fn prepare(
        &self,
        code_hash: H256,
        code: &[u8],
        validated: Option<ModuleInfo>,
        persistable: bool,
    ) -> Result<Arc<Compiled>, DeployError> {
        if let Some(c) = self.modules.lock().get(&code_hash) {
            return Ok(c);
        }
        let loaded = self
            .disk
            .as_ref()
            .and_then(|d| d.load(&self.engine, &code_hash));
        let on_disk = loaded.is_some();
        let (module, info, unpersisted) = match loaded {
            Some((module, info)) => (module, info, false),
            None => {
                let info = match validated {
                    Some(info) => info,
                    None => validate(code)?,
                };
                let instrumented = crate::instrument::instrument(code, &info)?;
                let module = Module::new(&self.engine, &instrumented)
                    .map_err(|e| DeployError::Malformed(format!("compile: {e}")))?;
                (module, info, persistable)
            }
        };
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|e| DeployError::Malformed(format!("link: {e}")))?;
        let compiled = Arc::new(Compiled {
            code_hash,
            code_len: code.len(),
            pre,
            info,
            snapshot: SnapshotCell::new(),
        });
        let evicted = self
            .modules
            .lock()
            .put(code_hash, compiled.clone(), unpersisted, on_disk);
        if let Some(e) = evicted
            && self.disk.is_some()
        {
            self.evicted.lock().push(e);
        }
        Ok(compiled)
    }

    /// Writes to the disk cache the modules of code that is now committed
    /// and not on disk yet: those of `deployed` (the code a block just
    /// deployed, whoever compiled it first, a simulation included), and
    /// those a block's execution compiled whose code `committed` says is
    /// in committed state (a call to code the node had no artifact for).
    /// The chain calls this after each block. What simulations compiled
    /// for code that is not committed, and what failed or reverted deploys
    /// compiled, is never written.
    pub fn persist(&self, deployed: &[H256], committed: impl Fn(&H256) -> bool) {
        let Some(disk) = &self.disk else {
            return;
        };
        let mut candidates: Vec<Arc<Compiled>> = std::mem::take(&mut *self.evicted.lock());
        {
            let mut modules = self.modules.lock();
            for (hash, e) in modules.map.iter_mut() {
                if !e.on_disk && (e.unpersisted || deployed.contains(hash)) {
                    // A block's module is checked once: if it is not
                    // committed now, a later deploy of the same code names
                    // it again.
                    e.unpersisted = false;
                    candidates.push(e.compiled.clone());
                }
            }
        }
        let mut stored = Vec::new();
        for c in candidates {
            if deployed.contains(&c.code_hash) || committed(&c.code_hash) {
                disk.store(&c.code_hash, c.pre.module(), &c.info);
                stored.push(c.code_hash);
            }
        }
        let mut modules = self.modules.lock();
        for hash in stored {
            if let Some(e) = modules.map.get_mut(&hash) {
                e.on_disk = true;
            }
        }
    }

    /// Bytes the on-disk cache holds (0 without one).
    pub fn disk_cache_bytes(&self) -> u64 {
        self.disk.as_ref().map_or(0, DiskCache::used_bytes)
    }

    /// The ready module for `code_hash` if it is in the memory cache.
    pub fn cached(&self, code_hash: &H256) -> Option<Arc<Compiled>> {
        self.modules.lock().get(code_hash)
    }

    /// Whether `code_hash` is compiled and in the memory cache.
    pub fn is_cached(&self, code_hash: &H256) -> bool {
        self.modules.lock().map.contains_key(code_hash)
    }

    /// Drops the in-memory cache and the idle instances (the disk cache
    /// stays).
    pub fn clear_memory_cache(&self) {
        self.modules.lock().map.clear();
        self.idle.clear();
    }
}
