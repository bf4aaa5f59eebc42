// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// The benchmark token, EVM side: the same contract as
/// bench/contracts/token (Rust against orac's host ABI). Balances live in a
/// mapping at slot 0, so the slot of `a` is keccak256(pad32(a) ‖ pad32(0));
/// totalSupply is slot 1.
contract Token {
    mapping(address => uint256) public balanceOf;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor() {
        uint256 supply = 1e27;
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        uint256 balance = balanceOf[msg.sender];
        require(balance >= amount, "insufficient balance");
        unchecked {
            balanceOf[msg.sender] = balance - amount;
        }
        balanceOf[to] += amount;
        emit Transfer(msg.sender, to, amount);
        return true;
    }
}
