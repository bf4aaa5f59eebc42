//! Fee suggestions and history.

use orac_chain::{BlockTag, Chain};
use orac_primitives::U256;
use serde::Serialize;

use crate::error::RpcError;
use crate::types::Quantity;

/// The priority fee suggested to wallets (what anvil and hardhat suggest).
pub(crate) const SUGGESTED_TIP: u64 = 1_000_000_000;
/// Most blocks one eth_feeHistory call covers (geth's limit).
pub(crate) const MAX_FEE_HISTORY: u64 = 1024;

/// `eth_gasPrice`: the next block's base fee plus the suggested tip, a
/// legacy price that is included at once.
pub(crate) fn gas_price(chain: &Chain) -> U256 {
    chain.next_base_fee() + U256::from(SUGGESTED_TIP)
}

/// `eth_baseFee`: the base fee per gas of the next block.
pub(crate) fn base_fee(chain: &Chain) -> U256 {
    chain.next_base_fee()
}

/// `eth_maxPriorityFeePerGas`: the suggested tip.
pub(crate) fn max_priority_fee() -> U256 {
    U256::from(SUGGESTED_TIP)
}

/// What `eth_feeHistory` answers; `reward` only when percentiles were
/// asked for and the range is not empty.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FeeHistory {
    oldest_block: Quantity,
    /// One per block, plus the next block's.
    base_fee_per_gas: Vec<U256>,
    gas_used_ratio: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reward: Option<Vec<Vec<U256>>>,
}

/// `eth_feeHistory`: base fees (plus the next block's), gas used ratios and
/// tip percentiles weighted by gas, as geth computes them.
pub(crate) fn fee_history(
    chain: &Chain,
    count: u64,
    newest: BlockTag,
    percentiles: Option<Vec<f64>>,
) -> Result<FeeHistory, RpcError> {
    if let Some(p) = &percentiles {
        if p.len() > 100 {
            return Err(RpcError::invalid_params(
                "too many reward percentiles, at most 100",
            ));
        }
        for (i, v) in p.iter().enumerate() {
            if !(0.0..=100.0).contains(v) || (i > 0 && *v < p[i - 1]) {
                return Err(RpcError::invalid_params(format!(
                    "invalid reward percentile: {v}"
                )));
            }
        }
    }
    let snap = chain.snapshot()?;
    let newest = chain
        .resolve(&snap, newest)?
        .ok_or_else(|| RpcError::server("header not found"))?;
    let count = count.min(MAX_FEE_HISTORY).min(newest + 1);
    if count == 0 {
        return Ok(FeeHistory {
            oldest_block: Quantity(newest),
            base_fee_per_gas: Vec::new(),
            gas_used_ratio: Vec::new(),
            reward: None,
        });
    }
    let oldest = newest + 1 - count;
    let mut base_fees = Vec::new();
    let mut ratios = Vec::new();
    let mut rewards = Vec::new();
    let mut last = None;
    for n in oldest..=newest {
        let header = snap
            .header(n)?
            .ok_or_else(|| RpcError::server("header not found"))?;
        base_fees.push(header.base_fee_per_gas);
        ratios.push(if header.gas_limit == 0 {
            0.0
        } else {
            header.gas_used as f64 / header.gas_limit as f64
        });
        if let Some(p) = &percentiles {
            let body = snap.body(n)?.unwrap_or_default();
            let receipts = snap.receipts(n)?.unwrap_or_default();
            let mut tips: Vec<(U256, u64)> = body
                .transactions
                .iter()
                .zip(&receipts)
                .map(|(t, r)| (t.tx.tx.effective_tip(header.base_fee_per_gas), r.gas_used))
                .collect();
            tips.sort();
            let total: u64 = tips.iter().map(|t| t.1).sum();
            let row: Vec<U256> = p
                .iter()
                .map(|pct| {
                    if tips.is_empty() {
                        return U256::zero();
                    }
                    let threshold = (total as f64 * pct / 100.0) as u64;
                    let mut acc = 0u64;
                    for (tip, gas) in &tips {
                        acc += gas;
                        if acc >= threshold {
                            return *tip;
                        }
                    }
                    tips.last().map(|t| t.0).unwrap_or_default()
                })
                .collect();
            rewards.push(row);
        }
        last = Some(header);
    }
    if let Some(h) = last {
        base_fees.push(orac_chain::basefee::next_base_fee(
            h.base_fee_per_gas,
            h.gas_used,
            h.gas_limit,
            chain.spec().min_base_fee_per_gas,
        ));
    }
    Ok(FeeHistory {
        oldest_block: Quantity(oldest),
        base_fee_per_gas: base_fees,
        gas_used_ratio: ratios,
        reward: percentiles.is_some().then_some(rewards),
    })
}
