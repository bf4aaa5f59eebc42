//! Calls, gas estimates and transaction submission.

use orac_chain::{BlockTag, Chain};
use orac_primitives::{Bytes, H256, RecoveredTx, Transaction, TxType, U256};
use serde::Serialize;

use crate::error::RpcError;
use crate::fees::SUGGESTED_TIP;
use crate::params::TxRequest;
use crate::types::{AccessListEntry, Quantity};

/// `eth_call`: the call's return data, or its revert as an error (code 3
/// with the revert data, as geth answers).
pub(crate) fn call(chain: &Chain, req: &TxRequest, tag: BlockTag) -> Result<Bytes, RpcError> {
    let outcome = chain.call(&req.to_call()?, tag)?;
    if outcome.success {
        Ok(outcome.output)
    } else {
        Err(RpcError::failed(&outcome))
    }
}

/// `eth_estimateGas`.
pub(crate) fn estimate_gas(
    chain: &Chain,
    req: &TxRequest,
    tag: BlockTag,
) -> Result<Quantity, RpcError> {
    // Failing at the cap comes back as the failing run's outcome, which
    // says why (revert data or halt), as geth does: nothing runs again.
    Ok(Quantity(chain.estimate_gas(&req.to_call()?, tag)?))
}

/// `eth_sendRawTransaction`: the transaction's hash once it is pooled.
pub(crate) async fn send_raw(chain: &Chain, raw: Vec<u8>) -> Result<H256, RpcError> {
    Ok(chain.submit_raw(raw).await?)
}

/// The gas `eth_sendTransaction` uses when the request names none: an
/// estimate at the head (an execution: run it as a heavy request).
pub(crate) fn estimate_for_send(chain: &Chain, req: &TxRequest) -> Result<u64, RpcError> {
    let from = req
        .from
        .ok_or_else(|| RpcError::invalid_params("missing \"from\" in transaction"))?;
    let mut call = req.to_call()?;
    call.from = Some(from);
    chain
        .estimate_gas(&call, BlockTag::Latest)
        .map_err(RpcError::send_estimate)
}

/// `eth_sendTransaction`: fills in what the request leaves out, signs with
/// the node's dev key for `from`, and submits. Type 2 unless a `gasPrice`
/// (or type 0/1) is given; `gas_limit` is the request's or an estimate.
pub(crate) async fn send_transaction(
    chain: &Chain,
    req: TxRequest,
    gas_limit: u64,
) -> Result<H256, RpcError> {
    let tx = sign_transaction(chain, req, gas_limit)?;
    Ok(chain.submit(tx).await?)
}

/// `eth_signTransaction`: what `eth_sendTransaction` would send, signed
/// but not sent (as anvil: the raw transaction).
pub(crate) fn sign_only(chain: &Chain, req: TxRequest, gas_limit: u64) -> Result<Bytes, RpcError> {
    let tx = sign_transaction(chain, req, gas_limit)?;
    Ok(Bytes(tx.tx.encoded().to_vec()))
}

/// Fills in a request and signs it with the node's dev key for `from`.
fn sign_transaction(
    chain: &Chain,
    req: TxRequest,
    gas_limit: u64,
) -> Result<RecoveredTx, RpcError> {
    let from = req
        .from
        .ok_or_else(|| RpcError::invalid_params("missing \"from\" in transaction"))?;
    let key = chain
        .dev_key(&from)
        .cloned()
        .ok_or_else(|| RpcError::server(format!("unknown account {from:?}")))?;
    if let Some(id) = req.chain_id
        && id.0 != chain.chain_id()
    {
        return Err(RpcError::server(format!(
            "invalid chain id: have {} want {}",
            id.0,
            chain.chain_id()
        )));
    }
    let input = req.input()?;
    let nonce = match req.nonce {
        Some(n) => n.0,
        None => chain.pending_nonce(&from)?,
    };
    let tx_type = match req.tx_type.map(|t| t.0) {
        Some(0) => TxType::Legacy,
        Some(1) => TxType::AccessList,
        Some(2) => TxType::DynamicFee,
        Some(t) => {
            return Err(RpcError::invalid_params(format!(
                "transaction type {t} not supported"
            )));
        }
        None if req.gas_price.is_some() => TxType::Legacy,
        None => TxType::DynamicFee,
    };
    let base_fee = chain.next_base_fee();
    let (tip, cap) = match tx_type {
        TxType::DynamicFee => {
            let tip = req
                .max_priority_fee_per_gas
                .map(|v| v.0)
                .unwrap_or(U256::from(SUGGESTED_TIP));
            let cap = req.max_fee_per_gas.map(|v| v.0).unwrap_or(
                base_fee
                    .saturating_mul(U256::from(2u64))
                    .saturating_add(tip),
            );
            (tip.min(cap), cap)
        }
        _ => {
            let price = req
                .gas_price
                .map(|v| v.0)
                .unwrap_or(base_fee.saturating_add(U256::from(SUGGESTED_TIP)));
            (price, price)
        }
    };
    let tx = Transaction {
        tx_type,
        chain_id: Some(chain.chain_id()),
        nonce,
        max_priority_fee_per_gas: tip,
        max_fee_per_gas: cap,
        gas_limit,
        to: req.to,
        value: req.value.map(|v| v.0).unwrap_or_default(),
        input,
        access_list: req
            .access_list
            .unwrap_or_default()
            .into_iter()
            .map(|i| orac_primitives::transaction::AccessListItem {
                address: i.address,
                storage_keys: i.storage_keys,
            })
            .collect(),
    };
    if tx_type == TxType::Legacy && !tx.access_list.is_empty() {
        return Err(RpcError::invalid_params(
            "access lists need a type 1 or 2 transaction",
        ));
    }
    Ok(RecoveredTx {
        sender: from,
        tx: tx.sign(&key),
    })
}

/// What `eth_createAccessList` answers: `error` is there only when the
/// call fails (as geth: the list is still what it accessed).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessListResult {
    access_list: Vec<AccessListEntry>,
    gas_used: Quantity,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `eth_createAccessList`.
pub(crate) fn create_access_list(
    chain: &Chain,
    req: &TxRequest,
    tag: BlockTag,
) -> Result<AccessListResult, RpcError> {
    let (list, outcome) = chain.create_access_list(&req.to_call()?, tag)?;
    Ok(AccessListResult {
        access_list: list
            .into_iter()
            .map(|(address, slots)| AccessListEntry {
                address,
                storage_keys: slots.into_iter().collect(),
            })
            .collect(),
        gas_used: Quantity(outcome.gas_used),
        error: (!outcome.success).then(|| RpcError::failed(&outcome).message),
    })
}
