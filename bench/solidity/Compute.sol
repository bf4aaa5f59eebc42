// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// The compute benchmark, EVM side: the same work as bench/contracts/compute
/// (Rust against orac's host ABI). `n` rounds of a 64-bit xorshift + LCG
/// mix (wrapping, hence `unchecked` and uint64), then 1,000 chained
/// keccak256 of 32 bytes. Both return the same word for the same `n`.
contract Compute {
    function work(uint256 n) external pure returns (uint256) {
        uint64 x = 0x9E3779B97F4A7C15;
        unchecked {
            for (uint256 i = 0; i < n; ++i) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x = x * 6364136223846793005 + 1442695040888963407;
            }
        }
        bytes32 h = bytes32(uint256(x));
        for (uint256 i = 0; i < 1000; ++i) {
            h = keccak256(abi.encodePacked(h));
        }
        return uint256(h);
    }
}
