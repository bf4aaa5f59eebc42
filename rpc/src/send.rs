//! Calls, gas estimates and transaction submission.

use orac_chain::{BlockTag, Chain};
use orac_primitives::{RecoveredTx, Transaction, TxType, U256};
use serde_json::{Value, json};

use crate::error::RpcError;
use crate::fees::SUGGESTED_TIP;
use crate::params::TxRequest;

pub fn call(chain: &Chain, req: &TxRequest, tag: BlockTag) -> Result<Value, RpcError> {
    let outcome = chain.call(&req.to_call()?, tag)?;
    if outcome.success {
        Ok(json!(outcome.output))
    } else {
        Err(RpcError::failed(&outcome))
    }
}

pub fn estimate_gas(chain: &Chain, req: &TxRequest, tag: BlockTag) -> Result<Value, RpcError> {
    // Failing at the cap comes back as the failing run's outcome, which
    // says why (revert data or halt), as geth does: nothing runs again.
    let gas = chain.estimate_gas(&req.to_call()?, tag)?;
    Ok(json!(crate::types::Quantity(gas)))
}

pub async fn send_raw(chain: &Chain, raw: Vec<u8>) -> Result<Value, RpcError> {
    let hash = chain.submit_raw(raw).await?;
    Ok(json!(hash))
}

/// The gas `eth_sendTransaction` uses when the request names none: an
/// estimate at the head (an execution: run it as a heavy request).
pub fn estimate_for_send(chain: &Chain, req: &TxRequest) -> Result<u64, RpcError> {
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
pub async fn send_transaction(
    chain: &Chain,
    req: TxRequest,
    gas_limit: u64,
) -> Result<Value, RpcError> {
    let tx = sign_transaction(chain, req, gas_limit)?;
    let hash = chain.submit(tx).await?;
    Ok(json!(hash))
}

/// `eth_signTransaction`: what `eth_sendTransaction` would send, signed
/// but not sent (as anvil: the raw transaction).
pub fn sign_only(chain: &Chain, req: TxRequest, gas_limit: u64) -> Result<Value, RpcError> {
    let tx = sign_transaction(chain, req, gas_limit)?;
    Ok(json!(orac_primitives::Bytes(tx.tx.encoded().to_vec())))
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

/// `eth_createAccessList`: `{accessList, gasUsed}`, plus `error` when the
/// call fails (as geth: the list is still what it accessed).
pub fn create_access_list(
    chain: &Chain,
    req: &TxRequest,
    tag: BlockTag,
) -> Result<Value, RpcError> {
    let (list, outcome) = chain.create_access_list(&req.to_call()?, tag)?;
    let list: Vec<Value> = list
        .into_iter()
        .map(|(address, slots)| json!({ "address": address, "storageKeys": slots }))
        .collect();
    let mut out = json!({
        "accessList": list,
        "gasUsed": crate::types::Quantity(outcome.gas_used),
    });
    if !outcome.success {
        out["error"] = json!(RpcError::failed(&outcome).message);
    }
    Ok(out)
}
