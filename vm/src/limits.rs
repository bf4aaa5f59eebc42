//! Every limit the VM enforces, with why it exists. They are consensus
//! rules: changing one changes which contracts deploy and which calls fail.

/// Largest deployable module, in bytes. Bounds storage and compile time
/// (Winch compiles in time linear in the code: `vm-adversary --sections
/// compile`) and must fit a transaction (128 KiB).
pub const MAX_CODE_SIZE: usize = 120 * 1024;

/// Functions defined in a module. Rust contracts use tens to hundreds.
pub const MAX_FUNCTIONS: u32 = 4_096;

/// Parameters of one function type.
pub const MAX_PARAMS: u32 = 64;

/// Results of one function type (multi-value).
pub const MAX_RESULTS: u32 = 16;

/// Parameters plus locals of one function: they are its frame (16 KiB at
/// most), zeroed on every call (`gas::LOCAL_ZEROING_FUEL`).
pub const MAX_LOCALS: u32 = 2_048;

/// `block`, `loop` and `if` in one function: the compiler's control stack.
/// (They also bounded Cranelift's superlinear SSA construction, together
/// with limits on locals × blocks; Winch has no such step, and
/// `vm-adversary` finds no shape that compiles superlinearly.)
pub const MAX_BLOCKS_PER_FUNCTION: u32 = 4_096;

/// `block`, `loop` and `if` in the whole module.
pub const MAX_BLOCKS_PER_MODULE: u32 = 32_768;

/// Targets of one `br_table`. Rust emits them for dense `match`es (tens of
/// targets in the example contracts).
pub const MAX_BR_TABLE_TARGETS: u32 = 256;

/// Operand-stack depth of one function, as the validator tracks it.
pub const MAX_OPERAND_STACK: u32 = 1_024;

/// Function types. wasmtime compiles a trampoline (with Cranelift) for
/// every distinct signature, 60–110 µs each whatever the module's size: a
/// module of 1,000 distinct types compiled in 120 ms from 13 KB. Rust
/// contracts have 15–30 (the examples).
pub const MAX_TYPES: u32 = 128;

/// Distinct functions exported or listed in element segments (tables).
/// Each needs an entry trampoline, ~110 µs to compile: 1,000 tiny
/// functions in a table compiled in 134 ms from 16 KB. The examples have
/// 8–31 in their tables.
pub const MAX_ESCAPING_FUNCTIONS: u32 = 128;

/// Globals defined by the module.
pub const MAX_GLOBALS: u32 = 1_024;

/// Tables: Rust emits one (for `call_indirect`).
pub const MAX_TABLES: u32 = 1;

/// Elements of the table, initial and after growth.
pub const MAX_TABLE_ELEMENTS: u32 = 8_192;

/// Element segments.
pub const MAX_ELEMENT_SEGMENTS: u32 = 256;

/// Data segments.
pub const MAX_DATA_SEGMENTS: u32 = 1_024;

/// Exports.
pub const MAX_EXPORTS: u32 = 256;

/// Linear memory pages (64 KiB each): 1 MiB. Initial pages above this are
/// refused at deploy; `memory.grow` past it (or past a smaller declared
/// maximum) returns -1. Memory is capped where a load's latency is still
/// that of a cache: a pointer chase over 1 MiB waits ~16 ns per hop on the
/// reference machine, over 4 MiB 19–34 ns (TLB misses, under
/// virtualisation), over 16 MiB ~140 ns (a miss to DRAM every hop), which
/// no per-load price could cover without making ordinary loads absurdly
/// dear (`gas::LARGE_MEMORY_LOAD_FUEL`). Ethereum's quadratic memory price
/// keeps EVM memory to a few MiB per transaction.
pub const MAX_MEMORY_PAGES: u64 = 16;

/// A memory whose declared maximum is at most this many pages (256 KiB)
/// stays in the caches closest to the core: a pointer chase over it waits
/// ~4–5 ns per hop, against ~16 ns over 1 MiB. Loads in such modules
/// cost `gas::LOAD_FUEL`, in others `gas::LARGE_MEMORY_LOAD_FUEL`. `orac
/// build` declares this maximum unless told otherwise.
pub const SMALL_MEMORY_PAGES: u64 = 4;

/// Nested calls (messages) in one transaction, counting the first. Each
/// level costs native stack for the host frames between instances; see
/// [`EXECUTION_THREAD_STACK`].
pub const MAX_CALL_DEPTH: usize = 64;

/// Budget of the deterministic stack-height counter for one transaction,
/// shared by every frame of every nested call, in slots. A frame costs
/// `FRAME_OVERHEAD_SLOTS + params + locals + max operand stack` (computed
/// at deploy by `validate.rs`). Exceeding it traps at the same instruction
/// on every machine with "stack limit exceeded": whether a call is too
/// deep is decided by this counter alone.
pub const MAX_STACK_SLOTS: u32 = 256 * 1024;

/// Slots charged per frame on top of its values: return address, frame
/// pointer, the two VM-context pointers Winch keeps in every frame, the
/// instrumentation's five scratch locals, and alignment.
pub const FRAME_OVERHEAD_SLOTS: u32 = 16;

/// Native stack bytes one slot stands for: an upper bound of what Winch
/// (the consensus compiler, `engine.rs`) puts in a frame per local or
/// operand-stack value. Winch gives each local a fixed frame slot of its
/// own size (4 or 8 bytes; no SIMD), spills operand-stack values to 8-byte
/// slots, and at a call holds at most the spilled operands plus an
/// argument and results area, each no larger than the operand stack
/// itself: at most 16 bytes per slot. Cranelift could not be bounded so:
/// its frames grow with the values live across control-flow merges
/// (`engine.rs`). `vm-adversary --sections stack` measures the worst ratio
/// over generated frame shapes (docs/gas.md, "Stack");
/// `deep_recursion_hits_the_deterministic_limit` (vm/tests/stack.rs) runs
/// the worst ones at the counter's limit.
pub const BYTES_PER_SLOT: usize = 16;

/// wasmtime's own per-store stack limit: what the counter allows, plus
/// slack for the entry trampoline. Each nested call is a new store with a
/// new window of this size, but the counter is shared, so all windows
/// together hold at most `MAX_STACK_SLOTS × BYTES_PER_SLOT` bytes of wasm
/// frames. Set this tight on purpose: if the bound above ever failed,
/// wasmtime would trap ("native stack exhausted", machine-dependent and so
/// a consensus bug the tests look for) long before the thread could
/// overflow.
pub const WASM_STACK_BYTES: usize = MAX_STACK_SLOTS as usize * BYTES_PER_SLOT + 64 * 1024;

/// Native stack of the host frames of one call level (a host call, the
/// message, compiling a module a `create` deploys, entering the next
/// store): measured under 8 KiB per level in a debug build and ~320 KiB
/// for a compile; this allows 1 MiB.
pub const HOST_STACK_PER_LEVEL: usize = 1024 * 1024;

/// Native stack of the threads that run contracts: every level's wasmtime
/// window full plus its host frames, so that even if the counter's bound
/// were wrong no contract could overflow the thread (that aborts the
/// process). It is virtual memory, committed only as it is used: a
/// transaction at the counter's limit touches about 4 MiB.
pub const EXECUTION_THREAD_STACK: usize =
    MAX_CALL_DEPTH * (WASM_STACK_BYTES + HOST_STACK_PER_LEVEL);

/// Bytes of return data a call may produce, and of revert data.
pub const MAX_RETURN_DATA: usize = 1024 * 1024;

/// Bytes of data in one log...
pub const MAX_LOG_DATA: usize = 64 * 1024;
/// ... and topics per log (as on Ethereum).
pub const MAX_LOG_TOPICS: usize = 4;

/// Pooling allocator slots: instances (and memories, tables) alive at once
/// across all executions. Every execution holds at most `MAX_CALL_DEPTH`;
/// the node bounds concurrent executions so the pool never runs dry.
pub const POOL_INSTANCES: u32 = 1_000;

/// Instances kept for reuse, per engine, after their message ended
/// (`instance.rs`), least recently used dropped first. Each holds a pool
/// slot and at most `REUSE_MAX_PAGES` of resident memory (~20 MB in all):
/// with `MAX_CALL_DEPTH` per execution and the node's bounded concurrent
/// executions they stay well inside `POOL_INSTANCES`. As many as an oracle
/// feed may have subscribers, so a round's callbacks all find one (with 32,
/// 100 distinct subscriber contracts evicted each other every round).
pub const IDLE_INSTANCES: usize = 128;

/// Largest initial memory, in pages, of an instance kept for reuse:
/// resetting rewrites all of it, which for one or two pages costs less than
/// a fresh instance (and the same as wasmtime's own reset of a pool slot).
pub const REUSE_MAX_PAGES: u64 = 2;

/// Most mutable globals an instance kept for reuse may have (Rust modules
/// have one, the shadow stack pointer).
pub const REUSE_MAX_GLOBALS: usize = 16;

/// Compiled modules kept ready to instantiate in memory. Loading one from
/// the disk cache costs ~0.2–0.4 ms (charged: `gas::CODE_LOAD_BASE`); the
/// code of a loaded module is mapped from its file, so what stays resident
/// for each is mostly its metadata.
pub const MODULE_CACHE_ENTRIES: usize = 1_024;
