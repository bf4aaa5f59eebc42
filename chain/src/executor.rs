//! Transaction execution under the STARTGAS/GASPRICE rules.
//!
//! For each transaction: check it, buy `gas_limit × effective price` from the
//! sender, charge intrinsic gas, run the message, refund the unused gas, pay
//! `gas_used × tip` to the coinbase and burn `gas_used × base_fee` (the
//! EIP-1559 rule for every transaction type; see docs/gas.md). Balances plus
//! burned fees are conserved exactly.

use orac_primitives::transaction::{MAX_TX_SIZE, TX_BASE_GAS};
use orac_primitives::{Address, Bytes, Log, RecoveredTx, SignedTransaction, TxType, U256};
use orac_state::{Overlay, StateError};
use orac_vm::{Halt, TxEnv, Vm};

use crate::error::InvalidTx;

pub use orac_vm::BlockEnv;

/// What running a message produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutcome {
    /// Whether the message ran to the end; false on a revert or a halt,
    /// whose state changes are undone (the gas is still paid).
    pub success: bool,
    /// Gas the sender pays for, intrinsic gas included.
    pub gas_used: u64,
    /// Return data, or revert data when `success` is false.
    pub output: Bytes,
    /// The logs emitted, in order; none when `success` is false.
    pub logs: Vec<Log>,
    /// The new contract's address, for a creation that succeeded.
    pub contract_address: Option<Address>,
    /// Why execution halted, when it did not merely revert with data.
    pub error: Option<Halt>,
}

/// Checks that depend only on the transaction and the chain's fixed rules:
/// done once, at admission.
pub fn check_static(
    tx: &SignedTransaction,
    chain_id: u64,
    block_gas_limit: u64,
) -> Result<(), InvalidTx> {
    let t = &tx.tx;
    if tx.encoded().len() > MAX_TX_SIZE {
        return Err(InvalidTx::Decode(orac_primitives::TxError::Oversized(
            tx.encoded().len(),
        )));
    }
    match t.chain_id {
        None => return Err(InvalidTx::Unprotected),
        Some(id) if id != chain_id => {
            return Err(InvalidTx::WrongChainId {
                have: id,
                want: chain_id,
            });
        }
        _ => {}
    }
    tx.signature
        .validate()
        .map_err(orac_primitives::TxError::from)?;
    if t.gas_limit > block_gas_limit {
        return Err(InvalidTx::GasLimitTooHigh {
            gas: t.gas_limit,
            limit: block_gas_limit,
        });
    }
    let intrinsic = t.intrinsic_gas();
    if t.gas_limit < intrinsic {
        return Err(InvalidTx::IntrinsicGasTooLow {
            have: t.gas_limit,
            want: intrinsic,
        });
    }
    if t.nonce == u64::MAX {
        return Err(InvalidTx::NonceMax);
    }
    // What a sender may have to pay must be a number (ethereum/tests:
    // GASLIMIT_PRICE_PRODUCT_OVERFLOW), not a saturated one.
    if t.max_cost().is_none() {
        return Err(InvalidTx::CostOverflow);
    }
    // A creation that is not a deploy envelope can only fail, charging
    // all its gas: say so before it is mined.
    if t.to.is_none()
        && let Err(e) = orac_vm::envelope::unwrap(&t.input)
    {
        return Err(InvalidTx::BadCreation(e.to_string()));
    }
    Ok(())
}

/// Fee checks against a base fee; the sender is only for the message.
pub fn check_fees(tx: &RecoveredTx, base_fee: U256) -> Result<(), InvalidTx> {
    let t = &tx.tx.tx;
    if t.tx_type == TxType::DynamicFee && t.max_priority_fee_per_gas > t.max_fee_per_gas {
        return Err(InvalidTx::TipAboveFeeCap {
            address: tx.sender,
            tip: t.max_priority_fee_per_gas,
            cap: t.max_fee_per_gas,
        });
    }
    if t.max_fee_per_gas < base_fee {
        return Err(InvalidTx::FeeCapTooLow {
            address: tx.sender,
            cap: t.max_fee_per_gas,
            base: base_fee,
        });
    }
    Ok(())
}

/// Checks that the sender can pay for the transaction at all.
pub fn check_balance(tx: &RecoveredTx, balance: U256) -> Result<(), InvalidTx> {
    let want = tx.tx.tx.max_cost().unwrap_or(U256::MAX);
    if balance < want {
        return Err(InvalidTx::InsufficientFunds {
            address: tx.sender,
            have: balance,
            want,
        });
    }
    Ok(())
}

/// Why a transaction (in a block) or a call (simulated) could not run at
/// all, as opposed to running and failing: it is refused (no state change
/// happened) or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// Refused; nothing changed.
    #[error(transparent)]
    Invalid(#[from] InvalidTx),
    /// The database failed; the overlay must be thrown away.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Executes a transaction on `state`. On `Err(Invalid)` the state is
/// untouched; otherwise the transaction is included (even if it failed) and
/// the sender paid for the gas it used.
pub fn execute_transaction(
    state: &mut Overlay,
    vm: &Vm,
    env: &BlockEnv,
    tx: &RecoveredTx,
) -> Result<ExecOutcome, ExecError> {
    let t = &tx.tx.tx;
    let sender = tx.sender;
    check_fees(tx, env.base_fee)?;
    let nonce = state.nonce(&sender)?;
    if t.nonce < nonce {
        return Err(InvalidTx::NonceTooLow {
            address: sender,
            tx: t.nonce,
            state: nonce,
        }
        .into());
    }
    if t.nonce > nonce {
        return Err(InvalidTx::NonceTooHigh {
            address: sender,
            tx: t.nonce,
            state: nonce,
        }
        .into());
    }
    check_balance(tx, state.balance(&sender)?)?;

    // Buy all the gas up front at the effective price.
    let price = t.effective_gas_price(env.base_fee);
    let prepaid = price * U256::from(t.gas_limit);
    if !state.sub_balance(&sender, prepaid)? {
        // check_balance covered the fee cap, which is at least the price.
        return Err(StateError::Invalid("gas purchase failed after balance check".into()).into());
    }
    state.update_account(&sender, |a| a.nonce += 1)?;

    let intrinsic = t.intrinsic_gas();
    let gas_left = t.gas_limit - intrinsic;
    let msg = Message {
        from: sender,
        to: t.to,
        value: t.value,
        input: &t.input,
        gas: gas_left,
        create_nonce: t.nonce,
        // Paid for in the intrinsic gas: warm from the start (EIP-2930).
        access_list: t
            .access_list
            .iter()
            .map(|i| (i.address, i.storage_keys.clone()))
            .collect(),
    };
    let mut outcome = run_message(state, vm, env, price, &msg)?;
    outcome.gas_used += intrinsic;

    // Refund what was not used; the tip goes to the producer, the base fee
    // part is burned by not being credited to anyone.
    // Both credits are of gas already paid for, so neither can fail the
    // transaction; they saturate (only reachable when a dev-node patch has
    // set a balance near 2^256-1, as in anvil).
    let refund = price * U256::from(t.gas_limit - outcome.gas_used);
    state.credit_saturating(&sender, refund)?;
    let tip = t.effective_tip(env.base_fee) * U256::from(outcome.gas_used);
    if !tip.is_zero() {
        state.credit_saturating(&env.coinbase, tip)?;
    }
    Ok(outcome)
}

/// A message as a transaction (or a call request) starts it.
struct Message<'a> {
    from: Address,
    to: Option<Address>,
    value: U256,
    input: &'a [u8],
    gas: u64,
    /// The sender's nonce before this transaction, for CREATE's address.
    create_nonce: u64,
    access_list: Vec<(Address, Vec<orac_primitives::H256>)>,
}

/// Runs a message through the VM: a call (value moves, code runs) or a
/// contract creation. A failure reverts exactly the message's own effects
/// and logs.
fn run_message(
    state: &mut Overlay,
    vm: &Vm,
    env: &BlockEnv,
    gas_price: U256,
    msg: &Message,
) -> Result<ExecOutcome, StateError> {
    let checkpoint = state.checkpoint();
    let tx_env = TxEnv {
        block: env.clone(),
        origin: msg.from,
        gas_price,
        access_list: msg.access_list.clone(),
    };
    let (result, created) = match msg.to {
        Some(to) => (
            vm.call(
                state, tx_env, msg.from, to, msg.value, msg.input, msg.gas, false,
            )?,
            None,
        ),
        None => {
            let address = orac_vm::create_address(&msg.from, msg.create_nonce);
            let r = vm.create(
                state, tx_env, msg.from, address, msg.value, msg.input, msg.gas,
            )?;
            (r, Some(address))
        }
    };
    let gas_used = msg.gas - result.gas_left.min(msg.gas);
    Ok(ExecOutcome {
        success: result.success,
        gas_used,
        logs: if result.success {
            state.logs_since(checkpoint)
        } else {
            Vec::new()
        },
        contract_address: if result.success { created } else { None },
        output: Bytes(result.output),
        error: result.error,
    })
}

/// A message for `eth_call` / `eth_estimateGas`.
#[derive(Clone, Debug, Default)]
pub struct CallRequest {
    /// The caller; the zero address if absent.
    pub from: Option<Address>,
    /// The callee; `None` runs `input` as a creation.
    pub to: Option<Address>,
    /// Gas for the call; absent means the block gas limit (capped at
    /// [`RPC_GAS_CAP`](crate::RPC_GAS_CAP) for `eth_call`).
    pub gas: Option<u64>,
    /// A legacy gas price; wins over the EIP-1559 fields when present.
    pub gas_price: Option<U256>,
    /// The EIP-1559 fee cap, in wei per gas.
    pub max_fee_per_gas: Option<U256>,
    /// The EIP-1559 tip, added to the base fee under the cap.
    pub max_priority_fee_per_gas: Option<U256>,
    /// Wei sent with the call; zero if absent.
    pub value: Option<U256>,
    /// The calldata, or the deploy envelope of a creation.
    pub input: Bytes,
    /// The nonce a creation derives its address from; the caller's
    /// current nonce if absent.
    pub nonce: Option<u64>,
    /// EIP-2930: paid for in intrinsic gas, warm from the start.
    pub access_list: Vec<(Address, Vec<orac_primitives::H256>)>,
}

/// Runs a call without committing anything. Gas is only paid for when the
/// request names a price, as geth does, so a bare `eth_call` needs no funds.
pub fn simulate_call(
    state: &mut Overlay,
    vm: &Vm,
    env: &BlockEnv,
    req: &CallRequest,
    gas: u64,
) -> Result<ExecOutcome, ExecError> {
    let from = req.from.unwrap_or_default();
    let intrinsic = intrinsic_gas_of(req);
    if gas < intrinsic {
        return Err(InvalidTx::IntrinsicGasTooLow {
            have: gas,
            want: intrinsic,
        }
        .into());
    }
    let price = match (req.gas_price, req.max_fee_per_gas) {
        (Some(p), _) => p,
        (None, Some(cap)) => cap.min(
            env.base_fee
                .saturating_add(req.max_priority_fee_per_gas.unwrap_or_default()),
        ),
        (None, None) => U256::zero(),
    };
    let value = req.value.unwrap_or_default();
    let fee = price.checked_mul(U256::from(gas)).unwrap_or(U256::MAX);
    let balance = state.balance(&from)?;
    let want = fee.saturating_add(value);
    if balance < want {
        return Err(InvalidTx::InsufficientFunds {
            address: from,
            have: balance,
            want,
        }
        .into());
    }
    state.sub_balance(&from, fee)?;
    let nonce = state.nonce(&from)?;
    let msg = Message {
        from,
        to: req.to,
        value,
        input: &req.input,
        gas: gas - intrinsic,
        create_nonce: req.nonce.unwrap_or(nonce),
        access_list: req.access_list.clone(),
    };
    let mut outcome = run_message(state, vm, env, price, &msg)?;
    outcome.gas_used += intrinsic;
    Ok(outcome)
}

/// Intrinsic gas of a call request, priced like a transaction.
pub fn intrinsic_gas_of(req: &CallRequest) -> u64 {
    let tx = orac_primitives::Transaction {
        tx_type: TxType::DynamicFee,
        chain_id: None,
        nonce: 0,
        max_priority_fee_per_gas: U256::zero(),
        max_fee_per_gas: U256::zero(),
        gas_limit: 0,
        to: req.to,
        value: U256::zero(),
        input: req.input.clone(),
        access_list: req
            .access_list
            .iter()
            .map(
                |(address, keys)| orac_primitives::transaction::AccessListItem {
                    address: *address,
                    storage_keys: keys.clone(),
                },
            )
            .collect(),
    };
    tx.intrinsic_gas().max(TX_BASE_GAS)
}

#[cfg(test)]
#[path = "executor_tests.rs"]
mod tests;
