//! Building a block: run candidate transactions on an overlay of the head
//! state, keep the ones that can be included, and assemble header fields.

use std::collections::HashSet;
use std::sync::Arc;

use orac_primitives::trie::ordered_trie_root;
use orac_primitives::{
    Bloom, Bytes, EMPTY_LIST_HASH, H256, Header, Receipt, RecoveredTx, U256, keccak256_concat,
};
use orac_state::{BlockBody, Overlay, SharedReader, StateChanges, StateError, StoredReceipt};
use orac_vm::Vm;

use crate::basefee::next_base_fee;
use crate::error::InvalidTx;
use crate::executor::{BlockEnv, ExecError, execute_transaction};
use crate::spec::ChainSpec;

/// A block whose transactions have run, waiting for its state root.
pub(crate) struct BuiltBlock {
    pub env: BlockEnv,
    pub parent_hash: H256,
    pub body: BlockBody,
    pub receipts: Vec<StoredReceipt>,
    pub changes: StateChanges,
    pub gas_used: u64,
    /// Candidates that can never be included (stale nonce), with the reason.
    pub dropped: Vec<(H256, InvalidTx)>,
}

/// The environment of the block after `parent`.
pub(crate) fn next_env(spec: &ChainSpec, parent: &Header, timestamp: u64) -> BlockEnv {
    let number = parent.number + 1;
    BlockEnv {
        number,
        timestamp,
        coinbase: spec.coinbase,
        base_fee: next_base_fee(
            parent.base_fee_per_gas,
            parent.gas_used,
            parent.gas_limit,
            spec.min_base_fee_per_gas,
        ),
        gas_limit: spec.gas_limit,
        chain_id: spec.chain_id,
        // Deterministic stand-in for the beacon chain's randomness.
        prev_randao: keccak256_concat(&[parent.hash().as_bytes(), &number.to_be_bytes()]),
    }
}

/// What [`build`] does with a candidate that cannot go in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnInvalid {
    /// Leave it (and the sender's later ones) out: building from the pool,
    /// where candidates are only hopefuls.
    Skip,
    /// Refuse the whole block: re-executing a block someone else built,
    /// which is valid only if every transaction in it is.
    Reject,
}

/// Why [`build`] stopped.
#[derive(Debug)]
pub(crate) enum BuildError {
    /// The database failed: nothing is known about the block.
    State(StateError),
    /// ([`OnInvalid::Reject`] only) candidate `index` cannot be included.
    Invalid { index: usize, reason: InvalidTx },
}

impl From<StateError> for BuildError {
    fn from(e: StateError) -> Self {
        BuildError::State(e)
    }
}

/// Executes `candidates` in order on top of `state`.
pub(crate) fn build(
    state: SharedReader,
    vm: &Vm,
    env: BlockEnv,
    parent_hash: H256,
    candidates: &[Arc<RecoveredTx>],
    on_invalid: OnInvalid,
    // Called with each transaction's hash just before it runs.
    on_execute: &mut dyn FnMut(&H256),
) -> Result<BuiltBlock, BuildError> {
    let mut overlay = Overlay::new(state);
    let mut body = BlockBody::default();
    let mut receipts = Vec::new();
    let mut dropped = Vec::new();
    let mut gas_used = 0u64;
    // A sender whose transaction could not go in cannot have later ones in.
    let mut blocked = HashSet::new();
    for (index, tx) in candidates.iter().enumerate() {
        // Under `Reject` the first refusal ends the build, so no sender is
        // ever blocked there.
        if blocked.contains(&tx.sender) {
            continue;
        }
        let left = env.gas_limit.saturating_sub(gas_used);
        let executed = if tx.tx.tx.gas_limit > left {
            Err(ExecError::Invalid(InvalidTx::BlockGasExhausted {
                gas: tx.tx.tx.gas_limit,
                left,
            }))
        } else {
            on_execute(&tx.hash());
            execute_transaction(&mut overlay, vm, &env, tx)
        };
        match executed {
            Ok(outcome) => {
                gas_used += outcome.gas_used;
                let price = tx.tx.tx.effective_gas_price(env.base_fee);
                receipts.push(StoredReceipt {
                    receipt: Receipt::new(
                        tx.tx.tx.tx_type,
                        outcome.success,
                        gas_used,
                        outcome.logs,
                    ),
                    gas_used: outcome.gas_used,
                    effective_gas_price: price,
                    contract_address: outcome.contract_address,
                });
                body.transactions.push((**tx).clone());
            }
            Err(ExecError::Invalid(reason)) if on_invalid == OnInvalid::Reject => {
                return Err(BuildError::Invalid { index, reason });
            }
            Err(ExecError::Invalid(e)) => {
                if matches!(e, InvalidTx::NonceTooLow { .. }) {
                    dropped.push((tx.hash(), e));
                }
                blocked.insert(tx.sender);
            }
            Err(ExecError::State(e)) => return Err(e.into()),
        }
    }
    Ok(BuiltBlock {
        env,
        parent_hash,
        body,
        receipts,
        changes: overlay.into_changes()?,
        gas_used,
        dropped,
    })
}

impl BuiltBlock {
    /// The header, once the state root is known.
    pub(crate) fn header(&self, state_root: H256, extra_data: &Bytes) -> Header {
        let mut logs_bloom = Bloom::default();
        for r in &self.receipts {
            logs_bloom.accrue_bloom(&r.receipt.logs_bloom);
        }
        Header {
            parent_hash: self.parent_hash,
            ommers_hash: EMPTY_LIST_HASH,
            beneficiary: self.env.coinbase,
            state_root,
            transactions_root: ordered_trie_root(
                self.body.transactions.iter().map(|t| t.tx.encoded()),
            ),
            receipts_root: ordered_trie_root(self.receipts.iter().map(|r| r.receipt.encode_2718())),
            logs_bloom,
            difficulty: U256::zero(),
            number: self.env.number,
            gas_limit: self.env.gas_limit,
            gas_used: self.gas_used,
            timestamp: self.env.timestamp,
            extra_data: extra_data.clone(),
            mix_hash: self.env.prev_randao,
            nonce: [0; 8],
            base_fee_per_gas: self.env.base_fee,
        }
    }
}
