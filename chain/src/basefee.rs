//! EIP-1559 base fee: the target is half the gas limit, and the fee moves by
//! at most 1/8 per block toward it. orac adds a floor (`minBaseFeePerGas` in
//! the chain spec) so the fee never reaches zero and every header carries a
//! non-zero `baseFeePerGas`, which wallets use to pick EIP-1559 transactions.

use orac_primitives::U256;

/// The gas limit over the gas target: blocks may use up to twice the
/// target, so the fee has room to rise.
pub const ELASTICITY_MULTIPLIER: u64 = 2;
/// The fee moves by at most 1/this per block, so it adjusts gradually.
pub const BASE_FEE_CHANGE_DENOMINATOR: u64 = 8;

/// Base fee of the block after one with the given fields.
pub fn next_base_fee(
    parent_base_fee: U256,
    parent_gas_used: u64,
    gas_limit: u64,
    floor: U256,
) -> U256 {
    let target = gas_limit / ELASTICITY_MULTIPLIER;
    let next = if target == 0 || parent_gas_used == target {
        parent_base_fee
    } else if parent_gas_used > target {
        let delta = parent_base_fee * U256::from(parent_gas_used - target)
            / U256::from(target)
            / U256::from(BASE_FEE_CHANGE_DENOMINATOR);
        parent_base_fee + delta.max(U256::one())
    } else {
        let delta = parent_base_fee * U256::from(target - parent_gas_used)
            / U256::from(target)
            / U256::from(BASE_FEE_CHANGE_DENOMINATOR);
        parent_base_fee.saturating_sub(delta)
    };
    next.max(floor).max(U256::one())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_eip1559() {
        let gwei = U256::from(1_000_000_000u64);
        let floor = U256::one();
        assert_eq!(next_base_fee(gwei, 15_000_000, 30_000_000, floor), gwei);
        // Full block: +12.5%.
        assert_eq!(
            next_base_fee(gwei, 30_000_000, 30_000_000, floor),
            U256::from(1_125_000_000u64)
        );
        // Empty block: -12.5%.
        assert_eq!(
            next_base_fee(gwei, 0, 30_000_000, floor),
            U256::from(875_000_000u64)
        );
        // The floor holds.
        assert_eq!(next_base_fee(gwei, 0, 30_000_000, gwei), gwei);
        // Tiny fees still rise by at least one wei.
        assert_eq!(
            next_base_fee(U256::from(7), 30_000_000, 30_000_000, floor),
            U256::from(8)
        );
    }
}
