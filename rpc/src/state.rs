//! State reads at a block (balance, nonce, code, storage) and EIP-1186 proofs.

use orac_chain::{BlockTag, Chain};
use orac_primitives::{Address, Bytes, H256, U256};
use orac_state::{Snapshot, StateReader};
use serde::Serialize;

use crate::error::RpcError;
use crate::types::Quantity;

fn state(chain: &Chain, snap: &Snapshot, tag: BlockTag) -> Result<orac_chain::StateView, RpcError> {
    chain
        .state_at(snap, tag)?
        .ok_or_else(|| RpcError::server("header not found"))
}

/// `eth_getBalance`: zero for an account that does not exist.
pub(crate) fn balance(chain: &Chain, address: Address, tag: BlockTag) -> Result<U256, RpcError> {
    let snap = chain.snapshot()?;
    Ok(state(chain, &snap, tag)?
        .account(&address)?
        .map(|a| a.balance)
        .unwrap_or_default())
}

/// `eth_getTransactionCount`; at `pending` it counts the pooled
/// transactions too, so a wallet can send several in a row.
pub(crate) fn nonce(chain: &Chain, address: Address, tag: BlockTag) -> Result<Quantity, RpcError> {
    if tag == BlockTag::Pending {
        return Ok(Quantity(chain.pending_nonce(&address)?));
    }
    let snap = chain.snapshot()?;
    let n = state(chain, &snap, tag)?
        .account(&address)?
        .map(|a| a.nonce)
        .unwrap_or_default();
    Ok(Quantity(n))
}

/// `eth_getCode`: the contract's deployed bytecode, empty for none.
pub(crate) fn code(chain: &Chain, address: Address, tag: BlockTag) -> Result<Bytes, RpcError> {
    let snap = chain.snapshot()?;
    let st = state(chain, &snap, tag)?;
    Ok(match st.account(&address)? {
        Some(a) => st.code(&a.code_hash)?,
        None => Default::default(),
    })
}

/// `eth_getStorageAt`: the slot's 32-byte word.
pub(crate) fn storage_at(
    chain: &Chain,
    address: Address,
    slot: H256,
    tag: BlockTag,
) -> Result<H256, RpcError> {
    let snap = chain.snapshot()?;
    Ok(state(chain, &snap, tag)?.storage(&address, &slot)?)
}

/// An EIP-1186 account proof, as `eth_getProof` answers it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RpcProof {
    address: Address,
    /// The trie nodes from the state root down to the account.
    account_proof: Vec<Bytes>,
    balance: U256,
    code_hash: H256,
    nonce: Quantity,
    storage_hash: H256,
    storage_proof: Vec<StorageProof>,
}

/// One storage slot's value and the trie nodes that prove it.
#[derive(Serialize)]
pub(crate) struct StorageProof {
    key: H256,
    value: U256,
    proof: Vec<Bytes>,
}

/// EIP-1186 `eth_getProof`.
pub(crate) fn proof(
    chain: &Chain,
    address: Address,
    slots: Vec<H256>,
    tag: BlockTag,
) -> Result<RpcProof, RpcError> {
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
    let nodes = |p: Vec<Vec<u8>>| p.into_iter().map(Bytes).collect::<Vec<_>>();
    let mut storage_proof = Vec::new();
    for (slot, p) in slots.iter().zip(storage_proofs) {
        storage_proof.push(StorageProof {
            key: *slot,
            value: U256::from_big_endian(st.storage(&address, slot)?.as_bytes()),
            proof: nodes(p),
        });
    }
    Ok(RpcProof {
        address,
        account_proof: nodes(account_proof),
        balance: account.balance,
        code_hash: account.code_hash,
        nonce: Quantity(account.nonce),
        storage_hash: account.storage_root,
        storage_proof,
    })
}
