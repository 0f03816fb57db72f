// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ITransferPolicy} from "../../src/interfaces/ITransferPolicy.sol";

/// @notice A hostile token for invariant runs: every transfer delivers 1 % less than asked (the fee is
///         burnt), while reporting success. An escrow that trusts `amount` would end up paying one
///         party's funds to another; Corridor's escrows must refuse it.
contract FeeOnTransferToken is ERC20, ITransferPolicy {
    constructor() ERC20("Fee on transfer", "FOT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function decimals() public pure override returns (uint8) {
        return 2;
    }

    function canTransfer(address, address) external pure returns (bool) {
        return true;
    }

    function isPermitted(address) external pure returns (bool) {
        return true;
    }

    function canRelease(address, address) external pure returns (bool) {
        return true;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value / 100;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
