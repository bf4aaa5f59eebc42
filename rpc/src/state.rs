//! State reads at a block (balance, nonce, code, storage) and EIP-1186 proofs.

use orac_chain::{BlockTag, Chain};
use orac_primitives::{Address, H256, U256};
use orac_state::{Snapshot, StateReader};
use serde_json::{Value, json};

use crate::blocks::to_value;
use crate::error::RpcError;
use crate::types::Quantity;

fn state(chain: &Chain, snap: &Snapshot, tag: BlockTag) -> Result<orac_chain::StateView, RpcError> {
    chain
        .state_at(snap, tag)?
        .ok_or_else(|| RpcError::server("header not found"))
}

pub(crate) fn balance(chain: &Chain, address: Address, tag: BlockTag) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    let b = state(chain, &snap, tag)?
        .account(&address)?
        .map(|a| a.balance)
        .unwrap_or_default();
    to_value(b)
}

pub(crate) fn nonce(chain: &Chain, address: Address, tag: BlockTag) -> Result<Value, RpcError> {
    if tag == BlockTag::Pending {
        return to_value(Quantity(chain.pending_nonce(&address)?));
    }
    let snap = chain.snapshot()?;
    let n = state(chain, &snap, tag)?
        .account(&address)?
        .map(|a| a.nonce)
        .unwrap_or_default();
    to_value(Quantity(n))
}

pub(crate) fn code(chain: &Chain, address: Address, tag: BlockTag) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    let st = state(chain, &snap, tag)?;
    let code = match st.account(&address)? {
        Some(a) => st.code(&a.code_hash)?,
        None => Default::default(),
    };
    to_value(code)
}

pub(crate) fn storage_at(
    chain: &Chain,
    address: Address,
    slot: H256,
    tag: BlockTag,
) -> Result<Value, RpcError> {
    let snap = chain.snapshot()?;
    to_value(state(chain, &snap, tag)?.storage(&address, &slot)?)
}

/// EIP-1186 `eth_getProof`.
pub(crate) fn proof(
    chain: &Chain,
    address: Address,
    slots: Vec<H256>,
    tag: BlockTag,
) -> Result<Value, RpcError> {
    if tag == BlockTag::Pending {
        // Its state was never written, so its trie nodes are nowhere to
        // prove from; saying so beats a proof against the wrong root.
        return Err(RpcError::invalid_params(
            "proofs are served for mined blocks, not the pending block",
        ));
    }
    let snap = chain.snapshot()?;
    let n = chain
        .resolve(&snap, tag)?
        .ok_or_else(|| RpcError::server("header not found"))?;
    let head = snap.head()?;
    let root = if n == head.number {
        snap.state_root()?
    } else {
        snap.header(n)?
            .ok_or_else(|| RpcError::server("header not found"))?
            .state_root
    };
    let st = snap.state_at(root)?;
    let (account_proof, storage_proofs) = st.proof(&address, &slots)?;
    let account = st.account(&address)?.unwrap_or_default();
    let hex = |p: &Vec<Vec<u8>>| {
        p.iter()
            .map(|n| format!("0x{}", hex::encode(n)))
            .collect::<Vec<_>>()
    };
    let mut storage = Vec::new();
    for (slot, p) in slots.iter().zip(&storage_proofs) {
        let value = U256::from_big_endian(st.storage(&address, slot)?.as_bytes());
        storage.push(json!({ "key": slot, "value": value, "proof": hex(p) }));
    }
    Ok(json!({
        "address": address,
        "accountProof": hex(&account_proof),
        "balance": account.balance,
        "codeHash": account.code_hash,
        "nonce": Quantity(account.nonce),
        "storageHash": account.storage_root,
        "storageProof": storage,
    }))
}
