//! Running one module one way, and what counts as its outcome: success,
//! gas left, output, error, logs and every state change, digested.

use std::sync::Arc;

use orac_primitives::{Address, H256, U256, keccak256};
use orac_state::Overlay;
use orac_vm::{TxEnv, Vm};

use orac_bench::vmkit::{MemState, tx_env};

pub(crate) const SENDER: Address = Address::repeat_byte(0xa1);
pub(crate) const TARGET: Address = Address::repeat_byte(0xc0);

/// A state with the sender funded and `code` installed at [`TARGET`].
pub(crate) fn state(code: &[u8]) -> Arc<MemState> {
    let mut st = MemState::default();
    st.fund(SENDER, U256::from(10u64).pow(U256::from(24)));
    st.install(TARGET, code);
    Arc::new(st)
}

/// One call of `call` with `input` and `gas` on `vm`, as a digest of
/// everything observable about it. Must run on the execution stack.
pub(crate) fn outcome(vm: &Vm, base: &Arc<MemState>, input: &[u8], gas: u64) -> H256 {
    let mut state = Overlay::new(base.clone());
    let env: TxEnv = tx_env(SENDER);
    let result = vm.call(
        &mut state,
        env,
        SENDER,
        TARGET,
        U256::from(3u64),
        input,
        gas,
        false,
    );
    let logs = format!("{:?}", state.logs());
    let changes = state.into_changes().map(|c| format!("{c:?}"));
    let text = format!("{result:?}\n{logs}\n{changes:?}");
    keccak256(text.as_bytes())
}
