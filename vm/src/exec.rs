//! Message execution: calls and contract creation, nested to any depth up
//! to the limit, each frame in its own wasmtime store and instance.
//!
//! A transaction's shared state ([`TxContext`]: the journaled overlay, the
//! block, warm sets, depth, stack height) moves into the store of the frame
//! that is running and back out when it finishes, so exactly one frame owns
//! it at any time without locks. Each frame gets its own store, so its
//! instance is freed the moment it returns (a loop of 10,000 sub-calls never
//! holds 10,000 instances).
//!
//! Gas: the caller's remaining gas is its store's fuel. A sub-call takes its
//! budget out of that fuel up front (at most 63/64 of what is left) and gives
//! back what the callee did not use. A revert returns the unused gas; a trap
//! or running out of gas consumes the frame's whole budget, as on Ethereum.
//! Either way the frame's state changes and logs are rolled back to the
//! checkpoint taken when it started.

use std::sync::Arc;

use orac_primitives::{Address, Bytes, EMPTY_CODE_HASH, H256, U256, keccak256, keccak256_concat};
use orac_state::{Overlay, StateError, Transfer};
pub use wasmtime::Trap;
use wasmtime::{Global, Memory};

use crate::engine::VmEngine;
use crate::gas;
use crate::instance::Live;
use crate::limits::*;
use crate::validate::DeployError;

/// The block a message runs in.
#[derive(Clone, Debug, Default)]
pub struct BlockEnv {
    /// Height of the block.
    pub number: u64,
    /// Its timestamp, in seconds since the Unix epoch.
    pub timestamp: u64,
    /// Its producer's address.
    pub coinbase: Address,
    /// Its EIP-1559 base fee per gas.
    pub base_fee: U256,
    /// Its gas limit.
    pub gas_limit: u64,
    /// The chain's EIP-155 id.
    pub chain_id: u64,
    /// EIP-4399 `prevrandao`.
    pub prev_randao: H256,
}

/// The transaction-wide context the host functions see.
#[derive(Clone, Debug, Default)]
pub struct TxEnv {
    /// The block the transaction runs in.
    pub block: BlockEnv,
    /// The transaction's sender (`origin` to contracts).
    pub origin: Address,
    /// What the sender pays per gas.
    pub gas_price: U256,
    /// The transaction's access list (EIP-2930): accounts and slots it
    /// paid to have warm from the start.
    pub access_list: Vec<(Address, Vec<H256>)>,
}

/// State shared by all frames of one transaction.
pub struct TxContext {
    /// The journaled state every frame reads and writes.
    pub state: Overlay,
    /// The transaction and its block.
    pub env: TxEnv,
    pub(crate) engine: Arc<VmEngine>,
    pub(crate) depth: usize,
    /// Stack slots used by the frames below the running one.
    pub(crate) stack_base: u32,
    /// Accounts, slots and code touched so far (EIP-2929), rolled back
    /// with a failed frame.
    pub(crate) warm: crate::warm::Warm,
    pub(crate) systems: crate::system::Systems,
    /// A simulation: what it compiles is never persisted.
    pub(crate) simulation: bool,
}

impl TxContext {
    /// Warms what is warm before anything runs: the sender and the target
    /// (`accounts`) and the access list. Not journaled: no frame can give
    /// it back.
    pub(crate) fn prewarm(&mut self, accounts: [Address; 2]) {
        for a in accounts {
            self.warm.account(a);
        }
        for (a, keys) in &self.env.access_list {
            self.warm.account(*a);
            for k in keys {
                self.warm.slot(*a, *k);
            }
        }
    }
}

/// Why a frame stopped early, carried out of host functions as an error.
#[derive(Debug)]
pub(crate) enum Exit {
    /// `revert` was called: roll back, return the data and the unused gas.
    Revert,
    /// A rule was broken (bad pointer, state change in a static call,
    /// oversized data): roll back and consume the frame's gas.
    Fault(Fault),
    /// The database failed: the whole block must stop.
    Fatal(StateError),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Revert => f.write_str("revert"),
            Exit::Fault(fault) => write!(f, "{fault}"),
            Exit::Fatal(e) => write!(f, "fatal: {e}"),
        }
    }
}

impl std::error::Error for Exit {}

/// A running frame: the store data of one instance.
pub struct Frame {
    pub(crate) tx: Option<Box<TxContext>>,
    pub(crate) address: Address,
    pub(crate) caller: Address,
    pub(crate) value: U256,
    pub(crate) input: Arc<[u8]>,
    pub(crate) is_static: bool,
    pub(crate) output: Vec<u8>,
    /// Output of the last sub-call (return or revert data).
    pub(crate) return_data: Vec<u8>,
    pub(crate) memory: Option<Memory>,
    /// The injected stack counter (`instrument.rs`).
    pub(crate) stack: Option<Global>,
    /// Chunks of memory host functions wrote (`instance.rs`).
    pub(crate) host_dirty: u64,
    pub(crate) table_elements: usize,
}

impl Frame {
    /// The data of a store whose instance is not running.
    pub(crate) fn idle() -> Self {
        Self {
            tx: None,
            address: Address::zero(),
            caller: Address::zero(),
            value: U256::zero(),
            input: Arc::from(&[][..]),
            is_static: false,
            output: Vec::new(),
            return_data: Vec::new(),
            memory: None,
            stack: None,
            host_dirty: 0,
            table_elements: 0,
        }
    }

    /// Prepares the store's data for running `call`.
    fn begin(&mut self, tx: Box<TxContext>, call: &Call) {
        self.tx = Some(tx);
        self.address = call.address;
        self.caller = call.caller;
        self.value = call.value;
        self.input = call.input.clone();
        self.is_static = call.is_static;
        self.output.clear();
        self.return_data.clear();
    }

    pub(crate) fn tx(&mut self) -> &mut TxContext {
        // Present whenever this frame's own code is running; taken only
        // while a nested frame runs, during which this one cannot execute.
        self.tx
            .as_mut()
            .expect("the running frame owns the transaction context")
    }
}

impl wasmtime::ResourceLimiter for Frame {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Initial pages are charged before instantiating, growth by the
        // host function `memory.grow` is rewritten to, before it asks.
        Ok((desired / 65_536) as u64 <= MAX_MEMORY_PAGES)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.table_elements = desired;
        Ok(desired <= MAX_TABLE_ELEMENTS as usize)
    }

    fn instances(&self) -> usize {
        1
    }
    fn tables(&self) -> usize {
        MAX_TABLES as usize
    }
    fn memories(&self) -> usize {
        1
    }
}

/// How a frame ended.
#[derive(Debug, Clone, Default)]
pub struct FrameResult {
    /// Whether the frame returned (not reverted or halted).
    pub success: bool,
    /// Gas not used, returned to the caller.
    pub gas_left: u64,
    /// Return data, or revert data on failure.
    pub output: Vec<u8>,
    /// Why it failed, when it did not simply revert.
    pub error: Option<Halt>,
    /// The contract a successful creation deployed.
    pub created: Option<Address>,
}

impl FrameResult {
    pub(crate) fn fail(gas_left: u64, halt: Halt) -> Self {
        Self {
            success: false,
            gas_left,
            error: Some(halt),
            ..Default::default()
        }
    }
}

/// Why a frame halted without returning or reverting (revm's
/// `HaltReason`). `Display` gives the text receipts, `eth_call` errors and
/// geth-style clients see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Halt {
    /// The frame's gas ran out (while running, loading its code or setting
    /// up its instance).
    #[error("out of gas")]
    OutOfGas,
    /// A deploy's gas does not cover storing and compiling its module.
    #[error("out of gas paying for code deposit")]
    CodeDepositOutOfGas,
    /// The deterministic stack counter passed [`MAX_STACK_SLOTS`].
    #[error("stack limit exceeded")]
    StackLimit,
    /// The call would be deeper than [`MAX_CALL_DEPTH`] (the caller keeps
    /// the gas).
    #[error("call depth limit exceeded")]
    DepthLimit,
    /// A deploy to an address that already has code or a nonce, or to a
    /// system contract.
    #[error("contract address collision")]
    Collision,
    /// The caller cannot pay the value the message carries.
    #[error("insufficient balance for transfer")]
    InsufficientBalance,
    /// The value would take the recipient's balance past 2^256-1.
    #[error("transfer overflows the recipient's balance")]
    BalanceOverflow,
    /// The module does not validate or compile.
    #[error("invalid contract code: {0}")]
    InvalidCode(DeployError),
    /// A creation whose data is not a deploy envelope.
    #[error("{0}")]
    BadEnvelope(DeployError),
    /// wasmtime could not instantiate the module.
    #[error("instantiation failed: {0}")]
    Instantiation(String),
    /// The contract trapped (`unreachable`, a bad memory access, ...).
    #[error("{}", trap_text(.0))]
    Trap(Trap),
    /// wasmtime's own native stack guard fired before the deterministic
    /// counter (a broken bound: see `vm/src/limits.rs`).
    #[error("native stack exhausted")]
    NativeStackExhausted,
    /// Execution failed in a way wasmtime reports only as text.
    #[error("execution failed: {0}")]
    Failed(String),
    /// A host function refused (bad pointer, state change in a static
    /// call, oversized data): the rule broken.
    #[error("{0}")]
    Fault(Fault),
}

/// The rule a host function found broken, failing its frame. `Display`
/// gives the text receipts and `eth_call` errors have always shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Fault {
    /// The module exports no linear memory for the host to read or write.
    #[error("contract has no memory")]
    NoMemory,
    /// A pointer and length that do not lie within linear memory.
    #[error("out-of-bounds pointer: {len} bytes at {start}")]
    OutOfBounds {
        /// Bytes asked for.
        len: usize,
        /// Where they start.
        start: usize,
    },
    /// A state change attempted inside a static call.
    #[error("{0} in a static call")]
    StaticCall(StateChange),
    /// A guest-supplied length over its limit, refused before anything
    /// is allocated for it.
    #[error("{what} too large: {len} bytes, limit {limit}")]
    TooLarge {
        /// What the length measures.
        what: Bounded,
        /// The length asked for.
        len: usize,
        /// The most allowed.
        limit: usize,
    },
    /// A `calldata_copy` range past the end of the call's input.
    #[error("calldata range {start}+{len} past its end ({end})")]
    CalldataRange {
        /// Offset of the range.
        start: usize,
        /// Bytes asked for.
        len: usize,
        /// The input's length.
        end: usize,
    },
    /// A `return_data_copy` range past the end of the last sub-call's
    /// output.
    #[error("return data range {start}+{len} past its end ({end})")]
    ReturnDataRange {
        /// Offset of the range.
        start: usize,
        /// Bytes asked for.
        len: usize,
        /// The return data's length.
        end: usize,
    },
    /// A sub-call from a frame that does not hold the transaction (cannot
    /// happen while frames nest properly; a frame fails rather than the
    /// node).
    #[error("no transaction context")]
    NoTransactionContext,
}

/// A state change a static call may not make ([`Fault::StaticCall`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateChange {
    /// `storage_write` or `storage_remove`.
    #[error("storage write")]
    StorageWrite,
    /// `emit_log`.
    #[error("log")]
    Log,
    /// A `call` carrying value.
    #[error("value transfer")]
    ValueTransfer,
    /// `create` or `create2`.
    #[error("contract creation")]
    ContractCreation,
}

/// A guest-supplied length the host bounds ([`Fault::TooLarge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Bounded {
    /// `calldata_copy`'s length.
    #[error("calldata copy")]
    CalldataCopy,
    /// `set_return`'s data.
    #[error("return data")]
    ReturnData,
    /// `revert`'s data.
    #[error("revert data")]
    RevertData,
    /// `emit_log`'s number of topics (counted, not bytes, though the
    /// message says bytes as it always has).
    #[error("topic count")]
    TopicCount,
    /// `emit_log`'s data.
    #[error("log data")]
    LogData,
    /// The input of `call` or `static_call`.
    #[error("call data")]
    CallData,
    /// `return_data_copy`'s length.
    #[error("return data copy")]
    ReturnDataCopy,
    /// The envelope and arguments of `create` or `create2`.
    #[error("creation data")]
    CreationData,
    /// `keccak256`'s input.
    #[error("keccak input")]
    KeccakInput,
}

fn trap_text(trap: &Trap) -> String {
    match trap {
        Trap::UnreachableCodeReached => "unreachable executed (contract panicked)".into(),
        Trap::MemoryOutOfBounds => "out-of-bounds memory access".into(),
        t => format!("trap: {t}"),
    }
}

impl From<Transfer> for Halt {
    /// Why a message fails when its value cannot move (never called with
    /// [`Transfer::Done`]).
    fn from(t: Transfer) -> Self {
        match t {
            Transfer::RecipientOverflow => Halt::BalanceOverflow,
            Transfer::Done | Transfer::InsufficientBalance => Halt::InsufficientBalance,
        }
    }
}

/// What a frame is asked to do.
pub(crate) struct Call {
    pub(crate) address: Address,
    pub(crate) caller: Address,
    pub(crate) value: U256,
    pub(crate) input: Arc<[u8]>,
    pub(crate) is_static: bool,
    /// `None`: run the account's code (a message call). `Some`: deploy this
    /// module at `address` and run its constructor.
    pub(crate) deploy: Option<Vec<u8>>,
}

/// The address of a contract created by `sender` at `nonce` (CREATE).
pub fn create_address(sender: &Address, nonce: u64) -> Address {
    let mut s = rlp::RlpStream::new_list(2);
    s.append(sender);
    s.append(&nonce);
    Address::from_slice(&keccak256(s.out())[12..])
}

/// The address of a contract created with a salt (CREATE2):
/// keccak(0xff ‖ sender ‖ salt ‖ keccak(creation data))[12..].
pub fn create2_address(sender: &Address, salt: &H256, creation_data: &[u8]) -> Address {
    let code_hash = keccak256(creation_data);
    let h = keccak256_concat(&[
        &[0xff],
        sender.as_bytes(),
        salt.as_bytes(),
        code_hash.as_bytes(),
    ]);
    Address::from_slice(&h[12..])
}

/// Gas to deploy a module of `module_len` bytes for which wasmtime
/// compiles `trampolines` trampolines (`ModuleInfo::trampolines`): storing
/// and compiling it per byte, plus each trampoline, the instrumentation's
/// internal imports' included.
pub fn deploy_cost(module_len: usize, trampolines: u32) -> u64 {
    let trampolines = u64::from(trampolines) + crate::host::abi::INTERNAL_FUNCTIONS.len() as u64;
    (gas::CODE_DEPOSIT_BYTE + gas::COMPILE_BYTE) * module_len as u64
        + gas::COMPILE_TRAMPOLINE * trampolines
}

/// Runs `call` as a child of a frame whose stack height is `height` (the
/// running frame's own counter for a contract, its entry height for a
/// system contract), one call level deeper. Depth and stack base are put
/// back afterwards, so the next child of the same parent starts from the
/// parent's height, not from wherever a sibling's frames ended.
pub(crate) fn run_child(
    mut tx: Box<TxContext>,
    call: Call,
    gas: u64,
    height: u32,
) -> (Box<TxContext>, Result<FrameResult, StateError>) {
    let (depth, base) = (tx.depth, tx.stack_base);
    tx.depth += 1;
    tx.stack_base = height;
    let (mut tx, result) = run_frame(tx, call, gas);
    tx.depth = depth;
    tx.stack_base = base;
    (tx, result)
}

/// Runs one frame. Fatal (database) errors end everything; every other
/// failure is a failed frame whose effects are rolled back.
pub(crate) fn run_frame(
    mut tx: Box<TxContext>,
    call: Call,
    gas: u64,
) -> (Box<TxContext>, Result<FrameResult, StateError>) {
    if tx.depth >= MAX_CALL_DEPTH {
        // Like Ethereum: the call fails and the caller keeps the gas.
        return (tx, Ok(FrameResult::fail(gas, Halt::DepthLimit)));
    }
    let checkpoint = tx.state.checkpoint();
    let warm = tx.warm.checkpoint();
    let result = enter(&mut tx, &call, gas);
    let (tx, result) = match result {
        Ok(Prepared::Done(r)) => (tx, Ok(r)),
        Ok(Prepared::Run(compiled, gas)) => run_instance(tx, &call, compiled, gas),
        Ok(Prepared::System(contract, gas)) => crate::system::run_system(tx, &call, contract, gas),
        Err(e) => (tx, Err(e)),
    };
    let mut tx = tx;
    if let Ok(r) = &result
        && !r.success
    {
        tx.state.revert_to(checkpoint);
        tx.warm.revert(warm);
    }
    (tx, result)
}

enum Prepared {
    Done(FrameResult),
    Run(Arc<crate::engine::Compiled>, u64),
    System(Arc<dyn crate::system::SystemContract>, u64),
}

/// Everything before the instance runs: deployment, value transfer, code.
fn enter(tx: &mut TxContext, call: &Call, mut gas: u64) -> Result<Prepared, StateError> {
    if let Some(contract) = tx.systems.find(&call.address) {
        if call.deploy.is_some() {
            return Ok(Prepared::Done(FrameResult::fail(0, Halt::Collision)));
        }
        // The value lands in the system contract's home account, whichever
        // of its addresses was called; a method that takes no value
        // reverts, which moves it back.
        if !call.value.is_zero() {
            let moved = tx
                .state
                .transfer(&call.caller, &contract.home(), call.value)?;
            if !moved.is_done() {
                return Ok(Prepared::Done(FrameResult::fail(gas, moved.into())));
            }
        }
        return Ok(Prepared::System(contract, gas));
    }
    // The code is named by its hash; the bytes are only loaded (and cloned)
    // when the compiled module is not already in the engine's memory cache,
    // which keeps a call to a warm contract free of a keccak over its code.
    let mut validated = None;
    let (code_hash, code) = match &call.deploy {
        Some(module) => {
            // What a deploy costs depends on what is in the module, so it
            // is validated first (unless this very code is compiled already).
            let hash = keccak256(module);
            let trampolines = match tx.engine.cached(&hash) {
                Some(compiled) => compiled.info.trampolines,
                None => match crate::validate::validate(module) {
                    Ok(info) => validated.insert(info).trampolines,
                    Err(e) => {
                        return Ok(Prepared::Done(FrameResult::fail(0, Halt::InvalidCode(e))));
                    }
                },
            };
            let cost = deploy_cost(module.len(), trampolines);
            if cost > gas {
                return Ok(Prepared::Done(FrameResult::fail(
                    0,
                    Halt::CodeDepositOutOfGas,
                )));
            }
            gas -= cost;
            if let Some(existing) = tx.state.account(&call.address)?
                && (existing.nonce > 0 || existing.has_code())
            {
                return Ok(Prepared::Done(FrameResult::fail(0, Halt::Collision)));
            }
            // EIP-161: a new contract starts at nonce 1.
            tx.state.update_account(&call.address, |a| a.nonce = 1)?;
            let hash = tx.state.set_code(&call.address, Bytes(module.clone()))?;
            (hash, Some(module))
        }
        None => match tx.state.account(&call.address)? {
            Some(a) => (a.code_hash, None),
            None => (EMPTY_CODE_HASH, None),
        },
    };
    if !call.value.is_zero() {
        let moved = tx.state.transfer(&call.caller, &call.address, call.value)?;
        if !moved.is_done() {
            return Ok(Prepared::Done(FrameResult::fail(gas, moved.into())));
        }
    }
    if code_hash == EMPTY_CODE_HASH {
        // A plain account: the value moved, nothing runs.
        return Ok(Prepared::Done(FrameResult {
            success: true,
            gas_left: gas,
            created: call.deploy.as_ref().map(|_| call.address),
            ..Default::default()
        }));
    }
    let cached = tx.engine.cached(&code_hash);
    let loaded;
    let code: Option<&[u8]> = match (&cached, code) {
        (Some(_), _) => None,
        (None, Some(module)) => Some(module),
        (None, None) => {
            loaded = tx.state.code_by_hash(&code_hash)?;
            Some(&loaded)
        }
    };
    // The first run of some code in a transaction pays for loading it,
    // whether or not this node happens to have it compiled in memory (a
    // deploy has paid per byte already).
    let first_run = tx.warm.code(code_hash);
    if first_run && call.deploy.is_none() {
        let len = match (&cached, code) {
            (Some(c), _) => c.code_len,
            (None, code) => code.map_or(0, <[u8]>::len),
        };
        let cost = gas::code_load_cost(len);
        if cost > gas {
            return Ok(Prepared::Done(FrameResult::fail(0, Halt::OutOfGas)));
        }
        gas -= cost;
    }
    let prepared = match (cached, code) {
        (Some(compiled), _) => Ok(compiled),
        (None, code) => tx.engine.prepare(
            code_hash,
            code.unwrap_or_default(),
            validated,
            !tx.simulation,
        ),
    };
    match prepared {
        Ok(compiled) => {
            if call.deploy.is_some() && compiled.info.deploy_index.is_none() {
                return Ok(Prepared::Done(FrameResult {
                    success: true,
                    gas_left: gas,
                    created: Some(call.address),
                    ..Default::default()
                }));
            }
            Ok(Prepared::Run(compiled, gas))
        }
        Err(e) => Ok(Prepared::Done(FrameResult::fail(0, Halt::InvalidCode(e)))),
    }
}

fn run_instance(
    tx: Box<TxContext>,
    call: &Call,
    compiled: Arc<crate::engine::Compiled>,
    gas: u64,
) -> (Box<TxContext>, Result<FrameResult, StateError>) {
    let info = &compiled.info;
    let deploying = call.deploy.is_some() && info.deploy_index.is_some();
    let setup_gas = gas::INSTANTIATE + info.initial_pages * gas::MEMORY_PAGE;
    if setup_gas > gas {
        return (tx, Ok(FrameResult::fail(0, Halt::OutOfGas)));
    }
    let engine = tx.engine.clone();
    let mut live = match engine.idle.take(&compiled.code_hash) {
        Some(live) => live,
        // Idle instances hold pool slots: if the pool is out of them, give
        // those back before calling this frame a failure.
        None => match Live::new(&engine, &compiled).or_else(|e| {
            if e.is::<wasmtime::PoolConcurrencyLimitError>() {
                engine.idle.clear();
                Live::new(&engine, &compiled)
            } else {
                Err(e)
            }
        }) {
            Ok(live) => live,
            Err(e) => {
                return (
                    tx,
                    Ok(FrameResult::fail(0, Halt::Instantiation(e.to_string()))),
                );
            }
        },
    };
    let height = tx.stack_base.saturating_add(info.frame_cost(if deploying {
        info.deploy_index.unwrap_or(info.call_index)
    } else {
        info.call_index
    }));
    if height > MAX_STACK_SLOTS {
        engine.idle.put(live);
        return (tx, Ok(FrameResult::fail(0, Halt::StackLimit)));
    }
    live.store.data_mut().begin(tx, call);
    let fuel = gas::gas_to_fuel(gas - setup_gas).saturating_add(gas::FUEL_SENTINEL);
    let _ = live.store.set_fuel(fuel);
    if let Some(g) = &live.stack {
        let _ = g.set(&mut live.store, wasmtime::Val::I32(height as i32));
    }
    let func = match (&live.deploy, deploying) {
        (Some(deploy), true) => deploy,
        _ => &live.call,
    };
    let run = func.call(&mut live.store, ());
    let store = &mut live.store;
    // 0 is an overdrawn counter (see `gas::FUEL_SENTINEL`).
    let fuel_left = store.get_fuel().unwrap_or(0);
    let gas_left = fuel_left.saturating_sub(gas::FUEL_SENTINEL) / gas::FUEL_PER_GAS;
    let frame = store.data_mut();
    let mut reusable = true;
    let outcome = match run {
        Ok(()) if fuel_left == 0 => Ok(FrameResult::fail(0, Halt::OutOfGas)),
        Ok(()) => Ok(FrameResult {
            success: true,
            gas_left,
            output: std::mem::take(&mut frame.output),
            error: None,
            created: call.deploy.as_ref().map(|_| call.address),
        }),
        Err(err) => match err.downcast::<Exit>() {
            Ok(Exit::Revert) if fuel_left == 0 => Ok(FrameResult::fail(0, Halt::OutOfGas)),
            Ok(Exit::Revert) => Ok(FrameResult {
                success: false,
                gas_left,
                output: std::mem::take(&mut frame.output),
                error: None,
                created: None,
            }),
            Ok(Exit::Fault(fault)) => Ok(FrameResult::fail(0, Halt::Fault(fault))),
            Ok(Exit::Fatal(e)) => Err(e),
            Err(err) => {
                // A trap: the instance is dropped rather than reused, even
                // though wasmtime would allow it (nothing to gain).
                reusable = false;
                let stack_out = live
                    .stack
                    .map(|g| g.get(&mut live.store).i32().unwrap_or(0) as u32 > MAX_STACK_SLOTS)
                    .unwrap_or(false);
                Ok(FrameResult::fail(0, describe_trap(&err, stack_out)))
            }
        },
    };
    let tx = live
        .store
        .data_mut()
        .tx
        .take()
        .expect("the transaction context returns with its frame");
    if reusable {
        engine.idle.put(live);
    }
    (tx, outcome)
}

fn describe_trap(err: &wasmtime::Error, stack_exhausted: bool) -> Halt {
    if stack_exhausted {
        return Halt::StackLimit;
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Halt::OutOfGas,
        Some(Trap::StackOverflow) => {
            // Cannot happen while limits::BYTES_PER_SLOT bounds Winch's
            // frames: wasmtime's limit sits just above the counter's. If it
            // does, whether this call failed depends on the machine, which
            // is a consensus bug: say so loudly.
            tracing::error!(
                "wasmtime's native stack limit fired before the deterministic counter: \
                 the stack bound (vm/src/limits.rs) does not hold for this contract"
            );
            Halt::NativeStackExhausted
        }
        Some(t) => Halt::Trap(*t),
        None => Halt::Failed(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Receipts, `eth_call` errors and clients see these texts: a variant
    /// must read exactly as the string it replaced.
    #[test]
    fn halts_read_as_before() {
        let cases = [
            (Halt::OutOfGas, "out of gas"),
            (
                Halt::CodeDepositOutOfGas,
                "out of gas paying for code deposit",
            ),
            (Halt::StackLimit, "stack limit exceeded"),
            (Halt::DepthLimit, "call depth limit exceeded"),
            (Halt::Collision, "contract address collision"),
            (
                Halt::InsufficientBalance,
                "insufficient balance for transfer",
            ),
            (
                Halt::BalanceOverflow,
                "transfer overflows the recipient's balance",
            ),
            (
                Halt::InvalidCode(DeployError::MissingExport("call")),
                "invalid contract code: missing export: call",
            ),
            (
                Halt::BadEnvelope(DeployError::Envelope("empty module".into())),
                "bad deploy envelope: empty module",
            ),
            (
                Halt::Trap(Trap::UnreachableCodeReached),
                "unreachable executed (contract panicked)",
            ),
            (
                Halt::Trap(Trap::MemoryOutOfBounds),
                "out-of-bounds memory access",
            ),
            (
                Halt::Trap(Trap::IntegerDivisionByZero),
                "trap: wasm trap: integer divide by zero",
            ),
            (Halt::NativeStackExhausted, "native stack exhausted"),
            (
                Halt::Fault(Fault::TooLarge {
                    what: Bounded::LogData,
                    len: 1025,
                    limit: 1024,
                }),
                "log data too large: 1025 bytes, limit 1024",
            ),
        ];
        for (halt, text) in cases {
            assert_eq!(halt.to_string(), text);
        }
        for t in [Transfer::InsufficientBalance, Transfer::RecipientOverflow] {
            assert_eq!(Halt::from(t).to_string(), t.reason());
        }
    }

    /// Each fault reads exactly as the string the host functions used to
    /// format for it.
    #[test]
    fn faults_read_as_before() {
        let (len, start, end, max) = (40usize, 7usize, 12usize, 32usize);
        let cases = [
            (Fault::NoMemory, "contract has no memory".to_string()),
            (
                Fault::OutOfBounds { len, start },
                format!("out-of-bounds pointer: {len} bytes at {start}"),
            ),
            (
                Fault::CalldataRange { start, len, end },
                format!("calldata range {start}+{len} past its end ({end})"),
            ),
            (
                Fault::ReturnDataRange { start, len, end },
                format!("return data range {start}+{len} past its end ({end})"),
            ),
            (Fault::NoTransactionContext, "no transaction context".into()),
        ];
        for (fault, text) in cases {
            assert_eq!(fault.to_string(), text);
            assert_eq!(Halt::Fault(fault).to_string(), text);
        }
        for (what, text) in [
            (StateChange::StorageWrite, "storage write"),
            (StateChange::Log, "log"),
            (StateChange::ValueTransfer, "value transfer"),
            (StateChange::ContractCreation, "contract creation"),
        ] {
            assert_eq!(
                Fault::StaticCall(what).to_string(),
                format!("{text} in a static call")
            );
        }
        for (what, text) in [
            (Bounded::CalldataCopy, "calldata copy"),
            (Bounded::ReturnData, "return data"),
            (Bounded::RevertData, "revert data"),
            (Bounded::TopicCount, "topic count"),
            (Bounded::LogData, "log data"),
            (Bounded::CallData, "call data"),
            (Bounded::ReturnDataCopy, "return data copy"),
            (Bounded::CreationData, "creation data"),
            (Bounded::KeccakInput, "keccak input"),
        ] {
            let fault = Fault::TooLarge {
                what,
                len,
                limit: max,
            };
            assert_eq!(
                fault.to_string(),
                format!("{text} too large: {len} bytes, limit {max}")
            );
        }
    }
}
