// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ITransferPolicy} from "../../src/interfaces/ITransferPolicy.sol";

/// @notice A hostile token: on its next balance movement it calls back into a target with prepared
///         calldata, once, and records how that call ended. Used to prove the escrows hold without a
///         reentrancy guard.
contract ReentrantToken is ERC20, ITransferPolicy {
    address private _target;
    bytes private _callback;
    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    constructor() ERC20("Hostile", "HST") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms a single call back into `target` on the next transfer.
    function arm(address target, bytes calldata callback) external {
        _target = target;
        _callback = callback;
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
        super._update(from, to, value);
        address target = _target;
        if (target == address(0) || from == address(0)) return;
        _target = address(0);
        reentered = true;
        (reentrySucceeded, reentryRevertData) = target.call(_callback);
    }
}
