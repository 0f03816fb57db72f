// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ITransferPolicy} from "../../src/interfaces/ITransferPolicy.sol";

/// @notice A plain OpenZeppelin ERC20 with an always-true transfer policy: the reference token the
///         gas figures are measured against, so they compare with public HTLC and DvP contracts.
contract PlainToken is ERC20, ITransferPolicy {
    uint8 private immutable _decimals;

    constructor(string memory symbol_, uint8 decimals_) ERC20(symbol_, symbol_) {
        _decimals = decimals_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
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
}
