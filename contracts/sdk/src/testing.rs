//! Unit-testing contracts as plain Rust.
//!
//! Built natively (not for wasm32), every host function reads or changes a
//! per-thread test environment: storage, the caller, the value, the block,
//! balances, logs. Run a method through [`call`] to get what the chain
//! would: its result, or the [`Revert`] it raised (by `revert!`,
//! `require!`, an `Err`, or a panic), with its storage changes rolled back.
//!
//! ```
//! use orac_sdk::prelude::*;
//! use orac_sdk::testing;
//!
//! sol! {
//!     event Moved(address indexed to, uint256 amount);
//! }
//!
//! #[storage]
//! pub struct Vault {
//!     balances: Map<Address, U256>,
//! }
//!
//! #[contract]
//! impl Vault {
//!     #[payable]
//!     pub fn deposit(&mut self) -> Result<(), Revert> {
//!         let who = msg::sender();
//!         let next = self.balances.get(&who).try_add(msg::value())?;
//!         self.balances.set(&who, next);
//!         emit(Moved { to: who, amount: msg::value() });
//!         Ok(())
//!     }
//!
//!     pub fn balance_of(&self, who: Address) -> U256 {
//!         self.balances.get(&who)
//!     }
//! }
//!
//! let alice = Address::repeat_byte(0xa1);
//! testing::reset();
//! testing::set_caller(alice);
//! testing::set_value(U256::from(5));
//! let mut vault = Vault::at_root();
//! assert_eq!(testing::try_call(|| vault.deposit()), Ok(()));
//! assert_eq!(vault.balance_of(alice), U256::from(5));
//! let moved = testing::events::<Moved>();
//! assert_eq!(moved[0].to, alice);
//! // A revert rolls storage back, as on chain.
//! testing::set_value(U256::MAX);
//! assert!(testing::try_call(|| vault.deposit()).is_err());
//! assert_eq!(vault.balance_of(alice), U256::from(5));
//! ```
//!
//! Calls to other contracts answer from mocks registered with
//! [`mock_call`]; real multi-contract tests run the real VM with
//! `orac-testkit`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::string::String;
use std::sync::Once;
use std::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolError, SolEvent};

use crate::host::CallOutcome;
use crate::revert::Revert;

/// A log emitted during a test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    /// The contract that emitted it.
    pub address: Address,
    /// Its topics: the event's signature hash first, then the indexed
    /// fields.
    pub topics: Vec<B256>,
    /// The ABI-encoded fields that are not indexed.
    pub data: Vec<u8>,
}

/// Where the test environment runs the contract, unless [`set_address`]
/// moves it: the address whose storage, balance and logs tests read.
pub const CONTRACT: Address = Address::repeat_byte(0xc0);

/// Accounts for tests to call from, the same in every contract's tests.
pub const ALICE: Address = Address::repeat_byte(0xa1);
/// See [`ALICE`].
pub const BOB: Address = Address::repeat_byte(0xb0);
/// See [`ALICE`].
pub const CAROL: Address = Address::repeat_byte(0xc4);
/// See [`ALICE`].
pub const DAVE: Address = Address::repeat_byte(0xda);

/// A mocked reply to calls to `to` whose calldata starts with `prefix`.
#[derive(Clone)]
struct Mock {
    to: Address,
    prefix: Vec<u8>,
    success: bool,
    data: Vec<u8>,
}

/// The environment the host functions see in native tests.
#[derive(Clone)]
pub struct Env {
    /// Every contract's storage, by (contract, slot); zero slots are
    /// absent.
    pub storage: BTreeMap<(Address, B256), B256>,
    /// Account balances in wei; absent means zero.
    pub balances: BTreeMap<Address, U256>,
    /// What [`crate::msg::sender`] reads.
    pub caller: Address,
    /// What [`crate::msg::origin`] reads.
    pub origin: Address,
    /// The contract running: where its storage and logs go
    /// ([`CONTRACT`] unless moved with [`set_address`]).
    pub address: Address,
    /// What [`crate::msg::value`] reads.
    pub value: U256,
    /// What [`crate::block::number`] reads.
    pub block_number: u64,
    /// What [`crate::block::timestamp`] reads.
    pub timestamp: u64,
    /// What [`crate::block::gas_limit`] reads.
    pub gas_limit: u64,
    /// What [`crate::block::chain_id`] reads.
    pub chain_id: u64,
    /// What [`crate::block::base_fee`] reads.
    pub base_fee: U256,
    /// What [`crate::msg::gas_price`] reads.
    pub gas_price: U256,
    /// What [`crate::msg::gas_left`] reads (nothing is metered natively).
    pub gas_left: u64,
    /// What [`crate::block::coinbase`] reads.
    pub coinbase: Address,
    /// What [`crate::block::prevrandao`] reads.
    pub prevrandao: B256,
    /// What [`crate::msg::data`] reads.
    pub calldata: Vec<u8>,
    /// What the contract last set as its return data.
    pub return_data: Vec<u8>,
    /// Logs emitted so far, oldest first.
    pub logs: Vec<Log>,
    /// Calls made to other contracts: (to, value, calldata).
    pub calls: Vec<(Address, U256, Vec<u8>)>,
    mocks: Vec<Mock>,
}

impl Default for Env {
    fn default() -> Self {
        Self {
            storage: BTreeMap::new(),
            balances: BTreeMap::new(),
            caller: Address::repeat_byte(0xca),
            origin: Address::repeat_byte(0xca),
            address: CONTRACT,
            value: U256::ZERO,
            block_number: 1,
            timestamp: 1_700_000_000,
            gas_limit: 30_000_000,
            chain_id: 31337,
            base_fee: U256::from(1_000_000_000u64),
            gas_price: U256::from(1_000_000_000u64),
            gas_left: 10_000_000,
            coinbase: Address::ZERO,
            prevrandao: B256::ZERO,
            calldata: Vec::new(),
            return_data: Vec::new(),
            logs: Vec::new(),
            calls: Vec::new(),
            mocks: Vec::new(),
        }
    }
}

impl Env {
    pub(crate) fn storage_read(&self, key: &B256) -> B256 {
        self.storage
            .get(&(self.address, *key))
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn storage_write(&mut self, key: &B256, value: &B256) {
        if *value == B256::ZERO {
            self.storage.remove(&(self.address, *key));
        } else {
            self.storage.insert((self.address, *key), *value);
        }
    }

    pub(crate) fn balance_of(&self, who: &Address) -> U256 {
        self.balances.get(who).copied().unwrap_or_default()
    }

    pub(crate) fn emit(&mut self, topics: &[[u8; 32]], data: &[u8]) {
        assert!(topics.len() <= 4, "a log has at most four topics");
        self.logs.push(Log {
            address: self.address,
            topics: topics.iter().map(|t| B256::from(*t)).collect(),
            data: data.to_vec(),
        });
    }

    pub(crate) fn mock_call(
        &mut self,
        to: &Address,
        value: &U256,
        data: &[u8],
        is_static: bool,
    ) -> CallOutcome {
        if is_static && !value.is_zero() {
            return CallOutcome {
                success: false,
                data: Vec::new(),
            };
        }
        self.calls.push((*to, *value, data.to_vec()));
        let reply = self
            .mocks
            .iter()
            .rev()
            .find(|m| m.to == *to && data.starts_with(&m.prefix))
            .cloned();
        // Nothing registered: like an account without code, the call
        // succeeds, moves the value and returns nothing.
        let (success, data) = reply.map_or((true, Vec::new()), |m| (m.success, m.data));
        if success && !value.is_zero() {
            let from = self.address;
            let have = self.balance_of(&from);
            if have < *value {
                // As on chain: the value cannot move, the call fails.
                return CallOutcome {
                    success: false,
                    data: Vec::new(),
                };
            }
            self.balances.insert(from, have - *value);
            let to_bal = self.balance_of(to);
            self.balances.insert(*to, to_bal + *value);
        }
        CallOutcome { success, data }
    }
}

std::thread_local! {
    static ENV: RefCell<Env> = RefCell::new(Env::default());
}

/// Runs `f` on this thread's environment.
pub fn with_env<R>(f: impl FnOnce(&mut Env) -> R) -> R {
    ENV.with(|e| f(&mut e.borrow_mut()))
}

/// Starts over with a fresh environment.
pub fn reset() {
    with_env(|e| *e = Env::default());
}

/// Makes `who` the caller of what runs next, and the transaction's origin
/// (as when an account calls the contract directly).
pub fn set_caller(who: Address) {
    with_env(|e| {
        e.caller = who;
        e.origin = who;
    });
}

/// Sets the value the next messages carry (only the value: the
/// contract's balance is unchanged; [`try_call_with_value`] moves it too).
pub fn set_value(value: U256) {
    with_env(|e| e.value = value);
}

/// Sets the block's number and timestamp (Unix seconds).
pub fn set_block(number: u64, timestamp: u64) {
    with_env(|e| {
        e.block_number = number;
        e.timestamp = timestamp;
    });
}

/// Sets the block's `prevrandao` (what [`crate::block::prevrandao`] reads).
pub fn set_prevrandao(value: B256) {
    with_env(|e| e.prevrandao = value);
}

/// Sets this contract's address (storage is kept per address).
pub fn set_address(who: Address) {
    with_env(|e| e.address = who);
}

/// Sets the balance of `who`, in wei.
pub fn set_balance(who: Address, balance: U256) {
    with_env(|e| {
        e.balances.insert(who, balance);
    });
}

/// The balance of `who`, in wei.
pub fn balance(who: Address) -> U256 {
    with_env(|e| e.balance_of(&who))
}

/// Registers the reply to calls to `to` whose calldata starts with
/// `prefix` (e.g. a selector); later registrations win.
pub fn mock_call(to: Address, prefix: &[u8], success: bool, data: Vec<u8>) {
    with_env(|e| {
        e.mocks.push(Mock {
            to,
            prefix: prefix.to_vec(),
            success,
            data,
        })
    });
}

/// Calls made to other contracts so far: (to, value, calldata).
pub fn calls() -> Vec<(Address, U256, Vec<u8>)> {
    with_env(|e| e.calls.clone())
}

/// Every log emitted so far.
pub fn logs() -> Vec<Log> {
    with_env(|e| e.logs.clone())
}

/// The logs of event type `E`, decoded.
pub fn events<E: SolEvent>() -> Vec<E> {
    logs()
        .iter()
        .filter_map(|l| E::decode_raw_log(l.topics.iter().copied(), &l.data).ok())
        .collect()
}

/// The raw storage of `address` at `slot`.
pub fn storage_at(address: Address, slot: B256) -> B256 {
    with_env(|e| e.storage.get(&(address, slot)).copied().unwrap_or_default())
}

/// The panic payload a revert travels in.
struct RevertSignal(Vec<u8>);

pub(crate) fn raise_revert(data: Vec<u8>) -> ! {
    quiet_reverts();
    std::panic::panic_any(RevertSignal(data))
}

/// Reverts travel as panics; keep them out of the test output.
fn quiet_reverts() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(std::boxed::Box::new(move |info| {
            if info.payload().downcast_ref::<RevertSignal>().is_none() {
                previous(info);
            }
        }));
    });
}

/// Runs `f` as a message would run: returns its value, or the revert it
/// raised (a panic becomes `Error(string)` with its message, as on chain).
/// On a revert, storage, balances and logs go back to how they were.
pub fn call<R>(f: impl FnOnce() -> R) -> Result<R, Revert> {
    let saved = with_env(|e| e.clone());
    let result = run(f);
    if result.is_err() {
        restore(saved);
    }
    result
}

/// Like [`call`] for methods returning `Result<T, Revert>`: an `Err` is a
/// revert too (state rolled back), as it is on chain.
pub fn try_call<T>(f: impl FnOnce() -> Result<T, Revert>) -> Result<T, Revert> {
    let saved = with_env(|e| e.clone());
    let result = run(f).and_then(|r| r);
    if result.is_err() {
        restore(saved);
    }
    result
}

/// [`try_call`] as a message carrying `value` wei: on chain the value
/// reaches the contract's balance before its code runs, and goes back if it
/// reverts; here too. The value is zero again afterwards.
pub fn try_call_with_value<T>(
    value: U256,
    f: impl FnOnce() -> Result<T, Revert>,
) -> Result<T, Revert> {
    set_value(value);
    let out = try_call(|| {
        let me = with_env(|e| e.address);
        set_balance(me, balance(me) + value);
        f()
    });
    set_value(U256::ZERO);
    out
}

/// Runs `f` as [`try_call`] does and returns the custom error `E` it
/// reverted with; panics if it succeeded or reverted with anything else.
#[track_caller]
pub fn expect_revert<E: SolError, T: core::fmt::Debug>(f: impl FnOnce() -> Result<T, Revert>) -> E {
    match try_call(f) {
        Ok(v) => panic!("expected a revert with {}, got Ok({v:?})", E::SIGNATURE),
        Err(err) => err
            .decode()
            .unwrap_or_else(|| panic!("expected a revert with {}, got {err:?}", E::SIGNATURE)),
    }
}

fn run<R>(f: impl FnOnce() -> R) -> Result<R, Revert> {
    quiet_reverts();
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        if let Some(RevertSignal(data)) = payload.downcast_ref::<RevertSignal>() {
            Revert(data.clone())
        } else if let Some(s) = payload.downcast_ref::<&str>() {
            Revert::msg(s)
        } else if let Some(s) = payload.downcast_ref::<String>() {
            Revert::msg(s)
        } else {
            Revert::msg("panic")
        }
    })
}

/// Puts storage, balances and logs back; the test's own settings (caller,
/// value, mocks) stay.
fn restore(saved: Env) {
    with_env(|e| {
        e.storage = saved.storage;
        e.balances = saved.balances;
        e.logs = saved.logs;
        e.calls = saved.calls;
    });
}

pub(crate) fn recover(_hash: &B256, _v: u8, _r: &B256, _s: &B256) -> Option<Address> {
    // Signature checks need the real host: test them with orac-testkit.
    None
}
