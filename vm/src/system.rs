//! Native system contracts: chain code in Rust that answers messages at
//! fixed addresses, beside the WebAssembly contracts.
//!
//! This is the seam the oracle registry plugs into (the model is
//! Arbitrum's ArbOS precompiles and Ethereum's precompiles, with state): a
//! [`SystemContract`] is asked, for every message, whether it serves the
//! called address; if so it runs natively instead of any code. It sees the
//! message through a [`SystemCall`], which gives it exactly what a contract
//! has — its own storage, logs, the block, sub-calls with value and a gas
//! budget — at the same gas prices as the host ABI, charged before the work.
//! Its state changes go through the transaction's journal like any frame's:
//! a revert or out-of-gas rolls them back, and sub-calls it makes are
//! isolated frames whose failure it sees and handles.
//!
//! Native code is consensus code: it must be deterministic and must never
//! panic on anything in the message.

use std::sync::Arc;

use orac_primitives::{Address, GenesisAccount, H256, Log, U256};
use orac_state::{StateError, Transfer};

use crate::exec::{BlockEnv, Call, FrameResult, Halt, TxContext, TxEnv, run_child};
use crate::gas;
use crate::limits::{FRAME_OVERHEAD_SLOTS, MAX_LOG_DATA, MAX_STACK_SLOTS};

/// A contract implemented in the node.
pub trait SystemContract: Send + Sync + 'static {
    /// Whether messages to `address` run this contract. One contract may
    /// serve several addresses (the oracle registry serves one per feed).
    fn serves(&self, address: &Address) -> bool;

    /// The account that holds this contract's storage, balance and logs,
    /// whichever of its addresses was called.
    fn home(&self) -> Address;

    /// Runs one message. `Ok` returns data; an `Err` rolls the frame back.
    fn call(&self, call: &mut SystemCall) -> Result<Vec<u8>, SystemExit>;

    /// The accounts this contract needs in every chain's genesis (say, its
    /// [`home`](Self::home) with a nonce, so that EIP-161 never deletes it
    /// from under its storage). The chain's rules add them to the spec's
    /// allocations; none by default.
    fn genesis(&self) -> Vec<(Address, GenesisAccount)> {
        Vec::new()
    }
}

/// Why a system contract's frame stopped early.
#[derive(Debug)]
pub enum SystemExit {
    /// Roll back and return this revert data and the unused gas.
    Revert(Vec<u8>),
    /// Roll back and consume the frame's gas.
    OutOfGas,
    /// The database failed: the whole block stops.
    Fatal(StateError),
}

impl From<StateError> for SystemExit {
    fn from(e: StateError) -> Self {
        SystemExit::Fatal(e)
    }
}

/// The registered system contracts, looked up on every message.
#[derive(Clone, Default)]
pub struct Systems(Arc<Vec<Arc<dyn SystemContract>>>);

impl Systems {
    /// These system contracts plus `contract`.
    pub fn with(mut self, contract: Arc<dyn SystemContract>) -> Self {
        Arc::make_mut(&mut self.0).push(contract);
        self
    }

    pub(crate) fn find(&self, address: &Address) -> Option<Arc<dyn SystemContract>> {
        self.0.iter().find(|s| s.serves(address)).cloned()
    }
}

/// One message to a system contract, and everything it may do.
pub struct SystemCall {
    tx: Option<Box<TxContext>>,
    gas: u64,
    address: Address,
    home: Address,
    caller: Address,
    value: U256,
    input: Arc<[u8]>,
    is_static: bool,
    /// Stack height of this frame: its caller's, plus a frame's overhead
    /// for the native code (its sub-calls stack on top of it).
    height: u32,
}

impl SystemCall {
    fn tx(&mut self) -> &mut TxContext {
        // Taken only while a sub-call runs, during which `self` is not used.
        self.tx
            .as_mut()
            .expect("the system frame owns the transaction context")
    }

    /// The address that was called (one of those the contract serves).
    pub fn address(&self) -> Address {
        self.address
    }
    /// The account that sent the message.
    pub fn caller(&self) -> Address {
        self.caller
    }
    /// Wei the message carries.
    pub fn value(&self) -> U256 {
        self.value
    }
    /// The message's calldata.
    pub fn input(&self) -> &[u8] {
        &self.input
    }
    /// Whether the message may not change state (a static call).
    pub fn is_static(&self) -> bool {
        self.is_static
    }
    /// Gas the frame has left.
    pub fn gas_left(&self) -> u64 {
        self.gas
    }
    /// The transaction and its block.
    pub fn env(&mut self) -> &TxEnv {
        &self.tx().env
    }
    /// The block the message runs in.
    pub fn block(&mut self) -> &BlockEnv {
        &self.tx().env.block
    }

    /// Takes `amount` gas, or ends the frame out of gas.
    pub fn charge(&mut self, amount: u64) -> Result<(), SystemExit> {
        match self.gas.checked_sub(amount) {
            Some(left) => {
                self.gas = left;
                Ok(())
            }
            None => {
                self.gas = 0;
                Err(SystemExit::OutOfGas)
            }
        }
    }

    /// Reads a slot of the contract's own storage, at the host ABI's price.
    pub fn sload(&mut self, key: H256) -> Result<H256, SystemExit> {
        let home = self.home;
        let cold = self.tx().warm.slot(home, key);
        self.charge(gas::sload_cost(cold))?;
        Ok(self.tx().state.storage(&home, &key)?)
    }

    /// Writes a slot of the contract's own storage, at the host ABI's price.
    /// Refused (a revert) in a static call.
    pub fn sstore(&mut self, key: H256, value: H256) -> Result<(), SystemExit> {
        self.writable("storage write")?;
        let home = self.home;
        let tx = self.tx();
        let cold = tx.warm.slot(home, key);
        let current = tx.state.storage(&home, &key)?;
        self.charge(gas::sstore_cost(cold, current.is_zero(), value.is_zero()))?;
        Ok(self.tx().state.set_storage(&home, &key, value)?)
    }

    /// Emits a log from the contract's home address.
    pub fn log(&mut self, topics: Vec<H256>, data: Vec<u8>) -> Result<(), SystemExit> {
        self.writable("log")?;
        if topics.len() > 4 || data.len() > MAX_LOG_DATA {
            return Err(SystemExit::Revert(b"log too large".to_vec()));
        }
        self.charge(
            gas::LOG_BASE
                + gas::LOG_TOPIC * topics.len() as u64
                + gas::LOG_BYTE * data.len() as u64,
        )?;
        let address = self.home;
        self.tx().state.add_log(Log {
            address,
            topics,
            data: data.into(),
        });
        Ok(())
    }

    /// The balance of the contract's home account.
    pub fn own_balance(&mut self) -> Result<U256, SystemExit> {
        self.charge(gas::ENV)?;
        let home = self.home;
        Ok(self.tx().state.balance(&home)?)
    }

    /// Moves `amount` from the home account to `to` without running any
    /// code there (as a block reward is paid), so a payment can neither
    /// fail in the receiver nor re-enter. Charged as a value call.
    pub fn pay(&mut self, to: Address, amount: U256) -> Result<(), SystemExit> {
        self.writable("value transfer")?;
        self.charge_account(to)?;
        self.charge(gas::CALL_VALUE)?;
        self.charge_new_account(to, amount)?;
        let home = self.home;
        match self.tx().state.transfer(&home, &to, amount)? {
            Transfer::Done => {}
            Transfer::InsufficientBalance => {
                return Err(SystemExit::Revert(
                    b"system contract balance too low".to_vec(),
                ));
            }
            failed => return Err(SystemExit::Revert(failed.reason().as_bytes().to_vec())),
        }
        Ok(())
    }

    /// Sends a message from the contract's home account, with `gas` at most
    /// (capped by the 63/64 rule). Its failure is a result, not an exit:
    /// the sub-frame's effects are already rolled back when this returns.
    pub fn call(
        &mut self,
        to: Address,
        value: U256,
        input: Vec<u8>,
        gas: u64,
    ) -> Result<FrameResult, SystemExit> {
        if !value.is_zero() {
            self.writable("value transfer")?;
        }
        self.charge_account(to)?;
        self.charge(gas::CALL_BASE + if value.is_zero() { 0 } else { gas::CALL_VALUE })?;
        self.charge_new_account(to, value)?;
        let budget = gas.min(gas::max_forwardable(self.gas));
        self.gas -= budget;
        let frame = Call {
            address: to,
            caller: self.home,
            value,
            input: Arc::from(input),
            is_static: self.is_static,
            deploy: None,
        };
        let Some(tx) = self.tx.take() else {
            return Err(SystemExit::OutOfGas);
        };
        // Every sub-call starts from this frame's own height, whatever an
        // earlier sub-call (say, one subscriber's callback) left behind.
        let (tx, result) = run_child(tx, frame, budget, self.height);
        self.tx = Some(tx);
        let result = result?;
        self.gas += result.gas_left;
        Ok(result)
    }

    fn charge_account(&mut self, address: Address) -> Result<(), SystemExit> {
        let cold = self.tx().warm.account(address);
        self.charge(if cold {
            gas::ACCOUNT_COLD
        } else {
            gas::ACCOUNT_WARM
        })
    }

    /// `gas::NEW_ACCOUNT` if `value` would bring `to` into existence.
    fn charge_new_account(&mut self, to: Address, value: U256) -> Result<(), SystemExit> {
        if value.is_zero() {
            return Ok(());
        }
        if self.tx().state.account(&to)?.is_none_or(|a| a.is_empty()) {
            self.charge(gas::NEW_ACCOUNT)?;
        }
        Ok(())
    }

    fn writable(&self, what: &str) -> Result<(), SystemExit> {
        if self.is_static {
            return Err(SystemExit::Revert(
                format!("{what} in a static call").into_bytes(),
            ));
        }
        Ok(())
    }
}

/// Runs `contract` for `call` with `gas`, the frame's value already moved
/// to its home account.
pub(crate) fn run_system(
    tx: Box<TxContext>,
    call: &Call,
    contract: Arc<dyn SystemContract>,
    gas: u64,
) -> (Box<TxContext>, Result<FrameResult, StateError>) {
    let height = tx.stack_base.saturating_add(FRAME_OVERHEAD_SLOTS);
    if height > MAX_STACK_SLOTS {
        return (
            tx,
            Ok(FrameResult {
                success: false,
                gas_left: 0,
                error: Some(Halt::StackLimit),
                ..Default::default()
            }),
        );
    }
    let mut sys = SystemCall {
        height,
        tx: Some(tx),
        gas,
        address: call.address,
        home: contract.home(),
        caller: call.caller,
        value: call.value,
        input: call.input.clone(),
        is_static: call.is_static,
    };
    let outcome = contract.call(&mut sys);
    let gas_left = sys.gas;
    let tx = sys
        .tx
        .take()
        .expect("the transaction context returns with its frame");
    let result = match outcome {
        Ok(output) => Ok(FrameResult {
            success: true,
            gas_left,
            output,
            ..Default::default()
        }),
        Err(SystemExit::Revert(output)) => Ok(FrameResult {
            success: false,
            gas_left,
            output,
            ..Default::default()
        }),
        Err(SystemExit::OutOfGas) => Ok(FrameResult {
            success: false,
            gas_left: 0,
            error: Some(Halt::OutOfGas),
            ..Default::default()
        }),
        Err(SystemExit::Fatal(e)) => Err(e),
    };
    (tx, result)
}
