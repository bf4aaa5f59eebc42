//! What the VM's integration tests share: an in-memory world with a funded
//! account, deploy and call helpers, and the multi-tool contract's calldata.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::LazyLock;

use orac_primitives::{Account, Address, H256, U256};
use orac_state::{MemState, Overlay};
use orac_vm::envelope;
use orac_vm::{BlockEnv, FrameResult, TxEnv, Vm, VmConfig, create_address};

pub(crate) static VM: LazyLock<Vm> = LazyLock::new(|| Vm::new(&VmConfig::default()).unwrap());

pub(crate) fn tool() -> Vec<u8> {
    wat::parse_str(include_str!("../tool.wat")).unwrap()
}

pub(crate) const ALICE: Address = Address::repeat_byte(0xa1);
pub(crate) const GAS: u64 = 10_000_000;

pub(crate) fn env() -> TxEnv {
    TxEnv {
        block: BlockEnv {
            number: 7,
            timestamp: 1_700_000_000,
            coinbase: Address::repeat_byte(0xcb),
            base_fee: U256::from(1_000_000_000u64),
            gas_limit: 30_000_000,
            chain_id: 31337,
            prev_randao: H256::repeat_byte(0x5e),
        },
        origin: ALICE,
        gas_price: U256::from(2_000_000_000u64),
        access_list: Vec::new(),
    }
}

/// A world with Alice funded, and helpers to deploy and call.
pub(crate) struct World {
    pub(crate) state: Overlay,
    pub(crate) vm: Vm,
    pub(crate) nonce: u64,
}

impl World {
    pub(crate) fn new() -> Self {
        Self::with_vm(VM.clone())
    }

    pub(crate) fn with_vm(vm: Vm) -> Self {
        let alice = Account {
            balance: U256::from(10u64).pow(U256::from(21)),
            ..Default::default()
        };
        Self {
            state: MemState::from(HashMap::from([(ALICE, alice)])).overlay(),
            vm,
            nonce: 0,
        }
    }

    pub(crate) fn deploy_with(
        &mut self,
        module: &[u8],
        args: &[u8],
        value: u64,
    ) -> (Address, FrameResult) {
        let address = create_address(&ALICE, self.nonce);
        self.nonce += 1;
        let mut data = envelope::wrap(module);
        data.extend_from_slice(args);
        let vm = self.vm.clone();
        let state = &mut self.state;
        // Deploying a large module costs tens of millions of gas.
        let r = orac_vm::on_execution_stack(|| {
            vm.create(
                state,
                env(),
                ALICE,
                address,
                U256::from(value),
                &data,
                100_000_000,
            )
            .unwrap()
        });
        (address, r)
    }

    pub(crate) fn deploy(&mut self) -> Address {
        let (a, r) = self.deploy_with(&tool(), &[], 0);
        assert!(r.success, "deploy failed: {:?}", r.error);
        a
    }

    pub(crate) fn call_with(
        &mut self,
        to: Address,
        input: &[u8],
        value: u64,
        gas: u64,
    ) -> FrameResult {
        let vm = self.vm.clone();
        let state = &mut self.state;
        orac_vm::on_execution_stack(|| {
            vm.call(
                state,
                env(),
                ALICE,
                to,
                U256::from(value),
                input,
                gas,
                false,
            )
            .unwrap()
        })
    }

    pub(crate) fn call(&mut self, to: Address, input: &[u8]) -> FrameResult {
        self.call_with(to, input, 0, GAS)
    }

    pub(crate) fn slot(&mut self, a: Address, key: H256) -> H256 {
        self.state.storage(&a, &key).unwrap()
    }
}

/// The reason a frame failed, as receipts and `eth_call` errors show it
/// (panics if it failed without one, or did not fail).
pub(crate) fn error_text(r: FrameResult) -> String {
    r.error.expect("the frame failed with a reason").to_string()
}

pub(crate) fn word(b: u8) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[31] = b;
    w
}

pub(crate) fn op(code: u8, rest: &[&[u8]]) -> Vec<u8> {
    let mut v = vec![code];
    for r in rest {
        v.extend_from_slice(r);
    }
    v
}

pub(crate) fn call_op(to: Address, value: u64, gas: i64, data: &[u8]) -> Vec<u8> {
    op(
        7,
        &[
            to.as_bytes(),
            &U256::from(value).to_big_endian(),
            &gas.to_le_bytes(),
            data,
        ],
    )
}
