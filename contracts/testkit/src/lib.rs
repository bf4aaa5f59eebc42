//! Multi-contract tests on the real VM, in process — the role
//! cw-multi-test and near-workspaces play elsewhere.
//!
//! A [`TestChain`] has the ten dev accounts funded, runs every transaction
//! through the node's own executor (gas purchase, intrinsic gas, the VM,
//! refunds, fees), and hands back receipts with gas, logs and revert data.
//!
//! ```ignore
//! let erc20 = orac_testkit::build(env!("CARGO_MANIFEST_DIR"));
//! let mut chain = TestChain::new();
//! let (alice, bob) = (chain.account(0), chain.account(1));
//! let token = chain.deploy(alice, &erc20, ("Orac".to_string(), "ORC".to_string(), U256::from(1000))).address();
//! let r = chain.call(alice, token, &IERC20::transferCall { to: bob, value: U256::from(5) });
//! assert!(r.success);
//! assert_eq!(r.events::<Transfer>()[0].value, U256::from(5));
//! ```
//!
//! The chain's oracle registry is there too: [`oracle::TestFeed`] creates
//! a feed whose signer keys the test holds, and pushes rounds to it.

use orac_primitives::alloy::{ToAlloy, ToOrac};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use orac_chain::ChainRules;
use orac_chain::executor::{BlockEnv, CallRequest, ExecError, execute_transaction, simulate_call};
use orac_primitives::{Bytes, H160, H256, PrivateKey};
use orac_state::{EmptyState, Overlay};
use orac_vm::{Vm, VmConfig};
use parking_lot::Mutex;

pub use orac_build::Artifact;

/// The chain's oracle registry in tests: feeds whose signer keys the test
/// holds.
pub mod oracle;

/// Builds the contract crate at `dir` once per test process (later calls
/// reuse the artifact), into the target directory all tests share
/// ([`orac_build::test_target_dir`]). Panics with cargo's errors if it
/// does not build.
pub fn build(dir: impl AsRef<Path>) -> Artifact {
    static BUILT: OnceLock<Mutex<HashMap<PathBuf, Artifact>>> = OnceLock::new();
    let dir = dir.as_ref().to_path_buf();
    let cache = BUILT.get_or_init(Default::default);
    if let Some(a) = cache.lock().get(&dir) {
        return a.clone();
    }
    let target = orac_build::test_target_dir();
    let artifact = orac_build::build(&dir, target.as_deref())
        .unwrap_or_else(|e| panic!("building {}: {e}", dir.display()));
    cache.lock().insert(dir, artifact.clone());
    artifact
}

/// [`build`] for a contract crate outside the workspace, in its own
/// workspace, whose package is named like its directory (the testkit's
/// `probe/` and `subscriber/`): first gives it a Cargo.lock from the SDK's
/// part of the workspace's lock (what `orac new` starts from), so it builds
/// with crates the workspace already fetched. The lock is rewritten only
/// when it names a version the workspace no longer locks; cargo trims it to
/// what the crate uses at its first build.
pub fn build_standalone(dir: impl AsRef<Path>) -> Artifact {
    let dir = dir.as_ref();
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_else(|| panic!("{} has no crate name", dir.display()));
    let wanted = orac_build::scaffold::lockfile(name)
        .unwrap_or_else(|e| panic!("a Cargo.lock for {name}: {e}"));
    let path = dir.join("Cargo.lock");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let package = |block: &str| {
        let field = |key: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim_matches('"').to_string())
        };
        Some(format!("{}@{}", field("name = ")?, field("version = ")?))
    };
    let wanted_packages: Vec<_> = wanted.split("[[package]]").filter_map(package).collect();
    let current_packages: Vec<_> = current.split("[[package]]").filter_map(package).collect();
    let stale = current_packages.is_empty()
        || current_packages
            .iter()
            .any(|p| !wanted_packages.contains(p));
    if stale {
        std::fs::write(&path, wanted).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
    build(dir)
}

/// `n` ether, in wei.
pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// A log from a receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    /// The contract that emitted it.
    pub address: Address,
    /// The event's signature hash, then its indexed fields.
    pub topics: Vec<B256>,
    /// The ABI-encoded fields that are not indexed.
    pub data: Vec<u8>,
}

/// What a transaction did.
#[derive(Clone, Debug)]
pub struct Receipt {
    /// Whether it ran to the end (a revert or a halt is `false`).
    pub success: bool,
    /// Gas charged for it, refunds taken off.
    pub gas_used: u64,
    /// Wei paid per unit of gas: the base fee plus the tip, within the fee
    /// cap (zero for [`TestChain::view`], which pays nothing). A `u64`
    /// keeps `Receipt` small enough to be `view`'s error.
    pub gas_price: u64,
    /// Return data, or revert data on failure.
    pub output: Vec<u8>,
    /// Its logs, in order (none when it failed).
    pub logs: Vec<Log>,
    /// The new contract's address, for a deployment that succeeded.
    pub contract_address: Option<Address>,
    /// Why it failed when it did not simply revert.
    pub error: Option<String>,
}

impl Receipt {
    /// Logs of event `E`, decoded.
    pub fn events<E: SolEvent>(&self) -> Vec<E> {
        self.logs
            .iter()
            .filter_map(|l| E::decode_raw_log(l.topics.iter().copied(), &l.data).ok())
            .collect()
    }

    /// The deployed address; panics (with the reason) if deployment failed.
    pub fn address(&self) -> Address {
        self.contract_address
            .unwrap_or_else(|| panic!("deployment failed: {:?} {:?}", self.error, self.output))
    }

    /// Decodes what a successful call of `C` returned.
    pub fn decode<C: SolCall>(&self) -> C::Return {
        assert!(
            self.success,
            "call failed: {:?} {:?}",
            self.error, self.output
        );
        C::abi_decode_returns(&self.output).expect("return data of the declared type")
    }

    /// The `Error(string)` message of a revert, if that is what it was.
    pub fn revert_message(&self) -> Option<String> {
        let body = self.output.strip_prefix(&[0x08, 0xc3, 0x79, 0xa0])?;
        <(String,)>::abi_decode_params(body).ok().map(|(s,)| s)
    }

    /// What the sender paid for gas: `gas_used` × `gas_price`, in wei.
    pub fn fee(&self) -> U256 {
        U256::from(self.gas_used) * U256::from(self.gas_price)
    }

    /// The custom error `E` this transaction reverted with; panics (with
    /// what happened instead) if it succeeded or failed otherwise.
    #[track_caller]
    pub fn expect_revert<E: alloy_sol_types::SolError>(&self) -> E {
        self.revert().unwrap_or_else(|| {
            panic!(
                "expected a revert with {}: success {}, error {:?}, output {:?}",
                E::SIGNATURE,
                self.success,
                self.error,
                self.output
            )
        })
    }

    /// A custom error of type `E` this transaction reverted with.
    pub fn revert<E: alloy_sol_types::SolError>(&self) -> Option<E> {
        (!self.success)
            .then(|| E::abi_decode(&self.output).ok())
            .flatten()
    }
}

/// An in-process chain for tests.
pub struct TestChain {
    vm: Vm,
    state: Overlay,
    keys: Vec<PrivateKey>,
    /// The block every transaction runs in: set its fields (or call
    /// [`TestChain::advance`]) to move time or change fees.
    pub block: BlockEnv,
}

impl Default for TestChain {
    fn default() -> Self {
        Self::new()
    }
}

impl TestChain {
    /// The ten dev accounts, 10,000 ETH each; block 1, base fee 1 gwei.
    pub fn new() -> Self {
        static VM: OnceLock<Vm> = OnceLock::new();
        let vm = VM
            .get_or_init(|| {
                ChainRules::standard()
                    .vm(&VmConfig::default())
                    .expect("the WebAssembly engine starts")
            })
            .clone();
        let keys =
            orac_chain::dev::derive_keys(orac_chain::dev::DEV_MNEMONIC, 10).expect("dev keys");
        let mut state = Overlay::new(Arc::new(EmptyState));
        let ether = orac_primitives::U256::from(10u64).pow(18.into());
        // As in every chain's genesis: the system contracts' accounts.
        ChainRules::standard()
            .write_genesis(&mut state)
            .expect("in-memory state");
        for k in &keys {
            state
                .add_balance(&k.address(), ether * orac_primitives::U256::from(10_000u64))
                .expect("in-memory state");
        }
        Self {
            vm,
            state,
            keys,
            block: BlockEnv {
                number: 1,
                timestamp: 1_700_000_000,
                coinbase: H160::zero(),
                base_fee: orac_primitives::U256::from(1_000_000_000u64),
                gas_limit: 30_000_000,
                chain_id: 31337,
                prev_randao: H256::zero(),
            },
        }
    }

    /// Dev account `i` (0-9).
    pub fn account(&self, i: usize) -> Address {
        self.keys[i].address().to_alloy()
    }

    /// Moves time and the block number forward.
    pub fn advance(&mut self, seconds: u64) {
        self.block.timestamp += seconds;
        self.block.number += 1;
    }

    /// The balance of `who`, in wei.
    pub fn balance(&mut self, who: Address) -> U256 {
        let b = self.state.balance(&who.to_orac()).expect("in-memory state");
        b.to_alloy()
    }

    /// Storage slot of a contract.
    pub fn storage(&mut self, who: Address, slot: B256) -> B256 {
        let v = self
            .state
            .storage(&who.to_orac(), &slot.to_orac())
            .expect("in-memory state");
        v.to_alloy()
    }

    fn key(&self, from: Address) -> PrivateKey {
        self.keys
            .iter()
            .find(|k| k.address() == from.to_orac())
            .cloned()
            .unwrap_or_else(|| panic!("{from} is not a dev account"))
    }

    /// Sends a signed transaction from dev account `from`.
    pub fn transact(
        &mut self,
        from: Address,
        to: Option<Address>,
        value: U256,
        data: Vec<u8>,
        gas: u64,
    ) -> Receipt {
        let key = self.key(from);
        let nonce = self.state.nonce(&from.to_orac()).expect("in-memory state");
        let tx = orac_chain::testing::call(H160::zero(), data, gas)
            .to(to.map(|a| a.to_orac()))
            .chain_id(self.block.chain_id)
            .nonce(nonce)
            .value(value.to_orac())
            .recovered(&key);
        let vm = self.vm.clone();
        let state = &mut self.state;
        let block = self.block.clone();
        let result = orac_vm::on_execution_stack(|| execute_transaction(state, &vm, &block, &tx));
        match result {
            Ok(o) => Receipt {
                success: o.success,
                gas_used: o.gas_used,
                gas_price: tx
                    .tx
                    .tx
                    .effective_gas_price(block.base_fee)
                    .to_alloy()
                    .saturating_to(),
                output: o.output.0,
                logs: o
                    .logs
                    .into_iter()
                    .map(|l| Log {
                        address: l.address.to_alloy(),
                        topics: l.topics.iter().map(|t| t.to_alloy()).collect(),
                        data: l.data.0,
                    })
                    .collect(),
                contract_address: o.contract_address.map(|a| a.to_alloy()),
                error: o.error.map(|h| h.to_string()),
            },
            Err(ExecError::Invalid(e)) => panic!("transaction refused: {e}"),
            Err(ExecError::State(e)) => panic!("state error: {e}"),
        }
    }

    /// Deploys a built contract with ABI-encoded constructor arguments
    /// (a tuple, e.g. `(name, symbol, supply)`, or `()`).
    pub fn deploy<A>(&mut self, from: Address, artifact: &Artifact, args: A) -> Receipt
    where
        A: SolValue,
        for<'a> <A::SolType as alloy_sol_types::SolType>::Token<'a>:
            alloy_sol_types::abi::TokenSeq<'a>,
    {
        self.deploy_raw(from, &artifact.wasm, args.abi_encode_params(), U256::ZERO)
    }

    /// Deploys raw module bytes with encoded arguments and value.
    pub fn deploy_raw(
        &mut self,
        from: Address,
        wasm: &[u8],
        args: Vec<u8>,
        value: U256,
    ) -> Receipt {
        let mut data = orac_vm::envelope::wrap(wasm);
        data.extend_from_slice(&args);
        self.transact(from, None, value, data, 30_000_000)
    }

    /// Calls a function as a transaction.
    pub fn call<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> Receipt {
        self.transact(from, Some(to), U256::ZERO, call.abi_encode(), 10_000_000)
    }

    /// Calls a payable function with value.
    pub fn call_with_value<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        call: &C,
    ) -> Receipt {
        self.transact(from, Some(to), value, call.abi_encode(), 10_000_000)
    }

    /// Plain value transfer.
    pub fn send(&mut self, from: Address, to: Address, value: U256) -> Receipt {
        self.transact(from, Some(to), value, Vec::new(), 1_000_000)
    }

    /// Reads through a call that changes nothing (like `eth_call`).
    pub fn view<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return, Receipt> {
        let checkpoint = self.state.checkpoint();
        let req = CallRequest {
            to: Some(to.to_orac()),
            input: Bytes(call.abi_encode()),
            ..Default::default()
        };
        let vm = self.vm.clone();
        let block = self.block.clone();
        let state = &mut self.state;
        let out =
            orac_vm::on_execution_stack(|| simulate_call(state, &vm, &block, &req, 30_000_000));
        self.state.revert_to(checkpoint);
        let o = out.unwrap_or_else(|e| panic!("call refused: {e}"));
        if o.success {
            Ok(C::abi_decode_returns(&o.output).expect("return data of the declared type"))
        } else {
            Err(Receipt {
                success: false,
                gas_used: o.gas_used,
                gas_price: 0,
                output: o.output.0,
                logs: vec![],
                contract_address: None,
                error: o.error.map(|h| h.to_string()),
            })
        }
    }
}
