//! orac's WebAssembly contract engine.
//!
//! * [`validate`](validate::validate): the deploy rules (features, imports,
//!   exports, structural limits).
//! * [`instrument`]: deterministic stack bounding.
//! * [`engine`]: wasmtime configured for consensus, plus the code caches.
//! * [`instance`]: instances reset and kept between messages.
//! * [`host`]: the host ABI (docs/host-abi.md).
//! * [`exec`]: messages — calls, static calls, creation — nested in their
//!   own stores, with gas forwarded by the 63/64 rule.
//!
//! The entry points are [`Vm::call`] and [`Vm::create`]; both borrow the
//! transaction's journaled state (`&mut Overlay`), move it into the frames
//! for the length of the message and put it back, whatever the outcome.

mod cache;
pub mod engine;
pub mod envelope;
pub mod exec;
pub mod gas;
pub mod host;
mod instance;
pub mod instrument;
pub mod limits;
pub mod system;
pub mod validate;
mod warm;

use std::sync::Arc;

use orac_primitives::{Address, Bytes, H256, U256};
use orac_state::{Overlay, StateError};

pub use engine::{DEFAULT_CACHE_BYTES, VmConfig, VmEngine, VmError};
pub use exec::{
    BlockEnv, Bounded, Fault, FrameResult, Halt, StateChange, Trap, TxEnv, create_address,
    create2_address,
};
pub use system::{SystemCall, SystemContract, SystemExit, Systems};
pub use validate::{DeployError, ModuleInfo};

use exec::{Call, TxContext, run_frame};

/// The VM: an engine with its caches. Cheap to clone and share.
#[derive(Clone)]
pub struct Vm {
    engine: Arc<VmEngine>,
    systems: Systems,
    /// Runs simulations (`eth_call`, `eth_estimateGas`): nothing they
    /// compile is ever written to the on-disk cache.
    simulation: bool,
    /// Where each top-level message leaves the accounts and slots it
    /// accessed (`eth_createAccessList`); `None` for everything else.
    access: Option<Arc<parking_lot::Mutex<AccessList>>>,
}

/// Accounts and the storage slots of each that a message accessed (and
/// did not give back by failing), in address and slot order.
pub type AccessList = std::collections::BTreeMap<Address, std::collections::BTreeSet<H256>>;

impl Vm {
    /// A VM with no system contracts, whose engine `config` sets up.
    pub fn new(config: &VmConfig) -> Result<Self, VmError> {
        Ok(Self {
            engine: Arc::new(VmEngine::new(config)?),
            systems: Systems::default(),
            simulation: false,
            access: None,
        })
    }

    /// The same VM (engine, caches, system contracts) for simulations:
    /// modules they compile stay in memory only, whatever code they run.
    pub fn for_simulation(&self) -> Self {
        Self {
            simulation: true,
            ..self.clone()
        }
    }

    /// A simulation handle that records, after each message, what it
    /// accessed into `sink`.
    pub fn recording_access(&self, sink: Arc<parking_lot::Mutex<AccessList>>) -> Self {
        Self {
            simulation: true,
            access: Some(sink),
            ..self.clone()
        }
    }

    /// Hands the message's accessed set to the sink, if recording.
    fn record(&self, tx: &TxContext) {
        if let Some(sink) = &self.access {
            *sink.lock() = tx.warm.accessed();
        }
    }

    /// Adds a native system contract (see [`system`]). Part of the chain's
    /// rules: every node must register the same ones.
    pub fn with_system(mut self, contract: Arc<dyn SystemContract>) -> Self {
        self.systems = self.systems.with(contract);
        self
    }

    /// The engine and its caches.
    pub fn engine(&self) -> &VmEngine {
        &self.engine
    }

    fn context(&self, state: &mut Overlay, env: TxEnv) -> Box<TxContext> {
        Box::new(TxContext {
            state: take(state),
            env,
            engine: self.engine.clone(),
            depth: 0,
            stack_base: 0,
            warm: warm::Warm::default(),
            systems: self.systems.clone(),
            simulation: self.simulation,
        })
    }

    /// Runs a message call from `from` to `to` with `gas`. Value moves
    /// first; an account without code just receives it.
    #[allow(clippy::too_many_arguments)]
    pub fn call(
        &self,
        state: &mut Overlay,
        env: TxEnv,
        from: Address,
        to: Address,
        value: U256,
        input: &[u8],
        gas: u64,
        is_static: bool,
    ) -> Result<FrameResult, StateError> {
        let mut tx = self.context(state, env);
        tx.prewarm([from, to]);
        let call = Call {
            address: to,
            caller: from,
            value,
            input: Arc::from(input),
            is_static,
            deploy: None,
        };
        let (tx, result) = run_frame(tx, call, gas);
        self.record(&tx);
        *state = tx.state;
        result
    }

    /// Deploys the module in `creation_data` (deploy envelope + constructor
    /// arguments) at `address`, running its `deploy` export.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        &self,
        state: &mut Overlay,
        env: TxEnv,
        from: Address,
        address: Address,
        value: U256,
        creation_data: &[u8],
        gas: u64,
    ) -> Result<FrameResult, StateError> {
        let (module, args) = match envelope::unwrap(creation_data) {
            Ok(parts) => parts,
            Err(e) => {
                return Ok(FrameResult {
                    success: false,
                    gas_left: 0,
                    error: Some(Halt::BadEnvelope(e)),
                    ..Default::default()
                });
            }
        };
        let mut tx = self.context(state, env);
        tx.prewarm([from, address]);
        let call = Call {
            address,
            caller: from,
            value,
            input: Arc::from(args),
            is_static: false,
            deploy: Some(module.to_vec()),
        };
        let (tx, result) = run_frame(tx, call, gas);
        self.record(&tx);
        *state = tx.state;
        result
    }

    /// Validates and compiles `code` (e.g. code found in genesis) so later
    /// calls find it ready; returns the deploy-rule verdict. Nothing is
    /// written to disk: see [`VmEngine::persist`].
    pub fn precompile(&self, code: &[u8]) -> Result<(), DeployError> {
        self.engine
            .prepare(
                orac_primitives::keccak256(code),
                code,
                None,
                !self.simulation,
            )
            .map(|_| ())
    }
}

/// Moves the overlay out, leaving an empty stand-in until it comes back
/// (its base, an [`orac_state::EmptyState`], is never read while it stands in).
fn take(state: &mut Overlay) -> Overlay {
    static NOTHING: std::sync::LazyLock<orac_state::SharedReader> =
        std::sync::LazyLock::new(|| Arc::new(orac_state::EmptyState));
    std::mem::replace(state, Overlay::new(NOTHING.clone()))
}

/// The deployed code of a creation (for `eth_getCode`): the module itself.
pub fn deployed_code(creation_data: &[u8]) -> Option<Bytes> {
    envelope::unwrap(creation_data)
        .ok()
        .map(|(m, _)| Bytes(m.to_vec()))
}

/// Runs `f` on a thread with a stack big enough for the deepest nesting of
/// contract calls (see [`limits::EXECUTION_THREAD_STACK`]).
pub fn on_execution_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("orac-vm".into())
            .stack_size(limits::EXECUTION_THREAD_STACK)
            .spawn_scoped(s, f)
            .expect("spawn an execution thread")
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}
